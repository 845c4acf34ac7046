package reports

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
)

// benchCell is one target's figure, in the words every renderer uses.
type benchCell struct {
	Value   string // the median, or "" when there is none
	Range   string // "min–max" over the rounds
	Ratio   string // to the best server: "best", "×0.83"; "" when not ranked
	Ceiling string // big transfers: "0.91 of sendfile ceiling"
	Fail    string // "980/1,000 ok" when work failed
	Detail  string // the first failure, for a tooltip
	Missing string // why there is no figure
	Best    bool
	Bad     bool

	median, min, max, ceiling float64 // for charts
	has                       bool
}

// benchRow is one figure across the targets.
type benchRow struct {
	Metric BenchMetric
	Title  string
	Cells  []benchCell
}

// benchCeilingRow is the ceiling on each target's path.
type benchCeilingRow struct {
	Title string
	Cells []benchCell
}

// benchTable lays out a bench: one row per figure that ran, one cell per target.
func benchTable(b *Bench) ([]benchRow, []benchCeilingRow) {
	var rows []benchRow
	for _, m := range BenchMetrics {
		if !slices.Contains(b.Workloads, m.Workload) {
			continue
		}
		ranks := b.Rank(m)
		row := benchRow{Metric: m, Title: m.Title}
		any := false
		for i := range b.Targets {
			t := &b.Targets[i]
			rk := ranks[i]
			s := rk.Summary
			c := benchCell{}
			if s.N > 0 {
				any = true
				c.has = true
				c.median, c.min, c.max = s.Median, s.Min, s.Max
				c.Value = formatBenchValue(m, s.Median)
				if s.N > 1 {
					c.Range = formatBenchValue(m, s.Min) + "–" + formatBenchValue(m, s.Max)
				}
				switch {
				case rk.Best && len(b.Targets) > 1:
					c.Ratio, c.Best = "best", true
				case rk.Ratio > 0 && len(b.Targets) > 1:
					c.Ratio = "×" + trimFloat(rk.Ratio, 2)
				}
				if m.LowerIsBetter && s.Median <= 0 && s.Clean {
					c.Ratio = "not ranked: no growth measured (memory the server already held was reused)"
				}
				if !s.Clean {
					c.Bad = true
					c.Fail = fmt.Sprintf("%s/%s ok", formatInt(int64(s.OK)), formatInt(int64(s.Attempted)))
					c.Ratio = "not ranked"
					c.Detail = firstFailure(t, m.Workload)
				}
				if m.Workload == WorkloadRetr || m.Workload == WorkloadStor {
					if ce := b.CeilingFor(t); ce != nil {
						sf, _ := ce.CeilingSummary()
						if sf.N > 0 && sf.Median > 0 {
							c.ceiling = sf.Median
							c.Ceiling = trimFloat(s.Median/sf.Median, 2) + " of sendfile ceiling"
						}
					}
				}
			}
			if s.Missing > 0 {
				any = true
				c.Bad = true
				c.Missing = fmt.Sprintf("missing in %d of %d rounds", s.Missing, len(t.Rounds))
				if t.Lost != "" {
					c.Missing += ": " + t.Lost
				}
			} else if s.N == 0 {
				c.Missing = benchNoValue(m, t)
			}
			row.Cells = append(row.Cells, c)
		}
		if any {
			rows = append(rows, row)
		}
	}
	var ceil []benchCeilingRow
	if len(b.Ceiling) > 0 {
		sfRow := benchCeilingRow{Title: "ceiling, sendfile"}
		wrRow := benchCeilingRow{Title: "ceiling, write loop"}
		for i := range b.Targets {
			ce := b.CeilingFor(&b.Targets[i])
			if ce == nil {
				sfRow.Cells = append(sfRow.Cells, benchCell{Missing: "remote target: no local ceiling"})
				wrRow.Cells = append(wrRow.Cells, benchCell{Missing: "remote target: no local ceiling"})
				continue
			}
			sf, wr := ce.CeilingSummary()
			rm := BenchMetric{Unit: "B/s"}
			mk := func(s BenchSummary) benchCell {
				if s.N == 0 {
					return benchCell{Missing: "not measured", Bad: true}
				}
				c := benchCell{Value: formatBenchValue(rm, s.Median), median: s.Median, min: s.Min, max: s.Max, has: true}
				if s.N > 1 {
					c.Range = formatBenchValue(rm, s.Min) + "–" + formatBenchValue(rm, s.Max)
				}
				c.Ceiling = "on " + ce.Addr
				return c
			}
			sfRow.Cells = append(sfRow.Cells, mk(sf))
			wrRow.Cells = append(wrRow.Cells, mk(wr))
		}
		ceil = []benchCeilingRow{sfRow, wrRow}
	}
	return rows, ceil
}

// firstFailure finds the first recorded failure of a workload over a target's rounds.
func firstFailure(t *BenchTarget, workload string) string {
	for _, r := range t.Rounds {
		var e string
		switch workload {
		case WorkloadSmall:
			if r.Small != nil {
				e = firstNonEmpty(r.Small.Error, r.Small.FirstFailure)
			}
		case WorkloadRetr:
			if r.Retr != nil {
				e = r.Retr.Error
			}
		case WorkloadStor:
			if r.Stor != nil {
				e = r.Stor.Error
			}
		case WorkloadLogins:
			if r.Logins != nil {
				e = r.Logins.Error
			}
		case WorkloadIdle:
			if r.Idle != nil {
				e = r.Idle.Error
			}
		}
		if e != "" {
			return fmt.Sprintf("round %d: %s", r.Round, e)
		}
	}
	return ""
}

// benchNoValue says why a figure that ran has no value for a target.
func benchNoValue(m BenchMetric, t *BenchTarget) string {
	if m.Name == "idle_kib" || m.Name == "idle_pss" {
		if t.PID == 0 {
			return "no --pid"
		}
		for _, r := range t.Rounds {
			if r.Idle != nil && r.Idle.Error != "" {
				return "not measured: " + r.Idle.Error
			}
		}
		return "not measured"
	}
	return "no value"
}

// BenchWrongBytes describes every transfer of a bench that delivered bytes other than the file
// asked for (misrouted, corrupt or stolen), or returns "": wrong bytes are never noise.
func BenchWrongBytes(b *Bench) string {
	var out []string
	for _, t := range b.Targets {
		for _, r := range t.Rounds {
			if s := r.Small; s != nil {
				if n := s.Transfers.Misrouted + s.Transfers.Corrupt + s.Transfers.Stolen; n > 0 {
					out = append(out, fmt.Sprintf("%s round %d: %d small transfers misrouted, corrupt or stolen", t.Name, r.Round, n))
				}
			}
			for _, big := range []*BenchBig{r.Retr, r.Stor} {
				if big != nil && (strings.HasPrefix(big.Error, string(VerdictMisrouted)) || strings.HasPrefix(big.Error, string(VerdictCorrupt))) {
					out = append(out, fmt.Sprintf("%s round %d: %s", t.Name, r.Round, big.Error))
				}
			}
		}
	}
	return strings.Join(out, "; ")
}

// cellText joins a cell's parts for plain text and Markdown.
func (c benchCell) text() string {
	var parts []string
	if c.Value != "" {
		v := c.Value
		if c.Range != "" {
			v += " (" + c.Range + ")"
		}
		parts = append(parts, v)
	}
	if c.Fail != "" {
		parts = append(parts, "⚠ "+c.Fail)
	}
	if c.Ratio != "" {
		parts = append(parts, c.Ratio)
	}
	if c.Ceiling != "" {
		parts = append(parts, c.Ceiling)
	}
	if c.Missing != "" {
		parts = append(parts, c.Missing)
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, " · ")
}

// WriteBenchMarkdown writes a bench as a Markdown table: a figure per row, a server per column.
func WriteBenchMarkdown(w io.Writer, b *Bench) error {
	var buf bytes.Buffer
	writeBenchMarkdown(&buf, b)
	_, err := w.Write(buf.Bytes())
	return err
}

func writeBenchMarkdown(buf *bytes.Buffer, b *Bench) {
	rows, ceil := benchTable(b)
	fmt.Fprintf(buf, "### Bench: %d round(s), interleaved\n\n", b.Rounds)
	buf.WriteString("| figure |")
	for _, t := range b.Targets {
		buf.WriteString(" " + mdCell(t.Name) + " |")
	}
	buf.WriteString("\n|---|")
	for range b.Targets {
		buf.WriteString("---|")
	}
	buf.WriteString("\n")
	line := func(title string, cells []benchCell) {
		buf.WriteString("| " + mdCell(title) + " |")
		for _, c := range cells {
			t := mdCell(c.text())
			if c.Best {
				t = "**" + t + "**"
			}
			buf.WriteString(" " + t + " |")
		}
		buf.WriteString("\n")
	}
	for _, r := range ceil {
		line(r.Title, r.Cells)
	}
	for _, r := range rows {
		title := r.Title
		switch r.Metric.Workload {
		case WorkloadRetr, WorkloadStor:
			title += " (" + formatSize(b.Config.BigSize) + ", 1 session)"
		case WorkloadSmall:
			if r.Metric.Name == "small_tps" {
				title += fmt.Sprintf(" (%d × %d × %s)", b.Config.SmallSessions, b.Config.SmallTransfers, formatSize(b.Config.SmallSize))
			}
		case WorkloadIdle:
			if r.Metric.Name == "idle_ok" {
				title = fmt.Sprintf("idle sessions held (of %d)", b.Config.IdleSessions)
			}
		}
		line(title, r.Cells)
	}
	buf.WriteString("\n")
	fmt.Fprintf(buf, "Median over the rounds (min–max); ratio to the best server (a server with failures is not ranked); big transfers against the sendfile ceiling measured in the same rounds.")
	if b.Machine != "" {
		fmt.Fprintf(buf, " Machine: %s.", mdCell(b.Machine))
	}
	buf.WriteString("\n\n")
	for _, t := range b.Targets {
		if t.Lost != "" {
			fmt.Fprintf(buf, "- **%s** stopped answering: %s\n", mdCell(t.Name), mdCell(t.Lost))
		}
	}
}

// benchFailed reports whether any server in a bench failed work or went missing, for the
// report's verdict.
func benchFailed(b *Bench) bool {
	for i := range b.Targets {
		t := &b.Targets[i]
		if t.Lost != "" {
			return true
		}
		for _, m := range BenchMetrics {
			if s := t.Summary(m); !s.Clean || s.Missing > 0 {
				return true
			}
		}
	}
	return false
}
