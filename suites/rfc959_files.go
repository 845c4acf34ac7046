package suites

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"path"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
)

// RFC 959 service commands: files, directories, transfers.
func rfc959Files() []Case {
	w := []Feature{NeedWrite}
	return []Case{
		{
			ID: "rfc959/4.1.3/pwd", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "PWD returns the working directory in a 257 reply",
			Requirement: `This command causes the name of the current working directory to be returned in the reply.`,
			Tags:        []string{"directories"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Expect(ctx, "PWD", 257)
				if err != nil {
					return err
				}
				if pwdPath(r) == "" {
					return Violatef(`257 "<directory>" naming the directory`, "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.3/mkd-creates", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "MKD creates a directory that CWD can enter",
			Requirement: `This command causes the directory specified in the pathname to be created as a directory (if the pathname is absolute) or as a subdirectory of the current working directory (if the pathname is relative).`,
			Tags:        []string{"directories"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				dir := env.Name("d")
				r, err := c.Expect(ctx, "MKD "+dir, 257)
				if err != nil {
					return err
				}
				env.Track(dir, true)
				if p := pwdPath(r); p != "" && path.Base(p) != dir {
					return Violatef(`257 "<the new directory>"`, "%s", quote(r))
				}
				_, err = c.Expect(ctx, "CWD "+dir, 250)
				return err
			},
		},
		{
			ID: "rfc959/4.1.1/cwd-changes-directory", RFC: "959", Section: "4.1.1", Level: Must,
			Title:       "CWD changes the working directory PWD reports",
			Requirement: `This command allows the user to work with a different directory or dataset for file storage or retrieval without altering his login or accounting information.`,
			Tags:        []string{"directories"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				dir := env.Name("d")
				if err := c.Mkd(ctx, dir); err != nil {
					return err
				}
				if _, err := c.Expect(ctx, "CWD "+dir, 250); err != nil {
					return err
				}
				r, err := c.Expect(ctx, "PWD", 257)
				if err != nil {
					return err
				}
				if path.Base(pwdPath(r)) != dir {
					return Violatef("PWD naming "+dir+" after CWD "+dir, "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.1/cdup-parent", RFC: "959", Section: "4.1.1", Level: Must,
			Title:       "CDUP returns to the parent directory with CWD's reply codes",
			Requirement: `The reply codes shall be identical to the reply codes of CWD.`,
			Tags:        []string{"directories"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				before, err := c.Setup(ctx, "PWD", 257)
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
				// RFC 959 §5.4 lists 200 for CDUP, §4.1.1 says CWD's codes (250): both are right.
				if _, err := c.Expect(ctx, "CDUP", 250, 200); err != nil {
					return err
				}
				after, err := c.Setup(ctx, "PWD", 257)
				if err != nil {
					return err
				}
				if pwdPath(after) != pwdPath(before) {
					return Violatef(fmt.Sprintf("PWD %q after CDUP", pwdPath(before)), "%s", quote(after))
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.3/rmd-removes", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "RMD removes a directory",
			Requirement: `This command causes the directory specified in the pathname to be removed as a directory (if the pathname is absolute) or as a subdirectory of the current working directory (if the pathname is relative).`,
			Tags:        []string{"directories"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				dir := env.Name("d")
				if err := c.Mkd(ctx, dir); err != nil {
					return err
				}
				if _, err := c.Expect(ctx, "RMD "+dir, 250); err != nil {
					return err
				}
				env.Forget(dir)
				r, err := c.Cmd(ctx, "CWD "+dir)
				if err != nil {
					return err
				}
				if r.Class() == 2 {
					return Violatef("CWD into the removed directory to fail", "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.3/dele-deletes", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "DELE deletes a file",
			Requirement: `This command causes the file specified in the pathname to be deleted at the server site.`,
			Tags:        []string{"files"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := loginAndFile(ctx, env, "f", 64)
				if err != nil {
					return err
				}
				if _, err := c.Expect(ctx, "DELE "+name, 250); err != nil {
					return err
				}
				env.Forget(name)
				t, err := c.Do(ctx, "RETR "+name, nil)
				if err != nil {
					return err
				}
				if t.Prelim.Class() == 1 && t.Final.Class() == 2 {
					return Violatef("RETR of the deleted file to fail", "%s", transferString(t))
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.3/rename", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "RNFR then RNTO renames a file",
			Requirement: `Together the two commands cause a file to be renamed.`,
			Tags:        []string{"files"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := loginAndFile(ctx, env, "from", 300)
				if err != nil {
					return err
				}
				to := env.Name("to")
				if _, err := c.Expect(ctx, "RNFR "+name, 350); err != nil {
					return err
				}
				if _, err := c.Expect(ctx, "RNTO "+to, 250); err != nil {
					return err
				}
				env.Forget(name)
				env.Track(to, false)
				got, err := c.Retr(ctx, to)
				if err != nil {
					return Violatef("the file under its new name", "%v", err)
				}
				if err := checkContent("the renamed file", data, got); err != nil {
					return err
				}
				t, err := c.Do(ctx, "RETR "+name, nil)
				if err != nil {
					return err
				}
				if t.OK() {
					return Violatef("the old name gone after RNTO", "RETR %s still works", name)
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.3/retr-byte-exact", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "RETR in TYPE I delivers an exact copy of the file",
			Requirement: `This command causes the server-DTP to transfer a copy of the file, specified in the pathname, to the server- or user-DTP at the other end of the data connection.`,
			Tags:        []string{"transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := loginAndFile(ctx, env, "f", 256<<10+77)
				if err != nil {
					return err
				}
				// Twice: a fault that corrupts every other transfer must not slip through.
				for i := 1; i <= 2; i++ {
					t, err := c.Do(ctx, "RETR "+name, nil)
					if err != nil {
						return err
					}
					if !t.OK() {
						return Violatef("125/150 then 226/250 to RETR of an existing file", "%s", transferString(t))
					}
					if ok, diff := sameBytes(data, t.Data); !ok {
						return Violatef(fmt.Sprintf("the file's %d bytes", len(data)), "retrieval %d: %s, then %s", i, diff, quote(t.Final))
					}
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.3/retr-leaves-file", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "RETR leaves the file unchanged",
			Requirement: `The status and contents of the file at the server site shall be unaffected.`,
			Tags:        []string{"transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := loginAndFile(ctx, env, "f", 4096)
				if err != nil {
					return err
				}
				if _, err := c.Retr(ctx, name); err != nil {
					return err
				}
				n, r, ok, err := sizeOf(ctx, c, name)
				if err != nil {
					return err
				}
				if ok && n != int64(len(data)) {
					return Violatef(fmt.Sprintf("SIZE %d after RETR", len(data)), "%s", quote(r))
				}
				if _, err := c.Expect(ctx, "RNFR "+name, 350); err != nil {
					return err
				}
				_, err = c.Cmd(ctx, "ABOR") // leave no rename pending
				return err
			},
		},
		{
			ID: "rfc959/3.1.1.3/stor-image-exact", RFC: "959", Section: "3.1.1.3", Level: Must,
			Title:       "STOR in TYPE I stores the bytes exactly",
			Requirement: `The receiving site must store the data as contiguous bits.`,
			Tags:        []string{"transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				name := env.Name("f")
				data := env.Content(name, 128<<10+5)
				copy(data[100:], "\r\n\n\r\x00\xff") // line ends and NULs must survive TYPE I
				if err := c.Stor(ctx, name, data); err != nil {
					return err
				}
				if n, r, ok, err := sizeOf(ctx, c, name); err != nil {
					return err
				} else if ok && n != int64(len(data)) {
					return Violatef(fmt.Sprintf("SIZE %d after storing %d bytes", len(data), len(data)), "%s", quote(r))
				}
				got, err := c.Retr(ctx, name)
				if err != nil {
					return err
				}
				return checkContent("the stored file", data, got)
			},
		},
		{
			ID: "rfc959/4.1.3/stor-replaces", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "STOR over an existing file replaces its contents",
			Requirement: `If the file specified in the pathname exists at the server site, then its contents shall be replaced by the data being transferred.`,
			Tags:        []string{"transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := loginAndFile(ctx, env, "f", 10000)
				if err != nil {
					return err
				}
				second := env.Content(name+"-second", 3000)
				if err := c.Stor(ctx, name, second); err != nil {
					return err
				}
				got, err := c.Retr(ctx, name)
				if err != nil {
					return err
				}
				if len(got) > len(second) {
					return Violatef("the 3000 bytes of the second upload only", "%d bytes: the old contents were not replaced", len(got))
				}
				return checkContent("the replaced file", second, got)
			},
		},
		{
			ID: "rfc959/4.1.3/stor-creates", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "STOR creates a file that did not exist",
			Requirement: `A new file is created at the server site if the file specified in the pathname does not already exist.`,
			Tags:        []string{"transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				name := env.Name("new")
				env.Track(name, false)
				t, err := c.Do(ctx, "STOR "+name, []byte("new file\n"))
				if err != nil {
					return err
				}
				if !t.OK() {
					return Violatef("125/150 then 226/250 to STOR of a new file", "%s", transferString(t))
				}
				got, err := c.Retr(ctx, name)
				if err != nil {
					return Violatef("the new file to exist", "%v", err)
				}
				return checkContent("the new file", []byte("new file\n"), got)
			},
		},
		{
			ID: "rfc959/4.1.3/appe-appends", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "APPE appends to an existing file",
			Requirement: `If the file specified in the pathname exists at the server site, then the data shall be appended to that file; otherwise the file specified in the pathname shall be created at the server site.`,
			Tags:        []string{"transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := loginAndFile(ctx, env, "f", 2000)
				if err != nil {
					return err
				}
				more := []byte("appended tail\n")
				t, err := c.Do(ctx, "APPE "+name, more)
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(t.Prelim, "APPE"); err != nil {
					return err
				}
				if !t.OK() {
					return Violatef("125/150 then 226/250 to APPE", "%s", transferString(t))
				}
				got, err := c.Retr(ctx, name)
				if err != nil {
					return err
				}
				return checkContent("the file with the appended bytes", append(bytes.Clone(data), more...), got)
			},
		},
		{
			ID: "rfc959/4.1.3/appe-creates", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "APPE to a missing file creates it",
			Requirement: `If the file specified in the pathname exists at the server site, then the data shall be appended to that file; otherwise the file specified in the pathname shall be created at the server site.`,
			Tags:        []string{"transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				name := env.Name("new")
				env.Track(name, false)
				t, err := c.Do(ctx, "APPE "+name, []byte("fresh\n"))
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(t.Prelim, "APPE"); err != nil {
					return err
				}
				if !t.OK() {
					return Violatef("125/150 then 226/250 to APPE of a new file", "%s", transferString(t))
				}
				got, err := c.Retr(ctx, name)
				if err != nil {
					return Violatef("the file created by APPE", "%v", err)
				}
				return checkContent("the file created by APPE", []byte("fresh\n"), got)
			},
		},
		{
			ID: "rfc959/4.1.3/list-directory", RFC: "959", Section: "4.1.3", Level: Should,
			Title:       "LIST of a directory lists its files",
			Requirement: `If the pathname specifies a directory or other group of files, the server should transfer a list of files in the specified directory.`,
			Tags:        []string{"listing"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := dirWithFile(ctx, env)
				if err != nil {
					return err
				}
				out, err := c.List(ctx, "LIST", dir)
				if err != nil {
					return err
				}
				if !bytes.Contains(out, []byte(file)) {
					return Violatef("a listing naming "+file, "%q", truncate(out))
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.3/list-file", RFC: "959", Section: "4.1.3", Level: Should,
			Title:       "LIST of a file describes that file",
			Requirement: `If the pathname specifies a file then the server should send current information on the file.`,
			Tags:        []string{"listing"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := dirWithFile(ctx, env)
				if err != nil {
					return err
				}
				out, err := c.List(ctx, "LIST", dir+"/"+file)
				if err != nil {
					return Violatef("a listing of the file", "%v", err)
				}
				if !bytes.Contains(out, []byte(file)) {
					return Violatef("a line describing "+file, "%q", truncate(out))
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.3/list-default-cwd", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "LIST without an argument lists the working directory",
			Requirement: `A null argument implies the user's current working or default directory.`,
			Tags:        []string{"listing"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := dirWithFile(ctx, env)
				if err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "CWD "+dir, 250); err != nil {
					return err
				}
				for _, verb := range []string{"LIST", "NLST"} {
					out, err := c.List(ctx, verb, "")
					if err != nil {
						return err
					}
					if !bytes.Contains(out, []byte(file)) {
						return Violatef(verb+" of the working directory naming "+file, "%q", truncate(out))
					}
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.3/nlst-names", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "NLST sends names separated by CRLF or NL",
			Requirement: `The server will return a stream of names of files and no other information.`,
			Tags:        []string{"listing"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := dirWithFile(ctx, env)
				if err != nil {
					return err
				}
				out, err := c.List(ctx, "NLST", dir)
				if err != nil {
					return err
				}
				for _, l := range lines(out) {
					if path.Base(l) == file {
						return nil
					}
				}
				return Violatef("a line holding just the name "+file, "%q", truncate(out))
			},
		},
		{
			ID: "rfc959/3.2/data-closed-after-transfer", RFC: "959", Section: "3.2", Level: Must,
			Title:       "the server closes the data connection to end a stream-mode download",
			Requirement: `The server MUST close the data connection under the following conditions: 1. The server has completed sending data in a transfer mode that requires a close to indicate EOF.`,
			Tags:        []string{"transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := loginAndFile(ctx, env, "f", 5000)
				if err != nil {
					return err
				}
				ap, err := c.Passive(ctx)
				if err != nil {
					return err
				}
				dc, err := c.DialData(ctx, ap)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "RETR "+name)
				if err != nil {
					return err
				}
				if r.Class() != 1 {
					return fmt.Errorf("setup: RETR: %s", quote(r))
				}
				got, err := readUntilClosed(dc, 5*time.Second)
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					return Violatef("the data connection closed after the file's bytes", "still open 5s after %d bytes", len(got))
				}
				dc.Close()
				final, err := c.ReadReply(ctx)
				if err != nil {
					return err
				}
				if err := want(final, "the end of RETR", 226, 250); err != nil {
					return err
				}
				return checkContent("the file", data, got)
			},
		},
		{
			ID: "rfc959/4.2/one-preliminary-reply", RFC: "959", Section: "4.2", Level: Must,
			Title:       "a transfer command gets at most one 1yz reply, then a completion reply",
			Requirement: `The server-FTP process may send at most, one 1yz reply per command.`,
			Tags:        []string{"transfer", "reply-codes"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := loginAndFile(ctx, env, "f", 1000)
				if err != nil {
					return err
				}
				t, err := c.Do(ctx, "RETR "+name, nil)
				if err != nil {
					return err
				}
				if t.Prelim.Class() != 1 {
					return fmt.Errorf("setup: RETR: %s", quote(t.Prelim))
				}
				if t.Final.Class() == 1 {
					return Violatef("one 1yz reply, then 226/250", "%s then %s", quote(t.Prelim), quote(t.Final))
				}
				return want(t.Final, "the end of RETR", 226, 250)
			},
		},
		{
			ID: "rfc959/4.1.3/abor-idle", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "ABOR with no transfer in progress is answered 225 or 226",
			Requirement: `In the first case, the server closes the data connection (if it is open) and responds with a 226 reply, indicating that the abort command was successfully processed.`,
			Tags:        []string{"abor"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "ABOR")
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "ABOR"); err != nil {
					return err
				}
				// §5.4 lists 225 and 226 for ABOR; both say the abort was processed.
				if err := want(r, "ABOR with nothing to abort", 225, 226); err != nil {
					return err
				}
				_, err = c.Expect(ctx, "NOOP", 200)
				return err
			},
		},
		{
			ID: "rfc959/4.1.3/abor-transfer", RFC: "959", Section: "4.1.3", Level: Must,
			Title:       "ABOR during a download ends it, closes the data connection and keeps the control connection",
			Requirement: `The control connection is not to be closed by the server, but the data connection must be closed.`,
			Tags:        []string{"abor", "transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := loginAndFile(ctx, env, "big", 8<<20)
				if err != nil {
					return err
				}
				return aborDuringRetr(ctx, c, name)
			},
		},
		{
			ID: "rfc959/4.1.3/stor-interrupted-no-partial", RFC: "959", Section: "4.1.3", Level: May,
			Title:       "an upload cut off by a vanished client (an abort, §4.1.1) leaves no partial file: atomic STOR",
			Requirement: `This command tells the server to abort the previous FTP service command and any associated transfer of data.`,
			Tags:        []string{"transfer", "atomic"}, Needs: w,
			Run: runInterruptedUpload,
		},
		{
			ID: "rfc959/4.1.1/rein", RFC: "959", Section: "4.1.1", Level: Must,
			Title:       "REIN logs the user out and leaves the control connection open",
			Requirement: `This command terminates a USER, flushing all I/O and account information, except to allow any transfer in progress to be completed.`,
			Tags:        []string{"login"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "REIN")
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "REIN"); err != nil {
					return err
				}
				if r.Code == 120 {
					if r, err = c.ReadReply(ctx); err != nil {
						return err
					}
				}
				if r.Class() != 2 {
					return Violatef("220 to REIN", "%s", quote(r))
				}
				if r.Code != 220 {
					env.Note("REIN answered %d; RFC 959 §5.4 lists 220", r.Code)
				}
				if env.Mode != ModeNone {
					return nil // RFC 4217 §13: TLS is cleared too; the probe below would need a new handshake
				}
				r, err = c.Cmd(ctx, "CWD /")
				if err != nil {
					return Violatef("the control connection open after REIN", "%v", err)
				}
				if r.Class() == 2 {
					return Violatef("a logged-out session after REIN (530 to CWD)", "CWD / answered %s", quote(r))
				}
				return nil
			},
		},
	}
}

// dirWithFile creates a fresh directory holding one file.
func dirWithFile(ctx context.Context, env *Env) (*Ctrl, string, string, error) {
	c, err := env.Login(ctx)
	if err != nil {
		return nil, "", "", err
	}
	dir := env.Name("d")
	if err := c.Mkd(ctx, dir); err != nil {
		return nil, "", "", err
	}
	file := "ftpspec-entry-" + env.nonce + ".bin"
	if err := c.Stor(ctx, dir+"/"+file, []byte("x")); err != nil {
		return nil, "", "", err
	}
	return c, dir, file, nil
}

func truncate(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// aborDuringRetr starts a large download, reads a little, sends ABOR and checks the outcome: the
// server answers (426 then 226, or — if the transfer had already finished — 226 then 225/226),
// closes the data connection and keeps the control connection. The data connection is drained
// meanwhile, because servers that do not watch the control connection during a transfer (vsftpd
// without async ABOR) only read ABOR once the transfer ends.
func aborDuringRetr(ctx context.Context, c *Ctrl, name string) error {
	ap, err := c.Passive(ctx)
	if err != nil {
		return err
	}
	dc, err := c.DialData(ctx, ap)
	if err != nil {
		return err
	}
	defer dc.Close()
	r, err := c.Cmd(ctx, "RETR "+name)
	if err != nil {
		return err
	}
	if r.Class() != 1 {
		return fmt.Errorf("setup: RETR: %s", quote(r))
	}
	buf := make([]byte, 32<<10)
	if _, err := dc.Read(buf); err != nil {
		return fmt.Errorf("read the start of the download: %w", err)
	}
	// RFC 959 §4.1.3: Telnet IP and Synch precede ABOR; the bytes go inline (TLS has no urgent data).
	if err := c.SendRaw(ctx, []byte("\xff\xf4\xff\xf2ABOR\r\n")); err != nil {
		return err
	}
	drained := make(chan error, 1)
	go func() {
		_, err := readUntilClosed(dc, 10*time.Second)
		// Close at once: some servers (proftpd) hold their replies until the client has closed
		// the data connection too.
		dc.Close()
		drained <- err
	}()
	read := func(wait time.Duration) (ftpwire.Reply, error) {
		rctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		return c.ReadReply(rctx)
	}
	r1, err := read(10 * time.Second)
	if err != nil {
		return Violatef("a reply to ABOR", "%v", err)
	}
	bad := func(got string) error {
		return Violatef("426 then 226 (or, for a transfer already finished, 226 then 225/226)", "%s", got)
	}
	switch {
	case notImplemented(r1):
		return Unsupportedf("ABOR: %s", quote(r1))
	case r1.Code == 426 || r1.Code == 451:
		// §4.1.3's second case: the transfer was aborted, then ABOR itself is answered.
		r2, err := read(5 * time.Second)
		if err != nil {
			return bad(quote(r1) + " then no reply")
		}
		if r2.Code != 226 && r2.Code != 225 {
			return bad(quote(r1) + " then " + quote(r2))
		}
	case r1.Code == 226 || r1.Code == 250:
		// Either the transfer's own completion (then ABOR's reply follows) or one reply for both.
		r2, err := read(1500 * time.Millisecond)
		if err == nil && r2.Code != 225 && r2.Code != 226 {
			return bad(quote(r1) + " then " + quote(r2))
		}
	case r1.Code == 225:
	default:
		return bad(quote(r1))
	}
	if err := <-drained; err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return Violatef("the data connection closed by the server after ABOR", "still open 10s later")
		}
	}
	if _, err := c.Expect(ctx, "NOOP", 200); err != nil {
		return Violatef("the control connection usable after ABOR", "%v", err)
	}
	return nil
}

// runInterruptedUpload sends half a file, then resets the control and data connections the way a
// killed client would, and looks for the file. RFC 959 only says the server aborts; RFC 3659 §5
// resumes uploads from the partial file a server keeps, so keeping it is legitimate: a server that
// does is reported unsupported (no atomic uploads), never failed.
func runInterruptedUpload(ctx context.Context, env *Env) error {
	c, err := env.Login(ctx)
	if err != nil {
		return err
	}
	name := env.Name("partial")
	env.Track(name, false)
	whole := env.Content(name, 1<<20)
	ap, err := c.Passive(ctx)
	if err != nil {
		return err
	}
	dc, err := c.DialData(ctx, ap)
	if err != nil {
		return err
	}
	r, err := c.Cmd(ctx, "STOR "+name)
	if err != nil {
		return err
	}
	if r.Class() != 1 {
		return fmt.Errorf("setup: STOR: %s", quote(r))
	}
	if _, err := dc.Write(whole[:len(whole)/2]); err != nil {
		return fmt.Errorf("upload the first half: %w", err)
	}
	time.Sleep(100 * time.Millisecond) // let the server write what it received
	env.Note("resetting the control connection, then the data connection, mid-upload")
	c.Reset()
	time.Sleep(50 * time.Millisecond)
	dc.Reset()

	checker, err := env.Login(ctx)
	if err != nil {
		return err
	}
	var last string
	for try := 0; try < 5; try++ {
		time.Sleep(200 * time.Millisecond)
		n, r, ok, err := sizeOf(ctx, checker, name)
		if err != nil {
			return err
		}
		if ok {
			last = fmt.Sprintf("%s exists with %d of %d bytes", name, n, len(whole))
			continue
		}
		if notImplemented(r) {
			out, err := checker.List(ctx, "NLST", "")
			if err != nil {
				return err
			}
			if !bytes.Contains(out, []byte(name)) {
				return nil
			}
			last = name + " is listed by NLST"
			continue
		}
		return nil // SIZE refused: no such file
	}
	return Unsupportedf("the server keeps a partial file after an interrupted upload (%s); RFC 3659 §5 restarts rely on such files, so this is legitimate, but uploads are not atomic", last)
}
