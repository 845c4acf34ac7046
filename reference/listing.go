package reference

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

type listStyle int

const (
	listLong  listStyle = iota // LIST: "ls -l" lines
	listNames                  // NLST: names only (RFC 959 §4.1.3)
	listFacts                  // MLSD: RFC 3659 §7 fact lines
)

// splitListArg separates "ls"-style options some clients send with LIST ("LIST -la dir") from
// the pathname.
func splitListArg(arg string) (opts, p string) {
	arg = strings.TrimSpace(arg)
	for strings.HasPrefix(arg, "-") {
		o, rest, _ := strings.Cut(arg, " ")
		opts += o[1:]
		arg = strings.TrimSpace(rest)
	}
	return opts, arg
}

// listing renders the entries of directory v (or the single file v) in style.
func (s *session) listing(v string, style listStyle) ([]byte, error) {
	info, err := s.stat(v)
	if err != nil {
		return nil, err
	}
	var b []byte
	if !info.IsDir() {
		if style == listFacts {
			return nil, errors.New("not a directory") // RFC 3659 §7.2: MLSD lists directories only
		}
		return s.entry(b, info, path.Base(v), style, v), nil
	}
	entries, err := s.readDir(v)
	if err != nil {
		return nil, err
	}
	if style == listFacts {
		b = s.facts(b, info, ".", true, v)
	}
	for _, e := range entries {
		b = s.entry(b, e, e.Name(), style, path.Join(v, e.Name()))
	}
	return b, nil
}

func (s *session) entry(b []byte, info fs.FileInfo, name string, style listStyle, v string) []byte {
	switch style {
	case listNames:
		b = append(b, name...)
		return append(b, "\r\n"...)
	case listFacts:
		return s.facts(b, info, name, false, v)
	}
	return appendLongLine(b, info, name, time.Now())
}

// readDir returns the entries of directory v sorted by name. Symbolic links are described by
// what they point to when that stays inside the root.
func (s *session) readDir(v string) ([]fs.FileInfo, error) {
	if k, _, _ := parseSynthetic(v); k != notSynthetic {
		return nil, nil // the synthetic directories list empty: their files are computed on demand
	}
	d, err := s.root.Open(rootName(v))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	des, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := make([]fs.FileInfo, 0, len(des))
	for _, de := range des {
		info, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			if target, err := s.root.Stat(rootName(path.Join(v, de.Name()))); err == nil {
				info = renamed{target, de.Name()}
			}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b fs.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// renamed is a FileInfo under another name (a symlink's target, listed under the link's name).
type renamed struct {
	fs.FileInfo
	name string
}

func (r renamed) Name() string { return r.name }

// appendLongLine appends an "ls -l" style line, the de-facto LIST format clients parse.
func appendLongLine(b []byte, info fs.FileInfo, name string, now time.Time) []byte {
	m := info.Mode()
	switch {
	case m.IsDir():
		b = append(b, 'd')
	case m&fs.ModeSymlink != 0:
		b = append(b, 'l')
	default:
		b = append(b, '-')
	}
	perm := m.Perm()
	const rwx = "rwxrwxrwx"
	for i := range 9 {
		if perm&(1<<(8-i)) != 0 {
			b = append(b, rwx[i])
		} else {
			b = append(b, '-')
		}
	}
	b = append(b, "    1 ftp      ftp      "...)
	size := strconv.FormatInt(info.Size(), 10)
	for i := len(size); i < 12; i++ {
		b = append(b, ' ')
	}
	b = append(b, size...)
	b = append(b, ' ')
	t := info.ModTime().UTC()
	if d := now.Sub(t); d < 180*24*time.Hour && d > -180*24*time.Hour {
		b = t.AppendFormat(b, "Jan _2 15:04")
	} else {
		b = t.AppendFormat(b, "Jan _2  2006")
	}
	b = append(b, ' ')
	b = append(b, name...)
	return append(b, "\r\n"...)
}

// MLST facts (RFC 3659 §7.5).

type factSet uint8

const (
	factType factSet = 1 << iota
	factSize
	factModify
	factPerm
	factUnique
)

const allFacts = factType | factSize | factModify | factPerm | factUnique
const defaultFacts = allFacts

var factNames = [...]struct {
	f    factSet
	name string
}{{factType, "type"}, {factSize, "size"}, {factModify, "modify"}, {factPerm, "perm"}, {factUnique, "unique"}}

// parseFacts parses OPTS MLST's "fact;fact;..." (case-insensitive; unknown facts ignored).
func parseFacts(s string) factSet {
	var out factSet
	for _, f := range strings.Split(s, ";") {
		for _, n := range factNames {
			if strings.EqualFold(strings.TrimSpace(f), n.name) {
				out |= n.f
			}
		}
	}
	return out
}

// list renders the selected facts as "type;size;".
func (fs factSet) list() string {
	var b strings.Builder
	for _, n := range factNames {
		if fs&n.f != 0 {
			b.WriteString(n.name + ";")
		}
	}
	return b.String()
}

// feat renders the FEAT line's facts, marking the selected ones with "*" (RFC 3659 §7.8).
func (fs factSet) feat(selected factSet) string {
	var b strings.Builder
	for _, n := range factNames {
		if fs&n.f == 0 {
			continue
		}
		b.WriteString(n.name)
		if selected&n.f != 0 {
			b.WriteByte('*')
		}
		b.WriteByte(';')
	}
	return b.String()
}

// facts appends one fact line: "fact=value;...; name\r\n".
func (s *session) facts(b []byte, info fs.FileInfo, name string, cdir bool, v string) []byte {
	f := s.mlstFacts
	synthetic := false
	if k, _, _ := parseSynthetic(v); k != notSynthetic {
		synthetic = true
	}
	if f&factType != 0 {
		switch {
		case cdir:
			b = append(b, "type=cdir;"...)
		case info.IsDir():
			b = append(b, "type=dir;"...)
		case info.Mode().IsRegular():
			b = append(b, "type=file;"...)
		default:
			b = append(b, "type=OS.unix=other;"...)
		}
	}
	if f&factSize != 0 && !info.IsDir() {
		b = append(b, "size="...)
		b = strconv.AppendInt(b, info.Size(), 10)
		b = append(b, ';')
	}
	if f&factModify != 0 {
		b = append(b, "modify="...)
		b = info.ModTime().UTC().AppendFormat(b, "20060102150405")
		b = append(b, ';')
	}
	if f&factPerm != 0 {
		b = append(b, "perm="...)
		w := s.write && !synthetic
		switch {
		case info.IsDir() && w:
			b = append(b, "elcmpdf"...)
		case info.IsDir():
			b = append(b, "el"...)
		case w:
			b = append(b, "radwf"...)
		default:
			b = append(b, 'r')
		}
		b = append(b, ';')
	}
	if f&factUnique != 0 {
		if dev, ino, ok := fileID(info); ok {
			b = append(b, "unique="...)
			b = strconv.AppendUint(b, dev, 16)
			b = append(b, 'g')
			b = strconv.AppendUint(b, ino, 16)
			b = append(b, ';')
		}
	}
	b = append(b, ' ')
	b = append(b, name...)
	return append(b, "\r\n"...)
}
