package reference

import (
	"bytes"
	"io"
	"path"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzCommandLine feeds arbitrary bytes through the control-connection reader and the command
// parser: no panic, no hang, and every line handed on is a single line without NUL or Telnet bytes.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{"USER test\r\n", "NOOP\n", "\xff\xf4\xff\xf2ABOR\r\n", "A\x00B\r\n", strings.Repeat("x", 300) + "\n", "\xff\xfa\x18\xff\xf0NOOP\r\n", "\r\n\r\n", "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lr := newLineReader(iotest.OneByteReader(bytes.NewReader(data)), 128)
		for range len(data) + 1 {
			line, err := lr.readLine()
			if err == errLineTooLong || err == errNULInLine {
				continue
			}
			if err != nil {
				if err != io.EOF {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if bytes.ContainsAny(line, "\n\x00") || len(line) > 128 {
				t.Fatalf("bad line %q", line)
			}
			verb, _, ok := parseCommand(line)
			if ok && (len(verb) == 0 || len(verb) > 4 || strings.ToUpper(verb) != verb) {
				t.Fatalf("bad verb %q from %q", verb, line)
			}
		}
		t.Fatal("reader did not reach EOF")
	})
}

// FuzzResolvePath checks that no client path resolves outside "/" and that the os.Root name of a
// resolved path is always relative and free of "..".
func FuzzResolvePath(f *testing.F) {
	for _, s := range [][2]string{{"/", "../../etc/passwd"}, {"/a/b", ".."}, {"/", "/../x"}, {"/x", "a//b/./c"}, {"/", ""}, {"/", "..."}, {"/a", "\x00"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, cwd, arg string) {
		cwd = resolvePath("/", cwd) // the session only ever holds resolved paths
		v := resolvePath(cwd, arg)
		if !strings.HasPrefix(v, "/") || path.Clean(v) != v {
			t.Fatalf("resolvePath(%q, %q) = %q: not clean and absolute", cwd, arg, v)
		}
		name := rootName(v)
		if strings.HasPrefix(name, "/") || name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "/../") || strings.HasSuffix(name, "/..") {
			t.Fatalf("rootName(%q) = %q escapes", v, name)
		}
		if k, n, size := parseSynthetic(v); k == synthFileKind && (n == "" || strings.Contains(n, "/") || size < 0) {
			t.Fatalf("parseSynthetic(%q) = %q %d", v, n, size)
		}
	})
}

// FuzzPORT checks that an accepted PORT argument round-trips through the 227 formatter.
func FuzzPORT(f *testing.F) {
	for _, s := range []string{"127,0,0,1,4,1", "1,2,3,4,5,6", "256,0,0,1,0,0", " 127, 0,0,1,200,10 ", "a,b,c,d,e,f", "1,2,3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		ap, err := parsePORT(arg)
		if err != nil {
			return
		}
		back, err := parsePORT(formatPASV(ap.Addr(), int(ap.Port())))
		if err != nil || back != ap {
			t.Fatalf("PORT %q -> %v, round trip %v %v", arg, ap, back, err)
		}
	})
}

// FuzzEPRT checks that an accepted EPRT argument has a valid address of the named family and
// round-trips.
func FuzzEPRT(f *testing.F) {
	for _, s := range []string{"|1|132.235.1.2|6275|", "|2|1080::8:800:200C:417A|5282|", "!1!1.2.3.4!80!", "|3|x|1|", "||||", "|1|::1|5|", "|2|::ffff:1.2.3.4|5|", "|1|1.2.3.4|0|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		ap, err := parseEPRT(arg)
		if err != nil {
			return
		}
		if ap.Port() == 0 || !ap.Addr().IsValid() || ap.Addr().Zone() != "" {
			t.Fatalf("EPRT %q accepted %v", arg, ap)
		}
		fam := "1"
		if !ap.Addr().Is4() {
			fam = "2"
		}
		back, err := parseEPRT("|" + fam + "|" + ap.Addr().String() + "|" + strconv.Itoa(int(ap.Port())) + "|")
		if err != nil || back != ap {
			t.Fatalf("EPRT %q -> %v, round trip %v %v", arg, ap, back, err)
		}
	})
}

// FuzzASCII checks TYPE A conversion: CRLF-encoding then decoding gives back any content without
// CRs, through reads of any size, and countASCII matches the encoded length.
func FuzzASCII(f *testing.F) {
	for _, s := range []string{"a\nb\n", "\n\n\n", "no newline", "", "x\ry\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var wire bytes.Buffer
		if _, err := newCRLFWriter(&wire).Write(data); err != nil {
			t.Fatal(err)
		}
		n, err := countASCII(bytes.NewReader(data))
		if err != nil || n != int64(wire.Len()) {
			t.Fatalf("countASCII = %d, wire has %d", n, wire.Len())
		}
		back, err := io.ReadAll(newLFReader(iotest.HalfReader(bytes.NewReader(wire.Bytes()))))
		if err != nil {
			t.Fatal(err)
		}
		// Byte-at-a-time reads give the same result.
		lr := newLFReader(bytes.NewReader(wire.Bytes()))
		var one []byte
		for b := make([]byte, 1); ; {
			n, err := lr.Read(b)
			one = append(one, b[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(one, back) {
			t.Fatalf("one-byte reads gave %q, large reads %q", one, back)
		}
		if !bytes.Contains(data, []byte("\r")) && !bytes.Equal(back, data) {
			t.Fatalf("round trip of %q gave %q", data, back)
		}
	})
}
