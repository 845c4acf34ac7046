package suites

import (
	"context"
	"sync"
	"time"
)

// budgetCtx is the context a case runs under. Its deadline is the case's budget, moved later by
// the time the harness itself spends waiting for something the RFC lets the server take its time
// over (the server closing its side after an upload), so that a slow but correct server does not
// see its case end in error because the harness's own waits used up the budget. The grace is
// bounded, so a case still ends.
type budgetCtx struct {
	context.Context // the run's context: values, and its cancellation is ours

	mu       sync.Mutex
	deadline time.Time
	timer    *time.Timer
	done     chan struct{}
	err      error
	granted  time.Duration
	maxGrace time.Duration
	stop     func() bool
	waiting  int       // harness waits under way
	since    time.Time // when the first of them began
}

// withBudget returns a context that ends budget from now, or when parent ends, and that grace
// (via excuse) can move later by at most maxGrace in all.
func withBudget(parent context.Context, budget, maxGrace time.Duration) (*budgetCtx, context.CancelFunc) {
	b := &budgetCtx{Context: parent, deadline: time.Now().Add(budget), done: make(chan struct{}), maxGrace: maxGrace}
	b.mu.Lock()
	b.timer = time.AfterFunc(budget, b.expire)
	b.mu.Unlock()
	stop := context.AfterFunc(parent, func() { b.end(parent.Err()) })
	b.mu.Lock()
	b.stop = stop
	b.mu.Unlock()
	return b, func() { b.end(context.Canceled) }
}

func (b *budgetCtx) Deadline() (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if pd, ok := b.Context.Deadline(); ok && pd.Before(b.deadline) {
		return pd, true
	}
	return b.deadline, true
}

func (b *budgetCtx) Done() <-chan struct{} { return b.done }

func (b *budgetCtx) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// expire ends the context unless grace moved the deadline since the timer was set, or the
// harness is waiting on its own account (then not before the grace is used up).
func (b *budgetCtx) expire() {
	b.mu.Lock()
	if b.err != nil {
		b.mu.Unlock()
		return
	}
	if b.waiting > 0 {
		if left := b.maxGrace - b.granted - time.Since(b.since); left > 0 {
			b.timer.Reset(left)
			b.mu.Unlock()
			return
		}
	} else if left := time.Until(b.deadline); left > 0 {
		b.timer.Reset(left)
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	b.end(context.DeadlineExceeded)
}

// hold marks the start of a wait of the harness's own; the release it returns ends it, excuses
// its length (within the grace) and returns the grace granted for it.
func (b *budgetCtx) hold() (release func() time.Duration) {
	b.mu.Lock()
	if b.waiting == 0 {
		b.since = time.Now()
	}
	b.waiting++
	b.mu.Unlock()
	var once bool
	return func() time.Duration {
		b.mu.Lock()
		defer b.mu.Unlock()
		if once {
			return 0
		}
		once = true
		b.waiting--
		if b.waiting > 0 {
			return 0
		}
		g := b.grantLocked(time.Since(b.since))
		if b.err == nil {
			b.timer.Reset(max(time.Until(b.deadline), 0))
		}
		return g
	}
}

func (b *budgetCtx) end(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return
	}
	b.err = err
	b.timer.Stop()
	if b.stop != nil {
		b.stop()
	}
	close(b.done)
}

// excuse moves the deadline later by d, the time the harness spent on a wait of its own, within
// what is left of the grace. It returns the grace granted.
func (b *budgetCtx) excuse(d time.Duration) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.grantLocked(d)
}

func (b *budgetCtx) grantLocked(d time.Duration) time.Duration {
	if b.err != nil || d <= 0 {
		return 0
	}
	d = min(d, b.maxGrace-b.granted)
	if d <= 0 {
		return 0
	}
	b.granted += d
	b.deadline = b.deadline.Add(d)
	return d
}

// Granted is the grace given so far.
func (b *budgetCtx) Granted() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.granted
}
