package loadgen

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ftpspec/ftpspec/internal/payload"
	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reports"
)

// Options are how Run is wired into its caller; what the run does is the Scenario.
type Options struct {
	// Target is the server's URL (ftp://user:pass@host:port/dir). It overrides Scenario.Target.
	Target string
	// Observer receives progress. Nil: none.
	Observer Observer
	// ServerInProcess says the target runs in this process (the embedded reference server), so
	// its descriptors count against the same limit as the sessions'.
	ServerInProcess bool
	// RecordsLimit bounds the transfer records kept in the result: past it, only the ones that
	// were not ok. Zero: 100,000. Negative: no limit.
	RecordsLimit int
	// Start is the run's clock zero (reports.Run.Started): records' start_ms and the series count
	// from it. Zero: the moment Run is called.
	Start time.Time
	// TLS is the base configuration for TLS connections. Nil: certificates are not verified (a
	// load run measures transfers, not a PKI) and the session cache is per session.
	TLS *tls.Config
	// ThiefDial, when set, opens the thieves' connections instead of a dial from
	// Scenario.ThiefSource on this host: the NAT lab dials from a namespace outside the NAT.
	ThiefDial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Observer follows a run. Its methods are called from one goroutine, never concurrently; they
// must return quickly.
type Observer interface {
	// Phase announces a phase: "connect", "prepare" (uploads), "load", "verify", "cleanup". total
	// is the work it holds (files, transfers), or 0 when not known in advance.
	Phase(name string, total int)
	// Transfer reports a finished transfer.
	Transfer(rec *reports.TransferRecord)
	// Progress reports the running totals, a few times a second and at the end of each phase.
	Progress(p Progress)
}

// Progress is a snapshot of a running load.
type Progress struct {
	Phase     string
	Elapsed   time.Duration
	Planned   int // transfers planned (0 when the run is bound by time)
	Counts    reports.TransferCounts
	Bytes     int64
	Sessions  int // logged in
	OpenData  int // data connections open now
	PeakData  int
	Done      int // of the phase's total, for phases other than "load"
	PhaseSize int
}

// runner is one Run's shared state.
type runner struct {
	prep prepStats // transient refusals met while uploading the files
	sc   *Scenario
	opts Options
	tgt  target.Target
	plan *plan
	t0   time.Time
	obs  Observer

	loadStart time.Time
	results   chan result
	thieves   *thieves
	// stealShare is this shard's share of the thief attempts.
	stealShare int
	// hashCmd verifies uploads by the server's digest (see hashSupport); hashSelect selects SHA-256.
	hashCmd    string
	hashSelect bool

	openData       atomic.Int64
	peakData       atomic.Int64
	loggedIn       atomic.Int64
	addrMismatches atomic.Int64
	phase          atomic.Value // string
	phaseDone      atomic.Int64
	phaseSize      atomic.Int64
}

func (r *runner) dataOpened() {
	n := r.openData.Add(1)
	for {
		p := r.peakData.Load()
		if n <= p || r.peakData.CompareAndSwap(p, n) {
			return
		}
	}
}

func (r *runner) dataClosed() { r.openData.Add(-1) }

// Run attacks the target with the scenario and returns what happened. The scenario is validated
// first (a *FieldError). A run that completes returns a nil error even when transfers failed:
// Verdict judges the Load. A non-nil error with a non-nil Load (an *IncompleteError) means the run
// was cut short and the Load holds what was measured.
func Run(ctx context.Context, sc Scenario, opts Options) (*reports.Load, error) {
	if opts.Target != "" {
		sc.Target = opts.Target
		sc.FromFlag("target")
	}
	if sc.Target == "" {
		return nil, &FieldError{Field: "target", Problem: "no target: give a URL such as ftp://user:pass@127.0.0.1:2121"}
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	tgt, err := target.Parse(sc.Target)
	if err != nil {
		return nil, &FieldError{Field: "target", Problem: err.Error()}
	}
	if tgt.Scheme == "ftps" && sc.TLS == TLSNone {
		sc.TLS = TLSImplicit // ftps:// is the implicit-TLS convention
	}
	r := &runner{sc: &sc, opts: opts, tgt: tgt, t0: opts.Start, obs: opts.Observer}
	if r.t0.IsZero() {
		r.t0 = time.Now()
	}
	if r.obs == nil {
		r.obs = nopObserver{}
	}
	r.obs = &lockedObserver{o: r.obs}
	if r.opts.RecordsLimit == 0 {
		r.opts.RecordsLimit = 100_000
	}
	lo, hi := sc.Shard.span(sc.Sessions)
	if err := checkBudget(hi-lo, &sc, opts.ServerInProcess); err != nil {
		return nil, err
	}
	seed := sc.Seed
	var id [8]byte
	_, _ = rand.Read(id[:])
	if seed == 0 {
		seed = binary.LittleEndian.Uint64(id[:]) | 1
	}
	workDir := sc.WorkDir
	if workDir == "" {
		workDir = "ftpspec-load-" + hex.EncodeToString(id[:4])
	}

	r.setPhase("probe", 0)
	pr, err := r.probe(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &IncompleteError{Reason: "interrupted before the load started", Err: context.Cause(ctx)}
		}
		return nil, err
	}
	r.plan = newPlan(&sc, seed, pr.synthetic, workDir)
	r.hashCmd, r.hashSelect = hashSupport(pr.feat)

	// The collector runs from here to the end, so progress flows during uploads too.
	col := newCollector(r.t0, r.opts.RecordsLimit)
	planned := r.plan.sessions() * sc.Transfers
	r.results = make(chan result, 1024)
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		r.collect(col, planned)
	}()
	finish := func() {
		close(r.results)
		<-collected
	}

	made, err := r.prepare(ctx, pr)
	if err != nil {
		finish()
		r.cleanup(ctx, made)
		return nil, err
	}
	if sc.Steal > 0 {
		r.thieves = newThieves(sc.ThiefSource, sc.Timeout, r.plan.catalog, opts.ThiefDial)
		r.stealShare = stealShare(sc.Steal, sc.Sessions, sc.Shard)
	}

	loadErr := r.load(ctx, planned)
	finish()
	r.cleanup(ctx, made)

	l := col.load()
	r.fill(l, col)
	if ctx.Err() != nil {
		return l, &IncompleteError{Reason: "interrupted", Err: context.Cause(ctx)}
	}
	if loadErr != nil {
		return l, loadErr
	}
	if lost := r.targetLost(ctx, col); lost != nil {
		return l, &IncompleteError{Reason: "the target went away during the run", Err: lost}
	}
	return l, nil
}

// stealShare is a shard's share of the thief attempts, in proportion to its sessions; the
// shares of all shards add up to steal exactly.
func stealShare(steal, sessions int, sh Shard) int {
	lo, hi := sh.span(sessions)
	return steal*hi/sessions - steal*lo/sessions
}

// fill completes the Load with the scenario, the port analysis, the thieves and thresholds.
func (r *runner) fill(l *reports.Load, col *collector) {
	sc := r.sc
	p := r.plan
	l.Scenario = sc.File
	l.Sessions = p.sessions()
	l.TransfersPerSession = sc.Transfers
	l.Size = int64(sc.Size.Mean())
	l.DataMode = sc.modeString()
	l.TLS = string(sc.TLS)
	if len(sc.Sources) > 0 {
		var s []string
		for _, a := range sc.Sources {
			s = append(s, a.String())
		}
		l.Source = strings.Join(s, ",")
	} else if len(col.records) > 0 {
		l.Source = col.records[0].Source
	}
	if sc.Shard.Count > 1 {
		l.Shard = &reports.Shard{Index: sc.Shard.Index, Count: sc.Shard.Count}
	}
	l.Preparation = r.prep.report()
	l.MaxSimultaneousDataConnections = int(r.peakData.Load())
	l.DataPorts = reports.AnalyzePorts(col.records, sc.PasvPorts)
	l.DataPorts.AddressMismatches = int(r.addrMismatches.Load())
	if r.thieves != nil {
		l.Thieves = &reports.Thieves{
			Source:      sc.ThiefSource.String(),
			Attempts:    int(r.thieves.attempts.Load()),
			Connected:   int(r.thieves.connected.Load()),
			BytesStolen: col.stolenBytes,
			Broken:      col.broken,
		}
	}
	l.Records, l.Truncated = col.keptRecords()
	if len(sc.Thresholds) > 0 {
		l.Thresholds, _ = reports.EvalThresholds(sc.Thresholds, l) // validated before the run
	}
}

// load runs the sessions, which send their results to the collector, until they are done.
func (r *runner) load(ctx context.Context, planned int) error {
	p := r.plan
	n := p.sessions()
	sessions := make([]*session, n)
	bufSize := int(min(max(p.sc.Size.Largest()+1, 16<<10), 256<<10))
	for i := range sessions {
		id := p.lo + i
		s := &session{r: r, id: id, local: i, mode: p.mode(id), source: p.source(id)}
		s.tlsCfg = r.tlsConfig()
		s.v = payload.NewVerifier("", 0, 0, p.catalog)
		s.buf = make([]byte, bufSize)
		if r.sc.Lockstep {
			s.in = make(chan *round, 1)
			s.turn = make(chan struct{}, 1)
		}
		sessions[i] = s
	}

	// Connect and log in every session, spread over the ramp-up.
	r.setPhase("connect", n)
	r.loadStart = time.Now()
	var wg sync.WaitGroup
	var connected sync.WaitGroup
	connected.Add(n)
	for i, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.sc.RampUp > 0 && n > 1 {
				sleep(ctx, r.sc.RampUp*time.Duration(i)/time.Duration(n))
			}
			s.setupErr = ctx.Err()
			if s.setupErr == nil {
				s.setupErr = s.connect(ctx)
			}
			if s.setupErr == nil {
				r.loggedIn.Add(1)
			}
			r.phaseDone.Add(1)
			connected.Done()
			if s.setupErr != nil {
				s.dead = s.setupErr
				s.failAll(ctx, 0)
				return
			}
			if r.sc.Lockstep {
				s.rounds(ctx)
			} else {
				s.free(ctx)
			}
			s.quit(context.WithoutCancel(ctx))
			if s.dead != nil && ctx.Err() == nil {
				s.failAll(ctx, s.transfers)
			}
		}()
	}
	if r.sc.Lockstep {
		// Logins are bounded by the timeout and cut short by cancellation, so this wait ends.
		connected.Wait()
		var live []*session
		for _, s := range sessions {
			if s.setupErr == nil {
				live = append(live, s)
			}
		}
		r.setPhase("load", planned)
		r.lockstep(ctx, live, mrand.New(mrand.NewPCG(p.seed, p.seed>>1^0x5bd1e995)))
	} else {
		r.setPhase("load", planned)
	}
	wg.Wait()

	if r.loggedIn.Load() == 0 && ctx.Err() == nil {
		err := sessions[0].setupErr
		for _, s := range sessions {
			if s.setupErr != nil {
				err = s.setupErr
				break
			}
		}
		return &TargetError{Op: "no session could log in", Err: err}
	}
	return nil
}

// failAll accounts for the transfers a session will not make because it has no control
// connection: from transfer `from` to the end of its plan (one, when the run is bound by time).
func (s *session) failAll(ctx context.Context, from int) {
	if ctx.Err() != nil {
		return
	}
	err := s.dead
	if err == nil {
		err = s.setupErr
	}
	end := s.r.sc.Transfers
	if end == 0 {
		end = from + 1
		if from > 0 {
			return // a time-bound session that made transfers just stops
		}
	}
	for t := from; t < end; t++ {
		s.failed(t, fmt.Errorf("not attempted: %w", err))
	}
}

// free runs a session's transfers without barriers: each one as soon as the last is done and the
// think time has passed.
func (s *session) free(ctx context.Context) {
	r := s.r
	for t := 0; ; t++ {
		if r.sc.Transfers > 0 && t >= r.sc.Transfers {
			return
		}
		if r.sc.Duration > 0 && time.Since(r.loadStart) >= r.sc.Duration {
			return
		}
		if ctx.Err() != nil || s.dead != nil {
			return
		}
		if t > 0 && r.sc.Think > 0 {
			sleep(ctx, r.sc.Think)
		}
		x := s.newTransfer(t)
		x.victim = r.thieves != nil && s.mode.passive() && s.isVictim(t)
		s.begin(ctx, x)
		s.prepare(ctx, x)
		s.open(ctx, x)
		s.move(ctx, x)
		s.finish(ctx, x)
	}
}

// isVictim decides, without coordination, whether a free-running transfer gets a thief: with a
// probability that spreads the shard's attempts over its planned transfers.
func (s *session) isVictim(t int) bool {
	r := s.r
	total := r.plan.sessions() * max(r.sc.Transfers, 1)
	return int(rnd(r.plan.seed, s.id, t, saltVictim)%uint64(total)) < r.stealShare
}

// collect feeds results to the collector and the observer, with progress a few times a second.
func (r *runner) collect(col *collector, planned int) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case res, ok := <-r.results:
			if !ok {
				r.obs.Progress(r.progress(col, planned))
				return
			}
			col.add(&res)
			r.obs.Transfer(&col.records[len(col.records)-1])
		case <-tick.C:
			r.obs.Progress(r.progress(col, planned))
		}
	}
}

func (r *runner) progress(col *collector, planned int) Progress {
	ph, _ := r.phase.Load().(string)
	return Progress{
		Phase:     ph,
		Elapsed:   time.Since(r.t0),
		Planned:   planned,
		Counts:    col.counts,
		Bytes:     col.bytes,
		Sessions:  int(r.loggedIn.Load()),
		OpenData:  int(r.openData.Load()),
		PeakData:  int(r.peakData.Load()),
		Done:      int(r.phaseDone.Load()),
		PhaseSize: int(r.phaseSize.Load()),
	}
}

// setPhase records the phase for progress snapshots. The observer hears of it from the
// collecting goroutine only while the load runs; outside it, the phases are announced here,
// before any goroutine that could call the observer exists.
func (r *runner) setPhase(name string, total int) {
	r.phase.Store(name)
	r.phaseDone.Store(0)
	r.phaseSize.Store(int64(total))
	r.obs.Phase(name, total)
}

// tlsConfig returns a session's TLS configuration, with a session cache of its own so that its
// data connections can resume its control connection's TLS session.
func (r *runner) tlsConfig() *tls.Config {
	if r.sc.TLS == TLSNone {
		return nil
	}
	var cfg *tls.Config
	if r.opts.TLS != nil {
		cfg = r.opts.TLS.Clone()
	} else {
		cfg = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // see Options.TLS
	}
	if cfg.ServerName == "" {
		cfg.ServerName = r.tgt.Host
	}
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// targetLost tells a server that went away from one that failed transfers: when transfers failed
// on their control connections, the target must still accept a connection.
func (r *runner) targetLost(ctx context.Context, col *collector) error {
	lostControl := 0
	for _, rec := range col.records {
		if rec.Verdict == reports.VerdictFailed && strings.Contains(rec.Error, "control connection") {
			lostControl++
		}
	}
	if lostControl == 0 {
		return nil
	}
	d := net.Dialer{Timeout: min(r.sc.Timeout, 3*time.Second)}
	c, err := d.DialContext(ctx, "tcp", r.tgt.Addr())
	if err != nil {
		return fmt.Errorf("%d transfers lost their control connection and %s no longer accepts connections: %w", lostControl, r.tgt.Addr(), err)
	}
	_ = c.Close()
	return nil
}

type nopObserver struct{}

func (nopObserver) Phase(string, int)                {}
func (nopObserver) Transfer(*reports.TransferRecord) {}
func (nopObserver) Progress(Progress)                {}

// lockedObserver keeps the promise that an Observer is never called concurrently.
type lockedObserver struct {
	mu sync.Mutex
	o  Observer
}

func (l *lockedObserver) Phase(name string, total int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.o.Phase(name, total)
}

func (l *lockedObserver) Transfer(rec *reports.TransferRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.o.Transfer(rec)
}

func (l *lockedObserver) Progress(p Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.o.Progress(p)
}
