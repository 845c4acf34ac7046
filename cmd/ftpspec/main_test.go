package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

// ftpspec runs one command line in-process and returns its exit code and output.
func ftpspec(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code = run(ctx, args, &o, &e)
	return code, o.String(), e.String()
}

func readRun(t *testing.T, path string) *reports.Run {
	t.Helper()
	r, err := reports.ReadFile(path)
	require.NoError(t, err)
	return r
}

func TestConformListDoesNotConnect(t *testing.T) {
	code, out, errOut := ftpspec(t, "conform", "--list", "--target", "ftp://127.0.0.1:1")
	require.Equal(t, 0, code, errOut)
	ids := regexp.MustCompile(`(?m)^rfc\d+/[0-9.]+/[a-z0-9-]+\s`).FindAllString(out, -1)
	assert.GreaterOrEqual(t, len(ids), 25)

	code, out, errOut = ftpspec(t, "conform", "--list", "--json", "--run", "rfc959/*/*")
	require.Equal(t, 0, code, errOut)
	var list struct {
		Cases []caseListing `json:"cases"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.NotEmpty(t, list.Cases)
	for _, c := range list.Cases {
		assert.True(t, strings.HasPrefix(c.ID, "rfc959/"), c.ID)
		assert.NotEmpty(t, c.Requirement, c.ID)
	}
}

func TestConformAgainstEmbeddedReference(t *testing.T) {
	dir := t.TempDir()
	js, junit := filepath.Join(dir, "c.json"), filepath.Join(dir, "c.xml")
	code, out, errOut := ftpspec(t, "conform", "--json", js, "--junit", junit)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	r := readRun(t, js)
	require.NotNil(t, r.Conformance)
	assert.True(t, r.Target.Embedded)
	assert.NotContains(t, r.Target.URL, ":test@", "the password is not in the report")
	assert.Zero(t, r.Conformance.Totals.Fail)
	assert.Zero(t, r.Conformance.Totals.Error)
	assert.GreaterOrEqual(t, r.Conformance.Totals.Pass, 25)
	x, err := os.ReadFile(junit)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, strings.Count(string(x), "<testcase"), len(r.Conformance.Cases))
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	badScenario := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(badScenario, []byte("sessions: 10\nno_such_key: 3\n"), 0o644))
	badConfig := filepath.Join(dir, "server.yaml")
	require.NoError(t, os.WriteFile(badConfig, []byte("listen: 127.0.0.1:0\nno_such_option: 1\n"), 0o644))
	notRun := filepath.Join(dir, "other.json")
	require.NoError(t, os.WriteFile(notRun, []byte(`{"schema":"ftpspec.run/v0"}`), 0o644))

	tests := []struct {
		name string
		args []string
		code int
		msg  string // the error names the problem
	}{
		{"negative sessions", []string{"load", "--sessions", "-1"}, 2, "sessions"},
		{"bad size", []string{"load", "--size", "lots"}, 2, "size"},
		{"scenario unknown key", []string{"load", "--scenario", badScenario}, 2, "bad.yaml:2"},
		{"bad threshold", []string{"load", "--threshold", "p99<fast", "--sessions", "1"}, 2, "p99<fast"},
		{"server config unknown key", []string{"serve", "--config", badConfig}, 2, "server.yaml:2"},
		{"unknown fault", []string{"serve", "--fault", "no-such-fault"}, 2, "no-such-fault"},
		{"bad glob", []string{"conform", "--list", "--run", "rfc[959"}, 2, "rfc[959"},
		{"bad target URL", []string{"conform", "--target", "http://x"}, 2, "http"},
		{"unknown flag", []string{"conform", "--frobnicate"}, 2, "frobnicate"},
		{"unreachable target", []string{"conform", "--target", "ftp://127.0.0.1:1"}, 3, "127.0.0.1:1"},
		{"unreachable load target", []string{"load", "--target", "ftp://127.0.0.1:1", "--sessions", "1"}, 3, "127.0.0.1:1"},
		{"report of other schema", []string{"report", notRun, "--html", filepath.Join(dir, "r.html")}, 2, "ftpspec.run/v0"},
		{"report of missing file", []string{"report", filepath.Join(dir, "nope.json"), "--html", filepath.Join(dir, "r.html")}, 2, "nope.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := ftpspec(t, tc.args...)
			assert.Equal(t, tc.code, code, errOut)
			assert.Contains(t, errOut, tc.msg)
			assert.Equal(t, 1, strings.Count(errOut, "ftpspec: "), "one error line: %q", errOut)
		})
	}
}

func TestLoadCatchesSharedPassivePort(t *testing.T) {
	tests := []struct {
		faults    []string
		code      int
		misrouted bool
	}{
		{nil, 0, false},
		{[]string{"shared-pasv-port"}, 1, true},
	}
	for _, tc := range tests {
		t.Run(strings.Join(append([]string{"faults"}, tc.faults...), "-"), func(t *testing.T) {
			srv := reference.Start(t, reference.Config{PasvPorts: reference.PortRange{Lo: 24000, Hi: 24999}, Faults: tc.faults})
			js := filepath.Join(t.TempDir(), "l.json")
			code, out, errOut := ftpspec(t, "load", "--target", srv.URL(), "--sessions", "40", "--transfers", "2", "--size", "65536", "--json", js)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			l := readRun(t, js).Load
			require.NotNil(t, l)
			assert.Equal(t, 80, l.Transfers.Attempted)
			if tc.misrouted {
				assert.Positive(t, l.Transfers.Misrouted)
				assert.Contains(t, errOut, "misrouted")
			} else {
				assert.Equal(t, 80, l.Transfers.OK)
				assert.Zero(t, l.Transfers.Misrouted)
			}
		})
	}
}

func TestLoadThresholdBreachIsNamed(t *testing.T) {
	code, _, errOut := ftpspec(t, "load", "--sessions", "4", "--transfers", "1", "--threshold", "transfers_per_s>=100000000")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "transfers_per_s>=100000000")
}

func TestReportMergeCompare(t *testing.T) {
	dir := t.TempDir()
	c, l := filepath.Join(dir, "c.json"), filepath.Join(dir, "l.json")
	code, _, errOut := ftpspec(t, "conform", "--run", "rfc959/*/*", "--json", c)
	require.Equal(t, 0, code, errOut)
	code, _, errOut = ftpspec(t, "load", "--sessions", "10", "--transfers", "2", "--json", l)
	require.Equal(t, 0, code, errOut)

	merged := filepath.Join(dir, "run.json")
	code, _, errOut = ftpspec(t, "report", "merge", c, l, "-o", merged)
	require.Equal(t, 0, code, errOut)
	m := readRun(t, merged)
	require.NotNil(t, m.Conformance)
	require.NotNil(t, m.Load)

	html := filepath.Join(dir, "r.html")
	code, out, errOut := ftpspec(t, "report", merged, "--html", html, "--markdown", filepath.Join(dir, "r.md"))
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, html)
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(page), "<svg")
	assert.NotRegexp(t, `<(script|link|img)[^>]+(src|href)="(https?:)?//`, string(page))

	code, _, errOut = ftpspec(t, "compare", merged, merged)
	assert.Equal(t, 0, code, errOut)

	// Inject a regression: one case fails and the throughput halves.
	worse := *m
	conf := *m.Conformance
	conf.Cases = append([]reports.CaseResult(nil), conf.Cases...)
	conf.Cases[0].Outcome = reports.Fail
	conf.Recount()
	worse.Conformance = &conf
	load := *m.Load
	load.ThroughputBytesPerS /= 2
	worse.Load = &load
	worsePath := filepath.Join(dir, "worse.json")
	require.NoError(t, reports.WriteFile(worsePath, &worse))
	code, out, errOut = ftpspec(t, "compare", merged, worsePath)
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, out, conf.Cases[0].ID)
	assert.Contains(t, errOut, "regression")
}

func TestServeListsFaultsAndStopsOnCancel(t *testing.T) {
	code, out, _ := ftpspec(t, "serve", "--list-faults")
	require.Equal(t, 0, code)
	for _, f := range reference.Faults() {
		assert.Contains(t, out, f.Name)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var o, e syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--pasv-ports", "24000-24099"}, &o, &e)
	}()
	require.Eventually(t, func() bool { return strings.Contains(o.String(), "listening on 127.0.0.1:") }, 10*time.Second, 20*time.Millisecond)
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, e.String())
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
}
