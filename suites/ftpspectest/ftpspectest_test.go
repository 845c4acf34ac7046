package ftpspectest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/loadgen"
	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

// helperEnv selects, in a re-executed copy of this test binary, which helper test runs for real.
// The helpers are deliberately failing tests; the tests below run them in a child process and
// read what `go test -v` printed, so what is checked is what a server author would see.
const helperEnv = "FTPSPECTEST_HELPER"

func startReference(t *testing.T, lo int, faults ...string) *reference.Server {
	t.Helper()
	srv, err := reference.New(reference.Config{Listen: "127.0.0.1:0", PasvPorts: reference.PortRange{Lo: lo, Hi: lo + 999}, Faults: faults})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv
}

func TestHelperConform(t *testing.T) {
	if os.Getenv(helperEnv) != "conform" {
		t.Skip("run by TestConformReportsEachOutcome in a child process")
	}
	t.Run("faulty", func(t *testing.T) {
		srv := startReference(t, 27000, "bad-reply-codes", "sequential-ports", "listener-leak")
		Conform(t, srv.URL(), Options{Run: []string{
			"rfc959/5.4/unknown-command",         // MUST, broken by bad-reply-codes: fail
			"rfc959/3.2/pasv-replaces-previous",  // SHOULD, broken by listener-leak: warn
			"rfc2577/8/pasv-ports-unpredictable", // RFC 2577's threat, shown by sequential-ports: advisory
			"rfc959/4.1.2/pasv-range-exhausted",  // not done on a 1000-port range: skip
			"rfc2389/3.2/feat-end-line",          // pass
		}})
	})
	t.Run("strict", func(t *testing.T) {
		srv := startReference(t, 28000, "sequential-ports", "listener-leak")
		Conform(t, srv.URL(), Options{Strict: true, Run: []string{"rfc959/3.2/pasv-replaces-previous", "rfc2577/8/pasv-ports-unpredictable"}})
	})
	t.Run("expected", func(t *testing.T) {
		srv := startReference(t, 29000, "bad-reply-codes")
		expect := filepath.Join(t.TempDir(), "expect.yaml")
		require.NoError(t, os.WriteFile(expect, []byte(`xfail:
  - id: rfc959/5.4/unknown-command
    reason: answers 200 to anything
  - id: rfc2389/3.2/feat-end-line
    reason: stale entry
`), 0o644))
		Conform(t, srv.URL(), Options{Expect: expect, Run: []string{"rfc959/5.4/unknown-command", "rfc2389/3.2/feat-end-line"}})
	})
}

func TestHelperLoad(t *testing.T) {
	if os.Getenv(helperEnv) != "load" {
		t.Skip("run by TestLoadFailsOnMisroutedTransfers in a child process")
	}
	srv := startReference(t, 27000, "shared-pasv-port")
	Load(t, srv.URL(), loadgen.Scenario{Sessions: 20, Transfers: 2, Lockstep: true})
}

// child runs one helper test in a copy of this test binary and returns its -v output.
func child(t *testing.T, helper, test string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.v", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), helperEnv+"="+helper)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return string(out), code
}

// section is the output of one subtest: from its === RUN line to the next === line.
func section(out, name string) string {
	i := strings.Index(out, "=== RUN   "+name+"\n")
	if i < 0 {
		return ""
	}
	rest := out[i+len("=== RUN   "+name+"\n"):]
	if j := strings.Index(rest, "=== "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func verdictLine(out, name string) string {
	m := regexp.MustCompile(`(?m)^\s*--- (PASS|FAIL|SKIP): ` + regexp.QuoteMeta(name) + ` \(`).FindStringSubmatch(out)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestConformReportsEachOutcome(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite in a child process")
	}
	out, code := child(t, "conform", "TestHelperConform")
	assert.Equal(t, 1, code, "a failing MUST fails `go test`:\n%s", out)

	const faulty = "TestHelperConform/faulty/"
	tests := []struct {
		id, verdict string
		says        []string // in the subtest's output
	}{
		{"rfc959/5.4/unknown-command", "FAIL", []string{
			"rfc959/5.4/unknown-command fails (MUST)",
			"RFC 959 §5.4 MUST: ",      // the requirement, quoted
			"expected: ", "actual:   ", // what was expected and what happened
			"transcript:", "-> ", "<- 200", // the exact bytes both ways: the fault answers 200
		}},
		{"rfc959/3.2/pasv-replaces-previous", "PASS", []string{"WARN: rfc959/3.2/pasv-replaces-previous is not met (SHOULD", "Strict makes this a failure", "expected: "}},
		{"rfc2577/8/pasv-ports-unpredictable", "PASS", []string{"ADVISORY: rfc2577/8/pasv-ports-unpredictable", "never a failure"}},
		{"rfc959/4.1.2/pasv-range-exhausted", "SKIP", []string{"skip: "}}, // with the reason, which suites words
		{"rfc2389/3.2/feat-end-line", "PASS", nil},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			name := faulty + tc.id
			assert.Equal(t, tc.verdict, verdictLine(out, name), "subtest %s in:\n%s", name, out)
			s := section(out, name)
			for _, want := range tc.says {
				assert.Contains(t, s, want, "subtest %s", name)
			}
			if tc.verdict == "PASS" && tc.says == nil {
				assert.Empty(t, strings.TrimSpace(strings.Split(s, "---")[0]), "a pass says nothing")
			}
		})
	}
	assert.Equal(t, "FAIL", verdictLine(out, "TestHelperConform/strict/rfc959/3.2/pasv-replaces-previous"), "Strict fails a broken SHOULD")
	assert.Equal(t, "PASS", verdictLine(out, "TestHelperConform/strict/rfc2577/8/pasv-ports-unpredictable"), "Strict never fails an advisory")
	assert.Equal(t, "SKIP", verdictLine(out, "TestHelperConform/expected/rfc959/5.4/unknown-command"), "a listed deviation is skipped as xfail")
	assert.Contains(t, section(out, "TestHelperConform/expected/rfc959/5.4/unknown-command"), "xfail (a known deviation in ")
	assert.Equal(t, "FAIL", verdictLine(out, "TestHelperConform/expected/rfc2389/3.2/feat-end-line"), "a listed case that passes fails as xpass")
	assert.Contains(t, section(out, "TestHelperConform/expected/rfc2389/3.2/feat-end-line"), "remove it from the file")
}

func TestLoadFailsOnMisroutedTransfers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a load in a child process")
	}
	out, code := child(t, "load", "TestHelperLoad")
	assert.Equal(t, 1, code, out)
	assert.Equal(t, "FAIL", verdictLine(out, "TestHelperLoad"), out)
	assert.Regexp(t, `\d+ of 40 transfers misrouted`, out)
	assert.Regexp(t, `session \d+ transfer \d+: RETR \S+ on data port \d+: misrouted, its bytes belong to \S+`, out, "the misrouted transfers are named")
}

func TestSubtrees(t *testing.T) {
	for in, want := range map[string]string{
		"rfc959":              "rfc959/*/*",
		"rfc959/*":            "rfc959/*/*",
		"rfc959/4.1.2":        "rfc959/4.1.2/*",
		"rfc959/4.1.2/pasv-*": "rfc959/4.1.2/pasv-*",
		"*/*/pasv-*":          "*/*/pasv-*",
	} {
		assert.Equal(t, []string{want}, subtrees([]string{in}), in)
	}
}

func TestConformWritesTheRunDocument(t *testing.T) {
	srv := startReference(t, 26000)
	js := filepath.Join(t.TempDir(), "run.json")
	conf := Conform(t, srv.URL(), Options{Run: []string{"rfc959/4.1.2"}, JSON: js})
	require.NotNil(t, conf)
	r, err := reports.ReadFile(js)
	require.NoError(t, err)
	require.NotNil(t, r.Conformance)
	assert.Len(t, r.Conformance.Cases, len(conf.Cases))
	assert.NotContains(t, r.Target.URL, ":test@", "no password in the document")
	assert.Equal(t, "ftpspec", r.Tool.Name)
	for _, c := range r.Conformance.Cases {
		assert.True(t, strings.HasPrefix(c.ID, "rfc959/4.1.2/"), c.ID)
	}
}

func TestWithDefaults(t *testing.T) {
	d := loadgen.Default()
	sc := withDefaults(loadgen.Scenario{Sessions: 7})
	require.NoError(t, sc.Validate())
	assert.Equal(t, 7, sc.Sessions)
	assert.Equal(t, d.Transfers, sc.Transfers)
	assert.Equal(t, d.Mix, sc.Mix)
	assert.False(t, sc.Lockstep, "a bool's zero value is the caller's choice")
	assert.Equal(t, 0, withDefaults(loadgen.Scenario{Duration: time.Second}).Transfers, "a duration-bound run stays duration-bound")
}
