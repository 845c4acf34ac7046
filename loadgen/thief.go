package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/ftpspec/ftpspec/internal/payload"
)

// thieves connect from another address to passive ports the moment the server hands them out,
// before their owner does: the attack RFC 2577 §5 describes. A server that accepts a data
// connection only from the control connection's address closes the thief's connection at once;
// one that does not gives the thief the transfer's bytes, or leaves its owner without a data
// connection.
type thieves struct {
	src     netip.Addr
	dial    func(ctx context.Context, network, addr string) (net.Conn, error) // nil: from src on this host
	timeout time.Duration
	catalog payload.Catalog

	attempts  atomic.Int64
	connected atomic.Int64
}

func newThieves(src netip.Addr, timeout time.Duration, catalog payload.Catalog, dial func(context.Context, string, string) (net.Conn, error)) *thieves {
	return &thieves{src: src, dial: dial, timeout: min(timeout, 5*time.Second), catalog: catalog}
}

// theft is one thief's connection to one victim's port.
type theft struct {
	conn      net.Conn
	connected bool
	dialErr   error
	done      chan struct{}
	bytes     int64  // payload bytes the thief received
	from      string // whose file they were, when the bytes say so
	port      int
}

// strike connects to ap from the thieves' address and, if that works, reads whatever the server
// sends until the victim's transfer is over.
func (th *thieves) strike(ctx context.Context, ap netip.AddrPort) *theft {
	th.attempts.Add(1)
	t := &theft{done: make(chan struct{}), port: int(ap.Port())}
	ctx, cancel := context.WithTimeout(ctx, th.timeout)
	defer cancel()
	var c net.Conn
	var err error
	if th.dial != nil {
		c, err = th.dial(ctx, "tcp", ap.String())
	} else {
		c, err = dialData(ctx, ap, th.src, th.timeout)
	}
	if err != nil {
		t.dialErr = err
		close(t.done)
		return t
	}
	th.connected.Add(1)
	t.conn, t.connected = c, true
	go t.read(th.catalog)
	return t
}

// read takes what the server sends to the thief and identifies it.
func (t *theft) read(catalog payload.Catalog) {
	defer close(t.done)
	buf := make([]byte, 32<<10)
	var head []byte
	for {
		n, err := t.conn.Read(buf)
		if n > 0 {
			if t.bytes == 0 || len(head) < payload.BlockSize*2 {
				head = append(head, buf[:n]...)
				if o, ok := payload.Identify(head, 0, catalog); ok && t.from == "" {
					t.from = o.Name
					if t.from == "" {
						t.from = fmt.Sprintf("unknown file %016x", uint64(o.ID))
					}
				}
			}
			t.bytes += int64(n)
		}
		if err != nil {
			return
		}
	}
}

// finish ends the thief's wait once the victim's transfer is over, leaving a moment for bytes in
// flight, and waits for the reader.
func (t *theft) finish() {
	if t.conn == nil {
		return
	}
	_ = t.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	<-t.done
	_ = t.conn.Close()
}

// describe explains what the thief did to the victim.
func (t *theft) describe(victimErr error) string {
	switch {
	case t.bytes > 0 && t.from != "":
		return fmt.Sprintf("a thief connecting to port %d received %d bytes of %s", t.port, t.bytes, t.from)
	case t.bytes > 0:
		return fmt.Sprintf("a thief connecting to port %d received %d bytes", t.port, t.bytes)
	case victimErr != nil:
		return fmt.Sprintf("a thief connected to port %d first; the transfer then failed: %v", t.port, victimErr)
	}
	return fmt.Sprintf("a thief connected to port %d first; the transfer then went wrong", t.port)
}
