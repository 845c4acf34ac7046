package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reports"
	"github.com/ftpspec/ftpspec/suites"
)

type conformFlags struct {
	target, tls, expect, pasv, label, foreign string
	run, skip                                 []string
	list, strict, verbose                     bool
	parallel, exhaustMax                      int
	timeout                                   time.Duration
	out                                       outputs
}

func newConformCmd(stdout, stderr io.Writer) *cobra.Command {
	var cf conformFlags
	cmd := &cobra.Command{
		Use:   "conform [--target URL] [--run GLOB]... [--skip GLOB]... [--list] [--json FILE] [--junit FILE] [--html FILE]",
		Short: "Check a server against the RFC requirements",
		Long: "conform runs the conformance cases against a server and grades each: pass, fail (a MUST broken),\n" +
			"warn (a SHOULD broken; --strict makes it fail), unsupported (an optional feature not offered), skip\n" +
			"or error (the harness or network failed). Every result carries the RFC sentence, what was expected,\n" +
			"what happened, and the transcript with the exact bytes. Without --target it runs against an\n" +
			"embedded reference server. --list prints the cases without connecting (--list --json as JSON).",
		Example: "  ftpspec conform                                                   # against an embedded reference server\n" +
			"  ftpspec conform --target ftp://test:test@127.0.0.1:2121 --html report.html\n" +
			"  ftpspec conform --run 'rfc959/*/*' --skip '*/*/abor-*' --list     # what would run, no connection\n" +
			"  ftpspec conform --target ftp://u:p@ftp.example.test --pasv-ports 21000-21999 --tls all --json run.json\n" +
			"  ftpspec conform --run 'rfc959/4.1.1/*' --json - | jq .totals        # only JSON on stdout",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runConform(cmd, cf, stdout, stderr) },
	}
	f := cmd.Flags()
	f.StringVar(&cf.target, "target", "", "server URL ftp://user:pass@host:port[/dir] or ftps://… (default: an embedded reference server)")
	f.StringArrayVar(&cf.run, "run", nil, "run only cases whose ID matches GLOB (repeatable), e.g. 'rfc959/*/*' or '*/*/pasv-*'")
	f.StringArrayVar(&cf.skip, "skip", nil, "skip cases whose ID matches GLOB (repeatable)")
	f.BoolVar(&cf.list, "list", false, "list the selected cases and exit without connecting")
	f.StringVar(&cf.tls, "tls", "", "control connection security: none, explicit, implicit or all (default none; implicit for ftps://)")
	f.IntVar(&cf.parallel, "parallel", 4, "cases run at once")
	f.DurationVar(&cf.timeout, "timeout", 20*time.Second, "deadline for each case")
	f.BoolVar(&cf.strict, "strict", false, "grade broken SHOULD requirements as failures instead of warnings")
	f.StringVar(&cf.expect, "expect", "", "expectations YAML: known deviations reported as xfail")
	f.StringVar(&cf.pasv, "pasv-ports", "", "the server's declared passive port range LO-HI (checked: every port must be inside)")
	f.StringVar(&cf.label, "label", "", "a name for this run in reports (default: host:port)")
	f.IntVar(&cf.exhaustMax, "exhaust-max", suites.DefaultExhaustMax, "the most passive ports (one session each) a case may hold at once: the range-exhaustion case runs when the --pasv-ports range fits")
	f.StringVar(&cf.foreign, "foreign-addr", "127.0.0.2", "local address that plays another host in foreign-IP cases")
	f.BoolVarP(&cf.verbose, "verbose", "v", false, "print every case, not only the ones that did not pass")
	cf.out.register(f, true)
	return cmd
}

func runConform(cmd *cobra.Command, cf conformFlags, stdout, stderr io.Writer) error {
	cases, err := suites.Select(suites.All(), cf.run, cf.skip)
	if err != nil {
		return usageErr(fmt.Errorf("--run/--skip: %w", err))
	}
	// Every value is checked before anything else happens, --list included: a bad flag is
	// exit 2 whether or not a connection would follow.
	if cf.timeout <= 0 {
		return usageErr(fmt.Errorf("--timeout %s: want a duration > 0 such as 20s", cf.timeout))
	}
	if cf.parallel < 1 {
		return usageErr(fmt.Errorf("--parallel %d: must be at least 1", cf.parallel))
	}
	if cf.exhaustMax < 1 {
		return usageErr(fmt.Errorf("--exhaust-max %d: must be at least 1", cf.exhaustMax))
	}
	tgt := target.Target{Scheme: "ftp"}
	if cf.target != "" {
		if tgt, err = target.Parse(cf.target); err != nil {
			return usageErr(fmt.Errorf("--target: %w", err))
		}
	}
	if _, err := suites.Modes(cf.tls, tgt); err != nil {
		return usageErr(err)
	}
	if err := cf.out.check(); err != nil {
		return err
	}
	if cf.list {
		return listCases(stdout, cases, cf.out.json)
	}
	foreign, err := netip.ParseAddr(cf.foreign)
	if err != nil {
		return usageErr(fmt.Errorf("--foreign-addr %q: %w", cf.foreign, err))
	}
	var declared suites.PortRange
	if cf.pasv != "" {
		if declared, err = suites.ParsePortRange(cf.pasv); err != nil {
			return usageErr(fmt.Errorf("--pasv-ports: %w", err))
		}
	}
	var expectations suites.Expectations
	if cf.expect != "" {
		if expectations, err = suites.LoadExpectations(cf.expect, suites.All()); err != nil {
			return usageErr(err)
		}
	}
	s, err := openTarget(cf.target, cf.pasv)
	if err != nil {
		return err
	}
	defer s.close()
	human := cf.out.human(stdout, stderr)
	progress := newConformProgress(stderr, human, 5*time.Second)
	opts := suites.Options{
		Target:        s.target,
		TLS:           cf.tls,
		Parallel:      cf.parallel,
		Timeout:       cf.timeout,
		Strict:        cf.strict,
		Expectations:  expectations,
		DeclaredRange: declared,
		ForeignAddr:   foreign,
		ExhaustMax:    cf.exhaustMax,
		Planned:       progress.planned,
		Starting:      progress.starting,
		Progress: func(r reports.CaseResult) {
			progress.done(r)
			if cf.verbose || (r.Outcome != reports.Pass && r.Outcome != reports.Skip && r.Outcome != reports.Unsupported) {
				progress.println(fmt.Sprintf("%-11s %s%s  %s", strings.ToUpper(string(r.Outcome)), r.ID, tlsSuffix(r.TLS), r.Title))
			}
		},
	}
	if s.embedded != nil {
		opts.ImplicitAddr = s.embedded.ImplicitTLSAddr()
		if declared.IsZero() {
			r := s.embedded.Config().PasvPorts
			opts.DeclaredRange = suites.PortRange{Lo: r.Lo, Hi: r.Hi}
		}
	}
	run := s.newRun(cf.label)
	conf, err := suites.Run(cmd.Context(), cases, opts)
	progress.close()
	run.Finished = time.Now().UTC()
	if conf == nil {
		if err == nil {
			err = fmt.Errorf("conformance run returned no results")
		}
		return err
	}
	run.Conformance = conf
	if p := conf.Profile; p != nil {
		run.Target.Banner, run.Target.Syst, run.Target.Feat = p.Banner, p.Syst, p.Feat
	}
	var runErr error
	if err != nil {
		// Unreachable, refused, lost mid-run or interrupted: what is known is written, marked
		// partial, and the exit code is 3 whatever the cases so far say.
		run.Partial = true
		run.PartialReason = terminalSafe(oneLine(err.Error()))
		runErr = unreachableErr(err)
	}
	t := conf.Totals
	if len(conf.Cases) > 0 {
		fmt.Fprintf(human, "\n%d cases: %d pass, %d fail, %d warn, %d advisory, %d unsupported, %d skip, %d error", len(conf.Cases), t.Pass, t.Fail, t.Warn, t.Advisory, t.Unsupported, t.Skip, t.Error)
		if t.XFail > 0 {
			fmt.Fprintf(human, ", %d xfail", t.XFail)
		}
		if t.XPass > 0 {
			fmt.Fprintf(human, ", %s", plural(t.XPass, "unexpected pass (xpass)", "unexpected passes (xpass)"))
		}
		fmt.Fprintln(human)
	}
	if runErr == nil && t.Error > 0 && t.Pass == 0 && t.Fail == 0 {
		run.Partial = true
		run.PartialReason = fmt.Sprintf("no case could run against %s (%d errors)", s.target, t.Error)
		runErr = unreachableErr(errors.New(run.PartialReason))
	}
	werr := cf.out.write(stdout, human, run)
	if runErr != nil {
		return withWriteErr(runErr, werr)
	}
	return withWriteErr(verdictOf(run), werr)
}

func tlsSuffix(mode string) string {
	if mode == "" || mode == suites.ModeNone {
		return ""
	}
	return " [" + mode + "]"
}

// caseListing is the --list --json form of a case: the data, without Run.
type caseListing struct {
	ID          string   `json:"id"`
	RFC         string   `json:"rfc"`
	Section     string   `json:"section"`
	Level       string   `json:"level"`
	Title       string   `json:"title"`
	Requirement string   `json:"requirement"`
	Tags        []string `json:"tags,omitempty"`
}

// listCases prints the cases; with jsonOut set, it writes them as JSON to that file ("-":
// stdout) instead.
func listCases(w io.Writer, cases []suites.Case, jsonOut string) error {
	if jsonOut != "" {
		list := struct {
			Cases []caseListing `json:"cases"`
		}{}
		for _, c := range cases {
			list.Cases = append(list.Cases, caseListing{c.ID, c.RFC, c.Section, string(c.Level), c.Title, c.Requirement, c.Tags})
		}
		data, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return err
		}
		data = append(data, '\n')
		if jsonOut == "-" {
			_, err = w.Write(data)
			return err
		}
		if err := reports.WriteFileAtomic(jsonOut, data); err != nil {
			return unreachableErr(fmt.Errorf("--json: %w", err))
		}
		fmt.Fprintf(w, "wrote %s (%d cases)\n", jsonOut, len(cases))
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range cases {
		fmt.Fprintf(tw, "%s\t§%s\t%s\t%s\n", c.ID, c.Section, c.Level, c.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d cases\n", len(cases))
	return nil
}
