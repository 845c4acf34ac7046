package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ParsePortRange parses a declared port range "LO-HI" (or a single port).
func ParsePortRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		b = a
	}
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case err1 != nil || err2 != nil:
		return 0, 0, fmt.Errorf("port range %q: want LO-HI, such as 40000-40999", s)
	case lo < 1 || hi > 65535 || lo > hi:
		return 0, 0, fmt.Errorf("port range %q: want 1 <= LO <= HI <= 65535", s)
	}
	return lo, hi, nil
}

// pendingWindow is when the server had handed a data port to a transfer and the transfer had not
// yet used it, in milliseconds since the run started: from the reply to PASV/EPSV
// (StartMS+PasvMS) until the data connection was made, or given up
// (StartMS+PasvMS+DataConnectMS). StartMS is when the transfer sent PASV/EPSV.
func pendingWindow(r TransferRecord) (from, to float64) {
	from = r.StartMS + r.PasvMS
	return from, from + r.DataConnectMS
}

// sharedWhilePending marks the transfers that were handed a data port (on the same address) that
// another transfer also held while both were pending. A server that keeps one listener per
// transfer can never do this; a server that hands one port to several transfers at once must
// match data connections to transfers by something other than the port, and a same-IP client
// shows whether it does so correctly.
func sharedWhilePending(records []TransferRecord) []bool {
	type span struct {
		from, to float64
		i        int
	}
	byPort := map[string][]span{}
	for i, r := range records {
		if r.DataPort == 0 {
			continue
		}
		from, to := pendingWindow(r)
		k := r.DataAddr + "|" + strconv.Itoa(r.DataPort)
		byPort[k] = append(byPort[k], span{from, to, i})
	}
	marked := make([]bool, len(records))
	for _, spans := range byPort {
		if len(spans) < 2 {
			continue
		}
		sort.Slice(spans, func(a, b int) bool {
			if spans[a].from != spans[b].from {
				return spans[a].from < spans[b].from
			}
			return spans[a].to > spans[b].to
		})
		// Sweep in order of start, remembering the span that reaches furthest: a span that starts
		// before that end overlaps it, and every overlapping pair is found this way (the earlier
		// span of a pair is the furthest-reaching one until something overlaps it).
		reach := spans[0]
		for _, s := range spans[1:] {
			if s.from < reach.to || s.from == reach.from {
				marked[s.i] = true
				marked[reach.i] = true
			}
			if s.to > reach.to {
				reach = s
			}
		}
	}
	return marked
}

// AnalyzePorts derives the data-port evidence of a load run from its transfer records: distinct
// ports, transfers that shared a port while pending (see sharedWhilePending), ports outside the
// declared range ("LO-HI"; empty or unparsable means no range is checked), the lowest and highest
// port, and whether successive ports are sequential (RFC 2577 §5 asks for random ones).
// AddressMismatches needs the control connections' addresses, which records do not carry; the
// caller sets it.
func AnalyzePorts(records []TransferRecord, declared string) PortAnalysis {
	pa := PortAnalysis{DeclaredRange: declared}
	lo, hi, err := ParsePortRange(declared)
	checkRange := declared != "" && err == nil

	type handed struct {
		at   float64
		port int
	}
	var seq []handed
	distinct := map[int]bool{}
	for _, r := range records {
		if r.DataPort == 0 {
			continue
		}
		p := r.DataPort
		distinct[p] = true
		if pa.Min == 0 || p < pa.Min {
			pa.Min = p
		}
		if p > pa.Max {
			pa.Max = p
		}
		if checkRange && (p < lo || p > hi) {
			pa.OutOfRange++
		}
		from, _ := pendingWindow(r)
		seq = append(seq, handed{from, p})
	}
	pa.Distinct = len(distinct)
	pa.ActiveSources = analyzeActiveSources(records)
	for _, m := range sharedWhilePending(records) {
		if m {
			pa.SharedWhilePending++
		}
	}

	// Sequential: the most common small step between ports in the order they were handed out
	// accounts for most steps.
	sort.SliceStable(seq, func(a, b int) bool { return seq[a].at < seq[b].at })
	if len(seq) >= 8 {
		steps := map[int]int{}
		for i := 1; i < len(seq); i++ {
			d := seq[i].port - seq[i-1].port
			if d != 0 && d >= -8 && d <= 8 {
				steps[d]++
			}
		}
		best := 0
		for _, n := range steps {
			best = max(best, n)
		}
		pa.SequentialFraction = float64(best) / float64(len(seq)-1)
		pa.Sequential = pa.SequentialFraction >= 0.5
	}
	return pa
}

// analyzeActiveSources summarises the records' ActiveFrom source ports; nil when there were no
// active-mode data connections.
func analyzeActiveSources(records []TransferRecord) *ActiveSources {
	var as ActiveSources
	distinct := map[int]bool{}
	for _, r := range records {
		if r.ActiveFrom == "" {
			continue
		}
		i := strings.LastIndexByte(r.ActiveFrom, ':')
		p, err := strconv.Atoi(r.ActiveFrom[i+1:])
		if i < 0 || err != nil || p <= 0 {
			continue
		}
		as.Connections++
		distinct[p] = true
		if p < 1024 {
			as.Privileged++
		}
		if as.Min == 0 || p < as.Min {
			as.Min = p
		}
		as.Max = max(as.Max, p)
	}
	if as.Connections == 0 {
		return nil
	}
	as.Distinct = len(distinct)
	return &as
}
