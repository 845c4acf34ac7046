package suites

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
)

var timeVal = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?$`)

// RFC 3659: SIZE, MDTM, REST in STREAM mode, MLST/MLSD, TVFS.
func rfc3659Cases() []Case {
	w := []Feature{NeedWrite}
	return []Case{
		{
			ID: "rfc3659/4.1/size-format", RFC: "3659", Section: "4.1", Level: Must,
			Title:       `SIZE of a file answers exactly "213 <digits>"`,
			Requirement: `Note that when the 213 response is issued, that is, when there is no error, the format MUST be exactly as specified.`,
			Tags:        []string{"ext:SIZE"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := loginAndFile(ctx, env, "f", 1234)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "SIZE "+name)
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "SIZE"); err != nil {
					return err
				}
				if r.Code != 213 {
					return Violatef("213 to SIZE of an existing file", "%s", quote(r))
				}
				if r.Multiline() || !allDigits(r.Text()) {
					return Violatef(`one line "213 <digits>"`, "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/4/size-exact", RFC: "3659", Section: "4", Level: Must,
			Title:       "SIZE in TYPE I is the exact number of bytes RETR sends",
			Requirement: `Estimates of the file transfer size MUST NOT be returned; only precise information is acceptable.`,
			Tags:        []string{"ext:SIZE"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := loginAndFile(ctx, env, "f", 100003)
				if err != nil {
					return err
				}
				n, r, ok, err := sizeOf(ctx, c, name)
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "SIZE"); err != nil {
					return err
				}
				if !ok {
					return Violatef(fmt.Sprintf("213 %d", len(data)), "%s", quote(r))
				}
				if n != int64(len(data)) {
					return Violatef(fmt.Sprintf("213 %d (the bytes stored)", len(data)), "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/4/size-ascii", RFC: "3659", Section: "4", Level: Must,
			Title:       "SIZE in TYPE A matches the bytes a TYPE A RETR sends (or is refused)",
			Requirement: `The SIZE command returns how many octets would be transferred if the file were to be transferred using the current transfer structure, mode, and type.`,
			Tags:        []string{"ext:SIZE"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				name := env.Name("txt")
				if err := c.Stor(ctx, name, textContent(30)); err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "TYPE A", 200); err != nil {
					return err
				}
				n, r, ok, err := sizeOf(ctx, c, name)
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "SIZE"); err != nil {
					return err
				}
				if !ok {
					if refused(r) {
						return nil // §4.2: a server may refuse SIZE where the transfer size is costly to know
					}
					return Violatef("213 <octets> or a refusal", "%s", quote(r))
				}
				got, err := c.Retr(ctx, name)
				if err != nil {
					return err
				}
				if int64(len(got)) != n {
					return Violatef(fmt.Sprintf("SIZE equal to the %d octets a TYPE A RETR sent", len(got)), "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/4.2/size-missing-550", RFC: "3659", Section: "4.2", Level: Should,
			Title:       "SIZE of a missing file is answered 550",
			Requirement: `Where the command is correctly parsed but the size is not available, perhaps because the pathname identifies no existing entity or because the entity named cannot be transferred in the current MODE and TYPE (or at all), then a 550 reply should be sent.`,
			Tags:        []string{"ext:SIZE"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "SIZE "+env.Name("missing"))
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "SIZE"); err != nil {
					return err
				}
				if r.Class() == 2 {
					return Violatef("550 for a file that does not exist", "%s", quote(r)) // graded SHOULD by the case
				}
				return want(r, "SIZE of a missing file", 550)
			},
		},
		{
			ID: "rfc3659/3.1/mdtm-format", RFC: "3659", Section: "3.1", Level: Must,
			Title:       `MDTM answers exactly "213 YYYYMMDDHHMMSS[.sss]"`,
			Requirement: `Note that when the 213 response is issued, that is, when there is no error, the format MUST be exactly as specified.`,
			Tags:        []string{"ext:MDTM"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := loginAndFile(ctx, env, "f", 10)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "MDTM "+name)
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "MDTM"); err != nil {
					return err
				}
				if r.Code != 213 {
					return Violatef("213 to MDTM of an existing file", "%s", quote(r))
				}
				if _, err := parseTimeVal(r.Text()); err != nil || r.Multiline() {
					return Violatef(`one line "213 YYYYMMDDHHMMSS[.sss]"`, "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/2.3/mdtm-utc", RFC: "3659", Section: "2.3", Level: Must,
			Title:       "MDTM times are UTC",
			Requirement: `Time values are always represented in UTC (GMT), and in the Gregorian calendar regardless of what calendar may have been in use at the date and time indicated at the location of the server-PI.`,
			Tags:        []string{"ext:MDTM"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				if a, err := netip.ParseAddr(env.Target.Host); err != nil || !a.IsLoopback() {
					return Skipf("comparing the server's clock needs a server on this host (loopback target)")
				}
				before := time.Now().UTC()
				c, name, _, err := loginAndFile(ctx, env, "f", 10)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "MDTM "+name)
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "MDTM"); err != nil {
					return err
				}
				t, err := parseTimeVal(r.Text())
				if r.Code != 213 || err != nil {
					return Skipf("MDTM answered %s (judged by rfc3659/3.1/mdtm-format)", quote(r))
				}
				// Same host, same clock: a file written a moment ago must read within minutes of now
				// in UTC; a local-time server is off by the zone offset.
				if d := t.Sub(before); d < -10*time.Minute || d > 10*time.Minute {
					return Violatef("the upload time in UTC, about "+before.Format("20060102150405"), "%s: %s off", quote(r), d.Round(time.Minute))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/3.2/mdtm-missing-550", RFC: "3659", Section: "3.2", Level: Should,
			Title:       "MDTM of a missing file is answered 550",
			Requirement: `Where the command is correctly parsed but the modification time is not available, either because the pathname identifies no existing entity or because the information is not available for the entity named, then a 550 reply should be sent.`,
			Tags:        []string{"ext:MDTM"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "MDTM "+env.Name("missing"))
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "MDTM"); err != nil {
					return err
				}
				return want(r, "MDTM of a missing file", 550)
			},
		},
		{
			ID: "rfc3659/5.3/rest-350", RFC: "3659", Section: "5.3", Level: Must,
			Title:       "REST with a valid marker is answered 350",
			Requirement: `The server-PI will respond to the REST command with a 350 reply, indicating that the REST parameter has been saved, and that another command, which should be either RETR or STOR, should then follow to complete the restart.`,
			Tags:        []string{"ext:REST", "rest"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "REST 100")
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "REST"); err != nil {
					return err
				}
				if err := want(r, "REST 100", 350); err != nil {
					return err
				}
				_, err = c.Cmd(ctx, "REST 0")
				return err
			},
		},
		{
			ID: "rfc3659/5.3/rest-retr-resumes", RFC: "3659", Section: "5.3", Level: Must,
			Title:       "REST n then RETR sends the file from byte n",
			Requirement: `The numeric value gives the number of octets of the immediately- following transfer to not actually send, effectively causing the transmission to be restarted at a later point.`,
			Tags:        []string{"ext:REST", "rest", "transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := loginAndFile(ctx, env, "f", 200000)
				if err != nil {
					return err
				}
				const off = 123457
				ap, err := c.Passive(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, fmt.Sprintf("REST %d", off))
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "REST"); err != nil {
					return err
				}
				if r.Code != 350 {
					return Unsupportedf("REST: %s", quote(r))
				}
				t, err := c.DoAt(ctx, ap, "RETR "+name, nil)
				if err != nil {
					return err
				}
				if !t.OK() {
					return Violatef("RETR after REST to succeed", "%s", transferString(t))
				}
				return checkContent(fmt.Sprintf("bytes %d.. of the file", off), data[off:], t.Data)
			},
		},
		{
			ID: "rfc3659/5.3/rest-zero", RFC: "3659", Section: "5.3", Level: Must,
			Title:       "REST 0 then RETR sends the whole file",
			Requirement: `A value of zero effectively disables restart, causing the entire file to be transmitted.`,
			Tags:        []string{"ext:REST", "rest", "transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := loginAndFile(ctx, env, "f", 5000)
				if err != nil {
					return err
				}
				ap, err := c.Passive(ctx)
				if err != nil {
					return err
				}
				if r, err := c.Cmd(ctx, "REST 0"); err != nil {
					return err
				} else if r.Code != 350 {
					return Unsupportedf("REST: %s", quote(r))
				}
				t, err := c.DoAt(ctx, ap, "RETR "+name, nil)
				if err != nil {
					return err
				}
				if !t.OK() {
					return Violatef("RETR after REST 0 to succeed", "%s", transferString(t))
				}
				return checkContent("the whole file", data, t.Data)
			},
		},
		{
			ID: "rfc3659/5.3/rest-stor-resumes", RFC: "3659", Section: "5.3", Level: Must,
			Title:       "REST n then STOR writes the data at byte n of the file",
			Requirement: `With STOR, however, the server must insert the data into the file named.`,
			Tags:        []string{"ext:REST", "rest", "transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				name := env.Name("f")
				whole := env.Content(name, 90000)
				const half = 40000
				if err := c.Stor(ctx, name, whole[:half]); err != nil {
					return err
				}
				ap, err := c.Passive(ctx)
				if err != nil {
					return err
				}
				if r, err := c.Cmd(ctx, fmt.Sprintf("REST %d", half)); err != nil {
					return err
				} else if r.Code != 350 {
					return Unsupportedf("REST: %s", quote(r))
				}
				t, err := c.DoAt(ctx, ap, "STOR "+name, whole[half:])
				if err != nil {
					return err
				}
				if !t.OK() {
					return Violatef("STOR after REST to succeed", "%s", transferString(t))
				}
				n, r, ok, err := sizeOf(ctx, c, name)
				if err != nil {
					return err
				}
				if ok && n != int64(len(whole)) {
					return Violatef(fmt.Sprintf("a file of %d bytes (%d then %d from byte %d)", len(whole), half, len(whole)-half, half), "%s", quote(r))
				}
				got, err := c.Retr(ctx, name)
				if err != nil {
					return err
				}
				return checkContent("the file completed by REST+STOR", whole, got)
			},
		},
		{
			ID: "rfc3659/5.3/rest-invalid-marker", RFC: "3659", Section: "5.3", Level: Must,
			Title:       "REST with a non-numeric marker is refused in STREAM mode",
			Requirement: `An error response will follow a REST command only when the server does not implement the command, or when the restart marker value is syntactically invalid for the current transfer mode (e.g., in STREAM mode, something other than one or more digits appears in the parameter to the REST command).`,
			Tags:        []string{"ext:REST", "rest"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "REST abc")
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "REST"); err != nil {
					return err
				}
				if !refused(r) {
					return Violatef("501 (or another error) to REST abc", "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/5.3/rest-out-of-range", RFC: "3659", Section: "5.3", Level: Should,
			Title:       "a REST marker beyond the end of the file is reported at the RETR, not at REST",
			Requirement: `Any other errors, including such problems as restart marker out of range, should be reported when the following transfer command is issued.`,
			Tags:        []string{"ext:REST", "rest"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := loginAndFile(ctx, env, "f", 1000)
				if err != nil {
					return err
				}
				ap, err := c.Passive(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "REST 5000000")
				if err != nil {
					return err
				}
				if err := unsupportedIfUnknown(r, "REST"); err != nil {
					return err
				}
				if r.Code != 350 {
					return Violatef("350 to REST 5000000 (the range is checked by the transfer command)", "%s", quote(r))
				}
				t, err := c.DoAt(ctx, ap, "RETR "+name, nil)
				if err != nil {
					return err
				}
				if t.OK() {
					return Violatef("an error to RETR restarting beyond the end of a 1000-byte file", "%s", transferString(t))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.2/mlst-format", RFC: "3659", Section: "7.2", Level: Must,
			Title:       "MLST answers 250 with one entry line: space, facts, space, pathname",
			Requirement: `Note that for MLST the fact set is preceded by a space.`,
			Tags:        []string{"ext:MLST"}, Needs: []Feature{NeedWrite, FeatNeed("MLST")},
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := loginAndFile(ctx, env, "f", 77)
				if err != nil {
					return err
				}
				r, err := c.Expect(ctx, "MLST "+name, 250)
				if err != nil {
					return err
				}
				entries, err := mlstEntries(r)
				if err != nil {
					return err
				}
				for _, e := range entries {
					if !strings.HasSuffix(e.path, name) {
						return Violatef("the entry for "+name, "%q", e.raw)
					}
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.5.7/mlst-size-fact", RFC: "3659", Section: "7.5.7", Level: Should,
			Title:       "the size fact of a file matches its size",
			Requirement: `The size fact applies to non-directory file types and should always reflect the approximate size of the file.`,
			Tags:        []string{"ext:MLST"}, Needs: []Feature{NeedWrite, FeatNeed("MLST")},
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := loginAndFile(ctx, env, "f", 4321)
				if err != nil {
					return err
				}
				r, err := c.Setup(ctx, "MLST "+name, 250)
				if err != nil {
					return err
				}
				entries, err := mlstEntries(r)
				if err != nil {
					return err
				}
				v, ok := entries[0].facts["size"]
				if !ok {
					return Skipf("no size fact in %s", quote(r))
				}
				if v != strconv.Itoa(len(data)) {
					return Violatef(fmt.Sprintf("size=%d", len(data)), "size=%s", v)
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.5.1/mlst-type-fact", RFC: "3659", Section: "7.5.1", Level: Must,
			Title:       "the type fact says file for a file and dir/cdir for a directory",
			Requirement: `The type fact given specifies information about the object listed on the same line of the MLST response.`,
			Tags:        []string{"ext:MLST"}, Needs: []Feature{NeedWrite, FeatNeed("MLST")},
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := dirWithFile(ctx, env)
				if err != nil {
					return err
				}
				for _, p := range []struct{ path, want string }{{dir + "/" + file, "file"}, {dir, "dir"}} {
					r, err := c.Setup(ctx, "MLST "+p.path, 250)
					if err != nil {
						return err
					}
					entries, err := mlstEntries(r)
					if err != nil {
						return err
					}
					t, ok := entries[0].facts["type"]
					if !ok {
						return Skipf("no type fact in %s", quote(r))
					}
					t = strings.ToLower(t)
					if t != p.want && !(p.want == "dir" && t == "cdir") {
						return Violatef("type="+p.want+" for "+p.path, "type=%s", t)
					}
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.2/mlsd-format", RFC: "3659", Section: "7.2", Level: Must,
			Title:       "MLSD lines are facts, one space, a name: no headers, no blank lines",
			Requirement: `Implementations MUST NOT vary the format by, for example, inserting extra spaces for readability, replacing spaces by tabs, including header or title lines, or inserting blank lines, or in any other way alter this format.`,
			Tags:        []string{"ext:MLST"}, Needs: []Feature{NeedWrite, FeatNeed("MLST")},
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := dirWithFile(ctx, env)
				if err != nil {
					return err
				}
				out, err := c.List(ctx, "MLSD", dir)
				if err != nil {
					return Violatef("MLSD of a directory to succeed", "%v", err)
				}
				found := false
				for _, l := range lines(out) {
					e, ok := parseMlsxEntry(l)
					if !ok {
						return Violatef("entries \"fact=value;… name\"", "line %q", l)
					}
					if e.path == file || strings.HasSuffix(e.path, "/"+file) {
						found = true
					}
				}
				if !found {
					return Violatef("an entry for "+file, "%q", truncate(out))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.2.1/mlsd-file-501", RFC: "3659", Section: "7.2.1", Level: Must,
			Title:       "MLSD of a file (not a directory) is refused with 501, without a data transfer",
			Requirement: `Giving a pathname that exists but is not a directory as the argument to a MLSD command generates a 501 reply.`,
			Tags:        []string{"ext:MLST"}, Needs: []Feature{NeedWrite, FeatNeed("MLST")},
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := loginAndFile(ctx, env, "f", 10)
				if err != nil {
					return err
				}
				t, err := c.Do(ctx, "MLSD "+name, nil)
				if err != nil {
					return err
				}
				if t.Prelim.Class() == 1 {
					return Violatef("501 to MLSD of a file", "%s", transferString(t))
				}
				return want(t.Prelim, "MLSD of a file", 501)
			},
		},
		{
			ID: "rfc3659/7.2.1/mlst-missing-550", RFC: "3659", Section: "7.2.1", Level: Should,
			Title:       "MLST of a missing name is answered 550",
			Requirement: `Giving a name that does not exist, or for which access permission (to obtain directory information as requested) is not granted will elicit a 550 reply.`,
			Tags:        []string{"ext:MLST"}, Needs: []Feature{FeatNeed("MLST")},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "MLST "+env.Name("missing"))
				if err != nil {
					return err
				}
				if r.Class() == 2 {
					return Violatef("550 for a missing name", "%s", quote(r))
				}
				return want(r, "MLST of a missing name", 550)
			},
		},
		{
			ID: "rfc3659/7.1/mlst-cwd", RFC: "3659", Section: "7.1", Level: Must,
			Title:       "MLST without an argument describes the working directory",
			Requirement: `If no argument is given then MLSD must return a listing of the contents of the current working directory, and MLST must return a listing giving information about the current working directory itself.`,
			Tags:        []string{"ext:MLST"}, Needs: []Feature{FeatNeed("MLST")},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Expect(ctx, "MLST", 250)
				if err != nil {
					return err
				}
				entries, err := mlstEntries(r)
				if err != nil {
					return err
				}
				if t, ok := entries[0].facts["type"]; ok && !strings.EqualFold(t, "cdir") && !strings.EqualFold(t, "dir") {
					return Violatef("type=cdir (or dir) for the working directory", "type=%s", t)
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.9/opts-mlst-selects-facts", RFC: "3659", Section: "7.9", Level: Must,
			Title:       "after OPTS MLST type; only the type fact is returned",
			Requirement: `Facts not included in the "OPTS MLST" command MUST NOT be returned by the server.`,
			Tags:        []string{"ext:MLST", "opts"}, Needs: []Feature{NeedWrite, FeatNeed("MLST")},
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := loginAndFile(ctx, env, "f", 10)
				if err != nil {
					return err
				}
				if _, err := c.Expect(ctx, "OPTS MLST type;", 200); err != nil {
					return err
				}
				r, err := c.Setup(ctx, "MLST "+name, 250)
				if err != nil {
					return err
				}
				entries, err := mlstEntries(r)
				if err != nil {
					return err
				}
				for f := range entries[0].facts {
					if f != "type" {
						return Violatef("only the type fact after OPTS MLST type;", "%q", entries[0].raw)
					}
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.8/feat-mlst-factlist", RFC: "3659", Section: "7.8", Level: Must,
			Title:       "the MLST feature line is \" MLST fact[*];fact[*];…\"",
			Requirement: `The initial space shown in the mlst-feat response is that required by the FEAT command, two spaces are not permitted.`,
			Tags:        []string{"ext:MLST", "feat"}, Needs: []Feature{FeatNeed("MLST")},
			Run: func(ctx context.Context, env *Env) error {
				_, r, err := feat(ctx, env)
				if err != nil {
					return err
				}
				for _, l := range r.Lines() {
					if !strings.HasPrefix(strings.ToUpper(l), " MLST") {
						continue
					}
					if !mlstFeat.MatchString(l) {
						return Violatef(`" MLST factname[*];…"`, "%q", l)
					}
					return nil
				}
				return Violatef("an MLST line", "%s", quote(r))
			},
		},
		{
			ID: "rfc3659/6.3/tvfs-paths", RFC: "3659", Section: "6.3", Level: Must,
			Title:       "a server advertising TVFS accepts /-separated pathnames",
			Requirement: `Such a response to the FEAT command MUST NOT be returned unless the server implements TVFS as defined here.`,
			Tags:        []string{"ext:TVFS"}, Needs: []Feature{NeedWrite, FeatNeed("TVFS")},
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := dirWithFile(ctx, env)
				if err != nil {
					return err
				}
				sub := dir + "/" + env.Name("sub")
				if _, err := c.Expect(ctx, "MKD "+sub, 257); err != nil {
					return err
				}
				env.Track(sub, true)
				got, err := c.Retr(ctx, dir+"/"+file)
				if err != nil {
					return Violatef("RETR "+dir+"/"+file+" to work", "%v", err)
				}
				if !bytes.Equal(got, []byte("x")) {
					return Violatef("the file's 1 byte", "%q", got)
				}
				_, err = c.Expect(ctx, "CWD "+sub, 250)
				return err
			},
		},
	}
}

var mlstFeat = regexp.MustCompile(`(?i)^ MLST( ([A-Za-z0-9.\-]+\*?;)+)?$`)

func parseTimeVal(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	m := timeVal.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, fmt.Errorf("%q is not YYYYMMDDHHMMSS[.sss]", s)
	}
	t, err := time.Parse("20060102150405", s[:14])
	if err != nil {
		// time.Parse rejects second 60 (a leap second RFC 3659 allows); accept it.
		if m[6] == "60" {
			t, err = time.Parse("20060102150405", s[:12]+"59")
		}
		if err != nil {
			return time.Time{}, err
		}
	}
	return t, nil
}

type mlsxEntry struct {
	raw   string
	facts map[string]string // lower-cased names
	path  string
}

// parseMlsxEntry parses "fact=value;fact=value; pathname" (the MLSD data line form).
func parseMlsxEntry(l string) (mlsxEntry, bool) {
	e := mlsxEntry{raw: l, facts: map[string]string{}}
	sp := strings.IndexByte(l, ' ')
	if sp < 0 || l == "" {
		return e, false
	}
	facts, path := l[:sp], l[sp+1:]
	if path == "" || strings.ContainsAny(facts, "\t") {
		return e, false
	}
	for _, f := range strings.Split(facts, ";") {
		if f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return e, false
		}
		e.facts[strings.ToLower(k)] = v
	}
	if facts != "" && !strings.HasSuffix(facts, ";") {
		return e, false
	}
	e.path = path
	return e, true
}

// mlstEntries parses the entry lines of a 250 MLST reply (each begins with one space).
func mlstEntries(r ftpwire.Reply) ([]mlsxEntry, error) {
	ls := r.Lines()
	if len(ls) < 3 {
		return nil, Violatef("250- / one or more \" facts pathname\" lines / 250", "%s", quote(r))
	}
	var out []mlsxEntry
	for _, l := range ls[1 : len(ls)-1] {
		if !strings.HasPrefix(l, " ") {
			return nil, Violatef(`entry lines beginning with one space`, "line %q", l)
		}
		e, ok := parseMlsxEntry(l[1:])
		if !ok {
			return nil, Violatef(`entry lines " fact=value;… pathname"`, "line %q", l)
		}
		out = append(out, e)
	}
	return out, nil
}
