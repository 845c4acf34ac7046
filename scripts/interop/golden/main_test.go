package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reports"
)

func writeRun(t *testing.T, path, tls string, cases map[string]reports.Outcome) {
	t.Helper()
	r := &reports.Run{Schema: reports.SchemaV1, Target: reports.Target{Banner: "220 hi"}, Conformance: &reports.Conformance{}}
	for id, o := range cases {
		r.Conformance.Cases = append(r.Conformance.Cases, reports.CaseResult{ID: id, TLS: tls, Outcome: o})
	}
	r.Conformance.Recount()
	require.NoError(t, reports.WriteFile(path, r))
}

// TestCheckAndUpdate walks the life of a golden file: created from a run (missing justifications
// fail), justified (check passes), then a verdict moves (check fails naming it), and is updated.
func TestCheckAndUpdate(t *testing.T) {
	dir, runs := t.TempDir(), t.TempDir()
	writeRun(t, filepath.Join(runs, "srv.json"), "none", map[string]reports.Outcome{"a/1/x": reports.Pass, "a/1/y": reports.Warn})
	writeRun(t, filepath.Join(runs, "srv-tls.json"), "explicit", map[string]reports.Outcome{"a/1/x": reports.Pass})
	writeRun(t, filepath.Join(runs, "srv-load.json"), "none", map[string]reports.Outcome{"ignored": reports.Fail})
	gf := filepath.Join(dir, "srv.yaml")
	call := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"-golden", dir, "-runs", runs}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}

	code, out, _ := call("-update")
	assert.Equal(t, exitChanged, code, out)
	assert.Contains(t, out, "a/1/y [tls none]: warn")
	assert.Contains(t, out, "set version:")
	require.FileExists(t, gf)

	code, _, errOut := call()
	assert.Equal(t, exitBadInput, code, "a golden file without justifications is bad input")
	assert.Contains(t, errOut, "srv.yaml:")
	assert.Contains(t, errOut, "case a/1/y: outcome warn needs a justification")

	b, err := os.ReadFile(gf)
	require.NoError(t, err)
	b = bytes.Replace(b, []byte(`version: ""`), []byte(`version: "srv 1.0"`), 1)
	b = bytes.Replace(b, []byte("{id: a/1/y, outcome: warn}"), []byte(`{id: a/1/y, outcome: warn, why: "DISPUTED: SHOULD broken"}`), 1)
	require.NoError(t, os.WriteFile(gf, b, 0o644))
	code, out, errOut = call()
	assert.Equal(t, exitOK, code, out+errOut)
	assert.Contains(t, out, "srv: 3 verdicts as recorded")
	code, out, errOut = call("-matrix")
	assert.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "| server | control connection | pass | fail | warn | of which disputed |")
	assert.Contains(t, out, "| srv 1.0 | plain | 1 | 0 | 1 | 1 |", "the DISPUTED warn is counted")
	assert.Contains(t, out, "| srv 1.0 | TLS explicit | 1 | 0 | 0 | 0 |")

	writeRun(t, filepath.Join(runs, "srv.json"), "none", map[string]reports.Outcome{"a/1/x": reports.Fail, "a/1/y": reports.Warn})
	code, out, _ = call()
	assert.Equal(t, exitChanged, code)
	assert.Contains(t, out, "CHANGED  a/1/x [tls none]")
	assert.Contains(t, out, "pass -> fail")

	code, out, _ = call("-update")
	assert.Equal(t, exitChanged, code, "the new fail needs a justification")
	b, err = os.ReadFile(gf)
	require.NoError(t, err)
	assert.Contains(t, string(b), `why: "DISPUTED: SHOULD broken"`, "the unchanged verdict keeps its justification")
	assert.Contains(t, string(b), `version: "srv 1.0"`)

}

func TestMissingRunAndUsage(t *testing.T) {
	dir, runs := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "srv.yaml"), []byte("peer: srv\nversion: v\nmodes: []\n"), 0o644))
	var out, errOut bytes.Buffer
	assert.Equal(t, exitIncomplete, run([]string{"-golden", dir, "-runs", runs}, &out, &errOut))
	assert.Contains(t, errOut.String(), "srv.json")
	assert.Equal(t, exitBadInput, run([]string{"-golden", dir, "extra"}, &out, &errOut))
	assert.Equal(t, exitBadInput, run([]string{"-golden", t.TempDir()}, &out, &errOut), "no golden file at all")
}

// TestExhaustRun: the range-exhaustion run (NAME-exhaust.json) is a peer of its own for the check
// and the update, and the matrix names it as that run, not as a second plain run of the server.
func TestExhaustRun(t *testing.T) {
	dir, runs := t.TempDir(), t.TempDir()
	writeRun(t, filepath.Join(runs, "srv.json"), "none", map[string]reports.Outcome{"a/1/x": reports.Pass})
	writeRun(t, filepath.Join(runs, "srv-exhaust.json"), "none", map[string]reports.Outcome{"a/1/exhausted": reports.Fail})
	call := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(append([]string{"-golden", dir, "-runs", runs}, args...), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	code, out := call("-update")
	assert.Equal(t, exitChanged, code, out)
	assert.Contains(t, out, "a/1/exhausted [tls none]: fail", "the exhaustion run's verdict needs its justification")
	require.FileExists(t, filepath.Join(dir, "srv-exhaust.yaml"))
	for name, why := range map[string]string{"srv": "", "srv-exhaust": `, why: "MUST broken"`} {
		gf := filepath.Join(dir, name+".yaml")
		b, err := os.ReadFile(gf)
		require.NoError(t, err)
		b = bytes.Replace(b, []byte(`version: ""`), []byte(`version: "srv 1.0 (build)"`), 1)
		b = bytes.Replace(b, []byte("{id: a/1/exhausted, outcome: fail}"), []byte("{id: a/1/exhausted, outcome: fail"+why+"}"), 1)
		require.NoError(t, os.WriteFile(gf, b, 0o644))
	}
	code, out = call()
	assert.Equal(t, exitOK, code, out)
	assert.Contains(t, out, "srv-exhaust: 1 verdicts as recorded")

	writeRun(t, filepath.Join(runs, "srv-exhaust.json"), "none", map[string]reports.Outcome{"a/1/exhausted": reports.Unsupported})
	code, out = call()
	assert.Equal(t, exitChanged, code, "a change of the exhaustion verdict fails the check")
	assert.Contains(t, out, "CHANGED  a/1/exhausted [tls none]")

	writeRun(t, filepath.Join(runs, "srv-exhaust.json"), "none", map[string]reports.Outcome{"a/1/exhausted": reports.Fail})
	code, out = call("-matrix")
	assert.Equal(t, exitOK, code, out)
	assert.Contains(t, out, "| srv 1.0 | plain | 1 | 0 | 0 |")
	assert.Contains(t, out, "| srv 1.0 | plain, range exhaustion only (--exhaust-max) | 0 | 1 | 0 |")
}
