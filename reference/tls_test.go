package reference

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientTLS is a client configuration that resumes sessions, as a data connection must.
func clientTLS() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true, ServerName: "127.0.0.1", ClientSessionCache: tls.NewLRUClientSessionCache(8)}
}

// startTLSCtl runs AUTH TLS on c and switches it to TLS.
func startTLSCtl(t *testing.T, c *ctl, cfg *tls.Config) {
	t.Helper()
	c.expect(234, "AUTH TLS")
	tc := tls.Client(c.c, cfg)
	require.NoError(t, tc.Handshake())
	c.c = tc
	c.r = bufio.NewReader(tc)
	c.tls = cfg
}

func TestExplicitTLS(t *testing.T) {
	srv := startTest(t)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "secret.txt"), []byte("protected"), 0o644))
	c := dialCtl(t, srv.Addr())
	c.expect(503, "PBSZ 0")
	startTLSCtl(t, c, clientTLS())
	state := c.c.(*tls.Conn).ConnectionState()
	assert.GreaterOrEqual(t, state.Version, uint16(tls.VersionTLS12))
	c.expect(503, "PROT P") // PBSZ first (RFC 4217 §9)
	c.expect(200, "PBSZ 0")
	c.expect(536, "PROT S")
	c.expect(504, "PROT X")
	c.expect(200, "PROT P")
	c.login("test", "test")
	c.expect(503, "AUTH TLS")
	c.expect(534, "CCC")
	assert.Equal(t, "protected", string(c.retr("secret.txt")))
	c.stor("STOR", "up.txt", []byte("uploaded over TLS"))
	got, err := os.ReadFile(filepath.Join(srv.Root(), "up.txt"))
	require.NoError(t, err)
	assert.Equal(t, "uploaded over TLS", string(got))
	assert.Contains(t, c.list("NLST"), "up.txt")
	_, text := c.cmd("STAT")
	assert.Contains(t, text, "data protection: Private")
	c.expect(200, "PROT C")
	c.tls = nil
	assert.Equal(t, "protected", string(c.retr("secret.txt")), "PROT C: clear data connections")
}

// TestTLSDataMustResume: under PROT P a data connection that does not resume the control
// connection's TLS session (a stranger, or a client without a session cache) is refused with 522
// after 150 (RFC 4217 §10), unless the policy is switched off.
func TestTLSDataMustResume(t *testing.T) {
	off := false
	for _, tc := range []struct {
		name    string
		require *bool
		other   func(own *tls.Config) *tls.Config
		want    int
	}{
		{"resumed", nil, func(own *tls.Config) *tls.Config { return own }, 226},
		{"fresh handshake refused", nil, func(*tls.Config) *tls.Config { return &tls.Config{InsecureSkipVerify: true} }, 522},
		{"another session's ticket refused", nil, nil, 522},
		{"policy off", &off, func(*tls.Config) *tls.Config { return &tls.Config{InsecureSkipVerify: true} }, 226},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startTest(t, func(c *Config) { c.TLS.RequireSessionReuse = tc.require })
			c := dialCtl(t, srv.Addr())
			own := clientTLS()
			startTLSCtl(t, c, own)
			c.expect(200, "PBSZ 0")
			c.expect(200, "PROT P")
			c.login("test", "test")
			c.expect(200, "NOOP") // lets the TLS 1.3 session ticket arrive
			dataCfg := own
			if tc.other != nil {
				dataCfg = tc.other(own)
			} else {
				// A second session of the same server, whose ticket the client then tries on the
				// first session's data connection.
				c2 := dialCtl(t, srv.Addr())
				other := clientTLS()
				startTLSCtl(t, c2, other)
				c2.expect(200, "NOOP")
				other.ServerName = own.ServerName
				dataCfg = other
			}
			_, port := c.pasv()
			raw, err := net.Dial("tcp", c.dataAddr(port))
			require.NoError(t, err)
			defer raw.Close()
			c.expect(150, "RETR /synthetic/1000/x")
			d := tls.Client(raw, dataCfg)
			d.SetDeadline(time.Now().Add(5 * time.Second))
			if herr := d.Handshake(); herr == nil {
				io.Copy(io.Discard, d)
			}
			code, text := c.read()
			assert.Equal(t, tc.want, code, text)
		})
	}
}

// TestAUTHDiscardsPlaintext: commands sent in the clear behind AUTH TLS, before the handshake,
// must not run as if they were protected (the STARTTLS command injection, CVE-2011-0411).
func TestAUTHDiscardsPlaintext(t *testing.T) {
	srv := startTest(t)
	c := dialCtl(t, srv.Addr())
	_, err := io.WriteString(c.c, "AUTH TLS\r\nUSER injected\r\n")
	require.NoError(t, err)
	code, _ := c.read()
	require.Equal(t, 234, code)
	tc := tls.Client(c.c, clientTLS())
	require.NoError(t, tc.Handshake())
	c.c, c.r = tc, bufio.NewReader(tc)
	c.expect(200, "NOOP") // the first reply under TLS answers NOOP, not the injected USER
	c.expect(503, "PASS x")
}

func TestAUTHResetsSession(t *testing.T) {
	srv := startTest(t)
	c := dialCtl(t, srv.Addr())
	c.login("test", "test")
	c.expect(200, "TYPE A")
	startTLSCtl(t, c, clientTLS())
	c.expect(530, "PWD") // RFC 4217 §4: log in again after AUTH
}

func TestImplicitTLS(t *testing.T) {
	srv := startTest(t, func(c *Config) { c.ImplicitTLSListen = "127.0.0.1:0" })
	require.NotEmpty(t, srv.ImplicitTLSAddr())
	cfg := clientTLS()
	conn, err := tls.Dial("tcp", srv.ImplicitTLSAddr(), cfg)
	require.NoError(t, err)
	defer conn.Close()
	c := &ctl{t: t, addr: srv.ImplicitTLSAddr(), c: conn, r: bufio.NewReader(conn), tls: cfg}
	code, _ := c.read()
	require.Equal(t, 220, code)
	c.login("test", "test")
	// Implicit sessions protect data connections from the start.
	assert.Len(t, c.retr("/synthetic/5000/i"), 5000)
	// A plain client on the implicit port gets nothing it can use, and no hang.
	raw, err := net.Dial("tcp", srv.ImplicitTLSAddr())
	require.NoError(t, err)
	defer raw.Close()
	raw.Write([]byte("USER test\r\n"))
	raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(raw)
	assert.NotContains(t, string(b), "331")
}

func TestTLSDisabled(t *testing.T) {
	_, err := New(Config{TLS: TLSConfig{Disable: true}, ImplicitTLSListen: "127.0.0.1:0"})
	assert.Error(t, err, "an implicit TLS listener needs TLS")
}

func TestTLSCertificateFiles(t *testing.T) {
	cert, err := selfSignedCert()
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	writePEM(t, certFile, keyFile, cert)
	srv := startTest(t, func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile = certFile, keyFile })
	c := dialCtl(t, srv.Addr())
	startTLSCtl(t, c, clientTLS())
	peer := c.c.(*tls.Conn).ConnectionState().PeerCertificates[0]
	assert.Equal(t, cert.Leaf.SerialNumber, peer.SerialNumber, "the configured certificate is served")
	_, err = New(Config{TLS: TLSConfig{CertFile: certFile, KeyFile: certFile}})
	assert.Error(t, err)
}

func writePEM(t *testing.T, certFile, keyFile string, cert tls.Certificate) {
	t.Helper()
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600))
}

// TestREINClearsTLS: RFC 4217 §13 — REIN's reply comes protected, then both sides close TLS and the
// session continues in the clear, logged out.
func TestREINClearsTLS(t *testing.T) {
	srv := startTest(t)
	c := dialCtl(t, srv.Addr())
	raw := c.c
	startTLSCtl(t, c, clientTLS())
	c.login("test", "test")
	c.expect(220, "REIN")
	tc := c.c.(*tls.Conn)
	tc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, tc) // the server's close_notify
	require.NoError(t, err)
	require.NoError(t, tc.CloseWrite())
	c.c, c.r, c.tls = raw, bufio.NewReader(raw), nil
	c.expect(530, "PWD")
	c.login("test", "test")
	c.expect(257, "PWD")
	_, text := c.cmd("STAT")
	assert.NotContains(t, text, "TLS")
}

func TestRecordConnStopsAtRecordEnd(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		// Two records (one empty) and plaintext after them, in one write.
		b.Write([]byte("\x17\x03\x03\x00\x03abc\x15\x03\x03\x00\x00PLAIN"))
	}()
	r := &recordConn{Conn: a}
	var got []byte
	buf := make([]byte, 64)
	for len(got) < 13 {
		n, err := r.Read(buf)
		require.NoError(t, err)
		require.LessOrEqual(t, n, 5, "never more than a header or the rest of a body at once")
		got = append(got, buf[:n]...)
	}
	assert.Equal(t, "\x17\x03\x03\x00\x03abc\x15\x03\x03\x00\x00", string(got))
	rest := make([]byte, 5)
	_, err := io.ReadFull(a, rest)
	require.NoError(t, err)
	assert.Equal(t, "PLAIN", string(rest), "bytes after the last record stay in the connection")
}
