package reference

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ctl is a minimal raw control-connection client for tests: it sends exact lines and returns
// reply codes and full reply text, so tests see what a client sees.
type ctl struct {
	t    testing.TB
	addr string
	c    net.Conn
	r    *bufio.Reader
	tls  *tls.Config // set after AUTH TLS; data connections reuse it
}

func dialCtl(t testing.TB, addr string) *ctl {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	cl := &ctl{t: t, addr: addr, c: c, r: bufio.NewReader(c)}
	code, text := cl.read()
	require.Equal(t, 220, code, "greeting: %s", text)
	return cl
}

// read reads one reply (RFC 959 §4.2, multi-line aware).
func (c *ctl) read() (int, string) {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := c.r.ReadString('\n')
	require.NoError(c.t, err, "reading reply")
	require.True(c.t, strings.HasSuffix(line, "\r\n"), "reply line without CRLF: %q", line)
	require.GreaterOrEqual(c.t, len(line), 5, "short reply %q", line)
	code, err := strconv.Atoi(line[:3])
	require.NoError(c.t, err, "reply %q", line)
	text := line
	if line[3] == '-' {
		for {
			l, err := c.r.ReadString('\n')
			require.NoError(c.t, err, "reading multi-line reply")
			text += l
			if strings.HasPrefix(l, line[:3]+" ") {
				break
			}
		}
	}
	return code, text
}

func (c *ctl) send(line string) {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := io.WriteString(c.c, line+"\r\n")
	require.NoError(c.t, err)
}

func (c *ctl) cmd(format string, args ...any) (int, string) {
	c.t.Helper()
	c.send(fmt.Sprintf(format, args...))
	return c.read()
}

// expect sends a command and requires the reply code.
func (c *ctl) expect(want int, format string, args ...any) string {
	c.t.Helper()
	line := fmt.Sprintf(format, args...)
	code, text := c.cmd("%s", line)
	require.Equal(c.t, want, code, "%s -> %s", line, text)
	return text
}

func (c *ctl) login(user, pass string) {
	c.t.Helper()
	c.expect(331, "USER %s", user)
	c.expect(230, "PASS %s", pass)
}

var pasvRE = regexp.MustCompile(`\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)`)
var epsvRE = regexp.MustCompile(`\(\|\|\|(\d+)\|\)`)

// pasv sends PASV and returns the host and port of the 227 reply.
func (c *ctl) pasv() (string, int) {
	c.t.Helper()
	text := c.expect(227, "PASV")
	m := pasvRE.FindStringSubmatch(text)
	require.NotNil(c.t, m, "227 without h1,h2,h3,h4,p1,p2: %s", text)
	p1, _ := strconv.Atoi(m[5])
	p2, _ := strconv.Atoi(m[6])
	return strings.Join(m[1:5], "."), p1*256 + p2
}

func (c *ctl) epsv() int {
	c.t.Helper()
	text := c.expect(229, "EPSV")
	m := epsvRE.FindStringSubmatch(text)
	require.NotNil(c.t, m, "229 without (|||port|): %s", text)
	p, _ := strconv.Atoi(m[1])
	return p
}

// dataAddr is the control connection's host with the given port.
func (c *ctl) dataAddr(port int) string {
	host, _, _ := net.SplitHostPort(c.addr)
	return net.JoinHostPort(host, strconv.Itoa(port))
}

func (c *ctl) dialData(port int) net.Conn {
	c.t.Helper()
	d, err := net.DialTimeout("tcp", c.dataAddr(port), 5*time.Second)
	require.NoError(c.t, err)
	c.t.Cleanup(func() { d.Close() })
	if c.tls != nil {
		tc := tls.Client(d, c.tls)
		return tc
	}
	return d
}

// retr downloads name over PASV and requires 150 ... 226.
func (c *ctl) retr(name string) []byte {
	c.t.Helper()
	_, port := c.pasv()
	d := c.dialData(port)
	c.expect(150, "RETR %s", name)
	d.SetReadDeadline(time.Now().Add(20 * time.Second))
	got, err := io.ReadAll(d)
	require.NoError(c.t, err)
	d.Close()
	code, text := c.read()
	require.Equal(c.t, 226, code, "after RETR %s: %s", name, text)
	return got
}

// stor uploads data to name over EPSV and requires 150 ... 226.
func (c *ctl) stor(verb, name string, data []byte) string {
	c.t.Helper()
	port := c.epsv()
	d := c.dialData(port)
	text := c.expect(150, "%s %s", verb, name)
	d.SetWriteDeadline(time.Now().Add(20 * time.Second))
	_, err := d.Write(data)
	require.NoError(c.t, err)
	require.NoError(c.t, d.Close())
	code, end := c.read()
	require.Equal(c.t, 226, code, "after %s %s: %s", verb, name, end)
	return text
}

// list runs a listing command over PASV and returns the data.
func (c *ctl) list(cmd string) string {
	c.t.Helper()
	_, port := c.pasv()
	d := c.dialData(port)
	c.expect(150, "%s", cmd)
	got, err := io.ReadAll(d)
	require.NoError(c.t, err)
	d.Close()
	code, text := c.read()
	require.Equal(c.t, 226, code, "after %s: %s", cmd, text)
	return string(got)
}

// testConfig is a Config for tests: a passive range outside the ephemeral range (shared by
// parallel tests: ports are chosen at random and a taken one is skipped), no login delay.
func testConfig() Config {
	return Config{
		PasvPorts: PortRange{20000, 29999},
		Limits:    Limits{LoginFailDelay: -1},
	}
}

func startTest(t testing.TB, mod ...func(*Config)) *Server {
	t.Helper()
	cfg := testConfig()
	for _, m := range mod {
		m(&cfg)
	}
	return Start(t, cfg)
}

func loggedIn(t testing.TB, srv *Server) *ctl {
	t.Helper()
	c := dialCtl(t, srv.Addr())
	c.login("test", "test")
	c.expect(200, "TYPE I")
	return c
}
