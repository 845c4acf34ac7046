package ftpwire

import (
	"slices"
	"sync"
	"time"

	"github.com/ftpspec/ftpspec/reports"
)

// Recorder receives transcript events. Event.Data is owned by the Recorder (the Conn copies the
// bytes before calling it); at is when the event happened. Implementations must be safe for
// concurrent use: a conformance case drives several connections at once.
type Recorder interface {
	Record(e reports.Event, at time.Time)
}

// Transcript is a Recorder that keeps events in order, timed from its start.
type Transcript struct {
	mu     sync.Mutex
	start  time.Time
	events []reports.Event
}

// NewTranscript starts a transcript at the current time.
func NewTranscript() *Transcript { return &Transcript{start: time.Now()} }

// Record appends e, stamping it with the time since the transcript started.
func (t *Transcript) Record(e reports.Event, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e.AtMS = float64(at.Sub(t.start).Microseconds()) / 1000
	t.events = append(t.events, e)
}

// Note records an explanation from the harness.
func (t *Transcript) Note(conn, detail string) {
	t.Record(reports.Event{Conn: conn, Kind: reports.Note, Detail: detail}, time.Now())
}

// Events returns a copy of the events recorded so far.
func (t *Transcript) Events() []reports.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.events)
}
