//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/loadgen/natlab"
)

// asMain makes this test binary behave as ftpspec itself when the lab runs it in a namespace
// (the lab runs os.Executable(), which in a test is this binary).
const asMain = "FTPSPEC_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
	}
	os.Exit(m.Run())
}

func needLab(t *testing.T) {
	t.Helper()
	if err := natlab.Available(); err != nil {
		t.Skip(err)
	}
	t.Setenv(asMain, "1")
}

// labLeftovers lists the namespaces of the lab run by process pid, and the root namespace's lab
// links.
func labLeftovers(t *testing.T, pid int) []string {
	t.Helper()
	var out []string
	names, err := natlab.ListNamespaces(context.Background())
	require.NoError(t, err)
	for _, n := range names {
		if strings.HasPrefix(n, fmt.Sprintf("%s%d-", natlab.NSPrefix, pid)) {
			out = append(out, n)
		}
	}
	links, err := exec.Command("ip", "-o", "link", "show").Output()
	require.NoError(t, err)
	for _, l := range strings.Split(string(links), "\n") {
		if strings.Contains(l, fmt.Sprintf(": %s%d", natlab.LinkPrefix, pid)) {
			out = append(out, l)
		}
	}
	return out
}

func TestLabNATAgainstTheReference(t *testing.T) {
	needLab(t)
	for _, behind := range []bool{false, true} {
		t.Run(fmt.Sprintf("server-behind-nat=%v", behind), func(t *testing.T) {
			dir := t.TempDir()
			js := filepath.Join(dir, "lab.json")
			args := []string{"lab", "nat", "--clients", "3", "--sessions", "20", "--transfers", "2", "--json", js}
			if behind {
				args = append(args, "--server-behind-nat")
			}
			code, out, errOut := ftpspec(t, args...)
			require.Equal(t, 0, code, "%s\n%s", out, errOut)
			assert.Empty(t, labLeftovers(t, os.Getpid()))

			r := readRun(t, js)
			require.NotNil(t, r.Load)
			require.NotNil(t, r.Lab)
			tr := r.Load.Transfers
			assert.Equal(t, 120, tr.OK)
			assert.Zero(t, tr.Misrouted)
			assert.Zero(t, tr.Stolen)
			require.NotNil(t, r.Load.Thieves)
			assert.Equal(t, "198.19.3.2", r.Load.Thieves.Source)
			assert.Positive(t, r.Load.Thieves.Attempts)
			assert.Zero(t, r.Load.Thieves.BytesStolen)

			l := r.Lab
			require.Len(t, l.Clients, 3)
			for _, c := range l.Clients {
				assert.Equal(t, 40, c.Transfers.OK, c.Namespace)
				assert.Equal(t, l.ClientNAT, c.SeenFrom, "the server saw %s's connections come from the NAT", c.Namespace)
				assert.Positive(t, c.Connections)
			}
			assert.Equal(t, "ok", l.Passive.Verdict, l.Passive.Detail)
			require.NotEmpty(t, l.Passive.Advertised)
			for _, a := range l.Passive.Advertised {
				assert.Equal(t, l.ServerPublic, a.Address, "227 carries the public address")
			}
			if behind {
				assert.NotEqual(t, l.ServerAddress, l.ServerPublic)
			}
			require.Len(t, l.Active, 2, "helper off, then on (this kernel has nf_conntrack_ftp)")
			off, on := l.Active[0], l.Active[1]
			assert.Equal(t, "off", off.Helper)
			assert.Zero(t, off.OK, "active mode cannot cross the NAT without the helper")
			assert.Equal(t, "as expected", off.Verdict)
			assert.Equal(t, "on", on.Helper)
			assert.Equal(t, on.Attempted, on.OK, on.FirstErr)
			require.NotEmpty(t, on.Sources)
			for _, s := range on.Sources {
				assert.Equal(t, l.ServerAddress, strings.Split(s.ServerFrom, ":")[0], "the server's own address, from conntrack")
				assert.Equal(t, l.ServerPublic, strings.Split(s.ClientSaw, ":")[0], "what the client saw after the NATs")
			}
			assert.Empty(t, l.Findings)
		})
	}
}

// A server behind NAT that advertises its private address is a finding (exit 1), even though
// ftpspec's own transfers still work (it connects to the control connection's address).
func TestLabNATReportsAPrivate227(t *testing.T) {
	needLab(t)
	exe, err := os.Executable()
	require.NoError(t, err)
	js := filepath.Join(t.TempDir(), "lab.json")
	code, out, errOut := ftpspec(t, "lab", "nat", "--clients", "1", "--sessions", "5", "--transfers", "2", "--server-behind-nat",
		"--active-sessions", "0", "--json", js,
		"--target-cmd", exe+" serve --listen {addr}:{port} --pasv-ports {pasv} --root {root}")
	require.Equal(t, 1, code, "%s\n%s", out, errOut)
	assert.Contains(t, errOut, "227")
	r := readRun(t, js)
	assert.Equal(t, "private", r.Lab.Passive.Verdict)
	assert.Equal(t, "198.18.250.2", r.Lab.Passive.Advertised[0].Address)
	assert.Zero(t, r.Load.Transfers.Misrouted)
	assert.Empty(t, labLeftovers(t, os.Getpid()))
}

func TestLabNATTearsDownOnSIGTERM(t *testing.T) {
	needLab(t)
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "lab", "nat", "--clients", "2", "--sessions", "20", "--transfers", "100000", "--duration", "60s", "--server-behind-nat")
	cmd.Env = append(os.Environ(), asMain+"=1")
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	// Wait until the load is running: the lab announces its shards.
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(log.String(), "shards") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	require.NotEmpty(t, labLeftovers(t, pid), "the lab is up: %s", log.String())
	time.Sleep(time.Second)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, log.String())
	assert.Equal(t, exitUnreachable, ee.ExitCode(), "interrupted: exit 3\n%s", log.String())
	assert.Empty(t, labLeftovers(t, pid), "SIGTERM left lab resources behind\n%s", log.String())
	assert.Contains(t, log.String(), "torn down")
}

func TestLabNATBadUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--clients", "0"}, "--clients 0"},
		{[]string{"--alg", "maybe"}, "--alg"},
		{[]string{"--sessions", "many"}, "--sessions"},
		{[]string{"--server-pasv-ports", "100-50"}, "--server-pasv-ports"},
		{[]string{"--port", "30010"}, "inside --server-pasv-ports"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			code, _, errOut := ftpspec(t, append([]string{"lab", "nat"}, tc.args...)...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut, tc.want)
		})
	}
}
