package suites

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
)

// RFC 1123 §4.1: the corrections and additions to RFC 959.
func rfc1123Cases() []Case {
	out := []Case{
		{
			ID: "rfc1123/4.1.2.11/replies-well-formed", RFC: "1123", Section: "4.1.2.11", Level: Must,
			Title:       "every reply is well formed: code, space or hyphen, text, CRLF",
			Requirement: `A Server-FTP MUST send only correctly formatted replies on the control connection.`,
			Tags:        []string{"reply-syntax"},
			Run: func(ctx context.Context, env *Env) error {
				rs, err := sampleReplies(ctx, env)
				if err != nil {
					return err
				}
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				for _, line := range []string{"NOOP", "TYPE I", "MODE S", "STRU F", "XQZW", "CWD " + env.Name("missing"), "PASV", "ABOR"} {
					r, err := c.Cmd(ctx, line)
					if err != nil {
						return err
					}
					rs = append(rs, r)
				}
				for _, r := range rs {
					if len(r.Problems) > 0 {
						return Violatef("correctly formatted replies (RFC 959 §4.2)", "%s: %s", quote(r), strings.Join(r.Problems, "; "))
					}
				}
				return nil
			},
		},
		{
			ID: "rfc1123/4.1.2.10/command-split-across-reads", RFC: "1123", Section: "4.1.2.10", Level: Must,
			Title:       "a command that arrives in pieces is executed once its CRLF arrives",
			Requirement: `Implementors MUST NOT assume any correspondence between READ boundaries on the control connection and the Telnet EOL sequences (CR LF).`,
			Tags:        []string{"syntax"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				for _, part := range []string{"NO", "O", "P\r", "\n"} {
					if err := c.SendRaw(ctx, []byte(part)); err != nil {
						return err
					}
					time.Sleep(60 * time.Millisecond)
				}
				r, err := c.awaitReply(ctx, `NOOP sent in four writes`, silenceWait)
				if err != nil {
					return err
				}
				return want(r, `"NO" "O" "P\r" "\n" sent in four writes`, 200)
			},
		},
		{
			ID: "rfc1123/4.1.2.10/two-commands-one-read", RFC: "1123", Section: "4.1.2.10", Level: Must,
			Title:       "two commands in one segment are both executed, in order",
			Requirement: `Implementors MUST NOT assume any correspondence between READ boundaries on the control connection and the Telnet EOL sequences (CR LF).`,
			Tags:        []string{"syntax"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				if err := c.SendRaw(ctx, []byte("NOOP\r\nPWD\r\n")); err != nil {
					return err
				}
				r1, err := c.ReadReply(ctx)
				if err != nil {
					return err
				}
				r2, err := c.ReadReply(ctx)
				if err != nil {
					return Violatef("a reply to each of NOOP and PWD", "%s, then %v", quote(r1), err)
				}
				if r1.Code != 200 || r2.Code != 257 {
					return Violatef("200 to NOOP then 257 to PWD", "%s then %s", quote(r1), quote(r2))
				}
				return nil
			},
		},
		{
			ID: "rfc1123/4.1.2.12/telnet-negotiation-refused", RFC: "1123", Section: "4.1.2.12", Level: Must,
			Title:       "Telnet option negotiation is refused (DONT/WONT) and does not derail the session",
			Requirement: `However, a server-FTP MUST be capable of accepting and refusing Telnet negotiations (i.e., sending DONT/WONT).`,
			Tags:        []string{"telnet"}, TLS: PlainOnly,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				// IAC WILL TERMINAL-TYPE, IAC DO ECHO, then a command.
				if err := c.SendRaw(ctx, []byte("\xff\xfb\x18\xff\xfd\x01NOOP\r\n")); err != nil {
					return err
				}
				r, err := c.awaitReply(ctx, "NOOP after IAC WILL TERMINAL-TYPE, IAC DO ECHO", silenceWait)
				if err != nil {
					return err
				}
				raw := []byte(r.Raw)
				refusedOpt := false
				for len(raw) >= 3 && raw[0] == 0xff {
					if raw[1] == 0xfe || raw[1] == 0xfc { // DONT, WONT
						refusedOpt = true
					}
					raw = raw[3:]
				}
				if len(raw) != len(r.Raw) {
					// The replies followed the Telnet bytes: parse what is left as the real reply.
					rest, _, ok := ftpwire.ParseReply(raw)
					if !ok {
						if r, err = c.ReadReply(ctx); err != nil {
							return err
						}
						rest = r
					}
					r = rest
				}
				if r.Code != 200 {
					return Violatef("200 to the NOOP after the negotiation", "%s", quote(r))
				}
				if !refusedOpt {
					// The session survived, which is what matters to a client that (RFC 1123) never
					// negotiates; the missing DONT/WONT is reported, graded as a SHOULD.
					return (&Violation{Expected: []string{"IAC DONT/WONT refusing the options"}, Actual: "the options were ignored silently"}).Downgrade(Should)
				}
				return nil
			},
		},
		{
			ID: "rfc1123/4.1.2.7/nlst-names-usable", RFC: "1123", Section: "4.1.2.7", Level: Must,
			Title:       "the names NLST returns can be used as arguments of RETR",
			Requirement: `The data returned by an NLST command MUST contain only a simple list of legal pathnames, such that the server can use them directly as the arguments of subsequent data transfer commands for the individual files.`,
			Tags:        []string{"listing"}, Needs: []Feature{NeedWrite},
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := dirWithFile(ctx, env)
				if err != nil {
					return err
				}
				// In the directory listed, so that bare names and pathnames are both usable as
				// given (servers differ in which they return for NLST <dir>).
				if _, err := c.Setup(ctx, "CWD "+dir, 250); err != nil {
					return err
				}
				out, err := c.List(ctx, "NLST", "")
				if err != nil {
					return err
				}
				for _, l := range lines(out) {
					if path.Base(l) != file {
						continue
					}
					t, err := c.Do(ctx, "RETR "+l, nil)
					if err != nil {
						return err
					}
					if !t.OK() {
						return Violatef(fmt.Sprintf("RETR %s (a name from NLST in %s) to fetch the file", l, dir), "%s", transferString(t))
					}
					return checkContent("the file named by NLST", []byte("x"), t.Data)
				}
				return Violatef("the file "+file+" among the names", "%q", truncate(out))
			},
		},
		{
			ID: "rfc1123/4.1.2.9/stou-file-name", RFC: "1123", Section: "4.1.2.9", Level: Must,
			Title:       "STOU's preliminary reply names the file as \"FILE: name\"",
			Requirement: `When it receives an STOU command, a Server-FTP MUST return the actual file name in the "125 Transfer Starting" or the "150 Opening Data Connection" message that precedes the transfer (the 250 reply code mentioned in RFC-959 is incorrect).`,
			Tags:        []string{"transfer"}, Needs: []Feature{NeedWrite},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				body := []byte("stou " + env.nonce + "\n")
				t, err := c.Do(ctx, "STOU", body)
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(t.Prelim, "STOU"); err != nil {
					return err
				}
				name, ok := stouName(t.Prelim)
				if ok {
					env.Track(name, false)
				}
				if !t.OK() {
					return Violatef("125/150 then 226/250 to STOU", "%s", transferString(t))
				}
				if !ok {
					return Violatef(`"125 FILE: name" or "150 FILE: name"`, "%s", quote(t.Prelim))
				}
				got, err := c.Retr(ctx, name)
				if err != nil {
					return Violatef("the file "+name+" named by STOU to exist", "%v", err)
				}
				return checkContent("the file STOU stored", body, got)
			},
		},
		{
			ID: "rfc1123/4.1.2.1/type-image", RFC: "1123", Section: "4.1.2.1", Level: Must,
			Title:       "TYPE I is supported",
			Requirement: `An FTP program MUST support TYPE I ("IMAGE" or binary type) as well as TYPE L 8 ("LOCAL" type with logical byte size 8).`,
			Tags:        []string{"parameters"},
			Run:         simpleExpect("TYPE I", 200),
		},
		{
			ID: "rfc1123/4.1.2.1/type-local-8", RFC: "1123", Section: "4.1.2.1", Level: Must,
			Title:       "TYPE L 8 is supported",
			Requirement: `An FTP program MUST support TYPE I ("IMAGE" or binary type) as well as TYPE L 8 ("LOCAL" type with logical byte size 8).`,
			Tags:        []string{"parameters"},
			Run:         simpleExpect("TYPE L 8", 200),
		},
		{
			ID: "rfc1123/4.1.2.2/type-telnet-format", RFC: "1123", Section: "4.1.2.2", Level: Should,
			Title:       "TYPE A T is accepted (as TYPE A N)",
			Requirement: `A host that makes no distinction between TYPE N and TYPE T SHOULD implement TYPE T to be identical to TYPE N.`,
			Tags:        []string{"parameters"},
			Run:         simpleExpect("TYPE A T", 200),
		},
	}
	xcmds := []struct{ x, std string }{{"XPWD", "PWD"}, {"XCWD", "CWD"}, {"XCUP", "CDUP"}, {"XMKD", "MKD"}, {"XRMD", "RMD"}}
	for _, x := range xcmds {
		out = append(out, Case{
			ID: "rfc1123/4.1.3.1/" + strings.ToLower(x.x), RFC: "1123", Section: "4.1.3.1", Level: Should,
			Title:       x.x + " is recognised as " + x.std,
			Requirement: `All FTP implementations SHOULD recognize both forms of these commands, by simply equating them with extra entries in the command lookup table.`,
			Tags:        []string{"directories"},
			Needs:       xNeeds(x.x),
			Run:         runXCommand(x.x),
		})
	}
	minimum := `The following commands and options MUST be supported by every server-FTP and user-FTP, except in cases where the underlying file system or operating system does not allow or support a particular command.`
	for _, m := range []struct {
		verb  string
		write bool
	}{{"CWD", false}, {"CDUP", false}, {"PWD", false}, {"MKD", true}, {"RMD", true}, {"DELE", true}, {"RNFR", true},
		{"LIST", false}, {"NLST", false}, {"SYST", false}, {"STAT", false}, {"HELP", false}, {"NOOP", false},
		{"MODE", false}, {"STRU", false}, {"TYPE", false}, {"PORT", false}, {"STOR", true}, {"APPE", true}, {"RETR", true}} {
		var needs []Feature
		if m.write {
			needs = []Feature{NeedWrite}
		}
		if m.verb == "PORT" {
			needs = append(needs, NeedIPv4)
		}
		out = append(out, Case{
			ID: "rfc1123/4.1.2.13/" + strings.ToLower(m.verb) + "-implemented", RFC: "1123", Section: "4.1.2.13", Level: Must,
			Title:       m.verb + " is implemented (not answered 500/502)",
			Requirement: minimum,
			Tags:        []string{"minimum"},
			Needs:       needs,
			Run:         runImplemented(m.verb),
		})
	}
	return out
}

func simpleExpect(line string, codes ...int) func(context.Context, *Env) error {
	return func(ctx context.Context, env *Env) error {
		c, err := env.Login(ctx)
		if err != nil {
			return err
		}
		_, err = c.Expect(ctx, line, codes...)
		return err
	}
}

func xNeeds(x string) []Feature {
	if x == "XMKD" || x == "XRMD" || x == "XCWD" || x == "XCUP" {
		return []Feature{NeedWrite}
	}
	return nil
}

func runXCommand(x string) func(context.Context, *Env) error {
	return func(ctx context.Context, env *Env) error {
		c, err := env.Login(ctx)
		if err != nil {
			return err
		}
		dir := env.Name("x")
		var r ftpwire.Reply
		switch x {
		case "XPWD":
			r, err = c.Cmd(ctx, "XPWD")
			if err == nil && r.Code == 257 && pwdPath(r) == "" {
				return Violatef(`257 "<directory>"`, "%s", quote(r))
			}
			if err == nil {
				return want(r, "XPWD (as PWD)", 257)
			}
		case "XMKD":
			r, err = c.Cmd(ctx, "XMKD "+dir)
			if err == nil && r.Code == 257 {
				env.Track(dir, true)
			}
			if err == nil {
				return want(r, "XMKD (as MKD)", 257)
			}
		case "XRMD":
			if err := c.Mkd(ctx, dir); err != nil {
				return err
			}
			r, err = c.Cmd(ctx, "XRMD "+dir)
			if err == nil && r.Code == 250 {
				env.Forget(dir)
			}
			if err == nil {
				return want(r, "XRMD (as RMD)", 250)
			}
		case "XCWD":
			if err := c.Mkd(ctx, dir); err != nil {
				return err
			}
			r, err = c.Cmd(ctx, "XCWD "+dir)
			if err == nil {
				return want(r, "XCWD (as CWD)", 250)
			}
		case "XCUP":
			if err := c.Mkd(ctx, dir); err != nil {
				return err
			}
			if _, err := c.Setup(ctx, "CWD "+dir, 250); err != nil {
				return err
			}
			r, err = c.Cmd(ctx, "XCUP")
			if err == nil {
				return want(r, "XCUP (as CDUP)", 200, 250)
			}
		}
		return err
	}
}

// runImplemented exercises a minimum-implementation command sensibly and fails only on 500/502.
func runImplemented(verb string) func(context.Context, *Env) error {
	return func(ctx context.Context, env *Env) error {
		c, err := env.Login(ctx)
		if err != nil {
			return err
		}
		var r ftpwire.Reply
		switch verb {
		case "LIST", "NLST":
			t, err := c.Do(ctx, verb, nil)
			if err != nil {
				return err
			}
			r = t.Prelim
		case "STOR", "APPE":
			name := env.Name("f")
			env.Track(name, false)
			t, err := c.Do(ctx, verb+" "+name, []byte("x"))
			if err != nil {
				return err
			}
			r = t.Prelim
		case "RETR":
			_, name, _, err := loginAndFile(ctx, env, "f", 10)
			if err != nil {
				return err
			}
			t, err := c.Do(ctx, "RETR "+name, nil)
			if err != nil {
				return err
			}
			r = t.Prelim
		case "PORT":
			l, err := c.Listen(c.LocalAddr().Addr())
			if err != nil {
				return err
			}
			defer l.Close()
			r, err = c.Cmd(ctx, "PORT "+ftpwire.FormatPORT(l.Addr))
			if err != nil {
				return err
			}
		default:
			line := map[string]string{
				"CWD": "CWD .", "CDUP": "CDUP", "PWD": "PWD", "MKD": "MKD " + env.Name("d"), "RMD": "RMD " + env.Name("missing"),
				"DELE": "DELE " + env.Name("missing"), "RNFR": "RNFR " + env.Name("missing"), "SYST": "SYST", "STAT": "STAT",
				"HELP": "HELP", "NOOP": "NOOP", "MODE": "MODE S", "STRU": "STRU F", "TYPE": "TYPE A",
			}[verb]
			if r, err = c.Cmd(ctx, line); err != nil {
				return err
			}
			if verb == "MKD" && r.Code == 257 {
				env.Track(env.Name("d"), true)
			}
		}
		if notImplemented(r) {
			return Violatef(verb+" implemented", "%s", quote(r))
		}
		return nil
	}
}

// stouName extracts the file name of a "125/150 FILE: name" reply (RFC 1123 §4.1.2.9).
func stouName(r ftpwire.Reply) (string, bool) {
	t := r.Text()
	i := strings.Index(strings.ToUpper(t), "FILE: ")
	if i < 0 {
		return "", false
	}
	// The name runs to the end of its line: a multi-line 150 (pure-ftpd's) continues below it.
	name, _, _ := strings.Cut(t[i+len("FILE: "):], "\n")
	name = strings.TrimSpace(name)
	if name == "" {
		return "", false
	}
	return name, true
}
