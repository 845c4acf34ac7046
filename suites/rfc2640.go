package suites

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
)

// RFC 2640: UTF-8 pathnames and LANG. A server that does not advertise UTF8 (or LANG) does not
// claim RFC 2640, so its cases are unsupported rather than failed; the cross-check cases say
// when a server behaves as if it did.
func rfc2640Cases() []Case {
	var out []Case
	out = append(out, rfc2640UTF8()...)
	out = append(out, rfc2640Lang()...)
	return out
}

func rfc2640UTF8() []Case {
	utf8 := []Feature{NeedWrite, FeatNeed("UTF8")}
	const mustUTF8 = `Conforming clients and servers MUST support UTF-8 for the transfer and receipt of pathnames.`
	return []Case{
		{
			ID: "rfc2640/3.1/utf8-pathnames", RFC: "2640", Section: "3.1", Level: Must,
			Title:       "a UTF-8 file name is stored, listed and retrieved byte for byte",
			Requirement: mustUTF8,
			Tags:        []string{"i18n", "ext:UTF8"}, Needs: utf8,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				_, _ = c.Cmd(ctx, "OPTS UTF8 ON") // some servers want it; RFC 2640 does not
				dir := env.Name("d")
				if err := c.Mkd(ctx, dir); err != nil {
					return err
				}
				name := "ftpspec-" + env.nonce + "-" + extUTF8Suffix
				data := env.Content(name, 3000)
				if err := extStor(ctx, c, dir+"/"+name, data); err != nil {
					return Violatef("STOR of a UTF-8 name to succeed", "%v", err)
				}
				out, err := c.List(ctx, "NLST", dir)
				if err != nil {
					return err
				}
				found := false
				for _, l := range lines(out) {
					if path.Base(l) == name {
						found = true
					}
				}
				if !found {
					return Violatef(fmt.Sprintf("the UTF-8 name %q byte for byte in NLST", name), "%q", truncate(out))
				}
				got, err := c.Retr(ctx, dir+"/"+name)
				if err != nil {
					return Violatef("RETR of the UTF-8 name to succeed", "%v", err)
				}
				return checkContent("the file stored under a UTF-8 name", data, got)
			},
		},
		{
			ID: "rfc2640/3.1/utf8-directory-name", RFC: "2640", Section: "3.1", Level: Must,
			Title:       "MKD, CWD and PWD carry a UTF-8 directory name byte for byte",
			Requirement: `The 7-bit restriction for pathnames exchanged is dropped.`,
			Tags:        []string{"i18n", "ext:UTF8"}, Needs: utf8,
			// No keyword in the sentence; the server advertises UTF8, and §3.1 makes UTF-8
			// pathnames a MUST for conforming servers.
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				dir := env.Name(extUTF8Suffix)
				r, err := c.Cmd(ctx, "MKD "+dir)
				if err != nil {
					return err
				}
				if r.Code != 257 {
					return Violatef("257 to MKD of a UTF-8 name", "%s", quote(r))
				}
				env.Track(dir, true)
				if p := pwdPath(r); p != "" && path.Base(p) != dir {
					return Violatef(fmt.Sprintf("the 257 naming %q byte for byte", dir), "%s", quote(r))
				}
				if _, err := c.Expect(ctx, "CWD "+dir, 250, 200); err != nil {
					return err
				}
				p, err := c.Setup(ctx, "PWD", 257)
				if err != nil {
					return err
				}
				if path.Base(pwdPath(p)) != dir {
					return Violatef(fmt.Sprintf("PWD ending in %q byte for byte", dir), "%s", quote(p))
				}
				return nil
			},
		},
		{
			ID: "rfc2640/3.1/single-space-separator", RFC: "2640", Section: "3.1", Level: Must,
			Title:       "spaces after the one separating space belong to the pathname",
			Requirement: `Implementations MUST assume <SP> characters following the initial <SP> as part of the pathname.`,
			Tags:        []string{"i18n", "ext:UTF8"}, Needs: utf8,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				dir := env.Name("d")
				if err := c.Mkd(ctx, dir); err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "CWD "+dir, 250, 200); err != nil {
					return err
				}
				name := " lead-" + env.nonce // "STOR" SP SP "lead-…" names " lead-…"
				env.Track(dir+"/"+name, false)
				env.Track(dir+"/"+name[1:], false) // in case the server dropped the space
				x, err := extUpload(ctx, c, "STOR "+name, []byte("spaced\n"))
				if err != nil {
					return err
				}
				t := x.Transfer
				if !t.OK() {
					return Violatef("STOR of a name with a leading space to succeed", "%s", transferString(t))
				}
				out, err := c.List(ctx, "NLST", "")
				if err != nil {
					return err
				}
				for _, l := range lines(out) {
					if l == name || path.Base(l) == name {
						return nil
					}
				}
				if bytes.Contains(out, []byte(name[1:])) {
					return Violatef(`a file named " lead-…" (the space after the separator kept)`, "the leading space was dropped: %q", truncate(out))
				}
				return Violatef(`a file named " lead-…"`, "%q", truncate(out))
			},
		},
		{
			ID: "rfc2640/3.2/feat-utf8-line", RFC: "2640", Section: "3.2", Level: Must,
			Title:       `the UTF8 feature line is exactly "UTF8"`,
			Requirement: `The UTF-8 feature is a line containing the exact string "UTF8".`,
			Tags:        []string{"i18n", "feat", "ext:UTF8"}, Needs: []Feature{FeatNeed("UTF8")},
			Run: func(ctx context.Context, env *Env) error {
				_, r, err := feat(ctx, env)
				if err != nil {
					return err
				}
				for _, l := range extFeatBody(r) {
					s := strings.TrimPrefix(l, " ")
					if label, _, _ := strings.Cut(s, " "); !strings.EqualFold(label, "UTF8") {
						continue
					}
					switch {
					case s == "UTF8":
						return nil
					case strings.EqualFold(s, "UTF8"):
						// "This string is not case sensitive, but SHOULD be transmitted in upper case."
						return Violatef(`" UTF8" in upper case`, "%q", l).Downgrade(Should)
					}
					return Violatef(`a line " UTF8" and nothing else`, "%q", l)
				}
				return Violatef("a UTF8 line", "%s", quote(r))
			},
		},
		extListedCase("rfc2640/3.2/feat-lists-utf8", "2640", "3.2", "a server claiming RFC 2640 (FEAT LANG) lists UTF8 in FEAT",
			`Servers MUST support the UTF-8 feature in response to the FEAT command [RFC2389].`,
			false, []string{"i18n", "ext:UTF8"}, nil, extLabel("UTF8"), "a UTF8 line",
			func(ctx context.Context, env *Env) (*Ctrl, string, error) {
				c, err := env.Login(ctx)
				if err != nil {
					return nil, "", err
				}
				// "Servers" here are servers that implement RFC 2640; OPTS UTF8 ON is no RFC 2640
				// command (it comes from a draft), so accepting it claims nothing. A server claims
				// RFC 2640 when it advertises its LANG feature, or UTF-8 pathnames are shown to work.
				if _, ok := env.Feat("LANG"); ok {
					return c, "FEAT lists LANG, RFC 2640's other feature", nil
				}
				r, err := c.Cmd(ctx, "OPTS UTF8 ON")
				if err != nil {
					return nil, "", err
				}
				return nil, "", Unsupportedf("the server does not claim RFC 2640 (FEAT lists no LANG; OPTS UTF8 ON, answered %s, is not an RFC 2640 command)", quote(r))
			}),
	}
}

// langTag is RFC 2640 §4.2's lang-tag: Primary-tag *( "-" Sub-tag ), each 1*8ALPHA.
var langTag = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z]{1,8})*$`)

// extLangTags returns the tags of the FEAT LANG line and the one marked current ("" if none).
func extLangTags(env *Env) (tags []string, current string) {
	params, _ := env.Feat("LANG")
	for _, t := range strings.Split(params, ";") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		name, star := strings.CutSuffix(t, "*")
		tags = append(tags, name)
		if star {
			current = name
		}
	}
	return tags, current
}

func rfc2640Lang() []Case {
	lang := []Feature{FeatNeed("LANG")}
	tags := []string{"i18n", "ext:LANG"}
	const langOK = `"lang-ok" MUST be sent if Server-FTP supports the "Lang" command and can support some form of the "lang-tag".`
	return []Case{
		{
			ID: "rfc2640/4.2/lang-default", RFC: "2640", Section: "4.2", Level: Must,
			Title:       "LANG without an argument selects the default language (200)",
			Requirement: `If omitted server-PI MUST use the server's default language.`,
			Tags:        tags, Needs: lang,
			Run: func(ctx context.Context, env *Env) error {
				c, r, err := langSession(ctx, env)
				if err != nil {
					return err
				}
				if c == nil {
					return Violatef("200 to LANG (before login, as RFC 2640 §4.1 says it should be sent, or after)", "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc2640/4.2/lang-case-insensitive", RFC: "2640", Section: "4.2", Level: Must,
			Title:       "the LANG command word is case-insensitive",
			Requirement: `The "lang" command word is case independent and may be specified in any character case desired.`,
			Tags:        tags, Needs: lang,
			Run: func(ctx context.Context, env *Env) error {
				// The control: "LANG" in upper case, in the same session state, must work first;
				// otherwise the same refusal for both cases says nothing about case.
				c, r, err := langSession(ctx, env)
				if err != nil {
					return err
				}
				if c == nil {
					return Skipf("the control, LANG in upper case, is refused (%s): judged by rfc2640/4.2/lang-default", quote(r))
				}
				_, err = c.Expect(ctx, "lAnG", 200)
				return err
			},
		},
		{
			ID: "rfc2640/4.2/lang-advertised-tag", RFC: "2640", Section: "4.2", Level: Must,
			Title:       "LANG with each language tag FEAT lists is accepted (200)",
			Requirement: langOK,
			Tags:        tags, Needs: lang,
			Run: func(ctx context.Context, env *Env) error {
				ts, _ := extLangTags(env)
				if len(ts) == 0 {
					return Skipf("FEAT LANG lists no tag (judged by rfc2640/4.3/lang-feat-line)")
				}
				c, err := langCtrl(ctx, env)
				if err != nil {
					return err
				}
				for _, t := range ts {
					if _, err := c.Expect(ctx, "LANG "+t, 200); err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			ID: "rfc2640/4.2/lang-unsupported-504", RFC: "2640", Section: "4.2", Level: Should,
			Title:       "LANG with a well-formed tag the server does not support is answered 504",
			Requirement: `A 504 response SHOULD be sent if the "Lang" argument, while syntactically correct, is not implemented.`,
			Tags:        tags, Needs: lang,
			Run: func(ctx context.Context, env *Env) error {
				ts, _ := extLangTags(env)
				for _, t := range ts {
					if strings.EqualFold(strings.SplitN(t, "-", 2)[0], "x") {
						return Skipf("the server lists a private-use tag %q", t)
					}
				}
				c, err := langCtrl(ctx, env)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "LANG x-ftpspec", 504)
				return err
			},
		},
		{
			ID: "rfc2640/4.2/lang-syntax-501", RFC: "2640", Section: "4.2", Level: Should,
			Title:       "LANG with a malformed tag is answered 501",
			Requirement: `A 501 response SHOULD be sent if the argument to the "Lang" command is not syntactically correct.`,
			Tags:        tags, Needs: lang,
			Run: func(ctx context.Context, env *Env) error {
				c, err := langCtrl(ctx, env)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "LANG 12_34!", 501)
				return err
			},
		},
		{
			ID: "rfc2640/4.3/lang-feat-line", RFC: "2640", Section: "4.3", Level: Must,
			Title:       `the LANG feature line is " LANG tag[*];tag[*]…" with at least one tag`,
			Requirement: `At least one lang-tag MUST be included with the FEAT response.`,
			Tags:        append([]string{"feat"}, tags...), Needs: lang,
			Run: func(ctx context.Context, env *Env) error {
				_, r, err := feat(ctx, env)
				if err != nil {
					return err
				}
				for _, l := range extFeatBody(r) {
					s := strings.TrimPrefix(l, " ")
					label, params, _ := strings.Cut(s, " ")
					if !strings.EqualFold(label, "LANG") {
						continue
					}
					if strings.HasPrefix(params, " ") || params == "" {
						return Violatef(`Lang-feat = SP "LANG" SP lang-fact (one space each, at least one tag)`, "%q", l)
					}
					stars := 0
					for _, t := range strings.Split(params, ";") {
						name, star := strings.CutSuffix(t, "*")
						if star {
							stars++
						}
						if !langTag.MatchString(name) {
							return Violatef(`lang-fact = lang-tag ["*"] *(";" lang-tag ["*"])`, "%q (tag %q)", l, t)
						}
					}
					if stars > 1 {
						return Violatef("at most one tag marked current with *", "%q", l)
					}
					return nil
				}
				return Violatef("a LANG line", "%s", quote(r))
			},
		},
		{
			ID: "rfc2640/4.3/lang-current-asterisk", RFC: "2640", Section: "4.3", Level: Must,
			Title:       "after LANG selects a listed tag, FEAT marks that tag current (when it marks any)",
			Requirement: `The OPTIONAL asterisk, when present, SHALL indicate the current lang-tag being used by server-FTP for messages and responses.`,
			Tags:        append([]string{"feat"}, tags...), Needs: lang,
			Run: func(ctx context.Context, env *Env) error {
				ts, _ := extLangTags(env)
				if len(ts) == 0 {
					return Skipf("FEAT LANG lists no tag")
				}
				pickTag := ts[len(ts)-1]
				c, err := langCtrl(ctx, env)
				if err != nil {
					return err
				}
				if r, err := c.Cmd(ctx, "LANG "+pickTag); err != nil {
					return err
				} else if r.Code != 200 {
					// The rule is about the asterisk after a successful LANG; a refused LANG is
					// judged by rfc2640/4.2/lang-advertised-tag.
					return Skipf("the set-up LANG %s was refused (%s): the asterisk rule is never reached", pickTag, quote(r))
				}
				_, lines, err := extFeat(ctx, c)
				if err != nil {
					return err
				}
				l, ok := extFind(lines, "LANG")
				if !ok {
					return Violatef("a LANG line after LANG "+pickTag, "none")
				}
				for _, t := range strings.Split(l.params, ";") {
					if name, star := strings.CutSuffix(strings.TrimSpace(t), "*"); star && !strings.EqualFold(name, pickTag) {
						return Violatef(pickTag+"* (the language just selected) or no asterisk", "%q", l.line)
					}
				}
				return nil
			},
		},
		{
			ID: "rfc2640/4.1/lang-before-login", RFC: "2640", Section: "4.1", Level: Should,
			Title:       "LANG is accepted before login",
			Requirement: `In order to gain the full benefit of this command, it SHOULD be presented prior to authentication.`,
			Tags:        tags, Needs: lang,
			// The SHOULD is the client's; a server that refuses LANG before login makes it
			// impossible to follow, so the server side is graded SHOULD as well.
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "LANG", 200)
				return err
			},
		},
		extListedCase("rfc2640/4.3/feat-lists-lang", "2640", "4.3", "LANG works, so FEAT lists LANG",
			`A server-FTP process that supports the LANG command, and language support for messages and command responses, MUST include in the response to the FEAT command [RFC2389], a feature line indicating that the LANG command is supported and a fact list of the supported language tags.`,
			true, tags, nil, extLabel("LANG"), "a LANG line",
			func(ctx context.Context, env *Env) (*Ctrl, string, error) {
				c, err := env.Login(ctx)
				if err != nil {
					return nil, "", err
				}
				r, err := c.Cmd(ctx, "LANG")
				if err != nil {
					return nil, "", err
				}
				if r.Code != 200 {
					return nil, "", Unsupportedf("LANG does not work here: %s", quote(r))
				}
				return c, "LANG answered " + quote(r), nil
			}),
	}
}

// langSession opens a control connection in the state RFC 2640 §4.1 describes for LANG, before
// authentication ("it SHOULD be presented prior to authentication"), and sends LANG. A server that
// wants a login first (530) gets one and LANG again. It returns the connection where LANG was
// answered 200, or nil with the last reply when it never was.
func langSession(ctx context.Context, env *Env) (*Ctrl, ftpwire.Reply, error) {
	c, err := env.Connect(ctx)
	if err != nil {
		return nil, ftpwire.Reply{}, err
	}
	r, err := c.Cmd(ctx, "LANG")
	if err != nil || r.Code == 200 {
		return c, r, err
	}
	env.Note("LANG before login answered %s: logging in and trying again", quote(r))
	if err := c.LoginOnly(ctx); err != nil {
		return nil, r, err
	}
	if r, err = c.Cmd(ctx, "LANG"); err != nil || r.Code == 200 {
		return c, r, err
	}
	return nil, r, nil
}

// langCtrl is langSession for cases whose precondition is a working LANG: when LANG is never
// answered 200, the case is skipped with the reason (lang-default judges that).
func langCtrl(ctx context.Context, env *Env) (*Ctrl, error) {
	c, r, err := langSession(ctx, env)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, Skipf("LANG is refused before and after login (%s): judged by rfc2640/4.2/lang-default", quote(r))
	}
	return c, nil
}
