package reference

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "srv.yaml")
	require.NoError(t, os.WriteFile(f, []byte(text), 0o644))
	return f
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "srv.yaml")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "data"), 0o755))
	require.NoError(t, os.WriteFile(f, []byte(`
listen: 127.0.0.1:2121
implicit_tls_listen: "127.0.0.1:2990"
root: data
pasv_ports: 20000-20099
public_ip: 203.0.113.7
anonymous: false
fsync_uploads: true
faults: [truncate, no-ip-check]
users:
  - name: alice
    password: secret
    root: alice
    write: true
  - {name: bob, password: pw}
hosts:
  - {name: a.example, root: sites/a}
tls:
  require_session_reuse: false
limits:
  max_sessions: 10
  max_per_ip: -1
  max_login_failures: 5
  login_fail_delay: 1s
  max_line_length: 1024
timeouts:
  idle: 2m
  data: 10s
  shutdown_grace: 5s
`), 0o644))
	cfg, err := LoadConfig(f)
	require.NoError(t, err)
	f0, t0 := false, false
	assert.Equal(t, Config{
		Listen:            "127.0.0.1:2121",
		ImplicitTLSListen: "127.0.0.1:2990",
		Root:              filepath.Join(dir, "data"),
		PasvPorts:         PortRange{20000, 20099},
		PublicIP:          "203.0.113.7",
		Anonymous:         &f0,
		FsyncUploads:      true,
		Faults:            []string{"truncate", "no-ip-check"},
		Users:             []User{{Name: "alice", Password: "secret", Root: "alice", Write: true}, {Name: "bob", Password: "pw"}},
		Hosts:             []Host{{Name: "a.example", Root: "sites/a"}},
		TLS:               TLSConfig{RequireSessionReuse: &t0},
		Limits:            Limits{MaxSessions: 10, MaxPerIP: -1, MaxLoginFailures: 5, LoginFailDelay: time.Second, MaxLineLength: 1024},
		Timeouts:          Timeouts{Idle: 2 * time.Minute, Data: 10 * time.Second, ShutdownGrace: 5 * time.Second},
	}, cfg)
	cfg.Listen = "127.0.0.1:0"
	cfg.ImplicitTLSListen = ""
	srv, err := New(cfg)
	require.NoError(t, err, "a loaded config starts a server")
	srv.Close()

	empty, err := LoadConfig(writeConfig(t, "# nothing\n"))
	require.NoError(t, err)
	assert.Equal(t, Config{}, empty)
}

func TestLoadConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string // each a "line: field: problem" fragment
	}{
		{"unknown key", "listen: 127.0.0.1:0\nno_such_option: 1\n", []string{":2: no_such_option: unknown field"}},
		{"unknown nested key", "limits:\n  max_sessions: 3\n  max_sesions: 4\n", []string{":3: limits.max_sesions: unknown field"}},
		{"bad range", "pasv_ports: 5000-100\n", []string{":1: pasv_ports: \"5000-100\""}},
		{"bad listen", "listen: localhost\n", []string{":1: listen: \"localhost\": want HOST:PORT"}},
		{"bad ip", "public_ip: example.com\n", []string{":1: public_ip"}},
		{"bad bool", "anonymous: maybe\n", []string{":1: anonymous: \"maybe\": want true or false"}},
		{"bad int", "limits:\n  max_sessions: lots\n", []string{":2: limits.max_sessions: \"lots\": want an integer"}},
		{"negative int", "limits:\n  max_per_ip: -5\n", []string{":2: limits.max_per_ip: -5"}},
		{"bad duration", "timeouts:\n  idle: 5\n", []string{":2: timeouts.idle: \"5\": want a duration"}},
		{"unknown fault", "faults:\n  - truncate\n  - nonsense\n", []string{":3: faults[1]: unknown fault \"nonsense\""}},
		{"user without name", "users:\n  - password: x\n", []string{":2: users[0].name: required"}},
		{"duplicate user", "users:\n  - {name: a}\n  - {name: a}\n", []string{":3: users[1].name: duplicate user"}},
		{"user unknown key", "users:\n  - {name: a, admin: true}\n", []string{":2: users[0].admin: unknown field"}},
		{"host without root", "hosts:\n  - name: a.example\n", []string{":2: hosts[0]: name and root are required"}},
		{"missing cert", "tls:\n  cert_file: /nonexistent.pem\n  key_file: /nonexistent.key\n", []string{":2: tls.cert_file", ":3: tls.key_file"}},
		{"cert without key", "tls:\n  disable: false\n  cert_file: srv.yaml\n", []string{"tls: cert_file and key_file go together"}},
		{"missing root", "root: /nonexistent/dir\n", []string{":1: root: \"/nonexistent/dir\" is not a directory"}},
		{"not a mapping", "- a\n- b\n", []string{":1: : want a mapping"}},
		{"list where scalar", "listen: [a, b]\n", []string{":1: listen: want a single value"}},
		{"given twice", "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n", []string{":2: listen: given twice"}},
		{"invalid yaml", "listen: [\n", []string{"(document): invalid YAML"}},
		{"several errors", "listen: x\nanonymous: 3\n", []string{":1: listen", ":2: anonymous"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := writeConfig(t, tc.text)
			_, err := LoadConfig(f)
			require.Error(t, err)
			var ce *ConfigError
			require.True(t, errors.As(err, &ce), "a *ConfigError: %v", err)
			assert.Equal(t, f, ce.File)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				assert.True(t, strings.HasPrefix(line, f+":"), "every line names the file: %q", line)
			}
		})
	}
	_, err := LoadConfig("/nonexistent/ftpspec.yaml")
	assert.Error(t, err)
}
