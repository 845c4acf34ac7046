package reports

import "fmt"

// Load is the result of a load run: what was asked, what happened to every transfer, and the
// evidence (data ports, thieves, latency histograms) that a transfer went where it belonged.
type Load struct {
	Scenario            string `json:"scenario,omitempty"` // scenario file name, when one was used
	Sessions            int    `json:"sessions"`
	TransfersPerSession int    `json:"transfers_per_session"`
	Size                int64  `json:"size"`             // bytes per transfer (the mean, when sizes vary)
	DataMode            string `json:"data_mode"`        // epsv, pasv, port, eprt, or mixed
	TLS                 string `json:"tls,omitempty"`    // none, explicit or implicit
	Source              string `json:"source,omitempty"` // the client address(es) sessions came from
	Shard               *Shard `json:"shard,omitempty"`

	Transfers                      TransferCounts `json:"transfers"`
	Bytes                          int64          `json:"bytes"` // verified payload bytes
	DurationS                      float64        `json:"duration_s"`
	ThroughputBytesPerS            float64        `json:"throughput_bytes_per_s"`
	TransfersPerS                  float64        `json:"transfers_per_s"`
	ErrorRate                      float64        `json:"error_rate"` // (attempted-ok)/attempted
	LatencyMS                      Percentiles    `json:"latency_ms"` // whole transfer: PASV sent to final reply
	MaxSimultaneousDataConnections int            `json:"max_simultaneous_data_connections"`
	DataPorts                      PortAnalysis   `json:"data_ports"`
	Thieves                        *Thieves       `json:"thieves,omitempty"`
	Preparation                    *Preparation   `json:"preparation,omitempty"` // uploading the files the sessions download

	// Histograms holds one HDR histogram per phase ("connect", "login", "pasv", "data_connect",
	// "first_byte", "done") and "transfer" for the whole; values in microseconds. Kept whole so that
	// shards merge exactly and percentiles can be recomputed from the JSON.
	Histograms map[string]*Histogram `json:"histograms,omitempty"`
	Series     []Second              `json:"series,omitempty"` // one point per second of the run
	Thresholds []ThresholdResult     `json:"thresholds,omitempty"`
	Records    []TransferRecord      `json:"records,omitempty"` // every transfer (or, past RecordsLimit, every one that was not ok)
	Truncated  bool                  `json:"records_truncated,omitempty"`
}

// Preparation is what it took to put the run's files on the server before the load. Refusals
// the server gave to a plain upload outside any load are findings about it, counted here.
type Preparation struct {
	Files    int            `json:"files"`              // files uploaded
	Retries  int            `json:"retries"`            // attempts repeated after a transient refusal
	Refusals map[string]int `json:"refusals,omitempty"` // what was refused, "EPSV 425" → times
}

// Shard says which share of a larger run this is.
type Shard struct {
	Index int    `json:"index"` // 1-based
	Count int    `json:"count"`
	Run   string `json:"run,omitempty"` // identity shared by the shards of one run (merge refuses to mix runs)
}

func (s *Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// TransferCounts counts transfers by verdict.
type TransferCounts struct {
	Attempted int `json:"attempted"`
	OK        int `json:"ok"`
	Failed    int `json:"failed"`
	Misrouted int `json:"misrouted"`
	Corrupt   int `json:"corrupt"`
	Stolen    int `json:"stolen"` // transfers whose bytes (some or all) a thief received, or that a thief broke
}

// Percentiles summarises a latency distribution in milliseconds.
type Percentiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999,omitempty"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean,omitempty"`
}

// Histogram is an HDR histogram in exportable form (the fields of hdrhistogram.Snapshot).
type Histogram struct {
	LowestTrackableValue  int64   `json:"lowest"`
	HighestTrackableValue int64   `json:"highest"`
	SignificantFigures    int64   `json:"sigfigs"`
	Counts                []int64 `json:"counts"`
}

// PortAnalysis is the evidence about passive (or active) data ports.
type PortAnalysis struct {
	Distinct           int     `json:"distinct"`
	SharedWhilePending int     `json:"shared_while_pending"` // transfers given a port another pending transfer also held
	DeclaredRange      string  `json:"declared_range,omitempty"`
	OutOfRange         int     `json:"out_of_range,omitempty"`
	Min                int     `json:"min,omitempty"`
	Max                int     `json:"max,omitempty"`
	Sequential         bool    `json:"sequential,omitempty"` // successive ports mostly differ by a small constant (RFC 2577 §5)
	SequentialFraction float64 `json:"sequential_fraction,omitempty"`
	AddressMismatches  int     `json:"address_mismatches,omitempty"` // 227 replies whose address differs from the control connection's
	// ActiveSources describes where the server's active-mode (PORT/EPRT) data connections came
	// from, as the client saw them (after any NAT on the way).
	ActiveSources *ActiveSources `json:"active_sources,omitempty"`
}

// ActiveSources summarises the source ports of the data connections a server opened in active
// mode. RFC 959 §3.2 makes L-1 (port 20 for a server on 21) the server's default data port; it
// needs privileges, so most servers use an ephemeral port instead.
type ActiveSources struct {
	Connections int `json:"connections"`
	Distinct    int `json:"distinct"`
	Privileged  int `json:"privileged"` // from a port below 1024 (port 20 among them)
	Min         int `json:"min"`
	Max         int `json:"max"`
}

// Thieves records connection attempts from another address to ports handed to other sessions.
type Thieves struct {
	Source      string `json:"source"`
	Attempts    int    `json:"attempts"`
	Connected   int    `json:"connected"`    // TCP connect succeeded (the server may still close it at once)
	BytesStolen int64  `json:"bytes_stolen"` // payload bytes a thief received
	Broken      int    `json:"broken"`       // legitimate transfers that failed while a thief was on their port
}

// Second is one point of the per-second time series.
type Second struct {
	T         int   `json:"t"` // seconds since the start
	Transfers int   `json:"transfers"`
	Bytes     int64 `json:"bytes"`
	Errors    int   `json:"errors"`
}

// ThresholdResult is one evaluated threshold expression.
type ThresholdResult struct {
	Expr  string  `json:"expr"`
	Value float64 `json:"value"`
	Pass  bool    `json:"pass"`
}

// Verdict is what happened to one transfer.
type Verdict string

// Verdicts of a transfer.
const (
	VerdictOK        Verdict = "ok"
	VerdictFailed    Verdict = "failed"    // a reply code or a network error
	VerdictCorrupt   Verdict = "corrupt"   // bytes wrong, not recognisable as another transfer's
	VerdictMisrouted Verdict = "misrouted" // bytes belong to another transfer's file (From)
	VerdictStolen    Verdict = "stolen"    // a thief received this transfer's bytes
)

// TransferRecord is one transfer with its evidence.
type TransferRecord struct {
	Session  int    `json:"session"`
	Index    int    `json:"index"`
	Op       string `json:"op"` // RETR, STOR, APPE, LIST, MLSD
	File     string `json:"file"`
	Source   string `json:"source,omitempty"`    // local address the session used
	DataAddr string `json:"data_addr,omitempty"` // address in the 227/229 reply
	DataPort int    `json:"data_port"`
	// ActiveFrom is, in active mode (PORT/EPRT), the address and source port the server's data
	// connection came from, as the client saw it.
	ActiveFrom string  `json:"active_from,omitempty"`
	Replies    []int   `json:"replies"` // every reply code of this transfer, in order
	Bytes      int64   `json:"bytes"`
	Verdict    Verdict `json:"verdict"`
	From       string  `json:"from,omitempty"`   // for misrouted: the file the bytes belong to
	Offset     int64   `json:"offset,omitempty"` // first offset where the bytes went wrong
	Error      string  `json:"error,omitempty"`
	StartMS    float64 `json:"start_ms"` // since the run started
	// Phase durations in milliseconds.
	ConnectMS     float64 `json:"connect_ms,omitempty"`
	LoginMS       float64 `json:"login_ms,omitempty"`
	PasvMS        float64 `json:"pasv_ms,omitempty"`
	DataConnectMS float64 `json:"data_connect_ms,omitempty"`
	FirstByteMS   float64 `json:"first_byte_ms,omitempty"`
	DoneMS        float64 `json:"done_ms,omitempty"`
}
