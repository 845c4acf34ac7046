package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestResolve(t *testing.T) {
	checkout := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/ftpspec/ftpspec", Version: "v0.0.0-20261125233326-cbda4a9cdf80"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "cbda4a9cdf806af70bfa68d011b22f1f0e55b852"},
			{Key: "vcs.time", Value: "2026-11-25T23:33:26Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	goInstall := &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Path: "github.com/ftpspec/ftpspec", Version: "v1.4.0"}}
	devel := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/ftpspec/ftpspec", Version: "(devel)"}}

	tests := []struct {
		name    string
		stamped Stamped
		bi      *debug.BuildInfo
		want    Info
	}{
		{
			name:    "release build: the linker stamps win over the build record",
			stamped: Stamped{Version: "v1.4.0", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-12-02T10:00:00Z"},
			bi:      checkout,
			want:    Info{Version: "v1.4.0", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-12-02T10:00:00Z", Go: "go1.26.8"},
		},
		{
			name: "go install module@v1.4.0: the module version, no VCS record",
			bi:   goInstall,
			want: Info{Version: "v1.4.0", Go: "go1.26.1"},
		},
		{
			name: "go build in a modified checkout: pseudo-version, revision marked dirty, commit time",
			bi:   checkout,
			want: Info{Version: "v0.0.0-20261125233326-cbda4a9cdf80", Commit: "cbda4a9cdf806af70bfa68d011b22f1f0e55b852+dirty", Date: "2026-11-25T23:33:26Z", Go: "go1.26.8"},
		},
		{
			name: "go build without VCS information",
			bi:   devel,
			want: Info{Version: "dev", Go: "go1.26.8"},
		},
		{
			name:    "placeholders a build system leaves are blanks, filled from the record",
			stamped: Stamped{Version: "(devel)", Commit: "unknown", Date: "none"},
			bi:      checkout,
			want:    Info{Version: "v0.0.0-20261125233326-cbda4a9cdf80", Commit: "cbda4a9cdf806af70bfa68d011b22f1f0e55b852+dirty", Date: "2026-11-25T23:33:26Z", Go: "go1.26.8"},
		},
		{
			name:    "a date given as Unix seconds or with an offset becomes RFC 3339 UTC",
			stamped: Stamped{Version: "v1.0.0", Date: "1764669600"},
			bi:      devel,
			want:    Info{Version: "v1.0.0", Date: "2025-12-02T10:00:00Z", Go: "go1.26.8"},
		},
		{
			name:    "offset date",
			stamped: Stamped{Version: "v1.0.0", Date: "2026-12-02T11:00:00+01:00"},
			bi:      devel,
			want:    Info{Version: "v1.0.0", Date: "2026-12-02T10:00:00Z", Go: "go1.26.8"},
		},
		{
			name: "no build record at all",
			want: Info{Version: "dev", Go: runtime.Version()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, resolve(tt.stamped, tt.bi))
		})
	}
}

func TestString(t *testing.T) {
	s := Info{Version: "v1.4.0", Commit: "abc", Date: "2026-12-02T10:00:00Z", Go: "go1.26.8"}.String()
	assert.Equal(t, "v1.4.0 (commit abc, built 2026-12-02T10:00:00Z, go1.26.8 "+runtime.GOOS+"/"+runtime.GOARCH+")", s)
	assert.Contains(t, Info{Version: "dev", Go: "go1.26.8"}.String(), "commit unknown, built unknown")
}

func TestReadReportsThisBinary(t *testing.T) {
	i := Read(Stamped{})
	assert.Equal(t, runtime.Version(), i.Go, "a test binary is built by the running toolchain")
	assert.NotEmpty(t, i.Version)
}
