package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ftpspec/ftpspec/reports"
)

// TLSMode is how the control connection is secured (RFC 4217).
type TLSMode string

// TLS modes.
const (
	TLSNone     TLSMode = "none"
	TLSExplicit TLSMode = "explicit" // AUTH TLS on the plain control port
	TLSImplicit TLSMode = "implicit" // TLS from the first byte (the ftps:// convention)
)

// Content says where the files a run downloads come from.
type Content string

// Content sources.
const (
	ContentAuto      Content = "auto"      // synthetic when the server offers /synthetic, else upload
	ContentSynthetic Content = "synthetic" // the server computes them (ftpspec's reference server)
	ContentUpload    Content = "upload"    // uploaded before the run and deleted after it
)

// Shard is this process's share of a larger run: sessions are split into Count contiguous
// blocks and this process runs block Index (1-based). Session numbers, and so file names, stay
// globally unique, so shards' results merge exactly.
type Shard struct {
	Index, Count int
}

// ParseShard parses "i/n".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("want i/n such as 2/4, got %q", s)
	}
	sh := Shard{i, n}
	if err := sh.validate(); err != nil {
		return Shard{}, err
	}
	return sh, nil
}

func (s Shard) validate() error {
	if s.Count < 1 || s.Index < 1 || s.Index > s.Count {
		return fmt.Errorf("want 1 ≤ i ≤ n, got %d/%d", s.Index, s.Count)
	}
	return nil
}

// String formats the shard as "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// span returns the global session numbers [lo, hi) of this shard out of n sessions.
func (s Shard) span(n int) (lo, hi int) {
	if s.Count <= 1 {
		return 0, n
	}
	return n * (s.Index - 1) / s.Count, n * s.Index / s.Count
}

// Scenario is what a load run does. Its fields are plain so that command-line flags can
// override a scenario file by assigning them (or, to keep error messages pointing at the flag
// rather than the file, through Set). Each field's YAML key is in its tag.
type Scenario struct {
	// File is the scenario file's name, used in error messages; not a YAML key.
	File string `yaml:"-"`

	Name   string `yaml:"name"`   // a label for the run
	Target string `yaml:"target"` // ftp://user:pass@host:port/dir; empty means the caller decides

	Sessions  int           `yaml:"sessions"`  // simultaneous control connections (≥ 1)
	RampUp    time.Duration `yaml:"ramp_up"`   // spread the logins over this long; 0 is a burst
	Burst     bool          `yaml:"burst"`     // all sessions at once (the same as ramp_up: 0, said out loud)
	Transfers int           `yaml:"transfers"` // per session; 0 means as many as fit in Duration
	Duration  time.Duration `yaml:"duration"`  // stop starting transfers after this long; 0 means no limit
	Think     time.Duration `yaml:"think"`     // pause between a session's transfers
	// Lockstep runs transfers in rounds with barriers: every session gets its data port before any
	// data connection opens, and every data connection is open before any transfer command. Off,
	// sessions run free (ramp-up and think time shape the load instead).
	Lockstep bool `yaml:"lockstep"`

	Mix      Mix[Op]   `yaml:"mix"`       // operations and their weights
	Size     SizeDist  `yaml:"size"`      // bytes per transfer
	DataMode Mix[Mode] `yaml:"data_mode"` // per session: epsv, pasv, port, eprt, or weights over them

	TLS  TLSMode `yaml:"tls"`  // none, explicit or implicit
	Prot string  `yaml:"prot"` // data channel protection with TLS: P (private, default) or C (clear)

	Sources     []netip.Addr `yaml:"sources"`      // local addresses sessions connect from, round-robin; empty: the system's choice
	ThiefSource netip.Addr   `yaml:"thief_source"` // where thieves connect from; default 127.0.0.2
	Steal       int          `yaml:"steal"`        // thief connection attempts, spread over the run

	Thresholds []string `yaml:"thresholds"` // expressions such as "p99<250ms"; the run fails when one is breached
	PasvPorts  string   `yaml:"pasv_ports"` // the passive range the server is declared to use, "LO-HI"

	Content Content       `yaml:"content"`  // auto, synthetic or upload
	WorkDir string        `yaml:"work_dir"` // directory for uploads; default ftpspec-load-<run id>
	Keep    bool          `yaml:"keep"`     // leave uploaded files on the server
	Timeout time.Duration `yaml:"timeout"`  // for each network operation (a reply, a connect, a stalled read)
	Seed    uint64        `yaml:"seed"`     // makes the choices of operations and sizes repeatable; 0 picks one
	Shard   Shard         `yaml:"shard"`    // "i/n": run this share of the sessions

	// Bench is the file's bench: section, kept whole for package bench to read strictly; not a
	// load setting (a load run ignores it).
	Bench yaml.Node `yaml:"-"`

	// lines remembers where each key was in the file, so a validation error can point at it.
	lines map[string]int
}

// Default returns the scenario that flags and files start from: 10 sessions of 2 lockstep RETR
// transfers of 64 KiB over EPSV, no TLS.
func Default() Scenario {
	return Scenario{
		Sessions:    10,
		Transfers:   2,
		Lockstep:    true,
		Mix:         Mix[Op]{{OpRETR, 1}},
		Size:        FixedSize(64 << 10),
		DataMode:    Mix[Mode]{{ModeEPSV, 1}},
		TLS:         TLSNone,
		Prot:        "P",
		ThiefSource: netip.MustParseAddr("127.0.0.2"),
		Content:     ContentAuto,
		Timeout:     30 * time.Second,
		Shard:       Shard{1, 1},
	}
}

// FieldError is a problem with one field of a scenario: its value, or its YAML.
// It formats as "file:line: field: problem" (file and line when known).
type FieldError struct {
	File    string
	Line    int
	Field   string // the YAML key (also the flag's name)
	Problem string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// LoadFile reads a scenario file over the defaults. Unknown keys, duplicate keys, values of the
// wrong kind and more than one document are errors (*FieldError, or several joined), each naming
// the file, line and key.
func LoadFile(name string) (Scenario, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return Scenario{}, err
	}
	return Parse(name, data)
}

// rawScenario catches each key's node, so unknown keys fail (KnownFields) and every value keeps
// its line.
type rawScenario struct {
	Name        yaml.Node `yaml:"name"`
	Target      yaml.Node `yaml:"target"`
	Sessions    yaml.Node `yaml:"sessions"`
	RampUp      yaml.Node `yaml:"ramp_up"`
	Burst       yaml.Node `yaml:"burst"`
	Transfers   yaml.Node `yaml:"transfers"`
	Duration    yaml.Node `yaml:"duration"`
	Think       yaml.Node `yaml:"think"`
	Lockstep    yaml.Node `yaml:"lockstep"`
	Mix         yaml.Node `yaml:"mix"`
	Size        yaml.Node `yaml:"size"`
	DataMode    yaml.Node `yaml:"data_mode"`
	TLS         yaml.Node `yaml:"tls"`
	Prot        yaml.Node `yaml:"prot"`
	Sources     yaml.Node `yaml:"sources"`
	ThiefSource yaml.Node `yaml:"thief_source"`
	Steal       yaml.Node `yaml:"steal"`
	Thresholds  yaml.Node `yaml:"thresholds"`
	PasvPorts   yaml.Node `yaml:"pasv_ports"`
	Content     yaml.Node `yaml:"content"`
	WorkDir     yaml.Node `yaml:"work_dir"`
	Keep        yaml.Node `yaml:"keep"`
	Timeout     yaml.Node `yaml:"timeout"`
	Seed        yaml.Node `yaml:"seed"`
	Shard       yaml.Node `yaml:"shard"`
	Bench       yaml.Node `yaml:"bench"`
}

// Keys lists the YAML keys a scenario accepts, in the order of the Scenario's fields.
func Keys() []string {
	var keys []string
	for _, f := range scenarioFields() {
		keys = append(keys, f.key)
	}
	return keys
}

// Parse reads a scenario document over the defaults; name is used in error messages.
func Parse(name string, data []byte) (Scenario, error) {
	s := Default()
	s.File = name
	s.lines = map[string]int{}
	if len(bytes.TrimSpace(data)) == 0 {
		return s, &FieldError{File: name, Line: 1, Problem: "empty scenario"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var raw rawScenario
	if err := dec.Decode(&raw); err != nil {
		return s, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return s, &FieldError{File: name, Line: extra.Line, Problem: "a scenario file holds one YAML document, found another"}
	} else if !errors.Is(err, io.EOF) {
		return s, yamlError(name, err)
	}
	s.Bench = raw.Bench
	var errs []error
	for _, f := range scenarioFields() {
		n := f.node(&raw)
		if n.Kind == 0 {
			continue
		}
		s.lines[f.key] = n.Line
		if err := f.decode(&s, n); err != nil {
			fe := &FieldError{File: name, Line: n.Line, Field: f.key, Problem: err.Error()}
			var le *lineError
			if errors.As(err, &le) {
				fe.Line, fe.Problem = le.line, le.err.Error()
			}
			errs = append(errs, fe)
		}
	}
	if _, ok := s.lines["duration"]; ok {
		if _, ok := s.lines["transfers"]; !ok {
			s.Transfers = 0 // a duration alone: as many transfers as fit in it
		}
	}
	return s, errors.Join(errs...)
}

// Set assigns one field from its textual form (as a flag gives it) and forgets the field's
// place in the file, so later errors about it name the flag rather than the file.
func (s *Scenario) Set(key, value string) error {
	for _, f := range scenarioFields() {
		if f.key != key {
			continue
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
		if f.list {
			n = &yaml.Node{Kind: yaml.SequenceNode}
			for v := range strings.SplitSeq(value, ",") {
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.TrimSpace(v)})
			}
		}
		if err := f.decode(s, n); err != nil {
			return &FieldError{Field: key, Problem: err.Error()}
		}
		delete(s.lines, key)
		return nil
	}
	return &FieldError{Field: key, Problem: "unknown field (known: " + strings.Join(Keys(), ", ") + ")"}
}

// FromFlag marks fields as set by a flag, for callers that assign fields directly: errors about
// them then name the field without the file's line.
func (s *Scenario) FromFlag(keys ...string) {
	for _, k := range keys {
		delete(s.lines, k)
	}
}

var (
	yamlLineRe   = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownKeyRe = regexp.MustCompile(`^field (\S+) not found in type`)
)

// yamlError turns yaml.v3's errors into FieldErrors that name the file and line.
func yamlError(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs []error
		for _, m := range te.Errors {
			errs = append(errs, yamlMessage(name, m))
		}
		return errors.Join(errs...)
	}
	return yamlMessage(name, err.Error())
}

func yamlMessage(name, msg string) *FieldError {
	msg = strings.TrimPrefix(msg, "yaml: ")
	fe := &FieldError{File: name, Problem: msg}
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		fe.Problem = m[2]
		if k := unknownKeyRe.FindStringSubmatch(m[2]); k != nil {
			fe.Field = k[1]
			fe.Problem = "unknown key (known: " + strings.Join(Keys(), ", ") + ")"
		}
	}
	return fe
}

// field describes one YAML key: where its node is and how to decode it.
type field struct {
	key    string
	list   bool // Set splits a flag value on commas
	node   func(*rawScenario) *yaml.Node
	decode func(*Scenario, *yaml.Node) error
}

func scenarioFields() []field {
	return []field{
		{key: "name", node: func(r *rawScenario) *yaml.Node { return &r.Name },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Name, err = str(n); return }},
		{key: "target", node: func(r *rawScenario) *yaml.Node { return &r.Target },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Target, err = str(n); return }},
		{key: "sessions", node: func(r *rawScenario) *yaml.Node { return &r.Sessions },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Sessions, err = integer(n); return }},
		{key: "ramp_up", node: func(r *rawScenario) *yaml.Node { return &r.RampUp },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.RampUp, err = duration(n); return }},
		{key: "burst", node: func(r *rawScenario) *yaml.Node { return &r.Burst },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Burst, err = boolean(n); return }},
		{key: "transfers", node: func(r *rawScenario) *yaml.Node { return &r.Transfers },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Transfers, err = integer(n); return }},
		{key: "duration", node: func(r *rawScenario) *yaml.Node { return &r.Duration },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Duration, err = duration(n); return }},
		{key: "think", node: func(r *rawScenario) *yaml.Node { return &r.Think },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Think, err = duration(n); return }},
		{key: "lockstep", node: func(r *rawScenario) *yaml.Node { return &r.Lockstep },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Lockstep, err = boolean(n); return }},
		{key: "mix", node: func(r *rawScenario) *yaml.Node { return &r.Mix },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Mix, err = weights(n, ParseOps); return }},
		{key: "size", node: func(r *rawScenario) *yaml.Node { return &r.Size },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Size, err = sizeDist(n); return }},
		{key: "data_mode", node: func(r *rawScenario) *yaml.Node { return &r.DataMode },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.DataMode, err = weights(n, ParseModes); return }},
		{key: "tls", node: func(r *rawScenario) *yaml.Node { return &r.TLS },
			decode: func(s *Scenario, n *yaml.Node) error {
				v, err := oneOf(n, string(TLSNone), string(TLSExplicit), string(TLSImplicit))
				s.TLS = TLSMode(v)
				return err
			}},
		{key: "prot", node: func(r *rawScenario) *yaml.Node { return &r.Prot },
			decode: func(s *Scenario, n *yaml.Node) (err error) {
				v, err := oneOf(n, "P", "C")
				s.Prot = v
				return err
			}},
		{key: "sources", list: true, node: func(r *rawScenario) *yaml.Node { return &r.Sources },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Sources, err = addrs(n); return }},
		{key: "thief_source", node: func(r *rawScenario) *yaml.Node { return &r.ThiefSource },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.ThiefSource, err = addr(n); return }},
		{key: "steal", node: func(r *rawScenario) *yaml.Node { return &r.Steal },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Steal, err = integer(n); return }},
		{key: "thresholds", list: true, node: func(r *rawScenario) *yaml.Node { return &r.Thresholds },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Thresholds, err = strs(n); return }},
		{key: "pasv_ports", node: func(r *rawScenario) *yaml.Node { return &r.PasvPorts },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.PasvPorts, err = str(n); return }},
		{key: "content", node: func(r *rawScenario) *yaml.Node { return &r.Content },
			decode: func(s *Scenario, n *yaml.Node) error {
				v, err := oneOf(n, string(ContentAuto), string(ContentSynthetic), string(ContentUpload))
				s.Content = Content(v)
				return err
			}},
		{key: "work_dir", node: func(r *rawScenario) *yaml.Node { return &r.WorkDir },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.WorkDir, err = str(n); return }},
		{key: "keep", node: func(r *rawScenario) *yaml.Node { return &r.Keep },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Keep, err = boolean(n); return }},
		{key: "timeout", node: func(r *rawScenario) *yaml.Node { return &r.Timeout },
			decode: func(s *Scenario, n *yaml.Node) (err error) { s.Timeout, err = duration(n); return }},
		{key: "seed", node: func(r *rawScenario) *yaml.Node { return &r.Seed },
			decode: func(s *Scenario, n *yaml.Node) error {
				v, err := scalar(n)
				if err != nil {
					return err
				}
				s.Seed, err = strconv.ParseUint(v, 10, 64)
				if err != nil {
					return fmt.Errorf("want a whole number ≥ 0, got %q", v)
				}
				return nil
			}},
		{key: "shard", node: func(r *rawScenario) *yaml.Node { return &r.Shard },
			decode: func(s *Scenario, n *yaml.Node) error {
				v, err := scalar(n)
				if err != nil {
					return err
				}
				s.Shard, err = ParseShard(v)
				return err
			}},
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a value"
}

func scalar(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("want a single value, got %s", kindName(n))
	}
	return n.Value, nil
}

func str(n *yaml.Node) (string, error) { return scalar(n) }

func integer(n *yaml.Node) (int, error) {
	v, err := scalar(n)
	if err != nil {
		return 0, err
	}
	i, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("want a whole number, got %q", v)
	}
	return i, nil
}

func boolean(n *yaml.Node) (bool, error) {
	v, err := scalar(n)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(v) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("want true or false, got %q", v)
}

func duration(n *yaml.Node) (time.Duration, error) {
	v, err := scalar(n)
	if err != nil {
		return 0, err
	}
	if v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 500ms, 10s or 2m, got %q", v)
	}
	return d, nil
}

func oneOf(n *yaml.Node, choices ...string) (string, error) {
	v, err := scalar(n)
	if err != nil {
		return "", err
	}
	for _, c := range choices {
		if strings.EqualFold(v, c) {
			return c, nil
		}
	}
	return "", fmt.Errorf("want one of %s, got %q", strings.Join(choices, ", "), v)
}

func strs(n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("want a list, got %s", kindName(n))
	}
	var out []string
	for _, c := range n.Content {
		v, err := scalar(c)
		if err != nil {
			return nil, &lineError{c.Line, err}
		}
		out = append(out, v)
	}
	return out, nil
}

func addr(n *yaml.Node) (netip.Addr, error) {
	v, err := scalar(n)
	if err != nil {
		return netip.Addr{}, err
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("want an IP address such as 127.0.0.2, got %q", v)
	}
	return a, nil
}

// addrs reads a list of addresses; an entry "127.0.0.1-127.0.0.8" stands for the range.
func addrs(n *yaml.Node) ([]netip.Addr, error) {
	vs, err := strs(n)
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, v := range vs {
		lo, hi, isRange := strings.Cut(v, "-")
		a, err := netip.ParseAddr(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("want IP addresses such as 127.0.0.3 or a range 127.0.0.1-127.0.0.8, got %q", v)
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, err := netip.ParseAddr(strings.TrimSpace(hi))
		if err != nil || b.Less(a) || a.Is4() != b.Is4() {
			return nil, fmt.Errorf("address range %q: want LOW-HIGH of one family", v)
		}
		for x := a; ; x = x.Next() {
			out = append(out, x)
			if x == b || len(out) > 4096 {
				break
			}
		}
		if len(out) > 4096 {
			return nil, fmt.Errorf("address range %q: more than 4096 addresses", v)
		}
	}
	return out, nil
}

// lineError places a problem inside a value that spans lines (a list, a mapping).
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return e.err.Error() }

// weights reads a mix: a single value ("RETR", "mixed"), or a mapping of values to weights.
func weights[T comparable](n *yaml.Node, parse func(string) (Mix[T], error)) (Mix[T], error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return parse(n.Value)
	case yaml.MappingNode:
		return mapping(n, parse)
	}
	return nil, fmt.Errorf("want a value or a mapping of values to weights, got %s", kindName(n))
}

// mapping reads "value: weight" pairs, each checked on its own line.
func mapping[T comparable](n *yaml.Node, parse func(string) (Mix[T], error)) (Mix[T], error) {
	var m Mix[T]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return nil, &lineError{v.Line, fmt.Errorf("weight of %s: want a whole number, got %s", k.Value, kindName(v))}
		}
		one, err := parse(k.Value + "=" + v.Value)
		if err != nil {
			return nil, &lineError{k.Line, err}
		}
		if slices.ContainsFunc(m, func(x Weighted[T]) bool { return x.Value == one[0].Value }) {
			return nil, &lineError{k.Line, fmt.Errorf("%v appears twice", one[0].Value)}
		}
		m = append(m, one...)
	}
	if len(m) == 0 {
		return nil, errors.New("empty mapping")
	}
	return m, nil
}

// sizeDist reads a size: "64KiB" (fixed), "1KiB-1MiB" (uniform), or a mapping of sizes to weights.
func sizeDist(n *yaml.Node) (SizeDist, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return ParseSizeDist(n.Value)
	case yaml.MappingNode:
		m, err := mapping(n, func(s string) (Mix[int64], error) {
			d, err := ParseSizeDist(s)
			return d.Choices, err
		})
		return SizeDist{Choices: m}, err
	}
	return SizeDist{}, fmt.Errorf("want a size (64KiB), a range (1KiB-1MiB) or a mapping of sizes to weights, got %s", kindName(n))
}

// maxSessions bounds a single process; beyond it, shards.
const maxSessions = 1_000_000

// Validate checks the scenario as a whole, after flags have been applied. Each problem is a
// *FieldError naming the key (with the file and line when the value came from the file); several
// are joined.
func (s *Scenario) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		fe := &FieldError{Field: key, Problem: fmt.Sprintf(format, args...)}
		if line, ok := s.lines[key]; ok {
			fe.File, fe.Line = s.File, line
		}
		errs = append(errs, fe)
	}
	switch {
	case s.Sessions < 1:
		bad("sessions", "must be ≥ 1, got %d", s.Sessions)
	case s.Sessions > maxSessions:
		bad("sessions", "at most %d in one run, got %d", maxSessions, s.Sessions)
	}
	if s.Transfers < 0 {
		bad("transfers", "must be ≥ 0, got %d", s.Transfers)
	}
	if s.Duration < 0 {
		bad("duration", "must not be negative, got %v", s.Duration)
	}
	if s.Transfers == 0 && s.Duration == 0 {
		bad("transfers", "set transfers (per session) or duration, or both: a run must end")
	}
	if s.RampUp < 0 {
		bad("ramp_up", "must not be negative, got %v", s.RampUp)
	}
	if s.Burst && s.RampUp > 0 {
		bad("burst", "cannot be combined with ramp_up %v: burst starts every session at once", s.RampUp)
	}
	if s.Think < 0 {
		bad("think", "must not be negative, got %v", s.Think)
	}
	if len(s.Mix) == 0 {
		bad("mix", "no operations")
	}
	for _, w := range s.Mix {
		if !slices.Contains(Ops, w.Value) {
			bad("mix", "unknown operation %q", w.Value)
		}
		if w.Weight < 1 {
			bad("mix", "weight of %s must be ≥ 1, got %d", w.Value, w.Weight)
		}
	}
	if s.Size.Smallest() < 0 || s.Size.Max < s.Size.Min {
		bad("size", "must be a byte count ≥ 0, got %s", s.Size)
	}
	if s.Mix.has(OpREST) && s.Size.Smallest() < 2 {
		bad("size", "REST needs files of at least 2 bytes to resume inside, got %s", s.Size)
	}
	if len(s.DataMode) == 0 {
		bad("data_mode", "no data mode")
	}
	for _, w := range s.DataMode {
		if !slices.Contains(Modes, w.Value) {
			bad("data_mode", "unknown data mode %q", w.Value)
		}
		if w.Weight < 1 {
			bad("data_mode", "weight of %s must be ≥ 1, got %d", w.Value, w.Weight)
		}
	}
	switch s.TLS {
	case TLSNone, TLSExplicit, TLSImplicit:
	default:
		bad("tls", "want none, explicit or implicit, got %q", s.TLS)
	}
	if s.Prot != "P" && s.Prot != "C" {
		bad("prot", "want P or C, got %q", s.Prot)
	}
	for _, a := range s.Sources {
		if !a.IsValid() {
			bad("sources", "invalid address")
		} else if err := bindable(a); err != nil {
			// A session cannot connect from an address this machine does not have; run anyway and
			// half the transfers would be counted as the server's failures.
			bad("sources", "%s is not a local address of this machine (%v)", a, err)
		}
	}
	if s.Steal < 0 {
		bad("steal", "must be ≥ 0, got %d", s.Steal)
	}
	if s.Steal > 0 {
		if !s.ThiefSource.IsValid() {
			bad("thief_source", "thieves need an address to connect from")
		}
		if slices.Contains(s.Sources, s.ThiefSource) {
			bad("thief_source", "%s is also a session source: a thief must come from another address", s.ThiefSource)
		}
		if s.DataMode.only(func(m Mode) bool { return !m.passive() }) {
			bad("steal", "thieves go for passive ports: data_mode must include epsv or pasv")
		}
	}
	for _, expr := range s.Thresholds {
		if _, err := reports.ParseThreshold(expr); err != nil {
			bad("thresholds", "%v", err)
		}
	}
	if s.PasvPorts != "" {
		if _, _, err := reports.ParsePortRange(s.PasvPorts); err != nil {
			bad("pasv_ports", "%v", err)
		}
	}
	switch s.Content {
	case ContentAuto, ContentSynthetic, ContentUpload:
	default:
		bad("content", "want auto, synthetic or upload, got %q", s.Content)
	}
	if strings.ContainsAny(s.WorkDir, "\r\n") || strings.Contains(s.WorkDir, "..") {
		bad("work_dir", "must be a plain relative directory name, got %q", s.WorkDir)
	}
	if s.Timeout <= 0 {
		bad("timeout", "must be > 0, got %v", s.Timeout)
	}
	if err := s.Shard.validate(); err != nil {
		bad("shard", "%v", err)
	} else if s.Sessions >= 1 && s.Shard.Count > s.Sessions {
		bad("shard", "%d shards for %d sessions leaves some shards empty", s.Shard.Count, s.Sessions)
	}
	if s.Target != "" && !strings.Contains(s.Target, "://") {
		bad("target", "want ftp://[user:pass@]host[:port][/dir], got %q", s.Target)
	}
	return errors.Join(errs...)
}

// modeOf is the data mode of global session number i of n.
func (s *Scenario) modeOf(i, n int) Mode { return s.DataMode.spread(i, n) }

// modeString describes the scenario's data modes the way reports.Load.DataMode does.
func (s *Scenario) modeString() string {
	if len(s.DataMode) == 1 {
		return string(s.DataMode[0].Value)
	}
	return "mixed"
}

// bindable reports whether a TCP socket can be bound to a on this machine, which is what a
// session source needs.
func bindable(a netip.Addr) error {
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, 0)))
	if err != nil {
		var se *os.SyscallError
		if errors.As(err, &se) {
			return se.Err
		}
		return err
	}
	return ln.Close()
}
