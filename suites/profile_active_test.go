package suites

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reference"
)

// The profile says where the server opens active-mode data connections from: the reference uses
// its control address and an ephemeral port, not RFC 959's L-1.
func TestProfileNamesActiveSource(t *testing.T) {
	_, opts := startReference(t, reference.PortRange{Lo: 27100, Hi: 27199})
	res, err := Run(context.Background(), All()[:1], opts)
	require.NoError(t, err)
	require.NotNil(t, res.Profile)
	from, err := netip.ParseAddrPort(res.Profile.ActiveSource)
	require.NoError(t, err, "active_source %q", res.Profile.ActiveSource)
	assert.Equal(t, "127.0.0.1", from.Addr().String())
	assert.GreaterOrEqual(t, int(from.Port()), 1024)
	assert.Equal(t, "ephemeral", res.Profile.ActiveSourceKind)
}
