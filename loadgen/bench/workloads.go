package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
	"github.com/ftpspec/ftpspec/loadgen"
	"github.com/ftpspec/ftpspec/reports"
)

// scenario is the loadgen scenario every transfer workload starts from: files uploaded to a work
// directory under the target's URL path and deleted after, so every server serves the same
// kind of file from its own disk (the reference's computed /synthetic files would flatter it).
func (b *bencher) scenario(sessions, transfers int, size int64, op loadgen.Op) loadgen.Scenario {
	sc := loadgen.Default()
	sc.Name = "bench"
	sc.Sessions = sessions
	sc.Transfers = transfers
	sc.Size = loadgen.FixedSize(size)
	sc.Mix = loadgen.Mix[loadgen.Op]{{Value: op, Weight: 1}}
	sc.Content = loadgen.ContentUpload
	sc.Lockstep = true
	sc.Timeout = b.cfg.Timeout
	return sc
}

func (b *bencher) runLoad(ctx context.Context, t *benchTarget, sc loadgen.Scenario) (*reports.Load, error) {
	return loadgen.Run(ctx, sc, loadgen.Options{Target: t.URL, ServerInProcess: t.InProcess, RecordsLimit: 1000})
}

// big is one session moving one big file, every byte verified (a STOR is read back, or hashed
// by the server, after the timed transfer).
func (b *bencher) big(ctx context.Context, t *benchTarget, w string) *reports.BenchBig {
	op := loadgen.OpRETR
	if w == reports.WorkloadStor {
		op = loadgen.OpSTOR
	}
	l, err := b.runLoad(ctx, t, b.scenario(1, 1, b.cfg.BigSize, op))
	out := &reports.BenchBig{Attempted: 1}
	if l != nil {
		out.OK = l.Transfers.OK
		out.Attempted = max(l.Transfers.Attempted, 1)
		out.Bytes = l.Bytes
		out.Seconds = l.DurationS
		if out.OK == out.Attempted {
			out.BytesPerS = l.ThroughputBytesPerS
		}
		for _, rec := range l.Records {
			if rec.Verdict != reports.VerdictOK {
				out.Error = fmt.Sprintf("%s: %s", rec.Verdict, rec.Error)
				break
			}
		}
	}
	if err != nil && out.Error == "" {
		out.Error = err.Error()
	}
	return out
}

// small is N sessions × M transfers in barrier rounds, every byte verified.
func (b *bencher) small(ctx context.Context, t *benchTarget) *reports.BenchSmall {
	l, err := b.runLoad(ctx, t, b.scenario(b.cfg.SmallSessions, b.cfg.SmallTransfers, b.cfg.SmallSize, loadgen.OpRETR))
	out := &reports.BenchSmall{}
	if l != nil {
		out.Transfers = l.Transfers
		out.TransfersPerS = l.TransfersPerS
		out.P50MS, out.P99MS = l.LatencyMS.P50, l.LatencyMS.P99
		out.Seconds = l.DurationS
		for _, rec := range l.Records {
			if rec.Verdict != reports.VerdictOK {
				out.FirstFailure = fmt.Sprintf("session %d transfer %d: %s: %s", rec.Session, rec.Index, rec.Verdict, rec.Error)
				break
			}
		}
	}
	if l == nil || l.Transfers.Attempted == 0 {
		// Nothing ran: every planned transfer counts as failed, so the server is not ranked.
		out.Transfers.Attempted = b.cfg.SmallSessions * b.cfg.SmallTransfers
		out.Transfers.Failed = out.Transfers.Attempted
		out.Transfers.OK = 0
	}
	if err != nil {
		out.Error = err.Error()
	}
	return out
}

// login opens one session and logs it in; it returns the connection and the greeting's text.
func (b *bencher) dialLogin(ctx context.Context, t *benchTarget) (*ftpwire.Conn, string, error) {
	opts := ftpwire.Options{Timeout: b.cfg.Timeout}
	if t.tgt.Scheme == "ftps" {
		opts.TLS = &tls.Config{InsecureSkipVerify: true, ServerName: t.tgt.Host} //nolint:gosec // a bench measures, it does not authenticate
	}
	c, greet, err := ftpwire.Dial(ctx, t.tgt.Addr(), opts)
	if err != nil {
		return nil, "", err
	}
	fail := func(err error) (*ftpwire.Conn, string, error) {
		_ = c.Close()
		return nil, "", err
	}
	if greet.Code != 220 {
		return fail(fmt.Errorf("greeting: %s", oneLine(greet.Raw)))
	}
	rep, err := c.Cmd(ctx, "USER "+t.tgt.User)
	if err != nil {
		return fail(fmt.Errorf("USER: %w", err))
	}
	if rep.Code == 331 {
		if rep, err = c.Cmd(ctx, "PASS "+t.tgt.Password); err != nil {
			return fail(fmt.Errorf("PASS: %w", err))
		}
	}
	if rep.Code != 230 {
		return fail(fmt.Errorf("login as %s refused: %s", t.tgt.User, oneLine(rep.Raw)))
	}
	return c, oneLine(greet.Raw), nil
}

// login checks that t answers and accepts its login; it returns the banner.
func (b *bencher) login(ctx context.Context, t *benchTarget) (string, error) {
	c, banner, err := b.dialLogin(ctx, t)
	if err != nil {
		return "", err
	}
	quit(ctx, c)
	return banner, nil
}

func quit(ctx context.Context, c *ftpwire.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_, _ = c.Cmd(ctx, "QUIT")
	_ = c.Close()
}

// logins opens, logs in and closes sessions from a few parallel clients; the rate counts the ones
// that logged in.
func (b *bencher) logins(ctx context.Context, t *benchTarget) *reports.BenchLogins {
	n := b.cfg.Logins
	var next, ok atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range min(b.cfg.LoginParallel, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				c, _, err := b.dialLogin(ctx, t)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				ok.Add(1)
				quit(ctx, c)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	out := &reports.BenchLogins{OK: int(ok.Load()), Attempted: n, Seconds: el.Seconds()}
	if el > 0 {
		out.PerS = float64(out.OK) / el.Seconds()
	}
	if firstErr != nil {
		out.Error = firstErr.Error()
	}
	return out
}

// idle holds K logged-in sessions at once and, when the server's process is known, measures its
// process tree's memory before and while they are held.
func (b *bencher) idle(ctx context.Context, t *benchTarget) *reports.BenchIdle {
	k := b.cfg.IdleSessions
	out := &reports.BenchIdle{Attempted: k}
	var errs []error
	if t.PID != 0 {
		before, _, err := treePSS(t.PID)
		if err != nil {
			errs = append(errs, fmt.Errorf("PSS before: %w", err))
		}
		out.PSSBeforeKiB = before
	}
	conns := make([]*ftpwire.Conn, k)
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	var next atomic.Int64
	for range min(16, k) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(k) || ctx.Err() != nil {
					return
				}
				c, _, err := b.dialLogin(ctx, t)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	for _, c := range conns {
		if c != nil {
			out.OK++
		}
	}
	if firstErr != nil {
		errs = append(errs, firstErr)
	}
	if t.PID != 0 && out.OK > 0 && len(errs) == 0 {
		// Let forked session processes finish setting up before their memory is read.
		select {
		case <-time.After(300 * time.Millisecond):
		case <-ctx.Done():
		}
		at, procs, err := treePSS(t.PID)
		if err != nil {
			errs = append(errs, fmt.Errorf("PSS while held: %w", err))
		} else {
			out.PSSAtKiB, out.Processes = at, procs
			out.KiBPerSession = float64(at-out.PSSBeforeKiB) / float64(out.OK)
			out.MemoryMeasured = true
		}
	}
	var qw sync.WaitGroup
	sem := make(chan struct{}, 32)
	for _, c := range conns {
		if c == nil {
			continue
		}
		qw.Add(1)
		sem <- struct{}{}
		go func() {
			defer qw.Done()
			quit(ctx, c)
			<-sem
		}()
	}
	qw.Wait()
	if err := errors.Join(errs...); err != nil {
		out.Error = oneLine(err.Error())
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
