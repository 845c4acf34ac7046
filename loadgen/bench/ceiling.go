package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/ftpspec/ftpspec/internal/payload"
)

// ceilingChunk is the file a sendfile ceiling sends over and over: big enough that the syscalls
// are a rounding error, small enough to stay in the page cache.
const ceilingChunk = 64 << 20

// ceiling measures one TCP stream of size bytes from a sender to a receiver, both in this
// process, on addr: the fastest any server could move a file over the same path. With sendfile
// the sender is io.Copy from an *os.File to the *net.TCPConn (sendfile(2)); without, a plain
// write loop from memory. The receiver reads into a buffer and discards, like a client that
// does not verify. It returns bytes per second, from connect to the receiver's end of file.
func ceiling(ctx context.Context, addr netip.Addr, size int64, sendfile bool, timeout time.Duration) (float64, error) {
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		return 0, fmt.Errorf("ceiling: listen on %s: %w", addr, err)
	}
	defer ln.Close()
	deadline := time.Now().Add(max(timeout, 10*time.Second) + time.Duration(size/(50<<20))*time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}

	var src *os.File
	if sendfile {
		if src, err = chunkFile(min(size, ceilingChunk)); err != nil {
			return 0, err
		}
		defer func() {
			_ = src.Close()
			_ = os.Remove(src.Name())
		}()
	}

	type recv struct {
		n   int64
		end time.Time
		err error
	}
	got := make(chan recv, 1)
	go func() {
		_ = ln.SetDeadline(deadline)
		c, err := ln.Accept()
		if err != nil {
			got <- recv{err: err}
			return
		}
		defer c.Close()
		_ = c.SetDeadline(deadline)
		stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		buf := make([]byte, 256<<10)
		var n int64
		for {
			k, err := c.Read(buf)
			n += int64(k)
			if errors.Is(err, io.EOF) {
				got <- recv{n: n, end: time.Now()}
				return
			}
			if err != nil {
				got <- recv{n: n, err: err}
				return
			}
		}
	}()

	start := time.Now()
	d := net.Dialer{Deadline: deadline}
	nc, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return 0, fmt.Errorf("ceiling: connect: %w", err)
	}
	c := nc.(*net.TCPConn)
	_ = c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	serr := send(c, src, size)
	stop()
	cerr := c.CloseWrite()
	r := <-got
	_ = c.Close()
	switch {
	case serr != nil:
		return 0, fmt.Errorf("ceiling: send: %w", serr)
	case cerr != nil:
		return 0, fmt.Errorf("ceiling: close: %w", cerr)
	case r.err != nil:
		return 0, fmt.Errorf("ceiling: receive: %w", r.err)
	case r.n != size:
		return 0, fmt.Errorf("ceiling: %d of %d bytes arrived", r.n, size)
	}
	return float64(size) / r.end.Sub(start).Seconds(), nil
}

// send writes size bytes to c: from src with sendfile when src is set, else from memory.
func send(c *net.TCPConn, src *os.File, size int64) error {
	if src != nil {
		for left := size; left > 0; {
			if _, err := src.Seek(0, io.SeekStart); err != nil {
				return err
			}
			// TCPConn.ReadFrom sees the *os.File (through CopyN's LimitedReader) and uses sendfile(2).
			n, err := io.CopyN(c, src, min(left, ceilingChunk))
			left -= n
			if err != nil {
				return err
			}
		}
		return nil
	}
	buf := make([]byte, 256<<10)
	payload.Fill(buf, "ceiling", 0)
	for left := size; left > 0; {
		n, err := c.Write(buf[:min(left, int64(len(buf)))])
		left -= int64(n)
		if err != nil {
			return err
		}
	}
	return nil
}

// chunkFile writes a temporary file of n bytes and leaves it open at offset 0.
func chunkFile(n int64) (*os.File, error) {
	f, err := os.CreateTemp("", "ftpspec-ceiling-*")
	if err != nil {
		return nil, fmt.Errorf("ceiling: %w", err)
	}
	if _, err := io.Copy(f, payload.NewReader("ceiling", n)); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, fmt.Errorf("ceiling: write %s: %w", f.Name(), err)
	}
	return f, nil
}
