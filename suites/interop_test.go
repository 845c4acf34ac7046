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

	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reports"
)

// pyftpdlibDeviations are the MUST cases pyftpdlib 1.5.x fails, each checked against the RFC
// sentence the case quotes: real deviations of the server, not harness artefacts. A case listed
// here that passes is reported, so the list cannot go stale silently.
var pyftpdlibDeviations = map[string]string{
	"rfc959/5.1/type-ascii-nonprint": `"TYPE A N" → 504 "Unsupported type". RFC 959 §5.1 puts ASCII Non-print in the ` +
		`minimum implementation and §5.3.2 gives its form, <type-code> ::= A [<sp> <form-code>]; pyftpdlib ` +
		`accepts only "A" and "AN".`,
	"rfc1123/4.1.2.12/telnet-negotiation-refused": `pyftpdlib does not parse Telnet IAC sequences: ` +
		`"IAC WILL 24 IAC DO 1 NOOP" is answered 500 (the bytes taken as part of the command) instead of the ` +
		`options being refused (RFC 1123 §4.1.2.12: "a server-FTP MUST be capable of accepting and refusing ` +
		`Telnet negotiations").`,
	"rfc2428/3/epsv-unknown-protocol": `"EPSV 7" → 501 "Unknown network protocol"; RFC 2428 §3: "If not, the ` +
		`server MUST return the 522 error messages as outlined in section 2."`,
	"rfc3659/7.5.5/perm-fact-letters": `perm=radfwMT: "T" is not one of RFC 3659 §7.5.5's perm letters ` +
		`(a c d e f l m p r w; ABNF literals are case-insensitive, so "M" is "m").`,
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
			if _, known := pyftpdlibDeviations[r.ID]; !known || r.Outcome == reports.Error {
				unexpected = append(unexpected, line)
			}
		}
	}
	for id := range pyftpdlibDeviations {
		if !failed[id] {
			stale = append(stale, id)
		}
	}
	t.Logf("totals: %+v", res.Totals)
	assert.Empty(t, unexpected, "MUST cases failing (or erroring) against pyftpdlib that are not documented deviations:\n%s", strings.Join(unexpected, "\n"))
	if len(stale) > 0 {
		t.Logf("documented pyftpdlib deviations that no longer fail (update the list): %v", stale)
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
