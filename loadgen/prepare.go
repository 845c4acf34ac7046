package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ftpspec/ftpspec/reports"
)

// probed is what the run learned from its first connection.
type probed struct {
	synthetic bool
	feat      []string
}

// newHelper returns a session outside the load (probe, uploads, cleanup).
func (r *runner) newHelper() *session {
	s := &session{r: r, id: -1, local: -1, mode: r.sc.DataMode[0].Value}
	if len(r.sc.Sources) > 0 {
		s.source = r.sc.Sources[0]
	}
	s.tlsCfg = r.tlsConfig()
	s.buf = make([]byte, 256<<10)
	return s
}

// probe connects once before the load: the target must be reachable and accept the login, and
// it tells whether the server computes the synthetic files itself.
func (r *runner) probe(ctx context.Context) (*probed, error) {
	s := r.newHelper()
	if err := s.connect(ctx); err != nil {
		s.quit(ctx)
		op := "connect"
		if s.ctrl != nil {
			op = "login"
		}
		return nil, &TargetError{Op: op + " to " + r.tgt.Addr(), Err: err}
	}
	defer s.quit(context.WithoutCancel(ctx))
	var codes []int
	pr := &probed{}
	if rep, err := s.cmd(ctx, &codes, "FEAT"); err == nil && rep.Code == 211 {
		for _, l := range rep.Lines()[1:] {
			if strings.HasPrefix(l, " ") {
				pr.feat = append(pr.feat, strings.TrimSpace(l))
			}
		}
	}
	switch r.sc.Content {
	case ContentSynthetic:
		pr.synthetic = true
	case ContentAuto:
		// The reference server (and any ftpspec serve) offers /synthetic/<size>/<name>: the
		// size of a probe file there tells, without a transfer.
		rep, err := s.cmd(ctx, &codes, "SIZE /synthetic/16/ftpspec-probe")
		pr.synthetic = err == nil && rep.Code == 213 && strings.TrimSpace(rep.Text()) == "16"
	}
	if s.dead != nil {
		return nil, &TargetError{Op: "probe", Err: s.dead}
	}
	return pr, nil
}

// prepare creates the work directory and uploads the files the sessions will download, when the
// server does not compute them. It returns what it created, for cleanup.
func (r *runner) prepare(ctx context.Context, pr *probed) (*created, error) {
	p := r.plan
	c := &created{dir: p.workDir}
	if !p.needsDir {
		return c, nil
	}
	s := r.newHelper()
	if err := s.connect(ctx); err != nil {
		s.quit(ctx)
		return c, &TargetError{Op: "prepare", Err: err}
	}
	var codes []int
	rep, err := s.cmd(ctx, &codes, "MKD "+p.workDir)
	switch {
	case err != nil:
		s.quit(ctx)
		return c, &TargetError{Op: "prepare: MKD " + p.workDir, Err: err}
	case rep.Code == 257:
		c.madeDir = true
	default:
		// It may exist already (a work_dir the user named): then it can be entered.
		rep2, err := s.cmd(ctx, &codes, "CWD "+p.workDir)
		if err != nil || rep2.Code != 250 {
			s.quit(ctx)
			return c, &TargetError{Op: "prepare", Err: &ReplyError{Cmd: "MKD " + p.workDir, Code: rep.Code, Text: firstLine(rep.Text())}}
		}
		_, _ = s.cmd(ctx, &codes, "CDUP")
	}
	s.quit(context.WithoutCancel(ctx))
	c.stored = r.storedFiles()

	files := p.prepared()
	if len(files) == 0 {
		return c, nil
	}
	r.setPhase("prepare", len(files))
	workers := min(8, len(files))
	jobs := make(chan preparedFile)
	errs := make(chan error, workers)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := r.prepHelper(ctx)
			if err != nil {
				errs <- err
				for range jobs {
				}
				return
			}
			defer func() { h.quit(context.WithoutCancel(ctx)) }()
			failed := false
			for f := range jobs {
				if failed {
					continue
				}
				path := p.uploadPath(f.name)
				if err := r.putRetrying(ctx, &h, path, f); err != nil {
					errs <- fmt.Errorf("upload %s: %w", path, err)
					failed = true
					continue
				}
				mu.Lock()
				c.uploaded = append(c.uploaded, path)
				mu.Unlock()
				r.phaseDone.Add(1)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, f := range files {
			select {
			case jobs <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	if ctx.Err() != nil {
		return c, &IncompleteError{Reason: "interrupted while uploading", Err: context.Cause(ctx)}
	}
	if err := <-errs; err != nil {
		return c, &TargetError{Op: "prepare", Err: err}
	}
	return c, nil
}

// prepTries bounds the attempts at one preparation step (a connection, an upload): a real
// server refuses some under a burst (ProFTPD's "425 Address already in use" when its passive
// ports are busy, a 421 at its connection limit), and one refusal must not end the run; a
// server that keeps refusing still does.
const prepTries = 6

// prepBackoff is the pause before attempt n+1: 50 ms doubling, at most 1.6 s.
func prepBackoff(n int) time.Duration { return 50 * time.Millisecond << min(n-1, 5) }

// prepStats counts the transient refusals met while preparing: they are findings about the
// server, reported in the Load.
type prepStats struct {
	mu       sync.Mutex
	files    int
	retries  int
	refusals map[string]int
}

func (p *prepStats) note(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.retries++
	if p.refusals == nil {
		p.refusals = map[string]int{}
	}
	p.refusals[key]++
}

func (p *prepStats) uploaded() {
	p.mu.Lock()
	p.files++
	p.mu.Unlock()
}

func (p *prepStats) report() *reports.Preparation {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.files == 0 && p.retries == 0 {
		return nil
	}
	return &reports.Preparation{Files: p.files, Retries: p.retries, Refusals: maps.Clone(p.refusals)}
}

// transient says whether a preparation error is worth another attempt, and names it for the
// count: a 4xx reply (RFC 959 §4.2: transient negative completion), or a connection that broke.
// A 5xx reply is permanent: the server means it.
func transient(err error) (key string, ok bool) {
	var re *ReplyError
	if errors.As(err, &re) {
		return fmt.Sprintf("%s %d", re.Cmd, re.Code), re.Code >= 400 && re.Code < 500
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		return "connection error", true
	}
	return "", false
}

// prepHelper connects a helper session for the preparation, retrying transient refusals.
func (r *runner) prepHelper(ctx context.Context) (*session, error) {
	for attempt := 1; ; attempt++ {
		h := r.newHelper()
		err := h.connect(ctx)
		if err == nil {
			return h, nil
		}
		h.quit(ctx)
		key, ok := transient(err)
		if !ok || attempt >= prepTries || ctx.Err() != nil {
			if attempt > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt)
			}
			return nil, err
		}
		r.prep.note("connect: " + key)
		sleep(ctx, prepBackoff(attempt))
	}
}

// putRetrying uploads one file, retrying transient refusals on a fresh connection when the old
// one is no longer usable.
func (r *runner) putRetrying(ctx context.Context, h **session, path string, f preparedFile) error {
	for attempt := 1; ; attempt++ {
		err := (*h).put(ctx, path, f.name, f.size)
		if err == nil {
			r.prep.uploaded()
			return nil
		}
		key, ok := transient(err)
		if !ok || attempt >= prepTries || ctx.Err() != nil {
			if attempt > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt)
			}
			return err
		}
		r.prep.note(key)
		sleep(ctx, prepBackoff(attempt))
		if (*h).dead != nil {
			(*h).quit(ctx)
			nh, cerr := r.prepHelper(ctx)
			if cerr != nil {
				return fmt.Errorf("%w; then reconnecting: %w", err, cerr)
			}
			*h = nh
		}
	}
}

// put uploads a file and checks its size: an upload that the server acknowledged but stored short
// would otherwise surface as corrupt downloads, blamed on the wrong step.
func (s *session) put(ctx context.Context, path, name string, size int64) error {
	var codes []int
	if err := s.upload(ctx, &codes, "STOR", path, name, 0, size); err != nil {
		return err
	}
	rep, err := s.cmd(ctx, &codes, "SIZE "+path)
	if err != nil {
		return err
	}
	if rep.Code != 213 {
		return &ReplyError{Cmd: "SIZE", Code: rep.Code, Text: firstLine(rep.Text())}
	}
	if got, err := strconv.ParseInt(strings.TrimSpace(rep.Text()), 10, 64); err != nil || got != size {
		return fmt.Errorf("SIZE says %q after storing %d bytes", strings.TrimSpace(rep.Text()), size)
	}
	return nil
}

// storedFiles lists the files this shard's transfers may write, for cleanup.
func (r *runner) storedFiles() []string {
	p := r.plan
	var out []string
	for s := p.lo; s < p.hi; s++ {
		seen := make([]bool, p.files)
		limit := r.sc.Transfers
		if limit == 0 || limit > p.files*8 {
			limit = p.files * 8
		}
		for t := range limit {
			f := p.file(t)
			if !seen[f] && (r.sc.Transfers == 0 || p.op(s, t).uploads()) {
				seen[f] = true
				out = append(out, p.uploadPath(fileName(s, f)))
			}
		}
	}
	return out
}

// created is what a run put on the server.
type created struct {
	dir      string
	madeDir  bool
	uploaded []string
	stored   []string
}

// cleanupTimeout bounds cleaning up, even after an interrupt.
const cleanupTimeout = 30 * time.Second

// cleanup deletes what the run created, unless the scenario keeps it. It runs after an interrupt
// too, on its own short deadline.
func (r *runner) cleanup(ctx context.Context, c *created) {
	if c == nil || r.sc.Keep || (!c.madeDir && len(c.uploaded) == 0 && len(c.stored) == 0) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	files := append(append([]string{}, c.uploaded...), c.stored...)
	r.setPhase("cleanup", len(files))
	workers := min(8, max(len(files), 1))
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := r.newHelper()
			if err := h.connect(ctx); err != nil {
				h.quit(ctx)
				for range jobs {
				}
				return
			}
			defer h.quit(ctx)
			var codes []int
			for f := range jobs {
				if h.dead == nil {
					_, _ = h.cmd(ctx, &codes, "DELE "+f) // 550 for a file never written is fine
					codes = codes[:0]
				}
				r.phaseDone.Add(1)
			}
		}()
	}
	for _, f := range files {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	if c.madeDir {
		h := r.newHelper()
		if err := h.connect(ctx); err == nil {
			var codes []int
			_, _ = h.cmd(ctx, &codes, "RMD "+c.dir)
		}
		h.quit(ctx)
	}
}
