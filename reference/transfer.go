package reference

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ftpspec/ftpspec/internal/payload"
)

// Data connection setup (RFC 959 §4.1.2, RFC 2428, RFC 2577).

func (s *session) cmdPASV(string) error {
	if s.epsvAll && !s.srv.faults.has(faultEPSVAllIgnored) {
		// RFC 2428 §4: after EPSV ALL "the server MUST reject all data connection setup commands
		// other than EPSV".
		s.reply(503, "PASV not allowed after EPSV ALL.")
		return nil
	}
	if !s.local.Is4() {
		s.reply(522, "PASV cannot carry an IPv6 address: use EPSV.")
		return nil
	}
	d, err := s.openPassive()
	if err != nil {
		s.reply(425, "Cannot open passive connection: "+err.Error()+".")
		return nil
	}
	ip := s.local
	if s.srv.cfg.PublicIP != "" {
		ip = netip.MustParseAddr(s.srv.cfg.PublicIP)
	}
	if s.srv.faults.has(faultPasvWrongAddress) {
		ip = netip.AddrFrom4([4]byte{127, 9, 9, 9})
	}
	s.reply(227, "Entering Passive Mode ("+formatPASV(ip, d.port())+").")
	return nil
}

func (s *session) cmdEPSV(arg string) error {
	a, err := parseEPSV(arg)
	switch {
	case errors.Is(err, errUnsupportedFamily):
		s.reply(522, "Network protocol not supported, use ("+s.family()+").")
		return nil
	case err != nil:
		s.reply(501, "Syntax error: EPSV [1 | 2 | ALL].")
		return nil
	case a == epsvAll:
		s.epsvAll = true
		s.dropData()
		s.reply(200, "EPSV ALL ok: only EPSV from now on.")
		return nil
	case a == epsvV4 && !s.local.Is4(), a == epsvV6 && s.local.Is4():
		// The listener is on the control connection's address, so only its protocol is offered.
		s.reply(522, "Network protocol not supported, use ("+s.family()+").")
		return nil
	}
	d, err := s.openPassive()
	if err != nil {
		s.reply(425, "Cannot open passive connection: "+err.Error()+".")
		return nil
	}
	s.reply(229, "Entering Extended Passive Mode (|||"+strconv.Itoa(d.port())+"|).")
	return nil
}

// family is the RFC 2428 network protocol number of the control connection.
func (s *session) family() string {
	if s.local.Is4() {
		return "1"
	}
	return "2"
}

// openPassive makes the session's new passive data source.
func (s *session) openPassive() (dataSource, error) {
	// Give up the previous source first, so a session re-issuing PASV in a full range still gets a
	// port.
	s.setData(nil)
	srv := s.srv
	if srv.faults.has(faultSharedPasvPort) {
		sp, err := srv.sharedPort(s.local)
		if err != nil {
			return nil, err
		}
		w := sp.wait(s.remote)
		s.setData(w)
		return w, nil
	}
	if srv.faults.has(faultPortReuse) {
		if p := srv.reusablePassive(s.remote, s); p != nil {
			s.setData(p)
			return p, nil
		}
	}
	ln, port, err := srv.ports.listen(s.local)
	if err != nil {
		if !errors.Is(err, errPortsExhausted) {
			srv.log.Error("passive listener", "err", err)
		}
		return nil, err
	}
	p := newPassive(ln, port, s.remote, srv.faults.has(faultNoIPCheck), srv.ports.free)
	p.owner = s
	if srv.faults.has(faultPortReuse) {
		srv.notePassive(p)
	}
	s.setData(p)
	return p, nil
}

func (s *session) cmdPORT(arg string) error {
	if s.epsvAll && !s.srv.faults.has(faultEPSVAllIgnored) {
		s.reply(503, "PORT not allowed after EPSV ALL.")
		return nil
	}
	ap, err := parsePORT(arg)
	if err != nil {
		s.reply(501, "Syntax error: PORT h1,h2,h3,h4,p1,p2.")
		return nil
	}
	return s.setActive(ap, "PORT")
}

func (s *session) cmdEPRT(arg string) error {
	if s.epsvAll && !s.srv.faults.has(faultEPSVAllIgnored) {
		s.reply(503, "EPRT not allowed after EPSV ALL.")
		return nil
	}
	ap, err := parseEPRT(arg)
	switch {
	case errors.Is(err, errUnsupportedFamily):
		s.reply(522, "Network protocol not supported, use (1,2).")
		return nil
	case err != nil:
		s.reply(501, "Syntax error: EPRT |proto|address|port|.")
		return nil
	}
	return s.setActive(ap, "EPRT")
}

// setActive accepts an active-mode target only when it is the client itself on an unprivileged
// port: RFC 2577 §3 — "servers not open data connections to TCP ports less than 1024", and a
// PORT naming another host is the bounce attack.
func (s *session) setActive(ap netip.AddrPort, verb string) error {
	target := netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if !s.srv.faults.has(faultPortBounce) && (target.Addr() != s.remote || target.Port() < 1024) {
		s.reply(504, verb+" refused: data connections go only to your own address, on a port >= 1024.")
		return nil
	}
	s.setData(&active{local: s.local, target: target})
	s.reply(200, verb+" command successful.")
	return nil
}

func (s *session) cmdABOR(string) error {
	if x := s.runningTransfer(); x != nil {
		// RFC 959 §4.1.3: the transfer's 426 first, then 226 for the ABOR.
		x.abort()
		<-x.done
		s.reply(226, "ABOR successful.")
		return nil
	}
	s.dropData()
	s.reply(225, "No transfer to abort.")
	return nil
}

// transfer is one running data transfer.
type transfer struct {
	verb, name string
	done       chan struct{}
	cancel     context.CancelCauseFunc
	aborted    atomic.Bool
	bytes      atomic.Int64

	mu   sync.Mutex
	conn net.Conn
}

var errAborted = errors.New("transfer aborted")

func (t *transfer) abort() {
	t.aborted.Store(true)
	t.cancel(errAborted)
	t.mu.Lock()
	if t.conn != nil {
		t.conn.Close()
	}
	t.mu.Unlock()
}

func (t *transfer) setConn(c net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conn = c
	if t.aborted.Load() {
		c.Close()
	}
}

// A mover copies the data of one transfer over c.
type mover func(t *transfer, c net.Conn) error

// startTransfer runs a transfer in its own goroutine: wait for or make the data connection, send
// 150, protect it with TLS under PROT P, move the data, and reply 226, 425, 426, 451 or 522.
// finish is called exactly once with the mover's error (or the setup error) and releases what the
// command opened; its own error turns 226 into 451.
func (s *session) startTransfer(verb, name, opening string, move mover, finish func(error) error) {
	d := s.data
	s.data = nil
	ctx, cancel := context.WithCancelCause(context.Background())
	t := &transfer{verb: verb, name: name, done: make(chan struct{}), cancel: cancel}
	var protect *tls.Config
	if s.tls != nil && s.tls.protect {
		protect = s.tls.data
	}
	s.xmu.Lock()
	s.xfer = t
	s.xmu.Unlock()
	go func() {
		code, text := s.runTransfer(ctx, t, d, protect, opening, move, finish)
		cancel(nil)
		s.reply(code, text)
		s.lastTransferEnd.Store(time.Now().UnixNano())
		s.xmu.Lock()
		s.xfer = nil
		s.xmu.Unlock()
		close(t.done)
	}()
}

func (s *session) runTransfer(ctx context.Context, t *transfer, d dataSource, protect *tls.Config, opening string, move mover, finish func(error) error) (int, string) {
	defer d.release()
	wait, cancelWait := withTimeout(ctx, s.srv.cfg.Timeouts.Data)
	c, err := d.conn(wait)
	cancelWait()
	if err != nil {
		finish(err)
		if t.aborted.Load() {
			return 426, "Connection closed; transfer aborted."
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = errNoDataConn
		}
		return 425, "Can't open data connection: " + err.Error() + "."
	}
	t.setConn(c)
	s.reply(150, opening)
	if protect != nil {
		tc := tls.Server(c, protect)
		c.SetDeadline(time.Now().Add(handshakeTimeout(s.srv.cfg.Timeouts.Data)))
		err := tc.HandshakeContext(ctx)
		c.SetDeadline(time.Time{})
		if err == nil && boolOr(s.srv.cfg.TLS.RequireSessionReuse, true) && !tc.ConnectionState().DidResume {
			err = errors.New("the data connection must resume the control connection's TLS session")
		}
		if err != nil {
			c.Close()
			finish(err)
			if t.aborted.Load() {
				return 426, "Connection closed; transfer aborted."
			}
			// RFC 4217 §10: 522 after 150 when the TLS negotiation is unacceptable.
			return 522, "TLS negotiation on the data connection failed: " + err.Error() + "."
		}
		t.setConn(tc)
		c = tc
	}
	moveErr := move(t, c)
	if moveErr == nil {
		c.SetWriteDeadline(time.Now().Add(handshakeTimeout(s.srv.cfg.Timeouts.Data)))
	}
	closeErr := c.Close()
	if moveErr == nil && protect != nil && closeErr != nil && !errors.Is(closeErr, net.ErrClosed) {
		moveErr = closeErr // the close_notify that ends the TLS stream did not get out
	}
	if t.aborted.Load() && moveErr == nil {
		moveErr = errAborted
	}
	finErr := finish(moveErr)
	switch {
	case t.aborted.Load():
		return 426, "Connection closed; transfer aborted."
	case moveErr != nil && isNetError(moveErr):
		return 426, "Connection closed; transfer aborted."
	case moveErr != nil:
		return 451, "Requested action aborted: local error in processing."
	case finErr != nil:
		return 451, "Requested action aborted: local error in processing: " + fsReason(finErr) + "."
	}
	return 226, "Transfer complete."
}

// isNetError tells a failure of the data connection from a failure of the file system.
func isNetError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, net.ErrClosed) || errors.Is(err, errAborted) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	for _, e := range []syscall.Errno{syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED, syscall.ETIMEDOUT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// zeroCopyChunk is how much one sendfile/splice call moves before the deadline is pushed out and
// the byte count (for STAT) updated: the data timeout is "no 1 MiB in Timeouts.Data".
const zeroCopyChunk = 1 << 20

// copyOut sends src over c. A disk file going to a plain TCP connection takes the sendfile path
// (io.CopyN from *os.File to *net.TCPConn: neither side is wrapped). limit < 0 means all of src.
func copyOut(t *transfer, c net.Conn, src io.Reader, limit int64, ascii bool, skip int64, timeout time.Duration) error {
	tc, isTCP := c.(*net.TCPConn)
	f, isFile := src.(*os.File)
	if isTCP && isFile && !ascii {
		for limit != 0 {
			n := int64(zeroCopyChunk)
			if limit > 0 {
				n = min(n, limit)
			}
			if timeout > 0 {
				tc.SetWriteDeadline(time.Now().Add(timeout))
			}
			k, err := io.CopyN(tc, f, n)
			t.bytes.Add(k)
			if limit > 0 {
				limit -= k
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	var w io.Writer = &progressWriter{c: c, t: t, timeout: timeout}
	if ascii {
		if skip > 0 {
			w = &discardWriter{w: w, n: skip}
		}
		w = newCRLFWriter(w)
	}
	if limit >= 0 {
		src = io.LimitReader(src, limit)
	}
	_, err := io.Copy(w, src) // a synthetic file's WriteTo fills one buffer and writes it
	return err
}

// copyIn receives c into f. A plain TCP connection into a file takes the splice path (io.CopyN
// from *net.TCPConn to *os.File).
func copyIn(t *transfer, f *os.File, c net.Conn, ascii bool, timeout time.Duration) error {
	if tc, ok := c.(*net.TCPConn); ok && !ascii {
		for {
			if timeout > 0 {
				tc.SetReadDeadline(time.Now().Add(timeout))
			}
			k, err := io.CopyN(f, tc, zeroCopyChunk)
			t.bytes.Add(k)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	var r io.Reader = &progressReader{c: c, t: t, timeout: timeout}
	if ascii {
		r = newLFReader(r)
	}
	_, err := io.Copy(f, r)
	return err
}

// progressWriter counts bytes and keeps the data deadline moving while bytes flow.
type progressWriter struct {
	c       net.Conn
	t       *transfer
	timeout time.Duration
}

func (w *progressWriter) Write(p []byte) (int, error) {
	if w.timeout > 0 {
		w.c.SetWriteDeadline(time.Now().Add(w.timeout))
	}
	n, err := w.c.Write(p)
	w.t.bytes.Add(int64(n))
	return n, err
}

type progressReader struct {
	c       net.Conn
	t       *transfer
	timeout time.Duration
}

func (r *progressReader) Read(p []byte) (int, error) {
	if r.timeout > 0 {
		r.c.SetReadDeadline(time.Now().Add(r.timeout))
	}
	n, err := r.c.Read(p)
	r.t.bytes.Add(int64(n))
	return n, err
}

// synthReader is a synthetic file; embedding keeps payload.Reader's WriteTo visible to io.Copy.
type synthReader struct{ *payload.Reader }

func (synthReader) Close() error { return nil }

func syntheticFile(name string, size int64) synthReader {
	return synthReader{payload.NewReader(name, size)}
}

// needData answers 425 when no PASV/EPSV/PORT/EPRT preceded a transfer command.
func (s *session) needData() bool {
	if s.data == nil {
		s.reply(425, "Use PASV, EPSV, PORT or EPRT first.")
		return false
	}
	return true
}

func (s *session) typeName() string {
	if s.ascii {
		return "ASCII"
	}
	return "BINARY"
}

func (s *session) cmdRETR(arg string) error {
	rest := s.rest
	s.rest = 0
	if !s.needData() {
		return nil
	}
	v := resolvePath(s.cwd, arg)
	r, info, err := s.openRead(v)
	if err != nil {
		s.dropData()
		s.reply(550, "Failed to open file: "+fsReason(err)+".")
		return nil
	}
	size := info.Size()
	var skip int64
	if rest > 0 {
		switch {
		case s.ascii:
			skip = rest // counted in wire bytes, after conversion
		case rest > size:
			r.Close()
			s.dropData()
			s.reply(554, "Requested action not taken: restart point beyond end of file.")
			return nil
		default:
			if _, err := r.Seek(rest, io.SeekStart); err != nil {
				r.Close()
				s.dropData()
				s.reply(551, "Requested action aborted: cannot seek.")
				return nil
			}
		}
	}
	limit := int64(-1)
	if s.srv.faults.has(faultTruncate) && s.srv.retrs.Add(1)%2 == 1 {
		limit = (size - min(rest, size)) / 2 // the fault: stop halfway, report success anyway
	}
	ascii, timeout := s.ascii, s.srv.cfg.Timeouts.Data
	opening := fmt.Sprintf("Opening %s mode data connection for %s (%d bytes).", s.typeName(), sanitize(path.Base(v)), size)
	s.startTransfer("RETR", v, opening, func(t *transfer, c net.Conn) error {
		return copyOut(t, c, r, limit, ascii, skip, timeout)
	}, func(error) error { return r.Close() })
	return nil
}

func (s *session) cmdSTOR(arg string) error { return s.store("STOR", arg, uploadReplace) }
func (s *session) cmdAPPE(arg string) error { return s.store("APPE", arg, uploadAppend) }

func (s *session) cmdSTOU(arg string) error {
	if !s.needData() {
		return nil
	}
	base := path.Base(resolvePath(s.cwd, arg))
	if arg == "" || base == "/" {
		base = "ftpspec-stou"
	}
	dir := s.cwd
	if arg != "" {
		dir = path.Dir(resolvePath(s.cwd, arg))
	}
	for i := 0; i < 1000; i++ {
		name := base
		if i > 0 || arg == "" {
			name = base + "." + strconv.Itoa(i+1)
		}
		v := path.Join(dir, name)
		if !s.canWrite(v) {
			break
		}
		if _, err := s.root.Lstat(rootName(v)); errors.Is(err, fs.ErrNotExist) {
			return s.store("STOU", v, uploadReplace)
		}
	}
	s.dropData()
	s.reply(553, "Could not find a unique file name.")
	return nil
}

// store runs STOR, APPE and STOU. Uploads are atomic: see newUpload.
func (s *session) store(verb, arg string, mode uploadMode) error {
	rest := s.rest
	s.rest = 0
	if !s.needData() {
		return nil
	}
	v := resolvePath(s.cwd, arg)
	fail := func(code int, text string) error {
		s.dropData()
		s.reply(code, text)
		return nil
	}
	if k, _, _ := parseSynthetic(v); k != notSynthetic {
		return fail(553, "Requested action not taken: the synthetic tree is read-only.")
	}
	if !s.write {
		return fail(550, "Permission denied.")
	}
	if v == "/" {
		return fail(553, "Requested action not taken: file name not allowed.")
	}
	if dir, err := s.root.Stat(rootName(path.Dir(v))); err != nil || !dir.IsDir() {
		return fail(553, "Requested action not taken: no such directory.")
	}
	if info, err := s.root.Stat(rootName(v)); err == nil && !info.Mode().IsRegular() {
		return fail(553, "Requested action not taken: not a plain file.")
	}
	offset := rest
	if rest > 0 {
		// RFC 3659 §5.3: with a marker, STOR and APPE alike put the data at that offset.
		mode = uploadRestart
		if s.ascii {
			f, err := s.root.Open(rootName(v))
			if err != nil {
				return fail(554, "Requested action not taken: invalid REST parameter.")
			}
			offset, err = asciiOffset(f, rest)
			f.Close()
			if err != nil {
				return fail(554, "Requested action not taken: invalid REST parameter ("+err.Error()+").")
			}
		}
	}
	up, err := newUpload(s.root, rootName(v), mode, offset, !s.srv.faults.has(faultStorNotAtomic), s.srv.cfg.FsyncUploads)
	if errors.Is(err, errRestartPastEnd) {
		return fail(554, "Requested action not taken: restart point beyond end of file.")
	}
	if err != nil {
		return fail(553, "Could not create file: "+fsReason(err)+".")
	}
	opening := "Ok to send data."
	if verb == "STOU" {
		opening = "FILE: " + path.Base(v) // RFC 1123 §4.1.2.9 fixes this format
	}
	ascii, timeout := s.ascii, s.srv.cfg.Timeouts.Data
	s.startTransfer(verb, v, opening, func(t *transfer, c net.Conn) error {
		return copyIn(t, up.f, c, ascii, timeout)
	}, func(moveErr error) error {
		// A client that vanished right after sending (its control connection is gone and it never
		// said QUIT) did not finish the upload: its data connection's EOF may be the kernel
		// closing a killed process's sockets.
		if moveErr != nil || (s.controlClosed() && !s.quitting.Load()) {
			up.abort()
			return nil
		}
		return up.commit()
	})
	return nil
}

func (s *session) cmdLIST(arg string) error { return s.list("LIST", arg, listLong) }
func (s *session) cmdNLST(arg string) error { return s.list("NLST", arg, listNames) }
func (s *session) cmdMLSD(arg string) error { return s.list("MLSD", arg, listFacts) }

func (s *session) list(verb, arg string, style listStyle) error {
	s.rest = 0
	if !s.needData() {
		return nil
	}
	p := arg
	if style != listFacts {
		_, p = splitListArg(arg)
	}
	v := resolvePath(s.cwd, p)
	listing, err := s.listing(v, style)
	if err != nil {
		s.dropData()
		if style == listFacts && err.Error() == "not a directory" {
			s.reply(501, "MLSD needs a directory.")
			return nil
		}
		s.reply(550, verb+" failed: "+fsReason(err)+".")
		return nil
	}
	timeout := s.srv.cfg.Timeouts.Data
	s.startTransfer(verb, v, "Here comes the directory listing.", func(t *transfer, c net.Conn) error {
		return copyOut(t, c, bytes.NewReader(listing), -1, false, 0, timeout)
	}, func(error) error { return nil })
	return nil
}
