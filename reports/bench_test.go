package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchFixture is two servers over three rounds: "fast" moves more but fails small transfers,
// "steady" is slower and clean.
func benchFixture() *Bench {
	round := func(i int, retr, tps, p99 float64, ok int) BenchRound {
		return BenchRound{
			Round: i,
			Retr:  &BenchBig{Bytes: 1 << 30, BytesPerS: retr, OK: 1, Attempted: 1},
			Small: &BenchSmall{Transfers: TransferCounts{Attempted: 1000, OK: ok, Failed: 1000 - ok}, TransfersPerS: tps, P50MS: p99 / 4, P99MS: p99},
		}
	}
	return &Bench{
		Rounds:    3,
		Workloads: []string{WorkloadCeiling, WorkloadRetr, WorkloadSmall},
		Config:    BenchConfig{BigSize: 1 << 30, SmallSessions: 100, SmallTransfers: 10, SmallSize: 64 << 10},
		Machine:   "test box",
		Ceiling: []BenchCeiling{{Addr: "127.0.0.1", Rounds: []BenchCeilingRound{
			{Round: 1, SendfileBytesPerS: 2e9, WriteBytesPerS: 1.5e9},
			{Round: 2, SendfileBytesPerS: 3e9, WriteBytesPerS: 1.6e9},
			{Round: 3, SendfileBytesPerS: 2.5e9, WriteBytesPerS: 1.4e9},
		}}},
		Targets: []BenchTarget{
			{Name: "fast", CeilingAddr: "127.0.0.1", Rounds: []BenchRound{round(1, 1.9e9, 5000, 10, 1000), round(2, 2.1e9, 6000, 12, 990), round(3, 2.0e9, 5500, 11, 1000)}},
			{Name: "steady", CeilingAddr: "127.0.0.1", Rounds: []BenchRound{round(1, 1.0e9, 3000, 20, 1000), round(2, 1.2e9, 3100, 22, 1000), round(3, 1.1e9, 2900, 21, 1000)}},
		},
	}
}

func TestBenchSummaryAndRank(t *testing.T) {
	b := benchFixture()
	retr, _ := BenchMetricByName("retr")
	tps, _ := BenchMetricByName("small_tps")
	p99, _ := BenchMetricByName("small_p99")

	s := b.Targets[0].Summary(retr)
	assert.Equal(t, BenchSummary{N: 3, Median: 2.0e9, Min: 1.9e9, Max: 2.1e9, OK: 3, Attempted: 3, Clean: true}, s)

	r := b.Rank(retr)
	assert.True(t, r[0].Best)
	assert.InDelta(t, 1.0, r[0].Ratio, 1e-9)
	assert.InDelta(t, 0.55, r[1].Ratio, 1e-9)

	// "fast" failed 10 small transfers: it is not ranked, however fast; "steady" is the best.
	r = b.Rank(tps)
	assert.False(t, r[0].Summary.Clean)
	assert.Equal(t, 2990, r[0].Summary.OK)
	assert.Equal(t, 3000, r[0].Summary.Attempted)
	assert.Zero(t, r[0].Ratio)
	assert.False(t, r[0].Best)
	assert.True(t, r[1].Best)

	// Lower is better: the ratio is best/value, so never above 1.
	r = b.Rank(p99)
	assert.True(t, r[1].Best)
	assert.Equal(t, 21.0, r[1].Summary.Median)

	sf, wr := b.Ceiling[0].CeilingSummary()
	assert.Equal(t, 2.5e9, sf.Median)
	assert.Equal(t, 1.5e9, wr.Median)
}

func TestBenchMarkdownTable(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteBenchMarkdown(&buf, benchFixture()))
	md := buf.String()
	assert.Contains(t, md, "| figure | fast | steady |")
	assert.Contains(t, md, "| ceiling, sendfile | 2.5 GB/s (2 GB/s–3 GB/s)")
	assert.Contains(t, md, "RETR big (1 GiB, 1 session) | **2 GB/s (1.9 GB/s–2.1 GB/s) · best · 0.8 of sendfile ceiling** | 1.1 GB/s (1 GB/s–1.2 GB/s) · ×0.55 · 0.44 of sendfile ceiling |")
	assert.Contains(t, md, "⚠ 2,990/3,000 ok · not ranked")
	assert.Contains(t, md, "Machine: test box")

	// The run's Markdown summary carries the bench table too.
	buf.Reset()
	require.NoError(t, WriteMarkdown(&buf, []*Run{{Schema: SchemaV1, Label: "bench", Bench: benchFixture()}}, MarkdownOptions{}))
	assert.Contains(t, buf.String(), "| figure | fast | steady |")
}

func TestBenchHTML(t *testing.T) {
	b := benchFixture()
	b.Targets[1].Lost = "round 3, small: 127.0.0.1:2 no longer accepts connections"
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, []*Run{{Schema: SchemaV1, Label: "nightly", Bench: b}}, HTMLOptions{}))
	h := buf.String()
	for _, want := range []string{
		`<section id="benchnightly" class="bench">`, `href="#benchnightly"`, `class="ceiling"`, "sendfile ceiling 2.5 GB/s",
		`class="whisker"`, "⚠ 2,990/3,000 ok", "steady stopped answering", "0.8 of sendfile ceiling",
	} {
		assert.True(t, strings.Contains(h, want), "the HTML has %q", want)
	}
	assert.Equal(t, 4, strings.Count(h, `<svg class="benchbar"`), "one chart per figure: retr, small_tps, p50, p99")
	assert.True(t, strings.Contains(h, "Failures found"), "a server that failed work fails the page's verdict")
	assert.False(t, strings.Contains(h, "<script src="), "self-contained")
}

func TestBenchJSONRoundTrip(t *testing.T) {
	run := &Run{Schema: SchemaV1, Bench: benchFixture()}
	var buf bytes.Buffer
	require.NoError(t, Encode(&buf, run))
	back, err := Decode(&buf, "bench.json")
	require.NoError(t, err)
	assert.Equal(t, run.Bench, back.Bench)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustJSON(t, run)), &raw))
	assert.Contains(t, raw, "bench")
}

func mustJSON(t *testing.T, r *Run) string {
	var buf bytes.Buffer
	require.NoError(t, Encode(&buf, r))
	return buf.String()
}

func TestCompareBench(t *testing.T) {
	tol, err := ParseTolerances("retr=5%,small_tps=10%")
	require.NoError(t, err)
	assert.Equal(t, 0.05, tol["retr"])
	assert.Contains(t, tol.String(), "retr=5%")

	tests := []struct {
		name       string
		edit       func(b *Bench)
		regression []string
	}{
		{"same figures", func(*Bench) {}, nil},
		{"retr 4% slower is within 5%", func(b *Bench) { scaleRetr(b, 0.96) }, nil},
		{"retr 10% slower", func(b *Bench) { scaleRetr(b, 0.90) }, []string{"retr [fast]", "retr [steady]"}},
		{"faster is never a regression", func(b *Bench) { scaleRetr(b, 1.5) }, nil},
		{"a failed small transfer more", func(b *Bench) {
			c := &b.Targets[1].Rounds[0].Small.Transfers
			c.OK--
			c.Failed++
		}, []string{"small_failed [steady]"}},
		{"a misrouted transfer", func(b *Bench) {
			c := &b.Targets[1].Rounds[0].Small.Transfers
			c.OK--
			c.Misrouted++
		}, []string{"small_failed [steady]", "small_wrong_bytes [steady]"}},
		{"a figure lost", func(b *Bench) {
			b.Targets[0].Rounds = nil
		}, []string{"retr [fast]", "small_tps [fast]", "small_p50 [fast]", "small_p99 [fast]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := benchFixture()
			tt.edit(next)
			c := Compare(&Run{Schema: SchemaV1, Bench: benchFixture()}, &Run{Schema: SchemaV1, Bench: next}, tol)
			var got []string
			for _, m := range c.Metrics {
				if m.Regression {
					got = append(got, m.Metric)
				}
			}
			assert.ElementsMatch(t, tt.regression, got)
			assert.Equal(t, len(tt.regression) > 0, c.Regression())
			var out bytes.Buffer
			require.NoError(t, WriteComparison(&out, c))
			if len(tt.regression) > 0 {
				assert.Contains(t, out.String(), "REGRESSION")
			}
		})
	}

	// One server on each side: a new build against its last release, whatever they are called.
	base, next := benchFixture(), benchFixture()
	base.Targets, next.Targets = base.Targets[:1], next.Targets[1:]
	c := Compare(&Run{Schema: SchemaV1, Bench: base}, &Run{Schema: SchemaV1, Bench: next}, tol)
	assert.True(t, c.Regression(), "steady is slower than fast was")
	var out bytes.Buffer
	require.NoError(t, WriteComparison(&out, c))
	assert.Contains(t, out.String(), "retr [steady]")
	assert.Contains(t, out.String(), "2 GB/s")

	_, err = ParseTolerances("retrr=5%")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "small_tps")
}

func scaleRetr(b *Bench, f float64) {
	for i := range b.Targets {
		for j := range b.Targets[i].Rounds {
			b.Targets[i].Rounds[j].Retr.BytesPerS *= f
		}
	}
}

func TestBenchRankWithNegativeMemoryDelta(t *testing.T) {
	idle := func(before, at int64) []BenchRound {
		return []BenchRound{{Round: 1, Idle: &BenchIdle{OK: 100, Attempted: 100, PSSBeforeKiB: before, PSSAtKiB: at, KiBPerSession: float64(at-before) / 100, MemoryMeasured: true}}}
	}
	b := &Bench{Rounds: 1, Workloads: []string{WorkloadIdle}, Config: BenchConfig{IdleSessions: 100}, Targets: []BenchTarget{
		{Name: "gc", Rounds: idle(12000, 11900)},
		{Name: "fork", Rounds: idle(5000, 45000)},
	}}
	m, _ := BenchMetricByName("idle_kib")
	r := b.Rank(m)
	assert.False(t, r[0].Best, "a delta that did not grow is not the best")
	assert.Equal(t, -1.0, r[0].Summary.Median)
	assert.True(t, r[1].Best)
	assert.InDelta(t, 1.0, r[1].Ratio, 1e-9)
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, []*Run{{Schema: SchemaV1, Bench: b}}, HTMLOptions{}))
	assert.False(t, strings.Contains(buf.String(), `width="-`), "no negative widths in the charts")
	buf.Reset()
	require.NoError(t, WriteBenchMarkdown(&buf, b))
	assert.Contains(t, buf.String(), "| server PSS with the idle sessions held |")
	assert.Contains(t, buf.String(), "43.9 MiB")
	assert.Contains(t, buf.String(), "not ranked: no growth measured")
}

func TestMergeKeepsOneBenchAndRefusesTwo(t *testing.T) {
	b := &Run{Schema: SchemaV1, Target: Target{URL: "x"}, Bench: benchFixture()}
	c := &Run{Schema: SchemaV1, Target: Target{URL: "x"}, Conformance: &Conformance{}}
	m, err := Merge([]*Run{c, b})
	require.NoError(t, err)
	assert.Equal(t, b.Bench, m.Bench)
	_, err = Merge([]*Run{b, b})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "benches do not merge")
}
