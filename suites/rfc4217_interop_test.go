//go:build interop

package suites

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ftpspec/ftpspec/internal/target"
	"github.com/ftpspec/ftpspec/reports"
)

// The extension cases pyftpdlib 1.5.7 fails are read from its golden file (pyftpdlibGolden, the
// run under the same --tls mode), where each is justified: one list, audited once. What it does
// differently elsewhere in these areas is graded warn or unsupported there too.
//
// pyftpdlib has a race that shows under TLS: when its event loop accepts a passive data connection
// only after it processed the transfer command (it then answers 150 "About to open data
// connection" although the client connected first), the PROT P transfer sometimes ends early with
// 226 or never starts (its own log: "RETR ... completed=1 bytes=107926" for a 150001-byte file).

// TestInteropExtensionsPyftpdlibTLS runs the extension cases against Debian's pyftpdlib with
// TLS_FTPHandler (scripts/interop/pyftpd.py), with and without explicit TLS: a third-party server,
// to catch cases that would accuse a correct server.
//
//	go test -tags interop -run InteropExtensions -v ./suites
func TestInteropExtensionsPyftpdlibTLS(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import pyftpdlib, OpenSSL").Run(); err != nil {
		t.Skipf("pyftpdlib with PyOpenSSL not installed for %s: %v", py, err)
	}
	script, err := filepath.Abs("../scripts/interop/pyftpd.py")
	require.NoError(t, err)
	if _, err := os.Stat(script); err != nil {
		t.Skipf("no %s: %v", script, err)
	}
	dir := t.TempDir()
	cert, key := writeSelfSigned(t, dir)
	root := filepath.Join(dir, "root")
	require.NoError(t, os.Mkdir(root, 0o755))
	addr := startPeer(t, func(port string) *exec.Cmd {
		return exec.Command(py, script, "--port", port, "--root", root, "--pasv", "26200-26399",
			"--cert", cert, "--key", key, "--log-level", "WARNING")
	})
	tg, err := target.Parse("ftp://test:test@" + addr)
	require.NoError(t, err)

	for _, mode := range []string{ModeNone, ModeExplicit} {
		t.Run(mode, func(t *testing.T) {
			res, err := Run(context.Background(), extCases(), Options{Target: tg, TLS: mode, Parallel: 1, Timeout: 20 * time.Second})
			require.NoError(t, err)
			deviations := knownFailures(t, pyftpdlibGolden, mode)
			var fails, notes []string
			failed := map[string]bool{}
			for _, r := range res.Cases {
				line := r.ID + " [" + r.TLS + "] " + string(r.Outcome) + ": expected " + r.Expected + ", got " + r.Actual + " " + r.Reason
				switch r.Outcome {
				case reports.Fail:
					failed[r.ID] = true
					if _, known := deviations[r.ID]; !known {
						fails = append(fails, line)
					}
				case reports.Warn, reports.Error:
					notes = append(notes, line)
				}
			}
			t.Logf("%d results: %+v\nwarnings and errors:\n%s", len(res.Cases), res.Totals, strings.Join(notes, "\n"))
			assert.Empty(t, fails, "failures not known as pyftpdlib deviations:\n%s", strings.Join(fails, "\n"))
			var stale []string
			for id := range deviations {
				if !failed[id] && slices.ContainsFunc(res.Cases, func(r reports.CaseResult) bool { return r.ID == id }) {
					stale = append(stale, id)
				}
			}
			if len(stale) > 0 {
				t.Logf("failures recorded in %s that do not fail here (another pyftpdlib config): %v", pyftpdlibGolden, stale)
			}
			assert.Greater(t, res.Totals.Pass, 80, "most extension cases must run and pass against pyftpdlib")
		})
	}
}

// writeSelfSigned writes a self-signed ECDSA certificate for 127.0.0.1 and its key as PEM files.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	return certFile, keyFile
}
