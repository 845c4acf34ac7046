package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/ftpspec/ftpspec/internal/buildinfo"
	"github.com/ftpspec/ftpspec/reports"
)

// Set by the linker in release builds (Makefile, .goreleaser.yaml):
//
//	-X main.version=v1.2.3 -X main.commit=<sha> -X main.date=<RFC 3339>
//
// Builds that are not stamped (go install, go build) fall back to the toolchain's build record.
var (
	version = ""
	commit  = ""
	date    = ""
)

func buildInfo() buildinfo.Info {
	return buildinfo.Read(buildinfo.Stamped{Version: version, Commit: commit, Date: date})
}

// toolOf is the run document's record of the build that wrote it.
func toolOf(b buildinfo.Info) reports.Tool {
	return reports.Tool{Name: "ftpspec", Version: b.Version, Commit: b.Commit, Built: b.Date, Go: b.Go}
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	var jsonOut string
	cmd := &cobra.Command{
		Use:   "version [--json [FILE]]",
		Short: "Print the version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			b := buildInfo()
			if jsonOut != "" {
				return writeVersionJSON(jsonOut, stdout, toolOf(b))
			}
			unknown := func(s string) string {
				if s == "" {
					return "unknown"
				}
				return s
			}
			fmt.Fprintf(stdout, "ftpspec %s\ncommit  %s\nbuilt   %s\ngo      %s\n", b.Version, unknown(b.Commit), unknown(b.Date), b.Go)
			return nil
		},
	}
	cmd.Flags().StringVar(&jsonOut, "json", "", "write as JSON, the run document's tool field, to FILE ('-' or no FILE: stdout)")
	return cmd
}

func writeVersionJSON(file string, stdout io.Writer, t reports.Tool) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if file == "-" {
		_, err = stdout.Write(b)
		return err
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return usageErr(fmt.Errorf("--json: %w", err))
	}
	return nil
}
