package reference

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShutdownLetsTransfersFinish: Shutdown stops accepting, closes idle sessions with 421, and a
// running transfer completes with all its bytes and a 226 before its session closes.
func TestShutdownLetsTransfersFinish(t *testing.T) {
	srv := startTest(t)
	const size = 20 << 20
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "big.bin"), make([]byte, size), 0o644))
	idle := loggedIn(t, srv)
	busy := loggedIn(t, srv)
	_, port := busy.pasv()
	d := busy.dialData(port)
	busy.expect(150, "RETR big.bin")
	// Read slowly so the transfer is still running when Shutdown starts.
	buf := make([]byte, 1<<20)
	_, err := io.ReadFull(d, buf)
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- srv.Shutdown(ctx)
	}()
	code, text := idle.read()
	assert.Equal(t, 421, code, "an idle session is told the server is going: %s", text)
	assert.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", srv.Addr(), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 5*time.Second, 20*time.Millisecond, "no new connections after Shutdown")

	n := int64(len(buf))
	for {
		time.Sleep(time.Millisecond) // ~ a few hundred MB/s at most: the transfer outlives the start of Shutdown
		k, err := d.Read(buf)
		n += int64(k)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	assert.EqualValues(t, size, n, "the running transfer completes")
	code, text = busy.read()
	assert.Equal(t, 226, code, text)
	busy.expect(221, "QUIT")
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return after the last session ended")
	}
}

func TestShutdownDeadlineClosesEverything(t *testing.T) {
	srv := startTest(t)
	c := loggedIn(t, srv)
	_, port := c.pasv()
	d := c.dialData(port)
	c.expect(150, "RETR /synthetic/100000000000/endless")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := srv.Shutdown(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	d.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.Copy(io.Discard, d)
	assert.NotErrorIs(t, err, os.ErrDeadlineExceeded, "the data connection is closed by the forced close")
	assert.Zero(t, srv.Sessions())
}

// TestDataStallTimeout: a client that stops reading (RETR) or sending (STOR) loses its transfer
// after Timeouts.Data without progress, and the port is freed.
func TestDataStallTimeout(t *testing.T) {
	srv := startTest(t, func(c *Config) { c.Timeouts.Data = 300 * time.Millisecond })
	require.NoError(t, os.WriteFile(filepath.Join(srv.Root(), "disk.bin"), make([]byte, 64<<20), 0o644))
	for _, tc := range []struct{ name, cmd string }{
		{"RETR synthetic", "RETR /synthetic/1000000000/stall"},
		{"RETR disk file", "RETR disk.bin"},
		{"STOR", "STOR stalled.bin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := loggedIn(t, srv)
			_, port := c.pasv()
			d := c.dialData(port)
			c.expect(150, "%s", tc.cmd)
			if tc.cmd[:4] == "STOR" {
				_, err := d.Write([]byte("some bytes, then silence"))
				require.NoError(t, err)
			}
			start := time.Now()
			code, text := c.read()
			assert.Equal(t, 426, code, text)
			assert.Less(t, time.Since(start), 3*time.Second)
		})
	}
	assert.NoFileExists(t, filepath.Join(srv.Root(), "stalled.bin"))
	assert.Eventually(t, func() bool { return srv.PassivePortsInUse() == 0 }, 2*time.Second, 10*time.Millisecond)
}
