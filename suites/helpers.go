package suites

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
	"github.com/ftpspec/ftpspec/reports"
)

// want returns a Violation unless r's code is one of codes.
func want(r ftpwire.Reply, what string, codes ...int) error {
	if slices.Contains(codes, r.Code) {
		return nil
	}
	return &Violation{Expected: []string{codeList(codes) + " to " + what}, Actual: quote(r)}
}

// refused reports whether r is a negative completion (4yz or 5yz).
func refused(r ftpwire.Reply) bool { return r.Class() == 4 || r.Class() == 5 }

// notImplemented reports whether r says the command is unknown or unimplemented.
func notImplemented(r ftpwire.Reply) bool { return r.Code == 500 || r.Code == 502 }

// prefixOf reports whether got is a prefix of want (a short read that may be another case's
// business), and describes the difference otherwise.
func prefixOf(want, got []byte) (bool, string) {
	if len(got) <= len(want) && bytes.Equal(want[:len(got)], got) {
		return true, ""
	}
	_, diff := sameBytes(want, got)
	return false, diff
}

// checkContent judges downloaded bytes for a case whose requirement is about something other
// than completeness: wrong bytes are a violation, a clean short read is a harness error (the
// byte-exact cases judge that), equal bytes pass.
func checkContent(what string, want, got []byte) error {
	if bytes.Equal(want, got) {
		return nil
	}
	if ok, _ := prefixOf(want, got); ok {
		return fmt.Errorf("%s: only %d of %d bytes arrived, all correct (completeness is judged by rfc959/4.1.3/retr-byte-exact)", what, len(got), len(want))
	}
	_, diff := sameBytes(want, got)
	return Violatef(fmt.Sprintf("the %d bytes of %s", len(want), what), "%s", diff)
}

// Listener is a data port the harness listens on, for PORT and EPRT.
type Listener struct {
	ln   *net.TCPListener
	ctrl *Ctrl
	Addr netip.AddrPort
}

// Listen opens a data port on the control connection's local address (or on local when valid).
func (c *Ctrl) Listen(local netip.Addr) (*Listener, error) {
	if !local.IsValid() {
		local = c.LocalAddr().Addr()
	}
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	if err != nil {
		return nil, fmt.Errorf("listen for a data connection on %s: %w", local, err)
	}
	l := &Listener{ln: ln, ctrl: c, Addr: ln.Addr().(*net.TCPAddr).AddrPort()}
	l.Addr = netip.AddrPortFrom(l.Addr.Addr().Unmap(), l.Addr.Port())
	c.env.track(ln)
	c.env.Note("listening for a data connection on %s", l.Addr)
	return l, nil
}

// Accept waits up to wait for the server to connect. It returns (nil, nil) when nobody came.
func (l *Listener) Accept(wait time.Duration) (*DataConn, error) {
	_ = l.ln.SetDeadline(time.Now().Add(wait))
	nc, err := l.ln.Accept()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, nil
		}
		return nil, err
	}
	e := l.ctrl.env
	name := e.nextName("data", &e.ndata)
	e.tr.Record(reports.Event{Conn: name, Kind: reports.Open, Detail: fmt.Sprintf("accepted %s → %s", nc.RemoteAddr(), nc.LocalAddr())}, time.Now())
	d := &DataConn{Conn: nc, tcp: nc, env: e, name: name, port: l.Addr.Port(), peer: nc.RemoteAddr().String()}
	if l.ctrl.Prot {
		// RFC 4217 §7: the FTP client is the TLS client whichever side connected.
		d.Conn = tls.Client(nc, l.ctrl.tls)
		d.extra = "TLS"
	}
	e.track(d)
	return d, nil
}

// Close stops listening.
func (l *Listener) Close() error { return l.ln.Close() }

// activeTransfer runs cmd after a PORT/EPRT that pointed at l: send cmd, accept, move bytes,
// read the final reply.
func (c *Ctrl) activeTransfer(ctx context.Context, l *Listener, cmd string) (Transfer, error) {
	var t Transfer
	var err error
	if t.Prelim, err = c.Cmd(ctx, cmd); err != nil || t.Prelim.Class() != 1 {
		return t, err
	}
	dc, err := l.Accept(5 * time.Second)
	if err != nil {
		return t, err
	}
	if dc == nil {
		return t, fmt.Errorf("the server did not connect to %s after %s", l.Addr, quote(t.Prelim))
	}
	defer dc.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = dc.SetDeadline(dl)
	}
	if t.Data, err = io.ReadAll(io.LimitReader(dc, maxDownload)); err != nil {
		return t, fmt.Errorf("download: %w", err)
	}
	dc.Close()
	t.Final, err = c.ReadReply(ctx)
	return t, err
}

// isTLSRecord reports whether b starts like a TLS handshake record.
func isTLSRecord(b []byte) bool { return len(b) >= 3 && b[0] == 0x16 && b[1] == 0x03 }

// readUntilClosed reads a data connection to EOF or deadline and returns what arrived.
func readUntilClosed(d *DataConn, wait time.Duration) ([]byte, error) {
	_ = d.SetReadDeadline(time.Now().Add(wait))
	return io.ReadAll(io.LimitReader(d, maxDownload))
}

// pwdPath extracts the quoted pathname of a 257 reply ("" when there is none).
func pwdPath(r ftpwire.Reply) string {
	t := r.Text()
	i := strings.IndexByte(t, '"')
	if i < 0 {
		return ""
	}
	// RFC 959 Appendix II: embedded quotes are doubled.
	var b strings.Builder
	for j := i + 1; j < len(t); j++ {
		if t[j] == '"' {
			if j+1 < len(t) && t[j+1] == '"' {
				b.WriteByte('"')
				j++
				continue
			}
			return b.String()
		}
		b.WriteByte(t[j])
	}
	return ""
}

// loginAndFile logs in and uploads a file of size bytes with identifying content. Cases that
// need a known file to read use it.
func loginAndFile(ctx context.Context, env *Env, suffix string, size int) (*Ctrl, string, []byte, error) {
	c, err := env.Login(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	name := env.Name(suffix)
	data := env.Content(name, size)
	if err := c.Stor(ctx, name, data); err != nil {
		return nil, "", nil, err
	}
	return c, name, data, nil
}

// textContent is a small text file with LF line ends (for TYPE A checks).
func textContent(lines int) []byte {
	var b bytes.Buffer
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&b, "ftpspec line %03d: the quick brown fox\n", i)
	}
	return b.Bytes()
}

// sizeOf sends SIZE and parses a 213 reply; ok is false for any other reply.
func sizeOf(ctx context.Context, c *Ctrl, name string) (int64, ftpwire.Reply, bool, error) {
	r, err := c.Cmd(ctx, "SIZE "+name)
	if err != nil {
		return 0, r, false, err
	}
	if r.Code != 213 {
		return 0, r, false, nil
	}
	var n int64
	t := strings.TrimSpace(r.Text())
	if _, err := fmt.Sscanf(t, "%d", &n); err != nil || !allDigits(t) {
		return 0, r, false, nil
	}
	return n, r, true, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// lines splits listing data into lines without their CRLF or LF.
func lines(b []byte) []string {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
