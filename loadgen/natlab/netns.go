//go:build linux

package natlab

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Dialer opens TCP connections from inside a named network namespace, without running the
// whole process there: a socket belongs to the namespace of the thread that created it, so each
// dial creates its socket on a thread switched into the namespace. That thread is never switched
// back; it ends with its goroutine (the Go runtime discards a thread whose goroutine exits while
// locked to it), so no other goroutine can ever run in the wrong namespace.
type Dialer struct {
	NS    string     // the namespace's name (a file under /run/netns)
	Local netip.Addr // the source address; invalid: the kernel's choice
}

// CheckNamespace says whether a named network namespace exists.
func CheckNamespace(ns string) error {
	if _, err := os.Stat(filepath.Join("/run/netns", ns)); err != nil {
		return fmt.Errorf("network namespace %q: %w", ns, err)
	}
	return nil
}

// DialContext connects to addr ("host:port") from inside the namespace.
func (d Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return inNamespace(d.NS, func() (net.Conn, error) {
		var nd net.Dialer
		if d.Local.IsValid() {
			nd.LocalAddr = &net.TCPAddr{IP: d.Local.AsSlice()}
		}
		return nd.DialContext(ctx, network, addr)
	})
}

// Listen opens a TCP listener inside namespace ns, the same way DialContext dials.
func Listen(ns, addr string) (net.Listener, error) {
	return inNamespace(ns, func() (net.Listener, error) { return net.Listen("tcp", addr) })
}

// inNamespace runs open on a fresh OS thread that has entered namespace ns: a socket belongs to
// the namespace of the thread that made it, and keeps it after the thread is gone. The thread is
// never unlocked, so the runtime ends it with the goroutine instead of reusing it elsewhere.
func inNamespace[T any](ns string, open func() (T, error)) (T, error) {
	var zero T
	f, err := os.Open(filepath.Join("/run/netns", ns))
	if err != nil {
		return zero, fmt.Errorf("namespace %s: %w", ns, err)
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer f.Close()
		runtime.LockOSThread()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{zero, fmt.Errorf("enter namespace %s: %w", ns, err)}
			return
		}
		v, err := open()
		ch <- result{v, err}
	}()
	r := <-ch
	return r.v, r.err
}

// Conntrack is one connection of a router's connection-tracking table: the tuple as it entered
// (Orig) and the tuple replies carry (Reply). For a masqueraded connection Reply's destination is
// the rewritten source; for a forwarded one Reply's source is the rewritten destination.
type Conntrack struct {
	OrigSrc, OrigDst   netip.AddrPort
	ReplySrc, ReplyDst netip.AddrPort
	Helper             string // "ftp" when the FTP helper watches it
}

// ReadConntrack reads the TCP connections tracked in the router namespace ns.
func ReadConntrack(ctx context.Context, ns string) ([]Conntrack, error) {
	out, err := output(ctx, "ip", "netns", "exec", ns, "cat", "/proc/net/nf_conntrack")
	if err != nil {
		return nil, err
	}
	return parseConntrack(out), nil
}

// parseConntrack reads /proc/net/nf_conntrack lines such as
//
//	ipv4 2 tcp 6 117 TIME_WAIT src=198.19.2.2 dst=198.19.1.2 sport=40123 dport=41000 src=198.18.1.2 dst=198.19.2.2 sport=41000 dport=40123 [ASSURED] mark=0 helper=ftp use=1
//
// The first src/dst/sport/dport group is the original direction, the second the reply.
func parseConntrack(text string) []Conntrack {
	var out []Conntrack
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[2] != "tcp" {
			continue
		}
		var addrs [2][2]netip.Addr
		var ports [2][2]uint16
		var seen [2][4]bool
		var ct Conntrack
		dir := 0
		for _, kv := range f {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			slot := -1
			switch k {
			case "src":
				slot = 0
			case "dst":
				slot = 1
			case "sport":
				slot = 2
			case "dport":
				slot = 3
			case "helper":
				ct.Helper = v
				continue
			default:
				continue
			}
			if dir < 2 && seen[dir][slot] {
				dir++
			}
			if dir > 1 {
				continue
			}
			seen[dir][slot] = true
			if slot < 2 {
				addrs[dir][slot], _ = netip.ParseAddr(v)
			} else {
				p, _ := strconv.ParseUint(v, 10, 16)
				ports[dir][slot-2] = uint16(p)
			}
		}
		ct.OrigSrc = netip.AddrPortFrom(addrs[0][0], ports[0][0])
		ct.OrigDst = netip.AddrPortFrom(addrs[0][1], ports[0][1])
		ct.ReplySrc = netip.AddrPortFrom(addrs[1][0], ports[1][0])
		ct.ReplyDst = netip.AddrPortFrom(addrs[1][1], ports[1][1])
		if ct.OrigSrc.IsValid() && ct.ReplyDst.IsValid() {
			out = append(out, ct)
		}
	}
	return out
}
