// Package buildinfo says which build of ftpspec is running: version, commit, build date and Go
// version. A release build is stamped by the linker (-X main.version=… in the Makefile and
// .goreleaser.yaml); a `go install …@v1.2.3` or a plain `go build` in a checkout is not, so the
// blanks are filled from what the Go toolchain records in every binary (runtime/debug.BuildInfo:
// the module version, and the VCS revision and commit time when built inside a checkout).
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Info identifies one build.
type Info struct {
	Version string // v1.2.3, v1.2.3-next (snapshot), a pseudo-version, or "dev"
	Commit  string // the full VCS revision, "+dirty" when built from a modified tree; "" when unknown
	Date    string // build (or, failing that, commit) time, RFC 3339 UTC; "" when unknown
	Go      string // the Go release that compiled the binary, e.g. go1.26.8
}

// Stamped is what the linker wrote into package main; any field may be empty or a placeholder.
type Stamped struct{ Version, Commit, Date string }

// Read combines the linker stamps with the binary's embedded build information.
func Read(s Stamped) Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(s, bi)
}

// resolve is Read with the build information given, so tests can feed it any record.
func resolve(s Stamped, bi *debug.BuildInfo) Info {
	info := Info{Version: clean(s.Version), Commit: clean(s.Commit), Date: normDate(clean(s.Date)), Go: runtime.Version()}
	if bi == nil {
		if info.Version == "" {
			info.Version = "dev"
		}
		return info
	}
	if bi.GoVersion != "" {
		info.Go = bi.GoVersion
	}
	if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	var rev, vcsTime string
	modified := false
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			vcsTime = kv.Value
		case "vcs.modified":
			modified = kv.Value == "true"
		}
	}
	if info.Commit == "" && rev != "" {
		info.Commit = rev
		if modified {
			info.Commit += "+dirty"
		}
	}
	if info.Date == "" {
		info.Date = normDate(vcsTime)
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}

// clean drops the placeholders a build system leaves when it has nothing to stamp.
func clean(s string) string {
	s = strings.TrimSpace(s)
	switch s {
	case "unknown", "none", "(devel)":
		return ""
	}
	return s
}

// normDate writes a time as RFC 3339 UTC, accepting RFC 3339 input or Unix seconds (what
// SOURCE_DATE_EPOCH-style stamping gives); anything else is kept as it is.
func normDate(s string) string {
	if s == "" {
		return ""
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format(time.RFC3339)
	}
	var sec int64
	if _, err := fmt.Sscanf(s, "%d", &sec); err == nil && fmt.Sprint(sec) == s {
		return time.Unix(sec, 0).UTC().Format(time.RFC3339)
	}
	return s
}

// String is the one-line form printed by `ftpspec --version`.
func (i Info) String() string {
	commit, date := i.Commit, i.Date
	if commit == "" {
		commit = "unknown"
	}
	if date == "" {
		date = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, built %s, %s %s/%s)", i.Version, commit, date, i.Go, runtime.GOOS, runtime.GOARCH)
}

// ReadModule is Read for a binary whose main module may be another one: a server author's test
// binary that imports ftpspec as a library. The version is the one of module path (the main
// module or a dependency); commit and date are known only when path is the main module.
func ReadModule(path string) Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Path == path {
		return resolve(Stamped{}, bi)
	}
	info := Info{Version: "dev", Go: bi.GoVersion}
	for _, m := range bi.Deps {
		if m.Path == path {
			if m.Replace != nil && m.Replace.Version != "" {
				m = m.Replace
			}
			if m.Version != "" && m.Version != "(devel)" {
				info.Version = m.Version
			}
		}
	}
	return info
}
