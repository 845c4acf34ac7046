//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ftpspec/ftpspec/loadgen"
	"github.com/ftpspec/ftpspec/loadgen/natlab"
	"github.com/ftpspec/ftpspec/reports"
)

// labDeadline bounds a whole lab run; every load inside it is bounded in count and time as well.
const labDeadline = 20 * time.Minute

// natLab is one run of `ftpspec lab nat`.
type natLab struct {
	o       *labOptions
	lab     *natlab.Lab
	exe     string // this binary, run in the namespaces
	dir     string // logs, shard documents, the server's root
	stdout  io.Writer
	stderr  io.Writer
	lo, hi  int
	url     string // with the password
	started time.Time
}

func runNATLab(ctx context.Context, o *labOptions, stdout, stderr io.Writer) (err error) {
	if err := natlab.Available(); err != nil {
		return usageErr(fmt.Errorf("lab nat: %w", err))
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("lab nat: find this program to run in the namespaces: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, labDeadline)
	defer cancel()
	n := &natLab{o: o, exe: exe, stdout: stdout, stderr: stderr, started: time.Now().UTC()}
	n.lo, n.hi, _ = parseRange(o.pasv)

	if removed, err := natlab.Cleanup(ctx); err != nil {
		fmt.Fprintf(stderr, "lab: cleaning up after earlier runs: %v\n", err)
	} else if len(removed) > 0 {
		fmt.Fprintf(stderr, "lab: removed what killed earlier runs left: %s\n", strings.Join(removed, ", "))
	}
	if o.logs != "" {
		if err := os.MkdirAll(o.logs, 0o755); err != nil {
			return usageErr(fmt.Errorf("--logs: %w", err))
		}
		n.dir = o.logs
	} else {
		if n.dir, err = os.MkdirTemp("", "ftpspec-lab-"); err != nil {
			return fmt.Errorf("lab nat: %w", err)
		}
		defer os.RemoveAll(n.dir)
	}

	fmt.Fprintf(stderr, "lab: building %d client namespaces behind one NAT%s\n", o.clients, map[bool]string{true: ", the server behind a second NAT"}[o.behindNAT])
	n.lab, err = natlab.Build(ctx, natlab.Config{Clients: o.clients, ServerBehindNAT: o.behindNAT, ControlPort: o.port, PasvLo: n.lo, PasvHi: n.hi})
	if err != nil {
		return n.incomplete("build the lab network", err)
	}
	built := len(n.lab.Namespaces())
	// Tear-down on every way out: normal end, error, Ctrl-C, SIGTERM (the context is cancelled and
	// every step returns here), with a context of its own since ctx may be done.
	defer func() {
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer ccancel()
		if cerr := n.lab.Close(cctx); cerr != nil {
			err = errors.Join(err, fmt.Errorf("lab nat: tear down: %w", cerr))
		} else {
			fmt.Fprintf(stderr, "lab: torn down (%d namespaces deleted)\n", built)
		}
	}()
	n.url = fmt.Sprintf("ftp://%s:%s@%s", o.user, o.password, netip.AddrPortFrom(n.lab.ServerPublic, uint16(o.port)))

	server, err := n.startServer(ctx)
	if err != nil {
		return n.incomplete("start the server", err)
	}
	defer n.stopServer(server)
	if err := n.waitReady(ctx, server); err != nil {
		return n.incomplete("wait for the server", err)
	}

	doc := &reports.Lab{
		Kind: "nat", Server: "reference", ServerBehindNAT: o.behindNAT, ALG: o.alg,
		ServerAddress: n.lab.Server.Addr.String(), ServerPublic: n.lab.ServerPublic.String(),
		ClientNAT: n.lab.Router.Addr.String(),
		Thief:     reports.LabHost{Namespace: n.lab.Thief.NS, Address: n.lab.Thief.Addr.String()},
	}
	if o.targetCmd != "" {
		doc.Server = o.targetCmd
	}

	// A load that uses active mode itself needs the helper to cross the client NAT at all.
	if o.alg != "off" && slices.ContainsFunc(o.sc.DataMode, func(w loadgen.Weighted[loadgen.Mode]) bool {
		return w.Value == loadgen.ModePORT || w.Value == loadgen.ModeEPRT
	}) {
		if err := n.lab.SetHelper(ctx, true); err != nil {
			doc.Notes = append(doc.Notes, "the load's PORT/EPRT transfers ran without the FTP helper, which could not be attached: "+err.Error())
		} else {
			doc.Notes = append(doc.Notes, "the load's PORT/EPRT transfers ran with the FTP helper on (--alg "+o.alg+")")
		}
	}
	run, loadErr := n.load(ctx, doc)
	if err := n.lab.SetHelper(ctx, false); err != nil {
		return n.incomplete("detach the FTP helper", err)
	}
	if run == nil {
		return loadErr
	}
	if ctx.Err() == nil {
		n.checkPassive(doc, run.Load)
		n.activeTrials(ctx, doc)
	}
	run.Lab = doc
	run.Finished = time.Now().UTC()
	if ctx.Err() != nil {
		run.Partial = true
		run.PartialReason = "interrupted: " + context.Cause(ctx).Error()
	}
	human := o.out.human(stdout, stderr)
	printLoadSummary(human, run.Load)
	printLab(human, doc)
	werr := o.out.write(stdout, human, run)
	if ctx.Err() != nil {
		return withWriteErr(unreachableErr(fmt.Errorf("lab nat: interrupted: %w", context.Cause(ctx))), werr)
	}
	if loadErr != nil {
		return withWriteErr(loadErr, werr)
	}
	if err := loadgen.Verdict(run.Load); err != nil {
		return withWriteErr(err, werr)
	}
	if werr != nil {
		return withWriteErr(nil, werr)
	}
	if len(doc.Findings) > 0 {
		return failedErr(fmt.Errorf("lab nat: %s", strings.Join(doc.Findings, "; ")))
	}
	return nil
}

func (n *natLab) incomplete(what string, err error) error {
	var ce *codedError
	if errors.As(err, &ce) {
		return err
	}
	return unreachableErr(fmt.Errorf("lab nat: %s: %w", what, err))
}

// proc is a command running in a lab namespace; done is closed when it has ended.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// exited reports whether the process has ended, without waiting.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// command runs argv inside namespace ns with its output in a log file. Cancelling ctx sends
// SIGTERM (a load then writes its partial results), and SIGKILL if it has not ended 10 s later.
func (n *natLab) command(ctx context.Context, ns, log string, argv ...string) (*proc, error) {
	cmd := natlab.Exec(ctx, ns, argv...)
	f, err := os.Create(filepath.Join(n.dir, log))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// logTail is the end of a log file, for an error message.
func (n *natLab) logTail(log string) string {
	b, _ := os.ReadFile(filepath.Join(n.dir, log))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return strings.Join(lines, " | ")
}

// serverArgv is the server's command line: the reference, or --target-cmd with its placeholders.
func (n *natLab) serverArgv() ([]string, error) {
	root := filepath.Join(n.dir, "root")
	if err := os.MkdirAll(root, 0o777); err != nil {
		return nil, err
	}
	if n.o.targetCmd == "" {
		argv := []string{n.exe, "serve", "--listen", netip.AddrPortFrom(n.lab.Server.Addr, uint16(n.o.port)).String(),
			"--pasv-ports", n.o.pasv, "--root", root, "--grace", "2s"}
		if n.o.behindNAT {
			argv = append(argv, "--public-ip", n.lab.ServerPublic.String())
		}
		return argv, nil
	}
	// Anything running as another user (pyftpdlib drops no privileges, vsftpd does) must be able to
	// write the root.
	_ = os.Chmod(n.dir, 0o755)
	r := strings.NewReplacer("{addr}", n.lab.Server.Addr.String(), "{port}", strconv.Itoa(n.o.port),
		"{pasv}", n.o.pasv, "{pasv_lo}", strconv.Itoa(n.lo), "{pasv_hi}", strconv.Itoa(n.hi),
		"{public}", n.lab.ServerPublic.String(), "{root}", root, "{user}", n.o.user, "{password}", n.o.password)
	return []string{"/bin/sh", "-c", "exec " + r.Replace(n.o.targetCmd)}, nil
}

func (n *natLab) startServer(ctx context.Context) (*proc, error) {
	argv, err := n.serverArgv()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(n.stderr, "lab: server in %s: %s\n", n.lab.Server.NS, strings.Join(argv, " "))
	// The server outlives ctx's cancellation until stopServer: a SIGTERM to the lab must let the
	// shards finish talking to it.
	return n.command(context.WithoutCancel(ctx), n.lab.Server.NS, "server.log", argv...)
}

func (n *natLab) stopServer(p *proc) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill() // Close kills whatever is left in the namespace too
		<-p.done
	}
}

// waitReady waits until the server greets a client that comes through the NAT.
func (n *natLab) waitReady(ctx context.Context, server *proc) error {
	addr := netip.AddrPortFrom(n.lab.ServerPublic, uint16(n.o.port)).String()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if server.exited() {
			return fmt.Errorf("the server exited (%s): %s", server.cmd.ProcessState, n.logTail("server.log"))
		}
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := natlab.Dialer{NS: n.lab.Clients[0].NS}.DialContext(dctx, "tcp", addr)
		cancel()
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(3 * time.Second))
			line, rerr := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if rerr == nil && strings.HasPrefix(line, "220") {
				return nil
			}
			last = fmt.Errorf("greeting %q: %v", strings.TrimSpace(line), rerr)
		} else {
			last = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no 220 greeting at %s within 20 s: %v; server log: %s", addr, last, n.logTail("server.log"))
}

// load runs one shard per client namespace, all at once, and merges their documents.
func (n *natLab) load(ctx context.Context, doc *reports.Lab) (*reports.Run, error) {
	o, sc := n.o, n.o.sc
	k := o.clients
	perClient := sc.Sessions / k
	thief := "no thief"
	if sc.Steal > 0 {
		thief = fmt.Sprintf("%d thief attempts from %s", sc.Steal, n.lab.Thief.Addr)
	}
	fmt.Fprintf(n.stderr, "lab: %d shards × %d sessions × %d transfers against %s, %s\n",
		k, perClient, sc.Transfers, n.lab.ServerPublic, thief)
	type shard struct {
		p    *proc
		json string
		log  string
	}
	shards := make([]shard, k)
	for i := range k {
		sh := &shards[i]
		sh.json = filepath.Join(n.dir, fmt.Sprintf("shard%d.json", i+1))
		sh.log = fmt.Sprintf("shard%d.log", i+1)
		argv := []string{n.exe, "load", "--target", n.url, "--sessions", strconv.Itoa(sc.Sessions),
			"--shard", fmt.Sprintf("%d/%d", i+1, k), "--mode", sc.DataMode.String(),
			"--pasv-ports", sc.PasvPorts, "--steal", strconv.Itoa(sc.Steal), "--json", sh.json}
		if sc.Steal > 0 {
			argv = append(argv, "--thief-source", n.lab.Thief.Addr.String(), "--thief-netns", n.lab.Thief.NS)
		}
		argv = append(argv, o.loadArgs...)
		cmd, err := n.command(ctx, n.lab.Clients[i].NS, sh.log, argv...)
		if err != nil {
			return nil, n.incomplete("start shard "+strconv.Itoa(i+1), err)
		}
		sh.p = cmd
	}
	for _, sh := range shards {
		<-sh.p.done
	}

	var runs []*reports.Run
	var errs []error
	for i, sh := range shards {
		c := reports.LabClient{
			LabHost: reports.LabHost{Namespace: n.lab.Clients[i].NS, Address: n.lab.Clients[i].Addr.String()},
			Shard:   i + 1, Sessions: perClient,
		}
		code := sh.p.cmd.ProcessState.ExitCode()
		r, err := reports.ReadFile(sh.json)
		switch {
		case err != nil:
			c.Error = fmt.Sprintf("exit %d, no result: %s", code, n.logTail(sh.log))
			errs = append(errs, fmt.Errorf("shard %d (%s): %s", i+1, c.Namespace, c.Error))
		case r.Load == nil:
			c.Error = "the result holds no load"
			errs = append(errs, fmt.Errorf("shard %d: %s", i+1, c.Error))
		default:
			c.Transfers = r.Load.Transfers
			if code == exitUsage || code == exitUnreachable {
				c.Error = fmt.Sprintf("exit %d: %s", code, n.logTail(sh.log))
			}
			runs = append(runs, r)
		}
		doc.Clients = append(doc.Clients, c)
	}
	n.seenFrom(ctx, doc)
	if len(runs) == 0 {
		if ctx.Err() != nil {
			return nil, unreachableErr(fmt.Errorf("lab nat: interrupted before any shard finished: %w", context.Cause(ctx)))
		}
		return nil, unreachableErr(fmt.Errorf("lab nat: no shard produced a result: %w", errors.Join(errs...)))
	}
	merged, err := reports.Merge(runs)
	if err != nil {
		return nil, fmt.Errorf("lab nat: merge the shards: %w", err)
	}
	merged.Label = o.label
	if merged.Label == "" {
		merged.Label = "lab nat: " + map[bool]string{true: "server behind NAT", false: "client NAT"}[o.behindNAT]
	}
	merged.Tool = toolOf(buildInfo())
	merged.Started = n.started
	if len(errs) > 0 {
		merged.Partial = true
		return merged, unreachableErr(fmt.Errorf("lab nat: %w", errors.Join(errs...)))
	}
	return merged, nil
}

// seenFrom reads, from the client NAT's connection tracking, the address and port the server saw
// each client namespace's connections come from.
func (n *natLab) seenFrom(ctx context.Context, doc *reports.Lab) {
	cts, err := natlab.ReadConntrack(context.WithoutCancel(ctx), n.lab.Router.NS)
	if err != nil {
		doc.Notes = append(doc.Notes, "the client NAT's connection tracking could not be read: "+err.Error())
		return
	}
	for i := range doc.Clients {
		c := &doc.Clients[i]
		seen := map[string]int{}
		for _, ct := range cts {
			if ct.OrigSrc.Addr() != n.lab.Clients[i].Addr || ct.OrigDst.Addr() != n.lab.ServerPublic {
				continue
			}
			c.Connections++
			seen[ct.ReplyDst.Addr().String()]++
			if ct.ReplyDst.Port() != ct.OrigSrc.Port() {
				c.PortsRewritten++
			}
		}
		c.SeenFrom = strings.Join(sortedKeys(seen), ", ")
	}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkPassive compares the addresses in the 227 replies with the one the clients reached.
func (n *natLab) checkPassive(doc *reports.Lab, l *reports.Load) {
	p := &doc.Passive
	p.Reached = n.lab.ServerPublic.String()
	counts := map[string]int{}
	for _, r := range l.Records {
		switch {
		case r.DataAddr == "" || r.DataPort == 0:
		case slices.Contains(r.Replies, 227):
			counts[r.DataAddr]++
		case slices.Contains(r.Replies, 229):
			p.EPSV++
		}
	}
	var wrong []string
	for _, a := range sortedKeys(counts) {
		ok := a == p.Reached
		p.Advertised = append(p.Advertised, reports.LabAddrCount{Address: a, Count: counts[a], Reached: ok})
		if !ok {
			wrong = append(wrong, fmt.Sprintf("%s (%d replies)", a, counts[a]))
		}
	}
	switch {
	case len(counts) == 0:
		p.Verdict = "none"
		p.Detail = "no 227 reply was recorded (EPSV only, or every PASV failed)"
	case len(wrong) == 0:
		p.Verdict = "ok"
		p.Detail = fmt.Sprintf("every 227 reply carried %s, the address the clients reached", p.Reached)
		if n.o.behindNAT {
			p.Detail += fmt.Sprintf(" (the server's own address is %s)", n.lab.Server.Addr)
		}
	default:
		p.Verdict = "private"
		p.Detail = fmt.Sprintf("227 replies carried %s, not %s, the address the clients reached: a client that connects to the 227 address cannot reach the server (ftpspec connects to the control connection's address, so transfers may still have worked)",
			strings.Join(wrong, ", "), p.Reached)
		doc.Findings = append(doc.Findings, "227 address: "+p.Detail)
	}
}

// activeTrials runs active mode (PORT and EPRT) from behind the client NAT: with the kernel's FTP
// helper off, where it must fail (the NAT does not rewrite the private address in PORT/EPRT, nor
// let the server's connection in), and on, when --alg allows and the kernel has it.
func (n *natLab) activeTrials(ctx context.Context, doc *reports.Lab) {
	if n.o.active == 0 {
		doc.Notes = append(doc.Notes, "active mode was not tried (--active-sessions 0)")
		return
	}
	doc.Active = append(doc.Active, n.activeTrial(ctx, false))
	if n.o.alg == "off" || ctx.Err() != nil {
		return
	}
	if err := n.lab.SetHelper(ctx, true); err != nil {
		msg := "the kernel's FTP helper (nf_conntrack_ftp) could not be attached, so active mode was tried without it only: " + err.Error()
		if n.o.alg == "on" {
			doc.Findings = append(doc.Findings, "--alg on: "+msg)
		} else {
			doc.Notes = append(doc.Notes, msg)
		}
		return
	}
	doc.Active = append(doc.Active, n.activeTrial(ctx, true))
	for _, a := range doc.Active {
		if a.Verdict == "finding" {
			doc.Findings = append(doc.Findings, fmt.Sprintf("active mode with the FTP helper on: %d of %d transfers failed: %s", a.Failed, a.Attempted, a.FirstErr))
		}
	}
}

func (n *natLab) activeTrial(ctx context.Context, helper bool) reports.LabActive {
	a := reports.LabActive{Helper: "off", Namespace: n.lab.Clients[0].NS, Expected: "fail"}
	if helper {
		a.Helper, a.Expected = "on", "ok"
	}
	var recs []reports.TransferRecord
	var modes []string
	for _, mode := range []string{"port", "eprt"} {
		js := filepath.Join(n.dir, fmt.Sprintf("active-%s-%s.json", a.Helper, mode))
		log := fmt.Sprintf("active-%s-%s.log", a.Helper, mode)
		argv := []string{n.exe, "load", "--target", n.url, "--mode", mode, "--sessions", strconv.Itoa(n.o.active),
			"--transfers", "2", "--size", "4096", "--timeout", "5s", "--json", js}
		p, err := n.command(ctx, a.Namespace, log, argv...)
		if err != nil {
			a.FirstErr = err.Error()
			continue
		}
		<-p.done
		r, err := reports.ReadFile(js)
		if err != nil || r.Load == nil {
			// Against a server without /synthetic, the load uploads its files first, over the
			// same PORT/EPRT; a refusal there ends the run before any transfer. Every planned
			// transfer failed, with the reason the log gives.
			why := fmt.Sprintf("%s (exit %d): %s", strings.ToUpper(mode), p.cmd.ProcessState.ExitCode(), n.logTail(log))
			if a.FirstErr == "" {
				a.FirstErr = why
			}
			if ctx.Err() == nil {
				for range 2 * n.o.active {
					recs = append(recs, reports.TransferRecord{Verdict: reports.VerdictFailed, Error: why})
					modes = append(modes, strings.ToUpper(mode))
				}
			}
			continue
		}
		for _, rec := range r.Load.Records {
			recs = append(recs, rec)
			modes = append(modes, strings.ToUpper(mode))
		}
	}
	for i, rec := range recs {
		a.Attempted++
		if rec.Verdict == reports.VerdictOK {
			a.OK++
		} else {
			a.Failed++
			if a.FirstErr == "" {
				a.FirstErr = fmt.Sprintf("%s: %s (replies %v)", modes[i], rec.Error, rec.Replies)
			}
		}
		if rec.ActiveFrom != "" {
			a.Sources = append(a.Sources, reports.LabActiveSource{Session: rec.Session, Index: rec.Index, Mode: modes[i], ClientSaw: rec.ActiveFrom})
		}
	}
	n.serverSources(ctx, a.Sources)
	switch {
	case a.Attempted == 0:
		a.Verdict = "not run"
		a.Detail = "the active-mode trial produced no transfers: " + a.FirstErr
	case !helper && a.OK == 0:
		a.Verdict = "as expected"
		a.Detail = fmt.Sprintf("all %d PORT/EPRT transfers from behind the NAT failed without the FTP helper: the client sends its private address (%s), which the server cannot reach and, like the reference, should refuse as not the control connection's address. This is the NAT's limit, not a server fault.",
			a.Attempted, n.lab.Clients[0].Addr)
	case !helper:
		a.Verdict = "unexpected success"
		a.Detail = fmt.Sprintf("%d of %d PORT/EPRT transfers worked through the NAT without the FTP helper", a.OK, a.Attempted)
	case a.Failed == 0:
		a.Verdict = "as expected"
		a.Detail = fmt.Sprintf("all %d PORT/EPRT transfers worked with the FTP helper rewriting the client's address to the NAT's (%s)", a.Attempted, n.lab.Router.Addr)
	default:
		a.Verdict = "finding"
		a.Detail = fmt.Sprintf("%d of %d PORT/EPRT transfers failed although the FTP helper rewrote the client's address", a.Failed, a.Attempted)
	}
	return a
}

// serverSources fills in where the server's socket was for each active-mode data connection:
// behind a server NAT, the server router's connection tracking maps what the client saw back to
// the server's own address and port; without one, nothing rewrote the source and the client NAT's
// tracking confirms it.
func (n *natLab) serverSources(ctx context.Context, srcs []reports.LabActiveSource) {
	if len(srcs) == 0 {
		return
	}
	ns := n.lab.Router.NS
	if n.lab.ServerRouter != nil {
		ns = n.lab.ServerRouter.NS
	}
	cts, err := natlab.ReadConntrack(context.WithoutCancel(ctx), ns)
	if err != nil {
		return
	}
	for i := range srcs {
		saw, err := netip.ParseAddrPort(srcs[i].ClientSaw)
		if err != nil {
			continue
		}
		for _, ct := range cts {
			if n.lab.ServerRouter != nil && ct.OrigSrc.Addr() == n.lab.Server.Addr && ct.ReplyDst == saw {
				srcs[i].ServerFrom = ct.OrigSrc.String()
				break
			}
			if n.lab.ServerRouter == nil && ct.OrigSrc == saw {
				srcs[i].ServerFrom = ct.OrigSrc.String()
				break
			}
		}
	}
}

// printLab writes the lab's findings after the load summary.
func printLab(w io.Writer, doc *reports.Lab) {
	fmt.Fprintf(w, "lab        server %s at %s, reached at %s; clients behind NAT %s; thief %s\n",
		doc.Server, doc.ServerAddress, doc.ServerPublic, doc.ClientNAT, doc.Thief.Address)
	for _, c := range doc.Clients {
		t := c.Transfers
		fmt.Fprintf(w, "  %-24s %-12s %d ok, %d failed, %d misrouted, %d corrupt, %d stolen; server saw %s (%d connections, %d source ports rewritten)%s\n",
			c.Namespace, c.Address, t.OK, t.Failed, t.Misrouted, t.Corrupt, t.Stolen, c.SeenFrom, c.Connections, c.PortsRewritten,
			map[bool]string{true: "; " + c.Error}[c.Error != ""])
	}
	fmt.Fprintf(w, "227        %s: %s\n", doc.Passive.Verdict, doc.Passive.Detail)
	for _, a := range doc.Active {
		fmt.Fprintf(w, "active     FTP helper %s: %d of %d ok (%s): %s\n", a.Helper, a.OK, a.Attempted, a.Verdict, a.Detail)
		if a.FirstErr != "" && a.OK < a.Attempted {
			fmt.Fprintf(w, "           first failure: %s\n", a.FirstErr)
		}
		for i, s := range a.Sources {
			if i == 3 {
				fmt.Fprintf(w, "           … %d more\n", len(a.Sources)-3)
				break
			}
			fmt.Fprintf(w, "           %s data connection: server opened it from %s, the client saw %s\n", s.Mode, orUnknown(s.ServerFrom), s.ClientSaw)
		}
	}
	for _, s := range doc.Notes {
		fmt.Fprintf(w, "note       %s\n", s)
	}
	for _, s := range doc.Findings {
		fmt.Fprintf(w, "FINDING    %s\n", s)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
