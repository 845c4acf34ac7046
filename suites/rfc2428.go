package suites

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
)

// RFC 2428, EPRT and EPSV. Both are optional: a server that answers 500/502 gets unsupported.
func rfc2428Cases() []Case {
	epsv := func(ctx context.Context, env *Env) (*Ctrl, ftpwire.Reply, error) {
		c, err := env.Login(ctx)
		if err != nil {
			return nil, ftpwire.Reply{}, err
		}
		r, err := c.Cmd(ctx, "EPSV")
		if err != nil {
			return nil, r, err
		}
		if err := c.unsupportedIfUnknown(r, "EPSV"); err != nil {
			return nil, r, err
		}
		return c, r, nil
	}
	return []Case{
		{
			ID: "rfc2428/3/epsv-229", RFC: "2428", Section: "3", Level: Must,
			Title:       "EPSV is answered with 229",
			Requirement: `The response code for entering passive mode using an extended address MUST be 229.`,
			Tags:        []string{"epsv"},
			Run: func(ctx context.Context, env *Env) error {
				_, r, err := epsv(ctx, env)
				if err != nil {
					return err
				}
				return want(r, "EPSV", 229)
			},
		},
		{
			ID: "rfc2428/3/epsv-fields-blank", RFC: "2428", Section: "3", Level: Must,
			Title:       "the 229 reply is (<d><d><d>port<d>) with the first two fields blank",
			Requirement: `The first two fields contained in the parenthesis MUST be blank.`,
			Tags:        []string{"epsv"},
			Run: func(ctx context.Context, env *Env) error {
				_, r, err := epsv(ctx, env)
				if err != nil {
					return err
				}
				if r.Code != 229 {
					return fmt.Errorf("setup: EPSV: %s", quote(r))
				}
				if _, err := ftpwire.ParseEPSV(r.Text()); err != nil {
					return Violatef("229 … (|||port|)", "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc2428/3/epsv-listens", RFC: "2428", Section: "3", Level: Must,
			Title:       "the server listens on the EPSV port at the control connection's address",
			Requirement: `The third field MUST be the string representation of the TCP port number on which the server is listening for a data connection.`,
			Tags:        []string{"epsv"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				ap, _, err := c.Epsv(ctx)
				if err != nil {
					return err
				}
				t, err := c.DoAt(ctx, ap, "LIST", nil)
				if err != nil {
					return Violatef("a listener at "+ap.String(), "%v", err)
				}
				if !t.OK() {
					return Violatef("LIST over the EPSV connection to succeed", "%s", transferString(t))
				}
				return nil
			},
		},
		{
			ID: "rfc2428/3/epsv-unknown-protocol", RFC: "2428", Section: "3", Level: Must,
			Title:       "EPSV naming an unsupported network protocol is answered 522",
			Requirement: `If not, the server MUST return the 522 error messages as outlined in section 2.`,
			Tags:        []string{"epsv"},
			Run: func(ctx context.Context, env *Env) error {
				c, _, err := epsv(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "EPSV 7")
				if err != nil {
					return err
				}
				if err := want(r, "EPSV 7 (an address family the server does not support)", 522); err != nil {
					return err
				}
				// "The 522 error messages as outlined in section 2" carry the supported families:
				// section 2's "The text portion of the response MUST indicate which network
				// protocols the server does support", as "<text> (prot1,prot2,...,protn)".
				if !protoList.MatchString(r.Text()) || strings.Count(r.Text(), "(") != 1 || strings.Count(r.Text(), ")") != 1 {
					return Violatef("522 text … (1) or (1,2): the supported families in parentheses, as RFC 2428 §2 outlines", "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc2428/3/epsv-protocol-1", RFC: "2428", Section: "3", Level: Should,
			Title:       "EPSV 1 over IPv4 enters passive mode",
			Requirement: `If the requested protocol is supported by the server, it SHOULD use the protocol.`,
			Tags:        []string{"epsv"}, Needs: []Feature{NeedIPv4},
			Run: func(ctx context.Context, env *Env) error {
				c, _, err := epsv(ctx, env)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "EPSV 1", 229)
				return err
			},
		},
		{
			ID: "rfc2428/3/epsv-all-refuses-others", RFC: "2428", Section: "3", Level: Must,
			Title:       "after EPSV ALL, PASV, PORT and EPRT are refused and EPSV still works",
			Requirement: `Upon receipt of an EPSV ALL command, the server MUST reject all data connection setup commands other than EPSV (i.e., EPRT, PORT, PASV, et al.).`,
			Tags:        []string{"epsv", "nat"},
			Run: func(ctx context.Context, env *Env) error {
				c, _, err := epsv(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "EPSV ALL")
				if err != nil {
					return err
				}
				if r.Class() != 2 {
					return Unsupportedf("EPSV ALL: %s", quote(r))
				}
				self := netip.AddrPortFrom(c.LocalAddr().Addr(), 40000)
				probes := []string{"EPRT " + ftpwire.FormatEPRT(self)}
				if self.Addr().Is4() {
					probes = append(probes, "PASV", "PORT "+ftpwire.FormatPORT(self))
				}
				for _, line := range probes {
					r, err := c.Cmd(ctx, line)
					if err != nil {
						return err
					}
					if !refused(r) {
						return Violatef(verbOf(line)+" rejected after EPSV ALL", "%s", quote(r))
					}
				}
				_, err = c.Expect(ctx, "EPSV", 229)
				return err
			},
		},
		{
			ID: "rfc2428/2/eprt-accepted", RFC: "2428", Section: "2", Level: Must,
			Title:       "a valid EPRT naming the client is answered 200 and used",
			Requirement: `Upon receipt of a valid EPRT command, the server MUST return a code of 200 (Command OK).`,
			Tags:        []string{"eprt", "active"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				l, err := c.Listen(netip.Addr{})
				if err != nil {
					return err
				}
				defer l.Close()
				r, err := c.Cmd(ctx, "EPRT "+ftpwire.FormatEPRT(l.Addr))
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "EPRT"); err != nil {
					return err
				}
				if err := want(r, "EPRT "+ftpwire.FormatEPRT(l.Addr), 200); err != nil {
					return err
				}
				t, err := c.activeTransfer(ctx, l, "LIST")
				if err != nil {
					return Violatef("the server to connect to "+l.Addr.String(), "%v", err)
				}
				if !t.OK() {
					return Violatef("LIST over the EPRT connection to succeed", "%s", transferString(t))
				}
				return nil
			},
		},
		{
			// RFC 2428 §2 defines 522 for this ("indicates") without a keyword, and allows 500 and 501
			// for EPRT errors in general: another refusal breaks only RFC 1123 §4.1.2.11's SHOULD
			// (use the defined code whenever it applies). EPSV's 522 is a MUST (§3).
			ID: "rfc2428/2/eprt-unknown-protocol", RFC: "2428", Section: "2", Level: Should,
			Title:       "EPRT naming an unsupported network protocol is answered 522",
			Requirement: `The response code 522 indicates that the server does not support the requested network protocol.`,
			Tags:        []string{"eprt"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "EPRT |7|10.0.0.1|40000|")
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "EPRT"); err != nil {
					return err
				}
				return want(r, "EPRT with address family 7 (the code RFC 2428 defines for it; RFC 1123 §4.1.2.11: defined codes SHOULD be used whenever they apply)", 522)
			},
		},
		{
			ID: "rfc2428/2/eprt-522-lists-protocols", RFC: "2428", Section: "2", Level: Must,
			Title:       "a 522 reply lists the supported protocols as (n,n,…)",
			Requirement: `The list of protocols inside the parenthesis MUST be a comma separated list of address family numbers.`,
			Tags:        []string{"eprt"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "EPRT |7|10.0.0.1|40000|")
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "EPRT"); err != nil {
					return err
				}
				if r.Code != 522 {
					return Skipf("EPRT with an unknown family answered %s, not 522", quote(r))
				}
				// "<text> (prot1,…,protn)": the text itself may not contain parentheses.
				if !protoList.MatchString(r.Text()) || strings.Count(r.Text(), "(") != 1 || strings.Count(r.Text(), ")") != 1 {
					return Violatef("text … (1) or (1,2): the supported families in parentheses", "%s", quote(r))
				}
				return nil
			},
		},
	}
}

var protoList = regexp.MustCompile(`\(\d+(,\d+)*\)`)
