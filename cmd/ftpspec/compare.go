package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ftpspec/ftpspec/reports"
)

func newCompareCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		tolerance string
		allowDiff bool
		out       outputs
	)
	cmd := &cobra.Command{
		Use:   "compare BASE.json NEW.json [--tolerance throughput=5%,p99=10%] [--html FILE]",
		Short: "Compare a run with a baseline; exit 1 on a regression",
		Long: "compare prints what changed from BASE to NEW: cases that went pass→fail (and back), new and\n" +
			"removed cases, and load metrics with their deltas against the tolerances. It exits 1 when anything\n" +
			"regressed, so CI can gate on a stored baseline.",
		Example: "  ftpspec compare baseline.json run.json --tolerance throughput=5%,p99=10%\n" +
			"  ftpspec compare baseline.json run.json --html compare.html\n" +
			"  ftpspec compare conform.json load.json --allow-different           # runs that did different work",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			tol := reports.DefaultTolerances()
			if tolerance != "" {
				t, err := reports.ParseTolerances(tolerance)
				if err != nil {
					return usageErr(fmt.Errorf("--tolerance: %w", err))
				}
				for k, v := range t {
					tol[k] = v
				}
			}
			if err := out.check(); err != nil {
				return err
			}
			runs, err := readRuns(args)
			if err != nil {
				return err
			}
			if diffs := reports.Incomparable(runs[0], runs[1]); len(diffs) > 0 {
				if !allowDiff {
					return usageErr(fmt.Errorf("compare %s %s: the runs cannot be compared: %s (--allow-different compares what they share)",
						args[0], args[1], strings.Join(diffs, "; ")))
				}
				fmt.Fprintf(stderr, "ftpspec: warning: comparing runs that differ: %s\n", strings.Join(diffs, "; "))
			}
			c := reports.Compare(runs[0], runs[1], tol)
			if err := reports.WriteComparison(stdout, c); err != nil {
				return err
			}
			var verdict error
			if c.Regression() {
				cases, metrics := c.Regressions()
				verdict = failedErr(fmt.Errorf("regression: %d case(s) and %d load metric(s) got worse", cases, metrics))
			}
			out.comparison = c
			return withWriteErr(verdict, out.write(stdout, stdout, runs...))
		},
	}
	cmd.Flags().BoolVar(&allowDiff, "allow-different", false, "compare runs that did different work (sessions, size, mode, TLS) or have different parts, instead of refusing")
	cmd.Flags().StringVar(&tolerance, "tolerance", "", "allowed worsening per metric, e.g. throughput=5%,p99=10%")
	out.register(cmd.Flags(), false)
	return cmd
}
