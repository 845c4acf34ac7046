//go:build stress

package reference

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/payload"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// TestStress is the reference's side of the load checks, without loadgen. It opens
// FTPSPEC_STRESS_SESSIONS sessions (default 6000) to the server at FTPSPEC_STRESS_ADDR, run in
// another process (the file descriptors of both sides do not fit one process). Then, for each of
// FTPSPEC_STRESS_TRANSFERS rounds (default 1): every session sends PASV, all data connections open
// in shuffled order, and every session RETRs its own synthetic file of FTPSPEC_STRESS_SIZE bytes
// (default 16384), whose every byte is verified. It logs transfers/s and latency percentiles
// (PASV to 226), and fails on any wrong byte, misroute or reply.
//
//	ftpspec serve --listen 127.0.0.1:2121 --pasv-ports 20000-29999 &
//	FTPSPEC_STRESS_ADDR=127.0.0.1:2121 go test -tags stress -run TestStress -v ./reference
func TestStress(t *testing.T) {
	addr := os.Getenv("FTPSPEC_STRESS_ADDR")
	if addr == "" {
		t.Skip("FTPSPEC_STRESS_ADDR not set")
	}
	n := envInt("FTPSPEC_STRESS_SESSIONS", 6000)
	rounds := envInt("FTPSPEC_STRESS_TRANSFERS", 1)
	size := int64(envInt("FTPSPEC_STRESS_SIZE", 16384))
	type sess struct {
		c     net.Conn
		r     *bufio.Reader
		port  int
		d     net.Conn
		name  string
		start time.Time
	}
	read := func(s *sess) string {
		s.c.SetReadDeadline(time.Now().Add(60 * time.Second))
		l, err := s.r.ReadString('\n')
		require.NoError(t, err)
		return l
	}
	cmd := func(s *sess, line string) string {
		fmt.Fprintf(s.c, "%s\r\n", line)
		return read(s)
	}
	parallel := func(f func(i int)) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 100)
		for i := range n {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				f(i)
			}()
		}
		wg.Wait()
	}
	ss := make([]*sess, n)
	begin := time.Now()
	parallel(func(i int) {
		c, err := net.DialTimeout("tcp", addr, 30*time.Second)
		require.NoError(t, err)
		s := &sess{c: c, r: bufio.NewReaderSize(c, 512)}
		read(s)
		cmd(s, "USER test")
		require.Equal(t, "230", cmd(s, "PASS test")[:3])
		ss[i] = s
	})
	t.Logf("%d sessions logged in after %v", n, time.Since(begin))
	host, _, _ := net.SplitHostPort(addr)
	var (
		mu              sync.Mutex
		bad, misrouted  int
		latencies       []time.Duration
		transferStarted = time.Now()
	)
	for round := range rounds {
		cat := payload.Catalog{}
		for i, s := range ss {
			s.name = fmt.Sprintf("s%05d-t%02d", i, round)
			cat.Add(s.name)
		}
		parallel(func(i int) {
			s := ss[i]
			s.start = time.Now()
			l := cmd(s, "PASV")
			m := pasvRE.FindStringSubmatch(l)
			require.NotNil(t, m, l)
			p1, _ := strconv.Atoi(m[5])
			p2, _ := strconv.Atoi(m[6])
			s.port = p1*256 + p2
		})
		ports := map[int]bool{}
		for _, s := range ss {
			require.False(t, ports[s.port], "port %d handed out twice while pending", s.port)
			ports[s.port] = true
		}
		for _, i := range rand.Perm(n) {
			d, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(ss[i].port)), 30*time.Second)
			require.NoError(t, err)
			ss[i].d = d
		}
		parallel(func(i int) {
			s := ss[i]
			fmt.Fprintf(s.c, "RETR /synthetic/%d/%s\r\n", size, s.name)
			s.d.SetReadDeadline(time.Now().Add(60 * time.Second))
			v := payload.NewVerifier(s.name, 0, size, cat)
			io.Copy(v, s.d)
			s.d.Close()
			l1, l2 := read(s), read(s)
			r := v.Result()
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, time.Since(s.start))
			if r.Misrouted(s.name) {
				misrouted++
			}
			if !r.OK() || l1[:3] != "150" || l2[:3] != "226" {
				bad++
			}
		})
	}
	elapsed := time.Since(transferStarted)
	for _, s := range ss {
		s.c.Close()
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))] }
	t.Logf("%d transfers of %d bytes in %v: %.0f transfers/s; latency p50 %v p90 %v p99 %v max %v; %d bad, %d misrouted",
		len(latencies), size, elapsed.Round(time.Millisecond), float64(len(latencies))/elapsed.Seconds(),
		pct(0.5).Round(time.Microsecond), pct(0.9).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), latencies[len(latencies)-1].Round(time.Microsecond), bad, misrouted)
	require.Zero(t, bad)
}
