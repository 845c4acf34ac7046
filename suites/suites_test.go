package suites

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

// testRange is a passive range outside Linux's ephemeral ports, distinct per test server so
// parallel tests do not compete.
func startReference(t *testing.T, pasv reference.PortRange, faults ...string) (*reference.Server, Options) {
	t.Helper()
	srv := reference.Start(t, reference.Config{
		PasvPorts:         pasv,
		ImplicitTLSListen: "127.0.0.1:0",
		Faults:            faults,
		Limits:            reference.Limits{LoginFailDelay: -1},
	})
	tg, err := target.Parse(srv.URL())
	require.NoError(t, err)
	return srv, Options{
		Target:        tg,
		ImplicitAddr:  srv.ImplicitTLSAddr(),
		DeclaredRange: PortRange{pasv.Lo, pasv.Hi},
		Parallel:      6,
		Timeout:       15 * time.Second,
	}
}

// summarize lists the results that are not pass, for failure messages.
func summarize(res *reports.Conformance, keep func(reports.CaseResult) bool) []string {
	var out []string
	for _, r := range res.Cases {
		if keep(r) {
			s := fmt.Sprintf("%s [%s] %s", r.ID, r.TLS, r.Outcome)
			if r.Expected != "" || r.Actual != "" {
				s += fmt.Sprintf(": expected %s, got %s", r.Expected, r.Actual)
			}
			if r.Reason != "" {
				s += ": " + r.Reason
			}
			out = append(out, s)
		}
	}
	return out
}

func TestReferencePassesEverything(t *testing.T) {
	for _, mode := range []string{ModeNone, ModeExplicit, ModeImplicit} {
		t.Run(mode, func(t *testing.T) {
			if testing.Short() && mode != ModeNone {
				t.Skip("TLS modes in -short")
			}
			_, opts := startReference(t, reference.PortRange{Lo: 21000 + 1000*modeIndex(mode), Hi: 21999 + 1000*modeIndex(mode)})
			opts.TLS = mode
			res, err := Run(context.Background(), All(), opts)
			require.NoError(t, err)
			bad := summarize(res, func(r reports.CaseResult) bool {
				return r.Outcome == reports.Fail || r.Outcome == reports.Error || r.Outcome == reports.Warn
			})
			assert.Empty(t, bad, "the reference must pass every case:\n%s", strings.Join(bad, "\n"))
			other := summarize(res, func(r reports.CaseResult) bool {
				return r.Outcome != reports.Pass && r.Outcome != reports.Fail && r.Outcome != reports.Error && r.Outcome != reports.Warn
			})
			t.Logf("%d cases; not run or not applicable:\n%s", len(res.Cases), strings.Join(other, "\n"))
			assert.Equal(t, len(res.Cases), res.Totals.Pass+res.Totals.Skip+res.Totals.Unsupported+res.Totals.Fail+res.Totals.Warn+res.Totals.Error)
			require.NotNil(t, res.Profile)
			assert.Contains(t, res.Profile.Banner, "220")
			assert.NotEmpty(t, res.Profile.Feat)
			assert.NotEmpty(t, res.Profile.PassivePorts)
		})
	}
}

func modeIndex(m string) int {
	switch m {
	case ModeExplicit:
		return 1
	case ModeImplicit:
		return 2
	}
	return 0
}
