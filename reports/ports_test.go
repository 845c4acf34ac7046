package reports

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rec is a transfer handed port at time `at` (ms) that stayed pending for `pending` ms.
func rec(port int, at, pending float64) TransferRecord {
	return TransferRecord{DataAddr: "127.0.0.1", DataPort: port, StartMS: at, PasvMS: 0, DataConnectMS: pending}
}

func TestAnalyzePorts(t *testing.T) {
	tests := []struct {
		name     string
		records  []TransferRecord
		declared string
		want     PortAnalysis
	}{
		{
			name:    "distinct ports",
			records: []TransferRecord{rec(40100, 0, 10), rec(40200, 0, 10), rec(40300, 1, 10)},
			want:    PortAnalysis{Distinct: 3, Min: 40100, Max: 40300},
		},
		{
			name:    "one port reused after the first transfer consumed it is not shared",
			records: []TransferRecord{rec(40100, 0, 10), rec(40100, 10, 10), rec(40100, 25, 5)},
			want:    PortAnalysis{Distinct: 1, Min: 40100, Max: 40100},
		},
		{
			name:    "one port handed to two pending transfers",
			records: []TransferRecord{rec(40100, 0, 10), rec(40100, 5, 10), rec(40200, 5, 10)},
			want:    PortAnalysis{Distinct: 2, SharedWhilePending: 2, Min: 40100, Max: 40200},
		},
		{
			name: "a long pending window overlapping two later ones marks all three",
			records: []TransferRecord{
				rec(40100, 0, 100), rec(40100, 10, 5), rec(40100, 50, 5), rec(40100, 200, 5),
			},
			want: PortAnalysis{Distinct: 1, SharedWhilePending: 3, Min: 40100, Max: 40100},
		},
		{
			name: "the shared-pasv-port fault: every transfer pending on one port at once",
			records: func() []TransferRecord {
				var rs []TransferRecord
				for i := range 100 {
					rs = append(rs, rec(40000, float64(i)*0.1, 50))
				}
				return rs
			}(),
			want: PortAnalysis{Distinct: 1, SharedWhilePending: 100, Min: 40000, Max: 40000},
		},
		{
			name: "the same port on two server addresses is not shared",
			records: []TransferRecord{
				{DataAddr: "127.0.0.1", DataPort: 40100, DataConnectMS: 10},
				{DataAddr: "127.0.0.3", DataPort: 40100, DataConnectMS: 10},
			},
			want: PortAnalysis{Distinct: 1, Min: 40100, Max: 40100},
		},
		{
			name:     "ports outside the declared range",
			records:  []TransferRecord{rec(40100, 0, 1), rec(39999, 2, 1), rec(41000, 4, 1), rec(40999, 6, 1)},
			declared: "40000-40999",
			want:     PortAnalysis{Distinct: 4, DeclaredRange: "40000-40999", OutOfRange: 2, Min: 39999, Max: 41000},
		},
		{
			name:     "an unparsable range checks nothing",
			records:  []TransferRecord{rec(1, 0, 1)},
			declared: "lots",
			want:     PortAnalysis{Distinct: 1, DeclaredRange: "lots", Min: 1, Max: 1},
		},
		{
			name:    "records without a port are ignored",
			records: []TransferRecord{{DataPort: 0, Verdict: VerdictFailed}, rec(40100, 0, 1)},
			want:    PortAnalysis{Distinct: 1, Min: 40100, Max: 40100},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, AnalyzePorts(tt.records, tt.declared))
		})
	}
}

func TestAnalyzePortsSequential(t *testing.T) {
	var seq, random []TransferRecord
	ports := []int{40711, 40032, 40589, 40990, 40123, 40457, 40888, 40301, 40664, 40045, 40520}
	for i := range 11 {
		seq = append(seq, rec(40000+i, float64(i), 0.5))
		random = append(random, rec(ports[i], float64(i), 0.5))
	}
	s := AnalyzePorts(seq, "")
	assert.True(t, s.Sequential)
	assert.Equal(t, 1.0, s.SequentialFraction)
	r := AnalyzePorts(random, "")
	assert.False(t, r.Sequential)
	assert.Zero(t, r.SequentialFraction)
	short := AnalyzePorts(seq[:3], "")
	assert.False(t, short.Sequential, "too few ports to judge")
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi int
		err    bool
	}{
		{"40000-40999", 40000, 40999, false},
		{" 1024 - 2048 ", 1024, 2048, false},
		{"2121", 2121, 2121, false},
		{"40999-40000", 0, 0, true},
		{"0-10", 0, 0, true},
		{"1-70000", 0, 0, true},
		{"a-b", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			lo, hi, err := ParsePortRange(tt.in)
			if tt.err {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.in)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, [2]int{tt.lo, tt.hi}, [2]int{lo, hi})
		})
	}
}

func TestActiveSources(t *testing.T) {
	tests := []struct {
		name string
		from []string
		want *ActiveSources
	}{
		{"passive run", []string{"", ""}, nil},
		{"ephemeral ports", []string{"198.19.2.2:40001", "198.19.2.2:40007", "198.19.2.2:40001"},
			&ActiveSources{Connections: 3, Distinct: 2, Min: 40001, Max: 40007}},
		{"RFC 959 default port 20", []string{"10.0.0.1:20", "10.0.0.1:20", "[::1]:50000"},
			&ActiveSources{Connections: 3, Distinct: 2, Privileged: 2, Min: 20, Max: 50000}},
		{"unparsable entries are ignored", []string{"nonsense", "1.2.3.4:x", "1.2.3.4:3000"},
			&ActiveSources{Connections: 1, Distinct: 1, Min: 3000, Max: 3000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var recs []TransferRecord
			for _, f := range tc.from {
				recs = append(recs, TransferRecord{DataPort: 30000 + len(recs), ActiveFrom: f})
			}
			assert.Equal(t, tc.want, AnalyzePorts(recs, "").ActiveSources)
		})
	}
}
