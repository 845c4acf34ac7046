package loadgen

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reports"
)

func TestLinesObserver(t *testing.T) {
	var buf bytes.Buffer
	l := NewLines(&buf, time.Hour)
	l.Phase("connect", 3)
	l.Progress(Progress{Phase: "connect", Done: 3, PhaseSize: 3})
	l.Phase("load", 10)
	l.Progress(Progress{Phase: "load", Planned: 10, Counts: reports.TransferCounts{Attempted: 4, OK: 3, Misrouted: 1}, Sessions: 3, OpenData: 2, PeakData: 3, Bytes: 3 << 20})
	l.Close()
	out := buf.String()
	assert.Contains(t, out, "connect: 3 to do\n")
	assert.Contains(t, out, "connect: 3/3")
	assert.Contains(t, out, "load: 10 to do\n")
	assert.Contains(t, out, "load: 4/10 transfers: 3 ok, 0 failed, 1 misrouted")
	assert.Contains(t, out, "peak 3")
	assert.Contains(t, out, "3.0 MiB")
	assert.Equal(t, strings.Count(out, "\n"), len(strings.Split(strings.TrimSpace(out), "\n")), "whole lines only")
}

func TestLinesObserverThrottles(t *testing.T) {
	var buf bytes.Buffer
	l := NewLines(&buf, time.Hour)
	l.Phase("load", 0)
	for range 100 {
		l.Progress(Progress{Phase: "load"})
	}
	assert.Equal(t, 1, strings.Count(buf.String(), "\n"), "no line before the interval passes: %q", buf.String())
}

func TestNewProgressPicksLinesForAFile(t *testing.T) {
	var buf bytes.Buffer
	_, ok := NewProgress(&buf, time.Second).(*Lines)
	assert.True(t, ok)
	assert.False(t, IsTerminal(&buf))
}

func TestBarsObserverDraws(t *testing.T) {
	var buf bytes.Buffer
	b := NewBars(&buf)
	b.Phase("load", 4)
	b.Progress(Progress{Phase: "load", Planned: 4, Counts: reports.TransferCounts{Attempted: 4, OK: 4}})
	b.Close()
	require.NotEmpty(t, buf.String())
	assert.Contains(t, buf.String(), "load")
}

// Phases with nothing to count get no bar and no line, and a phase that ends between two
// progress ticks ends full rather than as an empty "connect 0/0" (issue 11, item 16).
func TestProgressHidesPhasesWithNothingToDo(t *testing.T) {
	var buf bytes.Buffer
	b := NewBars(&buf)
	b.Phase("probe", 0)
	b.Phase("connect", 5) // no Progress tick arrives before the next phase
	b.Phase("load", 4)
	b.Progress(Progress{Phase: "load", Planned: 4, Counts: reports.TransferCounts{Attempted: 4, OK: 4}})
	b.Close()
	out := buf.String()
	assert.NotContains(t, out, "probe")
	assert.NotContains(t, out, "0/0")
	assert.Contains(t, out, "5/5")
	assert.Contains(t, out, "4/4")

	buf.Reset()
	l := NewLines(&buf, time.Hour)
	l.Phase("probe", 0)
	l.Phase("connect", 5)
	l.Close()
	assert.NotContains(t, buf.String(), "probe")
	assert.Contains(t, buf.String(), "connect: 5 to do")
}
