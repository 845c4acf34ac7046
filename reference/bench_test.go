package reference

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Benchmarks of the per-command and per-transfer hot paths, over loopback against a server in
// this process (allocs/op therefore count both sides; the client side here allocates almost
// nothing). Run: go test -run '^$' -bench . -benchmem ./reference

// benchCtl is a client that allocates nothing per command.
type benchCtl struct {
	c   net.Conn
	r   *bufio.Reader
	buf []byte
}

func newBenchCtl(b *testing.B, srv *Server) *benchCtl {
	b.Helper()
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	bc := &benchCtl{c: c, r: bufio.NewReader(c)}
	bc.reply(b, 220)
	bc.cmd(b, "USER test\r\n", 331)
	bc.cmd(b, "PASS test\r\n", 230)
	bc.cmd(b, "TYPE I\r\n", 200)
	return bc
}

// reply reads one single-line reply and checks its code.
func (bc *benchCtl) reply(b *testing.B, want int) []byte {
	line, err := bc.r.ReadSlice('\n')
	if err != nil {
		b.Fatal(err)
	}
	if len(line) < 4 || int(line[0]-'0')*100+int(line[1]-'0')*10+int(line[2]-'0') != want {
		b.Fatalf("got %q, want %d", line, want)
	}
	return line
}

func (bc *benchCtl) cmd(b *testing.B, line string, want int) []byte {
	if _, err := io.WriteString(bc.c, line); err != nil {
		b.Fatal(err)
	}
	return bc.reply(b, want)
}

// epsvPort parses "229 ... (|||port|)".
func epsvPort(line []byte) int {
	i := bytes.Index(line, []byte("(|||"))
	j := bytes.LastIndex(line, []byte("|)"))
	p, _ := strconv.Atoi(string(line[i+4 : j]))
	return p
}

func benchServer(b *testing.B) *Server {
	return Start(b, Config{PasvPorts: PortRange{20000, 29999}, Timeouts: Timeouts{Idle: time.Hour}})
}

// BenchmarkNOOP is one command round trip: read, parse, dispatch, reply.
func BenchmarkNOOP(b *testing.B) {
	bc := newBenchCtl(b, benchServer(b))
	b.ReportAllocs()
	for b.Loop() {
		bc.cmd(b, "NOOP\r\n", 200)
	}
}

// BenchmarkSIZE is a command that resolves a path and stats a file.
func BenchmarkSIZE(b *testing.B) {
	srv := benchServer(b)
	if err := os.WriteFile(filepath.Join(srv.Root(), "f"), []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	bc := newBenchCtl(b, srv)
	b.ReportAllocs()
	for b.Loop() {
		bc.cmd(b, "SIZE f\r\n", 213)
	}
}

// BenchmarkEPSV allocates a passive port, binds a listener, and (at the next EPSV) releases it.
func BenchmarkEPSV(b *testing.B) {
	bc := newBenchCtl(b, benchServer(b))
	b.ReportAllocs()
	for b.Loop() {
		bc.cmd(b, "EPSV\r\n", 229)
	}
}

// BenchmarkLogin is a whole session: connect, greeting, USER, PASS, QUIT.
func BenchmarkLogin(b *testing.B) {
	srv := benchServer(b)
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			b.Fatal(err)
		}
		bc := &benchCtl{c: c, r: bufio.NewReaderSize(c, 512)}
		bc.reply(b, 220)
		bc.cmd(b, "USER test\r\n", 331)
		bc.cmd(b, "PASS test\r\n", 230)
		bc.cmd(b, "QUIT\r\n", 221)
		c.Close()
	}
}

// benchRETR runs EPSV, connect, RETR name, read everything, 226 — the load test's unit of work.
func benchRETR(b *testing.B, srv *Server, name string, size int64) {
	bc := newBenchCtl(b, srv)
	buf := make([]byte, 256<<10)
	retr := "RETR " + name + "\r\n"
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		port := epsvPort(bc.cmd(b, "EPSV\r\n", 229))
		d, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			b.Fatal(err)
		}
		bc.cmd(b, retr, 150)
		var n int64
		for {
			k, err := d.Read(buf)
			n += int64(k)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		d.Close()
		bc.reply(b, 226)
		if n != size {
			b.Fatalf("got %d bytes, want %d", n, size)
		}
	}
}

func BenchmarkRETRSynthetic64K(b *testing.B) {
	benchRETR(b, benchServer(b), "/synthetic/65536/bench", 65536)
}

func BenchmarkRETRSynthetic16M(b *testing.B) {
	benchRETR(b, benchServer(b), "/synthetic/16777216/bench", 16<<20)
}

func BenchmarkRETRDisk64K(b *testing.B) {
	srv := benchServer(b)
	writeRandom(b, filepath.Join(srv.Root(), "f"), 65536)
	benchRETR(b, srv, "f", 65536)
}

// BenchmarkRETRDisk64M exercises the sendfile path.
func BenchmarkRETRDisk64M(b *testing.B) {
	srv := benchServer(b)
	writeRandom(b, filepath.Join(srv.Root(), "f"), 64<<20)
	benchRETR(b, srv, "f", 64<<20)
}

// BenchmarkSTOR64M exercises the splice path and the atomic rename.
func BenchmarkSTOR64M(b *testing.B) { benchSTOR(b, 64<<20) }

func BenchmarkSTOR64K(b *testing.B) { benchSTOR(b, 65536) }

func benchSTOR(b *testing.B, size int) {
	srv := benchServer(b)
	bc := newBenchCtl(b, srv)
	data := make([]byte, size)
	rand.Read(data)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		port := epsvPort(bc.cmd(b, "EPSV\r\n", 229))
		d, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			b.Fatal(err)
		}
		bc.cmd(b, "STOR up.bin\r\n", 150)
		if _, err := d.Write(data); err != nil {
			b.Fatal(err)
		}
		d.Close()
		bc.reply(b, 226)
	}
}

func writeRandom(b *testing.B, path string, size int) {
	data := make([]byte, size)
	rand.Read(data)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReadCommand is the parsing hot path without the network.
func BenchmarkReadCommand(b *testing.B) {
	lines := bytes.Repeat([]byte("RETR /synthetic/65536/s0001-t00\r\n"), 1024)
	r := bytes.NewReader(lines)
	lr := newLineReader(r, defaultMaxLine)
	b.ReportAllocs()
	for b.Loop() {
		line, err := lr.readLine()
		if err == io.EOF {
			r.Reset(lines)
			continue
		}
		if _, _, ok := parseCommand(line); !ok {
			b.Fatal("parse")
		}
	}
}
