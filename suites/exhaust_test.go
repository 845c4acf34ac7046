package suites

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

// TestExhaustMax: the exhaustion case runs on a range as large as --exhaust-max allows and
// catches a port outside it; a larger range is skipped with the flag to use; a server that limits
// sessions per client below the range size ends unsupported with the reason.
func TestExhaustMax(t *testing.T) {
	const id = "rfc959/4.1.2/pasv-range-exhausted"
	tests := []struct {
		name       string
		lo, hi     int
		faults     []string
		maxPerIP   int
		exhaustMax int
		want       reports.Outcome
		reason     string
	}{
		{"range above the default budget is skipped", 27000, 27099, []string{"out-of-range-port"}, 0, 0, reports.Skip, "--exhaust-max 100"},
		{"100-port range exhausted with --exhaust-max 100", 27100, 27199, []string{"out-of-range-port"}, 0, 100, reports.Warn, ""},
		{"correct server with --exhaust-max 100", 27200, 27299, nil, 0, 100, reports.Pass, ""},
		{"client limit below the range", 27300, 27347, nil, 10, 64, reports.Unsupported, "limit on sessions per client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := reference.Start(t, reference.Config{PasvPorts: reference.PortRange{Lo: tt.lo, Hi: tt.hi}, Faults: tt.faults,
				Limits: reference.Limits{LoginFailDelay: -1, MaxPerIP: tt.maxPerIP}})
			tg, err := target.Parse(srv.URL())
			require.NoError(t, err)
			res, err := Run(context.Background(), []Case{caseByID(t, id)}, Options{Target: tg,
				DeclaredRange: PortRange{tt.lo, tt.hi}, ExhaustMax: tt.exhaustMax})
			require.NoError(t, err)
			r := resultOf(t, res, id)
			assert.Equal(t, tt.want, r.Outcome, "%s %s %s", r.Expected, r.Actual, r.Reason)
			assert.Contains(t, r.Reason, tt.reason)
			if tt.want == reports.Warn {
				assert.Contains(t, r.Actual, "outside the range")
			}
		})
	}
}
