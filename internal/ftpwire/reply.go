package ftpwire

import (
	"bytes"
	"strings"
)

// Reply is one FTP reply as the server sent it.
//
// Raw holds the exact bytes of the reply, line endings included, so a malformed reply is evidence,
// not an approximation. Problems lists the ways the reply departs from RFC 959 §4.2 that did not
// stop it from being read (a bare LF, a final line without a space after the code, …); a reply
// whose first line carries no three-digit code has Code 0 and a problem saying so.
type Reply struct {
	Code     int
	Raw      string
	Problems []string
}

// Class returns the first digit of the code (1 positive preliminary … 5 permanent negative; 6 is
// RFC 2228's protected reply), or 0 for a reply without a code.
func (r Reply) Class() int { return r.Code / 100 }

// Multiline reports whether the reply spans more than one line.
func (r Reply) Multiline() bool {
	i := strings.IndexByte(r.Raw, '\n')
	return i >= 0 && i < len(r.Raw)-1
}

// Lines returns the reply's lines without their line endings, codes included.
func (r Reply) Lines() []string {
	s := strings.TrimSuffix(r.Raw, "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// Text returns the reply's text: the first line after "ddd " or "ddd-", then for a multi-line reply
// every further line on its own line, the final line without its code. A single-line reply's text
// is a substring of Raw, so reading it does not allocate.
func (r Reply) Text() string {
	if !r.Multiline() {
		return lineText(trimEOL(r.Raw), r.Code != 0)
	}
	lines := r.Lines()
	var b strings.Builder
	b.Grow(len(r.Raw))
	last := len(lines) - 1
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		// The last line loses its code only when it is a final line (a reply cut short has none).
		if i == 0 || (i == last && len(l) >= 3 && len(lines[0]) >= 3 && l[:3] == lines[0][:3]) {
			l = lineText(l, r.Code != 0)
		}
		b.WriteString(l)
	}
	return b.String()
}

// String returns the reply as it would be quoted in a report: its lines joined by "\n".
func (r Reply) String() string {
	return strings.TrimSuffix(strings.ReplaceAll(r.Raw, "\r\n", "\n"), "\n")
}

// lineText strips "ddd " or "ddd-" from a line that starts with a code.
func lineText(l string, hasCode bool) string {
	if !hasCode || len(l) < 3 {
		return l
	}
	l = l[3:]
	if l != "" && (l[0] == ' ' || l[0] == '-') {
		l = l[1:]
	}
	return l
}

func trimEOL(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// Problems the parser reports. They are stable strings so tests and cases can match them.
const (
	ProblemBareLF        = "bare LF line ending (RFC 959 §4.2 requires CRLF)"
	ProblemBareCR        = "CR not followed by LF inside a line"
	ProblemMissingCode   = "first line does not start with a three-digit reply code"
	ProblemBadFirstDigit = "reply code's first digit is not 1-6"
	ProblemNoSeparator   = "reply code not followed by a space or hyphen"
	ProblemFinalNoSpace  = "final line of multi-line reply has the code but no space after it"
	ProblemOtherCodeLine = "a line inside the multi-line reply starts with a different code and a space"
	ProblemUnterminated  = "connection ended before the reply's final line"
)

// replyParser decides, line by line, where a reply ends; it is the RFC 959 §4.2 grammar.
type replyParser struct {
	code     int
	multi    bool
	lines    int
	problems []string
}

func (p *replyParser) problem(s string) {
	for _, q := range p.problems {
		if q == s {
			return
		}
	}
	p.problems = append(p.problems, s)
}

// line consumes one line (with its LF) and reports whether the reply is complete.
func (p *replyParser) line(l []byte) (done bool) {
	p.lines++
	body := l[:len(l)-1]
	if len(body) > 0 && body[len(body)-1] == '\r' {
		body = body[:len(body)-1]
	} else {
		p.problem(ProblemBareLF)
	}
	for i, b := range body {
		if b == '\r' && i+1 < len(body) && body[i+1] != 0 {
			p.problem(ProblemBareCR)
			break
		}
	}
	code, ok := parseCode(body)
	if p.lines == 1 {
		if !ok {
			p.problem(ProblemMissingCode)
			return true
		}
		p.code = code
		if d := code / 100; d < 1 || d > 6 {
			p.problem(ProblemBadFirstDigit)
		}
		switch {
		case len(body) == 3:
			// "200\r\n": no text. RFC 959 asks for a space and text, but the reply is complete.
			p.problem(ProblemNoSeparator)
			return true
		case body[3] == ' ':
			return true
		case body[3] == '-':
			p.multi = true
			return false
		default:
			p.problem(ProblemNoSeparator)
			return true
		}
	}
	// Inside a multi-line reply only "ddd " with the first line's code ends it (RFC 959 §4.2).
	if !ok {
		return false
	}
	if code != p.code {
		if len(body) > 3 && body[3] == ' ' {
			p.problem(ProblemOtherCodeLine)
		}
		return false
	}
	switch {
	case len(body) == 3:
		p.problem(ProblemFinalNoSpace)
		return true
	case body[3] == ' ':
		return true
	}
	return false
}

// parseCode reads three leading digits.
func parseCode(b []byte) (int, bool) {
	if len(b) < 3 {
		return 0, false
	}
	for _, c := range b[:3] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	return int(b[0]-'0')*100 + int(b[1]-'0')*10 + int(b[2]-'0'), true
}

// ParseReply parses one complete reply from the start of b, as ReadReply would, and returns it with
// the number of bytes it used. ok is false when b holds no complete reply.
func ParseReply(b []byte) (r Reply, n int, ok bool) {
	var p replyParser
	for n < len(b) {
		i := indexLF(b[n:])
		if i < 0 {
			return Reply{}, 0, false
		}
		done := p.line(b[n : n+i+1])
		n += i + 1
		if done {
			return Reply{Code: p.code, Raw: string(b[:n]), Problems: p.problems}, n, true
		}
	}
	return Reply{}, 0, false
}

func indexLF(b []byte) int { return bytes.IndexByte(b, '\n') }
