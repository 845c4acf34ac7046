package suites

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ftpspec/ftpspec/reports"
)

// Expectations list a target's known deviations. A listed case that fails (or warns) is
// reported as xfail; one that passes is reported as xpass. Other outcomes are left alone.
//
// The YAML file:
//
//	# vsftpd 3.0.3 — known deviations
//	xfail:
//	  - id: rfc2389/3.2/feat-end-line      # a case ID or a path.Match glob
//	    tls: [none, explicit]               # optional: only under these modes (default all)
//	    reason: answers "211 End FEAT."     # required: why it is expected
type Expectations struct {
	Entries []Expectation
}

// Expectation is one entry.
type Expectation struct {
	ID     string   `yaml:"id"`
	TLS    []string `yaml:"tls"`
	Reason string   `yaml:"reason"`
	line   int
}

type expectationsFile struct {
	XFail []Expectation `yaml:"xfail"`
}

// LoadExpectations reads an expectations file. Unknown fields, missing reasons, bad globs, unknown
// TLS modes and entries that match none of known (when known is non-nil) are errors naming the
// file and line.
func LoadExpectations(file string, known []Case) (Expectations, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return Expectations{}, fmt.Errorf("expectations: %w", err)
	}
	return ParseExpectations(file, b, known)
}

// ParseExpectations parses the contents of an expectations file; name is used in errors.
func ParseExpectations(name string, b []byte, known []Case) (Expectations, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return Expectations{}, nil
		}
		return Expectations{}, fmt.Errorf("%s: %w", name, err)
	}
	var f expectationsFile
	strict := yaml.NewDecoder(bytes.NewReader(b))
	strict.KnownFields(true)
	if err := strict.Decode(&f); err != nil {
		return Expectations{}, fmt.Errorf("%s: %w", name, err)
	}
	// Line numbers for each entry, from the node tree.
	var lines []int
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "xfail" {
				for _, n := range m.Content[i+1].Content {
					lines = append(lines, n.Line)
				}
			}
		}
	}
	for i := range f.XFail {
		e := &f.XFail[i]
		if i < len(lines) {
			e.line = lines[i]
		}
		where := fmt.Sprintf("%s:%d", name, e.line)
		switch {
		case e.ID == "":
			return Expectations{}, fmt.Errorf("%s: xfail entry without id", where)
		case strings.TrimSpace(e.Reason) == "":
			return Expectations{}, fmt.Errorf("%s: xfail %q: reason is required", where, e.ID)
		}
		if _, err := path.Match(e.ID, ""); err != nil {
			return Expectations{}, fmt.Errorf("%s: id %q: %w", where, e.ID, err)
		}
		for _, m := range e.TLS {
			if m != ModeNone && m != ModeExplicit && m != ModeImplicit {
				return Expectations{}, fmt.Errorf("%s: tls %q: want none, explicit or implicit", where, m)
			}
		}
		if known != nil && !slices.ContainsFunc(known, func(c Case) bool { ok, _ := path.Match(e.ID, c.ID); return ok }) {
			return Expectations{}, fmt.Errorf("%s: id %q matches no case", where, e.ID)
		}
	}
	return Expectations{Entries: f.XFail}, nil
}

// Lookup returns the entry that covers id under mode, if any.
func (x Expectations) Lookup(id, mode string) (Expectation, bool) {
	for _, e := range x.Entries {
		if ok, _ := path.Match(e.ID, id); !ok {
			continue
		}
		if len(e.TLS) > 0 && !slices.Contains(e.TLS, mode) {
			continue
		}
		return e, true
	}
	return Expectation{}, false
}

// apply turns a fail or warn into xfail, and a pass into xpass, for a listed case; the reason of
// the entry joins the result's reason.
func (x Expectations) apply(id, mode string, o reports.Outcome, reason string) (reports.Outcome, string) {
	e, ok := x.Lookup(id, mode)
	if !ok {
		return o, reason
	}
	note := "expected to fail: " + e.Reason
	switch o {
	case reports.Fail, reports.Warn:
		o = reports.XFail
	case reports.Pass:
		o = reports.XPass
	default:
		return o, reason
	}
	if reason != "" {
		note = reason + "; " + note
	}
	return o, note
}
