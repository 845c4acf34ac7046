package suites

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
	"github.com/ftpspec/ftpspec/internal/payload"
	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reports"
)

// Env is what a case sees of the world: the target, the run's settings, and connections that
// record into the case's transcript. One Env serves one case run; its methods are safe for the
// concurrent use a case makes of them (several sessions at once).
type Env struct {
	Target      target.Target
	Mode        string     // control-connection security: "none", "explicit" or "implicit"
	ForeignAddr netip.Addr // a local address that acts as another host (127.0.0.2)
	Declared    PortRange  // the passive range the user declared; zero when none
	ExhaustMax  int        // the most passive ports (sessions) a case may hold at once
	Profile     *reports.Profile

	caseID       string
	implicitAddr string
	tlsBase      *tls.Config
	feat         map[string]string
	tr           *ftpwire.Transcript
	timeout      time.Duration
	ports        *portLog
	state        *runState
	budget       *budgetCtx // the running case's context; nil outside a run

	mu       sync.Mutex
	nctrl    int
	ndata    int
	closers  []io.Closer
	uploaded []string
	dirs     []string
	nonce    string
}

func newEnv(caseID string, s *runState, mode string) *Env {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &Env{
		Target:       s.opts.Target,
		Mode:         mode,
		ForeignAddr:  s.opts.ForeignAddr,
		Declared:     s.opts.DeclaredRange,
		ExhaustMax:   s.opts.ExhaustMax,
		Profile:      s.profile,
		caseID:       caseID,
		implicitAddr: s.implicitAddr,
		tlsBase:      s.opts.TLSConfig,
		feat:         s.feat,
		tr:           ftpwire.NewTranscript(),
		timeout:      s.opts.Timeout,
		ports:        &s.ports,
		state:        s,
		nonce:        hex.EncodeToString(b[:]),
	}
}

// Note records an explanation in the transcript.
func (e *Env) Note(format string, args ...any) { e.tr.Note("harness", fmt.Sprintf(format, args...)) }

// Feat reports whether the server advertised label in FEAT, and the label's parameters.
func (e *Env) Feat(label string) (params string, ok bool) {
	params, ok = e.feat[strings.ToUpper(label)]
	return params, ok
}

// Has reports whether a precondition holds (write access, a foreign address …), for cases that
// adapt to it rather than needing it.
func (e *Env) Has(ctx context.Context, f Feature) bool {
	return e.state != nil && e.state.check(ctx, f, e.Mode) == ""
}

// Name returns a file name unique to this case run: ftpspec-<slug>-<nonce>-<suffix>. Cases that
// upload use it so that cases running in parallel never touch each other's files.
func (e *Env) Name(suffix string) string {
	slug := e.caseID[strings.LastIndexByte(e.caseID, '/')+1:]
	if len(slug) > 24 {
		slug = slug[:24]
	}
	n := "ftpspec-" + slug + "-" + e.nonce
	if suffix != "" {
		n += "-" + suffix
	}
	return n
}

// Content returns size bytes of self-identifying content for name (internal/payload), so a
// window of received bytes says which file and offset it came from.
func (e *Env) Content(name string, size int) []byte {
	b := make([]byte, size)
	payload.Fill(b, name, 0)
	return b
}

func (e *Env) track(c io.Closer) {
	e.mu.Lock()
	e.closers = append(e.closers, c)
	e.mu.Unlock()
}

func (e *Env) nextName(prefix string, n *int) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	*n++
	if *n == 1 && prefix == "ctrl" {
		return "ctrl"
	}
	return fmt.Sprintf("%s%d", prefix, *n)
}

// Ctrl is a control connection opened by an Env.
type Ctrl struct {
	*ftpwire.Conn
	env *Env
	tls *tls.Config // this connection's TLS config (its own session cache, for data resumption)
	// Prot is true when data connections must be TLS (PROT P accepted).
	Prot bool
	// quiet is true when every command sent has had its final reply: bytes waiting now were not
	// asked for.
	quiet bool
}

// Dial opens a control connection as the run's mode says (TLS first for implicit) and returns
// it with the greeting; a 120 greeting is followed to the 220 (RFC 959 §5.4). Failures are
// harness errors.
func (e *Env) Dial(ctx context.Context) (*Ctrl, ftpwire.Reply, error) {
	return e.DialFrom(ctx, netip.Addr{}, "")
}

// DialFrom is Dial from a given local address, with a given connection name ("" = automatic).
func (e *Env) DialFrom(ctx context.Context, local netip.Addr, name string) (*Ctrl, ftpwire.Reply, error) {
	if name == "" {
		name = e.nextName("ctrl", &e.nctrl)
	}
	addr := e.Target.Addr()
	c := &Ctrl{env: e}
	opts := ftpwire.Options{LocalAddr: local, Recorder: e.tr, Name: name, Timeout: e.timeout}
	if e.Mode == "implicit" {
		if e.implicitAddr == "" {
			return nil, ftpwire.Reply{}, Skipf("implicit TLS: no implicit TLS address known (use an ftps:// target)")
		}
		addr = e.implicitAddr
		c.tls = e.newTLSConfig()
		opts.TLS = c.tls
	}
	conn, greet, err := ftpwire.Dial(ctx, addr, opts)
	if err != nil {
		return nil, greet, fmt.Errorf("connect %s: %w", addr, err)
	}
	c.Conn = conn
	e.track(conn)
	c.observe("", greet, nil)
	if greet.Code == 120 {
		if greet, err = c.ReadReply(ctx); err != nil {
			return nil, greet, fmt.Errorf("greeting after 120: %w", err)
		}
	}
	return c, greet, nil
}

func (e *Env) newTLSConfig() *tls.Config {
	var cfg *tls.Config
	if e.tlsBase != nil {
		cfg = e.tlsBase.Clone()
	} else {
		cfg = &tls.Config{InsecureSkipVerify: true} // a conformance probe, not a trust decision
	}
	if cfg.ServerName == "" {
		// The session cache is keyed by ServerName: set it so that data connections (other
		// ports) resume the control connection's session, as servers that require reuse demand.
		cfg.ServerName = e.Target.Host
	}
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	return cfg
}

// Connect dials and secures the control connection per the mode: explicit mode sends AUTH TLS,
// then PBSZ 0 and PROT P; implicit mode sends PBSZ 0 and PROT P. It expects a 220 greeting.
func (e *Env) Connect(ctx context.Context) (*Ctrl, error) {
	return e.ConnectFrom(ctx, netip.Addr{}, "")
}

// ConnectFrom is Connect from a given local address and with a given connection name.
func (e *Env) ConnectFrom(ctx context.Context, local netip.Addr, name string) (*Ctrl, error) {
	c, greet, err := e.DialFrom(ctx, local, name)
	if err != nil {
		return nil, err
	}
	if greet.Code != 220 {
		return nil, fmt.Errorf("greeting: %s", quote(greet))
	}
	switch e.Mode {
	case "explicit":
		if err := c.AuthTLS(ctx); err != nil {
			return nil, err
		}
		fallthrough
	case "implicit":
		if err := c.protectData(ctx); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// AuthTLS sends AUTH TLS and performs the handshake.
func (c *Ctrl) AuthTLS(ctx context.Context) error {
	r, err := c.Cmd(ctx, "AUTH TLS")
	if err != nil {
		return err
	}
	if r.Code != 234 {
		return fmt.Errorf("AUTH TLS: %s", quote(r))
	}
	if c.tls == nil {
		c.tls = c.env.newTLSConfig()
	}
	return c.StartTLS(ctx, c.tls)
}

func (c *Ctrl) protectData(ctx context.Context) error {
	if _, err := c.Setup(ctx, "PBSZ 0", 200); err != nil {
		return err
	}
	if _, err := c.Setup(ctx, "PROT P", 200); err != nil {
		return err
	}
	c.Prot = true
	return nil
}

// Login connects, logs in with the target's credentials, changes to the target's directory and
// sets TYPE I.
func (e *Env) Login(ctx context.Context) (*Ctrl, error) { return e.LoginFrom(ctx, netip.Addr{}, "") }

// LoginFrom is Login from a given local address and with a given connection name.
func (e *Env) LoginFrom(ctx context.Context, local netip.Addr, name string) (*Ctrl, error) {
	c, err := e.ConnectFrom(ctx, local, name)
	if err != nil {
		return nil, err
	}
	if err := c.LoginOnly(ctx); err != nil {
		return nil, err
	}
	if _, err := c.Setup(ctx, "TYPE I", 200); err != nil {
		return nil, err
	}
	return c, nil
}

// LoginOnly sends USER and PASS (and CWD to the target's directory), nothing else.
func (c *Ctrl) LoginOnly(ctx context.Context) error {
	t := c.env.Target
	r, err := c.Cmd(ctx, "USER "+t.User)
	if err != nil {
		return err
	}
	if r.Code == 331 {
		if r, err = c.Cmd(ctx, "PASS "+t.Password); err != nil {
			return err
		}
	}
	if r.Code != 230 && r.Code != 202 {
		return fmt.Errorf("login as %s: %s", t.User, quote(r))
	}
	if t.Dir != "" {
		if _, err := c.Setup(ctx, "CWD "+t.Dir, 250, 200); err != nil {
			return err
		}
	}
	return nil
}

// Expect sends line and returns a *Violation unless the reply code is one of codes.
func (c *Ctrl) Expect(ctx context.Context, line string, codes ...int) (ftpwire.Reply, error) {
	r, err := c.Cmd(ctx, line)
	if err != nil {
		return r, err
	}
	if !slices.Contains(codes, r.Code) {
		return r, &Violation{Expected: []string{codeList(codes) + " to " + verbOf(line)}, Actual: quote(r)}
	}
	return r, nil
}

// Setup sends line and returns a harness error (not a violation) unless the reply code is one
// of codes: for steps that prepare a case rather than check it.
func (c *Ctrl) Setup(ctx context.Context, line string, codes ...int) (ftpwire.Reply, error) {
	r, err := c.Cmd(ctx, line)
	if err != nil {
		return r, err
	}
	if !slices.Contains(codes, r.Code) {
		return r, fmt.Errorf("setup: %s: %s (wanted %s)", redact(line), quote(r), codeList(codes))
	}
	return r, nil
}

// Pasv sends PASV and returns the address to connect to. When the 227 names an address other
// than the control connection's peer, the harness notes it and uses the control address (as curl
// and Python's ftplib do): it never connects to an address the server merely names.
func (c *Ctrl) Pasv(ctx context.Context) (netip.AddrPort, ftpwire.Reply, error) {
	r, err := c.Cmd(ctx, "PASV")
	if err != nil {
		return netip.AddrPort{}, r, err
	}
	if r.Code != 227 {
		return netip.AddrPort{}, r, fmt.Errorf("setup: PASV: %s", quote(r))
	}
	ap, err := ftpwire.ParsePASV(r.Text())
	if err != nil {
		return netip.AddrPort{}, r, fmt.Errorf("setup: PASV: %w", err)
	}
	ctrl := c.RemoteAddr().Addr()
	if ap.Addr() != ctrl {
		c.env.Note("227 names %s, the control connection's peer is %s: connecting to %s instead", ap.Addr(), ctrl, ctrl)
	}
	c.env.ports.add(ap.Addr(), ap.Port())
	return netip.AddrPortFrom(ctrl, ap.Port()), r, nil
}

// Epsv sends EPSV and returns the address to connect to (the control peer, RFC 2428 §3). A 500
// or 502 reply means the server does not offer EPSV: ErrUnsupported.
func (c *Ctrl) Epsv(ctx context.Context) (netip.AddrPort, ftpwire.Reply, error) {
	r, err := c.Cmd(ctx, "EPSV")
	if err != nil {
		return netip.AddrPort{}, r, err
	}
	if r.Code == 500 || r.Code == 502 {
		return netip.AddrPort{}, r, Unsupportedf("EPSV: %s", quote(r))
	}
	if r.Code != 229 {
		return netip.AddrPort{}, r, fmt.Errorf("setup: EPSV: %s", quote(r))
	}
	p, err := ftpwire.ParseEPSV(r.Text())
	if err != nil {
		return netip.AddrPort{}, r, fmt.Errorf("setup: EPSV: %w", err)
	}
	c.env.ports.add(netip.Addr{}, p)
	return netip.AddrPortFrom(c.RemoteAddr().Addr(), p), r, nil
}

// Passive opens a passive data port: PASV over IPv4, EPSV over IPv6.
func (c *Ctrl) Passive(ctx context.Context) (netip.AddrPort, error) {
	if c.RemoteAddr().Addr().Is4() {
		ap, _, err := c.Pasv(ctx)
		return ap, err
	}
	ap, _, err := c.Epsv(ctx)
	return ap, err
}

// DataConn is a data connection that records what crossed it.
type DataConn struct {
	net.Conn
	tcp   net.Conn // below any TLS
	env   *Env
	name  string
	port  uint16
	peer  string
	sum   hashCounter
	once  sync.Once
	extra string
}

type hashCounter struct {
	mu sync.Mutex
	h  interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

func (h *hashCounter) add(p []byte) {
	h.mu.Lock()
	if h.h == nil {
		h.h = sha256.New()
	}
	h.h.Write(p)
	h.n += int64(len(p))
	h.mu.Unlock()
}

// DialData opens a data connection to ap from the control connection's local address, with TLS
// when PROT P is in effect (the handshake happens on first use, after the transfer command).
func (c *Ctrl) DialData(ctx context.Context, ap netip.AddrPort) (*DataConn, error) {
	return c.DialDataFrom(ctx, ap, c.LocalAddr().Addr(), "")
}

// DialDataFrom dials a data connection from a chosen local address; name "" picks dataN.
func (c *Ctrl) DialDataFrom(ctx context.Context, ap netip.AddrPort, local netip.Addr, name string) (*DataConn, error) {
	e := c.env
	if name == "" {
		name = e.nextName("data", &e.ndata)
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	nc, err := ftpwire.DialData(dctx, ap, local)
	if err != nil {
		e.tr.Record(reports.Event{Conn: name, Kind: reports.Note, Detail: "dial " + ap.String() + ": " + err.Error()}, time.Now())
		return nil, err
	}
	e.tr.Record(reports.Event{Conn: name, Kind: reports.Open, Detail: fmt.Sprintf("%s → %s", nc.LocalAddr(), nc.RemoteAddr())}, time.Now())
	d := &DataConn{Conn: nc, tcp: nc, env: e, name: name, port: ap.Port(), peer: nc.RemoteAddr().String()}
	if c.Prot {
		d.Conn = tls.Client(nc, c.tls)
		d.extra = "TLS"
	}
	e.track(d)
	return d, nil
}

func (d *DataConn) Read(p []byte) (int, error) {
	n, err := d.Conn.Read(p)
	d.sum.add(p[:n])
	return n, err
}

func (d *DataConn) Write(p []byte) (int, error) {
	n, err := d.Conn.Write(p)
	d.sum.add(p[:n])
	return n, err
}

// Close closes the connection and records a data event: port, peer, bytes and SHA-256.
func (d *DataConn) Close() error {
	err := d.Conn.Close()
	d.once.Do(func() {
		d.sum.mu.Lock()
		var sum string
		if d.sum.h != nil {
			sum = hex.EncodeToString(d.sum.h.Sum(nil))
		} else {
			sum = hex.EncodeToString(sha256.New().Sum(nil))
		}
		n := d.sum.n
		d.sum.mu.Unlock()
		detail := "closed by client"
		if d.extra != "" {
			detail += " (" + d.extra + ")"
		}
		d.env.tr.Record(reports.Event{Conn: d.name, Kind: reports.Data, Port: int(d.port), Peer: d.peer, Bytes: n, SHA256: sum, Detail: detail}, time.Now())
	})
	return err
}

// Name returns the connection's label in the transcript.
func (d *DataConn) Name() string { return d.name }

// Reset aborts the connection with a TCP RST (SO_LINGER 0), as a killed client would.
func (d *DataConn) Reset() {
	if tc, ok := d.tcp.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	d.Close()
}

// Reset aborts the control connection with a TCP RST, as a killed client would.
func (c *Ctrl) Reset() {
	if tc, ok := c.TCPConn().(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}

// Transfer is the record of one data transfer command.
type Transfer struct {
	Port    uint16
	Prelim  ftpwire.Reply // 125/150 (or the refusal)
	Final   ftpwire.Reply // 226/250 … (zero when Prelim refused)
	Data    []byte        // bytes received (downloads)
	Written int64         // bytes sent (uploads)
}

// OK reports whether the transfer got a 1yz preliminary and a 2yz completion reply.
func (t Transfer) OK() bool { return t.Prelim.Class() == 1 && t.Final.Class() == 2 }

// maxDownload bounds what a case reads from one data connection.
const maxDownload = 64 << 20

// Do runs one data transfer command over a fresh passive connection: open the port, connect,
// send cmd, read the 1yz reply, move the bytes (upload when up is non-nil), close, read the final
// reply. Errors are I/O errors only; the replies are in the Transfer for the caller to judge.
func (c *Ctrl) Do(ctx context.Context, cmd string, up []byte) (Transfer, error) {
	ap, err := c.Passive(ctx)
	if err != nil {
		return Transfer{}, err
	}
	return c.DoAt(ctx, ap, cmd, up)
}

// DoAt is Do over an already opened passive port.
func (c *Ctrl) DoAt(ctx context.Context, ap netip.AddrPort, cmd string, up []byte) (Transfer, error) {
	t := Transfer{Port: ap.Port()}
	dc, err := c.DialData(ctx, ap)
	if err != nil {
		return t, fmt.Errorf("data connection to %s: %w", ap, err)
	}
	defer dc.Close()
	if t.Prelim, err = c.Cmd(ctx, cmd); err != nil {
		return t, err
	}
	if t.Prelim.Class() != 1 {
		return t, nil
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = dc.SetDeadline(dl)
	}
	if up != nil {
		n, err := dc.Write(up)
		t.Written = int64(n)
		if err != nil {
			return t, fmt.Errorf("upload: %w", err)
		}
		dc.FinishUpload()
	} else {
		t.Data, err = io.ReadAll(io.LimitReader(dc, maxDownload))
		if err != nil {
			return t, fmt.Errorf("download: %w", err)
		}
	}
	dc.Close()
	t.Final, err = c.ReadReply(ctx)
	return t, err
}

// Retr downloads path and requires the transfer to succeed (a harness error otherwise).
func (c *Ctrl) Retr(ctx context.Context, path string) ([]byte, error) {
	t, err := c.Do(ctx, "RETR "+path, nil)
	if err != nil {
		return nil, err
	}
	if !t.OK() {
		return nil, fmt.Errorf("setup: RETR %s: %s", path, transferString(t))
	}
	return t.Data, nil
}

// Stor uploads data to path, requires success, and registers path for deletion after the case.
func (c *Ctrl) Stor(ctx context.Context, path string, data []byte) error {
	c.env.mu.Lock()
	c.env.uploaded = append(c.env.uploaded, path)
	c.env.mu.Unlock()
	t, err := c.Do(ctx, "STOR "+path, data)
	if err != nil {
		return err
	}
	if !t.OK() {
		return fmt.Errorf("setup: STOR %s: %s", path, transferString(t))
	}
	return nil
}

// Mkd creates a directory, requires success, and registers it for removal after the case.
func (c *Ctrl) Mkd(ctx context.Context, dir string) error {
	if _, err := c.Setup(ctx, "MKD "+dir, 257); err != nil {
		return err
	}
	c.env.mu.Lock()
	c.env.dirs = append(c.env.dirs, dir)
	c.env.mu.Unlock()
	return nil
}

// Forget removes path from the cleanup list (the case deleted or renamed it itself), or adds the
// new name when to is set.
func (e *Env) Forget(path string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.uploaded = slices.DeleteFunc(e.uploaded, func(p string) bool { return p == path })
	e.dirs = slices.DeleteFunc(e.dirs, func(p string) bool { return p == path })
}

// Track adds a path the case created by other means (RNTO, STOU, APPE) to the cleanup list.
func (e *Env) Track(path string, dir bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if dir {
		e.dirs = append(e.dirs, path)
	} else {
		e.uploaded = append(e.uploaded, path)
	}
}

// List runs LIST, NLST or MLSD (verb, with an optional argument) and requires success.
func (c *Ctrl) List(ctx context.Context, verb, arg string) ([]byte, error) {
	cmd := verb
	if arg != "" {
		cmd += " " + arg
	}
	t, err := c.Do(ctx, cmd, nil)
	if err != nil {
		return nil, err
	}
	if !t.OK() {
		return nil, fmt.Errorf("setup: %s: %s", cmd, transferString(t))
	}
	return t.Data, nil
}

// close ends every connection of the case and removes what it uploaded.
func (e *Env) close(ctx context.Context) {
	e.mu.Lock()
	closers := e.closers
	e.closers = nil
	files, dirs := e.uploaded, e.dirs
	e.mu.Unlock()
	// Data connections and listeners first, then every control connection ends with QUIT and
	// waits (briefly) for the server to close it: by then the server has torn the session down
	// and released its passive ports, so the next case meets a server with nothing left over.
	var ctrls []*ftpwire.Conn
	for _, c := range closers {
		if fc, ok := c.(*ftpwire.Conn); ok {
			ctrls = append(ctrls, fc)
			continue
		}
		_ = c.Close()
	}
	var wg sync.WaitGroup
	for _, c := range ctrls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			quit(ctx, c)
		}()
	}
	wg.Wait()
	if len(files) == 0 && len(dirs) == 0 {
		return
	}
	c, err := e.LoginFrom(ctx, netip.Addr{}, "cleanup")
	if err != nil {
		e.Note("cleanup: %v", err)
		return
	}
	defer c.Close()
	for _, f := range files {
		_, _ = c.Cmd(ctx, "DELE "+f)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		_, _ = c.Cmd(ctx, "RMD "+dirs[i])
	}
	_, _ = c.Cmd(ctx, "QUIT")
}

// quit ends a control connection politely: QUIT, then wait up to half a second for the server to
// close it. A connection already closed or broken is just closed.
func quit(ctx context.Context, c *ftpwire.Conn) {
	defer c.Close()
	qctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if c.Closed() || c.Buffered() > 0 {
		return // closed by the case, or unread replies: the conversation is out of step
	}
	if err := c.Send(qctx, "QUIT"); err != nil {
		return
	}
	for i := 0; i < 3; i++ {
		if _, err := c.ReadReply(qctx); err != nil {
			return
		}
	}
}

// quote renders a reply for Expected/Actual texts.
func quote(r ftpwire.Reply) string {
	if r.Raw == "" {
		return "no reply"
	}
	s := r.String()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return fmt.Sprintf("%q", s)
}

func transferString(t Transfer) string {
	s := quote(t.Prelim)
	if t.Final.Raw != "" {
		s += " then " + quote(t.Final)
	}
	return s
}

func codeList(codes []int) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprint(c)
	}
	return strings.Join(parts, "/")
}

func verbOf(line string) string {
	v, _, _ := strings.Cut(line, " ")
	return strings.ToUpper(v)
}

// redact hides PASS arguments in messages.
func redact(line string) string {
	if strings.EqualFold(verbOf(line), "PASS") {
		return "PASS ****"
	}
	return line
}

// portLog collects the passive ports and addresses the run saw, for the profile.
type portLog struct {
	mu    sync.Mutex
	ports map[uint16]bool
	addrs map[netip.Addr]bool
}

func (p *portLog) add(a netip.Addr, port uint16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ports == nil {
		p.ports, p.addrs = map[uint16]bool{}, map[netip.Addr]bool{}
	}
	p.ports[port] = true
	if a.IsValid() {
		p.addrs[a] = true
	}
}

// sameBytes compares and describes the first difference.
func sameBytes(want, got []byte) (bool, string) {
	if bytes.Equal(want, got) {
		return true, ""
	}
	n := min(len(want), len(got))
	for i := 0; i < n; i++ {
		if want[i] != got[i] {
			return false, fmt.Sprintf("%d bytes, first difference at offset %d (%d bytes expected)", len(got), i, len(want))
		}
	}
	return false, fmt.Sprintf("%d bytes (%d expected), identical up to the shorter length", len(got), len(want))
}

// FinishUpload ends the sending side of an upload gracefully, then waits briefly for the
// server to close. Closing at once would lose data: a TLS 1.3 server (OpenSSL's among them) sends
// session tickets on the data connection, and closing a socket with such unread bytes makes the
// kernel send a reset that discards whatever part of the upload is still queued.
func (dc *DataConn) FinishUpload() {
	// The server may take its time to close (RFC 959 sets no limit): the wait is the harness's,
	// not the case's, so it does not count against the case's budget.
	defer dc.env.harnessWait()()
	_ = dc.SetDeadline(time.Now().Add(5 * time.Second))
	nc := dc.Conn
	if tc, ok := nc.(*tls.Conn); ok {
		// close_notify, then the server's (as Python's ftplib does with unwrap); a TCP
		// half-close here makes some servers (pyftpdlib) stall in their TLS shutdown.
		_ = tc.CloseWrite()
		_, _ = io.Copy(io.Discard, io.LimitReader(tc, 1<<20))
		return
	}
	if tcp, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = tcp.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(nc, 1<<20))
}

// harnessWait marks a wait of the harness's own for something the RFC lets the server take its
// time over: until the returned func is called, the case's budget does not run down (within a
// bounded grace), and the transcript says when that mattered.
func (e *Env) harnessWait() (done func()) {
	if e == nil || e.budget == nil {
		return func() {}
	}
	release := e.budget.hold()
	return func() {
		if g := release(); g >= 100*time.Millisecond {
			e.Note("the harness waited %s for the server; the case's deadline moves by as much", g.Round(time.Millisecond))
		}
	}
}
