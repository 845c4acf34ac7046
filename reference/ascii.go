package reference

import (
	"bytes"
	"errors"
	"io"
)

// TYPE A (RFC 959 §3.1.1.1): on the wire every end of line is CRLF; files here store LF. RETR turns
// each LF into CRLF, STOR turns each CRLF back into LF (a CR not followed by LF is kept).

// crlfWriter converts LF to CRLF on the way to w.
type crlfWriter struct {
	w   io.Writer
	buf []byte
}

func newCRLFWriter(w io.Writer) *crlfWriter { return &crlfWriter{w: w} }

func (c *crlfWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), 32<<10)]
		out := c.buf[:0]
		for len(chunk) > 0 {
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				out = append(out, chunk...)
				break
			}
			out = append(out, chunk[:i]...)
			out = append(out, '\r', '\n')
			chunk = chunk[i+1:]
		}
		c.buf = out
		if _, err := c.w.Write(out); err != nil {
			return written, err
		}
		n := min(len(p), 32<<10)
		written += n
		p = p[n:]
	}
	return written, nil
}

// lfReader converts CRLF to LF on the way from r.
type lfReader struct {
	r         io.Reader
	pendingCR bool // the last byte read was a CR whose successor is not known yet
	eof       bool
	carry     []byte // output that did not fit a one-byte read
}

func newLFReader(r io.Reader) *lfReader { return &lfReader{r: r} }

func (l *lfReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(l.carry) > 0 {
		n := copy(p, l.carry)
		l.carry = l.carry[n:]
		return n, nil
	}
	if len(p) == 1 {
		// Converting needs room for a carried CR plus one byte.
		var two [2]byte
		n, err := l.Read(two[:])
		if n == 2 {
			l.carry = append(l.carry[:0], two[1])
		}
		copy(p, two[:min(n, 1)])
		return min(n, 1), err
	}
	for {
		if l.eof {
			if l.pendingCR {
				l.pendingCR = false
				p[0] = '\r'
				return 1, nil
			}
			return 0, io.EOF
		}
		// Read into p[1:] and convert in place towards the front: the output index never passes
		// the input index, even with a CR carried over from the last read.
		n, err := l.r.Read(p[1:])
		o := 0
		for i := 1; i <= n; i++ {
			c := p[i]
			if l.pendingCR {
				l.pendingCR = false
				if c == '\n' {
					p[o] = '\n'
					o++
					continue
				}
				p[o] = '\r'
				o++
			}
			if c == '\r' {
				l.pendingCR = true
				continue
			}
			p[o] = c
			o++
		}
		if err == io.EOF {
			l.eof = true
			err = nil
		}
		if err != nil {
			return o, err
		}
		if o > 0 {
			return o, nil
		}
	}
}

// countASCII returns the size of r's content as sent in TYPE A: its length plus one per LF.
func countASCII(r io.Reader) (int64, error) {
	buf := make([]byte, 32<<10)
	var total int64
	for {
		n, err := r.Read(buf)
		total += int64(n) + int64(bytes.Count(buf[:n], []byte{'\n'}))
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

var errRestartInLineEnd = errors.New("restart point falls inside a CRLF")

// asciiOffset maps a TYPE A wire offset (a REST marker) to the offset in the stored file.
func asciiOffset(r io.Reader, wire int64) (int64, error) {
	buf := make([]byte, 32<<10)
	var local, w int64
	for w < wire {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			if w == wire {
				return local, nil
			}
			if c == '\n' {
				if w+1 == wire {
					return 0, errRestartInLineEnd
				}
				w += 2
			} else {
				w++
			}
			local++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if w < wire {
		return 0, errRestartPastEnd
	}
	return local, nil
}

// discardWriter drops the first n bytes written to it (REST in TYPE A: the marker counts wire
// bytes, which only exist after conversion).
type discardWriter struct {
	w io.Writer
	n int64
}

func (d *discardWriter) Write(p []byte) (int, error) {
	if d.n > 0 {
		k := int64(len(p))
		if k <= d.n {
			d.n -= k
			return len(p), nil
		}
		skip := d.n
		d.n = 0
		m, err := d.w.Write(p[skip:])
		return int(skip) + m, err
	}
	return d.w.Write(p)
}
