package suites

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

func notes(r reports.CaseResult) string {
	var b strings.Builder
	for _, e := range r.Transcript {
		if e.Kind == "note" {
			b.WriteString(e.Detail + "\n")
		}
	}
	return b.String()
}

// TestForeignRefusedSamples: the foreign-connection case tries enough freshly advertised ports
// that a server letting a stranger in on 1 port in 10 is caught, says how many it tried, and
// tries no more than --exhaust-max allows. A correct server passes with the same sample.
func TestForeignRefusedSamples(t *testing.T) {
	const id = "rfc2577/4/pasv-foreign-ip-refused"
	tests := []struct {
		name       string
		fault      string
		exhaustMax int
		runs       int
		want       reports.Outcome
		wantNote   string
	}{
		{"correct server", "", 0, 1, reports.Pass, "trying 60 freshly advertised passive ports from 127.0.0.2"},
		// 1 - 0.9^60 = 99.8 %: five runs in a row all catch it with probability 99 %.
		{"1 port in 10 accepts strangers", "no-ip-check:0.1", 0, 5, reports.Advisory, "a sample of 60 freshly advertised ports"},
		{"bounded by --exhaust-max", "", 7, 1, reports.Pass, "trying 7 freshly advertised passive ports"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var faults []string
			if tt.fault != "" {
				faults = append(faults, tt.fault)
			}
			_, opts := startReference(t, reference.PortRange{Lo: 19200 + 100*i, Hi: 19200 + 100*i + 99}, faults...)
			opts.ExhaustMax = tt.exhaustMax
			for run := 0; run < tt.runs; run++ {
				res, err := Run(context.Background(), []Case{caseByID(t, id)}, opts)
				require.NoError(t, err)
				require.Len(t, res.Cases, 1)
				r := res.Cases[0]
				require.Equal(t, tt.want, r.Outcome, "run %d: %s %s %s", run, r.Reason, r.Actual, notes(r))
				assert.Contains(t, notes(r)+r.Actual, tt.wantNote, fmt.Sprintf("run %d", run))
			}
		})
	}
}
