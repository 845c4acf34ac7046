//go:build interop

package suites

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/golden"
	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reports"
)

// pyftpdlibGolden is the golden file of pyftpdlib's verdicts (make interop): the failures it records,
// each with its justification, are the documented deviations of the server. Reading them from there
// keeps one list, audited once.
const pyftpdlibGolden = "testdata/peers/pyftpdlib.yaml"

// knownFailures is what the golden file records as failed in the run under --tls mode (none for
// the plain run), by case ID, with the justification.
func knownFailures(t *testing.T, path, mode string) map[string]string {
	t.Helper()
	g, err := golden.Load(path)
	require.NoError(t, err)
	known := map[string]string{}
	for k, v := range g.Verdicts() {
		if k.TLS == mode && v.Outcome == reports.Fail {
			known[k.ID] = v.Why
		}
	}
	require.NotEmpty(t, known, "%s records no failure under tls %s: the wrong file?", path, mode)
	return known
}

// TestInteropPyftpdlib runs the suite against Debian's pyftpdlib (python3-pyftpdlib) on loopback:
// a third-party server, to catch cases that would accuse a correct server.
//
//	go test -tags interop -run Interop -v ./suites
func TestInteropPyftpdlib(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import pyftpdlib").Run(); err != nil {
		t.Skipf("pyftpdlib not installed for %s: %v", py, err)
	}
	root := t.TempDir()
	const pasv = "26000-26199"
	addr := startPeer(t, func(port string) *exec.Cmd {
		return exec.Command(py, "-m", "pyftpdlib", "-i", "127.0.0.1", "-p", port, "-w", "-d", root,
			"-r", pasv, "-u", "test", "-P", "test")
	})

	tg, err := target.Parse("ftp://test:test@" + addr)
	require.NoError(t, err)
	rng, err := ParsePortRange(pasv)
	require.NoError(t, err)
	deviations := knownFailures(t, pyftpdlibGolden, ModeNone)
	res, err := Run(context.Background(), All(), Options{Target: tg, DeclaredRange: rng, Parallel: 4, Timeout: 30 * time.Second})
	require.NoError(t, err)

	var unexpected, stale []string
	failed := map[string]bool{}
	for _, r := range res.Cases {
		line := fmt.Sprintf("%-55s %-11s %s", r.ID, r.Outcome, r.Reason)
		if r.Expected != "" {
			line += fmt.Sprintf("expected %s, got %s", r.Expected, r.Actual)
		}
		if r.Outcome != reports.Pass {
			t.Log(line)
		}
		if r.Outcome == reports.Fail || r.Outcome == reports.Error {
			failed[r.ID] = true
			if _, known := deviations[r.ID]; !known || r.Outcome == reports.Error {
				unexpected = append(unexpected, line)
			}
		}
	}
	for id := range deviations {
		if !failed[id] {
			stale = append(stale, id)
		}
	}
	t.Logf("totals: %+v", res.Totals)
	assert.Empty(t, unexpected, "cases failing (or erroring) against pyftpdlib that %s does not record as failures:\n%s", pyftpdlibGolden, strings.Join(unexpected, "\n"))
	if len(stale) > 0 {
		t.Logf("failures recorded in %s that do not fail against this pyftpdlib (started without TLS or the interop config): %v", pyftpdlibGolden, stale)
	}
}

// startPeer starts a third-party server that listens on the port it is given, stops it when the
// test ends, and returns its address once it accepts connections.
func startPeer(t *testing.T, command func(port string) *exec.Cmd) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := command(port)
	if testing.Verbose() {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		require.True(t, time.Now().Before(deadline), "%s did not start listening on %s", cmd.Path, addr)
		time.Sleep(100 * time.Millisecond)
	}
}
