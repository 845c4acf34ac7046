package reports

import (
	"fmt"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Markers that stand for line-ending and tab bytes in a rendered transcript, so a reader sees
// exactly which of CR, LF and TAB a server sent. They are C-style escapes rather than Unicode
// control pictures because common fonts lack the pictures; a backslash in the data is itself
// escaped, so the rendering stays unambiguous.
const (
	markCR  = `\r`
	markLF  = `\n`
	markTab = `\t`
)

// visible walks b and calls emit with runs of printable text (marker false) and with the visible
// stand-ins for everything else (marker true): CR, LF and TAB as \r, \n and \t, other control
// bytes, non-printable runes and bytes that are not UTF-8 as \xNN, and a backslash as \\.
// A line feed's marker is followed by a real newline so that multi-line replies read as lines.
func visible(b []byte, emit func(s string, marker bool)) {
	start := 0
	flush := func(i int) {
		if i > start {
			emit(string(b[start:i]), false)
		}
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c >= 0x20 && c < 0x7f && c != '\\' {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(b[i:])
			if r != utf8.RuneError && unicode.IsPrint(r) {
				i += n
				continue
			}
			flush(i)
			if r == utf8.RuneError {
				n = 1
			}
			var sb strings.Builder
			for _, x := range b[i : i+n] {
				fmt.Fprintf(&sb, `\x%02X`, x)
			}
			emit(sb.String(), true)
			i += n
			start = i
			continue
		}
		flush(i)
		switch c {
		case '\r':
			emit(markCR, true)
		case '\n':
			emit(markLF, true)
			emit("\n", false)
		case '\t':
			emit(markTab, true)
		case '\\':
			emit(`\\`, true)
		default:
			emit(fmt.Sprintf(`\x%02X`, c), true)
		}
		i++
		start = i
	}
	flush(len(b))
}

// VisibleText renders bytes as text in which CR, LF, TAB, control bytes and bytes that are not
// UTF-8 are visible: the bytes "220 ok" CR LF become the text `220 ok\r\n` followed by a newline.
func VisibleText(b []byte) string {
	var sb strings.Builder
	visible(b, func(s string, _ bool) { sb.WriteString(s) })
	return sb.String()
}

// visibleHTML is VisibleText as HTML, with the markers in a span so they can be styled apart from
// the bytes that were really sent.
func visibleHTML(b []byte) string {
	var sb strings.Builder
	visible(b, func(s string, marker bool) {
		if marker {
			sb.WriteString(`<span class="cc">`)
			sb.WriteString(html.EscapeString(s))
			sb.WriteString(`</span>`)
			return
		}
		sb.WriteString(html.EscapeString(s))
	})
	return sb.String()
}

// visibleString is VisibleText for a string field (a reply or detail) that may itself hold raw bytes.
func visibleString(s string) string {
	if isPlain(s) {
		return s
	}
	return strings.TrimSuffix(VisibleText([]byte(s)), "\n")
}

// isPlain reports whether s needs no escaping to be shown as it is.
func isPlain(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || r == '\\' || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// TranscriptText renders a transcript as plain text, one event per line, with the exact bytes made
// visible. JUnit failure bodies and the text output of comparisons use it.
func TranscriptText(events []Event) string {
	var sb strings.Builder
	for _, e := range events {
		fmt.Fprintf(&sb, "%9.3fms %-6s ", e.AtMS, e.Conn)
		switch e.Kind {
		case Send, Recv:
			arrow := "->"
			if e.Kind == Recv {
				arrow = "<-"
			}
			sb.WriteString(arrow + " ")
			text := VisibleText(e.Data)
			// Indent continuation lines under the first so the columns stay readable.
			text = strings.TrimSuffix(text, "\n")
			sb.WriteString(strings.ReplaceAll(text, "\n", "\n"+strings.Repeat(" ", 21)))
		case Data:
			sb.WriteString(dataSummary(e))
		default:
			fmt.Fprintf(&sb, "%s %s", e.Kind, visibleString(e.Detail))
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// dataSummary describes a data-connection event in one line.
func dataSummary(e Event) string {
	var parts []string
	if e.Port != 0 {
		parts = append(parts, fmt.Sprintf("port %d", e.Port))
	}
	if e.Peer != "" {
		parts = append(parts, "peer "+visibleString(e.Peer))
	}
	parts = append(parts, fmt.Sprintf("%d bytes", e.Bytes))
	if e.SHA256 != "" {
		parts = append(parts, "sha256 "+visibleString(e.SHA256))
	}
	if e.Detail != "" {
		parts = append(parts, visibleString(e.Detail))
	}
	return "data " + strings.Join(parts, ", ")
}
