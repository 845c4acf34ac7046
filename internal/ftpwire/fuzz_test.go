package ftpwire

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"
)

// FuzzReadReply checks the reply reader never panics, that what it returns is exactly a prefix of
// the input, and that reading in one-byte chunks gives the same reply as ParseReply on the whole.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"220 hi\r\n", "211-a\r\n b\r\n211 c\r\n", "200\n", "x\r\n", "211-a\r\n212 b\r\n", "2", "211-a\r\n211\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<15 {
			return // beyond the MaxReply used below
		}
		want, n, ok := ParseReply(in)
		c := NewConn(&chunkConn{r: bytes.NewReader(in), chunk: 1}, Options{MaxReply: 1 << 16})
		got, err := c.ReadReply(context.Background())
		if ok {
			if err != nil {
				t.Fatalf("ParseReply found a reply, ReadReply failed: %v", err)
			}
			if got.Raw != want.Raw || got.Code != want.Code || strings.Join(got.Problems, "|") != strings.Join(want.Problems, "|") {
				t.Fatalf("ReadReply %+v != ParseReply %+v", got, want)
			}
			if !bytes.HasPrefix(in, []byte(got.Raw)) || len(got.Raw) != n || got.Raw[len(got.Raw)-1] != '\n' {
				t.Fatalf("raw %q is not the %d-byte prefix of %q", got.Raw, n, in)
			}
			_ = got.Text()
			_ = got.Lines()
			return
		}
		if err == nil {
			t.Fatalf("ParseReply found no reply in %q, ReadReply returned %+v", in, got)
		}
		if !bytes.HasPrefix(in, []byte(got.Raw)) {
			t.Fatalf("partial raw %q is not a prefix of %q", got.Raw, in)
		}
	})
}

func FuzzParsePASV(f *testing.F) {
	for _, s := range []string{"Entering Passive Mode (127,0,0,1,117,48)", "1,2,3,4,5,6", "(256,1,1,1,1,1)", ",,,,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ap, err := ParsePASV(s)
		if err != nil {
			return
		}
		again, err := ParsePASV("(" + FormatPORT(ap) + ")")
		if err != nil || again != ap {
			t.Fatalf("%q → %v does not round-trip: %v %v", s, ap, again, err)
		}
	})
}

func FuzzParseEPSV(f *testing.F) {
	for _, s := range []string{"(|||6446|)", "(!!!1!)", "(|||0|)", "((|||"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseEPSV(s)
		if err != nil {
			return
		}
		if p == 0 {
			t.Fatalf("%q: port 0 accepted", s)
		}
		ap := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), p)
		e := FormatEPRT(ap)
		if !strings.Contains(e, "|"+strings.TrimPrefix(ap.String(), "127.0.0.1:")+"|") {
			t.Fatalf("EPRT %q lacks port %d", e, p)
		}
	})
}
