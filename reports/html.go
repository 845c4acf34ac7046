package reports

import (
	"bytes"
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed assets/report.html.tmpl
var reportTemplate string

//go:embed assets/report.css
var reportCSS string

//go:embed assets/report.js
var reportJS string

// HTMLOptions adjusts an HTML report.
type HTMLOptions struct {
	Title      string      // page title; "ftpspec report" when empty
	Comparison *Comparison // when set, the report gets a comparison section
	Generated  time.Time   // shown in the header when set
}

// WriteHTML renders one self-contained HTML page for one or more runs: styles, script and charts
// are inline, so the file opens from disk with no network and can be mailed or archived as is.
func WriteHTML(w io.Writer, runs []*Run, opts HTMLOptions) error {
	page, err := buildPage(runs, opts)
	if err != nil {
		return err
	}
	t, err := template.New("report").Funcs(templateFuncs).Parse(reportTemplate)
	if err != nil {
		return fmt.Errorf("html report template: %w", err)
	}
	return t.Execute(w, page)
}

// WriteHTMLFile writes the HTML report to path atomically.
func WriteHTMLFile(path string, runs []*Run, opts HTMLOptions) error {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, runs, opts); err != nil {
		return fmt.Errorf("render %s: %w", path, err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}

var templateFuncs = template.FuncMap{
	"portsSeen": portsSeen,
	"symbol":    func(o Outcome) string { return outcomeSymbol(o) },
	"bytes":     func(b int64) string { return formatBytes(float64(b)) },
	"rate":      formatRate,
	"ms":        formatMS,
	"int":       func(n int) string { return formatInt(int64(n)) },
	"float":     formatFloat,
	"percent":   formatPercent,
	"metric":    formatMetric,
	"delta":     formatDelta,
	"add":       func(a, b int) int { return a + b },
	"tolerance": func(t *float64) string {
		if t == nil {
			return "–"
		}
		return formatPercent(*t)
	},
}

// outcomeInfo is how an outcome is shown: a symbol so the matrix reads without colour, and a word.
var outcomeInfo = map[Outcome]struct{ Symbol, Name string }{
	Pass:        {"✓", "pass"},
	Fail:        {"✗", "fail"},
	Warn:        {"!", "warn"},
	Advisory:    {"◆", "advisory (security observation, not a failure)"},
	Unsupported: {"∅", "unsupported"},
	Skip:        {"–", "skip"},
	Error:       {"⚠", "error"},
	XFail:       {"⊗", "expected failure (xfail)"},
	XPass:       {"⊕", "unexpected pass (xpass)"},
}

func outcomeSymbol(o Outcome) string {
	if i, ok := outcomeInfo[o]; ok {
		return i.Symbol
	}
	return "?"
}

// rfcTitles names the RFCs the suites draw from, for group headings.
var rfcTitles = map[string]string{
	"959":  "File Transfer Protocol",
	"1123": "Requirements for Internet Hosts (FTP)",
	"2228": "FTP Security Extensions",
	"2389": "Feature negotiation mechanism for FTP",
	"2428": "FTP Extensions for IPv6 and NATs",
	"2577": "FTP Security Considerations",
	"2640": "Internationalization of FTP",
	"3659": "Extensions to FTP",
	"4217": "Securing FTP with TLS",
	"7151": "FTP HOST command for virtual hosts",
}

type page struct {
	Title      string
	Generated  string
	Runs       []runView
	Legend     []legendView
	Columns    []columnView
	Groups     []groupView
	Cases      []*caseView
	Levels     []string
	Tags       []string
	Outcomes   []legendView
	Loads      []loadView
	Lab        *Lab     // the first run's NAT lab section, if any
	LabDiagram string   // its namespaces, drawn in text
	LabThieves *Thieves // the thief's results, from that run's load
	Benches    []benchView
	Comparison *Comparison
	CSS        template.CSS
	JS         template.JS
	Verdict    string
	VerdictOK  bool
	NumCases   int
}

type legendView struct {
	Outcome Outcome
	Symbol  string
	Name    string
}

type countView struct {
	Outcome Outcome
	Symbol  string
	N       int
}

type runView struct {
	Label, URL, Tool, Started, Duration string
	Partial                             bool
	PartialReason                       string
	Banner, Syst                        string
	Feat, Faults                        []string
	Profile                             *Profile
	Counts                              []countView
	Total                               int
	LoadLine                            string
	LoadBad                             bool
}

type columnView struct {
	Label, Sub string
	Counts     []countView
	Total      int
}

type groupView struct {
	RFC, Title string
	Rows       []*caseView
}

type cellView struct {
	Present bool
	Outcome Outcome
	Symbol  string
	Href    string
	Tip     string
}

type resultView struct {
	Anchor, Column           string
	Outcome                  Outcome
	Symbol                   string
	Expected, Actual, Reason template.HTML
	Duration                 string
	Transcript               template.HTML
	Events                   int
	Open                     bool
}

type caseView struct {
	ID, Anchor, RFC, Section, Level, Title, Requirement string
	Tags                                                []string
	DataTags, DataOutcomes, DataText                    string
	Diff                                                bool
	Cells                                               []cellView
	Results                                             []resultView
	Bad                                                 bool
}

type column struct {
	run   int
	tls   string
	label string
	sub   string
}

// buildPage turns runs into the template's view: it decides columns, rows, groups and charts.
func buildPage(runs []*Run, opts HTMLOptions) (*page, error) {
	p := &page{Title: opts.Title, CSS: template.CSS(reportCSS), JS: template.JS(reportJS)}
	if p.Title == "" {
		p.Title = "ftpspec report"
	}
	if !opts.Generated.IsZero() {
		p.Generated = opts.Generated.UTC().Format("2006-01-02 15:04 UTC")
	}
	p.Comparison = opts.Comparison
	for _, o := range Outcomes {
		p.Outcomes = append(p.Outcomes, legendView{o, outcomeSymbol(o), outcomeInfo[o].Name})
	}
	if err := checkRuns(runs); err != nil {
		return nil, err
	}
	labels := RunLabels(runs)
	failures := 0
	for i, r := range runs {
		rv := runView{Label: labels[i], URL: r.Target.URL, Partial: r.Partial, PartialReason: visibleString(r.PartialReason), Banner: visibleString(r.Target.Banner),
			Syst: visibleString(r.Target.Syst), Feat: r.Target.Feat, Faults: r.Target.Faults}
		if r.Tool.Name != "" || r.Tool.Version != "" {
			rv.Tool = strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version)
		}
		if !r.Started.IsZero() {
			rv.Started = r.Started.UTC().Format("2006-01-02 15:04:05 UTC")
			if r.Finished.After(r.Started) {
				rv.Duration = formatMS(float64(r.Finished.Sub(r.Started)) / float64(time.Millisecond))
			}
		}
		if c := r.Conformance; c != nil {
			rv.Profile = c.Profile
			if p := c.Profile; p != nil {
				if rv.Banner == "" {
					rv.Banner = visibleString(p.Banner)
				}
				if rv.Syst == "" {
					rv.Syst = visibleString(p.Syst)
				}
				if len(rv.Feat) == 0 {
					rv.Feat = p.Feat
				}
			}
			t := countCases(c.Cases)
			rv.Counts, rv.Total = countViews(t), len(c.Cases)
			failures += t.Fail + t.Error + t.XPass
		}
		if r.Lab != nil && p.Lab == nil {
			p.Lab, p.LabDiagram = r.Lab, LabDiagram(r.Lab)
			if r.Load != nil {
				p.LabThieves = r.Load.Thieves
			}
			if len(r.Lab.Findings) > 0 {
				failures++
			}
		}
		if l := r.Load; l != nil {
			bad := l.Transfers.Failed + l.Transfers.Misrouted + l.Transfers.Corrupt + l.Transfers.Stolen
			rv.LoadBad = bad > 0 || thresholdsFailed(l) > 0
			rv.LoadLine = fmt.Sprintf("%s of %s transfers ok · %s · %s transfers/s · p99 %s",
				formatInt(int64(l.Transfers.OK)), formatInt(int64(l.Transfers.Attempted)), formatRate(l.ThroughputBytesPerS),
				formatFloat(l.TransfersPerS), formatMS(l.LatencyMS.P99))
			if rv.LoadBad {
				failures++
			}
			lv, err := buildLoad(labels[i], i, l)
			if err != nil {
				return nil, fmt.Errorf("run %d (%s): %w", i+1, labels[i], err)
			}
			p.Loads = append(p.Loads, lv)
		}
		if r.Bench != nil {
			if benchFailed(r.Bench) {
				failures++
			}
			p.Benches = append(p.Benches, benchView{Anchor: anchorID("bench", labels[i]), Label: labels[i], HTML: benchHTML(labels[i], r.Bench)})
		}
		p.Runs = append(p.Runs, rv)
	}
	buildMatrix(p, runs, labels)
	p.VerdictOK = failures == 0
	if p.VerdictOK {
		p.Verdict = "No failures"
	} else {
		p.Verdict = "Failures found"
	}
	if incomplete := countPartial(runs); incomplete > 0 {
		// A run that lost its target is never shown as green, whatever its cases say.
		if p.VerdictOK {
			p.Verdict = "Incomplete"
		}
		p.VerdictOK = false
		p.Verdict += fmt.Sprintf("; %d run(s) did not complete", incomplete)
	}
	return p, nil
}

// checkRuns refuses a nil run up front, so renderers can index runs freely.
func checkRuns(runs []*Run) error {
	for i, r := range runs {
		if r == nil {
			return fmt.Errorf("run %d is nil", i+1)
		}
	}
	return nil
}

// RunLabels names each run for column headings: its Label, else its target's host and port,
// made unique with a number when two runs would share a name.
func RunLabels(runs []*Run) []string {
	labels := make([]string, len(runs))
	seen := map[string]int{}
	for i, r := range runs {
		l := ""
		if r != nil {
			l = r.Label
			if l == "" {
				l = r.Target.URL
				if u, err := url.Parse(r.Target.URL); err == nil && u.Host != "" {
					l = u.Host + strings.TrimSuffix(u.Path, "/")
				}
			}
		}
		if l == "" {
			l = "run " + strconv.Itoa(i+1)
		}
		seen[l]++
		if seen[l] > 1 {
			l = fmt.Sprintf("%s (%d)", l, seen[l])
		}
		labels[i] = l
	}
	return labels
}

func countCases(cs []CaseResult) Totals {
	var t Totals
	for _, c := range cs {
		t.Add(c.Outcome)
	}
	return t
}

func countViews(t Totals) []countView {
	var out []countView
	for _, o := range Outcomes {
		if n := t.Count(o); n > 0 || o == Pass || o == Fail {
			out = append(out, countView{o, outcomeSymbol(o), n})
		}
	}
	return out
}

// tlsRank orders TLS modes as a reader expects them.
func tlsRank(s string) int {
	switch s {
	case "", "none":
		return 0
	case "explicit":
		return 1
	case "implicit":
		return 2
	}
	return 3
}

// matrixColumns gives each run one column, or one per TLS mode when its cases ran under several.
func matrixColumns(runs []*Run, labels []string) []column {
	var cols []column
	for i, r := range runs {
		if r.Conformance == nil {
			continue
		}
		var modes []string
		seen := map[string]bool{}
		for _, c := range r.Conformance.Cases {
			if !seen[c.TLS] {
				seen[c.TLS] = true
				modes = append(modes, c.TLS)
			}
		}
		sort.SliceStable(modes, func(a, b int) bool {
			if tlsRank(modes[a]) != tlsRank(modes[b]) {
				return tlsRank(modes[a]) < tlsRank(modes[b])
			}
			return modes[a] < modes[b]
		})
		if len(modes) == 0 {
			modes = []string{""}
		}
		for _, m := range modes {
			c := column{run: i, tls: m, label: labels[i]}
			switch {
			case len(modes) > 1 && (m == "" || m == "none"):
				c.sub = "no TLS"
			case m != "" && m != "none":
				c.sub = m + " TLS"
			}
			cols = append(cols, c)
		}
	}
	return cols
}

// anchorID makes an element id from a case ID, keeping it readable in a URL.
func anchorID(prefix, s string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func buildMatrix(p *page, runs []*Run, labels []string) {
	cols := matrixColumns(runs, labels)
	type key struct {
		run int
		tls string
		id  string
	}
	results := map[key]*CaseResult{}
	rows := map[string]*caseView{}
	var order []string
	tagSet := map[string]bool{}
	levelSet := map[string]bool{}
	for i, r := range runs {
		if r.Conformance == nil {
			continue
		}
		for j := range r.Conformance.Cases {
			c := &r.Conformance.Cases[j]
			k := key{i, c.TLS, c.ID}
			if _, dup := results[k]; dup {
				continue
			}
			results[k] = c
			if _, ok := rows[c.ID]; !ok {
				rows[c.ID] = &caseView{ID: c.ID, RFC: c.RFC, Section: c.Section, Level: c.Level, Title: c.Title,
					Requirement: c.Requirement, Tags: c.Tags}
				order = append(order, c.ID)
			}
			cv := rows[c.ID]
			if cv.Requirement == "" {
				cv.Requirement = c.Requirement
			}
			for _, t := range c.Tags {
				tagSet[t] = true
				if !contains(cv.Tags, t) {
					cv.Tags = append(cv.Tags, t)
				}
			}
			if c.Level != "" {
				levelSet[c.Level] = true
			}
		}
	}
	for ci, col := range cols {
		cv := columnView{Label: col.label, Sub: col.sub}
		var t Totals
		for _, c := range runs[col.run].Conformance.Cases {
			if c.TLS == col.tls {
				t.Add(c.Outcome)
				cv.Total++
			}
		}
		cv.Counts = countViews(t)
		p.Columns = append(p.Columns, cv)
		_ = ci
	}
	sort.SliceStable(order, func(a, b int) bool { return caseLess(rows[order[a]], rows[order[b]]) })
	used := map[string]bool{}
	var cur *groupView
	for _, id := range order {
		cv := rows[id]
		cv.Anchor = anchorID("case-", id)
		for used[cv.Anchor] {
			cv.Anchor += "_"
		}
		used[cv.Anchor] = true
		outs := map[Outcome]bool{}
		for ci, col := range cols {
			r := results[key{col.run, col.tls, id}]
			if r == nil {
				cv.Cells = append(cv.Cells, cellView{Tip: labelOf(col) + ": not run"})
				continue
			}
			outs[r.Outcome] = true
			anchor := fmt.Sprintf("%s--c%d", cv.Anchor, ci+1)
			tip := fmt.Sprintf("%s: %s", labelOf(col), outcomeInfo[r.Outcome].Name)
			if d := firstNonEmpty(r.Actual, r.Reason); d != "" {
				tip += " — " + truncate(visibleString(d), 160)
			}
			cv.Cells = append(cv.Cells, cellView{Present: true, Outcome: r.Outcome, Symbol: outcomeSymbol(r.Outcome), Href: "#" + anchor, Tip: tip})
			rv := resultView{Anchor: anchor, Column: labelOf(col), Outcome: r.Outcome, Symbol: outcomeSymbol(r.Outcome),
				Expected: fieldHTML(r.Expected), Actual: fieldHTML(r.Actual), Reason: fieldHTML(r.Reason),
				Transcript: transcriptHTML(r.Transcript), Events: len(r.Transcript)}
			if r.DurationMS > 0 {
				rv.Duration = formatMS(r.DurationMS)
			}
			switch r.Outcome {
			case Fail, Error, XPass, Warn, Advisory:
				rv.Open = true
				cv.Bad = true
			}
			cv.Results = append(cv.Results, rv)
		}
		var os []string
		for _, o := range Outcomes {
			if outs[o] {
				os = append(os, string(o))
			}
		}
		cv.DataOutcomes = strings.Join(os, " ")
		cv.Diff = len(outs) > 1
		tags := make([]string, len(cv.Tags))
		for i, t := range cv.Tags {
			tags[i] = strings.ReplaceAll(t, " ", "_")
		}
		cv.DataTags = strings.Join(tags, " ")
		cv.DataText = strings.ToLower(cv.ID + " " + cv.Title + " " + cv.Requirement + " " + strings.Join(cv.Tags, " "))
		if cur == nil || cur.RFC != cv.RFC {
			p.Groups = append(p.Groups, groupView{RFC: cv.RFC, Title: rfcTitles[cv.RFC]})
			cur = &p.Groups[len(p.Groups)-1]
		}
		cur.Rows = append(cur.Rows, cv)
		p.Cases = append(p.Cases, cv)
	}
	p.NumCases = len(p.Cases)
	for _, l := range []string{"MUST", "SHOULD", "MAY"} {
		if levelSet[l] {
			p.Levels = append(p.Levels, l)
			delete(levelSet, l)
		}
	}
	for l := range levelSet {
		p.Levels = append(p.Levels, l)
	}
	for t := range tagSet {
		p.Tags = append(p.Tags, t)
	}
	sort.Strings(p.Tags)
}

func labelOf(c column) string {
	if c.sub == "" {
		return c.label
	}
	return c.label + " · " + c.sub
}

// caseLess orders cases by RFC number, then section numerically (4.10 after 4.9), then ID.
func caseLess(a, b *caseView) bool {
	ra, ea := strconv.Atoi(a.RFC)
	rb, eb := strconv.Atoi(b.RFC)
	if ea == nil && eb == nil && ra != rb {
		return ra < rb
	}
	if a.RFC != b.RFC {
		return a.RFC < b.RFC
	}
	if c := compareSections(a.Section, b.Section); c != 0 {
		return c < 0
	}
	return a.ID < b.ID
}

func compareSections(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		if ea == nil && eb == nil {
			if na != nb {
				return na - nb
			}
			continue
		}
		if c := strings.Compare(pa[i], pb[i]); c != 0 {
			return c
		}
	}
	return len(pa) - len(pb)
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// fieldHTML shows a result field as text; a field holding raw bytes (CR, control bytes, invalid
// UTF-8) is shown with those bytes visible, as in transcripts.
func fieldHTML(s string) template.HTML {
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	plain := true
	for _, l := range lines {
		if !isPlain(l) {
			plain = false
			break
		}
	}
	if plain {
		return template.HTML(html.EscapeString(s))
	}
	return template.HTML(visibleHTML([]byte(s)))
}

// transcriptHTML renders a transcript as a table, one event per row, with exact bytes visible.
func transcriptHTML(events []Event) template.HTML {
	if len(events) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<table class="tx"><thead><tr><th>ms</th><th>conn</th><th></th><th>bytes / event</th></tr></thead><tbody>`)
	for _, e := range events {
		dir, body := "", ""
		switch e.Kind {
		case Send:
			dir, body = "→", visibleHTML(e.Data)
		case Recv:
			dir, body = "←", visibleHTML(e.Data)
		case Data:
			dir, body = "⇄", html.EscapeString(dataSummary(e))
		case Open:
			dir, body = "+", html.EscapeString("open "+visibleString(e.Detail))
		case Close:
			dir, body = "×", html.EscapeString("close "+visibleString(e.Detail))
		default:
			dir, body = "·", html.EscapeString(visibleString(e.Detail))
		}
		fmt.Fprintf(&b, `<tr class="ev-%s"><td class="t">%s</td><td class="c">%s</td><td class="d">%s</td><td><pre>%s</pre></td></tr>`,
			html.EscapeString(string(e.Kind)), strconv.FormatFloat(e.AtMS, 'f', 3, 64), html.EscapeString(e.Conn), dir, strings.TrimSuffix(body, "\n"))
	}
	b.WriteString(`</tbody></table>`)
	return template.HTML(b.String())
}

// portsSeen summarises the passive ports a conformance run saw: how many, their span, and the
// first few, since a full list of hundreds of ports would bury the rest of the profile.
func portsSeen(ports []int) string {
	if len(ports) == 0 {
		return ""
	}
	lo, hi := ports[0], ports[0]
	for _, p := range ports {
		lo, hi = min(lo, p), max(hi, p)
	}
	const show = 8
	var b strings.Builder
	fmt.Fprintf(&b, "%d ports, %d–%d: ", len(ports), lo, hi)
	for i, p := range ports[:min(show, len(ports))] {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d", p)
	}
	if len(ports) > show {
		b.WriteString(" …")
	}
	return b.String()
}

func countPartial(runs []*Run) int {
	n := 0
	for _, r := range runs {
		if r.Partial {
			n++
		}
	}
	return n
}
