package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

// TestAdvisoryNeverChangesTheExitCode: a server that hands a pending passive port to a stranger is
// reported as an advisory, and neither that nor --strict makes the run fail.
func TestAdvisoryNeverChangesTheExitCode(t *testing.T) {
	srv := reference.Start(t, reference.Config{PasvPorts: reference.PortRange{Lo: 26500, Hi: 26563}, Faults: []string{"no-ip-check"}})
	for _, strict := range []bool{false, true} {
		js := filepath.Join(t.TempDir(), "run.json")
		args := []string{"conform", "--target", srv.URL(), "--run", "rfc2577/4/pasv-foreign-ip-refused", "--json", js}
		if strict {
			args = append(args, "--strict")
		}
		code, out, errOut := ftpspec(t, args...)
		require.Equal(t, 0, code, "strict=%v\nstdout:\n%s\nstderr:\n%s", strict, out, errOut)
		r := readRun(t, js)
		require.Len(t, r.Conformance.Cases, 1)
		assert.Equal(t, reports.Advisory, r.Conformance.Cases[0].Outcome, r.Conformance.Cases[0].Actual)
		assert.Equal(t, 1, r.Conformance.Totals.Advisory)
		assert.Contains(t, out, "1 advisory")
	}
}

func TestExhaustMaxIsValidated(t *testing.T) {
	code, _, errOut := ftpspec(t, "conform", "--exhaust-max", "0", "--run", "rfc959/4.1.2/pasv-range-exhausted")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--exhaust-max 0")
}
