package reports

import (
	"fmt"
	"math"
	"strings"
)

// Bench figures in a comparison are named "METRIC [TARGET]" (retr [vsftpd]); --tolerance names
// the metric alone (retr=5%) and it applies to every target.

// benchDefaultTolerances are used for bench metrics a user does not name: wider than the load
// defaults, because two sittings on one machine differ by more than two runs in one sitting.
var benchDefaultTolerances = map[string]float64{
	"retr": 0.10, "stor": 0.10, "small_tps": 0.10, "small_p50": 0.20, "small_p99": 0.20,
	"logins": 0.10, "idle_kib": 0.20,
}

// benchAlwaysGated are bench figures where any increase is a regression: failed work, and bytes
// delivered to the wrong transfer.
var benchAlwaysGated = []string{"small_failed", "small_wrong_bytes"}

// benchToleranceName reports whether name is a bench metric a tolerance may set.
func benchToleranceName(name string) (string, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	if _, ok := benchDefaultTolerances[n]; ok {
		return n, true
	}
	return "", false
}

// benchMetricNames lists the bench metrics --tolerance accepts, for error messages.
func benchMetricNames() []string {
	var out []string
	for _, m := range BenchMetrics {
		if _, ok := benchDefaultTolerances[m.Name]; ok {
			out = append(out, m.Name)
		}
	}
	return out
}

// compareBench adds the bench figures of two runs to a comparison: each target of the new run
// against the target of the same name in the baseline (or, when each run benched one server,
// against that one whatever its name: a new build against its last release), median against
// median.
func compareBench(c *Comparison, base, next *Run, tol Tolerances) {
	note := func(s string) {
		if c.LoadNote != "" {
			c.LoadNote += "; "
		}
		c.LoadNote += s
	}
	switch {
	case base.Bench == nil && next.Bench == nil:
		return
	case next.Bench == nil:
		note("the new run has no bench results")
		return
	case base.Bench == nil:
		note("the baseline has no bench results")
		return
	}
	bb, nb := base.Bench, next.Bench
	for i := range nb.Targets {
		nt := &nb.Targets[i]
		bt := benchPair(bb, nb, nt)
		if bt == nil {
			note(fmt.Sprintf("bench: %s is not in the baseline", nt.Name))
			continue
		}
		for _, m := range BenchMetrics {
			t, gated := benchDefaultTolerances[m.Name]
			if !gated {
				continue
			}
			if v, ok := tol[m.Name]; ok {
				t = v
			}
			bs, ns := bt.Summary(m), nt.Summary(m)
			if bs.N == 0 {
				continue
			}
			d := MetricDelta{Metric: m.Name + " [" + nt.Name + "]", Base: bs.Median}
			if ns.N == 0 {
				// A figure the baseline had and the new run lost is worse than any value.
				note(fmt.Sprintf("bench: %s of %s is missing in the new run", m.Name, nt.Name))
				d.DeltaPct = -100
				d.Delta = -bs.Median
				d.Worse, d.Beyond, d.Regression = true, true, true
				c.Metrics = append(c.Metrics, d)
				continue
			}
			d.Next = ns.Median
			d.Delta = d.Next - d.Base
			if d.Base != 0 {
				d.DeltaPct = d.Delta / math.Abs(d.Base) * 100
			}
			d.Worse = (m.LowerIsBetter && d.Next > d.Base) || (!m.LowerIsBetter && d.Next < d.Base)
			tt := t
			d.Tolerance = &tt
			d.Beyond = d.Worse && math.Abs(d.Delta) > t*math.Abs(d.Base)
			d.Regression = d.Beyond
			c.Metrics = append(c.Metrics, d)
		}
		for _, name := range benchAlwaysGated {
			b, n := benchFailures(bt, name), benchFailures(nt, name)
			zero := 0.0
			d := MetricDelta{Metric: name + " [" + nt.Name + "]", Base: b, Next: n, Delta: n - b, Tolerance: &zero}
			if b != 0 {
				d.DeltaPct = d.Delta / b * 100
			} else if n > 0 {
				d.DeltaPct = math.Inf(1)
			}
			d.Worse = n > b
			d.Beyond, d.Regression = d.Worse, d.Worse
			c.Metrics = append(c.Metrics, d)
		}
	}
}

// benchPair finds the baseline's target for nt.
func benchPair(base, next *Bench, nt *BenchTarget) *BenchTarget {
	for i := range base.Targets {
		if base.Targets[i].Name == nt.Name {
			return &base.Targets[i]
		}
	}
	if len(base.Targets) == 1 && len(next.Targets) == 1 {
		return &base.Targets[0]
	}
	return nil
}

// benchFailures is the small-transfer work that failed, per round: transfers not ok, or with
// bytes of another file.
func benchFailures(t *BenchTarget, name string) float64 {
	n, rounds := 0, 0
	for _, r := range t.Rounds {
		if r.Small == nil {
			continue
		}
		rounds++
		c := r.Small.Transfers
		if name == "small_wrong_bytes" {
			n += c.Misrouted + c.Corrupt + c.Stolen
		} else {
			n += c.Attempted - c.OK
		}
	}
	if rounds == 0 {
		return 0
	}
	return float64(n) / float64(rounds)
}

// formatBenchMetric writes a bench comparison figure ("retr [vsftpd]") in its unit.
func formatBenchMetric(name string, v float64) string {
	m, _, _ := strings.Cut(name, " [")
	if bm, ok := BenchMetricByName(m); ok {
		return formatBenchValue(bm, v)
	}
	return formatFloat(v)
}
