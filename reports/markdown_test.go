package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func renderMarkdown(t *testing.T, runs []*Run, opts MarkdownOptions) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteMarkdown(&buf, runs, opts))
	return buf.String()
}

func TestMarkdownSummary(t *testing.T) {
	healthy := fixtureRun(t, fixtureOpts{label: "reference", url: "ftp://127.0.0.1:2121", conform: true, healthy: true,
		load: &loadOpts{sessions: 10, transfers: 2, size: 1000, seed: 2, thresholds: []string{"p99<10s"}}})
	tests := []struct {
		name    string
		runs    []*Run
		opts    MarkdownOptions
		want    []string
		notWant []string
	}{
		{
			name: "failures are listed with their evidence",
			runs: fixtureMatrix(t),
			want: []string{
				"## ftpspec: ❌ 6 case failure(s), 1 failing load run(s)",
				"| Run | Target | ✓ pass | ✗ fail |",
				"| vsftpd 3.0.5 · explicit TLS | `ftp://test@127.0.0.1:2122` |",
				"### Failures (6)",
				"| vsftpd 3.0.5 · no TLS | ✗ fail | `rfc959/5.4/unknown-command` | MUST | Unknown commands get 500 or 502 | 500 or 502 |",
				"⊕ xpass | `rfc2428/4/epsv-all`",
				"⚠ error | `rfc959/4.1.3/abor`",
				"### Load",
				"| vsftpd load | 1,433 / 1,440 | **2** | **3** | **1** | **1** |",
				"| `error_rate<0.1%` | 0.486% | ❌ fail |",
			},
			notWant: []string{"<script>", "<img"},
		},
		{
			name:    "a clean run says so and lists no failures",
			runs:    []*Run{healthy},
			want:    []string{"## ftpspec: ✅ all passed", "| reference | `ftp://127.0.0.1:2121` | 25 | 0 |", "| `p99<10s` |", "✓ pass"},
			notWant: []string{"### Failures", "❌"},
		},
		{
			name: "case IDs link into the HTML report",
			runs: fixtureMatrix(t),
			opts: MarkdownOptions{ReportURL: "report.html"},
			want: []string{"[`rfc959/5.4/unknown-command`](report.html#case-rfc959_5.4_unknown-command)"},
		},
		{
			name: "the failures table is bounded",
			runs: fixtureMatrix(t),
			opts: MarkdownOptions{MaxFailures: 2},
			want: []string{"… and 4 more failures"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := renderMarkdown(t, tt.runs, tt.opts)
			for _, w := range tt.want {
				hasText(t, out, w)
			}
			for _, w := range tt.notWant {
				lacksText(t, out, w)
			}
			// Every table row has as many cells as its header.
			var cols int
			for _, line := range strings.Split(out, "\n") {
				if !strings.HasPrefix(line, "|") {
					cols = 0
					continue
				}
				n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
				if cols == 0 {
					cols = n
				}
				assert.Equal(t, cols, n, "ragged table row: %s", line)
			}
		})
	}
}

func TestMarkdownCellEscaping(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a|b", `a\|b`},
		{"line1\r\nline2", "line1  line2"},
		{"<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"},
		{"[link](http://x)", `\[link\](http://x)`},
		{"**bold** _it_", `\*\*bold\*\* \_it\_`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, mdCell(tt.in), tt.in)
	}
}

// A run that did not complete never renders as green: Markdown says incomplete with the reason,
// the HTML verdict is not OK, and JUnit carries an errored testcase (issue 11, items 1 and 2).
func TestPartialRunIsNeverGreen(t *testing.T) {
	r := fixtureRun(t, fixtureOpts{url: "ftp://h:21", conform: true, healthy: true})
	r.Partial, r.PartialReason = true, "the target went away: server stopped answering after rfc959/5.4/x"

	var md bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, []*Run{r}, MarkdownOptions{}))
	assert.NotContains(t, md.String(), "all passed")
	assert.Contains(t, md.String(), "incomplete")
	assert.Contains(t, md.String(), "server stopped answering")

	var html bytes.Buffer
	require.NoError(t, WriteHTML(&html, []*Run{r}, HTMLOptions{}))
	assert.Contains(t, html.String(), "1 run(s) did not complete")
	assert.NotContains(t, html.String(), `class="verdict v-ok"`)

	var junit bytes.Buffer
	require.NoError(t, WriteJUnit(&junit, []*Run{r}, JUnitOptions{}))
	assert.Contains(t, junit.String(), `<testcase name="the run completed"`)
	assert.Regexp(t, `<testsuites [^>]*errors="1"`, junit.String())

	r.Partial, r.PartialReason = false, ""
	md.Reset()
	require.NoError(t, WriteMarkdown(&md, []*Run{r}, MarkdownOptions{}))
	assert.Contains(t, md.String(), "all passed", "a complete healthy run is green")
}
