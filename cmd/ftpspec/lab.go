package main

import (
	"errors"
	"fmt"
	"github.com/ftpspec/ftpspec/reports"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ftpspec/ftpspec/loadgen"
)

// labOptions are the flags of `ftpspec lab nat`.
type labOptions struct {
	clients   int
	behindNAT bool
	alg       string
	targetCmd string
	user      string
	password  string
	port      int
	pasv      string
	active    int // sessions per active-mode trial (PORT and EPRT each)
	label     string
	logs      string // keep the server's and the shards' logs and documents here

	sc         loadgen.Scenario // the load each client namespace runs its share of
	loadArgs   []string         // the user's load flags, passed on to every shard
	thresholds []string
	out        outputs
}

// labLoadFlags are the load flags the lab sets itself rather than passing on.
var labLoadFlags = map[string]bool{"shard": true, "sources": true, "thief-source": true}

func newLabCmd(stdout, stderr io.Writer) *cobra.Command {
	lab := &cobra.Command{
		Use:   "lab",
		Short: "Build a network on this machine and test a server through it (Linux, root)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr(errors.New("lab: name a lab: ftpspec lab nat"))
		},
	}
	var o labOptions
	nat := &cobra.Command{
		Use:   "nat [--clients K] [--server-behind-nat] [--alg on|off|auto] [--target-cmd CMD] [load flags] [--json FILE] [--html FILE]",
		Short: "Run the load from K client namespaces behind one NAT, against a server (optionally behind NAT)",
		Long: "lab nat builds network namespaces (addresses from 198.18.0.0/15, nothing routed out): K clients\n" +
			"behind one router that masquerades them to a single address, a WAN router, a server namespace\n" +
			"(with --server-behind-nat behind a second router that forwards the control port and the passive\n" +
			"range), and a thief namespace outside every NAT. It runs the load as K shards at once, one per\n" +
			"client namespace, merges them, checks the 227 address against the one the clients reached, tries\n" +
			"active mode (PORT/EPRT) through the client NAT with the kernel's FTP helper off and, when it\n" +
			"loads, on, and always tears the network down. Needs Linux and root (exit 2 otherwise).\n\n" +
			"--target-cmd runs any server inside the server namespace instead of the reference; these\n" +
			"placeholders are replaced: {addr} (the server's own address), {port} (control port), {pasv}\n" +
			"(passive range LO-HI), {pasv_lo}, {pasv_hi}, {public} (the address clients reach: the forwarded\n" +
			"one behind NAT), {root} (an empty directory for the server's files), {user}, {password}.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.parse(cmd.Flags()); err != nil {
				return err
			}
			return runNATLab(cmd.Context(), &o, stdout, stderr)
		},
	}
	f := nat.Flags()
	f.IntVar(&o.clients, "clients", 4, "client namespaces behind the NAT (one load shard each)")
	f.BoolVar(&o.behindNAT, "server-behind-nat", false, "put the server behind a second router that forwards the control port and passive range (DNAT)")
	f.StringVar(&o.alg, "alg", "auto", "the kernel's FTP helper (nf_conntrack_ftp) for active mode through the client NAT: on, off or auto (on when it loads)")
	f.StringVar(&o.targetCmd, "target-cmd", "", "run this server in the server namespace instead of the reference (placeholders: see --help)")
	f.StringVar(&o.user, "user", "test", "user the load logs in as")
	f.StringVar(&o.password, "password", "test", "password of --user")
	f.IntVar(&o.port, "port", 2121, "the server's control port")
	f.StringVar(&o.pasv, "server-pasv-ports", "30000-30999", "the server's passive range (forwarded behind NAT, declared to the load)")
	f.IntVar(&o.active, "active-sessions", 2, "sessions of 2 transfers for each active-mode trial (PORT and EPRT; 0: no trial)")
	f.StringVar(&o.label, "label", "", "a name for this run in reports")
	f.StringVar(&o.logs, "logs", "", "keep the server's and every shard's log and run document in DIR (default: removed)")
	for _, lf := range loadFlags {
		if !labLoadFlags[lf.flag] {
			f.String(lf.flag, "", lf.usage)
		}
	}
	f.StringArrayVar(&o.thresholds, "threshold", nil, "fail the run unless EXPR holds on the merged load (repeatable)")
	o.out.register(f, true)
	lab.AddCommand(nat)
	return lab
}

// parse checks the flags and builds the scenario before anything is created, so bad usage exits 2
// without touching the network.
func (o *labOptions) parse(fs *pflag.FlagSet) error {
	if err := o.out.check(); err != nil {
		return err
	}
	if o.clients < 1 || o.clients > 64 {
		return usageErr(fmt.Errorf("--clients %d: want 1 to 64", o.clients))
	}
	switch o.alg {
	case "on", "off", "auto":
	default:
		return usageErr(fmt.Errorf("--alg %q: want on, off or auto", o.alg))
	}
	if o.port < 1 || o.port > 65535 {
		return usageErr(fmt.Errorf("--port %d: want 1 to 65535", o.port))
	}
	if o.active < 0 || o.active > 100 {
		return usageErr(fmt.Errorf("--active-sessions %d: want 0 to 100", o.active))
	}
	lo, hi, err := parseRange(o.pasv)
	if err != nil {
		return usageErr(fmt.Errorf("--server-pasv-ports: %w", err))
	}
	if o.port >= lo && o.port <= hi {
		return usageErr(fmt.Errorf("--port %d lies inside --server-pasv-ports %s", o.port, o.pasv))
	}
	if strings.ContainsAny(o.user+o.password, "@:/ ") {
		return usageErr(fmt.Errorf("--user/--password: must not contain '@', ':', '/' or spaces"))
	}

	sc := loadgen.Default()
	sc.Sessions = 10
	sc.DataMode = loadgen.Mix[loadgen.Mode]{{Value: loadgen.ModePASV, Weight: 1}, {Value: loadgen.ModeEPSV, Weight: 1}}
	var ferr error
	changed := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) {
		for _, lf := range loadFlags {
			if lf.flag != f.Name || labLoadFlags[lf.flag] {
				continue
			}
			changed[lf.flag] = true
			if err := sc.Set(lf.key, f.Value.String()); err != nil {
				ferr = errors.Join(ferr, fmt.Errorf("--%s: %w", f.Name, err))
			}
			switch lf.flag {
			case "sessions", "mode", "steal", "pasv-ports":
				// The lab passes these itself: sessions are per client namespace here.
			default:
				o.loadArgs = append(o.loadArgs, "--"+f.Name, f.Value.String())
			}
		}
	})
	if ferr != nil {
		return usageErr(ferr)
	}
	if !changed["pasv-ports"] {
		sc.PasvPorts = o.pasv
	}
	if !changed["steal"] && slices.ContainsFunc(sc.DataMode, func(w loadgen.Weighted[loadgen.Mode]) bool {
		return w.Value == loadgen.ModePASV || w.Value == loadgen.ModeEPSV
	}) {
		sc.Steal = max(1, sc.Sessions/4) * o.clients // a quarter of the sessions meet a thief
	}
	for _, th := range o.thresholds {
		o.loadArgs = append(o.loadArgs, "--threshold", th)
	}
	sc.Thresholds = append(sc.Thresholds, o.thresholds...)
	perClient := sc.Sessions
	// Validate as the shards will run: all sessions, shard 1 of K.
	sc.Sessions = perClient * o.clients
	sc.Target = "ftp://" + o.user + ":" + o.password + "@198.19.2.2:" + fmt.Sprint(o.port)
	if err := sc.Set("shard", fmt.Sprintf("1/%d", o.clients)); err != nil {
		return usageErr(fmt.Errorf("--clients: %w", err))
	}
	if err := sc.Validate(); err != nil {
		return usageErr(err)
	}
	o.sc = sc
	return nil
}

// parseRange is the project's one port-range grammar (reports.ParsePortRange) with the lab's own
// rule on top: the server in the lab runs unprivileged ports only.
func parseRange(s string) (lo, hi int, err error) {
	if lo, hi, err = reports.ParsePortRange(s); err != nil {
		return 0, 0, err
	}
	if lo < 1024 {
		return 0, 0, fmt.Errorf("port range %q: want LO >= 1024 (the lab's server does not bind privileged ports)", s)
	}
	return lo, hi, nil
}
