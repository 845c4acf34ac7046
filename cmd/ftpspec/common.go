package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reference"
	"github.com/ftpspec/ftpspec/reports"
)

// outputs are the files a run or a report writes; every one is optional.
type outputs struct {
	json, html, junit, markdown string
	comparison                  *reports.Comparison // added to the HTML report by compare --html
}

func (o *outputs) register(f *pflag.FlagSet, withJSON bool) {
	if withJSON {
		f.StringVar(&o.json, "json", "", "write the run document (JSON) to FILE ('-' or no FILE: stdout)")
	}
	f.StringVar(&o.html, "html", "", "write a self-contained HTML report to FILE")
	f.StringVar(&o.junit, "junit", "", "write JUnit XML to FILE")
	f.StringVar(&o.markdown, "markdown", "", "write a Markdown summary to FILE")
}

// human is where a command's human-readable lines go: stdout, unless the JSON document itself
// goes there (--json -), in which case stdout carries nothing but the document.
func (o outputs) human(stdout, stderr io.Writer) io.Writer {
	if o.json == "-" {
		return stderr
	}
	return stdout
}

// each lists the requested output files with the flag that names them.
func (o outputs) each() []struct{ flag, path string } {
	var out []struct{ flag, path string }
	for _, x := range []struct{ flag, path string }{{"--json", o.json}, {"--html", o.html}, {"--junit", o.junit}, {"--markdown", o.markdown}} {
		if x.path != "" && x.path != "-" {
			out = append(out, x)
		}
	}
	return out
}

// check is run before any connection: an output that cannot be written is a usage error now,
// not a lost result after a long run.
func (o outputs) check() error {
	for _, x := range o.each() {
		if err := checkOutput(x.flag, x.path); err != nil {
			return err
		}
	}
	return nil
}

// checkOutput verifies that path can be written as a file: it is not a directory, its folder
// exists (it is not created: a typo must not make folders anywhere) and is a folder, and a file
// can be created in it.
func checkOutput(flag, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usageErr(fmt.Errorf("%s %s: is a directory; give a file name", flag, path))
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usageErr(fmt.Errorf("%s %s: folder %s does not exist (it is not created; make it first)", flag, path, dir))
	case errors.Is(err, syscall.ENOTDIR) || err == nil && !fi.IsDir():
		return usageErr(fmt.Errorf("%s %s: %s is not a folder", flag, path, dir))
	case err != nil:
		return usageErr(fmt.Errorf("%s %s: %w", flag, path, err))
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".check-*")
	if err != nil {
		return usageErr(fmt.Errorf("%s %s: cannot write in %s: %w", flag, path, dir, errors.Unwrap(err)))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// write renders runs into every requested output and says on info where each went. One output
// that fails does not stop the others; the failures come back together, each naming its flag.
func (o outputs) write(stdout, info io.Writer, runs ...*reports.Run) error {
	var errs []error
	if o.json != "" && len(runs) != 1 {
		return usageErr(fmt.Errorf("--json: %d runs given, a run document holds one (use 'report merge')", len(runs)))
	}
	if o.json == "-" {
		if err := reports.Encode(stdout, runs[0]); err != nil {
			errs = append(errs, fmt.Errorf("--json -: %w", err))
		}
	}
	try := func(flag, path string, write func() error) {
		if path == "" || path == "-" {
			return
		}
		if err := write(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", flag, err))
			return
		}
		fmt.Fprintf(info, "wrote %s\n", path)
	}
	try("--json", o.json, func() error { return reports.WriteFile(o.json, runs[0]) })
	try("--html", o.html, func() error {
		return reports.WriteHTMLFile(o.html, runs, reports.HTMLOptions{Comparison: o.comparison, Generated: time.Now()})
	})
	try("--junit", o.junit, func() error { return reports.WriteJUnitFile(o.junit, runs, reports.JUnitOptions{}) })
	try("--markdown", o.markdown, func() error {
		return reports.WriteMarkdownFile(o.markdown, runs, reports.MarkdownOptions{ReportURL: o.html})
	})
	return errors.Join(errs...)
}

// withWriteErr combines a run's verdict with a failure to write its outputs. The verdict keeps
// its exit code (a failed transfer stays exit 1) and the message names both; a run that passed
// but whose results could not all be written did not complete: exit 3.
func withWriteErr(verdict, werr error) error {
	switch {
	case werr == nil:
		return verdict
	case verdict == nil:
		return unreachableErr(fmt.Errorf("writing the results: %w", werr))
	}
	return &codedError{code: exitCode(verdict), err: fmt.Errorf("%w; and writing the results: %w", verdict, werr)}
}

// session is the server a conform or load command works against: the --target URL, or an embedded
// reference server started for the run.
type session struct {
	target   target.Target
	embedded *reference.Server
}

func openTarget(raw string, pasv string) (*session, error) {
	if raw != "" {
		t, err := target.Parse(raw)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--target: %w", err))
		}
		return &session{target: t}, nil
	}
	cfg := reference.Config{Listen: "127.0.0.1:0", ImplicitTLSListen: "127.0.0.1:0"}
	if pasv != "" {
		r, err := reference.ParsePortRange(pasv)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--pasv-ports %q: %w", pasv, err))
		}
		cfg.PasvPorts = r
	}
	srv, err := reference.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded reference server: %w", err)
	}
	t, err := target.Parse(srv.URL())
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &session{target: t, embedded: srv}, nil
}

func (s *session) close() {
	if s.embedded != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.embedded.Shutdown(ctx)
	}
}

// newRun starts a run document for the session's target.
func (s *session) newRun(label string) *reports.Run {
	return &reports.Run{
		Schema:  reports.SchemaV1,
		Tool:    toolOf(buildInfo()),
		Label:   label,
		Target:  reports.Target{URL: s.target.String(), Embedded: s.embedded != nil},
		Started: time.Now().UTC(),
	}
}

// urlWithPassword is the target URL including the password, for the packages that log in.
func (s *session) urlWithPassword() string {
	if s.embedded != nil {
		return s.embedded.URL()
	}
	t := s.target
	u := url.URL{Scheme: t.Scheme, Host: t.Addr(), User: url.UserPassword(t.User, t.Password)}
	if t.Dir != "" {
		u.Path = "/" + t.Dir
	}
	return u.String()
}
