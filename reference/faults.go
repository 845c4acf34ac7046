package reference

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Fault is a fault mode: a switch that breaks exactly one rule, so the harness can prove it
// catches the breach. Each is read at exactly the place in the server where its rule lives.
type Fault struct {
	Name        string
	Description string
	// CaughtBy names what must catch the fault: conformance case IDs ("rfc959/4.1.2/...") or load
	// checks ("load:misrouted" — a counter of the load report that must become non-zero).
	CaughtBy []string
}

// fault is a bit in a faultSet.
type fault uint32

const (
	faultSharedPasvPort fault = 1 << iota
	faultNoIPCheck
	faultSequentialPorts
	faultPortReuse
	faultPasvWrongAddress
	faultEPSVAllIgnored
	faultPortBounce
	faultTruncate
	faultBadReplyCodes
	faultOutOfRangePort
	faultStorNotAtomic
	faultListenerLeak
)

// catalogue pairs each fault bit with its description. A function, not a variable, so callers
// can never change the catalogue another caller sees.
func catalogue() []struct {
	bit fault
	Fault
} {
	type entry = struct {
		bit fault
		Fault
	}
	return []entry{
		{faultSharedPasvPort, Fault{"shared-pasv-port",
			"every PASV/EPSV returns one shared port; an arriving data connection goes to the oldest pending transfer of any session from the same client IP",
			[]string{"rfc959/4.1.2/pasv-distinct-ports-sessions", "rfc2577/8/pasv-port-per-transfer", "load:misrouted", "load:shared_while_pending"}}},
		{faultNoIPCheck, Fault{"no-ip-check",
			"a data connection is accepted from any IP, not only the control connection's (no-ip-check:P: only on a passive port opened with probability P)",
			[]string{"rfc2577/4/pasv-foreign-ip-refused", "load:stolen"}}},
		{faultSequentialPorts, Fault{"sequential-ports",
			"passive ports are handed out in ascending order instead of at random, so the next one is predictable",
			[]string{"rfc2577/8/pasv-ports-unpredictable"}}},
		{faultPortReuse, Fault{"port-reuse",
			"a passive port still pending in one session is handed to a second session from the same IP (port-reuse:P: only with probability P at each PASV/EPSV)",
			[]string{"rfc959/4.1.2/pasv-distinct-ports-sessions", "load:shared_while_pending", "load:misrouted"}}},
		{faultPasvWrongAddress, Fault{"pasv-wrong-address",
			"227 replies carry 127.9.9.9, an address the client cannot reach, instead of the server's",
			[]string{"rfc959/4.1.2/pasv-address"}}},
		{faultEPSVAllIgnored, Fault{"epsv-all-ignored",
			"after EPSV ALL, PASV, PORT and EPRT are still accepted",
			[]string{"rfc2428/3/epsv-all-refuses-others"}}},
		{faultPortBounce, Fault{"port-bounce",
			"PORT and EPRT accept any address and any port, so the server can be bounced at a third host",
			[]string{"rfc2577/4/port-foreign-address-refused", "rfc2577/3/port-below-1024-refused", "rfc2577/4/eprt-foreign-address-refused", "rfc2577/3/eprt-below-1024-refused"}}},
		{faultTruncate, Fault{"truncate",
			"every RETR of a file of 64 KiB or more ends halfway through it, yet replies 226",
			[]string{"rfc959/4.1.3/retr-byte-exact", "rfc3659/5.3/rest-stor-resumes", "load:corrupt"}}},
		{faultBadReplyCodes, Fault{"bad-reply-codes",
			"an unknown command is answered 200 instead of 500/502",
			[]string{"rfc959/5.4/unknown-command"}}},
		{faultOutOfRangePort, Fault{"out-of-range-port",
			"when the passive range is exhausted, PASV/EPSV falls back to a kernel-chosen port outside the range instead of replying 425",
			[]string{"rfc959/4.1.2/pasv-range-exhausted", "load:out_of_range"}}},
		{faultStorNotAtomic, Fault{"stor-not-atomic",
			"STOR writes straight to the final name, so a client killed mid-upload leaves a partial file",
			[]string{"rfc959/4.1.3/stor-interrupted-no-partial"}}},
		{faultListenerLeak, Fault{"listener-leak",
			"a new PASV/EPSV leaves the previous unused passive listener open until the session ends",
			[]string{"rfc959/3.2/pasv-replaces-previous"}}},
	}
}

// Faults returns the catalogue of fault modes, in a fresh slice.
func Faults() []Fault {
	var out []Fault
	for _, e := range catalogue() {
		f := e.Fault
		f.CaughtBy = slices.Clone(f.CaughtBy)
		out = append(out, f)
	}
	return out
}

// SampledFaults are fault specs that strike only sometimes, each with the cases that must still
// catch it: a conformance case that samples too little misses them (selftest runs them too).
func SampledFaults() []Fault {
	return []Fault{{Name: "port-reuse:0.1",
		Description: "port-reuse striking 1 PASV/EPSV in 10: the passive-port cases must sample enough to catch it with 99 % probability",
		CaughtBy:    []string{"rfc959/4.1.2/pasv-distinct-ports-sessions"}},
		{Name: "no-ip-check:0.1",
			Description: "no-ip-check on 1 passive port in 10: the foreign-connection case must sample enough ports to catch it with 99 % probability",
			CaughtBy:    []string{"rfc2577/4/pasv-foreign-ip-refused"}}}
}

func faultNames() []string {
	var names []string
	for _, e := range catalogue() {
		names = append(names, e.Name)
	}
	return names
}

// probabilistic lists the faults that may strike only sometimes ("port-reuse:0.1"): one that
// strikes now and then is what a conformance run that samples too little misses.
var probabilistic = []string{"port-reuse", "no-ip-check"}

// parseFaultSpec splits "name" or "name:P" (0 < P <= 1, the chance the fault strikes each time
// its rule is exercised). A plain name strikes every time.
func parseFaultSpec(spec string) (name string, p float64, err error) {
	name, ps, hasP := strings.Cut(spec, ":")
	if !slices.Contains(faultNames(), name) {
		return name, 0, fmt.Errorf("unknown fault %q", name)
	}
	if !hasP {
		return name, 1, nil
	}
	if !slices.Contains(probabilistic, name) {
		return name, 0, fmt.Errorf("fault %q: a probability is supported for %s only", spec, strings.Join(probabilistic, ", "))
	}
	p, err = strconv.ParseFloat(ps, 64)
	if err != nil || !(p > 0 && p <= 1) {
		return name, 0, fmt.Errorf("fault %q: probability %q: want a number in (0, 1]", spec, ps)
	}
	return name, p, nil
}

func checkFault(spec string) error {
	_, _, err := parseFaultSpec(spec)
	return err
}

// faultSet is the set of fault modes a server runs with, with the probability of each that
// strikes only sometimes.
type faultSet struct {
	bits uint32
	odds map[fault]float64 // absent: strikes every time
}

func newFaultSet(specs []string) faultSet {
	var s faultSet
	for _, spec := range specs {
		name, p, err := parseFaultSpec(spec)
		if err != nil {
			continue // Config validation has refused it already
		}
		for _, e := range catalogue() {
			if e.Name == name {
				s.bits |= uint32(e.bit)
				if p < 1 {
					if s.odds == nil {
						s.odds = map[fault]float64{}
					}
					s.odds[e.bit] = p
				}
			}
		}
	}
	return s
}

func (s faultSet) has(f fault) bool { return s.bits&uint32(f) != 0 }

// strikes reports whether fault f acts this time: always for a plain fault, with its probability
// for one given as "name:P".
func (s faultSet) strikes(f fault) bool {
	if !s.has(f) {
		return false
	}
	p, ok := s.odds[f]
	return !ok || rand.Float64() < p
}
