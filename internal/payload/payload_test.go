package payload

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFillIsAPureFunctionOfNameAndOffset(t *testing.T) {
	whole := make([]byte, 3*BlockSize+123)
	Fill(whole, "s0001-t00", 0)
	for _, tc := range []struct{ off, n int }{{0, 1}, {3, 5}, {7, 9}, {8, 16}, {4090, 20}, {BlockSize, BlockSize}, {1, len(whole) - 1}, {len(whole) - 3, 3}} {
		part := make([]byte, tc.n)
		Fill(part, "s0001-t00", int64(tc.off))
		assert.Equal(t, whole[tc.off:tc.off+tc.n], part, "off=%d n=%d", tc.off, tc.n)
	}
	other := make([]byte, len(whole))
	Fill(other, "s0001-t01", 0)
	assert.NotEqual(t, whole, other, "different names give different bytes")
}

func TestReaderWriteToSeekAndReadAt(t *testing.T) {
	const size = 300_001
	want := make([]byte, size)
	Fill(want, "f", 0)

	var got bytes.Buffer
	n, err := io.Copy(&got, NewReader("f", size)) // uses WriteTo
	require.NoError(t, err)
	assert.EqualValues(t, size, n)
	assert.Equal(t, want, got.Bytes())

	r := NewReader("f", size)
	_, err = r.Seek(12345, io.SeekStart)
	require.NoError(t, err)
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, want[12345:], rest)

	p := make([]byte, 10)
	k, err := r.ReadAt(p, size-4)
	assert.Equal(t, 4, k)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, want[size-4:], p[:4])
}

func TestVerifierVerdicts(t *testing.T) {
	const size = 5*BlockSize + 77
	names := Catalog{}
	for _, n := range []string{"mine", "theirs"} {
		names.Add(n)
	}
	mine := make([]byte, size)
	Fill(mine, "mine", 0)
	theirs := make([]byte, size)
	Fill(theirs, "theirs", 0)

	corrupt := bytes.Clone(mine)
	corrupt[2*BlockSize+5] ^= 0x40

	spliced := bytes.Clone(mine)
	copy(spliced[BlockSize+100:], theirs[BlockSize+100:]) // the rest came from another transfer

	tests := []struct {
		name       string
		stream     []byte
		chunk      int
		ok         bool
		badOffset  int64
		from       string
		fromOffset int64
	}{
		{"exact", mine, 1000, true, 0, "", 0},
		{"exact-odd-chunks", mine, 7, true, 0, "", 0},
		{"short", mine[:size-1], 4096, false, -1, "", 0},
		{"long", append(bytes.Clone(mine), 'x'), 4096, false, size, "", 0},
		{"corrupt", corrupt, 4096, false, 2*BlockSize + 5, "", 0},
		{"misrouted-whole", theirs, 65536, false, 0, "theirs", 0},
		{"misrouted-spliced", spliced, 333, false, BlockSize + 100, "theirs", BlockSize + 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := NewVerifier("mine", 0, size, names)
			for p := tc.stream; len(p) > 0; {
				n := min(tc.chunk, len(p))
				w, err := v.Write(p[:n])
				require.NoError(t, err)
				require.Equal(t, n, w)
				p = p[n:]
			}
			r := v.Result()
			assert.Equal(t, tc.ok, r.OK())
			assert.EqualValues(t, len(tc.stream), r.Bytes)
			if tc.badOffset >= 0 && !tc.ok {
				require.NotNil(t, r.Mismatch)
				assert.Equal(t, tc.badOffset, r.Mismatch.Offset)
				assert.Equal(t, tc.from, r.Mismatch.From)
				if tc.from != "" {
					assert.True(t, r.Misrouted("mine"))
					assert.Equal(t, tc.fromOffset, r.Mismatch.FromOffset)
				}
			}
			if tc.badOffset < 0 {
				assert.Nil(t, r.Mismatch, "a short stream is not a mismatch, only incomplete")
			}
		})
	}
}

func TestVerifierFromRestOffset(t *testing.T) {
	const size, rest = 50_000, 12_347
	data := make([]byte, size-rest)
	Fill(data, "f", rest)
	v := NewVerifier("f", rest, size-rest, nil)
	_, _ = v.Write(data)
	assert.True(t, v.Result().OK())
}

func TestIdentifyWithoutHeaderUsesCatalog(t *testing.T) {
	names := Catalog{}
	names.Add("a")
	names.Add("b")
	buf := make([]byte, 256)
	Fill(buf, "b", 3*BlockSize+512) // a window containing no block header
	o, ok := Identify(buf, 512, names)
	require.True(t, ok)
	assert.Equal(t, "b", o.Name)
	assert.EqualValues(t, 3*BlockSize+512, o.Offset)

	_, ok = Identify(bytes.Repeat([]byte{0}, 256), 0, names)
	assert.False(t, ok, "zeros are not payload content")
}

func TestVerifierWriteDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 64<<10)
	Fill(buf, "f", 0)
	v := NewVerifier("f", 0, 1<<40, nil)
	var off int64
	allocs := testing.AllocsPerRun(50, func() {
		Fill(buf, "f", off) // keep the stream consistent
		_, _ = v.Write(buf)
		off += int64(len(buf))
	})
	assert.Zero(t, allocs)
	assert.Nil(t, v.Result().Mismatch)
}

func BenchmarkVerify(b *testing.B) {
	buf := make([]byte, 256<<10)
	Fill(buf, "f", 0)
	v := NewVerifier("f", 0, int64(len(buf)), nil)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		v.Reset("f", 0, int64(len(buf)))
		_, _ = v.Write(buf)
	}
}

func BenchmarkFill(b *testing.B) {
	buf := make([]byte, 256<<10)
	f := NewFiller("f")
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		f.Fill(buf, 0)
	}
}
