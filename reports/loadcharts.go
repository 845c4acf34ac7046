package reports

import (
	"fmt"
	"math"
	"sort"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Phases lists the histogram names of a load run in the order a transfer goes through them.
var Phases = []string{"connect", "login", "pasv", "data_connect", "first_byte", "done"}

// percentileX maps a quantile to the x axis of a percentile curve: 0 at the median's left edge,
// one unit per "nine" (90% → 1, 99% → 2, 99.9% → 3), as HdrHistogram's plots do, so the tail that
// matters gets the room.
func percentileX(q float64) float64 { return -math.Log10(1 - q) }

var percentileTicks = []struct {
	q     float64
	label string
}{
	{0, "0%"}, {0.5, "50%"}, {0.9, "90%"}, {0.99, "99%"}, {0.999, "99.9%"}, {0.9999, "99.99%"}, {0.99999, "99.999%"},
}

// percentileCurve plots the value at each percentile of one or more histograms (microseconds)
// in milliseconds.
func percentileCurve(label string, names []string, hs []*hdrhistogram.Histogram, w, h int) string {
	var total int64
	for _, x := range hs {
		total = max(total, x.TotalCount())
	}
	if total == 0 {
		return ""
	}
	// Show as many nines as the data can support, at least two.
	xmax := math.Min(5, math.Max(2, math.Ceil(math.Log10(float64(total)))))
	c := chart{Label: label, W: w, H: h, XLabel: "percentile", YLabel: "latency (ms)", XMin: 0, XMax: xmax}
	var ymax float64
	for i, x := range hs {
		s := plotSeries{Name: names[i], Class: fmt.Sprintf("s%d", i%6+1)}
		for px := 0.0; px <= xmax+1e-9; px += xmax / 120 {
			q := 1 - math.Pow(10, -px)
			v := float64(x.ValueAtPercentile(q*100)) / 1000
			s.Points = append(s.Points, point{px, v})
			ymax = math.Max(ymax, v)
		}
		c.Series = append(c.Series, s)
		if len(hs) > 1 {
			c.Legend = append(c.Legend, legendItem{names[i], s.Class})
		}
	}
	if len(hs) == 1 {
		c.Series[0].Area = true
	}
	for _, t := range percentileTicks {
		if percentileX(t.q) <= xmax+1e-9 {
			c.XTicks = append(c.XTicks, tick{percentileX(t.q), t.label})
		}
	}
	c.YTicks, c.YMin, c.YMax = niceTicks(0, ymax, 5, func(v float64) string { return trimFloat(v, 3) })
	return c.render()
}

// histogramBars draws the distribution of a histogram (microseconds) as bars over logarithmic
// latency bins, which shows modes that percentiles hide.
func histogramBars(label string, h *hdrhistogram.Histogram, w, ht int) string {
	if h.TotalCount() == 0 {
		return ""
	}
	lo, hi := float64(max(h.Min(), 1)), float64(max(h.Max(), 1))
	l0, l1 := math.Log10(lo), math.Log10(hi)
	if l1-l0 < 0.5 {
		l0 -= 0.25
		l1 += 0.25
	}
	const bins = 32
	width := (l1 - l0) / bins
	counts := make([]float64, bins)
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		mid := math.Log10(float64(max((b.From+b.To)/2, 1)))
		i := int((mid - l0) / width)
		i = max(0, min(bins-1, i))
		counts[i] += float64(b.Count)
	}
	c := chart{Label: label, W: w, H: ht, XMin: l0, XMax: l1, Compact: true}
	s := plotSeries{Class: "s1", Bars: width}
	var ymax float64
	for i, n := range counts {
		s.Points = append(s.Points, point{l0 + float64(i)*width, n})
		ymax = math.Max(ymax, n)
	}
	c.Series = []plotSeries{s}
	// Label the ends and the powers of ten between them that leave room for their labels.
	c.XTicks = []tick{{l0, formatMS(math.Pow(10, l0) / 1000)}}
	for e := math.Ceil(l0); e <= math.Floor(l1); e++ {
		if e-l0 > (l1-l0)/5 && l1-e > (l1-l0)/5 {
			c.XTicks = append(c.XTicks, tick{e, formatMS(math.Pow(10, e) / 1000)})
		}
	}
	c.XTicks = append(c.XTicks, tick{l1, formatMS(math.Pow(10, l1) / 1000)})
	c.YMin, c.YMax = 0, ymax
	return c.render()
}

// seriesCharts draws the per-second series: transfers and errors per second, and bytes per second.
func seriesCharts(series []Second) (counts, bytes string) {
	if len(series) == 0 {
		return "", ""
	}
	xmax := 0.0
	var cmax, bmax float64
	tr := plotSeries{Name: "transfers/s", Class: "s1", Area: true}
	er := plotSeries{Name: "errors/s", Class: "bad"}
	by := plotSeries{Name: "bytes/s", Class: "s2", Area: true}
	for _, s := range series {
		// A second's count is plotted at its middle.
		x := float64(s.T) + 0.5
		xmax = math.Max(xmax, float64(s.T)+1)
		tr.Points = append(tr.Points, point{x, float64(s.Transfers)})
		er.Points = append(er.Points, point{x, float64(s.Errors)})
		by.Points = append(by.Points, point{x, float64(s.Bytes)})
		cmax = math.Max(cmax, math.Max(float64(s.Transfers), float64(s.Errors)))
		bmax = math.Max(bmax, float64(s.Bytes))
	}
	xt, x0, x1 := niceTicks(0, xmax, 8, func(v float64) string { return trimFloat(v, 3) + "s" })
	c := chart{Label: "transfers and errors per second", H: 200, XLabel: "time since start", YLabel: "per second",
		XMin: x0, XMax: x1, XTicks: xt, Series: []plotSeries{tr, er},
		Legend: []legendItem{{"transfers/s", "s1"}, {"errors/s", "bad"}}}
	c.YTicks, c.YMin, c.YMax = niceTicks(0, cmax, 4, formatFloat)
	counts = c.render()
	b := chart{Label: "bytes per second", H: 200, XLabel: "time since start", YLabel: "bytes/s",
		XMin: x0, XMax: x1, XTicks: xt, Series: []plotSeries{by}}
	b.YTicks, b.YMin, b.YMax = niceTicks(0, bmax, 4, func(v float64) string { return formatBytes(v) })
	bytes = b.render()
	return counts, bytes
}

// maxPortMapDots bounds the port map's size; past it ordinary transfers are sampled evenly while
// every highlighted one is kept.
const maxPortMapDots = 4000

// portMap plots the data port each transfer was handed against when it was handed out, with the
// declared range shaded and shared, out-of-range and failed transfers highlighted.
func portMap(l *Load) (svg string, sampled bool) {
	if len(l.Records) == 0 {
		return "", false
	}
	shared := sharedWhilePending(l.Records)
	lo, hi, err := ParsePortRange(l.DataPorts.DeclaredRange)
	hasRange := l.DataPorts.DeclaredRange != "" && err == nil
	var plain, marked []dot
	var xmax float64
	pmin, pmax := math.MaxFloat64, 0.0
	for i, r := range l.Records {
		if r.DataPort == 0 {
			continue
		}
		from, _ := pendingWindow(r)
		x := from / 1000
		y := float64(r.DataPort)
		xmax = math.Max(xmax, x)
		pmin, pmax = math.Min(pmin, y), math.Max(pmax, y)
		d := dot{X: x, Y: y, Class: "ok"}
		why := ""
		switch {
		case r.Verdict == VerdictMisrouted || r.Verdict == VerdictStolen || r.Verdict == VerdictCorrupt:
			d.Class, why = "bad", string(r.Verdict)
		case shared[i]:
			d.Class, why = "bad", "shared while pending"
		case hasRange && (r.DataPort < lo || r.DataPort > hi):
			d.Class, why = "warn", "outside declared range"
		case r.Verdict == VerdictFailed:
			d.Class, why = "warn", "failed"
		}
		if why != "" {
			if shared[i] && why != "shared while pending" {
				why += ", shared while pending"
			}
			d.Title = fmt.Sprintf("port %d: session %d transfer %d (%s): %s", r.DataPort, r.Session, r.Index, r.File, why)
			marked = append(marked, d)
		} else {
			plain = append(plain, d)
		}
	}
	if len(plain)+len(marked) == 0 {
		return "", false
	}
	if n := len(plain); n+len(marked) > maxPortMapDots {
		keep := max(maxPortMapDots-len(marked), maxPortMapDots/4)
		sampledDots := make([]dot, 0, keep)
		for i := 0; i < keep && i*n/keep < n; i++ {
			sampledDots = append(sampledDots, plain[i*n/keep])
		}
		plain, sampled = sampledDots, true
	}
	if hasRange {
		pmin, pmax = math.Min(pmin, float64(lo)), math.Max(pmax, float64(hi))
	}
	pad := math.Max(1, (pmax-pmin)*0.05)
	c := chart{Label: "data port handed to each transfer over time", W: 1240, H: 320, XLabel: "time since start (PASV/EPSV reply)", YLabel: "data port"}
	c.XTicks, c.XMin, c.XMax = niceTicks(0, math.Max(xmax, 0.001), 8, func(v float64) string { return trimFloat(v, 3) + "s" })
	c.YTicks, c.YMin, c.YMax = niceTicks(math.Max(0, pmin-pad), math.Min(65535, pmax+pad), 5, func(v float64) string { return fmt.Sprintf("%.0f", v) })
	if hasRange {
		c.Bands = []band{{Y0: float64(lo), Y1: float64(hi), Class: "range", Label: "declared " + l.DataPorts.DeclaredRange}}
	}
	c.Dots = append(plain, marked...)
	c.Legend = []legendItem{{"port handed out", "ok"}, {"shared / misrouted / stolen / corrupt", "bad"}, {"out of range / failed", "warn"}}
	return c.render(), sampled
}

// sortedHistogramNames lists a load's histograms: the whole transfer first, then the phases in
// order, then anything else by name.
func sortedHistogramNames(hs map[string]*Histogram) []string {
	rank := map[string]int{"transfer": 0}
	for i, p := range Phases {
		rank[p] = i + 1
	}
	var names []string
	for n := range hs {
		names = append(names, n)
	}
	sort.Slice(names, func(a, b int) bool {
		ra, oka := rank[names[a]]
		rb, okb := rank[names[b]]
		switch {
		case oka && okb:
			return ra < rb
		case oka != okb:
			return oka
		}
		return names[a] < names[b]
	})
	return names
}
