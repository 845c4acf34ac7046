package suites

import (
	"context"
	"fmt"
	"strings"
)

// RFC 7151: HOST. Its cases need the HOST feature line: a server that does not implement HOST may
// answer it before login with 530 like any unknown command, which proves nothing. The cross-check
// case notices a server that implements HOST without advertising it.
func rfc7151Cases() []Case {
	host := []Feature{FeatNeed("HOST")}
	tags := []string{"ext:HOST"}
	// own sends HOST naming the target itself and expects 220; a 504 (the server does not take
	// its own name or address for a virtual host) leaves nothing to check.
	own := func(ctx context.Context, env *Env, verb string) (*Ctrl, error) {
		arg := extHostArg(env)
		c, r, err := extHostFirst(ctx, env, verb+" "+arg)
		if err != nil {
			return nil, err
		}
		switch {
		case r.Code == 220:
			return c, nil
		case r.Code == 504:
			return nil, Skipf("the server refuses HOST %s, the name the client was given: %s", arg, quote(r))
		}
		return nil, Violatef("220 to "+verb+" "+arg, "%s", quote(r))
	}
	return []Case{
		{
			ID: "rfc7151/3.2/host-accepted-220", RFC: "7151", Section: "3.2", Level: Must,
			Title:       "HOST naming the server before login is answered 220, and login follows",
			Requirement: `The 220 reply code for the HOST command is the same as the code that is used in the initial "welcome" message that is sent after the connection is established.`,
			Tags:        tags, Needs: host,
			// host-ok = "220" [ SP *TCHAR ] CRLF: the grammar is normative, MUST.
			Run: func(ctx context.Context, env *Env) error {
				c, err := own(ctx, env, "HOST")
				if err != nil {
					return err
				}
				return c.LoginOnly(ctx)
			},
		},
		{
			ID: "rfc7151/2.1/host-case-insensitive", RFC: "7151", Section: "2.1", Level: Must,
			Title:       `"host" in lower case is HOST`,
			Requirement: `That is, "HOST" is the same as "host", "Host", "HoSt", etc.`,
			Tags:        tags, Needs: host,
			Run: func(ctx context.Context, env *Env) error {
				_, err := own(ctx, env, "host")
				return err
			},
		},
		{
			ID: "rfc7151/3.3/host-after-login-503", RFC: "7151", Section: "3.3", Level: Must,
			Title:       "HOST after login is answered 503",
			Requirement: `As discussed in Section 3 of this document, if a HOST command is sent after a user has been authenticated, the server MUST treat the situation as an invalid sequence of commands and return a 503 reply.`,
			Tags:        tags, Needs: host,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "HOST "+extHostArg(env), 503)
				return err
			},
		},
		{
			ID: "rfc7151/3.1/host-port-501", RFC: "7151", Section: "3.1", Level: Must,
			Title:       "HOST with a port number is answered 501",
			Requirement: `For example, the server-PI MUST respond with a 501 reply if the client sends a HOST command with syntax like either of the following examples: HOST 192.0.2.1:2112 HOST [2001:db8::c000:201]:2112`,
			Tags:        tags, Needs: host,
			Run: func(ctx context.Context, env *Env) error {
				for _, arg := range []string{"192.0.2.1:2112", "[2001:db8::c000:201]:2112"} {
					_, r, err := extHostFirst(ctx, env, "HOST "+arg)
					if err != nil {
						return err
					}
					if err := want(r, "HOST "+arg, 501); err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			ID: "rfc7151/3.1/host-foreign-literal-504", RFC: "7151", Section: "3.1", Level: Must,
			Title:       "HOST naming an address literal that is not the server's is answered 504",
			Requirement: `That being said, if the IPv4 or IPv6 literal address specified by the client does not match the literal address for the server, the server MUST respond with a 504 reply to indicate that the IPv4 or IPv6 literal address is not valid.`,
			Tags:        tags, Needs: host,
			Run: func(ctx context.Context, env *Env) error {
				arg := "192.0.2.1" // TEST-NET-1 (RFC 5737): never the server's address
				if !strings.Contains(env.Target.Host, ".") && strings.Contains(env.Target.Host, ":") {
					arg = "[2001:db8::c000:201]"
				}
				_, r, err := extHostFirst(ctx, env, "HOST "+arg)
				if err != nil {
					return err
				}
				return want(r, "HOST "+arg+" (not this server's address)", 504)
			},
		},
		{
			ID: "rfc7151/3.3/host-syntax-501", RFC: "7151", Section: "3.3", Level: Should,
			Title:       "HOST with a syntactically invalid name is answered 501",
			Requirement: `A 501 reply SHOULD be sent if the hostname given is syntactically invalid, and a 504 reply SHOULD be sent if a syntactically valid hostname is not a valid virtual hostname for the server.`,
			Tags:        tags, Needs: host,
			Run: func(ctx context.Context, env *Env) error {
				_, r, err := extHostFirst(ctx, env, "HOST -bad_name-.")
				if err != nil {
					return err
				}
				return want(r, "HOST -bad_name-.", 501)
			},
		},
		{
			ID: "rfc7151/3.2/host-unknown-name", RFC: "7151", Section: "3.2", Level: Should,
			Title:       "HOST naming an unknown virtual host is answered 504 (or routed to a default host, 220)",
			Requirement: `If the hostname specified is unknown at the server, or if the server is otherwise unwilling to treat the particular connection as a connection to the hostname specified, the server SHOULD respond with a 504 reply.`,
			Tags:        tags, Needs: host,
			// §3.2 also allows routing unknown names to a default virtual host, so 220 passes.
			Run: func(ctx context.Context, env *Env) error {
				_, r, err := extHostFirst(ctx, env, "HOST ftpspec-unknown.invalid")
				if err != nil {
					return err
				}
				if r.Code == 220 || r.Code == 504 {
					return nil
				}
				return Violatef("504 (or 220, routed to a default host) to HOST of an unknown name", "%s", quote(r))
			},
		},
		{
			ID: "rfc7151/3.3/host-error-keeps-session", RFC: "7151", Section: "3.3", Level: Must,
			Title:       "after a refused HOST the server ignores it (login works) or closes the connection",
			Requirement: `In all such cases, the server-FTP process MUST do one of the following: a. Ignore the HOST command and act as if a HOST command had not been sent. A user-FTP process MAY then send a subsequent HOST command with a different hostname. b. Close the connection.`,
			Tags:        tags, Needs: host,
			Run: func(ctx context.Context, env *Env) error {
				c, r, err := extHostFirst(ctx, env, "HOST 192.0.2.1:2112")
				if err != nil {
					return err
				}
				if !extClass5Or4(r) {
					return Skipf("HOST 192.0.2.1:2112 was not refused: %s (judged by rfc7151/3.1/host-port-501)", quote(r))
				}
				if err := c.LoginOnly(ctx); err != nil {
					if expectClosed(ctx, c, "") == nil {
						return nil // (b): closed
					}
					return Violatef("(a) HOST ignored so that login works, or (b) the connection closed", "%v", err)
				}
				return nil
			},
		},
		{
			ID: "rfc7151/3/host-last-wins", RFC: "7151", Section: "3", Level: Must,
			Title:       "of several HOST commands before login, the last decides the reply",
			Requirement: `Server-FTP processes MUST treat a situation in which the HOST command is issued more than once before the user has been authenticated as though only the last HOST command had been sent, and return the appropriate reply for the last HOST command.`,
			Tags:        tags, Needs: host,
			// Both HOSTs must precede AUTH (RFC 7151 §3.2.2): under explicit TLS the second would
			// follow the handshake, which a server may refuse with 503 when no server_name was sent.
			TLS: PlainOnly,
			Run: func(ctx context.Context, env *Env) error {
				c, r, err := extHostFirst(ctx, env, "HOST 192.0.2.1:2112")
				if err != nil {
					return err
				}
				if r.Code == 421 {
					return Skipf("the server closed the connection after a bad HOST (allowed by §3.3)")
				}
				arg := extHostArg(env)
				for i := 0; i < 2; i++ {
					r, err := c.Cmd(ctx, "HOST "+arg)
					if err != nil {
						return err
					}
					if r.Code == 504 && i == 0 {
						return Skipf("the server refuses HOST %s: %s", arg, quote(r))
					}
					if r.Code != 220 {
						return Violatef(fmt.Sprintf("220 to HOST %s (the last HOST decides)", arg), "%s", quote(r))
					}
				}
				return c.LoginOnly(ctx)
			},
		},
		{
			ID: "rfc7151/3.3/user-without-host", RFC: "7151", Section: "3.3", Level: Should,
			Title:       "a server with HOST still accepts USER without a HOST",
			Requirement: `A server-PI that receives a USER command to begin the authentication sequence without having received a HOST command SHOULD NOT reject the USER command.`,
			Tags:        tags, Needs: host,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "USER "+env.Target.User, 331, 230, 232)
				return err
			},
		},
		{
			ID: "rfc7151/3.2.1/host-after-rein", RFC: "7151", Section: "3.2.1", Level: Must,
			Title:       "after REIN the session is back before login: HOST is accepted again",
			Requirement: `The effect of a HOST command MUST be reset if a REIN command is performed, and a new HOST command MUST be issued afterwards in order to connect to a virtual host.`,
			Tags:        tags, Needs: host, TLS: PlainOnly,
			// Plain only: REIN on a TLS session also clears TLS (RFC 4217 §13), which
			// rfc4217/13/rein-clears-tls checks.
			Run: func(ctx context.Context, env *Env) error {
				c, err := own(ctx, env, "HOST")
				if err != nil {
					return err
				}
				if err := c.LoginOnly(ctx); err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "REIN")
				if err != nil {
					return err
				}
				if r.Code == 120 {
					if r, err = c.ReadReply(ctx); err != nil {
						return err
					}
				}
				if r.Code != 220 {
					return Unsupportedf("REIN: %s", quote(r))
				}
				_, err = c.Expect(ctx, "HOST "+extHostArg(env), 220)
				return err
			},
		},
		{
			ID: "rfc7151/3.4/feat-host-line", RFC: "7151", Section: "3.4", Level: Must,
			Title:       `the HOST feature line is the single word "HOST"`,
			Requirement: `When replying to the FEAT command [RFC2389], a server-FTP process that supports the HOST command MUST include a line containing the single word "HOST".`,
			Tags:        append([]string{"feat"}, tags...), Needs: host,
			Run: func(ctx context.Context, env *Env) error {
				_, r, err := feat(ctx, env)
				if err != nil {
					return err
				}
				for _, l := range extFeatBody(r) {
					s := strings.TrimPrefix(l, " ")
					if label, _, _ := strings.Cut(s, " "); !strings.EqualFold(label, "HOST") {
						continue
					}
					switch {
					case s == "HOST":
						return nil
					case strings.EqualFold(s, "HOST"):
						return Violatef(`" HOST" in upper case (it SHOULD be sent in upper case)`, "%q", l).Downgrade(Should)
					}
					return Violatef(`a line " HOST" and nothing else`, "%q", l)
				}
				return Violatef("a HOST line", "%s", quote(r))
			},
		},
		extListedCase("rfc7151/3.4/feat-lists-host", "7151", "3.4", "HOST works, so FEAT lists HOST",
			`When replying to the FEAT command [RFC2389], a server-FTP process that supports the HOST command MUST include a line containing the single word "HOST".`,
			false, tags, nil, extLabel("HOST"), "a HOST line",
			func(ctx context.Context, env *Env) (*Ctrl, string, error) {
				arg := extHostArg(env)
				c, r, err := extHostFirst(ctx, env, "HOST "+arg)
				if err != nil {
					return nil, "", err
				}
				if r.Code != 220 {
					return nil, "", Unsupportedf("HOST %s: %s", arg, quote(r))
				}
				return c, "HOST " + arg + " answered " + quote(r), nil
			}),
		{
			ID: "rfc7151/3.2.3/feat-before-login", RFC: "7151", Section: "3.2.3", Level: Should,
			Title:       "FEAT is answered before login",
			Requirement: `Other commands (such as FEAT [RFC2389]) that require no authentication may have intervened.`,
			Tags:        []string{"feat"},
			// The sentence counts FEAT among the commands that need no login, and RFC 7151 (HOST),
			// RFC 2640 (LANG) and RFC 4217 (AUTH) all need FEAT's answer before login to work.
			// No keyword: SHOULD.
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "FEAT")
				if err != nil {
					return err
				}
				if notImplemented(r) {
					return Unsupportedf("FEAT: %s", quote(r))
				}
				return want(r, "FEAT before login", 211)
			},
		},
		{
			ID: "rfc7151/4/host-matches-sni", RFC: "7151", Section: "4", Level: Must,
			Title:       "after a TLS handshake with server_name A, HOST B is refused",
			Requirement: `However, the server-PI MUST verify that the name in the HOST command matches the "server_name" that is provided in the extended client hello.`,
			Tags:        []string{"ext:HOST", "tls", "security"}, Needs: []Feature{NeedTLS, FeatNeed("HOST")}, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extDial(ctx, env)
				if err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "AUTH TLS", 234); err != nil {
					return err
				}
				cfg := env.newTLSConfig()
				cfg.ServerName = "sni-a.ftpspec.test"
				if err := c.StartTLS(ctx, cfg); err != nil {
					return Unsupportedf("the server refuses a handshake naming %s: %v", cfg.ServerName, err)
				}
				r, err := c.Cmd(ctx, "HOST sni-b.ftpspec.test")
				if err != nil {
					return err
				}
				if r.Class() == 2 {
					return Violatef("a refusal (504) of HOST sni-b.ftpspec.test after server_name sni-a.ftpspec.test", "%s", quote(r))
				}
				return nil
			},
		},
	}
}
