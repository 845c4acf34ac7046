package suites

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
)

// RFC 959: the control connection, reply syntax, login and logout.
func rfc959Session() []Case {
	return []Case{
		{
			ID: "rfc959/5.4/greeting", RFC: "959", Section: "5.4", Level: Must,
			Title:       "the server greets a new connection with 220 (or 120 then 220)",
			Requirement: `Under normal circumstances, a server will send a 220 reply, "awaiting input", when the connection is completed.`,
			Tags:        []string{"connection"},
			Run: func(ctx context.Context, env *Env) error {
				c, greet, err := env.Dial(ctx)
				if err != nil {
					return err
				}
				defer c.Close()
				if greet.Code == 421 {
					return fmt.Errorf("the server refused the connection: %s", quote(greet))
				}
				return want(greet, "a new connection", 220)
			},
		},
		{
			ID: "rfc959/4.2/multiline-reply", RFC: "959", Section: "4.2", Level: Must,
			Title:       "multi-line replies start with \"ddd-\" and end with the same code and a space",
			Requirement: `The last line will begin with the same code, followed immediately by Space <SP>, optionally some text, and the Telnet end-of-line code.`,
			Tags:        []string{"reply-syntax"},
			Run: func(ctx context.Context, env *Env) error {
				rs, err := sampleReplies(ctx, env)
				if err != nil {
					return err
				}
				seen := 0
				for _, r := range rs {
					if !r.Multiline() {
						continue
					}
					seen++
					for _, p := range r.Problems {
						if p == ftpwire.ProblemFinalNoSpace || p == ftpwire.ProblemUnterminated {
							return Violatef("a final line \"ddd text\" with the first line's code", "%s: %s", quote(r), p)
						}
					}
				}
				if seen == 0 {
					return Skipf("no multi-line reply seen (greeting, HELP, FEAT, STAT)")
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.2/multiline-padding", RFC: "959", Section: "4.2", Level: Must,
			Title:       "intermediary lines of a multi-line reply never look like a final line",
			Requirement: `If an intermediary line begins with a 3-digit number, the Server must pad the front  to avoid confusion.`,
			Tags:        []string{"reply-syntax"},
			Run: func(ctx context.Context, env *Env) error {
				rs, err := sampleReplies(ctx, env)
				if err != nil {
					return err
				}
				for _, r := range rs {
					ls := r.Lines()
					for _, l := range ls[1:max(1, len(ls)-1)] {
						if len(l) >= 4 && allDigits(l[:3]) && l[3] == ' ' {
							return Violatef("intermediary lines padded so they cannot be taken for \"ddd \"", "line %q in %s", l, quote(r))
						}
					}
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.2/every-command-replied", RFC: "959", Section: "4.2", Level: Must,
			Title:       "every command, even a malformed one, gets a reply",
			Requirement: `Every command must generate at least one reply, although there may be more than one; in the latter case, the multiple replies must be easily distinguished.`,
			Tags:        []string{"reply-syntax"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				for _, line := range []string{"XYZZY", "TYPE", "MODE", "CWD", "RETR", "PORT 1,2", "NOOP extra-argument", "SIZE"} {
					if err := c.Send(ctx, line); err != nil {
						return err
					}
					r, err := c.awaitReply(ctx, line, silenceWait)
					if err != nil {
						return err
					}
					if r.Code == 421 {
						return nil // the server may close on abuse; it did reply
					}
				}
				return nil
			},
		},
		{
			ID: "rfc959/5.4/unknown-command", RFC: "959", Section: "5.4", Level: Must,
			Title:       "an unknown command is refused (500, or 502)",
			Requirement: `These must be strictly adhered to; a server may substitute text in the replies, but the meaning and action implied by the code numbers and by the specific command reply sequence cannot be altered.`,
			Tags:        []string{"reply-codes"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "XQZW")
				if err != nil {
					return err
				}
				switch {
				case r.Code == 500 || r.Code == 502:
					return nil
				case r.Class() == 5 || r.Class() == 4:
					// Negative, as it must be, but not the code RFC 959 assigns: RFC 1123 §4.1.2.11
					// lets a server use another code of the right class.
					return (&Violation{Expected: []string{"500 (command unrecognized) or 502"}, Actual: quote(r)}).Downgrade(Should)
				}
				return &Violation{Expected: []string{"500 (command unrecognized) or 502"}, Actual: quote(r) + ", a positive reply to a command the server cannot know"}
			},
		},
		{
			ID: "rfc959/5.3/commands-case-insensitive", RFC: "959", Section: "5.3", Level: Must,
			Title:       "command verbs are case-insensitive",
			Requirement: `Upper and lower case alphabetic characters are to be treated identically.`,
			Tags:        []string{"syntax"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				for _, pair := range [][2]string{{"NOOP", "noop"}, {"PWD", "pWd"}, {"SYST", "Syst"}} {
					a, err := c.Cmd(ctx, pair[0])
					if err != nil {
						return err
					}
					b, err := c.Cmd(ctx, pair[1])
					if err != nil {
						return err
					}
					if a.Code != b.Code {
						return Violatef(fmt.Sprintf("%q answered like %q (%d)", pair[1], pair[0], a.Code), "%s", quote(b))
					}
				}
				return nil
			},
		},
		{
			ID: "rfc959/5.3/parameters-case-insensitive", RFC: "959", Section: "5.3", Level: Must,
			Title:       "parameter symbols such as the TYPE code are case-insensitive",
			Requirement: `This also applies to any symbols representing parameter values, such as A or a for ASCII TYPE.`,
			Tags:        []string{"syntax"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				for _, line := range []string{"type a", "type i", "mode s", "stru f"} {
					if _, err := c.Expect(ctx, line, 200); err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.3/noop", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "NOOP gets an OK reply",
			Requirement: `It specifies no action other than that the server send an OK reply.`,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "NOOP", 200)
				return err
			},
		},
		{
			ID: "rfc959/4.1.1/quit-closes", RFC: "959", Section: "4.1.1", Level: Must,
			Title:       "QUIT is answered with 221 and the server closes the control connection",
			Requirement: `This command terminates a USER and if file transfer is not in progress, the server closes the control connection.`,
			Tags:        []string{"connection"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				if _, err := c.Expect(ctx, "QUIT", 221); err != nil {
					return err
				}
				return expectClosed(ctx, c, "after 221 to QUIT")
			},
		},
		{
			ID: "rfc959/4.1.1/login-required", RFC: "959", Section: "4.1.1", Level: Must,
			Title:       "file-system commands are refused before login",
			Requirement: `The user identification is that which is required by the server for access to its file system.`,
			Tags:        []string{"login", "security"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				for _, cmd := range []string{"CWD /", "MKD " + env.Name("x"), "DELE " + env.Name("x"), "RNFR " + env.Name("x")} {
					r, err := c.Cmd(ctx, cmd)
					if err != nil {
						return err
					}
					if r.Code == 421 {
						return nil
					}
					if !refused(r) {
						return Violatef("530 (not logged in) to "+verbOf(cmd)+" before login", "%s", quote(r))
					}
					if r.Code != 530 && r.Code != 503 {
						c.env.Note("%s before login answered %d; 530 is the code RFC 959 assigns", verbOf(cmd), r.Code)
					}
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.1/pass-needs-user", RFC: "959", Section: "4.1.1", Level: Must,
			Title:       "PASS without a preceding USER is refused (503 or 530)",
			Requirement: `This command must be immediately preceded by the user name command, and, for some sites, completes the user's identification for access control.`,
			Tags:        []string{"login"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PASS "+env.Target.Password)
				if err != nil {
					return err
				}
				switch {
				case r.Code == 503 || r.Code == 530:
					return nil
				case r.Code == 500 || r.Code == 501 || r.Code == 421:
					return nil // also in PASS's row of the §5.4 table
				case refused(r):
					return (&Violation{Expected: []string{"503 (bad sequence) or 530"}, Actual: quote(r)}).Downgrade(Should)
				}
				return Violatef("503 (bad sequence) or 530", "%s: PASS accepted without USER", quote(r))
			},
		},
		{
			ID: "rfc959/5.4/login-sequence", RFC: "959", Section: "5.4", Level: Must,
			Title:       "USER and PASS follow the login sequence of the §5.4 table",
			Requirement: `The table below lists alternative success and failure replies for each command.`,
			Tags:        []string{"login"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "USER "+env.Target.User)
				if err != nil {
					return err
				}
				if err := want(r, "USER for a valid user", 230, 331, 332); err != nil {
					return err
				}
				if r.Code == 331 {
					if r, err = c.Cmd(ctx, "PASS "+env.Target.Password); err != nil {
						return err
					}
					return want(r, "PASS with the right password", 230, 202, 332)
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.1/bad-password-refused", RFC: "959", Section: "4.1.1", Level: Must,
			Title:       "a wrong password does not log in (530)",
			Requirement: `The user identification is that which is required by the server for access to its file system.`,
			Tags:        []string{"login", "security"},
			Run: func(ctx context.Context, env *Env) error {
				if env.Target.Anonymous() {
					return Skipf("anonymous logins accept any password")
				}
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "USER "+env.Target.User)
				if err != nil {
					return err
				}
				if r.Code != 331 {
					return Skipf("USER answered %s, no password step", quote(r))
				}
				if r, err = c.Cmd(ctx, "PASS "+env.Target.Password+"-wrong"); err != nil {
					return err
				}
				if r.Class() == 2 || r.Class() == 3 {
					return Violatef("530 to a wrong password", "%s", quote(r))
				}
				if r.Code != 530 && r.Code != 421 {
					return (&Violation{Expected: []string{"530 to a wrong password"}, Actual: quote(r)}).Downgrade(Should)
				}
				// The refusal must be real: a file-system command still needs a login.
				if r.Code == 530 {
					r2, err := c.Cmd(ctx, "CWD /")
					if err != nil {
						return nil // closed after the failure: fine
					}
					if r2.Class() == 2 {
						return Violatef("no access after a wrong password", "CWD / answered %s", quote(r2))
					}
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.3/help", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "HELP is answered with 211 or 214",
			Requirement: `The reply is type 211 or 214.`,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "HELP", 211, 214)
				return err
			},
		},
		{
			ID: "rfc959/4.1.3/help-before-login", RFC: "959", Section: "4.1.3", Level: Should,
			Title:       "HELP works before USER",
			Requirement: `It is suggested that HELP be allowed before entering a USER command.`,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "HELP", 211, 214)
				return err
			},
		},
		{
			ID: "rfc959/4.1.3/syst", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "SYST answers 215 with a system name as the first word",
			Requirement: `The reply shall have as its first word one of the system names listed in the current version of the Assigned Numbers document [4].`,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Expect(ctx, "SYST", 215)
				if err != nil {
					return err
				}
				word, _, _ := strings.Cut(strings.TrimSpace(r.Text()), " ")
				if word == "" || strings.ContainsFunc(word, func(r rune) bool {
					return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./", r))
				}) {
					return Violatef("a system name (UNIX, WINDOWS-NT, …) as the first word", "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.3/stat-general", RFC: "959", Section: "4.1.3", Level: Should,
			Title:       "STAT without an argument returns general status",
			Requirement: `If no argument is given, the server should return general status information about the server FTP process.`,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "STAT", 211, 212, 213)
				return err
			},
		},
		{
			ID: "rfc959/4.1.3/stat-over-control", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "STAT with a pathname answers over the control connection",
			Requirement: `This command shall cause a status response to be sent over the control connection in the form of a reply.`,
			Needs:       []Feature{NeedWrite},
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := loginAndFile(ctx, env, "f", 100)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "STAT "+name)
				if err != nil {
					return err
				}
				switch {
				case r.Code == 211 || r.Code == 212 || r.Code == 213:
					return nil
				case r.Code == 450 || r.Code == 500 || r.Code == 501 || r.Code == 502 || r.Code == 504:
					return Unsupportedf("STAT with a pathname: %s", quote(r))
				}
				return want(r, "STAT <file>", 211, 212, 213)
			},
		},
	}
}

// sampleReplies collects the multi-line-prone replies of one session: greeting, HELP, FEAT, STAT.
func sampleReplies(ctx context.Context, env *Env) ([]ftpwire.Reply, error) {
	c, greet, err := env.Dial(ctx)
	if err != nil {
		return nil, err
	}
	out := []ftpwire.Reply{greet}
	if greet.Code != 220 {
		return out, nil
	}
	for _, cmd := range []string{"HELP", "FEAT"} {
		r, err := c.Cmd(ctx, cmd)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	c.Close()
	lc, err := env.Login(ctx)
	if err != nil {
		return nil, err
	}
	for _, cmd := range []string{"STAT", "HELP", "FEAT", "SYST", "PWD"} {
		r, err := lc.Cmd(ctx, cmd)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// expectClosed waits for the server to close c (EOF) within 3 seconds.
func expectClosed(ctx context.Context, c *Ctrl, when string) error {
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	r, err := c.ReadReply(cctx)
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return Violatef("the server closes the control connection "+when, "still open after 3s")
	case err != nil:
		return nil // reset: closed too
	}
	return Violatef("the server closes the control connection "+when, "it sent %s", quote(r))
}
