package suites

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

func TestClassify(t *testing.T) {
	must := Case{ID: "rfc959/1/x", Level: Must}
	should := Case{ID: "rfc959/1/x", Level: Should}
	may := Case{ID: "rfc959/1/x", Level: May}
	advisory := Case{ID: "rfc2577/8/x", Level: Should, Advisory: true}
	v := &Violation{Expected: []string{"200"}, Actual: "500"}
	observation := &Violation{Expected: []string{"200"}, Actual: "500", Advisory: true}
	tests := []struct {
		name   string
		c      Case
		err    error
		strict bool
		want   reports.Outcome
	}{
		{"nil passes", must, nil, false, reports.Pass},
		{"MUST violation fails", must, v, false, reports.Fail},
		{"wrapped violation fails", must, fmt.Errorf("step: %w", v), false, reports.Fail},
		{"SHOULD violation warns", should, v, false, reports.Warn},
		{"SHOULD violation fails under strict", should, v, true, reports.Fail},
		{"MAY violation warns, even strict", may, v, true, reports.Warn},
		{"downgraded MUST violation warns", must, v.Downgrade(Should), false, reports.Warn},
		{"downgrade never raises", should, v.Downgrade(Must), false, reports.Warn},
		{"advisory case: an observation, not a failure", advisory, v, false, reports.Advisory},
		{"advisory case: strict does not make it fail", advisory, v, true, reports.Advisory},
		{"advisory violation in a MUST case", must, observation, true, reports.Advisory},
		{"advisory case passes when nothing is found", advisory, nil, true, reports.Pass},
		{"skip", must, Skipf("no foreign address"), false, reports.Skip},
		{"unsupported", must, Unsupportedf("no EPSV"), false, reports.Unsupported},
		{"anything else is the harness", must, errors.New("connection reset"), false, reports.Error},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, exp, act, reason := Classify(tc.c, tc.err, tc.strict)
			assert.Equal(t, tc.want, o)
			switch o {
			case reports.Fail, reports.Warn, reports.Advisory:
				assert.Equal(t, "200", exp)
				assert.Equal(t, "500", act)
			case reports.Skip:
				assert.Equal(t, "no foreign address", reason)
			case reports.Error:
				assert.Equal(t, "connection reset", reason)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	all := All()
	tests := []struct {
		name      string
		run, skip []string
		check     func(t *testing.T, got []Case)
		err       string
	}{
		{name: "everything", check: func(t *testing.T, got []Case) { assert.Len(t, got, len(all)) }},
		{name: "one RFC", run: []string{"rfc2428/*/*"}, check: func(t *testing.T, got []Case) {
			require.NotEmpty(t, got)
			for _, c := range got {
				assert.Equal(t, "2428", c.RFC)
			}
		}},
		{name: "skip wins", run: []string{"rfc959/5.4/*"}, skip: []string{"*/*/noop-replies"}, check: func(t *testing.T, got []Case) {
			require.NotEmpty(t, got)
			for _, c := range got {
				assert.NotEqual(t, "rfc959/5.4/noop-replies", c.ID)
				assert.Equal(t, "5.4", c.Section)
			}
		}},
		{name: "order kept", run: []string{"*/*/pasv-*", "rfc959/5.4/unknown-command"}, check: func(t *testing.T, got []Case) {
			var idx []int
			for _, g := range got {
				for i, c := range all {
					if c.ID == g.ID {
						idx = append(idx, i)
					}
				}
			}
			assert.IsIncreasing(t, idx)
		}},
		{name: "bad glob", run: []string{"rfc959/[/*"}, err: `glob "rfc959/[/*"`},
		{name: "bad skip glob", skip: []string{"["}, err: `glob "["`},
		{name: "typo matches nothing", run: []string{"rfc9959/*/*"}, err: `--run "rfc9959/*/*" matches no case`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select(all, tc.run, tc.skip)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			tc.check(t, got)
		})
	}
}

func TestParseExpectations(t *testing.T) {
	known := All()
	good := "# vsftpd\nxfail:\n  - id: rfc959/5.4/unknown-command\n    reason: answers 200\n  - id: \"rfc2428/*/*\"\n    tls: [explicit]\n    reason: EPSV off\n"
	x, err := ParseExpectations("vsftpd.yaml", []byte(good), known)
	require.NoError(t, err)
	require.Len(t, x.Entries, 2)
	_, ok := x.Lookup("rfc2428/3/epsv-229", ModeExplicit)
	assert.True(t, ok)
	_, ok = x.Lookup("rfc2428/3/epsv-229", ModeNone)
	assert.False(t, ok, "the entry is for explicit only")

	o, reason := x.apply("rfc959/5.4/unknown-command", ModeNone, reports.Fail, "")
	assert.Equal(t, reports.XFail, o)
	assert.Contains(t, reason, "answers 200")
	o, _ = x.apply("rfc959/5.4/unknown-command", ModeNone, reports.Pass, "")
	assert.Equal(t, reports.XPass, o)
	o, _ = x.apply("rfc959/5.4/unknown-command", ModeNone, reports.Skip, "why")
	assert.Equal(t, reports.Skip, o)
	o, _ = x.apply("rfc959/4.1.3/noop", ModeNone, reports.Fail, "")
	assert.Equal(t, reports.Fail, o)

	bad := []struct{ name, doc, err string }{
		{"unknown field", "xfail:\n  - id: rfc959/5.4/unknown-command\n    reason: x\n    because: y\n", "vsftpd.yaml"},
		{"no reason", "xfail:\n  - id: rfc959/5.4/unknown-command\n", "vsftpd.yaml:2: xfail \"rfc959/5.4/unknown-command\": reason is required"},
		{"unknown case", "xfail:\n  - id: rfc959/5.4/nope\n    reason: x\n", "vsftpd.yaml:2: id \"rfc959/5.4/nope\" matches no case"},
		{"bad mode", "xfail:\n  - id: rfc959/5.4/unknown-command\n    tls: [ssl]\n    reason: x\n", "vsftpd.yaml:2: tls \"ssl\""},
		{"second entry line", "xfail:\n  - id: rfc959/5.4/unknown-command\n    reason: x\n  - id: rfc959/5.4/nope\n    reason: y\n", "vsftpd.yaml:4:"},
		{"not yaml", "xfail: [", "vsftpd.yaml"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseExpectations("vsftpd.yaml", []byte(tc.doc), known)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}

func TestModes(t *testing.T) {
	plain, _ := target.Parse("ftp://h")
	implicit, _ := target.Parse("ftps://h")
	tests := []struct {
		mode string
		t    target.Target
		want []string
		err  bool
	}{
		{"", plain, []string{ModeNone}, false},
		{"", implicit, []string{ModeImplicit}, false},
		{"all", plain, []string{ModeNone, ModeExplicit, ModeImplicit}, false},
		{"explicit", plain, []string{ModeExplicit}, false},
		{"all", implicit, nil, true},
		{"none", implicit, nil, true},
		{"ssl", plain, nil, true},
	}
	for _, tc := range tests {
		got, err := Modes(tc.mode, tc.t)
		if tc.err {
			assert.Error(t, err, tc.mode)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
	}
}

func TestParsePortRange(t *testing.T) {
	r, err := ParsePortRange("30000-30999")
	require.NoError(t, err)
	assert.Equal(t, 1000, r.Len())
	assert.True(t, r.Contains(30000) && r.Contains(30999) && !r.Contains(31000))
	one, err := ParsePortRange("2121")
	require.NoError(t, err)
	assert.Equal(t, PortRange{2121, 2121}, one, "a single port is a one-port range")
	for _, bad := range []string{"", "2-1", "0-5", "1-70000", "a-b"} {
		_, err := ParsePortRange(bad)
		assert.Error(t, err, bad)
	}
}

func TestRunUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	tg, err := target.Parse("ftp://" + addr)
	require.NoError(t, err)
	_, err = Run(context.Background(), All(), Options{Target: tg})
	var ue *UnreachableError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), addr)
}

func TestRunLoginRefused(t *testing.T) {
	srv, opts := startReference(t, reference.PortRange{Lo: 25000, Hi: 25099})
	tg, err := target.Parse("ftp://test:wrong@" + srv.Addr())
	require.NoError(t, err)
	opts.Target = tg
	_, err = Run(context.Background(), All()[:3], opts)
	var le *LoginError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "test", le.User)
}

// A server that dies is reported once, as the reason of every later case, instead of as a
// failure of each.
func TestDeadServerStopsTheRun(t *testing.T) {
	srv, opts := startReference(t, reference.PortRange{Lo: 25100, Hi: 25199})
	opts.Parallel = 1
	var ran atomic.Int32
	mk := func(slug string, run func(context.Context, *Env) error) Case {
		return Case{ID: "rfc959/4.1.3/" + slug, RFC: "959", Section: "4.1.3", Level: Must, Title: slug,
			Requirement: "It specifies no action other than that the server send an OK reply.", Run: run}
	}
	noop := func(ctx context.Context, env *Env) error {
		ran.Add(1)
		c, err := env.Login(ctx)
		if err != nil {
			return err
		}
		_, err = c.Expect(ctx, "NOOP", 200)
		return err
	}
	cases := []Case{
		mk("first", noop),
		mk("killer", func(ctx context.Context, env *Env) error {
			srv.Close()
			return errors.New("the server went away")
		}),
		mk("third", noop),
		mk("fourth", noop),
	}
	var progress []string
	opts.Progress = func(r reports.CaseResult) { progress = append(progress, r.ID) }
	res, err := Run(context.Background(), cases, opts)
	// The run is incomplete, and says so: the results so far come back with the cause.
	var lost *TargetLostError
	require.ErrorAs(t, err, &lost)
	assert.Equal(t, "server stopped answering after rfc959/4.1.3/killer", lost.Reason)
	require.Len(t, res.Cases, 4)
	assert.Equal(t, reports.Pass, res.Cases[0].Outcome)
	assert.Equal(t, reports.Error, res.Cases[1].Outcome)
	for _, r := range res.Cases[2:] {
		assert.Equal(t, reports.Error, r.Outcome, r.ID)
		assert.Equal(t, "server stopped answering after rfc959/4.1.3/killer", r.Reason)
	}
	assert.Equal(t, int32(1), ran.Load(), "cases after the death must not run")
	assert.Len(t, progress, 4)
	assert.Equal(t, 3, res.Totals.Error)
}

// --tls all runs AnyTLS cases once per mode, OwnTLS cases once (as explicit), PlainOnly cases
// once (as none).
func TestTLSAllRunsEachApplicableMode(t *testing.T) {
	_, opts := startReference(t, reference.PortRange{Lo: 25200, Hi: 25299})
	opts.TLS = ModeAll
	cases, err := Select(All(), []string{"rfc959/4.1.3/noop", "rfc4217/4.2/auth-tls-234", "rfc1123/4.1.2.12/telnet-negotiation-refused"}, nil)
	require.NoError(t, err)
	res, err := Run(context.Background(), cases, opts)
	require.NoError(t, err)
	got := map[string][]string{}
	for _, r := range res.Cases {
		assert.Equal(t, reports.Pass, r.Outcome, "%s [%s]: %s %s", r.ID, r.TLS, r.Actual, r.Reason)
		got[r.ID] = append(got[r.ID], r.TLS)
	}
	assert.Equal(t, []string{ModeNone, ModeExplicit, ModeImplicit}, got["rfc959/4.1.3/noop"])
	assert.Equal(t, []string{ModeExplicit}, got["rfc4217/4.2/auth-tls-234"])
	assert.Equal(t, []string{ModeNone}, got["rfc1123/4.1.2.12/telnet-negotiation-refused"])
}

// Every failing case carries its evidence: the exact bytes and the data-connection events.
func TestTranscriptsCarryEvidence(t *testing.T) {
	_, opts := startReference(t, reference.PortRange{Lo: 25300, Hi: 25399}, "bad-reply-codes", "truncate")
	cases, err := Select(All(), []string{"rfc959/5.4/unknown-command", "rfc959/4.1.3/retr-byte-exact"}, nil)
	require.NoError(t, err)
	res, err := Run(context.Background(), cases, opts)
	require.NoError(t, err)
	for _, r := range res.Cases {
		assert.Equal(t, reports.Fail, r.Outcome, r.ID)
		assert.NotEmpty(t, r.Expected, r.ID)
		assert.NotEmpty(t, r.Actual, r.ID)
		assert.Equal(t, "MUST", r.Level)
		kinds := map[reports.EventKind]int{}
		for _, e := range r.Transcript {
			kinds[e.Kind]++
		}
		assert.Positive(t, kinds[reports.Send], r.ID)
		assert.Positive(t, kinds[reports.Recv], r.ID)
		if r.ID == "rfc959/4.1.3/retr-byte-exact" {
			var data []reports.Event
			for _, e := range r.Transcript {
				if e.Kind == reports.Data {
					data = append(data, e)
				}
			}
			require.NotEmpty(t, data)
			for _, e := range data {
				assert.Positive(t, e.Port)
				assert.Contains(t, e.Peer, "127.0.0.1:")
				assert.Len(t, e.SHA256, 64)
			}
		}
	}
}

func TestCaseTimeout(t *testing.T) {
	_, opts := startReference(t, reference.PortRange{Lo: 25400, Hi: 25499})
	opts.Timeout = 200 * time.Millisecond
	slow := Case{ID: "rfc959/4.1.3/slow", RFC: "959", Section: "4.1.3", Level: Must, Title: "slow",
		Requirement: "It specifies no action other than that the server send an OK reply.",
		Run: func(ctx context.Context, env *Env) error {
			<-ctx.Done()
			return ctx.Err()
		}}
	res, err := Run(context.Background(), []Case{slow}, opts)
	require.NoError(t, err)
	assert.Equal(t, reports.Error, res.Cases[0].Outcome)
	assert.Contains(t, res.Cases[0].Reason, "timed out after 200ms")
}
