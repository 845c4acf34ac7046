package ftpwire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// ParsePASV finds the host and port in the text of a 227 reply. RFC 1123 §4.1.2.6: "a User-FTP
// program that interprets the PASV reply must scan the reply for the first digit of the host and
// port numbers", since servers differ in what surrounds them; this takes the first run of six
// comma-separated numbers (each 0-255) anywhere in text.
func ParsePASV(text string) (netip.AddrPort, error) {
	for i := 0; i < len(text); i++ {
		if !isDigit(text[i]) || (i > 0 && isDigit(text[i-1])) {
			continue
		}
		var n [6]byte
		j, k := i, 0
		for ; k < 6; k++ {
			v, end, ok := octet(text, j)
			if !ok {
				break
			}
			n[k] = v
			j = end
			if k < 5 {
				if j >= len(text) || text[j] != ',' {
					break
				}
				j++
			}
		}
		if k == 6 && (j == len(text) || !isDigit(text[j])) {
			return netip.AddrPortFrom(netip.AddrFrom4([4]byte{n[0], n[1], n[2], n[3]}), uint16(n[4])<<8|uint16(n[5])), nil
		}
	}
	return netip.AddrPort{}, fmt.Errorf("227 reply %q: no h1,h2,h3,h4,p1,p2", text)
}

// octet reads a decimal number 0-255 of one to three digits at s[i:].
func octet(s string, i int) (byte, int, bool) {
	v, j := 0, i
	for j < len(s) && j-i < 3 && isDigit(s[j]) {
		v = v*10 + int(s[j]-'0')
		j++
	}
	if j == i || v > 255 || (j < len(s) && isDigit(s[j])) {
		return 0, 0, false
	}
	return byte(v), j, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// ParseEPSV finds the port in the text of a 229 reply: "(<d><d><d><port><d>)" where the delimiter
// <d> is any character in ASCII 33-126 (RFC 2428 §3), the same one four times.
func ParseEPSV(text string) (uint16, error) {
	for i := 0; i < len(text); i++ {
		if text[i] != '(' || i+5 > len(text) {
			continue
		}
		d := text[i+1]
		if d < 33 || d > 126 || text[i+2] != d || text[i+3] != d {
			continue
		}
		rest := text[i+4:]
		end := strings.IndexByte(rest, d)
		if end <= 0 || end+1 >= len(rest) || rest[end+1] != ')' {
			continue
		}
		p, err := strconv.ParseUint(rest[:end], 10, 16)
		if err != nil || p == 0 || !allDigits(rest[:end]) {
			continue
		}
		return uint16(p), nil
	}
	return 0, fmt.Errorf("229 reply %q: no (<d><d><d>port<d>)", text)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// FormatPORT returns the argument of a PORT command for ap: "h1,h2,h3,h4,p1,p2". ap must be IPv4.
func FormatPORT(ap netip.AddrPort) string {
	a := ap.Addr().Unmap().As4()
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d", a[0], a[1], a[2], a[3], ap.Port()>>8, ap.Port()&0xff)
}

// FormatEPRT returns the argument of an EPRT command for ap: "|1|h|port|" or "|2|h|port|".
func FormatEPRT(ap netip.AddrPort) string {
	a := ap.Addr().Unmap()
	proto := 1
	if a.Is6() {
		proto = 2
	}
	return fmt.Sprintf("|%d|%s|%d|", proto, a, ap.Port())
}

// DialData opens a data connection to ap from local (zero: any local address).
func DialData(ctx context.Context, ap netip.AddrPort, local netip.Addr) (net.Conn, error) {
	if !ap.IsValid() || ap.Port() == 0 {
		return nil, errors.New("dial data: no address")
	}
	d := net.Dialer{}
	if local.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: local.AsSlice()}
	}
	nc, err := d.DialContext(ctx, "tcp", ap.String())
	if err != nil {
		return nil, fmt.Errorf("dial data %s: %w", ap, err)
	}
	return nc, nil
}
