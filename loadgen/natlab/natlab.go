//go:build linux

package natlab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// NSPrefix starts the name of every namespace a lab creates; the creating process id follows.
const NSPrefix = "ftpspec-lab-"

// LinkPrefix starts the name of every veth interface a lab creates; the creating process id follows.
const LinkPrefix = "fsl"

// MaxClients bounds the client namespaces: each has its own /24 on the private side.
const MaxClients = 64

// cmdTimeout bounds every ip/iptables invocation; they take milliseconds when the kernel is well.
const cmdTimeout = 15 * time.Second

// Config is the shape of a lab.
type Config struct {
	Clients         int  // client namespaces behind the client NAT (1..MaxClients)
	ServerBehindNAT bool // put the server behind a second router with DNAT
	// ControlPort and PasvLo..PasvHi are forwarded by the server's router (ServerBehindNAT) and name
	// the control connections the FTP helper watches.
	ControlPort    int
	PasvLo, PasvHi int
	// PID names the resources; 0 means this process. Tests set it to make two labs at once.
	PID int
}

// Host is one namespace of the lab and its address on the lab's network.
type Host struct {
	NS   string     // namespace name
	Addr netip.Addr // its address (a client's private one; a router's outside one)
}

// Lab is a built lab network. Close tears it down.
type Lab struct {
	cfg Config
	pid int

	Clients []Host // private addresses, behind Router
	Router  Host   // the client NAT; Addr is the one outside address every client shares
	WAN     Host   // routes between the routers, the server and the thief; knows no private network
	Server  Host   // the server's namespace and its own address (private when behind NAT)
	// ServerRouter is the server's NAT when ServerBehindNAT (Addr: the forwarded public address).
	ServerRouter *Host
	Thief        Host // outside every NAT

	// ServerPublic is the address clients reach the server at: ServerRouter.Addr behind NAT,
	// Server.Addr otherwise.
	ServerPublic netip.Addr

	routerOut     string   // the client NAT's outside interface (in Router.NS)
	routerIn      []string // its inside interfaces, one per client
	namespaces    []string // created, in order
	helperEnabled bool
}

// Available says why the lab cannot run here, or nil when it can: Linux, root, ip and iptables.
func Available() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("the NAT lab needs Linux network namespaces; this is %s", runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("the NAT lab creates network namespaces and needs root (running as uid %d)", os.Geteuid())
	}
	for _, tool := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("the NAT lab needs %s (Debian: apt-get install iproute2 iptables): %w", tool, err)
		}
	}
	return nil
}

// Build creates the lab. On an error it removes whatever it had created before returning.
func Build(ctx context.Context, cfg Config) (l *Lab, err error) {
	if cfg.Clients < 1 || cfg.Clients > MaxClients {
		return nil, fmt.Errorf("natlab: %d clients: want 1 to %d", cfg.Clients, MaxClients)
	}
	if cfg.ControlPort < 1 || cfg.ControlPort > 65535 || cfg.PasvLo < 1 || cfg.PasvHi < cfg.PasvLo || cfg.PasvHi > 65535 {
		return nil, fmt.Errorf("natlab: control port %d, passive range %d-%d: not valid ports", cfg.ControlPort, cfg.PasvLo, cfg.PasvHi)
	}
	pid := cfg.PID
	if pid == 0 {
		pid = os.Getpid()
	}
	l = &Lab{cfg: cfg, pid: pid}
	defer func() {
		if err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			_ = l.Close(cctx)
			l = nil
		}
	}()
	if err := l.build(ctx); err != nil {
		return l, err
	}
	return l, nil
}

// ns names a namespace of this lab.
func (l *Lab) ns(role string) string { return fmt.Sprintf("%s%d-%s", NSPrefix, l.pid, role) }

// link names a veth end of this lab (at most 15 bytes: IFNAMSIZ).
func (l *Lab) link(role string) string { return fmt.Sprintf("%s%d%s", LinkPrefix, l.pid, role) }

// The address plan. Private: client i is 198.18.i.2/24 behind 198.18.i.1; a server behind NAT is
// 198.18.250.2/24 behind 198.18.250.1. Outside: the WAN namespace is .1 of 198.19.1.0/24 (the
// client NAT, .2), 198.19.2.0/24 (the server or its router, .2) and 198.19.3.0/24 (the thief, .2).
var (
	wanClientNAT = netip.MustParseAddr("198.19.1.2")
	wanServer    = netip.MustParseAddr("198.19.2.2")
	wanThief     = netip.MustParseAddr("198.19.3.2")
	srvPrivate   = netip.MustParseAddr("198.18.250.2")
)

func clientAddr(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 18, byte(i), 2}) }
func clientGW(i int) netip.Addr   { return netip.AddrFrom4([4]byte{198, 18, byte(i), 1}) }
func gwOf(a netip.Addr) netip.Addr {
	b := a.As4()
	b[3] = 1
	return netip.AddrFrom4(b)
}

func (l *Lab) build(ctx context.Context) error {
	addNS := func(role string) (string, error) {
		name := l.ns(role)
		if err := run(ctx, "ip", "netns", "add", name); err != nil {
			return "", err
		}
		l.namespaces = append(l.namespaces, name)
		if err := run(ctx, "ip", "-n", name, "link", "set", "lo", "up"); err != nil {
			return "", err
		}
		return name, nil
	}
	var err error
	l.Router.NS, err = addNS("nat")
	if err != nil {
		return err
	}
	if l.WAN.NS, err = addNS("wan"); err != nil {
		return err
	}
	if l.Server.NS, err = addNS("srv"); err != nil {
		return err
	}
	if l.Thief.NS, err = addNS("thief"); err != nil {
		return err
	}
	for _, r := range []string{l.Router.NS, l.WAN.NS} {
		if err := forward(ctx, r); err != nil {
			return err
		}
	}

	// Clients behind the client NAT.
	for i := 1; i <= l.cfg.Clients; i++ {
		c, err := addNS(fmt.Sprintf("c%d", i))
		if err != nil {
			return err
		}
		in := l.link(fmt.Sprintf("c%dr", i))
		if err := l.wire(ctx, c, l.link(fmt.Sprintf("c%d", i)), clientAddr(i), l.Router.NS, in, clientGW(i)); err != nil {
			return err
		}
		if err := run(ctx, "ip", "-n", c, "route", "add", "default", "via", clientGW(i).String()); err != nil {
			return err
		}
		l.routerIn = append(l.routerIn, in)
		l.Clients = append(l.Clients, Host{NS: c, Addr: clientAddr(i)})
	}

	// The client NAT's outside leg, masqueraded.
	l.routerOut = l.link("no")
	if err := l.wire(ctx, l.Router.NS, l.routerOut, wanClientNAT, l.WAN.NS, l.link("wn"), gwOf(wanClientNAT)); err != nil {
		return err
	}
	l.Router.Addr = wanClientNAT
	if err := run(ctx, "ip", "-n", l.Router.NS, "route", "add", "default", "via", gwOf(wanClientNAT).String()); err != nil {
		return err
	}
	if err := iptables(ctx, l.Router.NS, "-t", "nat", "-A", "POSTROUTING", "-o", l.routerOut, "-j", "MASQUERADE"); err != nil {
		return err
	}

	// The thief, outside every NAT.
	if err := l.wire(ctx, l.Thief.NS, l.link("t"), wanThief, l.WAN.NS, l.link("wt"), gwOf(wanThief)); err != nil {
		return err
	}
	l.Thief.Addr = wanThief
	if err := run(ctx, "ip", "-n", l.Thief.NS, "route", "add", "default", "via", gwOf(wanThief).String()); err != nil {
		return err
	}

	// The server, directly on the WAN or behind its own router.
	if !l.cfg.ServerBehindNAT {
		if err := l.wire(ctx, l.Server.NS, l.link("s"), wanServer, l.WAN.NS, l.link("ws"), gwOf(wanServer)); err != nil {
			return err
		}
		l.Server.Addr, l.ServerPublic = wanServer, wanServer
		return run(ctx, "ip", "-n", l.Server.NS, "route", "add", "default", "via", gwOf(wanServer).String())
	}
	sr, err := addNS("snat")
	if err != nil {
		return err
	}
	if err := forward(ctx, sr); err != nil {
		return err
	}
	pub := l.link("so")
	if err := l.wire(ctx, sr, pub, wanServer, l.WAN.NS, l.link("ws"), gwOf(wanServer)); err != nil {
		return err
	}
	if err := run(ctx, "ip", "-n", sr, "route", "add", "default", "via", gwOf(wanServer).String()); err != nil {
		return err
	}
	if err := l.wire(ctx, l.Server.NS, l.link("s"), srvPrivate, sr, l.link("si"), gwOf(srvPrivate)); err != nil {
		return err
	}
	if err := run(ctx, "ip", "-n", l.Server.NS, "route", "add", "default", "via", gwOf(srvPrivate).String()); err != nil {
		return err
	}
	l.ServerRouter = &Host{NS: sr, Addr: wanServer}
	l.Server.Addr, l.ServerPublic = srvPrivate, wanServer
	// Port forwarding of the control port and the passive range; masquerading of what the server
	// opens (active-mode data connections). No FTP helper here: a server that advertises its
	// private address in 227 must be seen doing so, not rescued by the router.
	for _, dport := range []string{strconv.Itoa(l.cfg.ControlPort), fmt.Sprintf("%d:%d", l.cfg.PasvLo, l.cfg.PasvHi)} {
		if err := iptables(ctx, sr, "-t", "nat", "-A", "PREROUTING", "-i", pub, "-p", "tcp", "--dport", dport,
			"-j", "DNAT", "--to-destination", srvPrivate.String()); err != nil {
			return err
		}
	}
	return iptables(ctx, sr, "-t", "nat", "-A", "POSTROUTING", "-o", pub, "-j", "MASQUERADE")
}

// wire creates a veth pair with one end in each namespace, addresses both ends (/24) and brings
// them up. Both ends are created inside their namespaces: nothing appears in the caller's.
func (l *Lab) wire(ctx context.Context, nsA, ifA string, addrA netip.Addr, nsB, ifB string, addrB netip.Addr) error {
	if err := run(ctx, "ip", "link", "add", ifA, "netns", nsA, "type", "veth", "peer", "name", ifB, "netns", nsB); err != nil {
		return err
	}
	for _, end := range []struct {
		ns, dev string
		addr    netip.Addr
	}{{nsA, ifA, addrA}, {nsB, ifB, addrB}} {
		if err := run(ctx, "ip", "-n", end.ns, "addr", "add", end.addr.String()+"/24", "dev", end.dev); err != nil {
			return err
		}
		if err := run(ctx, "ip", "-n", end.ns, "link", "set", end.dev, "up"); err != nil {
			return err
		}
	}
	return nil
}

func forward(ctx context.Context, ns string) error {
	return run(ctx, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
}

// SetHelper attaches the kernel's FTP connection-tracking helper (nf_conntrack_ftp, with
// nf_nat_ftp rewriting PORT/EPRT) to the control connections that cross the client NAT, or
// detaches it. Modern kernels assign helpers only by explicit rule (nf_conntrack_helper=0), so
// this is a raw-table CT rule inside the router's namespace. An error means the kernel has no FTP
// helper.
func (l *Lab) SetHelper(ctx context.Context, on bool) error {
	if on == l.helperEnabled {
		return nil
	}
	op := "-A"
	if !on {
		op = "-D"
	}
	for i, in := range l.routerIn {
		if err := iptables(ctx, l.Router.NS, "-t", "raw", op, "PREROUTING", "-i", in, "-p", "tcp",
			"--dport", strconv.Itoa(l.cfg.ControlPort), "-j", "CT", "--helper", "ftp"); err != nil {
			if on {
				// Undo the rules already added, so the lab is in one known state.
				for _, done := range l.routerIn[:i] {
					_ = iptables(ctx, l.Router.NS, "-t", "raw", "-D", "PREROUTING", "-i", done, "-p", "tcp",
						"--dport", strconv.Itoa(l.cfg.ControlPort), "-j", "CT", "--helper", "ftp")
				}
			}
			return fmt.Errorf("FTP connection-tracking helper: %w", err)
		}
	}
	l.helperEnabled = on
	return nil
}

// Namespaces lists the namespaces the lab created.
func (l *Lab) Namespaces() []string { return append([]string(nil), l.namespaces...) }

// Close kills every process still inside the lab's namespaces and deletes them; deleting a
// namespace deletes its veth ends and iptables rules with it. It is safe to call more than once.
func (l *Lab) Close(ctx context.Context) error {
	if l == nil {
		return nil
	}
	var errs []error
	for i := len(l.namespaces) - 1; i >= 0; i-- {
		if err := deleteNS(ctx, l.namespaces[i]); err != nil {
			errs = append(errs, err)
		}
	}
	l.namespaces = nil
	return errors.Join(errs...)
}

// deleteNS kills the processes in ns and deletes it.
func deleteNS(ctx context.Context, ns string) error {
	killIn(ctx, ns)
	err := run(ctx, "ip", "netns", "del", ns)
	if err != nil && !nsExists(ctx, ns) {
		return nil
	}
	return err
}

// killIn sends SIGKILL to the processes inside a lab namespace (all started by a lab) and waits
// briefly for them to go, so the namespace can be deleted.
func killIn(ctx context.Context, ns string) {
	pids := nsPids(ctx, ns)
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	for wait := 0; wait < 50 && len(pids) > 0; wait++ {
		alive := pids[:0]
		for _, p := range pids {
			if syscall.Kill(p, 0) == nil {
				alive = append(alive, p)
			}
		}
		pids = alive
		if len(pids) > 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func nsPids(ctx context.Context, ns string) []int {
	out, err := output(ctx, "ip", "netns", "pids", ns)
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(out) {
		if p, err := strconv.Atoi(f); err == nil && p != os.Getpid() {
			pids = append(pids, p)
		}
	}
	return pids
}

func nsExists(ctx context.Context, ns string) bool {
	names, _ := ListNamespaces(ctx)
	for _, n := range names {
		if n == ns {
			return true
		}
	}
	return false
}

// ListNamespaces lists the named network namespaces (ip netns list).
func ListNamespaces(ctx context.Context) ([]string, error) {
	out, err := output(ctx, "ip", "netns", "list")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names, nil
}

var (
	nsName   = regexp.MustCompile(`^` + regexp.QuoteMeta(NSPrefix) + `(\d+)-`)
	linkName = regexp.MustCompile(`^\d+: (` + LinkPrefix + `(\d+)[a-z0-9]*)[@:]`)
)

// Cleanup removes what labs of processes that no longer exist left behind: their namespaces
// (with the processes still in them) and any veth end that ended up in this namespace. Resources
// of a live process, another lab running now, are left alone. It returns what it removed.
func Cleanup(ctx context.Context) ([]string, error) {
	var removed []string
	var errs []error
	names, err := ListNamespaces(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		m := nsName.FindStringSubmatch(n)
		if m == nil || alive(m[1]) {
			continue
		}
		if err := deleteNS(ctx, n); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, "netns "+n)
	}
	out, err := output(ctx, "ip", "-o", "link", "show")
	if err != nil {
		return removed, errors.Join(append(errs, err)...)
	}
	for _, line := range strings.Split(out, "\n") {
		m := linkName.FindStringSubmatch(line)
		if m == nil || alive(m[2]) {
			continue
		}
		if err := run(ctx, "ip", "link", "del", m[1]); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, "link "+m[1])
	}
	return removed, errors.Join(errs...)
}

// alive says whether the process that made a resource still exists.
func alive(pid string) bool {
	p, err := strconv.Atoi(pid)
	if err != nil || p <= 0 {
		return false
	}
	err = syscall.Kill(p, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Exec returns a command that runs argv inside namespace ns (ip netns exec).
func Exec(ctx context.Context, ns string, argv ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns}, argv...)...)
}

func iptables(ctx context.Context, ns string, args ...string) error {
	return run(ctx, "ip", append([]string{"netns", "exec", ns, "iptables", "-w", "5"}, args...)...)
}

func run(ctx context.Context, name string, args ...string) error {
	_, err := output(ctx, name, args...)
	return err
}

func output(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if ctx.Err() != nil {
			msg = ctx.Err().Error()
		}
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return string(out), nil
}
