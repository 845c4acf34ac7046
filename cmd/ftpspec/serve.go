package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ftpspec/ftpspec/reference"
)

func newServeCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		listen, root, pasv, config, publicIP, implicit string
		faults                                         []string
		listFaults                                     bool
		grace                                          time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the reference FTP server",
		Long: "serve runs the bundled reference FTP server until SIGINT or SIGTERM, then stops accepting,\n" +
			"lets running transfers finish within the grace period, and exits.\n" +
			"Users: test/test (read-write) and anonymous (read-only). Synthetic read-only files of any size\n" +
			"exist at /synthetic/<size>/<name>.",
		Example: "  ftpspec serve --listen 127.0.0.1:2121 --root /srv/ftp          # the reference server\n" +
			"  ftpspec serve --fault shared-pasv-port                          # …breaking one rule on purpose\n" +
			"  ftpspec serve --config server.yaml --grace 10s\n" +
			"  ftpspec serve --list-faults",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if listFaults {
				return printFaults(stdout)
			}
			if grace < 0 {
				return usageErr(fmt.Errorf("--grace %s: want a duration ≥ 0 such as 30s", grace))
			}
			cfg := reference.Config{}
			if config != "" {
				var err error
				if cfg, err = reference.LoadConfig(config); err != nil {
					return usageErr(err)
				}
			}
			flags := cmd.Flags()
			if flags.Changed("listen") || cfg.Listen == "" {
				cfg.Listen = listen
			}
			if flags.Changed("root") {
				cfg.Root = root
			}
			if flags.Changed("pasv-ports") {
				r, err := reference.ParsePortRange(pasv)
				if err != nil {
					return usageErr(fmt.Errorf("--pasv-ports %q: %w", pasv, err))
				}
				cfg.PasvPorts = r
			}
			if flags.Changed("public-ip") {
				cfg.PublicIP = publicIP
			}
			if flags.Changed("implicit-tls") {
				cfg.ImplicitTLSListen = implicit
			}
			if err := checkFaults(faults); err != nil {
				return err
			}
			cfg.Faults = append(cfg.Faults, faults...)
			srv, err := reference.New(cfg)
			if err != nil {
				return usageErr(fmt.Errorf("serve: %w", err))
			}
			fmt.Fprintf(stdout, "ftpspec reference server listening on %s (%s)\n", srv.Addr(), srv.URL())
			if a := srv.ImplicitTLSAddr(); a != "" {
				fmt.Fprintf(stdout, "implicit TLS on %s\n", a)
			}
			fmt.Fprintf(stdout, "root %s\n", srv.Root())
			if !flags.Changed("grace") && cfg.Timeouts.ShutdownGrace > 0 {
				grace = cfg.Timeouts.ShutdownGrace
			}
			<-cmd.Context().Done()
			fmt.Fprintf(stderr, "ftpspec: shutting down (grace %s)\n", grace)
			ctx, cancel := context.WithTimeout(context.Background(), grace)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:2121", "control connection address")
	f.StringVar(&root, "root", "", "directory served to users (default: a fresh temporary directory)")
	f.StringVar(&pasv, "pasv-ports", "30000-30999", "passive port range LO-HI")
	f.StringVar(&publicIP, "public-ip", "", "address to put in 227 replies (behind NAT)")
	f.StringVar(&implicit, "implicit-tls", "", "also listen for implicit TLS on this address")
	f.StringVar(&config, "config", "", "YAML configuration file (flags override it)")
	f.StringArrayVar(&faults, "fault", nil, "break one rule on purpose (repeatable; see --list-faults)")
	f.BoolVar(&listFaults, "list-faults", false, "list the fault modes and exit")
	f.DurationVar(&grace, "grace", 30*time.Second, "how long running transfers may finish after SIGTERM (config: timeouts.shutdown_grace)")
	return cmd
}

func checkFaults(names []string) error {
	known := map[string]bool{}
	for _, f := range reference.Faults() {
		known[f.Name] = true
	}
	for _, n := range names {
		if !known[n] {
			return usageErr(fmt.Errorf("--fault %q: no such fault mode (ftpspec serve --list-faults lists them)", n))
		}
	}
	return nil
}

func printFaults(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range reference.Faults() {
		fmt.Fprintf(tw, "%s\t%s\n", f.Name, f.Description)
	}
	return tw.Flush()
}
