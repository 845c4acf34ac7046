package bench

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/loadgen"
	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

// startServer starts a reference server on 127.0.0.1:0 with its passive range outside the
// ephemeral ports.
func startServer(t *testing.T, lo int) *reference.Server {
	t.Helper()
	srv, err := reference.New(reference.Config{Listen: "127.0.0.1:0", PasvPorts: reference.PortRange{Lo: lo, Hi: lo + 199}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// small is a configuration that runs in a second or two.
func small(targets ...Target) Config {
	return Config{
		Targets: targets, Rounds: 2,
		BigSize: 1 << 20, CeilingSize: 4 << 20,
		SmallSessions: 4, SmallTransfers: 2, SmallSize: 64 << 10,
		Logins: 10, LoginParallel: 2, IdleSessions: 5, Timeout: 20 * time.Second,
	}
}

// recorder is an Observer that keeps every step, and can act at one.
type recorder struct {
	begun []Step
	ended []string
	at    func(Step)
}

func (r *recorder) Begin(s Step) {
	r.begun = append(r.begun, s)
	if r.at != nil {
		r.at(s)
	}
}
func (r *recorder) End(_ Step, summary string) { r.ended = append(r.ended, summary) }

func TestTwoServersSideBySideInInterleavedRounds(t *testing.T) {
	a, b := startServer(t, 20000), startServer(t, 20400)
	cfg := small(Target{Name: "a", URL: a.URL(), InProcess: true, PID: os.Getpid()}, Target{Name: "b", URL: b.URL(), InProcess: true})
	rec := &recorder{}
	res, err := Run(context.Background(), cfg, rec)
	require.NoError(t, err)

	require.Len(t, res.Targets, 2)
	require.Len(t, res.Ceiling, 1)
	assert.Equal(t, "127.0.0.1", res.Ceiling[0].Addr)
	require.Len(t, res.Ceiling[0].Rounds, 2)
	for _, cr := range res.Ceiling[0].Rounds {
		assert.Empty(t, cr.Error)
		assert.Greater(t, cr.SendfileBytesPerS, 0.0)
		assert.Greater(t, cr.WriteBytesPerS, 0.0)
	}
	for _, tg := range res.Targets {
		assert.Equal(t, "127.0.0.1", tg.CeilingAddr)
		assert.NotContains(t, tg.URL, ":test@", "the password stays out of the results")
		assert.Contains(t, tg.Banner, "220")
		assert.Empty(t, tg.Lost)
		require.Len(t, tg.Rounds, 2, tg.Name)
		for _, r := range tg.Rounds {
			assert.Empty(t, r.Missing)
			for _, big := range []*reports.BenchBig{r.Retr, r.Stor} {
				require.NotNil(t, big)
				assert.Equal(t, 1, big.OK, big.Error)
				assert.Equal(t, int64(1<<20), big.Bytes)
				assert.Greater(t, big.BytesPerS, 0.0)
			}
			require.NotNil(t, r.Small)
			assert.Equal(t, reports.TransferCounts{Attempted: 8, OK: 8}, r.Small.Transfers)
			assert.Greater(t, r.Small.TransfersPerS, 0.0)
			assert.Greater(t, r.Small.P99MS, 0.0)
			require.NotNil(t, r.Logins)
			assert.Equal(t, 10, r.Logins.OK)
			assert.Greater(t, r.Logins.PerS, 0.0)
			require.NotNil(t, r.Idle)
			assert.Equal(t, 5, r.Idle.OK)
		}
	}
	// Memory only where a process was named.
	idleA, idleB := res.Targets[0].Rounds[0].Idle, res.Targets[1].Rounds[0].Idle
	assert.True(t, idleA.MemoryMeasured, idleA.Error)
	assert.Greater(t, idleA.PSSAtKiB, int64(0))
	assert.False(t, idleB.MemoryMeasured)

	// Interleaved: every step of round 1 before round 2, the ceiling first in each round, and
	// the targets' order rotated between rounds.
	require.Len(t, rec.begun, 2*(1+5*2))
	assert.Equal(t, rec.begun[len(rec.begun)-1].Total, len(rec.begun))
	var order [3][]string
	for i, s := range rec.begun {
		assert.Equal(t, i+1, s.Index)
		if i > 0 {
			assert.GreaterOrEqual(t, s.Round, rec.begun[i-1].Round)
		}
		if s.Workload == reports.WorkloadRetr {
			order[s.Round] = append(order[s.Round], s.Target)
		}
	}
	assert.Equal(t, reports.WorkloadCeiling, rec.begun[0].Workload)
	assert.Equal(t, reports.WorkloadCeiling, rec.begun[11].Workload)
	assert.Equal(t, []string{"a", "b"}, order[1])
	assert.Equal(t, []string{"b", "a"}, order[2])

	// Work directories are cleaned up: nothing left in either root.
	for _, srv := range []*reference.Server{a, b} {
		left, err := os.ReadDir(srv.Root())
		require.NoError(t, err)
		assert.Empty(t, left, "files left on the server")
	}
}

func TestWorkloadsCanBeSwitchedOff(t *testing.T) {
	a := startServer(t, 20800)
	cfg := small(Target{Name: "a", URL: a.URL(), InProcess: true})
	cfg.Rounds = 1
	cfg.Workloads = []string{reports.WorkloadLogins, reports.WorkloadRetr}
	res, err := Run(context.Background(), cfg, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{reports.WorkloadRetr, reports.WorkloadLogins}, res.Workloads, "kept in a round's order")
	assert.Empty(t, res.Ceiling)
	r := res.Targets[0].Rounds[0]
	assert.NotNil(t, r.Retr)
	assert.NotNil(t, r.Logins)
	assert.Nil(t, r.Stor)
	assert.Nil(t, r.Small)
	assert.Nil(t, r.Idle)
}

func TestBadConfiguration(t *testing.T) {
	url := "ftp://test:test@127.0.0.1:2121"
	tests := []struct {
		name  string
		cfg   Config
		field string
		want  string
	}{
		{"no target", Config{}, "target", "no target"},
		{"duplicate name", Config{Targets: []Target{{Name: "a", URL: url}, {Name: "a", URL: url}}}, "target", `duplicate target name "a"`},
		{"no name", Config{Targets: []Target{{URL: url}}}, "target", "has no name"},
		{"bad url", Config{Targets: []Target{{Name: "a", URL: "http://x"}}}, "target", "not ftp"},
		{"pid not a process", Config{Targets: []Target{{Name: "a", URL: url, PID: 1 << 30}}}, "pid", "no such local process"},
		{"unknown workload", Config{Targets: []Target{{Name: "a", URL: url}}, Workloads: []string{"retr", "put"}}, "workloads", `unknown workload "put"`},
		{"rounds", Config{Targets: []Target{{Name: "a", URL: url}}, Rounds: -1}, "rounds", "want 1 to 100"},
		{"idle", Config{Targets: []Target{{Name: "a", URL: url}}, IdleSessions: 9000}, "idle_sessions", "want 1 to 8000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), tt.cfg, nil)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			assert.Contains(t, ce.Error(), tt.want)
		})
	}
}

func TestTargetDownAtStartBenchesNothing(t *testing.T) {
	a := startServer(t, 21000)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	rec := &recorder{}
	res, err := Run(context.Background(), small(Target{Name: "a", URL: a.URL()}, Target{Name: "dead", URL: "ftp://test:test@" + dead}), rec)
	var de *DownError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "dead", de.Target)
	assert.Nil(t, res)
	assert.Empty(t, rec.begun, "nothing benched")
}

func TestTargetDyingMidBenchLeavesItsFiguresMissing(t *testing.T) {
	a, b := startServer(t, 21400), startServer(t, 21800)
	rec := &recorder{}
	rec.at = func(s Step) {
		// b dies as round 2 begins: round 1 is whole, round 2 has none of b's figures.
		if s.Round == 2 && s.Workload == reports.WorkloadCeiling {
			require.NoError(t, b.Close())
		}
	}
	res, err := Run(context.Background(), small(Target{Name: "a", URL: a.URL(), InProcess: true}, Target{Name: "b", URL: b.URL(), InProcess: true}), rec)
	var le *LostError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, []string{"b"}, le.Targets)
	require.NotNil(t, res, "a partial bench comes back with the error")
	ta, tb := res.Targets[0], res.Targets[1]
	assert.Empty(t, ta.Lost)
	for _, r := range ta.Rounds {
		assert.Empty(t, r.Missing)
		assert.NotNil(t, r.Retr)
		assert.NotNil(t, r.Idle)
	}
	assert.Contains(t, tb.Lost, "round 2")
	assert.Empty(t, tb.Rounds[0].Missing)
	assert.NotNil(t, tb.Rounds[0].Small)
	assert.ElementsMatch(t, []string{"retr", "stor", "small", "logins", "idle"}, tb.Rounds[1].Missing)
	assert.Nil(t, tb.Rounds[1].Retr, "a figure taken while the server died is dropped")
	s := tb.Summary(reports.BenchMetrics[0])
	assert.Equal(t, 1, s.N)
	assert.Equal(t, 1, s.Missing)
}

func TestCeilingBothWays(t *testing.T) {
	for _, sendfile := range []bool{true, false} {
		bps, err := ceiling(context.Background(), netip.MustParseAddr("127.0.0.1"), 3<<20+12345, sendfile, 10*time.Second)
		require.NoError(t, err, "sendfile=%v", sendfile)
		assert.Greater(t, bps, 1e6)
	}
}

func TestLocalAddr(t *testing.T) {
	for host, want := range map[string]bool{"127.0.0.1": true, "127.0.0.9": true, "::1": true, "localhost": true, "192.0.2.1": false, "ftp.example.com": false} {
		_, ok := localAddr(host)
		assert.Equal(t, want, ok, host)
	}
}

func TestTreePSSCountsChildren(t *testing.T) {
	// The child holds 64 MiB of private memory, so its share dwarfs the jitter of this process's
	// own PSS (the garbage collector, shared pages of processes that come and go).
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: it plays a child process with a known amount of memory")
	}
	const childMem = 64 << 20
	cmd := exec.Command(py, "-c", "import time; x = bytearray(64 << 20); time.sleep(60)")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	assert.Contains(t, descendants(os.Getpid()), cmd.Process.Pid)
	require.Eventually(t, func() bool {
		kib, err := readPSS(cmd.Process.Pid)
		return err == nil && kib*1024 >= childMem
	}, 10*time.Second, 20*time.Millisecond, "the child never held its 64 MiB")
	self, err := readPSS(os.Getpid())
	require.NoError(t, err)
	total, n, err := treePSS(os.Getpid())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 2)
	assert.Greater(t, total, self+childMem/2/1024, "the tree's PSS (KiB) must include the child's 64 MiB")
}

func TestScenarioBenchSection(t *testing.T) {
	good := `name: nightly
bench:
  rounds: 2
  workloads: [retr, small]
  big_size: 8MiB
  small_sessions: 7
  timeout: 5s
  targets:
    - {name: vsftpd, url: "ftp://test:test@127.0.0.1:2131", pid: ` + strconv.Itoa(os.Getpid()) + `}
`
	sc, err := loadgen.Parse("s.yaml", []byte(good))
	require.NoError(t, err)
	cfg := Defaults()
	require.NoError(t, FromScenario(&sc, &cfg))
	assert.Equal(t, 2, cfg.Rounds)
	assert.Equal(t, []string{"retr", "small"}, cfg.Workloads)
	assert.Equal(t, int64(8<<20), cfg.BigSize)
	assert.Equal(t, 7, cfg.SmallSessions)
	assert.Equal(t, 5*time.Second, cfg.Timeout)
	require.Len(t, cfg.Targets, 1)
	assert.Equal(t, Target{Name: "vsftpd", URL: "ftp://test:test@127.0.0.1:2131", PID: os.Getpid()}, cfg.Targets[0])

	bad := []struct{ doc, want string }{
		{"bench:\n  rounds: 2\n  roundz: 3\n", "s.yaml:3: bench.roundz: unknown key"},
		{"bench:\n  rounds: two\n", "s.yaml:2: bench.rounds:"},
		{"bench:\n  big_size: huge\n", "s.yaml:2: bench.big_size:"},
		{"bench:\n  rounds: 1\n  rounds: 2\n", "rounds"},
		{"bench:\n  targets:\n    - {name: a, url: ftp://x, color: red}\n", "s.yaml:3: bench.targets.color: unknown key"},
		{"bench: [1, 2]\n", "s.yaml:1: bench: want a mapping"},
	}
	for _, b := range bad {
		sc, err := loadgen.Parse("s.yaml", []byte(b.doc))
		if err == nil {
			cfg := Defaults()
			err = FromScenario(&sc, &cfg)
		}
		require.Error(t, err, b.doc)
		assert.Contains(t, err.Error(), b.want, b.doc)
		var fe *loadgen.FieldError
		assert.True(t, errors.As(err, &fe), "a FieldError: %v", err)
	}
}
