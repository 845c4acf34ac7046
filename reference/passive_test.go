package reference

import (
	"crypto/rand"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/payload"
)

func TestPassivePortsDistinctAndInRange(t *testing.T) {
	srv := startTest(t, func(c *Config) { c.PasvPorts = PortRange{12000, 12199} })
	seen := map[int]bool{}
	// Many sessions, each with a pending PASV: no port may be handed out twice while pending.
	for i := 0; i < 40; i++ {
		c := loggedIn(t, srv)
		host, port := c.pasv()
		assert.Equal(t, "127.0.0.1", host, "227 carries the control connection's address")
		assert.True(t, port >= 12000 && port <= 12199, "port %d outside the range", port)
		assert.False(t, seen[port], "port %d handed out twice while pending", port)
		seen[port] = true
	}
	assert.Equal(t, 40, srv.PassivePortsInUse())
}

func TestPassivePortsRandom(t *testing.T) {
	srv := startTest(t, func(c *Config) { c.PasvPorts = PortRange{12200, 12999} })
	c := loggedIn(t, srv)
	var ports []int
	for i := 0; i < 12; i++ {
		_, p := c.pasv()
		ports = append(ports, p)
	}
	ascending := 0
	for i := 1; i < len(ports); i++ {
		if ports[i] == ports[i-1]+1 {
			ascending++
		}
	}
	assert.Less(t, ascending, 5, "ports look sequential: %v", ports)
}

func TestSequentialPortsFault(t *testing.T) {
	srv := startTest(t, func(c *Config) {
		c.PasvPorts = PortRange{13000, 13999}
		c.Faults = []string{"sequential-ports"}
	})
	var prev int
	for i := 0; i < 5; i++ {
		c := loggedIn(t, srv)
		_, p := c.pasv()
		if i > 0 {
			assert.Equal(t, prev+1, p, "the fault hands out ascending ports")
		}
		prev = p
	}
}

func TestNewPASVClosesPrevious(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault bool
	}{{"closed", false}, {"listener-leak fault", true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startTest(t, func(c *Config) {
				if tc.fault {
					c.Faults = []string{"listener-leak"}
				}
			})
			c := loggedIn(t, srv)
			_, first := c.pasv()
			_, second := c.pasv()
			assert.NotEqual(t, first, second)
			d, err := net.DialTimeout("tcp", c.dataAddr(first), time.Second)
			if tc.fault {
				require.NoError(t, err, "the leaked listener still accepts")
				d.Close()
				assert.Equal(t, 2, srv.PassivePortsInUse())
				return
			}
			if err == nil {
				d.Close()
			}
			assert.Error(t, err, "the first PASV's listener must be closed")
			assert.Equal(t, 1, srv.PassivePortsInUse())
		})
	}
}

func TestPassiveRangeExhaustion(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault bool
	}{{"425", false}, {"out-of-range-port fault", true}} {
		t.Run(tc.name, func(t *testing.T) {
			lo := 14000
			if tc.fault {
				lo = 14010
			}
			srv := startTest(t, func(c *Config) {
				c.PasvPorts = PortRange{lo, lo + 4}
				if tc.fault {
					c.Faults = []string{"out-of-range-port"}
				}
			})
			// One port of the range is taken by another program: the server skips it.
			blocker, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(lo+2))
			require.NoError(t, err)
			defer blocker.Close()
			seen := map[int]bool{}
			for i := 0; i < 4; i++ {
				c := loggedIn(t, srv)
				_, p := c.pasv()
				require.True(t, p >= lo && p <= lo+4 && p != lo+2, "port %d", p)
				require.False(t, seen[p])
				seen[p] = true
			}
			c := loggedIn(t, srv)
			code, text := c.cmd("PASV")
			if !tc.fault {
				assert.Equal(t, 425, code, "range exhausted: %s", text)
				code, text = c.cmd("EPSV")
				assert.Equal(t, 425, code, "range exhausted: %s", text)
				return
			}
			require.Equal(t, 227, code, text)
			m := pasvRE.FindStringSubmatch(text)
			p1, _ := strconv.Atoi(m[5])
			p2, _ := strconv.Atoi(m[6])
			assert.False(t, p1*256+p2 >= lo && p1*256+p2 <= lo+4, "the fault falls back to a kernel port")
		})
	}
}

// TestForeignDataConnection is the port-stealing case of RFC 2577 §5: a connection to the passive
// port from another address is refused, and the owner's transfer is undisturbed.
func TestForeignDataConnection(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     bool
		wantStole bool
	}{{"refused", false, false}, {"no-ip-check fault", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startTest(t, func(c *Config) {
				if tc.fault {
					c.Faults = []string{"no-ip-check"}
				}
			})
			data := make([]byte, 200000)
			rand.Read(data)
			require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "owned.bin"), data, 0o644))
			c := loggedIn(t, srv)
			_, port := c.pasv()
			thief := foreignDial(t, c.dataAddr(port))
			time.Sleep(100 * time.Millisecond)
			if tc.fault {
				c.send("RETR owned.bin")
				stolen, _ := io.ReadAll(thief)
				assert.Equal(t, len(data), len(stolen), "the thief got the file")
				return
			}
			owner := c.dialData(port)
			c.expect(150, "RETR owned.bin")
			got, err := io.ReadAll(owner)
			require.NoError(t, err)
			assert.Equal(t, data, got)
			code, _ := c.read()
			assert.Equal(t, 226, code)
			thief.SetReadDeadline(time.Now().Add(time.Second))
			stolen, _ := io.ReadAll(thief)
			assert.Empty(t, stolen, "the thief must get nothing")
		})
	}
}

// foreignDial connects from 127.0.0.2, "another host" on loopback.
func foreignDial(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot connect from 127.0.0.2: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestSimultaneousSessions mirrors the load pattern: every session sends PASV before any data
// connection opens, then the connections open in reverse order. Each must get its own file.
func TestSimultaneousSessions(t *testing.T) {
	for _, tc := range []struct {
		name          string
		fault         string
		wantMisrouted bool
	}{
		{"reference", "", false},
		{"shared-pasv-port fault", "shared-pasv-port", true},
		{"port-reuse fault", "port-reuse", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startTest(t, func(c *Config) {
				if tc.fault != "" {
					c.Faults = []string{tc.fault}
				}
			})
			const n = 20
			type sess struct {
				c    *ctl
				port int
				name string
			}
			var ss []sess
			ports := map[int]int{}
			for i := 0; i < n; i++ {
				c := loggedIn(t, srv)
				_, port := c.pasv()
				ss = append(ss, sess{c, port, "s" + strconv.Itoa(i)})
				ports[port]++
			}
			if tc.fault == "" {
				assert.Len(t, ports, n, "every pending PASV has its own port")
			} else {
				assert.Less(t, len(ports), n, "the fault shares ports")
			}
			conns := make([]net.Conn, n)
			for i := n - 1; i >= 0; i-- {
				conns[i] = ss[i].c.dialData(ss[i].port)
			}
			misrouted := 0
			var wg sync.WaitGroup
			var mu sync.Mutex
			for i := range ss {
				ss[i].c.send("RETR /synthetic/65536/" + ss[i].name)
			}
			for i := range ss {
				wg.Add(1)
				go func() {
					defer wg.Done()
					conns[i].SetReadDeadline(time.Now().Add(10 * time.Second))
					got, _ := io.ReadAll(conns[i])
					v := payload.NewVerifier(ss[i].name, 0, 65536, nil)
					v.Write(got)
					if r := v.Result(); !r.OK() {
						mu.Lock()
						misrouted++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if tc.wantMisrouted {
				assert.Positive(t, misrouted)
			} else {
				assert.Zero(t, misrouted)
				for i := range ss {
					code, _ := ss[i].c.read()
					assert.Equal(t, 150, code)
					code, _ = ss[i].c.read()
					assert.Equal(t, 226, code)
				}
			}
		})
	}
}

func TestPasvWrongAddressFault(t *testing.T) {
	srv := startTest(t, func(c *Config) { c.Faults = []string{"pasv-wrong-address"} })
	c := loggedIn(t, srv)
	host, _ := c.pasv()
	assert.Equal(t, "127.9.9.9", host)
	srv2 := startTest(t, func(c *Config) { c.PublicIP = "192.0.2.7" })
	c2 := loggedIn(t, srv2)
	host, _ = c2.pasv()
	assert.Equal(t, "192.0.2.7", host, "PublicIP goes into 227 replies")
}

func TestTruncateFault(t *testing.T) {
	srv := startTest(t, func(c *Config) { c.Faults = []string{"truncate"} })
	c := loggedIn(t, srv)
	for i := 0; i < 2; i++ {
		assert.Len(t, c.retr("/synthetic/100000/a"), 50000, "every RETR of a large file ends halfway, yet 226")
	}
	assert.Len(t, c.retr("/synthetic/65535/a"), 65535, "small files are whole")
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "f"), make([]byte, 1<<20), 0o644))
	assert.Len(t, c.retr("f"), 1<<19)
}

func TestBadReplyCodesFault(t *testing.T) {
	srv := startTest(t, func(c *Config) { c.Faults = []string{"bad-reply-codes"} })
	c := dialCtl(t, srv.Addr())
	c.expect(200, "XYZZY")
}

// TestUploadAtomic kills a client mid-STOR: nothing may appear under the final name, and an
// older file of that name is untouched.
func TestUploadAtomic(t *testing.T) {
	for _, tc := range []struct {
		name        string
		fault       bool
		reset       bool // RST (SO_LINGER 0) rather than FIN
		existing    bool
		wantPartial bool
	}{
		{"reset", false, true, false, false},
		{"fin then control close", false, false, false, false},
		{"existing file kept", false, true, true, false},
		{"stor-not-atomic fault", true, true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startTest(t, func(c *Config) {
				if tc.fault {
					c.Faults = []string{"stor-not-atomic"}
				}
			})
			final := filepath.Join(srv.Root(), "up.bin")
			if tc.existing {
				require.NoError(t, os.WriteFile(final, []byte("old"), 0o644))
			}
			c := loggedIn(t, srv)
			_, port := c.pasv()
			d := c.dialData(port)
			c.expect(150, "STOR up.bin")
			chunk := make([]byte, 1<<20)
			for i := 0; i < 3; i++ {
				_, err := d.Write(chunk)
				require.NoError(t, err)
			}
			if tc.reset {
				for _, conn := range []net.Conn{d, c.c} {
					conn.(*net.TCPConn).SetLinger(0)
				}
				d.Close()
				c.c.Close()
			} else {
				// Like a killed process: the kernel closes the control connection, then the data one.
				c.c.Close()
				time.Sleep(50 * time.Millisecond)
				d.Close()
			}
			assert.Eventually(t, func() bool { return srv.Sessions() == 0 }, 5*time.Second, 10*time.Millisecond)
			got, err := os.ReadFile(final)
			switch {
			case tc.wantPartial:
				// The upload failed, yet the fault leaves what arrived under the final name.
				require.NoError(t, err, "the fault leaves the file under its final name")
				assert.LessOrEqual(t, len(got), 3<<20)
			case tc.existing:
				assert.Equal(t, "old", string(got))
			default:
				assert.ErrorIs(t, err, os.ErrNotExist)
			}
			entries, _ := os.ReadDir(srv.Root())
			for _, e := range entries {
				assert.NotContains(t, e.Name(), ".ftpspec-upload-", "temporary files are removed")
			}
		})
	}
}

func TestDataConnectionTimeout(t *testing.T) {
	srv := startTest(t, func(c *Config) { c.Timeouts.Data = 200 * time.Millisecond })
	c := loggedIn(t, srv)
	c.pasv()
	c.send("RETR /synthetic/10/x")
	code, text := c.read()
	assert.Equal(t, 425, code, text)
	assert.Eventually(t, func() bool { return srv.PassivePortsInUse() == 0 }, 2*time.Second, 10*time.Millisecond)
}

func TestPortAllocatorSkipsBusyPorts(t *testing.T) {
	a := newPortAllocator(PortRange{14100, 14102}, faultSet{})
	var held []net.Listener
	for _, p := range []int{14100, 14102} {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		require.NoError(t, err)
		held = append(held, ln)
	}
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	ln, port, err := a.listen(netipLoopback())
	require.NoError(t, err)
	assert.Equal(t, 14101, port)
	_, _, err = a.listen(netipLoopback())
	assert.ErrorIs(t, err, errPortsExhausted)
	ln.Close()
	a.free(port)
	assert.Zero(t, a.inUse())
}

func netipLoopback() netip.Addr { return netip.MustParseAddr("127.0.0.1") }
