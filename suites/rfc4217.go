package suites

import (
	"context"
	"fmt"
	"strings"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
)

// RFC 2228 and RFC 4217: AUTH TLS, PBSZ, PROT, CCC. These cases negotiate TLS themselves on a
// plain control connection (OwnTLS) and need a server that accepts AUTH TLS.
func rfc2228And4217() []Case {
	tlsNeeds := []Feature{NeedTLS}
	classRule := `In all cases, the server must use a reply code which is documented as returnable from the command received, and this reply code must begin with the same digit as the recommended reply code for the situation.`
	return []Case{
		{
			ID: "rfc4217/4.2/auth-tls-234", RFC: "4217", Section: "4.2", Level: Must,
			Title:       "AUTH TLS is answered 234 and a TLS handshake follows",
			Requirement: `In either case, '234' is the server response to an 'AUTH TLS' command that it will honour.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := plainConnect(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "AUTH TLS")
				if err != nil {
					return err
				}
				if err := want(r, "AUTH TLS", 234); err != nil {
					return err
				}
				if err := c.StartTLS(ctx, env.newTLSConfig()); err != nil {
					return Violatef("a TLS handshake after 234", "%v", err)
				}
				_, err = c.Expect(ctx, "NOOP", 200)
				return err
			},
		},
		{
			ID: "rfc4217/9/pbsz-0", RFC: "4217", Section: "9", Level: Must,
			Title:       "PBSZ 0 is accepted (200) on a TLS-protected control connection",
			Requirement: `Thus, the PBSZ command MUST still be issued, but must have a parameter of '0' to indicate that no buffering is taking place and the data connection should not be encapsulated.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := tlsConnect(ctx, env)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "PBSZ 0", 200)
				return err
			},
		},
		{
			ID: "rfc4217/9/prot-p-data", RFC: "4217", Section: "9", Level: Must,
			Title:       "after PROT P, transfers run over TLS-protected data connections",
			Requirement: `If the data connection security level is 'Private', then a TLS negotiation must take place on the data connection to the satisfaction of the Client and Server prior to any data being transmitted over the connection.`,
			Tags:        []string{"tls", "transfer"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := tlsConnect(ctx, env)
				if err != nil {
					return err
				}
				if _, err := c.Expect(ctx, "PBSZ 0", 200); err != nil {
					return err
				}
				if _, err := c.Expect(ctx, "PROT P", 200); err != nil {
					return err
				}
				c.Prot = true
				if err := c.LoginOnly(ctx); err != nil {
					return err
				}
				t, err := c.Do(ctx, "LIST", nil)
				if err != nil {
					return Violatef("LIST over a TLS data connection", "%v", err)
				}
				if !t.OK() {
					return Violatef("LIST over a TLS data connection to succeed", "%s", transferString(t))
				}
				return nil
			},
		},
		{
			ID: "rfc4217/9/initial-clear", RFC: "4217", Section: "9", Level: Must,
			Title:       "without PROT, data connections stay in the clear",
			Requirement: `The initial state of the data connection MUST be 'Clear' (this is the behaviour as indicated by [RFC-2228]).`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := tlsConnect(ctx, env)
				if err != nil {
					return err
				}
				if err := c.LoginOnly(ctx); err != nil {
					return err
				}
				t, err := c.Do(ctx, "LIST", nil)
				if err != nil {
					return err
				}
				if t.Prelim.Class() != 1 {
					// A server may refuse clear data by policy (RFC 4217 §10.2): the level is still Clear.
					env.Note("LIST without PROT refused: %s", t.Prelim.String())
					return nil
				}
				if isTLSRecord(t.Data) {
					return Violatef("clear data before any PROT", "the data connection started a TLS handshake")
				}
				return nil
			},
		},
		{
			ID: "rfc4217/9/prot-c-clear", RFC: "4217", Section: "9", Level: Must,
			Title:       "after PROT C, data connections are in the clear",
			Requirement: `With 'Clear' protection level, the data connection is made without TLS.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := tlsConnect(ctx, env)
				if err != nil {
					return err
				}
				if _, err := c.Expect(ctx, "PBSZ 0", 200); err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PROT C")
				if err != nil {
					return err
				}
				if r.Code != 200 {
					return Unsupportedf("PROT C refused (a server may insist on protection): %s", quote(r))
				}
				if err := c.LoginOnly(ctx); err != nil {
					return err
				}
				t, err := c.Do(ctx, "LIST", nil)
				if err != nil {
					return err
				}
				if t.Prelim.Class() == 1 && isTLSRecord(t.Data) {
					return Violatef("clear data after PROT C", "the data connection started a TLS handshake")
				}
				if !t.OK() {
					return Violatef("LIST in the clear after PROT C to succeed", "%s", transferString(t))
				}
				return nil
			},
		},
		{
			ID: "rfc4217/4.2/auth-resets-login", RFC: "4217", Section: "4.2", Level: Must,
			Title:       "AUTH TLS after a login requires logging in again",
			Requirement: `[RFC-2228] states that the user must reauthorize (that is, reissue some or all of the USER, PASS, and ACCT commands) following an AUTH command.`,
			Tags:        []string{"tls", "login"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := plainConnect(ctx, env)
				if err != nil {
					return err
				}
				if err := c.LoginOnly(ctx); err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "AUTH TLS")
				if err != nil {
					return err
				}
				if r.Code != 234 {
					env.Note("AUTH TLS after login refused: %s", r.String())
					return nil
				}
				if err := c.StartTLS(ctx, env.newTLSConfig()); err != nil {
					return err
				}
				r, err = c.Cmd(ctx, "CWD /")
				if err != nil {
					return err
				}
				if r.Class() == 2 {
					return Violatef("530 (log in again) after AUTH TLS", "CWD / answered %s: the old login survived", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc4217/5/ccc-unprotected-533", RFC: "4217", Section: "5", Level: Should,
			Title:       "CCC on an unprotected control connection is refused (533, or 500 by a server without CCC)",
			Requirement: `Otherwise, if the control connection is not protected with TLS, then a 533 reply should be sent.`,
			Tags:        []string{"tls"}, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := plainConnect(ctx, env)
				if err != nil {
					return err
				}
				if err := c.LoginOnly(ctx); err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "CCC")
				if err != nil {
					return err
				}
				if r.Code == 500 || r.Code == 502 {
					return nil // §5's first case: the server does not accept CCC at all
				}
				return want(r, "CCC without TLS", 533)
			},
		},
		{
			ID: "rfc4217/5/ccc-clears", RFC: "4217", Section: "5", Level: May,
			Title:       "CCC (when accepted) returns the control connection to plaintext",
			Requirement: `Continue the control connection in plaintext, expecting the next command from the client to be in plaintext.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := tlsConnect(ctx, env)
				if err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "PBSZ 0", 200); err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "PROT P", 200); err != nil {
					return err
				}
				if err := c.LoginOnly(ctx); err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "CCC")
				if err != nil {
					return err
				}
				if r.Code != 200 {
					return Unsupportedf("CCC not offered: %s", quote(r))
				}
				if err := c.DropTLS(ctx); err != nil {
					return Violatef("a TLS shutdown after 200 to CCC", "%v", err)
				}
				_, err = c.Expect(ctx, "NOOP", 200)
				return err
			},
		},
		{
			ID: "rfc4217/6/feat-auth-tls", RFC: "4217", Section: "6", Level: Should,
			Title:       "FEAT's AUTH line names TLS",
			Requirement: `Additionally, the AUTH command should have a reply that identifies 'TLS' as one of the possible parameters to AUTH.`,
			Tags:        []string{"tls", "feat"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				_, r, err := feat(ctx, env)
				if err != nil {
					return err
				}
				for _, f := range parseFeat(r) {
					if f.label == "AUTH" {
						for _, p := range strings.FieldsFunc(strings.ToUpper(f.params), func(r rune) bool { return r == ';' || r == ' ' || r == ',' }) {
							if p == "TLS" {
								return nil
							}
						}
						return Violatef(`" AUTH TLS" (TLS among AUTH's parameters)`, "%q", f.line)
					}
				}
				return Violatef(`an AUTH line in FEAT`, "%s", quote(r))
			},
		},
		{
			ID: "rfc2228/3/auth-unknown-mechanism", RFC: "2228", Section: "3", Level: Must,
			Title:       "AUTH with an unknown mechanism is refused (504)",
			Requirement: classRule,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := plainConnect(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "AUTH X-FTPSPEC-NONE")
				if err != nil {
					return err
				}
				return recommended(r, 504, "AUTH with a mechanism the server does not know")
			},
		},
		{
			ID: "rfc2228/3/pbsz-before-auth", RFC: "2228", Section: "3", Level: Must,
			Title:       "PBSZ before a security exchange is refused (503)",
			Requirement: `If the server has not completed a security data exchange with the client, it should respond with a 503 reply code.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := plainConnect(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PBSZ 0")
				if err != nil {
					return err
				}
				return recommended(r, 503, "PBSZ before AUTH")
			},
		},
		{
			ID: "rfc2228/3/prot-before-pbsz", RFC: "2228", Section: "3", Level: Must,
			Title:       "PROT before PBSZ is refused (503)",
			Requirement: `The PROT command will be rejected and the server should reply 503 if no previous PBSZ command was issued.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := tlsConnect(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PROT P")
				if err != nil {
					return err
				}
				return recommended(r, 503, "PROT before PBSZ")
			},
		},
		{
			ID: "rfc2228/3/prot-unknown-level", RFC: "2228", Section: "3", Level: Must,
			Title:       "PROT with an unknown level is refused (504)",
			Requirement: `If the server does not understand the specified protection level, it should respond with reply code 504.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := tlsConnect(ctx, env)
				if err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "PBSZ 0", 200); err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PROT Q")
				if err != nil {
					return err
				}
				return recommended(r, 504, "PROT Q")
			},
		},
		{
			ID: "rfc2228/3/prot-safe-unsupported", RFC: "2228", Section: "3", Level: Must,
			Title:       "PROT S, which TLS does not provide, is refused (536)",
			Requirement: `If the current security mechanism does not support the specified protection level, the server should respond with reply code 536.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := tlsConnect(ctx, env)
				if err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "PBSZ 0", 200); err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PROT S")
				if err != nil {
					return err
				}
				return recommended(r, 536, "PROT S under TLS (RFC 4217 §9 uses only C and P)")
			},
		},
		{
			ID: "rfc2228/3/adat-without-auth", RFC: "2228", Section: "3", Level: Should,
			Title:       "ADAT before AUTH is refused (503)",
			Requirement: `If the server has not yet received an AUTH command, or if a prior security data exchange completed, but the security state has not been reset with an AUTH command, it should respond with reply code 503.`,
			Tags:        []string{"tls"}, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := plainConnect(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "ADAT Zm9v")
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "ADAT"); err != nil {
					return err
				}
				return recommended(r, 503, "ADAT before AUTH")
			},
		},
		{
			ID: "rfc2228/3/mic-without-security", RFC: "2228", Section: "3", Level: Should,
			Title:       "MIC before a security exchange is refused (503)",
			Requirement: `If the server has not completed a security data exchange with the client, it should respond with a 503 reply code.`,
			Tags:        []string{"tls"}, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := plainConnect(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "MIC Zm9v")
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "MIC"); err != nil {
					return err
				}
				return recommended(r, 503, "MIC before AUTH")
			},
		},
	}
}

// recommended grades a reply against RFC 2228 §3's rule: the first digit must match the
// recommended code (MUST); the code itself should (SHOULD).
func recommended(r ftpwire.Reply, code int, what string) error {
	switch {
	case r.Code == code:
		return nil
	case r.Class() == code/100:
		return (&Violation{Expected: []string{fmt.Sprintf("%d to %s", code, what)}, Actual: quote(r)}).Downgrade(Should)
	}
	return Violatef(fmt.Sprintf("%d (at least a %dyz reply) to %s", code, code/100, what), "%s", quote(r))
}

// plainConnect opens an unprotected control connection and reads the 220 greeting.
func plainConnect(ctx context.Context, env *Env) (*Ctrl, error) {
	c, greet, err := env.Dial(ctx)
	if err != nil {
		return nil, err
	}
	if greet.Code != 220 {
		return nil, fmt.Errorf("greeting: %s", quote(greet))
	}
	return c, nil
}

// tlsConnect opens a control connection and secures it with AUTH TLS.
func tlsConnect(ctx context.Context, env *Env) (*Ctrl, error) {
	c, err := plainConnect(ctx, env)
	if err != nil {
		return nil, err
	}
	if err := c.AuthTLS(ctx); err != nil {
		return nil, err
	}
	return c, nil
}
