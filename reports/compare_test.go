package reports

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func setOutcome(r *Run, id string, o Outcome) {
	for i := range r.Conformance.Cases {
		if r.Conformance.Cases[i].ID == id {
			r.Conformance.Cases[i].Outcome = o
		}
	}
	r.Conformance.Recount()
}

func TestCompare(t *testing.T) {
	// The fixture is deterministic, so building it twice gives two equal runs to edit one of.
	build := func() *Run {
		return fixtureRun(t, fixtureOpts{label: "base", url: "ftp://127.0.0.1:2121", conform: true, healthy: true,
			load: &loadOpts{sessions: 50, transfers: 4, size: 65536, seed: 9}})
	}
	base := build()
	require.Equal(t, base, build())
	tests := []struct {
		name       string
		edit       func(r *Run)
		tol        string
		regression bool
		check      func(t *testing.T, c *Comparison)
	}{
		{
			name: "a run compared with itself",
			edit: func(*Run) {},
			check: func(t *testing.T, c *Comparison) {
				assert.Empty(t, c.Changed)
				assert.Empty(t, c.Added)
				assert.Empty(t, c.Removed)
				for _, m := range c.Metrics {
					assert.Zero(t, m.Delta, m.Metric)
					assert.False(t, m.Beyond, m.Metric)
				}
			},
		},
		{
			name:       "halved throughput",
			edit:       func(r *Run) { r.Load.ThroughputBytesPerS /= 2; r.Load.TransfersPerS /= 2 },
			regression: true,
			check: func(t *testing.T, c *Comparison) {
				m := metric(t, c, "throughput_bytes_per_s")
				assert.True(t, m.Regression)
				assert.InDelta(t, -50, m.DeltaPct, 1e-9)
				assert.True(t, metric(t, c, "transfers_per_s").Regression)
			},
		},
		{
			name: "throughput 3% lower is within the default 5%",
			edit: func(r *Run) { r.Load.ThroughputBytesPerS *= 0.97 },
			check: func(t *testing.T, c *Comparison) {
				m := metric(t, c, "throughput_bytes_per_s")
				assert.True(t, m.Worse)
				assert.False(t, m.Beyond)
			},
		},
		{
			name:       "throughput 3% lower with a 1% tolerance",
			edit:       func(r *Run) { r.Load.ThroughputBytesPerS *= 0.97 },
			tol:        "throughput=1%",
			regression: true,
		},
		{
			name: "throughput doubled is better, not a regression",
			edit: func(r *Run) { r.Load.ThroughputBytesPerS *= 2 },
			check: func(t *testing.T, c *Comparison) {
				m := metric(t, c, "throughput_bytes_per_s")
				assert.False(t, m.Worse)
				assert.InDelta(t, 100, m.DeltaPct, 1e-9)
			},
		},
		{
			name:       "p99 20% slower",
			edit:       func(r *Run) { r.Load.LatencyMS.P99 *= 1.2 },
			regression: true,
		},
		{
			name: "p99 20% slower with p99 gating off",
			edit: func(r *Run) { r.Load.LatencyMS.P99 *= 1.2 },
			tol:  "p99=off",
		},
		{
			name: "p90 is reported but not gated by default",
			edit: func(r *Run) { r.Load.LatencyMS.P90 *= 3 },
			check: func(t *testing.T, c *Comparison) {
				m := metric(t, c, "p90")
				assert.True(t, m.Worse)
				assert.Nil(t, m.Tolerance)
			},
		},
		{
			name:       "one misrouted transfer is always a regression",
			edit:       func(r *Run) { r.Load.Transfers.Misrouted = 1 },
			tol:        "throughput=50%",
			regression: true,
			check: func(t *testing.T, c *Comparison) {
				m := metric(t, c, "misrouted")
				assert.True(t, math.IsInf(m.DeltaPct, 1))
				assert.Equal(t, "+1 (new)", formatDelta(m))
			},
		},
		{name: "new corrupt transfers", edit: func(r *Run) { r.Load.Transfers.Corrupt = 2 }, regression: true},
		{name: "new stolen transfers", edit: func(r *Run) { r.Load.Transfers.Stolen = 1 }, regression: true},
		{
			name:       "pass to fail",
			edit:       func(r *Run) { setOutcome(r, "rfc959/5.4/unknown-command", Fail) },
			regression: true,
			check: func(t *testing.T, c *Comparison) {
				require.Len(t, c.Changed, 1)
				assert.Equal(t, CaseChange{CaseKey: CaseKey{ID: "rfc959/5.4/unknown-command"}, Title: "Unknown commands get 500 or 502", Level: "MUST",
					From: Pass, To: Fail, Regression: true}, c.Changed[0])
			},
		},
		{name: "pass to error", edit: func(r *Run) { setOutcome(r, "rfc959/4.1.3/abor", Error) }, regression: true},
		{
			name: "pass to warn is a change, not a regression",
			edit: func(r *Run) { setOutcome(r, "rfc959/4.1.2/pasv-distinct-ports", Warn) },
			check: func(t *testing.T, c *Comparison) {
				require.Len(t, c.Changed, 1)
				assert.False(t, c.Changed[0].Regression)
			},
		},
		{
			name: "new and removed cases",
			edit: func(r *Run) {
				cs := r.Conformance.Cases
				cs[0].ID = "rfc959/4.2/renamed"
				r.Conformance.Cases = cs[:len(cs)-1]
			},
			check: func(t *testing.T, c *Comparison) {
				assert.Equal(t, []CaseChange{{CaseKey: CaseKey{ID: "rfc959/4.2/renamed"}, Title: fixtureCases[0].title, Level: "MUST", To: Pass}}, c.Added)
				var removed []string
				for _, r := range c.Removed {
					removed = append(removed, r.ID)
				}
				assert.Equal(t, []string{fixtureCases[0].id, fixtureCases[len(fixtureCases)-1].id}, removed)
			},
		},
		{
			name: "TLS modes are compared separately",
			edit: func(r *Run) {
				c := r.Conformance.Cases[3]
				c.TLS, c.Outcome = "explicit", Fail
				r.Conformance.Cases = append(r.Conformance.Cases, c)
			},
			check: func(t *testing.T, c *Comparison) {
				require.Len(t, c.Added, 1)
				assert.Equal(t, CaseKey{ID: fixtureCases[3].id, TLS: "explicit"}, c.Added[0].CaseKey)
				assert.Empty(t, c.Changed)
			},
		},
		{
			name: "no load in the new run",
			edit: func(r *Run) { r.Load = nil },
			check: func(t *testing.T, c *Comparison) {
				assert.Empty(t, c.Metrics)
				assert.Equal(t, "the new run has no load results", c.LoadNote)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := build()
			tt.edit(next)
			tol, err := ParseTolerances(tt.tol)
			require.NoError(t, err)
			c := Compare(base, next, tol)
			assert.Equal(t, tt.regression, c.Regression())
			if tt.check != nil {
				tt.check(t, c)
			}
			var out bytes.Buffer
			require.NoError(t, WriteComparison(&out, c))
			if tt.regression {
				assert.Contains(t, out.String(), "REGRESSION")
			} else {
				assert.Contains(t, out.String(), "no regression")
			}
		})
	}
}

func metric(t *testing.T, c *Comparison, name string) MetricDelta {
	t.Helper()
	for _, m := range c.Metrics {
		if m.Metric == name {
			return m
		}
	}
	t.Fatalf("no metric %s", name)
	return MetricDelta{}
}

func TestCompareText(t *testing.T) {
	base := fixtureRun(t, fixtureOpts{label: "good", url: "ftp://127.0.0.1:2121", conform: true, healthy: true,
		load: &loadOpts{sessions: 20, transfers: 2, size: 1000, seed: 4}})
	next := fixtureRun(t, fixtureOpts{label: "bad", url: "ftp://127.0.0.1:2121", conform: true,
		load: &loadOpts{sessions: 20, transfers: 2, size: 1000, seed: 4}})
	next.Load.ThroughputBytesPerS /= 2
	var out bytes.Buffer
	require.NoError(t, WriteComparison(&out, Compare(base, next, nil)))
	for _, w := range []string{
		"compare good (ftp://127.0.0.1:2121) -> bad (ftp://127.0.0.1:2121)",
		"✗ pass    -> fail    rfc959/5.4/unknown-command  Unknown commands get 500 or 502",
		`actual: 500 <script>alert("x")</script>`,
		"✗ pass    -> xpass   rfc2428/4/epsv-all",
		"  pass    -> warn    rfc959/4.1.2/pasv-distinct-ports",
		"throughput_bytes_per_s",
		"REGRESSION",
	} {
		hasText(t, out.String(), w)
	}
}

func TestParseTolerances(t *testing.T) {
	def := DefaultTolerances()
	assert.Equal(t, Tolerances{"throughput_bytes_per_s": 0.05, "transfers_per_s": 0.05, "p50": 0.10, "p99": 0.10}, def)
	tests := []struct {
		in   string
		want Tolerances
		err  []string
	}{
		{in: "", want: def},
		{in: "throughput=5%,p99=10%", want: def},
		{in: "throughput=2.5%, p90=20%", want: Tolerances{"throughput_bytes_per_s": 0.025, "transfers_per_s": 0.05, "p50": 0.10, "p99": 0.10, "p90": 0.2}},
		{in: "tps=0%,error_rate=50%", want: Tolerances{"throughput_bytes_per_s": 0.05, "transfers_per_s": 0, "p50": 0.10, "p99": 0.10, "error_rate": 0.5}},
		{in: "p50=off", want: Tolerances{"throughput_bytes_per_s": 0.05, "transfers_per_s": 0.05, "p99": 0.10}},
		{in: "throughput=5", err: []string{`tolerance "throughput=5"`, `value "5" is not a percentage`}},
		{in: "p99=ten%", err: []string{`"p99=ten%"`, "not a percentage"}},
		{in: "p99=-5%", err: []string{`"p99=-5%"`}},
		{in: "p99:10%", err: []string{`tolerance "p99:10%"`, "METRIC=PERCENT"}},
		{in: "p99=10%,speed=5%", err: []string{`tolerance "speed=5%"`, `unknown metric "speed"`, "known: throughput_bytes_per_s"}},
		{in: "distinct_ports=5%", err: []string{`unknown metric "distinct_ports"`}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTolerances(tt.in)
			if tt.err != nil {
				require.Error(t, err)
				for _, w := range tt.err {
					assert.Contains(t, err.Error(), w)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			again, err := ParseTolerances(got.String())
			require.NoError(t, err)
			if _, off := tt.want["p50"]; off {
				assert.Equal(t, got, again, "String round-trips")
			}
		})
	}
}

// Runs that did different work, or that have no part in common, are named as incomparable
// instead of compared into "no regression" (issue 11, item 6).
func TestIncomparable(t *testing.T) {
	conf := func() *Run { return fixtureRun(t, fixtureOpts{url: "ftp://h:21", conform: true}) }
	load := func() *Run {
		return fixtureRun(t, fixtureOpts{url: "ftp://h:21", load: &loadOpts{sessions: 10, transfers: 2, size: 4096, seed: 1}})
	}
	both := func() *Run {
		return fixtureRun(t, fixtureOpts{url: "ftp://h:21", conform: true, load: &loadOpts{sessions: 10, transfers: 2, size: 4096, seed: 1}})
	}
	tests := []struct {
		name       string
		base, next *Run
		edit       func(b, n *Run)
		want       []string // empty: comparable
	}{
		{"conformance-only vs load-only", conf(), load(), nil, []string{"the baseline has conformance results, the new run has none", "the new run has load results, the baseline has none"}},
		{"load lost", both(), conf(), nil, []string{"the baseline has load results, the new run has none"}},
		{"sessions", load(), load(), func(_, n *Run) { n.Load.Sessions = 500 }, []string{"sessions 10 vs 500"}},
		{"size and mode", load(), load(), func(_, n *Run) { n.Load.Size = 1 << 20; n.Load.DataMode = "pasv" }, []string{"size 4096 vs 1048576", "data mode epsv vs pasv"}},
		{"transfers", load(), load(), func(_, n *Run) { n.Load.TransfersPerSession = 7 }, []string{"transfers per session 2 vs 7"}},
		{"same work", both(), both(), nil, nil},
		{"conformance runs", conf(), conf(), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.edit != nil {
				tt.edit(tt.base, tt.next)
			}
			got := Incomparable(tt.base, tt.next)
			if len(tt.want) == 0 {
				assert.Empty(t, got)
				return
			}
			joined := strings.Join(got, "; ")
			for _, w := range tt.want {
				assert.Contains(t, joined, w)
			}
		})
	}
}
