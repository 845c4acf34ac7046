package reference

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Data connections. A session's next transfer uses a dataSource set up by PASV/EPSV (a listener
// on a port of its own) or PORT/EPRT (an address to dial). The rules of RFC 2577 live here: a
// passive port is chosen at random within the configured range and never outside it, and a
// passive listener hands over only a connection from the control connection's IP address.

// dataSource yields the data connection of one transfer.
type dataSource interface {
	// conn waits for (passive) or makes (active) the data connection.
	conn(ctx context.Context) (net.Conn, error)
	// release gives back what the source holds (listener, port); called exactly once, after the
	// data connection, if any, is closed.
	release()
	// port is the server-side passive port, 0 for active sources.
	port() int
}

var (
	errPortsExhausted = errors.New("no free port in the passive range")
	errNoDataConn     = errors.New("data connection not opened in time")
)

// portAllocator reserves passive ports. A port stays reserved from PASV until its data connection
// closes, so no two pending or running transfers ever share a server port.
type portAllocator struct {
	rng    PortRange
	faults faultSet

	mu   sync.Mutex
	used []uint64 // bitset over rng
	n    int      // ports reserved
	next int      // sequential-ports: the next port to try
}

func newPortAllocator(r PortRange, f faultSet) *portAllocator {
	return &portAllocator{rng: r, faults: f, used: make([]uint64, (r.Len()+63)/64), next: r.Lo}
}

func (a *portAllocator) isUsed(i int) bool { return a.used[i/64]&(1<<(i%64)) != 0 }
func (a *portAllocator) set(i int)         { a.used[i/64] |= 1 << (i % 64) }
func (a *portAllocator) clear(i int)       { a.used[i/64] &^= 1 << (i % 64) }

// reserve picks a free port that is not in skip and marks it used.
func (a *portAllocator) reserve(skip map[int]bool) (int, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	size := a.rng.Len()
	if a.n+len(skip) >= size {
		return 0, false
	}
	start := rand.IntN(size)
	if a.faults.has(faultSequentialPorts) {
		start = (a.next - a.rng.Lo) % size
	}
	for k := range size {
		i := (start + k) % size
		if a.isUsed(i) || skip[a.rng.Lo+i] {
			continue
		}
		a.set(i)
		a.n++
		a.next = a.rng.Lo + i + 1
		return a.rng.Lo + i, true
	}
	return 0, false
}

func (a *portAllocator) free(port int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i := port - a.rng.Lo; i >= 0 && i < a.rng.Len() && a.isUsed(i) {
		a.clear(i)
		a.n--
	}
}

// inUse is the number of reserved ports.
func (a *portAllocator) inUse() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// listen binds a listener on ip at a port from the range. A port that turns out to be taken by
// another process is skipped and another one tried; only when every port has been tried does it
// fail — never by falling back to a kernel-chosen port, unless the out-of-range-port fault is on.
func (a *portAllocator) listen(ip netip.Addr) (*net.TCPListener, int, error) {
	var skip map[int]bool
	for {
		port, ok := a.reserve(skip)
		if !ok {
			break
		}
		ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err == nil {
			return ln, port, nil
		}
		a.free(port)
		if !errors.Is(err, syscall.EADDRINUSE) && !errors.Is(err, syscall.EACCES) {
			return nil, 0, fmt.Errorf("passive listener on port %d: %w", port, err)
		}
		if skip == nil {
			skip = map[int]bool{}
		}
		skip[port] = true
	}
	if a.faults.has(faultOutOfRangePort) {
		ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			return nil, 0, err
		}
		return ln, ln.Addr().(*net.TCPAddr).Port, nil
	}
	return nil, 0, errPortsExhausted
}

// passive is a PASV/EPSV listener. Normally one session holds it and it hands over one
// connection; under the port-reuse fault a second session may hold it too and it hands over one
// connection per holder, to whichever holder asks first.
type passive struct {
	ln      *net.TCPListener
	portNum int
	client  netip.Addr // the control connection's peer; only it may connect
	owner   *session   // for the port-reuse fault, which hands the port to another session
	anyIP   bool       // the no-ip-check fault
	free    func(port int)
	// slots[k] receives the k-th accepted connection. With the port-reuse fault the first holder
	// (the owner) always takes the first connection to arrive, whoever dialled it: the mix-up that
	// fault stands for, made deterministic so the checks that must see it always do.
	slots [maxHolders]chan net.Conn

	mu       sync.Mutex
	holders  int
	accepted int
	closed   bool
}

const maxHolders = 2

func newPassive(ln *net.TCPListener, port int, client netip.Addr, anyIP bool, free func(int)) *passive {
	p := &passive{ln: ln, portNum: port, client: client, anyIP: anyIP, free: free, holders: 1}
	for i := range p.slots {
		p.slots[i] = make(chan net.Conn, 1)
	}
	go p.accept()
	return p
}

// accept hands over connections from the client's address; any other is closed at once, and the
// listener keeps waiting for the right one, so a stranger racing the client to the port can
// neither steal nor disturb the transfer.
func (p *passive) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.anyIP && !sameIP(c.RemoteAddr(), p.client) {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		p.slots[p.accepted] <- c
		p.accepted++
		done := p.accepted >= p.holders
		p.mu.Unlock()
		if done {
			p.ln.Close()
			return
		}
	}
}

// share adds a holder if the listener is still waiting for its connection (port-reuse fault),
// and returns the data source the new holder uses.
func (p *passive) share() (dataSource, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.accepted >= p.holders || p.holders >= maxHolders {
		return nil, false
	}
	p.holders++
	return &passiveHolder{p, p.holders - 1}, true
}

// passiveHolder is a second holder of a shared passive listener (port-reuse fault).
type passiveHolder struct {
	p    *passive
	slot int
}

func (h *passiveHolder) conn(ctx context.Context) (net.Conn, error) { return h.p.take(ctx, h.slot) }
func (h *passiveHolder) release()                                   { h.p.release() }
func (h *passiveHolder) port() int                                  { return h.p.portNum }

func (p *passive) pending() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.closed && p.accepted < p.holders
}

func (p *passive) port() int { return p.portNum }

func (p *passive) conn(ctx context.Context) (net.Conn, error) { return p.take(ctx, 0) }

func (p *passive) take(ctx context.Context, slot int) (net.Conn, error) {
	select {
	case c := <-p.slots[slot]:
		return c, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// release drops one holder; the last one closes the listener, any connection nobody took, and
// gives the port back.
func (p *passive) release() {
	p.mu.Lock()
	p.holders--
	last := p.holders <= 0
	if last {
		p.closed = true
	}
	p.mu.Unlock()
	if !last {
		return
	}
	p.ln.Close()
	for _, ch := range p.slots {
		select {
		case c := <-ch:
			c.Close()
		default:
		}
	}
	p.free(p.portNum)
}

func sameIP(a net.Addr, want netip.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	return ok && ip.Unmap() == want
}

// active is a PORT/EPRT target: the server dials it from the control connection's local address.
type active struct {
	local  netip.Addr
	target netip.AddrPort
}

func (a *active) conn(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(a.local, 0))}
	c, err := d.DialContext(ctx, "tcp", a.target.String())
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", a.target, err)
	}
	return c, nil
}

func (a *active) release()  {}
func (a *active) port() int { return 0 }

// sharedPort is the shared-pasv-port fault: one listener per local address for every session,
// handing each arriving connection to the oldest pending transfer of any session from the same
// client IP — how a server that matches data connections by IP alone behaves.
type sharedPort struct {
	ln      *net.TCPListener
	portNum int

	mu      sync.Mutex
	waiting map[netip.Addr][]*sharedWaiter // FIFO per client IP
}

type sharedWaiter struct {
	sp     *sharedPort
	client netip.Addr
	ch     chan net.Conn // capacity 1
	once   sync.Once
}

func newSharedPort(ln *net.TCPListener, port int) *sharedPort {
	sp := &sharedPort{ln: ln, portNum: port, waiting: map[netip.Addr][]*sharedWaiter{}}
	go sp.accept()
	return sp
}

func (sp *sharedPort) accept() {
	for {
		c, err := sp.ln.Accept()
		if err != nil {
			return
		}
		ip := addrOf(c.RemoteAddr())
		sp.mu.Lock()
		if q := sp.waiting[ip]; len(q) > 0 {
			w := q[0]
			sp.waiting[ip] = q[1:]
			w.ch <- c
		} else {
			// Nobody from that IP is waiting: refuse it, as such a server would. Keeping it for
			// a later waiter would hand a stale connection to an unrelated transfer, which is a
			// second broken rule, not this one.
			c.Close()
		}
		sp.mu.Unlock()
	}
}

// wait registers a pending transfer for client.
func (sp *sharedPort) wait(client netip.Addr) *sharedWaiter {
	w := &sharedWaiter{sp: sp, client: client, ch: make(chan net.Conn, 1)}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.waiting[client] = append(sp.waiting[client], w)
	return w
}

func (w *sharedWaiter) port() int { return w.sp.portNum }

func (w *sharedWaiter) conn(ctx context.Context) (net.Conn, error) {
	select {
	case c := <-w.ch:
		return c, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

func (w *sharedWaiter) release() {
	w.once.Do(func() {
		w.sp.mu.Lock()
		q := w.sp.waiting[w.client]
		for i, x := range q {
			if x == w {
				w.sp.waiting[w.client] = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		w.sp.mu.Unlock()
		select {
		case c := <-w.ch:
			c.Close()
		default:
		}
	})
}

func (sp *sharedPort) close() { sp.ln.Close() }

func addrOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ta.IP); ok {
			return ip.Unmap()
		}
	}
	return netip.Addr{}
}

// dataTimeout turns a duration (0 = none) into a context deadline.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
