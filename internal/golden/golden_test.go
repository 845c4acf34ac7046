package golden

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reports"
)

const good = `peer: vsftpd
version: "vsftpd 3.0.3-13 (Debian 12)"
banner: "220 (vsFTPd 3.0.3)"
modes:
  - tls: none
    cases:
      - {id: rfc959/5.1/a, outcome: pass}
      - {id: rfc959/5.1/b, outcome: fail, why: "RFC 959 §5.1 MUST; 500 to TYPE A N"}
  - tls: explicit
    cases:
      - {id: rfc959/5.1/a, outcome: unsupported, why: "no MLST: 500 and not in FEAT"}
`

func TestParseGood(t *testing.T) {
	f, err := Parse("vsftpd.yaml", []byte(good))
	require.NoError(t, err)
	assert.Equal(t, "vsftpd", f.Peer)
	assert.Equal(t, "220 (vsFTPd 3.0.3)", f.Banner)
	require.Len(t, f.Modes, 2)
	v := f.Verdicts()
	assert.Len(t, v, 3)
	assert.Equal(t, reports.Fail, v[Key{"none", "rfc959/5.1/b"}].Outcome)
	assert.Equal(t, 8, v[Key{"none", "rfc959/5.1/b"}].Line)
	assert.Equal(t, reports.Unsupported, v[Key{"explicit", "rfc959/5.1/a"}].Outcome)
}

// manyCases lists n cases, each with the same unknown key.
func manyCases(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "      - {id: c%d, outcome: pass, reason: r}\n", i)
	}
	return b.String()
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string // substrings of the error, each naming file and line
	}{
		{"unknown top-level key", "peer: x\nversion: v\nverison: v\nmodes: []\n",
			[]string{`f.yaml:3: golden file: unknown field "verison"`}},
		{"unknown case key", "peer: x\nversion: v\nmodes:\n  - tls: none\n    cases:\n      - {id: a, outcome: pass, reason: r}\n",
			[]string{`f.yaml:6: case: unknown field "reason"`}},
		{"repeated key", "peer: x\npeer: y\nversion: v\nmodes: []\n",
			[]string{`f.yaml:2: golden file: field "peer" given twice`}},
		{"missing fields", "peer: x\nmodes:\n  - tls: none\n    cases:\n      - {id: a}\n",
			[]string{`f.yaml:1: golden file: missing field "version"`, `f.yaml:5: case: missing field "outcome"`}},
		{"non-pass without why", "peer: x\nversion: v\nmodes:\n  - tls: none\n    cases:\n      - {id: a, outcome: warn}\n      - {id: b, outcome: skip, why: \"  \"}\n",
			[]string{`f.yaml:6: case a: outcome warn needs a justification`, `f.yaml:7: case b: outcome skip needs a justification`}},
		{"unknown outcome", "peer: x\nversion: v\nmodes:\n  - tls: none\n    cases:\n      - {id: a, outcome: passed}\n",
			[]string{`f.yaml:6: case a: outcome "passed" is not one of pass, fail`}},
		{"unknown tls", "peer: x\nversion: v\nmodes:\n  - tls: starttls\n    cases: []\n",
			[]string{`f.yaml:4: tls: "starttls" is not a TLS mode`}},
		{"case twice", "peer: x\nversion: v\nmodes:\n  - tls: none\n    cases:\n      - {id: a, outcome: pass}\n      - {id: a, outcome: pass}\n",
			[]string{`f.yaml:7: case a listed twice (first at line 6)`}},
		{"mode twice", "peer: x\nversion: v\nmodes:\n  - tls: none\n    cases: []\n  - tls: none\n    cases: []\n",
			[]string{`f.yaml:6: modes: tls "none" listed twice`}},
		{"wrong shape", "peer: x\nversion: v\nmodes: {tls: none}\n",
			[]string{`f.yaml:3: modes: want a list, got a mapping`}},
		{"not yaml", "peer: [x\n", []string{"f.yaml:", "invalid YAML"}},
		{"empty", "", []string{"f.yaml: empty file"}},
		{"many problems are capped", "peer: x\nversion: v\nmodes:\n  - tls: none\n    cases:\n" + manyCases(30),
			[]string{`f.yaml:25: case: unknown field "reason"`, "f.yaml: and 10 more problems"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.doc))
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// run builds the run document of `conform --tls tls`; like a real plain run, its cases carry a
// TLS field of their own that the golden key ignores.
func run(tls string, banner string, outcomes map[string]reports.Outcome) Source {
	r := &reports.Run{Schema: reports.SchemaV1, Target: reports.Target{Banner: banner}, Conformance: &reports.Conformance{}}
	for id, o := range outcomes {
		r.Conformance.Cases = append(r.Conformance.Cases, reports.CaseResult{ID: id, TLS: "explicit", Outcome: o})
	}
	path := "p.json"
	if tls != "none" {
		path = "p-tls.json"
	}
	return Source{Path: path, TLS: tls, Run: r}
}

func TestCompare(t *testing.T) {
	g, err := Parse("vsftpd.yaml", []byte(good))
	require.NoError(t, err)
	tests := []struct {
		name string
		runs []Source
		want []string
	}{
		{"identical", []Source{
			run("none", "220 (vsFTPd 3.0.3)", map[string]reports.Outcome{"rfc959/5.1/a": reports.Pass, "rfc959/5.1/b": reports.Fail}),
			run("explicit", "220 (vsFTPd 3.0.3)", map[string]reports.Outcome{"rfc959/5.1/a": reports.Unsupported}),
		}, nil},
		{"changed, new and removed", []Source{
			run("none", "220 (vsFTPd 3.0.3)", map[string]reports.Outcome{"rfc959/5.1/b": reports.Warn, "rfc959/5.1/c": reports.Pass}),
			run("explicit", "220 (vsFTPd 3.0.3)", map[string]reports.Outcome{"rfc959/5.1/a": reports.Pass}),
		}, []string{
			"REMOVED  rfc959/5.1/a [tls none]",
			"CHANGED  rfc959/5.1/b [tls none]",
			"NEW      rfc959/5.1/c [tls none]",
			"CHANGED  rfc959/5.1/a [tls explicit]",
		}},
		{"later banner lines are ignored", []Source{
			run("none", "220 (vsFTPd 3.0.3)\n220-Local time is now 14:43.", map[string]reports.Outcome{"rfc959/5.1/a": reports.Pass, "rfc959/5.1/b": reports.Fail}),
			run("explicit", "220 (vsFTPd 3.0.3)\r\n220 other", map[string]reports.Outcome{"rfc959/5.1/a": reports.Unsupported}),
		}, nil},
		{"missing TLS run and new banner", []Source{
			run("none", "220 (vsFTPd 3.0.5)", map[string]reports.Outcome{"rfc959/5.1/a": reports.Pass, "rfc959/5.1/b": reports.Fail}),
		}, []string{
			`OTHER SERVER banner "220 (vsFTPd 3.0.5)", golden file recorded "220 (vsFTPd 3.0.3)"`,
			"MISSING RUN no run for tls explicit (1 cases recorded)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Observe(tt.runs)
			require.NoError(t, err)
			changes := Compare(g, o)
			require.Len(t, changes, len(tt.want))
			for i, w := range tt.want {
				assert.Contains(t, changes[i].String(), w)
			}
		})
	}
	o, err := Observe([]Source{run("none", "", map[string]reports.Outcome{"rfc959/5.1/b": reports.Warn})})
	require.NoError(t, err)
	var ch Change
	for _, c := range Compare(g, o) {
		if c.Key.ID == "rfc959/5.1/b" {
			ch = c
		}
	}
	assert.Equal(t, Change{Kind: Changed, Key: Key{"none", "rfc959/5.1/b"}, Old: reports.Fail, New: reports.Warn, Why: "RFC 959 §5.1 MUST; 500 to TYPE A N"}, ch)
	assert.Contains(t, ch.String(), "fail -> warn")
	assert.Contains(t, ch.String(), "was: RFC 959 §5.1 MUST")
}

func TestObserveRefuses(t *testing.T) {
	partial := run("none", "", map[string]reports.Outcome{"a": reports.Pass})
	partial.Run.Partial = true
	dup := run("none", "", map[string]reports.Outcome{"a": reports.Pass})
	dup.Run.Conformance.Cases = append(dup.Run.Conformance.Cases, dup.Run.Conformance.Cases[0])
	second := run("none", "", map[string]reports.Outcome{"b": reports.Pass})
	second.Path = "q.json"
	tests := []struct {
		name string
		runs []Source
		want string
	}{
		{"partial", []Source{partial}, "p.json: the run was interrupted"},
		{"no cases", []Source{{Path: "p.json", TLS: "none", Run: &reports.Run{Schema: reports.SchemaV1}}}, "p.json: no conformance results"},
		{"case twice", []Source{dup}, "p.json: case a [tls none] reported twice"},
		{"two docs, one mode", []Source{
			run("none", "", map[string]reports.Outcome{"a": reports.Pass}),
			second,
		}, "p.json and q.json are both runs under tls none"},
		{"unknown mode", []Source{{Path: "p.json", TLS: "ssl", Run: partial.Run}}, `p.json: "ssl" is not a TLS mode`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Observe(tt.runs)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestUpdateKeepsJustifications(t *testing.T) {
	g, err := Parse("vsftpd.yaml", []byte(good))
	require.NoError(t, err)
	o, err := Observe([]Source{
		run("none", "220 (vsFTPd 3.0.3)", map[string]reports.Outcome{"rfc959/5.1/a": reports.Pass, "rfc959/5.1/b": reports.Warn, "rfc959/5.1/c": reports.Skip}),
		run("explicit", "220 (vsFTPd 3.0.3)", map[string]reports.Outcome{"rfc959/5.1/a": reports.Unsupported}),
	})
	require.NoError(t, err)
	f, missing := Update(g, "vsftpd", o)
	assert.Equal(t, "vsftpd 3.0.3-13 (Debian 12)", f.Version, "the version is kept")
	assert.Equal(t, []Key{{"none", "rfc959/5.1/b"}, {"none", "rfc959/5.1/c"}}, missing,
		"a changed outcome loses its justification, a new non-pass has none")
	v := f.Verdicts()
	assert.Equal(t, "no MLST: 500 and not in FEAT", v[Key{"explicit", "rfc959/5.1/a"}].Why, "unchanged outcome keeps its why")
	assert.Empty(t, v[Key{"none", "rfc959/5.1/b"}].Why)

	b, err := Encode(f)
	require.NoError(t, err)
	text := string(b)
	assert.Contains(t, text, "# was fail: RFC 959 §5.1 MUST; 500 to TYPE A N", "the old justification stays as a comment")
	assert.Contains(t, text, "- {id: rfc959/5.1/a, outcome: pass}\n", "one line per case")
	_, err = Parse("vsftpd.yaml", b)
	require.Error(t, err, "the file written still lacks two justifications")
	assert.Contains(t, err.Error(), "case rfc959/5.1/b: outcome warn needs a justification")
}

func TestEncodeRoundTrip(t *testing.T) {
	g, err := Parse("vsftpd.yaml", []byte(good))
	require.NoError(t, err)
	g.Modes[0].Cases[1].Why = `quotes "inside", a colon: and # a hash, ünïcode, a long line ` + strings.Repeat("x", 200)
	b, err := Encode(g)
	require.NoError(t, err)
	back, err := Parse("again.yaml", b)
	require.NoError(t, err)
	for k, v := range g.Verdicts() {
		w := back.Verdicts()[k]
		assert.Equal(t, v.Outcome, w.Outcome, k)
		assert.Equal(t, v.Why, w.Why, k)
	}
	assert.Equal(t, g.Version, back.Version)
	assert.Equal(t, g.Banner, back.Banner)
	assert.True(t, strings.HasPrefix(string(b), "# Golden verdicts"), "the file explains itself")
}
