package suites

import (
	"slices"
	"strings"

	"github.com/ftpspec/ftpspec/reports"
)

// FaultCheck is the verdict of one selftest run against a server with one fault switched on.
type FaultCheck struct {
	Fault     string
	Named     []string // the conformance cases the fault names (load checks excluded)
	Caught    []string // named cases that noticed the fault: fail, warn or unsupported
	Missed    []string // named cases that passed, were skipped, errored or did not run
	Unrelated []string // MUST cases not named by the fault that failed
}

// OK reports whether the fault was caught by every case it names and by no unrelated MUST case.
func (f FaultCheck) OK() bool {
	return len(f.Named) > 0 && len(f.Missed) == 0 && len(f.Unrelated) == 0
}

// Caught reports whether a result noticed a fault. Unsupported counts: a MAY-level case whose
// feature the fault removes (an atomic upload, say) says so with unsupported. Advisory counts: the
// security faults (a stranger served a passive port, a bounce) are observations, not failures,
// but an observation reported is a fault caught.
func Caught(o reports.Outcome) bool {
	return o == reports.Fail || o == reports.Warn || o == reports.Advisory || o == reports.Unsupported || o == reports.XFail
}

// CheckFault grades a conformance result against a fault's catalogue entry. caughtBy may hold
// load checks ("load:misrouted"); they are ignored here. A named case is caught when any of its
// results (one per TLS mode) caught it.
func CheckFault(fault string, caughtBy []string, res *reports.Conformance) FaultCheck {
	fc := FaultCheck{Fault: fault}
	for _, id := range caughtBy {
		if !strings.HasPrefix(id, "load:") {
			fc.Named = append(fc.Named, id)
		}
	}
	caught := map[string]bool{}
	for _, r := range res.Cases {
		named := slices.Contains(fc.Named, r.ID)
		switch {
		case named && Caught(r.Outcome):
			caught[r.ID] = true
		case !named && r.Level == string(Must) && r.Outcome == reports.Fail:
			if !slices.Contains(fc.Unrelated, r.ID) {
				fc.Unrelated = append(fc.Unrelated, r.ID)
			}
		}
	}
	for _, id := range fc.Named {
		if caught[id] {
			fc.Caught = append(fc.Caught, id)
		} else {
			fc.Missed = append(fc.Missed, id)
		}
	}
	return fc
}
