package loadgen

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/ftpspec/ftpspec/reports"
)

// ProgressObserver is an Observer that draws on a writer; Close finishes the drawing.
type ProgressObserver interface {
	Observer
	Close()
}

// IsTerminal reports whether w is a terminal (bars) rather than a file or pipe (plain lines).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f.Fd())
}

// NewProgress returns bars on a terminal, and otherwise a plain line every interval (and at each
// phase), which is what a CI log wants.
func NewProgress(w io.Writer, every time.Duration) ProgressObserver {
	if IsTerminal(w) {
		return NewBars(w)
	}
	return NewLines(w, every)
}

// Lines writes one line of totals every interval and at each change of phase.
type Lines struct {
	w     io.Writer
	every time.Duration
	last  time.Time
	phase string
	p     Progress
}

// NewLines returns an Observer writing plain progress lines to w.
func NewLines(w io.Writer, every time.Duration) *Lines {
	if every <= 0 {
		every = 5 * time.Second
	}
	return &Lines{w: w, every: every}
}

// Phase implements Observer.
func (l *Lines) Phase(name string, total int) {
	if l.phase != "" && l.phase != name && l.p.Phase == l.phase {
		l.line() // the phase that ended, if a progress report of it arrived (else it is stale)
	}
	l.phase = name
	switch {
	case total > 0:
		fmt.Fprintf(l.w, "%s: %d to do\n", name, total)
	case name == "load":
		fmt.Fprintf(l.w, "%s\n", name)
	}
	// Other phases with nothing to count (the probe) say nothing.
	l.last = time.Now()
}

// Transfer implements Observer.
func (l *Lines) Transfer(*reports.TransferRecord) {}

// Progress implements Observer.
func (l *Lines) Progress(p Progress) {
	l.p = p
	if time.Since(l.last) >= l.every {
		l.line()
		l.last = time.Now()
	}
}

// Close writes the final line, unless no progress was ever reported (the target refused the
// first connection): a line of zeros would say nothing.
func (l *Lines) Close() {
	if l.p.Phase != "" {
		l.line()
	}
}

func (l *Lines) line() {
	p := l.p
	if p.Phase != "load" && p.Phase != "" {
		if p.PhaseSize > 0 {
			fmt.Fprintf(l.w, "%s: %d/%d, %.1fs\n", p.Phase, p.Done, p.PhaseSize, p.Elapsed.Seconds())
		}
		return
	}
	fmt.Fprintln(l.w, summaryLine(p))
}

// summaryLine formats the load totals on one line.
func summaryLine(p Progress) string {
	c := p.Counts
	done := fmt.Sprintf("%d", c.Attempted)
	if p.Planned > 0 {
		done = fmt.Sprintf("%d/%d", c.Attempted, p.Planned)
	}
	return fmt.Sprintf("load: %s transfers: %d ok, %d failed, %d misrouted, %d corrupt, %d stolen; %d sessions, %d data connections open (peak %d); %s in %.1fs",
		done, c.OK, c.Failed, c.Misrouted, c.Corrupt, c.Stolen, p.Sessions, p.OpenData, p.PeakData, formatBytes(p.Bytes), p.Elapsed.Seconds())
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// Bars draws an mpb bar per phase that has something to count.
type Bars struct {
	p     *mpb.Progress
	mu    sync.Mutex
	bar   *mpb.Bar
	total int // the current bar's phase size
	cur   Progress
}

// NewBars returns an Observer drawing bars on w (a terminal).
func NewBars(w io.Writer) *Bars {
	return &Bars{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh())}
}

func (b *Bars) snapshot() Progress {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cur
}

// Phase implements Observer.
func (b *Bars) Phase(name string, total int) {
	b.mu.Lock()
	old, oldTotal := b.bar, b.total
	b.bar, b.total = nil, 0
	b.mu.Unlock()
	if old != nil {
		// The runner moves on only when a phase is done, so the bar ends full, not at whatever
		// count the last progress tick happened to carry (which left "connect 0/0" on screen).
		if oldTotal > 0 {
			old.SetTotal(int64(oldTotal), true)
		} else {
			old.SetTotal(-1, true)
		}
	}
	if total <= 0 && name != "load" {
		return // nothing to count: no empty bar
	}
	info := func(decor.Statistics) string {
		p := b.snapshot()
		if name != "load" {
			return fmt.Sprintf("%.1fs", p.Elapsed.Seconds())
		}
		c := p.Counts
		return fmt.Sprintf("%d ok %d failed %d misrouted %d corrupt %d stolen | %d open (peak %d) | %s",
			c.OK, c.Failed, c.Misrouted, c.Corrupt, c.Stolen, p.OpenData, p.PeakData, formatBytes(p.Bytes))
	}
	bar := b.p.AddBar(int64(max(total, 0)),
		mpb.PrependDecorators(decor.Name(fmt.Sprintf("%-8s", name)), decor.CountersNoUnit("%d/%d ")),
		mpb.AppendDecorators(decor.Any(info)),
	)
	b.mu.Lock()
	b.bar, b.total = bar, total
	b.mu.Unlock()
}

// Transfer implements Observer.
func (b *Bars) Transfer(*reports.TransferRecord) {}

// Progress implements Observer.
func (b *Bars) Progress(p Progress) {
	b.mu.Lock()
	b.cur = p
	bar := b.bar
	b.mu.Unlock()
	if bar == nil {
		return
	}
	n := p.Done
	if p.Phase == "load" {
		n = p.Counts.Attempted
	}
	bar.SetCurrent(int64(n))
}

// Close completes the last bar and waits for the drawing to finish.
func (b *Bars) Close() {
	b.mu.Lock()
	bar := b.bar
	b.mu.Unlock()
	if bar != nil {
		bar.SetTotal(-1, true)
	}
	b.p.Wait()
}
