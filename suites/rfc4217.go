package suites

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
)

// RFC 2228 and RFC 4217: AUTH TLS, PBSZ, PROT, CCC, REIN under TLS, and TLS on the data
// connection. The cases negotiate TLS themselves on a plain control connection (OwnTLS); the
// ones that need TLS to work have NeedTLS, so a server without AUTH TLS gets unsupported.
func rfc4217Cases() []Case {
	var out []Case
	out = append(out, rfc4217Auth()...)
	out = append(out, rfc4217Prot()...)
	out = append(out, rfc4217Data()...)
	out = append(out, rfc4217Control()...)
	out = append(out, rfc4217Feat()...)
	return out
}

// recommended grades a reply against RFC 2228 §3's rule: the first digit must match the
// recommended code (MUST); the code itself should (SHOULD). ok lists other codes that pass.
func recommended(r ftpwire.Reply, code int, what string, ok ...int) error {
	switch {
	case r.Code == code:
		return nil
	case r.Code != 0 && slices.Contains(ok, r.Code):
		return nil
	case r.Class() == code/100:
		return (&Violation{Expected: []string{fmt.Sprintf("%d to %s", code, what)}, Actual: quote(r)}).Downgrade(Should)
	}
	return Violatef(fmt.Sprintf("%d (at least a %dyz reply) to %s", code, code/100, what), "%s", quote(r))
}

var tlsNeeds = []Feature{NeedTLS}

// refusedWithoutSecurity grades the reply to a security command sent where no security exchange
// happened. A server that offers no TLS (AUTH TLS refused) and does not implement the command at
// all answers 500 or 502, which is what RFC 2228 §3 asks of it ("If the server does not recognize
// the AUTH command, it must respond with reply code 500"; 502 when it recognizes but does not
// implement it): a pass. Otherwise the recommended code applies (recommended).
func refusedWithoutSecurity(ctx context.Context, env *Env, r ftpwire.Reply, code int, what string) error {
	if notImplemented(r) && !env.Has(ctx, NeedTLS) {
		if _, ok := env.Implemented(verbOf(what)); !ok {
			env.Note("the server offers no TLS and answers %s as not implemented: a correct refusal", quote(r))
			return nil
		}
	}
	return recommended(r, code, what)
}

// extAuthWith sends AUTH arg on a new plain connection and, on 234, performs the handshake.
func extAuthWith(ctx context.Context, env *Env, arg string) (*Ctrl, ftpwire.Reply, error) {
	c, err := extDial(ctx, env)
	if err != nil {
		return nil, ftpwire.Reply{}, err
	}
	r, err := c.Cmd(ctx, "AUTH "+arg)
	if err != nil || r.Code != 234 {
		return c, r, err
	}
	c.tls = env.newTLSConfig()
	if err := c.StartTLS(ctx, c.tls); err != nil {
		return c, r, Violatef("a TLS handshake after 234 to AUTH "+arg, "%v", err)
	}
	return c, r, nil
}

func rfc4217Auth() []Case {
	return []Case{
		{
			ID: "rfc4217/4.2/auth-tls-234", RFC: "4217", Section: "4.2", Level: Must,
			Title:       "AUTH TLS is answered 234 (not 334) and a TLS handshake follows",
			Requirement: `In either case, '234' is the server response to an 'AUTH TLS' command that it will honour.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, r, err := extAuthWith(ctx, env, "TLS")
				if err != nil {
					return err
				}
				if r.Code != 234 {
					return Violatef("234 to AUTH TLS (334 would announce an ADAT exchange TLS does not use)", "%s", quote(r))
				}
				st, _ := c.TLSState()
				env.Note("control connection: %s, %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
				_, err = extAnswers(ctx, c, "NOOP")
				return err
			},
		},
		{
			ID: "rfc4217/17/auth-tls-c-synonym", RFC: "4217", Section: "17", Level: Should,
			Title:       "AUTH TLS-C is accepted as a synonym for AUTH TLS",
			Requirement: `To maintain backward compatibility with older versions of this document, the server SHOULD accept 'TLS-C' as a synonym for 'TLS'.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, r, err := extAuthWith(ctx, env, "TLS-C")
				if err != nil {
					return err
				}
				if r.Code != 234 {
					return Violatef("234 to AUTH TLS-C", "%s", quote(r))
				}
				_, err = extAnswers(ctx, c, "NOOP")
				return err
			},
		},
		{
			ID: "rfc2228/3/auth-case-insensitive", RFC: "2228", Section: "3", Level: Must,
			Title:       `"auth tls" in lower case is AUTH TLS`,
			Requirement: `This string is case-insensitive.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			// RFC 2228 predates the RFC 2119 keywords; the statement is unconditional: MUST.
			Run: func(ctx context.Context, env *Env) error {
				c, r, err := extAuthWith(ctx, env, "tls")
				if err != nil {
					return err
				}
				if r.Code != 234 {
					return Violatef(`234 to "AUTH tls"`, "%s", quote(r))
				}
				_, err = extAnswers(ctx, c, "noop")
				return err
			},
		},
		{
			ID: "rfc2228/3/auth-unknown-mechanism", RFC: "2228", Section: "3", Level: Must,
			Title:       "AUTH with an unknown mechanism is refused (504) and the connection stays usable",
			Requirement: `In all cases, the server must use a reply code which is documented as returnable from the command received, and this reply code must begin with the same digit as the recommended reply code for the situation.`,
			Tags:        []string{"tls"}, TLS: OwnTLS, // for servers without TLS too: what they answer is what the rule is about
			Run: func(ctx context.Context, env *Env) error {
				c, err := extDial(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "AUTH X-FTPSPEC-NONE")
				if err != nil {
					return err
				}
				if err := refusedWithoutSecurity(ctx, env, r, 504, "AUTH with a mechanism the server does not know"); err != nil {
					return err
				}
				_, err = extAnswers(ctx, c, "NOOP")
				return err
			},
		},
		{
			ID: "rfc4217/1/auth-ssl", RFC: "4217", Section: "1", Level: May,
			Title:       "AUTH SSL is either refused or honoured with a working handshake",
			Requirement: `This document will only refer to the TLS protocol; however, it is understood that the Client and Server MAY actually be using SSL if they are so configured.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			// RFC 4217 defines only 'TLS' (and 'TLS-C'); 'SSL' is a legacy name a server may
			// accept (then TLS must really follow) or refuse like any unknown mechanism.
			Run: func(ctx context.Context, env *Env) error {
				c, r, err := extAuthWith(ctx, env, "SSL")
				if err != nil {
					return err
				}
				switch {
				case r.Code == 234:
					_, err = extAnswers(ctx, c, "NOOP")
					return err
				case extClass5Or4(r):
					return nil
				}
				return Violatef("234 followed by TLS, or a refusal (504)", "%s", quote(r))
			},
		},
		{
			ID: "rfc4217/4.2/auth-resets-login", RFC: "4217", Section: "4.2", Level: Should,
			Title:       "AUTH TLS after a login requires logging in again",
			Requirement: `[RFC-2228] states that the user must reauthorize (that is, reissue some or all of the USER, PASS, and ACCT commands) following an AUTH command.`,
			Tags:        []string{"tls", "security", "login"}, Needs: tlsNeeds, TLS: OwnTLS,
			// A lower-case "must" in both RFC 2228 and RFC 4217 (which uses the RFC 2119 keywords
			// in upper case only), so SHOULD; RFC 4217 §4 repeats it ("Reset transfer parameters
			// after the AUTH command, including ... user identity").
			Run: func(ctx context.Context, env *Env) error {
				c, err := extDial(ctx, env)
				if err != nil {
					return err
				}
				if err := c.LoginOnly(ctx); err != nil {
					return Unsupportedf("the server does not allow a login in the clear (a policy RFC 4217 §10.1 allows): %v", err)
				}
				r, err := c.Cmd(ctx, "AUTH TLS")
				if err != nil {
					return err
				}
				if r.Code != 234 {
					return Unsupportedf("the server refuses AUTH TLS after a login: %s", quote(r))
				}
				if err := c.StartTLS(ctx, env.newTLSConfig()); err != nil {
					return err
				}
				r, err = c.Cmd(ctx, "PWD")
				if err != nil {
					return err
				}
				if r.Class() == 2 {
					return Violatef("530 (log in again) after AUTH TLS", "PWD answered %s: the login made in the clear survived", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc4217/10.1/handshake-failure-drops", RFC: "4217", Section: "10.1", Level: Should,
			Title:       "a TLS handshake that fails after 234 ends the control connection",
			Requirement: `In this case, the control connection is in an unknown state and the server SHOULD simply drop the control connection.`,
			Tags:        []string{"tls", "security"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extDial(ctx, env)
				if err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "AUTH TLS", 234); err != nil {
					return err
				}
				// Plaintext where the ClientHello belongs: "FEAT\r\n" is no TLS record.
				if err := c.SendRaw(ctx, []byte("FEAT\r\n")); err != nil {
					return err
				}
				nc := c.NetConn()
				_ = nc.SetReadDeadline(time.Now().Add(3 * time.Second))
				got, err := io.ReadAll(io.LimitReader(nc, 4096))
				env.Note("after plaintext in place of a ClientHello the server sent %d bytes: %q", len(got), truncate(got))
				// Dropped: the server closed (EOF or a reset) within the wait. One last line before
				// the close (vsftpd's "500 OOPS", ProFTPD's "421 TLS handshake failed") is not
				// going on: only a connection still open after a plaintext reply is.
				var ne net.Error
				stillOpen := errors.As(err, &ne) && ne.Timeout()
				if len(got) >= 4 && allDigits(string(got[:3])) && (got[3] == ' ' || got[3] == '-') {
					if !stillOpen {
						env.Note("the server closed the connection after that line (%v)", map[bool]any{true: "EOF", false: err}[err == nil])
						return nil
					}
					return Violatef("the connection dropped (the handshake failed)", "the server went on in plaintext and kept the connection open: %q", truncate(got))
				}
				return nil
			},
		},
		{
			ID: "rfc4217/10.1/user-before-auth-policy", RFC: "4217", Section: "10.1", Level: May,
			Title:       "a server that refuses USER in the clear accepts it once TLS is up",
			Requirement: `Deny certain commands before TLS is negotiated (e.g., USER, PASS, or ACCT).`,
			Tags:        []string{"tls", "login"}, Needs: tlsNeeds, TLS: OwnTLS,
			// Refusing USER before AUTH is a policy RFC 4217 allows; what would be wrong is a
			// policy that leaves no way in.
			Run: func(ctx context.Context, env *Env) error {
				c, err := extDial(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "USER "+env.Target.User)
				if err != nil {
					return err
				}
				if r.Class() == 2 || r.Class() == 3 {
					return nil // USER allowed in the clear
				}
				env.Note("USER in the clear refused: %s", r.String())
				s, err := extAuthTLS(ctx, env)
				if err != nil {
					return err
				}
				r, err = s.Cmd(ctx, "USER "+env.Target.User)
				if err != nil {
					return err
				}
				if r.Class() != 2 && r.Class() != 3 {
					return Violatef("USER accepted (331/230) on the protected connection", "%s", quote(r))
				}
				return nil
			},
		},
	}
}

func rfc4217Prot() []Case {
	return []Case{
		{
			ID: "rfc2228/3/pbsz-before-auth", RFC: "2228", Section: "3", Level: Must,
			Title:       "PBSZ before a security exchange is refused (503)",
			Requirement: `The PBSZ command must be preceded by a successful security data exchange.`,
			Tags:        []string{"tls"}, TLS: OwnTLS, // for servers without TLS too: what they answer is what the rule is about
			// Accepting it is wrong (MUST); "it should respond with a 503 reply code": another
			// refusal is a warning.
			Run: func(ctx context.Context, env *Env) error {
				c, err := extDial(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PBSZ 0")
				if err != nil {
					return err
				}
				return refusedWithoutSecurity(ctx, env, r, 503, "PBSZ before AUTH")
			},
		},
		{
			ID: "rfc4217/9/pbsz-0", RFC: "4217", Section: "9", Level: Must,
			Title:       "PBSZ 0 is accepted (200) on a TLS-protected control connection",
			Requirement: `Thus, the PBSZ command MUST still be issued, but must have a parameter of '0' to indicate that no buffering is taking place and the data connection should not be encapsulated.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extAuthTLS(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PBSZ 0")
				if err != nil {
					return err
				}
				if r.Code == 530 { // RFC 4217 §12.1 note 1: the server may want the login first
					if err := c.LoginOnly(ctx); err != nil {
						return err
					}
					if r, err = c.Cmd(ctx, "PBSZ 0"); err != nil {
						return err
					}
				}
				return want(r, "PBSZ 0 after AUTH TLS", 200)
			},
		},
		{
			ID: "rfc2228/3/pbsz-too-large", RFC: "2228", Section: "3", Level: Should,
			Title:       `PBSZ with a size TLS does not use is answered "200 PBSZ=0"`,
			Requirement: `If the size provided by the client is too large for the server, it must use a string of the form "PBSZ=number" in the text part of the reply to indicate a smaller buffer size.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			// RFC 2228's lower-case "must" binds its encapsulating mechanisms; under TLS every
			// client sends PBSZ 0 (RFC 4217 §9), so a text without PBSZ=0 misleads no client in
			// practice: SHOULD.
			Run: func(ctx context.Context, env *Env) error {
				c, err := extAuthTLS(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PBSZ 1048576")
				if err != nil {
					return err
				}
				if r.Code == 530 {
					if err := c.LoginOnly(ctx); err != nil {
						return err
					}
					if r, err = c.Cmd(ctx, "PBSZ 1048576"); err != nil {
						return err
					}
				}
				if r.Code != 200 || !strings.Contains(strings.ToUpper(r.Text()), "PBSZ=0") {
					return Violatef(`"200 PBSZ=0" (TLS buffers nothing)`, "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc4217/9/prot-without-tls", RFC: "4217", Section: "9", Level: Must,
			Title:       "PROT P on an unprotected control connection is refused (503)",
			Requirement: `Note: In line with [RFC-2228], there is no facility for securing the Data connection with an insecure Control connection.`,
			Tags:        []string{"tls", "security"}, TLS: OwnTLS, // for servers without TLS too: what they answer is what the rule is about
			Run: func(ctx context.Context, env *Env) error {
				c, err := extDial(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PROT P")
				if err != nil {
					return err
				}
				return refusedWithoutSecurity(ctx, env, r, 503, "PROT P without AUTH TLS")
			},
		},
		{
			ID: "rfc2228/3/prot-before-pbsz", RFC: "2228", Section: "3", Level: Should,
			Title:       "PROT before PBSZ is refused (503)",
			Requirement: `The PROT command will be rejected and the server should reply 503 if no previous PBSZ command was issued.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			// "should reply 503"; a server that accepts PROT without PBSZ endangers nothing
			// under TLS (PBSZ is always 0): SHOULD.
			Run: func(ctx context.Context, env *Env) error {
				c, err := extAuthTLS(ctx, env)
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
			ID: "rfc4217/8/prot-p-200", RFC: "4217", Section: "8", Level: Must,
			Title:       "after AUTH TLS and PBSZ 0, PROT P is accepted (200)",
			Requirement: `To protect the data channel as well, the PBSZ command, followed by the PROT command sequence, MUST be used.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extAuthTLS(ctx, env)
				if err != nil {
					return err
				}
				if _, err := extPBSZ(ctx, c); err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PROT P")
				if err != nil {
					return err
				}
				if r.Code == 534 || r.Code == 536 || r.Code == 431 {
					return Unsupportedf("the server refuses data protection (RFC 4217 §10.2 view 1): %s", quote(r))
				}
				return want(r, "PROT P after PBSZ 0", 200)
			},
		},
		{
			ID: "rfc2228/3/prot-unknown-level", RFC: "2228", Section: "3", Level: Must,
			Title:       "PROT with an unknown level is refused (504, or 501 for the syntax)",
			Requirement: `If the server does not understand the specified protection level, it should respond with reply code 504.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			// Accepting an unknown level is wrong (MUST); which refusal is a SHOULD.
			Run: func(ctx context.Context, env *Env) error {
				c, err := extAuthTLS(ctx, env)
				if err != nil {
					return err
				}
				if _, err := extPBSZ(ctx, c); err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PROT Q")
				if err != nil {
					return err
				}
				return recommended(r, 504, "PROT Q", 501)
			},
		},
		{
			ID: "rfc2228/3/prot-safe-unsupported", RFC: "2228", Section: "3", Level: Should,
			Title:       "PROT S and PROT E, which TLS does not provide, are refused (536)",
			Requirement: `If the current security mechanism does not support the specified protection level, the server should respond with reply code 536.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			// RFC 2228 also lets a mechanism give more protection than asked, so accepting S or E
			// (and then using TLS) is not plainly wrong: SHOULD throughout.
			Run: func(ctx context.Context, env *Env) error {
				c, err := extAuthTLS(ctx, env)
				if err != nil {
					return err
				}
				if _, err := extPBSZ(ctx, c); err != nil {
					return err
				}
				for _, level := range []string{"S", "E"} {
					r, err := c.Cmd(ctx, "PROT "+level)
					if err != nil {
						return err
					}
					if err := recommended(r, 536, "PROT "+level+" under TLS (RFC 4217 §9 uses only C and P)", 534); err != nil {
						return err
					}
				}
				return nil
			},
		},
	}
}

// extSecureFile secures a session with PROT P, logs in and uploads size bytes of identifying
// content over a protected data connection.
func extSecureFile(ctx context.Context, env *Env, size int) (*Ctrl, string, []byte, error) {
	c, err := extSecureLogin(ctx, env, "P")
	if err != nil {
		return nil, "", nil, err
	}
	name := env.Name("f")
	data := extBinary(env, name, size)
	if err := extStor(ctx, c, name, data); err != nil {
		return nil, "", nil, err
	}
	return c, name, data, nil
}

// extJudgeProtected judges a transfer under PROT P: the data connection must have completed a TLS
// handshake (a violation otherwise); a transfer that then failed is the harness's error to report
// (completeness is rfc959/4.1.3/retr-byte-exact's business under --tls explicit); wrong bytes are
// a violation (checkContent) when want is set.
func extJudgeProtected(x extXfer, dc *DataConn, what string, want, got []byte) error {
	if x.Prelim.Class() != 1 {
		return fmt.Errorf("setup: the transfer was refused: %s", quote(x.Prelim))
	}
	if st, ok := extTLSState(dc); !ok || !st.HandshakeComplete {
		return Violatef("a TLS handshake on the data connection under PROT P", "none completed: %s %v", transferString(x.Transfer), x.DataErr)
	}
	if x.DataErr != nil || !x.OK() {
		return fmt.Errorf("the protected transfer did not complete: %s %v", transferString(x.Transfer), x.DataErr)
	}
	if want == nil {
		return nil
	}
	return checkContent(what, want, got)
}

// extRetrWith downloads name over a data connection the case configures (cfg nil: plain).
func extRetrWith(ctx context.Context, c *Ctrl, name string, cfg *tls.Config) (extXfer, *DataConn, error) {
	ap, err := c.Passive(ctx)
	if err != nil {
		return extXfer{}, nil, err
	}
	dc, err := extDataConn(ctx, c, ap, cfg)
	if err != nil {
		return extXfer{}, nil, err
	}
	x, err := extTransfer(ctx, c, dc, "RETR "+name, nil)
	return x, dc, err
}

// extClearUpload uploads data over a plain data connection, whatever the server expects, and
// returns the transfer; a server that wants TLS there fails the upload rather than hanging.
func extClearUpload(ctx context.Context, c *Ctrl, name string, data []byte) (extXfer, error) {
	c.env.Track(name, false)
	ap, err := c.Passive(ctx)
	if err != nil {
		return extXfer{}, err
	}
	dc, err := extDataConn(ctx, c, ap, nil)
	if err != nil {
		return extXfer{}, err
	}
	return extTransfer(ctx, c, dc, "STOR "+name, data)
}

// extClearDownload downloads name over a plain data connection, giving up on the bytes after
// wait (a server that wants a TLS handshake there sends nothing).
func extClearDownload(ctx context.Context, c *Ctrl, name string, wait time.Duration) (extXfer, error) {
	ap, err := c.Passive(ctx)
	if err != nil {
		return extXfer{}, err
	}
	dc, err := extDataConn(ctx, c, ap, nil)
	if err != nil {
		return extXfer{}, err
	}
	dctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var x extXfer
	x.Port = dc.port
	defer dc.Close()
	if x.Prelim, err = c.Cmd(ctx, "RETR "+name); err != nil || x.Prelim.Class() != 1 {
		return x, err
	}
	dl, _ := dctx.Deadline()
	_ = dc.SetDeadline(dl)
	x.Data, x.DataErr = io.ReadAll(io.LimitReader(dc, maxDownload))
	dc.Close()
	x.Final, err = c.ReadReply(ctx)
	return x, err
}

// extJudgeClear judges a round trip in the clear: upload then download over plain data
// connections. A refusal before any 1yz, with a code meaning "wrong PROT level" (RFC 4217 §10.2:
// 521; §11.4: 522; RFC 2228 §6: 534), is a policy and gives unsupported.
func extJudgeClear(ctx context.Context, c *Ctrl, env *Env, what string) error {
	name := env.Name("clear")
	data := extBinary(env, name, 20000)
	up, err := extClearUpload(ctx, c, name, data)
	if err != nil {
		return err
	}
	if refused(up.Prelim) {
		if up.Prelim.Code == 521 || up.Prelim.Code == 522 || up.Prelim.Code == 534 {
			return Unsupportedf("the server insists on protected data connections: %s", quote(up.Prelim))
		}
		return fmt.Errorf("setup: STOR in the clear: %s", quote(up.Prelim))
	}
	if !up.OK() || up.DataErr != nil {
		return Violatef("an upload in the clear "+what, "%s %v", transferString(up.Transfer), up.DataErr)
	}
	down, err := extClearDownload(ctx, c, name, 5*time.Second)
	if err != nil {
		return err
	}
	if isTLSRecord(down.Data) {
		return Violatef("clear data "+what, "the data connection started with a TLS record")
	}
	if !down.OK() {
		return Violatef("a download in the clear "+what, "%s, %d bytes", transferString(down.Transfer), len(down.Data))
	}
	return checkContent("the file, in the clear", data, down.Data)
}

func rfc4217Data() []Case {
	const levelHolds = `Once a PROT command has been issued by the client and accepted by the server returning the '200' reply, the security of subsequent data connections MUST be at that level until another PROT command is issued and accepted; the session ends and a REIN command is issued, or the security of the session (via an AUTH command) is re-negotiated.`
	return []Case{
		{
			ID: "rfc4217/9/prot-p-data", RFC: "4217", Section: "9", Level: Must,
			Title:       "after PROT P, LIST runs over a TLS data connection",
			Requirement: `If the data connection security level is 'Private', then a TLS negotiation must take place on the data connection to the satisfaction of the Client and Server prior to any data being transmitted over the connection.`,
			Tags:        []string{"tls", "transfer"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := extSecureFile(ctx, env, 100)
				if err != nil {
					return err
				}
				t, err := c.Do(ctx, "LIST", nil)
				if err != nil {
					return Violatef("LIST over a TLS data connection", "%v", err)
				}
				if !t.OK() {
					return Violatef("LIST over a TLS data connection to succeed", "%s", transferString(t))
				}
				if !bytes.Contains(t.Data, []byte(name)) {
					return Violatef("a listing naming "+name, "%q", truncate(t.Data))
				}
				return nil
			},
		},
		{
			ID: "rfc4217/9/prot-p-retr", RFC: "4217", Section: "9", Level: Must,
			Title:       "after PROT P, RETR sends the exact bytes over TLS",
			Requirement: levelHolds,
			Tags:        []string{"tls", "transfer"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := extSecureFile(ctx, env, 150001)
				if err != nil {
					return err
				}
				x, dc, err := extRetrWith(ctx, c, name, c.tls)
				if err != nil {
					return err
				}
				return extJudgeProtected(x, dc, "the file over TLS", data, x.Data)
			},
		},
		{
			ID: "rfc4217/9/prot-p-stor", RFC: "4217", Section: "9", Level: Must,
			Title:       "after PROT P, STOR over TLS stores the exact bytes, and the level holds for the next transfer",
			Requirement: levelHolds,
			Tags:        []string{"tls", "transfer"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extSecureLogin(ctx, env, "P")
				if err != nil {
					return err
				}
				name := env.Name("up")
				data := extBinary(env, name, 120007)
				env.Track(name, false)
				ap, err := c.Passive(ctx)
				if err != nil {
					return err
				}
				dc, err := extDataConn(ctx, c, ap, c.tls)
				if err != nil {
					return err
				}
				up, err := extTransfer(ctx, c, dc, "STOR "+name, data)
				if err != nil {
					return err
				}
				if err := extJudgeProtected(up, dc, "", nil, nil); err != nil {
					return err
				}
				down, dc, err := extRetrWith(ctx, c, name, c.tls)
				if err != nil {
					return err
				}
				return extJudgeProtected(down, dc, "the file stored over TLS", data, down.Data)
			},
		},
		{
			ID: "rfc4217/9/prot-p-no-plaintext", RFC: "4217", Section: "9", Level: Must,
			Title:       "under PROT P, a data connection that never starts TLS gets no file bytes",
			Requirement: levelHolds,
			Tags:        []string{"tls", "security"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := extSecureFile(ctx, env, 50000)
				if err != nil {
					return err
				}
				x, err := extClearDownload(ctx, c, name, extWait)
				if err != nil && x.Prelim.Class() == 1 && len(x.Data) == 0 {
					// No byte of the file crossed in the clear, which is the rule; the server then
					// broke the session (vsftpd writes a cleartext "500 OOPS" on the protected
					// control connection and exits): no final reply to judge.
					env.Note("no file bytes on the unprotected data connection; then no final reply: %v", err)
					return nil
				}
				if err != nil {
					return err
				}
				if len(x.Data) > 0 && !isTLSRecord(x.Data) {
					if bytes.Contains(data, x.Data[:min(len(x.Data), 64)]) {
						return Violatef("no file bytes without a TLS handshake", "%d bytes of the file arrived in the clear", len(x.Data))
					}
				}
				if x.OK() {
					return Violatef("the transfer refused or failed (no TLS handshake took place)", "%s", transferString(x.Transfer))
				}
				return nil
			},
		},
		{
			ID: "rfc4217/9/initial-clear", RFC: "4217", Section: "9", Level: Must,
			Title:       "after AUTH TLS without PROT, data connections are in the clear",
			Requirement: `The initial state of the data connection MUST be 'Clear' (this is the behaviour as indicated by [RFC-2228]).`,
			Tags:        []string{"tls", "transfer"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extSecureLogin(ctx, env, "")
				if err != nil {
					return err
				}
				return extJudgeClear(ctx, c, env, "before any PROT")
			},
		},
		{
			ID: "rfc4217/9/prot-c-clear", RFC: "4217", Section: "9", Level: Must,
			Title:       "after PROT P then PROT C, data connections are in the clear",
			Requirement: `With 'Clear' protection level, the data connection is made without TLS.`,
			Tags:        []string{"tls", "transfer"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extSecureLogin(ctx, env, "P")
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PROT C")
				if err != nil {
					return err
				}
				if r.Code != 200 {
					return Unsupportedf("PROT C refused (a server may insist on protection): %s", quote(r))
				}
				c.Prot = false
				return extJudgeClear(ctx, c, env, "after PROT C")
			},
		},
		{
			ID: "rfc4217/7/active-tls-client", RFC: "4217", Section: "7", Level: Must,
			Title:       "with PORT/EPRT under PROT P the server connects, and the client is the TLS client",
			Requirement: `For i) and ii), the FTP client MUST be the TLS client and the FTP server MUST be the TLS server.`,
			Tags:        []string{"tls", "active", "transfer"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := extSecureFile(ctx, env, 30000)
				if err != nil {
					return err
				}
				l, err := c.Listen(c.LocalAddr().Addr())
				if err != nil {
					return err
				}
				defer l.Close()
				cmd := "EPRT " + ftpwire.FormatEPRT(l.Addr)
				if l.Addr.Addr().Is4() {
					cmd = "PORT " + ftpwire.FormatPORT(l.Addr)
				}
				r, err := c.Cmd(ctx, cmd)
				if err != nil {
					return err
				}
				if r.Code != 200 {
					return Unsupportedf("the server refuses active mode to the client's own address: %s", quote(r))
				}
				t, err := c.activeTransfer(ctx, l, "RETR "+name)
				if err != nil {
					return Violatef("a TLS handshake with the server as TLS server on the connection it opened", "%v", err)
				}
				if !t.OK() {
					return Violatef("RETR over the active TLS connection to succeed", "%s", transferString(t))
				}
				return checkContent("the file over the active TLS connection", data, t.Data)
			},
		},
		{
			ID: "rfc4217/10.2/fresh-session-522", RFC: "4217", Section: "10.2", Level: Should,
			Title:       "a data connection that does not resume the session is served, or refused with 522",
			Requirement: `If this is the reason for the refusal to allow the data transfer, then the '522' reply should indicate this.`,
			Tags:        []string{"tls", "security"}, Needs: tlsNeeds, TLS: OwnTLS,
			// "It is reasonable for the server to insist that the data connection uses a TLS
			// cached session": either outcome is right; the refusal should be a 522.
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := extSecureFile(ctx, env, 20000)
				if err != nil {
					return err
				}
				fresh := env.newTLSConfig() // its own empty session cache: a full handshake
				x, dc, err := extRetrWith(ctx, c, name, fresh)
				if err != nil {
					return err
				}
				st, _ := extTLSState(dc)
				env.Note("data connection with a fresh TLS session: handshake complete=%v resumed=%v; %s", st.HandshakeComplete, st.DidResume, transferString(x.Transfer))
				if x.OK() && x.DataErr == nil {
					return checkContent("the file over a fresh TLS session", data, x.Data)
				}
				if x.Final.Code == 522 || x.Prelim.Code == 522 {
					return nil // refused; some servers finish the handshake before their 150
				}
				return Violatef("the transfer, or 522 after the 150 when the server insists on session reuse", "%s %v", transferString(x.Transfer), x.DataErr)
			},
		},
		{
			ID: "rfc4217/15.1.1/data-same-certificate", RFC: "4217", Section: "15.1.1", Level: Should,
			Title:       "the data connection presents the control connection's certificate",
			Requirement: `It is strongly recommended that the certificate used for server authentication of Data connections be the same certificate as that used for the corresponding Control connection.`,
			Tags:        []string{"tls", "security"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := extSecureFile(ctx, env, 1000)
				if err != nil {
					return err
				}
				x, dc, err := extRetrWith(ctx, c, name, c.tls)
				if err != nil {
					return err
				}
				if !x.OK() {
					return fmt.Errorf("setup: RETR over TLS: %s %v", transferString(x.Transfer), x.DataErr)
				}
				ctrl, _ := c.TLSState()
				data, _ := extTLSState(dc)
				if len(ctrl.PeerCertificates) == 0 || len(data.PeerCertificates) == 0 {
					return Skipf("no server certificate to compare (control %d, data %d)", len(ctrl.PeerCertificates), len(data.PeerCertificates))
				}
				if !bytes.Equal(ctrl.PeerCertificates[0].Raw, data.PeerCertificates[0].Raw) {
					return Violatef("the same certificate on both connections", "control %q, data %q", ctrl.PeerCertificates[0].Subject, data.PeerCertificates[0].Subject)
				}
				return nil
			},
		},
		{
			ID: "rfc4217/10.2/prot-checked-at-transfer", RFC: "4217", Section: "10.2", Level: Should,
			Title:       "the PROT level is checked at the transfer command, not at PASV",
			Requirement: `The server SHOULD only check the status of the data protection level (for options 3 and 4 above) on the actual command that will initiate the data transfer (and not on the PORT or PASV).`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extSecureLogin(ctx, env, "")
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "PROT C")
				if err != nil {
					return err
				}
				if r.Code != 200 {
					return Unsupportedf("PROT C refused: %s", quote(r))
				}
				verb := "PASV"
				if !c.RemoteAddr().Addr().Is4() {
					verb = "EPSV"
				}
				r, err = c.Cmd(ctx, verb)
				if err != nil {
					return err
				}
				if r.Code != 227 && r.Code != 229 {
					return Violatef(verb+" accepted whatever the PROT level", "%s", quote(r))
				}
				return nil
			},
		},
	}
}

func rfc4217Control() []Case {
	return []Case{
		{
			ID: "rfc4217/5/ccc-unprotected-533", RFC: "4217", Section: "5", Level: Should,
			Title:       "CCC on an unprotected control connection is refused (533, or 500 by a server without CCC)",
			Requirement: `Otherwise, if the control connection is not protected with TLS, then a 533 reply should be sent.`,
			Tags:        []string{"tls"}, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extDial(ctx, env)
				if err != nil {
					return err
				}
				if err := c.LoginOnly(ctx); err != nil {
					return Skipf("a login in the clear is refused (%v), and before login any command may be refused", err)
				}
				r, err := c.Cmd(ctx, "CCC")
				if err != nil {
					return err
				}
				if notImplemented(r) {
					return nil // §5's first case: the server does not accept CCC at all
				}
				return want(r, "CCC without TLS", 533)
			},
		},
		{
			ID: "rfc4217/5/ccc-clears", RFC: "4217", Section: "5", Level: May,
			Title:       "CCC, when accepted, returns the control connection to plaintext and keeps data protected",
			Requirement: `Continue the control connection in plaintext, expecting the next command from the client to be in plaintext.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			// CCC is optional (RFC 2228 advises against it); refusing it (534, or 500/502) is
			// fine. Accepted, it must behave as §5 says.
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := extSecureFile(ctx, env, 10000)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "CCC")
				if err != nil {
					return err
				}
				if r.Code != 200 {
					return Unsupportedf("CCC is not offered: %s", quote(r))
				}
				dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err = c.DropTLS(dctx)
				cancel()
				if err != nil {
					return Violatef("a TLS shutdown after 200 to CCC", "%v", err)
				}
				if _, err := extAnswers(ctx, c, "NOOP"); err != nil {
					return err
				}
				got, err := c.Retr(ctx, name)
				if err != nil {
					return Violatef("transfers still protected by PROT P after CCC", "%v", err)
				}
				if err := checkContent("the file after CCC", data, got); err != nil {
					return err
				}
				r, err = c.Cmd(ctx, "PROT C")
				if err != nil {
					return err
				}
				if r.Class() == 2 {
					return Violatef("PROT refused after CCC (\"Not accept any more PBSZ or PROT commands\")", "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc4217/13/rein-clears-tls", RFC: "4217", Section: "13", Level: Must,
			Title:       "REIN on a TLS session is answered under TLS, then TLS is cleared",
			Requirement: `When this command is processed by the server, the TLS session(s) MUST be cleared and the control and data connections revert to unprotected, clear communications.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extSecureLogin(ctx, env, "P")
				if err != nil {
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
				// Processed is what the server did (a 2yz), not the code it chose: pyftpdlib
				// answers "230 Ready for new user." (a code outside REIN's row of RFC 959's
				// table, which rfc959/5.4/rein-replies grades) and has reinitialised the session.
				if r.Class() != 2 {
					return Unsupportedf("REIN is not processed on a TLS session: %s", quote(r))
				}
				if r.Code != 220 {
					env.Note("REIN processed with %s (RFC 959 gives 220 for it): checking that TLS was cleared", quote(r))
				}
				dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err = c.DropTLS(dctx)
				cancel()
				if err != nil {
					return Violatef("the TLS session cleared after REIN was processed (close_notify both ways)", "%v", err)
				}
				_, err = extAnswers(ctx, c, "NOOP")
				if err != nil && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
					// Clearing TLS means going on in the clear ("revert to unprotected, clear
					// communications"), not ending the session.
					return Violatef("the control connection to go on in the clear once TLS was cleared (NOOP answered)", "the server closed it: %v", err)
				}
				return err
			},
		},
		{
			ID: "rfc2228/3/adat-without-auth", RFC: "2228", Section: "3", Level: Should,
			Title:       "ADAT before AUTH is refused (503)",
			Requirement: `If the server has not yet received an AUTH command, or if a prior security data exchange completed, but the security state has not been reset with an AUTH command, it should respond with reply code 503.`,
			Tags:        []string{"tls"}, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extDial(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "ADAT Zm9v")
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "ADAT"); err != nil {
					return err
				}
				if r.Code == 530 {
					// Before login many servers answer every command they do not know with 530.
					return Unsupportedf("ADAT before login: %s", quote(r))
				}
				return recommended(r, 503, "ADAT before AUTH")
			},
		},
		{
			// The server's rule is quoted; "The ADAT command must be preceded by …" is the client's.
			ID: "rfc2228/3/adat-after-tls", RFC: "2228", Section: "3", Level: Should,
			Title:       "ADAT after the TLS exchange completed is refused (503)",
			Requirement: `If the server has not yet received an AUTH command, or if a prior security data exchange completed, but the security state has not been reset with an AUTH command, it should respond with reply code 503.`,
			Tags:        []string{"tls"}, Needs: tlsNeeds, TLS: OwnTLS,
			// TLS servers need no ADAT and commonly do not implement it (500/502: unsupported).
			Run: func(ctx context.Context, env *Env) error {
				c, err := extAuthTLS(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "ADAT Zm9v")
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "ADAT"); err != nil {
					return err
				}
				if r.Code == 530 {
					// Not logged in yet: a server that answers every command it does not know
					// with 530 before login says nothing about ADAT (as in adat-without-auth).
					return Unsupportedf("ADAT after AUTH TLS, before login: %s", quote(r))
				}
				return recommended(r, 503, "ADAT after the TLS handshake")
			},
		},
		{
			ID: "rfc2228/3/mic-without-security", RFC: "2228", Section: "3", Level: Should,
			Title:       "MIC before a security exchange is refused (503)",
			Requirement: `If the server has not completed a security data exchange with the client, it should respond with a 503 reply code.`,
			Tags:        []string{"tls"}, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extDial(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "MIC Zm9v")
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "MIC"); err != nil {
					return err
				}
				if r.Code == 530 {
					// Before login many servers answer every command they do not know with 530.
					return Unsupportedf("MIC before login: %s", quote(r))
				}
				return recommended(r, 503, "MIC before AUTH")
			},
		},
	}
}

func rfc4217Feat() []Case {
	const advertise = `If a server supports the FEAT command, then it MUST advertise supported AUTH, PBSZ, and PROT commands in the reply, as described in section 3.2 of [RFC-2389].`
	secured := func(prot bool) func(ctx context.Context, env *Env) (*Ctrl, string, error) {
		return func(ctx context.Context, env *Env) (*Ctrl, string, error) {
			c, err := extAuthTLS(ctx, env)
			if err != nil {
				return nil, "", err
			}
			if !prot {
				return c, "AUTH TLS answered 234 and TLS was negotiated", nil
			}
			if _, err := extPBSZ(ctx, c); err != nil {
				return nil, "", Unsupportedf("PBSZ 0 does not work here: %v", err)
			}
			r, err := c.Cmd(ctx, "PROT P")
			if err != nil {
				return nil, "", err
			}
			if r.Code != 200 {
				return nil, "", Unsupportedf("PROT P does not work here: %s", quote(r))
			}
			return c, "PBSZ 0 and PROT P answered 200", nil
		}
	}
	tlsTags := []string{"tls"}
	own := func(c Case) Case { c.TLS = OwnTLS; return c }
	return []Case{
		own(extListedCase("rfc4217/6/feat-lists-auth", "4217", "6", "AUTH TLS works, so FEAT lists AUTH", advertise, false,
			tlsTags, tlsNeeds, extLabel("AUTH"), "an AUTH line", secured(false))),
		own(extListedCase("rfc4217/6/feat-lists-pbsz", "4217", "6", "PBSZ works, so FEAT lists PBSZ", advertise, false,
			tlsTags, tlsNeeds, extLabel("PBSZ"), "a PBSZ line", secured(true))),
		own(extListedCase("rfc4217/6/feat-lists-prot", "4217", "6", "PROT works, so FEAT lists PROT", advertise, false,
			tlsTags, tlsNeeds, extLabel("PROT"), "a PROT line", secured(true))),
		{
			ID: "rfc4217/6/feat-auth-tls", RFC: "4217", Section: "6", Level: Should,
			Title:       "FEAT's AUTH line names TLS",
			Requirement: `Additionally, the AUTH command should have a reply that identifies 'TLS' as one of the possible parameters to AUTH.`,
			Tags:        []string{"tls", "feat"}, Needs: tlsNeeds, TLS: OwnTLS,
			Run: func(ctx context.Context, env *Env) error {
				c, err := extDial(ctx, env)
				if err != nil {
					return err
				}
				r, lines, err := extFeat(ctx, c)
				if err != nil {
					return err
				}
				var auth []string
				for _, l := range lines {
					if l.label == "AUTH" {
						if extAuthNamesTLS(l.params) {
							return nil
						}
						auth = append(auth, fmt.Sprintf("%q", l.line))
					}
				}
				if len(auth) == 0 {
					return Skipf("no AUTH line in FEAT (judged by rfc4217/6/feat-lists-auth): %s", quote(r))
				}
				return Violatef(`" AUTH TLS" (TLS among AUTH's parameters)`, "%s", strings.Join(auth, ", "))
			},
		},
		{
			ID: "rfc4217/6/feat-auth-tls-honoured", RFC: "4217", Section: "6", Level: Must,
			Title:       "when FEAT advertises AUTH TLS, AUTH TLS is answered 234 and TLS works",
			Requirement: advertise,
			Tags:        []string{"tls", "feat"}, Needs: []Feature{FeatNeed("AUTH")}, TLS: OwnTLS,
			// The MUST is to advertise what is supported; advertising what is not is the
			// converse lie, which RFC 2389 §3 rules out as well.
			Run: func(ctx context.Context, env *Env) error {
				// The run's FEAT map keeps one line per label; servers list "AUTH TLS" and
				// "AUTH SSL" on separate lines, so look at every line.
				named := false
				for _, p := range env.Profile.Feat {
					if label, params, _ := strings.Cut(p, " "); strings.EqualFold(label, "AUTH") && extAuthNamesTLS(params) {
						named = true
					}
				}
				if !named {
					return Unsupportedf("FEAT advertises AUTH, but not with TLS")
				}
				c, r, err := extAuthWith(ctx, env, "TLS")
				if err != nil {
					return err
				}
				if r.Code != 234 {
					return Violatef("234 to AUTH TLS, which FEAT advertises", "%s", quote(r))
				}
				_, err = extAnswers(ctx, c, "NOOP")
				return err
			},
		},
	}
}

// extAuthNamesTLS reports whether an AUTH feature's parameters include TLS (or its synonym TLS-C).
func extAuthNamesTLS(params string) bool {
	for _, p := range strings.FieldsFunc(strings.ToUpper(params), func(r rune) bool { return r == ';' || r == ' ' || r == ',' }) {
		if p == "TLS" || p == "TLS-C" {
			return true
		}
	}
	return false
}
