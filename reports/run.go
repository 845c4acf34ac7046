// Package reports holds ftpspec's results model — the versioned JSON document that is the one
// interchange format between runs, renderers, comparisons and merges — and the code that reads and
// writes it. It imports no other ftpspec package: everything that produces results converts into
// these types, and everything that presents results reads only these types.
package reports

import (
	"time"
)

// SchemaV1 names the current version of the run document. A reader refuses documents of another
// major version with a message that names both, rather than guessing at fields it does not know.
const SchemaV1 = "ftpspec.run/v1"

// Run is one run of ftpspec against one target: conformance results, load results, or both.
type Run struct {
	Schema      string       `json:"schema"`
	Tool        Tool         `json:"tool"`
	Label       string       `json:"label,omitempty"` // a short name for the run (server, version, TLS mode) used as a column title
	Target      Target       `json:"target"`
	Started     time.Time    `json:"started"`
	Finished    time.Time    `json:"finished"`
	Partial     bool         `json:"partial,omitempty"` // the run was interrupted; what is here is true but incomplete
	Conformance *Conformance `json:"conformance,omitempty"`
	Load        *Load        `json:"load,omitempty"`
	Lab         *Lab         `json:"lab,omitempty"`   // the NAT lab's network and findings (ftpspec lab nat)
	Bench       *Bench       `json:"bench,omitempty"` // servers side by side with the machine's ceiling (ftpspec bench)

	// PartialReason says, in one line, why the run is partial: the target refused or went away,
	// the run was interrupted, or shards are missing from a merge.
	PartialReason string `json:"partial_reason,omitempty"`
}

// Tool identifies the ftpspec build that produced a run, as `ftpspec version` prints it.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"` // VCS revision, "+dirty" when built from a modified tree
	Built   string `json:"built,omitempty"`  // build time, RFC 3339 UTC
	Go      string `json:"go,omitempty"`     // the Go release that compiled it
}

// Target describes the server under test as ftpspec saw it.
type Target struct {
	URL      string   `json:"url"` // with any password removed
	Embedded bool     `json:"embedded,omitempty"`
	Banner   string   `json:"banner,omitempty"`
	Syst     string   `json:"syst,omitempty"`
	Feat     []string `json:"feat,omitempty"`
	Faults   []string `json:"faults,omitempty"` // fault modes of an embedded reference server
}

// Outcome is the graded result of one conformance case.
type Outcome string

// Outcomes, from best to worst for a server. XFail and XPass come from an expectations file.
const (
	Pass Outcome = "pass"
	Fail Outcome = "fail" // a MUST (or, under --strict, a SHOULD) is broken
	Warn Outcome = "warn" // a SHOULD is broken
	// Advisory is a security or robustness observation (RFC 2577's threat descriptions, port
	// stealing damage): reported with its evidence and motivating text, never a failure.
	Advisory    Outcome = "advisory"
	Unsupported Outcome = "unsupported" // an optional feature the server does not offer
	Skip        Outcome = "skip"        // not run: not selected for this mode, or a precondition the harness cannot meet
	Error       Outcome = "error"       // the harness or the network failed, not the server's behaviour
	XFail       Outcome = "xfail"       // failed, as the expectations file says it will
	XPass       Outcome = "xpass"       // passed, although the expectations file says it fails
)

// Outcomes lists every outcome in display order.
var Outcomes = []Outcome{Pass, Fail, Warn, Advisory, Unsupported, Skip, Error, XFail, XPass}

// Conformance is the result of running conformance cases against a target.
type Conformance struct {
	Profile *Profile     `json:"profile,omitempty"`
	Strict  bool         `json:"strict,omitempty"`
	Cases   []CaseResult `json:"cases"`
	Totals  Totals       `json:"totals"`
}

// Profile is what the harness learned about the server before the cases ran.
type Profile struct {
	// ProbeTranscript is the first connection's transcript when it failed (refused, silent, not
	// FTP, login refused): the evidence of a run in which no case could run.
	ProbeTranscript []Event `json:"probe_transcript,omitempty"`

	Banner         string   `json:"banner,omitempty"`
	Syst           string   `json:"syst,omitempty"`
	Feat           []string `json:"feat,omitempty"`
	PassiveAddress string   `json:"passive_address,omitempty"` // the address the server puts in 227 replies
	PassivePorts   []int    `json:"passive_ports,omitempty"`   // ports seen while probing
	DeclaredRange  string   `json:"declared_range,omitempty"`  // the range the user said the server uses (--pasv-ports)
	// ActiveSource is where the server's active-mode (PORT) data connection came from when
	// probed, address:port as the client saw it; ActiveSourceKind says what the port is: "L-1"
	// (RFC 959 §3.2's default, port 20 for a server on 21), "privileged" (another port below
	// 1024) or "ephemeral". Every case's transcript also names the peer of each data connection.
	ActiveSource     string `json:"active_source,omitempty"`
	ActiveSourceKind string `json:"active_source_kind,omitempty"`
	// Commands is the run's evidence that the server implements a command: verb → "advertised in
	// FEAT (…)" or "used successfully (…)". Cases grade a 500/502 with it.
	Commands map[string]string `json:"commands,omitempty"`
}

// CaseResult is one case's outcome, with the evidence behind it.
type CaseResult struct {
	ID          string   `json:"id"` // rfcNNN/section/slug, stable across versions
	RFC         string   `json:"rfc"`
	Section     string   `json:"section"`
	Level       string   `json:"level"` // MUST, SHOULD or MAY
	Title       string   `json:"title"`
	Requirement string   `json:"requirement,omitempty"` // the RFC sentence, quoted exactly
	Tags        []string `json:"tags,omitempty"`
	TLS         string   `json:"tls,omitempty"` // none, explicit or implicit: the control-connection security this result was run under
	Outcome     Outcome  `json:"outcome"`
	Expected    string   `json:"expected,omitempty"`
	Actual      string   `json:"actual,omitempty"`
	Reason      string   `json:"reason,omitempty"` // why a case was skipped, unsupported or errored
	DurationMS  float64  `json:"duration_ms"`
	Transcript  []Event  `json:"transcript,omitempty"`
}

// Totals counts cases by outcome.
type Totals struct {
	Pass        int `json:"pass"`
	Fail        int `json:"fail"`
	Warn        int `json:"warn"`
	Advisory    int `json:"advisory,omitempty"`
	Unsupported int `json:"unsupported"`
	Skip        int `json:"skip"`
	Error       int `json:"error"`
	XFail       int `json:"xfail,omitempty"`
	XPass       int `json:"xpass,omitempty"`
}

// Add counts one outcome.
func (t *Totals) Add(o Outcome) {
	switch o {
	case Pass:
		t.Pass++
	case Fail:
		t.Fail++
	case Warn:
		t.Warn++
	case Advisory:
		t.Advisory++
	case Unsupported:
		t.Unsupported++
	case Skip:
		t.Skip++
	case Error:
		t.Error++
	case XFail:
		t.XFail++
	case XPass:
		t.XPass++
	}
}

// Count returns the number of cases with outcome o.
func (t Totals) Count(o Outcome) int {
	switch o {
	case Pass:
		return t.Pass
	case Fail:
		return t.Fail
	case Warn:
		return t.Warn
	case Advisory:
		return t.Advisory
	case Unsupported:
		return t.Unsupported
	case Skip:
		return t.Skip
	case Error:
		return t.Error
	case XFail:
		return t.XFail
	case XPass:
		return t.XPass
	}
	return 0
}

// Recount recomputes the totals from the cases, so a document edited by hand or merged stays consistent.
func (c *Conformance) Recount() {
	c.Totals = Totals{}
	for _, r := range c.Cases {
		c.Totals.Add(r.Outcome)
	}
}
