package loadgen

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Op is an FTP operation a transfer performs.
type Op string

// Operations a scenario's mix may contain.
const (
	OpRETR Op = "RETR" // download a file of the session's own and verify every byte
	OpSTOR Op = "STOR" // upload a file, then read it back (or hash it) and verify it
	OpAPPE Op = "APPE" // upload the first half with STOR and the rest with APPE, then verify
	OpREST Op = "REST" // resume a download at an offset (REST + RETR) and verify from there
	OpLIST Op = "LIST" // list the work directory; the reply codes are the verdict
	OpMLSD Op = "MLSD" // machine listing of the work directory (RFC 3659)
)

// Ops lists every operation in canonical order.
var Ops = []Op{OpRETR, OpSTOR, OpAPPE, OpREST, OpLIST, OpMLSD}

// uploads reports whether op writes to the server.
func (op Op) uploads() bool { return op == OpSTOR || op == OpAPPE }

// downloads reports whether op reads a prepared file.
func (op Op) downloads() bool { return op == OpRETR || op == OpREST }

// listing reports whether op lists a directory.
func (op Op) listing() bool { return op == OpLIST || op == OpMLSD }

// Mode is how a transfer's data connection is set up.
type Mode string

// Data connection modes.
const (
	ModeEPSV Mode = "epsv" // RFC 2428 extended passive: the client connects to the port in 229
	ModePASV Mode = "pasv" // RFC 959 passive: the client connects to the port in 227
	ModePORT Mode = "port" // RFC 959 active: the server connects to the client's PORT
	ModeEPRT Mode = "eprt" // RFC 2428 extended active
)

// Modes lists every data mode in canonical order.
var Modes = []Mode{ModeEPSV, ModePASV, ModePORT, ModeEPRT}

// passive reports whether the client opens the data connection.
func (m Mode) passive() bool { return m == ModeEPSV || m == ModePASV }

// Weighted is a value with a relative weight in a mix.
type Weighted[T comparable] struct {
	Value  T
	Weight int
}

// Mix is a weighted choice among values; weights are relative and positive.
type Mix[T comparable] []Weighted[T]

// total returns the sum of the weights.
func (m Mix[T]) total() int {
	t := 0
	for _, w := range m {
		t += w.Weight
	}
	return t
}

// pick chooses a value given a uniform random number u.
func (m Mix[T]) pick(u uint64) T {
	t := m.total()
	if len(m) == 1 || t <= 0 {
		return m[0].Value
	}
	x := int(u % uint64(t))
	for _, w := range m {
		if x < w.Weight {
			return w.Value
		}
		x -= w.Weight
	}
	return m[len(m)-1].Value
}

// spread assigns the i-th of n items a value so that the counts follow the weights exactly
// (up to rounding) and the values interleave rather than come in blocks.
func (m Mix[T]) spread(i, n int) T {
	if len(m) == 1 {
		return m[0].Value
	}
	t := m.total()
	// Smooth placement: item i takes the value whose cumulative share first exceeds the
	// fractional position of i in a low-discrepancy order.
	x := float64(bitReverse(uint32(i))) / float64(1<<32)
	acc := 0.0
	for _, w := range m {
		acc += float64(w.Weight) / float64(t)
		if x < acc {
			return w.Value
		}
	}
	return m[len(m)-1].Value
}

func bitReverse(x uint32) uint32 { return bits.Reverse32(x) }

// has reports whether v is in the mix with a positive weight.
func (m Mix[T]) has(v T) bool {
	return slices.ContainsFunc(m, func(w Weighted[T]) bool { return w.Value == v && w.Weight > 0 })
}

// only reports whether every entry satisfies f.
func (m Mix[T]) only(f func(T) bool) bool {
	for _, w := range m {
		if !f(w.Value) {
			return false
		}
	}
	return true
}

// String formats the mix as "a=3,b=1", or "a" for a single value.
func (m Mix[T]) String() string {
	if len(m) == 1 {
		return fmt.Sprint(m[0].Value)
	}
	var b strings.Builder
	for i, w := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%v=%d", w.Value, w.Weight)
	}
	return b.String()
}

// ParseOps parses an operation mix: "RETR", or "RETR=8,STOR=1,REST=1".
func ParseOps(s string) (Mix[Op], error) {
	return parseMix(s, func(v string) (Op, error) {
		op := Op(strings.ToUpper(strings.TrimSpace(v)))
		if !slices.Contains(Ops, op) {
			return "", fmt.Errorf("unknown operation %q (want one of %s)", v, joinValues(Ops))
		}
		return op, nil
	})
}

// ParseModes parses a data mode mix: "epsv", "epsv=3,pasv=1", or "mixed" (all four equally).
func ParseModes(s string) (Mix[Mode], error) {
	if strings.EqualFold(strings.TrimSpace(s), "mixed") {
		var m Mix[Mode]
		for _, v := range Modes {
			m = append(m, Weighted[Mode]{v, 1})
		}
		return m, nil
	}
	return parseMix(s, parseMode)
}

func parseMode(v string) (Mode, error) {
	m := Mode(strings.ToLower(strings.TrimSpace(v)))
	if !slices.Contains(Modes, m) {
		return "", fmt.Errorf("unknown data mode %q (want one of %s, or mixed)", v, joinValues(Modes))
	}
	return m, nil
}

func parseMix[T comparable](s string, parse func(string) (T, error)) (Mix[T], error) {
	var m Mix[T]
	for part := range strings.SplitSeq(s, ",") {
		// NAME:WEIGHT is what the help shows; NAME=WEIGHT is accepted too, since both read naturally.
		name, weight, hasWeight := part, "", false
		if i := strings.IndexAny(part, ":="); i >= 0 {
			name, weight, hasWeight = part[:i], part[i+1:], true
		}
		v, err := parse(name)
		if err != nil {
			return nil, fmt.Errorf("%w; the syntax is NAME or NAME:WEIGHT,NAME:WEIGHT (such as RETR:8,STOR:1)", err)
		}
		w := 1
		if hasWeight {
			w, err = strconv.Atoi(strings.TrimSpace(weight))
			if err != nil || w < 1 {
				return nil, fmt.Errorf("weight of %v: want a whole number ≥ 1, got %q (the syntax is NAME:WEIGHT, such as RETR:8)", v, weight)
			}
		}
		if slices.ContainsFunc(m, func(x Weighted[T]) bool { return x.Value == v }) {
			return nil, fmt.Errorf("%v appears twice", v)
		}
		m = append(m, Weighted[T]{v, w})
	}
	return m, nil
}

func joinValues[T any](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

// SizeDist is a distribution of transfer sizes in bytes: uniform in [Min, Max] (a fixed size when
// Min == Max), or, when Choices is set, a weighted choice among sizes.
type SizeDist struct {
	Min, Max int64
	Choices  Mix[int64]
}

// FixedSize returns the distribution that is always n.
func FixedSize(n int64) SizeDist { return SizeDist{Min: n, Max: n} }

// pick draws a size given a uniform random number u.
func (d SizeDist) pick(u uint64) int64 {
	switch {
	case len(d.Choices) > 0:
		return d.Choices.pick(u)
	case d.Max > d.Min:
		return d.Min + int64(u%uint64(d.Max-d.Min+1))
	}
	return d.Min
}

// Mean is the expected size.
func (d SizeDist) Mean() float64 {
	if len(d.Choices) > 0 {
		var sum float64
		for _, c := range d.Choices {
			sum += float64(c.Value) * float64(c.Weight)
		}
		return sum / float64(d.Choices.total())
	}
	return (float64(d.Min) + float64(d.Max)) / 2
}

// Largest is the largest size the distribution can produce.
func (d SizeDist) Largest() int64 {
	if len(d.Choices) > 0 {
		var m int64
		for _, c := range d.Choices {
			m = max(m, c.Value)
		}
		return m
	}
	return d.Max
}

// Smallest is the smallest size the distribution can produce.
func (d SizeDist) Smallest() int64 {
	if len(d.Choices) > 0 {
		m := int64(math.MaxInt64)
		for _, c := range d.Choices {
			m = min(m, c.Value)
		}
		return m
	}
	return d.Min
}

// String formats the distribution the way ParseSizeDist reads it.
func (d SizeDist) String() string {
	switch {
	case len(d.Choices) > 0:
		var b strings.Builder
		for i, c := range d.Choices {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s=%d", FormatSize(c.Value), c.Weight)
		}
		return b.String()
	case d.Max > d.Min:
		return FormatSize(d.Min) + "-" + FormatSize(d.Max)
	}
	return FormatSize(d.Min)
}

// ParseSizeDist parses "65536", "64KiB" (fixed), "1KiB-1MiB" (uniform), or "4KiB=3,1MiB=1"
// (weighted choice).
func ParseSizeDist(s string) (SizeDist, error) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "=:,") {
		m, err := parseMix(s, ParseSize)
		if err != nil {
			return SizeDist{}, err
		}
		return SizeDist{Choices: m}, nil
	}
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, err := ParseSize(lo)
		if err != nil {
			return SizeDist{}, err
		}
		b, err := ParseSize(hi)
		if err != nil {
			return SizeDist{}, err
		}
		if a > b {
			return SizeDist{}, fmt.Errorf("size range %q: low end above high end", s)
		}
		return SizeDist{Min: a, Max: b}, nil
	}
	n, err := ParseSize(s)
	if err != nil {
		return SizeDist{}, err
	}
	return FixedSize(n), nil
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30},
	{"b", 1},
}

// ParseSize parses a byte count: a whole number with an optional unit (B, KiB, MiB, GiB, TiB
// are powers of 1024; KB, MB, GB, TB powers of 1000; K, M, G are read as KiB, MiB, GiB).
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want a byte count such as 65536, 64KiB or 1GiB", s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return n * mult, nil
}

// FormatSize prints n with the largest binary unit that divides it exactly.
func FormatSize(n int64) string {
	for _, u := range []struct {
		s string
		m int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.m && n%u.m == 0 {
			return strconv.FormatInt(n/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10)
}

// rnd returns a well-mixed 64-bit number determined by its inputs: the run's choices (which
// operation, which size) are a pure function of (seed, session, transfer), so every shard of a
// run, and the upload phase before it, agree on them without talking to each other.
func rnd(seed uint64, session, transfer int, salt uint64) uint64 {
	x := seed ^ salt*0x9e3779b97f4a7c15
	x = splitmix(x ^ uint64(session)*0xbf58476d1ce4e5b9)
	return splitmix(x ^ uint64(transfer)*0x94d049bb133111eb)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
