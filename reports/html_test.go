package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// externalRef matches anything that would make a browser fetch a resource: the acceptance
// check's pattern for tags, plus CSS url()/@import and protocol-relative or http(s) src/href
// anywhere.
var externalRef = regexp.MustCompile(`(?i)<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//|(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import`)

// hasText is assert.Contains without printing a whole report on failure.
func hasText(t *testing.T, doc, want string) {
	t.Helper()
	if !strings.Contains(doc, want) {
		t.Errorf("output lacks %q", want)
	}
}

func lacksText(t *testing.T, doc, unwanted string) {
	t.Helper()
	if i := strings.Index(doc, unwanted); i >= 0 {
		t.Errorf("output contains %q: …%s…", unwanted, doc[max(0, i-80):min(len(doc), i+len(unwanted)+80)])
	}
}

func renderHTML(t *testing.T, runs []*Run, opts HTMLOptions) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, runs, opts))
	return buf.String()
}

func TestHTMLReport(t *testing.T) {
	runs := fixtureMatrix(t)
	base := fixtureRun(t, fixtureOpts{label: "vsftpd 3.0.4", url: "ftp://test@127.0.0.1:2122", conform: true, healthy: true})
	cmp := Compare(base, runs[1], nil)
	out := renderHTML(t, runs, HTMLOptions{Title: "Interop matrix", Comparison: cmp})

	tests := []struct {
		name string
		want []string
	}{
		{"self-contained page", []string{"<!doctype html>", "<style>", "<script>", `<meta name="viewport"`}},
		{"title and run labels", []string{"<title>Interop matrix</title>", "reference", "vsftpd 3.0.5", "vsftpd load"}},
		{"server profile", []string{"220 (vsFTPd 3.0.5)", "215 UNIX Type: L8", "REST STREAM", "40000-40999"}},
		{"matrix with a column per run and TLS mode", []string{`<table class="matrix">`, "explicit TLS", "no TLS", `class="col-label">reference<`}},
		{"grouped by RFC", []string{"RFC 959 <span>File Transfer Protocol</span>", "RFC 2428", "RFC 3659"}},
		{"every outcome has a symbol", []string{"✓", "✗", ">!<", "∅", "–", "⚠", "⊗", "⊕"}},
		{"failing case is shown with its evidence", []string{"rfc959/5.4/unknown-command", "500 or 502", `id="case-rfc959_5.4_unknown-command"`}},
		{"filters", []string{`id="filters"`, `name="outcome" value="xpass"`, `<option>MUST</option>`, `<option>ext:EPSV</option>`, `name="q"`}},
		{"requirement quote", []string{"Thus the format for multi-line replies", "RFC 959 §4.2"}},
		{"transcript shows CR, LF and raw bytes", []string{`USER test<span class="cc">\r</span><span class="cc">\n</span>`, `RETR caf<span class="cc">\xE9</span><span class="cc">\xFF</span>.bin`, `<span class="cc">\x00</span><span class="cc">\x07</span>`}},
		{"bare LF is visible as LF without CR", []string{`&lt;img src=&#34;//evil.example/x.png&#34;&gt;<span class="cc">\n</span></pre>`}},
		{"data events", []string{"data port 40001, peer 127.0.0.1:40001, 65536 bytes, sha256 9f86d081"}},
		{"load cards", []string{"transfers ok", "misrouted", "stolen", "peak simultaneous data connections", "shared while pending", "out of range"}},
		{"load charts", []string{"transfer latency by percentile", "phase latency by percentile", "transfers and errors per second", "bytes per second", "data port handed to each transfer over time", "99.9%"}},
		{"phase table", []string{"data_connect", "first_byte", "p99.9"}},
		{"misrouted transfers say where the bytes came from", []string{"Bytes came from", `<span class="pill v-misrouted">misrouted</span>`, "s0001-t00"}},
		{"thresholds", []string{"misrouted==0", "✗ breached", "p99&lt;250ms"}},
		{"comparison section", []string{`id="compare"`, "Regression", "vsftpd 3.0.4 → vsftpd 3.0.5"}},
		{"print and narrow layouts", []string{"@media print", "@media (max-width: 720px)", "beforeprint", "position: sticky"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.want {
				hasText(t, out, w)
			}
		})
	}
}

func TestHTMLSafety(t *testing.T) {
	runs := fixtureMatrix(t)
	runs[0].Label = `<b onmouseover="x()">lab</b>`
	runs[1].Target.Banner = "220 <script>alert(1)</script>\r\n"
	runs[1].Target.Feat = append(runs[1].Target.Feat, `"><svg onload=alert(2)>`)
	runs[2].Load.Records[0].File = `</code><script>alert(3)</script>`
	runs[2].Load.Records[0].From = `<iframe src="//x">`
	out := renderHTML(t, runs, HTMLOptions{})

	tests := []struct {
		name  string
		never string
	}{
		{"case actual", `<script>alert("x")`},
		{"banner", "<script>alert(1)"},
		{"label", `<b onmouseover`},
		{"feat", `<svg onload`},
		{"record file", "<script>alert(3)"},
		{"record from", `<iframe src="//x">`},
		{"img from a reply", `<img src="//evil.example`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lacksText(t, out, tt.never)
		})
	}
	assert.Equal(t, 1, strings.Count(strings.ToLower(out), "<script"), "only the report's own script element")
	assert.Empty(t, externalRef.FindAllString(out, -1), "external resource references")
}

func TestHTMLNoExternalResources(t *testing.T) {
	out := renderHTML(t, fixtureMatrix(t), HTMLOptions{})
	assert.Empty(t, externalRef.FindAllString(out, -1))
	lacksText(t, out, "http://")
	lacksText(t, out, "https://")
	// The pattern itself works: it would catch what it is meant to catch.
	for _, bad := range []string{`<script src="https://cdn.example/x.js">`, `<link rel="stylesheet" href="//fonts.example/css">`, `background: url(https://x/y.png)`, `@import "x.css";`} {
		assert.NotEmpty(t, externalRef.FindAllString(bad, -1), bad)
	}
}

func TestHTMLSingleRunShapes(t *testing.T) {
	tests := []struct {
		name    string
		runs    []*Run
		want    []string
		notWant []string
	}{
		{
			name:    "conformance only",
			runs:    []*Run{fixtureRun(t, fixtureOpts{url: "ftp://127.0.0.1:2121", conform: true})},
			want:    []string{`<table class="matrix">`, `class="col-label">127.0.0.1:2121<`},
			notWant: []string{`class="load"`},
		},
		{
			name:    "load only",
			runs:    []*Run{fixtureRun(t, fixtureOpts{url: "ftp://127.0.0.1:2121", load: &loadOpts{sessions: 10, transfers: 2, size: 1000, seed: 3}})},
			want:    []string{`class="load"`, "All transfers verified", "<svg"},
			notWant: []string{`<table class="matrix">`, "Bytes came from"},
		},
		{
			name: "two unlabeled runs of one target get distinct columns",
			runs: []*Run{fixtureRun(t, fixtureOpts{url: "ftp://h:21", conform: true}), fixtureRun(t, fixtureOpts{url: "ftp://h:21", conform: true})},
			want: []string{`class="col-label">h:21<`, `class="col-label">h:21 (2)<`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := renderHTML(t, tt.runs, HTMLOptions{})
			for _, w := range tt.want {
				hasText(t, out, w)
			}
			for _, w := range tt.notWant {
				lacksText(t, out, w)
			}
		})
	}
}

func TestHTMLRejectsBadHistogram(t *testing.T) {
	r := fixtureRun(t, fixtureOpts{url: "ftp://h:21", load: &loadOpts{sessions: 2, transfers: 2, size: 10, seed: 1}})
	r.Load.Histograms["transfer"].SignificantFigures = 9
	err := WriteHTML(&bytes.Buffer{}, []*Run{r}, HTMLOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `histogram "transfer"`)
}

func TestWriteHTMLFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "report.html")
	require.NoError(t, os.Mkdir(filepath.Dir(path), 0o755))
	require.NoError(t, WriteHTMLFile(path, fixtureMatrix(t), HTMLOptions{}))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.HasSuffix(bytes.TrimSpace(data), []byte("</html>")))
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left beside the report")
}

func TestRenderersRefuseNilRuns(t *testing.T) {
	runs := []*Run{fixtureRun(t, fixtureOpts{url: "ftp://h:21", conform: true}), nil}
	var buf bytes.Buffer
	assert.ErrorContains(t, WriteHTML(&buf, runs, HTMLOptions{}), "run 2 is nil")
	assert.ErrorContains(t, WriteJUnit(&buf, runs, JUnitOptions{}), "run 2 is nil")
	assert.ErrorContains(t, WriteMarkdown(&buf, runs, MarkdownOptions{}), "run 2 is nil")
}
