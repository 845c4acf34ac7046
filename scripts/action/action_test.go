package action

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reports"
)

const releaseVersion = "v9.9.9-actiontest"

// release is one `scripts/release.sh` build for this machine's platform, served over HTTP the way
// GitHub serves release assets (<base>/<tag>/<asset>), shared by the tests of this package.
type release struct {
	base   string // FTPSPEC_RELEASE_BASE
	binary string // the ftpspec binary inside it, to run a server under test
	err    error
}

var (
	relOnce sync.Once
	rel     release
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "action.yml"))
	return root
}

func getRelease(t *testing.T) release {
	t.Helper()
	relOnce.Do(func() {
		root := repoRoot(t)
		dist, err := os.MkdirTemp("", "ftpspec-action-release-")
		if err != nil {
			rel.err = err
			return
		}
		cmd := exec.Command(filepath.Join(root, "scripts", "release.sh"))
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "PLATFORMS="+runtime.GOOS+"/"+runtime.GOARCH, "DIST="+dist,
			"VERSION="+releaseVersion, "COMMIT=0123456789abcdef0123456789abcdef01234567", "DATE=2026-12-02T12:00:00Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			rel.err = fmt.Errorf("release.sh: %v\n%s", err, out)
			return
		}
		mux := http.NewServeMux()
		mux.Handle("/"+releaseVersion+"/", http.StripPrefix("/"+releaseVersion+"/", http.FileServer(http.Dir(dist))))
		// A release whose checksum file does not match its asset, as a tampered download would.
		mux.HandleFunc("/v9.9.8-tampered/", func(w http.ResponseWriter, r *http.Request) {
			name := strings.TrimPrefix(r.URL.Path, "/v9.9.8-tampered/")
			if name == "SHA256SUMS" {
				fmt.Fprintf(w, "%s  %s\n", strings.Repeat("0", 64), assetName("9.9.8-tampered"))
				return
			}
			http.ServeFile(w, r, filepath.Join(dist, assetName(strings.TrimPrefix(releaseVersion, "v"))))
		})
		srv := httptest.NewServer(mux) // lives as long as the test binary
		rel.base = srv.URL
		rel.binary = filepath.Join(dist, fmt.Sprintf("ftpspec_%s_%s_%s", strings.TrimPrefix(releaseVersion, "v"), runtime.GOOS, runtime.GOARCH), "ftpspec")
	})
	require.NoError(t, rel.err)
	return rel
}

func assetName(version string) string {
	return fmt.Sprintf("ftpspec_%s_%s_%s.tar.gz", version, runtime.GOOS, runtime.GOARCH)
}

// runnerOS and runnerArch are what GitHub's runner says for this machine.
func runnerOS(t *testing.T) (string, string) {
	t.Helper()
	os := map[string]string{"linux": "Linux", "darwin": "macOS", "windows": "Windows"}[runtime.GOOS]
	arch := map[string]string{"amd64": "X64", "arm64": "ARM64"}[runtime.GOARCH]
	if os == "" || arch == "" {
		t.Skipf("no GitHub runner is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	return os, arch
}

func newRunner(t *testing.T, ref string, inputs map[string]string) *runner {
	t.Helper()
	root := repoRoot(t)
	tmp := t.TempDir()
	ws := filepath.Join(tmp, "workspace")
	rt := filepath.Join(tmp, "runner-temp")
	require.NoError(t, os.Mkdir(ws, 0o755))
	require.NoError(t, os.Mkdir(rt, 0o755))
	summary := filepath.Join(tmp, "step-summary.md")
	require.NoError(t, os.WriteFile(summary, nil, 0o644))
	ros, rarch := runnerOS(t)
	return &runner{
		t:          t,
		action:     readAction(t, filepath.Join(root, "action.yml")),
		actionPath: root,
		actionRef:  ref,
		workspace:  ws,
		env: map[string]string{
			"GITHUB_ACTIONS":       "true",
			"GITHUB_STEP_SUMMARY":  summary,
			"GITHUB_WORKSPACE":     ws,
			"RUNNER_OS":            ros,
			"RUNNER_ARCH":          rarch,
			"RUNNER_TEMP":          rt,
			"FTPSPEC_RELEASE_BASE": getRelease(t).base,
		},
		inputs: inputs,
		steps:  map[string]map[string]string{},
	}
}

// serveFaulty starts `ftpspec serve --fault shared-pasv-port` from the release, as a CI job's
// service container would run the server under test, and returns its URL.
func serveFaulty(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, getRelease(t).binary, "serve", "--listen", "127.0.0.1:0",
		"--pasv-ports", "25000-25999", "--root", t.TempDir(), "--fault", "shared-pasv-port")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		re := regexp.MustCompile(`\((ftp://[^)]+)\)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	select {
	case u := <-urls:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("ftpspec serve did not say where it listens")
		return ""
	}
}

func TestActionPassesAgainstTheReference(t *testing.T) {
	r := newRunner(t, releaseVersion, map[string]string{
		"command": "conform",
		"args":    "--run 'rfc959/4.1.2/*' --parallel 2",
		"junit":   "ftpspec-results/junit.xml",
	})
	res := r.run()
	require.False(t, res.failed, "exit %d\n%s", res.code, res.log)

	assert.Contains(t, res.log, "installed "+assetName(strings.TrimPrefix(releaseVersion, "v")), "the release asset, not a source build")
	assert.Contains(t, res.log, "ftpspec "+releaseVersion+"\n", "the installed binary is the release's")
	assert.Empty(t, r.skipped, "no Go set-up when a release exists")

	assert.Equal(t, "pass", res.outputs["verdict"])
	assert.Equal(t, "0", res.outputs["exit-code"])
	assert.Equal(t, "ftpspec-results/run.json", res.outputs["json"])
	assert.Equal(t, "ftpspec-results/report.html", res.outputs["html"])
	assert.Equal(t, "ftpspec-results/junit.xml", res.outputs["junit"])
	doc, err := reports.ReadFile(filepath.Join(r.workspace, res.outputs["json"]))
	require.NoError(t, err)
	require.NotNil(t, doc.Conformance)
	assert.Equal(t, releaseVersion, doc.Tool.Version)
	assert.Zero(t, doc.Conformance.Totals.Fail)
	assert.Positive(t, doc.Conformance.Totals.Pass)
	for _, c := range doc.Conformance.Cases {
		assert.True(t, strings.HasPrefix(c.ID, "rfc959/4.1.2/"), "args reached ftpspec: %s", c.ID)
	}
	html, err := os.ReadFile(filepath.Join(r.workspace, res.outputs["html"]))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(html), "<!doctype html>") && strings.Contains(string(html), "rfc959/4.1.2/pasv-address"), "the HTML report of this run")
	junit, err := os.ReadFile(filepath.Join(r.workspace, res.outputs["junit"]))
	require.NoError(t, err)
	assert.Contains(t, string(junit), "<testsuite")

	assert.True(t, strings.HasPrefix(res.summary, "## ftpspec: ✅ all passed"), "summary:\n%s", res.summary)
	assert.Contains(t, res.summary, "### Conformance")
}

func TestActionFailsWithFtpspecsExitCode(t *testing.T) {
	url := serveFaulty(t)
	tests := []struct {
		name      string
		inputs    map[string]string
		code      int
		verdict   string
		summary   []string
		checkDocs func(t *testing.T, doc *reports.Run)
	}{
		{
			name:    "conform against shared-pasv-port",
			inputs:  map[string]string{"command": "conform", "target": url, "args": "--run rfc959/4.1.2/pasv-distinct-ports-sessions"},
			code:    1,
			verdict: "fail",
			summary: []string{"## ftpspec: ❌ 1 case failure(s)", "rfc959/4.1.2/pasv-distinct-ports-sessions"},
			checkDocs: func(t *testing.T, doc *reports.Run) {
				require.NotNil(t, doc.Conformance)
				assert.Equal(t, 1, doc.Conformance.Totals.Fail)
			},
		},
		{
			name:    "load against shared-pasv-port",
			inputs:  map[string]string{"command": "load", "target": url, "args": "--sessions 20 --transfers 2", "html": ""},
			code:    1,
			verdict: "fail",
			summary: []string{"failing load run", "isrouted"},
			checkDocs: func(t *testing.T, doc *reports.Run) {
				require.NotNil(t, doc.Load)
				assert.Positive(t, doc.Load.Transfers.Misrouted)
			},
		},
		{
			name:    "a command the action does not know",
			inputs:  map[string]string{"command": "frobnicate"},
			code:    2,
			verdict: "bad-input",
			summary: []string{"### ftpspec frobnicate: bad-input (exit 2)", "is not conform, load or bench"},
		},
		{
			name:    "args with an unbalanced quote",
			inputs:  map[string]string{"command": "conform", "args": "--run 'rfc959/*/*"},
			code:    2,
			verdict: "bad-input",
			summary: []string{"input args: ", "quote"},
		},
		{
			name:    "a flag ftpspec refuses",
			inputs:  map[string]string{"command": "conform", "args": "--parallel 0"},
			code:    2,
			verdict: "bad-input",
			summary: []string{"--parallel 0"},
		},
		{
			name:    "an unreachable target",
			inputs:  map[string]string{"command": "conform", "target": "ftp://u:secret-pw@127.0.0.1:1"},
			code:    3,
			verdict: "incomplete",
			summary: []string{"127.0.0.1:1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t, releaseVersion, tc.inputs)
			res := r.run()
			require.True(t, res.failed, "the step fails when ftpspec does\n%s", res.log)
			assert.Equal(t, tc.code, res.code, res.log)
			assert.Equal(t, tc.verdict, res.outputs["verdict"])
			assert.Equal(t, fmt.Sprint(tc.code), res.outputs["exit-code"])
			for _, s := range tc.summary {
				assert.Contains(t, res.summary, s)
			}
			assert.Regexp(t, `(?m)^::error title=ftpspec \S+: `+tc.verdict+`::\S`, res.log, "an annotation on the job page")
			if tc.checkDocs != nil {
				require.Equal(t, "ftpspec-results/run.json", res.outputs["json"], "the run document is an output even when the run fails")
				doc, err := reports.ReadFile(filepath.Join(r.workspace, res.outputs["json"]))
				require.NoError(t, err)
				tc.checkDocs(t, doc)
			}
			if strings.Contains(tc.inputs["target"], ":secret-pw@") || strings.Contains(tc.inputs["target"], ":test@") {
				pw := regexp.MustCompile(`://[^:]*:([^@]+)@`).FindStringSubmatch(tc.inputs["target"])[1]
				assert.Contains(t, res.log, "::add-mask::"+pw, "the password is masked in the log")
				assert.NotContains(t, strings.ReplaceAll(res.log, "::add-mask::"+pw, ""), ":"+pw+"@", "the echoed command line hides the password")
			}
		})
	}
}

func TestActionRefusesATamperedRelease(t *testing.T) {
	r := newRunner(t, "v9.9.8-tampered", map[string]string{"command": "conform"})
	res := r.run()
	require.True(t, res.failed)
	assert.Equal(t, 3, res.code)
	assert.Contains(t, res.log, "checksum mismatch for "+assetName("9.9.8-tampered"))
	assert.NotContains(t, res.log, "--- step 3 run", "nothing runs after a failed install")
}

func TestActionBuildsFromSourceWhenTheRefHasNoRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds ftpspec from source")
	}
	for _, ref := range []string{"main", "v0.0.1"} { // a branch; a tag with no release assets (404)
		t.Run(ref, func(t *testing.T) {
			r := newRunner(t, ref, map[string]string{"command": "conform", "args": "--run rfc959/4.1.2/pasv-address", "html": ""})
			res := r.run()
			require.False(t, res.failed, "exit %d\n%s", res.code, res.log)
			assert.Contains(t, res.log, "building "+ref+" from the action's source")
			assert.Equal(t, []string{"actions/setup-go@v5 (go on PATH)"}, r.skipped, "Go is set up only for a source build")
			assert.Contains(t, res.log, "ftpspec "+ref+"\n", "the source build is stamped with the ref")
			assert.Equal(t, "pass", res.outputs["verdict"])
			assert.Empty(t, res.outputs["html"], "no HTML when the input is empty")
		})
	}
}

func TestOutputsFileFormat(t *testing.T) {
	f := filepath.Join(t.TempDir(), "out")
	require.NoError(t, os.WriteFile(f, []byte("a=1\nb=x=y\nmulti<<EOF\nline 1\nline 2\nEOF\nempty=\n"), 0o644))
	assert.Equal(t, map[string]string{"a": "1", "b": "x=y", "multi": "line 1\nline 2", "empty": ""}, parseOutputs(t, f))
}
