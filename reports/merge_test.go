package reports

import (
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func shardRun(t *testing.T, idx int, started time.Time, base, seed int) *Run {
	r := fixtureRun(t, fixtureOpts{url: "ftp://127.0.0.1:2121", started: started, load: &loadOpts{
		sessions: 20, transfers: 3, size: 4096, seed: uint64(seed), sessionBase: base, failed: idx,
		thresholds: []string{"failed==0", "p99<1s"},
	}})
	r.Load.Shard = &Shard{Index: idx, Count: 2}
	return r
}

func TestMergeShards(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	a := shardRun(t, 1, t0, 0, 11)
	b := shardRun(t, 2, t0.Add(3*time.Second), 20, 12)
	// Across shards, one port was handed to two pending transfers: neither shard can see it.
	a.Load.Records[5].DataPort, a.Load.Records[5].StartMS = 40555, 3100
	b.Load.Records[7].DataPort, b.Load.Records[7].StartMS = 40555, 105
	for _, r := range []*Run{a, b} {
		r.Load.DataPorts = AnalyzePorts(r.Load.Records, r.Load.DataPorts.DeclaredRange)
		require.Zero(t, r.Load.DataPorts.SharedWhilePending)
	}

	m, err := Merge([]*Run{a, b})
	require.NoError(t, err)
	l := m.Load
	la, lb := a.Load, b.Load

	t.Run("counts and bytes add", func(t *testing.T) {
		assert.Equal(t, 40, l.Sessions)
		assert.Equal(t, TransferCounts{Attempted: 120, OK: 117, Failed: 3}, l.Transfers)
		assert.Equal(t, la.Bytes+lb.Bytes, l.Bytes)
		assert.Equal(t, 40, l.MaxSimultaneousDataConnections, "sum of the shards' peaks")
		assert.InDelta(t, 3.0/120, l.ErrorRate, 1e-12)
		assert.Nil(t, l.Shard)
		assert.Equal(t, t0, m.Started)
		assert.Equal(t, b.Finished, m.Finished)
	})

	t.Run("histograms merge exactly and percentiles are recomputed", func(t *testing.T) {
		want := hdrhistogram.New(1, 60_000_000, 3)
		for _, r := range []*Run{a, b} {
			h, err := r.Load.Histograms["transfer"].HDR()
			require.NoError(t, err)
			want.Merge(h)
		}
		got, err := l.Histograms["transfer"].HDR()
		require.NoError(t, err)
		assert.Equal(t, int64(120), got.TotalCount())
		assert.True(t, want.Equals(got))
		assert.Equal(t, PercentilesOf(want), l.LatencyMS)
		for _, p := range Phases {
			h, err := l.Histograms[p].HDR()
			require.NoError(t, err, p)
			ha, _ := la.Histograms[p].HDR()
			hb, _ := lb.Histograms[p].HDR()
			assert.Equal(t, ha.TotalCount()+hb.TotalCount(), h.TotalCount(), p)
		}
	})

	t.Run("rates use the union of the shards' time", func(t *testing.T) {
		assert.InDelta(t, max(la.DurationS, 3+lb.DurationS), l.DurationS, 1e-9)
		assert.InDelta(t, float64(l.Bytes)/l.DurationS, l.ThroughputBytesPerS, 1e-6)
		assert.InDelta(t, (la.TransfersPerS*la.DurationS+lb.TransfersPerS*lb.DurationS)/l.DurationS, l.TransfersPerS, 1e-9)
	})

	t.Run("series align on each shard's start", func(t *testing.T) {
		at := func(s []Second, i int) Second {
			for _, x := range s {
				if x.T == i {
					return x
				}
			}
			return Second{T: i}
		}
		total := 0
		for i, s := range l.Series {
			assert.Equal(t, i, s.T)
			wa, wb := at(la.Series, i), at(lb.Series, i-3)
			assert.Equal(t, wa.Transfers+wb.Transfers, s.Transfers, "second %d", i)
			assert.Equal(t, wa.Bytes+wb.Bytes, s.Bytes, "second %d", i)
			assert.Equal(t, wa.Errors+wb.Errors, s.Errors, "second %d", i)
			total += s.Transfers
		}
		assert.Equal(t, 120, total)
	})

	t.Run("records move onto the merged clock and ports are analysed again", func(t *testing.T) {
		require.Len(t, l.Records, 120)
		assert.Equal(t, lb.Records[0].StartMS+3000, l.Records[60].StartMS)
		assert.Equal(t, 20, l.Records[60].Session, "session numbers stay global")
		assert.Equal(t, 2, l.DataPorts.SharedWhilePending)
		assert.Equal(t, "40000-40999", l.DataPorts.DeclaredRange)
	})

	t.Run("thresholds are evaluated on the merged result", func(t *testing.T) {
		require.Len(t, l.Thresholds, 2)
		assert.Equal(t, ThresholdResult{Expr: "failed==0", Value: 3, Pass: false}, l.Thresholds[0])
		assert.Equal(t, "p99<1s", l.Thresholds[1].Expr)
		assert.Equal(t, l.LatencyMS.P99, l.Thresholds[1].Value)
	})
}

func TestMergeSingleRunKeepsItsFigures(t *testing.T) {
	r := fixtureRun(t, fixtureOpts{url: "ftp://h:21", conform: true, load: &loadOpts{sessions: 30, transfers: 2, size: 1000, seed: 5, misrouted: 2}})
	m, err := Merge([]*Run{r})
	require.NoError(t, err)
	assert.Equal(t, r.Conformance.Totals, m.Conformance.Totals)
	assert.Equal(t, r.Load.Transfers, m.Load.Transfers)
	assert.Equal(t, r.Load.LatencyMS, m.Load.LatencyMS)
	assert.Equal(t, r.Load.DataPorts, m.Load.DataPorts)
	assert.InDelta(t, r.Load.ThroughputBytesPerS, m.Load.ThroughputBytesPerS, 1e-6)
	assert.InDelta(t, r.Load.TransfersPerS, m.Load.TransfersPerS, 1e-9)
	assert.Equal(t, r.Load.Series, m.Load.Series)
}

func TestMergeConformance(t *testing.T) {
	a := fixtureRun(t, fixtureOpts{url: "ftp://h:21", conform: true, healthy: true})
	b := fixtureRun(t, fixtureOpts{url: "ftp://h:21", conform: true, tls: []string{"explicit"}})
	m, err := Merge([]*Run{a, b})
	require.NoError(t, err)
	assert.Len(t, m.Conformance.Cases, 2*len(fixtureCases))
	want := a.Conformance.Totals
	bt := b.Conformance.Totals
	want.Pass += bt.Pass
	want.Fail += bt.Fail
	want.Warn += bt.Warn
	want.Unsupported += bt.Unsupported
	want.Skip += bt.Skip
	want.Error += bt.Error
	want.XFail += bt.XFail
	want.XPass += bt.XPass
	assert.Equal(t, want, m.Conformance.Totals)
	assert.Nil(t, m.Load)
}

func TestMergeRefuses(t *testing.T) {
	n := 0
	mk := func() *Run {
		n++
		r := fixtureRun(t, fixtureOpts{url: "ftp://h:21", load: &loadOpts{sessions: 2, transfers: 1, size: 10, seed: 1}})
		r.Load.Shard = &Shard{Index: (n-1)%2 + 1, Count: 2, Run: "r1"}
		return r
	}
	tests := []struct {
		name string
		edit func(a, b *Run)
		want string
	}{
		{"different targets", func(_, b *Run) { b.Target.URL = "ftp://other:21" }, `run 2 targets "ftp://other:21", run 1 targets "ftp://h:21"`},
		{"different schemas", func(_, b *Run) { b.Schema = "ftpspec.run/v1.1" }, `run 2 has schema "ftpspec.run/v1.1"`},
		{"different declared ranges", func(_, b *Run) { b.Load.DataPorts.DeclaredRange = "1-2" }, `declares data port range "1-2"`},
		{"a broken histogram", func(_, b *Run) { b.Load.Histograms["pasv"].Counts = []int64{-1} }, `histogram "pasv"`},
		{"a nil run", func(_, _ *Run) {}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mk(), mk()
			tt.edit(a, b)
			runs := []*Run{a, b}
			if tt.want == "" {
				runs = []*Run{a, nil}
				tt.want = "run 2 is nil"
			}
			_, err := Merge(runs)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := Merge(nil)
	assert.ErrorContains(t, err, "no runs")
}

// A conformance run and a load run merge into one document whose load figures are the load
// run's own: the conformance run's time must not dilute the load's rates (issue 11, item 4).
func TestMergeConformanceWithLoadKeepsLoadRates(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	c := fixtureRun(t, fixtureOpts{url: "ftp://h:21", started: t0, conform: true, healthy: true})
	l := fixtureRun(t, fixtureOpts{url: "ftp://h:21", started: t0.Add(2 * time.Second), load: &loadOpts{sessions: 20, transfers: 5, size: 65536, seed: 3}})
	for _, order := range [][]*Run{{c, l}, {l, c}} {
		m, err := Merge(order)
		require.NoError(t, err)
		require.NotNil(t, m.Conformance)
		require.NotNil(t, m.Load)
		assert.Equal(t, l.Load.TransfersPerS, m.Load.TransfersPerS)
		assert.Equal(t, l.Load.ThroughputBytesPerS, m.Load.ThroughputBytesPerS)
		assert.Equal(t, l.Load.DurationS, m.Load.DurationS)
		assert.Equal(t, l.Load.LatencyMS, m.Load.LatencyMS)
		assert.Equal(t, l.Load.Series, m.Load.Series)
		assert.Equal(t, t0, m.Started)
	}
}

// Merge refuses what would double-count: the same document twice, the same shard twice, shards
// of different runs or counts, separate whole load runs; each error names both documents
// (issue 11, item 5). Missing shards make the result partial, saying which.
func TestMergeRefusesDuplicatesAndMismatches(t *testing.T) {
	load := func(idx, count int, run string) *Run {
		r := fixtureRun(t, fixtureOpts{url: "ftp://h:21", load: &loadOpts{sessions: 4, transfers: 2, size: 100, seed: uint64(idx)}})
		if count > 0 {
			r.Load.Shard = &Shard{Index: idx, Count: count, Run: run}
		}
		return r
	}
	conf := fixtureRun(t, fixtureOpts{url: "ftp://h:21", conform: true})
	tests := []struct {
		name string
		runs []*Run
		want []string
	}{
		{"same load document twice", []*Run{load(1, 0, ""), load(1, 0, "")}, []string{"a.json and b.json are two separate load runs"}},
		{"same conformance document twice", []*Run{conf, conf}, []string{"a.json and b.json both hold case"}},
		{"shard 1/2 twice", []*Run{load(1, 2, "x"), load(1, 2, "x")}, []string{"a.json and b.json are both shard 1/2"}},
		{"shard 1/2 with shard 2/3", []*Run{load(1, 2, "x"), load(2, 3, "x")}, []string{"a.json is shard 1/2 but b.json is shard 2/3"}},
		{"shards of two runs", []*Run{load(1, 2, "x"), load(2, 2, "y")}, []string{`a.json belongs to load run "x" but b.json to load run "y"`}},
		{"a shard with a whole run", []*Run{load(1, 2, "x"), load(1, 0, "")}, []string{"a.json is shard 1/2", "b.json is a whole load run"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MergeNamed([]string{"a.json", "b.json"}, tt.runs)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}

	_, err := MergeNamed([]string{"a.json", "a.json"}, []*Run{conf, conf})
	assert.ErrorContains(t, err, "a.json is given twice")

	m, err := MergeNamed([]string{"a.json", "b.json"}, []*Run{load(1, 3, "x"), load(3, 3, "x")})
	require.NoError(t, err)
	assert.True(t, m.Partial)
	assert.Contains(t, m.PartialReason, "2/3 missing")
	assert.Equal(t, 8, m.Load.Sessions)

	m, err = MergeNamed([]string{"a.json", "b.json"}, []*Run{load(1, 2, "x"), load(2, 2, "x")})
	require.NoError(t, err)
	assert.False(t, m.Partial)
	assert.Nil(t, m.Load.Shard)
}
