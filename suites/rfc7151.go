package suites

import (
	"context"
	"net/netip"
)

// RFC 7151: HOST. A server answering HOST with 500/502 does not implement it: unsupported.
func rfc7151Cases() []Case {
	return []Case{
		{
			ID: "rfc7151/3.3/host-after-login-503", RFC: "7151", Section: "3.3", Level: Must,
			Title:       "HOST after login is answered 503",
			Requirement: `As discussed in Section 3 of this document, if a HOST command is sent after a user has been authenticated, the server MUST treat the situation as an invalid sequence of commands and return a 503 reply.`,
			Tags:        []string{"ext:HOST"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "HOST "+hostArg(env))
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "HOST"); err != nil {
					return err
				}
				return want(r, "HOST after login", 503)
			},
		},
		{
			ID: "rfc7151/3.1/host-port-501", RFC: "7151", Section: "3.1", Level: Must,
			Title:       "HOST with a port number is answered 501",
			Requirement: `For example, the server-PI MUST respond with a 501 reply if the client sends a HOST command with syntax like either of the following examples:`,
			Tags:        []string{"ext:HOST"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "HOST 192.0.2.1:2112")
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "HOST"); err != nil {
					return err
				}
				return want(r, "HOST 192.0.2.1:2112", 501)
			},
		},
		{
			ID: "rfc7151/3.1/host-foreign-literal-504", RFC: "7151", Section: "3.1", Level: Must,
			Title:       "HOST naming an address literal that is not the server's is answered 504",
			Requirement: `That being said, if the IPv4 or IPv6 literal address specified by the client does not match the literal address for the server, the server MUST respond with a 504 reply to indicate that the IPv4 or IPv6 literal address is not valid.`,
			Tags:        []string{"ext:HOST"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "HOST 192.0.2.1")
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "HOST"); err != nil {
					return err
				}
				return want(r, "HOST 192.0.2.1 (not this server's address)", 504)
			},
		},
		{
			ID: "rfc7151/3.3/host-syntax-501", RFC: "7151", Section: "3.3", Level: Should,
			Title:       "HOST with a syntactically invalid name is answered 501",
			Requirement: `A 501 reply SHOULD be sent if the hostname given is syntactically invalid, and a 504 reply SHOULD be sent if a syntactically valid hostname is not a valid virtual hostname for the server.`,
			Tags:        []string{"ext:HOST"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "HOST -bad_name-.")
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "HOST"); err != nil {
					return err
				}
				return want(r, "HOST -bad_name-.", 501)
			},
		},
		{
			ID: "rfc7151/3.3/host-error-keeps-session", RFC: "7151", Section: "3.3", Level: Must,
			Title:       "after a refused HOST the server ignores it (login works) or closes the connection",
			Requirement: `In all such cases, the server-FTP process MUST do one of the following:`,
			Tags:        []string{"ext:HOST"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "HOST unknown-host.invalid")
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "HOST"); err != nil {
					return err
				}
				if r.Class() == 2 {
					return Skipf("the server accepted HOST unknown-host.invalid: %s", quote(r))
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
	}
}

// hostArg is a HOST argument naming the target as the client was told to (a literal address in
// brackets for IPv6).
func hostArg(env *Env) string {
	if a, err := netip.ParseAddr(env.Target.Host); err == nil && a.Is6() && !a.Is4In6() {
		return "[" + a.String() + "]"
	}
	return env.Target.Host
}
