// Package ftpspectest runs ftpspec's conformance suite and same-IP load checks from `go test`, for
// authors of FTP servers written in Go. Start the server in the test, then:
//
//	func TestFTPConformance(t *testing.T) {
//		url := startMyServer(t) // ftp://user:pass@127.0.0.1:PORT
//		ftpspectest.Conform(t, url, ftpspectest.Options{Expect: "testdata/expect.yaml", Run: []string{"rfc959/*"}})
//	}
//
//	func TestFTPLoad(t *testing.T) {
//		url := startMyServer(t)
//		ftpspectest.Load(t, url, loadgen.Scenario{Sessions: 50, Transfers: 4, Lockstep: true, Thresholds: []string{"p99<250ms"}})
//	}
//
// Conform runs every selected case and reports each as its own subtest named by the case ID
// (TestFTPConformance/rfc959/4.1.2/pasv-distinct-ports-sessions), so `go test -run` picks out a
// case or a section and `go test -v` lists them. A broken MUST fails its subtest with the RFC
// sentence, what was expected, what happened and the byte-exact transcript; a broken SHOULD is
// logged (it fails under Options.Strict); an optional feature the server does not offer
// (unsupported), a case that does not apply (skip) and a known deviation listed in the
// expectations file (xfail) are skipped with the reason. Load fails the test on any misrouted,
// corrupt, stolen or failed transfer and on any breached threshold, naming the transfers.
//
// Both run exactly what `ftpspec conform` and `ftpspec load` run; Options.JSON writes the same run
// document, so `ftpspec report` turns a go test run into the HTML report.
package ftpspectest

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpspec/ftpspec/internal/buildinfo"
	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/loadgen"
	"github.com/ftpspec/ftpspec/reports"
	"github.com/ftpspec/ftpspec/suites"
)

// Options select and grade the conformance cases. The zero value runs every case over a plain
// control connection, four at a time.
type Options struct {
	// Expect is an expectations file (the format of `ftpspec conform --expect`): known deviations
	// are reported as xfail (the subtest is skipped with the reason) instead of failing, and a
	// listed case that passes fails as xpass, so the file never goes stale.
	Expect string
	// Run selects cases by ID glob (all when empty); Skip leaves cases out. A glob with fewer than
	// three segments names a subtree: "rfc959" and "rfc959/*" are every RFC 959 case,
	// "rfc959/4.1.2" every case of that section. A glob that selects nothing fails the test.
	Run, Skip []string
	// TLS is the control-connection security: none (default; implicit for an ftps:// URL),
	// explicit, implicit, or all (every applicable case under each, as separate subtests).
	TLS string
	// ImplicitTLSAddr is host:port of the server's implicit-TLS listener, for TLS implicit or all
	// with an ftp:// URL.
	ImplicitTLSAddr string
	// PasvPorts is the passive port range the server is configured with ("LO-HI"): a port outside
	// it is a failure, and the range-exhaustion case can run when the range is small.
	PasvPorts string
	// Strict grades a broken SHOULD as a failure.
	Strict bool
	// Parallel is how many cases run at once (default 4); Timeout bounds each case (default 20s).
	Parallel int
	Timeout  time.Duration
	// ForeignAddr is a local address that plays another host in the foreign-IP cases
	// (default 127.0.0.2).
	ForeignAddr string
	// JSON, when set, is where the run document (ftpspec.run/v1) is written.
	JSON string
}

// module is this module's path, to name the ftpspec version in a test binary of another module.
const module = "github.com/ftpspec/ftpspec"

// Conform runs the selected conformance cases against the server at url and reports each as a
// subtest of t. It returns the results (nil when the run could not start; t has failed then).
func Conform(t *testing.T, url string, opts Options) *reports.Conformance {
	t.Helper()
	tgt, err := target.Parse(url)
	if err != nil {
		t.Fatalf("ftpspectest.Conform: %v", err)
	}
	cases, err := suites.Select(suites.All(), subtrees(opts.Run), subtrees(opts.Skip))
	if err != nil {
		t.Fatalf("ftpspectest.Conform: Options.Run/Skip: %v", err)
	}
	so := suites.Options{
		Target:       tgt,
		TLS:          opts.TLS,
		ImplicitAddr: opts.ImplicitTLSAddr,
		Parallel:     opts.Parallel,
		Timeout:      opts.Timeout,
		Strict:       opts.Strict,
	}
	if opts.Expect != "" {
		if so.Expectations, err = suites.LoadExpectations(opts.Expect, suites.All()); err != nil {
			t.Fatalf("ftpspectest.Conform: Options.Expect: %v", err)
		}
	}
	if opts.PasvPorts != "" {
		if so.DeclaredRange, err = suites.ParsePortRange(opts.PasvPorts); err != nil {
			t.Fatalf("ftpspectest.Conform: Options.PasvPorts: %v", err)
		}
	}
	if opts.ForeignAddr != "" {
		if so.ForeignAddr, err = netip.ParseAddr(opts.ForeignAddr); err != nil {
			t.Fatalf("ftpspectest.Conform: Options.ForeignAddr: %v", err)
		}
	}

	ctx, cancel := testContext(t)
	defer cancel()
	run := newRun(tgt.String())
	conf, runErr := suites.Run(ctx, cases, so)
	run.Finished = time.Now().UTC()
	if conf == nil {
		t.Fatalf("ftpspectest.Conform: %s: %v", tgt, runErr)
	}
	run.Conformance = conf
	if p := conf.Profile; p != nil {
		run.Target.Banner, run.Target.Syst, run.Target.Feat = p.Banner, p.Syst, p.Feat
	}
	if runErr != nil {
		run.Partial = true
		t.Errorf("ftpspectest.Conform: the run did not complete, results are partial: %v", runErr)
	}
	for _, r := range conf.Cases {
		t.Run(subtestName(r), func(t *testing.T) { report(t, r, opts.Expect) })
	}
	tt := conf.Totals
	t.Logf("ftpspec %s against %s: %d cases: %d pass, %d fail, %d warn, %d advisory, %d unsupported, %d skip, %d error, %d xfail, %d xpass",
		run.Tool.Version, tgt, len(conf.Cases), tt.Pass, tt.Fail, tt.Warn, tt.Advisory, tt.Unsupported, tt.Skip, tt.Error, tt.XFail, tt.XPass)
	writeJSON(t, opts.JSON, run)
	return conf
}

// report turns one graded case into the subtest's verdict.
func report(t *testing.T, r reports.CaseResult, expectFile string) {
	switch r.Outcome {
	case reports.Pass:
		// Nothing to say: `go test -v` lists it as PASS.
	case reports.Fail:
		t.Errorf("%s fails (%s)\n%s", r.ID, r.Level, evidence(r))
	case reports.Warn:
		t.Logf("WARN: %s is not met (%s; ftpspectest.Options.Strict makes this a failure)\n%s", r.ID, r.Level, evidence(r))
	case reports.Advisory:
		// A security or robustness observation, not a broken requirement: it never fails a test,
		// Strict included, but the author must see it.
		t.Logf("ADVISORY: %s (a security or robustness observation, never a failure)\n%s", r.ID, evidence(r))
	case reports.Unsupported:
		t.Skipf("unsupported: %s", r.Reason)
	case reports.Skip:
		t.Skipf("skip: %s", r.Reason)
	case reports.XFail:
		t.Skipf("xfail (a known deviation in %s): %s", expectFile, r.Reason)
	case reports.XPass:
		t.Errorf("xpass: %s passes although %s lists it as a known failure; remove it from the file", r.ID, expectFile)
	case reports.Error:
		t.Errorf("error: the case could not be judged (the harness or the network failed, not a verdict on the server): %s\n%s", r.Reason, transcript(r))
	default:
		t.Errorf("outcome %q is unknown to ftpspectest", r.Outcome)
	}
}

// evidence is what a reader needs to act on a failed requirement, in the order they need it.
func evidence(r reports.CaseResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %s\n", r.Title)
	fmt.Fprintf(&b, "  RFC %s §%s %s: %q\n", r.RFC, r.Section, r.Level, r.Requirement)
	fmt.Fprintf(&b, "  expected: %s\n", r.Expected)
	fmt.Fprintf(&b, "  actual:   %s\n", r.Actual)
	b.WriteString(transcript(r))
	return b.String()
}

func transcript(r reports.CaseResult) string {
	if len(r.Transcript) == 0 {
		return ""
	}
	return "  transcript:\n" + indent(reports.TranscriptText(r.Transcript), "    ")
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}

// subtestName is the case ID, with the TLS mode appended when the case ran under TLS, so that
// -run patterns address cases the way --run globs do.
func subtestName(r reports.CaseResult) string {
	if r.TLS == "" || r.TLS == suites.ModeNone {
		return r.ID
	}
	return r.ID + "/tls-" + r.TLS
}

// subtrees pads each glob to the three segments of a case ID ("rfc959/*" → "rfc959/*/*").
func subtrees(globs []string) []string {
	out := make([]string, len(globs))
	for i, g := range globs {
		out[i] = g
		if n := strings.Count(g, "/") + 1; n < 3 && !strings.HasSuffix(g, "/") {
			out[i] = g + strings.Repeat("/*", 3-n)
		}
	}
	return out
}

// Load runs the load scenario sc against the server at url and fails t, naming the transfers,
// if any transfer was misrouted, corrupt, stolen or failed, or a threshold was breached. Fields
// of sc left at their zero value take loadgen.Default()'s, except Lockstep: a bool's zero value
// is a choice, so set Lockstep: true for barrier-synchronised rounds (every session's data port
// pending at the same moment), which is what proves passive-port routing.
func Load(t *testing.T, url string, sc loadgen.Scenario) *reports.Load {
	t.Helper()
	if url == "" {
		t.Fatal("ftpspectest.Load: no target URL")
	}
	sc = withDefaults(sc)
	if err := sc.Validate(); err != nil {
		t.Fatalf("ftpspectest.Load: scenario: %v", err)
	}
	ctx, cancel := testContext(t)
	defer cancel()
	l, err := loadgen.Run(ctx, sc, loadgen.Options{Target: url})
	if l == nil {
		t.Fatalf("ftpspectest.Load: %v", err)
	}
	c := l.Transfers
	t.Logf("load: %d sessions, %d transfers: %d ok, %d failed, %d misrouted, %d corrupt, %d stolen; %.0f transfers/s, p99 %.1f ms; %d distinct data ports",
		sc.Sessions, c.Attempted, c.OK, c.Failed, c.Misrouted, c.Corrupt, c.Stolen, l.TransfersPerS, l.LatencyMS.P99, l.DataPorts.Distinct)
	if err != nil {
		t.Errorf("ftpspectest.Load: the run did not complete: %v", err)
	}
	if verr := loadgen.Verdict(l); verr != nil {
		t.Errorf("ftpspectest.Load: %v%s", verr, badTransfers(l.Records, 10))
	}
	return l
}

// withDefaults fills the zero-valued fields of a scenario literal from loadgen.Default().
func withDefaults(sc loadgen.Scenario) loadgen.Scenario {
	d := loadgen.Default()
	if sc.Sessions == 0 {
		sc.Sessions = d.Sessions
	}
	if sc.Transfers == 0 && sc.Duration == 0 {
		sc.Transfers = d.Transfers
	}
	if len(sc.Mix) == 0 {
		sc.Mix = d.Mix
	}
	if sc.Size.Min == 0 && sc.Size.Max == 0 && len(sc.Size.Choices) == 0 {
		sc.Size = d.Size
	}
	if len(sc.DataMode) == 0 {
		sc.DataMode = d.DataMode
	}
	if sc.TLS == "" {
		sc.TLS = d.TLS
	}
	if sc.Prot == "" {
		sc.Prot = d.Prot
	}
	if !sc.ThiefSource.IsValid() {
		sc.ThiefSource = d.ThiefSource
	}
	if sc.Content == "" {
		sc.Content = d.Content
	}
	if sc.Timeout == 0 {
		sc.Timeout = d.Timeout
	}
	if sc.Shard == (loadgen.Shard{}) {
		sc.Shard = d.Shard
	}
	return sc
}

// badTransfers lists up to max transfers that were not ok, each with what went wrong.
func badTransfers(recs []reports.TransferRecord, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range recs {
		if r.Verdict == reports.VerdictOK {
			continue
		}
		if n == max {
			b.WriteString("\n  …")
			break
		}
		n++
		fmt.Fprintf(&b, "\n  session %d transfer %d: %s %s on data port %d: %s", r.Session, r.Index, r.Op, r.File, r.DataPort, r.Verdict)
		if r.From != "" {
			fmt.Fprintf(&b, ", its bytes belong to %s", r.From)
		}
		if r.Error != "" {
			fmt.Fprintf(&b, " (%s)", r.Error)
		}
	}
	return b.String()
}

// testContext ends a little before the test binary's deadline, so a hung server fails the test
// with results rather than a panic from the test timeout.
func testContext(t *testing.T) (context.Context, context.CancelFunc) {
	if d, ok := t.Deadline(); ok {
		return context.WithDeadline(t.Context(), d.Add(-time.Until(d)/20))
	}
	return context.WithCancel(t.Context())
}

func newRun(url string) *reports.Run {
	b := buildinfo.ReadModule(module)
	return &reports.Run{
		Schema:  reports.SchemaV1,
		Tool:    reports.Tool{Name: "ftpspec", Version: b.Version, Commit: b.Commit, Built: b.Date, Go: b.Go},
		Target:  reports.Target{URL: url},
		Started: time.Now().UTC(),
	}
}

func writeJSON(t *testing.T, file string, run *reports.Run) {
	t.Helper()
	if file == "" {
		return
	}
	if err := reports.WriteFile(file, run); err != nil {
		t.Errorf("ftpspectest: Options.JSON: %v", err)
	}
}
