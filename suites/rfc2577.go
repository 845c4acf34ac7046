package suites

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/ftpspec/ftpspec/internal/ftpwire"
)

// RFC 2577, FTP Security Considerations. It is an Informational RFC whose recommendations are
// phrased as suggestions ("it is suggested that servers …") and threat descriptions ("the attacker
// can …", "in such a situation …"): none is a MUST or SHOULD of the protocol, so what these cases
// find is advisory (reported loudly with its evidence, never a failure, not even under --strict).
// The one sentence with a keyword, §5's "must send a return code of 421" before closing after
// failed logins, is graded as a SHOULD (warn), the RFC being Informational.
func rfc2577Cases() []Case {
	stealing := `This problem can be mitigated by making FTP clients and servers use random local port numbers for data connections, either by requesting random ports from the operating system or using system dependent mechanisms.`
	checkBoth := `In such a situation, the server should confirm that the network address of the remote hosts on both the control connection and the data connection are within the organization before sending a restricted file.`
	below1024 := `To avoid such bounce attacks, it is suggested that servers not open data connections to TCP ports less than 1024.`
	foreign := []Feature{NeedIPv4, NeedWrite, NeedForeignIP}
	return []Case{
		{
			ID: "rfc2577/4/pasv-foreign-ip-refused", RFC: "2577", Section: "4", Level: Should,
			Title:       "a data connection from another IP to a pending passive port does not get the file",
			Requirement: checkBoth,
			Advisory:    true,
			Tags:        []string{"pasv", "security"}, Needs: foreign, TLS: PlainOnly,
			// One full attempt, then a sample of quick ones, each waiting up to a few seconds on
			// a server that keeps the foreign connection open.
			Budget: func(o Options) time.Duration {
				return 30*time.Second + time.Duration(foreignSampleSize(o.ExhaustMax))*500*time.Millisecond
			},
			Run: runForeignRefused,
		},
		{
			ID: "rfc2577/8/pasv-foreign-ip-no-disturb", RFC: "2577", Section: "8", Level: Should,
			Title:       "a foreign connection attempt does not disturb the legitimate transfer",
			Requirement: `The attacker can make a connection to this port, thus denying another legitimate client the ability to make a transfer.`,
			Advisory:    true,
			Tags:        []string{"pasv", "security"}, Needs: foreign, TLS: PlainOnly,
			Run: func(ctx context.Context, env *Env) error {
				res, err := stealAttempt(ctx, env)
				if err != nil {
					return err
				}
				if !res.ownerOK {
					return Violatef("the owner's transfer to complete with the file's bytes despite the foreign attempt", "%s", res.ownerStory)
				}
				return nil
			},
		},
		{
			ID: "rfc2577/8/pasv-port-per-transfer", RFC: "2577", Section: "8", Level: Should,
			Title:       "successive passive transfers of one session do not all reuse one port",
			Requirement: stealing,
			Advisory:    true,
			Tags:        []string{"pasv", "security"}, Needs: []Feature{NeedIPv4},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				seen := map[uint16]bool{}
				var ports []string
				for i := 0; i < 4; i++ {
					ap, _, err := c.Pasv(ctx)
					if err != nil {
						return err
					}
					if _, err := c.DoAt(ctx, ap, "NLST", nil); err != nil {
						return err
					}
					seen[ap.Port()] = true
					ports = append(ports, fmt.Sprint(ap.Port()))
				}
				if len(seen) == 1 {
					return Violatef("a fresh port for each transfer", "ports %s: one port for every transfer", strings.Join(ports, ", "))
				}
				return nil
			},
		},
		{
			ID: "rfc2577/8/pasv-ports-unpredictable", RFC: "2577", Section: "8", Level: Should,
			Title:       "passive ports are not handed out in a predictable sequence",
			Requirement: stealing,
			Advisory:    true,
			Tags:        []string{"pasv", "security"}, Needs: []Feature{NeedIPv4}, Serial: true,
			Run: func(ctx context.Context, env *Env) error {
				if !env.Declared.IsZero() && env.Declared.Len() < 64 {
					return Skipf("the declared range %s is too small to judge randomness", env.Declared)
				}
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				var ports []int
				env.Note("sampling %d successive passive ports (%d steps) for a predictable sequence", unpredictableSample, unpredictableSample-1)
				for i := 0; i < unpredictableSample; i++ {
					ap, _, err := c.Pasv(ctx)
					if err != nil {
						return err
					}
					ports = append(ports, int(ap.Port()))
				}
				if why := predictable(ports); why != "" {
					return Violatef("randomly chosen passive ports", "ports %v: %s", ports, why)
				}
				return nil
			},
		},
		{
			ID: "rfc2577/3/port-below-1024-refused", RFC: "2577", Section: "3", Level: Should,
			Title:       "PORT to a port below 1024 is refused (504 suggested)",
			Requirement: below1024,
			Advisory:    true,
			Tags:        []string{"port", "security", "bounce"}, Needs: []Feature{NeedIPv4},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				return privilegedBounce(ctx, c, 1023, func(ap netip.AddrPort) string { return "PORT " + ftpwire.FormatPORT(ap) })
			},
		},
		{
			ID: "rfc2577/3/eprt-below-1024-refused", RFC: "2577", Section: "3", Level: Should,
			Title:       "EPRT to a port below 1024 is refused",
			Requirement: below1024,
			Advisory:    true,
			Tags:        []string{"eprt", "security", "bounce"},
			Run: func(ctx context.Context, env *Env) error {
				c, err := env.Login(ctx)
				if err != nil {
					return err
				}
				return privilegedBounce(ctx, c, 1022, func(ap netip.AddrPort) string { return "EPRT " + ftpwire.FormatEPRT(ap) })
			},
		},
		{
			ID: "rfc2577/4/port-foreign-address-refused", RFC: "2577", Section: "4", Level: Should,
			Title:       "the server does not connect to a third host named in PORT (bounce)",
			Requirement: checkBoth,
			Advisory:    true,
			Tags:        []string{"port", "security", "bounce"}, Needs: []Feature{NeedIPv4, NeedForeignIP}, TLS: PlainOnly,
			Run: func(ctx context.Context, env *Env) error {
				return bounceAttempt(ctx, env, func(ap netip.AddrPort) string { return "PORT " + ftpwire.FormatPORT(ap) })
			},
		},
		{
			ID: "rfc2577/4/eprt-foreign-address-refused", RFC: "2577", Section: "4", Level: Should,
			Title:       "the server does not connect to a third host named in EPRT (bounce)",
			Requirement: checkBoth,
			Advisory:    true,
			Tags:        []string{"eprt", "security", "bounce"}, Needs: []Feature{NeedForeignIP}, TLS: PlainOnly,
			Run: func(ctx context.Context, env *Env) error {
				return bounceAttempt(ctx, env, func(ap netip.AddrPort) string { return "EPRT " + ftpwire.FormatEPRT(ap) })
			},
		},
		{
			ID: "rfc2577/7/user-unknown-same-reply", RFC: "2577", Section: "7", Level: Should, Advisory: true,
			Title:       "USER answers an unknown user name as it answers a valid one (no user-name enumeration)",
			Requirement: `In order to prevent a malicious client from determining valid usernames on a server, it is suggested that a server always return 331 to the USER command and then reject the combination of username and password for an invalid username.`,
			Tags:        []string{"login", "security"},
			Run: func(ctx context.Context, env *Env) error {
				if env.Target.Anonymous() {
					return Skipf("needs a named login to compare with (the target logs in anonymously, a public name)")
				}
				// Each USER on a fresh connection, in the same state: the control is the valid name.
				ask := func(user string) (ftpwire.Reply, error) {
					c, err := env.Connect(ctx)
					if err != nil {
						return ftpwire.Reply{}, err
					}
					return c.Cmd(ctx, "USER "+user)
				}
				known, err := ask(env.Target.User)
				if err != nil {
					return err
				}
				if known.Code != 331 {
					return Skipf("USER %s answered %s: the valid name needs no password, so there is nothing to compare", env.Target.User, quote(known))
				}
				unknown := "ftpspec-nouser-" + env.nonce
				r, err := ask(unknown)
				if err != nil {
					return err
				}
				if r.Code != known.Code {
					return Violatef(fmt.Sprintf("the same reply code as for the valid name (%d)", known.Code),
						"USER %s (valid) answered %s, USER %s (unknown) answered %s: the reply tells which names exist", env.Target.User, quote(known), unknown, quote(r))
				}
				return nil
			},
		},
		{
			ID: "rfc2577/5/login-failures-close-421", RFC: "2577", Section: "5", Level: Should,
			Title:       "after a few failed logins the server closes the connection, sending 421 first",
			Requirement: `Before closing the control connection the server must send a return code of 421 ("Service not available, closing control connection." [PR85]) to the client.`,
			Tags:        []string{"login", "security"},
			// Bound by the server's own delays: RFC 2577 §5 suggests one of 5 s per failure, and
			// some servers make each longer than the last (Pure-FTPd: about 2, 5, 9, 13, 17 and
			// 20 s, so six attempts take ~75 s): room for that and a loaded machine.
			Budget: func(Options) time.Duration { return 150 * time.Second },
			Run: func(ctx context.Context, env *Env) error {
				if env.Target.Anonymous() {
					return Skipf("anonymous logins accept any password")
				}
				c, err := env.Connect(ctx)
				if err != nil {
					return err
				}
				var last ftpwire.Reply
				for attempt := 1; attempt <= 6; attempt++ {
					r, err := c.Cmd(ctx, "USER "+env.Target.User)
					if err == nil && r.Code == 331 {
						last = r
						r, err = c.Cmd(ctx, "PASS wrong-"+env.nonce)
					}
					if err != nil {
						if errors.Is(err, io.EOF) || !errors.Is(err, context.DeadlineExceeded) {
							if last.Code != 421 {
								return Violatef("421 before the server closes the connection", "closed after %s", quote(last))
							}
							return nil
						}
						return err
					}
					last = r
					if r.Code == 421 {
						return expectClosed(ctx, c, "after 421")
					}
					if r.Class() == 2 {
						return fmt.Errorf("setup: a wrong password was accepted: %s", quote(r))
					}
				}
				// Limiting the attempts is a suggestion ("it is suggested that servers limit the
				// number of attempts"); only the 421 before a close is a "must".
				return &Violation{Expected: []string{"the connection closed (with 421) after a small number (3-5) of failed logins"},
					Actual: "still open after 6 failed attempts", Advisory: true}
			},
		},
	}
}

// unpredictableSample is how many successive passive ports pasv-ports-unpredictable judges: 44
// steps, so that a server that hands out the next port in sequence only now and then still shows
// a pattern, and a random server's chance of looking sequential stays negligible.
const unpredictableSample = 45

// foreignSample is how many freshly advertised passive ports pasv-foreign-ip-refused tries from
// the foreign address: a server that accepts a foreign data connection on 1 port in 10 is caught
// with probability 1 - 0.9^60 = 99.8 % (44 would give the 99 % the suite promises; the margin keeps
// selftest against such a fault from failing one run in a hundred).
const foreignSample = 60

// foreignSampleSize bounds the sample by --exhaust-max: the attempts are sequential, one port at a
// time, but the option is the user's word on how hard a shared server may be worked.
func foreignSampleSize(exhaustMax int) int {
	if exhaustMax <= 0 {
		exhaustMax = DefaultExhaustMax
	}
	return max(1, min(foreignSample, exhaustMax))
}

// runForeignRefused: the full steal attempt first (its evidence is what the report shows), then
// quick attempts on freshly advertised ports, each from the foreign address, so that a server
// that lets a stranger in only sometimes is caught. Only bytes reaching the stranger count: what
// happens to the owner's transfer is pasv-foreign-ip-no-disturb's business.
func runForeignRefused(ctx context.Context, env *Env) error {
	n := foreignSampleSize(env.ExhaustMax)
	env.Note("trying %d freshly advertised passive ports from %s: a server that accepts a foreign data connection on 1 port in 10 is caught with probability %.1f%%",
		n, env.ForeignAddr, 100*(1-math.Pow(0.9, float64(n))))
	stolen := func(attempt, got int) error {
		return Violatef("the connection from "+env.ForeignAddr.String()+" refused or ignored",
			"the connection from %s received %d bytes of the file (attempt %d of a sample of %d freshly advertised ports)", env.ForeignAddr, got, attempt, n)
	}
	res, err := stealAttempt(ctx, env)
	if err != nil {
		return err
	}
	if len(res.thiefGot) > 0 {
		return stolen(1, len(res.thiefGot))
	}
	if n == 1 {
		return nil
	}
	c, name, _, err := loginAndFile(ctx, env, "fs", 4<<10)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		// The full attempt stands; the sample needs a second session the server did not give.
		env.Note("sample not taken (the full attempt stands): %v", err)
		return nil
	}
	for i := 2; i <= n; i++ {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 10*time.Second {
			// A slow server: stop while there is time to end cleanly; what was tried stands.
			env.Note("sample ended after %d of %d attempts: the case's budget is nearly spent", i-1, n)
			return nil
		}
		got, why, err := quickSteal(ctx, c, name, i)
		if err != nil {
			return err
		}
		if got > 0 {
			return stolen(i, got)
		}
		if why != "" {
			// The sample ends early (the server stopped playing along); what was tried stands.
			env.Note("sample ended after %d of %d attempts: %s", i, n, why)
			return nil
		}
	}
	env.Note("%d attempts from %s, none received a byte", n, env.ForeignAddr)
	return nil
}

// quickSteal is one sampled attempt: PASV, a connection from the foreign address, a short pause,
// then the owner's connection and RETR. It returns how many bytes the
// foreign connection received, or why the sample cannot go on ("" when it can).
func quickSteal(ctx context.Context, c *Ctrl, name string, attempt int) (int, string, error) {
	env := c.env
	ap, _, err := c.Pasv(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return 0, "", err
		}
		return 0, fmt.Sprintf("PASV: %v", err), nil
	}
	thief, err := c.DialDataFrom(ctx, ap, env.ForeignAddr, fmt.Sprintf("thief%d", attempt))
	if err != nil {
		thief = nil // refused at once: nothing to steal with
	}
	// Time for the server to judge the stranger, and for a server that reports it on the control
	// connection (pyftpdlib's 425, ~20 ms after) to have done so before RETR is sent, so that the
	// unsolicited reply is recognised as such and not paired with RETR.
	time.Sleep(60 * time.Millisecond)
	owner, _ := c.DialData(ctx, ap)
	rctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	prelim, err := c.Cmd(rctx, "RETR "+name)
	if err == nil && prelim.Class() == 1 {
		if owner != nil {
			_, _ = readUntilClosed(owner, 6*time.Second)
		}
		_, err = c.ReadReply(rctx)
	}
	if owner != nil {
		owner.Close()
	}
	got := 0
	if thief != nil {
		// The owner's transfer is over: whatever the stranger was going to get has been sent.
		b, _ := readUntilClosed(thief, 300*time.Millisecond)
		thief.Close()
		got = len(b)
	}
	switch {
	case got > 0:
		return got, "", nil
	case ctx.Err() != nil:
		return 0, "", ctx.Err()
	case err != nil:
		return 0, fmt.Sprintf("RETR: %v", err), nil
	}
	return 0, "", nil
}

// predictable explains why a port sequence is guessable, or returns "".
func predictable(ports []int) string {
	distinct := map[int]bool{}
	up, down := 0, 0
	for i, p := range ports {
		distinct[p] = true
		if i == 0 {
			continue
		}
		switch d := p - ports[i-1]; {
		case d >= 1 && d <= 8:
			up++
		case d <= -1 && d >= -8:
			down++
		}
	}
	steps := len(ports) - 1
	switch {
	case len(distinct) <= 2:
		return fmt.Sprintf("only %d distinct port(s) in %d", len(distinct), len(ports))
	case up*4 >= steps*3:
		// A random pick from a range of R ports steps up by 1..8 with probability ~8/R; three in four
		// such steps does not happen by chance in any range worth the name.
		return fmt.Sprintf("%d of %d steps are small increments: the next port is guessable", up, steps)
	case down*4 >= steps*3:
		return fmt.Sprintf("%d of %d steps are small decrements: the next port is guessable", down, steps)
	}
	return ""
}

type stealResult struct {
	thiefGot   []byte
	ownerOK    bool
	ownerStory string
}

// stealAttempt: the owner opens a passive port; a client on the foreign address connects to it
// first and waits; then the owner connects and sends RETR. Who gets the bytes?
func stealAttempt(ctx context.Context, env *Env) (stealResult, error) {
	var res stealResult
	c, name, data, err := loginAndFile(ctx, env, "f", 64<<10)
	if err != nil {
		return res, err
	}
	ap, _, err := c.Pasv(ctx)
	if err != nil {
		return res, err
	}
	thief, err := c.DialDataFrom(ctx, ap, env.ForeignAddr, "thief")
	if err != nil {
		env.Note("the foreign connection to %s failed at once: %v", ap, err)
	}
	time.Sleep(200 * time.Millisecond) // let the server see (and judge) the foreign connection
	thiefDone := make(chan []byte, 1)
	if thief != nil {
		go func() {
			b, _ := readUntilClosed(thief, 6*time.Second)
			thief.Close()
			thiefDone <- b
		}()
	} else {
		thiefDone <- nil
	}
	owner, err := c.DialData(ctx, ap)
	if err != nil {
		env.Note("the owner's data connection to %s failed: %v", ap, err)
	}
	rctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	prelim, err := c.Cmd(rctx, "RETR "+name)
	if err != nil {
		res.ownerStory = "no reply to RETR: " + err.Error()
		if thief != nil {
			_ = thief.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		}
		res.thiefGot = <-thiefDone
		return res, nil
	}
	var got []byte
	if owner != nil && prelim.Class() == 1 {
		got, _ = readUntilClosed(owner, 6*time.Second)
		owner.Close()
	}
	final := prelim
	if prelim.Class() == 1 {
		if final, err = c.ReadReply(rctx); err != nil {
			res.ownerStory = fmt.Sprintf("%s, then no final reply: %v", quote(prelim), err)
		}
	}
	if thief != nil {
		// The owner's transfer is over: whatever the thief was going to get has been sent.
		_ = thief.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	}
	res.thiefGot = <-thiefDone
	switch {
	case owner == nil:
		res.ownerStory = "the owner could not connect to the passive port after the foreign attempt"
	case prelim.Class() != 1:
		res.ownerStory = "RETR answered " + quote(prelim)
	case res.ownerStory != "":
	case final.Class() != 2:
		res.ownerStory = fmt.Sprintf("%s then %s, %d bytes", quote(prelim), quote(final), len(got))
	default:
		if ok, diff := sameBytes(data, got); !ok {
			res.ownerStory = "the owner received " + diff
		} else {
			res.ownerOK = true
		}
	}
	return res, nil
}

// bounceAttempt names a listener on the foreign address in PORT/EPRT and checks whether the
// server connects to it for a transfer.
func bounceAttempt(ctx context.Context, env *Env, cmd func(netip.AddrPort) string) error {
	c, err := env.Login(ctx)
	if err != nil {
		return err
	}
	l, err := c.Listen(env.ForeignAddr)
	if err != nil {
		return Skipf("%v", err)
	}
	defer l.Close()
	line := cmd(l.Addr)
	r, err := c.Cmd(ctx, line)
	if err != nil {
		return err
	}
	if strings.HasPrefix(line, "EPRT") {
		if err := c.unsupportedIfUnknown(r, "EPRT"); err != nil {
			return err
		}
	}
	if r.Class() != 2 {
		return nil // refused at once
	}
	env.Note("%s accepted; checking whether the server really connects to %s", verbOf(line), l.Addr)
	if err := c.Send(ctx, "LIST"); err != nil {
		return err
	}
	dc, err := l.Accept(3 * time.Second)
	if err != nil {
		return err
	}
	if dc != nil {
		dc.Close()
		return Violatef("no data connection to a third host", "the server connected from %s to %s, the address %s named", dc.peer, l.Addr, verbOf(line))
	}
	return nil
}

// privilegedBounce names port 1023 of the client's own address in PORT/EPRT and observes the
// mechanism: where it can, it listens there and sends LIST, and what counts is whether a
// connection arrives, not the first digit of a reply (a server that accepts, tries to connect,
// then answers 425 did open a connection to a privileged port).
func privilegedBounce(ctx context.Context, c *Ctrl, port uint16, cmd func(netip.AddrPort) string) error {
	env := c.env
	ap := netip.AddrPortFrom(c.LocalAddr().Addr(), port)
	var l *Listener
	if ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(ap)); err == nil {
		env.track(ln)
		l = &Listener{ln: ln, ctrl: c, Addr: ap}
		env.Note("listening on %s to see whether the server connects there", ap)
		defer l.Close()
	} else {
		env.Note("cannot listen on %s (%v): judging by the reply alone", ap, err)
	}
	line := cmd(ap)
	r, err := c.Cmd(ctx, line)
	if err != nil {
		return err
	}
	if err := c.unsupportedIfUnknown(r, verbOf(line)); err != nil {
		return err
	}
	if r.Class() != 2 {
		return nil // refused at once
	}
	if l == nil {
		return &Violation{Expected: []string{"a refusal (504 suggested) of " + verbOf(line) + " naming a port below 1024"},
			Actual: quote(r) + " (whether the server then connects could not be observed)", Advisory: true}
	}
	env.Note("%s accepted; sending LIST and watching %s", verbOf(line), ap)
	if err := c.Send(ctx, "LIST"); err != nil {
		return err
	}
	dc, err := l.Accept(3 * time.Second)
	if err != nil {
		return err
	}
	// Read LIST's replies (a 1yz followed to its final reply) so the session stays paired.
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if dc != nil {
		_, _ = readUntilClosed(dc, 2*time.Second)
		dc.Close()
	}
	if lr, err := c.ReadReply(rctx); err == nil && lr.Class() == 1 {
		_, _ = c.ReadReply(rctx)
	}
	if dc != nil {
		return &Violation{Expected: []string{"no data connection to a port below 1024"},
			Actual: fmt.Sprintf("the server accepted %s (%s) and connected from %s to %s", verbOf(line), quote(r), dc.peer, ap), Advisory: true}
	}
	env.Note("no connection arrived at %s: the server did not open a data connection there", ap)
	return nil
}
