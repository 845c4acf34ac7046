package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/reports"
)

// TestStampedBuildReportsItself builds the binary the way `make build` and `make release` stamp it
// and checks that version, --version and the run document's tool field all say the same.
func TestStampedBuildReportsItself(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ftpspec")
	const (
		v = "v9.8.7-test"
		c = "0123456789abcdef0123456789abcdef01234567"
		d = "2026-12-02T10:11:12Z"
	)
	// Without -trimpath and CGO_ENABLED=0 (which make release adds) so the build reuses the
	// test's own compiled packages: the stamping is what is under test here.
	build := exec.Command("go", "build", "-o", bin,
		"-ldflags", "-X main.version="+v+" -X main.commit="+c+" -X main.date="+d, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	out, err = exec.Command(bin, "version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "ftpspec "+v+"\ncommit  "+c+"\nbuilt   "+d+"\ngo      "+runtime.Version()+"\n", string(out))

	out, err = exec.Command(bin, "--version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "ftpspec version "+v+" (commit "+c+", built "+d+", "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+")", strings.TrimSpace(string(out)))

	out, err = exec.Command(bin, "version", "--json").CombinedOutput()
	require.NoError(t, err, "%s", out)
	var tool reports.Tool
	require.NoError(t, json.Unmarshal(out, &tool))
	want := reports.Tool{Name: "ftpspec", Version: v, Commit: c, Built: d, Go: runtime.Version()}
	assert.Equal(t, want, tool)

	js := filepath.Join(dir, "load.json")
	out, err = exec.Command(bin, "load", "--sessions", "2", "--transfers", "1", "--json", js).CombinedOutput()
	require.NoError(t, err, "%s", out)
	r, err := reports.ReadFile(js)
	require.NoError(t, err)
	assert.Equal(t, want, r.Tool, "the run document carries what `ftpspec version` prints")
}

func TestVersionCommand(t *testing.T) {
	code, out, errOut := ftpspec(t, "version")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "go      "+runtime.Version())

	code, _, errOut = ftpspec(t, "version", "--json", filepath.Join(t.TempDir(), "no", "such", "dir", "v.json"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "v.json")

	code, _, errOut = ftpspec(t, "version", "extra")
	assert.Equal(t, 2, code, errOut)
}
