package suites

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
)

// RFC 2389: FEAT and OPTS, and the cross-check of FEAT against what the server does, both ways.
func rfc2389Cases() []Case {
	// feat logs in and sends FEAT; a server without FEAT makes the case unsupported.
	feat := func(ctx context.Context, env *Env) (*Ctrl, ftpwire.Reply, []featLine, error) {
		c, err := env.Login(ctx)
		if err != nil {
			return nil, ftpwire.Reply{}, nil, err
		}
		r, lines, err := extFeat(ctx, c)
		return c, r, lines, err
	}
	const featSyntax = `Replies to the FEAT command MUST comply with the following syntax.`
	out := []Case{
		{
			ID: "rfc2389/3.2/feat-listing-syntax", RFC: "2389", Section: "3.2", Level: Must,
			Title:       "a multi-line FEAT reply is 211-, feature lines, a 211 final line, each line ending CRLF",
			Requirement: featSyntax,
			Tags:        []string{"feat"},
			Run: func(ctx context.Context, env *Env) error {
				_, r, _, err := feat(ctx, env)
				if err != nil {
					return err
				}
				if len(r.Problems) > 0 {
					return Violatef("feat-response by RFC 2389 §3.2 (lines end with CRLF)", "%s: %s", quote(r), strings.Join(r.Problems, "; "))
				}
				ls := r.Lines()
				if !r.Multiline() {
					// no-features = "211" SP *TCHAR CRLF
					if !strings.HasPrefix(ls[0], "211 ") && ls[0] != "211" {
						return Violatef(`no-features = "211" SP *TCHAR CRLF`, "%q", ls[0])
					}
					return nil
				}
				last := ls[len(ls)-1]
				if !strings.HasPrefix(ls[0], "211-") || !strings.HasPrefix(last, "211 ") {
					return Violatef(`feature-listing = "211-" *TCHAR CRLF 1*( SP feature CRLF ) "211 End" CRLF`, "first line %q, last line %q", ls[0], last)
				}
				for _, l := range extFeatBody(r) {
					for i := 0; i < len(l); i++ {
						if ch := l[i]; (ch < 0x20 && ch != '\t') || ch >= 0x7f {
							return Violatef("feature lines of TCHAR (visible ASCII, space, tab)", "%q has the byte 0x%02x", l, ch)
						}
					}
				}
				return nil
			},
		},
		{
			ID: "rfc2389/3.2/feat-line-single-space", RFC: "2389", Section: "3.2", Level: Must,
			Title:       "each feature line begins with exactly one space, then the feature label",
			Requirement: `Note that each feature line in the feature-listing begins with a single space.`,
			Tags:        []string{"feat"},
			// No keyword in the sentence, but the next one says "That space is not optional, nor
			// does it indicate general white space", and the grammar (SP feature, feature-label =
			// 1*VCHAR) leaves no room for a second space: MUST.
			Run: func(ctx context.Context, env *Env) error {
				_, r, _, err := feat(ctx, env)
				if err != nil {
					return err
				}
				for _, l := range extFeatBody(r) {
					if len(l) < 2 || l[0] != ' ' || l[1] == ' ' || l[1] == '\t' {
						return Violatef(`" " followed by the feature label on every feature line`, "%q", l)
					}
				}
				return nil
			},
		},
		{
			ID: "rfc2389/3.2/feat-end-line", RFC: "2389", Section: "3.2", Level: Must,
			Title:       `the last line of a feature listing is "211 End"`,
			Requirement: `The syntax of other reply lines is precisely defined, and if present, MUST be exactly as specified.`,
			Tags:        []string{"feat"},
			Run: func(ctx context.Context, env *Env) error {
				_, r, _, err := feat(ctx, env)
				if err != nil {
					return err
				}
				if !r.Multiline() {
					return nil // no-features: its text is free
				}
				ls := r.Lines()
				last := ls[len(ls)-1]
				text, _ := strings.CutPrefix(last, "211 ")
				if strings.EqualFold(text, "End") {
					return nil
				}
				v := Violatef(`"211 End" (ABNF literals are case-insensitive)`, "%q", last)
				if len(text) >= 3 && strings.EqualFold(text[:3], "End") {
					// "211 End." and the like: every RFC 959 client ends the reply at "211 ",
					// so the extra text costs no interoperability; RFC 3659's examples show it.
					return v.Downgrade(Should)
				}
				return v
			},
		},
		{
			ID: "rfc2389/3.2/feat-no-features-one-line", RFC: "2389", Section: "3.2", Level: Must,
			Title:       "a FEAT reply that lists no feature is a single line",
			Requirement: `The "no-features" reply MUST NOT use the multi-line response format, exactly one response line is required and permitted.`,
			Tags:        []string{"feat"},
			Run: func(ctx context.Context, env *Env) error {
				_, r, lines, err := feat(ctx, env)
				if err != nil {
					return err
				}
				if r.Multiline() && len(lines) == 0 {
					return Violatef(`a single line "211 ..." when there is no feature to list`, "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc2389/3.2/feat-argument-501", RFC: "2389", Section: "3.2", Level: Should,
			Title:       "FEAT with a parameter is a syntax error (501)",
			Requirement: `Errors in the command syntax, such as giving parameters, will result in a 501 reply.`,
			Tags:        []string{"feat"},
			// Descriptive: "will result" is no RFC 2119 keyword, though RFC 2389 uses them
			// elsewhere, and no code rule is broken by accepting the command (211 is no wrong
			// code for an error; the server saw none). A server that ignores the parameter harms
			// no client: a robustness observation (advisory), not a broken SHOULD.
			Advisory: true,
			Run: func(ctx context.Context, env *Env) error {
				c, _, _, err := feat(ctx, env)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "FEAT FTPSPEC", 501)
				return err
			},
		},
		{
			ID: "rfc2389/3.2/feat-not-listed", RFC: "2389", Section: "3.2", Level: Should,
			Title:       "FEAT does not list itself",
			Requirement: `The FEAT command itself is not included in the list of features supported, support for the FEAT command is indicated by return of a reply other than a 500 or 502 reply.`,
			Tags:        []string{"feat"},
			// Descriptive ("is not included"), no keyword: SHOULD.
			Run: func(ctx context.Context, env *Env) error {
				_, _, lines, err := feat(ctx, env)
				if err != nil {
					return err
				}
				if l, ok := extFind(lines, "FEAT"); ok {
					return Violatef("no FEAT line in the feature listing", "%q", l.line)
				}
				return nil
			},
		},
		{
			ID: "rfc2389/3.2/feat-labels-upper-case", RFC: "2389", Section: "3.2", Level: Should,
			Title:       "known feature labels are sent in upper case",
			Requirement: `Where this is done, implementations are recommended to use upper case letters when transmitting the feature response.`,
			Tags:        []string{"feat"},
			Run: func(ctx context.Context, env *Env) error {
				_, _, lines, err := feat(ctx, env)
				if err != nil {
					return err
				}
				// Labels whose defining RFC declares them case-insensitive (RFC 2428 defines no
				// FEAT line; EPRT and EPSV are included as IANA registers them, RFC 5797).
				known := []string{"AUTH", "CCC", "EPRT", "EPSV", "HOST", "LANG", "MDTM", "MLST", "PBSZ", "PROT", "REST", "SIZE", "TVFS", "UTF8"}
				var lower []string
				for _, l := range lines {
					label, _, _ := strings.Cut(l.line, " ")
					for _, k := range known {
						if strings.EqualFold(label, k) && label != k {
							lower = append(lower, fmt.Sprintf("%q", l.line))
						}
					}
				}
				if len(lower) > 0 {
					return Violatef("upper-case feature labels", "%s", strings.Join(lower, ", "))
				}
				return nil
			},
		},
		{
			ID: "rfc2389/4/opts-implemented", RFC: "2389", Section: "4", Level: Must,
			Title:       "a server with FEAT recognises OPTS (no 500/502)",
			Requirement: `The OPTS command MUST be implemented whenever the FEAT command is implemented.`,
			Tags:        []string{"feat", "opts"},
			Run: func(ctx context.Context, env *Env) error {
				c, _, _, err := feat(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "OPTS FTPSPECNOCMD ON")
				if err != nil {
					return err
				}
				if notImplemented(r) {
					// The 500/502 may be about the unknown command name, not OPTS: an OPTS that
					// works for a feature the server lists shows OPTS is implemented (and the
					// code for an unknown name is judged by rfc2389/4/opts-unknown-command).
					for _, try := range []struct{ feat, line string }{{"UTF8", "OPTS UTF8 ON"}, {"MLST", "OPTS MLST type;"}} {
						if _, ok := env.Feat(try.feat); ok {
							if _, err := c.Cmd(ctx, try.line); err != nil {
								return err
							}
						}
					}
					if how, ok := env.Implemented("OPTS"); ok {
						env.Note("OPTS is implemented (%s): %s answers an unknown command name, not OPTS", how, quote(r))
						return nil
					}
					return Violatef("OPTS recognised (an opts-bad 501 for an unknown command name, not 500/502)", "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc2389/4/opts-unknown-command", RFC: "2389", Section: "4", Level: Must,
			Title:       "OPTS naming no known command is refused, preferably with 501",
			Requirement: `An "opts-good" response (200 reply) MUST be sent when the command- name specified in the OPTS command is recognized, and the command- options, if any, are recognized, and appropriate. An "opts-bad" response is sent in other cases.`,
			Tags:        []string{"feat", "opts"},
			Run: func(ctx context.Context, env *Env) error {
				c, _, _, err := feat(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "OPTS FTPSPECNOCMD ON")
				if err != nil {
					return err
				}
				switch {
				case r.Code == 501:
					return nil
				case extClass5Or4(r):
					// opts-bad is 451 or 501; 501 is "appropriate for any permanent error".
					return Violatef("501 (opts-bad) to OPTS for an unknown command", "%s", quote(r)).Downgrade(Should)
				}
				return Violatef("an opts-bad reply (501) to OPTS for an unknown command", "%s", quote(r))
			},
		},
		{
			ID: "rfc2389/4/opts-feat-refused", RFC: "2389", Section: "4", Level: Should,
			Title:       `"OPTS FEAT" is not accepted: FEAT has no options`,
			Requirement: `Neither the FEAT command, nor the OPTS command, have any optional functionality, thus there are no "OPTS FEAT" or "OPTS OPTS" commands.`,
			Tags:        []string{"feat", "opts"},
			// Descriptive, no keyword; accepting the command harms nobody: SHOULD.
			Run: func(ctx context.Context, env *Env) error {
				c, _, _, err := feat(ctx, env)
				if err != nil {
					return err
				}
				for _, line := range []string{"OPTS FEAT", "OPTS OPTS"} {
					r, err := c.Cmd(ctx, line)
					if err != nil {
						return err
					}
					if r.Class() == 2 {
						return Violatef("an opts-bad reply (501) to "+line, "%s", quote(r))
					}
				}
				return nil
			},
		},
		{
			ID: "rfc2389/4/opts-utf8-on", RFC: "2389", Section: "4", Level: May,
			Title:       "OPTS UTF8 ON gets an opts-response: 200 if the server has the option, else 501",
			Requirement: `An "opts-good" response (200 reply) MUST be sent when the command- name specified in the OPTS command is recognized, and the command- options, if any, are recognized, and appropriate.`,
			Tags:        []string{"feat", "opts", "ext:UTF8"},
			// No RFC defines "OPTS UTF8" (RFC 2640 defines none; it comes from an expired
			// draft), so whether a server accepts it is up to the server: MAY. What the case
			// checks is that the answer is an opts-response at all.
			Run: func(ctx context.Context, env *Env) error {
				c, _, _, err := feat(ctx, env)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "OPTS UTF8 ON")
				if err != nil {
					return err
				}
				switch {
				case r.Code == 200 || r.Code == 451 || r.Code == 501:
					return nil
				case notImplemented(r):
					return Unsupportedf("OPTS: %s", quote(r))
				}
				return Violatef("an opts-response: 200, 451 or 501", "%s", quote(r))
			},
		},
	}
	out = append(out, rfc2389Recognized()...)
	out = append(out, rfc2389Listed()...)
	return out
}

// rfc2389Recognized checks FEAT against behaviour one way: a feature the server advertises is one
// it supports, so its command is never answered as unknown (500/502).
func rfc2389Recognized() []Case {
	const req = `This command requests the server to list all extension commands, or extended mechanisms, that it supports.`
	type probe func(ctx context.Context, env *Env) (ftpwire.Reply, error)
	// loggedIn sends line after login.
	loggedIn := func(line func(env *Env) string) probe {
		return func(ctx context.Context, env *Env) (ftpwire.Reply, error) {
			c, err := env.Login(ctx)
			if err != nil {
				return ftpwire.Reply{}, err
			}
			return c.Cmd(ctx, line(env))
		}
	}
	missing := func(verb string) func(env *Env) string {
		return func(env *Env) string { return verb + " " + env.Name("absent") }
	}
	table := []struct {
		slug, label, what string
		run               probe
	}{
		{"size", "SIZE", "SIZE of an absent file", loggedIn(missing("SIZE"))},
		{"mdtm", "MDTM", "MDTM of an absent file", loggedIn(missing("MDTM"))},
		{"mlst", "MLST", "MLST", loggedIn(func(*Env) string { return "MLST" })},
		{"rest", "REST", "REST 0", loggedIn(func(*Env) string { return "REST 0" })},
		{"epsv", "EPSV", "EPSV", loggedIn(func(*Env) string { return "EPSV" })},
		{"eprt", "EPRT", "EPRT to the client's own listener", func(ctx context.Context, env *Env) (ftpwire.Reply, error) {
			c, err := env.Login(ctx)
			if err != nil {
				return ftpwire.Reply{}, err
			}
			l, err := c.Listen(netip.Addr{})
			if err != nil {
				return ftpwire.Reply{}, err
			}
			defer l.Close()
			return c.Cmd(ctx, "EPRT "+ftpwire.FormatEPRT(l.Addr))
		}},
		// RFC 2640 §4.1: LANG "SHOULD be presented prior to authentication"; ProFTPD takes it
		// only then (500 after login), as the rfc2640/4.2 cases also ask it.
		{"lang", "LANG", "LANG before login", func(ctx context.Context, env *Env) (ftpwire.Reply, error) {
			c, err := env.Connect(ctx)
			if err != nil {
				return ftpwire.Reply{}, err
			}
			return c.Cmd(ctx, "LANG")
		}},
		{"host", "HOST", "HOST before login", func(ctx context.Context, env *Env) (ftpwire.Reply, error) {
			_, r, err := extHostFirst(ctx, env, "HOST "+extHostArg(env))
			return r, err
		}},
	}
	var out []Case
	for _, x := range table {
		out = append(out, Case{
			ID: "rfc2389/3/feat-" + x.slug + "-recognized", RFC: "2389", Section: "3", Level: Must,
			Title:       fmt.Sprintf("FEAT advertises %s, and %s is not answered as unknown (500/502)", x.label, x.what),
			Requirement: req,
			Tags:        []string{"feat", "ext:" + x.label},
			Needs:       []Feature{FeatNeed(x.label)},
			// No keyword in the sentence, but a FEAT listing is by definition the list of what
			// the server supports: an advertised command answered as unknown is the one outcome
			// no reading allows. Refusals of other kinds are other cases' business.
			Run: func(ctx context.Context, env *Env) error {
				r, err := x.run(ctx, env)
				if err != nil {
					return err
				}
				if notImplemented(r) {
					return Violatef(x.what+" recognised, since FEAT lists "+x.label, "%s", quote(r))
				}
				return nil
			},
		})
	}
	return out
}

// extListedCase checks FEAT against behaviour the other way: a feature the server supports is
// listed. probe establishes support on a connection (ErrUnsupported when there is none) and
// returns that connection and the evidence; FEAT is then asked on it. lenient grades the omission
// as a warning: ftpspec infers support from a successful reply, and a command implemented before
// its RFC (SIZE, MDTM, EPSV) may answer 2yz without the RFC's semantics; the MUST binds the
// extension as the RFC defines it.
func extListedCase(id, rfc, section, title, req string, lenient bool, tags []string, needs []Feature,
	match func(featLine) bool, want string,
	probe func(ctx context.Context, env *Env) (*Ctrl, string, error)) Case {
	return Case{
		ID: id, RFC: rfc, Section: section, Level: Must, Title: title, Requirement: req,
		Tags: append([]string{"feat"}, tags...), Needs: needs,
		Run: func(ctx context.Context, env *Env) error {
			c, evidence, err := probe(ctx, env)
			if err != nil {
				return err
			}
			r, lines, err := extFeat(ctx, c)
			if err != nil {
				if notImplemented(r) {
					return Unsupportedf("FEAT is not implemented: %s", quote(r))
				}
				return err
			}
			for _, l := range lines {
				if match(l) {
					return nil
				}
			}
			// The run's own FEAT (after login) may differ from this connection's.
			for _, p := range env.Profile.Feat {
				label, params, _ := strings.Cut(p, " ")
				if match(featLine{line: p, label: strings.ToUpper(label), params: params}) {
					return nil
				}
			}
			v := Violatef(want+" in FEAT ("+evidence+")", "%s", quote(r))
			if lenient {
				return v.Downgrade(Should)
			}
			return v
		},
	}
}

func extLabel(label string) func(featLine) bool {
	return func(l featLine) bool { return strings.EqualFold(l.label, label) }
}

// rfc2389Listed: EPSV and EPRT work, so FEAT lists them. RFC 2428 defines no FEAT line; the
// labels are IANA's (RFC 5797). The features defined elsewhere are checked in their RFC's file.
func rfc2389Listed() []Case {
	const req = `FTP implementations which support FEAT MUST include in the response to the FEAT command all properly documented FTP extensions beyond those commands and mechanisms described in RFC959 [1], including any which existed before the existence of FEAT.`
	return []Case{
		extListedCase("rfc2389/3.2/feat-lists-epsv", "2389", "3.2", "EPSV works, so FEAT lists EPSV", req, true,
			[]string{"ext:EPSV"}, nil, extLabel("EPSV"), "an EPSV line",
			func(ctx context.Context, env *Env) (*Ctrl, string, error) {
				c, err := env.Login(ctx)
				if err != nil {
					return nil, "", err
				}
				_, r, err := c.Epsv(ctx)
				if err != nil {
					return nil, "", Unsupportedf("EPSV does not work here: %v", err)
				}
				return c, "EPSV was answered " + quote(r), nil
			}),
		extListedCase("rfc2389/3.2/feat-lists-eprt", "2389", "3.2", "EPRT works, so FEAT lists EPRT", req, true,
			[]string{"ext:EPRT"}, nil, extLabel("EPRT"), "an EPRT line",
			func(ctx context.Context, env *Env) (*Ctrl, string, error) {
				c, err := env.Login(ctx)
				if err != nil {
					return nil, "", err
				}
				l, err := c.Listen(netip.Addr{})
				if err != nil {
					return nil, "", err
				}
				defer l.Close()
				r, err := c.Cmd(ctx, "EPRT "+ftpwire.FormatEPRT(l.Addr))
				if err != nil {
					return nil, "", err
				}
				if r.Code != 200 {
					return nil, "", Unsupportedf("EPRT to the client's own address: %s", quote(r))
				}
				// Use the port: a server that merely answers 200 without connecting has not shown support.
				t, err := c.activeTransfer(ctx, l, "LIST")
				if err != nil || !t.OK() {
					return nil, "", Unsupportedf("LIST after EPRT did not complete: %s %v", transferString(t), err)
				}
				return c, "EPRT " + quote(r) + " and a LIST over it", nil
			}),
	}
}

// extWait is how long a case waits for something that should not happen (plaintext on a protected
// data connection, a reply to a garbled handshake).
const extWait = 1500 * time.Millisecond
