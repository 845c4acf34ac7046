// Package payload generates and verifies self-identifying content.
//
// The bytes of a synthetic file are a pure function of (identity, offset), so a file of any size
// exists without disk, and a receiver can check every byte it gets without having kept a copy.
// The content is laid out in 4096-byte blocks aligned on file offsets. Each block starts with a
// 16-byte header (the file's ID and the block's offset); the rest of the block is a word sequence
// seeded from the header. Any received window of bytes therefore tells which file and offset it
// came from, which is what turns "corrupt" into "misrouted: these are the bytes of s0042-t00 at
// offset 65536" when a server hands a data connection to the wrong transfer.
package payload

import (
	"encoding/binary"
	"hash/fnv"
)

// BlockSize is the size of one self-identifying block.
const BlockSize = 4096

const (
	wordsPerBlock = BlockSize / 8
	// offsetMagic distinguishes a header's offset word from a plausible body word.
	offsetMagic = 0x66747073_70656321 // "ftpspec!"
	// step is added per word within a block: odd, so the body never repeats within a block.
	step uint64 = 0x9e3779b97f4a7c15
)

// ID is the 64-bit identity of a synthetic file, derived from its name.
type ID uint64

// IDOf returns the identity of the file called name.
func IDOf(name string) ID {
	h := fnv.New64a()
	h.Write([]byte(name))
	return ID(h.Sum64())
}

// mix is the splitmix64 finalizer: a bijection, so unmix can recover its input.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func unmix(x uint64) uint64 {
	x ^= x>>31 ^ x>>62
	x *= 0x319642b2d24d8ec3
	x ^= x>>27 ^ x>>54
	x *= 0x96de1b173f119089
	x ^= x>>30 ^ x>>60
	return x
}

// seed is the first body word's base for the block at blockOff of file id.
func seed(id ID, blockOff uint64) uint64 {
	return mix(uint64(id) ^ mix(blockOff))
}

// word returns the 8-byte word at word index i (0..511) of the block at blockOff, given its seed.
func word(id ID, blockOff uint64, s uint64, i int) uint64 {
	switch i {
	case 0:
		return uint64(id)
	case 1:
		return blockOff ^ offsetMagic
	default:
		return s + uint64(i)*step
	}
}

// Filler produces the bytes of one file. It is a value: copy it freely.
type Filler struct {
	id ID
}

// NewFiller returns a Filler for the file called name.
func NewFiller(name string) Filler { return Filler{id: IDOf(name)} }

// Fill writes the bytes of the file called name at [offset, offset+len(dst)) into dst.
func Fill(dst []byte, name string, offset int64) { NewFiller(name).Fill(dst, offset) }

// Fill writes the file's bytes at [offset, offset+len(dst)) into dst.
func (f Filler) Fill(dst []byte, offset int64) {
	off := uint64(offset)
	// Unaligned head: produce the containing word and copy the part we need.
	if r := off % 8; r != 0 && len(dst) > 0 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], f.wordAt(off-r))
		n := copy(dst, w[r:])
		dst = dst[n:]
		off += uint64(n)
	}
	for len(dst) >= 8 {
		blockOff := off &^ (BlockSize - 1)
		s := seed(f.id, blockOff)
		i := int(off%BlockSize) / 8
		for ; i < 2 && len(dst) >= 8; i++ {
			binary.LittleEndian.PutUint64(dst, word(f.id, blockOff, s, i))
			dst = dst[8:]
			off += 8
		}
		n := min(wordsPerBlock-i, len(dst)/8)
		e := s + uint64(i)*step
		body := dst[:n*8]
		for j := 0; j < len(body); j += 8 {
			binary.LittleEndian.PutUint64(body[j:], e)
			e += step
		}
		dst = dst[n*8:]
		off += uint64(n * 8)
	}
	if len(dst) > 0 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], f.wordAt(off))
		copy(dst, w[:])
	}
}

func (f Filler) wordAt(off uint64) uint64 {
	blockOff := off &^ (BlockSize - 1)
	return word(f.id, blockOff, seed(f.id, blockOff), int(off%BlockSize)/8)
}

// Catalog maps the identities a run knows to their names, so misrouted bytes can be named.
type Catalog map[ID]string

// Add records name in the catalog.
func (c Catalog) Add(name string) { c[IDOf(name)] = name }

// Origin is where a window of bytes came from.
type Origin struct {
	ID     ID
	Name   string // empty when the identity is not in the catalog
	Offset int64  // file offset of the window's first byte
}

// Identify tells which file and offset the window came from, given that the window's first byte
// was received at a stream position congruent to pos modulo 8 (pos is only used for alignment: data
// from another file arrives at the same alignment because every transfer starts at a block
// boundary or a REST offset, and reads are contiguous). It returns false when the bytes are not
// payload content at all.
func Identify(window []byte, pos int64, names Catalog) (Origin, bool) {
	// Skip to the first 8-aligned position, assuming alignment with the stream.
	skip := int((8 - pos%8) % 8)
	if len(window) < skip+16 {
		return Origin{}, false
	}
	w := window[skip:]
	nw := len(w) / 8
	at := func(i int) uint64 { return binary.LittleEndian.Uint64(w[i*8:]) }
	// A header (ID, offset^magic) followed by a body whose seed matches proves the location.
	for i := 0; i+2 < nw; i++ {
		id, blockOff := ID(at(i)), at(i+1)^offsetMagic
		if blockOff%BlockSize != 0 || at(i+2) != word(id, blockOff, seed(id, blockOff), 2) {
			continue
		}
		o := Origin{ID: id, Name: names[id], Offset: int64(blockOff) - int64(i*8) - int64(skip)}
		return o, true
	}
	// No header in the window: two successive body words differ by step. Recover the seed, then
	// try every identity in the catalog: s = mix(id ^ mix(blockOff)) is invertible for a known id.
	for i := 0; i+1 < nw; i++ {
		if at(i+1)-at(i) != step {
			continue
		}
		// k is the word's index within its block. Misrouted data usually keeps the stream's block
		// alignment, so try that index first and the others only if it fails.
		k0 := int((pos+int64(skip))%BlockSize)/8 + i
		for j := 0; j < wordsPerBlock; j++ {
			k := (k0 + j) % wordsPerBlock
			if k < 2 {
				continue
			}
			s := at(i) - uint64(k)*step
			inner := unmix(s)
			for id, name := range names {
				blockOff := unmix(inner ^ uint64(id))
				if blockOff%BlockSize != 0 || blockOff > 1<<50 {
					continue
				}
				fileOff := int64(blockOff) + int64(k*8)
				return Origin{ID: id, Name: name, Offset: fileOff - int64(i*8) - int64(skip)}, true
			}
		}
		return Origin{}, false
	}
	return Origin{}, false
}
