package golden

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ftpspec/ftpspec/reports"
)

// Observed is what one peer's run documents say: every case's outcome by key, and the banner.
type Observed struct {
	Banner   string
	Verdicts map[Key]Verdict
	Sources  map[string]string // TLS mode of the run → the run document it came from
}

// Source is one run document and the TLS mode it was run under (`conform --tls`). The mode is the
// run's, not each case's: a plain run also holds the cases that negotiate TLS themselves.
type Source struct {
	Path string
	TLS  string
	Run  *reports.Run
}

// Observe collects the case outcomes of a peer's run documents (plain and TLS). A partial run, a
// document without conformance results, two documents for one mode, and a case reported twice in
// one run are errors: comparing them would report changes the server did not make.
func Observe(runs []Source) (*Observed, error) {
	o := &Observed{Verdicts: map[Key]Verdict{}, Sources: map[string]string{}}
	for _, src := range runs {
		r := src.Run
		if !slices.Contains(tlsModes, src.TLS) {
			return nil, fmt.Errorf("%s: %q is not a TLS mode", src.Path, src.TLS)
		}
		if prev, ok := o.Sources[src.TLS]; ok {
			return nil, fmt.Errorf("%s and %s are both runs under tls %s", prev, src.Path, src.TLS)
		}
		if r.Partial {
			return nil, fmt.Errorf("%s: the run was interrupted (partial): its verdicts cannot be compared", src.Path)
		}
		if r.Conformance == nil || len(r.Conformance.Cases) == 0 {
			return nil, fmt.Errorf("%s: no conformance results", src.Path)
		}
		o.Sources[src.TLS] = src.Path
		if o.Banner == "" {
			o.Banner = firstLine(r.Target.Banner)
		}
		for _, c := range r.Conformance.Cases {
			k := Key{src.TLS, c.ID}
			if _, dup := o.Verdicts[k]; dup {
				return nil, fmt.Errorf("%s: case %s reported twice", src.Path, k)
			}
			o.Verdicts[k] = Verdict{ID: c.ID, Outcome: c.Outcome}
		}
	}
	return o, nil
}

// firstLine is the part of a greeting that names the server: later lines of a multi-line 220
// (Pure-FTPd's) carry the local time and the number of users, which change from run to run.
func firstLine(banner string) string {
	line, _, _ := strings.Cut(banner, "\n")
	return strings.TrimRight(line, "\r")
}

// ChangeKind says how a verdict moved.
type ChangeKind string

// The kinds of change Compare reports.
const (
	Changed     ChangeKind = "changed"      // the outcome differs
	Added       ChangeKind = "new"          // a case the golden file does not list
	Removed     ChangeKind = "removed"      // a listed case the run no longer has
	MissingMode ChangeKind = "missing run"  // no run at all for a TLS mode the golden file lists
	NewBanner   ChangeKind = "other server" // the greeting differs: the verdicts are for another version
)

// Change is one difference between a golden file and a run.
type Change struct {
	Kind     ChangeKind
	Key      Key
	Old, New reports.Outcome
	Why      string // the golden justification of the old outcome, if any
	Detail   string // for MissingMode and NewBanner
}

func (c Change) String() string {
	switch c.Kind {
	case Changed:
		s := fmt.Sprintf("CHANGED  %-60s %s -> %s", c.Key, c.Old, c.New)
		if c.Why != "" {
			s += "\n         was: " + c.Why
		}
		return s
	case Added:
		return fmt.Sprintf("NEW      %-60s (none) -> %s", c.Key, c.New)
	case Removed:
		return fmt.Sprintf("REMOVED  %-60s %s -> (none)", c.Key, c.Old)
	default:
		return fmt.Sprintf("%-8s %s", strings.ToUpper(string(c.Kind)), c.Detail)
	}
}

// Compare lists every difference between the golden file and what was observed, in a stable
// order: banner, missing modes, then case by case.
func Compare(g *File, o *Observed) []Change {
	var out []Change
	if g.Banner != "" && o.Banner != g.Banner {
		out = append(out, Change{Kind: NewBanner, Detail: fmt.Sprintf("banner %q, golden file recorded %q (version %s)", o.Banner, g.Banner, g.Version)})
	}
	want := g.Verdicts()
	for _, m := range g.Modes {
		if _, ran := o.Sources[m.TLS]; !ran {
			out = append(out, Change{Kind: MissingMode, Detail: fmt.Sprintf("no run for tls %s (%d cases recorded)", m.TLS, len(m.Cases))})
		}
	}
	var cases []Change
	for k, w := range want {
		if _, ran := o.Sources[k.TLS]; !ran {
			continue
		}
		got, ok := o.Verdicts[k]
		switch {
		case !ok:
			cases = append(cases, Change{Kind: Removed, Key: k, Old: w.Outcome, Why: w.Why})
		case got.Outcome != w.Outcome:
			cases = append(cases, Change{Kind: Changed, Key: k, Old: w.Outcome, New: got.Outcome, Why: w.Why})
		}
	}
	for k, got := range o.Verdicts {
		if _, ok := want[k]; !ok {
			cases = append(cases, Change{Kind: Added, Key: k, New: got.Outcome})
		}
	}
	slices.SortFunc(cases, func(a, b Change) int {
		return cmp.Or(cmp.Compare(modeRank(a.Key.TLS), modeRank(b.Key.TLS)), cmp.Compare(a.Key.ID, b.Key.ID))
	})
	return append(out, cases...)
}

func modeRank(tls string) int { return slices.Index(tlsModes, tls) }

// Update builds the golden file for what was observed, keeping old's version and every
// justification whose case kept its outcome. It returns the verdicts that still need a
// justification (non-pass, none kept): the caller writes the file so they can be filled in, and
// fails. A justification dropped because its outcome changed is kept in the file as a comment.
func Update(old *File, peer string, o *Observed) (*File, []Key) {
	f := &File{Peer: peer, Banner: o.Banner}
	var prev map[Key]Verdict
	if old != nil {
		f.Version = old.Version
		prev = old.Verdicts()
	}
	var missing []Key
	modes := sortedKeys(o.Sources)
	slices.SortFunc(modes, func(a, b string) int { return cmp.Compare(modeRank(a), modeRank(b)) })
	for _, tls := range modes {
		m := Mode{TLS: tls}
		for k, v := range o.Verdicts {
			if k.TLS != tls {
				continue
			}
			nv := Verdict{ID: k.ID, Outcome: v.Outcome}
			if p, ok := prev[k]; ok {
				if p.Outcome == v.Outcome {
					nv.Why = p.Why
				} else if p.Why != "" {
					nv.was = fmt.Sprintf("was %s: %s", p.Outcome, p.Why)
				}
			}
			if nv.Outcome != reports.Pass && strings.TrimSpace(nv.Why) == "" {
				missing = append(missing, k)
			}
			m.Cases = append(m.Cases, nv)
		}
		slices.SortFunc(m.Cases, func(a, b Verdict) int { return cmp.Compare(a.ID, b.ID) })
		f.Modes = append(f.Modes, m)
	}
	slices.SortFunc(missing, func(a, b Key) int {
		return cmp.Or(cmp.Compare(modeRank(a.TLS), modeRank(b.TLS)), cmp.Compare(a.ID, b.ID))
	})
	return f, missing
}

// header explains the file to whoever opens it.
const header = `Golden verdicts of ftpspec conform against a real server (make interop). Every case, per TLS
mode, with its outcome; every outcome other than pass has a one-line justification: the RFC
sentence whose keyword the server broke and the evidence in the transcript, or why the case
cannot apply. make interop fails when a run differs from this file. To change a verdict on
purpose: GOLDEN_UPDATE=1 make interop (keeps the justifications of unchanged verdicts), then
write the missing ones and commit them with the change. Format: internal/golden.`

// Encode renders a golden file: one line per case, so a diff shows exactly the verdicts that moved.
func Encode(f *File) ([]byte, error) {
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	quoted := func(s string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
	}
	root := &yaml.Node{Kind: yaml.MappingNode, HeadComment: header}
	root.Content = append(root.Content, str("peer"), str(f.Peer), str("version"), quoted(f.Version))
	if f.Banner != "" {
		root.Content = append(root.Content, str("banner"), quoted(f.Banner))
	}
	modes := &yaml.Node{Kind: yaml.SequenceNode}
	for _, m := range f.Modes {
		cases := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range m.Cases {
			n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			n.Content = append(n.Content, str("id"), str(c.ID), str("outcome"), str(string(c.Outcome)))
			if c.Why != "" {
				n.Content = append(n.Content, str("why"), quoted(c.Why))
			}
			if c.was != "" {
				n.LineComment = c.was
			}
			cases.Content = append(cases.Content, n)
		}
		mn := &yaml.Node{Kind: yaml.MappingNode}
		mn.Content = append(mn.Content, str("tls"), str(m.TLS), str("cases"), cases)
		modes.Content = append(modes.Content, mn)
	}
	root.Content = append(root.Content, str("modes"), modes)
	var buf strings.Builder
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("golden: encoding %s: %w", f.Peer, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("golden: encoding %s: %w", f.Peer, err)
	}
	return []byte(buf.String()), nil
}
