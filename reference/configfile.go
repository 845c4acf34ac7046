package reference

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ConfigError is one bad value in a configuration file.
type ConfigError struct {
	File    string
	Line    int
	Field   string // dotted path: "limits.max_sessions", "users[1].name"
	Problem string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Problem)
}

// LoadConfig reads a YAML configuration file. Unknown keys are errors, as is every bad value;
// each is reported as a *ConfigError ("file:line: field: problem"), several joined with
// errors.Join. Relative paths in root, tls.cert_file and tls.key_file are relative to the file's
// directory; users' and hosts' roots, as in Config, are relative to root.
//
// The keys mirror Config:
//
//	listen: 127.0.0.1:2121
//	implicit_tls_listen: 127.0.0.1:2990
//	root: /srv/ftp
//	pasv_ports: 30000-30999
//	public_ip: 203.0.113.7
//	anonymous: true
//	fsync_uploads: false
//	faults: [shared-pasv-port]
//	users:
//	  - {name: test, password: test, root: "", write: true}
//	hosts:
//	  - {name: a.example, root: sites/a}
//	tls: {cert_file: cert.pem, key_file: key.pem, disable: false, require_session_reuse: true}
//	limits: {max_sessions: 8000, max_per_ip: 8000, max_login_failures: 3, login_fail_delay: 250ms, max_line_length: 4096}
//	timeouts: {idle: 5m, data: 60s, shutdown_grace: 30s}
func LoadConfig(file string) (Config, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return Config{}, fmt.Errorf("reading config: %w", err)
	}
	return parseConfig(file, b)
}

func parseConfig(file string, b []byte) (Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		line := 0
		msg := err.Error()
		// yaml.v3 reports "yaml: line N: problem".
		if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
			if n, after, ok := strings.Cut(rest, ":"); ok {
				line, _ = strconv.Atoi(n)
				msg = strings.TrimSpace(after)
			}
		}
		return Config{}, &ConfigError{File: file, Line: line, Field: "(document)", Problem: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	p := &configParser{file: file, dir: filepath.Dir(file)}
	var cfg Config
	if len(doc.Content) > 0 {
		p.root(doc.Content[0], &cfg)
	}
	if len(p.errs) > 0 {
		if len(p.errs) == 1 {
			return Config{}, p.errs[0]
		}
		errs := make([]error, len(p.errs))
		for i, e := range p.errs {
			errs[i] = e
		}
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}

type configParser struct {
	file, dir string
	errs      []*ConfigError
}

func (p *configParser) fail(n *yaml.Node, field, format string, args ...any) {
	p.errs = append(p.errs, &ConfigError{File: p.file, Line: n.Line, Field: field, Problem: fmt.Sprintf(format, args...)})
}

// fields walks a mapping, calling set for each known key and reporting unknown and repeated ones.
func (p *configParser) fields(n *yaml.Node, prefix string, known map[string]func(v *yaml.Node, field string)) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, strings.TrimSuffix(prefix, "."), "want a mapping of keys to values")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := prefix + k.Value
		set, ok := known[k.Value]
		switch {
		case !ok:
			p.fail(k, field, "unknown field")
		case seen[k.Value]:
			p.fail(k, field, "given twice")
		default:
			seen[k.Value] = true
			set(v, field)
		}
	}
}

func (p *configParser) root(n *yaml.Node, c *Config) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty file: all defaults
	}
	p.fields(n, "", map[string]func(*yaml.Node, string){
		"listen":              func(v *yaml.Node, f string) { c.Listen = p.hostPort(v, f) },
		"implicit_tls_listen": func(v *yaml.Node, f string) { c.ImplicitTLSListen = p.hostPort(v, f) },
		"root": func(v *yaml.Node, f string) {
			c.Root = p.path(v, f)
			if c.Root != "" {
				if st, err := os.Stat(c.Root); err != nil || !st.IsDir() {
					p.fail(v, f, "%q is not a directory", v.Value)
				}
			}
		},
		"pasv_ports": func(v *yaml.Node, f string) {
			r, err := ParsePortRange(p.str(v, f))
			if err != nil && v.Kind == yaml.ScalarNode {
				p.fail(v, f, "%q: want LO-HI with 1 <= LO <= HI <= 65535", v.Value)
			}
			c.PasvPorts = r
		},
		"public_ip": func(v *yaml.Node, f string) {
			s := p.str(v, f)
			if a, err := netip.ParseAddr(s); (err != nil || !a.Unmap().Is4()) && v.Kind == yaml.ScalarNode {
				p.fail(v, f, "%q: want an IPv4 address", s)
			}
			c.PublicIP = s
		},
		"anonymous":     func(v *yaml.Node, f string) { b := p.bool(v, f); c.Anonymous = &b },
		"fsync_uploads": func(v *yaml.Node, f string) { c.FsyncUploads = p.bool(v, f) },
		"faults": func(v *yaml.Node, f string) {
			for i, e := range p.seq(v, f) {
				name := p.str(e, fmt.Sprintf("%s[%d]", f, i))
				if err := checkFault(name); err != nil && e.Kind == yaml.ScalarNode {
					p.fail(e, fmt.Sprintf("%s[%d]", f, i), "%v (known: %s)", err, strings.Join(faultNames(), ", "))
				}
				c.Faults = append(c.Faults, name)
			}
		},
		"users": func(v *yaml.Node, f string) {
			c.Users = []User{}
			names := map[string]bool{}
			for i, e := range p.seq(v, f) {
				var u User
				uf := fmt.Sprintf("%s[%d].", f, i)
				p.fields(e, uf, map[string]func(*yaml.Node, string){
					"name":     func(v *yaml.Node, f string) { u.Name = p.nonEmpty(v, f) },
					"password": func(v *yaml.Node, f string) { u.Password = p.str(v, f) },
					"root":     func(v *yaml.Node, f string) { u.Root = p.str(v, f) },
					"write":    func(v *yaml.Node, f string) { u.Write = p.bool(v, f) },
				})
				if e.Kind == yaml.MappingNode {
					if u.Name == "" {
						p.fail(e, uf+"name", "required")
					} else if names[u.Name] {
						p.fail(e, uf+"name", "duplicate user %q", u.Name)
					}
				}
				names[u.Name] = true
				c.Users = append(c.Users, u)
			}
		},
		"hosts": func(v *yaml.Node, f string) {
			for i, e := range p.seq(v, f) {
				var h Host
				hf := fmt.Sprintf("%s[%d].", f, i)
				p.fields(e, hf, map[string]func(*yaml.Node, string){
					"name": func(v *yaml.Node, f string) {
						h.Name = p.nonEmpty(v, f)
						if h.Name != "" && !validHostname(strings.ToLower(h.Name)) {
							p.fail(v, f, "%q is not a valid host name", h.Name)
						}
					},
					"root": func(v *yaml.Node, f string) { h.Root = p.nonEmpty(v, f) },
				})
				if e.Kind == yaml.MappingNode && (h.Name == "" || h.Root == "") {
					p.fail(e, strings.TrimSuffix(hf, "."), "name and root are required")
				}
				c.Hosts = append(c.Hosts, h)
			}
		},
		"tls": func(v *yaml.Node, f string) {
			p.fields(v, f+".", map[string]func(*yaml.Node, string){
				"cert_file":             func(v *yaml.Node, f string) { c.TLS.CertFile = p.existingFile(v, f) },
				"key_file":              func(v *yaml.Node, f string) { c.TLS.KeyFile = p.existingFile(v, f) },
				"disable":               func(v *yaml.Node, f string) { c.TLS.Disable = p.bool(v, f) },
				"require_session_reuse": func(v *yaml.Node, f string) { b := p.bool(v, f); c.TLS.RequireSessionReuse = &b },
			})
			if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
				p.fail(v, f, "cert_file and key_file go together")
			}
		},
		"limits": func(v *yaml.Node, f string) {
			p.fields(v, f+".", map[string]func(*yaml.Node, string){
				"max_sessions":       func(v *yaml.Node, f string) { c.Limits.MaxSessions = p.int(v, f, -1) },
				"max_per_ip":         func(v *yaml.Node, f string) { c.Limits.MaxPerIP = p.int(v, f, -1) },
				"max_login_failures": func(v *yaml.Node, f string) { c.Limits.MaxLoginFailures = p.int(v, f, -1) },
				"login_fail_delay":   func(v *yaml.Node, f string) { c.Limits.LoginFailDelay = p.duration(v, f) },
				"max_line_length":    func(v *yaml.Node, f string) { c.Limits.MaxLineLength = p.int(v, f, 64) },
			})
		},
		"timeouts": func(v *yaml.Node, f string) {
			p.fields(v, f+".", map[string]func(*yaml.Node, string){
				"idle": func(v *yaml.Node, f string) { c.Timeouts.Idle = p.duration(v, f) },
				"data": func(v *yaml.Node, f string) { c.Timeouts.Data = p.duration(v, f) },
				"shutdown_grace": func(v *yaml.Node, f string) {
					// Unlike idle and data there is no "never" here: a negative grace has no meaning.
					if d := p.duration(v, f); d < 0 {
						p.fail(v, f, "%q: want a duration ≥ 0 such as 30s (0: the default, 30s)", v.Value)
					} else {
						c.Timeouts.ShutdownGrace = d
					}
				},
			})
		},
	})
}

func (p *configParser) str(v *yaml.Node, f string) string {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		p.fail(v, f, "want a single value")
		return ""
	}
	return v.Value
}

func (p *configParser) nonEmpty(v *yaml.Node, f string) string {
	s := p.str(v, f)
	if s == "" && v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		p.fail(v, f, "must not be empty")
	}
	return s
}

func (p *configParser) seq(v *yaml.Node, f string) []*yaml.Node {
	if v.Kind != yaml.SequenceNode {
		p.fail(v, f, "want a list")
		return nil
	}
	return v.Content
}

func (p *configParser) bool(v *yaml.Node, f string) bool {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
		p.fail(v, f, "%q: want true or false", v.Value)
		return false
	}
	return v.Value == "true" || v.Value == "True" || v.Value == "TRUE"
}

// int parses an integer of at least min; -1 means "no limit" where min is -1.
func (p *configParser) int(v *yaml.Node, f string, min int) int {
	n, err := strconv.Atoi(v.Value)
	if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil {
		p.fail(v, f, "%q: want an integer", v.Value)
		return 0
	}
	if n < min {
		if min == -1 {
			p.fail(v, f, "%d: want -1 (no limit), 0 (default) or a positive number", n)
		} else {
			p.fail(v, f, "%d: want at least %d", n, min)
		}
	}
	return n
}

func (p *configParser) duration(v *yaml.Node, f string) time.Duration {
	d, err := time.ParseDuration(v.Value)
	if v.Kind != yaml.ScalarNode || err != nil {
		p.fail(v, f, "%q: want a duration such as 250ms, 30s or 5m (-1s: never)", v.Value)
		return 0
	}
	return d
}

func (p *configParser) hostPort(v *yaml.Node, f string) string {
	s := p.str(v, f)
	if _, port, err := net.SplitHostPort(s); err != nil && v.Kind == yaml.ScalarNode {
		p.fail(v, f, "%q: want HOST:PORT", s)
	} else if n, err := strconv.Atoi(port); err == nil && (n < 0 || n > 65535) {
		p.fail(v, f, "%q: port out of range", s)
	}
	return s
}

// path resolves a path relative to the config file's directory.
func (p *configParser) path(v *yaml.Node, f string) string {
	s := p.str(v, f)
	if s == "" || filepath.IsAbs(s) {
		return s
	}
	return filepath.Join(p.dir, s)
}

func (p *configParser) existingFile(v *yaml.Node, f string) string {
	s := p.path(v, f)
	if s != "" {
		if _, err := os.Stat(s); err != nil {
			p.fail(v, f, "%q: %v", v.Value, errors.Unwrap(err))
		}
	}
	return s
}
