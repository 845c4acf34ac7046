package reports

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// The charts are small SVG documents written here rather than drawn by a script library, so the
// report needs no network, prints as drawn, and the charts are in the DOM for tests to find.
// Colours come from CSS classes (s1…s6, bad, warn, ok) so the page's palette and print styles
// apply to them.

type point struct{ X, Y float64 }

type tick struct {
	V     float64
	Label string
}

// plotSeries is one line, area or set of bars.
type plotSeries struct {
	Name   string
	Class  string
	Points []point
	Area   bool    // fill under the line
	Bars   float64 // when > 0, draw bars of this width (in x units) instead of a line
}

// dot is one point of a scatter plot; Title, when set, becomes a tooltip.
type dot struct {
	X, Y  float64
	Class string
	Title string
}

// band shades a y range across the plot, such as a declared port range.
type band struct {
	Y0, Y1 float64
	Class  string
	Label  string
}

// chart describes one plot. Zero W/H get defaults.
type chart struct {
	Label          string // accessible name
	W, H           int
	XLabel, YLabel string
	XMin, XMax     float64
	YMin, YMax     float64
	XTicks, YTicks []tick
	Series         []plotSeries
	Dots           []dot
	Bands          []band
	Legend         []legendItem
	// Compact drops axis titles and y labels and pins the outer x labels to the plot's edges,
	// for small multiples in a table cell.
	Compact bool
}

type legendItem struct {
	Name, Class string
}

const (
	marginLeft   = 62
	marginRight  = 26
	marginTop    = 14
	marginBottom = 40
	legendHeight = 20
)

// render writes the chart as an <svg> element.
func (c chart) render() string {
	if c.W == 0 {
		c.W = 640
	}
	if c.H == 0 {
		c.H = 240
	}
	if c.XMax <= c.XMin {
		c.XMax = c.XMin + 1
	}
	if c.YMax <= c.YMin {
		c.YMax = c.YMin + 1
	}
	top := float64(marginTop)
	if len(c.Legend) > 0 {
		top += legendHeight
	}
	left, right, bottom := float64(marginLeft), float64(c.W-marginRight), float64(c.H-marginBottom)
	if c.Compact {
		top, left, right, bottom = 4, 2, float64(c.W-2), float64(c.H-16)
		c.XLabel, c.YLabel = "", ""
	}
	sx := func(x float64) float64 { return left + (x-c.XMin)/(c.XMax-c.XMin)*(right-left) }
	sy := func(y float64) float64 { return bottom - (y-c.YMin)/(c.YMax-c.YMin)*(bottom-top) }
	clampY := func(y float64) float64 { return math.Max(top, math.Min(bottom, y)) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" preserveAspectRatio="xMidYMid meet">`,
		c.W, c.H, html.EscapeString(c.Label))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(c.Label))
	for _, bd := range c.Bands {
		y0, y1 := clampY(sy(bd.Y1)), clampY(sy(bd.Y0))
		fmt.Fprintf(&b, `<rect class="band %s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, bd.Class, left, y0, right-left, math.Max(y1-y0, 1))
		if bd.Label != "" {
			fmt.Fprintf(&b, `<text class="band-label" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, right-4, y0-4, html.EscapeString(bd.Label))
		}
	}
	// Grid and axes.
	b.WriteString(`<g class="grid">`)
	for _, t := range c.YTicks {
		y := sy(t.V)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, left, right, y, y)
	}
	for _, t := range c.XTicks {
		x := sx(t.V)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, x, x, top, bottom)
	}
	b.WriteString(`</g><g class="axis">`)
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, left, right, bottom, bottom)
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, left, left, top, bottom)
	if !c.Compact {
		for _, t := range c.YTicks {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`, left-6, sy(t.V), html.EscapeString(t.Label))
		}
	}
	for i, t := range c.XTicks {
		anchor := "middle"
		if c.Compact && i == 0 && sx(t.V) < left+30 {
			anchor = "start"
		} else if c.Compact && i == len(c.XTicks)-1 && sx(t.V) > right-30 {
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="%s">%s</text>`, sx(t.V), bottom+13, anchor, html.EscapeString(t.Label))
	}
	if c.XLabel != "" {
		fmt.Fprintf(&b, `<text class="axis-label" x="%.1f" y="%d" text-anchor="middle">%s</text>`, (left+right)/2, c.H-6, html.EscapeString(c.XLabel))
	}
	if c.YLabel != "" {
		fmt.Fprintf(&b, `<text class="axis-label" transform="translate(12 %.1f) rotate(-90)" text-anchor="middle">%s</text>`, (top+bottom)/2, html.EscapeString(c.YLabel))
	}
	b.WriteString(`</g>`)

	for _, s := range c.Series {
		if len(s.Points) == 0 {
			continue
		}
		fmt.Fprintf(&b, `<g class="series %s">`, s.Class)
		if s.Bars > 0 {
			for _, p := range s.Points {
				x0, x1 := sx(p.X), sx(p.X+s.Bars)
				y := clampY(sy(p.Y))
				w := math.Max(x1-x0-1, 1)
				fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x0, y, w, bottom-y)
			}
			b.WriteString(`</g>`)
			continue
		}
		var path strings.Builder
		for i, p := range s.Points {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%.1f %.1f", cmd, sx(p.X), clampY(sy(p.Y)))
		}
		if s.Area {
			first, last := s.Points[0], s.Points[len(s.Points)-1]
			fmt.Fprintf(&b, `<path class="area" d="%sL%.1f %.1fL%.1f %.1fZ"/>`, path.String(), sx(last.X), bottom, sx(first.X), bottom)
		}
		fmt.Fprintf(&b, `<path class="line" d="%s"/>`, path.String())
		b.WriteString(`</g>`)
	}

	// Dots are grouped by class so thousands of them stay small in the file.
	groups := map[string][]dot{}
	var order []string
	for _, d := range c.Dots {
		if _, ok := groups[d.Class]; !ok {
			order = append(order, d.Class)
		}
		groups[d.Class] = append(groups[d.Class], d)
	}
	for _, cls := range order {
		fmt.Fprintf(&b, `<g class="dots %s">`, cls)
		for _, d := range groups[cls] {
			if d.Title != "" {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.2"><title>%s</title></circle>`, sx(d.X), clampY(sy(d.Y)), html.EscapeString(d.Title))
			} else {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="1.8"/>`, sx(d.X), clampY(sy(d.Y)))
			}
		}
		b.WriteString(`</g>`)
	}

	if len(c.Legend) > 0 {
		x := left
		b.WriteString(`<g class="legend">`)
		for _, l := range c.Legend {
			fmt.Fprintf(&b, `<rect class="key %s" x="%.1f" y="%d" width="10" height="10" rx="2"/>`, l.Class, x, marginTop-4)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`, x+14, marginTop+5, html.EscapeString(l.Name))
			x += 14 + 7*float64(len([]rune(l.Name))) + 18
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceTicks returns about n round tick values covering [lo, hi], and the covered range.
func niceTicks(lo, hi float64, n int, label func(float64) string) ([]tick, float64, float64) {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(max(n, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	start := math.Floor(lo/step) * step
	end := math.Ceil(hi/step) * step
	var ts []tick
	for v := start; v <= end+step/2; v += step {
		// Avoid -0 and float noise in labels.
		v = math.Round(v/step) * step
		ts = append(ts, tick{V: v, Label: label(v)})
	}
	return ts, start, end
}
