package reference

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Real clients against the reference server. Each test skips, saying why, when its client is not
// installed.

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed: skipping the interop test with it", name)
	}
	return p
}

// python3 prefers Debian's interpreter, whose ftplib is the one users have.
func python3(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return needTool(t, "python3")
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return string(out)
}

func TestCurl(t *testing.T) {
	curl := needTool(t, "curl")
	srv := startTest(t)
	data := make([]byte, 3_000_000)
	rand.Read(data)
	src := filepath.Join(t.TempDir(), "src.bin")
	require.NoError(t, os.WriteFile(src, data, 0o644))
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"EPSV", nil},
		{"PASV", []string{"--disable-epsv"}},
		{"active", []string{"-P", "127.0.0.1"}},
		{"explicit TLS", []string{"--ssl-reqd", "-k"}},
		{"explicit TLS PASV", []string{"--ssl-reqd", "-k", "--disable-epsv"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(tc.name, " ", "-") + ".bin"
			url := srv.URL() + "/" + name
			run(t, curl, append([]string{"-sS", "-T", src, url}, tc.flags...)...)
			onDisk, err := os.ReadFile(filepath.Join(srv.Root(), name))
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, onDisk), "upload differs")
			dst := filepath.Join(t.TempDir(), "dst.bin")
			run(t, curl, append([]string{"-sS", "-o", dst, url}, tc.flags...)...)
			got, err := os.ReadFile(dst)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, got), "download differs")
		})
	}
	t.Run("listing and synthetic", func(t *testing.T) {
		out := run(t, curl, "-sS", "-l", srv.URL()+"/")
		assert.Contains(t, out, "EPSV.bin")
		dst := filepath.Join(t.TempDir(), "syn")
		run(t, curl, "-sS", "-o", dst, srv.URL()+"/synthetic/100000/curl-file")
		st, err := os.Stat(dst)
		require.NoError(t, err)
		assert.EqualValues(t, 100000, st.Size())
	})
	t.Run("implicit TLS", func(t *testing.T) {
		isrv := startTest(t, func(c *Config) { c.ImplicitTLSListen = "127.0.0.1:0" })
		require.NoError(t, os.WriteFile(filepath.Join(isrv.Root(), "i.bin"), data, 0o644))
		dst := filepath.Join(t.TempDir(), "i.bin")
		run(t, curl, "-sS", "-k", "-o", dst, "ftps://test:test@"+isrv.ImplicitTLSAddr()+"/i.bin")
		got, err := os.ReadFile(dst)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, got), "implicit TLS download differs")
	})
}

func TestPythonFtplib(t *testing.T) {
	py := python3(t)
	srv := startTest(t)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "hello.bin"), bytes.Repeat([]byte("x"), 5000), 0o644))
	host, port, _ := strings.Cut(srv.Addr(), ":")
	script := `
import ftplib, io, ssl, sys
host, port = sys.argv[1], int(sys.argv[2])

def check(f, tag):
    f.login("test", "test")
    names = {n: facts for n, facts in f.mlsd()}
    assert names["hello.bin"]["type"] == "file", names
    assert names["hello.bin"]["size"] == "5000", names
    f.sendcmd("TYPE I")
    assert f.size("hello.bin") == 5000
    buf = io.BytesIO(); f.retrbinary("RETR hello.bin", buf.write)
    assert buf.getvalue() == b"x" * 5000
    f.storbinary("STOR " + tag + ".bin", io.BytesIO(b"y" * 7000))
    assert f.size(tag + ".bin") == 7000
    assert tag + ".bin" in f.nlst()
    f.quit()

f = ftplib.FTP(); f.connect(host, port); check(f, "plain")   # ftplib uses PASV on IPv4

class ReusingFTP_TLS(ftplib.FTP_TLS):
    # Data connections resume the control connection's TLS session, as RFC 4217 §10 lets a
    # server demand (curl does this; stock ftplib does not).
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
        return conn, size

ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
f = ReusingFTP_TLS(context=ctx); f.connect(host, port); f.auth(); f.prot_p(); check(f, "tls")
print("ok")
`
	out := run(t, py, "-c", script, host, port)
	assert.Contains(t, out, "ok")
	for _, n := range []string{"plain.bin", "tls.bin"} {
		st, err := os.Stat(filepath.Join(srv.Root(), n))
		require.NoError(t, err, n)
		assert.EqualValues(t, 7000, st.Size(), n)
	}
}

func TestPythonFtplibEPSV(t *testing.T) {
	py := python3(t)
	srv := startTest(t)
	host, port, _ := strings.Cut(srv.Addr(), ":")
	script := `
import ftplib, sys
f = ftplib.FTP(); f.connect(sys.argv[1], int(sys.argv[2])); f.login("test", "test")
f.sendcmd("TYPE I")
# Force EPSV: ftplib uses it for IPv6 only, so call it directly.
resp = f.sendcmd("EPSV")
port = ftplib.parse229(resp, f.sock.getpeername())[1]
import socket
d = socket.create_connection((sys.argv[1], port))
f.putcmd("RETR /synthetic/12345/py")
assert f.getresp().startswith("150")
n = 0
while True:
    b = d.recv(65536)
    if not b: break
    n += len(b)
d.close()
assert f.getresp().startswith("226")
assert n == 12345, n
f.quit(); print("ok")
`
	assert.Contains(t, run(t, py, "-c", script, host, port), "ok")

	// Over IPv6 ftplib itself chooses EPSV.
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Logf("no IPv6 loopback: skipping ftplib over [::1] (%v)", err)
		return
	} else {
		ln.Close()
	}
	srv6 := startTest(t, func(c *Config) { c.Listen = "[::1]:0" })
	_, port6, _ := net.SplitHostPort(srv6.Addr())
	script6 := `
import ftplib, io, sys
f = ftplib.FTP(); f.connect("::1", int(sys.argv[1])); f.login("test", "test")
f.storbinary("STOR six.bin", io.BytesIO(b"6" * 1000))
buf = io.BytesIO(); f.retrbinary("RETR six.bin", buf.write)
assert buf.getvalue() == b"6" * 1000
assert [n for n, x in f.mlsd() if x["type"] == "file"] == ["six.bin"], list(f.mlsd())
f.quit(); print("ok6")
`
	assert.Contains(t, run(t, py, "-c", script6, port6), "ok6")
}

func TestPythonFtplibTLSWithoutReuse(t *testing.T) {
	py := python3(t)
	off := false
	for _, tc := range []struct {
		name    string
		require *bool
		want    string
	}{{"reuse required", nil, "522"}, {"reuse not required", &off, "ok"}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startTest(t, func(c *Config) { c.TLS.RequireSessionReuse = tc.require })
			host, port, _ := strings.Cut(srv.Addr(), ":")
			script := `
import ftplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
f = ftplib.FTP_TLS(context=ctx); f.connect(sys.argv[1], int(sys.argv[2])); f.auth(); f.login("test", "test"); f.prot_p()
try:
    f.nlst(); print("ok")
except ftplib.error_perm as e:
    print(str(e)[:3])
`
			assert.Contains(t, run(t, py, "-c", script, host, port), tc.want)
		})
	}
}

func TestLftp(t *testing.T) {
	lftp := needTool(t, "lftp")
	srv := startTest(t)
	data := make([]byte, 1_000_000)
	rand.Read(data)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "l.bin"), data, 0o644))
	for _, tc := range []struct{ name, settings string }{
		{"plain", "set ftp:ssl-allow no;"},
		{"TLS", "set ftp:ssl-force yes; set ftp:ssl-protect-data yes; set ssl:verify-certificate no;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "lftp-" + tc.name + ".bin"
			cmds := tc.settings + " set net:max-retries 1; set cmd:fail-exit yes; open -u test,test ftp://" + srv.Addr() +
				"; lcd " + dir + "; put l.bin -o " + name + "; get " + name + " -o " + name + ".back; cls -1; bye"
			out := run(t, lftp, "-c", cmds)
			assert.Contains(t, out, name)
			got, err := os.ReadFile(filepath.Join(dir, name+".back"))
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, got))
		})
	}
}
