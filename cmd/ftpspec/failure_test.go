package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

// The failure paths of issue 11: a dying target, an unusable one, a bad output path or a bad
// value never yields a green run or a wrong number.

// fakeServer accepts on 127.0.0.1:0 and hands every connection to serve; it counts connections.
type fakeServer struct {
	ln       net.Listener
	accepted atomic.Int64
	wg       sync.WaitGroup
}

func startFake(t *testing.T, serve func(net.Conn)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeServer{ln: ln}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.accepted.Add(1)
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func (f *fakeServer) url(userinfo string) string {
	return "ftp://" + userinfo + f.ln.Addr().String()
}

// Item 1: a target that dies in the middle of a run is exit 3 with a partial document and one
// line naming the cause, never exit 0 with "error" outcomes.
func TestConformTargetDyingMidRunIsExit3Partial(t *testing.T) {
	srv, err := reference.New(reference.Config{Listen: "127.0.0.1:0", ImplicitTLSListen: "127.0.0.1:0", PasvPorts: reference.PortRange{Lo: 24100, Hi: 24399}})
	require.NoError(t, err)
	defer srv.Close()
	js := filepath.Join(t.TempDir(), "dead.json")
	var o, e syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"conform", "--target", srv.URL(), "--tls", "all", "--verbose", "--json", js}, &o, &e)
	}()
	// --verbose prints a line per case: kill the server once a few dozen cases are decided.
	require.Eventually(t, func() bool { return strings.Count(o.String(), "\n") >= 40 }, 60*time.Second, 5*time.Millisecond)
	srv.Close()
	var code int
	select {
	case code = <-done:
	case <-time.After(120 * time.Second):
		t.Fatal("conform did not end after its target died")
	}
	require.Equal(t, 3, code, "stderr: %s", e.String())
	r := readRun(t, js)
	assert.True(t, r.Partial)
	assert.Contains(t, r.PartialReason, "went away")
	require.NotNil(t, r.Conformance)
	assert.Positive(t, r.Conformance.Totals.Pass, "what ran before is kept")
	assert.Positive(t, r.Conformance.Totals.Error)
	assert.Equal(t, 1, strings.Count(e.String(), "ftpspec: "), "one error line: %q", e.String())
	assert.Contains(t, e.String(), "went away")
}

// Item 2 (and 13): an unreachable or unusable target is exit 3 and still leaves the document:
// target, what it sent, the transcript of the attempt, the reason, "partial": true. Bytes from a
// hostile server reach the terminal escaped.
func TestConformUnusableTargetsLeaveAPartialDocument(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedURL := "ftp://" + closed.Addr().String()
	closed.Close()
	garbage := "\x00\x1b[2J\x1b]0;pwned\x07\xff\xfe not ftp at all\r\n"
	ref := reference.Start(t, reference.Config{PasvPorts: reference.PortRange{Lo: 24400, Hi: 24499}})

	tests := []struct {
		name     string
		url      func(t *testing.T) string
		received string // bytes the document must show the target sent ("" none)
	}{
		{"refuses connections", func(*testing.T) string { return closedURL }, ""},
		{"never speaks", func(t *testing.T) string {
			return startFake(t, func(c net.Conn) { time.Sleep(3 * time.Second) }).url("")
		}, ""},
		{"speaks HTTP", func(t *testing.T) string {
			return startFake(t, func(c net.Conn) {
				fmt.Fprint(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}).url("")
		}, "HTTP/1.1 400 Bad Request"},
		{"sends garbage", func(t *testing.T) string {
			return startFake(t, func(c net.Conn) { fmt.Fprint(c, garbage) }).url("")
		}, "not ftp at all"},
		{"closes after the banner", func(t *testing.T) string {
			return startFake(t, func(c net.Conn) { fmt.Fprint(c, "220 hello and goodbye\r\n") }).url("")
		}, "220 hello and goodbye"},
		{"rejects the login", func(*testing.T) string {
			return strings.Replace(ref.URL(), "test:test@", "test:wrong@", 1)
		}, "530"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := filepath.Join(t.TempDir(), "run.json")
			url := tt.url(t)
			start := time.Now()
			code, _, errOut := ftpspec(t, "conform", "--target", url, "--timeout", "1s", "--json", js)
			assert.Less(t, time.Since(start), 30*time.Second)
			require.Equal(t, 3, code, errOut)
			assert.Equal(t, 1, strings.Count(errOut, "ftpspec: "), "one error line: %q", errOut)
			assert.NotContains(t, errOut, "\x1b", "no raw escape sequence reaches the terminal")
			assert.NotContains(t, errOut, "\x07")
			r := readRun(t, js)
			assert.True(t, r.Partial)
			assert.NotEmpty(t, r.PartialReason)
			assert.NotEmpty(t, r.Target.URL)
			assert.NotContains(t, r.Target.URL, "wrong", "the password is not in the document")
			require.NotNil(t, r.Conformance)
			assert.Empty(t, r.Conformance.Cases)
			if tt.received != "" {
				require.NotNil(t, r.Conformance.Profile)
				tr := reports.TranscriptText(r.Conformance.Profile.ProbeTranscript)
				assert.Contains(t, tr, tt.received, "the transcript of the attempt")
			}
		})
	}
}

func TestTerminalSafeEscapesControlBytes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain reply 530 Login incorrect.", "plain reply 530 Login incorrect."},
		{"\x1b[2Jwiped", `\x1B[2Jwiped`},
		{"bell\x07 and \x00nul", `bell\x07 and \x00nul`},
		{"bad utf8 \xff\xfe", `bad utf8 \xFF\xFE`},
		{"unicode Grüße ✓", "unicode Grüße ✓"},
		{"\u202eRTL override", `\xE2\x80\xAERTL override`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, terminalSafe(tt.in), "%q", tt.in)
	}
}

// Items 7 and 9: an output that cannot be written is exit 2 naming the flag, before any
// connection; a missing folder is not created.
func TestOutputPathsAreCheckedBeforeTheRun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	fake := startFake(t, func(c net.Conn) { fmt.Fprint(c, "220 hi\r\n") })
	doc := filepath.Join(dir, "c.json")
	code, _, errOut := ftpspec(t, "conform", "--run", "rfc959/4.1.1/*", "--json", doc)
	require.Equal(t, 0, code, errOut)

	missing := filepath.Join(dir, "nonexistent", "deeper")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"conform --json under a file", []string{"conform", "--target", fake.url(""), "--json", filepath.Join(file, "x.json")}, "--json"},
		{"conform --html is a directory", []string{"conform", "--target", fake.url(""), "--html", dir}, "--html " + dir + ": is a directory"},
		{"conform --junit missing folder", []string{"conform", "--target", fake.url(""), "--junit", filepath.Join(missing, "j.xml")}, "does not exist"},
		{"load --json under a file", []string{"load", "--target", fake.url(""), "--sessions", "50", "--transfers", "50", "--json", filepath.Join(file, "x.json")}, "--json"},
		{"load --markdown missing folder", []string{"load", "--target", fake.url(""), "--markdown", filepath.Join(missing, "s.md")}, "--markdown"},
		{"report --html missing folder", []string{"report", doc, "--html", filepath.Join(missing, "r.html")}, "--html"},
		{"report merge -o directory", []string{"report", "merge", doc, "-o", dir}, "-o " + dir + ": is a directory"},
		{"compare --html under a file", []string{"compare", doc, doc, "--html", filepath.Join(file, "c.html")}, "--html"},
		{"conform --list --json missing folder", []string{"conform", "--list", "--json", filepath.Join(missing, "l.json")}, "--json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fake.accepted.Load()
			start := time.Now()
			code, _, errOut := ftpspec(t, tt.args...)
			assert.Equal(t, 2, code, errOut)
			assert.Contains(t, errOut, tt.want)
			assert.Less(t, time.Since(start), 5*time.Second)
			assert.Equal(t, before, fake.accepted.Load(), "no connection before the check")
			assert.NoDirExists(t, filepath.Join(dir, "nonexistent"), "a missing folder is not created")
		})
	}
}

// Item 7: an output that fails at the end does not stop the others, and the exit code keeps
// the verdict; the write error is reported too.
func TestOneFailedOutputKeepsTheOthersAndTheVerdict(t *testing.T) {
	dir := t.TempDir()
	r := &reports.Run{Schema: reports.SchemaV1, Target: reports.Target{URL: "ftp://h:21"},
		Conformance: &reports.Conformance{Cases: []reports.CaseResult{{ID: "rfc959/1/a", Outcome: reports.Fail}}}}
	r.Conformance.Recount()
	o := outputs{json: filepath.Join(dir, "r.json"), html: filepath.Join(dir, "gone", "r.html"), markdown: filepath.Join(dir, "r.md")}
	var info bytes.Buffer
	werr := o.write(&bytes.Buffer{}, &info, r)
	require.Error(t, werr)
	assert.Contains(t, werr.Error(), "--html")
	assert.FileExists(t, o.json)
	assert.FileExists(t, o.markdown, "the output after the failed one is still written")
	assert.Contains(t, info.String(), "wrote "+o.json)

	failed := withWriteErr(verdictOf(r), werr)
	assert.Equal(t, 1, exitCode(failed), "a failure stays exit 1")
	assert.Contains(t, failed.Error(), "conformance case failed")
	assert.Contains(t, failed.Error(), "--html")
	passed := withWriteErr(nil, werr)
	assert.Equal(t, 3, exitCode(passed), "a passing run whose results were not all written did not complete")
	assert.Nil(t, withWriteErr(nil, nil))
}

// Item 8: --json - (and merge -o -) put only the JSON document on stdout.
func TestJSONDashIsPureJSON(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
	}{
		{"conform", []string{"conform", "--run", "rfc959/4.1.1/*", "--json", "-"}},
		{"conform with a failure line", []string{"conform", "--run", "rfc959/4.1.1/*", "--verbose", "--json", "-"}},
		{"load", []string{"load", "--sessions", "3", "--transfers", "2", "--json", "-"}},
		{"load with more outputs", []string{"load", "--sessions", "3", "--transfers", "2", "--json", "-", "--markdown", filepath.Join(dir, "l.md")}},
	}
	var docs []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := ftpspec(t, tt.args...)
			require.Equal(t, 0, code, errOut)
			var r reports.Run
			dec := json.NewDecoder(strings.NewReader(out))
			require.NoError(t, dec.Decode(&r), "stdout: %q", out)
			assert.False(t, dec.More(), "nothing after the document")
			assert.Equal(t, reports.SchemaV1, r.Schema)
			assert.NotEmpty(t, errOut, "the human summary goes to stderr")
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".json")
			require.NoError(t, os.WriteFile(p, []byte(out), 0o644))
			docs = append(docs, p)
		})
	}
	code, out, errOut := ftpspec(t, "report", "merge", docs[0], docs[2], "-o", "-")
	require.Equal(t, 0, code, errOut)
	var m reports.Run
	require.NoError(t, json.Unmarshal([]byte(out), &m), "stdout: %q", out)
	assert.NotNil(t, m.Load)
	assert.NotNil(t, m.Conformance)
}

// Item 4 end to end: merging a conformance and a load document keeps the load's own rates.
func TestMergeConformAndLoadKeepsLoadRates(t *testing.T) {
	dir := t.TempDir()
	c, l, m := filepath.Join(dir, "c.json"), filepath.Join(dir, "l.json"), filepath.Join(dir, "m.json")
	code, _, errOut := ftpspec(t, "conform", "--run", "rfc959/*/*", "--json", c)
	require.Equal(t, 0, code, errOut)
	code, _, errOut = ftpspec(t, "load", "--sessions", "20", "--transfers", "3", "--json", l)
	require.Equal(t, 0, code, errOut)
	code, _, errOut = ftpspec(t, "report", "merge", c, l, "-o", m)
	require.Equal(t, 0, code, errOut)
	lr, mr := readRun(t, l).Load, readRun(t, m).Load
	assert.Equal(t, lr.TransfersPerS, mr.TransfersPerS)
	assert.Equal(t, lr.ThroughputBytesPerS, mr.ThroughputBytesPerS)

	// Item 5: the same document twice is refused: by path, or as a copy under another name
	// (naming both files).
	code, _, errOut = ftpspec(t, "report", "merge", l, l, "-o", filepath.Join(dir, "dup.json"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, l+" is given twice")
	copied := filepath.Join(dir, "copy.json")
	data, err := os.ReadFile(l)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(copied, data, 0o644))
	code, _, errOut = ftpspec(t, "report", "merge", l, copied, "-o", filepath.Join(dir, "dup.json"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, l+" and "+copied)
	assert.NoFileExists(t, filepath.Join(dir, "dup.json"))
}

// Item 5 end to end: shards carry index, count and run identity; merge refuses mixtures.
func TestMergeShardsRefusesMismatches(t *testing.T) {
	dir := t.TempDir()
	shard := func(name, spec string, extra ...string) string {
		p := filepath.Join(dir, name)
		args := append([]string{"load", "--sessions", "4", "--transfers", "2", "--seed", "7", "--shard", spec, "--json", p}, extra...)
		code, _, errOut := ftpspec(t, args...)
		require.Equal(t, 0, code, errOut)
		return p
	}
	a, b := shard("a.json", "1/2"), shard("b.json", "2/2")
	other := shard("c.json", "2/2", "--run-id", "another-run")
	three := shard("d.json", "2/3", "--sessions", "6")
	ra := readRun(t, a).Load.Shard
	require.NotNil(t, ra)
	assert.Equal(t, 1, ra.Index)
	assert.Equal(t, 2, ra.Count)
	assert.NotEmpty(t, ra.Run)
	assert.Equal(t, ra.Run, readRun(t, b).Load.Shard.Run, "shards of one run agree on its identity without coordination")

	code, _, errOut := ftpspec(t, "report", "merge", a, b, "-o", filepath.Join(dir, "ab.json"))
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, 8, readRun(t, filepath.Join(dir, "ab.json")).Load.Transfers.Attempted, "4 sessions × 2 transfers over both shards")

	a2 := filepath.Join(dir, "a-copy.json")
	data, err := os.ReadFile(a)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(a2, data, 0o644))
	for _, pair := range [][2]string{{a, a2}, {a, other}, {a, three}} {
		code, _, errOut := ftpspec(t, "report", "merge", pair[0], pair[1], "-o", filepath.Join(dir, "bad.json"))
		assert.Equal(t, 2, code, errOut)
		assert.Contains(t, errOut, pair[0])
		assert.Contains(t, errOut, pair[1])
	}
}

// Item 6: compare refuses documents that cannot be compared, saying what differs, unless told.
func TestCompareRefusesIncomparableRuns(t *testing.T) {
	dir := t.TempDir()
	c, l, big := filepath.Join(dir, "c.json"), filepath.Join(dir, "l.json"), filepath.Join(dir, "big.json")
	for _, args := range [][]string{
		{"conform", "--run", "rfc959/4.1.1/*", "--json", c},
		{"load", "--sessions", "4", "--transfers", "2", "--json", l},
		{"load", "--sessions", "8", "--transfers", "2", "--size", "4KiB", "--json", big},
	} {
		code, _, errOut := ftpspec(t, args...)
		require.Equal(t, 0, code, errOut)
	}
	code, _, errOut := ftpspec(t, "compare", c, l)
	assert.Equal(t, 2, code, errOut)
	assert.Contains(t, errOut, "the baseline has conformance results, the new run has none")
	code, _, errOut = ftpspec(t, "compare", l, big)
	assert.Equal(t, 2, code, errOut)
	assert.Contains(t, errOut, "sessions 4 vs 8")
	assert.Contains(t, errOut, "size 65536 vs 4096")
	code, out, errOut := ftpspec(t, "compare", l, big, "--allow-different")
	assert.NotEqual(t, 2, code, errOut)
	assert.Contains(t, out, "load metrics")
	assert.Contains(t, errOut, "sessions 4 vs 8", "the difference is still said")
}

// Item 10: values that were accepted and should not be are exit 2, naming the value.
func TestBadValuesAreExit2(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	graceCfg := write("server.yaml", "listen: 127.0.0.1:0\ntimeouts:\n  shutdown_grace: -5s\n")
	sources := write("sources.yaml", "sessions: 2\ntransfers: 1\nsources: [127.0.0.1, 192.0.2.77]\n")
	banana := write("banana.json", `{"schema":"ftpspec.run/v1","target":{"url":"ftp://h:21"},"conformance":{"cases":[{"id":"a","outcome":"banana"}],"totals":{}}}`)
	negative := write("negative.json", `{"schema":"ftpspec.run/v1","target":{"url":"ftp://h:21"},"load":{"transfers":{"attempted":4,"ok":-3}}}`)

	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"conform --timeout 0s", []string{"conform", "--timeout", "0s"}, "--timeout 0s"},
		{"conform --timeout -1s", []string{"conform", "--timeout", "-1s"}, "--timeout -1s"},
		{"conform --list --tls bogus", []string{"conform", "--list", "--tls", "bogus"}, `"bogus"`},
		{"serve --grace -5s", []string{"serve", "--grace", "-5s", "--listen", "127.0.0.1:0"}, "--grace -5s"},
		{"shutdown_grace -5s in a config", []string{"serve", "--config", graceCfg}, "server.yaml:3"},
		{"a source that is not local", []string{"load", "--scenario", sources}, "192.0.2.77"},
		{"port 99999 in the target", []string{"conform", "--target", "ftp://127.0.0.1:99999"}, `"99999"`},
		{"load port 99999 in the target", []string{"load", "--target", "ftp://127.0.0.1:99999"}, `"99999"`},
		{"report of outcome banana", []string{"report", banana, "--html", filepath.Join(dir, "r.html")}, `"banana"`},
		{"report of ok -3", []string{"report", negative, "--html", filepath.Join(dir, "r.html")}, "load.transfers.ok: -3"},
		{"compare of ok -3", []string{"compare", negative, negative}, "load.transfers.ok: -3"},
		{"completion for an unknown shell", []string{"completion", "tcsh"}, `"tcsh"`},
		{"load --mix with a bad separator", []string{"load", "--mix", "RETR;8"}, "NAME:WEIGHT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := ftpspec(t, tt.args...)
			assert.Equal(t, 2, code, errOut)
			assert.Contains(t, errOut, tt.msg)
			assert.Equal(t, 1, strings.Count(errOut, "ftpspec: "), "one error line: %q", errOut)
		})
	}
	assert.NoFileExists(t, filepath.Join(dir, "r.html"))
}

// Item 11: conform --list --json FILE writes the list to FILE.
func TestConformListJSONToFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cases.json")
	code, out, errOut := ftpspec(t, "conform", "--list", "--run", "rfc959/*/*", "--json", p)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "wrote "+p)
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	var list struct {
		Cases []caseListing `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(data, &list))
	require.NotEmpty(t, list.Cases)
	for _, c := range list.Cases {
		assert.True(t, strings.HasPrefix(c.ID, "rfc959/"), c.ID)
	}
}

// Item 12: the help's --mix example is what the parser accepts.
func TestLoadMixHelpExampleIsAccepted(t *testing.T) {
	code, help, _ := ftpspec(t, "load", "--help")
	require.Equal(t, 0, code)
	require.Contains(t, help, "RETR:8,STOR:1")
	js := filepath.Join(t.TempDir(), "l.json")
	code, _, errOut := ftpspec(t, "load", "--sessions", "2", "--transfers", "4", "--mix", "RETR:8,STOR:1", "--json", js)
	require.Equal(t, 0, code, errOut)
	ops := map[string]bool{}
	for _, r := range readRun(t, js).Load.Records {
		ops[string(r.Op)] = true
	}
	assert.True(t, ops["RETR"], "%v", ops)
}

// Item 14: an xpass is "1 unexpected pass", not "1 case failed".
func TestXPassIsReportedAsUnexpectedPass(t *testing.T) {
	expect := filepath.Join(t.TempDir(), "expect.yaml")
	require.NoError(t, os.WriteFile(expect, []byte("xfail:\n  - id: rfc959/4.1.1/quit-closes\n    reason: thought broken\n"), 0o644))
	code, list, _ := ftpspec(t, "conform", "--list", "--run", "rfc959/4.1.1/quit-closes")
	require.Equal(t, 0, code)
	require.Contains(t, list, "1 cases", "the case this test relies on exists")
	code, out, errOut := ftpspec(t, "conform", "--run", "rfc959/4.1.1/quit-closes", "--expect", expect)
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, errOut, "1 unexpected pass")
	assert.NotContains(t, errOut, "failed")
	assert.Contains(t, out, "1 unexpected pass")
}

// Item 15: every command's help has examples and shows the defaults; the README's fault table
// says what `serve --list-faults` says.
func TestHelpHasExamplesAndDefaults(t *testing.T) {
	for _, cmd := range [][]string{{"serve"}, {"conform"}, {"load"}, {"report"}, {"report", "merge"}, {"compare"}, {"selftest"}, {"completion"}} {
		code, out, _ := ftpspec(t, append(cmd, "--help")...)
		require.Equal(t, 0, code, cmd)
		assert.Contains(t, out, "Examples:\n  ftpspec "+cmd[0], "%v", cmd)
	}
	_, out, _ := ftpspec(t, "load", "--help")
	for _, want := range []string{"--sessions string .*\\(default 10\\)", "--transfers string .*\\(default 2\\)", "--size string .*\\(default 64KiB\\)", "--mode string .*\\(default epsv\\)", "--timeout string .*\\(default 30s\\)"} {
		assert.Regexp(t, want, out)
	}
	_, out, _ = ftpspec(t, "conform", "--help")
	assert.Regexp(t, `--timeout duration .*\(default 20s\)`, out)
	assert.Regexp(t, `--parallel int .*\(default 4\)`, out)

	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for _, f := range reference.Faults() {
		row := "| `" + f.Name + "` | " + f.Description + " |"
		assert.True(t, strings.Contains(string(readme), row), "README has no fault row %q", row)
	}
}

// Item 16: conform shows its progress: a bar on a terminal, a plain line every interval elsewhere.
func TestConformProgress(t *testing.T) {
	var lines syncBuffer
	var human bytes.Buffer
	p := newConformProgress(&lines, &human, 20*time.Millisecond)
	p.planned(3)
	p.starting("rfc959/4.1.1/a", "none")
	p.done(reports.CaseResult{ID: "rfc959/4.1.1/a", Outcome: reports.Pass})
	p.starting("rfc959/4.1.1/b", "explicit")
	p.done(reports.CaseResult{ID: "rfc959/4.1.1/b", Outcome: reports.Fail})
	p.println("FAIL        rfc959/4.1.1/b")
	// A slow case: nothing is decided for a while, and the line still comes, every interval.
	require.Eventually(t, func() bool { return strings.Count(lines.String(), "\n") >= 3 }, 5*time.Second, 5*time.Millisecond)
	p.close()
	n := strings.Count(lines.String(), "\n")
	time.Sleep(60 * time.Millisecond)
	assert.Equal(t, n, strings.Count(lines.String(), "\n"), "no line after close")
	assert.Contains(t, lines.String(), "conform: 2/3 cases, 1 fail, 0 error, now rfc959/4.1.1/b [explicit]")
	assert.Equal(t, "FAIL        rfc959/4.1.1/b\n", human.String(), "result lines go to the human output")

	var bar bytes.Buffer
	p = &conformProgress{out: &bar, human: &human, every: time.Hour, start: time.Now()}
	p.startBars(&bar, 200)
	p.planned(2)
	p.starting("rfc959/5.4/unknown-command", "none")
	p.done(reports.CaseResult{Outcome: reports.Fail})
	time.Sleep(400 * time.Millisecond) // at least one refresh with the case still current
	p.done(reports.CaseResult{Outcome: reports.Pass})
	p.close()
	out := bar.String()
	assert.Contains(t, out, "conform")
	assert.Contains(t, out, "2/2")
	assert.Contains(t, out, "1 fail")
	assert.Contains(t, out, "rfc959/5.4/unknown-command")
}

// Item 2 for load: a target that refuses the first connection still leaves a document saying
// what was asked of whom and why nothing was measured.
func TestLoadUnreachableTargetLeavesAPartialDocument(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "ftp://" + closed.Addr().String()
	closed.Close()
	js := filepath.Join(t.TempDir(), "l.json")
	code, _, errOut := ftpspec(t, "load", "--target", url, "--sessions", "2", "--json", js)
	require.Equal(t, 3, code, errOut)
	r := readRun(t, js)
	assert.True(t, r.Partial)
	assert.Contains(t, r.PartialReason, "connection refused")
	assert.Equal(t, url, r.Target.URL)
	assert.NotContains(t, errOut, "0 transfers", "no line of zeros for a run that never started")
}
