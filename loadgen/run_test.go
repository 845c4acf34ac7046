package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

// Passive ranges for the test servers: below the ephemeral range, one per server so tests that
// overlap never compete for ports.
var nextRange atomic.Int32

func pasvRange() reference.PortRange {
	lo := 21000 + int(nextRange.Add(1)%20)*500
	return reference.PortRange{Lo: lo, Hi: lo + 499}
}

func startServer(t *testing.T, faults ...string) *reference.Server {
	return reference.Start(t, reference.Config{PasvPorts: pasvRange(), Faults: faults})
}

// scenario returns a scenario for tests: n sessions of t transfers of size bytes.
func scenario(n, t int, size int64) Scenario {
	sc := Default()
	sc.Sessions, sc.Transfers, sc.Size = n, t, FixedSize(size)
	sc.Timeout = 20 * time.Second
	return sc
}

func run(t *testing.T, sc Scenario, url string) *reports.Load {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	l, err := Run(ctx, sc, Options{Target: url, ServerInProcess: true})
	require.NoError(t, err)
	require.NotNil(t, l)
	return l
}

// requireAllOK checks every transfer was ok and explains the first that was not.
func requireAllOK(t *testing.T, l *reports.Load, want int) {
	t.Helper()
	for _, r := range l.Records {
		if r.Verdict != reports.VerdictOK {
			require.Failf(t, "transfer not ok", "%+v", r)
		}
	}
	require.Equal(t, reports.TransferCounts{Attempted: want, OK: want}, l.Transfers)
	require.NoError(t, Verdict(l))
}

var nameRE = regexp.MustCompile(`^s(\d{4})-t(\d{2})$`)

func TestSameIPPassiveLoadAgainstReference(t *testing.T) {
	srv := startServer(t)
	sc := scenario(200, 5, 16<<10)
	sc.Thresholds = []string{"misrouted==0", "max_simultaneous_data_connections>=150"}
	l := run(t, sc, srv.URL())
	requireAllOK(t, l, 1000)
	assert.EqualValues(t, 1000*16<<10, l.Bytes)
	assert.GreaterOrEqual(t, l.MaxSimultaneousDataConnections, 150, "barrier B holds every data connection open")
	assert.LessOrEqual(t, l.MaxSimultaneousDataConnections, 200)
	assert.Equal(t, 200, l.Sessions)
	assert.Equal(t, "epsv", l.DataMode)
	assert.Zero(t, l.DataPorts.SharedWhilePending)
	assert.Greater(t, l.DataPorts.Distinct, 200)
	assert.Positive(t, l.TransfersPerS)
	assert.Positive(t, l.ThroughputBytesPerS)
	assert.Positive(t, l.LatencyMS.P50)
	assert.LessOrEqual(t, l.LatencyMS.P50, l.LatencyMS.P99)
	for _, h := range []string{"connect", "login", "pasv", "data_connect", "first_byte", "done", "transfer"} {
		require.Contains(t, l.Histograms, h)
		hdr, err := l.Histograms[h].HDR()
		require.NoError(t, err)
		want := int64(1000)
		if h == "connect" || h == "login" {
			want = 200
		}
		assert.Equal(t, want, hdr.TotalCount(), h)
	}
	total := 0
	for _, s := range l.Series {
		total += s.Transfers
	}
	assert.Equal(t, 1000, total, "the series accounts for every transfer")
	require.Len(t, l.Thresholds, 2)
	assert.True(t, l.Thresholds[0].Pass && l.Thresholds[1].Pass)

	// Every transfer has the evidence the issue asks for, and its own file.
	files := map[string]bool{}
	for _, r := range l.Records {
		m := nameRE.FindStringSubmatch(r.File)
		require.NotNil(t, m, r.File)
		assert.Equal(t, fmt.Sprintf("s%04d-t%02d", r.Session, r.Index), r.File)
		assert.False(t, files[r.File], "file %s used twice", r.File)
		files[r.File] = true
		assert.Equal(t, "127.0.0.1", r.Source)
		assert.NotZero(t, r.DataPort)
		wantReplies := []int{229, 150, 226}
		if r.Index == 0 {
			wantReplies = []int{220, 331, 230, 200, 229, 150, 226}
			assert.Positive(t, r.ConnectMS)
		}
		assert.Equal(t, wantReplies, r.Replies)
		assert.Positive(t, r.PasvMS)
		assert.Positive(t, r.DataConnectMS)
		assert.Positive(t, r.FirstByteMS)
	}
}

func TestSharedPasvPortIsCaughtAsMisrouted(t *testing.T) {
	srv := startServer(t, "shared-pasv-port")
	sc := scenario(60, 2, 16<<10)
	l := run(t, sc, srv.URL())
	require.Positive(t, l.Transfers.Misrouted, "%+v", l.Transfers)
	assert.Positive(t, l.DataPorts.SharedWhilePending)
	assert.Equal(t, 1, l.DataPorts.Distinct, "one shared port")
	var fe *FailedError
	require.ErrorAs(t, Verdict(l), &fe)
	assert.Contains(t, fe.Error(), "misrouted")

	// The server hands each arriving data connection to the oldest pending transfer, so within a
	// round every transfer's bytes went somewhere exactly once: the From files of a round are
	// distinct files of that same round, never the transfer's own.
	from := map[int]map[string]bool{}
	for _, r := range l.Records {
		if r.Verdict != reports.VerdictMisrouted {
			continue
		}
		m := nameRE.FindStringSubmatch(r.From)
		require.NotNil(t, m, "From %q is a file of the run", r.From)
		round, _ := strconv.Atoi(m[2])
		assert.Equal(t, r.Index, round, "bytes came from a transfer of the same round")
		assert.NotEqual(t, r.File, r.From)
		assert.Zero(t, r.Offset, "the first byte is already another file's")
		if from[round] == nil {
			from[round] = map[string]bool{}
		}
		assert.False(t, from[round][r.From], "%s delivered twice", r.From)
		from[round][r.From] = true
	}
}

func TestThieves(t *testing.T) {
	tests := []struct {
		name       string
		faults     []string
		wantStolen bool
	}{
		{"reference refuses them", nil, false},
		{"no-ip-check lets them in", []string{"no-ip-check"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, tc.faults...)
			sc := scenario(40, 2, 16<<10)
			sc.DataMode = Mix[Mode]{{ModePASV, 1}}
			sc.Steal = 20
			l := run(t, sc, srv.URL())
			require.NotNil(t, l.Thieves)
			assert.Equal(t, "127.0.0.2", l.Thieves.Source)
			assert.Equal(t, 20, l.Thieves.Attempts)
			assert.Positive(t, l.Thieves.Connected, "a TCP handshake completes even when the server then closes the connection")
			if !tc.wantStolen {
				requireAllOK(t, l, 80)
				assert.Zero(t, l.Thieves.BytesStolen)
				assert.Zero(t, l.Thieves.Broken)
				return
			}
			assert.Positive(t, l.Transfers.Stolen, "%+v", l.Transfers)
			assert.LessOrEqual(t, l.Transfers.Stolen, 20, "only victims are stolen")
			var fe *FailedError
			require.ErrorAs(t, Verdict(l), &fe)
			assert.Contains(t, fe.Error(), "stolen")
			for _, r := range l.Records {
				if r.Verdict == reports.VerdictStolen {
					assert.Contains(t, r.Error, "thief")
				}
			}
		})
	}
}

func TestThresholdBreachIsNamed(t *testing.T) {
	srv := startServer(t)
	sc := scenario(5, 2, 4096)
	sc.Thresholds = []string{"transfers_per_s>=100000000", "misrouted==0"}
	l := run(t, sc, srv.URL())
	require.Len(t, l.Thresholds, 2)
	assert.False(t, l.Thresholds[0].Pass)
	assert.True(t, l.Thresholds[1].Pass)
	err := Verdict(l)
	var fe *FailedError
	require.ErrorAs(t, err, &fe)
	assert.Len(t, fe.Reasons, 1)
	assert.Contains(t, err.Error(), "threshold transfers_per_s>=100000000 breached")
}

func TestActiveMode(t *testing.T) {
	for _, m := range []Mode{ModePORT, ModeEPRT} {
		t.Run(string(m), func(t *testing.T) {
			srv := startServer(t)
			sc := scenario(20, 2, 40000)
			sc.DataMode = Mix[Mode]{{m, 1}}
			l := run(t, sc, srv.URL())
			requireAllOK(t, l, 40)
			assert.GreaterOrEqual(t, l.MaxSimultaneousDataConnections, 15)
			assert.Equal(t, string(m), l.DataMode)
			for _, r := range l.Records {
				assert.Contains(t, r.Replies, 200, "PORT/EPRT accepted")
				// The reference opens active data connections from its control address and an
				// ephemeral port (RFC 959's L-1 would need privileges).
				from, err := netip.ParseAddrPort(r.ActiveFrom)
				require.NoError(t, err, "record %d/%d: active_from %q", r.Session, r.Index, r.ActiveFrom)
				assert.Equal(t, "127.0.0.1", from.Addr().String())
				assert.GreaterOrEqual(t, int(from.Port()), 1024)
			}
			as := l.DataPorts.ActiveSources
			require.NotNil(t, as)
			assert.Equal(t, 40, as.Connections)
			assert.Zero(t, as.Privileged)
			assert.Greater(t, as.Distinct, 1)
		})
	}
}

func TestPassiveRunsHaveNoActiveSources(t *testing.T) {
	srv := startServer(t)
	l := run(t, scenario(4, 2, 4096), srv.URL())
	requireAllOK(t, l, 8)
	assert.Nil(t, l.DataPorts.ActiveSources)
	for _, r := range l.Records {
		assert.Empty(t, r.ActiveFrom)
	}
}

func TestThiefDialReplacesTheLocalThief(t *testing.T) {
	srv := startServer(t, "no-ip-check")
	var calls atomic.Int32
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		calls.Add(1)
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.7")}}
		return d.DialContext(ctx, network, addr)
	}
	sc := scenario(20, 2, 16<<10)
	sc.DataMode = Mix[Mode]{{ModePASV, 1}}
	sc.Steal = 10
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	l, err := Run(ctx, sc, Options{Target: srv.URL(), ServerInProcess: true, ThiefDial: dial})
	require.NoError(t, err)
	assert.Equal(t, int32(10), calls.Load())
	assert.Equal(t, 10, l.Thieves.Attempts)
	assert.Positive(t, l.Transfers.Stolen, "the dialled thief got bytes from a server without the IP check")
}

func TestEveryOperationVerified(t *testing.T) {
	srv := startServer(t)
	sc := scenario(12, 6, 50_000)
	sc.Mix = Mix[Op]{{OpRETR, 1}, {OpSTOR, 1}, {OpAPPE, 1}, {OpREST, 1}, {OpLIST, 1}, {OpMLSD, 1}}
	sc.DataMode, _ = ParseModes("mixed")
	sc.Seed = 3
	l := run(t, sc, srv.URL())
	requireAllOK(t, l, 72)
	seen := map[string]bool{}
	for _, r := range l.Records {
		seen[r.Op] = true
		switch r.Op {
		case "STOR":
			assert.Equal(t, 2, count(r.Replies, 226), "STOR then a read-back RETR: %v", r.Replies)
		case "APPE":
			assert.Equal(t, 3, count(r.Replies, 226), "STOR half, APPE the rest, read back: %v", r.Replies)
		case "REST":
			assert.Contains(t, r.Replies, 350)
			assert.Less(t, r.Bytes, int64(50_000))
		}
	}
	assert.Len(t, seen, 6, "%v", seen)
	assertNoWorkDirLeft(t, srv.Root())
}

func count(xs []int, v int) int {
	n := 0
	for _, x := range xs {
		if x == v {
			n++
		}
	}
	return n
}

func assertNoWorkDirLeft(t *testing.T, root string) {
	t.Helper()
	left, err := filepath.Glob(filepath.Join(root, "ftpspec-load-*"))
	require.NoError(t, err)
	assert.Empty(t, left, "the run removes what it created")
}

func TestUploadModeStoresFilesFirstAndRemovesThem(t *testing.T) {
	srv := startServer(t)
	sc := scenario(6, 3, 70_000)
	sc.Content = ContentUpload
	sc.Mix = Mix[Op]{{OpRETR, 3}, {OpREST, 1}}
	l := run(t, sc, srv.URL())
	requireAllOK(t, l, 18)
	for _, r := range l.Records {
		assert.NotContains(t, r.File, "/synthetic/")
	}
	assertNoWorkDirLeft(t, srv.Root())

	sc.Keep, sc.WorkDir = true, "kept"
	l = run(t, sc, srv.URL())
	requireAllOK(t, l, 18)
	entries, err := os.ReadDir(filepath.Join(srv.Root(), "kept"))
	require.NoError(t, err)
	assert.NotEmpty(t, entries, "keep leaves the uploads")
	info, err := os.Stat(filepath.Join(srv.Root(), "kept", "s0000-t00"))
	require.NoError(t, err)
	assert.EqualValues(t, 70_000, info.Size())
}

func TestTruncatedDownloadsAreCorrupt(t *testing.T) {
	srv := startServer(t, "truncate")
	l := run(t, scenario(10, 2, 100_000), srv.URL())
	assert.Positive(t, l.Transfers.Corrupt, "%+v", l.Transfers)
	for _, r := range l.Records {
		if r.Verdict == reports.VerdictCorrupt {
			assert.Less(t, r.Bytes, int64(100_000))
			assert.Contains(t, r.Error, "yet the server replied 226")
		}
	}
}

func TestTLS(t *testing.T) {
	srv := reference.Start(t, reference.Config{PasvPorts: pasvRange(), ImplicitTLSListen: "127.0.0.1:0"})
	tests := []struct {
		name string
		url  string
		tls  TLSMode
	}{
		{"explicit", srv.URL(), TLSExplicit},
		{"implicit", "ftps://test:test@" + srv.ImplicitTLSAddr(), TLSNone}, // ftps:// implies implicit
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := scenario(8, 2, 100_000)
			sc.TLS = tc.tls
			sc.Mix = Mix[Op]{{OpRETR, 2}, {OpSTOR, 1}}
			sc.DataMode, _ = ParseModes("epsv,port")
			l := run(t, sc, tc.url)
			requireAllOK(t, l, 16)
			assert.Contains(t, []string{"explicit", "implicit"}, l.TLS)
		})
	}
}

func TestSessionsSpreadOverSources(t *testing.T) {
	srv := startServer(t)
	sc := scenario(10, 1, 4096)
	require.NoError(t, sc.Set("sources", "127.0.0.1,127.0.0.3"))
	l := run(t, sc, srv.URL())
	requireAllOK(t, l, 10)
	for _, r := range l.Records {
		want := "127.0.0.1"
		if r.Session%2 == 1 {
			want = "127.0.0.3"
		}
		assert.Equal(t, want, r.Source, "session %d", r.Session)
	}
	assert.Equal(t, "127.0.0.1,127.0.0.3", l.Source)
}

func TestDeclaredPortRange(t *testing.T) {
	srv := startServer(t)
	r := srv.Config().PasvPorts
	sc := scenario(10, 2, 4096)
	sc.PasvPorts = r.String()
	l := run(t, sc, srv.URL())
	assert.Zero(t, l.DataPorts.OutOfRange)
	assert.Equal(t, r.String(), l.DataPorts.DeclaredRange)

	sc.PasvPorts = fmt.Sprintf("%d-%d", r.Lo, r.Lo)
	l = run(t, sc, srv.URL())
	assert.Positive(t, l.DataPorts.OutOfRange)
}

func TestShardsSplitSessions(t *testing.T) {
	srv := startServer(t)
	var all []int
	for i := 1; i <= 3; i++ {
		sc := scenario(10, 1, 4096)
		sc.Shard = Shard{i, 3}
		l := run(t, sc, srv.URL())
		require.NotNil(t, l.Shard)
		assert.Equal(t, reports.Shard{Index: i, Count: 3}, *l.Shard)
		assert.Equal(t, l.Transfers.OK, l.Sessions)
		for _, r := range l.Records {
			all = append(all, r.Session)
		}
	}
	slices.Sort(all)
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, all, "every session once, numbered globally")
}

func TestCancellationReturnsPartialResults(t *testing.T) {
	srv := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := &cancelAfter{n: 30, cancel: cancel}
	sc := scenario(20, 50, 4096)
	start := time.Now()
	l, err := Run(ctx, sc, Options{Target: srv.URL(), Observer: obs, ServerInProcess: true})
	elapsed := time.Since(start)
	var ie *IncompleteError
	require.ErrorAs(t, err, &ie)
	assert.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, l)
	assert.GreaterOrEqual(t, l.Transfers.Attempted, 30)
	assert.Less(t, l.Transfers.Attempted, 1000)
	assert.Equal(t, l.Transfers.Attempted, l.Transfers.OK, "cut-short transfers are left out, not failed")
	assert.Less(t, elapsed, 15*time.Second)
}

type cancelAfter struct {
	nopObserver
	n      int
	seen   int
	cancel context.CancelFunc
}

func (c *cancelAfter) Transfer(*reports.TransferRecord) {
	if c.seen++; c.seen == c.n {
		c.cancel()
	}
}

func TestTargetDyingMidRunIsIncompleteNotAHang(t *testing.T) {
	srv := startServer(t)
	obs := &closeAfter{n: 20, close: func() { go srv.Close() }}
	sc := scenario(10, 50, 4096)
	sc.Timeout = 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	l, err := Run(ctx, sc, Options{Target: srv.URL(), Observer: obs, ServerInProcess: true})
	var ie *IncompleteError
	require.ErrorAs(t, err, &ie, "%v", err)
	require.NotNil(t, l)
	assert.Positive(t, l.Transfers.OK)
	assert.Positive(t, l.Transfers.Failed)
	assert.Less(t, time.Since(start), 30*time.Second)
}

type closeAfter struct {
	nopObserver
	n     int
	seen  int
	close func()
}

func (c *closeAfter) Transfer(*reports.TransferRecord) {
	if c.seen++; c.seen == c.n {
		c.close()
	}
}

func TestUnreachableTarget(t *testing.T) {
	sc := scenario(2, 1, 10)
	_, err := Run(context.Background(), sc, Options{Target: "ftp://127.0.0.1:1"})
	var te *TargetError
	require.ErrorAs(t, err, &te)
	assert.Contains(t, err.Error(), "127.0.0.1:1")

	srv := startServer(t)
	_, err = Run(context.Background(), sc, Options{Target: "ftp://test:wrong@" + srv.Addr()})
	require.ErrorAs(t, err, &te)
	assert.Contains(t, err.Error(), "530")
}

func TestBadInputIsAFieldError(t *testing.T) {
	sc := scenario(-1, 1, 10)
	_, err := Run(context.Background(), sc, Options{Target: "ftp://127.0.0.1:1"})
	var fe *FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "sessions", fe.Field)

	sc = scenario(1, 1, 10)
	_, err = Run(context.Background(), sc, Options{Target: "http://x"})
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "target", fe.Field)
}

func TestDescriptorBudget(t *testing.T) {
	sc := scenario(maxSessions, 1, 10)
	_, err := Run(context.Background(), sc, Options{Target: "ftp://127.0.0.1:1"})
	var be *BudgetError
	require.ErrorAs(t, err, &be)
	assert.Greater(t, be.Need, be.Limit)
	assert.Contains(t, err.Error(), "--shard")
	assert.Contains(t, err.Error(), "ulimit -Hn")

	// Sharded, the same run fits when each share does.
	sc.Shard = Shard{1, 1000}
	assert.NoError(t, checkBudget(1000, &sc, false))
}

func TestExampleScenariosRun(t *testing.T) {
	files, err := filepath.Glob("examples/*.yaml")
	require.NoError(t, err)
	srv := reference.Start(t, reference.Config{PasvPorts: pasvRange()})
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := LoadFile(f)
			require.NoError(t, err)
			// The examples' shape, at a size a unit test affords.
			sc.Sessions = min(sc.Sessions, 12)
			sc.Steal = min(sc.Steal, 4)
			if sc.Duration > 0 {
				sc.Duration = 1500 * time.Millisecond
			}
			sc.RampUp = min(sc.RampUp, 200*time.Millisecond)
			sc.Transfers = min(sc.Transfers, 3)
			sc.Size = SizeDist{Min: min(sc.Size.Smallest(), 8192), Max: min(sc.Size.Largest(), 64<<10)}
			sc.PasvPorts = srv.Config().PasvPorts.String()
			sc.Thresholds = slices.DeleteFunc(sc.Thresholds, func(s string) bool {
				return regexp.MustCompile(`^(p\d+|transfers_per_s)`).MatchString(s) // speed is not what a unit test checks
			})
			l := run(t, sc, srv.URL())
			assert.Positive(t, l.Transfers.Attempted)
			require.NoError(t, Verdict(l), "%+v", l.Transfers)
		})
	}
}

var _ = errors.New

func TestPortEvidenceFromFaults(t *testing.T) {
	t.Run("pasv-wrong-address", func(t *testing.T) {
		srv := startServer(t, "pasv-wrong-address")
		sc := scenario(5, 2, 4096)
		sc.DataMode = Mix[Mode]{{ModePASV, 1}}
		l := run(t, sc, srv.URL())
		// The 227 address is never used: the transfers go to the control address and succeed,
		// and every mismatch is counted.
		requireAllOK(t, l, 10)
		assert.Equal(t, 10, l.DataPorts.AddressMismatches)
		assert.Equal(t, "127.9.9.9", l.Records[0].DataAddr)
	})
	t.Run("sequential-ports", func(t *testing.T) {
		srv := startServer(t, "sequential-ports")
		sc := scenario(1, 20, 1024)
		l := run(t, sc, srv.URL())
		requireAllOK(t, l, 20)
		assert.True(t, l.DataPorts.Sequential, "%+v", l.DataPorts)
	})
	t.Run("random ports", func(t *testing.T) {
		srv := startServer(t)
		l := run(t, scenario(1, 20, 1024), srv.URL())
		assert.False(t, l.DataPorts.Sequential, "%+v", l.DataPorts)
	})
	t.Run("port-reuse", func(t *testing.T) {
		srv := startServer(t, "port-reuse")
		l := run(t, scenario(40, 2, 16<<10), srv.URL())
		assert.Positive(t, l.DataPorts.SharedWhilePending, "%+v", l.DataPorts)
		assert.Error(t, Verdict(l), "%+v", l.Transfers)
	})
}

func TestFreeRunningThieves(t *testing.T) {
	srv := startServer(t, "no-ip-check")
	sc := scenario(10, 4, 8192)
	sc.Lockstep = false
	sc.Steal = 40 // every transfer a victim
	sc.DataMode = Mix[Mode]{{ModeEPSV, 1}}
	l := run(t, sc, srv.URL())
	require.NotNil(t, l.Thieves)
	assert.Equal(t, 40, l.Thieves.Attempts)
	assert.Equal(t, 40, l.Transfers.Stolen, "%+v", l.Transfers)
}

func TestDurationBoundRun(t *testing.T) {
	srv := startServer(t)
	sc, err := Parse("d.yaml", []byte("sessions: 4\nduration: 700ms\nthink: 50ms\nlockstep: false\nsize: 1KiB\n"))
	require.NoError(t, err)
	assert.Zero(t, sc.Transfers, "a duration alone leaves the count open")
	start := time.Now()
	l := run(t, sc, srv.URL())
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Greater(t, l.Transfers.OK, 8, "several transfers per session fit in the duration")
	assert.Equal(t, l.Transfers.Attempted, l.Transfers.OK)

	sc.Lockstep = true
	l = run(t, sc, srv.URL())
	assert.Greater(t, l.Transfers.OK, 8)
	assert.Zero(t, l.Transfers.OK%4, "lockstep: whole rounds")
}

func TestSessionsThatCannotLogInAreCountedAsFailed(t *testing.T) {
	// The server allows 3 sessions per address; the rest are refused at the greeting and their
	// planned transfers count as failed, while the others run their rounds.
	srv := reference.Start(t, reference.Config{PasvPorts: pasvRange(), Limits: reference.Limits{MaxPerIP: 3}})
	sc := scenario(6, 2, 4096)
	sc.Steal = 2
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := Run(ctx, sc, Options{Target: srv.URL(), ServerInProcess: true})
	require.NoError(t, err)
	assert.Equal(t, 12, l.Transfers.Attempted)
	assert.Positive(t, l.Transfers.Failed)
	assert.Positive(t, l.Transfers.OK)
	for _, r := range l.Records {
		if r.Verdict == reports.VerdictFailed {
			assert.Contains(t, r.Error, "not attempted")
		}
	}
}

// A server that refuses some uploads for a moment (425: its passive ports are all busy, as
// ProFTPD says "Address already in use" under a burst) does not end the run: the preparation
// retries, a bounded number of times, and reports what it met (issue 11, item 3).
func TestPreparationRetriesTransientRefusals(t *testing.T) {
	lo := pasvRange().Lo
	// Four passive ports for eight upload workers: some of them are refused at first; the two
	// sessions of the load itself fit.
	srv := reference.Start(t, reference.Config{PasvPorts: reference.PortRange{Lo: lo, Hi: lo + 3}})
	sc := scenario(2, 24, 4096)
	sc.Content = ContentUpload
	l := run(t, sc, srv.URL())
	requireAllOK(t, l, 48)
	require.NotNil(t, l.Preparation)
	assert.Positive(t, l.Preparation.Files)
	assert.Positive(t, l.Preparation.Retries, "eight workers on two ports met no refusal")
	var refused int
	for k, n := range l.Preparation.Refusals {
		assert.Contains(t, k, "425", k)
		refused += n
	}
	assert.Equal(t, l.Preparation.Retries, refused)
}

// A server that refuses for good is still a target error, after a bounded number of attempts.
func TestPreparationGivesUpOnPermanentRefusal(t *testing.T) {
	srv := startServer(t)
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "blocker"), []byte("x"), 0o644))
	sc := scenario(2, 2, 4096)
	sc.Content = ContentUpload
	sc.WorkDir = "blocker" // a file: MKD and CWD are refused with 5xx, never retried
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := Run(ctx, sc, Options{Target: srv.URL(), ServerInProcess: true})
	assert.Nil(t, l)
	var te *TargetError
	require.ErrorAs(t, err, &te)
	assert.NotContains(t, err.Error(), "attempts", "a 5xx is not retried")
}
