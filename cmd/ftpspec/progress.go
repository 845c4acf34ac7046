package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/ftpspec/ftpspec/loadgen"
	"github.com/ftpspec/ftpspec/reports"
)

// conformProgress shows a conformance run as it goes: on a terminal an mpb bar with the cases
// done of the total, the case running now and the failures so far; elsewhere (a CI log) the same
// as a plain line every interval. Result lines (a FAIL, an ERROR) go above the bar on a terminal,
// so the two never tear each other.
type conformProgress struct {
	mu      sync.Mutex
	out     io.Writer // where the lines and the bar go (stderr)
	human   io.Writer // where result lines go when there is no bar
	every   time.Duration
	start   time.Time
	total   int
	n       int
	fails   int
	errs    int
	current string

	bars *mpb.Progress
	bar  *mpb.Bar
	stop chan struct{} // ends the plain lines' ticker
	wg   sync.WaitGroup
	wmu  sync.Mutex // the ticker and the result lines may write to one stream
}

func newConformProgress(stderr, human io.Writer, every time.Duration) *conformProgress {
	p := &conformProgress{out: stderr, human: human, every: every, start: time.Now()}
	if loadgen.IsTerminal(stderr) {
		p.startBars(stderr, 30)
	} else {
		p.startLines()
	}
	return p
}

// startLines writes the plain line every interval, also while one slow case holds the run.
func (p *conformProgress) startLines() {
	p.stop = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				line := p.line()
				p.wmu.Lock()
				fmt.Fprintln(p.out, line)
				p.wmu.Unlock()
			}
		}
	}()
}

// startBars draws on w. width is the bar's on a terminal, and the whole line's elsewhere (a test
// draws into a buffer).
func (p *conformProgress) startBars(w io.Writer, width int) {
	p.bars = mpb.New(mpb.WithOutput(w), mpb.WithWidth(width), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh())
	p.bar = p.bars.AddBar(0,
		mpb.PrependDecorators(decor.Name("conform "), decor.CountersNoUnit("%d/%d ")),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return p.status() })),
	)
}

func (p *conformProgress) status() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("%d fail, %d error | %s", p.fails, p.errs, p.current)
}

func (p *conformProgress) planned(n int) {
	p.mu.Lock()
	p.total += n
	total := p.total
	p.mu.Unlock()
	if p.bar != nil {
		p.bar.SetTotal(int64(total), false)
	}
}

func (p *conformProgress) starting(id, tls string) {
	p.mu.Lock()
	p.current = id + tlsSuffix(tls)
	p.mu.Unlock()
}

func (p *conformProgress) done(r reports.CaseResult) {
	p.mu.Lock()
	p.n++
	switch r.Outcome {
	case reports.Fail, reports.XPass:
		p.fails++
	case reports.Error:
		p.errs++
	}
	p.mu.Unlock()
	if p.bar != nil {
		p.bar.Increment()
	}
}

// line is the plain progress line.
func (p *conformProgress) line() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("conform: %d/%d cases, %d fail, %d error, now %s, %.0fs", p.n, p.total, p.fails, p.errs, p.current, time.Since(p.start).Seconds())
}

// println writes a result line: above the bar when there is one and the lines would reach the
// same terminal, else where the human output goes.
func (p *conformProgress) println(s string) {
	if p.bars != nil && loadgen.IsTerminal(p.human) {
		fmt.Fprintln(p.bars, s)
		return
	}
	p.wmu.Lock()
	fmt.Fprintln(p.human, s)
	p.wmu.Unlock()
}

func (p *conformProgress) close() {
	if p.stop != nil {
		close(p.stop)
		p.wg.Wait()
	}
	if p.bar != nil {
		p.bar.SetTotal(-1, true)
		p.bars.Wait()
	}
}
