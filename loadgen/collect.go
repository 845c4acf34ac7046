package loadgen

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/ftpspec/ftpspec/reports"
)

// Phases of a transfer, in the order they happen.
const (
	phasePasv        = iota // PASV/EPSV/PORT/EPRT sent → reply
	phaseDataConnect        // reply → data connection open (includes waiting at the round's barrier)
	phaseFirstByte          // transfer command sent → first byte
	phaseDone               // first byte → final reply
	numPhases
)

// Histogram names in reports.Load.Histograms.
var phaseNames = [numPhases]string{"pasv", "data_connect", "first_byte", "done"}

// HDR histograms hold microseconds from 1 µs to an hour at 3 significant figures.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histSigFigs = 3
)

// result is what a session hands the collector for one finished transfer.
type result struct {
	rec            reports.TransferRecord
	ok             bool
	connect, login time.Duration // the session's, on its first transfer only
	phases         [numPhases]time.Duration
	latency        time.Duration // PASV sent to final reply, less time held at barriers
	cmdAt, doneAt  time.Time
	theft          *theft
	broke          bool
}

// collector turns the stream of results into the Load's numbers. It runs in one goroutine, so
// nothing in it is shared: the sessions' only contact with it is a channel send per transfer.
type collector struct {
	t0     time.Time
	limit  int
	hists  map[string]*hdrhistogram.Histogram
	series []reports.Second

	counts  reports.TransferCounts
	bytes   int64
	records []reports.TransferRecord

	firstStart, lastDone time.Time
	stolenBytes          int64
	broken               int
}

func newCollector(t0 time.Time, limit int) *collector {
	c := &collector{t0: t0, limit: limit, hists: map[string]*hdrhistogram.Histogram{}}
	for _, n := range append([]string{"connect", "login", "transfer"}, phaseNames[:]...) {
		c.hists[n] = hdrhistogram.New(histLowest, histHighest, histSigFigs)
	}
	return c
}

func micros(d time.Duration) int64 {
	us := int64(d / time.Microsecond)
	return min(max(us, histLowest), histHighest)
}

// add takes one result.
func (c *collector) add(r *result) {
	rec := &r.rec
	c.counts.Attempted++
	switch rec.Verdict {
	case reports.VerdictOK:
		c.counts.OK++
	case reports.VerdictMisrouted:
		c.counts.Misrouted++
	case reports.VerdictCorrupt:
		c.counts.Corrupt++
	case reports.VerdictStolen:
		c.counts.Stolen++
	default:
		c.counts.Failed++
	}
	if r.theft != nil {
		c.stolenBytes += r.theft.bytes
		if r.broke {
			c.broken++
		}
	}
	if r.connect > 0 {
		_ = c.hists["connect"].RecordValue(micros(r.connect))
		_ = c.hists["login"].RecordValue(micros(r.login))
	}
	if r.ok {
		if op := Op(rec.Op); !op.listing() {
			c.bytes += rec.Bytes // payload bytes; a listing's are not verified content
		}
		for i, d := range r.phases {
			_ = c.hists[phaseNames[i]].RecordValue(micros(d))
		}
		_ = c.hists["transfer"].RecordValue(micros(r.latency))
	}
	if !r.doneAt.IsZero() {
		start := c.t0.Add(time.Duration(rec.StartMS * float64(time.Millisecond)))
		if c.firstStart.IsZero() || start.Before(c.firstStart) {
			c.firstStart = start
		}
		if r.doneAt.After(c.lastDone) {
			c.lastDone = r.doneAt
		}
	}
	at := time.Now()
	if !r.doneAt.IsZero() {
		at = r.doneAt
	}
	sec := max(int(at.Sub(c.t0)/time.Second), 0)
	for len(c.series) <= sec {
		c.series = append(c.series, reports.Second{T: len(c.series)})
	}
	p := &c.series[sec]
	p.Transfers++
	if r.ok {
		if !Op(rec.Op).listing() {
			p.Bytes += rec.Bytes
		}
	} else {
		p.Errors++
	}
	c.records = append(c.records, *rec)
}

// load builds the result document's load section.
func (c *collector) load() *reports.Load {
	l := &reports.Load{
		Transfers:  c.counts,
		Bytes:      c.bytes,
		Histograms: map[string]*reports.Histogram{},
		Series:     c.series,
	}
	if span := c.lastDone.Sub(c.firstStart); span > 0 {
		l.DurationS = span.Seconds()
		l.ThroughputBytesPerS = float64(c.bytes) / l.DurationS
		l.TransfersPerS = float64(c.counts.OK) / l.DurationS
	}
	if c.counts.Attempted > 0 {
		l.ErrorRate = float64(c.counts.Attempted-c.counts.OK) / float64(c.counts.Attempted)
	}
	for name, h := range c.hists {
		if h.TotalCount() > 0 {
			l.Histograms[name] = reports.HistogramOf(h)
		}
	}
	l.LatencyMS = reports.PercentilesOf(c.hists["transfer"])
	return l
}

// keptRecords returns the records for the document: all of them up to the limit, else those
// that were not ok.
func (c *collector) keptRecords() ([]reports.TransferRecord, bool) {
	if c.limit <= 0 || len(c.records) <= c.limit {
		return c.records, false
	}
	var out []reports.TransferRecord
	for _, r := range c.records {
		if r.Verdict != reports.VerdictOK {
			out = append(out, r)
		}
	}
	return out, true
}
