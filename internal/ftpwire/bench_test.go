package ftpwire

import (
	"bufio"
	"context"
	"io"
	"net"
	"testing"
)

// BenchmarkCmd measures one command round trip over loopback TCP without a recorder: the load
// generator's hot path. allocs/op should stay at 1 (the reply's Raw string).
func BenchmarkCmd(b *testing.B) {
	addr := server(b, func(c net.Conn) {
		io.WriteString(c, "220 bench\r\n")
		br := bufio.NewReader(c)
		reply := []byte("200 NOOP ok\r\n")
		for {
			if _, err := br.ReadSlice('\n'); err != nil {
				return
			}
			if _, err := c.Write(reply); err != nil {
				return
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _, err := Dial(ctx, addr, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportAllocs()
	for b.Loop() {
		r, err := c.Cmd(ctx, "NOOP")
		if err != nil || r.Code != 200 {
			b.Fatal(r, err)
		}
	}
}

// BenchmarkParsePASV measures the 227 scan.
func BenchmarkParsePASV(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePASV("Entering Passive Mode (127,0,0,1,117,48)."); err != nil {
			b.Fatal(err)
		}
	}
}
