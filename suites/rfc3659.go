package suites

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RFC 3659: SIZE, MDTM, REST in STREAM mode, MLST/MLSD and OPTS MLST, TVFS, and the FEAT lines
// that announce them. SIZE, MDTM and REST cases run whenever the command is recognised (500/502
// gives unsupported), so a server that implements them without FEAT is still checked; MLSx and
// TVFS cases need the FEAT line, since RFC 3659 ties them to it.
func rfc3659Cases() []Case {
	var out []Case
	out = append(out, rfc3659Size()...)
	out = append(out, rfc3659Mdtm()...)
	out = append(out, rfc3659Rest()...)
	out = append(out, rfc3659Mlst()...)
	out = append(out, rfc3659Mlsd()...)
	out = append(out, rfc3659OptsMlst()...)
	out = append(out, rfc3659Tvfs()...)
	out = append(out, rfc3659Listed()...)
	return out
}

// extBinary is identifying content with LF and CR bytes sprinkled in, so that a server that
// converts line ends (or counts them) in TYPE I shows it.
func extBinary(env *Env, name string, n int) []byte {
	b := env.Content(name, n)
	for i := 50; i < n; i += 97 {
		b[i] = '\n'
	}
	for i := 70; i < n; i += 193 {
		b[i] = '\r'
	}
	return b
}

// extStorBinary logs in and uploads extBinary content.
func extStorBinary(ctx context.Context, env *Env, suffix string, n int) (*Ctrl, string, []byte, error) {
	c, err := env.Login(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	name := env.Name(suffix)
	data := extBinary(env, name, n)
	if err := extStor(ctx, c, name, data); err != nil {
		return nil, "", nil, err
	}
	return c, name, data, nil
}

func rfc3659Size() []Case {
	w := []Feature{NeedWrite}
	const literal = `No characters from the pathname may be treated as special or "magic", thus no pattern matching (other than for exact equality) between the pathname given and the files present in the NVFS of the server-FTP is permitted.`
	return []Case{
		{
			ID: "rfc3659/4.1/size-format", RFC: "3659", Section: "4.1", Level: Must,
			Title:       `SIZE of a file answers exactly "213 <digits>" on one line`,
			Requirement: `Note that when the 213 response is issued, that is, when there is no error, the format MUST be exactly as specified.`,
			Tags:        []string{"ext:SIZE"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := extLoginAndFile(ctx, env, "f", 1234)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "SIZE "+name)
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "SIZE"); err != nil {
					return err
				}
				if r.Code != 213 {
					// §4.2 lets a server refuse SIZE for reasons of its own; nothing to judge.
					return Skipf("SIZE of an existing file was refused: %s", quote(r))
				}
				t, _ := strings.CutPrefix(r.Raw, "213 ")
				t, crlf := strings.CutSuffix(t, "\r\n")
				if !crlf || !allDigits(t) {
					return Violatef(`size-response = "213" SP 1*DIGIT CRLF`, "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/4/size-exact", RFC: "3659", Section: "4", Level: Must,
			Title:       "SIZE in TYPE I is the exact number of bytes stored",
			Requirement: `Estimates of the file transfer size MUST NOT be returned; only precise information is acceptable.`,
			Tags:        []string{"ext:SIZE"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := extStorBinary(ctx, env, "f", 100003)
				if err != nil {
					return err
				}
				n, r, ok, err := sizeOf(ctx, c, name)
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "SIZE"); err != nil {
					return err
				}
				if !ok {
					if refused(r) {
						return Skipf("SIZE of an existing file was refused: %s", quote(r))
					}
					return Violatef(fmt.Sprintf("213 %d", len(data)), "%s", quote(r))
				}
				if n != int64(len(data)) {
					return Violatef(fmt.Sprintf("213 %d (the bytes stored, TYPE I)", len(data)), "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/4/size-ascii", RFC: "3659", Section: "4", Level: Should,
			Title:       "SIZE in TYPE A equals the bytes a TYPE A RETR sends (or is refused)",
			Requirement: `The SIZE command returns how many octets would be transferred if the file were to be transferred using the current transfer structure, mode, and type.`,
			Tags:        []string{"ext:SIZE"}, Needs: w,
			// The sentence has no keyword, and §4's MUST NOT on estimates could make this a MUST;
			// but widely deployed servers report the stored size in TYPE A, and RFC 959 leaves the
			// TYPE A conversion itself to the server, so only TYPE I is judged strictly
			// (size-exact) and a TYPE A mismatch is a warning.
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				name := env.Name("txt")
				text := textContent(30)
				if err := extStor(ctx, c, name, text); err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "TYPE A", 200); err != nil {
					return err
				}
				n, r, ok, err := sizeOf(ctx, c, name)
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "SIZE"); err != nil {
					return err
				}
				if !ok {
					if refused(r) {
						return nil // §4.2: a server may refuse where the transfer size is costly to know
					}
					return Violatef("213 <octets> or a refusal", "%s", quote(r))
				}
				got, err := c.Retr(ctx, name)
				if err != nil {
					return err
				}
				if int64(len(got)) != n {
					return Violatef(fmt.Sprintf("SIZE equal to the %d octets a TYPE A RETR sent (the file holds %d)", len(got), len(text)), "%s", quote(r))
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
				if err := c.unsupportedIfUnknown(r, "SIZE"); err != nil {
					return err
				}
				return want(r, "SIZE of a missing file", 550)
			},
		},
		{
			ID: "rfc3659/4.2/size-directory-550", RFC: "3659", Section: "4.2", Level: Should,
			Title:       "SIZE of a directory is answered 550",
			Requirement: `Where the command is correctly parsed but the size is not available, perhaps because the pathname identifies no existing entity or because the entity named cannot be transferred in the current MODE and TYPE (or at all), then a 550 reply should be sent.`,
			Tags:        []string{"ext:SIZE"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				p, err := c.Setup(ctx, "PWD", 257)
				if err != nil {
					return err
				}
				dir := pwdPath(p)
				if dir == "" {
					return fmt.Errorf("setup: PWD gave no quoted pathname: %s", quote(p))
				}
				r, err := c.Cmd(ctx, "SIZE "+dir)
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "SIZE"); err != nil {
					return err
				}
				return want(r, "SIZE of the working directory "+dir, 550)
			},
		},
		{
			ID: "rfc3659/2.2.2/size-literal-pathname", RFC: "3659", Section: "2.2.2", Level: Must,
			Title:       "SIZE does not expand wildcards: a pattern matching a file names no file",
			Requirement: literal,
			Tags:        []string{"ext:SIZE"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := extLoginAndFile(ctx, env, "glob", 321)
				if err != nil {
					return err
				}
				pattern := name[:len(name)-2] + "*"
				r, err := c.Cmd(ctx, "SIZE "+pattern)
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "SIZE"); err != nil {
					return err
				}
				if r.Class() == 2 {
					return Violatef("an error: no file is named "+pattern+" (the pathname is literal)", "%s (the pattern matched %s)", quote(r), name)
				}
				return nil
			},
		},
	}
}

func rfc3659Mdtm() []Case {
	w := []Feature{NeedWrite}
	mdtm := func(ctx context.Context, env *Env) (*Ctrl, string, string, error) {
		c, name, _, err := extLoginAndFile(ctx, env, "f", 10)
		if err != nil {
			return nil, "", "", err
		}
		r, err := c.Cmd(ctx, "MDTM "+name)
		if err != nil {
			return nil, "", "", err
		}
		if err := c.unsupportedIfUnknown(r, "MDTM"); err != nil {
			return nil, "", "", err
		}
		if r.Code != 213 {
			if refused(r) {
				return nil, "", "", Skipf("MDTM of an existing file was refused: %s", quote(r))
			}
			return nil, "", "", Violatef("213 to MDTM of an existing file", "%s", quote(r))
		}
		return c, name, r.Raw, nil
	}
	return []Case{
		{
			ID: "rfc3659/3.1/mdtm-format", RFC: "3659", Section: "3.1", Level: Must,
			Title:       `MDTM answers exactly "213 YYYYMMDDHHMMSS[.sss]" on one line, fields in range`,
			Requirement: `Note that when the 213 response is issued, that is, when there is no error, the format MUST be exactly as specified.`,
			Tags:        []string{"ext:MDTM"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				_, _, raw, err := mdtm(ctx, env)
				if err != nil {
					return err
				}
				t, _ := strings.CutPrefix(raw, "213 ")
				t, crlf := strings.CutSuffix(t, "\r\n")
				if _, perr := extTimeVal(t); !crlf || !strings.HasPrefix(raw, "213 ") || perr != nil {
					return Violatef(`mdtm-response = "213" SP time-val CRLF`, "%q", raw)
				}
				return nil
			},
		},
		{
			ID: "rfc3659/2.3/mdtm-utc", RFC: "3659", Section: "2.3", Level: Must,
			Title:       "MDTM times are UTC: a file written now reads as now in UTC",
			Requirement: `Time values are always represented in UTC (GMT), and in the Gregorian calendar regardless of what calendar may have been in use at the date and time indicated at the location of the server-PI.`,
			Tags:        []string{"ext:MDTM"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				if a, err := netip.ParseAddr(env.Target.Host); err != nil || !a.IsLoopback() {
					return Skipf("comparing with the server's clock needs a server on this host (a loopback target)")
				}
				before := time.Now().UTC()
				_, _, raw, err := mdtm(ctx, env)
				if err != nil {
					return err
				}
				t, perr := extTimeVal(strings.TrimSuffix(strings.TrimPrefix(raw, "213 "), "\r\n"))
				if perr != nil {
					return Skipf("MDTM answered %q (judged by rfc3659/3.1/mdtm-format)", raw)
				}
				d := t.Sub(before.Truncate(time.Second))
				if d >= -2*time.Minute && d <= 2*time.Minute {
					return nil
				}
				// Off by a whole number of quarter hours: a time-zone offset.
				q := (d % (15 * time.Minute)).Abs()
				if d.Abs() >= 15*time.Minute && (q < 2*time.Minute || q > 13*time.Minute) {
					// A server reporting local time and a host whose clock is set to local time
					// look the same from here: a warning, not a failure.
					return Violatef("the upload time in UTC, about "+before.Format("20060102150405"), "%q: %s off, a time-zone offset", raw, d.Round(time.Minute)).Downgrade(Should)
				}
				return Skipf("the server's clock differs from this host's by %s; cannot judge", d.Round(time.Second))
			},
		},
		{
			ID: "rfc3659/3.2/mdtm-missing-550", RFC: "3659", Section: "3.2", Level: Should,
			Title:       "MDTM of a missing file is answered 550 (or a 4yz)",
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
				if err := c.unsupportedIfUnknown(r, "MDTM"); err != nil {
					return err
				}
				if r.Class() == 4 {
					return nil // "Various 4xy replies are also possible in appropriate circumstances."
				}
				return want(r, "MDTM of a missing file", 550)
			},
		},
		{
			ID: "rfc3659/2.3/mdtm-matches-modify", RFC: "3659", Section: "2.3", Level: Should,
			Title:       "MDTM and the MLST modify fact give the same time for a file",
			Requirement: `A server-FTP process should always use the same time reference, so the times it returns will be consistent.`,
			Tags:        []string{"ext:MDTM", "ext:MLST"}, Needs: []Feature{NeedWrite, FeatNeed("MLST")},
			Run: func(ctx context.Context, env *Env) error {
				c, name, raw, err := mdtm(ctx, env)
				if err != nil {
					return err
				}
				t1, perr := extTimeVal(strings.TrimSuffix(strings.TrimPrefix(raw, "213 "), "\r\n"))
				if perr != nil {
					return Skipf("MDTM answered %q (judged by rfc3659/3.1/mdtm-format)", raw)
				}
				if err := extSelectFacts(ctx, c, env, "modify"); err != nil {
					return err
				}
				e, err := extMLSTEntry(ctx, c, name)
				if err != nil {
					return err
				}
				t2, perr := extTimeVal(e.Facts["modify"])
				if perr != nil {
					return Skipf("modify fact %q (judged by rfc3659/2.3/modify-fact-time-val)", e.Facts["modify"])
				}
				if !t1.Equal(t2) {
					return Violatef("the same time from MDTM and the modify fact", "MDTM %s, modify=%s", t1.Format("20060102150405"), e.Facts["modify"])
				}
				return nil
			},
		},
	}
}

func rfc3659Rest() []Case {
	w := []Feature{NeedWrite}
	const offsetRule = `The numeric value gives the number of octets of the immediately- following transfer to not actually send, effectively causing the transmission to be restarted at a later point.`
	// rest sends REST arg; 500/502 makes the case unsupported and anything but 350 is returned as r.
	rest := func(ctx context.Context, c *Ctrl, off int) error {
		r, err := c.Cmd(ctx, fmt.Sprintf("REST %d", off))
		if err != nil {
			return err
		}
		if err := c.unsupportedIfUnknown(r, "REST"); err != nil {
			return err
		}
		if r.Code != 350 {
			return Violatef(fmt.Sprintf("350 to REST %d", off), "%s", quote(r))
		}
		return nil
	}
	// retrFrom downloads name after REST off, over a passive port opened before the REST so that
	// REST is the last command before RETR (§5.3).
	retrFrom := func(ctx context.Context, c *Ctrl, name string, off int) (Transfer, error) {
		ap, err := c.Passive(ctx)
		if err != nil {
			return Transfer{}, err
		}
		if err := rest(ctx, c, off); err != nil {
			return Transfer{}, err
		}
		return c.DoAt(ctx, ap, "RETR "+name, nil)
	}
	return []Case{
		{
			ID: "rfc3659/5.3/rest-350", RFC: "3659", Section: "5.3", Level: Must,
			Title:       "REST with a decimal marker is answered 350",
			Requirement: `The server-PI will respond to the REST command with a 350 reply, indicating that the REST parameter has been saved, and that another command, which should be either RETR or STOR, should then follow to complete the restart.`,
			Tags:        []string{"ext:REST", "rest"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				if err := rest(ctx, c, 100); err != nil {
					return err
				}
				_, err = c.Cmd(ctx, "REST 0")
				return err
			},
		},
		{
			ID: "rfc3659/5.3/rest-retr-resumes", RFC: "3659", Section: "5.3", Level: Must,
			Title:       "REST n then RETR sends the file from byte n",
			Requirement: offsetRule,
			Tags:        []string{"ext:REST", "rest", "transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := extStorBinary(ctx, env, "f", 70001)
				if err != nil {
					return err
				}
				const off = 12345
				t, err := retrFrom(ctx, c, name, off)
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
				c, name, data, err := extStorBinary(ctx, env, "f", 5000)
				if err != nil {
					return err
				}
				t, err := retrFrom(ctx, c, name, 0)
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
			ID: "rfc3659/5.3/rest-next-transfer-only", RFC: "3659", Section: "5.3", Level: Must,
			Title:       "a REST marker applies to the next transfer only: the RETR after it sends the whole file",
			Requirement: offsetRule,
			Tags:        []string{"ext:REST", "rest", "transfer"}, Needs: w,
			Run: func(ctx context.Context, env *Env) error {
				c, name, data, err := extStorBinary(ctx, env, "f", 9000)
				if err != nil {
					return err
				}
				t, err := retrFrom(ctx, c, name, 4000)
				if err != nil {
					return err
				}
				if !t.OK() {
					return Violatef("RETR after REST to succeed", "%s", transferString(t))
				}
				again, err := c.Do(ctx, "RETR "+name, nil)
				if err != nil {
					return err
				}
				if !again.OK() {
					return Violatef("a second RETR to succeed", "%s", transferString(again))
				}
				if ok, diff := sameBytes(data, again.Data); !ok {
					return Violatef(fmt.Sprintf("the whole file (%d bytes) from the RETR after the restarted one", len(data)), "%s", diff)
				}
				return nil
			},
		},
		{
			ID: "rfc3659/5.3/rest-stor-resumes", RFC: "3659", Section: "5.3", Level: Must,
			Title:       "REST n then STOR writes the data at byte n of the file",
			Requirement: `With STOR, however, the server must insert the data into the file named.`,
			Tags:        []string{"ext:REST", "rest", "transfer"}, Needs: w,
			// A lower-case "must" (not an RFC 2119 keyword), graded MUST: a server that accepts
			// the restarted upload (1yz, 2yz) and then stores other bytes corrupts the file. A
			// server may refuse restarted uploads altogether; that is unsupported.
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				name := env.Name("f")
				whole := extBinary(env, name, 90000)
				const half = 40000
				if err := extStor(ctx, c, name, whole[:half]); err != nil {
					return err
				}
				ap, err := c.Passive(ctx)
				if err != nil {
					return err
				}
				if err := rest(ctx, c, half); err != nil {
					return err
				}
				x, err := extUploadAt(ctx, c, ap, "STOR "+name, whole[half:])
				if err != nil {
					return err
				}
				t := x.Transfer
				if refused(t.Prelim) {
					return Unsupportedf("the server refuses STOR after REST: %s", quote(t.Prelim))
				}
				if !t.OK() {
					return Violatef("STOR after REST to succeed", "%s", transferString(t))
				}
				got, err := c.Retr(ctx, name)
				if err != nil {
					return err
				}
				if ok, diff := sameBytes(whole, got); !ok {
					return Violatef(fmt.Sprintf("the %d-byte file: %d bytes, then %d more stored from byte %d", len(whole), half, len(whole)-half, half), "%s", diff)
				}
				return nil
			},
		},
		{
			ID: "rfc3659/5.3/rest-invalid-marker", RFC: "3659", Section: "5.3", Level: Should,
			Title:       "REST with a non-numeric marker is refused in STREAM mode",
			Requirement: `An error response will follow a REST command only when the server does not implement the command, or when the restart marker value is syntactically invalid for the current transfer mode (e.g., in STREAM mode, something other than one or more digits appears in the parameter to the REST command).`,
			Tags:        []string{"ext:REST", "rest"},
			// Descriptive, no keyword: "only when" limits when errors may come, it does not demand
			// one. A server that reads "abc" as a marker is a robustness observation (advisory).
			Advisory: true,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "REST abc")
				if err != nil {
					return err
				}
				if err := c.unsupportedIfUnknown(r, "REST"); err != nil {
					return err
				}
				defer func() { _, _ = c.Cmd(ctx, "REST 0") }()
				if !refused(r) {
					return Violatef("an error (501) to REST abc", "%s", quote(r))
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
				c, name, _, err := extLoginAndFile(ctx, env, "f", 1000)
				if err != nil {
					return err
				}
				t, err := retrFrom(ctx, c, name, 5000000)
				if err != nil {
					return err
				}
				if t.OK() {
					return Violatef("an error to RETR restarting beyond the end of a 1000-byte file", "%s with %d bytes", transferString(t), len(t.Data))
				}
				return nil
			},
		},
	}
}

// extMLSTFile logs in, uploads a file of size bytes and returns its MLST entry.
func extMLSTFile(ctx context.Context, env *Env, size int, facts ...string) (*Ctrl, string, extEntry, error) {
	c, name, _, err := extLoginAndFile(ctx, env, "f", size)
	if err != nil {
		return nil, "", extEntry{}, err
	}
	if len(facts) > 0 {
		if err := extSelectFacts(ctx, c, env, facts...); err != nil {
			return nil, "", extEntry{}, err
		}
	}
	e, err := extMLSTEntry(ctx, c, name)
	return c, name, e, err
}

func rfc3659Mlst() []Case {
	mlst := []Feature{FeatNeed("MLST")}
	mlstW := []Feature{NeedWrite, FeatNeed("MLST")}
	tags := []string{"ext:MLST"}
	return []Case{
		{
			ID: "rfc3659/7.2/mlst-format", RFC: "3659", Section: "7.2", Level: Must,
			Title:       `MLST answers "250-", entry lines, then "250": over the control connection`,
			Requirement: `If the parameter is valid, then for an MLST command, the server-PI will send the first (leading) line of the control response, the entry for the pathname given, or the current directory if no pathname was provided, and the terminating line.`,
			Tags:        tags, Needs: mlstW,
			// The grammar (control-response) is normative: MUST.
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := extLoginAndFile(ctx, env, "f", 77)
				if err != nil {
					return err
				}
				for _, arg := range []string{name, ""} {
					r, body, err := extMLST(ctx, c, arg)
					if err != nil {
						return err
					}
					what := "MLST " + arg
					if r.Code != 250 {
						return Violatef("250 to "+what, "%s", quote(r))
					}
					ls := r.Lines()
					if len(body) == 0 || !strings.HasPrefix(ls[0], "250-") || (ls[len(ls)-1] != "250" && !strings.HasPrefix(ls[len(ls)-1], "250 ")) {
						return Violatef(`control-response = "250-" [ response-message ] CRLF 1*( SP entry CRLF ) "250" [ SP response-message ] CRLF`, "%s", quote(r))
					}
					if len(r.Problems) > 0 {
						return Violatef("lines ending with CRLF", "%s: %s", quote(r), strings.Join(r.Problems, "; "))
					}
					var first string
					for i, l := range body {
						e, perr := extParseEntry(strings.TrimPrefix(l, " "))
						if !strings.HasPrefix(l, " ") || perr != nil {
							return Violatef("entry lines \" facts pathname\"", "%q", l)
						}
						// §7.2: several entries only for several type facts, with the same pathname.
						if i == 0 {
							first = e.Name
						} else if e.Name != first {
							return Violatef("one entry, or entries with identical pathnames", "%s", quote(r))
						}
					}
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.2/mlst-fact-space", RFC: "3659", Section: "7.2", Level: Must,
			Title:       "an MLST entry line is one space, then the facts",
			Requirement: `Note that for MLST the fact set is preceded by a space.`,
			Tags:        tags, Needs: mlstW,
			// No keyword, but "required even when that would not be possible": MUST.
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := extLoginAndFile(ctx, env, "f", 77)
				if err != nil {
					return err
				}
				if err := extSelectFacts(ctx, c, env, "type"); err != nil {
					return err
				}
				r, body, err := extMLST(ctx, c, name)
				if err != nil {
					return err
				}
				if len(body) == 0 {
					return Violatef("a 250 reply with an entry", "%s", quote(r))
				}
				l := body[0]
				if len(l) < 2 || l[0] != ' ' || l[1] == ' ' {
					return Violatef(`" type=…;… pathname" (one space, then the facts)`, "%q", l)
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.2/mlst-one-space-before-name", RFC: "3659", Section: "7.2", Level: Must,
			Title:       "exactly one space separates the facts from the pathname",
			Requirement: `Exactly one space exists between the set of facts and the pathname.`,
			Tags:        tags, Needs: mlstW,
			Run: func(ctx context.Context, env *Env) error {
				_, name, e, err := extMLSTFile(ctx, env, 77)
				if err != nil {
					return err
				}
				if strings.HasPrefix(e.Name, " ") && !strings.HasPrefix(name, " ") {
					return Violatef("\"facts pathname\" with one space", "%q: the pathname would begin with a space", e.Line)
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.4/fact-syntax", RFC: "3659", Section: "7.4", Level: Must,
			Title:       "facts are name=value pairs, each followed by \";\", with no spaces",
			Requirement: `The facts are a series of keyword=value pairs each followed by semi-colon (";") characters.`,
			Tags:        tags, Needs: mlstW,
			// The fact grammar is normative: MUST.
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := extDirWithFile(ctx, env)
				if err != nil {
					return err
				}
				var all []string
				for _, arg := range []string{dir + "/" + file, dir, ""} {
					_, body, err := extMLST(ctx, c, arg)
					if err != nil {
						return err
					}
					for _, l := range body {
						all = append(all, strings.TrimPrefix(l, " "))
					}
				}
				data, err := c.List(ctx, "MLSD", dir)
				if err != nil {
					return err
				}
				all = append(all, lines(data)...)
				for _, l := range all {
					if _, perr := extParseEntry(l); perr != nil {
						return Violatef("facts = 1*( fact \";\" ), fact = factname \"=\" value", "%q: %v", l, perr)
					}
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.5.1/mlst-type-fact", RFC: "3659", Section: "7.5.1", Level: Must,
			Title:       "the type fact says file for a file and dir for a directory",
			Requirement: `The type fact given specifies information about the object listed on the same line of the MLST response.`,
			Tags:        tags, Needs: mlstW,
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := extDirWithFile(ctx, env)
				if err != nil {
					return err
				}
				if err := extSelectFacts(ctx, c, env, "type"); err != nil {
					return err
				}
				for _, p := range []struct{ path, want string }{{dir + "/" + file, "file"}, {dir, "dir"}} {
					e, err := extMLSTEntry(ctx, c, p.path)
					if err != nil {
						return err
					}
					t := e.Type()
					switch {
					case t == p.want:
					case p.want == "dir" && t == "cdir":
						// §7.5.1.2: cdir belongs to MLSD listings; harmless here.
						return Violatef("type=dir for "+p.path, "%q", e.Line).Downgrade(Should)
					default:
						return Violatef("type="+p.want+" for "+p.path, "%q", e.Line)
					}
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.5.7/mlst-size-fact", RFC: "3659", Section: "7.5.7", Level: Should,
			Title:       "the size fact of a file just stored is its size",
			Requirement: `The size fact applies to non-directory file types and should always reflect the approximate size of the file.`,
			Tags:        tags, Needs: mlstW,
			Run: func(ctx context.Context, env *Env) error {
				_, _, e, err := extMLSTFile(ctx, env, 4321, "size")
				if err != nil {
					return err
				}
				if e.Facts["size"] != "4321" {
					return Violatef("size=4321", "%q", e.Line)
				}
				return nil
			},
		},
		{
			ID: "rfc3659/2.3/modify-fact-time-val", RFC: "3659", Section: "2.3", Level: Must,
			Title:       "the modify fact is a time-val: YYYYMMDDHHMMSS[.sss], fields in range",
			Requirement: `The leading, mandatory, fourteen digits are to be interpreted as, in order from the leftmost, four digits giving the year, with a range of 1000--9999, two digits giving the month of the year, with a range of 01--12, two digits giving the day of the month, with a range of 01--31, two digits giving the hour of the day, with a range of 00--23, two digits giving minutes past the hour, with a range of 00--59, and finally, two digits giving seconds past the minute, with a range of 00--60 (with 60 being used only at a leap second).`,
			Tags:        tags, Needs: mlstW,
			// modify-fact = "Modify" "=" time-val: the grammar is normative, MUST.
			Run: func(ctx context.Context, env *Env) error {
				_, _, e, err := extMLSTFile(ctx, env, 10, "modify")
				if err != nil {
					return err
				}
				if _, perr := extTimeVal(e.Facts["modify"]); perr != nil {
					return Violatef("modify=YYYYMMDDHHMMSS[.sss]", "%v", perr)
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.5.2/unique-fact-distinct", RFC: "3659", Section: "7.5.2", Level: Should,
			Title:       "distinct files have distinct unique facts; one file keeps its value",
			Requirement: `The fact should have different values for names that reference distinct files.`,
			Tags:        tags, Needs: mlstW,
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := extDirWithFile(ctx, env)
				if err != nil {
					return err
				}
				other := "ftpspec-other-" + env.nonce + ".bin"
				if err := extStor(ctx, c, dir+"/"+other, []byte("y")); err != nil {
					return err
				}
				if err := extSelectFacts(ctx, c, env, "unique"); err != nil {
					return err
				}
				a, err := extMLSTEntry(ctx, c, dir+"/"+file)
				if err != nil {
					return err
				}
				b, err := extMLSTEntry(ctx, c, dir+"/"+other)
				if err != nil {
					return err
				}
				a2, err := extMLSTEntry(ctx, c, dir+"/"+file)
				if err != nil {
					return err
				}
				switch ua, ub := a.Facts["unique"], b.Facts["unique"]; {
				case ua == "" || ub == "":
					return Violatef("a unique fact on each entry (it was selected)", "%q and %q", a.Line, b.Line)
				case ua == ub:
					return Violatef("different unique values for two distinct files", "both unique=%s", ua)
				case a2.Facts["unique"] != ua:
					return Violatef("the same unique value for the same file within a session", "unique=%s, then unique=%s", ua, a2.Facts["unique"])
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.5.4/create-not-after-modify", RFC: "3659", Section: "7.5.4", Level: Must,
			Title:       "the create fact is never later than the modify fact",
			Requirement: `About all that can be said about the value returned is that it can never indicate a later time than the modify fact.`,
			Tags:        tags, Needs: mlstW,
			// "can never" is absolute: MUST.
			Run: func(ctx context.Context, env *Env) error {
				_, _, e, err := extMLSTFile(ctx, env, 10, "create", "modify")
				if err != nil {
					return err
				}
				cr, err1 := extTimeVal(e.Facts["create"])
				mo, err2 := extTimeVal(e.Facts["modify"])
				if err1 != nil || err2 != nil {
					return Violatef("create and modify facts holding time-vals", "%q", e.Line)
				}
				if cr.After(mo) {
					return Violatef("create <= modify", "%q", e.Line)
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.5.5/perm-fact-letters", RFC: "3659", Section: "7.5.5", Level: Must,
			Title:       "the perm fact is letters only (preferably the defined a c d e f l m p r w)",
			Requirement: `Its value is always an unordered sequence of alphabetic characters.`,
			Tags:        tags, Needs: mlstW,
			// "always", and perm-fact = "Perm" "=" *pvals: MUST.
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := extDirWithFile(ctx, env)
				if err != nil {
					return err
				}
				if err := extSelectFacts(ctx, c, env, "perm"); err != nil {
					return err
				}
				for _, p := range []string{dir + "/" + file, dir} {
					e, err := extMLSTEntry(ctx, c, p)
					if err != nil {
						return err
					}
					v, ok := e.Facts["perm"]
					if !ok {
						return Violatef("a perm fact (it was selected)", "%q", e.Line)
					}
					for _, ch := range v {
						if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z') {
							return Violatef("a perm value of letters only", "%q", e.Line)
						}
					}
					for _, ch := range strings.ToLower(v) {
						if !strings.ContainsRune("acdeflmprw", ch) {
							// "ten permission indicators currently defined": a letter outside
							// them is an extension clients must skip, not a syntax error.
							return Violatef("perm indicators from the ten defined (acdeflmprw)", "%q", e.Line).Downgrade(Should)
						}
					}
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.2.1/mlst-missing-550", RFC: "3659", Section: "7.2.1", Level: Should,
			Title:       "MLST of a missing name is answered 550",
			Requirement: `Giving a name that does not exist, or for which access permission (to obtain directory information as requested) is not granted will elicit a 550 reply.`,
			Tags:        tags, Needs: mlst,
			// "will elicit" is no keyword; a 250 would be a different matter, but every refusal
			// keeps the client safe: SHOULD.
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Cmd(ctx, "MLST "+env.Name("missing"))
				if err != nil {
					return err
				}
				return want(r, "MLST of a missing name", 550)
			},
		},
		{
			ID: "rfc3659/7.3.1/mlst-pathname", RFC: "3659", Section: "7.3.1", Level: Should,
			Title:       "MLST returns the name it was given (or, with TVFS, the full path to it)",
			Requirement: `The file name returned in the MLST response should be the same name as was specified in the MLST command, or, where TVFS is supported, a fully qualified TVFS path naming the same file.`,
			Tags:        tags, Needs: mlstW,
			Run: func(ctx context.Context, env *Env) error {
				_, name, e, err := extMLSTFile(ctx, env, 10)
				if err != nil {
					return err
				}
				if e.Name == name {
					return nil
				}
				if _, tvfs := env.Feat("TVFS"); tvfs && strings.HasPrefix(e.Name, "/") && path.Base(e.Name) == name {
					return nil
				}
				return Violatef(fmt.Sprintf("the pathname %q", name), "%q", e.Line)
			},
		},
		{
			ID: "rfc3659/2.2.2/mlst-literal-pathname", RFC: "3659", Section: "2.2.2", Level: Must,
			Title:       "MLST does not expand wildcards: a pattern matching a file names no file",
			Requirement: `No characters from the pathname may be treated as special or "magic", thus no pattern matching (other than for exact equality) between the pathname given and the files present in the NVFS of the server-FTP is permitted.`,
			Tags:        tags, Needs: mlstW,
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := extLoginAndFile(ctx, env, "glob", 10)
				if err != nil {
					return err
				}
				pattern := name[:len(name)-2] + "*"
				r, err := c.Cmd(ctx, "MLST "+pattern)
				if err != nil {
					return err
				}
				if r.Class() == 2 {
					return Violatef("an error (550): no file is named "+pattern, "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.8/default-facts-returned", RFC: "3659", Section: "7.8", Level: Should,
			Title:       "the facts FEAT marks with * are returned for a file by default",
			Requirement: `Where the optional asterisk appears after a factname, that fact will be included in MLST format responses, until an "OPTS MLST" is given to alter the list of facts returned.`,
			Tags:        tags, Needs: mlstW,
			// "will be included", no keyword; §7.9 lets a fact be left out where it does not
			// apply, so only the standard facts that apply to every plain file are checked.
			Run: func(ctx context.Context, env *Env) error {
				_, _, e, err := extMLSTFile(ctx, env, 10)
				if err != nil {
					return err
				}
				_, selected := extMLSTFacts(env)
				var missing []string
				for _, f := range selected {
					if slices.Contains([]string{"type", "size", "modify", "perm", "unique"}, f) {
						if _, ok := e.Facts[f]; !ok {
							missing = append(missing, f)
						}
					}
				}
				if len(missing) > 0 {
					return Violatef("the default facts "+strings.Join(selected, ";"), "%q lacks %s", e.Line, strings.Join(missing, ", "))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.5.10/recommended-facts", RFC: "3659", Section: "7.5.10", Level: Should,
			Title:       "the server offers the type, perm, size, unique and modify facts",
			Requirement: `However, servers SHOULD, if conceivably possible, support at least the type, perm, size, unique, and modify facts.`,
			Tags:        append([]string{"feat"}, tags...), Needs: mlst,
			Run: func(ctx context.Context, env *Env) error {
				supported, _ := extMLSTFacts(env)
				var missing []string
				for _, f := range []string{"type", "perm", "size", "unique", "modify"} {
					if !slices.Contains(supported, f) {
						missing = append(missing, f)
					}
				}
				if len(missing) > 0 {
					p, _ := env.Feat("MLST")
					return Violatef("type, perm, size, unique and modify in FEAT MLST", "MLST %s (no %s)", p, strings.Join(missing, ", "))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.8/feat-mlst-factlist", RFC: "3659", Section: "7.8", Level: Must,
			Title:       `the MLST feature line is " MLST fact[*];fact[*];…"`,
			Requirement: `The initial space shown in the mlst-feat response is that required by the FEAT command, two spaces are not permitted.`,
			Tags:        append([]string{"feat"}, tags...), Needs: mlst,
			Run: func(ctx context.Context, env *Env) error {
				_, r, err := feat(ctx, env)
				if err != nil {
					return err
				}
				for _, l := range extFeatBody(r) {
					if t := strings.TrimLeft(l, " "); len(t) < 4 || !strings.EqualFold(t[:4], "MLST") {
						continue
					}
					if !mlstFeatLine.MatchString(l) {
						return Violatef(`mlst-feat = SP "MLST" [SP factlist] CRLF, factlist = 1*( factname ["*"] ";" )`, "%q", l)
					}
					return nil
				}
				return Violatef("an MLST line in FEAT", "%s", quote(r))
			},
		},
		{
			ID: "rfc3659/7.1/mlst-cwd", RFC: "3659", Section: "7.1", Level: Must,
			Title:       "MLST without an argument describes the working directory",
			Requirement: `If no argument is given then MLSD must return a listing of the contents of the current working directory, and MLST must return a listing giving information about the current working directory itself.`,
			Tags:        tags, Needs: mlst,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				e, err := extMLSTEntry(ctx, c, "")
				if err != nil {
					return err
				}
				if t := e.Type(); t != "" && t != "dir" && t != "cdir" {
					return Violatef("type=dir (or cdir) for the working directory", "%q", e.Line)
				}
				return nil
			},
		},
	}
}

var mlstFeatLine = regexp.MustCompile(`(?i)^ MLST( ([A-Za-z0-9._/\-]+\*?;)+)?$`)

func rfc3659Mlsd() []Case {
	mlstW := []Feature{NeedWrite, FeatNeed("MLST")}
	tags := []string{"ext:MLST"}
	return []Case{
		{
			ID: "rfc3659/7.2/mlsd-format", RFC: "3659", Section: "7.2", Level: Must,
			Title:       "MLSD lines are facts, one space, a name, CRLF: no headers, no blank lines",
			Requirement: `Implementations MUST NOT vary the format by, for example, inserting extra spaces for readability, replacing spaces by tabs, including header or title lines, or inserting blank lines, or in any other way alter this format.`,
			Tags:        tags, Needs: mlstW,
			Run: func(ctx context.Context, env *Env) error {
				c, dir, _, err := extDirWithFile(ctx, env)
				if err != nil {
					return err
				}
				if err := c.Mkd(ctx, dir+"/"+env.Name("sub")); err != nil {
					return err
				}
				if err := extSelectFacts(ctx, c, env, "type"); err != nil {
					return err
				}
				data, err := c.List(ctx, "MLSD", dir)
				if err != nil {
					return Violatef("MLSD of a directory to succeed", "%v", err)
				}
				if len(data) == 0 || !bytes.HasSuffix(data, []byte("\r\n")) || bytes.Count(data, []byte("\n")) != bytes.Count(data, []byte("\r\n")) {
					return Violatef("lines ending with CRLF", "%q", truncate(data))
				}
				for _, l := range lines(data) {
					if l == "" || strings.HasPrefix(l, " ") || strings.ContainsRune(l, '\t') {
						return Violatef("\"facts SP pathname\" on every line (the type fact is selected)", "line %q", l)
					}
					if _, perr := extParseEntry(l); perr != nil {
						return Violatef("\"facts SP pathname\" on every line", "line %q: %v", l, perr)
					}
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.2.1/mlsd-file-501", RFC: "3659", Section: "7.2.1", Level: Must,
			Title:       "MLSD of a file is refused with 501, without a data transfer",
			Requirement: `Giving a pathname that exists but is not a directory as the argument to a MLSD command generates a 501 reply.`,
			Tags:        tags, Needs: mlstW,
			// "generates" is no keyword, but §7.1 says the same with "must": MUST for not
			// listing; a refusal other than 501 is a warning.
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := extLoginAndFile(ctx, env, "f", 10)
				if err != nil {
					return err
				}
				t, err := c.Do(ctx, "MLSD "+name, nil)
				if err != nil {
					return err
				}
				switch {
				case t.Prelim.Code == 501:
					return nil
				case refused(t.Prelim):
					return Violatef("501 to MLSD of a file", "%s", quote(t.Prelim)).Downgrade(Should)
				}
				return Violatef("501 to MLSD of a file, and no data connection", "%s", transferString(t))
			},
		},
		{
			ID: "rfc3659/7.1/mlsd-lists-directory", RFC: "3659", Section: "7.1", Level: Must,
			Title:       "MLSD of a directory lists its file as type=file and its subdirectory as type=dir",
			Requirement: `If a directory name is given then MLSD must return a listing of the contents of the named directory, otherwise it issues a 501 reply, and does not open a data connection.`,
			Tags:        tags, Needs: mlstW,
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := extDirWithFile(ctx, env)
				if err != nil {
					return err
				}
				sub := env.Name("sub")
				if err := c.Mkd(ctx, dir+"/"+sub); err != nil {
					return err
				}
				if err := extSelectFacts(ctx, c, env, "type"); err != nil {
					return err
				}
				data, err := c.List(ctx, "MLSD", dir)
				if err != nil {
					return Violatef("MLSD of a directory to succeed", "%v", err)
				}
				found := map[string]string{}
				for _, l := range lines(data) {
					e, perr := extParseEntry(l)
					if perr != nil {
						continue // rfc3659/7.2/mlsd-format judges the syntax
					}
					found[path.Base(e.Name)] = e.Type()
				}
				for name, typ := range map[string]string{file: "file", sub: "dir"} {
					got, ok := found[name]
					if !ok {
						return Violatef("an entry for "+name, "%q", truncate(data))
					}
					if got != typ {
						return Violatef(fmt.Sprintf("type=%s for %s", typ, name), "type=%s", got)
					}
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.3.1/mlsd-unqualified-names", RFC: "3659", Section: "7.3.1", Level: Should,
			Title:       "MLSD names are plain names within the directory, not paths",
			Requirement: `File names returned in the output from an MLSD command SHOULD be unqualified names within the directory named, or the current directory if no argument was given.`,
			Tags:        tags, Needs: mlstW,
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := extDirWithFile(ctx, env)
				if err != nil {
					return err
				}
				data, err := c.List(ctx, "MLSD", dir)
				if err != nil {
					return err
				}
				for _, l := range lines(data) {
					e, perr := extParseEntry(l)
					if perr != nil {
						continue
					}
					if t := e.Type(); t == "cdir" || t == "pdir" {
						continue // these may be any valid pathname (§7.3.1)
					}
					if path.Base(e.Name) == file && e.Name != file {
						return Violatef(fmt.Sprintf("%q, unqualified", file), "%q", l)
					}
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.1/mlsd-cwd", RFC: "3659", Section: "7.1", Level: Must,
			Title:       "MLSD without an argument lists the working directory",
			Requirement: `If no argument is given then MLSD must return a listing of the contents of the current working directory, and MLST must return a listing giving information about the current working directory itself.`,
			Tags:        tags, Needs: mlstW,
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := extDirWithFile(ctx, env)
				if err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "CWD "+dir, 250, 200); err != nil {
					return err
				}
				data, err := c.List(ctx, "MLSD", "")
				if err != nil {
					return Violatef("MLSD of the working directory to succeed", "%v", err)
				}
				for _, l := range lines(data) {
					if e, perr := extParseEntry(l); perr == nil && path.Base(e.Name) == file {
						return nil
					}
				}
				return Violatef("an entry for "+file, "%q", truncate(data))
			},
		},
		{
			ID: "rfc3659/7.3/mlsx-8bit-clean", RFC: "3659", Section: "7.3", Level: Must,
			Title:       "MLSD and MLST carry a UTF-8 file name byte for byte",
			Requirement: `An FTP implementation supporting the MLSx commands must be 8-bit clean.`,
			Tags:        append([]string{"i18n"}, tags...), Needs: mlstW,
			// A lower-case "must" (RFC 3659 predates nothing here: it cites RFC 2119), graded
			// MUST because the sentence states what MLSx requires to work at all.
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				dir := env.Name("d")
				if err := c.Mkd(ctx, dir); err != nil {
					return err
				}
				name := "ftpspec-" + env.nonce + "-" + extUTF8Suffix
				if err := extStor(ctx, c, dir+"/"+name, []byte("8bit\n")); err != nil {
					return Violatef("STOR of a UTF-8 name to succeed", "%v", err)
				}
				data, err := c.List(ctx, "MLSD", dir)
				if err != nil {
					return err
				}
				found := false
				for _, l := range lines(data) {
					if e, perr := extParseEntry(l); perr == nil && path.Base(e.Name) == name {
						found = true
					}
				}
				if !found {
					return Violatef(fmt.Sprintf("an MLSD entry named %q, byte for byte", name), "%q", truncate(data))
				}
				e, err := extMLSTEntry(ctx, c, dir+"/"+name)
				if err != nil {
					return err
				}
				if path.Base(e.Name) != name {
					return Violatef(fmt.Sprintf("MLST naming %q, byte for byte", name), "%q", e.Line)
				}
				return nil
			},
		},
	}
}

func rfc3659OptsMlst() []Case {
	mlstW := []Feature{NeedWrite, FeatNeed("MLST")}
	tags := []string{"ext:MLST", "opts"}
	// pick returns n facts the server supports, preferring the common ones.
	pick := func(env *Env, n int) []string {
		supported, _ := extMLSTFacts(env)
		var out []string
		for _, f := range append([]string{"type", "size", "modify", "perm", "unique"}, supported...) {
			if slices.Contains(supported, f) && !slices.Contains(out, f) && len(out) < n {
				out = append(out, f)
			}
		}
		return out
	}
	return []Case{
		{
			ID: "rfc3659/7.9/opts-mlst-selects-facts", RFC: "3659", Section: "7.9", Level: Must,
			Title:       "after OPTS MLST with one fact, only that fact is returned",
			Requirement: `Facts not included in the "OPTS MLST" command MUST NOT be returned by the server.`,
			Tags:        tags, Needs: mlstW,
			Run: func(ctx context.Context, env *Env) error {
				f := pick(env, 1)
				if len(f) == 0 {
					return Unsupportedf("FEAT MLST lists no fact")
				}
				c, dir, file, err := extDirWithFile(ctx, env)
				if err != nil {
					return err
				}
				if _, err := c.Expect(ctx, "OPTS MLST "+f[0]+";", 200); err != nil {
					return err
				}
				e, err := extMLSTEntry(ctx, c, dir+"/"+file)
				if err != nil {
					return err
				}
				entries := []extEntry{e}
				data, err := c.List(ctx, "MLSD", dir)
				if err != nil {
					return err
				}
				for _, l := range lines(data) {
					if e, perr := extParseEntry(l); perr == nil {
						entries = append(entries, e)
					}
				}
				for _, e := range entries {
					for k := range e.Facts {
						if k != f[0] {
							return Violatef("only the "+f[0]+" fact after OPTS MLST "+f[0]+";", "%q", e.Line)
						}
					}
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.9.1/opts-mlst-response", RFC: "3659", Section: "7.9.1", Level: Should,
			Title:       `OPTS MLST is answered "200 MLST OPTS fact;fact;" naming the facts now selected`,
			Requirement: `The "response-message" from [6] to a successful OPTS MLST command has the following syntax.`,
			Tags:        tags, Needs: []Feature{FeatNeed("MLST")},
			// The reply text of a 200 carries no meaning under RFC 959 §4.2, and clients do not
			// depend on it: a departure is a warning.
			Run: func(ctx context.Context, env *Env) error {
				f := pick(env, 2)
				if len(f) == 0 {
					return Unsupportedf("FEAT MLST lists no fact")
				}
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Expect(ctx, "OPTS MLST "+strings.Join(f, ";")+";"+"ftpspecnofact;", 200)
				if err != nil {
					return err
				}
				text := r.Text()
				if len(text) < 9 || !strings.EqualFold(text[:9], "MLST OPTS") {
					return Violatef(`mlst-opt-resp = "MLST OPTS" [ SP 1*( factname ";" ) ]`, "%s", quote(r))
				}
				var got []string
				if rest := strings.TrimSpace(text[9:]); rest != "" {
					if !strings.HasSuffix(rest, ";") {
						return Violatef(`facts each followed by ";"`, "%s", quote(r))
					}
					for _, x := range strings.Split(strings.TrimSuffix(rest, ";"), ";") {
						got = append(got, strings.ToLower(x))
					}
				}
				slices.Sort(got)
				wantFacts := slices.Clone(f)
				slices.Sort(wantFacts)
				if !slices.Equal(got, wantFacts) {
					return Violatef("MLST OPTS "+strings.Join(f, ";")+"; (the supported facts requested, the unknown one omitted)", "%s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.9/opts-mlst-no-facts", RFC: "3659", Section: "7.9", Level: Must,
			Title:       "after OPTS MLST with no facts, MLST lines are two spaces and the pathname",
			Requirement: `In this case, and in any other case where no facts are included in the result, the space that separates the fact names and their values from the file name is still required.`,
			Tags:        tags, Needs: mlstW,
			// "still required": MUST.
			Run: func(ctx context.Context, env *Env) error {
				c, name, _, err := extLoginAndFile(ctx, env, "f", 10)
				if err != nil {
					return err
				}
				if r, err := c.Cmd(ctx, "OPTS MLST"); err != nil {
					return err
				} else if r.Code != 200 {
					// The rule is about output with no facts; a server that refuses to select none
					// never produces it.
					return Skipf("the set-up OPTS MLST (no facts) was answered %s: the rule about fact-less output is never reached", quote(r))
				}
				r, body, err := extMLST(ctx, c, name)
				if err != nil {
					return err
				}
				if len(body) == 0 {
					return Violatef("a 250 reply with an entry", "%s", quote(r))
				}
				if !strings.HasPrefix(body[0], "  ") || strings.HasPrefix(body[0], "   ") && !strings.HasPrefix(name, " ") {
					return Violatef(`"  pathname": two spaces, no facts`, "%q", body[0])
				}
				if strings.Contains(body[0], "=") && strings.Contains(body[0][2:], ";") && !strings.Contains(name, ";") {
					return Violatef("no facts after OPTS MLST with none", "%q", body[0])
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.9/opts-mlst-unknown-fact", RFC: "3659", Section: "7.9", Level: Should,
			Title:       "OPTS MLST naming an unsupported fact is no error: the fact is just left out",
			Requirement: `Facts requested that are not supported, or that are inappropriate to the file or directory being listed should simply be omitted from the MLSx output.`,
			Tags:        tags, Needs: mlstW,
			Run: func(ctx context.Context, env *Env) error {
				f := pick(env, 1)
				if len(f) == 0 {
					return Unsupportedf("FEAT MLST lists no fact")
				}
				c, name, _, err := extLoginAndFile(ctx, env, "f", 10)
				if err != nil {
					return err
				}
				if _, err := c.Expect(ctx, "OPTS MLST "+f[0]+";ftpspecnofact;", 200); err != nil {
					return err
				}
				e, err := extMLSTEntry(ctx, c, name)
				if err != nil {
					return err
				}
				if _, ok := e.Facts["ftpspecnofact"]; ok {
					return Violatef("the unknown fact omitted", "%q", e.Line)
				}
				return nil
			},
		},
		{
			ID: "rfc3659/7.9.1/opts-mlst-feat-asterisk", RFC: "3659", Section: "7.9.1", Level: Should,
			Title:       "after OPTS MLST, FEAT marks exactly the selected facts with *",
			Requirement: `Note that the list of facts returned will be the same as those marked by a trailing asterisk ("*") in a subsequent FEAT command response.`,
			Tags:        append([]string{"feat"}, tags...), Needs: []Feature{FeatNeed("MLST")},
			// "will be", no keyword: SHOULD.
			Run: func(ctx context.Context, env *Env) error {
				f := pick(env, 1)
				if len(f) == 0 {
					return Unsupportedf("FEAT MLST lists no fact")
				}
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				if _, err := c.Expect(ctx, "OPTS MLST "+f[0]+";", 200); err != nil {
					return err
				}
				_, lines, err := extFeat(ctx, c)
				if err != nil {
					return err
				}
				l, ok := extFind(lines, "MLST")
				if !ok {
					return Violatef("an MLST line in FEAT", "none")
				}
				for _, x := range strings.Split(l.params, ";") {
					name, star := strings.CutSuffix(strings.TrimSpace(x), "*")
					if x == "" {
						continue
					}
					if star != strings.EqualFold(name, f[0]) {
						return Violatef(f[0]+"* and no other fact starred", "%q", l.line)
					}
				}
				return nil
			},
		},
	}
}

func rfc3659Tvfs() []Case {
	tvfs := []Feature{NeedWrite, FeatNeed("TVFS")}
	tags := []string{"ext:TVFS"}
	return []Case{
		{
			ID: "rfc3659/6.3/tvfs-paths", RFC: "3659", Section: "6.3", Level: Must,
			Title:       "a server advertising TVFS accepts /-separated relative pathnames",
			Requirement: `Such a response to the FEAT command MUST NOT be returned unless the server implements TVFS as defined here.`,
			Tags:        tags, Needs: tvfs,
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := extDirWithFile(ctx, env)
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
		{
			ID: "rfc3659/6.2/tvfs-fully-qualified", RFC: "3659", Section: "6.2", Level: Must,
			Title:       "a fully qualified pathname reaches the file from another working directory",
			Requirement: `A fully qualified pathname is valid to reference the named file or directory from any location (that is, regardless of what the current working directory may be) in the virtual file store.`,
			Tags:        tags, Needs: tvfs,
			// Holds wherever TVFS is advertised, and §6.3 forbids advertising it otherwise: MUST.
			Run: func(ctx context.Context, env *Env) error {
				c, dir, file, err := extDirWithFile(ctx, env)
				if err != nil {
					return err
				}
				p, err := c.Setup(ctx, "PWD", 257)
				if err != nil {
					return err
				}
				home := pwdPath(p)
				if !strings.HasPrefix(home, "/") {
					return Skipf("PWD does not give a fully qualified TVFS path: %s", quote(p))
				}
				full := path.Join(home, dir, file)
				sub := dir + "/" + env.Name("sub")
				if err := c.Mkd(ctx, sub); err != nil {
					return err
				}
				if _, err := c.Setup(ctx, "CWD "+sub, 250, 200); err != nil {
					return err
				}
				got, err := c.Retr(ctx, full)
				if err != nil {
					return Violatef("RETR "+full+" from "+sub+" to work", "%v", err)
				}
				if !bytes.Equal(got, []byte("x")) {
					return Violatef("the file's 1 byte", "%q", got)
				}
				return nil
			},
		},
		{
			ID: "rfc3659/6.2/tvfs-root", RFC: "3659", Section: "6.2", Level: Must,
			Title:       `CWD "/" reaches the root, and CWD to the old fully qualified path comes back`,
			Requirement: `As a special case, the pathname "/" is defined to be a fully qualified pathname referring to the root directory.`,
			Tags:        tags, Needs: []Feature{FeatNeed("TVFS")},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				p, err := c.Setup(ctx, "PWD", 257)
				if err != nil {
					return err
				}
				home := pwdPath(p)
				if !strings.HasPrefix(home, "/") {
					return Skipf("PWD does not give a fully qualified TVFS path: %s", quote(p))
				}
				r, err := c.Cmd(ctx, "CWD /")
				if err != nil {
					return err
				}
				if r.Code == 550 {
					return Skipf("access to / is refused: %s (TVFS grants no access rights)", quote(r))
				}
				if r.Code != 250 && r.Code != 200 {
					return Violatef("250 to CWD /", "%s", quote(r))
				}
				if p, err = c.Setup(ctx, "PWD", 257); err != nil {
					return err
				}
				if pwdPath(p) != "/" {
					return Violatef(`"/" as the working directory after CWD /`, "%s", quote(p))
				}
				if _, err := c.Expect(ctx, "CWD "+home, 250, 200); err != nil {
					return err
				}
				if p, err = c.Setup(ctx, "PWD", 257); err != nil {
					return err
				}
				if pwdPath(p) != home {
					return Violatef(fmt.Sprintf("%q after CWD %s", home, home), "%s", quote(p))
				}
				return nil
			},
		},
	}
}

// rfc3659Listed: SIZE, MDTM, REST STREAM and MLST work, so FEAT lists them.
func rfc3659Listed() []Case {
	w := []Feature{NeedWrite}
	return []Case{
		extListedCase("rfc3659/4.3/feat-lists-size", "3659", "4.3", "SIZE works, so FEAT lists SIZE",
			`When replying to the FEAT command [6], a server-FTP process that supports the SIZE command MUST include a line containing the single word "SIZE".`,
			false /* the probe checks SIZE's RFC 3659 semantics: a MUST */, []string{"ext:SIZE"}, w, extLabel("SIZE"), "a SIZE line",
			func(ctx context.Context, env *Env) (*Ctrl, string, error) {
				c, name, data, err := extLoginAndFile(ctx, env, "f", 2345)
				if err != nil {
					return nil, "", err
				}
				n, r, ok, err := sizeOf(ctx, c, name)
				if err != nil {
					return nil, "", err
				}
				if !ok || n != int64(len(data)) {
					return nil, "", Unsupportedf("SIZE does not work here: %s", quote(r))
				}
				return c, "SIZE answered " + quote(r), nil
			}),
		extListedCase("rfc3659/3.3/feat-lists-mdtm", "3659", "3.3", "MDTM works, so FEAT lists MDTM",
			`When replying to the FEAT command [6], a server-FTP process that supports the MDTM command MUST include a line containing the single word "MDTM".`,
			false /* the probe checks MDTM's RFC 3659 semantics: a MUST */, []string{"ext:MDTM"}, w, extLabel("MDTM"), "an MDTM line",
			func(ctx context.Context, env *Env) (*Ctrl, string, error) {
				c, name, _, err := extLoginAndFile(ctx, env, "f", 10)
				if err != nil {
					return nil, "", err
				}
				r, err := c.Cmd(ctx, "MDTM "+name)
				if err != nil {
					return nil, "", err
				}
				if _, perr := extTimeVal(strings.TrimSpace(r.Text())); r.Code != 213 || perr != nil {
					return nil, "", Unsupportedf("MDTM does not work here: %s", quote(r))
				}
				return c, "MDTM answered " + quote(r), nil
			}),
		extListedCase("rfc3659/5.4/feat-lists-rest-stream", "3659", "5.4", `REST works in STREAM mode, so FEAT lists "REST STREAM"`,
			`Where a server-FTP process supports RESTart in STREAM mode, as specified here, it MUST include, in the response to the FEAT command [6], a line containing exactly the string "REST STREAM".`,
			true, []string{"ext:REST", "rest"}, w,
			func(l featLine) bool {
				return l.label == "REST" && strings.EqualFold(strings.TrimSpace(l.params), "STREAM")
			},
			`a "REST STREAM" line`,
			func(ctx context.Context, env *Env) (*Ctrl, string, error) {
				c, name, data, err := extLoginAndFile(ctx, env, "f", 1000)
				if err != nil {
					return nil, "", err
				}
				ap, err := c.Passive(ctx)
				if err != nil {
					return nil, "", err
				}
				r, err := c.Cmd(ctx, "REST 100")
				if err != nil {
					return nil, "", err
				}
				if r.Code != 350 {
					return nil, "", Unsupportedf("REST does not work here: %s", quote(r))
				}
				t, err := c.DoAt(ctx, ap, "RETR "+name, nil)
				if err != nil {
					return nil, "", err
				}
				if !t.OK() || !bytes.Equal(t.Data, data[100:]) {
					return nil, "", Unsupportedf("RETR after REST 100 did not send bytes 100..: %s, %d bytes", transferString(t), len(t.Data))
				}
				return c, "REST 100 then RETR sent bytes 100..999", nil
			}),
		extListedCase("rfc3659/7.8/feat-lists-mlst", "3659", "7.8", "MLST works, so FEAT lists MLST",
			`When responding to the FEAT command, a server-FTP process that supports MLST, and MLSD, plus internationalization of pathnames, MUST indicate that this support exists.`,
			true, []string{"ext:MLST"}, nil, extLabel("MLST"), "an MLST line",
			func(ctx context.Context, env *Env) (*Ctrl, string, error) {
				c, err := env.Login(ctx)
				if err != nil {
					return nil, "", err
				}
				r, body, err := extMLST(ctx, c, "")
				if err != nil {
					return nil, "", err
				}
				if len(body) == 0 || !strings.HasPrefix(body[0], " ") {
					return nil, "", Unsupportedf("MLST does not work here: %s", quote(r))
				}
				return c, "MLST answered " + strconv.Quote(r.String()), nil
			}),
	}
}
