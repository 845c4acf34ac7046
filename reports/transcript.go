package reports

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// EventKind says what a transcript event records.
type EventKind string

// Event kinds. Send and Recv carry the exact bytes on a control connection; the others describe
// connections and data transfers so that a reader sees the whole exchange in order.
const (
	Send  EventKind = "send"  // bytes the harness wrote
	Recv  EventKind = "recv"  // bytes the harness read
	Open  EventKind = "open"  // a connection was opened (Detail: local → remote)
	Close EventKind = "close" // a connection was closed (Detail: by whom, error)
	Data  EventKind = "data"  // a data connection finished (Port, Peer, Bytes, SHA256)
	Note  EventKind = "note"  // the harness explains a step
)

// Event is one entry of a case transcript. Data holds the exact bytes: JSON carries them as a string
// when they are valid UTF-8, and as base64 (with "b64": true) when they are not, so nothing is
// replaced by U+FFFD on the way.
type Event struct {
	AtMS   float64   `json:"t_ms"` // since the case started
	Conn   string    `json:"conn"` // "ctrl", "ctrl2", "data1", "thief" …: which connection
	Kind   EventKind `json:"kind"`
	Data   []byte    `json:"-"`
	Detail string    `json:"detail,omitempty"`
	Port   int       `json:"port,omitempty"`
	Peer   string    `json:"peer,omitempty"`
	Bytes  int64     `json:"bytes,omitempty"`
	SHA256 string    `json:"sha256,omitempty"`
}

type eventJSON struct {
	AtMS   float64   `json:"t_ms"`
	Conn   string    `json:"conn"`
	Kind   EventKind `json:"kind"`
	Data   *string   `json:"data,omitempty"`
	B64    bool      `json:"b64,omitempty"`
	Detail string    `json:"detail,omitempty"`
	Port   int       `json:"port,omitempty"`
	Peer   string    `json:"peer,omitempty"`
	Bytes  int64     `json:"bytes,omitempty"`
	SHA256 string    `json:"sha256,omitempty"`
}

// MarshalJSON keeps Data byte-exact.
func (e Event) MarshalJSON() ([]byte, error) {
	j := eventJSON{AtMS: e.AtMS, Conn: e.Conn, Kind: e.Kind, Detail: e.Detail, Port: e.Port, Peer: e.Peer, Bytes: e.Bytes, SHA256: e.SHA256}
	if e.Data != nil {
		s := string(e.Data)
		if !utf8.Valid(e.Data) {
			s = base64.StdEncoding.EncodeToString(e.Data)
			j.B64 = true
		}
		j.Data = &s
	}
	return json.Marshal(j)
}

// UnmarshalJSON reverses MarshalJSON.
func (e *Event) UnmarshalJSON(b []byte) error {
	var j eventJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = Event{AtMS: j.AtMS, Conn: j.Conn, Kind: j.Kind, Detail: j.Detail, Port: j.Port, Peer: j.Peer, Bytes: j.Bytes, SHA256: j.SHA256}
	if j.Data != nil {
		if j.B64 {
			d, err := base64.StdEncoding.DecodeString(*j.Data)
			if err != nil {
				return fmt.Errorf("transcript event data: %w", err)
			}
			e.Data = d
		} else {
			e.Data = []byte(*j.Data)
		}
	}
	return nil
}
