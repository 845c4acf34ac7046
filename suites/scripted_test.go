package suites

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reports"
)

// A scripted FTP server: just enough of RFC 959 for the engine to log in, probe and run one case,
// with hooks that reproduce one real server's behaviour each. It lets a test pin the engine's
// verdict on a behaviour without needing the server that has it.

type scriptSession struct {
	conn     net.Conn
	loggedIn bool
	pasv     net.Listener
	keepPasv bool // leave the pending passive listener open when the session ends
	mu       sync.Mutex
}

func (s *scriptSession) reply(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = s.conn.Write([]byte(line + "\r\n"))
}

// scriptHook answers a command in place of the defaults; handled false falls through to them.
// split says the command arrived over more than one read.
type scriptHook func(s *scriptSession, verb, arg string, split bool) (handled bool)

type scriptServer struct {
	ln   net.Listener
	hook scriptHook
	feat []string
	wg   sync.WaitGroup
}

func startScripted(t *testing.T, feat []string, hook scriptHook) *scriptServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &scriptServer{ln: ln, hook: hook, feat: feat}
	srv.wg.Add(1)
	go func() {
		defer srv.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			srv.wg.Add(1)
			go func() {
				defer srv.wg.Done()
				srv.serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); srv.wg.Wait() })
	return srv
}

func (srv *scriptServer) serve(c net.Conn) {
	defer c.Close()
	s := &scriptSession{conn: c}
	defer func() {
		if s.pasv != nil && !s.keepPasv {
			s.pasv.Close()
		}
	}()
	s.reply("220 scripted")
	var buf []byte
	reads := 0
	b := make([]byte, 4096)
	for {
		// s.conn, not c: a hook may have put TLS on the connection (AUTH TLS).
		_ = s.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := s.conn.Read(b)
		if err != nil {
			return
		}
		reads++
		buf = append(buf, b[:n]...)
		for {
			i := strings.IndexByte(string(buf), '\n')
			if i < 0 {
				break
			}
			line := strings.TrimRight(string(buf[:i]), "\r")
			buf = buf[i+1:]
			split := reads > 1
			reads = 0
			if len(buf) > 0 {
				reads = 1
			}
			verb, arg, _ := strings.Cut(line, " ")
			verb = strings.ToUpper(verb)
			if srv.hook != nil && srv.hook(s, verb, arg, split) {
				continue
			}
			if !srv.defaults(s, verb, arg) {
				return
			}
		}
	}
}

func (srv *scriptServer) defaults(s *scriptSession, verb, arg string) bool {
	switch verb {
	case "USER":
		s.reply("331 password")
	case "PASS":
		s.loggedIn = true
		s.reply("230 logged in")
	case "SYST":
		s.reply("215 UNIX Type: L8")
	case "FEAT":
		if len(srv.feat) == 0 {
			s.reply("500 FEAT not understood")
			break
		}
		s.reply("211-Features:\r\n " + strings.Join(srv.feat, "\r\n ") + "\r\n211 End")
	case "TYPE", "NOOP":
		s.reply("200 OK")
	case "PASV":
		if s.pasv != nil {
			s.pasv.Close()
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.reply("425 cannot listen")
			break
		}
		s.pasv = ln
		p := ln.Addr().(*net.TCPAddr).Port
		s.reply(fmt.Sprintf("227 Entering Passive Mode (127,0,0,1,%d,%d)", p/256, p%256))
	case "EPRT":
		if strings.HasPrefix(arg, "|1|") {
			s.reply("200 EPRT OK")
		} else {
			s.reply("500 bad EPRT")
		}
	case "QUIT":
		s.reply("221 bye")
		return false
	default:
		s.reply("500 " + verb + " not understood")
	}
	return true
}

// startTLS answers AUTH TLS: 234, then the server side of the handshake on the raw connection.
// On success the session goes on over TLS; on failure the connection is left in the clear.
func (s *scriptSession) startTLS(cert tls.Certificate) error {
	s.reply("234 AUTH TLS OK")
	tc := tls.Server(s.conn, &tls.Config{Certificates: []tls.Certificate{cert}})
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	err := tc.Handshake()
	_ = tc.SetDeadline(time.Time{})
	if err == nil {
		s.conn = tc
	}
	return err
}

// testCert is a self-signed certificate for 127.0.0.1 (the engine skips verification: ftpspec
// probes servers, it does not decide whom to trust).
func testCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func scriptedOptions(t *testing.T, srv *scriptServer) Options {
	t.Helper()
	tg, err := target.Parse("ftp://test:test@" + srv.ln.Addr().String())
	require.NoError(t, err)
	return Options{Target: tg, Parallel: 2, Timeout: 20 * time.Second}
}

func caseByID(t *testing.T, id string) Case {
	t.Helper()
	for _, c := range All() {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no case %s", id)
	return Case{}
}

func resultOf(t *testing.T, res *reports.Conformance, id string) reports.CaseResult {
	t.Helper()
	for _, r := range res.Cases {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no result for %s", id)
	return reports.CaseResult{}
}

// TestEngineGradesByImplementationEvidence: a server whose EPRT works (FEAT lists it, |1| is
// answered 200) but that answers 500 to an unknown protocol has EPRT; the 500 is a wrong code for
// a refusal, not "unsupported". Without the evidence (no FEAT, EPRT always 500) it is unsupported.
func TestEngineGradesByImplementationEvidence(t *testing.T) {
	tests := []struct {
		name string
		feat []string
		hook scriptHook
		want reports.Outcome
	}{
		{"EPRT advertised and working", []string{"EPRT", "EPSV"}, nil, reports.Warn},
		{"EPRT used successfully, not in FEAT", []string{"SIZE"}, nil, reports.Warn},
		{"EPRT not implemented", nil, func(s *scriptSession, verb, _ string, _ bool) bool {
			if verb == "EPRT" {
				s.reply("500 EPRT not understood")
				return true
			}
			return false
		}, reports.Unsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startScripted(t, tt.feat, tt.hook)
			res, err := Run(context.Background(), []Case{caseByID(t, "rfc2428/2/eprt-unknown-protocol")}, scriptedOptions(t, srv))
			require.NoError(t, err)
			r := resultOf(t, res, "rfc2428/2/eprt-unknown-protocol")
			assert.Equal(t, tt.want, r.Outcome, "%s %s %s", r.Expected, r.Actual, r.Reason)
			if tt.want == reports.Unsupported {
				assert.NotContains(t, res.Profile.Commands, "EPRT")
			} else {
				assert.Contains(t, res.Profile.Commands, "EPRT")
			}
		})
	}
}

// TestEngineConfirmsSilence: a command split across segments that never gets a reply, while the
// server answers the NOOP after it, is the server's failure (fail), not the harness's (error).
func TestEngineConfirmsSilence(t *testing.T) {
	srv := startScripted(t, []string{"EPSV"}, func(s *scriptSession, verb, _ string, split bool) bool {
		return split // swallow a command that came in pieces, as ProFTPD does
	})
	opts := scriptedOptions(t, srv)
	res, err := Run(context.Background(), []Case{caseByID(t, "rfc1123/4.1.2.10/command-split-across-reads")}, opts)
	require.NoError(t, err)
	r := resultOf(t, res, "rfc1123/4.1.2.10/command-split-across-reads")
	assert.Equal(t, reports.Fail, r.Outcome, "%s %s %s", r.Expected, r.Actual, r.Reason)
	assert.Contains(t, r.Actual, "NOOP sent")
}

// TestEngineUnsolicitedReply: a 425 sent unprompted after PASV (pyftpdlib does this when a foreign
// connection reaches the passive port) is consumed before the next command, so that command gets
// its own reply, and the transcript audit reports it.
func TestEngineUnsolicitedReply(t *testing.T) {
	srv := startScripted(t, []string{"EPSV"}, func(s *scriptSession, verb, _ string, _ bool) bool {
		if verb == "SYST" {
			s.reply("215 UNIX Type: L8")
			go func() {
				time.Sleep(50 * time.Millisecond)
				s.reply("425 Rejected data connection from foreign address 127.0.0.2:4242.")
			}()
			return true
		}
		return false
	})
	pairing := Case{
		ID: "rfc959/4.2/test-pairing", RFC: "959", Section: "4.2", Level: Must, Title: "pairing kept right",
		Requirement: "test case: a command is paired with its own reply",
		Run: func(ctx context.Context, env *Env) error {
			c, err := env.Login(ctx)
			if err != nil {
				return err
			}
			if _, err := c.Expect(ctx, "SYST", 215); err != nil {
				return err
			}
			time.Sleep(300 * time.Millisecond)
			_, err = c.Expect(ctx, "NOOP", 200)
			return err
		},
	}
	res, err := Run(context.Background(), []Case{pairing, caseByID(t, "rfc959/5.4/no-unsolicited-replies")}, scriptedOptions(t, srv))
	require.NoError(t, err)
	p := resultOf(t, res, "rfc959/4.2/test-pairing")
	assert.Equal(t, reports.Pass, p.Outcome, "%s %s %s", p.Expected, p.Actual, p.Reason)
	a := resultOf(t, res, "rfc959/5.4/no-unsolicited-replies")
	assert.Equal(t, reports.Warn, a.Outcome, "%s %s", a.Actual, a.Reason)
	assert.Contains(t, a.Actual, "425 Rejected")
	assert.Contains(t, a.Actual, "rfc959/4.2/test-pairing")
	assert.Contains(t, a.Actual, "before NOOP")
}

// TestEngineLangInRFCState: a server that accepts LANG before login and refuses it after (as the
// RFC 2640 §4.1 state allows) passes the LANG cases, FEAT's "LANG is recognised" included, which
// run before authentication.
func TestEngineLangInRFCState(t *testing.T) {
	srv := startScripted(t, []string{"LANG EN*;FR"}, func(s *scriptSession, verb, arg string, _ bool) bool {
		if verb != "LANG" {
			return false
		}
		switch {
		case s.loggedIn:
			s.reply("500 Unable to handle command") // ProFTPD 1.3.8 after login
		case arg == "" || strings.EqualFold(arg, "en") || strings.EqualFold(arg, "fr"):
			s.reply("200 language set")
		case strings.ContainsAny(arg, "_!"):
			s.reply("501 bad tag")
		default:
			s.reply("504 unsupported language")
		}
		return true
	})
	ids := []string{"rfc2640/4.2/lang-default", "rfc2640/4.2/lang-case-insensitive", "rfc2640/4.2/lang-advertised-tag",
		"rfc2640/4.2/lang-unsupported-504", "rfc2640/4.2/lang-syntax-501", "rfc2640/4.1/lang-before-login",
		"rfc2389/3/feat-lang-recognized"}
	var cases []Case
	for _, id := range ids {
		cases = append(cases, caseByID(t, id))
	}
	res, err := Run(context.Background(), cases, scriptedOptions(t, srv))
	require.NoError(t, err)
	for _, id := range ids {
		r := resultOf(t, res, id)
		assert.Equal(t, reports.Pass, r.Outcome, "%s: %s %s %s", id, r.Expected, r.Actual, r.Reason)
	}
}

// TestUserEnumerationAdvisory: 530 to an unknown user name where a valid one gets 331 reveals which
// names exist: an advisory (RFC 2577 §7 suggests, it does not require), never a failure.
func TestUserEnumerationAdvisory(t *testing.T) {
	for _, tt := range []struct {
		name    string
		unknown string
		want    reports.Outcome
	}{
		{"same reply", "331 password", reports.Pass},
		{"530 for unknown names", "530 no such user", reports.Advisory},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startScripted(t, []string{"EPSV"}, func(s *scriptSession, verb, arg string, _ bool) bool {
				if verb == "USER" && arg != "test" {
					s.reply(tt.unknown)
					return true
				}
				return false
			})
			res, err := Run(context.Background(), []Case{caseByID(t, "rfc2577/7/user-unknown-same-reply")}, scriptedOptions(t, srv))
			require.NoError(t, err)
			r := resultOf(t, res, "rfc2577/7/user-unknown-same-reply")
			assert.Equal(t, tt.want, r.Outcome, "%s %s %s", r.Expected, r.Actual, r.Reason)
			assert.Zero(t, res.Totals.Fail)
		})
	}
}

// TestPasvReleasedAfterSession: a passive listener that outlives its session is found by probing
// its port after QUIT.
func TestPasvReleasedAfterSession(t *testing.T) {
	for _, tt := range []struct {
		name string
		keep bool
		want reports.Outcome
	}{
		{"listener closed with the session", false, reports.Pass},
		{"listener left open", true, reports.Warn},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startScripted(t, []string{"EPSV"}, func(s *scriptSession, verb, _ string, _ bool) bool {
				s.keepPasv = tt.keep
				return false
			})
			res, err := Run(context.Background(), []Case{caseByID(t, "rfc959/3.2/pasv-released-after-session")}, scriptedOptions(t, srv))
			require.NoError(t, err)
			r := resultOf(t, res, "rfc959/3.2/pasv-released-after-session")
			assert.Equal(t, tt.want, r.Outcome, "%s %s %s", r.Expected, r.Actual, r.Reason)
		})
	}
}

// TestEpsvUnknownProtocolLists: EPSV's 522 is "the 522 error messages as outlined in section 2",
// whose text MUST list the supported families: vsftpd's "522 Bad network protocol." breaks it,
// "522 … (1)" keeps it, and another code is a wrong code.
func TestEpsvUnknownProtocolLists(t *testing.T) {
	const id = "rfc2428/3/epsv-unknown-protocol"
	tests := []struct {
		name, reply string
		want        reports.Outcome
	}{
		{"522 with the list", "522 Network protocol not supported, use (1)", reports.Pass},
		{"522 without the list", "522 Bad network protocol.", reports.Fail},
		{"another code", "501 Unknown network protocol", reports.Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startScripted(t, []string{"EPSV"}, func(s *scriptSession, verb, arg string, _ bool) bool {
				switch {
				case verb == "EPSV" && arg == "7":
					s.reply(tt.reply)
				case verb == "EPSV":
					s.reply("229 Entering Extended Passive Mode (|||40000|)")
				default:
					return false
				}
				return true
			})
			res, err := Run(context.Background(), []Case{caseByID(t, id)}, scriptedOptions(t, srv))
			require.NoError(t, err)
			r := resultOf(t, res, id)
			assert.Equal(t, tt.want, r.Outcome, "%s %s %s", r.Expected, r.Actual, r.Reason)
		})
	}
}

// TestHandshakeFailureDrops: after plaintext where the ClientHello belongs, a server that writes
// one last line and closes (vsftpd's "500 OOPS", ProFTPD's "421") did drop the connection; only a
// server that answers and keeps the connection open went on in plaintext.
func TestHandshakeFailureDrops(t *testing.T) {
	const id = "rfc4217/10.1/handshake-failure-drops"
	cert := testCert(t)
	tests := []struct {
		name  string
		close bool
		want  reports.Outcome
	}{
		{"a last line, then closed", true, reports.Pass},
		{"a reply, connection kept open", false, reports.Warn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startScripted(t, []string{"AUTH TLS"}, func(s *scriptSession, verb, _ string, _ bool) bool {
				if verb != "AUTH" {
					return false
				}
				if err := s.startTLS(cert); err != nil {
					s.reply("500 OOPS: " + err.Error())
					if tt.close {
						s.conn.Close()
					}
				}
				return true
			})
			res, err := Run(context.Background(), []Case{caseByID(t, id)}, scriptedOptions(t, srv))
			require.NoError(t, err)
			r := resultOf(t, res, id)
			assert.Equal(t, tt.want, r.Outcome, "%s %s %s", r.Expected, r.Actual, r.Reason)
		})
	}
}

// TestAdatAfterTLSBeforeLogin: after AUTH TLS, before login, a server that answers every unknown
// command 530 says nothing about ADAT (unsupported, as adat-without-auth grades it); a 503 is the
// reply RFC 2228 asks for.
func TestAdatAfterTLSBeforeLogin(t *testing.T) {
	const id = "rfc2228/3/adat-after-tls"
	cert := testCert(t)
	for reply, want := range map[string]reports.Outcome{
		"530 Please login with USER and PASS.": reports.Unsupported,
		"503 Security exchange completed":      reports.Pass,
	} {
		t.Run(reply, func(t *testing.T) {
			srv := startScripted(t, []string{"AUTH TLS"}, func(s *scriptSession, verb, _ string, _ bool) bool {
				switch verb {
				case "AUTH":
					if err := s.startTLS(cert); err != nil {
						s.conn.Close()
					}
				case "ADAT":
					s.reply(reply)
				default:
					return false
				}
				return true
			})
			res, err := Run(context.Background(), []Case{caseByID(t, id)}, scriptedOptions(t, srv))
			require.NoError(t, err)
			r := resultOf(t, res, id)
			assert.Equal(t, want, r.Outcome, "%s %s %s", r.Expected, r.Actual, r.Reason)
		})
	}
}

// TestBudgetCoversOneReply: a case whose budget fits the server's own delays may wait that long for
// one reply: a server that delays each failed login past the per-operation --timeout (Pure-FTPd's
// grow to 20 s and more) gets a verdict (advisory: it never closes), not a harness error.
func TestBudgetCoversOneReply(t *testing.T) {
	const id = "rfc2577/5/login-failures-close-421"
	srv := startScripted(t, nil, func(s *scriptSession, verb, arg string, _ bool) bool {
		if verb == "PASS" && arg != "test" {
			time.Sleep(400 * time.Millisecond)
			s.reply("530 Login incorrect")
			return true
		}
		return false
	})
	opts := scriptedOptions(t, srv)
	opts.Timeout = 250 * time.Millisecond
	res, err := Run(context.Background(), []Case{caseByID(t, id)}, opts)
	require.NoError(t, err)
	r := resultOf(t, res, id)
	assert.Equal(t, reports.Advisory, r.Outcome, "%s %s %s", r.Expected, r.Actual, r.Reason)
}

// TestReinClearsTLSProcessed: a REIN answered with another 2yz than 220 (pyftpdlib's "230 Ready for
// new user.") was processed, so RFC 4217 §13's MUST applies and the TLS session must be cleared;
// a refused REIN is unsupported.
func TestReinClearsTLSProcessed(t *testing.T) {
	const id = "rfc4217/13/rein-clears-tls"
	cert := testCert(t)
	for reply, want := range map[string]reports.Outcome{
		"230 Ready for new user.":  reports.Fail, // processed, TLS kept: no close_notify back
		"502 REIN not implemented": reports.Unsupported,
	} {
		t.Run(reply, func(t *testing.T) {
			srv := startScripted(t, []string{"AUTH TLS", "PBSZ", "PROT"}, func(s *scriptSession, verb, _ string, _ bool) bool {
				switch verb {
				case "AUTH":
					if err := s.startTLS(cert); err != nil {
						s.conn.Close()
					}
				case "PBSZ":
					s.reply("200 PBSZ=0")
				case "PROT":
					s.reply("200 Protection set")
				case "REIN":
					s.reply(reply)
				default:
					return false
				}
				return true
			})
			res, err := Run(context.Background(), []Case{caseByID(t, id)}, scriptedOptions(t, srv))
			require.NoError(t, err)
			r := resultOf(t, res, id)
			assert.Equal(t, want, r.Outcome, "%s %s %s", r.Expected, r.Actual, r.Reason)
		})
	}
}

// TestFeatArgumentAdvisory: RFC 2389 §3.2's "will result in a 501 reply" has no keyword: a server
// that answers "FEAT FTPSPEC" with its feature list (vsftpd, Pure-FTPd) gets an advisory, not a warn.
func TestFeatArgumentAdvisory(t *testing.T) {
	const id = "rfc2389/3.2/feat-argument-501"
	srv := startScripted(t, []string{"SIZE"}, nil)
	res, err := Run(context.Background(), []Case{caseByID(t, id)}, scriptedOptions(t, srv))
	require.NoError(t, err)
	r := resultOf(t, res, id)
	assert.Equal(t, reports.Advisory, r.Outcome, "%s %s %s", r.Expected, r.Actual, r.Reason)
}
