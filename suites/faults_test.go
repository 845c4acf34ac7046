package suites

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

// TestFaultCatalogueNamesExistingCases: every case ID a fault names must exist.
func TestFaultCatalogueNamesExistingCases(t *testing.T) {
	ids := map[string]bool{}
	for _, c := range All() {
		ids[c.ID] = true
	}
	for _, f := range reference.Faults() {
		for _, id := range f.CaughtBy {
			if strings.HasPrefix(id, "load:") {
				continue
			}
			assert.True(t, ids[id], "fault %s names case %s, which does not exist", f.Name, id)
		}
	}
}

// TestFaultsAreCaught runs the whole suite against the reference once per fault mode: the cases
// the mode names must catch it (fail, warn or unsupported), and no other MUST case may fail.
func TestFaultsAreCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("one full suite run per fault mode")
	}
	for i, f := range append(reference.Faults(), reference.SampledFaults()...) {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			// Faults about the passive range need one small enough to exhaust; the others one
			// large enough to judge port randomness.
			// Below the ephemeral ports (32768-60999), clear of the other tests' ranges.
			rng := reference.PortRange{Lo: 15000 + 300*i, Hi: 15000 + 300*i + 199}
			if f.Name == "out-of-range-port" || f.Name == "listener-leak" {
				rng.Hi = rng.Lo + 47
			}
			_, opts := startReference(t, rng, f.Name)
			// One case at a time: several faults (a shared port) break the isolation between
			// sessions, and cases running alongside would see each other's bytes.
			opts.Parallel = 1
			res, err := Run(context.Background(), All(), opts)
			require.NoError(t, err)
			for _, r := range res.Cases {
				if r.DurationMS > 3000 {
					t.Logf("slow: %s %s %.0f ms: %s%s", r.ID, r.Outcome, r.DurationMS, r.Reason, r.Actual)
				}
			}
			check := CheckFault(f.Name, f.CaughtBy, res)
			assert.Empty(t, check.Missed, "fault %s not caught by the cases it names:\n%s", f.Name, strings.Join(describe(res, check.Missed), "\n"))
			assert.Empty(t, check.Unrelated, "fault %s fails MUST cases it does not name:\n%s", f.Name, strings.Join(describe(res, check.Unrelated), "\n"))
			assert.NotEmpty(t, check.Caught, "fault %s names no conformance case", f.Name)
		})
	}
}

func describe(res *reports.Conformance, ids []string) []string {
	var out []string
	for _, r := range res.Cases {
		if slices.Contains(ids, r.ID) {
			out = append(out, fmt.Sprintf("%s: %s (expected %s, got %s) %s", r.ID, r.Outcome, r.Expected, r.Actual, r.Reason))
		}
	}
	return out
}
