package main

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/loadgen/bench"
	"github.com/ftpspec/ftpspec/reference"
)

// tiny keeps a CLI bench to a second or two.
var tiny = []string{"--rounds", "1", "--big-size", "1MiB", "--ceiling-size", "4MiB", "--small-sessions", "3",
	"--small-transfers", "2", "--logins", "5", "--idle-sessions", "3", "--timeout", "20s"}

func TestBenchEmbeddedReferenceWritesEveryOutput(t *testing.T) {
	dir := t.TempDir()
	js, html, md := filepath.Join(dir, "b.json"), filepath.Join(dir, "b.html"), filepath.Join(dir, "b.md")
	code, out, errOut := ftpspec(t, append([]string{"bench", "--json", js, "--html", html, "--markdown", md}, tiny...)...)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "| figure | reference |")
	assert.Contains(t, errOut, "round 1/1", "plain progress lines when not on a terminal")

	r := readRun(t, js)
	require.NotNil(t, r.Bench)
	assert.False(t, r.Partial)
	assert.True(t, r.Target.Embedded)
	require.Len(t, r.Bench.Targets, 1)
	assert.Equal(t, "reference", r.Bench.Targets[0].Name)
	require.Len(t, r.Bench.Ceiling, 1)
	require.Len(t, r.Bench.Targets[0].Rounds, 1)
	rd := r.Bench.Targets[0].Rounds[0]
	require.NotNil(t, rd.Retr)
	assert.Equal(t, int64(1<<20), rd.Retr.Bytes)
	require.NotNil(t, rd.Small)
	assert.Equal(t, 6, rd.Small.Transfers.OK)

	h, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(h), `<svg class="benchbar"`)
	m, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(m), "| figure | reference |")
}

func TestBenchSkipAndScenario(t *testing.T) {
	srv, err := reference.New(reference.Config{Listen: "127.0.0.1:0", PasvPorts: reference.PortRange{Lo: 22200, Hi: 22399}})
	require.NoError(t, err)
	defer srv.Close()
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(sc, []byte("name: nightly\nbench:\n  rounds: 1\n  logins: 4\n  targets:\n    - {name: ref, url: \""+srv.URL()+"\"}\n"), 0o644))
	js := filepath.Join(dir, "b.json")
	code, _, errOut := ftpspec(t, "bench", "--scenario", sc, "--skip", "ceiling,retr,stor,small,idle", "--json", js)
	require.Equal(t, 0, code, errOut)
	r := readRun(t, js)
	assert.Equal(t, "nightly", r.Label)
	assert.Equal(t, []string{"logins"}, r.Bench.Workloads)
	require.NotNil(t, r.Bench.Targets[0].Rounds[0].Logins)
	assert.Equal(t, 4, r.Bench.Targets[0].Rounds[0].Logins.Attempted)
	assert.Empty(t, r.Bench.Ceiling)
}

func TestBenchBadInput(t *testing.T) {
	srv, err := reference.New(reference.Config{Listen: "127.0.0.1:0", PasvPorts: reference.PortRange{Lo: 22400, Hi: 22599}})
	require.NoError(t, err)
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := "ftp://test:test@" + ln.Addr().String()
	require.NoError(t, ln.Close())
	dir := t.TempDir()
	badYAML := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(badYAML, []byte("bench:\n  rounds: 1\n  sizes: 3\n"), 0o644))
	a := "a=" + srv.URL()

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"duplicate names", []string{"--target", a, "--target", a}, 2, `duplicate target name "a"`},
		{"no name", []string{"--target", srv.URL()}, 2, "want NAME=URL"},
		{"pid not a local process", []string{"--target", a, "--pid", "a=" + strconv.Itoa(1<<30)}, 2, "no such local process"},
		{"pid of no target", []string{"--target", a, "--pid", "b=" + strconv.Itoa(os.Getpid())}, 2, `no target named "b"`},
		{"pid not a number", []string{"--target", a, "--pid", "a=self"}, 2, "want NAME=PID"},
		{"unknown workload", []string{"--target", a, "--skip", "retr,put"}, 2, `unknown workload "put"`},
		{"every workload off", []string{"--target", a, "--skip", "ceiling,retr,stor,small,logins,idle"}, 2, "every workload"},
		{"bad size", []string{"--target", a, "--big-size", "lots"}, 2, "--big-size"},
		{"scenario unknown key", []string{"--scenario", badYAML}, 2, "bad.yaml:3: bench.sizes: unknown key"},
		{"target down at the start", []string{"--target", a, "--target", "dead=" + down}, 3, "target dead is down before the bench started (nothing benched)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := filepath.Join(t.TempDir(), "b.json")
			code, _, errOut := ftpspec(t, append(append([]string{"bench", "--json", js}, tiny...), tt.args...)...)
			assert.Equal(t, tt.code, code, errOut)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %s", errOut)
			assert.True(t, strings.HasPrefix(errOut, "ftpspec: "), errOut)
			assert.Contains(t, errOut, tt.want)
			_, err := os.Stat(js)
			assert.True(t, os.IsNotExist(err), "nothing benched, no document")
		})
	}
}

func TestBenchErrorsExitCodes(t *testing.T) {
	assert.Equal(t, exitUsage, exitCode(&bench.ConfigError{Field: "target", Problem: "duplicate"}))
	assert.Equal(t, exitUnreachable, exitCode(&bench.DownError{Target: "a", Err: os.ErrDeadlineExceeded}))
	assert.Equal(t, exitUnreachable, exitCode(&bench.LostError{Targets: []string{"a"}}))
}

// dyingProxy forwards control connections to addr and, after `limit` of them, stops listening and
// cuts every connection: to ftpspec, a server that died mid-bench.
func dyingProxy(t *testing.T, addr string, limit int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if n >= limit {
				_ = c.Close()
				_ = ln.Close()
				mu.Lock()
				for _, o := range conns {
					_ = o.Close()
				}
				mu.Unlock()
				return
			}
			up, err := net.Dial("tcp", addr)
			if err != nil {
				_ = c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, o := range conns {
			_ = o.Close()
		}
	})
	return ln.Addr().String()
}

func TestBenchTargetDyingMidBenchIsExit3WithAPartialDocument(t *testing.T) {
	a, err := reference.New(reference.Config{Listen: "127.0.0.1:0", PasvPorts: reference.PortRange{Lo: 22600, Hi: 22799}})
	require.NoError(t, err)
	defer a.Close()
	b, err := reference.New(reference.Config{Listen: "127.0.0.1:0", PasvPorts: reference.PortRange{Lo: 22800, Hi: 22999}})
	require.NoError(t, err)
	defer b.Close()
	// b answers the check before the bench and round 1's five logins, then dies.
	dying := dyingProxy(t, b.Addr(), 1+5)
	js := filepath.Join(t.TempDir(), "b.json")
	code, out, errOut := ftpspec(t, "bench", "--target", "a="+a.URL(), "--target", "b=ftp://test:test@"+dying,
		"--skip", "ceiling,retr,stor,small,idle", "--logins", "5", "--login-parallel", "1", "--rounds", "3", "--timeout", "5s", "--json", js)
	assert.Equal(t, 3, code, errOut)
	assert.Contains(t, errOut, "target(s) b stopped answering mid-bench")
	assert.Contains(t, out, "missing in 2 of 3 rounds")
	r := readRun(t, js)
	assert.True(t, r.Partial)
	require.Len(t, r.Bench.Targets, 2)
	ta, tb := r.Bench.Targets[0], r.Bench.Targets[1]
	for _, rd := range ta.Rounds {
		require.NotNil(t, rd.Logins, "the other target finishes")
		assert.Equal(t, 5, rd.Logins.OK)
	}
	assert.NotEmpty(t, tb.Lost)
	require.Len(t, tb.Rounds, 3)
	require.NotNil(t, tb.Rounds[0].Logins)
	assert.Equal(t, 5, tb.Rounds[0].Logins.OK)
	for _, rd := range tb.Rounds[1:] {
		assert.Nil(t, rd.Logins)
		assert.Equal(t, []string{"logins"}, rd.Missing)
	}
}
