package ftpwire

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reports"
)

// chunkConn is a net.Conn whose reads return the script a few bytes at a time, so replies arrive
// split at every possible place; writes are kept.
type chunkConn struct {
	r       io.Reader
	chunk   int
	written strings.Builder
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(p) > c.chunk {
		p = p[:c.chunk]
	}
	return c.r.Read(p)
}
func (c *chunkConn) Write(p []byte) (int, error)      { return c.written.Write(p) }
func (c *chunkConn) Close() error                     { return nil }
func (c *chunkConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *chunkConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 21} }
func (c *chunkConn) SetDeadline(time.Time) error      { return nil }
func (c *chunkConn) SetReadDeadline(time.Time) error  { return nil }
func (c *chunkConn) SetWriteDeadline(time.Time) error { return nil }

func scripted(script string, chunk int, opts Options) *Conn {
	return NewConn(&chunkConn{r: strings.NewReader(script), chunk: chunk}, opts)
}

func TestReadReply(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		code     int
		raw      string
		text     string
		problems []string
		err      error
	}{
		{"single", "220 ready\r\n", 220, "220 ready\r\n", "ready", nil, nil},
		{"multi", "211-Features:\r\n MDTM\r\n SIZE\r\n211 End\r\n", 211,
			"211-Features:\r\n MDTM\r\n SIZE\r\n211 End\r\n", "Features:\n MDTM\n SIZE\nEnd", nil, nil},
		{"multi with code-like middle lines", "230-Welcome\r\n230-more\r\n123 not the end\r\n230 done\r\n", 230,
			"230-Welcome\r\n230-more\r\n123 not the end\r\n230 done\r\n", "Welcome\n230-more\n123 not the end\ndone",
			[]string{ProblemOtherCodeLine}, nil},
		{"bare LF", "220 ready\n", 220, "220 ready\n", "ready", []string{ProblemBareLF}, nil},
		{"bare LF in multi", "211-a\r\n b\n211 end\r\n", 211, "211-a\r\n b\n211 end\r\n", "a\n b\nend", []string{ProblemBareLF}, nil},
		{"missing code", "hello\r\n", 0, "hello\r\n", "hello", []string{ProblemMissingCode}, nil},
		{"code without text", "200\r\n", 200, "200\r\n", "", []string{ProblemNoSeparator}, nil},
		{"code with odd separator", "200:ok\r\n", 200, "200:ok\r\n", ":ok", []string{ProblemNoSeparator}, nil},
		{"first digit out of range", "720 what\r\n", 720, "720 what\r\n", "what", []string{ProblemBadFirstDigit}, nil},
		{"final line without space", "211-a\r\n211\r\n", 211, "211-a\r\n211\r\n", "a\n", []string{ProblemFinalNoSpace}, nil},
		{"bare CR", "200 a\rb\r\n", 200, "200 a\rb\r\n", "a\rb", []string{ProblemBareCR}, nil},
		{"missing final line", "211-a\r\n b\r\n", 211, "211-a\r\n b\r\n", "a\n b", []string{ProblemUnterminated}, ErrUnterminated},
		{"wrong end code", "211-a\r\n212 end\r\n", 211, "211-a\r\n212 end\r\n", "a\n212 end",
			[]string{ProblemOtherCodeLine, ProblemUnterminated}, ErrUnterminated},
		{"no line end", "220 rea", 220, "220 rea", "rea", []string{ProblemUnterminated}, ErrUnterminated},
		{"nothing", "", 0, "", "", nil, io.EOF},
	}
	for _, tc := range tests {
		for _, chunk := range []int{1, 3, 4096} {
			t.Run(tc.name, func(t *testing.T) {
				c := scripted(tc.script, chunk, Options{})
				r, err := c.ReadReply(context.Background())
				if tc.err != nil {
					require.ErrorIs(t, err, tc.err)
				} else {
					require.NoError(t, err)
				}
				assert.Equal(t, tc.code, r.Code)
				assert.Equal(t, tc.raw, r.Raw)
				assert.Equal(t, tc.text, r.Text())
				assert.Equal(t, tc.problems, r.Problems)
			})
		}
	}
}

func TestReadReplyPipelined(t *testing.T) {
	c := scripted("150 opening\r\n226-done\r\n 1 file\r\n226 ok\r\n", 4096, Options{})
	r1, err := c.ReadReply(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 150, r1.Code)
	assert.Positive(t, c.Buffered(), "the second reply is already buffered")
	r2, err := c.ReadReply(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 226, r2.Code)
	assert.Equal(t, []string{"226-done", " 1 file", "226 ok"}, r2.Lines())
	assert.Zero(t, c.Buffered())
}

func TestReadReplyTooLong(t *testing.T) {
	long := "200-" + strings.Repeat("x", 5000) + "\r\n200 end\r\n"
	c := scripted(long, 512, Options{MaxReply: 4096})
	_, err := c.ReadReply(context.Background())
	require.ErrorIs(t, err, ErrReplyTooLong)

	// A reply larger than the initial buffer but within the limit is read whole.
	c = scripted(long, 512, Options{})
	r, err := c.ReadReply(context.Background())
	require.NoError(t, err)
	assert.Equal(t, long, r.Raw)
}

func TestCmdRecordsExactBytes(t *testing.T) {
	tr := NewTranscript()
	cc := &chunkConn{r: strings.NewReader("331 pass?\n230 in\r\n"), chunk: 4096}
	c := NewConn(cc, Options{Recorder: tr, Name: "ctrl2"})
	r, err := c.Cmd(context.Background(), "USER test")
	require.NoError(t, err)
	assert.Equal(t, 331, r.Code)
	assert.Equal(t, []string{ProblemBareLF}, r.Problems)
	require.NoError(t, c.SendRaw(context.Background(), []byte("PASS\xfftest\n")))
	_, err = c.ReadReply(context.Background())
	require.NoError(t, err)
	require.NoError(t, c.Close())
	assert.Equal(t, "USER test\r\nPASS\xfftest\n", cc.written.String())

	ev := tr.Events()
	require.Len(t, ev, 5)
	want := []struct {
		kind reports.EventKind
		data string
	}{{reports.Send, "USER test\r\n"}, {reports.Recv, "331 pass?\n"}, {reports.Send, "PASS\xfftest\n"}, {reports.Recv, "230 in\r\n"}, {reports.Close, ""}}
	for i, w := range want {
		assert.Equal(t, w.kind, ev[i].Kind, i)
		assert.Equal(t, w.data, string(ev[i].Data), i)
		assert.Equal(t, "ctrl2", ev[i].Conn)
		if i > 0 {
			assert.GreaterOrEqual(t, ev[i].AtMS, ev[i-1].AtMS)
		}
	}
}

func TestCmdRefusesLineBreaks(t *testing.T) {
	c := scripted("", 1, Options{})
	_, err := c.Cmd(context.Background(), "USER a\r\nPASS b")
	require.ErrorContains(t, err, "CR or LF")
	require.Error(t, c.Send(context.Background(), "NOOP\n"))
}

// server is a loopback listener whose handler scripts one control connection.
func server(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
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
			go func() { defer wg.Done(); defer c.Close(); handle(c) }()
		}
	}()
	return ln.Addr().String()
}

func TestDialAndDeadline(t *testing.T) {
	hold := make(chan struct{})
	addr := server(t, func(c net.Conn) {
		io.WriteString(c, "220 hi\r\n")
		<-hold // never answers a command
	})
	t.Cleanup(func() { close(hold) }) // before the server's cleanup waits for the handler
	c, greet, err := Dial(context.Background(), addr, Options{LocalAddr: netip.MustParseAddr("127.0.0.1")})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, 220, greet.Code)
	assert.Equal(t, netip.MustParseAddr("127.0.0.1"), c.LocalAddr().Addr())
	assert.Equal(t, addr, c.RemoteAddr().String())

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Cmd(ctx, "NOOP")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestCancelInterruptsRead(t *testing.T) {
	hold := make(chan struct{})
	addr := server(t, func(c net.Conn) { io.WriteString(c, "220 hi\r\n"); <-hold })
	t.Cleanup(func() { close(hold) })
	c, _, err := Dial(context.Background(), addr, Options{})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	_, err = c.Cmd(ctx, "NOOP")
	require.ErrorIs(t, err, context.Canceled)
}

func TestOptionsTimeout(t *testing.T) {
	hold := make(chan struct{})
	addr := server(t, func(c net.Conn) { <-hold }) // no greeting at all
	t.Cleanup(func() { close(hold) })
	_, _, err := Dial(context.Background(), addr, Options{Timeout: 50 * time.Millisecond})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestDialUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	_, _, err = Dial(context.Background(), addr, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), addr)
}

func TestDialDataFromForeignAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	peer := make(chan netip.Addr, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		peer <- addrPort(c.RemoteAddr()).Addr()
		c.Close()
	}()
	ap := netip.MustParseAddrPort(ln.Addr().String())
	dc, err := DialData(context.Background(), ap, netip.MustParseAddr("127.0.0.2"))
	require.NoError(t, err)
	dc.Close()
	assert.Equal(t, netip.MustParseAddr("127.0.0.2"), <-peer)
}

func selfSigned(t testing.TB) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestStartTLSAndCCC(t *testing.T) {
	cfg := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	addr := server(t, func(c net.Conn) {
		io.WriteString(c, "220 hi\r\n")
		br := bufio.NewReader(c)
		if l, _ := br.ReadString('\n'); l != "AUTH TLS\r\n" {
			return
		}
		io.WriteString(c, "234 go\r\n")
		tc := tls.Server(c, cfg)
		tr := bufio.NewReader(tc)
		if l, _ := tr.ReadString('\n'); l != "CCC\r\n" {
			return
		}
		io.WriteString(tc, "200 clear\r\n")
		// Wait for the client's close_notify, answer with ours, continue in the clear.
		var b [1]byte
		if _, err := tc.Read(b[:]); err != io.EOF {
			return
		}
		tc.CloseWrite()
		c.SetWriteDeadline(time.Time{}) // tls.Conn.CloseWrite leaves the TCP write deadline at now
		if l, _ := bufio.NewReader(c).ReadString('\n'); l == "NOOP\r\n" {
			io.WriteString(c, "200 plain\r\n")
		}
	})
	tr := NewTranscript()
	c, _, err := Dial(context.Background(), addr, Options{Recorder: tr})
	require.NoError(t, err)
	defer c.Close()
	r, err := c.Cmd(context.Background(), "AUTH TLS")
	require.NoError(t, err)
	require.Equal(t, 234, r.Code)
	require.NoError(t, c.StartTLS(context.Background(), &tls.Config{InsecureSkipVerify: true}))
	st, ok := c.TLSState()
	require.True(t, ok)
	assert.True(t, st.HandshakeComplete)
	r, err = c.Cmd(context.Background(), "CCC")
	require.NoError(t, err)
	require.Equal(t, 200, r.Code)
	require.NoError(t, c.DropTLS(context.Background()))
	_, ok = c.TLSState()
	assert.False(t, ok)
	r, err = c.Cmd(context.Background(), "NOOP")
	require.NoError(t, err)
	assert.Equal(t, "plain", r.Text())
	var notes []string
	for _, e := range tr.Events() {
		if e.Kind == reports.Note {
			notes = append(notes, e.Detail)
		}
	}
	require.Len(t, notes, 2)
	assert.Contains(t, notes[0], "TLS established")
}

func TestStartTLSRefusesBufferedBytes(t *testing.T) {
	c := scripted("234 go\r\n220 injected\r\n", 4096, Options{})
	_, err := c.ReadReply(context.Background())
	require.NoError(t, err)
	require.ErrorIs(t, c.StartTLS(context.Background(), &tls.Config{}), ErrBufferedBeforeTLS)
}

func TestImplicitTLS(t *testing.T) {
	cfg := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	addr := server(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		io.WriteString(tc, "220 secure\r\n")
		tc.Close()
	})
	c, r, err := Dial(context.Background(), addr, Options{TLS: &tls.Config{InsecureSkipVerify: true}})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, "secure", r.Text())
	_, ok := c.TLSState()
	assert.True(t, ok)
}

func TestParseReplyMatchesConn(t *testing.T) {
	in := []byte("211-a\r\n b\r\n211 c\r\n200 next\r\n")
	r, n, ok := ParseReply(in)
	require.True(t, ok)
	assert.Equal(t, 18, n)
	assert.Equal(t, 211, r.Code)
	_, _, ok = ParseReply([]byte("211-a\r\n"))
	assert.False(t, ok)
	assert.True(t, errors.Is(ErrUnterminated, ErrUnterminated))
}

// A context that ends after its operation must not poison the next one: Dial's own timeout
// context ends when Dial returns, and a session may use one context per command.
func TestEndedContextDoesNotPoisonNextOp(t *testing.T) {
	addr := server(t, func(c net.Conn) {
		io.WriteString(c, "220 hi\r\n")
		br := bufio.NewReader(c)
		for {
			if _, err := br.ReadString('\n'); err != nil {
				return
			}
			io.WriteString(c, "200 ok\r\n")
		}
	})
	c, _, err := Dial(context.Background(), addr, Options{Timeout: 5 * time.Second})
	require.NoError(t, err)
	defer c.Close()
	for i := 0; i < 50; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r, err := c.Cmd(ctx, "NOOP")
		cancel()
		require.NoError(t, err, "command %d", i)
		require.Equal(t, 200, r.Code)
	}
}

// TestWaiting: bytes the server sent without being asked are seen before the next command, and
// a quiet connection is reported quiet without losing a later reply.
func TestWaiting(t *testing.T) {
	addr := server(t, func(c net.Conn) {
		io.WriteString(c, "220 hi\r\n")
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch strings.TrimSpace(line) {
			case "PASV":
				io.WriteString(c, "227 Entering Passive Mode (127,0,0,1,4,1)\r\n")
				time.Sleep(20 * time.Millisecond)
				io.WriteString(c, "425 unsolicited\r\n")
			default:
				io.WriteString(c, "200 ok\r\n")
			}
		}
	})
	ctx := context.Background()
	c, _, err := Dial(ctx, addr, Options{})
	require.NoError(t, err)
	defer c.Close()
	r, err := c.Cmd(ctx, "NOOP")
	require.NoError(t, err)
	require.Equal(t, 200, r.Code)
	waiting, err := c.Waiting(ctx, 50*time.Millisecond)
	require.NoError(t, err)
	assert.False(t, waiting, "nothing was sent after the reply")

	r, err = c.Cmd(ctx, "PASV")
	require.NoError(t, err)
	require.Equal(t, 227, r.Code)
	time.Sleep(100 * time.Millisecond)
	waiting, err = c.Waiting(ctx, 2*time.Millisecond)
	require.NoError(t, err)
	require.True(t, waiting)
	r, err = c.ReadReply(ctx)
	require.NoError(t, err)
	assert.Equal(t, 425, r.Code)
	r, err = c.Cmd(ctx, "NOOP")
	require.NoError(t, err)
	assert.Equal(t, 200, r.Code, "the next command is paired with its own reply")
}
