package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/loadgen"
	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
	"github.com/ftpspec/ftpspec/suites"
)

// selftestPorts sizes the passive range of every selftest server, declared to the harness so the
// range checks run: small enough that the exhaustion case and a load run can use it all up, and
// large enough for the port-randomness case to judge a sequence (both draw the line at 64).
const selftestPorts = 64

func newSelftestCmd(stdout, stderr io.Writer) *cobra.Command {
	var only []string
	cmd := &cobra.Command{
		Use:   "selftest",
		Short: "Prove the harness: the clean reference passes, and every fault mode is caught",
		Long: "selftest runs the conformance suite against the reference server once clean (everything must\n" +
			"pass) and once per fault mode: each fault must be caught by the cases and load checks it names,\n" +
			"and by no unrelated MUST case. It prints the table and exits 1 if anything is not as it must be.",
		Example: "  ftpspec selftest                                 # the clean reference and every fault mode\n" +
			"  ftpspec selftest --fault truncate --fault port-reuse",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			faults := append(reference.Faults(), reference.SampledFaults()...)
			if len(only) > 0 {
				faults = slices.DeleteFunc(faults, func(f reference.Fault) bool { return !slices.Contains(only, f.Name) })
				if len(faults) == 0 {
					return usageErr(fmt.Errorf("--fault %v: no such fault mode", only))
				}
			}
			return runSelftest(cmd.Context(), faults, stdout)
		},
	}
	cmd.Flags().StringArrayVar(&only, "fault", nil, "check only this fault mode (repeatable)")
	return cmd
}

type selftestRow struct {
	name, verdict, detail string
	ok                    bool
}

func runSelftest(ctx context.Context, faults []reference.Fault, stdout io.Writer) error {
	var rows []selftestRow
	// Every server gets its own slice of ports below the ephemeral range, so servers never compete.
	base := 21000
	next := func() reference.PortRange {
		r := reference.PortRange{Lo: base, Hi: base + selftestPorts - 1}
		base += selftestPorts
		return r
	}
	clean, err := selftestConform(ctx, nil, next())
	if err != nil {
		return err
	}
	row := selftestRow{name: "(clean)", ok: true, verdict: "all pass"}
	var bad []string
	for _, c := range clean.Cases {
		if c.Outcome == reports.Fail || c.Outcome == reports.Warn || c.Outcome == reports.Error {
			bad = append(bad, c.ID+"="+string(c.Outcome))
		}
	}
	if len(bad) > 0 {
		row.ok, row.verdict, row.detail = false, "NOT CLEAN", strings.Join(bad, " ")
	} else {
		row.detail = fmt.Sprintf("%d pass, %d unsupported, %d skip", clean.Totals.Pass, clean.Totals.Unsupported, clean.Totals.Skip)
	}
	rows = append(rows, row)
	// Fault servers are independent (each has its own port range), and most of a fault run is
	// spent waiting on deadlines the fault provokes, so they run side by side.
	faultRows := make([]selftestRow, len(faults))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, f := range faults {
		ports := next()
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			faultRows[i] = selftestFault(ctx, f, ports)
		}()
	}
	wg.Wait()
	rows = append(rows, faultRows...)

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tRESULT\tEVIDENCE")
	failed := 0
	for _, r := range rows {
		if !r.ok {
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.name, r.verdict, r.detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		return failedErr(fmt.Errorf("selftest: %d of %d rows not as they must be", failed, len(rows)))
	}
	fmt.Fprintf(stdout, "selftest: clean reference passes; all %d fault modes caught\n", len(faults))
	return nil
}

func selftestServer(faults []string, ports reference.PortRange) (*reference.Server, target.Target, error) {
	srv, err := reference.New(reference.Config{Listen: "127.0.0.1:0", ImplicitTLSListen: "127.0.0.1:0", PasvPorts: ports, Faults: faults})
	if err != nil {
		return nil, target.Target{}, fmt.Errorf("selftest: start reference %v: %w", faults, err)
	}
	t, err := target.Parse(srv.URL())
	if err != nil {
		srv.Close()
		return nil, target.Target{}, err
	}
	return srv, t, nil
}

func selftestConform(ctx context.Context, faults []string, ports reference.PortRange) (*reports.Conformance, error) {
	// Against a fault, cases run one at a time: a fault that cross-wires concurrent transfers from
	// one IP would otherwise spill into whichever cases happened to run beside the one that names
	// it, and the "no unrelated MUST failure" check would measure scheduling, not the harness.
	parallel := 4
	if len(faults) > 0 {
		parallel = 1
	}
	srv, t, err := selftestServer(faults, ports)
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	conf, err := suites.Run(ctx, suites.All(), suites.Options{
		Target:        t,
		ImplicitAddr:  srv.ImplicitTLSAddr(),
		Parallel:      parallel,
		Timeout:       20 * time.Second,
		DeclaredRange: suites.PortRange{Lo: ports.Lo, Hi: ports.Hi},
	})
	if err != nil {
		return nil, fmt.Errorf("selftest %v: %w", faults, err)
	}
	return conf, nil
}

// selftestFault runs what a fault names against a reference server with that one fault.
func selftestFault(ctx context.Context, f reference.Fault, ports reference.PortRange) selftestRow {
	row := selftestRow{name: f.Name, ok: true}
	var loads []string
	for _, c := range f.CaughtBy {
		if m, ok := strings.CutPrefix(c, "load:"); ok {
			loads = append(loads, m)
		}
	}
	var evidence, missed []string
	conf, err := selftestConform(ctx, []string{f.Name}, ports)
	if err != nil {
		return selftestRow{name: f.Name, verdict: "ERROR", detail: err.Error()}
	}
	check := suites.CheckFault(f.Name, f.CaughtBy, conf)
	evidence = append(evidence, check.Caught...)
	missed = append(missed, check.Missed...)
	collateral := check.Unrelated
	if len(loads) > 0 {
		l, err := selftestLoad(ctx, f.Name, ports, loads)
		if err != nil {
			missed = append(missed, "load: "+err.Error())
		} else {
			for _, m := range loads {
				v, err := reports.MetricValue(l, m)
				switch {
				case err != nil:
					missed = append(missed, "load:"+m+" ("+err.Error()+")")
				case v > 0:
					evidence = append(evidence, fmt.Sprintf("load:%s=%g", m, v))
				default:
					missed = append(missed, "load:"+m+"=0")
				}
			}
		}
	}
	row.detail = strings.Join(evidence, " ")
	switch {
	case len(missed) > 0:
		row.ok, row.verdict = false, "MISSED"
		row.detail = "missed: " + strings.Join(missed, " ") + "; caught: " + row.detail
	case len(collateral) > 0:
		row.ok, row.verdict = false, "COLLATERAL"
		row.detail += "; unrelated MUST failures: " + strings.Join(collateral, " ")
	default:
		row.verdict = "caught"
	}
	return row
}

func selftestLoad(ctx context.Context, fault string, ports reference.PortRange, metrics []string) (*reports.Load, error) {
	srv, _, err := selftestServer([]string{fault}, ports)
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	sc := loadgen.Default()
	sc.Sessions, sc.Transfers = selftestPorts/2, 2
	sc.PasvPorts = fmt.Sprintf("%d-%d", ports.Lo, ports.Hi)
	sc.Timeout = 10 * time.Second
	if slices.Contains(metrics, "stolen") {
		sc.Steal = sc.Sessions / 2
	}
	if slices.Contains(metrics, "out_of_range") {
		// Ports outside the range only show once the range is exhausted.
		sc.Sessions = selftestPorts + selftestPorts/2
		sc.Transfers = 1
	}
	l, err := loadgen.Run(ctx, sc, loadgen.Options{Target: srv.URL(), ServerInProcess: true})
	if l == nil {
		return nil, err
	}
	return l, nil
}
