//go:build linux

package natlab

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// needLab skips a test that builds namespaces unless it runs as root on Linux with ip and
// iptables (CI runs as root).
func needLab(t *testing.T) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skip(err)
	}
}

// deadPID is the id of a process that has exited, to stand for a killed earlier lab.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	return cmd.Process.Pid
}

// leftovers lists this pid's namespaces and the root namespace's links with its prefix.
func leftovers(t *testing.T, pid int) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	names, err := ListNamespaces(ctx)
	require.NoError(t, err)
	for _, n := range names {
		if strings.HasPrefix(n, fmt.Sprintf("%s%d-", NSPrefix, pid)) {
			out = append(out, "netns "+n)
		}
	}
	links, err := output(ctx, "ip", "-o", "link", "show")
	require.NoError(t, err)
	for _, line := range strings.Split(links, "\n") {
		if m := linkName.FindStringSubmatch(line); m != nil && m[2] == fmt.Sprint(pid) {
			out = append(out, "link "+m[1])
		}
	}
	return out
}

func rootRules(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("iptables-save").CombinedOutput()
	if err != nil {
		return "" // no iptables-save: nothing to compare
	}
	// Counters change with traffic; the rules are what must not.
	var rules []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "-A") {
			rules = append(rules, l)
		}
	}
	return strings.Join(rules, "\n")
}

func echoServer(t *testing.T, ns, addr string) (net.Listener, <-chan string) {
	t.Helper()
	ln, err := Listen(ns, addr)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	peers := make(chan string, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			peers <- c.RemoteAddr().String()
			_, _ = io.WriteString(c, "hello\n")
			c.Close()
		}
	}()
	return ln, peers
}

func dialRead(ctx context.Context, d Dialer, addr string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestLabRoutesThroughTheNATs(t *testing.T) {
	needLab(t)
	for _, behind := range []bool{false, true} {
		t.Run(fmt.Sprintf("server-behind-nat=%v", behind), func(t *testing.T) {
			ctx := context.Background()
			rulesBefore := rootRules(t)
			l, err := Build(ctx, Config{Clients: 2, ServerBehindNAT: behind, ControlPort: 2121, PasvLo: 21000, PasvHi: 21099, PID: deadPID(t)})
			require.NoError(t, err)
			defer func() {
				require.NoError(t, l.Close(ctx))
				assert.Empty(t, leftovers(t, l.pid))
				assert.Equal(t, rulesBefore, rootRules(t), "the root namespace's iptables rules changed")
			}()
			_, peers := echoServer(t, l.Server.NS, netip.AddrPortFrom(l.Server.Addr, 2121).String())
			_, pasvPeers := echoServer(t, l.Server.NS, netip.AddrPortFrom(l.Server.Addr, 21050).String())

			for _, c := range l.Clients {
				got, err := dialRead(ctx, Dialer{NS: c.NS}, netip.AddrPortFrom(l.ServerPublic, 2121).String())
				require.NoError(t, err, c.NS)
				assert.Equal(t, "hello\n", got)
				from, _ := netip.ParseAddrPort(<-peers)
				assert.Equal(t, l.Router.Addr, from.Addr(), "every client arrives from the one NAT address")
			}
			_, err = dialRead(ctx, Dialer{NS: l.Clients[0].NS}, netip.AddrPortFrom(l.ServerPublic, 21050).String())
			require.NoError(t, err, "a port of the passive range is forwarded")
			<-pasvPeers

			got, err := dialRead(ctx, Dialer{NS: l.Thief.NS, Local: l.Thief.Addr}, netip.AddrPortFrom(l.ServerPublic, 2121).String())
			require.NoError(t, err, "the thief reaches the server")
			assert.Equal(t, "hello\n", got)
			from, _ := netip.ParseAddrPort(<-peers)
			assert.Equal(t, l.Thief.Addr, from.Addr(), "the thief keeps its own address")

			// Nothing outside routes to a private address.
			_, err = dialRead(ctx, Dialer{NS: l.Thief.NS}, netip.AddrPortFrom(l.Clients[0].Addr, 22).String())
			require.Error(t, err)
			if behind {
				assert.NotEqual(t, l.Server.Addr, l.ServerPublic)
				_, err = dialRead(ctx, Dialer{NS: l.Clients[0].NS}, netip.AddrPortFrom(l.Server.Addr, 2121).String())
				require.Error(t, err, "the server's private address is not reachable from the clients")
			}
			require.NoError(t, l.SetHelper(ctx, true), "this kernel has the FTP helper")
			require.NoError(t, l.SetHelper(ctx, false))
		})
	}
}

func TestBuildErrorLeavesNothing(t *testing.T) {
	needLab(t)
	ctx := context.Background()
	pid := deadPID(t)
	// A namespace already holding the thief's name makes Build fail half way.
	squatter := fmt.Sprintf("%s%d-thief", NSPrefix, pid)
	require.NoError(t, run(ctx, "ip", "netns", "add", squatter))
	defer func() { _ = run(ctx, "ip", "netns", "del", squatter) }()
	linksBefore, err := output(ctx, "ip", "-o", "link", "show")
	require.NoError(t, err)

	l, err := Build(ctx, Config{Clients: 3, ControlPort: 2121, PasvLo: 21000, PasvHi: 21099, PID: pid})
	require.Error(t, err)
	assert.Nil(t, l)
	assert.Contains(t, err.Error(), squatter)
	assert.Equal(t, []string{"netns " + squatter}, leftovers(t, pid), "only the squatter is left")
	linksAfter, err := output(ctx, "ip", "-o", "link", "show")
	require.NoError(t, err)
	assert.Equal(t, strings.Count(linksBefore, "\n"), strings.Count(linksAfter, "\n"))
}

func TestCleanupRemovesDeadRunsOnly(t *testing.T) {
	needLab(t)
	ctx := context.Background()
	dead, err := Build(ctx, Config{Clients: 1, ServerBehindNAT: true, ControlPort: 2121, PasvLo: 21000, PasvHi: 21099, PID: deadPID(t)})
	require.NoError(t, err)
	// A process left running inside the dead run's server namespace, as a killed lab leaves it.
	sleeper := Exec(ctx, dead.Server.NS, "sleep", "60")
	require.NoError(t, sleeper.Start())
	done := make(chan error, 1)
	go func() { done <- sleeper.Wait() }()

	live, err := Build(ctx, Config{Clients: 1, ControlPort: 2121, PasvLo: 21000, PasvHi: 21099, PID: os.Getpid()})
	require.NoError(t, err)
	defer live.Close(ctx)

	removed, err := Cleanup(ctx)
	require.NoError(t, err)
	for _, ns := range dead.Namespaces() {
		assert.Contains(t, removed, "netns "+ns)
	}
	assert.Empty(t, leftovers(t, dead.pid))
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the process inside the dead run's namespace was not killed")
	}
	for _, ns := range live.Namespaces() {
		assert.NotContains(t, removed, "netns "+ns, "a live run's namespace")
	}
	assert.Len(t, leftovers(t, os.Getpid()), len(live.Namespaces()))
}

func TestParseConntrack(t *testing.T) {
	text := "ipv4     2 tcp      6 117 TIME_WAIT src=198.18.250.2 dst=198.19.1.2 sport=40123 dport=41000 src=198.19.1.2 dst=198.19.2.2 sport=41000 dport=40999 [ASSURED] mark=0 zone=0 use=2\n" +
		"ipv4     2 udp      17 20 src=198.18.1.2 dst=198.19.2.2 sport=5000 dport=53 [UNREPLIED] src=198.19.2.2 dst=198.19.1.2 sport=53 dport=5000 mark=0 use=1\n" +
		"ipv4     2 tcp      6 431999 ESTABLISHED src=198.18.1.2 dst=198.19.2.2 sport=50000 dport=2121 src=198.19.2.2 dst=198.19.1.2 sport=2121 dport=50000 [ASSURED] mark=0 helper=ftp use=1\n"
	got := parseConntrack(text)
	require.Len(t, got, 2)
	assert.Equal(t, Conntrack{
		OrigSrc: netip.MustParseAddrPort("198.18.250.2:40123"), OrigDst: netip.MustParseAddrPort("198.19.1.2:41000"),
		ReplySrc: netip.MustParseAddrPort("198.19.1.2:41000"), ReplyDst: netip.MustParseAddrPort("198.19.2.2:40999"),
	}, got[0])
	assert.Equal(t, "ftp", got[1].Helper)
	assert.Equal(t, uint16(2121), got[1].OrigDst.Port())
}
