package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ftpspec/ftpspec/loadgen"
	"github.com/ftpspec/ftpspec/reports"
)

// loadFlags maps each load flag to the scenario key it sets; a flag overrides the scenario file.
var loadFlags = []struct{ flag, key, usage string }{
	{"sessions", "sessions", "simultaneous sessions (control connections) from one client"},
	{"transfers", "transfers", "transfers per session"},
	{"size", "size", "bytes per transfer: 65536, 64KiB, 1KiB-1MiB"},
	{"ramp-up", "ramp_up", "spread logins over this long (0: burst)"},
	{"duration", "duration", "stop starting transfers after this long"},
	{"think", "think", "pause between a session's transfers"},
	{"mix", "mix", "operations and weights, e.g. RETR or RETR:8,STOR:1"},
	{"mode", "data_mode", "data connection mode: epsv, pasv, port, eprt or mixed"},
	{"tls", "tls", "none, explicit or implicit"},
	{"sources", "sources", "local addresses to spread sessions over, e.g. 127.0.0.1,127.0.0.3"},
	{"steal", "steal", "thief connections from 127.0.0.2 to ports just handed to other sessions"},
	{"thief-source", "thief_source", "the address thieves connect from (default 127.0.0.2)"},
	{"pasv-ports", "pasv_ports", "the passive port range the server is declared to use, LO-HI"},
	{"shard", "shard", "run share i of n of the sessions, e.g. 2/4"},
	{"timeout", "timeout", "deadline for each network operation"},
	{"seed", "seed", "make the choices of operations and sizes repeatable"},
	{"content", "content", "auto, synthetic (server has /synthetic) or upload"},
}

func newLoadCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		targetURL, scenarioFile, label, runID string
		shardEnv                              string
		shards                                int
		thresholds                            []string
		keep, lockstepOff                     bool
		thiefNetns                            string
		out                                   outputs
	)
	cmd := &cobra.Command{
		Use:   "load [--target URL] [--scenario FILE] [--sessions N] [--transfers N] [--size BYTES] [--json FILE] [--html FILE]",
		Short: "Run many simultaneous same-IP transfers with every byte verified",
		Long: "load opens many sessions from one client address, gives every session its own passive data port\n" +
			"at the same moment, opens the data connections in shuffled order, and verifies that every byte\n" +
			"of every transfer belongs to the file that transfer asked for. Misrouted, corrupt and stolen\n" +
			"transfers always fail the run; --threshold adds more gates (misrouted==0, p99<250ms,\n" +
			"transfers_per_s>=3000, error_rate<0.1%). Without --target it runs against an embedded reference server.",
		Example: "  ftpspec load                                                      # against an embedded reference server\n" +
			"  ftpspec load --target ftp://test:test@127.0.0.1:2121 --sessions 500 --transfers 10 --size 1MiB \\\n" +
			"               --threshold 'p99<250ms' --threshold 'transfers_per_s>=1000' --json load.json\n" +
			"  ftpspec load --scenario load.yaml --mix RETR:8,STOR:1 --mode mixed --steal 20\n" +
			"  ftpspec load --target URL --sessions 20000 --transfers 5 --shard 1/4 --json shard1.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc := loadgen.Default()
			if scenarioFile != "" {
				var err error
				if sc, err = loadgen.LoadFile(scenarioFile); err != nil {
					return usageErr(err)
				}
			}
			var ferr error
			if shardEnv != "" || shards != 0 {
				if cmd.Flags().Changed("shard") {
					return usageErr(errors.New("--shard and --shard-from-env/--shards: give one or the other"))
				}
				if shardEnv == "" {
					return usageErr(errors.New("--shards needs --shard-from-env NAME (or use --shard i/n)"))
				}
				sh, err := shardFromEnv(shardEnv, shards, os.Getenv)
				if err != nil {
					return usageErr(err)
				}
				if err := sc.Set("shard", sh); err != nil {
					return usageErr(fmt.Errorf("--shard-from-env: %w", err))
				}
			}
			cmd.Flags().Visit(func(f *pflag.Flag) {
				for _, lf := range loadFlags {
					if lf.flag == f.Name {
						if err := sc.Set(lf.key, f.Value.String()); err != nil {
							ferr = errors.Join(ferr, fmt.Errorf("--%s: %w", f.Name, err))
						}
					}
				}
			})
			if ferr != nil {
				return usageErr(ferr)
			}
			if len(thresholds) > 0 {
				sc.Thresholds = append(sc.Thresholds, thresholds...)
				sc.FromFlag("thresholds")
			}
			if cmd.Flags().Changed("keep") {
				sc.Keep = keep
			}
			if lockstepOff {
				sc.Lockstep = false
			}
			if targetURL == "" {
				targetURL = sc.Target
			}
			if err := sc.Validate(); err != nil {
				return usageErr(err)
			}
			if err := out.check(); err != nil {
				return err
			}
			s, err := openTarget(targetURL, embeddedRange(sc))
			if err != nil {
				return err
			}
			defer s.close()
			if label == "" {
				label = sc.Name
			}
			run := s.newRun(label)
			opts := loadgen.Options{
				Target:          s.urlWithPassword(),
				ServerInProcess: s.embedded != nil,
				Start:           run.Started,
			}
			if thiefNetns != "" {
				if opts.ThiefDial, err = thiefDialer(thiefNetns, sc.ThiefSource); err != nil {
					return usageErr(fmt.Errorf("--thief-netns: %w", err))
				}
			}
			progress := loadgen.NewProgress(stderr, 5*time.Second)
			opts.Observer = progress
			l, lerr := loadgen.Run(cmd.Context(), sc, opts)
			progress.Close()
			run.Finished = time.Now().UTC()
			human := out.human(stdout, stderr)
			if l == nil {
				if !is[*loadgen.TargetError](lerr) && !is[*loadgen.IncompleteError](lerr) {
					return lerr // a usage error: nothing ran, nothing to write
				}
				// The target refused, or the run was stopped before any load: the document
				// still says what was asked, of whom, and why nothing was measured.
				run.Partial = true
				run.PartialReason = terminalSafe(oneLine(lerr.Error()))
				return withWriteErr(lerr, out.write(stdout, human, run))
			}
			if l.Shard != nil {
				tgt := s.target.String()
				if s.embedded != nil {
					tgt = "embedded reference" // a random port per process: the same server to merge
				}
				l.Shard.Run = shardRunID(runID, tgt, sc)
			}
			run.Load = l
			if is[*loadgen.IncompleteError](lerr) {
				run.Partial = true
				run.PartialReason = terminalSafe(oneLine(lerr.Error()))
			}
			printLoadSummary(human, l)
			werr := out.write(stdout, human, run)
			if lerr != nil {
				return withWriteErr(lerr, werr)
			}
			return withWriteErr(loadgen.Verdict(l), werr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&targetURL, "target", "", "server URL ftp://user:pass@host:port[/dir] (default: an embedded reference server)")
	f.StringVar(&scenarioFile, "scenario", "", "scenario YAML file (flags override it)")
	f.StringVar(&label, "label", "", "a name for this run in reports")
	defaults := loadDefaults()
	for _, lf := range loadFlags {
		usage := lf.usage
		if d, ok := defaults[lf.flag]; ok {
			usage += " (default " + d + ")"
		}
		f.String(lf.flag, "", usage)
	}
	f.StringVar(&shardEnv, "shard-from-env", "", "take the 0-based shard index from environment variable NAME (e.g. JOB_COMPLETION_INDEX); with --shards")
	f.IntVar(&shards, "shards", 0, "the number of shards, with --shard-from-env")
	f.StringVar(&runID, "run-id", "", "identity the shards of one run share, checked by 'report merge' (default: derived from the target and the scenario)")
	f.StringArrayVar(&thresholds, "threshold", nil, "fail the run unless EXPR holds, e.g. 'p99<250ms' (repeatable)")
	f.BoolVar(&keep, "keep", false, "leave uploaded files on the server")
	// The NAT lab runs its thieves in a namespace of their own; not for direct use.
	f.StringVar(&thiefNetns, "thief-netns", "", "open the thieves' connections inside this network namespace (used by lab nat)")
	_ = f.MarkHidden("thief-netns")
	f.BoolVar(&lockstepOff, "free-running", false, "let sessions run free instead of in barrier-synchronised rounds")
	out.register(f, true)
	return cmd
}

// embeddedRange sizes an embedded server's passive range to the run, so a big run is not refused
// by the server's default 1000-port range. The range stays below the ephemeral ports.
func embeddedRange(sc loadgen.Scenario) string {
	if sc.PasvPorts != "" {
		return sc.PasvPorts
	}
	need := 2*sc.Sessions + 100
	if need <= 1000 {
		return ""
	}
	return fmt.Sprintf("%d-%d", 32767-min(need, 22000)+1, 32767)
}

func printLoadSummary(w io.Writer, l *reports.Load) {
	t := l.Transfers
	fmt.Fprintf(w, "transfers  %d attempted, %d ok, %d failed, %d misrouted, %d corrupt, %d stolen\n",
		t.Attempted, t.OK, t.Failed, t.Misrouted, t.Corrupt, t.Stolen)
	fmt.Fprintf(w, "rate       %.0f transfers/s, %s/s over %.2f s\n", l.TransfersPerS, humanBytes(l.ThroughputBytesPerS), l.DurationS)
	fmt.Fprintf(w, "latency    p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n", l.LatencyMS.P50, l.LatencyMS.P90, l.LatencyMS.P99, l.LatencyMS.Max)
	fmt.Fprintf(w, "data ports %d distinct, %d shared while pending, peak %d data connections open at once\n",
		l.DataPorts.Distinct, l.DataPorts.SharedWhilePending, l.MaxSimultaneousDataConnections)
	if p := l.Preparation; p != nil {
		fmt.Fprintf(w, "prepare    %d files uploaded", p.Files)
		if p.Retries > 0 {
			keys := slices.Sorted(maps.Keys(p.Refusals))
			var parts []string
			for _, k := range keys {
				parts = append(parts, fmt.Sprintf("%s ×%d", k, p.Refusals[k]))
			}
			fmt.Fprintf(w, ", %d retried after transient refusals (%s)", p.Retries, strings.Join(parts, ", "))
		}
		fmt.Fprintln(w)
	}
	if l.Thieves != nil {
		fmt.Fprintf(w, "thieves    %d attempts from %s, %d connected, %d bytes stolen\n", l.Thieves.Attempts, l.Thieves.Source, l.Thieves.Connected, l.Thieves.BytesStolen)
	}
	for _, th := range l.Thresholds {
		mark := "ok  "
		if !th.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "threshold  %s %s (value %g)\n", mark, th.Expr, th.Value)
	}
}

func humanBytes(v float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return strings.TrimSpace(fmt.Sprintf("%.1f %s", v, units[i]))
}

// shardRunID is the identity 'report merge' uses to refuse shards of different runs: the
// --run-id given, or one derived from what every shard of a run shares (the target and the
// scenario's work, not the shard index), so shards started on different machines agree on it
// without coordination.
func shardRunID(given, target string, sc loadgen.Scenario) string {
	if given != "" {
		return given
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%d|%d|%v|%v|%v|%s|%d|%d|%s|%s",
		target, sc.Sessions, sc.Transfers, sc.Duration, sc.Mix, sc.Size, sc.DataMode, sc.Seed, sc.Shard.Count, sc.TLS, sc.Name)))
	return hex.EncodeToString(sum[:6])
}

// loadDefaults are the defaults a load flag falls back to (from loadgen.Default), for --help:
// the flags themselves are strings that only override the scenario when given.
func loadDefaults() map[string]string {
	d := loadgen.Default()
	return map[string]string{
		"sessions":  fmt.Sprint(d.Sessions),
		"transfers": fmt.Sprint(d.Transfers),
		"size":      d.Size.String(),
		"mix":       "RETR",
		"mode":      "epsv",
		"tls":       string(d.TLS),
		"timeout":   d.Timeout.String(),
		"content":   string(d.Content),
		"ramp-up":   "0s",
		"steal":     "0",
	}
}
