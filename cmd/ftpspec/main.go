// Command ftpspec is an FTP conformance and load-testing harness: it serves a reference FTP server,
// checks any server against cited RFC requirements, drives many simultaneous same-IP passive
// transfers with every byte verified, and renders the results as JSON, HTML, JUnit and Markdown.
//
// Each subcommand is a function of (context, arguments, stdout, stderr) so tests call it without
// exec; exit codes come from one table in exit.go.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(bareJSONToStdout(args))
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "ftpspec: %s\n", terminalSafe(oneLine(err.Error())))
	}
	return exitCode(err)
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "ftpspec",
		Short: "FTP conformance and load-testing harness",
		Long: "ftpspec checks FTP servers against the RFCs (with the exact bytes as evidence), proves under load\n" +
			"that every passive data connection reaches the transfer that asked for it, and measures throughput.\n" +
			"Without --target, conform and load run against an embedded reference server.",
		Version:       buildInfo().String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.AddCommand(
		newServeCmd(stdout, stderr),
		newConformCmd(stdout, stderr),
		newLoadCmd(stdout, stderr),
		newBenchCmd(stdout, stderr),
		newReportCmd(stdout, stderr),
		newCompareCmd(stdout, stderr),
		newSelftestCmd(stdout, stderr),
		newLabCmd(stdout, stderr),
		newVersionCmd(stdout),
	)
	root.InitDefaultCompletionCmd() // now, so that it can be adjusted; cobra would add it later
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			completionCmd(c)
		}
	}
	return root
}

// bareJSONToStdout lets "--json" stand without a file (conform --list --json): a --json followed by
// nothing or by another flag means standard output. pflag cannot express an optional value that
// may also be given as the next argument, so the one flag that needs it is rewritten here.
func bareJSONToStdout(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--json" && (i == len(out)-1 || strings.HasPrefix(out[i+1], "-") && out[i+1] != "-") {
			out[i] = "--json=-"
		}
	}
	return out
}

// completionCmd makes cobra's completion command refuse a shell it does not know (it prints its
// help and exits 0 otherwise) and gives it examples like every other command.
func completionCmd(c *cobra.Command) {
	var shells []string
	for _, sub := range c.Commands() {
		shells = append(shells, sub.Name())
	}
	c.Example = "  ftpspec completion bash > /etc/bash_completion.d/ftpspec\n" +
		"  ftpspec completion zsh > \"${fpath[1]}/_ftpspec\"\n" +
		"  ftpspec completion fish > ~/.config/fish/completions/ftpspec.fish"
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageErr(fmt.Errorf("completion: name a shell: %s", strings.Join(shells, ", ")))
		}
		return usageErr(fmt.Errorf("completion %q: unknown shell (want %s)", args[0], strings.Join(shells, ", ")))
	}
}
