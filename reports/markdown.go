package reports

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// MarkdownOptions adjusts the Markdown summary.
type MarkdownOptions struct {
	// ReportURL, when set, is where the HTML report will be; failing case IDs link into it.
	ReportURL string
	// MaxFailures bounds the failures table so the summary fits a CI job summary; 50 when zero.
	MaxFailures int
}

// WriteMarkdown writes a short summary for a CI job page (GitHub's step summary and the like):
// totals per run, the failures, and the load headline figures with thresholds.
func WriteMarkdown(w io.Writer, runs []*Run, opts MarkdownOptions) error {
	if err := checkRuns(runs); err != nil {
		return fmt.Errorf("markdown: %w", err)
	}
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = 50
	}
	labels := RunLabels(runs)
	var b bytes.Buffer
	cols := matrixColumns(runs, labels)

	failures, loadBad := 0, 0
	for _, col := range cols {
		for _, c := range runs[col.run].Conformance.Cases {
			if c.TLS == col.tls && badOutcome(c.Outcome) {
				failures++
			}
		}
	}
	for _, r := range runs {
		if l := r.Load; l != nil && (l.Transfers.Failed+l.Transfers.Misrouted+l.Transfers.Corrupt+l.Transfers.Stolen > 0 || thresholdsFailed(l) > 0) {
			loadBad++
		}
		if r.Bench != nil && benchFailed(r.Bench) {
			loadBad++
		}
	}
	for _, r := range runs {
		if r.Lab != nil && len(r.Lab.Findings) > 0 {
			loadBad++
		}
	}
	verdict := "✅ all passed"
	if failures+loadBad > 0 {
		verdict = fmt.Sprintf("❌ %d case failure(s)", failures)
		if loadBad > 0 {
			verdict += fmt.Sprintf(", %d failing load run(s)", loadBad)
		}
	}
	verdict = incompleteVerdict(runs, verdict)
	fmt.Fprintf(&b, "## ftpspec: %s\n\n", verdict)

	if len(cols) > 0 {
		b.WriteString("### Conformance\n\n")
		b.WriteString("| Run | Target | ✓ pass | ✗ fail | ! warn | ◆ advisory | ∅ unsupported | – skip | ⚠ error | ⊗ xfail | ⊕ xpass |\n")
		b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, col := range cols {
			var t Totals
			for _, c := range runs[col.run].Conformance.Cases {
				if c.TLS == col.tls {
					t.Add(c.Outcome)
				}
			}
			fmt.Fprintf(&b, "| %s | %s |", mdCell(labelOf(col)), mdCode(runs[col.run].Target.URL))
			for _, o := range Outcomes {
				n := t.Count(o)
				if n > 0 && badOutcome(o) {
					fmt.Fprintf(&b, " **%d** |", n)
				} else {
					fmt.Fprintf(&b, " %d |", n)
				}
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}

	if failures > 0 {
		fmt.Fprintf(&b, "### Failures (%d)\n\n", failures)
		b.WriteString("| Run | Outcome | Case | Level | Title | Expected | Actual |\n")
		b.WriteString("|---|---|---|---|---|---|---|\n")
		shown := 0
		for _, col := range cols {
			for _, c := range runs[col.run].Conformance.Cases {
				if c.TLS != col.tls || !badOutcome(c.Outcome) {
					continue
				}
				if shown == opts.MaxFailures {
					shown++
					break
				}
				shown++
				id := mdCode(c.ID)
				if opts.ReportURL != "" {
					id = fmt.Sprintf("[%s](%s#%s)", id, opts.ReportURL, anchorID("case-", c.ID))
				}
				actual := firstNonEmpty(c.Actual, c.Reason)
				fmt.Fprintf(&b, "| %s | %s %s | %s | %s | %s | %s | %s |\n", mdCell(labelOf(col)), outcomeSymbol(c.Outcome), c.Outcome, id,
					mdCell(c.Level), mdCell(c.Title), mdCell(truncate(visibleString(c.Expected), 120)), mdCell(truncate(visibleString(actual), 120)))
			}
		}
		if shown > opts.MaxFailures {
			fmt.Fprintf(&b, "\n… and %d more failures: see the HTML report.\n", failures-opts.MaxFailures)
		}
		b.WriteString("\n")
	}

	writeMarkdownAdvisories(&b, runs, cols, opts)

	var loads []int
	for i, r := range runs {
		if r.Load != nil {
			loads = append(loads, i)
		}
	}
	if len(loads) > 0 {
		b.WriteString("### Load\n\n")
		b.WriteString("| Run | ok / attempted | failed | misrouted | corrupt | stolen | throughput | transfers/s | p50 | p99 | peak data conns | shared ports |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, i := range loads {
			l := runs[i].Load
			t := l.Transfers
			fmt.Fprintf(&b, "| %s | %s / %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", mdCell(labels[i]),
				formatInt(int64(t.OK)), formatInt(int64(t.Attempted)), mdBad(t.Failed), mdBad(t.Misrouted), mdBad(t.Corrupt), mdBad(t.Stolen),
				formatRate(l.ThroughputBytesPerS), formatFloat(l.TransfersPerS), formatMS(l.LatencyMS.P50), formatMS(l.LatencyMS.P99),
				formatInt(int64(l.MaxSimultaneousDataConnections)), mdBad(l.DataPorts.SharedWhilePending))
		}
		b.WriteString("\n")
		for _, i := range loads {
			l := runs[i].Load
			if len(l.Thresholds) == 0 {
				continue
			}
			fmt.Fprintf(&b, "**Thresholds (%s)**\n\n| Threshold | Measured | Verdict |\n|---|---:|---|\n", mdCell(labels[i]))
			for _, t := range l.Thresholds {
				v := "✓ pass"
				if !t.Pass {
					v = "❌ fail"
				}
				fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCode(t.Expr), formatMetric(thresholdExprMetric(t.Expr), t.Value), v)
			}
			b.WriteString("\n")
		}
	}
	for i, r := range runs {
		if r.Lab != nil {
			writeLabMarkdown(&b, labels[i], r.Lab)
		}
	}
	for _, r := range runs {
		if r.Bench != nil {
			writeBenchMarkdown(&b, r.Bench)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeLabMarkdown summarises a NAT lab: the 227 address, active mode through the NAT, findings.
func writeLabMarkdown(b *bytes.Buffer, label string, l *Lab) {
	fmt.Fprintf(b, "### NAT lab (%s)\n\n", mdCell(label))
	fmt.Fprintf(b, "- %d client namespaces behind NAT %s; server %s reached at %s\n", len(l.Clients), mdCode(l.ClientNAT), mdCode(l.ServerAddress), mdCode(l.ServerPublic))
	fmt.Fprintf(b, "- 227 address: **%s**: %s\n", mdCell(l.Passive.Verdict), mdCell(l.Passive.Detail))
	for _, a := range l.Active {
		fmt.Fprintf(b, "- active mode, FTP helper %s: %d of %d ok (%s)\n", a.Helper, a.OK, a.Attempted, mdCell(a.Verdict))
	}
	for _, f := range l.Findings {
		fmt.Fprintf(b, "- ❌ %s\n", mdCell(f))
	}
	b.WriteString("\n")
}

// WriteMarkdownFile writes the Markdown summary to path atomically.
func WriteMarkdownFile(path string, runs []*Run, opts MarkdownOptions) error {
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, runs, opts); err != nil {
		return fmt.Errorf("render %s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}

func mdBad(n int) string {
	if n > 0 {
		return fmt.Sprintf("**%s**", formatInt(int64(n)))
	}
	return "0"
}

// mdCell makes text safe inside a table cell: one line, pipes escaped, markup characters
// neutralised so a server's reply cannot inject links or HTML into the job page.
func mdCell(s string) string {
	s = strings.NewReplacer(
		"\r", " ", "\n", " ", "|", `\|`, "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "`", "'", "*", `\*`, "_", `\_`,
	).Replace(s)
	return strings.TrimSpace(s)
}

// mdCode writes s as inline code (no markup inside) that is still safe in a table cell.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = strings.NewReplacer("\r", " ", "\n", " ", "`", "'", "|", `\|`).Replace(s)
	return "`" + s + "`"
}

// writeMarkdownAdvisories lists the advisory observations: they never count as failures, but a
// reader of a CI summary must still see that a server lets a stranger take its passive ports.
func writeMarkdownAdvisories(b *bytes.Buffer, runs []*Run, cols []column, opts MarkdownOptions) {
	var rows []string
	for _, col := range cols {
		for _, c := range runs[col.run].Conformance.Cases {
			if c.TLS != col.tls || c.Outcome != Advisory {
				continue
			}
			id := mdCode(c.ID)
			if opts.ReportURL != "" {
				id = fmt.Sprintf("[%s](%s#%s)", id, opts.ReportURL, anchorID("case-", c.ID))
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |\n", mdCell(labelOf(col)), id, mdCell(c.Title),
				mdCell(truncate(visibleString(firstNonEmpty(c.Actual, c.Reason)), 160))))
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "### Advisories (%d, not failures)\n\n", len(rows))
	b.WriteString("| Run | Case | Observation | Evidence |\n|---|---|---|---|\n")
	for i, r := range rows {
		if i == opts.MaxFailures {
			fmt.Fprintf(b, "\n… and %d more: see the HTML report.\n", len(rows)-i)
			break
		}
		b.WriteString(r)
	}
	b.WriteString("\n")
}

// incompleteVerdict keeps a run that did not complete from reading as green: "all passed"
// becomes "incomplete", and the reasons are added to any verdict.
func incompleteVerdict(runs []*Run, verdict string) string {
	var reasons []string
	for _, r := range runs {
		if r.Partial {
			why := r.PartialReason
			if why == "" {
				why = "interrupted"
			}
			reasons = append(reasons, visibleString(why))
		}
	}
	if len(reasons) == 0 {
		return verdict
	}
	if verdict == "✅ all passed" {
		verdict = "⚠️ incomplete"
	}
	return fmt.Sprintf("%s; %d run(s) did not complete (%s)", verdict, len(reasons), mdCell(strings.Join(reasons, "; ")))
}
