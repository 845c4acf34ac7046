package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// DocumentError says a run document holds a value no run can produce: an unknown outcome, a
// negative count, a shard outside its run. It names the file, the field and the value, so a
// hand-edited or damaged document is refused instead of rendered as if it were true.
type DocumentError struct {
	File  string
	Field string // JSON path, such as conformance.cases[3].outcome
	Value string
	Want  string
}

func (e *DocumentError) Error() string {
	return fmt.Sprintf("%s: %s: %s is not valid (want %s)", e.File, e.Field, e.Value, e.Want)
}

// Validate checks the values of a decoded run document; name is used in the error.
func (r *Run) Validate(name string) error {
	bad := func(field string, value any, want string) error {
		v := fmt.Sprint(value)
		if s, ok := value.(string); ok {
			v = fmt.Sprintf("%q", s)
		}
		return &DocumentError{File: name, Field: field, Value: v, Want: want}
	}
	if c := r.Conformance; c != nil {
		known := make([]string, len(Outcomes))
		for i, o := range Outcomes {
			known[i] = string(o)
		}
		for i, cr := range c.Cases {
			if !slices.Contains(Outcomes, cr.Outcome) {
				return bad(fmt.Sprintf("conformance.cases[%d].outcome", i), string(cr.Outcome), "one of "+strings.Join(known, ", "))
			}
		}
		for _, o := range Outcomes {
			if n := c.Totals.Count(o); n < 0 {
				return bad("conformance.totals."+string(o), n, "a count ≥ 0")
			}
		}
	}
	if l := r.Load; l != nil {
		counts := []struct {
			field string
			n     int
		}{
			{"sessions", l.Sessions}, {"transfers_per_session", l.TransfersPerSession},
			{"transfers.attempted", l.Transfers.Attempted}, {"transfers.ok", l.Transfers.OK},
			{"transfers.failed", l.Transfers.Failed}, {"transfers.misrouted", l.Transfers.Misrouted},
			{"transfers.corrupt", l.Transfers.Corrupt}, {"transfers.stolen", l.Transfers.Stolen},
			{"max_simultaneous_data_connections", l.MaxSimultaneousDataConnections},
			{"data_ports.distinct", l.DataPorts.Distinct}, {"data_ports.shared_while_pending", l.DataPorts.SharedWhilePending},
		}
		for _, c := range counts {
			if c.n < 0 {
				return bad("load."+c.field, c.n, "a count ≥ 0")
			}
		}
		if l.Transfers.OK > l.Transfers.Attempted {
			return bad("load.transfers.ok", l.Transfers.OK, fmt.Sprintf("at most transfers.attempted (%d)", l.Transfers.Attempted))
		}
		if l.Size < 0 || l.Bytes < 0 {
			return bad("load.size/bytes", fmt.Sprintf("%d/%d", l.Size, l.Bytes), "byte counts ≥ 0")
		}
		rates := []struct {
			field string
			v     float64
		}{
			{"duration_s", l.DurationS}, {"throughput_bytes_per_s", l.ThroughputBytesPerS},
			{"transfers_per_s", l.TransfersPerS}, {"error_rate", l.ErrorRate},
		}
		for _, x := range rates {
			if x.v < 0 || math.IsNaN(x.v) || math.IsInf(x.v, 0) {
				return bad("load."+x.field, x.v, "a number ≥ 0")
			}
		}
		if l.ErrorRate > 1 {
			return bad("load.error_rate", l.ErrorRate, "a fraction between 0 and 1")
		}
		if s := l.Shard; s != nil && (s.Count < 1 || s.Index < 1 || s.Index > s.Count) {
			return bad("load.shard", fmt.Sprintf("%d/%d", s.Index, s.Count), "i/n with 1 ≤ i ≤ n")
		}
	}
	return nil
}
