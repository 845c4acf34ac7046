// Package golden keeps the verdicts ftpspec gives real FTP servers true over time. A golden file
// (suites/testdata/peers/<server>.yaml) records the outcome of every case, per control-connection
// security mode, that `ftpspec conform` gave one server, with a one-line justification for every
// outcome other than pass. `make interop` compares each new run with it and fails on any change, so
// a verdict on a real server changes only on purpose, with its justification updated in the same
// commit; Update regenerates a file from a run and keeps the justifications of unchanged verdicts.
package golden

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ftpspec/ftpspec/reports"
)

// File is one server's golden verdicts.
type File struct {
	Peer    string // the peer's name in scripts/interop/peers.sh: vsftpd, proftpd, pure-ftpd, pyftpdlib
	Version string // the server's version and package, e.g. "vsftpd 3.0.3-13 (Debian 12)"
	Banner  string // the first line of the 220 greeting the run recorded; a new one means another server version
	Modes   []Mode // one per control-connection security mode the peer is run under
}

// Mode is the verdicts of one run: every case of `conform --tls TLS`.
type Mode struct {
	TLS   string // none, explicit or implicit: the run's --tls
	Cases []Verdict
}

// Verdict is one case's recorded outcome.
type Verdict struct {
	ID      string
	Outcome reports.Outcome
	Why     string // the RFC sentence (keyword) broken and the evidence; required unless pass
	Line    int    // where the entry is in its file; 0 for a verdict built from a run
	was     string // Update: the justification of an outcome that changed, written as a comment
}

// Key names a verdict: the run's TLS mode and the case ID.
type Key struct{ TLS, ID string }

func (k Key) String() string { return k.ID + " [tls " + k.TLS + "]" }

// Error is a problem in a golden file, located by file and line.
type Error struct {
	File    string
	Line    int
	Problem string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Problem)
	}
	return e.File + ": " + e.Problem
}

// tlsModes are the values of `conform --tls`, in display order.
var tlsModes = []string{"none", "explicit", "implicit"}

// validOutcome reports whether o is an outcome the run document defines.
func validOutcome(o reports.Outcome) bool { return slices.Contains(reports.Outcomes, o) }

// Load reads and validates a golden file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("golden: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes a golden file strictly: an unknown or repeated key, a missing field, an unknown
// outcome or TLS mode, a case listed twice, and a non-pass verdict without a justification are
// errors naming the file and line. All problems are reported, joined.
func Parse(name string, b []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: name, Problem: "empty file"}
		}
		return nil, &Error{File: name, Line: yamlLine(err), Problem: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	p := &parser{name: name}
	f := p.file(doc.Content[0])
	if len(p.errs) > maxErrors {
		more := len(p.errs) - maxErrors
		p.errs = append(p.errs[:maxErrors], fmt.Errorf("%s: and %d more problems", name, more))
	}
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return f, nil
}

// maxErrors bounds the problems reported for one file: a systematic mistake repeats on every line.
const maxErrors = 20

// yamlLine extracts N from yaml.v3's "yaml: line N: ..." messages.
func yamlLine(err error) int {
	var n int
	if _, e := fmt.Sscanf(err.Error(), "yaml: line %d:", &n); e == nil {
		return n
	}
	return 0
}

type parser struct {
	name string
	errs []error
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.name, Line: n.Line, Problem: fmt.Sprintf(format, args...)})
}

// fields walks a mapping node, calling set for each known key; unknown and repeated keys, and keys
// in required that are absent, are errors.
func (p *parser) fields(n *yaml.Node, what string, required []string, set map[string]func(v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: want a mapping, got %s", what, kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		fn, ok := set[k.Value]
		switch {
		case !ok:
			p.errorf(k, "%s: unknown field %q (known: %s)", what, k.Value, strings.Join(sortedKeys(set), ", "))
		case seen[k.Value]:
			p.errorf(k, "%s: field %q given twice", what, k.Value)
		default:
			seen[k.Value] = true
			fn(v)
		}
	}
	for _, r := range required {
		if !seen[r] {
			p.errorf(n, "%s: missing field %q", what, r)
		}
	}
}

func (p *parser) str(n *yaml.Node, field string, dst *string) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "%s: want a string, got %s", field, kindName(n))
		return
	}
	*dst = n.Value
}

func (p *parser) file(n *yaml.Node) *File {
	f := &File{}
	p.fields(n, "golden file", []string{"peer", "version", "modes"}, map[string]func(*yaml.Node){
		"peer":    func(v *yaml.Node) { p.str(v, "peer", &f.Peer) },
		"version": func(v *yaml.Node) { p.str(v, "version", &f.Version) },
		"banner":  func(v *yaml.Node) { p.str(v, "banner", &f.Banner) },
		"modes": func(v *yaml.Node) {
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "modes: want a list, got %s", kindName(v))
				return
			}
			seen := map[string]bool{}
			for _, m := range v.Content {
				mode := p.mode(m)
				if mode.TLS == "" {
					continue
				}
				if seen[mode.TLS] {
					p.errorf(m, "modes: tls %q listed twice", mode.TLS)
				}
				seen[mode.TLS] = true
				f.Modes = append(f.Modes, mode)
			}
		},
	})
	if f.Peer == "" && n.Kind == yaml.MappingNode {
		p.errorf(n, "peer: must not be empty")
	}
	return f
}

func (p *parser) mode(n *yaml.Node) Mode {
	var m Mode
	var tlsNode *yaml.Node
	p.fields(n, "mode", []string{"tls", "cases"}, map[string]func(*yaml.Node){
		"tls": func(v *yaml.Node) { tlsNode = v; p.str(v, "tls", &m.TLS) },
		"cases": func(v *yaml.Node) {
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "cases: want a list, got %s", kindName(v))
				return
			}
			seen := map[string]int{}
			for _, c := range v.Content {
				vd := p.verdict(c)
				if vd.ID == "" {
					continue
				}
				if prev, dup := seen[vd.ID]; dup {
					p.errorf(c, "case %s listed twice (first at line %d)", vd.ID, prev)
					continue
				}
				seen[vd.ID] = c.Line
				m.Cases = append(m.Cases, vd)
			}
		},
	})
	if tlsNode != nil && m.TLS != "" && !slices.Contains(tlsModes, m.TLS) {
		p.errorf(tlsNode, "tls: %q is not a TLS mode (want one of %s)", m.TLS, strings.Join(tlsModes, ", "))
		m.TLS = ""
	}
	return m
}

func (p *parser) verdict(n *yaml.Node) Verdict {
	v := Verdict{Line: n.Line}
	var outcome string
	var outNode *yaml.Node
	p.fields(n, "case", []string{"id", "outcome"}, map[string]func(*yaml.Node){
		"id":      func(x *yaml.Node) { p.str(x, "id", &v.ID) },
		"outcome": func(x *yaml.Node) { outNode = x; p.str(x, "outcome", &outcome) },
		"why":     func(x *yaml.Node) { p.str(x, "why", &v.Why) },
	})
	v.Outcome = reports.Outcome(outcome)
	if outNode != nil && outcome != "" && !validOutcome(v.Outcome) {
		p.errorf(outNode, "case %s: outcome %q is not one of %s", v.ID, outcome, outcomeNames())
	}
	if v.ID != "" && v.Outcome != reports.Pass && validOutcome(v.Outcome) && strings.TrimSpace(v.Why) == "" {
		p.errorf(n, "case %s: outcome %s needs a justification (why: the RFC sentence broken and the evidence)", v.ID, v.Outcome)
	}
	return v
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "something else"
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func outcomeNames() string {
	s := make([]string, len(reports.Outcomes))
	for i, o := range reports.Outcomes {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

// Verdicts indexes the file's verdicts by key.
func (f *File) Verdicts() map[Key]Verdict {
	m := map[Key]Verdict{}
	for _, mode := range f.Modes {
		for _, c := range mode.Cases {
			m[Key{mode.TLS, c.ID}] = c
		}
	}
	return m
}
