package reports

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		expr   string
		metric string
		op     string
		value  float64
	}{
		{"misrouted==0", "misrouted", "==", 0},
		{"p99<250ms", "p99", "<", 250},
		{" p50 <= 1s ", "p50", "<=", 1000},
		{"p90<500us", "p90", "<", 0.5},
		{"max<2m", "max", "<", 120000},
		{"p999<300", "p999", "<", 300},
		{"p99.9<1s", "p999", "<", 1000},
		{"transfers_per_s>=3000", "transfers_per_s", ">=", 3000},
		{"tps>=3000/s", "transfers_per_s", ">=", 3000},
		{"error_rate<0.1%", "error_rate", "<", 0.001},
		{"error_rate<0.01", "error_rate", "<", 0.01},
		{"throughput_bytes_per_s>1e8", "throughput_bytes_per_s", ">", 1e8},
		{"throughput>=100MB/s", "throughput_bytes_per_s", ">=", 100e6},
		{"throughput>=1.5GiB/s", "throughput_bytes_per_s", ">=", 1.5 * (1 << 30)},
		{"throughput>=800Mbit/s", "throughput_bytes_per_s", ">=", 100e6},
		{"throughput>=1Gbps", "throughput_bytes_per_s", ">=", 125e6},
		{"bytes>=10MiB", "bytes", ">=", 10 << 20},
		{"failed!=1", "failed", "!=", 1},
		{"ok>999", "ok", ">", 999},
		{"attempted>=1000", "attempted", ">=", 1000},
		{"corrupt==0", "corrupt", "==", 0},
		{"stolen==0", "stolen", "==", 0},
		{"max_simultaneous_data_connections>=150", "max_simultaneous_data_connections", ">=", 150},
		{"distinct_ports>=100", "distinct_ports", ">=", 100},
		{"shared_while_pending==0", "shared_while_pending", "==", 0},
		{"out_of_range==0", "out_of_range", "==", 0},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			th, err := ParseThreshold(tt.expr)
			require.NoError(t, err)
			assert.Equal(t, tt.metric, th.Metric)
			assert.Equal(t, tt.op, th.Op)
			assert.InDelta(t, tt.value, th.Value, 1e-9*max(1, tt.value))
		})
	}
}

func TestParseThresholdErrors(t *testing.T) {
	tests := []struct {
		expr string
		want []string // substrings the message must hold
	}{
		{"latency<5ms", []string{`"latency<5ms"`, `unknown metric "latency"`, "known:", "p99", "transfers_per_s"}},
		{"p99<fast", []string{`"p99<fast"`, `bad number "fast"`}},
		{"p99<250kg", []string{`"p99<250kg"`, `bad unit "kg"`, "ns, us, ms"}},
		{"error_rate<5ms", []string{`bad unit "ms" for error_rate`, "percentage"}},
		{"misrouted==0%", []string{`bad unit "%" for misrouted`}},
		{"throughput>100MB/h", []string{`bad unit "MB/h"`}},
		{"p99=250ms", []string{"unknown operator"}},
		{"p99", []string{"no comparison operator"}},
		{"<250ms", []string{"no metric"}},
		{"p99<", []string{"no value"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := ParseThreshold(tt.expr)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestThresholdEval(t *testing.T) {
	l := &Load{
		Transfers:           TransferCounts{Attempted: 1000, OK: 998, Failed: 1, Misrouted: 1},
		ThroughputBytesPerS: 2e8, TransfersPerS: 3100, LatencyMS: Percentiles{P50: 12, P90: 80, P99: 240, Max: 900},
		DataPorts: PortAnalysis{Distinct: 1000},
	}
	tests := []struct {
		expr  string
		value float64
		pass  bool
	}{
		{"misrouted==0", 1, false},
		{"failed<=1", 1, true},
		{"p99<250ms", 240, true},
		{"p99<0.2s", 240, false},
		{"p50>=12", 12, true},
		{"max<1s", 900, true},
		{"transfers_per_s>=3000", 3100, true},
		{"error_rate<0.1%", 0.002, false},
		{"error_rate<=0.2%", 0.002, true},
		{"throughput>=100MB/s", 2e8, true},
		{"throughput>=1GB/s", 2e8, false},
		{"distinct_ports!=1000", 1000, false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			th, err := ParseThreshold(tt.expr)
			require.NoError(t, err)
			r := th.Eval(l)
			assert.Equal(t, tt.expr, r.Expr)
			assert.InDelta(t, tt.value, r.Value, 1e-12)
			assert.Equal(t, tt.pass, r.Pass)
		})
	}

	res, err := EvalThresholds([]string{"misrouted==0", "p99<250ms"}, l)
	require.NoError(t, err)
	assert.Equal(t, []ThresholdResult{{Expr: "misrouted==0", Value: 1, Pass: false}, {Expr: "p99<250ms", Value: 240, Pass: true}}, res)
	_, err = EvalThresholds([]string{"p99<250ms", "bogus>1"}, l)
	assert.ErrorContains(t, err, `unknown metric "bogus"`)
}
