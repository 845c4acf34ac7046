package suites

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

// extCases are the cases of the extension RFCs (2228/4217, 2389, 2640, 3659, 7151).
func extCases() []Case {
	var out []Case
	for _, g := range [][]Case{rfc2389Cases(), rfc3659Cases(), rfc4217Cases(), rfc2640Cases(), rfc7151Cases()} {
		out = append(out, g...)
	}
	return out
}

// extReferenceUnsupported lists the optional features the reference server does not offer, with
// the reason each case reports unsupported (or skip) instead of pass.
var extReferenceUnsupported = map[string]string{
	"rfc3659/7.5.4/create-not-after-modify": "no create fact (Unix records no creation time)",
	"rfc4217/5/ccc-clears":                  "CCC is refused with 534",
	"rfc2228/3/adat-without-auth":           "ADAT is not implemented (502)",
	"rfc2228/3/adat-after-tls":              "ADAT is not implemented (502)",
	"rfc2228/3/mic-without-security":        "MIC is not implemented (502)",
}

// startExtReference starts a reference server for the extension cases; pasv is a range of its own.
func startExtReference(t *testing.T, pasv reference.PortRange, cfg reference.Config) Options {
	t.Helper()
	cfg.PasvPorts = pasv
	cfg.ImplicitTLSListen = "127.0.0.1:0"
	cfg.Limits.LoginFailDelay = -1
	srv := reference.Start(t, cfg)
	tg, err := target.Parse(srv.URL())
	require.NoError(t, err)
	return Options{Target: tg, ImplicitAddr: srv.ImplicitTLSAddr(), Parallel: 6, Timeout: 15 * time.Second}
}

// TestExtensionCasesPassOnReference: every extension case passes against the reference server
// under every TLS mode, or reports one of the optional features it lacks.
func TestExtensionCasesPassOnReference(t *testing.T) {
	for i, mode := range []string{ModeNone, ModeExplicit, ModeImplicit} {
		t.Run(mode, func(t *testing.T) {
			opts := startExtReference(t, reference.PortRange{Lo: 24000 + 1000*i, Hi: 24999 + 1000*i}, reference.Config{})
			opts.TLS = mode
			res, err := Run(context.Background(), extCases(), opts)
			require.NoError(t, err)
			var bad []string
			counts := map[reports.Outcome]int{}
			for _, r := range res.Cases {
				counts[r.Outcome]++
				switch r.Outcome {
				case reports.Pass:
					continue
				case reports.Unsupported, reports.Skip:
					if _, ok := extReferenceUnsupported[r.ID]; ok {
						continue
					}
					// OwnTLS cases cannot run under implicit TLS alone, PlainOnly ones only
					// under none: the runner skips them with a reason.
					if r.Outcome == reports.Skip && mode != ModeNone && strings.Contains(r.Reason, "--tls") {
						continue
					}
				}
				bad = append(bad, r.ID+" ["+r.TLS+"] "+string(r.Outcome)+": "+r.Expected+" / "+r.Actual+" "+r.Reason)
			}
			assert.Empty(t, bad, "extension cases not passing on the reference:\n%s", strings.Join(bad, "\n"))
			assert.Greater(t, counts[reports.Pass], 60, "most extension cases must actually run and pass")
		})
	}
}

// fakeServer is a scripted FTP server for proving that cases catch what they claim: each
// connection gets a greeting, then every command line is answered by reply (which sees whether
// the session has logged in). It offers no data connections, so cases that need uploads skip.
type fakeServer struct {
	addr  string
	reply func(verb, arg string, loggedIn bool) string
}

func startFake(t *testing.T, reply func(verb, arg string, loggedIn bool) string) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeServer{addr: ln.Addr().String(), reply: reply}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.serve(c)
			}()
		}
	}()
	return f
}

func (f *fakeServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	fmt.Fprint(c, "220 fake ready\r\n")
	loggedIn := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		verb = strings.ToUpper(verb)
		out := f.reply(verb, arg, loggedIn)
		if out == "" {
			out = fakeDefault(verb, arg, loggedIn)
		}
		if verb == "PASS" && strings.HasPrefix(out, "230") {
			loggedIn = true
		}
		if verb == "REIN" && strings.HasPrefix(out, "220") {
			loggedIn = false
		}
		fmt.Fprint(c, out)
		if verb == "QUIT" {
			return
		}
	}
}

// fakeFeat is a well-formed feature listing.
const fakeFeat = "211-Features:\r\n HOST\r\n LANG EN*\r\n MDTM\r\n SIZE\r\n UTF8\r\n211 End\r\n"

// fakeDefault answers as a correct server without data connections would.
func fakeDefault(verb, arg string, loggedIn bool) string {
	switch verb {
	case "USER":
		return "331 Password please.\r\n"
	case "PASS":
		return "230 Logged in.\r\n"
	case "QUIT":
		return "221 Bye.\r\n"
	case "NOOP", "TYPE":
		return "200 OK.\r\n"
	case "SYST":
		return "215 UNIX Type: L8\r\n"
	case "PWD":
		return "257 \"/\" is the current directory.\r\n"
	case "FEAT":
		return fakeFeat
	case "OPTS":
		if strings.EqualFold(arg, "UTF8 ON") {
			return "200 Always in UTF8 mode.\r\n"
		}
		return "501 Option not understood.\r\n"
	case "SIZE", "MDTM":
		return "550 No such file.\r\n"
	case "LANG":
		switch strings.ToUpper(arg) {
		case "", "EN":
			return "200 Language set.\r\n"
		case "X-FTPSPEC":
			return "504 Not supported.\r\n"
		}
		return "501 Bad language tag.\r\n"
	case "HOST":
		switch {
		case loggedIn:
			return "503 HOST before login.\r\n"
		case strings.Contains(arg, "]:") || strings.Count(arg, ":") == 1:
			return "501 No port allowed.\r\n"
		case arg == "127.0.0.1":
			return "220 Host accepted.\r\n"
		case strings.HasPrefix(arg, "192.0.2.") || strings.HasPrefix(arg, "["):
			return "504 Not this server's address.\r\n"
		case strings.ContainsAny(arg, "_!") || strings.HasPrefix(arg, "-"):
			return "501 Bad host name.\r\n"
		}
		return "504 Unknown host.\r\n"
	}
	if !loggedIn {
		return "530 Please login.\r\n"
	}
	return "502 Not implemented.\r\n"
}

// TestExtensionCasesCatchDeviations: against a scripted server that breaks one rule, the case
// that quotes the rule fails (or warns, for a SHOULD), and against the same server without the
// breach it passes: the cases can fail, and fail for the reason they claim.
func TestExtensionCasesCatchDeviations(t *testing.T) {
	tests := []struct {
		id     string
		broken func(verb, arg string, loggedIn bool) string
		want   reports.Outcome
	}{
		{"rfc2389/3.2/feat-line-single-space", func(v, _ string, _ bool) string {
			return map[string]string{"FEAT": "211-Features:\r\n  MDTM\r\n SIZE\r\n211 End\r\n"}[v]
		}, reports.Fail},
		{"rfc2389/3.2/feat-listing-syntax", func(v, _ string, _ bool) string {
			return map[string]string{"FEAT": "211-Features:\n MDTM\n211 End\n"}[v]
		}, reports.Fail},
		{"rfc2389/3.2/feat-end-line", func(v, _ string, _ bool) string {
			return map[string]string{"FEAT": "211-Features:\r\n MDTM\r\n211 Done\r\n"}[v]
		}, reports.Fail},
		{"rfc2389/3.2/feat-end-line", func(v, _ string, _ bool) string {
			return map[string]string{"FEAT": "211-Features:\r\n MDTM\r\n211 End.\r\n"}[v]
		}, reports.Warn},
		{"rfc2389/3.2/feat-no-features-one-line", func(v, _ string, _ bool) string {
			return map[string]string{"FEAT": "211-Features:\r\n211 End\r\n"}[v]
		}, reports.Fail},
		{"rfc2389/4/opts-unknown-command", func(v, _ string, _ bool) string {
			return map[string]string{"OPTS": "200 Whatever.\r\n"}[v]
		}, reports.Fail},
		{"rfc2389/4/opts-implemented", func(v, _ string, _ bool) string {
			return map[string]string{"OPTS": "500 Unknown command.\r\n"}[v]
		}, reports.Fail},
		{"rfc2389/3/feat-size-recognized", func(v, _ string, _ bool) string {
			return map[string]string{"SIZE": "500 Unknown command.\r\n"}[v]
		}, reports.Fail},
		{"rfc3659/3.2/mdtm-missing-550", func(v, _ string, _ bool) string {
			return map[string]string{"MDTM": "213 20200101000000\r\n"}[v]
		}, reports.Warn},
		{"rfc3659/4.2/size-directory-550", func(v, _ string, _ bool) string {
			return map[string]string{"SIZE": "213 4096\r\n"}[v]
		}, reports.Warn},
		{"rfc7151/3.3/host-after-login-503", func(v, _ string, in bool) string {
			if v == "HOST" && in {
				return "220 Sure.\r\n"
			}
			return ""
		}, reports.Fail},
		{"rfc7151/3.1/host-foreign-literal-504", func(v, _ string, _ bool) string {
			return map[string]string{"HOST": "220 Any host will do.\r\n"}[v]
		}, reports.Fail},
		{"rfc7151/3.1/host-port-501", func(v, a string, _ bool) string {
			if v == "HOST" && strings.Contains(a, ":2112") {
				return "504 Unknown host.\r\n"
			}
			return ""
		}, reports.Fail},
		{"rfc7151/3/host-last-wins", func(v, a string, _ bool) string {
			if v == "HOST" && a == "127.0.0.1" {
				return "503 HOST already given.\r\n"
			}
			return ""
		}, reports.Fail},
		{"rfc7151/3.2.3/feat-before-login", func(v, _ string, in bool) string {
			if v == "FEAT" && !in {
				return "530 Please login.\r\n"
			}
			return ""
		}, reports.Warn},
		{"rfc7151/3.4/feat-lists-host", func(v, _ string, _ bool) string {
			return map[string]string{"FEAT": "211-Features:\r\n MDTM\r\n211 End\r\n"}[v]
		}, reports.Fail},
		{"rfc2640/4.2/lang-default", func(v, a string, _ bool) string {
			if v == "LANG" && a == "" {
				return "501 Argument required.\r\n"
			}
			return ""
		}, reports.Fail},
		{"rfc2640/4.3/lang-feat-line", func(v, _ string, _ bool) string {
			return map[string]string{"FEAT": "211-Features:\r\n LANG  EN*\r\n211 End\r\n"}[v]
		}, reports.Fail},
		{"rfc2640/4.2/lang-syntax-501", func(v, a string, _ bool) string {
			if v == "LANG" && a != "" && a != "EN" {
				return "504 Not supported.\r\n"
			}
			return ""
		}, reports.Warn},
		{"rfc2640/3.2/feat-lists-utf8", func(v, _ string, _ bool) string {
			// LANG claims RFC 2640, whose UTF8 line is then a MUST.
			return map[string]string{"FEAT": "211-Features:\r\n LANG EN*\r\n MDTM\r\n211 End\r\n"}[v]
		}, reports.Fail},
		{"rfc2640/3.2/feat-lists-utf8", func(v, _ string, _ bool) string {
			// No claim to RFC 2640: OPTS UTF8 ON working says nothing.
			return map[string]string{"FEAT": "211-Features:\r\n MDTM\r\n211 End\r\n"}[v]
		}, reports.Unsupported},
	}
	byID := map[string]Case{}
	for _, c := range extCases() {
		byID[c.ID] = c
	}
	run := func(t *testing.T, c Case, reply func(verb, arg string, loggedIn bool) string) reports.CaseResult {
		f := startFake(t, reply)
		tg, err := target.Parse("ftp://test:test@" + f.addr)
		require.NoError(t, err)
		res, err := Run(context.Background(), []Case{c}, Options{Target: tg, TLS: ModeNone, Parallel: 1, Timeout: 5 * time.Second})
		require.NoError(t, err)
		require.Len(t, res.Cases, 1)
		return res.Cases[0]
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+string(tt.want), func(t *testing.T) {
			c, ok := byID[tt.id]
			require.True(t, ok, "no case %s", tt.id)
			got := run(t, c, tt.broken)
			assert.Equal(t, tt.want, got.Outcome, "against the broken server: expected %q, actual %q, reason %q", got.Expected, got.Actual, got.Reason)
			good := run(t, c, func(string, string, bool) string { return "" })
			assert.Equal(t, reports.Pass, good.Outcome, "against the correct server: expected %q, actual %q, reason %q", good.Expected, good.Actual, good.Reason)
		})
	}
}
