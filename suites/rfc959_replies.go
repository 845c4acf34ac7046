package suites

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
)

// replyTable is RFC 959 §5.4's command-reply sequences, transcribed once: for each command, every
// code the table lists (preliminary, completion and intermediate alike).
func replyTable() map[string][]int {
	transfer := []int{125, 150, 110, 226, 250, 425, 426, 451}
	store := append(slices.Clone(transfer), 551, 552, 532, 450, 452, 553, 500, 501, 421, 530)
	list := []int{125, 150, 226, 250, 425, 426, 451, 450, 500, 501, 502, 421, 530}
	return map[string][]int{
		"USER": {230, 530, 500, 501, 421, 331, 332},
		"PASS": {230, 202, 530, 500, 501, 503, 421, 332},
		"ACCT": {230, 202, 530, 500, 501, 503, 421},
		"CWD":  {250, 500, 501, 502, 421, 530, 550},
		"CDUP": {200, 500, 501, 502, 421, 530, 550},
		"SMNT": {202, 250, 500, 501, 502, 421, 530, 550},
		"REIN": {120, 220, 421, 500, 502},
		"QUIT": {221, 500},
		"PORT": {200, 500, 501, 421, 530},
		"PASV": {227, 500, 501, 502, 421, 530},
		"MODE": {200, 500, 501, 504, 421, 530},
		"TYPE": {200, 500, 501, 504, 421, 530},
		"STRU": {200, 500, 501, 504, 421, 530},
		"ALLO": {200, 202, 500, 501, 504, 421, 530},
		"REST": {500, 501, 502, 421, 530, 350},
		"STOR": store,
		"STOU": store,
		"RETR": append(slices.Clone(transfer), 450, 550, 500, 501, 421, 530),
		"LIST": list,
		"NLST": list,
		"APPE": append(slices.Clone(store), 550, 502),
		"RNFR": {450, 550, 500, 501, 502, 421, 530, 350},
		"RNTO": {250, 532, 553, 500, 501, 502, 503, 421, 530},
		"DELE": {250, 450, 550, 500, 501, 502, 421, 530},
		"RMD":  {250, 500, 501, 502, 421, 530, 550},
		"MKD":  {257, 500, 501, 502, 421, 530, 550},
		"PWD":  {257, 500, 501, 502, 421, 550},
		"ABOR": {225, 226, 500, 501, 502, 421},
		"SYST": {215, 500, 501, 502, 421},
		"STAT": {211, 212, 213, 450, 500, 501, 502, 421, 530},
		"HELP": {211, 214, 500, 501, 502, 421},
		"SITE": {200, 202, 500, 501, 530},
		"NOOP": {200, 500, 421},
	}
}

// definedCodes are the reply codes RFC 959 §4.2.2 defines, with those of the extension RFCs
// (2228, 2428, 3659) and RFC 1123 §4.1.3.4 (554, invalid REST parameter): a code outside a command's §5.4 row but in this list, of the right class,
// is what RFC 1123 §4.1.2.11 permits ("a server-FTP MAY use a different reply code when needed").
func definedCodes() []int {
	return []int{110, 120, 125, 150, 200, 202, 211, 212, 213, 214, 215, 220, 221, 225, 226, 227, 229, 230, 232, 234, 235, 250, 257,
		331, 332, 334, 335, 336, 350, 421, 425, 426, 431, 450, 451, 452, 500, 501, 502, 503, 504, 522, 530, 532, 533, 534, 535, 536, 537, 550, 551, 552, 553, 554, 631, 632, 633}
}

// expectation of one step of a reply-table scenario.
const (
	anyOutcome = 0
	succeeds   = 1
	fails      = -1
)

type tableStep struct {
	line   string
	expect int
	data   bool   // a transfer command: run over a passive data connection
	upload []byte // for STOR/APPE/STOU
	write  bool   // needs a writable login
	pre    bool   // before login
}

// replyCase builds the §5.4 case for one command from its scenario.
func replyCase(verb string, steps func(env *Env) []tableStep) Case {
	return Case{
		ID: "rfc959/5.4/" + strings.ToLower(verb) + "-replies", RFC: "959", Section: "5.4", Level: Must,
		Title:       verb + " replies use the codes of its row in RFC 959's command-reply table",
		Requirement: `The table below lists alternative success and failure replies for each command.`,
		Tags:        []string{"reply-codes"},
		Run: func(ctx context.Context, env *Env) error {
			allowed := replyTable()[verb]
			canWrite := env.Has(ctx, NeedWrite)
			var c *Ctrl
			var err error
			for _, st := range steps(env) {
				if st.write && !canWrite {
					continue
				}
				switch {
				case st.pre:
					if c, err = env.Connect(ctx); err != nil {
						return err
					}
				case c == nil:
					if c, err = env.Login(ctx); err != nil {
						return err
					}
				}
				var got []ftpwire.Reply
				if st.data {
					t, err := c.Do(ctx, st.line, st.upload)
					if err != nil {
						return err
					}
					got = append(got, t.Prelim)
					if t.Final.Raw != "" {
						got = append(got, t.Final)
					}
					if st.write && t.OK() {
						if verb == "STOU" {
							if name, ok := stouName(t.Prelim); ok {
								env.Track(name, false)
							}
						} else {
							env.Track(strings.TrimPrefix(strings.TrimPrefix(st.line, verb), " "), false)
						}
					}
				} else {
					r, err := c.Cmd(ctx, st.line)
					if err != nil {
						return err
					}
					if verb == "MKD" && r.Code == 257 {
						// Remove what it created, the parent (if it made one) after the child.
						dir := strings.TrimPrefix(st.line, "MKD ")
						if parent, _, ok := strings.Cut(dir, "/"); ok {
							env.Track(parent, true)
						}
						env.Track(dir, true)
					}
					got = append(got, r)
				}
				for _, r := range got {
					if err := judgeTableReply(env, verb, st, allowed, r); err != nil {
						return err
					}
				}
				if st.pre {
					c = nil // the next step logs in afresh
				}
			}
			return nil
		},
	}
}

func judgeTableReply(env *Env, verb string, st tableStep, allowed []int, r ftpwire.Reply) error {
	positive := r.Class() >= 1 && r.Class() <= 3
	row := fmt.Sprintf("%s's §5.4 row (%s)", verb, codeList(allowed))
	if st.expect == fails && positive {
		return Violatef("a negative reply from "+row+" to "+redact(st.line), "%s: the server reports success for a request that cannot succeed", quote(r))
	}
	if slices.Contains(allowed, r.Code) || r.Code == 421 {
		if st.expect == succeeds && !positive {
			env.Note("%s was refused (%d), so its success path was not exercised", redact(st.line), r.Code)
		}
		return nil
	}
	if slices.Contains(definedCodes(), r.Code) {
		env.Note("%s answered %d, outside %s but a code RFC 959 defines; RFC 1123 §4.1.2.11 permits it", redact(st.line), r.Code, row)
		return nil
	}
	return (&Violation{Expected: []string{"a code from " + row + " to " + redact(st.line)}, Actual: quote(r) + ", a code no FTP RFC defines"}).Downgrade(Should)
}

// rfc959ReplyTable returns one case per command of the §5.4 table.
func rfc959ReplyTable() []Case {
	missing := func(env *Env) string { return env.Name("missing") }
	return []Case{
		replyCase("USER", func(env *Env) []tableStep {
			return []tableStep{{line: "USER " + env.Target.User, expect: succeeds, pre: true}}
		}),
		replyCase("PASS", func(env *Env) []tableStep {
			return []tableStep{{line: "PASS " + env.Target.Password, expect: anyOutcome, pre: true}}
		}),
		replyCase("ACCT", func(env *Env) []tableStep {
			return []tableStep{{line: "ACCT ftpspec"}}
		}),
		replyCase("CWD", func(env *Env) []tableStep {
			return []tableStep{{line: "CWD " + missing(env), expect: fails}, {line: "CWD .", expect: succeeds}}
		}),
		replyCase("CDUP", func(env *Env) []tableStep { return []tableStep{{line: "CDUP"}} }),
		replyCase("SMNT", func(env *Env) []tableStep {
			return []tableStep{{line: "SMNT " + missing(env)}}
		}),
		replyCase("REIN", func(env *Env) []tableStep { return []tableStep{{line: "REIN"}} }),
		replyCase("QUIT", func(env *Env) []tableStep { return []tableStep{{line: "QUIT", expect: succeeds}} }),
		replyCase("PORT", func(env *Env) []tableStep {
			return []tableStep{{line: "PORT 1,2,3", expect: fails}}
		}),
		replyCase("PASV", func(env *Env) []tableStep { return []tableStep{{line: "PASV", expect: succeeds}} }),
		replyCase("MODE", func(env *Env) []tableStep {
			return []tableStep{{line: "MODE S", expect: succeeds}, {line: "MODE Q", expect: fails}}
		}),
		replyCase("TYPE", func(env *Env) []tableStep {
			return []tableStep{{line: "TYPE I", expect: succeeds}, {line: "TYPE Q", expect: fails}}
		}),
		replyCase("STRU", func(env *Env) []tableStep {
			return []tableStep{{line: "STRU F", expect: succeeds}, {line: "STRU Q", expect: fails}}
		}),
		replyCase("ALLO", func(env *Env) []tableStep { return []tableStep{{line: "ALLO 1024", expect: succeeds}} }),
		replyCase("REST", func(env *Env) []tableStep {
			return []tableStep{{line: "REST 0", expect: succeeds}, {line: "REST 0"}}
		}),
		replyCase("STOR", func(env *Env) []tableStep {
			return []tableStep{
				{line: "STOR " + missing(env) + "/" + env.Name("f"), expect: fails, data: true, upload: []byte("x"), write: true},
				{line: "STOR " + env.Name("f"), expect: succeeds, data: true, upload: []byte("stored\n"), write: true},
			}
		}),
		replyCase("STOU", func(env *Env) []tableStep {
			return []tableStep{{line: "STOU", data: true, upload: []byte("unique\n"), write: true}}
		}),
		replyCase("RETR", func(env *Env) []tableStep {
			return []tableStep{{line: "RETR " + missing(env), expect: fails, data: true}}
		}),
		replyCase("LIST", func(env *Env) []tableStep {
			return []tableStep{{line: "LIST", expect: succeeds, data: true}}
		}),
		replyCase("NLST", func(env *Env) []tableStep {
			return []tableStep{{line: "NLST", data: true}}
		}),
		replyCase("APPE", func(env *Env) []tableStep {
			return []tableStep{{line: "APPE " + env.Name("f"), expect: succeeds, data: true, upload: []byte("appended\n"), write: true}}
		}),
		replyCase("RNFR", func(env *Env) []tableStep {
			return []tableStep{{line: "RNFR " + missing(env), expect: fails}}
		}),
		replyCase("RNTO", func(env *Env) []tableStep {
			return []tableStep{{line: "RNTO " + env.Name("to"), expect: fails}}
		}),
		replyCase("DELE", func(env *Env) []tableStep {
			return []tableStep{{line: "DELE " + missing(env), expect: fails}}
		}),
		replyCase("RMD", func(env *Env) []tableStep {
			return []tableStep{{line: "RMD " + missing(env), expect: fails}}
		}),
		replyCase("MKD", func(env *Env) []tableStep {
			return []tableStep{
				// RFC 959 does not say MKD under a missing parent fails: a server may create the
				// parent too. Either way the reply must come from MKD's row.
				{line: "MKD " + missing(env) + "/" + env.Name("sub"), expect: anyOutcome, write: true},
			}
		}),
		replyCase("PWD", func(env *Env) []tableStep { return []tableStep{{line: "PWD", expect: succeeds}} }),
		replyCase("ABOR", func(env *Env) []tableStep { return []tableStep{{line: "ABOR"}} }),
		replyCase("SYST", func(env *Env) []tableStep { return []tableStep{{line: "SYST", expect: succeeds}} }),
		replyCase("STAT", func(env *Env) []tableStep { return []tableStep{{line: "STAT", expect: succeeds}} }),
		replyCase("HELP", func(env *Env) []tableStep { return []tableStep{{line: "HELP", expect: succeeds}} }),
		replyCase("SITE", func(env *Env) []tableStep {
			return []tableStep{{line: "SITE FTPSPECNOSUCHCOMMAND", expect: fails}}
		}),
		replyCase("NOOP", func(env *Env) []tableStep { return []tableStep{{line: "NOOP", expect: succeeds}} }),
	}
}
