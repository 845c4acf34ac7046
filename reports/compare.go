package reports

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Tolerances says, per load metric, how much worse a new run may be than its baseline before the
// change counts as a regression: 0.05 allows 5% less throughput, or 5% more latency.
type Tolerances map[string]float64

// DefaultTolerances are used for metrics a user does not name.
func DefaultTolerances() Tolerances {
	return Tolerances{
		"throughput_bytes_per_s": 0.05,
		"transfers_per_s":        0.05,
		"p50":                    0.10,
		"p99":                    0.10,
	}
}

// comparedMetrics are the load metrics a comparison reports, in order.
var comparedMetrics = []string{
	"throughput_bytes_per_s", "transfers_per_s", "p50", "p90", "p99", "error_rate",
	"failed", "misrouted", "corrupt", "stolen",
}

// alwaysGated are the metrics where any increase is a regression whatever the tolerances say:
// a byte delivered to the wrong transfer is never noise.
var alwaysGated = map[string]bool{"misrouted": true, "corrupt": true, "stolen": true}

// ParseTolerances parses "throughput=5%,p99=10%" on top of the defaults. A metric set to "off"
// is reported but never gates.
func ParseTolerances(s string) (Tolerances, error) {
	t := DefaultTolerances()
	if strings.TrimSpace(s) == "" {
		return t, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("tolerance %q: want METRIC=PERCENT, such as p99=10%%", part)
		}
		m, known := lookupMetric(name)
		if bn, ok := benchToleranceName(name); ok {
			m, known = metricDef{name: bn}, true
		} else if !known || !contains(comparedMetrics, m.name) {
			return nil, fmt.Errorf("tolerance %q: unknown metric %q (known: %s)", part, strings.TrimSpace(name), strings.Join(append(comparedMetrics[:len(comparedMetrics):len(comparedMetrics)], benchMetricNames()...), ", "))
		}
		val = strings.TrimSpace(val)
		if val == "off" {
			delete(t, m.name)
			continue
		}
		num, isPct := strings.CutSuffix(val, "%")
		f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if !isPct || err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("tolerance %q: value %q is not a percentage such as 5%% (or off)", part, val)
		}
		t[m.name] = f / 100
	}
	return t, nil
}

// String writes the tolerances in the form ParseTolerances reads.
func (t Tolerances) String() string {
	var parts []string
	for _, m := range append(comparedMetrics[:len(comparedMetrics):len(comparedMetrics)], benchMetricNames()...) {
		if v, ok := t[m]; ok {
			parts = append(parts, m+"="+trimFloat(v*100, 4)+"%")
		}
	}
	return strings.Join(parts, ",")
}

// RunRef identifies a run in a comparison.
type RunRef struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// CaseKey identifies a case result across runs: the same case under another TLS mode is another result.
type CaseKey struct {
	ID  string `json:"id"`
	TLS string `json:"tls,omitempty"`
}

func (k CaseKey) String() string {
	if k.TLS == "" {
		return k.ID
	}
	return k.ID + " [" + k.TLS + "]"
}

// CaseChange is a case whose outcome differs between the runs, or that only one run has.
type CaseChange struct {
	CaseKey
	Title      string  `json:"title,omitempty"`
	Level      string  `json:"level,omitempty"`
	From       Outcome `json:"from,omitempty"` // empty: the case is new
	To         Outcome `json:"to,omitempty"`   // empty: the case was removed
	Actual     string  `json:"actual,omitempty"`
	Regression bool    `json:"regression"`
	Fixed      bool    `json:"fixed"`
}

// MetricDelta is one load metric in both runs.
type MetricDelta struct {
	Metric     string   `json:"metric"`
	Base       float64  `json:"base"`
	Next       float64  `json:"next"`
	Delta      float64  `json:"delta"`
	DeltaPct   float64  `json:"delta_pct"` // relative change in percent; ±Inf when the base is 0
	Tolerance  *float64 `json:"tolerance,omitempty"`
	Worse      bool     `json:"worse"`  // changed in the bad direction
	Beyond     bool     `json:"beyond"` // worse by more than the tolerance
	Regression bool     `json:"regression"`
}

// Comparison is what changed from a baseline run to a new one.
type Comparison struct {
	Base       RunRef        `json:"base"`
	Next       RunRef        `json:"next"`
	Tolerances Tolerances    `json:"tolerances"`
	Changed    []CaseChange  `json:"changed,omitempty"` // outcome changed
	Added      []CaseChange  `json:"added,omitempty"`   // only in Next
	Removed    []CaseChange  `json:"removed,omitempty"` // only in Base
	Metrics    []MetricDelta `json:"metrics,omitempty"`
	LoadNote   string        `json:"load_note,omitempty"` // why load metrics are missing, when they are
}

// Regression reports whether anything got worse beyond what is tolerated.
func (c *Comparison) Regression() bool {
	for _, ch := range c.Changed {
		if ch.Regression {
			return true
		}
	}
	for _, m := range c.Metrics {
		if m.Regression {
			return true
		}
	}
	return false
}

// Regressions counts the regressing cases and metrics.
func (c *Comparison) Regressions() (cases, metrics int) {
	for _, ch := range c.Changed {
		if ch.Regression {
			cases++
		}
	}
	for _, m := range c.Metrics {
		if m.Regression {
			metrics++
		}
	}
	return cases, metrics
}

// bad outcomes are the ones a CI gate fails on.
func badOutcome(o Outcome) bool { return o == Fail || o == Error || o == XPass }

// Compare compares a new run with a baseline. Cases are matched by ID and TLS mode; a case that
// went from a good outcome to fail, error or xpass is a regression. Load metrics are regressions
// when worse by more than their tolerance, and misrouted, corrupt or stolen transfers are
// regressions whenever there are more of them.
func Compare(base, next *Run, tol Tolerances) *Comparison {
	if tol == nil {
		tol = DefaultTolerances()
	}
	labels := RunLabels([]*Run{base, next})
	c := &Comparison{
		Base:       RunRef{Label: labels[0], URL: base.Target.URL},
		Next:       RunRef{Label: labels[1], URL: next.Target.URL},
		Tolerances: tol,
	}
	compareCases(c, base, next)
	switch {
	case base.Load != nil && next.Load != nil:
		compareLoad(c, base.Load, next.Load, tol)
	case base.Load != nil:
		c.LoadNote = "the new run has no load results"
	case next.Load != nil:
		c.LoadNote = "the baseline has no load results"
	}
	compareBench(c, base, next, tol)
	return c
}

func caseIndex(r *Run) (map[CaseKey]*CaseResult, []CaseKey) {
	m := map[CaseKey]*CaseResult{}
	var order []CaseKey
	if r.Conformance == nil {
		return m, nil
	}
	for i := range r.Conformance.Cases {
		cr := &r.Conformance.Cases[i]
		// A run without TLS and a run with TLS "none" ran the same way.
		tls := cr.TLS
		if tls == "none" {
			tls = ""
		}
		k := CaseKey{cr.ID, tls}
		if _, dup := m[k]; !dup {
			m[k] = cr
			order = append(order, k)
		}
	}
	return m, order
}

func compareCases(c *Comparison, base, next *Run) {
	bm, border := caseIndex(base)
	nm, norder := caseIndex(next)
	for _, k := range norder {
		n := nm[k]
		b, ok := bm[k]
		ch := CaseChange{CaseKey: k, Title: n.Title, Level: n.Level, To: n.Outcome, Actual: n.Actual}
		if !ok {
			c.Added = append(c.Added, ch)
			continue
		}
		if b.Outcome == n.Outcome {
			continue
		}
		ch.From = b.Outcome
		ch.Regression = badOutcome(n.Outcome) && !badOutcome(b.Outcome)
		ch.Fixed = badOutcome(b.Outcome) && !badOutcome(n.Outcome)
		c.Changed = append(c.Changed, ch)
	}
	for _, k := range border {
		if _, ok := nm[k]; !ok {
			b := bm[k]
			c.Removed = append(c.Removed, CaseChange{CaseKey: k, Title: b.Title, Level: b.Level, From: b.Outcome})
		}
	}
	// Regressions first, then fixes, then the rest, each by ID.
	rank := func(ch CaseChange) int {
		switch {
		case ch.Regression:
			return 0
		case ch.Fixed:
			return 1
		}
		return 2
	}
	sort.SliceStable(c.Changed, func(i, j int) bool {
		if ri, rj := rank(c.Changed[i]), rank(c.Changed[j]); ri != rj {
			return ri < rj
		}
		return c.Changed[i].ID < c.Changed[j].ID
	})
}

func compareLoad(c *Comparison, base, next *Load, tol Tolerances) {
	for _, name := range comparedMetrics {
		m, _ := lookupMetric(name)
		b, n := m.get(base), m.get(next)
		d := MetricDelta{Metric: name, Base: b, Next: n, Delta: n - b}
		switch {
		case b != 0:
			d.DeltaPct = (n - b) / math.Abs(b) * 100
		case n > 0:
			d.DeltaPct = math.Inf(1)
		case n < 0:
			d.DeltaPct = math.Inf(-1)
		}
		d.Worse = (m.lowerIsBetter && n > b) || (!m.lowerIsBetter && n < b)
		if t, ok := tol[name]; ok {
			t := t
			d.Tolerance = &t
			// Worse by more than the tolerance, measured against the baseline.
			d.Beyond = d.Worse && math.Abs(n-b) > t*math.Abs(b)
			d.Regression = d.Beyond
		}
		if alwaysGated[name] && n > b {
			d.Beyond, d.Regression = true, true
		}
		c.Metrics = append(c.Metrics, d)
	}
}

// formatDelta writes a metric's change: the absolute delta in the metric's unit and the percentage.
func formatDelta(d MetricDelta) string {
	sign := "+"
	if d.Delta < 0 {
		sign = "−"
	}
	abs := formatMetric(d.Metric, math.Abs(d.Delta))
	if d.Delta == 0 {
		return "±0"
	}
	pct := ""
	switch {
	case math.IsInf(d.DeltaPct, 0):
		pct = " (new)"
	default:
		pct = fmt.Sprintf(" (%s%s%%)", sign, trimFloat(math.Abs(d.DeltaPct), 3))
	}
	return sign + abs + pct
}

// WriteComparison prints a comparison as text for a terminal or a CI log.
func WriteComparison(w io.Writer, c *Comparison) error {
	ew := &errWriter{w: w}
	ew.printf("compare %s (%s) -> %s (%s)\n", c.Base.Label, c.Base.URL, c.Next.Label, c.Next.URL)
	cases, metrics := c.Regressions()
	if len(c.Changed)+len(c.Added)+len(c.Removed) == 0 {
		ew.printf("\ncases: no outcome changed\n")
	}
	if len(c.Changed) > 0 {
		ew.printf("\ncases that changed outcome (%d, %d regressions):\n", len(c.Changed), cases)
		for _, ch := range c.Changed {
			mark := "  "
			switch {
			case ch.Regression:
				mark = "✗ "
			case ch.Fixed:
				mark = "✓ "
			}
			ew.printf("  %s%-7s -> %-7s %s  %s\n", mark, ch.From, ch.To, ch.CaseKey, ch.Title)
			if ch.Regression && ch.Actual != "" {
				ew.printf("      actual: %s\n", truncate(visibleString(ch.Actual), 200))
			}
		}
	}
	if len(c.Added) > 0 {
		ew.printf("\nnew cases (%d):\n", len(c.Added))
		for _, ch := range c.Added {
			ew.printf("  + %-7s %s  %s\n", ch.To, ch.CaseKey, ch.Title)
		}
	}
	if len(c.Removed) > 0 {
		ew.printf("\nremoved cases (%d):\n", len(c.Removed))
		for _, ch := range c.Removed {
			ew.printf("  - %-7s %s  %s\n", ch.From, ch.CaseKey, ch.Title)
		}
	}
	if c.LoadNote != "" {
		ew.printf("\nload: %s\n", c.LoadNote)
	}
	if len(c.Metrics) > 0 {
		ew.printf("\nload metrics:\n")
		ew.printf("  %-24s %14s %14s %22s %10s  %s\n", "metric", "base", "new", "delta", "tolerance", "verdict")
		for _, m := range c.Metrics {
			tol := "-"
			if m.Tolerance != nil {
				tol = trimFloat(*m.Tolerance*100, 3) + "%"
			}
			if alwaysGated[m.Metric] {
				tol = "0"
			}
			verdict := "ok"
			switch {
			case m.Regression:
				verdict = "REGRESSION"
			case m.Worse && m.Tolerance != nil:
				verdict = "worse, within tolerance"
			case m.Worse:
				verdict = "worse (not gated)"
			case m.Delta != 0:
				verdict = "better"
			}
			ew.printf("  %-24s %14s %14s %22s %10s  %s\n", m.Metric, formatMetric(m.Metric, m.Base), formatMetric(m.Metric, m.Next), formatDelta(m), tol, verdict)
		}
	}
	if c.Regression() {
		ew.printf("\nREGRESSION: %d case(s) and %d load metric(s) got worse\n", cases, metrics)
	} else {
		ew.printf("\nno regression\n")
	}
	return ew.err
}

// errWriter keeps the first write error so a long print sequence checks it once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// Incomparable lists why two runs do not measure the same thing, in words: one has conformance
// results and the other none, one has load results and the other none, or their load runs asked
// for different work (sessions, transfers, size, data mode, TLS). Empty means comparable. A
// comparison across such a difference says "no regression" about things it never compared, or
// blames the server for a change of scenario, so compare refuses it unless told otherwise.
func Incomparable(base, next *Run) []string {
	var diffs []string
	part := func(what string, b, n bool) {
		switch {
		case b && !n:
			diffs = append(diffs, fmt.Sprintf("the baseline has %s results, the new run has none", what))
		case n && !b:
			diffs = append(diffs, fmt.Sprintf("the new run has %s results, the baseline has none", what))
		}
	}
	part("conformance", base.Conformance != nil, next.Conformance != nil)
	part("load", base.Load != nil, next.Load != nil)
	if base.Conformance == nil && next.Conformance == nil && base.Load == nil && next.Load == nil {
		diffs = append(diffs, "neither run has conformance or load results")
	}
	if b, n := base.Load, next.Load; b != nil && n != nil {
		field := func(name string, bv, nv any) {
			if bv != nv {
				diffs = append(diffs, fmt.Sprintf("%s %v vs %v", name, bv, nv))
			}
		}
		field("sessions", b.Sessions, n.Sessions)
		field("transfers per session", b.TransfersPerSession, n.TransfersPerSession)
		field("size", b.Size, n.Size)
		field("data mode", b.DataMode, n.DataMode)
		field("TLS", orNone(b.TLS), orNone(n.TLS))
	}
	return diffs
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
