package reports

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// metricKind decides which units a metric's value may be written in.
type metricKind int

const (
	kindCount metricKind = iota
	kindLatency
	kindRatio
	kindRate  // bytes per second
	kindBytes // bytes
	kindPerSecond
)

type metricDef struct {
	name string
	kind metricKind
	get  func(l *Load) float64
	// lowerIsBetter is how a comparison decides which direction is a regression.
	lowerIsBetter bool
}

// metricDefs lists the load metrics thresholds and comparisons can name, in display order.
var metricDefs = []metricDef{
	{"attempted", kindCount, func(l *Load) float64 { return float64(l.Transfers.Attempted) }, false},
	{"ok", kindCount, func(l *Load) float64 { return float64(l.Transfers.OK) }, false},
	{"failed", kindCount, func(l *Load) float64 { return float64(l.Transfers.Failed) }, true},
	{"misrouted", kindCount, func(l *Load) float64 { return float64(l.Transfers.Misrouted) }, true},
	{"corrupt", kindCount, func(l *Load) float64 { return float64(l.Transfers.Corrupt) }, true},
	{"stolen", kindCount, func(l *Load) float64 { return float64(l.Transfers.Stolen) }, true},
	{"error_rate", kindRatio, errorRate, true},
	{"transfers_per_s", kindPerSecond, func(l *Load) float64 { return l.TransfersPerS }, false},
	{"throughput_bytes_per_s", kindRate, func(l *Load) float64 { return l.ThroughputBytesPerS }, false},
	{"bytes", kindBytes, func(l *Load) float64 { return float64(l.Bytes) }, false},
	{"p50", kindLatency, func(l *Load) float64 { return l.LatencyMS.P50 }, true},
	{"p90", kindLatency, func(l *Load) float64 { return l.LatencyMS.P90 }, true},
	{"p99", kindLatency, func(l *Load) float64 { return l.LatencyMS.P99 }, true},
	{"p999", kindLatency, func(l *Load) float64 { return l.LatencyMS.P999 }, true},
	{"max", kindLatency, func(l *Load) float64 { return l.LatencyMS.Max }, true},
	{"max_simultaneous_data_connections", kindCount, func(l *Load) float64 { return float64(l.MaxSimultaneousDataConnections) }, false},
	{"distinct_ports", kindCount, func(l *Load) float64 { return float64(l.DataPorts.Distinct) }, false},
	{"shared_while_pending", kindCount, func(l *Load) float64 { return float64(l.DataPorts.SharedWhilePending) }, true},
	{"out_of_range", kindCount, func(l *Load) float64 { return float64(l.DataPorts.OutOfRange) }, true},
}

// metricAliases are other names users write for a metric.
var metricAliases = map[string]string{
	"throughput":                      "throughput_bytes_per_s",
	"tps":                             "transfers_per_s",
	"p99.9":                           "p999",
	"max_simultaneous":                "max_simultaneous_data_connections",
	"data_ports.distinct":             "distinct_ports",
	"data_ports.out_of_range":         "out_of_range",
	"shared_ports":                    "shared_while_pending",
	"transfers.ok":                    "ok",
	"transfers.failed":                "failed",
	"transfers.misrouted":             "misrouted",
	"transfers.corrupt":               "corrupt",
	"transfers.stolen":                "stolen",
	"latency_ms.p50":                  "p50",
	"latency_ms.p90":                  "p90",
	"latency_ms.p99":                  "p99",
	"latency_ms.max":                  "max",
	"throughput_bytes_per_sec":        "throughput_bytes_per_s",
	"transfers_per_sec":               "transfers_per_s",
	"data_ports.shared_while_pending": "shared_while_pending",
}

func errorRate(l *Load) float64 {
	if l.Transfers.Attempted > 0 {
		return float64(l.Transfers.Attempted-l.Transfers.OK) / float64(l.Transfers.Attempted)
	}
	return l.ErrorRate
}

// MetricNames lists the load metrics that thresholds and comparisons understand.
func MetricNames() []string {
	names := make([]string, len(metricDefs))
	for i, m := range metricDefs {
		names[i] = m.name
	}
	return names
}

func lookupMetric(name string) (metricDef, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	if a, ok := metricAliases[n]; ok {
		n = a
	}
	for _, m := range metricDefs {
		if m.name == n {
			return m, true
		}
	}
	return metricDef{}, false
}

// MetricValue returns a named metric of a load result (latencies in milliseconds, error_rate as
// a fraction, throughput in bytes per second).
func MetricValue(l *Load, name string) (float64, error) {
	m, ok := lookupMetric(name)
	if !ok {
		return 0, fmt.Errorf("unknown metric %q (known: %s)", name, strings.Join(MetricNames(), ", "))
	}
	return m.get(l), nil
}

// Threshold is a parsed threshold expression such as "p99<250ms": a metric, an operator and a
// value in the metric's base unit (milliseconds, a fraction, bytes per second, or a count).
type Threshold struct {
	Expr   string
	Metric string
	Op     string
	Value  float64
}

var thresholdOps = []string{"<=", ">=", "==", "!=", "<", ">"}

var numberRE = regexp.MustCompile(`^([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*(.*)$`)

// ParseThreshold parses an expression "METRIC OP VALUE", for example misrouted==0, p99<250ms,
// p50<=1s, transfers_per_s>=3000, error_rate<0.1%, throughput>=100MB/s.
func ParseThreshold(expr string) (Threshold, error) {
	e := strings.TrimSpace(expr)
	at, op := -1, ""
	for i := 0; i < len(e) && at < 0; i++ {
		for _, o := range thresholdOps {
			if strings.HasPrefix(e[i:], o) {
				at, op = i, o
				break
			}
		}
	}
	if at < 0 {
		if strings.Contains(e, "=") {
			return Threshold{}, fmt.Errorf("threshold %q: unknown operator (use <, <=, >, >=, == or !=)", expr)
		}
		return Threshold{}, fmt.Errorf("threshold %q: no comparison operator (want METRIC OP VALUE, e.g. p99<250ms)", expr)
	}
	name, val := strings.TrimSpace(e[:at]), strings.TrimSpace(e[at+len(op):])
	if name == "" {
		return Threshold{}, fmt.Errorf("threshold %q: no metric before %q", expr, op)
	}
	m, ok := lookupMetric(name)
	if !ok {
		return Threshold{}, fmt.Errorf("threshold %q: unknown metric %q (known: %s)", expr, name, strings.Join(MetricNames(), ", "))
	}
	if val == "" {
		return Threshold{}, fmt.Errorf("threshold %q: no value after %q", expr, op)
	}
	v, err := parseMetricValue(m, val)
	if err != nil {
		return Threshold{}, fmt.Errorf("threshold %q: %w", expr, err)
	}
	return Threshold{Expr: e, Metric: m.name, Op: op, Value: v}, nil
}

// parseMetricValue reads a number with a unit suitable for the metric and converts it to the
// metric's base unit.
func parseMetricValue(m metricDef, s string) (float64, error) {
	sm := numberRE.FindStringSubmatch(s)
	if sm == nil {
		return 0, fmt.Errorf("bad number %q", s)
	}
	num, err := strconv.ParseFloat(sm[1], 64)
	if err != nil || math.IsInf(num, 0) || math.IsNaN(num) {
		return 0, fmt.Errorf("bad number %q", sm[1])
	}
	unit := strings.TrimSpace(sm[2])
	f, ok := unitFactor(m.kind, unit)
	if !ok {
		return 0, fmt.Errorf("bad unit %q for %s (%s)", unit, m.name, unitHelp(m.kind))
	}
	return num * f, nil
}

var (
	latencyUnits = map[string]float64{"": 1, "ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1, "s": 1000, "m": 60000, "min": 60000}
	byteUnits    = map[string]float64{
		"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	}
	bitUnits = map[string]float64{"bit": 1.0 / 8, "kbit": 1e3 / 8, "mbit": 1e6 / 8, "gbit": 1e9 / 8}
)

func unitFactor(k metricKind, unit string) (float64, bool) {
	switch k {
	case kindCount:
		return 1, unit == ""
	case kindPerSecond:
		return 1, unit == "" || unit == "/s"
	case kindRatio:
		switch unit {
		case "":
			return 1, true
		case "%":
			return 0.01, true
		}
		return 0, false
	case kindLatency:
		f, ok := latencyUnits[unit]
		return f, ok
	case kindBytes:
		f, ok := byteUnits[strings.ToLower(unit)]
		return f, ok
	case kindRate:
		u := strings.ToLower(unit)
		if strings.HasSuffix(u, "ps") && u != "ps" {
			// Gbps, Mbps: bits per second.
			if f, ok := bitUnits[strings.TrimSuffix(u, "ps")+"it"]; ok {
				return f, true
			}
		}
		u = strings.TrimSuffix(u, "/s")
		if f, ok := byteUnits[u]; ok {
			return f, true
		}
		f, ok := bitUnits[u]
		return f, ok
	}
	return 0, false
}

func unitHelp(k metricKind) string {
	switch k {
	case kindCount:
		return "a plain count"
	case kindPerSecond:
		return "a number per second"
	case kindRatio:
		return "a fraction or a percentage such as 0.1%"
	case kindLatency:
		return "a duration: ns, us, ms (default), s, m"
	case kindBytes:
		return "bytes: B, kB, MB, GB, KiB, MiB, GiB"
	case kindRate:
		return "bytes per second: B/s, kB/s, MB/s, GB/s, MiB/s, or Mbit/s, Gbps"
	}
	return ""
}

// Eval evaluates the threshold on a load result.
func (t Threshold) Eval(l *Load) ThresholdResult {
	v, err := MetricValue(l, t.Metric)
	if err != nil {
		return ThresholdResult{Expr: t.Expr, Pass: false}
	}
	return ThresholdResult{Expr: t.Expr, Value: v, Pass: compareOp(v, t.Op, t.Value)}
}

func compareOp(a float64, op string, b float64) bool {
	switch op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "==":
		return a == b
	case "!=":
		return a != b
	}
	return false
}

// EvalThresholds parses and evaluates expressions in order; the first bad expression is an error.
func EvalThresholds(exprs []string, l *Load) ([]ThresholdResult, error) {
	out := make([]ThresholdResult, 0, len(exprs))
	for _, e := range exprs {
		t, err := ParseThreshold(e)
		if err != nil {
			return nil, err
		}
		out = append(out, t.Eval(l))
	}
	return out, nil
}

// formatMetric writes a metric value in its natural unit.
func formatMetric(name string, v float64) string {
	m, ok := lookupMetric(name)
	if !ok {
		return formatBenchMetric(name, v)
	}
	switch m.kind {
	case kindLatency:
		return formatMS(v)
	case kindRatio:
		return formatPercent(v)
	case kindRate:
		return formatRate(v)
	case kindBytes:
		return formatBytes(v)
	}
	return formatFloat(v)
}

// thresholdExprMetric returns the metric a stored threshold expression names, for display.
func thresholdExprMetric(expr string) string {
	t, err := ParseThreshold(expr)
	if err != nil {
		return ""
	}
	return t.Metric
}

func thresholdsFailed(l *Load) int {
	n := 0
	for _, t := range l.Thresholds {
		if !t.Pass {
			n++
		}
	}
	return n
}
