package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ftpspec/ftpspec/reports"
)

func newCompareCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		tolerance string
		out       outputs
	)
	cmd := &cobra.Command{
		Use:   "compare BASE.json NEW.json [--tolerance throughput=5%,p99=10%] [--html FILE]",
		Short: "Compare a run with a baseline; exit 1 on a regression",
		Long: "compare prints what changed from BASE to NEW: cases that went pass→fail (and back), new and\n" +
			"removed cases, and load metrics with their deltas against the tolerances. It exits 1 when anything\n" +
			"regressed, so CI can gate on a stored baseline.",
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
			runs, err := readRuns(args)
			if err != nil {
				return err
			}
			c := reports.Compare(runs[0], runs[1], tol)
			if err := reports.WriteComparison(stdout, c); err != nil {
				return err
			}
			if out.html != "" || out.junit != "" || out.markdown != "" {
				out.comparison = c
				if err := out.write(stdout, runs...); err != nil {
					return err
				}
			}
			if c.Regression() {
				cases, metrics := c.Regressions()
				return failedErr(fmt.Errorf("regression: %d case(s) and %d load metric(s) got worse", cases, metrics))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&tolerance, "tolerance", "", "allowed worsening per metric, e.g. throughput=5%,p99=10%")
	out.register(cmd.Flags(), false)
	return cmd
}
