// Package ftpwire is a raw FTP control-connection client that keeps the exact bytes.
//
// It exists because a conformance harness must see what the server really sent: net/textproto
// and FTP client libraries accept a bare LF, repair malformed multi-line replies and drop the
// evidence. A Conn writes exactly the bytes asked for, reads replies by the RFC 959 §4.2 grammar,
// reports every departure from it in Reply.Problems, and, when given a Recorder, records every
// byte both ways with a timestamp.
//
// The same Conn serves the load generator's hot path: without a Recorder a command round trip
// costs one allocation (the reply's Raw string), buffers are reused, and a context is watched with
// one registration per context rather than one per call.
//
// A Conn is not safe for concurrent use; a Recorder may be shared by several Conns.
package ftpwire

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/ftpspec/ftpspec/reports"
)

// Options configure a Conn. The zero value is usable.
type Options struct {
	// LocalAddr is the source address to dial from (127.0.0.2 to act as another host). Zero: any.
	LocalAddr netip.Addr
	// Recorder receives every byte sent and received, and connection events. Nil: nothing is
	// recorded and nothing is copied.
	Recorder Recorder
	// Name labels this connection's events ("ctrl", "ctrl2", "thief"). Default "ctrl".
	Name string
	// TLS, when set, makes Dial start TLS right after connecting (implicit FTPS).
	TLS *tls.Config
	// Timeout bounds dialing and each operation whose context has no earlier deadline. Zero: none.
	Timeout time.Duration
	// MaxReply bounds one reply's size in bytes. Default 1 MiB.
	MaxReply int
}

// Errors a Conn returns (wrapped).
var (
	// ErrReplyTooLong: a reply exceeded Options.MaxReply. The Conn is unusable afterwards.
	ErrReplyTooLong = errors.New("reply too long")
	// ErrUnterminated: the connection ended inside a reply. The Reply returned with it holds the
	// bytes that did arrive.
	ErrUnterminated = errors.New("connection closed inside a reply")
	// ErrBufferedBeforeTLS: bytes arrived after the 234 reply to AUTH TLS and before the handshake,
	// which a server must not send (they would be read as if protected).
	ErrBufferedBeforeTLS = errors.New("unprotected bytes buffered before TLS handshake")
)

const (
	defaultMaxReply = 1 << 20
	initialBuffer   = 1024
)

// Conn is an FTP control connection.
type Conn struct {
	raw  net.Conn // the TCP connection, for deadlines
	nc   net.Conn // raw, or the *tls.Conn over it
	name string
	rec  Recorder
	opts Options

	rbuf       []byte
	rpos, rend int
	wbuf       []byte

	watched    context.Context
	stopWatch  func() bool
	watchFired chan struct{}
	closed     bool
}

// Dial connects to addr (host:port), starts TLS when opts.TLS is set, and reads the greeting. On
// success the greeting is returned with the Conn; a greeting of class 4 or 5 (e.g. 421) is returned
// with the Conn too, so the caller decides.
func Dial(ctx context.Context, addr string, opts Options) (*Conn, Reply, error) {
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	d := net.Dialer{}
	if opts.LocalAddr.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: opts.LocalAddr.AsSlice()}
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, Reply{}, fmt.Errorf("dial %s: %w", addr, err)
	}
	c := NewConn(nc, opts)
	c.recordNow(reports.Event{Kind: reports.Open, Detail: fmt.Sprintf("%s → %s", nc.LocalAddr(), nc.RemoteAddr())})
	if opts.TLS != nil {
		if err := c.handshake(ctx, opts.TLS); err != nil {
			c.Close()
			return nil, Reply{}, err
		}
	}
	r, err := c.ReadReply(ctx)
	if err != nil {
		c.Close()
		return nil, r, fmt.Errorf("greeting from %s: %w", addr, err)
	}
	c.unwatch() // Dial's own timeout context ends here
	return c, r, nil
}

// NewConn wraps an established connection (plain, or a *tls.Conn) without reading anything.
func NewConn(nc net.Conn, opts Options) *Conn {
	if opts.Name == "" {
		opts.Name = "ctrl"
	}
	if opts.MaxReply <= 0 {
		opts.MaxReply = defaultMaxReply
	}
	raw := nc
	if tc, ok := nc.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	return &Conn{raw: raw, nc: nc, name: opts.Name, rec: opts.Recorder, opts: opts, rbuf: make([]byte, initialBuffer)}
}

// Name returns the connection's label in recorded events.
func (c *Conn) Name() string { return c.name }

// LocalAddr returns the local end of the control connection.
func (c *Conn) LocalAddr() netip.AddrPort { return addrPort(c.raw.LocalAddr()) }

// RemoteAddr returns the server's end of the control connection.
func (c *Conn) RemoteAddr() netip.AddrPort { return addrPort(c.raw.RemoteAddr()) }

// NetConn returns the connection replies are read from (a *tls.Conn after StartTLS).
func (c *Conn) NetConn() net.Conn { return c.nc }

// TCPConn returns the underlying TCP connection (below any TLS), for socket options such as
// SetLinger(0) when a case must reset the connection rather than close it.
func (c *Conn) TCPConn() net.Conn { return c.raw }

// Buffered returns the number of received bytes not yet consumed by a reply: a server that sends
// a reply nobody asked for leaves them here.
func (c *Conn) Buffered() int { return c.rend - c.rpos }

// Cmd writes line followed by CRLF and reads one reply. A line containing CR or LF is refused
// (use SendRaw to send malformed input on purpose).
func (c *Conn) Cmd(ctx context.Context, line string) (Reply, error) {
	if strings.ContainsAny(line, "\r\n") {
		return Reply{}, fmt.Errorf("command %q: contains CR or LF (use SendRaw)", line)
	}
	c.wbuf = append(append(c.wbuf[:0], line...), '\r', '\n')
	if err := c.write(ctx, c.wbuf); err != nil {
		return Reply{}, err
	}
	return c.ReadReply(ctx)
}

// Send writes line followed by CRLF without reading a reply.
func (c *Conn) Send(ctx context.Context, line string) error {
	if strings.ContainsAny(line, "\r\n") {
		return fmt.Errorf("command %q: contains CR or LF (use SendRaw)", line)
	}
	c.wbuf = append(append(c.wbuf[:0], line...), '\r', '\n')
	return c.write(ctx, c.wbuf)
}

// SendRaw writes b exactly as given.
func (c *Conn) SendRaw(ctx context.Context, b []byte) error { return c.write(ctx, b) }

func (c *Conn) write(ctx context.Context, b []byte) error {
	if err := c.arm(ctx); err != nil {
		return err
	}
	if c.rec != nil {
		c.recordNow(reports.Event{Kind: reports.Send, Data: bytes.Clone(b)})
	}
	if _, err := c.nc.Write(b); err != nil {
		return c.ioErr(ctx, "write", err)
	}
	return nil
}

// ReadReply reads one reply, honouring ctx's deadline and cancellation.
func (c *Conn) ReadReply(ctx context.Context) (Reply, error) {
	if err := c.arm(ctx); err != nil {
		return Reply{}, err
	}
	var p replyParser
	start, scan := c.rpos, c.rpos
	for {
		if i := bytes.IndexByte(c.rbuf[scan:c.rend], '\n'); i >= 0 {
			end := scan + i + 1
			if p.line(c.rbuf[scan:end]) {
				r := Reply{Code: p.code, Raw: string(c.rbuf[start:end]), Problems: p.problems}
				c.rpos = end
				if c.rec != nil {
					c.recordNow(reports.Event{Kind: reports.Recv, Data: []byte(r.Raw)})
				}
				return r, nil
			}
			scan = end
			continue
		}
		if c.rend-start >= c.opts.MaxReply {
			c.recordPartial(start, "reply too long")
			return Reply{}, fmt.Errorf("read reply: %w (over %d bytes)", ErrReplyTooLong, c.opts.MaxReply)
		}
		// Make room: slide the reply to the front, then grow if it fills the buffer.
		if start > 0 {
			n := copy(c.rbuf, c.rbuf[start:c.rend])
			scan -= start
			c.rpos, c.rend, start = 0, n, 0
		}
		if c.rend == len(c.rbuf) {
			nb := make([]byte, min(2*len(c.rbuf), c.opts.MaxReply+1))
			copy(nb, c.rbuf[:c.rend])
			c.rbuf = nb
		}
		n, err := c.nc.Read(c.rbuf[c.rend:])
		c.rend += n
		if err != nil && n == 0 {
			if c.rend > start {
				// Bytes without a final line: return them as evidence.
				raw := string(c.rbuf[start:c.rend])
				c.recordPartial(start, "incomplete reply: "+err.Error())
				c.rpos = c.rend
				r := Reply{Code: p.code, Raw: raw, Problems: append(p.problems, ProblemUnterminated)}
				if p.lines == 0 {
					if code, ok := parseCode([]byte(raw)); ok {
						r.Code = code
					}
				}
				if errors.Is(err, io.EOF) {
					return r, fmt.Errorf("read reply: %w", ErrUnterminated)
				}
				return r, c.ioErr(ctx, "read reply", err)
			}
			if errors.Is(err, io.EOF) {
				c.recordNow(reports.Event{Kind: reports.Close, Detail: "closed by server"})
				return Reply{}, fmt.Errorf("read reply: %w", io.EOF)
			}
			return Reply{}, c.ioErr(ctx, "read reply", err)
		}
	}
}

func (c *Conn) recordPartial(start int, detail string) {
	if c.rec != nil && c.rend > start {
		c.recordNow(reports.Event{Kind: reports.Recv, Data: bytes.Clone(c.rbuf[start:c.rend]), Detail: detail})
	}
}

// StartTLS performs the TLS handshake on the control connection, after the server accepted AUTH
// TLS with 234. Bytes already buffered at that point are refused (ErrBufferedBeforeTLS): a server
// must not send anything between 234 and the handshake.
func (c *Conn) StartTLS(ctx context.Context, cfg *tls.Config) error {
	if c.Buffered() > 0 {
		return fmt.Errorf("start TLS: %w (%d bytes)", ErrBufferedBeforeTLS, c.Buffered())
	}
	return c.handshake(ctx, cfg)
}

func (c *Conn) handshake(ctx context.Context, cfg *tls.Config) error {
	if err := c.arm(ctx); err != nil {
		return err
	}
	tc := tls.Client(c.raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.recordNow(reports.Event{Kind: reports.Note, Detail: "TLS handshake failed: " + err.Error()})
		return c.ioErr(ctx, "TLS handshake", err)
	}
	c.nc = tc
	if c.rec != nil {
		st := tc.ConnectionState()
		c.recordNow(reports.Event{Kind: reports.Note, Detail: fmt.Sprintf("TLS established: %s, %s, resumed=%v",
			tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), st.DidResume)})
	}
	return nil
}

// TLSState returns the TLS connection state when the control connection is protected.
func (c *Conn) TLSState() (tls.ConnectionState, bool) {
	if tc, ok := c.nc.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// DropTLS returns the control connection to cleartext after a 200 reply to CCC (RFC 4217 §6):
// it sends TLS close_notify, waits for the server's, and carries on over the TCP connection.
func (c *Conn) DropTLS(ctx context.Context) error {
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return errors.New("drop TLS: connection is not protected")
	}
	if err := c.arm(ctx); err != nil {
		return err
	}
	if err := tc.CloseWrite(); err != nil {
		return c.ioErr(ctx, "drop TLS", err)
	}
	// The server answers with its own close_notify; tls.Conn reports it as io.EOF.
	var sink [512]byte
	for {
		_, err := tc.Read(sink[:])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return c.ioErr(ctx, "drop TLS: waiting for the server's close_notify", err)
		}
	}
	c.nc = c.raw
	c.recordNow(reports.Event{Kind: reports.Note, Detail: "TLS closed (CCC); control connection in cleartext"})
	return nil
}

// Closed reports whether Close has been called.
func (c *Conn) Closed() bool { return c.closed }

// Close closes the connection. It does not send QUIT.
func (c *Conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.stopWatch != nil {
		c.stopWatch()
	}
	c.stopWatch = nil
	err := c.nc.Close()
	c.recordNow(reports.Event{Kind: reports.Close, Detail: "closed by client"})
	return err
}

// arm applies ctx's deadline (or the default timeout) to the connection and arranges for
// cancellation to interrupt a blocked read or write. One registration serves every call with the
// same context, which keeps the load generator's per-command cost flat.
func (c *Conn) arm(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ctx != c.watched {
		c.unwatch()
		c.watched = ctx
		if ctx.Done() != nil {
			raw, fired := c.raw, make(chan struct{})
			c.watchFired = fired
			c.stopWatch = context.AfterFunc(ctx, func() {
				_ = raw.SetDeadline(aLongTimeAgo)
				close(fired)
			})
		}
	}
	d, ok := ctx.Deadline()
	if c.opts.Timeout > 0 {
		if t := time.Now().Add(c.opts.Timeout); !ok || t.Before(d) {
			d = t
		}
	}
	_ = c.raw.SetDeadline(d) // zero time: no deadline
	// Cancellation may have fired between the check above and SetDeadline, undoing its effect.
	return ctx.Err()
}

var aLongTimeAgo = time.Unix(1, 0)

// unwatch stops watching the current context. If its cancellation already fired, it waits for
// the deadline it set, so that the caller's next SetDeadline is not overwritten afterwards.
func (c *Conn) unwatch() {
	if c.stopWatch != nil && !c.stopWatch() {
		<-c.watchFired
	}
	c.stopWatch, c.watchFired, c.watched = nil, nil, nil
}

// ioErr explains an I/O error, preferring the context's reason when it caused the error.
func (c *Conn) ioErr(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		err = cerr
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection's deadline can fire a moment before the context's timer; either way
		// the caller asked for a time limit, and errors.Is(err, context.DeadlineExceeded) says so.
		err = fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
	}
	c.recordNow(reports.Event{Kind: reports.Note, Detail: op + ": " + err.Error()})
	return fmt.Errorf("%s: %w", op, err)
}

func (c *Conn) recordNow(e reports.Event) {
	if c.rec == nil {
		return
	}
	e.Conn = c.name
	c.rec.Record(e, time.Now())
}

func addrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// Waiting reports whether the server has sent bytes that no reply read has consumed yet, looking
// up to wait for them to arrive. A reply that arrives before a command is sent was not asked for:
// a harness that does not look pairs it with the next command and grades the wrong thing.
func (c *Conn) Waiting(ctx context.Context, wait time.Duration) (bool, error) {
	if c.Buffered() > 0 {
		return true, nil
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	// Nothing is buffered (checked above), so the whole buffer is free for the read.
	c.rpos, c.rend = 0, 0
	_ = c.raw.SetReadDeadline(time.Now().Add(wait))
	n, _ := c.nc.Read(c.rbuf[c.rend:])
	_ = c.raw.SetReadDeadline(time.Time{})
	c.rend += n
	// Nothing arrived: a timeout, or the server closed the connection or broke it, which the
	// next command finds out for itself.
	return n > 0, nil
}
