// Package bench runs FTP servers side by side: interleaved rounds of workloads (the TCP ceiling
// of the path, a big RETR and STOR, many small verified transfers, logins, idle sessions) against
// named targets, and returns every round's raw values as a reports.Bench. It prints nothing;
// an Observer hears which round, target and workload runs.
package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reports"
)

// Target is one server to bench.
type Target struct {
	Name string
	URL  string // ftp://user:pass@host:port[/dir]; the password stays out of the results
	// PID is the server's process on this machine, for its memory per idle session; 0: unknown.
	PID int
	// InProcess says the server runs inside this process (the embedded reference), so its
	// descriptors count against the same limit as the sessions'.
	InProcess bool
}

// Config is what a bench runs. Zero values take the defaults of Defaults.
type Config struct {
	Targets   []Target
	Rounds    int
	Workloads []string // a subset of reports.BenchWorkloads; empty: all of them

	BigSize        int64 // RETR/STOR big file
	CeilingSize    int64 // bytes per ceiling stream
	SmallSessions  int
	SmallTransfers int
	SmallSize      int64
	Logins         int
	LoginParallel  int
	IdleSessions   int
	Timeout        time.Duration // for each network operation
}

// Defaults returns the configuration of a default run: a few minutes on two cores against one
// server on loopback.
func Defaults() Config {
	return Config{
		Rounds:         3,
		Workloads:      slices.Clone(reports.BenchWorkloads),
		BigSize:        1 << 30,
		CeilingSize:    1 << 30,
		SmallSessions:  100,
		SmallTransfers: 10,
		SmallSize:      64 << 10,
		Logins:         300,
		LoginParallel:  8,
		IdleSessions:   200,
		Timeout:        60 * time.Second,
	}
}

// ConfigError is a problem with the configuration: a field and its value. Nothing was benched.
type ConfigError struct {
	Field   string
	Problem string
}

func (e *ConfigError) Error() string { return e.Field + ": " + e.Problem }

// DownError says a target could not be reached or logged into before the bench started; nothing
// was benched.
type DownError struct {
	Target string
	Err    error
}

func (e *DownError) Error() string {
	return fmt.Sprintf("target %s is down before the bench started (nothing benched): %v", e.Target, e.Err)
}
func (e *DownError) Unwrap() error { return e.Err }

// LostError says targets stopped answering during the bench: their remaining figures are
// missing; the others finished. The bench returned with it is complete otherwise.
type LostError struct {
	Targets []string
}

func (e *LostError) Error() string {
	return fmt.Sprintf("target(s) %s stopped answering mid-bench: their remaining figures are missing", strings.Join(e.Targets, ", "))
}

// Step is one workload run against one target (or the ceiling on one address) in one round.
type Step struct {
	Round, Rounds int
	Target        string // the target's name, or the address for the ceiling
	Workload      string
	Index, Total  int // this step's 1-based position among all steps
}

// Observer follows a bench. Its methods are called from the goroutine that called Run.
type Observer interface {
	Begin(s Step)
	// End reports the step's outcome as one short line of text ("1.2 GB/s", "missing: ...").
	End(s Step, summary string)
}

// Validate checks the configuration and fills in the defaults.
func (c *Config) Validate() error {
	d := Defaults()
	if len(c.Targets) == 0 {
		return &ConfigError{"target", "no target"}
	}
	seen := map[string]bool{}
	for i, t := range c.Targets {
		if t.Name == "" {
			return &ConfigError{"target", fmt.Sprintf("target %d (%s) has no name (want NAME=URL)", i+1, redact(t.URL))}
		}
		if seen[t.Name] {
			return &ConfigError{"target", fmt.Sprintf("duplicate target name %q", t.Name)}
		}
		seen[t.Name] = true
		if _, err := target.Parse(t.URL); err != nil {
			return &ConfigError{"target", fmt.Sprintf("%s: %v", t.Name, err)}
		}
		if t.PID != 0 {
			if err := checkPID(t.PID); err != nil {
				return &ConfigError{"pid", fmt.Sprintf("%s=%d: %v", t.Name, t.PID, err)}
			}
		}
	}
	if c.Rounds == 0 {
		c.Rounds = d.Rounds
	}
	if c.Rounds < 1 || c.Rounds > 100 {
		return &ConfigError{"rounds", fmt.Sprintf("%d: want 1 to 100", c.Rounds)}
	}
	if len(c.Workloads) == 0 {
		c.Workloads = d.Workloads
	}
	for _, w := range c.Workloads {
		if !slices.Contains(reports.BenchWorkloads, w) {
			return &ConfigError{"workloads", fmt.Sprintf("unknown workload %q (known: %s)", w, strings.Join(reports.BenchWorkloads, ", "))}
		}
	}
	// Keep the round's order whatever order they were given in.
	var ordered []string
	for _, w := range reports.BenchWorkloads {
		if slices.Contains(c.Workloads, w) {
			ordered = append(ordered, w)
		}
	}
	c.Workloads = ordered
	fill := func(v *int64, def int64, field string, lo, hi int64) error {
		if *v == 0 {
			*v = def
		}
		if *v < lo || *v > hi {
			return &ConfigError{field, fmt.Sprintf("%d: want %d to %d", *v, lo, hi)}
		}
		return nil
	}
	filli := func(v *int, def int, field string, lo, hi int) error {
		x := int64(*v)
		err := fill(&x, int64(def), field, int64(lo), int64(hi))
		*v = int(x)
		return err
	}
	return errors.Join(
		fill(&c.BigSize, d.BigSize, "big_size", 1, 1<<40),
		fill(&c.CeilingSize, d.CeilingSize, "ceiling_size", 1<<16, 1<<40),
		filli(&c.SmallSessions, d.SmallSessions, "small_sessions", 1, 5000),
		filli(&c.SmallTransfers, d.SmallTransfers, "small_transfers", 1, 100000),
		fill(&c.SmallSize, d.SmallSize, "small_size", 1, 1<<30),
		filli(&c.Logins, d.Logins, "logins", 1, 1000000),
		filli(&c.LoginParallel, d.LoginParallel, "login_parallel", 1, 256),
		filli(&c.IdleSessions, d.IdleSessions, "idle_sessions", 1, 8000),
		func() error {
			if c.Timeout == 0 {
				c.Timeout = d.Timeout
			}
			if c.Timeout < 0 {
				return &ConfigError{"timeout", c.Timeout.String() + ": want a positive duration"}
			}
			return nil
		}(),
	)
}

func (c *Config) has(w string) bool { return slices.Contains(c.Workloads, w) }

// checkPID makes sure pid is a process on this machine whose memory can be read.
func checkPID(pid int) error {
	if pid < 0 {
		return errors.New("not a process id")
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		return errors.New("no such local process")
	}
	if _, err := readPSS(pid); err != nil {
		return fmt.Errorf("its memory cannot be read: %w", err)
	}
	return nil
}

// bencher is one Run's state.
type bencher struct {
	cfg     Config
	obs     Observer
	targets []*benchTarget
	out     *reports.Bench
	step    int
	total   int
}

type benchTarget struct {
	Target
	tgt  target.Target
	res  *reports.BenchTarget
	lost error
}

// Run benches the targets in interleaved rounds. Every target must answer and accept its login
// first (a *DownError otherwise, and nothing is benched). A target that stops answering later
// has its remaining figures marked missing while the others finish: Run then returns the bench
// with a *LostError. Cancelling ctx returns what was measured with ctx's error.
func Run(ctx context.Context, cfg Config, obs Observer) (*reports.Bench, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if obs == nil {
		obs = nopObserver{}
	}
	b := &bencher{cfg: cfg, obs: obs}
	b.out = &reports.Bench{
		Rounds:    cfg.Rounds,
		Workloads: cfg.Workloads,
		Machine:   machine(),
		Config: reports.BenchConfig{
			BigSize: cfg.BigSize, CeilingSize: cfg.CeilingSize,
			SmallSessions: cfg.SmallSessions, SmallTransfers: cfg.SmallTransfers, SmallSize: cfg.SmallSize,
			Logins: cfg.Logins, LoginParallel: cfg.LoginParallel, IdleSessions: cfg.IdleSessions,
			TimeoutS: cfg.Timeout.Seconds(),
		},
	}
	for _, t := range cfg.Targets {
		tgt, _ := target.Parse(t.URL) // validated
		bt := &benchTarget{Target: t, tgt: tgt}
		bt.res = &reports.BenchTarget{Name: t.Name, URL: tgt.String(), PID: t.PID}
		b.targets = append(b.targets, bt)
	}
	// Every target must be up before anything is measured: a bench with a server missing from
	// the start is not a comparison.
	for _, t := range b.targets {
		banner, err := b.login(ctx, t)
		if err != nil {
			return nil, &DownError{Target: t.Name, Err: err}
		}
		t.res.Banner = banner
	}
	var addrs []string
	if cfg.has(reports.WorkloadCeiling) {
		for _, t := range b.targets {
			a, ok := localAddr(t.tgt.Host)
			if !ok {
				continue
			}
			t.res.CeilingAddr = a.String()
			if !slices.Contains(addrs, a.String()) {
				addrs = append(addrs, a.String())
				b.out.Ceiling = append(b.out.Ceiling, reports.BenchCeiling{Addr: a.String()})
			}
		}
	}
	perTarget := 0
	for _, w := range cfg.Workloads {
		if w != reports.WorkloadCeiling {
			perTarget++
		}
	}
	b.total = cfg.Rounds * (len(addrs) + perTarget*len(b.targets))

	for round := 1; round <= cfg.Rounds; round++ {
		for _, t := range b.targets {
			t.res.Rounds = append(t.res.Rounds, reports.BenchRound{Round: round})
		}
		// Rotate the targets' order every round, so no server always goes first after the ceiling.
		order := make([]*benchTarget, len(b.targets))
		for i := range b.targets {
			order[i] = b.targets[(i+round-1)%len(b.targets)]
		}
		for _, w := range cfg.Workloads {
			if ctx.Err() != nil {
				return b.finish(), context.Cause(ctx)
			}
			if w == reports.WorkloadCeiling {
				for i := range b.out.Ceiling {
					b.ceilingStep(ctx, round, &b.out.Ceiling[i])
				}
				continue
			}
			for _, t := range order {
				if ctx.Err() != nil {
					return b.finish(), context.Cause(ctx)
				}
				b.targetStep(ctx, round, w, t)
			}
		}
	}
	out := b.finish()
	var lost []string
	for _, t := range b.targets {
		if t.lost != nil {
			lost = append(lost, t.Name)
		}
	}
	if len(lost) > 0 {
		return out, &LostError{Targets: lost}
	}
	return out, nil
}

func (b *bencher) finish() *reports.Bench {
	b.out.Targets = b.out.Targets[:0]
	for _, t := range b.targets {
		if t.lost != nil {
			t.res.Lost = t.lost.Error()
		}
		b.out.Targets = append(b.out.Targets, *t.res)
	}
	return b.out
}

func (b *bencher) begin(round int, name, workload string) Step {
	b.step++
	s := Step{Round: round, Rounds: b.cfg.Rounds, Target: name, Workload: workload, Index: b.step, Total: b.total}
	b.obs.Begin(s)
	return s
}

// ceilingAttempts is how many streams per mode a round's ceiling takes the best of.
const ceilingAttempts = 2

func (b *bencher) ceilingStep(ctx context.Context, round int, c *reports.BenchCeiling) {
	s := b.begin(round, c.Addr, reports.WorkloadCeiling)
	cr := reports.BenchCeilingRound{Round: round}
	addr := netip.MustParseAddr(c.Addr)
	// A ceiling is a limit: the better of two streams per mode, alternated, so that one stream
	// slowed by a neighbour's burst does not lower the bar the servers are held against.
	var err error
	for i := 0; i < ceilingAttempts && err == nil; i++ {
		for _, sendfile := range []bool{true, false} {
			var v float64
			if v, err = ceiling(ctx, addr, b.cfg.CeilingSize, sendfile, b.cfg.Timeout); err != nil {
				break
			}
			if sendfile {
				cr.SendfileBytesPerS = max(cr.SendfileBytesPerS, v)
			} else {
				cr.WriteBytesPerS = max(cr.WriteBytesPerS, v)
			}
		}
	}
	summary := fmt.Sprintf("sendfile %s, write loop %s", rate(cr.SendfileBytesPerS), rate(cr.WriteBytesPerS))
	if err != nil {
		cr.Error = err.Error()
		summary = "error: " + cr.Error
	}
	c.Rounds = append(c.Rounds, cr)
	b.obs.End(s, summary)
}

// targetStep runs one workload against one target in this round.
func (b *bencher) targetStep(ctx context.Context, round int, w string, t *benchTarget) {
	s := b.begin(round, t.Name, w)
	r := &t.res.Rounds[len(t.res.Rounds)-1]
	if t.lost != nil {
		r.Missing = append(r.Missing, w)
		b.obs.End(s, "missing: the target stopped answering earlier")
		return
	}
	var summary string
	var failed bool // the workload did not complete: is the target still there?
	switch w {
	case reports.WorkloadRetr, reports.WorkloadStor:
		big := b.big(ctx, t, w)
		if w == reports.WorkloadRetr {
			r.Retr = big
		} else {
			r.Stor = big
		}
		summary = fmt.Sprintf("%s, %d/%d ok", rate(big.BytesPerS), big.OK, big.Attempted)
		failed = big.OK < big.Attempted
		if big.Error != "" {
			summary += ": " + big.Error
		}
	case reports.WorkloadSmall:
		sm := b.small(ctx, t)
		r.Small = sm
		c := sm.Transfers
		summary = fmt.Sprintf("%.0f transfers/s, p50 %.1f ms, p99 %.1f ms, %d/%d ok, %d failed, %d misrouted",
			sm.TransfersPerS, sm.P50MS, sm.P99MS, c.OK, c.Attempted, c.Failed, c.Misrouted)
		failed = c.OK < c.Attempted || sm.Error != ""
		if sm.Error != "" {
			summary += ": " + sm.Error
		} else if sm.FirstFailure != "" {
			summary += "; first: " + sm.FirstFailure
		}
	case reports.WorkloadLogins:
		l := b.logins(ctx, t)
		r.Logins = l
		summary = fmt.Sprintf("%.0f logins/s, %d/%d ok", l.PerS, l.OK, l.Attempted)
		failed = l.OK < l.Attempted
		if l.Error != "" {
			summary += ": " + l.Error
		}
	case reports.WorkloadIdle:
		id := b.idle(ctx, t)
		r.Idle = id
		summary = fmt.Sprintf("%d/%d sessions held", id.OK, id.Attempted)
		if id.MemoryMeasured {
			summary += fmt.Sprintf(", PSS %d → %d KiB, %.1f KiB per session", id.PSSBeforeKiB, id.PSSAtKiB, id.KiBPerSession)
		}
		failed = id.OK < id.Attempted
		if id.Error != "" {
			summary += ": " + id.Error
		}
	}
	if failed && ctx.Err() == nil {
		if err := alive(ctx, t.tgt.Addr(), b.cfg.Timeout); err != nil {
			t.lost = fmt.Errorf("round %d, %s: %w", round, w, err)
			r.Missing = append(r.Missing, w)
			clearWorkload(r, w)
			summary = "missing: " + err.Error()
		}
	}
	b.obs.End(s, summary)
}

// clearWorkload drops a figure taken while the target went away: it measures the crash, not the server.
func clearWorkload(r *reports.BenchRound, w string) {
	switch w {
	case reports.WorkloadRetr:
		r.Retr = nil
	case reports.WorkloadStor:
		r.Stor = nil
	case reports.WorkloadSmall:
		r.Small = nil
	case reports.WorkloadLogins:
		r.Logins = nil
	case reports.WorkloadIdle:
		r.Idle = nil
	}
}

// alive reports whether addr still accepts a TCP connection, retried for a moment so that a busy
// listen queue is not taken for a dead server.
func alive(ctx context.Context, addr string, timeout time.Duration) error {
	var err error
	for i := 0; i < 3; i++ {
		d := net.Dialer{Timeout: min(timeout, 3*time.Second)}
		var c net.Conn
		if c, err = d.DialContext(ctx, "tcp", addr); err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return err
		}
	}
	return fmt.Errorf("%s no longer accepts connections: %w", addr, err)
}

// localAddr resolves host to an address of this machine, on which the ceiling can be measured.
func localAddr(host string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(host)
	if err != nil {
		if host != "localhost" {
			return netip.Addr{}, false
		}
		a = netip.MustParseAddr("127.0.0.1")
	}
	a = a.Unmap()
	if a.IsLoopback() {
		return a, true
	}
	ifs, err := net.InterfaceAddrs()
	if err != nil {
		return netip.Addr{}, false
	}
	for _, ia := range ifs {
		if p, err := netip.ParsePrefix(ia.String()); err == nil && p.Addr().Unmap() == a {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// machine describes where the figures were taken.
func machine() string {
	host, _ := os.Hostname()
	s := fmt.Sprintf("%s, %d CPUs, %s/%s", host, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		s += ", Linux " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				s += ", " + strings.TrimSpace(v)
				break
			}
		}
	}
	return s
}

func rate(bps float64) string {
	switch {
	case bps >= 1e9:
		return fmt.Sprintf("%.2f GB/s", bps/1e9)
	case bps >= 1e6:
		return fmt.Sprintf("%.1f MB/s", bps/1e6)
	}
	return fmt.Sprintf("%.0f kB/s", bps/1e3)
}

func redact(raw string) string {
	if t, err := target.Parse(raw); err == nil {
		return t.String()
	}
	return "?"
}

type nopObserver struct{}

func (nopObserver) Begin(Step)       {}
func (nopObserver) End(Step, string) {}
