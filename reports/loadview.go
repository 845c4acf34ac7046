package reports

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
)

type cardView struct {
	Label, Value, Sub string
	Class             string // ok, bad, warn or empty
}

type phaseView struct {
	Name                     string
	Count                    string
	P50, P90, P99, P999, Max string
	Bars                     template.HTML
}

type thresholdView struct {
	Expr, Value string
	Pass        bool
}

type anomalyView struct {
	Session, Index         int
	Op, File, Verdict      string
	Port                   int
	From, Offset, Bytes    string
	Replies, Error, Source string
}

type loadView struct {
	Label, Anchor string
	Config        string
	Partial       bool
	Verdict       string
	VerdictOK     bool
	Cards         []cardView
	Thresholds    []thresholdView
	LatencyCurve  template.HTML
	PhaseCurve    template.HTML
	Phases        []phaseView
	SeriesCounts  template.HTML
	SeriesBytes   template.HTML
	PortMap       template.HTML
	PortSampled   bool
	PortFacts     []cardView
	Anomalies     []anomalyView
	AnomaliesMore int
	Truncated     bool
	Thieves       *Thieves
}

// maxAnomalies bounds the table of transfers that went wrong; the JSON keeps them all.
const maxAnomalies = 200

func buildLoad(label string, idx int, l *Load) (loadView, error) {
	v := loadView{Label: label, Anchor: fmt.Sprintf("load-%d", idx+1), Truncated: l.Truncated, Thieves: l.Thieves}
	cfg := []string{fmt.Sprintf("%s sessions × %s transfers", formatInt(int64(l.Sessions)), formatInt(int64(l.TransfersPerSession)))}
	if l.Size > 0 {
		cfg = append(cfg, formatBytes(float64(l.Size))+" each")
	}
	for _, s := range []struct{ k, v string }{{"mode", l.DataMode}, {"TLS", l.TLS}, {"from", l.Source}, {"scenario", l.Scenario}} {
		if s.v != "" {
			cfg = append(cfg, s.k+" "+s.v)
		}
	}
	if l.Shard != nil {
		cfg = append(cfg, fmt.Sprintf("shard %d/%d", l.Shard.Index, l.Shard.Count))
	}
	if l.DurationS > 0 {
		cfg = append(cfg, "ran "+formatMS(l.DurationS*1000))
	}
	v.Config = strings.Join(cfg, " · ")

	t := l.Transfers
	bad := t.Failed + t.Misrouted + t.Corrupt + t.Stolen
	v.VerdictOK = bad == 0 && thresholdsFailed(l) == 0
	switch {
	case t.Misrouted+t.Corrupt+t.Stolen > 0:
		v.Verdict = "Data went to the wrong place"
	case !v.VerdictOK:
		v.Verdict = "Failures"
	default:
		v.Verdict = "All transfers verified"
	}
	countCard := func(label string, n int, badWhenNonZero bool) cardView {
		c := cardView{Label: label, Value: formatInt(int64(n))}
		if badWhenNonZero {
			c.Class = "ok"
			if n > 0 {
				c.Class = "bad"
			}
		}
		if t.Attempted > 0 && n > 0 {
			c.Sub = formatPercent(float64(n)/float64(t.Attempted)) + " of attempted"
		}
		return c
	}
	okCard := countCard("transfers ok", t.OK, false)
	okCard.Sub = "of " + formatInt(int64(t.Attempted)) + " attempted"
	if t.OK == t.Attempted && t.Attempted > 0 {
		okCard.Class = "ok"
	}
	v.Cards = []cardView{
		okCard,
		countCard("failed", t.Failed, true),
		countCard("misrouted", t.Misrouted, true),
		countCard("corrupt", t.Corrupt, true),
		countCard("stolen", t.Stolen, true),
		{Label: "throughput", Value: formatRate(l.ThroughputBytesPerS), Sub: formatBytes(float64(l.Bytes)) + " verified"},
		{Label: "transfers/s", Value: formatFloat(l.TransfersPerS)},
		{Label: "latency p50 / p99", Value: formatMS(l.LatencyMS.P50) + " / " + formatMS(l.LatencyMS.P99), Sub: "max " + formatMS(l.LatencyMS.Max)},
		{Label: "peak simultaneous data connections", Value: formatInt(int64(l.MaxSimultaneousDataConnections))},
	}
	dp := l.DataPorts
	portCard := func(label string, n int, sub string) cardView {
		c := cardView{Label: label, Value: formatInt(int64(n)), Sub: sub, Class: "ok"}
		if n > 0 {
			c.Class = "bad"
		}
		return c
	}
	rangeSub := "no range declared"
	if dp.DeclaredRange != "" {
		rangeSub = "declared " + dp.DeclaredRange
	}
	distinct := cardView{Label: "distinct data ports", Value: formatInt(int64(dp.Distinct))}
	if dp.Max > 0 {
		distinct.Sub = fmt.Sprintf("%d–%d", dp.Min, dp.Max)
	}
	v.PortFacts = []cardView{
		distinct,
		portCard("shared while pending", dp.SharedWhilePending, "transfers handed a port another pending transfer held"),
		portCard("out of range", dp.OutOfRange, rangeSub),
	}
	if dp.Sequential || dp.SequentialFraction >= 0.1 {
		c := cardView{Label: "sequential ports", Value: formatPercent(dp.SequentialFraction), Sub: "of steps between successive ports (RFC 2577 asks for random ports)"}
		if dp.Sequential {
			c.Class = "warn"
		}
		v.PortFacts = append(v.PortFacts, c)
	}
	if dp.AddressMismatches > 0 {
		v.PortFacts = append(v.PortFacts, portCard("227 address ≠ control address", dp.AddressMismatches, "replies"))
	}
	if as := dp.ActiveSources; as != nil {
		// Where the server opened its active-mode data connections from (RFC 959 §3.2's default
		// is L-1, port 20 for a server on 21; most servers use an ephemeral port).
		c := cardView{Label: "active-mode source ports", Value: fmt.Sprintf("%d–%d", as.Min, as.Max),
			Sub: fmt.Sprintf("%d connections from %d ports, %d below 1024", as.Connections, as.Distinct, as.Privileged)}
		if as.Min == as.Max {
			c.Value = strconv.Itoa(as.Min)
		}
		v.PortFacts = append(v.PortFacts, c)
	}

	for _, th := range l.Thresholds {
		v.Thresholds = append(v.Thresholds, thresholdView{Expr: th.Expr, Value: formatMetric(thresholdExprMetric(th.Expr), th.Value), Pass: th.Pass})
	}

	// Histograms: the whole transfer's percentile curve, then the phases side by side.
	hdrs := map[string]*hdrhistogram.Histogram{}
	for _, name := range sortedHistogramNames(l.Histograms) {
		h, err := l.Histograms[name].HDR()
		if err != nil {
			return v, fmt.Errorf("load histogram %q: %w", name, err)
		}
		hdrs[name] = h
	}
	if h := hdrs["transfer"]; h != nil {
		v.LatencyCurve = template.HTML(percentileCurve("transfer latency by percentile", []string{"transfer"}, []*hdrhistogram.Histogram{h}, 640, 260))
	}
	var names []string
	var hs []*hdrhistogram.Histogram
	for _, name := range sortedHistogramNames(l.Histograms) {
		h := hdrs[name]
		p := PercentilesOf(h)
		v.Phases = append(v.Phases, phaseView{
			Name: name, Count: formatInt(h.TotalCount()),
			P50: formatMS(p.P50), P90: formatMS(p.P90), P99: formatMS(p.P99), P999: formatMS(p.P999), Max: formatMS(p.Max),
			Bars: template.HTML(histogramBars(name+" latency distribution", h, 300, 70)),
		})
		if name != "transfer" && h.TotalCount() > 0 {
			names = append(names, name)
			hs = append(hs, h)
		}
	}
	if len(hs) > 0 {
		v.PhaseCurve = template.HTML(percentileCurve("phase latency by percentile", names, hs, 640, 260))
	}
	counts, bytes := seriesCharts(l.Series)
	v.SeriesCounts, v.SeriesBytes = template.HTML(counts), template.HTML(bytes)
	pm, sampled := portMap(l)
	v.PortMap, v.PortSampled = template.HTML(pm), sampled

	for _, r := range l.Records {
		if r.Verdict == VerdictOK || r.Verdict == "" {
			continue
		}
		if len(v.Anomalies) >= maxAnomalies {
			v.AnomaliesMore++
			continue
		}
		a := anomalyView{Session: r.Session, Index: r.Index, Op: r.Op, File: r.File, Verdict: string(r.Verdict), Port: r.DataPort,
			From: r.From, Bytes: formatInt(r.Bytes), Error: visibleString(r.Error), Source: r.Source}
		if r.Verdict == VerdictMisrouted || r.Verdict == VerdictCorrupt || r.Offset > 0 {
			a.Offset = formatInt(r.Offset)
		}
		codes := make([]string, len(r.Replies))
		for i, c := range r.Replies {
			codes[i] = fmt.Sprint(c)
		}
		a.Replies = strings.Join(codes, " ")
		v.Anomalies = append(v.Anomalies, a)
	}
	return v, nil
}
