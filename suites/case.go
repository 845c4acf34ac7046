// Package suites holds ftpspec's conformance cases and the runner that grades a server by them.
//
// A Case is data — a stable ID (rfcNNN/section/slug), the RFC sentence it checks, quoted exactly, a
// requirement level — plus a short Run that drives the server through an Env. The Env dials every
// connection the case uses and records the exact bytes of each into the case's transcript, so no
// case can forget its evidence. Run's error is graded by one function, Classify:
//
//	nil            → pass
//	*Violation     → fail for MUST; warn for SHOULD (fail under Strict); warn for MAY;
//	                 advisory for an Advisory case or violation (never a failure, even under Strict)
//	ErrSkip        → skip (a precondition the harness cannot meet)
//	ErrUnsupported → unsupported (an optional feature the server does not offer)
//	anything else  → error (the harness or the network, not the server)
//
// The cases are written against the RFC text and the mechanism (ports, addresses, bytes), never
// against one server's habits: where the RFCs allow several replies, every one of them passes.
package suites

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ftpspec/ftpspec/reports"
)

// Level is a requirement level in the sense of RFC 2119.
type Level string

// Levels.
const (
	Must   Level = "MUST"
	Should Level = "SHOULD"
	May    Level = "MAY"
)

func (l Level) rank() int {
	switch l {
	case Must:
		return 3
	case Should:
		return 2
	case May:
		return 1
	}
	return 0
}

// Feature is a precondition a case needs. Unmet needs give skip (the harness cannot arrange
// it) or unsupported (the server does not offer it), with the reason.
type Feature string

// Features.
const (
	// NeedWrite: a login that may upload, delete and create directories (not anonymous).
	NeedWrite Feature = "write"
	// NeedForeignIP: the foreign address (127.0.0.2 by default) can reach the target, so a
	// connection from "another host" can be made.
	NeedForeignIP Feature = "foreign-ip"
	// NeedDeclaredRange: the user declared the server's passive port range (--pasv-ports).
	NeedDeclaredRange Feature = "declared-range"
	// NeedTLS: the server accepts AUTH TLS.
	NeedTLS Feature = "TLS"
	// NeedIPv4: the control connection is IPv4 (PASV and PORT cannot express IPv6).
	NeedIPv4 Feature = "ipv4"
)

// FeatNeed returns the Feature for a FEAT line's label ("MLST", "REST STREAM", "UTF8"): the case
// runs only when the server advertises it, and is unsupported otherwise.
func FeatNeed(label string) Feature { return Feature("feat:" + strings.ToUpper(label)) }

// TLSUse says how a case relates to the run's control-connection security mode.
type TLSUse int

const (
	// AnyTLS cases run once per selected mode; the Env secures connections as the mode says.
	AnyTLS TLSUse = iota
	// PlainOnly cases run only in mode "none": they observe something TLS would hide or change
	// (raw data-connection routing by TCP peer, for instance).
	PlainOnly
	// OwnTLS cases negotiate TLS themselves on a plain connection (RFC 4217 cases). They run
	// once per Run and are reported under "explicit".
	OwnTLS
)

// Case is one conformance check.
type Case struct {
	ID          string // rfcNNN/section/slug: stable, never reused
	RFC         string // "959"
	Section     string // "4.1.2"
	Level       Level
	Title       string
	Requirement string   // the RFC sentence, quoted exactly (whitespace aside)
	Tags        []string // "pasv", "tls", "security", "ext:MLST" …
	Needs       []Feature
	TLS         TLSUse
	// Serial cases run alone, after the parallel ones: they exhaust or watch shared server
	// resources (the passive range, port sequences) that concurrent cases would disturb.
	Serial bool
	// Advisory cases check a security or robustness observation (an RFC 2577 threat description,
	// not a MUST or SHOULD): a violation is reported as advisory, never as a failure.
	Advisory bool
	// Audit cases grade what the transcripts of every other case of the run showed; they run last.
	Audit bool
	// Budget, when set, is the time the case needs against a server with these options, when
	// more than Options.Timeout: cases bound by the server's own delays (login failure delays)
	// or by the size of what they exhaust (a 1000-port range).
	Budget func(Options) time.Duration
	Run    func(ctx context.Context, env *Env) error
}

// Violation is a server behaviour that breaks the case's requirement.
type Violation struct {
	Expected []string // what the requirement allows
	Actual   string   // what the server did
	// Level, when set below the case's level, grades this violation more leniently: a case whose
	// requirement is MUST may find a deviation that only a SHOULD covers (a reply code outside
	// RFC 959's table but of the right class, which RFC 1123 §4.1.2.11 permits).
	Level Level
	// Advisory marks an observation (damage a threat description foresees) rather than a broken
	// requirement: graded advisory whatever the case's level.
	Advisory bool
}

func (v *Violation) Error() string {
	return fmt.Sprintf("expected %s, got %s", strings.Join(v.Expected, " or "), v.Actual)
}

// Violatef builds a Violation.
func Violatef(expected string, format string, args ...any) *Violation {
	return &Violation{Expected: []string{expected}, Actual: fmt.Sprintf(format, args...)}
}

// Downgrade returns v graded at level l (only ever more lenient than the case's level).
func (v *Violation) Downgrade(l Level) *Violation {
	w := *v
	w.Level = l
	return &w
}

var (
	// ErrSkip: the harness cannot arrange what the case needs (wrap it to say why).
	ErrSkip = errors.New("skipped")
	// ErrUnsupported: the server does not offer the optional feature the case checks.
	ErrUnsupported = errors.New("unsupported")
)

// Skipf returns an ErrSkip with a reason.
func Skipf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSkip, fmt.Sprintf(format, args...))
}

// Unsupportedf returns an ErrUnsupported with a reason.
func Unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}

// Classify grades the error a case's Run returned. It fills Outcome, Expected, Actual and Reason.
func Classify(c Case, err error, strict bool) (o reports.Outcome, expected, actual, reason string) {
	var v *Violation
	switch {
	case err == nil:
		return reports.Pass, "", "", ""
	case errors.As(err, &v) && (c.Advisory || v.Advisory):
		return reports.Advisory, strings.Join(v.Expected, " or "), v.Actual, ""
	case errors.As(err, &v):
		level := c.Level
		if v.Level != "" && v.Level.rank() < level.rank() {
			level = v.Level
		}
		expected, actual = strings.Join(v.Expected, " or "), v.Actual
		switch level {
		case Must:
			return reports.Fail, expected, actual, ""
		case Should:
			if strict {
				return reports.Fail, expected, actual, ""
			}
			return reports.Warn, expected, actual, ""
		default:
			// A MAY is optional: offered but broken is worth a warning, never a failure.
			return reports.Warn, expected, actual, ""
		}
	case errors.Is(err, ErrUnsupported):
		return reports.Unsupported, "", "", reasonOf(err, ErrUnsupported)
	case errors.Is(err, ErrSkip):
		return reports.Skip, "", "", reasonOf(err, ErrSkip)
	}
	return reports.Error, "", "", err.Error()
}

func reasonOf(err, sentinel error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, sentinel.Error()+": ")
	return s
}

var idPattern = regexp.MustCompile(`^rfc(\d+)/([0-9.]+)/[a-z0-9-]+$`)

// validate checks a case's data against the ID contract.
func (c Case) validate() error {
	m := idPattern.FindStringSubmatch(c.ID)
	switch {
	case m == nil:
		return fmt.Errorf("case %q: ID does not match rfcNNN/section/slug", c.ID)
	case m[1] != c.RFC:
		return fmt.Errorf("case %q: RFC %q differs from the ID", c.ID, c.RFC)
	case m[2] != c.Section:
		return fmt.Errorf("case %q: section %q differs from the ID", c.ID, c.Section)
	case c.Level != Must && c.Level != Should && c.Level != May:
		return fmt.Errorf("case %q: level %q", c.ID, c.Level)
	case c.Title == "" || len(c.Requirement) < 20 || c.Run == nil:
		return fmt.Errorf("case %q: title, requirement and Run are required", c.ID)
	}
	return nil
}
