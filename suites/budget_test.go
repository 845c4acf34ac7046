package suites

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reports"
)

func TestBudgetCtx(t *testing.T) {
	t.Run("ends at its budget", func(t *testing.T) {
		b, cancel := withBudget(context.Background(), 50*time.Millisecond, time.Second)
		defer cancel()
		<-b.Done()
		assert.Equal(t, context.DeadlineExceeded, b.Err())
	})
	t.Run("a wait the harness excuses moves the deadline, children included", func(t *testing.T) {
		b, cancel := withBudget(context.Background(), 100*time.Millisecond, time.Second)
		defer cancel()
		before, _ := b.Deadline()
		assert.Equal(t, 300*time.Millisecond, b.excuse(300*time.Millisecond))
		after, _ := b.Deadline()
		assert.Equal(t, 300*time.Millisecond, after.Sub(before))
		child, ccancel := context.WithTimeout(b, time.Minute)
		defer ccancel()
		time.Sleep(200 * time.Millisecond) // past the original budget
		require.NoError(t, b.Err())
		require.NoError(t, child.Err())
		<-child.Done()
		assert.ErrorIs(t, child.Err(), context.DeadlineExceeded)
		assert.GreaterOrEqual(t, time.Now().Add(5*time.Millisecond).Sub(before), 300*time.Millisecond)
	})
	t.Run("the grace is bounded", func(t *testing.T) {
		b, cancel := withBudget(context.Background(), time.Second, 250*time.Millisecond)
		defer cancel()
		assert.Equal(t, 200*time.Millisecond, b.excuse(200*time.Millisecond))
		assert.Equal(t, 50*time.Millisecond, b.excuse(200*time.Millisecond))
		assert.Zero(t, b.excuse(time.Second))
		assert.Equal(t, 250*time.Millisecond, b.Granted())
	})
	t.Run("a held wait outlasts the budget, within the grace", func(t *testing.T) {
		b, cancel := withBudget(context.Background(), 50*time.Millisecond, 250*time.Millisecond)
		defer cancel()
		release := b.hold()
		time.Sleep(150 * time.Millisecond) // past the budget, inside the grace
		require.NoError(t, b.Err())
		g := release()
		assert.GreaterOrEqual(t, g, 150*time.Millisecond)
		require.NoError(t, b.Err(), "the deadline moved by the wait")
		<-b.Done()
		assert.Equal(t, context.DeadlineExceeded, b.Err())
	})
	t.Run("a held wait longer than the grace still ends the case", func(t *testing.T) {
		b, cancel := withBudget(context.Background(), 20*time.Millisecond, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		release := b.hold()
		defer release()
		<-b.Done()
		assert.Equal(t, context.DeadlineExceeded, b.Err())
		assert.Less(t, time.Since(start), time.Second)
	})
	t.Run("the run's cancellation ends it", func(t *testing.T) {
		parent, pcancel := context.WithCancel(context.Background())
		b, cancel := withBudget(parent, time.Minute, time.Minute)
		defer cancel()
		pcancel()
		<-b.Done()
		assert.Equal(t, context.Canceled, b.Err())
	})
}

// TestSlowCloseAfterUploadIsNotCharged: a server that takes its time to close the data connection
// after an upload (RFC 959 sets no limit) is right; the harness's wait for that close must not use
// up the case's budget and end the case in error.
func TestSlowCloseAfterUploadIsNotCharged(t *testing.T) {
	const delay = 1500 * time.Millisecond
	srv := startScripted(t, nil, func(s *scriptSession, verb, arg string, split bool) bool {
		if verb != "STOR" {
			return false
		}
		if s.pasv == nil {
			s.reply("425 no PASV")
			return true
		}
		s.reply("150 send it")
		dc, err := s.pasv.Accept()
		if err != nil {
			s.reply("425 no data connection")
			return true
		}
		_, _ = io.Copy(io.Discard, dc)
		time.Sleep(delay) // e.g. flushing to slow storage before it closes and confirms
		dc.Close()
		s.reply("226 stored")
		return true
	})
	opts := scriptedOptions(t, srv)
	opts.Timeout = time.Second // shorter than the server's close: only the grace lets it pass
	opts.Parallel = 1
	upload := Case{
		ID: "rfc959/4.1.3/test-slow-close-upload", RFC: "959", Section: "4.1.3", Level: Must,
		Title:       "an upload to a server slow to close",
		Requirement: `The server-DTP receives the data and stores it; a test case of the harness.`,
		Run: func(ctx context.Context, env *Env) error {
			c, err := env.Login(ctx)
			if err != nil {
				return err
			}
			if err := c.Stor(ctx, "slow.bin", []byte("some bytes")); err != nil {
				return err
			}
			_, err = c.Cmd(ctx, "NOOP")
			return err
		},
	}
	res, err := Run(context.Background(), []Case{upload}, opts)
	require.NoError(t, err)
	require.Len(t, res.Cases, 1)
	r := res.Cases[0]
	require.Equal(t, reports.Pass, r.Outcome, "%s %s", r.Reason, r.Actual)
	assert.Contains(t, notes(r), "the harness waited")
}
