package reference

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Telnet bytes the control connection may carry (RFC 854; RFC 959 §4.1.3 sends ABOR as
// "IAC IP IAC DM ABOR").
const (
	telnetIAC  = 255
	telnetWILL = 251
	telnetWONT = 252
	telnetDO   = 253
	telnetDONT = 254
	telnetSB   = 250
	telnetSE   = 240
)

var (
	errLineTooLong = errors.New("command line too long")
	errNULInLine   = errors.New("NUL byte in command line")
)

// lineReader reads command lines from the control connection. It keeps partial lines across read
// errors (a deadline used to interrupt a read must not lose bytes) and starts with a small buffer
// that grows only for long lines, because thousands of idle sessions each hold one.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	max        int
	discarding bool   // inside a line longer than max: drop it up to its LF
	refusals   []byte // Telnet refusals (IAC DONT/WONT) owed for the last line's negotiations
}

const lineReaderInitial = 256

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: r, buf: make([]byte, lineReaderInitial), max: max}
}

// reset switches to r and drops anything buffered. After AUTH TLS, bytes the client sent in the
// clear before the handshake must not be executed as if they were protected (CVE-2011-0411).
func (lr *lineReader) reset(r io.Reader) {
	lr.r = r
	lr.start, lr.end = 0, 0
	lr.discarding = false
}

// buffered reports whether unread bytes are waiting.
func (lr *lineReader) buffered() bool { return lr.end > lr.start }

// readLine returns the next line, its terminator (LF, CRLF or a bare LF: RFC 959 asks for CRLF,
// but a robust server accepts both) and Telnet sequences removed. The returned slice is valid
// until the next call. errLineTooLong and errNULInLine are reported for one line and reading may
// continue; any other error comes from the connection.
func (lr *lineReader) readLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(lr.buf[lr.start:lr.end], '\n'); i >= 0 {
			line := lr.buf[lr.start : lr.start+i]
			lr.start += i + 1
			if lr.discarding {
				lr.discarding = false
				lr.compact()
				return nil, errLineTooLong
			}
			line, lr.refusals = cleanLine(line, lr.refusals[:0])
			if bytes.IndexByte(line, 0) >= 0 {
				return nil, errNULInLine
			}
			return line, nil
		}
		if lr.discarding {
			lr.start, lr.end = 0, 0
		}
		if lr.end-lr.start >= lr.max {
			lr.discarding = true
			lr.start, lr.end = 0, 0
		}
		lr.makeRoom()
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if err != nil && n == 0 {
			return nil, err
		}
	}
}

// makeRoom ensures free space after end, moving data to the front or growing the buffer.
func (lr *lineReader) makeRoom() {
	if lr.start > 0 {
		lr.end = copy(lr.buf, lr.buf[lr.start:lr.end])
		lr.start = 0
	}
	if lr.end < len(lr.buf) {
		return
	}
	n := min(2*len(lr.buf), lr.max+1)
	if n <= len(lr.buf) {
		n = len(lr.buf) + 1
	}
	nb := make([]byte, n)
	copy(nb, lr.buf[:lr.end])
	lr.buf = nb
}

// compact gives a grown buffer back once it is empty, so a single long line does not make an
// idle session expensive for the rest of its life.
func (lr *lineReader) compact() {
	if len(lr.buf) > lineReaderInitial && lr.start == lr.end {
		lr.buf = make([]byte, lineReaderInitial)
		lr.start, lr.end = 0, 0
	}
}

// cleanLine removes Telnet command sequences and the trailing CR, in place, and appends to
// refusals the answer each option negotiation is owed: RFC 1123 §4.1.2.12 — "a server-FTP MUST be
// capable of accepting and refusing Telnet negotiations (i.e., sending DONT/WONT)". WILL is
// answered DONT and DO is answered WONT; DONT and WONT need no answer, as no option is ever on.
func cleanLine(line, refusals []byte) ([]byte, []byte) {
	if bytes.IndexByte(line, telnetIAC) >= 0 {
		out := line[:0]
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c != telnetIAC {
				out = append(out, c)
				continue
			}
			if i+1 >= len(line) {
				break
			}
			switch op := line[i+1]; {
			case op == telnetIAC: // an escaped 255 data byte
				out = append(out, telnetIAC)
				i++
			case op >= telnetWILL && op <= telnetDONT: // option negotiation: IAC verb option
				if i+2 < len(line) && len(refusals) < 48 {
					switch op {
					case telnetWILL:
						refusals = append(refusals, telnetIAC, telnetDONT, line[i+2])
					case telnetDO:
						refusals = append(refusals, telnetIAC, telnetWONT, line[i+2])
					}
				}
				i += 2
			case op == telnetSB: // subnegotiation: skip to IAC SE
				j := bytes.Index(line[i+2:], []byte{telnetIAC, telnetSE})
				if j < 0 {
					i = len(line)
				} else {
					i += 2 + j + 1
				}
			default: // IP, DM, AYT, NOP, ...: two bytes
				i++
			}
		}
		line = out
	}
	return bytes.TrimSuffix(line, []byte{'\r'}), refusals
}

// parseCommand splits a command line into its verb (upper-cased) and argument (RFC 959 §5.3:
// verb, one space, argument). ok is false when the verb is not a plausible command name.
func parseCommand(line []byte) (verb, arg string, ok bool) {
	v, a, _ := bytes.Cut(line, []byte{' '})
	if len(v) == 0 || len(v) > 4 {
		return "", "", false
	}
	var up [4]byte
	for i, c := range v {
		switch {
		case 'A' <= c && c <= 'Z':
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		default:
			return "", "", false
		}
		up[i] = c
	}
	return commandName(up[:len(v)]), string(a), true
}

// parsePORT parses RFC 959 §4.1.2's host-port "h1,h2,h3,h4,p1,p2".
func parsePORT(arg string) (netip.AddrPort, error) {
	parts := strings.Split(strings.TrimSpace(arg), ",")
	if len(parts) != 6 {
		return netip.AddrPort{}, fmt.Errorf("PORT %q: want h1,h2,h3,h4,p1,p2", arg)
	}
	var b [6]byte
	for i, p := range parts {
		n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 8)
		if err != nil {
			return netip.AddrPort{}, fmt.Errorf("PORT %q: field %d is not a number 0-255", arg, i+1)
		}
		b[i] = byte(n)
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[:4])), uint16(b[4])<<8|uint16(b[5])), nil
}

// errUnsupportedFamily is an EPRT/EPSV network protocol the server does not speak (522).
var errUnsupportedFamily = errors.New("network protocol not supported")

// parseEPRT parses RFC 2428 §2's "<d><net-prt><d><net-addr><d><tcp-port><d>".
func parseEPRT(arg string) (netip.AddrPort, error) {
	if len(arg) < 1 || arg[0] < 33 || arg[0] > 126 {
		return netip.AddrPort{}, fmt.Errorf("EPRT %q: want <d>proto<d>addr<d>port<d>", arg)
	}
	d := arg[:1]
	f := strings.Split(arg, d)
	// "|1|127.0.0.1|5000|" splits into "", "1", "127.0.0.1", "5000", "".
	if len(f) != 5 || f[0] != "" || f[4] != "" {
		return netip.AddrPort{}, fmt.Errorf("EPRT %q: want <d>proto<d>addr<d>port<d>", arg)
	}
	port, err := strconv.ParseUint(f[3], 10, 16)
	if err != nil || port == 0 {
		return netip.AddrPort{}, fmt.Errorf("EPRT %q: bad port %q", arg, f[3])
	}
	addr, err := netip.ParseAddr(f[2])
	if err != nil || addr.Zone() != "" {
		if f[1] != "1" && f[1] != "2" {
			return netip.AddrPort{}, errUnsupportedFamily
		}
		return netip.AddrPort{}, fmt.Errorf("EPRT %q: bad address %q", arg, f[2])
	}
	switch f[1] {
	case "1":
		if !addr.Is4() {
			return netip.AddrPort{}, fmt.Errorf("EPRT %q: %q is not an IPv4 address", arg, f[2])
		}
	case "2":
		if !addr.Is6() || addr.Is4In6() {
			return netip.AddrPort{}, fmt.Errorf("EPRT %q: %q is not an IPv6 address", arg, f[2])
		}
	default:
		return netip.AddrPort{}, errUnsupportedFamily
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// epsvArg is what an EPSV argument asks for.
type epsvArg int

const (
	epsvAny epsvArg = iota // no argument: the control connection's protocol
	epsvAll                // "ALL": only EPSV from now on
	epsvV4                 // "1"
	epsvV6                 // "2"
)

// parseEPSV parses RFC 2428 §3's argument: none, a network protocol number, or ALL.
func parseEPSV(arg string) (epsvArg, error) {
	switch a := strings.TrimSpace(arg); {
	case a == "":
		return epsvAny, nil
	case strings.EqualFold(a, "ALL"):
		return epsvAll, nil
	case a == "1":
		return epsvV4, nil
	case a == "2":
		return epsvV6, nil
	default:
		if _, err := strconv.ParseUint(a, 10, 16); err == nil {
			return 0, errUnsupportedFamily
		}
		return 0, fmt.Errorf("EPSV %q: want no argument, 1, 2 or ALL", arg)
	}
}

// formatPASV formats RFC 959 §4.1.2's "h1,h2,h3,h4,p1,p2" for a 227 reply.
func formatPASV(ip netip.Addr, port int) string {
	a := ip.Unmap().As4()
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d", a[0], a[1], a[2], a[3], port>>8, port&255)
}

// quotePath quotes a pathname for a 257 reply: RFC 959 Appendix II doubles embedded quotes.
func quotePath(p string) string {
	return `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
}
