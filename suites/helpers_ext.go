package suites

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
	"github.com/ftpspec/ftpspec/reports"
)

// Helpers of the extension cases (RFC 2228/4217, 2389, 2640, 3659, 7151). Their names start with
// "ext" so that they never collide with the helpers of the RFC 959 cases.

// extFeat sends FEAT on c and returns the reply with its feature lines. A 500 or 502 reply says the
// server does not implement FEAT (RFC 2389 §3.2): ErrUnsupported. Any other refusal is grammatical
// (feat-response allows an error-response) and leaves nothing to check: ErrUnsupported too.
func extFeat(ctx context.Context, c *Ctrl) (ftpwire.Reply, []featLine, error) {
	r, err := c.Cmd(ctx, "FEAT")
	if err != nil {
		return r, nil, err
	}
	if r.Code != 211 {
		return r, nil, Unsupportedf("FEAT: %s", quote(r))
	}
	return r, parseFeat(r), nil
}

// extFind returns the feature line with label (case-insensitive).
func extFind(lines []featLine, label string) (featLine, bool) {
	for _, l := range lines {
		if strings.EqualFold(l.label, label) {
			return l, true
		}
	}
	return featLine{}, false
}

// extFeatBody returns the lines between the first and the last line of a multi-line FEAT reply,
// exactly as sent (leading spaces kept).
func extFeatBody(r ftpwire.Reply) []string {
	ls := r.Lines()
	if len(ls) < 2 {
		return nil
	}
	return ls[1 : len(ls)-1]
}

// extDial opens a plain control connection and expects the 220 greeting. OwnTLS cases use it: the
// runner gives them an Env in mode "none".
func extDial(ctx context.Context, env *Env) (*Ctrl, error) {
	c, greet, err := env.Dial(ctx)
	if err != nil {
		return nil, err
	}
	if greet.Code != 220 {
		return nil, fmt.Errorf("greeting: %s", quote(greet))
	}
	return c, nil
}

// extAuthTLS dials and secures the control connection with AUTH TLS. It is a harness step: the
// NeedTLS precondition has already established that the server accepts AUTH TLS.
func extAuthTLS(ctx context.Context, env *Env) (*Ctrl, error) {
	c, err := extDial(ctx, env)
	if err != nil {
		return nil, err
	}
	if err := c.AuthTLS(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// extPBSZ sends PBSZ 0 on a secured connection, logging in first when the server wants USER and
// PASS before the PBSZ/PROT pair (RFC 4217 §12.1 note 1). It reports whether it logged in.
func extPBSZ(ctx context.Context, c *Ctrl) (loggedIn bool, err error) {
	r, err := c.Cmd(ctx, "PBSZ 0")
	if err != nil {
		return false, err
	}
	if r.Code == 530 {
		if err := c.LoginOnly(ctx); err != nil {
			return false, err
		}
		loggedIn = true
		if r, err = c.Cmd(ctx, "PBSZ 0"); err != nil {
			return loggedIn, err
		}
	}
	if r.Code != 200 {
		return loggedIn, fmt.Errorf("setup: PBSZ 0: %s", quote(r))
	}
	return loggedIn, nil
}

// extSecureLogin secures a new control connection (AUTH TLS, PBSZ 0, then PROT prot unless prot is
// ""), logs in and sets TYPE I. Under PROT P the Ctrl's data connections are TLS.
func extSecureLogin(ctx context.Context, env *Env, prot string) (*Ctrl, error) {
	c, err := extAuthTLS(ctx, env)
	if err != nil {
		return nil, err
	}
	loggedIn, err := extPBSZ(ctx, c)
	if err != nil {
		return nil, err
	}
	if prot != "" {
		if _, err := c.Setup(ctx, "PROT "+prot, 200); err != nil {
			return nil, err
		}
		c.Prot = prot == "P"
	}
	if !loggedIn {
		if err := c.LoginOnly(ctx); err != nil {
			return nil, err
		}
	}
	if _, err := c.Setup(ctx, "TYPE I", 200); err != nil {
		return nil, err
	}
	return c, nil
}

// extDataConn opens a data connection to ap from the control connection's local address: TLS with
// cfg when cfg is set (the handshake happens on first use), plain otherwise, whatever PROT says.
// Unlike DialData it lets a case choose: a fresh TLS configuration (no session to resume), or no
// TLS at all under PROT P.
func extDataConn(ctx context.Context, c *Ctrl, ap netip.AddrPort, cfg *tls.Config) (*DataConn, error) {
	e := c.env
	name := e.nextName("data", &e.ndata)
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	nc, err := ftpwire.DialData(dctx, ap, c.LocalAddr().Addr())
	if err != nil {
		e.tr.Record(reports.Event{Conn: name, Kind: reports.Note, Detail: "dial " + ap.String() + ": " + err.Error()}, time.Now())
		return nil, fmt.Errorf("data connection to %s: %w", ap, err)
	}
	e.tr.Record(reports.Event{Conn: name, Kind: reports.Open, Detail: fmt.Sprintf("%s → %s", nc.LocalAddr(), nc.RemoteAddr())}, time.Now())
	d := &DataConn{Conn: nc, env: e, name: name, port: ap.Port(), peer: nc.RemoteAddr().String()}
	if cfg != nil {
		d.Conn = tls.Client(nc, cfg)
		d.extra = "TLS"
	}
	e.track(d)
	return d, nil
}

// extXfer is a transfer over a connection the case opened itself. DataErr is the data
// connection's failure (a refused TLS handshake, say), after which the final reply was still read.
type extXfer struct {
	Transfer
	DataErr error
}

// extTransfer runs a download (up == nil) or upload over dc, already connected: send cmd, read the
// preliminary reply, move the bytes, close, read the final reply. A data-connection failure does
// not end it: the final reply says how the server saw it.
func extTransfer(ctx context.Context, c *Ctrl, dc *DataConn, cmd string, up []byte) (extXfer, error) {
	var x extXfer
	x.Port = dc.port
	defer dc.Close()
	var err error
	if x.Prelim, err = c.Cmd(ctx, cmd); err != nil {
		return x, err
	}
	if x.Prelim.Class() != 1 {
		return x, nil
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = dc.SetDeadline(dl)
	}
	if up != nil {
		n, werr := dc.Write(up)
		x.Written = int64(n)
		x.DataErr = werr
		if werr == nil {
			dc.FinishUpload()
		}
	} else {
		x.Data, x.DataErr = io.ReadAll(io.LimitReader(dc, maxDownload))
	}
	dc.Close()
	x.Final, err = c.ReadReply(ctx)
	return x, err
}

// extUploadAt runs an upload command (STOR, APPE) over the passive port ap, protected as PROT
// says, ending the upload with DataConn.FinishUpload.
func extUploadAt(ctx context.Context, c *Ctrl, ap netip.AddrPort, cmd string, data []byte) (extXfer, error) {
	var cfg *tls.Config
	if c.Prot {
		cfg = c.tls
	}
	dc, err := extDataConn(ctx, c, ap, cfg)
	if err != nil {
		return extXfer{}, err
	}
	return extTransfer(ctx, c, dc, cmd, data)
}

// extUpload is extUploadAt over a fresh passive port.
func extUpload(ctx context.Context, c *Ctrl, cmd string, data []byte) (extXfer, error) {
	ap, err := c.Passive(ctx)
	if err != nil {
		return extXfer{}, err
	}
	return extUploadAt(ctx, c, ap, cmd, data)
}

// extStor uploads data to path (see DataConn.FinishUpload), requires success, and
// registers path for deletion after the case.
func extStor(ctx context.Context, c *Ctrl, path string, data []byte) error {
	c.env.Track(path, false)
	x, err := extUpload(ctx, c, "STOR "+path, data)
	if err != nil {
		return err
	}
	if !x.OK() || x.DataErr != nil {
		return fmt.Errorf("setup: STOR %s: %s %v", path, transferString(x.Transfer), x.DataErr)
	}
	return nil
}

// extLoginAndFile logs in and uploads size bytes of identifying content.
func extLoginAndFile(ctx context.Context, env *Env, suffix string, size int) (*Ctrl, string, []byte, error) {
	c, err := env.Login(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	name := env.Name(suffix)
	data := env.Content(name, size)
	if err := extStor(ctx, c, name, data); err != nil {
		return nil, "", nil, err
	}
	return c, name, data, nil
}

// extDirWithFile logs in, creates a fresh directory and stores a one-byte file "x" in it.
func extDirWithFile(ctx context.Context, env *Env) (*Ctrl, string, string, error) {
	c, err := env.Login(ctx)
	if err != nil {
		return nil, "", "", err
	}
	dir := env.Name("d")
	if err := c.Mkd(ctx, dir); err != nil {
		return nil, "", "", err
	}
	file := "ftpspec-entry-" + env.nonce + ".bin"
	if err := extStor(ctx, c, dir+"/"+file, []byte("x")); err != nil {
		return nil, "", "", err
	}
	return c, dir, file, nil
}

// extTLSState returns the TLS state of a data connection, if it is one.
func extTLSState(d *DataConn) (tls.ConnectionState, bool) {
	if tc, ok := d.Conn.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// extEntry is one MLSx entry: "facts SP pathname" (RFC 3659 §7.2).
type extEntry struct {
	Line  string            // the entry as sent, without the MLST control-line space
	Facts map[string]string // fact names lower-cased → values
	Order []string          // fact names as sent
	Name  string            // the pathname: everything after the first space
}

// Type returns the lower-cased type fact, "" when absent.
func (e extEntry) Type() string { return strings.ToLower(e.Facts["type"]) }

// extParseEntry parses an entry by RFC 3659 §7.2's grammar: entry = [ facts ] SP pathname, facts =
// 1*( fact ";" ), fact = factname "=" value. The error says what is malformed.
func extParseEntry(line string) (extEntry, error) {
	e := extEntry{Line: line, Facts: map[string]string{}}
	i := strings.IndexByte(line, ' ')
	if i < 0 {
		return e, fmt.Errorf("no space separates the facts from the pathname in %q", line)
	}
	facts := line[:i]
	e.Name = line[i+1:]
	if facts == "" {
		return e, nil
	}
	if !strings.HasSuffix(facts, ";") {
		return e, fmt.Errorf("the facts %q do not end with \";\"", facts)
	}
	for _, f := range strings.Split(strings.TrimSuffix(facts, ";"), ";") {
		name, value, ok := strings.Cut(f, "=")
		if !ok || name == "" {
			return e, fmt.Errorf("fact %q is not name=value", f)
		}
		for j := 0; j < len(name); j++ {
			if ch := name[j]; !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '-' || ch == '_') {
				return e, fmt.Errorf("fact name %q has the character %q", name, ch)
			}
		}
		for j := 0; j < len(value); j++ {
			if value[j] <= ' ' || value[j] == 0x7f {
				return e, fmt.Errorf("fact %q has a control or space character in its value", f)
			}
		}
		k := strings.ToLower(name)
		if _, dup := e.Facts[k]; dup {
			return e, fmt.Errorf("fact %q appears twice", name)
		}
		e.Facts[k] = value
		e.Order = append(e.Order, name)
	}
	return e, nil
}

// extMLST sends MLST (with arg unless "") and returns the reply and its entry lines as sent, each
// still with its leading space.
func extMLST(ctx context.Context, c *Ctrl, arg string) (ftpwire.Reply, []string, error) {
	cmd := "MLST"
	if arg != "" {
		cmd += " " + arg
	}
	r, err := c.Cmd(ctx, cmd)
	if err != nil {
		return r, nil, err
	}
	if r.Code != 250 || !r.Multiline() {
		return r, nil, nil
	}
	return r, extFeatBody(r), nil
}

// extMLSTEntry runs MLST arg and returns its (first) entry, parsed. A reply other than a 250
// control response with an entry, or an entry that does not parse, is a violation: every MLST case
// needs a well-formed answer for a file that exists.
func extMLSTEntry(ctx context.Context, c *Ctrl, arg string) (extEntry, error) {
	r, body, err := extMLST(ctx, c, arg)
	if err != nil {
		return extEntry{}, err
	}
	if len(body) == 0 {
		return extEntry{}, Violatef("a 250 reply with an entry line for MLST "+arg, "%s", quote(r))
	}
	line, ok := strings.CutPrefix(body[0], " ")
	if !ok {
		return extEntry{}, Violatef("an entry line starting with a space (RFC 3659 §7.2)", "%q", body[0])
	}
	e, perr := extParseEntry(line)
	if perr != nil {
		return e, Violatef("an entry by RFC 3659 §7.2's grammar", "%v", perr)
	}
	return e, nil
}

// extMLSTFacts is the fact list of the FEAT MLST line: lower-cased names, and which are marked
// with "*" (returned by default).
func extMLSTFacts(env *Env) (supported []string, selected []string) {
	params, _ := env.Feat("MLST")
	for _, f := range strings.Split(params, ";") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, star := strings.CutSuffix(f, "*")
		name = strings.ToLower(name)
		supported = append(supported, name)
		if star {
			selected = append(selected, name)
		}
	}
	return supported, selected
}

// extSelectFacts makes sure MLSx output on c will carry the facts named: a fact the server does not
// list in FEAT makes the case unsupported; a listed fact that is not returned by default is
// selected with OPTS MLST (together with every default fact).
func extSelectFacts(ctx context.Context, c *Ctrl, env *Env, facts ...string) error {
	supported, selected := extMLSTFacts(env)
	missing := false
	for _, f := range facts {
		if !slices.Contains(supported, f) {
			return Unsupportedf("the server does not list the %s fact in FEAT MLST", f)
		}
		if !slices.Contains(selected, f) {
			missing = true
		}
	}
	if !missing {
		return nil
	}
	want := slices.Clone(selected)
	for _, f := range facts {
		if !slices.Contains(want, f) {
			want = append(want, f)
		}
	}
	_, err := c.Setup(ctx, "OPTS MLST "+strings.Join(want, ";")+";", 200)
	return err
}

// extTimeVal parses RFC 3659 §2.3's time-val: 14DIGIT [ "." 1*DIGIT ], in UTC, with each field in
// its range.
func extTimeVal(s string) (time.Time, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if len(whole) != 14 || !allDigits(whole) {
		return time.Time{}, fmt.Errorf("%q: want 14 digits YYYYMMDDHHMMSS", s)
	}
	if dot && !allDigits(frac) {
		return time.Time{}, fmt.Errorf("%q: a \".\" must be followed by at least one digit and nothing else", s)
	}
	n := func(i, j int) int {
		v := 0
		for _, ch := range whole[i:j] {
			v = v*10 + int(ch-'0')
		}
		return v
	}
	year, month, day, hour, minute, sec := n(0, 4), n(4, 6), n(6, 8), n(8, 10), n(10, 12), n(12, 14)
	switch {
	case year < 1000:
		return time.Time{}, fmt.Errorf("%q: year %d out of 1000-9999", s, year)
	case month < 1 || month > 12:
		return time.Time{}, fmt.Errorf("%q: month %02d out of 01-12", s, month)
	case day < 1 || day > 31:
		return time.Time{}, fmt.Errorf("%q: day %02d out of 01-31", s, day)
	case hour > 23:
		return time.Time{}, fmt.Errorf("%q: hour %02d out of 00-23", s, hour)
	case minute > 59:
		return time.Time{}, fmt.Errorf("%q: minute %02d out of 00-59", s, minute)
	case sec > 60:
		return time.Time{}, fmt.Errorf("%q: second %02d out of 00-60", s, sec)
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), nil
}

// extHostArg is the HOST argument that names the target itself: its host name, or its address
// literal, an IPv6 literal in brackets (RFC 7151 §3.1).
func extHostArg(env *Env) string {
	h := env.Target.Host
	if a, err := netip.ParseAddr(h); err == nil && a.Is6() {
		return "[" + h + "]"
	}
	return h
}

// extHostFirst dials and sends line (a HOST command) as the first command, then secures the
// connection as the run's mode says: in explicit mode AUTH TLS, PBSZ and PROT follow the HOST, the
// order RFC 7151 §4 recommends when the client sends no server_name. In implicit mode the HOST
// necessarily follows the handshake.
func extHostFirst(ctx context.Context, env *Env, line string) (*Ctrl, ftpwire.Reply, error) {
	c, greet, err := env.Dial(ctx)
	if err != nil {
		return nil, greet, err
	}
	if greet.Code != 220 {
		return nil, greet, fmt.Errorf("greeting: %s", quote(greet))
	}
	r, err := c.Cmd(ctx, line)
	if err != nil {
		return nil, r, err
	}
	if r.Code == 421 {
		return c, r, nil
	}
	switch env.Mode {
	case ModeExplicit:
		if err := c.AuthTLS(ctx); err != nil {
			return nil, r, err
		}
		fallthrough
	case ModeImplicit:
		if err := c.protectData(ctx); err != nil {
			return nil, r, err
		}
	}
	return c, r, nil
}

// extClass5Or4 reports whether r is a negative reply (4yz or 5yz).
func extClass5Or4(r ftpwire.Reply) bool { return r.Class() == 4 || r.Class() == 5 }

// extUTF8Suffix is a non-ASCII name part: Latin, CJK and a symbol, in UTF-8.
const extUTF8Suffix = "ünï-中文-€"

// feat logs in and sends FEAT, returning the reply; a server without FEAT is unsupported.
func feat(ctx context.Context, env *Env) (*Ctrl, ftpwire.Reply, error) {
	c, err := env.Login(ctx)
	if err != nil {
		return nil, ftpwire.Reply{}, err
	}
	r, _, err := extFeat(ctx, c)
	return c, r, err
}

// extAnswers sends line and requires a well-formed reply of any code. After a TLS handshake (or
// its shutdown) a reply proves the layer works; which code NOOP gets before login is the server's
// policy (vsftpd answers 530 to everything until USER/PASS), not something RFC 4217 rules on.
func extAnswers(ctx context.Context, c *Ctrl, line string) (ftpwire.Reply, error) {
	r, err := c.Cmd(ctx, line)
	if err != nil {
		return r, err
	}
	if r.Code < 100 {
		return r, Violatef("a reply to "+line, "%s", quote(r))
	}
	return r, nil
}
