//go:build chromium

package reports

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHTMLInChromium renders a multi-run report in headless Chromium: the page must load without
// console errors, and the rendered DOM must hold the matrix, a failing case and the charts. A
// screenshot proves something was painted. Set FTPSPEC_SCREENSHOT_DIR to keep the files.
//
//	go test -tags chromium -run Chromium ./reports/
func TestHTMLInChromium(t *testing.T) {
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("chromium not installed at /usr/bin/chromium (apt-get install chromium)")
	}
	dir := t.TempDir()
	if keep := os.Getenv("FTPSPEC_SCREENSHOT_DIR"); keep != "" {
		dir = keep
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	runs := fixtureMatrix(t)
	base := fixtureRun(t, fixtureOpts{label: "vsftpd 3.0.4", url: "ftp://test@127.0.0.1:2122", conform: true, healthy: true})
	report := filepath.Join(dir, "report.html")
	require.NoError(t, WriteHTMLFile(report, runs, HTMLOptions{Title: "ftpspec interop matrix", Comparison: Compare(base, runs[1], nil)}))
	failing := "rfc959/5.4/unknown-command"

	run := func(t *testing.T, args ...string) (stdout, stderr string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
			"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}
		cmd := exec.CommandContext(ctx, chromium, append(base, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		require.NoError(t, cmd.Run(), "chromium: %s", tail(errb.String(), 2000))
		return out.String(), errb.String()
	}
	consoleErrors := func(stderr string) []string {
		var bad []string
		for _, line := range strings.Split(stderr, "\n") {
			if strings.Contains(line, "Uncaught") || strings.Contains(line, "ERROR:CONSOLE") {
				bad = append(bad, line)
			}
		}
		return bad
	}

	t.Run("dom", func(t *testing.T) {
		dom, stderr := run(t, "--virtual-time-budget=5000", "--dump-dom", "file://"+report)
		assert.Empty(t, consoleErrors(stderr), "console errors")
		assert.Contains(t, dom, failing)
		assert.Contains(t, dom, `<table class="matrix">`)
		assert.Contains(t, dom, "<svg")
		// The script ran: the filter status line is filled in.
		assert.Regexp(t, `<output id="shown"[^>]*>\d+ cases</output>`, dom)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "dom.html"), []byte(dom), 0o644))
	})

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(dir, "report.png")
		_, stderr := run(t, "--window-size=1280,2000", "--screenshot="+shot, "file://"+report)
		assert.Empty(t, consoleErrors(stderr), "console errors")
		fi, err := os.Stat(shot)
		require.NoError(t, err)
		assert.Greater(t, fi.Size(), int64(30_000), "screenshot looks blank")
	})

	t.Run("narrow window", func(t *testing.T) {
		shot := filepath.Join(dir, "report-narrow.png")
		_, stderr := run(t, "--window-size=420,1600", "--screenshot="+shot, "file://"+report)
		assert.Empty(t, consoleErrors(stderr), "console errors")
		fi, err := os.Stat(shot)
		require.NoError(t, err)
		assert.Greater(t, fi.Size(), int64(10_000))
	})

	t.Run("load only", func(t *testing.T) {
		loadReport := filepath.Join(dir, "report-load.html")
		require.NoError(t, WriteHTMLFile(loadReport, runs[2:], HTMLOptions{Title: "ftpspec load"}))
		shot := filepath.Join(dir, "report-load.png")
		_, stderr := run(t, "--window-size=1280,2600", "--screenshot="+shot, "file://"+loadReport)
		assert.Empty(t, consoleErrors(stderr), "console errors")
		fi, err := os.Stat(shot)
		require.NoError(t, err)
		assert.Greater(t, fi.Size(), int64(30_000))
	})
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
