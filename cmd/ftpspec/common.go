package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
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

// write renders runs into every requested output and prints where each went.
func (o outputs) write(stdout io.Writer, runs ...*reports.Run) error {
	if o.json == "-" {
		return reports.Encode(stdout, runs[0])
	}
	if o.json != "" {
		if len(runs) != 1 {
			return usageErr(fmt.Errorf("--json: %d runs given, a run document holds one (use 'report merge')", len(runs)))
		}
		if err := reports.WriteFile(o.json, runs[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", o.json)
	}
	if o.html != "" {
		if err := reports.WriteHTMLFile(o.html, runs, reports.HTMLOptions{Comparison: o.comparison, Generated: time.Now()}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", o.html)
	}
	if o.junit != "" {
		if err := reports.WriteJUnitFile(o.junit, runs, reports.JUnitOptions{}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", o.junit)
	}
	if o.markdown != "" {
		if err := reports.WriteMarkdownFile(o.markdown, runs, reports.MarkdownOptions{ReportURL: o.html}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", o.markdown)
	}
	return nil
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
