package reports

import (
	"fmt"
	"slices"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// HistogramOf exports an HDR histogram into the document's form. Trailing empty buckets are
// dropped (an import restores them as zeros), so a histogram sized for minutes of latency costs
// only the buckets up to its largest value.
func HistogramOf(h *hdrhistogram.Histogram) *Histogram {
	s := h.Export()
	counts := s.Counts
	for len(counts) > 0 && counts[len(counts)-1] == 0 {
		counts = counts[:len(counts)-1]
	}
	return &Histogram{
		LowestTrackableValue:  s.LowestTrackableValue,
		HighestTrackableValue: s.HighestTrackableValue,
		SignificantFigures:    s.SignificantFigures,
		Counts:                slices.Clip(counts),
	}
}

// HDR reconstructs the HDR histogram. Documents come from files, so the snapshot is validated
// first rather than trusted: a bad one is an error, not a panic or silently dropped counts.
func (h *Histogram) HDR() (*hdrhistogram.Histogram, error) {
	if h == nil {
		return nil, fmt.Errorf("histogram: missing")
	}
	s := &hdrhistogram.Snapshot{
		LowestTrackableValue:  h.LowestTrackableValue,
		HighestTrackableValue: h.HighestTrackableValue,
		SignificantFigures:    h.SignificantFigures,
		Counts:                h.Counts,
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	return hdrhistogram.Import(s), nil
}

// PercentilesOf summarises a histogram of microseconds as percentiles in milliseconds.
func PercentilesOf(h *hdrhistogram.Histogram) Percentiles {
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	v := h.ValueAtPercentiles([]float64{50, 90, 99, 99.9})
	return Percentiles{
		P50:  ms(v[50]),
		P90:  ms(v[90]),
		P99:  ms(v[99]),
		P999: ms(v[99.9]),
		Max:  ms(h.Max()),
		Mean: h.Mean() / 1000,
	}
}

// mergeHistograms merges histograms exactly into a new one whose range covers all of them.
func mergeHistograms(hs []*hdrhistogram.Histogram) (*hdrhistogram.Histogram, error) {
	if len(hs) == 0 {
		return nil, fmt.Errorf("no histograms")
	}
	lo, hi, sig := hs[0].LowestTrackableValue(), hs[0].HighestTrackableValue(), hs[0].SignificantFigures()
	for _, h := range hs[1:] {
		lo = min(lo, h.LowestTrackableValue())
		hi = max(hi, h.HighestTrackableValue())
		sig = max(sig, h.SignificantFigures())
	}
	out := hdrhistogram.New(lo, hi, int(sig))
	for _, h := range hs {
		if dropped := out.Merge(h); dropped != 0 {
			return nil, fmt.Errorf("%d values fell outside the merged range %d..%d", dropped, lo, hi)
		}
	}
	return out, nil
}
