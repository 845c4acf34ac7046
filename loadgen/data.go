package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/ftpspec/ftpspec/internal/payload"
)

// finalGrace is how long a data connection may stay open after the final reply to its transfer
// command arrived. The server sends that reply after it has sent (or received) the last byte, so
// anything still to come is already in flight; a server that replies 226 and leaves the data
// connection open gets this long, not a whole timeout, before the transfer is judged.
const finalGrace = 2 * time.Second

// deadlines keeps a data connection's deadline an idle timeout ahead while bytes move, without a
// call per chunk, and lets the final reply shorten it to finalGrace from another goroutine.
type deadlines struct {
	conn  net.Conn
	idle  time.Duration
	next  time.Time // when to push the deadline again; touched only by the mover
	mu    sync.Mutex
	final bool
}

func newDeadlines(c net.Conn, idle time.Duration) *deadlines {
	d := &deadlines{conn: c, idle: idle}
	d.extend(time.Now())
	return d
}

// extend pushes the deadline to now+idle, at most about four times per idle period.
func (d *deadlines) extend(now time.Time) {
	if now.Before(d.next) {
		return
	}
	d.next = now.Add(d.idle / 4)
	d.mu.Lock()
	if !d.final {
		_ = d.conn.SetDeadline(now.Add(d.idle))
	}
	d.mu.Unlock()
}

// finalReply gives the connection finalGrace from now, and no more.
func (d *deadlines) finalReply() {
	d.mu.Lock()
	d.final = true
	_ = d.conn.SetDeadline(time.Now().Add(min(finalGrace, d.idle)))
	d.mu.Unlock()
}

// receive reads c to EOF into buf and hands every chunk to sink (a Verifier, or a counter for
// listings). It is the hot path: one reused buffer, one read per chunk, the check done in place,
// no allocation and no lock. first is set at the first byte.
func receive(c net.Conn, buf []byte, sink io.Writer, d *deadlines, first *time.Time) (int64, error) {
	var n int64
	for {
		k, err := c.Read(buf)
		if k > 0 {
			if n == 0 {
				*first = time.Now()
			}
			n += int64(k)
			_, _ = sink.Write(buf[:k])
			d.extend(time.Now()) // a clock read; the deadline itself moves a few times per idle period
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
	}
}

// send writes bytes [off, off+n) of the named file to c, filling buf from the payload generator.
func send(c net.Conn, buf []byte, name string, off, n int64, d *deadlines) (int64, error) {
	f := payload.NewFiller(name)
	var sent int64
	for sent < n {
		k := int(min(int64(len(buf)), n-sent))
		f.Fill(buf[:k], off+sent)
		w, err := c.Write(buf[:k])
		sent += int64(w)
		if err != nil {
			return sent, err
		}
		d.extend(time.Now())
	}
	return sent, nil
}

// counter counts bytes of a listing.
type counter struct{}

func (counter) Write(p []byte) (int, error) { return len(p), nil }

// dialData opens a passive data connection to ap from local.
func dialData(ctx context.Context, ap netip.AddrPort, local netip.Addr, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if local.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: local.AsSlice()}
	}
	c, err := d.DialContext(ctx, "tcp", ap.String())
	if err != nil {
		return nil, fmt.Errorf("data connection to %s: %w", ap, err)
	}
	return c, nil
}

// listenData opens an active-mode listener on the control connection's local address.
func listenData(local netip.Addr) (*net.TCPListener, error) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: local.AsSlice()})
	if err != nil {
		return nil, fmt.Errorf("listen for active data connection on %s: %w", local, err)
	}
	return ln, nil
}

// acceptData waits for the server's data connection. A connection from any address but the
// server's is closed, and the wait goes on: the client applies the same rule it expects from
// servers (RFC 2577 §5), so a stranger cannot feed a transfer.
func acceptData(ctx context.Context, ln *net.TCPListener, server netip.Addr, timeout time.Duration) (net.Conn, error) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = ln.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = ln.SetDeadline(aLongTimeAgo) })
	defer stop()
	for {
		c, err := ln.AcceptTCP()
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("accept active data connection: %w", err)
		}
		if from := c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap(); from != server.Unmap() {
			_ = c.Close()
			continue
		}
		return c, nil
	}
}

var aLongTimeAgo = time.Unix(1, 0)

// secure runs the TLS handshake of a PROT P data connection; the client is the TLS client in
// both passive and active mode (RFC 4217 §7), and the shared session cache lets the handshake
// resume the control connection's session, which servers may require.
func secure(ctx context.Context, c net.Conn, cfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("TLS handshake on data connection: %w", err)
	}
	return tc, nil
}

// closeData closes a data connection gracefully: it ends the sending side (close_notify under
// TLS, which a server reading an upload needs to tell the end of the file from a truncation), then
// reads until the server closes. Closing with unread bytes — the session tickets a TLS 1.3 server
// sends — would make the kernel answer with a reset that discards the tail of an upload.
func closeData(c net.Conn) error {
	if c == nil {
		return nil
	}
	_ = c.SetDeadline(time.Now().Add(finalGrace))
	if hc, ok := c.(interface{ CloseWrite() error }); ok {
		_ = hc.CloseWrite()
		_, _ = io.Copy(io.Discard, io.LimitReader(c, 1<<20))
	}
	return c.Close()
}
