package suites

import (
	"bytes"
	"context"
	"path"
)

// RFC 2640: UTF-8 pathnames and LANG. A server that does not advertise UTF8 (or LANG) does not
// claim RFC 2640, so its cases are unsupported rather than failed.
func rfc2640Cases() []Case {
	utf8 := []Feature{NeedWrite, FeatNeed("UTF8")}
	return []Case{
		{
			ID: "rfc2640/3.1/utf8-pathnames", RFC: "2640", Section: "3.1", Level: Must,
			Title:       "a UTF-8 file name is stored and listed byte for byte",
			Requirement: `Conforming clients and servers MUST support UTF-8 for the transfer and receipt of pathnames.`,
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
				name := "ftpspec-Grüße-日本語-" + env.nonce
				if err := c.Stor(ctx, dir+"/"+name, []byte("utf8\n")); err != nil {
					return Violatef("STOR of a UTF-8 name to succeed", "%v", err)
				}
				out, err := c.List(ctx, "NLST", dir)
				if err != nil {
					return err
				}
				for _, l := range lines(out) {
					if path.Base(l) == name {
						return nil
					}
				}
				return Violatef("the UTF-8 name's exact bytes in NLST", "%q", truncate(out))
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
				if _, err := c.Setup(ctx, "CWD "+dir, 250); err != nil {
					return err
				}
				name := " lead-" + env.nonce // STOR<SP><SP>lead-… names " lead-…"
				env.Track(dir+"/"+name, false)
				t, err := c.Do(ctx, "STOR "+name, []byte("spaced\n"))
				if err != nil {
					return err
				}
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
			ID: "rfc2640/4.2/lang-default", RFC: "2640", Section: "4.2", Level: Must,
			Title:       "LANG without an argument selects the default language (200)",
			Requirement: `If omitted server-PI MUST use the server's default language.`,
			Tags:        []string{"i18n", "ext:LANG"}, Needs: []Feature{FeatNeed("LANG")},
			Run: simpleExpect("LANG", 200),
		},
		{
			ID: "rfc2640/4.2/lang-case-insensitive", RFC: "2640", Section: "4.2", Level: Must,
			Title:       "the LANG command word is case-insensitive",
			Requirement: `The "lang" command word is case independent and may be specified in any character case desired.`,
			Tags:        []string{"i18n", "ext:LANG"}, Needs: []Feature{FeatNeed("LANG")},
			Run: simpleExpect("lAnG", 200),
		},
	}
}
