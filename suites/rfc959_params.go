package suites

import (
	"bytes"
	"context"
	"fmt"
)

// RFC 959 transfer parameters (TYPE, MODE, STRU, ALLO) and data representation.
func rfc959Params() []Case {
	accept := func(id, section string, level Level, title, req, cmd string) Case {
		return Case{
			ID: id, RFC: "959", Section: section, Level: level, Title: title, Requirement: req,
			Tags: []string{"parameters"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, cmd, 200)
				return err
			},
		}
	}
	refuse := func(id, title, cmd string) Case {
		return Case{
			ID: id, RFC: "959", Section: "4.2", Level: Must, Title: title,
			Requirement: `A refinement of that is the 504 reply for a command that is implemented, but that requests an unimplemented parameter.`,
			Tags:        []string{"parameters", "reply-codes"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, cmd)
				if err != nil {
					return err
				}
				switch {
				case r.Code == 504 || r.Code == 500 || r.Code == 501:
					return nil // all three are in the command's row of the §5.4 table
				case refused(r):
					return (&Violation{Expected: []string{"504 (parameter not implemented)"}, Actual: quote(r)}).Downgrade(Should)
				}
				return Violatef("504 (parameter not implemented)", "%s: an unknown parameter accepted", quote(r))
			},
		}
	}
	minimum := `In order to make FTP workable without needless error messages, the following minimum implementation is required for all servers:`
	return []Case{
		accept("rfc959/3.1.1.1/type-ascii", "3.1.1.1", Must, "TYPE A is accepted",
			`This is the default type and must be accepted by all FTP implementations.`, "TYPE A"),
		accept("rfc959/5.1/type-ascii-nonprint", "5.1", Must, "TYPE A N is accepted", minimum+` TYPE - ASCII Non-print`, "TYPE A N"),
		accept("rfc959/3.1.1.3/type-image", "3.1.1.3", Should, "TYPE I is accepted",
			`It is recommended that this type be accepted by all FTP implementations.`, "TYPE I"),
		accept("rfc959/5.1/mode-stream", "5.1", Must, "MODE S is accepted", minimum+` TYPE - ASCII Non-print MODE - Stream`, "MODE S"),
		accept("rfc959/5.1/stru-file", "5.1", Must, "STRU F is accepted", minimum+` TYPE - ASCII Non-print MODE - Stream STRUCTURE - File, Record`, "STRU F"),
		refuse("rfc959/4.2/type-unknown-refused", "an unknown TYPE is refused (504)", "TYPE Q"),
		refuse("rfc959/4.2/mode-unknown-refused", "an unknown MODE is refused (504)", "MODE Q"),
		refuse("rfc959/4.2/stru-unknown-refused", "an unknown STRU is refused (504)", "STRU Q"),
		{
			ID: "rfc959/4.1.3/allo-noop", RFC: "959", Section: "4.1.3", Level: Should,
			Title:       "ALLO is accepted (as a NOOP where storage need not be reserved)",
			Requirement: `The ALLO command should be treated as a NOOP (no operation) by those servers which do not require that the maximum size of the file be declared beforehand, and those servers interested in only the maximum record or page size should accept a dummy value in the first argument and ignore it.`,
			Tags:        []string{"parameters"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "ALLO 1024", 200, 202)
				return err
			},
		},
		{
			ID: "rfc959/4.1.2/type-remembered", RFC: "959", Section: "4.1.2", Level: Must,
			Title:       "TYPE I stays in effect across transfers",
			Requirement: `This implies that the server must "remember" the applicable default values.`,
			Tags:        []string{"parameters", "transfer"},
			Needs:       []Feature{NeedWrite},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				name := env.Name("lf")
				data := bytes.Repeat([]byte("line\n\r\x00\xff"), 2000)
				if err := c.Stor(ctx, name, data); err != nil {
					return err
				}
				for i := 1; i <= 2; i++ {
					got, err := c.Retr(ctx, name)
					if err != nil {
						return err
					}
					if err := checkContent(fmt.Sprintf("retrieval %d under the TYPE I set once", i), data, got); err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.1/cwd-keeps-parameters", RFC: "959", Section: "4.1.1", Level: Must,
			Title:       "CWD leaves the transfer parameters unchanged",
			Requirement: `Transfer parameters are similarly unchanged.`,
			Tags:        []string{"parameters"},
			Needs:       []Feature{NeedWrite},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				dir := env.Name("d")
				if err := c.Mkd(ctx, dir); err != nil {
					return err
				}
				name := dir + "/f"
				data := bytes.Repeat([]byte("a\nb\r\n"), 500)
				if err := c.Stor(ctx, name, data); err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "CWD "+dir, 250, 200); err != nil {
					return err
				}
				got, err := c.Retr(ctx, "f")
				if err != nil {
					return err
				}
				return checkContent("a TYPE I retrieval after CWD", data, got)
			},
		},
		{
			ID: "rfc959/3.1.1.1/ascii-crlf", RFC: "959", Section: "3.1.1.1", Level: Should,
			Title:       "TYPE A transfers end lines with CRLF",
			Requirement: `In accordance with the NVT standard, the <CRLF> sequence should be used where necessary to denote the end of a line of text.`,
			Tags:        []string{"parameters", "transfer"},
			Needs:       []Feature{NeedWrite},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				name := env.Name("txt")
				text := textContent(20)
				if err := c.Stor(ctx, name, text); err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "TYPE A", 200); err != nil {
					return err
				}
				got, err := c.Retr(ctx, name)
				if err != nil {
					return err
				}
				wantCRLF := bytes.ReplaceAll(text, []byte("\n"), []byte("\r\n"))
				if bytes.Equal(got, wantCRLF) {
					return nil
				}
				if bytes.Equal(got, text) {
					return Violatef("lines ending in CRLF in TYPE A", "the file's bare LF line ends sent unchanged (%d bytes)", len(got))
				}
				_, diff := sameBytes(wantCRLF, got)
				return Violatef("lines ending in CRLF in TYPE A", "%s", diff)
			},
		},
	}
}
