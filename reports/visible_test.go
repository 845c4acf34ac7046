package reports

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVisibleText(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"CRLF", []byte("220 ready\r\n"), "220 ready\\r\\n\n"},
		{"bare LF", []byte("220 ready\n"), "220 ready\\n\n"},
		{"bare CR", []byte("220 ready\r"), "220 ready\\r"},
		{"multi-line reply", []byte("211-Features:\r\n EPSV\r\n211 End\r\n"), "211-Features:\\r\\n\n EPSV\\r\\n\n211 End\\r\\n\n"},
		{"tab and NUL", []byte("a\tb\x00c"), `a\tb\x00c`},
		{"DEL and ESC", []byte("\x7f\x1b[0m"), `\x7F\x1B[0m`},
		{"backslash is escaped so markers stay unambiguous", []byte(`C:\r`), `C:\\r`},
		{"valid UTF-8 stays", []byte("257 \"/café/日本\""), "257 \"/café/日本\""},
		{"Latin-1 byte", []byte("caf\xe9"), `caf\xE9`},
		{"truncated UTF-8", []byte("\xe6\x97"), `\xE6\x97`},
		{"non-printable rune escaped byte-wise", []byte("a\u200bb\u0085"), `a\xE2\x80\x8Bb\xC2\x85`},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, VisibleText(tt.in))
		})
	}
}

func TestVisibleHTML(t *testing.T) {
	assert.Equal(t, `&lt;b&gt;<span class="cc">\r</span><span class="cc">\n</span>`+"\n", visibleHTML([]byte("<b>\r\n")))
	assert.Equal(t, `&amp;<span class="cc">\xFF</span>`, visibleHTML([]byte("&\xff")))
}

func TestTranscriptText(t *testing.T) {
	ev := []Event{
		{AtMS: 0, Conn: "ctrl", Kind: Open, Detail: "127.0.0.1:5 → 127.0.0.1:21"},
		{AtMS: 1.5, Conn: "ctrl", Kind: Recv, Data: []byte("211-a\r\n211 b\r\n")},
		{AtMS: 2, Conn: "ctrl", Kind: Send, Data: []byte("RETR x\xff\r\n")},
		{AtMS: 3, Conn: "data1", Kind: Data, Port: 40001, Peer: "127.0.0.1:40001", Bytes: 10, SHA256: "ab"},
		{AtMS: 4, Conn: "ctrl", Kind: Note, Detail: "bare\rCR"},
	}
	want := "    0.000ms ctrl   open 127.0.0.1:5 → 127.0.0.1:21\n" +
		"    1.500ms ctrl   <- 211-a\\r\\n\n" +
		"                     211 b\\r\\n\n" +
		"    2.000ms ctrl   -> RETR x\\xFF\\r\\n\n" +
		"    3.000ms data1  data port 40001, peer 127.0.0.1:40001, 10 bytes, sha256 ab\n" +
		"    4.000ms ctrl   note bare\\rCR\n"
	assert.Equal(t, want, TranscriptText(ev))
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{formatInt(0), "0"},
		{formatInt(1234567), "1,234,567"},
		{formatInt(-1234), "-1,234"},
		{formatBytes(999), "999 B"},
		{formatBytes(65536), "65.5 kB"},
		{formatRate(1.234e9), "1.23 GB/s"},
		{formatMS(0.25), "250 µs"},
		{formatMS(12.345), "12.3 ms"},
		{formatMS(2500), "2.5 s"},
		{formatFloat(3012.4), "3,012"},
		{formatFloat(12.345), "12.3"},
		{formatPercent(0.001), "0.1%"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.got)
	}
}
