package loadgen

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/payload"
	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reference"
)

// BenchmarkReceive measures the download hot path alone: read into the session's buffer and
// verify in place, over loopback TCP from a sender that streams the synthetic file. allocs/op
// must stay flat (a few per transfer, none per chunk) however large the transfer.
func BenchmarkReceive(b *testing.B) {
	for _, size := range []int64{64 << 10, 16 << 20} {
		b.Run(FormatSize(size), func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(b, err)
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					_, _ = io.Copy(c, payload.NewReader("bench", size))
					_ = c.Close()
				}
			}()
			buf := make([]byte, 256<<10)
			v := payload.NewVerifier("bench", 0, size, nil)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				c, err := net.Dial("tcp", ln.Addr().String())
				require.NoError(b, err)
				v.Reset("bench", 0, size)
				var first time.Time
				n, err := receive(c, buf, v, newDeadlines(c, 10*time.Second), &first)
				_ = c.Close()
				if err != nil || n != size || !v.Result().OK() {
					b.Fatalf("n=%d err=%v result=%+v", n, err, v.Result())
				}
			}
		})
	}
}

// BenchmarkTransfer measures one whole verified transfer (EPSV, connect, RETR, verify, record)
// on a logged-in session against the reference server.
func BenchmarkTransfer(b *testing.B) {
	srv := reference.Start(b, reference.Config{PasvPorts: reference.PortRange{Lo: 26000, Hi: 26999}})
	sc := scenario(1, 1, 64<<10)
	ctx := context.Background()
	r := &runner{sc: &sc, t0: time.Now(), obs: nopObserver{}}
	var err error
	r.tgt, err = target.Parse(srv.URL())
	require.NoError(b, err)
	r.plan = newPlan(&sc, 1, true, "w")
	r.results = make(chan result, 1)
	s := &session{r: r, mode: ModeEPSV, buf: make([]byte, 256<<10), v: payload.NewVerifier("", 0, 0, r.plan.catalog)}
	require.NoError(b, s.connect(ctx))
	defer s.quit(ctx)
	b.SetBytes(64 << 10)
	b.ReportAllocs()
	for b.Loop() {
		x := s.newTransfer(0)
		s.prepare(ctx, x)
		s.open(ctx, x)
		s.move(ctx, x)
		s.finish(ctx, x)
		res := <-r.results
		if !res.ok {
			b.Fatalf("%+v", res.rec)
		}
	}
}
