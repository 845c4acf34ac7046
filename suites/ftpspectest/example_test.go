package ftpspectest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/loadgen"
	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/suites/ftpspectest"
)

// TestReferenceServer is what a Go FTP server's author adds to their tests, with ftpspec's
// reference server standing in for theirs: the whole conformance suite as subtests, then a
// same-IP load run in barrier-synchronised rounds with every byte verified.
func TestReferenceServer(t *testing.T) {
	srv, err := reference.New(reference.Config{Listen: "127.0.0.1:0", PasvPorts: reference.PortRange{Lo: 26000, Hi: 26999}})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})

	t.Run("conformance", func(t *testing.T) {
		conf := ftpspectest.Conform(t, srv.URL(), ftpspectest.Options{PasvPorts: "26000-26999"})
		require.NotNil(t, conf)
		require.Greater(t, conf.Totals.Pass, 200, "the whole suite ran")
	})
	t.Run("load", func(t *testing.T) {
		l := ftpspectest.Load(t, srv.URL(), loadgen.Scenario{
			Sessions:   50,
			Transfers:  4,
			Lockstep:   true,
			Thresholds: []string{"misrouted==0", "error_rate<0.1%"},
		})
		require.NotNil(t, l)
		require.Equal(t, 200, l.Transfers.OK)
	})
}
