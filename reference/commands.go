package reference

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// command is one entry of the command table: the verb's handler and when it may run.
type command struct {
	run   func(s *session, arg string) error // an error ends the session
	login bool                               // 530 until logged in
	arg   argRule
	// urgent commands run at once while a transfer is in progress (RFC 959 §4.1.3); any other
	// command waits for the transfer to end, which keeps replies in order.
	urgent bool
	rfc    string // where the command is defined
	help   string // syntax, for HELP
}

type argRule int

const (
	argOptional argRule = iota
	argRequired
)

// commandTable maps verbs to commands. It is built per server (no package state), and FEAT and
// HELP are derived from what is in it, so they can only list what works.
func commandTable() map[string]*command {
	t := map[string]*command{
		// RFC 959 §4.1.1 access control.
		"USER": {run: (*session).cmdUSER, arg: argRequired, rfc: "RFC 959 §4.1.1", help: "USER <username>"},
		"PASS": {run: (*session).cmdPASS, rfc: "RFC 959 §4.1.1", help: "PASS <password>"},
		"ACCT": {run: (*session).cmdACCT, arg: argRequired, rfc: "RFC 959 §4.1.1", help: "ACCT <account>"},
		"CWD":  {run: (*session).cmdCWD, login: true, arg: argRequired, rfc: "RFC 959 §4.1.1", help: "CWD <pathname>"},
		"CDUP": {run: (*session).cmdCDUP, login: true, rfc: "RFC 959 §4.1.1", help: "CDUP"},
		"SMNT": {run: (*session).cmdNotImplemented, login: true, rfc: "RFC 959 §4.1.1", help: "SMNT <pathname> (not implemented)"},
		"REIN": {run: (*session).cmdREIN, rfc: "RFC 959 §4.1.1", help: "REIN"},
		"QUIT": {run: (*session).cmdQUIT, urgent: true, rfc: "RFC 959 §4.1.1", help: "QUIT"},
		// RFC 959 §4.1.2 transfer parameters.
		"PORT": {run: (*session).cmdPORT, login: true, arg: argRequired, rfc: "RFC 959 §4.1.2", help: "PORT h1,h2,h3,h4,p1,p2"},
		"PASV": {run: (*session).cmdPASV, login: true, rfc: "RFC 959 §4.1.2", help: "PASV"},
		"TYPE": {run: (*session).cmdTYPE, login: true, arg: argRequired, rfc: "RFC 959 §4.1.2", help: "TYPE A [N] | I | L 8"},
		"STRU": {run: (*session).cmdSTRU, login: true, arg: argRequired, rfc: "RFC 959 §4.1.2", help: "STRU F"},
		"MODE": {run: (*session).cmdMODE, login: true, arg: argRequired, rfc: "RFC 959 §4.1.2", help: "MODE S"},
		// RFC 959 §4.1.3 service commands.
		"RETR": {run: (*session).cmdRETR, login: true, arg: argRequired, rfc: "RFC 959 §4.1.3", help: "RETR <pathname>"},
		"STOR": {run: (*session).cmdSTOR, login: true, arg: argRequired, rfc: "RFC 959 §4.1.3", help: "STOR <pathname>"},
		"STOU": {run: (*session).cmdSTOU, login: true, rfc: "RFC 959 §4.1.3, RFC 1123 §4.1.2.9", help: "STOU"},
		"APPE": {run: (*session).cmdAPPE, login: true, arg: argRequired, rfc: "RFC 959 §4.1.3", help: "APPE <pathname>"},
		"ALLO": {run: (*session).cmdALLO, login: true, arg: argRequired, rfc: "RFC 959 §4.1.3", help: "ALLO <decimal> [R <decimal>]"},
		"REST": {run: (*session).cmdREST, login: true, arg: argRequired, rfc: "RFC 959 §4.1.3, RFC 3659 §5", help: "REST <offset>"},
		"RNFR": {run: (*session).cmdRNFR, login: true, arg: argRequired, rfc: "RFC 959 §4.1.3", help: "RNFR <pathname>"},
		"RNTO": {run: (*session).cmdRNTO, login: true, arg: argRequired, rfc: "RFC 959 §4.1.3", help: "RNTO <pathname>"},
		"ABOR": {run: (*session).cmdABOR, login: true, urgent: true, rfc: "RFC 959 §4.1.3", help: "ABOR"},
		"DELE": {run: (*session).cmdDELE, login: true, arg: argRequired, rfc: "RFC 959 §4.1.3", help: "DELE <pathname>"},
		"RMD":  {run: (*session).cmdRMD, login: true, arg: argRequired, rfc: "RFC 959 §4.1.3", help: "RMD <pathname>"},
		"MKD":  {run: (*session).cmdMKD, login: true, arg: argRequired, rfc: "RFC 959 §4.1.3", help: "MKD <pathname>"},
		"PWD":  {run: (*session).cmdPWD, login: true, rfc: "RFC 959 §4.1.3", help: "PWD"},
		"LIST": {run: (*session).cmdLIST, login: true, rfc: "RFC 959 §4.1.3", help: "LIST [<pathname>]"},
		"NLST": {run: (*session).cmdNLST, login: true, rfc: "RFC 959 §4.1.3", help: "NLST [<pathname>]"},
		"SITE": {run: (*session).cmdSITE, login: true, arg: argRequired, rfc: "RFC 959 §4.1.3", help: "SITE HELP | CHMOD <mode> <pathname>"},
		"SYST": {run: (*session).cmdSYST, rfc: "RFC 959 §4.1.3", help: "SYST"},
		"STAT": {run: (*session).cmdSTAT, urgent: true, rfc: "RFC 959 §4.1.3", help: "STAT [<pathname>]"},
		"HELP": {run: (*session).cmdHELP, rfc: "RFC 959 §4.1.3", help: "HELP [<command>]"},
		"NOOP": {run: (*session).cmdNOOP, rfc: "RFC 959 §4.1.3", help: "NOOP"},
		// RFC 2389.
		"FEAT": {run: (*session).cmdFEAT, rfc: "RFC 2389 §3", help: "FEAT"},
		"OPTS": {run: (*session).cmdOPTS, arg: argRequired, rfc: "RFC 2389 §4", help: "OPTS UTF8 ON | MLST <facts>"},
		// RFC 2428.
		"EPRT": {run: (*session).cmdEPRT, login: true, arg: argRequired, rfc: "RFC 2428 §2", help: "EPRT |proto|addr|port|"},
		"EPSV": {run: (*session).cmdEPSV, login: true, rfc: "RFC 2428 §3", help: "EPSV [1 | 2 | ALL]"},
		// RFC 3659.
		"SIZE": {run: (*session).cmdSIZE, login: true, arg: argRequired, rfc: "RFC 3659 §4", help: "SIZE <pathname>"},
		"MDTM": {run: (*session).cmdMDTM, login: true, arg: argRequired, rfc: "RFC 3659 §3", help: "MDTM <pathname>"},
		"MLST": {run: (*session).cmdMLST, login: true, rfc: "RFC 3659 §7", help: "MLST [<pathname>]"},
		"MLSD": {run: (*session).cmdMLSD, login: true, rfc: "RFC 3659 §7", help: "MLSD [<pathname>]"},
		// RFC 2640.
		"LANG": {run: (*session).cmdLANG, rfc: "RFC 2640 §4.1", help: "LANG [EN]"},
		// RFC 7151.
		"HOST": {run: (*session).cmdHOST, arg: argRequired, rfc: "RFC 7151 §3", help: "HOST <hostname>"},
		// RFC 2228 / RFC 4217.
		"AUTH": {run: (*session).cmdAUTH, arg: argRequired, rfc: "RFC 4217 §4", help: "AUTH TLS"},
		"PBSZ": {run: (*session).cmdPBSZ, arg: argRequired, rfc: "RFC 4217 §8", help: "PBSZ 0"},
		"PROT": {run: (*session).cmdPROT, arg: argRequired, rfc: "RFC 4217 §9", help: "PROT C | P"},
		"CCC":  {run: (*session).cmdCCC, rfc: "RFC 4217 §5", help: "CCC (refused)"},
		"ADAT": {run: (*session).cmdNotImplemented, rfc: "RFC 2228 §3", help: "ADAT (not implemented)"},
		"MIC":  {run: (*session).cmdNotImplemented, rfc: "RFC 2228 §3", help: "MIC (not implemented)"},
		"CONF": {run: (*session).cmdNotImplemented, rfc: "RFC 2228 §3", help: "CONF (not implemented)"},
		"ENC":  {run: (*session).cmdNotImplemented, rfc: "RFC 2228 §3", help: "ENC (not implemented)"},
	}
	// The experimental names RFC 1123 §4.1.3.1 says some clients still send.
	for x, v := range map[string]string{"XCWD": "CWD", "XCUP": "CDUP", "XPWD": "PWD", "XMKD": "MKD", "XRMD": "RMD"} {
		c := *t[v]
		c.help = x + strings.TrimPrefix(c.help, v)
		t[x] = &c
	}
	return t
}

// commandName interns the verbs of the table so parsing allocates nothing for them.
func commandName(b []byte) string {
	switch string(b) {
	case "USER":
		return "USER"
	case "PASS":
		return "PASS"
	case "CWD":
		return "CWD"
	case "PWD":
		return "PWD"
	case "TYPE":
		return "TYPE"
	case "PASV":
		return "PASV"
	case "EPSV":
		return "EPSV"
	case "PORT":
		return "PORT"
	case "EPRT":
		return "EPRT"
	case "RETR":
		return "RETR"
	case "STOR":
		return "STOR"
	case "SIZE":
		return "SIZE"
	case "MDTM":
		return "MDTM"
	case "REST":
		return "REST"
	case "NOOP":
		return "NOOP"
	case "QUIT":
		return "QUIT"
	case "LIST":
		return "LIST"
	case "NLST":
		return "NLST"
	case "MLSD":
		return "MLSD"
	case "MLST":
		return "MLST"
	case "DELE":
		return "DELE"
	case "FEAT":
		return "FEAT"
	case "SYST":
		return "SYST"
	case "ABOR":
		return "ABOR"
	case "STAT":
		return "STAT"
	}
	return string(b)
}

// dispatch executes one command line.
func (s *session) dispatch(line []byte) error {
	verb, arg, ok := parseCommand(line)
	cmd := s.srv.commands[verb]
	if !ok || cmd == nil {
		// RFC 959 §4.2: "500 Syntax error, command unrecognized."
		if s.srv.faults.has(faultBadReplyCodes) {
			s.reply(200, "OK.")
			return nil
		}
		s.reply(500, "Syntax error, command unrecognized.")
		return nil
	}
	if x := s.runningTransfer(); x == nil || !cmd.urgent {
		s.settle() // commands after a transfer command run after its last reply, in order
	}
	if cmd.login && s.user == nil {
		s.reply(530, "Please login with USER and PASS.")
		return nil
	}
	if cmd.arg == argRequired && strings.TrimSpace(arg) == "" {
		s.reply(501, "Syntax error: "+verb+" needs an argument.")
		return nil
	}
	// RFC 959 §4.1.3: RNTO must immediately follow RNFR.
	if verb != "RNTO" {
		s.rnfr = ""
	}
	return cmd.run(s, arg)
}

// sanitize makes client text safe to echo in a one-line reply.
func sanitize(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// Access control (RFC 959 §4.1.1).

func (s *session) cmdUSER(arg string) error {
	if s.user != nil {
		s.logout() // a new USER starts a new login (RFC 959 §4.1.1)
	}
	s.pendingUser = arg
	// The same 331 for every name, known or not: no user enumeration (RFC 2577 §5).
	s.reply(331, "Please specify the password.")
	return nil
}

func (s *session) cmdPASS(arg string) error {
	if s.pendingUser == "" {
		s.reply(503, "Login with USER first.")
		return nil
	}
	name := s.pendingUser
	s.pendingUser = ""
	u, ok := s.srv.authenticate(name, arg)
	if ok {
		base := s.srv.rootDir
		if h, ok := s.srv.hosts[s.host]; ok {
			base = h.Root
		}
		root, err := s.srv.openRoot(userRoot(base, u))
		if err != nil {
			s.srv.log.Error("opening user root", "user", name, "err", err)
			s.reply(421, "Service not available: cannot open home directory.")
			return errQuit
		}
		s.user, s.root, s.write, s.cwd = &u, root, u.Write, "/"
		s.failures = 0
		s.reply(230, "Login successful.")
		return nil
	}
	// RFC 2577 §4: slow down and cap password guessing.
	s.failures++
	if d := s.srv.cfg.Limits.LoginFailDelay; d > 0 {
		time.Sleep(d)
	}
	if m := s.srv.cfg.Limits.MaxLoginFailures; m > 0 && s.failures >= m {
		s.reply(421, "Too many failed logins, closing control connection.")
		return errQuit
	}
	s.reply(530, "Login incorrect.")
	return nil
}

// authenticate checks a name and password; anonymous users get a read-only account.
func (srv *Server) authenticate(name, pass string) (User, bool) {
	if u, ok := srv.users[name]; ok {
		return u, subtle.ConstantTimeCompare([]byte(u.Password), []byte(pass)) == 1
	}
	if (name == "anonymous" || name == "ftp") && boolOr(srv.cfg.Anonymous, true) {
		return User{Name: name}, true
	}
	return User{}, false
}

func (s *session) logout() {
	s.user, s.root, s.write, s.cwd = nil, nil, false, "/"
}

func (s *session) cmdACCT(string) error {
	if s.user != nil {
		s.reply(202, "ACCT not needed at this site.")
		return nil
	}
	s.reply(503, "Login with USER and PASS first.")
	return nil
}

func (s *session) cmdCWD(arg string) error {
	v := resolvePath(s.cwd, arg)
	info, err := s.stat(v)
	if err != nil || !info.IsDir() {
		s.reply(550, "Failed to change directory: not a directory.")
		return nil
	}
	s.cwd = v
	s.reply(250, "Directory successfully changed.")
	return nil
}

func (s *session) cmdCDUP(string) error {
	v := path.Dir(s.cwd)
	if info, err := s.stat(v); err != nil || !info.IsDir() {
		s.reply(550, "Failed to change directory.")
		return nil
	}
	s.cwd = v
	s.reply(200, "Directory changed to "+quotePath(v)+".") // RFC 959 §5.4 lists 200 for CDUP
	return nil
}

func (s *session) cmdNotImplemented(string) error {
	s.reply(502, "Command not implemented.")
	return nil
}

// cmdREIN resets the session to its state right after the greeting (RFC 959 §4.1.1). A transfer in
// progress has already completed: dispatch waits for it. On a TLS session the reply goes out
// protected, then TLS is closed in both directions and the connection continues in the clear
// (RFC 4217 §13); the client must send its close_notify before any plaintext.
func (s *session) cmdREIN(string) error {
	if s.tls != nil && !s.implicit {
		s.reply(220, "Service ready for new user; TLS is being cleared.")
		tc := s.tls.conn
		if err := tc.CloseWrite(); err != nil {
			return errQuit
		}
		tc.SetReadDeadline(time.Now().Add(handshakeTimeout(s.srv.cfg.Timeouts.Data)))
		if _, err := io.Copy(io.Discard, tc); err != nil {
			return errQuit // no close_notify from the client: the stream cannot be trusted
		}
		s.wmu.Lock()
		s.conn = s.raw
		s.wmu.Unlock()
		s.lr.reset(s.raw)
		s.tls = nil
		s.reset()
		s.host = ""
		return nil
	}
	if s.implicit {
		// An implicit-TLS connection cannot continue in the clear.
		s.reply(502, "REIN is not available on an implicit TLS connection.")
		return nil
	}
	s.reset()
	s.host = ""
	s.reply(220, "Service ready for new user.")
	return nil
}

// reset clears login state and transfer parameters (REIN, and AUTH per RFC 4217 §4).
func (s *session) reset() {
	s.logout()
	s.pendingUser = ""
	s.ascii, s.rest, s.rnfr, s.epsvAll = false, 0, "", false
	s.mlstFacts = defaultFacts
	s.dropData()
}

func (s *session) cmdQUIT(string) error {
	s.quitting.Store(true)
	if x := s.runningTransfer(); x != nil {
		<-x.done // RFC 959 §4.1.1: the result of the transfer is sent first
	}
	s.reply(221, "Goodbye.")
	return errQuit
}

// Transfer parameters (RFC 959 §4.1.2).

func (s *session) cmdTYPE(arg string) error {
	f := strings.Fields(strings.ToUpper(arg))
	switch {
	case len(f) == 1 && f[0] == "I", len(f) == 2 && f[0] == "L" && f[1] == "8":
		s.ascii = false
		s.reply(200, "Switching to Binary mode.")
	case len(f) == 1 && f[0] == "A", len(f) == 2 && f[0] == "A" && (f[1] == "N" || f[1] == "T"):
		// RFC 1123 §4.1.2.2: "A host that makes no distinction between TYPE N and TYPE T SHOULD
		// implement TYPE T to be identical to TYPE N."
		s.ascii = true
		s.reply(200, "Switching to ASCII mode.")
	case len(f) >= 1 && len(f) <= 2 && slices.Contains([]string{"A", "E", "I", "L"}, f[0]):
		s.reply(504, "Command not implemented for that parameter.")
	default:
		s.reply(501, "Syntax error: TYPE A, TYPE I or TYPE L 8.")
	}
	return nil
}

func (s *session) cmdSTRU(arg string) error {
	switch strings.ToUpper(strings.TrimSpace(arg)) {
	case "F":
		s.reply(200, "Structure set to F.")
	case "R", "P":
		s.reply(504, "Command not implemented for that parameter.")
	default:
		s.reply(501, "Syntax error: STRU F.")
	}
	return nil
}

func (s *session) cmdMODE(arg string) error {
	switch strings.ToUpper(strings.TrimSpace(arg)) {
	case "S":
		s.reply(200, "Mode set to S.")
	case "B", "C":
		s.reply(504, "Command not implemented for that parameter.")
	default:
		s.reply(501, "Syntax error: MODE S.")
	}
	return nil
}

// Service commands (RFC 959 §4.1.3).

func (s *session) cmdALLO(arg string) error {
	f := strings.Fields(arg)
	valid := len(f) == 1 || (len(f) == 3 && strings.EqualFold(f[1], "R"))
	for i, x := range f {
		if i == 1 {
			continue
		}
		if _, err := strconv.ParseUint(x, 10, 63); err != nil {
			valid = false
		}
	}
	if !valid {
		s.reply(501, "Syntax error: ALLO <decimal> [R <decimal>].")
		return nil
	}
	s.reply(202, "ALLO not needed: storage is allocated as data arrives.")
	return nil
}

func (s *session) cmdREST(arg string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(arg), 10, 64)
	if err != nil || n < 0 || strings.HasPrefix(strings.TrimSpace(arg), "+") {
		s.reply(501, "Syntax error: REST needs a decimal byte offset.")
		return nil
	}
	s.rest = n
	s.reply(350, "Restarting at "+strconv.FormatInt(n, 10)+". Send STOR or RETR to start the transfer.")
	return nil
}

func (s *session) cmdRNFR(arg string) error {
	v := resolvePath(s.cwd, arg)
	if !s.canWrite(v) {
		s.reply(550, "Permission denied.")
		return nil
	}
	if _, err := s.root.Lstat(rootName(v)); err != nil || v == "/" {
		s.reply(550, "RNFR: no such file or directory.")
		return nil
	}
	s.rnfr = v
	s.reply(350, "Ready for RNTO.")
	return nil
}

func (s *session) cmdRNTO(arg string) error {
	from := s.rnfr
	s.rnfr = ""
	if from == "" {
		s.reply(503, "RNFR required first.")
		return nil
	}
	to := resolvePath(s.cwd, arg)
	if !s.canWrite(to) || to == "/" {
		s.reply(553, "Requested action not taken: file name not allowed.")
		return nil
	}
	if err := s.root.Rename(rootName(from), rootName(to)); err != nil {
		s.reply(553, "Rename failed: "+fsReason(err)+".")
		return nil
	}
	s.reply(250, "Rename successful.")
	return nil
}

func (s *session) cmdDELE(arg string) error {
	v := resolvePath(s.cwd, arg)
	if !s.canWrite(v) {
		s.reply(550, "Permission denied.")
		return nil
	}
	info, err := s.root.Lstat(rootName(v))
	if err != nil {
		s.reply(550, "Delete operation failed: "+fsReason(err)+".")
		return nil
	}
	if info.IsDir() {
		s.reply(550, "Delete operation failed: is a directory (use RMD).")
		return nil
	}
	if err := s.root.Remove(rootName(v)); err != nil {
		s.reply(550, "Delete operation failed: "+fsReason(err)+".")
		return nil
	}
	s.reply(250, "Delete operation successful.")
	return nil
}

func (s *session) cmdRMD(arg string) error {
	v := resolvePath(s.cwd, arg)
	if !s.canWrite(v) || v == "/" {
		s.reply(550, "Permission denied.")
		return nil
	}
	info, err := s.root.Lstat(rootName(v))
	if err == nil && !info.IsDir() {
		s.reply(550, "Remove directory operation failed: not a directory.")
		return nil
	}
	if err == nil {
		err = s.root.Remove(rootName(v))
	}
	if err != nil {
		s.reply(550, "Remove directory operation failed: "+fsReason(err)+".")
		return nil
	}
	s.reply(250, "Remove directory operation successful.")
	return nil
}

func (s *session) cmdMKD(arg string) error {
	v := resolvePath(s.cwd, arg)
	if !s.canWrite(v) || v == "/" {
		s.reply(550, "Permission denied.")
		return nil
	}
	if err := s.root.Mkdir(rootName(v), 0o755); err != nil {
		s.reply(550, "Create directory operation failed: "+fsReason(err)+".")
		return nil
	}
	s.reply(257, quotePath(v)+" created.")
	return nil
}

func (s *session) cmdPWD(string) error {
	s.reply(257, quotePath(s.cwd)+" is the current directory.")
	return nil
}

func (s *session) cmdSYST(string) error {
	s.reply(215, "UNIX Type: L8")
	return nil
}

func (s *session) cmdNOOP(string) error {
	s.reply(200, "NOOP ok.")
	return nil
}

func (s *session) cmdSITE(arg string) error {
	sub, rest, _ := strings.Cut(strings.TrimSpace(arg), " ")
	switch strings.ToUpper(sub) {
	case "HELP":
		s.replyLines(214, "SITE commands recognized:", []string{"HELP", "CHMOD <octal mode> <pathname>"}, "End of SITE help.")
	case "CHMOD":
		mode, p, _ := strings.Cut(strings.TrimSpace(rest), " ")
		m, err := strconv.ParseUint(mode, 8, 32)
		if err != nil || m > 0o777 || p == "" {
			s.reply(501, "Syntax error: SITE CHMOD <octal mode> <pathname>.")
			return nil
		}
		if s.user == nil {
			s.reply(530, "Please login with USER and PASS.")
			return nil
		}
		v := resolvePath(s.cwd, p)
		if !s.canWrite(v) {
			s.reply(550, "Permission denied.")
			return nil
		}
		if err := s.root.Chmod(rootName(v), fs.FileMode(m)); err != nil {
			s.reply(550, "SITE CHMOD failed: "+fsReason(err)+".")
			return nil
		}
		s.reply(200, "SITE CHMOD command ok.")
	default:
		s.reply(504, "SITE "+sanitize(sub)+" not implemented.")
	}
	return nil
}

func (s *session) cmdHELP(arg string) error {
	if arg = strings.ToUpper(strings.TrimSpace(arg)); arg != "" {
		c, ok := s.srv.commands[arg]
		if !ok {
			s.reply(501, "Unknown command "+sanitize(arg)+".")
			return nil
		}
		s.reply(214, "Syntax: "+c.help+" ("+c.rfc+").")
		return nil
	}
	verbs := make([]string, 0, len(s.srv.commands))
	for v := range s.srv.commands {
		verbs = append(verbs, v)
	}
	slices.Sort(verbs)
	var rows []string
	for i := 0; i < len(verbs); i += 10 {
		rows = append(rows, strings.Join(verbs[i:min(i+10, len(verbs))], " "))
	}
	s.replyLines(214, "The following commands are recognized.", rows, "Help OK.")
	return nil
}

func (s *session) cmdSTAT(arg string) error {
	if x := s.runningTransfer(); x != nil && strings.TrimSpace(arg) == "" {
		s.reply(213, fmt.Sprintf("Status: %s of %s, %d bytes transferred.", x.verb, sanitize(x.name), x.progress()))
		return nil
	}
	s.settle()
	if strings.TrimSpace(arg) == "" {
		lines := []string{"Connected from " + s.remote.String()}
		if s.user != nil {
			lines = append(lines, "Logged in as "+sanitize(s.user.Name))
		} else {
			lines = append(lines, "Not logged in")
		}
		typ := "BINARY"
		if s.ascii {
			typ = "ASCII"
		}
		lines = append(lines, "TYPE: "+typ+", STRU: File, MODE: Stream")
		if s.tls != nil {
			prot := "Clear"
			if s.tls.protect {
				prot = "Private"
			}
			lines = append(lines, "Control connection protected by TLS; data protection: "+prot)
		}
		lines = append(lines, "No data connection")
		s.replyLines(211, "FTP server status:", lines, "End of status.")
		return nil
	}
	if s.user == nil {
		s.reply(530, "Please login with USER and PASS.")
		return nil
	}
	// RFC 959 §4.1.3: STAT with a pathname is LIST over the control connection.
	_, p := splitListArg(arg)
	listing, err := s.listing(resolvePath(s.cwd, p), listLong)
	if err != nil {
		s.reply(450, "STAT: "+fsReason(err)+".")
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(string(listing), "\r\n"), "\r\n")
	if len(listing) == 0 {
		lines = nil
	}
	s.replyLines(213, "Status of "+sanitize(p)+":", lines, "End of status.")
	return nil
}

// Features (RFC 2389).

// features is what FEAT lists: only extensions this server implements, as configured.
func (s *session) features() []string {
	var f []string
	if s.srv.tlsBase != nil {
		f = append(f, "AUTH TLS")
	}
	f = append(f, "EPRT", "EPSV", "HOST", "LANG EN*", "MDTM", "MLST "+allFacts.feat(s.mlstFacts))
	if s.srv.tlsBase != nil {
		f = append(f, "PBSZ", "PROT")
	}
	return append(f, "REST STREAM", "SIZE", "TVFS", "UTF8")
}

func (s *session) cmdFEAT(arg string) error {
	if strings.TrimSpace(arg) != "" {
		s.reply(501, "FEAT takes no argument.") // RFC 2389 §3.2
		return nil
	}
	s.replyLines(211, "Features:", s.features(), "End")
	return nil
}

func (s *session) cmdOPTS(arg string) error {
	name, val, _ := strings.Cut(strings.TrimSpace(arg), " ")
	switch strings.ToUpper(name) {
	case "UTF8", "UTF-8":
		// Pathnames are passed through as bytes, so UTF-8 is always on (RFC 2640 §3.2).
		switch strings.ToUpper(strings.TrimSpace(val)) {
		case "ON", "":
			s.reply(200, "UTF8 mode is always on.")
		case "OFF":
			s.reply(504, "UTF8 mode cannot be switched off.")
		default:
			s.reply(501, "Syntax error: OPTS UTF8 ON.")
		}
	case "MLST":
		// RFC 3659 §7.9: select facts; unknown ones are ignored.
		s.mlstFacts = parseFacts(val)
		s.reply(200, "MLST OPTS "+s.mlstFacts.list())
	default:
		s.reply(501, "Option not understood.")
	}
	return nil
}

// RFC 2640 §4.1.
func (s *session) cmdLANG(arg string) error {
	switch l := strings.ToUpper(strings.TrimSpace(arg)); {
	case l != "" && !langTag.MatchString(l):
		// RFC 2640 §4.2: a malformed language tag is a syntax error in the argument.
		s.reply(501, "Syntax error in language tag.")
	case l == "" || l == "EN" || strings.HasPrefix(l, "EN-"):
		s.reply(200, "Language set to EN.")
	default:
		s.reply(504, "Language not supported.")
	}
	return nil
}

// langTag is RFC 1766's Language-Tag, which RFC 2640 §4.2's LANG takes: 1*8ALPHA *("-" 1*8ALPHA).
var langTag = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z]{1,8})*$`)

// RFC 7151 §3.
func (s *session) cmdHOST(arg string) error {
	if s.user != nil {
		s.reply(503, "HOST must come before login.")
		return nil
	}
	h, literal, ok := parseHostArg(arg)
	switch {
	case !ok:
		// Includes "HOST name:port": "the server-PI MUST respond with a 501 reply if the client
		// sends a HOST command with syntax like" that (RFC 7151 §3.1).
		s.reply(501, "Syntax error in hostname.")
		return nil
	case literal.IsValid() && literal != s.local && !s.isPublicIP(literal):
		// "if the IPv4 or IPv6 literal address specified by the client does not match the literal
		// address for the server, the server MUST respond with a 504 reply" (RFC 7151 §3.1).
		s.reply(504, "That address is not this server's.")
		return nil
	case s.sniMismatch(h):
		// "the server-PI MUST verify that the name in the HOST command matches the
		// "server_name" that is provided in the extended client hello" (RFC 7151 §4).
		s.reply(504, "HOST does not match the TLS server_name.")
		return nil
	case !literal.IsValid() && len(s.srv.hosts) > 0:
		if _, known := s.srv.hosts[h]; !known {
			s.reply(504, "Unknown virtual host.")
			return nil
		}
	}
	// Without configured virtual hosts every valid name reaches the one site; the session is then
	// exactly as without HOST.
	s.host = h
	s.pendingUser = ""
	s.reply(220, "Host accepted.")
	return nil
}

// sniMismatch reports whether the control connection's TLS handshake named a server other than h.
func (s *session) sniMismatch(h string) bool {
	if s.tls == nil || s.tls.conn == nil {
		return false
	}
	sni := s.tls.conn.ConnectionState().ServerName
	return sni != "" && !strings.EqualFold(strings.TrimSuffix(sni, "."), strings.TrimSuffix(h, "."))
}

func (s *session) isPublicIP(a netip.Addr) bool {
	p, err := netip.ParseAddr(s.srv.cfg.PublicIP)
	return err == nil && p.Unmap() == a
}

// parseHostArg parses RFC 7151 §3.1's hostname: a domain name of letters, digits and hyphens
// (labels neither starting nor ending with a hyphen), an IPv4 literal, or an IPv6 literal in
// brackets. The name comes back lower-cased; literal is set for address literals.
func parseHostArg(arg string) (name string, literal netip.Addr, ok bool) {
	h := strings.ToLower(strings.TrimSpace(arg))
	if inner, found := strings.CutPrefix(h, "["); found {
		inner, closed := strings.CutSuffix(inner, "]")
		a, err := netip.ParseAddr(inner)
		if !closed || err != nil || !a.Is6() || a.Zone() != "" {
			return "", netip.Addr{}, false
		}
		return h, a.Unmap(), true
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if !a.Is4() {
			return "", netip.Addr{}, false // IPv6 literals need brackets
		}
		return h, a, true
	}
	return h, netip.Addr{}, validHostname(h)
}

func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
				return false
			}
		}
	}
	return true
}

// RFC 3659 §3 and §4.

func (s *session) cmdSIZE(arg string) error {
	v := resolvePath(s.cwd, arg)
	info, err := s.stat(v)
	if err != nil || !info.Mode().IsRegular() {
		s.reply(550, "Could not get file size.")
		return nil
	}
	size := info.Size()
	if s.ascii {
		// RFC 3659 §4: the size as transferred in the current TYPE; with TYPE A each LF becomes CRLF.
		n, err := s.asciiSize(v, info.Size())
		if err != nil {
			s.reply(550, "SIZE not available in ASCII mode for this file: "+err.Error()+".")
			return nil
		}
		size = n
	}
	s.reply(213, strconv.FormatInt(size, 10))
	return nil
}

// maxASCIIScan bounds the work SIZE does in TYPE A (RFC 3659 §4.2 allows 550 when too costly).
const maxASCIIScan = 64 << 20

func (s *session) asciiSize(v string, size int64) (int64, error) {
	if size > maxASCIIScan {
		return 0, errors.New("too large to count line ends")
	}
	r, _, err := s.openRead(v)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	return countASCII(r)
}

func (s *session) cmdMDTM(arg string) error {
	v := resolvePath(s.cwd, arg)
	info, err := s.stat(v)
	if err != nil || !info.Mode().IsRegular() {
		s.reply(550, "Could not get file modification time.")
		return nil
	}
	s.reply(213, info.ModTime().UTC().Format("20060102150405"))
	return nil
}

func (s *session) cmdMLST(arg string) error {
	v := s.cwd
	if strings.TrimSpace(arg) != "" {
		v = resolvePath(s.cwd, arg)
	}
	info, err := s.stat(v)
	if err != nil {
		s.reply(550, "MLST: "+fsReason(err)+".")
		return nil
	}
	// RFC 3659 §7.2: the one fact line is sent after a single space; a directory is type=dir
	// (cdir is for the heading of an MLSD listing).
	line := s.facts(nil, info, v, false, v)
	s.replyLines(250, "Listing "+sanitize(v), []string{strings.TrimSuffix(string(line), "\r\n")}, "End")
	return nil
}

// TLS (RFC 4217).

func (s *session) cmdAUTH(arg string) error {
	if s.srv.tlsBase == nil {
		s.reply(502, "TLS is not enabled on this server.")
		return nil
	}
	switch strings.ToUpper(strings.TrimSpace(arg)) {
	case "TLS", "TLS-C", "SSL":
	default:
		s.reply(504, "AUTH mechanism not supported: use AUTH TLS.")
		return nil
	}
	if s.tls != nil {
		s.reply(503, "Already using TLS.")
		return nil
	}
	s.reply(234, "Proceed with TLS negotiation.")
	if err := s.startTLS(); err != nil {
		s.srv.log.Debug("AUTH TLS handshake", "remote", s.remote, "err", err)
		return errQuit
	}
	// RFC 4217 §4: the user must log in again and transfer parameters are reset.
	s.reset()
	return nil
}

func (s *session) cmdPBSZ(arg string) error {
	if s.tls == nil {
		s.reply(503, "PBSZ needs AUTH TLS first.")
		return nil
	}
	// RFC 4217 §8: the size is 0 for TLS; a larger request is answered with PBSZ=0.
	if _, err := strconv.ParseUint(strings.TrimSpace(arg), 10, 32); err != nil {
		s.reply(501, "Syntax error: PBSZ 0.")
		return nil
	}
	s.tls.pbsz = true
	if strings.TrimSpace(arg) != "0" {
		s.reply(200, "PBSZ=0")
		return nil
	}
	s.reply(200, "PBSZ 0 ok.")
	return nil
}

func (s *session) cmdPROT(arg string) error {
	if s.tls == nil || !s.tls.pbsz && !s.implicit {
		s.reply(503, "PROT needs AUTH TLS and PBSZ first.")
		return nil
	}
	switch strings.ToUpper(strings.TrimSpace(arg)) {
	case "C":
		s.tls.protect = false
		s.reply(200, "Data protection level set to Clear.")
	case "P":
		s.tls.protect = true
		s.reply(200, "Data protection level set to Private.")
	case "S", "E":
		s.reply(536, "Requested PROT level not supported by mechanism.")
	default:
		s.reply(504, "Unknown PROT level.")
	}
	return nil
}

// cmdCCC refuses to clear the control connection (RFC 4217 §5 and §15.3: it would expose the rest
// of the session).
func (s *session) cmdCCC(string) error {
	if s.tls == nil {
		s.reply(533, "Command protection level denied for policy reasons: the connection is not protected.")
		return nil
	}
	s.reply(534, "Request denied for policy reasons: CCC is not allowed.")
	return nil
}

// File access helpers.

// canWrite reports whether the session may change v.
func (s *session) canWrite(v string) bool {
	k, _, _ := parseSynthetic(v)
	return s.write && k == notSynthetic
}

// stat describes v, synthetic or real.
func (s *session) stat(v string) (fs.FileInfo, error) {
	switch k, name, size := parseSynthetic(v); k {
	case synthDir:
		return synthInfo{name: path.Base(v), dir: true}, nil
	case synthFileKind:
		return synthInfo{name: name, size: size}, nil
	case synthInvalid:
		return nil, fs.ErrNotExist
	}
	return s.root.Stat(rootName(v))
}

// openRead opens v for reading; synthetic files come from internal/payload.
func (s *session) openRead(v string) (io.ReadSeekCloser, fs.FileInfo, error) {
	switch k, name, size := parseSynthetic(v); k {
	case synthFileKind:
		return s.srv.syntheticFile(name, size), synthInfo{name: name, size: size}, nil
	case synthDir:
		return nil, nil, errors.New("not a plain file")
	case synthInvalid:
		return nil, nil, fs.ErrNotExist
	}
	f, err := s.root.Open(rootName(v))
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = errors.New("not a plain file")
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// fsReason turns a file system error into a short reason for a reply, without leaking the
// server's real paths.
func fsReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrExist):
		return "file exists"
	case errors.Is(err, fs.ErrPermission), errors.Is(err, errReadOnly):
		return "permission denied"
	case errors.Is(err, errRestartPastEnd):
		return err.Error()
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return "operation failed"
}
