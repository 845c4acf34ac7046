package loadgen

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
	"github.com/ftpspec/ftpspec/internal/payload"
	"github.com/ftpspec/ftpspec/reports"
)

// ReplyError is a reply that was not the one the step needed.
type ReplyError struct {
	Cmd  string // the command without secrets ("PASS" never carries its argument)
	Code int
	Text string
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("%s: %d %s", e.Cmd, e.Code, e.Text)
}

// session is one control connection and the transfers it makes, one at a time.
type session struct {
	r      *runner
	id     int // global session number: names its files
	local  int // index among this process's sessions
	mode   Mode
	source netip.Addr

	ctrl   *ftpwire.Conn
	server netip.Addr  // the control connection's peer: the only address data connections go to
	laddr  netip.Addr  // the control connection's local address: data connections come from it
	tlsCfg *tls.Config // for the control connection and PROT P data connections
	prot   bool        // data connections are TLS
	buf    []byte      // the one buffer every transfer of this session reads into or sends from
	v      *payload.Verifier

	setup      []int // reply codes of connecting and logging in, given to the first transfer
	connectDur time.Duration
	loginDur   time.Duration
	setupErr   error // connecting or logging in failed
	dead       error // the control connection can no longer be used
	transfers  int   // transfers emitted

	in   chan *round   // lockstep: the rounds this session takes part in
	turn chan struct{} // lockstep: the coordinator's go-ahead to open the data connection
}

// transfer is one transfer in flight, with the evidence gathered so far.
type transfer struct {
	idx    int
	op     Op
	name   string
	size   int64 // of the file
	offset int64 // REST: where the download resumes
	path   string
	victim bool

	replies []int
	start   time.Time // the data port was asked for (PASV/EPSV/PORT/EPRT sent)
	pasvAt  time.Time // … and granted
	connAt  time.Time // the data connection opened
	cmdAt   time.Time // the transfer command was sent
	firstAt time.Time // the first byte moved
	doneAt  time.Time // the final reply arrived
	waited  time.Duration

	dataAddr   string
	dataPort   int
	activeFrom string         // active mode: where the server's data connection came from
	ap         netip.AddrPort // passive: where the data connection goes
	ln         *net.TCPListener
	data       net.Conn
	dl         *deadlines
	counted    bool // data is in the open-connections count
	prelim     bool // the 1xx reply to the transfer command arrived
	stopData   func() bool

	moved  int64
	result payload.Result
	judged bool // result holds a verifier's conclusion
	err    error
	theft  *theft
}

// cmd sends a command and reads its reply, recording the code. An I/O error (not a reply) makes
// the session dead: the control connection's state is unknown from then on.
func (s *session) cmd(ctx context.Context, codes *[]int, line string) (ftpwire.Reply, error) {
	rep, err := s.ctrl.Cmd(ctx, line)
	return s.noteReply(codes, rep, err)
}

func (s *session) readReply(ctx context.Context, codes *[]int) (ftpwire.Reply, error) {
	rep, err := s.ctrl.ReadReply(ctx)
	return s.noteReply(codes, rep, err)
}

func (s *session) noteReply(codes *[]int, rep ftpwire.Reply, err error) (ftpwire.Reply, error) {
	if rep.Code != 0 {
		*codes = append(*codes, rep.Code)
	}
	if err != nil {
		s.dead = fmt.Errorf("control connection: %w", err)
		return rep, s.dead
	}
	if rep.Code == 421 {
		s.dead = &ReplyError{Cmd: "control connection", Code: rep.Code, Text: rep.Text()}
	}
	return rep, nil
}

// expect checks a reply's code against the wanted ones.
func expect(name string, rep ftpwire.Reply, want ...int) error {
	for _, w := range want {
		if rep.Code == w || (w < 10 && rep.Code/100 == w) {
			return nil
		}
	}
	return &ReplyError{Cmd: name, Code: rep.Code, Text: firstLine(rep.Text())}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// connect dials the server and logs in: greeting, TLS, USER/PASS, PBSZ/PROT, TYPE I, CWD.
func (s *session) connect(ctx context.Context) error {
	r := s.r
	start := time.Now()
	// Dial here rather than with ftpwire.Dial: every command of the session then runs under the
	// one session context, and ftpwire watches one context for the connection's whole life.
	d := net.Dialer{Timeout: r.sc.Timeout}
	if s.source.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: s.source.AsSlice()}
	}
	nc, err := d.DialContext(ctx, "tcp", r.tgt.Addr())
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if r.sc.TLS == TLSImplicit {
		tc, err := secure(ctx, nc, s.tlsCfg, r.sc.Timeout)
		if err != nil {
			_ = nc.Close()
			return fmt.Errorf("connect: implicit TLS: %w", err)
		}
		nc = tc
	}
	s.ctrl = ftpwire.NewConn(nc, ftpwire.Options{Timeout: r.sc.Timeout})
	s.server, s.laddr = s.ctrl.RemoteAddr().Addr(), s.ctrl.LocalAddr().Addr()
	greet, err := s.readReply(ctx, &s.setup)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	s.connectDur = time.Since(start)
	if err := expect("greeting", greet, 220); err != nil {
		return err
	}
	loginStart := time.Now()
	if err := s.login(ctx, &s.setup); err != nil {
		return err
	}
	s.loginDur = time.Since(loginStart)
	return nil
}

// login runs the commands after the greeting; codes receives every reply code.
func (s *session) login(ctx context.Context, codes *[]int) error {
	r := s.r
	step := func(line, name string, want ...int) (ftpwire.Reply, error) {
		rep, err := s.cmd(ctx, codes, line)
		if err != nil {
			return rep, err
		}
		return rep, expect(name, rep, want...)
	}
	if r.sc.TLS == TLSExplicit {
		if _, err := step("AUTH TLS", "AUTH TLS", 234); err != nil {
			return err
		}
		if err := s.ctrl.StartTLS(ctx, s.tlsCfg); err != nil {
			s.dead = err
			return err
		}
	}
	rep, err := step("USER "+r.tgt.User, "USER", 230, 331)
	if err != nil {
		return err
	}
	if rep.Code == 331 {
		if _, err := step("PASS "+r.tgt.Password, "PASS", 230, 202); err != nil {
			return err
		}
	}
	if r.sc.TLS != TLSNone {
		if _, err := step("PBSZ 0", "PBSZ", 200); err != nil {
			return err
		}
		if _, err := step("PROT "+r.sc.Prot, "PROT", 200); err != nil {
			return err
		}
		s.prot = r.sc.Prot == "P"
	}
	if _, err := step("TYPE I", "TYPE I", 200); err != nil {
		return err
	}
	if r.hashSelect {
		if _, err := s.cmd(ctx, codes, "OPTS HASH SHA-256"); err != nil {
			return err
		}
	}
	if r.tgt.Dir != "" {
		if _, err := step("CWD "+r.tgt.Dir, "CWD", 250); err != nil {
			return err
		}
	}
	return nil
}

// quit ends the session politely; the reply does not matter any more.
func (s *session) quit(ctx context.Context) {
	if s.ctrl == nil {
		return
	}
	if s.dead == nil {
		ctx, cancel := context.WithTimeout(ctx, min(s.r.sc.Timeout, 2*time.Second))
		_, _ = s.ctrl.Cmd(ctx, "QUIT")
		cancel()
	}
	_ = s.ctrl.Close()
}

// newTransfer lays out transfer t of the session from the plan.
func (s *session) newTransfer(t int) *transfer {
	p := s.r.plan
	f := p.file(t)
	x := &transfer{idx: t, op: p.op(s.id, t), name: fileName(s.id, f), size: p.size(s.id, f)}
	switch {
	case x.op.downloads():
		x.path = p.downloadPath(x.name, x.size)
		if x.op == OpREST {
			x.offset = p.restOffset(s.id, t, x.size)
		}
	case x.op.uploads():
		x.path = p.uploadPath(x.name)
	default:
		x.path = p.workDir
	}
	return x
}

// begin does what must happen before the data port is asked for: APPE first stores the file's
// first half, so the measured transfer appends the rest to it.
func (s *session) begin(ctx context.Context, x *transfer) {
	if x.op != OpAPPE {
		return
	}
	half := x.size / 2
	if err := s.upload(ctx, &x.replies, "STOR", x.path, x.name, 0, half); err != nil {
		x.err = fmt.Errorf("APPE: storing the first half: %w", err)
	}
	x.offset = half
}

// prepare asks for the data port (passive) or offers one (active). A thief, if this transfer is a
// victim, goes for the port the moment the server has handed it out.
func (s *session) prepare(ctx context.Context, x *transfer) {
	if x.err != nil || s.dead != nil {
		return
	}
	r := s.r
	x.start = time.Now()
	switch s.mode {
	case ModeEPSV, ModePASV:
		verb, want := "EPSV", 229
		if s.mode == ModePASV {
			verb, want = "PASV", 227
		}
		rep, err := s.cmd(ctx, &x.replies, verb)
		x.pasvAt = time.Now()
		if err == nil {
			err = expect(verb, rep, want)
		}
		if err != nil {
			x.err = err
			return
		}
		port, addr, err := parsePassive(s.mode, rep.Text())
		if err != nil {
			x.err = err
			return
		}
		x.dataAddr, x.dataPort = s.server.String(), int(port)
		if addr.IsValid() {
			x.dataAddr = addr.String()
			if addr.Unmap() != s.server.Unmap() {
				// Never connect to an address other than the control connection's (RFC 2577's
				// bounce and the curl/ftplib practice); count the mismatch as evidence.
				r.addrMismatches.Add(1)
			}
		}
		x.ap = netip.AddrPortFrom(s.server, port)
		if x.victim && r.thieves != nil {
			x.theft = r.thieves.strike(ctx, x.ap)
		}
	default:
		ln, err := listenData(s.laddr)
		if err != nil {
			x.err = err
			return
		}
		x.ln = ln
		ap := ln.Addr().(*net.TCPAddr).AddrPort()
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		line := "PORT " + ftpwire.FormatPORT(ap)
		verb := "PORT"
		if s.mode == ModeEPRT {
			line, verb = "EPRT "+ftpwire.FormatEPRT(ap), "EPRT"
		}
		rep, err := s.cmd(ctx, &x.replies, line)
		x.pasvAt = time.Now()
		if err == nil {
			err = expect(verb, rep, 200)
		}
		x.dataAddr, x.dataPort = ap.Addr().String(), int(ap.Port())
		if err != nil {
			x.err = err
		}
	}
}

// parsePassive reads the port (and, for 227, the address) from a passive reply.
func parsePassive(m Mode, text string) (uint16, netip.Addr, error) {
	if m == ModeEPSV {
		p, err := ftpwire.ParseEPSV(text)
		return p, netip.Addr{}, err
	}
	ap, err := ftpwire.ParsePASV(text)
	if err != nil {
		return 0, netip.Addr{}, err
	}
	if ap.Port() == 0 {
		return 0, netip.Addr{}, fmt.Errorf("227 reply %q: port 0", text)
	}
	return ap.Port(), ap.Addr(), nil
}

// open opens the data connection: passive, by connecting to the port; active, by sending the
// transfer command and accepting the server's connection.
func (s *session) open(ctx context.Context, x *transfer) {
	if x.err != nil || s.dead != nil {
		return
	}
	r := s.r
	if s.mode.passive() {
		c, err := dialData(ctx, x.ap, s.laddr, r.sc.Timeout)
		if err != nil {
			x.err = err
			return
		}
		x.connAt = time.Now()
		s.adopt(ctx, x, c)
		return
	}
	if !s.command(ctx, x) {
		return
	}
	c, err := acceptData(ctx, x.ln, s.server, r.sc.Timeout)
	_ = x.ln.Close()
	x.ln = nil
	if err != nil {
		x.err = err
		// The server, having failed to connect, owes a reply (425); read it to stay in step.
		if rep, rerr := s.readReply(ctx, &x.replies); rerr == nil && rep.Class() == 2 {
			x.err = fmt.Errorf("%w, yet the server replied %d", err, rep.Code)
		}
		x.prelim = false
		return
	}
	x.connAt = time.Now()
	x.activeFrom = c.RemoteAddr().String()
	s.adopt(ctx, x, c)
}

// adopt makes c the transfer's data connection: counted as open, watched for cancellation.
func (s *session) adopt(ctx context.Context, x *transfer, c net.Conn) {
	x.data = c
	x.counted = true
	s.r.dataOpened()
	x.stopData = context.AfterFunc(ctx, func() { _ = c.SetDeadline(aLongTimeAgo) })
}

// command sends the transfer command (after REST for a resumed download) and reads the
// preliminary reply. It reports whether the transfer may go on.
func (s *session) command(ctx context.Context, x *transfer) bool {
	if x.op == OpREST {
		rep, err := s.cmd(ctx, &x.replies, "REST "+strconv.FormatInt(x.offset, 10))
		if err == nil {
			err = expect("REST", rep, 350)
		}
		if err != nil {
			x.err = err
			return false
		}
	}
	verb := string(x.op)
	switch x.op {
	case OpREST:
		verb = "RETR"
	}
	x.cmdAt = time.Now()
	rep, err := s.cmd(ctx, &x.replies, verb+" "+x.path)
	if err == nil {
		err = expect(verb, rep, 1)
	}
	if err != nil {
		x.err = err
		return false
	}
	x.prelim = true
	return true
}

// move sends or receives the data, then reads the final reply.
func (s *session) move(ctx context.Context, x *transfer) {
	if x.err != nil || s.dead != nil {
		return
	}
	r := s.r
	if s.mode.passive() {
		if s.prot {
			// The server may start TLS on the data connection before or after its 150: shake
			// hands while the preliminary reply is read, so neither order deadlocks.
			hs := make(chan error, 1)
			raw := x.data
			go func() {
				c, err := secure(ctx, raw, s.tlsCfg, r.sc.Timeout)
				if err == nil {
					x.data = c
				}
				hs <- err
			}()
			ok := s.command(ctx, x)
			if !ok {
				_ = raw.SetDeadline(aLongTimeAgo)
			}
			if err := <-hs; err != nil && ok {
				x.err = err
				s.drainFinal(ctx, x)
				return
			}
			if !ok {
				return
			}
		} else if !s.command(ctx, x) {
			return
		}
	} else if s.prot {
		c, err := secure(ctx, x.data, s.tlsCfg, r.sc.Timeout)
		if err != nil {
			x.err = err
			s.drainFinal(ctx, x)
			return
		}
		x.data = c
	}

	x.dl = newDeadlines(x.data, r.sc.Timeout)
	if x.op.uploads() {
		n, err := send(x.data, s.buf, x.name, x.offset, x.size-x.offset, x.dl)
		x.moved = n
		if n > 0 {
			x.firstAt = x.cmdAt
		}
		cerr := closeData(x.data)
		x.data = nil
		if err == nil {
			err = cerr
		}
		rep, rerr := s.readReply(ctx, &x.replies)
		x.doneAt = time.Now()
		switch {
		case rerr != nil:
			x.err = rerr
		case expect(string(x.op), rep, 2) != nil:
			x.err = expect(string(x.op), rep, 2)
		case err != nil:
			x.err = fmt.Errorf("sending data: %w (yet the server replied %d)", err, rep.Code)
		}
		return
	}

	// Download or listing: read the data while another goroutine waits for the final reply,
	// so a server that replies but never closes the data connection costs finalGrace, not a hang.
	type final struct {
		rep ftpwire.Reply
		err error
	}
	done := make(chan final, 1)
	ctrl := s.ctrl
	dl := x.dl
	go func() {
		rep, err := ctrl.ReadReply(ctx)
		dl.finalReply()
		done <- final{rep, err}
	}()
	var sink io.Writer = counter{}
	if x.op.downloads() {
		s.v.Reset(x.name, x.offset, x.size-x.offset)
		sink = s.v
	}
	n, err := receive(x.data, s.buf, sink, x.dl, &x.firstAt)
	x.moved = n
	if err == nil {
		// Close at end of file, as curl and ftplib do: some servers (proftpd's TimeoutLinger)
		// hold the final reply until the client has closed the data connection.
		_ = x.data.Close()
	}
	f := <-done
	x.doneAt = time.Now()
	if _, rerr := s.noteReply(&x.replies, f.rep, f.err); rerr != nil {
		x.err = rerr
	} else if e := expect(verbOf(x.op), f.rep, 2); e != nil {
		x.err = e
	} else if err != nil {
		x.err = fmt.Errorf("reading data: %w (yet the server replied %d)", err, f.rep.Code)
	}
	if x.op.downloads() {
		x.result = s.v.Result()
		x.judged = true
	}
}

func verbOf(op Op) string {
	if op == OpREST {
		return "RETR"
	}
	return string(op)
}

// drainFinal reads the final reply of a transfer whose data connection failed after the
// command was accepted, so the control connection stays in step.
func (s *session) drainFinal(ctx context.Context, x *transfer) {
	if x.data != nil {
		_ = x.data.Close()
	}
	if x.prelim {
		_, _ = s.readReply(ctx, &x.replies)
	}
}

// finish closes what the transfer opened, verifies an upload by reading it back, settles the
// thief, and emits the record.
func (s *session) finish(ctx context.Context, x *transfer) {
	r := s.r
	if x.data != nil {
		_ = x.data.Close()
		x.data = nil
	}
	if x.stopData != nil {
		x.stopData()
	}
	if x.counted {
		r.dataClosed()
	}
	if x.ln != nil {
		_ = x.ln.Close()
	}
	if x.err == nil && x.op.uploads() && s.dead == nil {
		s.readBack(ctx, x)
	}
	if x.theft != nil {
		x.theft.finish()
	}
	if ctx.Err() != nil && (x.err != nil || x.doneAt.IsZero()) {
		// Cut short by the run's cancellation, not judged by the server: left out of the results.
		return
	}
	s.emit(x)
}

// readBack verifies a file the transfer uploaded is exactly what was sent: by the server's
// SHA-256 of it when offered, else (or when the digests differ) by downloading it.
func (s *session) readBack(ctx context.Context, x *transfer) {
	if s.hashed(ctx, x) {
		x.result, x.judged = payload.Result{Bytes: x.size, Expected: x.size}, true
		return
	}
	if s.dead != nil {
		x.err = s.dead
		return
	}
	res, err := s.download(ctx, &x.replies, x.path, x.name, 0, x.size)
	x.result, x.judged = res, true
	if err != nil {
		x.err = fmt.Errorf("reading back %s: %w", x.path, err)
	}
}

// upload stores bytes [off, off+n) of a file outside the measured transfer (APPE's first half,
// the preparation of a run), with a data connection of its own.
func (s *session) upload(ctx context.Context, codes *[]int, verb, path, name string, off, n int64) error {
	x := &transfer{op: Op(verb), name: name, path: path, size: off + n, offset: off}
	err := s.simple(ctx, x)
	*codes = append(*codes, x.replies...)
	return err
}

// download reads bytes [off, off+n) of a file outside the measured transfer and verifies them.
func (s *session) download(ctx context.Context, codes *[]int, path, name string, off, n int64) (payload.Result, error) {
	x := &transfer{op: OpRETR, name: name, path: path, size: off + n, offset: off}
	if off > 0 {
		x.op = OpREST
	}
	err := s.simple(ctx, x)
	*codes = append(*codes, x.replies...)
	return x.result, err
}

// simple runs one whole transfer without barriers or records.
func (s *session) simple(ctx context.Context, x *transfer) error {
	s.prepare(ctx, x)
	s.open(ctx, x)
	s.move(ctx, x)
	if x.data != nil {
		_ = x.data.Close()
	}
	if x.stopData != nil {
		x.stopData()
	}
	if x.counted {
		s.r.dataClosed()
	}
	if x.ln != nil {
		_ = x.ln.Close()
	}
	if x.err == nil && s.dead != nil {
		return s.dead
	}
	return x.err
}

// failed emits a transfer that could not even start (the session never logged in, or lost its
// control connection), so that every planned transfer is accounted for.
func (s *session) failed(t int, err error) {
	x := s.newTransfer(t)
	x.err = err
	s.emit(x)
}

// emit judges the transfer and hands its record to the collector.
func (s *session) emit(x *transfer) {
	r := s.r
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	span := func(from, to time.Time) time.Duration {
		if from.IsZero() || to.IsZero() || to.Before(from) {
			return 0
		}
		return to.Sub(from)
	}
	rec := reports.TransferRecord{
		Session:    s.id,
		Index:      x.idx,
		Op:         string(x.op),
		File:       x.name,
		DataAddr:   x.dataAddr,
		DataPort:   x.dataPort,
		Bytes:      x.moved,
		ActiveFrom: x.activeFrom,
	}
	if s.laddr.IsValid() {
		rec.Source = s.laddr.String()
	} else if s.source.IsValid() {
		rec.Source = s.source.String()
	}
	var res result
	if s.transfers == 0 {
		rec.Replies = append(append(rec.Replies, s.setup...), x.replies...)
		rec.ConnectMS, rec.LoginMS = ms(s.connectDur), ms(s.loginDur)
		res.connect, res.login = s.connectDur, s.loginDur
	} else {
		rec.Replies = x.replies
	}
	if rec.Replies == nil {
		rec.Replies = []int{}
	}
	s.transfers++
	start := x.start
	if start.IsZero() {
		start = time.Now()
	}
	rec.StartMS = ms(start.Sub(r.t0))
	res.phases = [numPhases]time.Duration{
		span(x.start, x.pasvAt),
		span(x.pasvAt, x.connAt),
		span(x.cmdAt, x.firstAt),
		span(x.firstAt, x.doneAt),
	}
	if x.op.uploads() || x.firstAt.IsZero() {
		res.phases[phaseDone] = span(x.cmdAt, x.doneAt)
		if x.firstAt.IsZero() {
			res.phases[phaseFirstByte] = 0
		}
	}
	rec.PasvMS = ms(res.phases[phasePasv])
	rec.DataConnectMS = ms(res.phases[phaseDataConnect])
	rec.FirstByteMS = ms(res.phases[phaseFirstByte])
	rec.DoneMS = ms(res.phases[phaseDone])
	if !x.doneAt.IsZero() && !x.start.IsZero() {
		res.latency = x.doneAt.Sub(x.start) - x.waited
		res.cmdAt, res.doneAt = x.cmdAt, x.doneAt
	}

	// The verdict. Bytes that belong to another transfer outrank everything: they are the bug
	// this tool exists to find. Then a thief's catch, then wrong bytes, then failures.
	rec.Verdict = reports.VerdictOK
	expected := x.size - x.offset
	m := x.result.Mismatch
	stolen, broke := false, false
	if x.theft != nil {
		stolen = x.theft.bytes > 0
		broke = x.theft.connected && (x.err != nil || (x.judged && !x.result.OK()))
	}
	switch {
	case x.judged && m != nil && m.From != "" && m.From != x.name:
		rec.Verdict, rec.From, rec.Offset = reports.VerdictMisrouted, m.From, m.Offset
		rec.Error = m.String()
	case stolen || broke:
		rec.Verdict = reports.VerdictStolen
		rec.Error = x.theft.describe(x.err)
		if x.theft.from != "" {
			rec.From = x.theft.from
		}
	case x.judged && m != nil:
		rec.Verdict, rec.Offset = reports.VerdictCorrupt, m.Offset
		rec.Error = m.String()
		if m.From != "" {
			rec.From = m.From
		}
	case x.err != nil:
		rec.Verdict = reports.VerdictFailed
		rec.Error = x.err.Error()
	case x.judged && x.result.Bytes != x.result.Expected:
		// The server said the transfer completed, yet bytes are missing: the file is wrong.
		rec.Verdict, rec.Offset = reports.VerdictCorrupt, x.result.Bytes
		rec.Error = fmt.Sprintf("%d of %d bytes arrived, yet the server replied %d", x.result.Bytes, expected, lastCode(x.replies))
	}
	if x.op.downloads() {
		rec.Bytes = x.moved
	}
	res.rec = rec
	res.ok = rec.Verdict == reports.VerdictOK
	if x.theft != nil {
		res.theft = x.theft
		res.broke = broke
	}
	r.results <- res
}

func lastCode(codes []int) int {
	if len(codes) == 0 {
		return 0
	}
	return codes[len(codes)-1]
}
