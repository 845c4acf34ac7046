package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ftpspec/ftpspec/reports"
)

func newReportCmd(stdout, stderr io.Writer) *cobra.Command {
	var out outputs
	cmd := &cobra.Command{
		Use:   "report RUN.json... [--html FILE] [--junit FILE] [--markdown FILE]",
		Short: "Render existing run documents without touching a server",
		Long: "report reads run documents (ftpspec.run/v1 JSON) and renders any combination of an HTML report\n" +
			"(several runs become a matrix), JUnit XML and a Markdown summary.",
		Example: "  ftpspec report conform.json load.json vsftpd.json --html matrix.html --junit junit.xml\n" +
			"  ftpspec report run.json --markdown summary.md",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out.html == "" && out.junit == "" && out.markdown == "" {
				return usageErr(fmt.Errorf("report: nothing to write: give --html, --junit or --markdown"))
			}
			if err := out.check(); err != nil {
				return err
			}
			runs, err := readRuns(args)
			if err != nil {
				return err
			}
			return withWriteErr(nil, out.write(stdout, stdout, runs...))
		},
	}
	out.register(cmd.Flags(), false)
	cmd.AddCommand(newMergeCmd(stdout, stderr))
	return cmd
}

func newMergeCmd(stdout, stderr io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "merge RUN.json... -o FILE",
		Short: "Merge run documents (load shards, or a conformance and a load run) into one",
		Long: "merge combines run documents exactly: transfer counts add, HDR histograms merge, percentiles and\n" +
			"thresholds are evaluated on the merged result, and conformance cases are concatenated.",
		Example: "  ftpspec report merge conform.json load.json -o run.json            # a conformance and a load run\n" +
			"  ftpspec report merge shard*.json -o all.json                       # the shards of one load run\n" +
			"  ftpspec report merge shard*.json -o - | jq .load.transfers_per_s",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return usageErr(fmt.Errorf("report merge: -o FILE is required ('-' for stdout)"))
			}
			if output != "-" {
				if err := checkOutput("-o", output); err != nil {
					return err
				}
			}
			runs, err := readRuns(args)
			if err != nil {
				return err
			}
			merged, err := reports.MergeNamed(args, runs)
			if err != nil {
				return usageErr(err)
			}
			verdict := verdictOf(merged)
			if output == "-" {
				if err := reports.Encode(stdout, merged); err != nil {
					return withWriteErr(verdict, err)
				}
				fmt.Fprintf(stderr, "merged %d runs\n", len(runs))
				return verdict
			}
			if err := reports.WriteFile(output, merged); err != nil {
				return withWriteErr(verdict, fmt.Errorf("-o: %w", err))
			}
			fmt.Fprintf(stdout, "wrote %s (%d runs merged)\n", output, len(runs))
			return verdict
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the merged run document to FILE ('-': stdout, with nothing else on it)")
	return cmd
}

func readRuns(paths []string) ([]*reports.Run, error) {
	runs := make([]*reports.Run, 0, len(paths))
	for _, p := range paths {
		r, err := reports.ReadFile(p)
		if err != nil {
			return nil, usageErr(err)
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// verdictOf turns a finished run into the exit status the CLI contract promises.
func verdictOf(r *reports.Run) error {
	if c := r.Conformance; c != nil && (c.Totals.Fail > 0 || c.Totals.XPass > 0) {
		var parts []string
		if n := c.Totals.Fail; n > 0 {
			parts = append(parts, plural(n, "conformance case failed", "conformance cases failed"))
		}
		if n := c.Totals.XPass; n > 0 {
			// An xpass is a case the expectations file says fails but that passed: the file is out
			// of date, not the server broken, and saying "failed" would send the reader the wrong way.
			parts = append(parts, plural(n, "unexpected pass", "unexpected passes")+" (listed as xfail in the --expect file)")
		}
		return failedErr(errors.New(strings.Join(parts, ", ")))
	}
	if l := r.Load; l != nil {
		t := l.Transfers
		if t.Failed+t.Misrouted+t.Corrupt+t.Stolen > 0 {
			return failedErr(fmt.Errorf("load: %d failed, %d misrouted, %d corrupt, %d stolen of %d transfers",
				t.Failed, t.Misrouted, t.Corrupt, t.Stolen, t.Attempted))
		}
		for _, th := range l.Thresholds {
			if !th.Pass {
				return failedErr(fmt.Errorf("load: threshold %s breached (value %g)", th.Expr, th.Value))
			}
		}
	}
	if r.Partial {
		if r.PartialReason != "" {
			return unreachableErr(fmt.Errorf("the run did not complete (%s); partial results were written", r.PartialReason))
		}
		return unreachableErr(fmt.Errorf("the run did not complete; partial results were written"))
	}
	return nil
}

// plural writes "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
