package reference

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/payload"
)

func TestStartDefaults(t *testing.T) {
	srv := Start(t)
	assert.True(t, strings.HasPrefix(srv.Addr(), "127.0.0.1:"), srv.Addr())
	assert.Equal(t, "ftp://test:test@"+srv.Addr(), srv.URL())
	assert.DirExists(t, srv.Root())
	assert.Equal(t, PortRange{30000, 30999}, srv.Config().PasvPorts)
	assert.Empty(t, srv.ImplicitTLSAddr())
	root := srv.Root()
	require.NoError(t, srv.Close())
	assert.NoDirExists(t, root, "a temporary root is removed by Close")
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown fault", Config{Faults: []string{"nope"}}, `fault "nope"`},
		{"bad range", Config{PasvPorts: PortRange{10, 5}}, "PasvPorts"},
		{"public ip", Config{PublicIP: "example"}, "PublicIP"},
		{"duplicate user", Config{Users: []User{{Name: "a"}, {Name: "a"}}}, "duplicate"},
		{"missing root", Config{Root: "/nonexistent/ftpspec"}, "root"},
		{"cert without key", Config{TLS: TLSConfig{CertFile: "x"}}, "key_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestParsePortRange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want PortRange
		ok   bool
	}{
		{"30000-30999", PortRange{30000, 30999}, true},
		{" 1-1 ", PortRange{1, 1}, true},
		{"1024-65535", PortRange{1024, 65535}, true},
		{"0-10", PortRange{}, false},
		{"10-5", PortRange{}, false},
		{"10", PortRange{10, 10}, true}, // one port
		{"a-b", PortRange{}, false},
		{"1-65536", PortRange{}, false},
	} {
		got, err := ParsePortRange(tc.in)
		if !tc.ok {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got)
	}
}

// TestReplyCodes checks single commands against the reply codes of RFC 959 §5.4 and the
// extension RFCs, from a fresh logged-in (or not) session.
func TestReplyCodes(t *testing.T) {
	srv := startTest(t)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "f.txt"), []byte("a\nb\n"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(srv.Root(), "d"), 0o755))
	for _, tc := range []struct {
		name  string
		login bool
		cmds  []string // all but the last must succeed (< 400)
		want  int
	}{
		{"unknown command", false, []string{"XYZZY"}, 500},
		{"unknown before login is still 500", false, []string{"FOOB arg"}, 500},
		{"garbage verb", false, []string{"12345"}, 500},
		{"not logged in", false, []string{"PWD"}, 530},
		{"list before login", false, []string{"LIST"}, 530},
		{"PASS without USER", false, []string{"PASS x"}, 503},
		{"USER unknown", false, []string{"USER nosuchuser"}, 331},
		{"bad password", false, []string{"USER test", "PASS wrong"}, 530},
		{"anonymous", false, []string{"USER anonymous", "PASS a@b"}, 230},
		{"ftp is anonymous", false, []string{"USER ftp", "PASS x"}, 230},
		{"USER without arg", false, []string{"USER"}, 501},
		{"SYST", false, []string{"SYST"}, 215},
		{"NOOP", false, []string{"NOOP"}, 200},
		{"FEAT before login", false, []string{"FEAT"}, 211},
		{"HELP", false, []string{"HELP"}, 214},
		{"HELP RETR", false, []string{"HELP RETR"}, 214},
		{"HELP unknown", false, []string{"HELP NOPE"}, 501},
		{"STAT before login", false, []string{"STAT"}, 211},
		{"ACCT before login", false, []string{"ACCT x"}, 503},
		{"ACCT after login", true, []string{"ACCT x"}, 202},
		{"PWD", true, []string{"PWD"}, 257},
		{"CWD dir", true, []string{"CWD d"}, 250},
		{"CWD file", true, []string{"CWD f.txt"}, 550},
		{"CWD missing", true, []string{"CWD nope"}, 550},
		{"CDUP", true, []string{"CWD d", "CDUP"}, 200},
		{"XPWD", true, []string{"XPWD"}, 257},
		{"SMNT", true, []string{"SMNT /x"}, 502},
		{"TYPE I", true, []string{"TYPE I"}, 200},
		{"TYPE A", true, []string{"TYPE A"}, 200},
		{"TYPE A N", true, []string{"TYPE A N"}, 200},
		{"TYPE L 8", true, []string{"TYPE L 8"}, 200},
		{"TYPE E", true, []string{"TYPE E"}, 504},
		{"TYPE A T is TYPE A N", true, []string{"TYPE A T"}, 200},
		{"TYPE A C", true, []string{"TYPE A C"}, 504},
		{"TYPE L 7", true, []string{"TYPE L 7"}, 504},
		{"TYPE garbage", true, []string{"TYPE Q"}, 501},
		{"MODE S", true, []string{"MODE S"}, 200},
		{"MODE B", true, []string{"MODE B"}, 504},
		{"MODE C", true, []string{"MODE C"}, 504},
		{"MODE Z", true, []string{"MODE Z"}, 501},
		{"STRU F", true, []string{"STRU F"}, 200},
		{"STRU R", true, []string{"STRU R"}, 504},
		{"STRU P", true, []string{"STRU P"}, 504},
		{"RETR without PASV", true, []string{"RETR f.txt"}, 425},
		{"RETR missing", true, []string{"PASV", "RETR nope"}, 550},
		{"RETR directory", true, []string{"PASV", "RETR d"}, 550},
		{"REST", true, []string{"REST 100"}, 350},
		{"REST negative", true, []string{"REST -1"}, 501},
		{"REST garbage", true, []string{"REST x"}, 501},
		{"SIZE", true, []string{"SIZE f.txt"}, 213},
		{"SIZE dir", true, []string{"SIZE d"}, 550},
		{"SIZE missing", true, []string{"SIZE nope"}, 550},
		{"MDTM", true, []string{"MDTM f.txt"}, 213},
		{"MDTM missing", true, []string{"MDTM nope"}, 550},
		{"MLST", true, []string{"MLST f.txt"}, 250},
		{"MLST missing", true, []string{"MLST nope"}, 550},
		{"DELE missing", true, []string{"DELE nope"}, 550},
		{"DELE dir", true, []string{"DELE d"}, 550},
		{"MKD", true, []string{"MKD newdir"}, 257},
		{"MKD exists", true, []string{"MKD d"}, 550},
		{"RMD missing", true, []string{"RMD nope"}, 550},
		{"RMD file", true, []string{"RMD f.txt"}, 550},
		{"RNFR", true, []string{"RNFR f.txt"}, 350},
		{"RNFR missing", true, []string{"RNFR nope"}, 550},
		{"RNTO without RNFR", true, []string{"RNTO x"}, 503},
		{"RNTO not right after RNFR", true, []string{"RNFR f.txt", "NOOP", "RNTO g.txt"}, 503},
		{"ALLO", true, []string{"ALLO 100"}, 202},
		{"ALLO record", true, []string{"ALLO 100 R 10"}, 202},
		{"ALLO garbage", true, []string{"ALLO x"}, 501},
		{"SITE HELP", true, []string{"SITE HELP"}, 214},
		{"SITE unknown", true, []string{"SITE FOO"}, 504},
		{"SITE CHMOD", true, []string{"SITE CHMOD 600 f.txt"}, 200},
		{"STAT file", true, []string{"STAT f.txt"}, 213},
		{"ABOR idle", true, []string{"ABOR"}, 225},
		{"OPTS UTF8", false, []string{"OPTS UTF8 ON"}, 200},
		{"OPTS unknown", false, []string{"OPTS FOO BAR"}, 501},
		{"OPTS MLST", true, []string{"OPTS MLST type;size;"}, 200},
		{"LANG EN", false, []string{"LANG EN"}, 200},
		{"LANG reset", false, []string{"LANG"}, 200},
		{"LANG FR", false, []string{"LANG FR"}, 504},
		{"HOST", false, []string{"HOST localhost"}, 220},
		{"HOST after login", true, []string{"HOST localhost"}, 503},
		{"HOST invalid", false, []string{"HOST bad_name!"}, 501},
		{"HOST bad label", false, []string{"HOST -bad_name-."}, 501},
		{"HOST with port", false, []string{"HOST 192.0.2.1:2112"}, 501},
		{"HOST bare IPv6", false, []string{"HOST ::1"}, 501},
		{"HOST foreign literal", false, []string{"HOST 192.0.2.1"}, 504},
		{"HOST foreign IPv6 literal", false, []string{"HOST [::1]"}, 504},
		{"HOST own literal", false, []string{"HOST 127.0.0.1"}, 220},
		{"HOST then login", false, []string{"HOST localhost", "USER test", "PASS test"}, 230},
		{"FEAT with argument", false, []string{"FEAT x"}, 501},
		{"PBSZ before AUTH", false, []string{"PBSZ 0"}, 503},
		{"PROT before AUTH", false, []string{"PROT P"}, 503},
		{"CCC in the clear", false, []string{"CCC"}, 533},
		{"AUTH unknown", false, []string{"AUTH KERBEROS_V4"}, 504},
		{"ADAT", false, []string{"ADAT x"}, 502},
		{"EPSV bad protocol", true, []string{"EPSV 3"}, 522},
		{"EPSV IPv6 on IPv4", true, []string{"EPSV 2"}, 522},
		{"EPSV 1", true, []string{"EPSV 1"}, 229},
		{"EPSV garbage", true, []string{"EPSV x"}, 501},
		{"EPRT bad protocol", true, []string{"EPRT |3|1.2.3.4|5000|"}, 522},
		{"EPRT garbage", true, []string{"EPRT nonsense"}, 501},
		{"PORT garbage", true, []string{"PORT 1,2,3"}, 501},
		{"REIN", true, []string{"REIN"}, 220},
		{"REIN logs out", true, []string{"REIN", "PWD"}, 530},
		{"anonymous cannot write", false, []string{"USER anonymous", "PASS x", "MKD x"}, 550},
		{"anonymous cannot delete", false, []string{"USER anonymous", "PASS x", "DELE f.txt"}, 550},
		{"anonymous cannot store", false, []string{"USER anonymous", "PASS x", "PASV", "STOR x"}, 550},
		{"synthetic is read-only", true, []string{"PASV", "STOR /synthetic/10/x"}, 553},
		{"synthetic cannot be deleted", true, []string{"DELE /synthetic/10/x"}, 550},
		{"synthetic SIZE", true, []string{"SIZE /synthetic/12345/x"}, 213},
		{"synthetic bad size", true, []string{"SIZE /synthetic/abc/x"}, 550},
		{"synthetic CWD", true, []string{"CWD /synthetic/100"}, 250},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialCtl(t, srv.Addr())
			if tc.login {
				c.login("test", "test")
			}
			for i, cmd := range tc.cmds {
				code, text := c.cmd("%s", cmd)
				if i < len(tc.cmds)-1 {
					require.Less(t, code, 400, "%s -> %s", cmd, text)
					continue
				}
				assert.Equal(t, tc.want, code, "%s -> %s", cmd, text)
			}
		})
	}
}

func TestMultilineReplies(t *testing.T) {
	srv := startTest(t)
	c := dialCtl(t, srv.Addr())
	for _, cmd := range []string{"FEAT", "HELP", "STAT"} {
		_, text := c.cmd("%s", cmd)
		lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
		require.Greater(t, len(lines), 2, cmd)
		code := lines[0][:3]
		assert.Equal(t, code+"-", lines[0][:4], "%s: first line", cmd)
		assert.Equal(t, code+" ", lines[len(lines)-1][:4], "%s: last line", cmd)
		for _, l := range lines[1 : len(lines)-1] {
			// RFC 959 §4.2: no middle line may look like the end of the reply.
			assert.False(t, strings.HasPrefix(l, code+" "), "%s: middle line %q", cmd, l)
		}
	}
}

func TestFeatListsExactlyWhatWorks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mod     func(*Config)
		want    []string
		notWant []string
	}{
		{"default", func(*Config) {}, []string{" AUTH TLS", " EPRT", " EPSV", " MDTM", " MLST type*;size*;modify*;perm*;unique*;", " PBSZ", " PROT", " REST STREAM", " SIZE", " TVFS", " UTF8", " LANG EN*", " HOST"}, []string{"CCC"}},
		{"no TLS", func(c *Config) { c.TLS.Disable = true }, []string{" EPSV", " SIZE"}, []string{"AUTH", "PBSZ", "PROT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startTest(t, tc.mod)
			c := dialCtl(t, srv.Addr())
			_, text := c.cmd("FEAT")
			for _, w := range tc.want {
				assert.Contains(t, text, w+"\r\n")
			}
			for _, nw := range tc.notWant {
				assert.NotContains(t, text, nw)
			}
			if tc.name == "no TLS" {
				c.expect(502, "AUTH TLS")
			}
		})
	}
}

func TestLoginFailuresLimitAndDelay(t *testing.T) {
	srv := startTest(t, func(c *Config) {
		c.Limits.MaxLoginFailures = 2
		c.Limits.LoginFailDelay = 100 * time.Millisecond
	})
	c := dialCtl(t, srv.Addr())
	c.expect(331, "USER test")
	start := time.Now()
	c.expect(530, "PASS bad")
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond, "a failed login is delayed")
	c.expect(331, "USER test")
	c.expect(421, "PASS bad")
	c.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := c.r.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "the connection is closed after too many failures")
}

func TestRoundTrip(t *testing.T) {
	srv := startTest(t)
	c := loggedIn(t, srv)
	for _, size := range []int{0, 1, 4096, 1<<20 + 13, 5 << 20} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			data := make([]byte, size)
			rand.Read(data)
			name := "rt-" + strconv.Itoa(size) + ".bin"
			c.stor("STOR", name, data)
			onDisk, err := os.ReadFile(filepath.Join(srv.Root(), name))
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, onDisk), "stored bytes differ")
			got := c.retr(name)
			assert.True(t, bytes.Equal(data, got), "retrieved %d bytes, want %d identical", len(got), len(data))
			c.expect(213, "SIZE %s", name)
		})
	}
}

func TestActiveMode(t *testing.T) {
	srv := startTest(t)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "a.txt"), []byte("active data"), 0o644))
	for _, tc := range []struct {
		name string
		cmd  func(port int) string
	}{
		{"PORT", func(p int) string { return "PORT 127,0,0,1," + strconv.Itoa(p>>8) + "," + strconv.Itoa(p&255) }},
		{"EPRT", func(p int) string { return "EPRT |1|127.0.0.1|" + strconv.Itoa(p) + "|" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := loggedIn(t, srv)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer ln.Close()
			c.expect(200, "%s", tc.cmd(ln.Addr().(*net.TCPAddr).Port))
			c.expect(150, "RETR a.txt")
			ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
			d, err := ln.Accept()
			require.NoError(t, err)
			got, err := io.ReadAll(d)
			require.NoError(t, err)
			assert.Equal(t, "active data", string(got))
			code, text := c.read()
			assert.Equal(t, 226, code, text)
		})
	}
}

func TestPortBounceRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault bool
		want  int
	}{{"protected", false, 504}, {"port-bounce fault", true, 200}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startTest(t, func(c *Config) {
				if tc.fault {
					c.Faults = []string{"port-bounce"}
				}
			})
			c := loggedIn(t, srv)
			for _, cmd := range []string{"PORT 127,0,0,2,100,100", "PORT 127,0,0,1,0,80", "EPRT |1|127.0.0.2|25700|", "EPRT |1|127.0.0.1|21|", "EPRT |2|::1|25700|"} {
				code, text := c.cmd("%s", cmd)
				assert.Equal(t, tc.want, code, "%s -> %s", cmd, text)
			}
			c.expect(200, "PORT 127,0,0,1,100,100") // the client itself on a high port is fine
		})
	}
}

func TestEPSVAll(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault bool
	}{{"enforced", false}, {"epsv-all-ignored fault", true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startTest(t, func(c *Config) {
				if tc.fault {
					c.Faults = []string{"epsv-all-ignored"}
				}
			})
			c := loggedIn(t, srv)
			c.expect(200, "EPSV ALL")
			for _, cmd := range []string{"PASV", "PORT 127,0,0,1,100,100", "EPRT |1|127.0.0.1|25700|"} {
				code, text := c.cmd("%s", cmd)
				if tc.fault {
					assert.Less(t, code, 400, "%s -> %s", cmd, text)
				} else {
					assert.Equal(t, 503, code, "%s -> %s", cmd, text)
				}
			}
			c.epsv()
		})
	}
}

func TestREST(t *testing.T) {
	srv := startTest(t)
	data := []byte("0123456789abcdefghij")
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "r.bin"), data, 0o644))
	c := loggedIn(t, srv)
	for _, off := range []int{0, 1, 10, 20} {
		c.expect(350, "REST %d", off)
		assert.Equal(t, string(data[off:]), string(c.retr("r.bin")), "REST %d", off)
	}
	// The marker applies to one transfer only.
	assert.Equal(t, string(data), string(c.retr("r.bin")))
	// Past the end: refused when the transfer command comes (RFC 3659 §5.3).
	c.expect(350, "REST 21")
	c.pasv()
	c.expect(554, "RETR r.bin")
}

func TestRESTStor(t *testing.T) {
	srv := startTest(t)
	c := loggedIn(t, srv)
	c.stor("STOR", "part.bin", []byte("hello wor"))
	c.expect(350, "REST 6")
	c.stor("STOR", "part.bin", []byte("world!"))
	got, err := os.ReadFile(filepath.Join(srv.Root(), "part.bin"))
	require.NoError(t, err)
	assert.Equal(t, "hello world!", string(got))
	// APPE with a marker acts as STOR with the marker (RFC 3659 §5.3).
	c.expect(350, "REST 5")
	c.stor("APPE", "part.bin", []byte(", there"))
	got, _ = os.ReadFile(filepath.Join(srv.Root(), "part.bin"))
	assert.Equal(t, "hello, there", string(got))
	c.expect(350, "REST 100")
	c.epsv()
	c.expect(554, "STOR part.bin")
}

func TestAPPEAndSTOU(t *testing.T) {
	srv := startTest(t)
	c := loggedIn(t, srv)
	c.stor("APPE", "log.txt", []byte("one\n"))
	c.stor("APPE", "log.txt", []byte("two\n"))
	got, err := os.ReadFile(filepath.Join(srv.Root(), "log.txt"))
	require.NoError(t, err)
	assert.Equal(t, "one\ntwo\n", string(got))

	text := c.stor("STOU", "", []byte("unique"))
	require.Contains(t, text, "150 FILE: ", "RFC 1123 §4.1.2.9 format")
	name := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "150 FILE: "))
	got, err = os.ReadFile(filepath.Join(srv.Root(), name))
	require.NoError(t, err)
	assert.Equal(t, "unique", string(got))
	text2 := c.stor("STOU", "", []byte("unique2"))
	assert.NotEqual(t, text, text2, "each STOU gets a new name")
	text3 := c.stor("STOU", "log.txt", []byte("x"))
	assert.NotContains(t, text3, "FILE: log.txt\r\n", "STOU never overwrites")
	got, _ = os.ReadFile(filepath.Join(srv.Root(), "log.txt"))
	assert.Equal(t, "one\ntwo\n", string(got))
}

func TestFileCommands(t *testing.T) {
	srv := startTest(t)
	c := loggedIn(t, srv)
	c.expect(257, "MKD sub")
	c.expect(250, "CWD sub")
	assert.Contains(t, c.expect(257, "PWD"), `"/sub"`)
	c.stor("STOR", "a.txt", []byte("x"))
	c.expect(350, "RNFR a.txt")
	c.expect(250, "RNTO b.txt")
	assert.FileExists(t, filepath.Join(srv.Root(), "sub", "b.txt"))
	c.expect(250, "DELE b.txt")
	assert.NoFileExists(t, filepath.Join(srv.Root(), "sub", "b.txt"))
	c.expect(200, "CDUP")
	c.expect(250, "RMD sub")
	assert.NoDirExists(t, filepath.Join(srv.Root(), "sub"))
	c.expect(257, `MKD we"ird`)
	assert.Contains(t, c.expect(250, `CWD we"ird`), "250")
	assert.Contains(t, c.expect(257, "PWD"), `"/we""ird"`, "RFC 959 Appendix II doubles quotes")
}

func TestListings(t *testing.T) {
	srv := startTest(t)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "file1.bin"), make([]byte, 1234), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(srv.Root(), "dir1"), 0o755))
	c := loggedIn(t, srv)
	list := c.list("LIST")
	assert.Regexp(t, `(?m)^-rw-r--r-- +1 ftp +ftp +1234 \w{3} [ \d]\d [ \d]\d:\d\d file1.bin\r$`, list)
	assert.Regexp(t, `(?m)^drwxr-xr-x .* dir1\r$`, list)
	assert.Equal(t, "dir1\r\nfile1.bin\r\n", c.list("NLST"))
	assert.Contains(t, c.list("LIST -la"), "file1.bin")
	mlsd := c.list("MLSD")
	assert.Regexp(t, `(?m)^type=cdir;.* \.\r$`, mlsd)
	assert.Regexp(t, `(?m)^type=file;size=1234;modify=\d{14};perm=radwf;unique=[0-9a-f]+g[0-9a-f]+; file1.bin\r$`, mlsd)
	assert.Regexp(t, `(?m)^type=dir;modify=\d{14};perm=elcmpdf;unique=\S+; dir1\r$`, mlsd)
	mlst := c.expect(250, "MLST file1.bin")
	assert.Regexp(t, `^250-.*\r\n type=file;size=1234;.* /file1.bin\r\n250 End\r\n$`, mlst)
	c.expect(200, "OPTS MLST size;type;")
	assert.Regexp(t, `(?m)^type=file;size=1234; file1.bin\r$`, c.list("MLSD"))
	_, text := c.cmd("FEAT")
	assert.Contains(t, text, " MLST type*;size*;modify;perm;unique;\r\n")
	c.pasv()
	c.expect(501, "MLSD file1.bin")
	assert.Contains(t, c.list("LIST file1.bin"), "file1.bin")
}

func TestSyntheticFiles(t *testing.T) {
	srv := startTest(t)
	c := loggedIn(t, srv)
	for _, tc := range []struct {
		name string
		size int64
		rest int64
	}{{"s0001-t00", 65536, 0}, {"odd", 100003, 0}, {"resumed", 300000, 4099}, {"empty", 0, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			p := "/synthetic/" + strconv.FormatInt(tc.size, 10) + "/" + tc.name
			assert.Equal(t, "213 "+strconv.FormatInt(tc.size, 10)+"\r\n", c.expect(213, "SIZE %s", p))
			assert.Equal(t, "213 20000101000000\r\n", c.expect(213, "MDTM %s", p))
			if tc.rest > 0 {
				c.expect(350, "REST %d", tc.rest)
			}
			got := c.retr(p)
			want := make([]byte, tc.size-tc.rest)
			payload.Fill(want, tc.name, tc.rest)
			assert.True(t, bytes.Equal(want, got), "synthetic bytes differ (%d vs %d)", len(got), len(want))
			assert.Contains(t, c.expect(250, "MLST %s", p), "type=file;size="+strconv.FormatInt(tc.size, 10)+";")
		})
	}
	c.expect(250, "CWD /synthetic/65536")
	assert.Len(t, c.retr("abc"), 65536, "relative names work inside a size directory")
	c.pasv()
	c.expect(553, "STOR x")
	c.expect(550, "RNFR /synthetic/1/x")
	c.expect(550, "MKD /synthetic/1/d")
}

func TestPathsStayInsideRoot(t *testing.T) {
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644))
	srv := startTest(t)
	require.NoError(t, os.Symlink(outside, filepath.Join(srv.Root(), "escape")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(srv.Root(), "abs-link")))
	require.NoError(t, os.Symlink("../../../../../../../../etc/passwd", filepath.Join(srv.Root(), "rel-link")))
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "inside"), []byte("ok"), 0o644))
	require.NoError(t, os.Symlink("inside", filepath.Join(srv.Root(), "good-link")))
	c := loggedIn(t, srv)
	for _, p := range []string{"../secret", "/../secret", "../../../../etc/passwd", "escape/secret", "abs-link", "rel-link", "/./../" + filepath.Base(outside) + "/secret"} {
		c.pasv()
		code, text := c.cmd("RETR %s", p)
		assert.Equal(t, 550, code, "RETR %s -> %s", p, text)
		code, text = c.cmd("SIZE %s", p)
		assert.Equal(t, 550, code, "SIZE %s -> %s", p, text)
	}
	c.expect(550, "CWD escape")
	c.expect(250, "CWD ../../..")
	assert.Contains(t, c.expect(257, "PWD"), `"/"`)
	c.epsv()
	c.expect(553, "STOR escape/planted")
	assert.NoFileExists(t, filepath.Join(outside, "planted"))
	assert.Equal(t, "ok", string(c.retr("good-link")), "symlinks inside the root work")
	assert.Equal(t, "ok", string(c.retr("../inside")))
}

func TestUserRootsAndPermissions(t *testing.T) {
	srv := startTest(t, func(c *Config) {
		c.Users = []User{{Name: "rw", Password: "pw", Root: "home/rw", Write: true}, {Name: "ro", Password: "pw", Root: "home/rw"}}
		f := false
		c.Anonymous = &f
	})
	c := dialCtl(t, srv.Addr())
	c.login("rw", "pw")
	c.stor("STOR", "mine.txt", []byte("x"))
	assert.FileExists(t, filepath.Join(srv.Root(), "home", "rw", "mine.txt"))
	r := dialCtl(t, srv.Addr())
	r.login("ro", "pw")
	assert.Equal(t, "x", string(r.retr("mine.txt")))
	r.expect(550, "DELE mine.txt")
	a := dialCtl(t, srv.Addr())
	a.expect(331, "USER anonymous")
	a.expect(530, "PASS x")
	assert.Equal(t, "ftp://"+srv.Addr(), srv.URL(), "no test user, no credentials in the URL")
}

func TestSessionLimits(t *testing.T) {
	srv := startTest(t, func(c *Config) { c.Limits.MaxSessions = 2 })
	dialCtl(t, srv.Addr())
	dialCtl(t, srv.Addr())
	c, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(c)
	assert.True(t, strings.HasPrefix(string(b), "421 "), "over the limit: %q", b)

	srv2 := startTest(t, func(c *Config) { c.Limits.MaxPerIP = 1 })
	dialCtl(t, srv2.Addr())
	c2, err := net.Dial("tcp", srv2.Addr())
	require.NoError(t, err)
	defer c2.Close()
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ = io.ReadAll(c2)
	assert.True(t, strings.HasPrefix(string(b), "421 "), "over the per-IP limit: %q", b)
}

func TestIdleTimeout(t *testing.T) {
	srv := startTest(t, func(c *Config) { c.Timeouts.Idle = 300 * time.Millisecond })
	for _, tc := range []struct {
		name  string
		setup func(c *ctl)
	}{
		{"after the greeting", func(*ctl) {}},
		{"after a transfer", func(c *ctl) {
			c.login("test", "test")
			assert.Len(t, c.retr("/synthetic/100/x"), 100)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialCtl(t, srv.Addr())
			tc.setup(c)
			start := time.Now()
			code, text := c.read()
			assert.Equal(t, 421, code, text)
			assert.Less(t, time.Since(start), 2*time.Second)
			c.c.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, err := c.r.ReadByte()
			assert.ErrorIs(t, err, io.EOF)
		})
	}
}

func TestMalformedInput(t *testing.T) {
	srv := startTest(t, func(c *Config) { c.Limits.MaxLineLength = 100 })
	c := dialCtl(t, srv.Addr())
	for _, tc := range []struct {
		name string
		raw  string
		want int
	}{
		{"bare LF", "NOOP\n", 200},
		{"long line", strings.Repeat("A", 5000) + "\r\n", 500},
		{"after a long line", "NOOP\r\n", 200},
		{"NUL byte", "NO\x00OP\r\n", 500},
		{"telnet IP DM before ABOR", "\xff\xf4\xff\xf2NOOP\r\n", 200},
		{"telnet DONT and WONT need no answer", "\xff\xfe\x01\xff\xfc\x18NOOP\r\n", 200},
		{"escaped IAC in argument", "USER a\xff\xffb\r\n", 331},
		{"lower case", "noop\r\n", 200},
		{"empty line", "\r\n", 500},
		{"high bytes", "\x80\x81\r\n", 500},
		{"CR only then command", "\rNOOP\r\n", 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := io.WriteString(c.c, tc.raw)
			require.NoError(t, err)
			code, text := c.read()
			assert.Equal(t, tc.want, code, text)
		})
	}
	// RFC 1123 §4.1.2.12: option negotiation is refused, WILL with DONT and DO with WONT.
	_, err := io.WriteString(c.c, "\xff\xfb\x18\xff\xfd\x01NOOP\r\n")
	require.NoError(t, err)
	refusal := make([]byte, 6)
	_, err = io.ReadFull(c.r, refusal)
	require.NoError(t, err)
	assert.Equal(t, []byte{255, 254, 0x18, 255, 252, 1}, refusal)
	code, text := c.read()
	assert.Equal(t, 200, code, text)
	c.expect(200, "NOOP") // still alive
}

func TestABORDuringTransfer(t *testing.T) {
	srv := startTest(t)
	c := loggedIn(t, srv)
	_, port := c.pasv()
	d := c.dialData(port)
	c.expect(150, "RETR /synthetic/10000000000/big")
	buf := make([]byte, 1<<16)
	_, err := io.ReadFull(d, buf)
	require.NoError(t, err)
	// STAT during the transfer reports its progress on the control connection.
	code, text := c.cmd("STAT")
	assert.Equal(t, 213, code, text)
	assert.Contains(t, text, "bytes transferred")
	c.send("\xff\xf4\xff\xf2ABOR")
	code, text = c.read()
	assert.Equal(t, 426, code, "the aborted transfer: %s", text)
	code, text = c.read()
	assert.Equal(t, 226, code, "the ABOR: %s", text)
	c.expect(200, "NOOP")
	assert.Eventually(t, func() bool { return srv.PassivePortsInUse() == 0 }, 2*time.Second, 10*time.Millisecond)
}

func TestQUITWaitsForTransfer(t *testing.T) {
	srv := startTest(t)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "q.bin"), make([]byte, 3<<20), 0o644))
	c := loggedIn(t, srv)
	_, port := c.pasv()
	d := c.dialData(port)
	c.expect(150, "RETR q.bin")
	c.send("QUIT")
	got, err := io.ReadAll(d)
	require.NoError(t, err)
	assert.Len(t, got, 3<<20)
	code, _ := c.read()
	assert.Equal(t, 226, code)
	code, _ = c.read()
	assert.Equal(t, 221, code)
}

func TestTypeASCII(t *testing.T) {
	srv := startTest(t)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "t.txt"), []byte("one\ntwo\n\nend"), 0o644))
	c := loggedIn(t, srv)
	c.expect(213, "SIZE t.txt")
	assert.Equal(t, "213 12\r\n", c.expect(213, "SIZE t.txt"))
	c.expect(200, "TYPE A")
	assert.Equal(t, "213 15\r\n", c.expect(213, "SIZE t.txt"), "RFC 3659 §4: the size as transferred")
	assert.Equal(t, "one\r\ntwo\r\n\r\nend", string(c.retr("t.txt")))
	c.expect(350, "REST 5")
	assert.Equal(t, "two\r\n\r\nend", string(c.retr("t.txt")))
	c.stor("STOR", "up.txt", []byte("a\r\nb\r\nc\rd\r\n"))
	got, err := os.ReadFile(filepath.Join(srv.Root(), "up.txt"))
	require.NoError(t, err)
	assert.Equal(t, "a\nb\nc\rd\n", string(got), "CRLF becomes LF, a lone CR stays")
	c.expect(200, "TYPE I")
	assert.Equal(t, "a\nb\nc\rd\n", string(c.retr("up.txt")))
}

func TestUTF8Paths(t *testing.T) {
	srv := startTest(t)
	c := loggedIn(t, srv)
	c.expect(200, "OPTS UTF8 ON")
	name := "Grüße-日本語.txt"
	c.stor("STOR", name, []byte("utf8"))
	assert.FileExists(t, filepath.Join(srv.Root(), name))
	assert.Contains(t, c.list("NLST"), name+"\r\n")
	assert.Equal(t, "utf8", string(c.retr(name)))
	c.expect(257, "MKD Ωmega")
	assert.Contains(t, c.expect(250, "CWD Ωmega"), "250")
	assert.Contains(t, c.expect(257, "PWD"), `"/Ωmega"`)
}

func TestVirtualHosts(t *testing.T) {
	base := t.TempDir()
	srv := startTest(t, func(c *Config) {
		c.Root = base
		c.Hosts = []Host{{Name: "a.example", Root: "sites/a"}, {Name: "b.example", Root: filepath.Join(base, "sites/b")}}
	})
	require.NoError(t, os.WriteFile(filepath.Join(base, "sites/a/which"), []byte("A"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(base, "sites/b/which"), []byte("B"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(base, "which"), []byte("default"), 0o644))
	for _, tc := range []struct{ host, want string }{{"a.example", "A"}, {"B.EXAMPLE", "B"}, {"", "default"}} {
		c := dialCtl(t, srv.Addr())
		if tc.host != "" {
			c.expect(220, "HOST %s", tc.host)
		}
		c.login("test", "test")
		assert.Equal(t, tc.want, string(c.retr("which")), "HOST %q", tc.host)
	}
	c := dialCtl(t, srv.Addr())
	c.expect(504, "HOST unknown.example")
}

func TestIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	ln.Close()
	srv := startTest(t, func(c *Config) { c.Listen = "[::1]:0" })
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "six"), []byte("v6"), 0o644))
	c := loggedIn(t, srv)
	c.expect(522, "PASV")
	c.expect(522, "EPSV 1")
	port := c.epsv()
	d := c.dialData(port)
	c.expect(150, "RETR six")
	got, err := io.ReadAll(d)
	require.NoError(t, err)
	assert.Equal(t, "v6", string(got))
	c.read()
	l6, err := net.Listen("tcp", "[::1]:0")
	require.NoError(t, err)
	defer l6.Close()
	c.expect(200, "EPRT |2|::1|%d|", l6.Addr().(*net.TCPAddr).Port)
	c.expect(504, "EPRT |1|127.0.0.1|%d|", l6.Addr().(*net.TCPAddr).Port)
}
