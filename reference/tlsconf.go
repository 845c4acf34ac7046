package reference

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"
)

// newTLSConfig builds the server-wide TLS configuration: the given certificate or a self-signed
// one made now, TLS 1.2 or later (RFC 4217 predates 1.2, but nothing older is safe today), and
// explicit session ticket keys so every per-session clone encrypts and decrypts the same tickets.
func newTLSConfig(c TLSConfig) (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	if c.CertFile != "" {
		cert, err = tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS certificate: %w", err)
		}
	} else {
		cert, err = selfSignedCert()
		if err != nil {
			return nil, fmt.Errorf("generating a self-signed certificate: %w", err)
		}
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	}
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	cfg.SetSessionTicketKeys([][32]byte{key})
	return cfg, nil
}

// selfSignedCert makes an ECDSA P-256 certificate for the loopback names, in memory.
func selfSignedCert() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 96))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "ftpspec reference server", Organization: []string{"ftpspec"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// sessionTLS returns the control and data configurations of one FTP session. Every ticket the
// session's connections issue carries the session's token; with requireReuse, a data connection
// may only resume a ticket carrying that token, so it cannot be a stranger's connection that
// happened to guess the port (RFC 4217 §10 allows a server to insist on a cached session).
func sessionTLS(base *tls.Config, token []byte, requireReuse bool) (control, data *tls.Config) {
	wrap := func(cfg *tls.Config) func(tls.ConnectionState, *tls.SessionState) ([]byte, error) {
		return func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
			ss.Extra = [][]byte{token}
			return cfg.EncryptTicket(cs, ss)
		}
	}
	control = base.Clone()
	control.WrapSession = wrap(control)
	data = base.Clone()
	data.WrapSession = wrap(data)
	if requireReuse {
		data.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
			ss, err := data.DecryptTicket(identity, cs)
			if err != nil || ss == nil {
				return nil, err
			}
			for _, e := range ss.Extra {
				if bytes.Equal(e, token) {
					return ss, nil
				}
			}
			return nil, nil // another session's ticket: a full handshake, which is then refused
		}
	}
	return control, data
}

// recordConn hands a TLS connection exactly one TLS record at a time and never reads past the end
// of the current record. After a close_notify, whatever the client sends next in the clear (after
// REIN, RFC 4217 §13) is therefore still unread in the socket, instead of lost in crypto/tls's
// read-ahead buffer.
type recordConn struct {
	net.Conn
	hdr    [5]byte
	hdrN   int  // header bytes read from the socket
	hdrOut int  // header bytes handed to crypto/tls
	inBody bool // the header is out; remain body bytes are left
	remain int
}

func (r *recordConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !r.inBody {
		for r.hdrN < len(r.hdr) {
			n, err := r.Conn.Read(r.hdr[r.hdrN:])
			r.hdrN += n
			if err != nil && r.hdrN < len(r.hdr) {
				return 0, err
			}
		}
		n := copy(p, r.hdr[r.hdrOut:])
		r.hdrOut += n
		if r.hdrOut == len(r.hdr) {
			r.remain = int(r.hdr[3])<<8 | int(r.hdr[4])
			r.hdrN, r.hdrOut = 0, 0
			r.inBody = r.remain > 0
		}
		return n, nil
	}
	n, err := r.Conn.Read(p[:min(len(p), r.remain)])
	r.remain -= n
	if r.remain == 0 {
		r.inBody = false
	}
	return n, err
}
