package suites

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reports"
)

// TLS modes.
const (
	ModeNone     = "none"
	ModeExplicit = "explicit"
	ModeImplicit = "implicit"
	ModeAll      = "all"
)

// Options configure Run.
type Options struct {
	Target target.Target
	// TLS is the control-connection security: none, explicit (AUTH TLS), implicit, or all (every
	// applicable case once under each, reported separately). Default: implicit for an ftps://
	// target, none otherwise.
	TLS string
	// ImplicitAddr is host:port of the server's implicit-TLS listener when Target is ftp:// (the
	// embedded server listens on both). For an ftps:// target it is Target.Addr().
	ImplicitAddr string
	// TLSConfig is the base client TLS configuration. Default: certificates are not verified
	// (ftpspec checks protocol behaviour, not trust).
	TLSConfig *tls.Config
	// Parallel is how many cases run at once. Default 4.
	Parallel int
	// Timeout bounds each case. Default 20s.
	Timeout time.Duration
	// Strict grades SHOULD violations as failures.
	Strict bool
	// Expectations marks known deviations (xfail/xpass).
	Expectations Expectations
	// DeclaredRange is the server's passive port range as the user declared it (--pasv-ports).
	DeclaredRange PortRange
	// ForeignAddr is a local address that plays another host. Default 127.0.0.2.
	ForeignAddr netip.Addr
	// ExhaustMax bounds how many passive ports (and so sessions) a case may hold at once against
	// the server: the range-exhaustion case runs only when the declared range fits. Default
	// DefaultExhaustMax.
	ExhaustMax int
	// Progress, when set, is called with each result as it is decided (from several goroutines,
	// one call at a time).
	Progress func(reports.CaseResult)
	// Planned, when set, is called before each batch of cases with the number of results the
	// batch will report, so a progress display knows the total as it grows.
	Planned func(n int)
	// Starting, when set, is called as a case starts (from several goroutines at once).
	Starting func(id, tls string)
}

// DefaultExhaustMax is the default Options.ExhaustMax: never more simultaneous sessions than this
// against a server that may be shared, unless the user asks (--exhaust-max).
const DefaultExhaustMax = 64

// harnessGrace bounds how far the harness's own waits (a server closing after an upload, up to 5 s
// each) may move a case's deadline: a slow but correct server is not cut short, and a case still
// ends.
const harnessGrace = 60 * time.Second

// PortRange is an inclusive range of TCP ports.
type PortRange struct{ Lo, Hi int }

// IsZero reports whether no range was declared.
func (r PortRange) IsZero() bool { return r == PortRange{} }

// Contains reports whether port lies in the range.
func (r PortRange) Contains(port int) bool { return port >= r.Lo && port <= r.Hi }

// Len is the number of ports in the range.
func (r PortRange) Len() int { return r.Hi - r.Lo + 1 }

func (r PortRange) String() string {
	if r.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// ParsePortRange parses "LO-HI" (1 <= LO <= HI <= 65535), as every ftpspec command does.
func ParsePortRange(s string) (PortRange, error) {
	lo, hi, err := reports.ParsePortRange(s)
	if err != nil {
		return PortRange{}, err
	}
	return PortRange{lo, hi}, nil
}

// UnreachableError says the target could not be reached at all: nothing was graded.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("target %s unreachable: %v", e.Addr, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// TargetLostError says the target stopped answering in the middle of the run: every case
// after that point is an error that says nothing about the server's conformance, and the run
// is incomplete. Run returns it with the results so far.
type TargetLostError struct {
	Reason string // "server stopped answering after <case>"
}

func (e *TargetLostError) Error() string { return "the target went away: " + e.Reason }

// LoginError says the target answered but refused the run's credentials, so no case that needs
// a session could run.
type LoginError struct {
	User string
	Err  error
}

func (e *LoginError) Error() string { return fmt.Sprintf("login as %s failed: %v", e.User, e.Err) }

func (e *LoginError) Unwrap() error { return e.Err }

// Modes expands a --tls value into the modes to run, validating it.
func Modes(tlsMode string, t target.Target) ([]string, error) {
	implicitTarget := t.Scheme == "ftps"
	switch tlsMode {
	case "":
		if implicitTarget {
			return []string{ModeImplicit}, nil
		}
		return []string{ModeNone}, nil
	case ModeNone, ModeExplicit:
		if implicitTarget {
			return nil, fmt.Errorf("--tls %s: an ftps:// target speaks implicit TLS only", tlsMode)
		}
		return []string{tlsMode}, nil
	case ModeImplicit:
		return []string{ModeImplicit}, nil
	case ModeAll:
		if implicitTarget {
			return nil, errors.New("--tls all: needs an ftp:// target (an ftps:// target speaks implicit TLS only)")
		}
		return []string{ModeNone, ModeExplicit, ModeImplicit}, nil
	}
	return nil, fmt.Errorf("--tls %q: want none, explicit, implicit or all", tlsMode)
}

// runState is shared by the cases of one Run.
type runState struct {
	opts         Options
	implicitAddr string
	profile      *reports.Profile
	feat         map[string]string
	ports        portLog
	have         map[Feature]string // feature → "" when met, else the reason it is not
	haveMu       sync.Mutex

	deadMu sync.Mutex
	dead   string // "server stopped answering after <case>"

	ev    evidence // what the cases learned about the server (implemented commands, findings)
	nran  int      // cases that ran (not skipped), for the transcript audit
	ranMu sync.Mutex
}

// ran is the number of cases that have run so far.
func (s *runState) ran() int {
	s.ranMu.Lock()
	defer s.ranMu.Unlock()
	return s.nran
}

// Run runs cases against opts.Target and returns the graded results with the server profile.
// A target that cannot be reached at all gives an *UnreachableError; one that refuses the login
// gives a *LoginError.
func Run(ctx context.Context, cases []Case, opts Options) (*reports.Conformance, error) {
	modes, err := Modes(opts.TLS, opts.Target)
	if err != nil {
		return nil, err
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 20 * time.Second
	}
	if !opts.ForeignAddr.IsValid() {
		opts.ForeignAddr = netip.MustParseAddr("127.0.0.2")
	}
	if opts.ExhaustMax <= 0 {
		opts.ExhaustMax = DefaultExhaustMax
	}
	for _, c := range cases {
		if err := c.validate(); err != nil {
			return nil, err
		}
	}
	s := &runState{opts: opts, implicitAddr: opts.ImplicitAddr, have: map[Feature]string{}}
	if opts.Target.Scheme == "ftps" {
		s.implicitAddr = opts.Target.Addr()
	}
	if err := s.probe(ctx, modes[0]); err != nil {
		// What the probe learned (a banner, the bytes received, its transcript) is the evidence
		// of why nothing ran: the caller writes it as a partial result.
		return &reports.Conformance{Profile: s.profile, Cases: []reports.CaseResult{}}, err
	}

	out := &reports.Conformance{Profile: s.profile, Strict: opts.Strict}
	var progressMu sync.Mutex
	report := func(r reports.CaseResult) {
		if opts.Progress != nil {
			progressMu.Lock()
			opts.Progress(r)
			progressMu.Unlock()
		}
	}
	ownTLSMode := "" // OwnTLS cases run once, in the first mode that has a plain control port
	for _, m := range modes {
		if m != ModeImplicit {
			ownTLSMode = m
			break
		}
	}
	var audits []job
	for _, c := range cases {
		if c.Audit {
			audits = append(audits, job{c: c, mode: modes[0], label: modes[0]})
		}
	}
	for mi, mode := range modes {
		var jobs []job
		for _, c := range cases {
			if c.Audit {
				continue
			}
			j := job{c: c, mode: mode, label: mode}
			switch c.TLS {
			case OwnTLS:
				j.mode, j.label = ModeNone, ModeExplicit
				if ownTLSMode == "" {
					if mi > 0 {
						continue
					}
					j.skip = "negotiates TLS itself with AUTH TLS on a plain control connection; not under --tls implicit"
				} else if mode != ownTLSMode {
					continue
				}
			case PlainOnly:
				if mode != ModeNone {
					if slices.Contains(modes, ModeNone) || mi > 0 {
						continue
					}
					j.skip = "observes unprotected connections; runs under --tls none or all"
				}
			}
			jobs = append(jobs, j)
		}
		out.Cases = append(out.Cases, s.runJobs(ctx, jobs, report)...)
	}
	// The transcript audits grade what every case above showed, so they run last, alone.
	out.Cases = append(out.Cases, s.runJobs(ctx, audits, report)...)
	s.finishProfile()
	out.Recount()
	return out, s.runErr(ctx)
}

// runErr says why a finished run is incomplete: interrupted, or its target went away.
func (s *runState) runErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dead := s.deadReason(); dead != "" {
		return &TargetLostError{Reason: dead}
	}
	return nil
}

type job struct {
	c     Case
	mode  string // the Env's mode
	label string // the mode reported in CaseResult.TLS
	skip  string // run nothing; skip with this reason
}

// runJobs runs the parallel jobs with opts.Parallel workers, then the serial ones alone, and
// returns results in the jobs' order.
func (s *runState) runJobs(ctx context.Context, jobs []job, report func(reports.CaseResult)) []reports.CaseResult {
	results := make([]reports.CaseResult, len(jobs))
	var parallel, serial []int
	for i, j := range jobs {
		if j.c.Serial {
			serial = append(serial, i)
		} else {
			parallel = append(parallel, i)
		}
	}
	if s.opts.Planned != nil && len(jobs) > 0 {
		s.opts.Planned(len(jobs))
	}
	do := func(i int) {
		if s.opts.Starting != nil {
			s.opts.Starting(jobs[i].c.ID, jobs[i].label)
		}
		results[i] = s.runOne(ctx, jobs[i])
		report(results[i])
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < s.opts.Parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				do(i)
			}
		}()
	}
	for _, i := range parallel {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, i := range serial {
		do(i)
	}
	return results
}

// runOne runs one case and grades it.
func (s *runState) runOne(ctx context.Context, j job) reports.CaseResult {
	c := j.c
	res := reports.CaseResult{ID: c.ID, RFC: c.RFC, Section: c.Section, Level: string(c.Level), Title: c.Title,
		Requirement: c.Requirement, Tags: slices.Clone(c.Tags), TLS: j.label}
	finish := func(o reports.Outcome, reason string) reports.CaseResult {
		res.Outcome, res.Reason = s.opts.Expectations.apply(c.ID, j.label, o, reason)
		return res
	}
	if j.skip != "" {
		return finish(reports.Skip, j.skip)
	}
	if dead := s.deadReason(); dead != "" {
		return finish(reports.Error, dead)
	}
	if err := ctx.Err(); err != nil {
		return finish(reports.Error, "run interrupted: "+err.Error())
	}
	if o, reason := s.needs(ctx, c, j.mode); o != "" {
		return finish(o, reason)
	}

	env := newEnv(c.ID, s, j.mode)
	if !c.Audit {
		s.ranMu.Lock()
		s.nran++
		s.ranMu.Unlock()
	}
	start := time.Now()
	budget := s.opts.Timeout
	if c.Budget != nil {
		budget = max(budget, c.Budget(s.opts))
		// A budget sized to the server's own delays is also how long one reply may take:
		// Pure-FTPd's delay after a failed login grows past the per-operation --timeout.
		env.timeout = budget
	}
	// The harness's own waits (see Env.excuse) may move the deadline, by harnessGrace at most.
	cctx, cancel := withBudget(ctx, budget, harnessGrace)
	env.budget = cctx
	err := runSafely(cctx, c, env)
	timedOut := cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil
	cancel()
	cleanCtx, cancelClean := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	env.close(cleanCtx)
	cancelClean()
	res.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	res.Transcript = env.tr.Events()

	o, expected, actual, reason := Classify(c, err, s.opts.Strict)
	if o == reports.Error && timedOut {
		if g := cctx.Granted(); g > 0 {
			reason = fmt.Sprintf("timed out after %s (budget %s, and %s the harness spent waiting): %s", budget+g, budget, g.Round(time.Millisecond), reason)
		} else {
			reason = fmt.Sprintf("timed out after %s: %s", budget, reason)
		}
	}
	res.Expected, res.Actual = expected, actual
	if o == reports.Error || o == reports.Fail {
		// A server that died takes every later case with it: say so once, not a hundred times.
		if !s.alive(ctx, j.mode) {
			s.markDead(c.ID)
		}
	}
	return finish(o, reason)
}

func runSafely(ctx context.Context, c Case, env *Env) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("case panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return c.Run(ctx, env)
}

func (s *runState) deadReason() string {
	s.deadMu.Lock()
	defer s.deadMu.Unlock()
	return s.dead
}

func (s *runState) markDead(after string) {
	s.deadMu.Lock()
	defer s.deadMu.Unlock()
	if s.dead == "" {
		s.dead = "server stopped answering after " + after
	}
}

// alive is the health probe: can a new control connection get a greeting? Two tries, because a
// server at its connection limit may refuse one.
func (s *runState) alive(ctx context.Context, mode string) bool {
	if ctx.Err() != nil {
		return true // the run is ending; not the server's fault
	}
	for try := 0; try < 2; try++ {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		addr := s.opts.Target.Addr()
		opts := ftpwire.Options{}
		if mode == ModeImplicit && s.implicitAddr != "" {
			addr = s.implicitAddr
			opts.TLS = &tls.Config{InsecureSkipVerify: true}
		}
		c, greet, err := ftpwire.Dial(pctx, addr, opts)
		if err == nil {
			_, err = c.Cmd(pctx, "NOOP")
			c.Close()
		}
		cancel()
		if err == nil && greet.Code != 0 {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// needs checks a case's preconditions. It returns "" when all are met, or the outcome (skip or
// unsupported) and the reason.
func (s *runState) needs(ctx context.Context, c Case, mode string) (reports.Outcome, string) {
	for _, f := range c.Needs {
		if label, ok := strings.CutPrefix(string(f), "feat:"); ok {
			if _, ok := s.feat[label]; !ok {
				return reports.Unsupported, fmt.Sprintf("the server does not advertise %s in FEAT", label)
			}
			continue
		}
		if reason := s.check(ctx, f, mode); reason != "" {
			if f == NeedTLS {
				return reports.Unsupported, reason
			}
			return reports.Skip, reason
		}
	}
	return "", ""
}

// check evaluates a non-FEAT feature once per run.
func (s *runState) check(ctx context.Context, f Feature, mode string) string {
	s.haveMu.Lock()
	defer s.haveMu.Unlock()
	if reason, ok := s.have[f]; ok {
		return reason
	}
	var reason string
	switch f {
	case NeedWrite:
		if s.opts.Target.Anonymous() {
			reason = "needs a login that may write (the target URL logs in anonymously)"
		} else {
			reason = s.probeWrite(ctx, mode)
		}
	case NeedForeignIP:
		reason = s.probeForeign()
	case NeedDeclaredRange:
		if s.opts.DeclaredRange.IsZero() {
			reason = "needs the server's declared passive range (--pasv-ports LO-HI)"
		}
	case NeedTLS:
		reason = s.probeTLS(ctx)
	case NeedIPv4:
		if a, err := netip.ParseAddr(s.opts.Target.Host); err == nil && !a.Unmap().Is4() {
			reason = "PASV and PORT carry IPv4 addresses only; the target is IPv6"
		}
	default:
		reason = fmt.Sprintf("unknown precondition %q", f)
	}
	s.have[f] = reason
	return reason
}

func (s *runState) probeEnv(mode string) *Env {
	e := newEnv("rfc0/0/probe", s, mode)
	return e
}

func (s *runState) probeWrite(ctx context.Context, mode string) string {
	e := s.probeEnv(mode)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	defer e.close(pctx)
	c, err := e.Login(pctx)
	if err != nil {
		return "cannot log in to check write access: " + err.Error()
	}
	name := e.Name("probe")
	if err := c.Stor(pctx, name, []byte("ftpspec write probe\n")); err != nil {
		return "the login cannot upload: " + err.Error()
	}
	return ""
}

func (s *runState) probeForeign() string {
	a := s.opts.ForeignAddr
	host, err := netip.ParseAddr(s.opts.Target.Host)
	if err != nil {
		if ips, lerr := net.LookupIP(s.opts.Target.Host); lerr == nil && len(ips) > 0 {
			host, _ = netip.AddrFromSlice(ips[0])
			host = host.Unmap()
		}
	}
	if !host.IsLoopback() {
		return fmt.Sprintf("a foreign client needs a loopback target (the target is %s; %s cannot reach it as another host)", s.opts.Target.Host, a)
	}
	if a.Is4() != host.Unmap().Is4() {
		return fmt.Sprintf("foreign address %s and target %s are of different IP families", a, host)
	}
	ln, err := net.Listen("tcp", netip.AddrPortFrom(a, 0).String())
	if err != nil {
		return fmt.Sprintf("foreign address %s is not usable here: %v", a, err)
	}
	ln.Close()
	return ""
}

func (s *runState) probeTLS(ctx context.Context) string {
	if s.opts.Target.Scheme == "ftps" {
		return ""
	}
	e := s.probeEnv(ModeNone)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	defer e.close(pctx)
	c, greet, err := e.Dial(pctx)
	if err != nil {
		return "cannot connect to check AUTH TLS: " + err.Error()
	}
	if greet.Code != 220 {
		return "greeting " + quote(greet)
	}
	r, err := c.Cmd(pctx, "AUTH TLS")
	if err != nil {
		return "AUTH TLS: " + err.Error()
	}
	if r.Code != 234 {
		return "the server does not accept AUTH TLS: " + quote(r)
	}
	if err := c.StartTLS(pctx, e.newTLSConfig()); err != nil {
		return "TLS handshake after AUTH TLS failed: " + err.Error()
	}
	return ""
}

// probe learns the server's profile: banner, SYST, FEAT, passive address. It is also the
// reachability check.
func (s *runState) probe(ctx context.Context, mode string) error {
	e := s.probeEnv(mode)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	defer e.close(pctx)
	p := &reports.Profile{DeclaredRange: s.opts.DeclaredRange.String()}
	s.profile = p
	s.feat = map[string]string{}
	failed := func(err error) error {
		p.ProbeTranscript = e.tr.Events()
		return err
	}
	c, greet, err := e.Dial(pctx)
	if err != nil {
		if errors.Is(err, ErrSkip) {
			return fmt.Errorf("--tls implicit: %w", err)
		}
		if greet.Raw != "" {
			p.Banner = greet.Raw // not a greeting, but what the target sent instead
		}
		return failed(&UnreachableError{Addr: s.opts.Target.Addr(), Err: err})
	}
	p.Banner = greet.String()
	c.Close()
	c, err = e.Connect(pctx)
	if err != nil {
		return failed(&UnreachableError{Addr: s.opts.Target.Addr(), Err: err})
	}
	if err := c.LoginOnly(pctx); err != nil {
		return failed(&LoginError{User: s.opts.Target.User, Err: err})
	}
	if r, err := c.Cmd(pctx, "SYST"); err == nil && r.Code == 215 {
		p.Syst = r.Text()
	}
	if r, err := c.Cmd(pctx, "FEAT"); err == nil && r.Code == 211 {
		for _, f := range parseFeat(r) {
			p.Feat = append(p.Feat, f.line)
			s.feat[f.label] = f.params
			for _, v := range featVerbs(f.label) {
				s.ev.noteImplemented("", v, "advertised in FEAT ("+f.line+")")
			}
		}
	}
	s.probeExtended(pctx, c)
	if r, err := c.Cmd(pctx, "PASV"); err == nil && r.Code == 227 {
		if ap, err := ftpwire.ParsePASV(r.Text()); err == nil {
			p.PassiveAddress = ap.Addr().String()
			s.ports.add(ap.Addr(), ap.Port())
		}
	}
	p.ActiveSource, p.ActiveSourceKind = activeSource(pctx, c, s.opts.Target.Port)
	_, _ = c.Cmd(pctx, "QUIT")
	return nil
}

// activeSource learns where the server opens active-mode data connections from: one PORT and
// NLST, and the peer of the connection the server makes. Empty when it refuses or never connects.
func activeSource(ctx context.Context, c *Ctrl, controlPort string) (from, kind string) {
	l, err := c.Listen(netip.Addr{})
	if err != nil {
		return "", ""
	}
	defer l.Close()
	if r, err := c.Cmd(ctx, "PORT "+ftpwire.FormatPORT(l.Addr)); err != nil || r.Code != 200 {
		return "", ""
	}
	if r, err := c.Cmd(ctx, "NLST"); err != nil || r.Class() != 1 {
		return "", ""
	}
	dc, err := l.Accept(5 * time.Second)
	if err != nil || dc == nil {
		return "", ""
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(dc, maxDownload))
	dc.Close()
	_, _ = c.ReadReply(ctx)
	ap, err := netip.ParseAddrPort(dc.peer)
	if err != nil {
		return dc.peer, ""
	}
	cp, _ := strconv.Atoi(controlPort)
	switch port := int(ap.Port()); {
	case port == cp-1:
		kind = "L-1"
	case port < 1024:
		kind = "privileged"
	default:
		kind = "ephemeral"
	}
	return dc.peer, kind
}

func (s *runState) finishProfile() {
	s.ports.mu.Lock()
	defer s.ports.mu.Unlock()
	for p := range s.ports.ports {
		s.profile.PassivePorts = append(s.profile.PassivePorts, int(p))
	}
	slices.Sort(s.profile.PassivePorts)
	s.profile.Commands = s.ev.snapshot()
	if s.profile.PassiveAddress == "" {
		for a := range s.ports.addrs {
			s.profile.PassiveAddress = a.String()
			break
		}
	}
}

// featLine is one feature of a FEAT reply.
type featLine struct {
	line   string // the line without its leading space
	label  string // upper-cased
	params string
}

// parseFeat extracts the feature lines of a 211 reply (RFC 2389 §3.2: each begins with one space).
func parseFeat(r ftpwire.Reply) []featLine {
	lines := r.Lines()
	if len(lines) < 3 {
		return nil
	}
	var out []featLine
	for _, l := range lines[1 : len(lines)-1] {
		l = strings.TrimPrefix(l, " ")
		if strings.TrimSpace(l) == "" {
			continue
		}
		label, params, _ := strings.Cut(l, " ")
		out = append(out, featLine{line: l, label: strings.ToUpper(label), params: params})
	}
	return out
}

// probeExtended tries EPSV and EPRT with valid arguments, once per run, when FEAT does not
// advertise them: a server that uses a command successfully implements it, and every case then
// grades its 500 to a bad argument as a refusal, not as "unsupported" (Ctrl.Cmd records the
// evidence).
func (s *runState) probeExtended(ctx context.Context, c *Ctrl) {
	if _, ok := s.ev.implemented(c.env.Mode, "EPSV"); !ok {
		_, _ = c.Cmd(ctx, "EPSV")
	}
	if _, ok := s.ev.implemented(c.env.Mode, "EPRT"); !ok {
		if l, err := c.Listen(netip.Addr{}); err == nil {
			_, _ = c.Cmd(ctx, "EPRT "+ftpwire.FormatEPRT(l.Addr))
			l.Close()
		}
	}
}
