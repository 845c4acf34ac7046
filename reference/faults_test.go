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
	var all faultSet
	for _, f := range faults {
		assert.False(t, names[f.Name], "duplicate %s", f.Name)
		names[f.Name] = true
		assert.NotEmpty(t, f.Description, f.Name)
		assert.NotEmpty(t, f.CaughtBy, "%s must name what catches it", f.Name)
		for _, id := range f.CaughtBy {
			assert.Regexp(t, caught, id, f.Name)
		}
		bit := newFaultSet([]string{f.Name})
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
