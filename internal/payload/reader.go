package payload

import (
	"errors"
	"io"
)

// readerBufSize is the one buffer a Reader fills for WriteTo: large enough that a socket write
// per fill is cheap, small enough to stay in cache.
const readerBufSize = 128 << 10

// Reader reads a synthetic file of a given size. It implements io.WriterTo with one reused buffer,
// so io.Copy to a connection fills and writes that buffer with no other copy.
type Reader struct {
	f    Filler
	size int64
	off  int64
	buf  []byte
}

// NewReader returns a Reader of the file called name, size bytes long.
func NewReader(name string, size int64) *Reader {
	return &Reader{f: NewFiller(name), size: size}
}

// Size returns the file's size.
func (r *Reader) Size() int64 { return r.size }

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if rem := r.size - r.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	r.f.Fill(p, r.off)
	r.off += int64(len(p))
	return len(p), nil
}

// ReadAt implements io.ReaderAt.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("payload: negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	n := len(p)
	if rem := r.size - off; int64(n) > rem {
		n = int(rem)
	}
	r.f.Fill(p[:n], off)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Seek implements io.Seeker; REST uses it.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("payload: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("payload: negative position")
	}
	r.off = offset
	return offset, nil
}

// WriteTo implements io.WriterTo.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	if r.buf == nil {
		n := int64(readerBufSize)
		if rem := r.size - r.off; rem < n && rem > 0 {
			n = (rem + 7) &^ 7
		}
		r.buf = make([]byte, n)
	}
	var total int64
	for r.off < r.size {
		p := r.buf
		if rem := r.size - r.off; int64(len(p)) > rem {
			p = p[:rem]
		}
		r.f.Fill(p, r.off)
		n, err := w.Write(p)
		r.off += int64(n)
		total += int64(n)
		if err != nil {
			return total, err
		}
		if n < len(p) {
			return total, io.ErrShortWrite
		}
	}
	return total, nil
}
