package suites

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
)

// The engine's evidence about the server, gathered across every case of a run: which commands
// the server implements (so a 500 to a bad argument of a working command is never read as "not
// implemented"), and what the transcripts showed that no single case asked about (replies nobody
// asked for, lines that are not replies, codes no RFC defines). Ctrl.Cmd and Ctrl.ReadReply feed
// it; the audit cases grade it after every other case has run.

// unsolicitedWait is how long Ctrl.Cmd looks for bytes already waiting before it sends a command.
// Bytes that were sent before the command was written are there by now; a longer wait would only
// slow every command down.
const unsolicitedWait = 2 * time.Millisecond

// Finding kinds the transcript audit collects.
const (
	findUnsolicited = "unsolicited"
	findNotReply    = "not-a-reply"
	findUndefined   = "undefined-code"
)

// finding is one observation of the transcript audit.
type finding struct {
	kind   string
	caseID string
	mode   string
	conn   string
	before string // the command the unsolicited reply arrived before, or the command replied to
	reply  string
}

func (f finding) String() string {
	mode := ""
	if f.mode != "" && f.mode != ModeNone {
		mode = " [" + f.mode + "]"
	}
	switch f.kind {
	case findUnsolicited:
		return fmt.Sprintf("%s%s, %s: %q arrived before %s was sent", f.caseID, mode, f.conn, f.reply, f.before)
	default:
		what := "reply"
		if f.before != "" {
			what = "reply to " + f.before
		}
		return fmt.Sprintf("%s%s, %s: %s %q", f.caseID, mode, f.conn, what, f.reply)
	}
}

// evidence is the run's knowledge about the server, shared by its cases.
type evidence struct {
	mu       sync.Mutex
	commands map[string]string // verb → how the run knows the server implements it
	findings []finding
}

// implemented looks the evidence up for verb in a control-connection mode: what FEAT advertises
// holds in every mode; what was used successfully holds in the mode it was used in (a server may
// refuse REIN on an implicit TLS connection and offer it on a plain one).
func (ev *evidence) implemented(mode, verb string) (string, bool) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	verb = strings.ToUpper(verb)
	if how, ok := ev.commands[mode+" "+verb]; ok {
		return how, true
	}
	how, ok := ev.commands[" "+verb]
	return how, ok
}

// noteImplemented records evidence for verb in mode ("" for every mode).
func (ev *evidence) noteImplemented(mode, verb, how string) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.commands == nil {
		ev.commands = map[string]string{}
	}
	k := mode + " " + strings.ToUpper(verb)
	if _, ok := ev.commands[k]; !ok {
		ev.commands[k] = how
	}
}

func (ev *evidence) add(f finding) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.findings = append(ev.findings, f)
}

func (ev *evidence) of(kind string) []finding {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	var out []finding
	for _, f := range ev.findings {
		if f.kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// snapshot is the evidence for the profile: verb → how, with the mode named when the evidence
// holds in one mode only.
func (ev *evidence) snapshot() map[string]string {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.commands) == 0 {
		return nil
	}
	out := make(map[string]string, len(ev.commands))
	for k, v := range ev.commands {
		mode, verb, _ := strings.Cut(k, " ")
		if mode == "" {
			out[verb] = v
		} else if _, ok := ev.commands[" "+verb]; !ok {
			if prev, ok := out[verb]; ok {
				v = prev + "; " + v
			}
			out[verb] = v + " [" + mode + "]"
		}
	}
	return out
}

// featVerbs maps a FEAT label to the commands it advertises (RFC 2389 §3: a feature name is,
// mostly, the command's own name).
func featVerbs(label string) []string {
	switch label {
	case "MLST":
		return []string{"MLST", "MLSD"}
	case "UTF8", "LANG", "AUTH", "PBSZ", "PROT":
		// UTF8 is a feature, not a command (OPTS UTF8 is shown by use); LANG and the security
		// commands are shown by use too, in the session state their RFC describes.
		if label == "UTF8" {
			return nil
		}
		return []string{label}
	case "REST":
		return []string{"REST"}
	case "TVFS":
		return nil
	}
	return []string{label}
}

// malformed reports why a reply is not a reply by RFC 959 §4.2's grammar, or "". Telnet option
// negotiation bytes (IAC …) before a reply are Telnet, not FTP, and are not held against it.
func malformed(r ftpwire.Reply) string {
	if strings.HasPrefix(r.Raw, "\xff") {
		return ""
	}
	for _, p := range r.Problems {
		switch p {
		case ftpwire.ProblemMissingCode, ftpwire.ProblemBadFirstDigit, ftpwire.ProblemNoSeparator,
			ftpwire.ProblemFinalNoSpace, ftpwire.ProblemBareLF:
			return p
		}
	}
	return ""
}

// observe feeds one reply to the run's evidence: a command that got a positive reply is
// implemented; a reply that is not one, or carries a code no RFC defines, is a finding.
func (c *Ctrl) observe(line string, r ftpwire.Reply, err error) {
	if err != nil || r.Raw == "" {
		c.quiet = false
		return
	}
	c.quiet = r.Class() != 1
	s := c.env.state
	if s == nil {
		return
	}
	verb := ""
	if line != "" {
		verb = verbOf(line)
	}
	if verb != "" && r.Code != 202 && r.Class() >= 1 && r.Class() <= 3 {
		s.ev.noteImplemented(c.env.Mode, verb, fmt.Sprintf("used successfully (%s answered %d in %s)", redact(line), r.Code, c.env.caseID))
	}
	before := ""
	if verb != "" {
		before = redact(line)
	}
	if why := malformed(r); why != "" {
		c.env.Note("%s: not a reply by RFC 959 §4.2's grammar: %s", c.Name(), why)
		s.ev.add(finding{kind: findNotReply, caseID: c.env.caseID, mode: c.env.Mode, conn: c.Name(), before: before, reply: trimReply(r.Raw)})
	} else if r.Code != 0 && !slices.Contains(definedCodes(), r.Code) {
		s.ev.add(finding{kind: findUndefined, caseID: c.env.caseID, mode: c.env.Mode, conn: c.Name(), before: before, reply: trimReply(r.Raw)})
	}
}

func trimReply(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// Cmd sends line and reads one reply. Before it sends, it looks for replies already waiting: a
// reply nobody asked for is recorded as a finding and consumed, so that the command is paired
// with its own reply, not with the stray one.
func (c *Ctrl) Cmd(ctx context.Context, line string) (ftpwire.Reply, error) {
	c.drainUnsolicited(ctx, line)
	r, err := c.Conn.Cmd(ctx, line)
	c.observe(line, r, err)
	return r, err
}

// ReadReply reads one reply (to a command sent with Send or SendRaw, or a final reply after a
// 1yz) and feeds it to the run's evidence.
func (c *Ctrl) ReadReply(ctx context.Context) (ftpwire.Reply, error) {
	r, err := c.Conn.ReadReply(ctx)
	c.observe("", r, err)
	return r, err
}

// Send writes a command without reading its reply: the case pairs replies itself from here on.
func (c *Ctrl) Send(ctx context.Context, line string) error {
	c.quiet = false
	return c.Conn.Send(ctx, line)
}

// SendRaw writes bytes exactly as given; the case pairs replies itself from here on.
func (c *Ctrl) SendRaw(ctx context.Context, b []byte) error {
	c.quiet = false
	return c.Conn.SendRaw(ctx, b)
}

// drainUnsolicited consumes the replies waiting on a quiet connection (every command sent has had
// its final reply) before line is sent.
func (c *Ctrl) drainUnsolicited(ctx context.Context, line string) {
	if !c.quiet {
		return
	}
	for i := 0; i < 4; i++ {
		waiting, err := c.Conn.Waiting(ctx, unsolicitedWait)
		if err != nil || !waiting {
			return
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		r, err := c.Conn.ReadReply(rctx)
		cancel()
		if r.Raw == "" {
			return
		}
		c.env.tr.Note(c.Name(), fmt.Sprintf("unsolicited reply: %q arrived before %s was sent; it is not paired with %s", strings.TrimSpace(r.Raw), redact(line), verbOf(line)))
		if s := c.env.state; s != nil {
			s.ev.add(finding{kind: findUnsolicited, caseID: c.env.caseID, mode: c.env.Mode, conn: c.Name(), before: redact(line), reply: trimReply(r.Raw)})
		}
		if err != nil {
			return
		}
	}
}

// Implemented reports whether the run has evidence that the server implements verb (advertised
// in FEAT, or used successfully), and which.
func (e *Env) Implemented(verb string) (string, bool) {
	if e.state == nil {
		return "", false
	}
	return e.state.ev.implemented(e.Mode, verb)
}

// unsupportedIfUnknown turns a 500/502 reply into ErrUnsupported for an optional command the run
// has no evidence of: a server that advertises verb in FEAT or has used it successfully
// implements it, and its 500 to a bad argument is a refusal for the case to grade.
func (c *Ctrl) unsupportedIfUnknown(r ftpwire.Reply, verb string) error {
	if !notImplemented(r) {
		return nil
	}
	if how, ok := c.env.Implemented(verb); ok {
		c.env.Note("%s answered %d, but the server implements %s (%s): graded as a refusal, not as unsupported", verb, r.Code, verb, how)
		return nil
	}
	return Unsupportedf("%s: %s", verb, quote(r))
}

// auditCase grades what every other case's transcripts showed of one finding kind.
func auditCase(kind string, min int) func(ctx context.Context, env *Env) error {
	return func(ctx context.Context, env *Env) error {
		s := env.state
		if s == nil || s.ran() < min {
			return Skipf("the transcript audit needs other cases to have run in this run")
		}
		fs := s.ev.of(kind)
		if len(fs) == 0 {
			env.Note("%d transcripts audited: nothing found", s.ran())
			return nil
		}
		sort.SliceStable(fs, func(i, j int) bool { return fs[i].caseID < fs[j].caseID })
		var shown []string
		for i, f := range fs {
			env.Note("%s", f.String())
			if i < 5 {
				shown = append(shown, f.String())
			}
		}
		more := ""
		if len(fs) > len(shown) {
			more = fmt.Sprintf(" (and %d more, listed in the transcript)", len(fs)-len(shown))
		}
		switch kind {
		case findUnsolicited:
			return Violatef("no reply the client did not ask for", "%d unsolicited repl%s: %s%s", len(fs), plural(len(fs), "y", "ies"), strings.Join(shown, "; "), more)
		case findNotReply:
			return Violatef("only replies by RFC 959 §4.2's grammar", "%d malformed repl%s: %s%s", len(fs), plural(len(fs), "y", "ies"), strings.Join(shown, "; "), more)
		default:
			codes := map[string]bool{}
			for _, f := range fs {
				codes[f.reply[:min3(len(f.reply))]] = true
			}
			var cs []string
			for k := range codes {
				cs = append(cs, k)
			}
			slices.Sort(cs)
			return Violatef("reply codes RFC 959 (or the extension in use) defines", "code(s) %s: %s%s", strings.Join(cs, ", "), strings.Join(shown, "; "), more)
		}
	}
}

func min3(n int) int { return min(n, 3) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// auditCases grade the transcripts of the whole run. They run after every other case.
func auditCases() []Case {
	return []Case{
		{
			ID: "rfc959/5.4/no-unsolicited-replies", RFC: "959", Section: "5.4", Level: Should,
			Title:       "the server sends no unsolicited replies (audited over every transcript of the run)",
			Requirement: `There is no provision in FTP for such spontaneous information to be sent from the server to the user. It is recommended that such information be queued in the server-PI and delivered to the user-PI in the next reply (possibly making it a multi-line reply).`,
			Tags:        []string{"syntax", "audit"}, Audit: true,
			Run: auditCase(findUnsolicited, 1),
		},
		{
			ID: "rfc1123/4.1.2.11/transcript-replies-well-formed", RFC: "1123", Section: "4.1.2.11", Level: Must,
			Title:       "every line the server sends belongs to a well-formed reply (audited over every transcript of the run)",
			Requirement: `A Server-FTP MUST send only correctly formatted replies on the control connection.`,
			Tags:        []string{"syntax", "audit"}, Audit: true,
			Run: auditCase(findNotReply, 1),
		},
		{
			ID: "rfc1123/4.1.2.11/defined-reply-codes", RFC: "1123", Section: "4.1.2.11", Level: Should,
			Title:       "reply codes are ones RFC 959 or the extension in use defines (audited over every transcript of the run)",
			Requirement: `A Server-FTP SHOULD use the reply codes defined in RFC-959 whenever they apply.`,
			Tags:        []string{"syntax", "audit"}, Audit: true,
			Run: auditCase(findUndefined, 1),
		},
	}
}

// silenceWait is how long awaitReply waits for a reply before it confirms the silence.
const silenceWait = 5 * time.Second

// awaitReply reads the reply to a command already sent (what names it). Silence is the server's
// failure, not the harness's (RFC 959 §4.2: "Every command must generate at least one reply"), but
// only once it is confirmed: after wait with no reply, NOOP is sent. Two replies then mean the
// first was merely late (it is returned); a reply to NOOP alone, or no reply at all, is a
// *Violation. A connection the server closed is returned as the error it is.
func (c *Ctrl) awaitReply(ctx context.Context, what string, wait time.Duration) (ftpwire.Reply, error) {
	rctx, cancel := context.WithTimeout(ctx, wait)
	r, err := c.ReadReply(rctx)
	cancel()
	if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) || r.Raw != "" {
		return r, err
	}
	c.env.Note("no reply to %s within %s: sending NOOP to confirm the silence", what, wait)
	if err := c.Conn.Send(ctx, "NOOP"); err != nil {
		return r, err
	}
	pctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	first, err := c.ReadReply(pctx)
	if err != nil {
		if ctx.Err() != nil {
			return first, err
		}
		return first, &Violation{Expected: []string{"a reply to " + what},
			Actual: fmt.Sprintf("no reply to %s within %s, nor to a NOOP sent after it (%v)", what, wait, err)}
	}
	lctx, cancel2 := context.WithTimeout(ctx, time.Second)
	second, err := c.ReadReply(lctx)
	cancel2()
	if err == nil {
		c.env.Note("the reply to %s came late (after more than %s); %s answered the NOOP", what, wait, quote(second))
		return first, nil
	}
	return first, &Violation{Expected: []string{"a reply to " + what},
		Actual: fmt.Sprintf("no reply to %s; a NOOP sent %s later was answered %s, so the server was listening and ignored the command", what, wait, quote(first))}
}
