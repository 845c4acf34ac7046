package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/loadgen"
	"github.com/ftpspec/ftpspec/loadgen/bench"
	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

var targetNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func newBenchCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		targets, pids       []string
		scenarioFile, label string
		skip                string
		out                 outputs
	)
	sizes := map[string]*string{}
	counts := map[string]*int{}
	var rounds int
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "bench [--target NAME=URL]... [--pid NAME=PID]... [--rounds R] [--json FILE] [--html FILE] [--markdown FILE]",
		Short: "Bench FTP servers side by side, in interleaved rounds, with the machine's TCP ceiling",
		Long: "bench measures every target in the same sitting, in rounds interleaved over targets and workloads so\n" +
			"that the machine's drift hits every server alike:\n" +
			"  ceiling  one TCP stream on the targets' local address, sender and receiver in ftpspec, with\n" +
			"           sendfile(2) and with a plain write loop: the limit the big transfers are held against\n" +
			"  retr     one session downloads one big file (--big-size), every byte verified\n" +
			"  stor     one session uploads one big file, read back (or hashed) and verified after\n" +
			"  small    --small-sessions × --small-transfers × --small-size in barrier rounds, every byte verified\n" +
			"  logins   sessions opened, logged in and closed per second\n" +
			"  idle     --idle-sessions logged-in idle sessions; with --pid NAME=PID, the PSS of the server's\n" +
			"           process tree before and while they are held, per session\n" +
			"Each figure is the median over --rounds with min–max, a ratio to the best server, and for big\n" +
			"transfers a ratio to the ceiling. A server with failures shows ok/attempted and is never ranked.\n" +
			"Without --target it benches an embedded reference server. Files go to a work directory under each\n" +
			"target's URL path and are deleted after. Exit 3 when a target is down at the start (nothing benched)\n" +
			"or stops answering (its remaining figures missing, the document partial); exit 1 when a server\n" +
			"delivered wrong bytes.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := bench.Defaults()
			if scenarioFile != "" {
				sc, err := loadgen.LoadFile(scenarioFile)
				if err != nil {
					return usageErr(err)
				}
				if err := bench.FromScenario(&sc, &cfg); err != nil {
					return usageErr(err)
				}
				if label == "" {
					label = sc.Name
				}
			}
			if err := benchFlags(cmd, &cfg, targets, pids, skip, sizes, counts, rounds, timeout); err != nil {
				return usageErr(err)
			}
			var embedded *reference.Server
			if len(cfg.Targets) == 0 {
				srv, err := reference.New(reference.Config{Listen: "127.0.0.1:0", PasvPorts: benchPasvRange(cfg)})
				if err != nil {
					return fmt.Errorf("start embedded reference server: %w", err)
				}
				embedded = srv
				defer func() { _ = srv.Close() }()
				cfg.Targets = []bench.Target{{Name: "reference", URL: srv.URL(), InProcess: true}}
			}
			if err := cfg.Validate(); err != nil {
				return usageErr(err)
			}
			if err := out.check(); err != nil {
				return err
			}
			run := &reports.Run{
				Schema:  reports.SchemaV1,
				Tool:    toolOf(buildInfo()),
				Label:   label,
				Target:  reports.Target{URL: benchTargetsURL(cfg.Targets), Embedded: embedded != nil},
				Started: time.Now().UTC(),
			}
			if run.Label == "" {
				run.Label = "bench"
			}
			obs := newBenchProgress(stderr)
			b, err := bench.Run(cmd.Context(), cfg, obs)
			obs.Close()
			run.Finished = time.Now().UTC()
			if b == nil {
				return err
			}
			run.Bench = b
			run.Partial = err != nil
			if err != nil {
				run.PartialReason = terminalSafe(oneLine(err.Error()))
			}
			human := out.human(stdout, stderr)
			if werr := reports.WriteBenchMarkdown(human, b); werr != nil {
				return werr
			}
			werr := out.write(stdout, human, run)
			if err != nil {
				return withWriteErr(err, werr)
			}
			if bad := reports.BenchWrongBytes(b); bad != "" {
				return withWriteErr(failedErr(errors.New(bad)), werr)
			}
			return withWriteErr(nil, werr)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&targets, "target", nil, "a server to bench, NAME=ftp://user:pass@host:port[/dir] (repeatable; default: an embedded reference server)")
	f.StringArrayVar(&pids, "pid", nil, "NAME=PID: the local process of target NAME, for its memory per idle session (repeatable)")
	f.IntVar(&rounds, "rounds", 0, "interleaved rounds (default 3)")
	f.StringVar(&scenarioFile, "scenario", "", "scenario YAML file whose bench: section sets targets and workloads (flags override it)")
	f.StringVar(&label, "label", "", "a name for this bench in reports")
	f.StringVar(&skip, "skip", "", "workloads to switch off, comma-separated: "+strings.Join(reports.BenchWorkloads, ","))
	for _, s := range []struct{ name, usage string }{
		{"big-size", "bytes of the RETR/STOR big file (default 1GiB)"},
		{"ceiling-size", "bytes per ceiling stream (default 1GiB)"},
		{"small-size", "bytes per small transfer (default 64KiB)"},
	} {
		sizes[s.name] = f.String(s.name, "", s.usage)
	}
	for _, c := range []struct{ name, usage string }{
		{"small-sessions", "sessions of the small-transfer workload (default 100)"},
		{"small-transfers", "transfers per session of the small-transfer workload (default 10)"},
		{"logins", "logins per round (default 300)"},
		{"login-parallel", "clients logging in at once (default 8)"},
		{"idle-sessions", "idle logged-in sessions held at once (default 200)"},
	} {
		counts[c.name] = f.Int(c.name, 0, c.usage)
	}
	f.DurationVar(&timeout, "timeout", 0, "deadline for each network operation (default 60s)")
	out.register(f, true)
	return cmd
}

// benchFlags applies the command line over cfg (defaults, then the scenario's bench: section).
func benchFlags(cmd *cobra.Command, cfg *bench.Config, targets, pids []string, skip string,
	sizes map[string]*string, counts map[string]*int, rounds int, timeout time.Duration) error {
	fl := cmd.Flags()
	if len(targets) > 0 {
		cfg.Targets = nil
		for _, t := range targets {
			name, u, ok := strings.Cut(t, "=")
			if !ok || !strings.Contains(u, "://") {
				return fmt.Errorf("--target %q: want NAME=URL, such as vsftpd=ftp://test:test@127.0.0.1:2131", redactTarget(t))
			}
			if !targetNameRE.MatchString(name) {
				return fmt.Errorf("--target %q: name %q: want letters, digits, '.', '_' or '-'", redactTarget(t), name)
			}
			cfg.Targets = append(cfg.Targets, bench.Target{Name: name, URL: u})
		}
	}
	for _, p := range pids {
		name, v, ok := strings.Cut(p, "=")
		pid, err := strconv.Atoi(v)
		if !ok || err != nil || pid <= 0 {
			return fmt.Errorf("--pid %q: want NAME=PID, such as vsftpd=1234", p)
		}
		found := false
		for i := range cfg.Targets {
			if cfg.Targets[i].Name == name {
				cfg.Targets[i].PID, found = pid, true
			}
		}
		if !found {
			return fmt.Errorf("--pid %q: no target named %q", p, name)
		}
	}
	if fl.Changed("rounds") {
		cfg.Rounds = rounds
		if rounds < 1 {
			return fmt.Errorf("--rounds %d: want at least 1", rounds)
		}
	}
	if fl.Changed("timeout") {
		if timeout <= 0 {
			return fmt.Errorf("--timeout %s: want a positive duration", timeout)
		}
		cfg.Timeout = timeout
	}
	if skip != "" {
		off := map[string]bool{}
		for _, w := range strings.Split(skip, ",") {
			w = strings.ToLower(strings.TrimSpace(w))
			if !slices.Contains(reports.BenchWorkloads, w) {
				return fmt.Errorf("--skip %q: unknown workload %q (known: %s)", skip, w, strings.Join(reports.BenchWorkloads, ", "))
			}
			off[w] = true
		}
		var keep []string
		for _, w := range cfg.Workloads {
			if !off[w] {
				keep = append(keep, w)
			}
		}
		if len(keep) == 0 {
			return fmt.Errorf("--skip %q: switches off every workload", skip)
		}
		cfg.Workloads = keep
	}
	dst := map[string]*int64{"big-size": &cfg.BigSize, "ceiling-size": &cfg.CeilingSize, "small-size": &cfg.SmallSize}
	for name, v := range sizes {
		if !fl.Changed(name) {
			continue
		}
		n, err := loadgen.ParseSize(*v)
		if err != nil || n <= 0 {
			return fmt.Errorf("--%s %q: want a size such as 64KiB or 1GiB", name, *v)
		}
		*dst[name] = n
	}
	idst := map[string]*int{"small-sessions": &cfg.SmallSessions, "small-transfers": &cfg.SmallTransfers,
		"logins": &cfg.Logins, "login-parallel": &cfg.LoginParallel, "idle-sessions": &cfg.IdleSessions}
	for name, v := range counts {
		if !fl.Changed(name) {
			continue
		}
		if *v < 1 {
			return fmt.Errorf("--%s %d: want at least 1", name, *v)
		}
		*idst[name] = *v
	}
	return nil
}

func redactTarget(s string) string {
	name, u, ok := strings.Cut(s, "=")
	if !ok {
		return s
	}
	if t, err := target.Parse(u); err == nil {
		return name + "=" + t.String()
	}
	return name + "=…"
}

// benchPasvRange sizes the embedded server's passive range to the small-transfer sessions, below
// the ephemeral ports.
func benchPasvRange(cfg bench.Config) reference.PortRange {
	need := 2*max(cfg.SmallSessions, 1) + 100
	r, _ := reference.ParsePortRange(fmt.Sprintf("%d-%d", 32767-max(need, 1000)+1, 32767))
	return r
}

func benchTargetsURL(ts []bench.Target) string {
	var parts []string
	for _, t := range ts {
		u := "?"
		if p, err := target.Parse(t.URL); err == nil {
			u = p.String()
		}
		parts = append(parts, t.Name+"="+u)
	}
	return strings.Join(parts, " ")
}

// benchProgress shows which round, server and workload runs: a bar on a terminal, a line per
// finished step otherwise.
type benchProgress interface {
	bench.Observer
	Close()
}

func newBenchProgress(w io.Writer) benchProgress {
	if loadgen.IsTerminal(w) {
		return newBenchBars(w)
	}
	return &benchLines{w: w}
}

type benchLines struct {
	w     io.Writer
	start time.Time
}

func (l *benchLines) Begin(bench.Step) { l.start = time.Now() }
func (l *benchLines) End(s bench.Step, summary string) {
	fmt.Fprintf(l.w, "bench [%d/%d] round %d/%d  %-12s %-8s %s (%.1fs)\n", s.Index, s.Total, s.Round, s.Rounds,
		s.Target, s.Workload, summary, time.Since(l.start).Seconds())
}
func (l *benchLines) Close() {}

type benchBars struct {
	p   *mpb.Progress
	bar *mpb.Bar
	mu  sync.Mutex
	cur string
	w   io.Writer
}

func newBenchBars(w io.Writer) *benchBars {
	b := &benchBars{w: w, p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(30), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithAutoRefresh())}
	return b
}

func (b *benchBars) Begin(s bench.Step) {
	b.mu.Lock()
	b.cur = fmt.Sprintf("round %d/%d · %s · %s", s.Round, s.Rounds, s.Target, s.Workload)
	if b.bar == nil {
		b.bar = b.p.AddBar(int64(s.Total),
			mpb.PrependDecorators(decor.Name("bench "), decor.CountersNoUnit("%d/%d ")),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
				b.mu.Lock()
				defer b.mu.Unlock()
				return b.cur
			}), decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)),
		)
	}
	b.mu.Unlock()
}

func (b *benchBars) End(s bench.Step, summary string) {
	b.mu.Lock()
	bar := b.bar
	b.mu.Unlock()
	if bar != nil {
		bar.Increment()
	}
	// Keep each step's result on screen above the bar.
	_, _ = b.p.Write([]byte(fmt.Sprintf("round %d/%d  %-12s %-8s %s\n", s.Round, s.Rounds, s.Target, s.Workload, summary)))
}

func (b *benchBars) Close() {
	b.mu.Lock()
	bar := b.bar
	b.mu.Unlock()
	if bar != nil {
		bar.SetTotal(-1, true)
	} else {
		b.p.Shutdown()
		return
	}
	b.p.Wait()
}
