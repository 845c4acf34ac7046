package reference

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/ftpspec/ftpspec/reports"
)

// Config configures a Server. The zero value is usable: every zero field takes the default named
// in its comment, so reference.Start(t) needs no configuration at all.
type Config struct {
	// Listen is the control connection's address. Default "127.0.0.1:0".
	Listen string
	// ImplicitTLSListen, when set, is the address of a second listener whose connections start
	// with a TLS handshake (the "implicit FTPS" convention; RFC 4217 only defines AUTH TLS).
	ImplicitTLSListen string
	// Root is the directory served. Default: a fresh temporary directory removed by Close.
	Root string
	// PasvPorts is the range passive listeners are chosen from. Default 30000-30999: 1000 ports
	// below Linux's ephemeral range, so the kernel never hands them to outgoing connections.
	PasvPorts PortRange
	// PublicIP is the address put in 227 replies, for a server behind NAT. Default: the local
	// address of the control connection.
	PublicIP string
	// Users who may log in. Default: test/test, read-write at Root.
	Users []User
	// Anonymous allows "anonymous" and "ftp" to log in read-only at Root with any password.
	// Default (nil): allowed.
	Anonymous *bool
	// Faults names the fault modes to switch on; see Faults for the catalogue.
	Faults []string
	// TLS configures RFC 4217 security.
	TLS TLSConfig
	// Limits bounds what clients may consume.
	Limits Limits
	// Timeouts bounds how long the server waits.
	Timeouts Timeouts
	// Hosts are RFC 7151 virtual hosts, each with its own root. A HOST command naming none of
	// them is refused with 504; sessions without HOST use Root.
	Hosts []Host
	// FsyncUploads makes an upload durable (fsync) before it is renamed to its final name.
	// Off by default: the rename alone already guarantees a reader sees all or nothing.
	FsyncUploads bool
	// Logger receives session and error events. Default: discarded.
	Logger *slog.Logger
}

// User is an account.
type User struct {
	Name     string
	Password string
	// Root is the user's home, relative to the server's (or the virtual host's) root, or
	// absolute. Default: that root itself. Created at start when missing.
	Root string
	// Write allows STOR, APPE, STOU, DELE, MKD, RMD, RNFR/RNTO and SITE CHMOD.
	Write bool
}

// Host is an RFC 7151 virtual host.
type Host struct {
	Name string // compared case-insensitively
	Root string // the host's root directory; users' relative roots are resolved under it
}

// TLSConfig configures RFC 4217 TLS.
type TLSConfig struct {
	// CertFile and KeyFile are a PEM certificate chain and key. Default: a self-signed ECDSA
	// P-256 certificate for 127.0.0.1, ::1 and localhost, generated in memory at start.
	CertFile string
	KeyFile  string
	// Disable turns TLS off: AUTH TLS is refused and FEAT does not offer it.
	Disable bool
	// RequireSessionReuse refuses (522) a PROT P data connection that does not resume the
	// control connection's TLS session, so a stolen data connection cannot complete a handshake.
	// Default (nil): required.
	RequireSessionReuse *bool
}

// Limits bounds resource use. A zero field takes its default; a negative one removes the limit.
type Limits struct {
	MaxSessions      int           // default 8000
	MaxPerIP         int           // default 8000 (load tests open thousands of sessions from one address)
	MaxLoginFailures int           // per connection; default 3, then 421 and close
	LoginFailDelay   time.Duration // before each 530 for a bad password; default 250ms
	MaxLineLength    int           // of a command line, in bytes; default 4096
}

// Timeouts bounds waiting. A zero field takes its default; a negative one disables the timeout.
type Timeouts struct {
	Idle          time.Duration // between commands; default 5m
	Data          time.Duration // for the data connection to open, and for each progress step; default 60s
	ShutdownGrace time.Duration // how long `ftpspec serve` lets transfers finish on SIGTERM; default 30s
}

// PortRange is an inclusive range of TCP ports.
type PortRange struct{ Lo, Hi int }

// Len is the number of ports in the range.
func (r PortRange) Len() int { return r.Hi - r.Lo + 1 }

// String returns "LO-HI".
func (r PortRange) String() string { return fmt.Sprintf("%d-%d", r.Lo, r.Hi) }

// ParsePortRange parses "LO-HI" (inclusive, 1 <= LO <= HI <= 65535; a single port is a one-port
// range), with the one grammar every ftpspec command uses.
func ParsePortRange(s string) (PortRange, error) {
	lo, hi, err := reports.ParsePortRange(s)
	if err != nil {
		return PortRange{}, err
	}
	return PortRange{lo, hi}, nil
}

func (r PortRange) validate() error {
	if r.Lo < 1 || r.Hi > 65535 || r.Lo > r.Hi {
		return errors.New("want 1 <= LO <= HI <= 65535")
	}
	return nil
}

// Defaults, named so documentation and code cannot drift apart.
const (
	defaultListen         = "127.0.0.1:0"
	defaultMaxSessions    = 8000
	defaultMaxPerIP       = 8000
	defaultMaxLoginFail   = 3
	defaultLoginFailDelay = 250 * time.Millisecond
	defaultMaxLine        = 4096
	defaultIdle           = 5 * time.Minute
	defaultData           = 60 * time.Second
	defaultShutdownGrace  = 30 * time.Second
)

// DefaultPasvPorts is the passive range used when Config.PasvPorts is zero.
var defaultPasvPorts = PortRange{30000, 30999}

// ShutdownGrace is the grace period a command-line front end should give Shutdown.
func (c Config) ShutdownGrace() time.Duration {
	return orDefault(c.Timeouts.ShutdownGrace, defaultShutdownGrace)
}

// normalized returns c with defaults filled in, or an error naming the bad field.
func (c Config) normalized() (Config, error) {
	if c.Listen == "" {
		c.Listen = defaultListen
	}
	if c.PasvPorts == (PortRange{}) {
		c.PasvPorts = defaultPasvPorts
	}
	if err := c.PasvPorts.validate(); err != nil {
		return c, fmt.Errorf("PasvPorts %v: %w", c.PasvPorts, err)
	}
	if c.PublicIP != "" {
		a, err := netip.ParseAddr(c.PublicIP)
		if err != nil || !a.Unmap().Is4() {
			return c, fmt.Errorf("PublicIP %q: want an IPv4 address", c.PublicIP)
		}
	}
	if c.Users == nil {
		c.Users = []User{{Name: "test", Password: "test", Write: true}}
	}
	seen := map[string]bool{}
	for i, u := range c.Users {
		if u.Name == "" {
			return c, fmt.Errorf("Users[%d]: empty name", i)
		}
		if seen[u.Name] {
			return c, fmt.Errorf("Users[%d]: duplicate name %q", i, u.Name)
		}
		seen[u.Name] = true
	}
	for i, h := range c.Hosts {
		if h.Name == "" || h.Root == "" {
			return c, fmt.Errorf("Hosts[%d]: name and root are required", i)
		}
	}
	for _, f := range c.Faults {
		if err := checkFault(f); err != nil {
			return c, fmt.Errorf("%w (known: %s)", err, strings.Join(faultNames(), ", "))
		}
	}
	l := &c.Limits
	l.MaxSessions = limitOr(l.MaxSessions, defaultMaxSessions)
	l.MaxPerIP = limitOr(l.MaxPerIP, defaultMaxPerIP)
	l.MaxLoginFailures = limitOr(l.MaxLoginFailures, defaultMaxLoginFail)
	l.LoginFailDelay = orDefault(l.LoginFailDelay, defaultLoginFailDelay)
	if l.MaxLineLength == 0 {
		l.MaxLineLength = defaultMaxLine
	}
	if l.MaxLineLength < 64 {
		return c, fmt.Errorf("Limits.MaxLineLength %d: want at least 64", l.MaxLineLength)
	}
	t := &c.Timeouts
	t.Idle = orDefault(t.Idle, defaultIdle)
	t.Data = orDefault(t.Data, defaultData)
	t.ShutdownGrace = orDefault(t.ShutdownGrace, defaultShutdownGrace)
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return c, errors.New("TLS: cert_file and key_file go together")
	}
	return c, nil
}

// limitOr maps 0 to def and a negative value to "no limit".
func limitOr(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// orDefault maps 0 to def and a negative duration to "never".
func orDefault(v, def time.Duration) time.Duration {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}
