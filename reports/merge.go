package reports

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Merge combines runs of one target into one run: the shards of a sharded load run, or
// conformance runs split across processes. It is exact where the documents allow it:
//
//   - transfer counts, bytes and thieves add; HDR histograms merge bucket by bucket, and the
//     latency percentiles are recomputed from the merged "transfer" histogram;
//   - records are concatenated with their start times moved onto the merged run's clock (each
//     shard's Started), and the port analysis is recomputed from them;
//   - the per-second series are aligned on each run's Started time and added;
//   - throughput is the merged bytes over the union of the shards' durations, and transfers/s
//     the sum of each shard's transfers (its rate times its duration) over that union;
//   - error_rate is recomputed from the merged counts;
//   - max_simultaneous_data_connections is the sum of the shards' peaks: an upper bound, since
//     shards need not peak at the same moment;
//   - thresholds the shards carried are evaluated again on the merged result.
//
// Conformance cases are concatenated and recounted. Runs of different schemas or targets are
// refused: their numbers do not describe one server.
func Merge(runs []*Run) (*Run, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("merge: no runs")
	}
	first := runs[0]
	for i, r := range runs {
		if r == nil {
			return nil, fmt.Errorf("merge: run %d is nil", i+1)
		}
		if r.Schema != first.Schema {
			return nil, fmt.Errorf("merge: run %d has schema %q, run 1 has %q; convert them to one schema first", i+1, r.Schema, first.Schema)
		}
		// Embedded reference servers listen on a random port per command, so two runs against
		// "the embedded reference" name different URLs for the same server.
		if r.Target.URL != first.Target.URL && !(r.Target.Embedded && first.Target.Embedded) {
			return nil, fmt.Errorf("merge: run %d targets %q, run 1 targets %q; only runs against one target merge", i+1, r.Target.URL, first.Target.URL)
		}
	}
	out := &Run{
		Schema:  first.Schema,
		Tool:    first.Tool,
		Label:   first.Label,
		Target:  first.Target,
		Started: first.Started,
	}
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
	}
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
	if len(loads) > 0 {
		l, err := mergeLoads(loads, out.Started)
		if err != nil {
			return nil, err
		}
		out.Load = l
	}
	return out, nil
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
