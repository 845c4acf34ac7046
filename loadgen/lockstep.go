package loadgen

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// round is one lockstep round: every live session makes one transfer, through two barriers.
//
//	prepare (PASV/EPSV/PORT/EPRT) ─► barrier A ─► open, in shuffled turns ─► barrier B ─► move ─► done
//
// Barrier A makes every data port pending at once; the shuffled turns make the data connections
// arrive in an order unrelated to the order the ports were handed out; barrier B holds every data
// connection open at once before any transfer command, so the peak of simultaneous data
// connections is the number of sessions.
type round struct {
	index    int
	prepared sync.WaitGroup // barrier A
	opened   sync.WaitGroup // barrier B
	done     sync.WaitGroup
	ready    []bool // by local session index: prepared, waiting for its turn
	victim   []bool // by local session index: a thief goes for this transfer's port
	sem      chan struct{}
	goAhead  chan struct{} // closed at barrier B
}

// openers bounds how many data connections open at once during the shuffled turns: enough to
// keep the turns quick, few enough that the arrival order stays the shuffled one.
const openers = 8

// lockstep runs the sessions in rounds until the transfers or the duration are used up.
func (r *runner) lockstep(ctx context.Context, sessions []*session, rng *rand.Rand) {
	live := sessions
	victimsLeft := r.stealShare
	for idx := 0; ; idx++ {
		if r.sc.Transfers > 0 && idx >= r.sc.Transfers {
			break
		}
		if r.sc.Duration > 0 && time.Since(r.loadStart) >= r.sc.Duration {
			break
		}
		if ctx.Err() != nil || len(live) == 0 {
			break
		}
		rd := &round{
			index:   idx,
			ready:   make([]bool, r.plan.sessions()), // indexed by session.local
			victim:  make([]bool, r.plan.sessions()),
			sem:     make(chan struct{}, openers),
			goAhead: make(chan struct{}),
		}
		// Thieves: spread the attempts evenly over the rounds (all in the first when the run is
		// bound by time), each at a randomly chosen passive transfer.
		want := victimsLeft
		if r.sc.Transfers > 0 {
			want = (victimsLeft + (r.sc.Transfers - idx) - 1) / (r.sc.Transfers - idx)
		}
		for _, i := range rng.Perm(len(live)) {
			if want == 0 {
				break
			}
			if s := live[i]; s.mode.passive() {
				rd.victim[s.local] = true
				want--
				victimsLeft--
			}
		}
		// Every live session passes each barrier exactly once, whatever happens to its transfer.
		rd.prepared.Add(len(live))
		rd.opened.Add(len(live))
		rd.done.Add(len(live))
		for _, s := range live {
			s.in <- rd
		}
		if !wait(ctx, &rd.prepared) {
			break
		}
		var order []*session
		for _, s := range live {
			if rd.ready[s.local] {
				order = append(order, s)
			}
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		cancelled := false
		for _, s := range order {
			select {
			case rd.sem <- struct{}{}:
				s.turn <- struct{}{}
			case <-ctx.Done():
				cancelled = true
			}
			if cancelled {
				break
			}
		}
		if cancelled || !wait(ctx, &rd.opened) {
			break
		}
		close(rd.goAhead)
		if !wait(ctx, &rd.done) {
			break
		}
		var next []*session
		for _, s := range live {
			if s.dead == nil {
				next = append(next, s)
			}
		}
		live = next
	}
	for _, s := range sessions {
		close(s.in)
	}
}

// wait waits for wg, or for ctx; it reports whether wg finished.
func wait(ctx context.Context, wg *sync.WaitGroup) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// rounds is a session's side of lockstep: one transfer per round it is sent.
func (s *session) rounds(ctx context.Context) {
	for rd := range s.in {
		s.round(ctx, rd)
	}
}

func (s *session) round(ctx context.Context, rd *round) {
	defer rd.done.Done()
	x := s.newTransfer(rd.index)
	x.victim = rd.victim[s.local]
	if rd.index > 0 && s.r.sc.Think > 0 {
		sleep(ctx, s.r.sc.Think)
	}
	s.begin(ctx, x)
	s.prepare(ctx, x)
	ready := x.err == nil && s.dead == nil
	rd.ready[s.local] = ready
	held := time.Now()
	rd.prepared.Done()
	if !ready {
		rd.opened.Done()
		s.finish(ctx, x)
		return
	}
	select {
	case <-s.turn:
		x.waited += time.Since(held)
		s.open(ctx, x)
		<-rd.sem
		held = time.Now()
		rd.opened.Done()
		select {
		case <-rd.goAhead:
			x.waited += time.Since(held)
		case <-ctx.Done():
		}
	case <-ctx.Done():
		rd.opened.Done()
	}
	s.move(ctx, x)
	s.finish(ctx, x)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
