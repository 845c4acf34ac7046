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
	if srv.faults.strikes(faultPortReuse) {
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
	p := newPassive(ln, port, s.remote, srv.faults.strikes(faultNoIPCheck), srv.ports.free)
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
	stalled    atomic.Bool // the watchdog closed the data connection
	bytes      atomic.Int64

	mu   sync.Mutex
	conn net.Conn
	file *os.File // moved by sendfile/splice: progress is its offset...
	base int64    // ...minus where it started
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
	s.last = t
	go func() {
		code, text := s.runTransfer(ctx, t, d, protect, opening, move, finish)
		cancel(nil)
		if code != 226 {
			s.srv.log.Debug("transfer failed", "remote", s.remote, "verb", verb, "path", name, "code", code, "reason", text)
		}
		s.lastTransferEnd.Store(time.Now().UnixNano())
		s.xmu.Lock()
		s.xfer = nil
		s.xmu.Unlock()
		// The session goroutine read without a deadline while the transfer ran.
		if idle := s.srv.cfg.Timeouts.Idle; idle > 0 {
			s.raw.SetReadDeadline(time.Now().Add(idle))
		}
		s.reply(code, text)
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
	stop := t.watch(c, s.srv.cfg.Timeouts.Data)
	moveErr := move(t, c)
	stop()
	if t.stalled.Load() && moveErr == nil {
		moveErr = os.ErrDeadlineExceeded // a close by the watchdog can look like a clean EOF
	}
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

// Moving the bytes. A disk file going to a plain TCP connection takes the sendfile path and a
// plain TCP connection going into a file the splice path: io.Copy between *os.File and
// *net.TCPConn, neither side wrapped. A single io.Copy for the whole file measured faster than
// chunks (each chunk re-enters the splice setup), so the data timeout is kept by a watchdog that
// checks the file offset (which sendfile and splice advance) instead of per-write deadlines.

// progress tells how many bytes a transfer has moved.
func (t *transfer) progress() int64 {
	t.mu.Lock()
	f, base := t.file, t.base
	t.mu.Unlock()
	if f != nil {
		if pos, err := f.Seek(0, io.SeekCurrent); err == nil {
			return pos - base
		}
	}
	return t.bytes.Load()
}

// zeroCopy records that f is being moved by the kernel from its current offset.
func (t *transfer) zeroCopy(f *os.File) {
	base, _ := f.Seek(0, io.SeekCurrent)
	t.mu.Lock()
	t.file, t.base = f, base
	t.mu.Unlock()
}

// watch closes c when the transfer makes no progress for timeout (RFC 959 leaves data timeouts to
// the server; a stalled client must not hold a session and a port forever).
func (t *transfer) watch(c net.Conn, timeout time.Duration) (stop func()) {
	if timeout <= 0 {
		return func() {}
	}
	var (
		mu      sync.Mutex
		stopped bool
		last    int64 = -1
		timer   *time.Timer
	)
	timer = time.AfterFunc(timeout, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if p := t.progress(); p != last {
			last = p
			timer.Reset(timeout)
			return
		}
		t.stalled.Store(true)
		c.Close()
	})
	return func() {
		mu.Lock()
		stopped = true
		mu.Unlock()
		timer.Stop()
	}
}

// copyOut sends src over c; limit < 0 means all of src.
func copyOut(t *transfer, c net.Conn, src io.Reader, limit int64, ascii bool, skip int64) error {
	tc, isTCP := c.(*net.TCPConn)
	f, isFile := src.(*os.File)
	if isTCP && isFile && !ascii {
		t.zeroCopy(f)
		var err error
		if limit >= 0 {
			_, err = io.CopyN(tc, f, limit)
		} else {
			_, err = io.Copy(tc, f)
		}
		return err
	}
	var w io.Writer = &countingWriter{w: c, t: t}
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

// copyIn receives c into f.
func copyIn(t *transfer, f *os.File, c net.Conn, ascii bool) error {
	if tc, ok := c.(*net.TCPConn); ok && !ascii {
		t.zeroCopy(f)
		_, err := io.Copy(f, tc)
		return err
	}
	var r io.Reader = &countingReader{r: c, t: t}
	if ascii {
		r = newLFReader(r)
	}
	_, err := io.Copy(f, r)
	return err
}

// countingWriter and countingReader count bytes for STAT and the watchdog.
type countingWriter struct {
	w io.Writer
	t *transfer
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.t.bytes.Add(int64(n))
	return n, err
}

type countingReader struct {
	r io.Reader
	t *transfer
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.t.bytes.Add(int64(n))
	return n, err
}

// synthFile is a synthetic file: its bytes come from payload.Filler, the function behind
// payload.NewReader. Its WriteTo fills one buffer from a server-wide pool and writes it, so serving
// thousands of small synthetic files allocates nothing per transfer and copies nothing per chunk
// beyond that fill.
type synthFile struct {
	f    payload.Filler
	off  int64
	size int64
	pool *sync.Pool
}

const synthBufSize = 128 << 10

func (s *Server) syntheticFile(name string, size int64) *synthFile {
	return &synthFile{f: payload.NewFiller(name), size: size, pool: &s.synthBufs}
}

func (r *synthFile) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.size-r.off)]
	r.f.Fill(p, r.off)
	r.off += int64(len(p))
	return len(p), nil
}

func (r *synthFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	}
	if offset < 0 {
		return 0, errors.New("negative position")
	}
	r.off = offset
	return offset, nil
}

func (r *synthFile) WriteTo(w io.Writer) (int64, error) {
	bp, _ := r.pool.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, synthBufSize)
		bp = &b
	}
	defer r.pool.Put(bp)
	var total int64
	for r.off < r.size {
		p := (*bp)[:min(int64(len(*bp)), r.size-r.off)]
		r.f.Fill(p, r.off)
		n, err := w.Write(p)
		r.off += int64(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (r *synthFile) Close() error { return nil }

// truncateFrom is the smallest file the truncate fault cuts short: files that size and larger,
// deterministically, so exactly the checks that transfer such files see it.
const truncateFrom = 64 << 10

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
	if s.srv.faults.has(faultTruncate) && size >= truncateFrom {
		limit = (size - min(rest, size)) / 2 // the fault: stop halfway, report success anyway
	}
	ascii := s.ascii
	opening := fmt.Sprintf("Opening %s mode data connection for %s (%d bytes).", s.typeName(), sanitize(path.Base(v)), size)
	s.startTransfer("RETR", v, opening, func(t *transfer, c net.Conn) error {
		return copyOut(t, c, r, limit, ascii, skip)
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
	ascii := s.ascii
	s.startTransfer(verb, v, opening, func(t *transfer, c net.Conn) error {
		return copyIn(t, up.f, c, ascii)
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
	s.startTransfer(verb, v, "Here comes the directory listing.", func(t *transfer, c net.Conn) error {
		return copyOut(t, c, bytes.NewReader(listing), -1, false, 0)
	}, func(error) error { return nil })
	return nil
}
