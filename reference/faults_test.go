package reference

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultCatalogue(t *testing.T) {
	caught := regexp.MustCompile(`^(rfc\d+/[0-9.]+/[a-z0-9-]+|load:[a-z_]+)$`)
	faults := Faults()
	require.Len(t, faults, 12)
	names := map[string]bool{}
	var all uint32
	for _, f := range faults {
		assert.False(t, names[f.Name], "duplicate %s", f.Name)
		names[f.Name] = true
		assert.NotEmpty(t, f.Description, f.Name)
		assert.NotEmpty(t, f.CaughtBy, "%s must name what catches it", f.Name)
		for _, id := range f.CaughtBy {
			assert.Regexp(t, caught, id, f.Name)
		}
		bit := newFaultSet([]string{f.Name}).bits
		assert.NotZero(t, bit, f.Name)
		assert.Zero(t, all&bit, "%s shares a bit", f.Name)
		all |= bit
	}
	for _, want := range []string{"shared-pasv-port", "no-ip-check", "sequential-ports", "port-reuse", "pasv-wrong-address", "epsv-all-ignored", "port-bounce", "truncate", "bad-reply-codes", "out-of-range-port", "stor-not-atomic", "listener-leak"} {
		assert.True(t, names[want], want)
	}
	// A fresh slice each call: callers cannot change what others see.
	faults[0].CaughtBy[0] = "changed"
	assert.NotEqual(t, "changed", Faults()[0].CaughtBy[0])
	_, err := New(Config{Faults: []string{"shared-pasv-port", "nonsense"}})
	assert.ErrorContains(t, err, "nonsense")
}

func TestFaultProbability(t *testing.T) {
	tests := []struct {
		spec    string
		wantErr string
		p       float64
	}{
		{"port-reuse", "", 1},
		{"port-reuse:0.1", "", 0.1},
		{"port-reuse:1", "", 1},
		{"port-reuse:0", "want a number in (0, 1]", 0},
		{"port-reuse:1.5", "want a number in (0, 1]", 0},
		{"port-reuse:x", "want a number in (0, 1]", 0},
		{"truncate:0.5", "supported for port-reuse, no-ip-check only", 0},
		{"no-ip-check:0.1", "", 0.1},
		{"nonsense:0.5", "unknown fault", 0},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, p, err := parseFaultSpec(tt.spec)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				_, err := New(Config{Faults: []string{tt.spec}})
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.p, p)
		})
	}
	// A probability strikes about that often; a plain fault always; an absent one never.
	s := newFaultSet([]string{"port-reuse:0.1"})
	n := 0
	for i := 0; i < 20000; i++ {
		if s.strikes(faultPortReuse) {
			n++
		}
	}
	assert.InDelta(t, 2000, n, 300)
	assert.True(t, newFaultSet([]string{"port-reuse"}).strikes(faultPortReuse))
	assert.False(t, newFaultSet(nil).strikes(faultPortReuse))
}
