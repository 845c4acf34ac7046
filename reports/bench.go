package reports

import (
	"math"
	"slices"
	"strings"
)

// Bench is the result of `ftpspec bench`: FTP servers measured side by side in one sitting, in
// interleaved rounds, with the machine's own TCP ceiling measured in the same rounds. It keeps
// every round's raw values, so a later comparison can recompute any summary.
type Bench struct {
	Rounds    int            `json:"rounds"`
	Workloads []string       `json:"workloads"` // in the order they ran within a round
	Config    BenchConfig    `json:"config"`
	Machine   string         `json:"machine,omitempty"` // host name, CPUs, kernel: where the figures were taken
	Targets   []BenchTarget  `json:"targets"`
	Ceiling   []BenchCeiling `json:"ceiling,omitempty"` // one per distinct local address the targets are on
}

// Bench workloads, as named in Bench.Workloads and on the command line.
const (
	WorkloadCeiling = "ceiling"
	WorkloadRetr    = "retr"
	WorkloadStor    = "stor"
	WorkloadSmall   = "small"
	WorkloadLogins  = "logins"
	WorkloadIdle    = "idle"
)

// BenchWorkloads lists every workload in the order a round runs them.
var BenchWorkloads = []string{WorkloadCeiling, WorkloadRetr, WorkloadStor, WorkloadSmall, WorkloadLogins, WorkloadIdle}

// BenchConfig is the sizes and counts the workloads ran with.
type BenchConfig struct {
	BigSize        int64   `json:"big_size"`     // bytes of the RETR/STOR big file
	CeilingSize    int64   `json:"ceiling_size"` // bytes sent per ceiling measurement
	SmallSessions  int     `json:"small_sessions"`
	SmallTransfers int     `json:"small_transfers"` // per session
	SmallSize      int64   `json:"small_size"`
	Logins         int     `json:"logins"`
	LoginParallel  int     `json:"login_parallel"`
	IdleSessions   int     `json:"idle_sessions"`
	TimeoutS       float64 `json:"timeout_s"`
}

// BenchTarget is one server and every round measured against it.
type BenchTarget struct {
	Name        string `json:"name"`
	URL         string `json:"url"` // with any password removed
	PID         int    `json:"pid,omitempty"`
	Banner      string `json:"banner,omitempty"`
	CeilingAddr string `json:"ceiling_addr,omitempty"` // the BenchCeiling on this target's path, when it is local
	// Lost says why the target's remaining figures are missing: it stopped answering mid-bench.
	Lost   string       `json:"lost,omitempty"`
	Rounds []BenchRound `json:"rounds"`
}

// BenchRound is one round's raw values for one target; a workload that was switched off is nil,
// one that could not be measured is listed in Missing.
type BenchRound struct {
	Round   int          `json:"round"` // 1-based
	Retr    *BenchBig    `json:"retr,omitempty"`
	Stor    *BenchBig    `json:"stor,omitempty"`
	Small   *BenchSmall  `json:"small,omitempty"`
	Logins  *BenchLogins `json:"logins,omitempty"`
	Idle    *BenchIdle   `json:"idle,omitempty"`
	Missing []string     `json:"missing,omitempty"`
}

// BenchBig is one big-file transfer: one session, one file, every byte verified.
type BenchBig struct {
	Bytes     int64   `json:"bytes"` // verified bytes
	Seconds   float64 `json:"seconds"`
	BytesPerS float64 `json:"bytes_per_s"`
	OK        int     `json:"ok"`
	Attempted int     `json:"attempted"`
	Error     string  `json:"error,omitempty"`
}

// BenchSmall is one round of many small verified transfers in barrier rounds.
type BenchSmall struct {
	Transfers     TransferCounts `json:"transfers"`
	TransfersPerS float64        `json:"transfers_per_s"`
	P50MS         float64        `json:"p50_ms"`
	P99MS         float64        `json:"p99_ms"`
	Seconds       float64        `json:"seconds"`
	// FirstFailure is the first transfer that was not ok, as its verdict and error: the evidence
	// behind the counts.
	FirstFailure string `json:"first_failure,omitempty"`
	Error        string `json:"error,omitempty"`
}

// BenchLogins is sessions opened, logged in and closed as fast as a few parallel clients can.
type BenchLogins struct {
	OK        int     `json:"ok"`
	Attempted int     `json:"attempted"`
	Seconds   float64 `json:"seconds"`
	PerS      float64 `json:"per_s"` // ok logins per second
	Error     string  `json:"error,omitempty"`
}

// BenchIdle is K logged-in idle sessions held at once, with the server's memory when its process is known.
type BenchIdle struct {
	OK        int `json:"ok"` // sessions logged in and held
	Attempted int `json:"attempted"`
	// PSS of the server's process tree (the process and every descendant), in KiB, before the
	// sessions opened and while all of them were held; zero when no --pid was given.
	PSSBeforeKiB   int64   `json:"pss_before_kib,omitempty"`
	PSSAtKiB       int64   `json:"pss_at_kib,omitempty"`
	Processes      int     `json:"processes,omitempty"`       // in the tree while the sessions were held
	KiBPerSession  float64 `json:"kib_per_session,omitempty"` // (at − before) / ok
	MemoryMeasured bool    `json:"memory_measured"`
	Error          string  `json:"error,omitempty"`
}

// BenchCeiling is a single TCP stream on one address, sender and receiver inside ftpspec: the
// physical limit the big transfers are held against, measured in every round.
type BenchCeiling struct {
	Addr   string              `json:"addr"`
	Rounds []BenchCeilingRound `json:"rounds"`
}

// BenchCeilingRound is one round's ceiling: with sendfile (io.Copy from a file to the socket)
// and with a plain write loop from memory, each the better of two streams.
type BenchCeilingRound struct {
	Round             int     `json:"round"`
	SendfileBytesPerS float64 `json:"sendfile_bytes_per_s"`
	WriteBytesPerS    float64 `json:"write_bytes_per_s"`
	Error             string  `json:"error,omitempty"`
}

// BenchMetric is one figure a bench reports per target: how to read it from a round, its unit,
// and which way is better.
type BenchMetric struct {
	Name          string // as --tolerance names it
	Title         string
	Workload      string
	Unit          string // "B/s", "/s", "ms", "KiB"
	LowerIsBetter bool
	get           func(r *BenchRound) (v float64, ok, clean bool)
}

// BenchMetrics lists the per-target figures in display order.
var BenchMetrics = []BenchMetric{
	{"retr", "RETR big", WorkloadRetr, "B/s", false, func(r *BenchRound) (float64, bool, bool) {
		if r.Retr == nil || r.Retr.Attempted == 0 {
			return 0, false, false
		}
		return r.Retr.BytesPerS, true, r.Retr.OK == r.Retr.Attempted
	}},
	{"stor", "STOR big", WorkloadStor, "B/s", false, func(r *BenchRound) (float64, bool, bool) {
		if r.Stor == nil || r.Stor.Attempted == 0 {
			return 0, false, false
		}
		return r.Stor.BytesPerS, true, r.Stor.OK == r.Stor.Attempted
	}},
	{"small_tps", "small transfers", WorkloadSmall, "/s", false, func(r *BenchRound) (float64, bool, bool) {
		if r.Small == nil || r.Small.Transfers.Attempted == 0 {
			return 0, false, false
		}
		return r.Small.TransfersPerS, true, r.Small.Transfers.OK == r.Small.Transfers.Attempted
	}},
	{"small_p50", "small p50", WorkloadSmall, "ms", true, func(r *BenchRound) (float64, bool, bool) {
		if r.Small == nil || r.Small.Transfers.OK == 0 {
			return 0, false, false
		}
		return r.Small.P50MS, true, r.Small.Transfers.OK == r.Small.Transfers.Attempted
	}},
	{"small_p99", "small p99", WorkloadSmall, "ms", true, func(r *BenchRound) (float64, bool, bool) {
		if r.Small == nil || r.Small.Transfers.OK == 0 {
			return 0, false, false
		}
		return r.Small.P99MS, true, r.Small.Transfers.OK == r.Small.Transfers.Attempted
	}},
	{"logins", "logins", WorkloadLogins, "/s", false, func(r *BenchRound) (float64, bool, bool) {
		if r.Logins == nil || r.Logins.Attempted == 0 {
			return 0, false, false
		}
		return r.Logins.PerS, true, r.Logins.OK == r.Logins.Attempted
	}},
	{"idle_kib", "memory per idle session", WorkloadIdle, "KiB", true, func(r *BenchRound) (float64, bool, bool) {
		if r.Idle == nil || !r.Idle.MemoryMeasured {
			return 0, false, false
		}
		return r.Idle.KiBPerSession, true, r.Idle.OK == r.Idle.Attempted
	}},
	{"idle_pss", "server PSS with the idle sessions held", WorkloadIdle, "KiB", true, func(r *BenchRound) (float64, bool, bool) {
		if r.Idle == nil || !r.Idle.MemoryMeasured {
			return 0, false, false
		}
		return float64(r.Idle.PSSAtKiB), true, r.Idle.OK == r.Idle.Attempted
	}},
	{"idle_ok", "idle sessions held", WorkloadIdle, "", false, func(r *BenchRound) (float64, bool, bool) {
		if r.Idle == nil || r.Idle.Attempted == 0 {
			return 0, false, false
		}
		return float64(r.Idle.OK), true, r.Idle.OK == r.Idle.Attempted
	}},
}

// BenchMetricByName finds a bench metric.
func BenchMetricByName(name string) (BenchMetric, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, m := range BenchMetrics {
		if m.Name == n {
			return m, true
		}
	}
	return BenchMetric{}, false
}

// BenchSummary is one figure of one target over its rounds.
type BenchSummary struct {
	N                int     // rounds with a value
	Median, Min, Max float64 // over those rounds
	OK, Attempted    int     // summed over the rounds, for workloads that count units of work
	Clean            bool    // no round had a failure
	Missing          int     // rounds where the figure could not be measured
}

// Summary summarises metric m of target t over its rounds.
func (t *BenchTarget) Summary(m BenchMetric) BenchSummary {
	s := BenchSummary{Clean: true}
	var vals []float64
	for i := range t.Rounds {
		r := &t.Rounds[i]
		if slices.Contains(r.Missing, m.Workload) {
			s.Missing++
			continue
		}
		v, ok, clean := m.get(r)
		if !ok {
			continue
		}
		vals = append(vals, v)
		if !clean {
			s.Clean = false
		}
		ok2, att := r.counts(m.Workload)
		s.OK += ok2
		s.Attempted += att
	}
	s.N = len(vals)
	if s.N > 0 {
		s.Median, s.Min, s.Max = median(vals), slices.Min(vals), slices.Max(vals)
	}
	return s
}

// counts returns the units of work that succeeded and were attempted in a workload this round.
func (r *BenchRound) counts(workload string) (ok, attempted int) {
	switch workload {
	case WorkloadRetr:
		if r.Retr != nil {
			return r.Retr.OK, r.Retr.Attempted
		}
	case WorkloadStor:
		if r.Stor != nil {
			return r.Stor.OK, r.Stor.Attempted
		}
	case WorkloadSmall:
		if r.Small != nil {
			return r.Small.Transfers.OK, r.Small.Transfers.Attempted
		}
	case WorkloadLogins:
		if r.Logins != nil {
			return r.Logins.OK, r.Logins.Attempted
		}
	case WorkloadIdle:
		if r.Idle != nil {
			return r.Idle.OK, r.Idle.Attempted
		}
	}
	return 0, 0
}

// CeilingSummary summarises the ceiling at one address: sendfile and plain-write medians and ranges.
func (c *BenchCeiling) CeilingSummary() (sendfile, write BenchSummary) {
	var sf, wr []float64
	for _, r := range c.Rounds {
		if r.Error != "" {
			continue
		}
		sf = append(sf, r.SendfileBytesPerS)
		wr = append(wr, r.WriteBytesPerS)
	}
	mk := func(v []float64) BenchSummary {
		s := BenchSummary{N: len(v), Clean: true}
		if len(v) > 0 {
			s.Median, s.Min, s.Max = median(v), slices.Min(v), slices.Max(v)
		}
		return s
	}
	return mk(sf), mk(wr)
}

// CeilingFor returns the ceiling measured on target t's path, or nil.
func (b *Bench) CeilingFor(t *BenchTarget) *BenchCeiling {
	for i := range b.Ceiling {
		if t.CeilingAddr != "" && b.Ceiling[i].Addr == t.CeilingAddr {
			return &b.Ceiling[i]
		}
	}
	return nil
}

// BenchRank is a target's standing on one metric.
type BenchRank struct {
	Summary BenchSummary
	// Ratio to the best server's median (1 for the best); 0 when the target has no value or had
	// failures: a server that fails work is never ranked, so it can never look faster.
	Ratio float64
	Best  bool
}

// Rank summarises metric m for every target and relates each clean one to the best clean one.
// A lower-is-better figure of zero or less is not ranked either: a memory delta that did not
// grow says the server reused memory it already held, not that sessions cost nothing.
// For a lower-is-better metric the ratio is best/value, so that above 1 is never possible and
// 1 is always the best.
func (b *Bench) Rank(m BenchMetric) []BenchRank {
	out := make([]BenchRank, len(b.Targets))
	best, found := 0.0, false
	for i := range b.Targets {
		s := b.Targets[i].Summary(m)
		out[i].Summary = s
		if s.N == 0 || !s.Clean || (m.LowerIsBetter && s.Median <= 0) {
			continue
		}
		if !found || (m.LowerIsBetter && s.Median < best) || (!m.LowerIsBetter && s.Median > best) {
			best, found = s.Median, true
		}
	}
	for i := range out {
		s := out[i].Summary
		if !found || s.N == 0 || !s.Clean || (m.LowerIsBetter && s.Median <= 0) {
			continue
		}
		// A ratio needs positive figures (a PSS delta can be negative when a garbage-collected
		// server reuses memory it already held); otherwise only the best is marked.
		switch {
		case s.Median == best:
			out[i].Ratio = 1
		case m.LowerIsBetter && s.Median > 0 && best > 0:
			out[i].Ratio = best / s.Median
		case !m.LowerIsBetter && best > 0 && s.Median > 0:
			out[i].Ratio = s.Median / best
		}
		out[i].Best = s.Median == best
	}
	return out
}

// median of a non-empty slice (the mean of the middle two for an even count).
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// formatBenchValue writes a bench figure in its unit.
func formatBenchValue(m BenchMetric, v float64) string {
	switch m.Unit {
	case "B/s":
		return formatRate(v)
	case "/s":
		return formatFloat(v) + "/s"
	case "ms":
		return formatMS(v)
	case "KiB":
		if math.Abs(v) >= 10*1024 {
			return trimFloat(v/1024, 3) + " MiB"
		}
		return trimFloat(v, 3) + " KiB"
	}
	if v == math.Trunc(v) {
		return formatInt(int64(v))
	}
	return formatFloat(v)
}
