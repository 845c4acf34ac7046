package reports

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// benchCSS styles the bench section; it travels with the section so the page stays one file.
const benchCSS = `
table.bench td, table.bench th { vertical-align: top; }
table.bench td .v { font-weight: 600; font-variant-numeric: tabular-nums; }
table.bench td .r, table.bench td .c { display: block; color: var(--muted); font-size: 12px; }
table.bench td.best .v { color: var(--pass); }
table.bench td.bad { background: #fff8f8; }
table.bench td .f { display: block; color: var(--fail); font-weight: 600; font-size: 12px; }
table.bench td .m { display: block; color: var(--warn); font-size: 12px; }
table.bench tr.ceil th, table.bench tr.ceil td { background: var(--soft); }
svg.benchbar { display: block; width: 100%; height: auto; font-family: var(--sans); font-size: 11px; }
svg.benchbar .bar { fill: var(--s1); fill-opacity: .8; }
svg.benchbar .bar.best { fill: var(--pass); }
svg.benchbar .bar.bad { fill: var(--fail); fill-opacity: .45; }
svg.benchbar .whisker { stroke: var(--fg); stroke-width: 1.3; }
svg.benchbar .ceiling { stroke: var(--fail); stroke-width: 1.6; stroke-dasharray: 5 3; }
svg.benchbar .ceiling.write { stroke: var(--s6); }
svg.benchbar .ceiling-label { fill: var(--fail); font-size: 10.5px; }
svg.benchbar .ceiling-label.write { fill: var(--s6); }
svg.benchbar .grid line { stroke: #eaeef2; }
svg.benchbar text { fill: var(--fg); }
svg.benchbar .tick { fill: var(--muted); }
svg.benchbar .note { fill: var(--warn); }
`

// benchHTML renders a bench as an HTML section: the side-by-side table and one bar chart per
// figure, each bar the median with a whisker from min to max, the ceiling drawn as a line.
func benchHTML(label string, b *Bench) template.HTML {
	rows, ceil := benchTable(b)
	var s strings.Builder
	e := html.EscapeString
	s.WriteString(`<section id="` + e(anchorID("bench", label)) + `" class="bench"><style>` + benchCSS + `</style>`)
	fmt.Fprintf(&s, `<h2>Bench: %s <small>%d round(s), interleaved over servers and workloads</small></h2>`, e(label), b.Rounds)
	c := b.Config
	var conf []string
	for _, w := range b.Workloads {
		switch w {
		case WorkloadCeiling:
			conf = append(conf, "ceiling "+formatSize(c.CeilingSize)+" per stream")
		case WorkloadRetr, WorkloadStor:
			conf = append(conf, strings.ToUpper(w)+" "+formatSize(c.BigSize))
		case WorkloadSmall:
			conf = append(conf, fmt.Sprintf("small %d sessions × %d × %s", c.SmallSessions, c.SmallTransfers, formatSize(c.SmallSize)))
		case WorkloadLogins:
			conf = append(conf, fmt.Sprintf("%d logins, %d at once", c.Logins, c.LoginParallel))
		case WorkloadIdle:
			conf = append(conf, fmt.Sprintf("%d idle sessions", c.IdleSessions))
		}
	}
	fmt.Fprintf(&s, `<p class="config">%s%s</p>`, e(strings.Join(conf, " · ")), func() string {
		if b.Machine == "" {
			return ""
		}
		return "<br>Machine: " + e(b.Machine)
	}())
	for _, t := range b.Targets {
		if t.Lost != "" {
			fmt.Fprintf(&s, `<p class="loadline bad">%s stopped answering: %s. Its remaining figures are missing.</p>`, e(t.Name), e(t.Lost))
		}
	}

	s.WriteString(`<div class="scroll"><table class="data bench"><thead><tr><th>Figure</th>`)
	for _, t := range b.Targets {
		fmt.Fprintf(&s, `<th title="%s">%s</th>`, e(t.URL), e(t.Name))
	}
	s.WriteString(`</tr></thead><tbody>`)
	cell := func(c benchCell) {
		cls := ""
		switch {
		case c.Bad:
			cls = ` class="bad"`
		case c.Best:
			cls = ` class="best"`
		}
		s.WriteString(`<td` + cls + `>`)
		if c.Value != "" {
			s.WriteString(`<span class="v">` + e(c.Value) + `</span>`)
		}
		if c.Fail != "" {
			s.WriteString(`<span class="f" title="` + e(c.Detail) + `">⚠ ` + e(c.Fail) + `</span>`)
		}
		if c.Range != "" {
			s.WriteString(`<span class="r">` + e(c.Range) + `</span>`)
		}
		if c.Ratio != "" {
			s.WriteString(`<span class="r">` + e(c.Ratio) + `</span>`)
		}
		if c.Ceiling != "" {
			s.WriteString(`<span class="c">` + e(c.Ceiling) + `</span>`)
		}
		if c.Missing != "" {
			s.WriteString(`<span class="m">` + e(c.Missing) + `</span>`)
		}
		s.WriteString(`</td>`)
	}
	for _, r := range ceil {
		s.WriteString(`<tr class="ceil"><th scope="row">` + e(r.Title) + `</th>`)
		for _, c := range r.Cells {
			cell(c)
		}
		s.WriteString(`</tr>`)
	}
	for _, r := range rows {
		title := r.Title
		if r.Metric.LowerIsBetter {
			title += " (lower is better)"
		}
		s.WriteString(`<tr><th scope="row">` + e(title) + `</th>`)
		for _, c := range r.Cells {
			cell(c)
		}
		s.WriteString(`</tr>`)
	}
	s.WriteString(`</tbody></table></div>`)
	s.WriteString(`<p class="config">Each figure is the median over the rounds with its min–max, and its ratio to the best server. A server with failures shows how much of its work succeeded and is never ranked. RETR and STOR are also given against the sendfile ceiling measured in the same rounds on the same address.</p>`)

	s.WriteString(`<div class="charts">`)
	for _, r := range rows {
		if r.Metric.Name == "idle_ok" {
			continue
		}
		var sf, wr float64
		if r.Metric.Workload == WorkloadRetr || r.Metric.Workload == WorkloadStor {
			sf, wr = benchCeilingLine(b)
		}
		svg := benchBars(b, r, sf, wr)
		if svg == "" {
			continue
		}
		caption := r.Title
		if r.Metric.LowerIsBetter {
			caption += " <small>(lower is better)</small>"
		} else {
			caption = e(caption)
		}
		fmt.Fprintf(&s, `<figure><figcaption>%s <small>median, whisker min–max</small></figcaption>%s</figure>`, caption, svg)
	}
	s.WriteString(`</div></section>`)
	return template.HTML(s.String()) //nolint:gosec // every value above is escaped
}

// benchCeilingLine is the ceiling to draw on the big-transfer charts: the median of the first
// address (the common case is every target on loopback).
func benchCeilingLine(b *Bench) (sendfile, write float64) {
	if len(b.Ceiling) == 0 {
		return 0, 0
	}
	sf, wr := b.Ceiling[0].CeilingSummary()
	return sf.Median, wr.Median
}

// benchBars draws one horizontal bar per target.
func benchBars(b *Bench, r benchRow, ceilSF, ceilWR float64) string {
	const (
		w      = 560
		left   = 110
		top    = 22
		rowH   = 30
		bottom = 26
	)
	right := 44
	for _, c := range r.Cells {
		if c.has && c.Fail != "" {
			right = 130 // room for "⚠ ok/attempted" beside the whisker
		}
	}
	hi := math.Max(ceilSF, ceilWR)
	anyValue := false
	for _, c := range r.Cells {
		if c.has {
			anyValue = true
			hi = math.Max(hi, c.max)
		}
	}
	if !anyValue {
		return ""
	}
	lo := 0.0
	for _, c := range r.Cells {
		if c.has {
			lo = math.Min(lo, c.min)
		}
	}
	label := func(v float64) string { return formatBenchValue(r.Metric, v) }
	ticks, xlo, xhi := niceTicks(lo, hi*1.05, 4, label)
	if xhi <= xlo {
		xhi = xlo + 1
	}
	h := top + rowH*len(r.Cells) + bottom
	plotW := float64(w - left - right)
	x := func(v float64) float64 { return float64(left) + (v-xlo)/(xhi-xlo)*plotW }
	e := html.EscapeString
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="benchbar" viewBox="0 0 %d %d" role="img" aria-label="%s by server">`, w, h, e(r.Title))
	s.WriteString(`<g class="grid">`)
	for _, t := range ticks {
		fmt.Fprintf(&s, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`, x(t.V), top-4, x(t.V), h-bottom)
	}
	s.WriteString(`</g>`)
	for _, t := range ticks {
		fmt.Fprintf(&s, `<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(t.V), h-bottom+15, e(t.Label))
	}
	for i, c := range r.Cells {
		y := top + rowH*i
		name := b.Targets[i].Name
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-8, y+rowH/2+4, e(truncate(name, 16)))
		if !c.has {
			fmt.Fprintf(&s, `<text class="note" x="%d" y="%d">%s</text>`, left+4, y+rowH/2+4, e(truncate(firstNonEmpty(c.Missing, "no value"), 70)))
			continue
		}
		cls := "bar"
		switch {
		case c.Bad:
			cls += " bad"
		case c.Best:
			cls += " best"
		}
		// Bars grow from zero, leftwards for a negative figure.
		x0, x1 := math.Min(x(0), x(c.median)), math.Max(x(0), x(c.median))
		fmt.Fprintf(&s, `<rect class="%s" x="%.1f" y="%d" width="%.1f" height="%d"><title>%s: %s</title></rect>`,
			cls, x0, y+6, math.Max(x1-x0, 1), rowH-12, e(name), e(c.text()))
		if c.max > c.min {
			ym := float64(y) + rowH/2
			fmt.Fprintf(&s, `<line class="whisker" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x(c.min), ym, x(c.max), ym)
			for _, v := range []float64{c.min, c.max} {
				fmt.Fprintf(&s, `<line class="whisker" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x(v), ym-5, x(v), ym+5)
			}
		}
		if c.Fail != "" {
			fmt.Fprintf(&s, `<text class="note" x="%.1f" y="%d">⚠ %s</text>`, x(c.max)+6, y+rowH/2+4, e(c.Fail))
		}
	}
	line := func(v float64, cls, text string, ty int) {
		tip := text
		if tip == "" {
			tip = "write-loop ceiling"
		}
		if v <= 0 {
			return
		}
		fmt.Fprintf(&s, `<line class="ceiling%s" x1="%.1f" y1="%d" x2="%.1f" y2="%d"><title>%s %s</title></line>`, cls, x(v), top-6, x(v), h-bottom, e(tip), e(formatRate(v)))
		if text != "" {
			fmt.Fprintf(&s, `<text class="ceiling-label%s" x="%.1f" y="%d" text-anchor="end">%s %s</text>`, cls, x(v)-3, ty, e(text), e(formatRate(v)))
		}
	}
	line(ceilSF, "", "sendfile ceiling", top-9)
	wrText := "write-loop ceiling"
	if math.Abs(ceilWR-ceilSF) < 0.25*xhi {
		wrText = "" // too close to label apart: the line alone, named by its tooltip
	}
	line(ceilWR, " write", wrText, h-bottom-4)
	s.WriteString(`</svg>`)
	return s.String()
}

// formatSize writes a configured size in binary units, as it was most likely given: 1 GiB, 64 KiB.
func formatSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v := float64(n)
	i := 0
	for v >= 1024 && i < len(units)-1 && math.Mod(v, 1024) == 0 {
		v /= 1024
		i++
	}
	if i == 0 && n >= 1024 {
		return formatBytes(float64(n))
	}
	return trimFloat(v, 4) + " " + units[i]
}

// benchView is a bench section of the HTML page.
type benchView struct {
	Anchor, Label string
	HTML          template.HTML
}
