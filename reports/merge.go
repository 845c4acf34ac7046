package reports

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Merge combines runs of one target into one run: the shards of a sharded load run, or
// conformance runs split across processes, or a conformance run with a load run. It is exact
// where the documents allow it:
//
//   - a single load result (a conformance run merged with a load run) is kept as it is: its
//     rates were measured over its own time, and the conformance run's time has nothing to do
//     with them;
//   - several load results must be the shards of one load run (same count and run identity,
//     each index once); then transfer counts, bytes and thieves add; HDR histograms merge bucket
//     by bucket, and the latency percentiles are recomputed from the merged "transfer" histogram;
//   - records are concatenated with their start times moved onto the merged run's clock (each
//     shard's Started), and the port analysis is recomputed from them;
//   - the per-second series are aligned on each run's Started time and added;
//   - throughput is the merged bytes over the union of the shards' durations, and transfers/s
//     the sum of each shard's transfers (its rate times its duration) over that union;
//   - error_rate is recomputed from the merged counts;
//   - max_simultaneous_data_connections is the sum of the shards' peaks: an upper bound, since
//     shards need not peak at the same moment;
//   - thresholds the shards carried are evaluated again on the merged result;
//   - missing shards make the result partial, saying which.
//
// Conformance cases are concatenated and recounted; the same case (ID and TLS mode) twice is
// refused, since it means one document was given twice. Runs of different schemas or targets are
// refused: their numbers do not describe one server.
func Merge(runs []*Run) (*Run, error) {
	names := make([]string, len(runs))
	for i := range runs {
		names[i] = fmt.Sprintf("run %d", i+1)
	}
	return MergeNamed(names, runs)
}

// MergeNamed is Merge with a name for each run (its file), used in the errors.
func MergeNamed(names []string, runs []*Run) (*Run, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("merge: no runs")
	}
	if len(names) != len(runs) {
		return nil, fmt.Errorf("merge: %d names for %d runs", len(names), len(runs))
	}
	for i := range names {
		for j := range i {
			if names[i] == names[j] {
				return nil, fmt.Errorf("merge: %s is given twice (documents %d and %d): merging it with itself would count everything twice", names[i], j+1, i+1)
			}
		}
	}
	first := runs[0]
	for i, r := range runs {
		if r == nil {
			return nil, fmt.Errorf("merge: %s is nil", names[i])
		}
		if r.Schema != first.Schema {
			return nil, fmt.Errorf("merge: %s has schema %q, %s has %q; convert them to one schema first", names[i], r.Schema, names[0], first.Schema)
		}
		// Embedded reference servers listen on a random port per command, so two runs against
		// "the embedded reference" name different URLs for the same server.
		if r.Target.URL != first.Target.URL && !(r.Target.Embedded && first.Target.Embedded) {
			return nil, fmt.Errorf("merge: %s targets %q, %s targets %q; only runs against one target merge", names[i], r.Target.URL, names[0], first.Target.URL)
		}
	}
	if err := checkNoDuplicateCases(names, runs); err != nil {
		return nil, err
	}
	missing, err := checkShards(names, runs)
	if err != nil {
		return nil, err
	}
	out := &Run{
		Schema:  first.Schema,
		Tool:    first.Tool,
		Label:   first.Label,
		Target:  first.Target,
		Started: first.Started,
	}
	var reasons []string
	for _, r := range runs {
		if r.Label != out.Label {
			out.Label = ""
		}
		if !r.Started.IsZero() && (out.Started.IsZero() || r.Started.Before(out.Started)) {
			out.Started = r.Started
		}
		if r.Finished.After(out.Finished) {
			out.Finished = r.Finished
		}
		out.Partial = out.Partial || r.Partial
		if out.Lab == nil {
			out.Lab = r.Lab // a lab's findings describe the whole run; runs carry one at most
		}
		if r.PartialReason != "" && !contains(reasons, r.PartialReason) {
			reasons = append(reasons, r.PartialReason)
		}
		if out.Target.Banner == "" && r.Target.Banner != "" {
			out.Target.Banner, out.Target.Syst, out.Target.Feat = r.Target.Banner, r.Target.Syst, r.Target.Feat
		}
	}
	if missing != "" {
		out.Partial = true
		reasons = append(reasons, missing)
	}
	out.PartialReason = strings.Join(reasons, "; ")
	var confs []*Conformance
	var loads []*Run
	for _, r := range runs {
		if r.Conformance != nil {
			confs = append(confs, r.Conformance)
		}
		if r.Load != nil {
			loads = append(loads, r)
		}
	}
	if len(confs) > 0 {
		c := &Conformance{}
		for _, x := range confs {
			if c.Profile == nil {
				c.Profile = x.Profile
			}
			c.Strict = c.Strict || x.Strict
			c.Cases = append(c.Cases, x.Cases...)
		}
		c.Recount()
		out.Conformance = c
	}
	for i, r := range runs {
		if r.Bench != nil {
			// A bench's rounds are one sitting: two sittings side by side are a comparison.
			if out.Bench != nil {
				return nil, fmt.Errorf("merge: run %d holds a bench and so does an earlier run; benches do not merge (compare them)", i+1)
			}
			out.Bench = r.Bench
		}
	}
	switch {
	case len(loads) == 1 && missing == "":
		// One load run: its figures are the measurement. Recomputing them over the merged run's
		// span (which includes a conformance run's time) would divide by the wrong duration.
		l := *loads[0].Load
		out.Load = &l
	case len(loads) > 0:
		l, err := mergeLoads(loads, out.Started)
		if err != nil {
			return nil, err
		}
		out.Load = l
	}
	return out, nil
}

// checkNoDuplicateCases refuses two runs holding the same case in the same TLS mode: merged,
// it would be counted twice.
func checkNoDuplicateCases(names []string, runs []*Run) error {
	seen := map[CaseKey]int{}
	for i, r := range runs {
		if r.Conformance == nil {
			continue
		}
		for _, c := range r.Conformance.Cases {
			k := CaseKey{c.ID, c.TLS}
			if k.TLS == "none" {
				k.TLS = ""
			}
			j, dup := seen[k]
			if dup && j != i {
				return fmt.Errorf("merge: %s and %s both hold case %s: merging them would count it twice (is one document given twice?)", names[j], names[i], k)
			}
			seen[k] = i
		}
	}
	return nil
}

// checkShards refuses load results that are not the shards of one load run, and says which
// shards are missing (the merge is then partial).
func checkShards(names []string, runs []*Run) (missing string, err error) {
	var idx []int
	for i, r := range runs {
		if r.Load != nil {
			idx = append(idx, i)
		}
	}
	if len(idx) < 2 {
		if len(idx) == 1 {
			if sh := runs[idx[0]].Load.Shard; sh != nil && sh.Count > 1 {
				return missingShards(sh.Count, map[int]bool{sh.Index: true}), nil
			}
		}
		return "", nil
	}
	firstI := idx[0]
	first := runs[firstI].Load.Shard
	have := map[int]int{}
	for _, i := range idx {
		sh := runs[i].Load.Shard
		switch {
		case i == firstI:
		case sh == nil && first == nil:
			return "", fmt.Errorf("merge: %s and %s are two separate load runs, not shards of one: their rates cannot be added (compare them with 'ftpspec compare', or show both with 'ftpspec report')", names[firstI], names[i])
		case sh == nil || first == nil:
			a, b := firstI, i
			if first == nil {
				a, b = i, firstI
			}
			return "", fmt.Errorf("merge: %s is shard %s of a load run but %s is a whole load run; only the shards of one load run merge", names[a], runs[a].Load.Shard, names[b])
		case sh.Count != first.Count:
			return "", fmt.Errorf("merge: %s is shard %s but %s is shard %s: shards of one run have the same count", names[firstI], first, names[i], sh)
		case sh.Run != first.Run:
			return "", fmt.Errorf("merge: %s belongs to load run %q but %s to load run %q: only the shards of one load run merge", names[firstI], first.Run, names[i], sh.Run)
		}
		if sh == nil {
			continue // the first of several whole runs; the next one is refused
		}
		if j, dup := have[sh.Index]; dup {
			return "", fmt.Errorf("merge: %s and %s are both shard %s: merging them would count its transfers twice", names[j], names[i], sh)
		}
		have[sh.Index] = i
	}
	got := map[int]bool{}
	for k := range have {
		got[k] = true
	}
	return missingShards(first.Count, got), nil
}

func missingShards(count int, got map[int]bool) string {
	var miss []string
	for k := 1; k <= count; k++ {
		if !got[k] {
			miss = append(miss, fmt.Sprintf("%d/%d", k, count))
		}
	}
	if len(miss) == 0 {
		return ""
	}
	return "load shard(s) " + strings.Join(miss, ", ") + " missing from the merge"
}

// offsetMS is how much later than the merged start a run started.
func offsetMS(r *Run, start time.Time) float64 {
	if r.Started.IsZero() || start.IsZero() {
		return 0
	}
	return float64(r.Started.Sub(start)) / float64(time.Millisecond)
}

func mergeLoads(runs []*Run, start time.Time) (*Load, error) {
	first := runs[0].Load
	l := &Load{
		Scenario:            first.Scenario,
		TransfersPerSession: first.TransfersPerSession,
		DataMode:            first.DataMode,
		TLS:                 first.TLS,
		DataPorts:           PortAnalysis{DeclaredRange: first.DataPorts.DeclaredRange},
	}
	var sources []string
	var sizeWeighted, sizeWeight float64
	var end float64 // union end, in seconds since start
	var transfersDone float64
	var truncated bool
	hists := map[string][]*hdrhistogram.Histogram{}
	var thresholdExprs []string
	series := map[int]*Second{}
	lastSecond := -1

	for i, r := range runs {
		x := r.Load
		name := fmt.Sprintf("run %d", i+1)
		if x.Shard != nil {
			name = fmt.Sprintf("shard %d/%d", x.Shard.Index, x.Shard.Count)
		}
		off := offsetMS(r, start)
		l.Sessions += x.Sessions
		if x.TransfersPerSession != l.TransfersPerSession {
			l.TransfersPerSession = 0
		}
		if x.Scenario != l.Scenario {
			l.Scenario = ""
		}
		if x.DataMode != l.DataMode {
			l.DataMode = "mixed"
		}
		if x.TLS != l.TLS {
			l.TLS = "mixed"
		}
		if x.Source != "" && !contains(sources, x.Source) {
			sources = append(sources, x.Source)
		}
		if x.DataPorts.DeclaredRange != l.DataPorts.DeclaredRange {
			return nil, fmt.Errorf("merge: %s declares data port range %q, run 1 declares %q", name, x.DataPorts.DeclaredRange, l.DataPorts.DeclaredRange)
		}
		w := float64(x.Transfers.Attempted)
		sizeWeighted += float64(x.Size) * w
		sizeWeight += w

		l.Transfers.Attempted += x.Transfers.Attempted
		l.Transfers.OK += x.Transfers.OK
		l.Transfers.Failed += x.Transfers.Failed
		l.Transfers.Misrouted += x.Transfers.Misrouted
		l.Transfers.Corrupt += x.Transfers.Corrupt
		l.Transfers.Stolen += x.Transfers.Stolen
		l.Bytes += x.Bytes
		l.MaxSimultaneousDataConnections += x.MaxSimultaneousDataConnections
		l.DataPorts.AddressMismatches += x.DataPorts.AddressMismatches

		end = math.Max(end, off/1000+x.DurationS)
		transfersDone += x.TransfersPerS * x.DurationS

		if x.Thieves != nil {
			if l.Thieves == nil {
				l.Thieves = &Thieves{Source: x.Thieves.Source}
			} else if x.Thieves.Source != l.Thieves.Source && !strings.Contains(l.Thieves.Source, x.Thieves.Source) {
				l.Thieves.Source += ", " + x.Thieves.Source
			}
			l.Thieves.Attempts += x.Thieves.Attempts
			l.Thieves.Connected += x.Thieves.Connected
			l.Thieves.BytesStolen += x.Thieves.BytesStolen
			l.Thieves.Broken += x.Thieves.Broken
		}

		for hn, h := range x.Histograms {
			hh, err := h.HDR()
			if err != nil {
				return nil, fmt.Errorf("merge: %s: histogram %q: %w", name, hn, err)
			}
			hists[hn] = append(hists[hn], hh)
		}

		shift := int(math.Round(off / 1000))
		for _, s := range x.Series {
			t := s.T + shift
			p := series[t]
			if p == nil {
				p = &Second{T: t}
				series[t] = p
			}
			p.Transfers += s.Transfers
			p.Bytes += s.Bytes
			p.Errors += s.Errors
			lastSecond = max(lastSecond, t)
		}

		for _, rec := range x.Records {
			rec.StartMS += off
			l.Records = append(l.Records, rec)
		}
		truncated = truncated || x.Truncated

		for _, t := range x.Thresholds {
			if !contains(thresholdExprs, t.Expr) {
				thresholdExprs = append(thresholdExprs, t.Expr)
			}
		}
	}
	l.Source = strings.Join(sources, ", ")
	if sizeWeight > 0 {
		l.Size = int64(math.Round(sizeWeighted / sizeWeight))
	} else {
		l.Size = first.Size
	}
	l.Truncated = truncated
	l.DurationS = end
	if end > 0 {
		l.ThroughputBytesPerS = float64(l.Bytes) / end
		l.TransfersPerS = transfersDone / end
	}
	if l.Transfers.Attempted > 0 {
		l.ErrorRate = float64(l.Transfers.Attempted-l.Transfers.OK) / float64(l.Transfers.Attempted)
	}

	if len(hists) > 0 {
		l.Histograms = map[string]*Histogram{}
		for hn, hs := range hists {
			m, err := mergeHistograms(hs)
			if err != nil {
				return nil, fmt.Errorf("merge: histogram %q: %w", hn, err)
			}
			l.Histograms[hn] = HistogramOf(m)
		}
	}
	if h, ok := l.Histograms["transfer"]; ok {
		hh, _ := h.HDR()
		l.LatencyMS = PercentilesOf(hh)
	} else {
		// Without histograms percentiles cannot be merged; the worst shard's figures are an
		// upper bound, which is the safe side for a threshold.
		for _, r := range runs {
			p := r.Load.LatencyMS
			l.LatencyMS.P50 = math.Max(l.LatencyMS.P50, p.P50)
			l.LatencyMS.P90 = math.Max(l.LatencyMS.P90, p.P90)
			l.LatencyMS.P99 = math.Max(l.LatencyMS.P99, p.P99)
			l.LatencyMS.P999 = math.Max(l.LatencyMS.P999, p.P999)
			l.LatencyMS.Max = math.Max(l.LatencyMS.Max, p.Max)
		}
	}

	for t := 0; t <= lastSecond; t++ {
		if p := series[t]; p != nil {
			l.Series = append(l.Series, *p)
		} else {
			l.Series = append(l.Series, Second{T: t})
		}
	}

	pa := AnalyzePorts(l.Records, l.DataPorts.DeclaredRange)
	pa.AddressMismatches = l.DataPorts.AddressMismatches
	if truncated || len(l.Records) == 0 {
		// Records are missing or incomplete, so counts from them are lower bounds; the shards'
		// own analyses saw every transfer.
		var shared, out, distinct int
		for _, r := range runs {
			d := r.Load.DataPorts
			shared += d.SharedWhilePending
			out += d.OutOfRange
			distinct = max(distinct, d.Distinct)
			if d.Min > 0 && (pa.Min == 0 || d.Min < pa.Min) {
				pa.Min = d.Min
			}
			pa.Max = max(pa.Max, d.Max)
		}
		pa.SharedWhilePending = max(pa.SharedWhilePending, shared)
		pa.OutOfRange = max(pa.OutOfRange, out)
		pa.Distinct = max(pa.Distinct, distinct)
	}
	l.DataPorts = pa

	for _, e := range thresholdExprs {
		t, err := ParseThreshold(e)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		l.Thresholds = append(l.Thresholds, t.Eval(l))
	}
	return l, nil
}
