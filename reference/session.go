package reference

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// session is one control connection. Its goroutine reads and executes commands in order; a
// transfer runs in a goroutine of its own so ABOR, STAT and QUIT can be heard while it runs
// (RFC 959 §4.1.3). Everything not marked otherwise belongs to the session goroutine.
type session struct {
	srv      *Server
	raw      *net.TCPConn
	conn     net.Conn // raw, or the TLS connection over it
	lr       *lineReader
	remote   netip.Addr // the client's address: the only one data connections may come from or go to
	local    netip.Addr // the server's address on this connection
	implicit bool

	wmu  sync.Mutex // replies come from the session and the transfer goroutines
	wbuf []byte

	tls *sessionTLSState // nil until AUTH TLS or an implicit TLS handshake

	// Login state (RFC 959 §4.1.1), reset by REIN.
	pendingUser string
	user        *User // nil until logged in; for anonymous a synthesized read-only user
	host        string
	root        *os.Root
	write       bool
	cwd         string
	failures    int

	// Transfer parameters (RFC 959 §4.1.2), reset by REIN.
	ascii     bool
	rest      int64
	rnfr      string
	epsvAll   bool
	mlstFacts factSet
	data      dataSource   // set by PASV/EPSV/PORT/EPRT, used by the next transfer
	leaked    []dataSource // listener-leak fault: passives never released until the session ends

	xmu             sync.Mutex
	xfer            *transfer // the running transfer; cleared just before its last reply is sent
	last            *transfer // the latest transfer started (session goroutine only)
	ctrlEOF         atomic.Bool
	killed          atomic.Bool
	quitting        atomic.Bool  // QUIT was received: the client's departure is orderly
	lastTransferEnd atomic.Int64 // UnixNano
}

type sessionTLSState struct {
	conn    *tls.Conn
	data    *tls.Config
	pbsz    bool
	protect bool // PROT P
}

func newSession(srv *Server, c *net.TCPConn, remote netip.Addr, implicit bool) *session {
	s := &session{
		srv:       srv,
		raw:       c,
		conn:      c,
		remote:    remote,
		local:     addrOf(c.LocalAddr()),
		implicit:  implicit,
		cwd:       "/",
		mlstFacts: defaultFacts,
	}
	s.lr = newLineReader(c, srv.cfg.Limits.MaxLineLength)
	// An "urgent" ABOR (RFC 959 §4.1.3: IAC IP, then IAC DM as TCP urgent data) must stay in the
	// byte stream: without SO_OOBINLINE Linux drops the urgent byte, and clients such as Python's
	// ftplib send "ABOR\r\n" itself as urgent data, losing its LF.
	if rc, err := c.SyscallConn(); err == nil {
		rc.Control(setOOBInline)
	}
	return s
}

var errQuit = errors.New("session over")

// serve runs the session until QUIT, an error, a timeout or the server's shutdown.
func (s *session) serve() {
	defer s.finish()
	if s.implicit {
		if err := s.startTLS(); err != nil {
			s.srv.log.Debug("implicit TLS handshake", "remote", s.remote, "err", err)
			return
		}
	}
	if s.srv.log.Enabled(context.Background(), slog.LevelDebug) {
		s.srv.log.Debug("session start", "remote", s.remote, "implicit_tls", s.implicit)
		defer s.srv.log.Debug("session end", "remote", s.remote)
	}
	s.reply(220, "ftpspec reference FTP server ready.")
	for {
		line, err := s.next()
		switch {
		case errors.Is(err, errLineTooLong):
			s.reply(500, "Command line too long.")
			continue
		case errors.Is(err, errNULInLine):
			s.reply(500, "Syntax error: NUL byte in command.")
			continue
		case err != nil:
			return
		}
		if err := s.dispatch(line); err != nil {
			return
		}
	}
}

// next reads the next command line, applying the idle timeout and the drain of a shutdown.
func (s *session) next() ([]byte, error) {
	for {
		draining := s.srv.draining.Load()
		running := s.transferRunning()
		switch {
		case draining && !running && !s.justTransferred():
			s.reply(421, "Service not available, server shutting down.")
			return nil, errQuit
		case running || s.srv.cfg.Timeouts.Idle <= 0:
			s.conn.SetReadDeadline(time.Time{})
		default:
			// Also after a transfer that finished during a shutdown: the client still has to read
			// the rest of the data and the 226, then may say QUIT; Shutdown's deadline bounds this.
			s.conn.SetReadDeadline(time.Now().Add(s.srv.cfg.Timeouts.Idle))
		}
		if !draining && s.srv.draining.Load() || running && !s.transferRunning() {
			// Shutdown began, or the transfer ended (re-arming the idle deadline), after the
			// check: what they did to the deadline may predate ours.
			continue
		}
		line, err := s.lr.readLine()
		if len(s.lr.refusals) > 0 {
			s.wmu.Lock()
			s.send(s.lr.refusals)
			s.wmu.Unlock()
			s.lr.refusals = s.lr.refusals[:0]
		}
		if err == nil || errors.Is(err, errLineTooLong) || errors.Is(err, errNULInLine) {
			if s.srv.draining.Load() && err == nil && !s.transferRunning() {
				if v, _, _ := parseCommand(line); v != "QUIT" {
					s.reply(421, "Service not available, server shutting down.")
					return nil, errQuit
				}
			}
			return line, err
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && !s.killed.Load() {
			if running || (!draining && s.srv.draining.Load()) {
				continue // woken by Shutdown: look again
			}
			if draining {
				s.reply(421, "Service not available, server shutting down.")
				return nil, errQuit
			}
			s.reply(421, "Timeout: no command for "+s.srv.cfg.Timeouts.Idle.String()+", closing control connection.")
			return nil, errQuit
		}
		s.ctrlEOF.Store(true)
		return nil, err
	}
}

// justTransferred reports whether a transfer ended around or after the start of a shutdown:
// such a session may still be reading its data and gets the chance to say QUIT.
func (s *session) justTransferred() bool {
	end := s.lastTransferEnd.Load()
	return end != 0 && end >= s.srv.drainStart.Load()-int64(2*time.Second)
}

// interrupt wakes the session goroutine from its read so it notices a shutdown.
func (s *session) interrupt() { s.raw.SetReadDeadline(time.Now()) }

// kill ends the session at once.
func (s *session) kill() {
	s.killed.Store(true)
	s.raw.Close()
	s.xmu.Lock()
	if x := s.xfer; x != nil {
		x.abort()
	}
	s.xmu.Unlock()
}

// finish ends a running transfer, releases the data source and closes the connection.
func (s *session) finish() {
	if x := s.runningTransfer(); x != nil && (s.ctrlEOF.Load() || s.killed.Load()) {
		x.abort() // nobody is left to hear the result; an upload must not be committed
	}
	s.settle()
	s.dropData()
	for _, d := range s.leaked {
		d.release()
	}
	s.leaked = nil
	if s.tls != nil {
		s.tls.conn.SetWriteDeadline(time.Now().Add(time.Second))
		s.tls.conn.Close()
	}
	s.raw.Close()
}

// dropData releases the pending data source, if any.
func (s *session) dropData() {
	if s.data != nil {
		s.data.release()
		s.data = nil
	}
}

// setData makes d the source of the next transfer. A new PASV closes the previous, unused
// listener (under the listener-leak fault it stays open until the session ends).
func (s *session) setData(d dataSource) {
	if s.data != nil {
		if _, isPassive := s.data.(*passive); isPassive && s.srv.faults.has(faultListenerLeak) {
			s.leaked = append(s.leaked, s.data)
		} else {
			s.data.release()
		}
	}
	s.data = d
}

// settle waits until the latest transfer has sent its last reply.
func (s *session) settle() {
	if s.last != nil {
		<-s.last.done
	}
}

func (s *session) runningTransfer() *transfer {
	s.xmu.Lock()
	defer s.xmu.Unlock()
	return s.xfer
}

func (s *session) transferRunning() bool { return s.runningTransfer() != nil }

// Replies (RFC 959 §4.2): "code SP text CRLF", or for several lines "code-first", the lines, and
// "code SP last". Lines in between start with a space, so none can be mistaken for the last line.

// reply sends a one-line reply; a text with newlines becomes a multi-line reply whose last line
// repeats the code.
func (s *session) reply(code int, text string) {
	if strings.IndexByte(text, '\n') >= 0 {
		lines := strings.Split(text, "\n")
		s.replyLines(code, lines[0], lines[1:len(lines)-1], lines[len(lines)-1])
		return
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	b := strconv.AppendInt(s.wbuf[:0], int64(code), 10)
	b = append(b, ' ')
	b = append(b, text...)
	b = append(b, "\r\n"...)
	s.send(b)
	s.keep(b)
}

// replyLines sends a multi-line reply: first and last carry the code, each middle line is sent
// after one space.
func (s *session) replyLines(code int, first string, middle []string, last string) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	b := strconv.AppendInt(s.wbuf[:0], int64(code), 10)
	b = append(b, '-')
	b = append(b, first...)
	b = append(b, "\r\n"...)
	for _, m := range middle {
		b = append(b, ' ')
		b = append(b, m...)
		b = append(b, "\r\n"...)
	}
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	b = append(b, last...)
	b = append(b, "\r\n"...)
	s.send(b)
	s.keep(b)
}

// send writes b under wmu. A client that stops reading cannot hold the session forever.
func (s *session) send(b []byte) {
	if d := s.srv.cfg.Timeouts.Data; d > 0 {
		s.conn.SetWriteDeadline(time.Now().Add(d))
	}
	s.conn.Write(b)
}

// keep retains a reply buffer for the next reply, unless it grew big (a long listing over STAT).
func (s *session) keep(b []byte) {
	if cap(b) <= 512 {
		s.wbuf = b[:0]
	}
}

// startTLS runs the server side of a TLS handshake on the control connection (AUTH TLS or an
// implicit listener) and switches reading and writing to it.
func (s *session) startTLS() error {
	token := make([]byte, 16)
	rand.Read(token)
	ctl, data := sessionTLS(s.srv.tlsBase, token, boolOr(s.srv.cfg.TLS.RequireSessionReuse, true))
	tc := tls.Server(&recordConn{Conn: s.raw}, ctl)
	s.raw.SetDeadline(time.Now().Add(handshakeTimeout(s.srv.cfg.Timeouts.Data)))
	err := tc.Handshake()
	s.raw.SetDeadline(time.Time{})
	if err != nil {
		return err
	}
	s.wmu.Lock()
	s.conn = tc
	s.wmu.Unlock()
	s.lr.reset(tc)
	s.tls = &sessionTLSState{conn: tc, data: data, protect: s.implicit}
	return nil
}

func handshakeTimeout(d time.Duration) time.Duration {
	if d <= 0 || d > 30*time.Second {
		return 30 * time.Second
	}
	return d
}

// controlClosed reports whether the client has closed the control connection. It peeks without
// consuming, so it is safe while the session goroutine is blocked reading.
func (s *session) controlClosed() bool {
	if s.ctrlEOF.Load() {
		return true
	}
	rc, err := s.raw.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	rc.Control(func(fd uintptr) { closed = peerClosed(fd) })
	return closed
}
