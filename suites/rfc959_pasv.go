package suites

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
	"github.com/ftpspec/ftpspec/internal/payload"
)

// RFC 959 and RFC 1123 passive and active data connections.
func rfc959Passive() []Case {
	pasvReq := `The response to this command includes the host and port address this server is listening on.`
	v4 := []Feature{NeedIPv4}
	return []Case{
		{
			ID: "rfc1123/4.1.2.6/pasv-implemented", RFC: "1123", Section: "4.1.2.6", Level: Must,
			Title:       "PASV is implemented",
			Requirement: `A server-FTP MUST implement the PASV command.`,
			Tags:        []string{"pasv"}, Needs: v4,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				_, err = c.Expect(ctx, "PASV", 227)
				return err
			},
		},
		{
			ID: "rfc959/4.1.2/pasv-reply", RFC: "959", Section: "4.1.2", Level: Must,
			Title:       "the 227 reply carries h1,h2,h3,h4,p1,p2 with a usable port",
			Requirement: pasvReq,
			Tags:        []string{"pasv"}, Needs: v4,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Expect(ctx, "PASV", 227)
				if err != nil {
					return err
				}
				ap, err := ftpwire.ParsePASV(r.Text())
				if err != nil {
					return Violatef("227 … (h1,h2,h3,h4,p1,p2)", "%s", quote(r))
				}
				if ap.Port() == 0 {
					return Violatef("a port number in p1,p2", "port 0 in %s", quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.2/pasv-address", RFC: "959", Section: "4.1.2", Level: Must,
			Title:       "the 227 address is the server's own: the address the control connection reached",
			Requirement: pasvReq,
			Tags:        []string{"pasv", "nat"}, Needs: v4,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				r, err := c.Expect(ctx, "PASV", 227)
				if err != nil {
					return err
				}
				ap, err := ftpwire.ParsePASV(r.Text())
				if err != nil {
					return Violatef("227 … (h1,h2,h3,h4,p1,p2)", "%s", quote(r))
				}
				return judgePasvAddress(ap.Addr(), c.RemoteAddr().Addr(), r)
			},
		},
		{
			ID: "rfc959/4.1.2/pasv-listens", RFC: "959", Section: "4.1.2", Level: Must,
			Title:       "the server listens on the advertised port and a transfer works over it",
			Requirement: `This command requests the server-DTP to "listen" on a data port (which is not its default data port) and to wait for a connection rather than initiate one upon receipt of a transfer command.`,
			Tags:        []string{"pasv"}, Needs: v4,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				ap, _, err := c.Pasv(ctx)
				if err != nil {
					return err
				}
				if ap.Port() == c.RemoteAddr().Port()-1 {
					return Violatef("a port other than the default data port L-1", "port %d", ap.Port())
				}
				t, err := c.DoAt(ctx, ap, "LIST", nil)
				if err != nil {
					var oe *net.OpError
					if errors.As(err, &oe) && oe.Op == "dial" {
						return Violatef("a listener on the port the 227 reply names", "%v", err)
					}
					return err
				}
				if !t.OK() {
					return Violatef("LIST over the passive connection to succeed", "%s", transferString(t))
				}
				return nil
			},
		},
		{
			ID: "rfc1123/4.1.2.6/pasv-before-each-transfer", RFC: "1123", Section: "4.1.2.6", Level: Must,
			Title:       "consecutive transfers each after a new PASV all succeed",
			Requirement: `If multiple third-party transfers are to be executed during the same session, a new PASV command MUST be issued before each transfer command, to obtain a unique port pair.`,
			Tags:        []string{"pasv"}, Needs: v4,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				for i := 1; i <= 4; i++ {
					ap, _, err := c.Pasv(ctx)
					if err != nil {
						return err
					}
					t, err := c.DoAt(ctx, ap, "NLST", nil)
					if err != nil {
						return err
					}
					if !t.OK() && t.Prelim.Code != 450 && t.Prelim.Code != 550 {
						return Violatef("each transfer after its own PASV to work", "transfer %d: %s", i, transferString(t))
					}
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.2/pasv-distinct-ports-sessions", RFC: "959", Section: "4.1.2", Level: Must,
			Title:       "concurrent sessions from one IP get distinct passive ports and each its own bytes",
			Requirement: `This command requests the server-DTP to "listen" on a data port (which is not its default data port) and to wait for a connection rather than initiate one upon receipt of a transfer command.`,
			Tags:        []string{"pasv", "concurrency"}, Needs: []Feature{NeedIPv4, NeedWrite}, Serial: true,
			Run: runDistinctSessions,
		},
		{
			ID: "rfc959/3.2/pasv-replaces-previous", RFC: "959", Section: "3.2", Level: Should,
			Title:       "a second PASV closes the listener of the first",
			Requirement: `The server MUST close the data connection under the following conditions: 1. The server has completed sending data in a transfer mode that requires a close to indicate EOF. 2. The server receives an ABORT command from the user. 3. The port specification is changed by a command from the user.`,
			Tags:        []string{"pasv", "resources"}, Needs: v4, Serial: true,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				first, _, err := c.Pasv(ctx)
				if err != nil {
					return err
				}
				var second netip.AddrPort
				for try := 0; try < 4 && (!second.IsValid() || second.Port() == first.Port()); try++ {
					if second, _, err = c.Pasv(ctx); err != nil {
						return err
					}
				}
				if second.Port() == first.Port() {
					return Skipf("the server handed out port %d again; cannot tell the listeners apart", first.Port())
				}
				env.Note("first PASV port %d, second %d: the first listener must be gone", first.Port(), second.Port())
				// One probe, after a grace period for a server that closes asynchronously: a leaked
				// listener may accept the probe and close, so a second probe would prove nothing.
				time.Sleep(150 * time.Millisecond)
				open, err := probePort(ctx, env, first, c.LocalAddr().Addr())
				if err != nil || !open {
					return err
				}
				return Violatef(fmt.Sprintf("port %d closed once PASV named port %d", first.Port(), second.Port()),
					"port %d still accepts connections", first.Port())
			},
		},
		{
			ID: "rfc959/4.1.2/pasv-port-in-range", RFC: "959", Section: "4.1.2", Level: Should,
			Title:       "passive ports lie inside the declared range (--pasv-ports)",
			Requirement: pasvReq,
			Tags:        []string{"pasv", "firewall"}, Needs: []Feature{NeedIPv4, NeedDeclaredRange},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				for i := 0; i < 8; i++ {
					ap, _, err := c.Pasv(ctx)
					if err != nil {
						return err
					}
					if !env.Declared.Contains(int(ap.Port())) {
						return Violatef("a port in the declared range "+env.Declared.String(), "port %d", ap.Port())
					}
				}
				return nil
			},
		},
		{
			ID: "rfc959/4.1.2/pasv-range-exhausted", RFC: "959", Section: "4.1.2", Level: Should,
			Title:       "with every port of the range in use, PASV is refused, not answered with a port outside the range; freed ports come back",
			Requirement: pasvReq,
			Tags:        []string{"pasv", "firewall", "resources"}, Needs: []Feature{NeedIPv4, NeedDeclaredRange}, Serial: true,
			// A login and a PASV per port of the range, and as many again to check they come back.
			Budget: func(o Options) time.Duration {
				// vsftpd forks and runs PAM for each login: ~200 ms a session on a busy machine.
				return 20*time.Second + time.Duration(min(o.DeclaredRange.Len(), max(o.ExhaustMax, DefaultExhaustMax)))*250*time.Millisecond
			},
			Run: runRangeExhausted,
		},
		{
			ID: "rfc959/3.2/pasv-released-after-session", RFC: "959", Section: "3.2", Level: Should,
			Title:       "a passive port left unused is released when its session ends (QUIT or a dropped connection)",
			Requirement: `The server MUST close the data connection under the following conditions: 1. The server has completed sending data in a transfer mode that requires a close to indicate EOF. 2. The server receives an ABORT command from the user. 3. The port specification is changed by a command from the user. 4. The control connection is closed legally or otherwise.`,
			Tags:        []string{"pasv", "resources"}, Needs: v4, Serial: true,
			Run: runPasvReleased,
		},
		{
			ID: "rfc959/4.1.2/port-active-transfer", RFC: "959", Section: "4.1.2", Level: Must,
			Title:       "PORT to the client's own address is accepted and the server connects to it",
			Requirement: `If this command is used, the argument is the concatenation of a 32-bit internet host address and a 16-bit TCP port address.`,
			Tags:        []string{"port", "active"}, Needs: v4,
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				l, err := c.Listen(netip.Addr{})
				if err != nil {
					return err
				}
				defer l.Close()
				if _, err := c.Expect(ctx, "PORT "+ftpwire.FormatPORT(l.Addr), 200); err != nil {
					return err
				}
				t, err := c.activeTransfer(ctx, l, "LIST")
				if err != nil {
					return Violatef("the server to connect to "+l.Addr.String()+" for LIST", "%v", err)
				}
				if !t.OK() {
					return Violatef("LIST over the active connection to succeed", "%s", transferString(t))
				}
				return nil
			},
		},
	}
}

// judgePasvAddress grades the address of a 227 reply against the control connection's peer.
func judgePasvAddress(adv, ctrl netip.Addr, r ftpwire.Reply) error {
	adv, ctrl = adv.Unmap(), ctrl.Unmap()
	exp := "the control connection's server address " + ctrl.String()
	switch {
	case adv == ctrl:
		return nil
	case adv.IsUnspecified() || adv.IsMulticast() || adv == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return Violatef(exp, "%s: an address nobody can connect to", quote(r))
	case adv.IsLoopback() && ctrl.IsLoopback():
		// No NAT sits inside a host: another loopback address is simply the wrong one.
		return Violatef(exp, "%s names %s", quote(r), adv)
	case adv.IsPrivate() && !ctrl.IsPrivate() && !ctrl.IsLoopback():
		return Violatef(exp, "%s names the private address %s while the server is reached at public %s: a NAT setup without the public address configured", quote(r), adv, ctrl).Downgrade(Should)
	}
	// A server behind NAT (or configured with its public address and tested from inside)
	// legitimately names another address: worth a warning, not a failure.
	return Violatef(exp, "%s names %s (a NAT or pasv_address setting?)", quote(r), adv).Downgrade(Should)
}

// probePort reports whether something accepts TCP connections on ap.
func probePort(ctx context.Context, env *Env, ap netip.AddrPort, local netip.Addr) (bool, error) {
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	nc, err := ftpwire.DialData(dctx, ap, local)
	if err == nil {
		env.Note("connected to %s: a listener is there", ap)
		nc.Close()
		return true, nil
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		env.Note("connection to %s refused: no listener", ap)
		return false, nil
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	return false, fmt.Errorf("probe %s: %w", ap, err)
}

// runDistinctSessions: N sessions from one IP all hold a pending PASV at once; the ports must be
// distinct, and when the data connections open in the reverse order, each session must still get
// the bytes of its own file.
func runDistinctSessions(ctx context.Context, env *Env) error {
	if err := samplePendingPorts(ctx, env); err != nil {
		return err
	}
	const n = 6
	setup, err := env.Login(ctx)
	if err != nil {
		return err
	}
	names := make([]string, n)
	files := make([][]byte, n)
	catalog := payload.Catalog{}
	for i := range names {
		names[i] = env.Name(fmt.Sprintf("s%d", i))
		files[i] = env.Content(names[i], 48<<10)
		catalog.Add(names[i])
		if err := setup.Stor(ctx, names[i], files[i]); err != nil {
			return err
		}
	}
	ctrls := make([]*Ctrl, n)
	aps := make([]netip.AddrPort, n)
	owner := map[uint16]int{}
	for i := range ctrls {
		if ctrls[i], err = env.Login(ctx); err != nil {
			return err
		}
	}
	for i, c := range ctrls {
		if aps[i], _, err = c.Pasv(ctx); err != nil {
			return err
		}
		if j, dup := owner[aps[i].Port()]; dup {
			return Violatef("a distinct port for each pending PASV",
				"sessions %d and %d (%s, %s) both got port %d while both were pending", j+1, i+1, ctrls[j].Name(), c.Name(), aps[i].Port())
		}
		owner[aps[i].Port()] = i
	}
	dcs := make([]*DataConn, n)
	for i := n - 1; i >= 0; i-- { // connect in the reverse of the PASV order
		if dcs[i], err = ctrls[i].DialData(ctx, aps[i]); err != nil {
			return fmt.Errorf("data connection of session %d: %w", i+1, err)
		}
	}
	got := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, c := range ctrls {
		if err := c.Send(ctx, "RETR "+names[i]); err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = readUntilClosed(dcs[i], 8*time.Second)
			dcs[i].Close()
		}()
	}
	wg.Wait()
	var problems []string
	for i, c := range ctrls {
		rctx, cancel := context.WithTimeout(ctx, 8*time.Second)
		prelim, err := c.ReadReply(rctx)
		if err == nil && prelim.Class() == 1 {
			_, _ = c.ReadReply(rctx)
		}
		cancel()
		if err != nil {
			if len(got[i]) == 0 {
				problems = append(problems, fmt.Sprintf("session %d: no reply to RETR: %v", i+1, err))
				continue
			}
			return err
		}
		if len(got[i]) == 0 {
			if prelim.Class() != 1 {
				problems = append(problems, fmt.Sprintf("session %d: RETR answered %s", i+1, quote(prelim)))
			} else {
				problems = append(problems, fmt.Sprintf("session %d: no bytes on its data connection (port %d)", i+1, aps[i].Port()))
			}
			continue
		}
		if ok, _ := prefixOf(files[i], got[i]); ok {
			continue
		}
		if o, found := payload.Identify(got[i], 0, catalog); found && o.Name != names[i] {
			problems = append(problems, fmt.Sprintf("session %d received the bytes of session %d's file %s", i+1, slices.Index(names, o.Name)+1, o.Name))
			continue
		}
		_, diff := sameBytes(files[i], got[i])
		problems = append(problems, fmt.Sprintf("session %d: %s", i+1, diff))
	}
	if len(problems) > 0 {
		return Violatef("each session's data connection to carry that session's file", "%s", strings.Join(problems, "; "))
	}
	return nil
}

// runRangeExhausted: PASV after PASV in one session must never run dry (each frees the last);
// with every port of a small declared range held by a session, one more PASV must be refused
// rather than answered with a port outside the range; and the ports must come back afterwards.
func runRangeExhausted(ctx context.Context, env *Env) error {
	rng := env.Declared
	if rng.Len() > env.ExhaustMax {
		return Skipf("the declared range %s has %d ports; this run exhausts at most %d (--exhaust-max %d would check it)", rng, rng.Len(), env.ExhaustMax, rng.Len())
	}
	c, err := env.Login(ctx)
	if err != nil {
		return err
	}
	for i := 1; i <= rng.Len()+2; i++ {
		r, err := c.Cmd(ctx, "PASV")
		if err != nil {
			return err
		}
		if r.Code != 227 {
			return Violatef(fmt.Sprintf("PASV after PASV in one session to keep working (each frees the previous listener; the range has %d ports)", rng.Len()),
				"PASV number %d answered %s", i, quote(r))
		}
		ap, err := ftpwire.ParsePASV(r.Text())
		if err != nil {
			return Violatef("a parsable 227", "%s", quote(r))
		}
		if !rng.Contains(int(ap.Port())) {
			return Violatef("a port in the declared range "+rng.String(), "port %d", ap.Port())
		}
	}
	c.Close()

	holders := make([]*Ctrl, 0, rng.Len())
	held := map[uint16]bool{}
	defer func() {
		for _, h := range holders {
			h.Close()
		}
	}()
	for len(held) < rng.Len() && len(holders) < rng.Len()+4 {
		h, err := env.Login(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("session %d with %d of the range's %d ports held: %w", len(holders)+1, len(held), rng.Len(), err)
			}
			// A client limit below the range's size: the range cannot be filled from here.
			return Unsupportedf("the server refused session %d with %d of the range's %d ports held (a limit on sessions per client below the range's size): %v",
				len(holders)+1, len(held), rng.Len(), err)
		}
		holders = append(holders, h)
		r, err := h.Cmd(ctx, "PASV")
		if err != nil {
			return err
		}
		if r.Code != 227 {
			env.Note("PASV refused with %d of %d ports held: %s", len(held), rng.Len(), r.String())
			break
		}
		ap, err := ftpwire.ParsePASV(r.Text())
		if err != nil {
			return Violatef("a parsable 227", "%s", quote(r))
		}
		if !rng.Contains(int(ap.Port())) {
			return Violatef("425 (or another refusal) when the declared range "+rng.String()+" is used up, not a port outside it",
				"port %d with %d of the range's ports held", ap.Port(), len(held))
		}
		if held[ap.Port()] {
			return Violatef("a port not already pending in another session", "port %d handed out twice", ap.Port())
		}
		held[ap.Port()] = true
	}
	env.Note("%d sessions hold %d distinct ports of %s", len(holders), len(held), rng)
	if len(held) == rng.Len() {
		extra, err := env.Login(ctx)
		if err != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) && env.Has(ctx, NeedForeignIP) {
			// A per-client limit equal to the range's size: the one more session comes from
			// the other address, which that limit does not count.
			env.Note("one more session from %s refused (%v): trying from %s", "this address", err, env.ForeignAddr)
			extra, err = env.LoginFrom(ctx, env.ForeignAddr, "extra")
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return Unsupportedf("the server refused one more session with all %d ports of the range held (a session limit): %v", rng.Len(), err)
		}
		holders = append(holders, extra)
		r, err := extra.Cmd(ctx, "PASV")
		if err != nil {
			return err
		}
		if r.Code == 227 {
			ap, _ := ftpwire.ParsePASV(r.Text())
			return Violatef("425 (or another refusal) when every port of "+rng.String()+" is pending",
				"%s: port %d (%s)", quote(r), ap.Port(), map[bool]string{true: "already pending in another session", false: "outside the range"}[rng.Contains(int(ap.Port()))])
		}
		if !refused(r) {
			return Violatef("425 (or another refusal)", "%s", quote(r))
		}
	}
	for _, h := range holders {
		h.Close()
	}
	holders = nil
	// The ports must come back once their sessions are gone.
	deadline := time.Now().Add(3 * time.Second)
	for {
		c, err := env.Login(ctx)
		if err != nil {
			return err
		}
		r, err := c.Cmd(ctx, "PASV")
		c.Close()
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if r.Code == 227 {
			return nil
		}
		if time.Now().After(deadline) {
			return Violatef("PASV to work again once the sessions holding the ports ended", "%s", quote(r))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pendingSample is how many passive ports samplePendingPorts holds pending at once: enough that a
// server handing a pending port to another session 1 PASV in 10 is caught with probability at
// least 99 % (1 - 0.9^(n-1) >= 0.99 needs n-1 >= 44); 60 makes it 99.8 %, so that a selftest
// against such a fault is not a coin that lands wrong one run in a hundred.
const pendingSample = 60

// samplePendingPorts holds one pending PASV in each of up to pendingSample sessions at once (fewer
// when --exhaust-max or the declared range is smaller) and requires the ports to be distinct. A
// fault that strikes only sometimes needs a sample this large to be caught; the sample size and
// the chance it gives are stated in the transcript.
func samplePendingPorts(ctx context.Context, env *Env) error {
	n := min(pendingSample, env.ExhaustMax)
	if !env.Declared.IsZero() {
		// Leave a few ports of the range for what follows the sample.
		n = min(n, max(env.Declared.Len()-4, 2))
	}
	caught := 1 - math.Pow(0.9, float64(n-1))
	env.Note("holding %d PASVs pending at once, one per session: a fault striking 1 PASV in 10 is caught with probability %.1f%%", n, 100*caught)
	owner := map[uint16]int{}
	ctrls := make([]*Ctrl, 0, n)
	defer func() {
		// QUIT, and wait for the server to close: its ports are free again for what follows.
		var wg sync.WaitGroup
		for _, c := range ctrls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				quit(context.WithoutCancel(ctx), c.Conn)
			}()
		}
		wg.Wait()
	}()
	for i := 0; i < n; i++ {
		c, err := env.Login(ctx)
		if err != nil {
			if ctx.Err() != nil || i < 2 {
				return err
			}
			env.Note("session %d refused (%v): sampled %d pending PASVs", i+1, err, i)
			break
		}
		ctrls = append(ctrls, c)
		ap, _, err := c.Pasv(ctx)
		if err != nil {
			return err
		}
		if j, dup := owner[ap.Port()]; dup {
			return Violatef("a distinct port for each pending PASV",
				"sessions %d and %d (%s, %s) both got port %d while both were pending (%d of a sample of %d pending PASVs)",
				j+1, i+1, ctrls[j].Name(), c.Name(), ap.Port(), i+1, n)
		}
		owner[ap.Port()] = i
	}
	env.Note("%d pending PASVs, %d distinct ports", len(ctrls), len(owner))
	return nil
}

// runPasvReleased: sessions that end (by QUIT, and by a dropped control connection) while a PASV
// port is still pending must take the listener with them; otherwise a client that leaves can use up
// the range and switch passive mode off for everyone. Each port is probed after its session ended
// (with a grace period for a server that closes asynchronously); with a declared range that fits
// --exhaust-max, as many sessions as the range has ports come and go, and PASV must still work.
func runPasvReleased(ctx context.Context, env *Env) error {
	end := func(c *Ctrl, drop bool) {
		if drop {
			c.Reset()
			return
		}
		quit(ctx, c.Conn)
	}
	for _, drop := range []bool{false, true} {
		how := map[bool]string{false: "QUIT", true: "a dropped control connection"}[drop]
		c, err := env.Login(ctx)
		if err != nil {
			return err
		}
		ap, _, err := c.Pasv(ctx)
		if err != nil {
			return err
		}
		local := c.LocalAddr().Addr()
		end(c, drop)
		env.Note("session ended by %s with port %d pending", how, ap.Port())
		open := true
		for wait := time.Now().Add(2 * time.Second); open && time.Now().Before(wait); {
			time.Sleep(250 * time.Millisecond)
			if open, err = probePort(ctx, env, ap, local); err != nil {
				return err
			}
		}
		if open {
			return Violatef("port "+fmt.Sprint(ap.Port())+" closed once its session ended by "+how,
				"port %d still accepts connections 2s after the session ended by %s", ap.Port(), how)
		}
	}
	rng := env.Declared
	if rng.IsZero() || rng.Len() > env.ExhaustMax {
		env.Note("range refill not checked: %s", map[bool]string{true: "no declared range (--pasv-ports)", false: fmt.Sprintf("the declared range %s is larger than --exhaust-max %d", rng, env.ExhaustMax)}[rng.IsZero()])
		return nil
	}
	for i := 0; i < rng.Len()+2; i++ {
		c, err := env.Login(ctx)
		if err != nil {
			return err
		}
		r, err := c.Cmd(ctx, "PASV")
		// A server that releases ports a moment after a session ends gets that moment.
		for try := 0; err == nil && r.Code != 227 && try < 4; try++ {
			time.Sleep(500 * time.Millisecond)
			r, err = c.Cmd(ctx, "PASV")
		}
		if err != nil {
			return err
		}
		if r.Code != 227 {
			return Violatef("PASV to keep working while earlier sessions come and go (each left a pending port behind)",
				"PASV in session %d answered %s (the range %s has %d ports)", i+1, quote(r), rng, rng.Len())
		}
		end(c, i%2 == 1)
	}
	env.Note("%d sessions each left a pending PASV behind and ended: PASV kept working", rng.Len()+2)
	return nil
}
