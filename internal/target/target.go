// Package target parses and prints the FTP URLs that name a server under test.
//
// ftp://user:pass@host:port/dir selects a server, a login and a working directory; without a user
// the login is anonymous. ftps:// selects implicit TLS (RFC 4217 does not define it, but it is the
// common practice on port 990). The password never leaves this package in printed form: String
// redacts it, so a URL can go into reports and logs.
package target

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Target is a parsed server URL.
type Target struct {
	Scheme   string // "ftp" or "ftps" (implicit TLS)
	Host     string // host name or address, without brackets
	Port     string
	User     string // "anonymous" when the URL has none
	Password string
	Dir      string // working directory to change to after login; "" for the login directory
}

// Parse parses an ftp:// or ftps:// URL.
func Parse(raw string) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("target URL %q: %w", raw, err)
	}
	t := Target{Scheme: strings.ToLower(u.Scheme)}
	switch t.Scheme {
	case "ftp", "ftps":
	default:
		return Target{}, fmt.Errorf("target URL %q: scheme %q is not ftp or ftps", raw, u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return Target{}, fmt.Errorf("target URL %q: no host (want ftp://[user:pass@]host[:port][/dir])", raw)
	}
	t.Host = u.Hostname()
	t.Port = u.Port()
	if t.Port == "" {
		t.Port = "21"
		if t.Scheme == "ftps" {
			t.Port = "990"
		}
	} else if n, err := strconv.Atoi(t.Port); err != nil || n < 1 || n > 65535 {
		// A bad port is a typo in the URL, not an unreachable server: say so before dialing.
		return Target{}, fmt.Errorf("target URL %q: port %q is not a TCP port (1-65535)", raw, t.Port)
	}
	if t.User = u.User.Username(); t.User == "" {
		t.User, t.Password = "anonymous", "ftpspec@"
	} else if p, ok := u.User.Password(); ok {
		t.Password = p
	}
	t.Dir = strings.TrimPrefix(u.Path, "/")
	if u.RawQuery != "" || u.Fragment != "" {
		return Target{}, fmt.Errorf("target URL %q: query and fragment are not allowed", raw)
	}
	return t, nil
}

// Addr returns host:port for dialing.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, t.Port) }

// Anonymous reports whether the login is anonymous.
func (t Target) Anonymous() bool { return t.User == "anonymous" || t.User == "ftp" }

// String returns the URL with the password removed.
func (t Target) String() string {
	u := url.URL{Scheme: t.Scheme, Host: t.Addr()}
	if !t.Anonymous() {
		u.User = url.User(t.User)
	}
	if t.Dir != "" {
		u.Path = "/" + t.Dir
	}
	return u.String()
}
