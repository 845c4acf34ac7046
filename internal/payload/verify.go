package payload

import (
	"encoding/binary"
	"fmt"
)

// Mismatch describes the first byte a Verifier did not expect.
type Mismatch struct {
	Offset     int64  // file offset of the first wrong byte
	From       string // the file the received bytes belong to; empty when unknown
	FromOffset int64  // the offset in From that the bytes at Offset came from
	Known      bool   // the bytes are payload content of an identity (named in From when catalogued)
	FromID     ID
}

func (m *Mismatch) String() string {
	switch {
	case m == nil:
		return "no mismatch"
	case m.From != "":
		return fmt.Sprintf("offset %d holds %s's bytes from offset %d", m.Offset, m.From, m.FromOffset)
	case m.Known:
		return fmt.Sprintf("offset %d holds bytes of unknown file %016x at offset %d", m.Offset, uint64(m.FromID), m.FromOffset)
	default:
		return fmt.Sprintf("offset %d: bytes are not payload content", m.Offset)
	}
}

// Result is what a Verifier concluded.
type Result struct {
	Bytes    int64     // bytes received
	Expected int64     // bytes expected
	Mismatch *Mismatch // the first wrong byte, if any
}

// OK reports whether exactly the expected bytes arrived.
func (r Result) OK() bool { return r.Mismatch == nil && r.Bytes == r.Expected }

// Misrouted reports whether the wrong bytes are another catalogued file's.
func (r Result) Misrouted(self string) bool {
	return r.Mismatch != nil && r.Mismatch.From != "" && r.Mismatch.From != self
}

// Verifier checks a stream of received bytes against a synthetic file as they arrive. It is an
// io.Writer so io.Copy can feed it from a connection; Write never fails and never allocates, so the
// verification costs no more than one pass over bytes already in cache.
type Verifier struct {
	f      Filler
	name   string
	start  int64 // file offset of the stream's first byte
	size   int64 // bytes expected
	n      int64 // bytes received
	names  Catalog
	result *Mismatch
	mm     Mismatch // storage for result, so a mismatch costs no allocation either
}

// NewVerifier returns a Verifier expecting bytes [offset, offset+size) of the file called name.
// names may be nil; with it, misrouted bytes are named.
func NewVerifier(name string, offset, size int64, names Catalog) *Verifier {
	v := &Verifier{names: names}
	v.Reset(name, offset, size)
	return v
}

// Reset makes v expect another file, keeping its catalog.
func (v *Verifier) Reset(name string, offset, size int64) {
	*v = Verifier{f: NewFiller(name), name: name, start: offset, size: size, names: v.names}
}

// Write checks p. Bytes past the expected size count as a mismatch at the first extra byte.
func (v *Verifier) Write(p []byte) (int, error) {
	if v.result != nil || len(p) == 0 {
		v.n += int64(len(p))
		return len(p), nil
	}
	pos := v.start + v.n // file offset of p[0]
	if v.n+int64(len(p)) > v.size {
		// Check what fits, then flag the excess.
		fit := int(v.size - v.n)
		if bad := v.check(p[:fit], pos); bad >= 0 {
			v.fail(p, bad, pos)
		} else {
			v.mm = Mismatch{Offset: v.start + v.size}
			v.identify(p[fit:], v.start+v.size)
			v.result = &v.mm
		}
		v.n += int64(len(p))
		return len(p), nil
	}
	if bad := v.check(p, pos); bad >= 0 {
		v.fail(p, bad, pos)
	}
	v.n += int64(len(p))
	return len(p), nil
}

// check returns the index of the first byte of p that differs from the file at pos, or -1.
func (v *Verifier) check(p []byte, pos int64) int {
	i := 0
	// Unaligned head, byte by byte against the containing word.
	for i < len(p) && (pos+int64(i))%8 != 0 {
		var w [8]byte
		o := uint64(pos + int64(i))
		binary.LittleEndian.PutUint64(w[:], v.f.wordAt(o&^7))
		if p[i] != w[o%8] {
			return i
		}
		i++
	}
	// Aligned body, a word at a time; the seed is computed once per block and each body word is
	// the previous one plus step, so the inner loop is a load, a compare and an add.
	for len(p)-i >= 8 {
		off := uint64(pos + int64(i))
		blockOff := off &^ (BlockSize - 1)
		s := seed(v.f.id, blockOff)
		k := int(off%BlockSize) / 8
		for ; k < 2 && len(p)-i >= 8; k++ {
			if binary.LittleEndian.Uint64(p[i:]) != word(v.f.id, blockOff, s, k) {
				return i + firstDiff(p[i:i+8], word(v.f.id, blockOff, s, k))
			}
			i += 8
		}
		n := min(wordsPerBlock-k, (len(p)-i)/8)
		e := s + uint64(k)*step
		body := p[i : i+n*8]
		for j := 0; j < len(body); j += 8 {
			if binary.LittleEndian.Uint64(body[j:]) != e {
				return i + j + firstDiff(body[j:j+8], e)
			}
			e += step
		}
		i += n * 8
	}
	for ; i < len(p); i++ {
		var w [8]byte
		o := uint64(pos + int64(i))
		binary.LittleEndian.PutUint64(w[:], v.f.wordAt(o&^7))
		if p[i] != w[o%8] {
			return i
		}
	}
	return -1
}

func (v *Verifier) fail(p []byte, bad int, pos int64) {
	v.mm = Mismatch{Offset: pos + int64(bad)}
	// Identify from the start of the aligned word containing the bad byte.
	from := bad &^ 7
	if (pos+int64(from))%8 != 0 {
		from = bad
	}
	v.identify(p[from:], pos+int64(from))
	v.result = &v.mm
}

func (v *Verifier) identify(window []byte, pos int64) {
	o, ok := Identify(window, pos, v.names)
	if !ok || (o.ID == v.f.id && o.Offset == pos) {
		// Not payload, or this file's own bytes in their right place around a damaged byte:
		// corrupt, not misrouted.
		return
	}
	v.mm.Known = true
	v.mm.FromID = o.ID
	v.mm.From = o.Name
	// Report the origin of the first wrong byte rather than of the window.
	v.mm.FromOffset = o.Offset + (v.mm.Offset - pos)
}

// Result returns what v concluded so far.
func (v *Verifier) Result() Result {
	return Result{Bytes: v.n, Expected: v.size, Mismatch: v.result}
}

// firstDiff returns the index of the first byte of b (8 bytes) that differs from little-endian w.
func firstDiff(b []byte, w uint64) int {
	var x [8]byte
	binary.LittleEndian.PutUint64(x[:], w)
	for j := range x {
		if b[j] != x[j] {
			return j
		}
	}
	return 0
}
