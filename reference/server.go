package reference

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is a running reference FTP server.
type Server struct {
	cfg      Config
	faults   faultSet
	log      *slog.Logger
	rootDir  string
	tempDir  bool // rootDir was made by New and is removed by Close
	tlsBase  *tls.Config
	ports    *portAllocator
	users    map[string]User
	hosts    map[string]Host // lower-cased name
	commands map[string]*command

	ln    net.Listener
	tlsLn net.Listener

	draining   atomic.Bool
	drainStart atomic.Int64 // UnixNano
	synthBufs  sync.Pool    // *[]byte buffers for synthetic files

	mu       sync.Mutex
	sessions map[*session]struct{}
	perIP    map[netip.Addr]int
	roots    map[string]*os.Root        // opened lazily, shared by sessions: one fd per directory
	shared   map[netip.Addr]*sharedPort // shared-pasv-port fault, per local address
	pasvs    []*passive                 // port-reuse fault: passives that may be handed out twice
	closed   bool

	wg        sync.WaitGroup // accept loops and sessions
	closeOnce sync.Once
	closeErr  error
}

// New starts a server: it binds the listeners and serves in background goroutines until Close or
// Shutdown.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	s := &Server{
		cfg:      cfg,
		faults:   newFaultSet(cfg.Faults),
		log:      cfg.Logger,
		sessions: map[*session]struct{}{},
		perIP:    map[netip.Addr]int{},
		roots:    map[string]*os.Root{},
		shared:   map[netip.Addr]*sharedPort{},
		users:    map[string]User{},
		hosts:    map[string]Host{},
		commands: commandTable(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.ports = newPortAllocator(cfg.PasvPorts, s.faults)
	if err := s.setupRoots(); err != nil {
		s.removeTemp()
		return nil, err
	}
	if !cfg.TLS.Disable {
		if s.tlsBase, err = newTLSConfig(cfg.TLS); err != nil {
			s.removeTemp()
			return nil, fmt.Errorf("reference: %w", err)
		}
	}
	if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("reference: listen %s: %w", cfg.Listen, err)
	}
	if cfg.ImplicitTLSListen != "" {
		if s.tlsBase == nil {
			s.ln.Close()
			s.removeTemp()
			return nil, errors.New("reference: implicit TLS listener needs TLS (TLS.Disable is set)")
		}
		if s.tlsLn, err = net.Listen("tcp", cfg.ImplicitTLSListen); err != nil {
			s.ln.Close()
			s.removeTemp()
			return nil, fmt.Errorf("reference: listen %s: %w", cfg.ImplicitTLSListen, err)
		}
	}
	s.wg.Add(1)
	go s.serve(s.ln, false)
	if s.tlsLn != nil {
		s.wg.Add(1)
		go s.serve(s.tlsLn, true)
	}
	s.log.Info("serving", "addr", s.Addr(), "root", s.rootDir, "pasv", cfg.PasvPorts.String(), "faults", cfg.Faults)
	return s, nil
}

// Start starts a server for a test or benchmark and closes it when the test ends.
func Start(tb testing.TB, cfg ...Config) *Server {
	tb.Helper()
	var c Config
	if len(cfg) > 0 {
		c = cfg[0]
	}
	s, err := New(c)
	if err != nil {
		tb.Fatalf("starting reference server: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func (s *Server) setupRoots() error {
	if s.cfg.Root == "" {
		dir, err := os.MkdirTemp("", "ftpspec-root-")
		if err != nil {
			return fmt.Errorf("reference: temp root: %w", err)
		}
		s.rootDir, s.tempDir = dir, true
	} else {
		abs, err := filepath.Abs(s.cfg.Root)
		if err != nil {
			return fmt.Errorf("reference: root %q: %w", s.cfg.Root, err)
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return fmt.Errorf("reference: root %q: not a directory", s.cfg.Root)
		}
		s.rootDir = abs
	}
	bases := []string{s.rootDir}
	for _, h := range s.cfg.Hosts {
		r := h.Root
		if !filepath.IsAbs(r) {
			r = filepath.Join(s.rootDir, r)
		}
		h.Root = r
		s.hosts[strings.ToLower(h.Name)] = h
		bases = append(bases, r)
	}
	for _, base := range bases {
		if err := os.MkdirAll(base, 0o755); err != nil {
			return fmt.Errorf("reference: host root: %w", err)
		}
		for _, u := range s.cfg.Users {
			if err := os.MkdirAll(userRoot(base, u), 0o755); err != nil {
				return fmt.Errorf("reference: root of user %q: %w", u.Name, err)
			}
		}
	}
	for _, u := range s.cfg.Users {
		s.users[u.Name] = u
	}
	return nil
}

func userRoot(base string, u User) string {
	if filepath.IsAbs(u.Root) {
		return u.Root
	}
	return filepath.Join(base, u.Root)
}

// openRoot returns the shared os.Root of dir.
func (s *Server) openRoot(dir string) (*os.Root, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.roots[dir]; ok {
		return r, nil
	}
	if s.closed {
		return nil, net.ErrClosed
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	s.roots[dir] = r
	return r, nil
}

func (s *Server) removeTemp() {
	if s.tempDir {
		os.RemoveAll(s.rootDir)
	}
}

// Addr is the control listener's address, "127.0.0.1:PORT".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// ImplicitTLSAddr is the implicit TLS listener's address, or "" when there is none.
func (s *Server) ImplicitTLSAddr() string {
	if s.tlsLn == nil {
		return ""
	}
	return s.tlsLn.Addr().String()
}

// URL is "ftp://test:test@ADDR" when the default test user exists, else "ftp://ADDR".
func (s *Server) URL() string {
	if u, ok := s.users["test"]; ok && u.Password == "test" {
		return "ftp://test:test@" + s.Addr()
	}
	return "ftp://" + s.Addr()
}

// Root is the directory served.
func (s *Server) Root() string { return s.rootDir }

// Config returns the configuration in effect, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// serve accepts control connections until ln is closed.
func (s *Server) serve(ln net.Listener, implicitTLS bool) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off as net/http does, then retry.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept", "err", err, "retry", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		s.startSession(c.(*net.TCPConn), implicitTLS)
	}
}

// startSession admits a connection within the session limits, or tells it why not (421).
func (s *Server) startSession(c *net.TCPConn, implicitTLS bool) {
	ip := addrOf(c.RemoteAddr())
	s.mu.Lock()
	var refuse string
	switch {
	case s.closed || s.draining.Load():
		refuse = "421 Service not available, server shutting down.\r\n"
	case s.cfg.Limits.MaxSessions > 0 && len(s.sessions) >= s.cfg.Limits.MaxSessions:
		refuse = "421 Too many users, try again later.\r\n"
	case s.cfg.Limits.MaxPerIP > 0 && s.perIP[ip] >= s.cfg.Limits.MaxPerIP:
		refuse = "421 Too many connections from your address.\r\n"
	}
	if refuse != "" {
		s.mu.Unlock()
		if !implicitTLS { // a TLS client would read the reply as a broken handshake
			c.SetWriteDeadline(time.Now().Add(time.Second))
			io.WriteString(c, refuse)
		}
		c.Close()
		return
	}
	sess := newSession(s, c, ip, implicitTLS)
	s.sessions[sess] = struct{}{}
	s.perIP[ip]++
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		sess.serve()
		s.mu.Lock()
		delete(s.sessions, sess)
		if s.perIP[ip]--; s.perIP[ip] <= 0 {
			delete(s.perIP, ip)
		}
		s.mu.Unlock()
	}()
}

// Sessions is the number of open control connections.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// PassivePortsInUse is the number of passive ports reserved (pending listeners and open data
// connections).
func (s *Server) PassivePortsInUse() int { return s.ports.inUse() }

// sharedPort returns the shared-pasv-port listener for local, making it on first use.
func (s *Server) sharedPort(local netip.Addr) (*sharedPort, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sp, ok := s.shared[local]; ok {
		return sp, nil
	}
	if s.closed {
		return nil, net.ErrClosed
	}
	ln, port, err := s.ports.listen(local)
	if err != nil {
		return nil, err
	}
	sp := newSharedPort(ln, port)
	s.shared[local] = sp
	return sp, nil
}

// reusablePassive is the port-reuse fault: a passive listener of another session from the same
// client that is still waiting for its connection.
func (s *Server) reusablePassive(client netip.Addr, mine *session) dataSource {
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.pasvs[:0]
	var found dataSource
	for _, p := range s.pasvs {
		if !p.pending() {
			continue
		}
		live = append(live, p)
		if found == nil && p.client == client && p.owner != mine {
			if h, ok := p.share(); ok {
				found = h
			}
		}
	}
	clear(s.pasvs[len(live):])
	s.pasvs = live
	return found
}

func (s *Server) notePassive(p *passive) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pasvs = append(s.pasvs, p)
}

// Shutdown stops accepting connections, closes idle sessions, lets running transfers finish
// (each session is closed after its transfer and a last chance to send QUIT), and returns when
// every session has ended or ctx is done — then it closes whatever is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.drainStart.Store(time.Now().UnixNano())
	s.draining.Store(true)
	s.closeListeners()
	s.mu.Lock()
	for sess := range s.sessions {
		sess.interrupt()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return s.Close()
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

func (s *Server) closeListeners() {
	s.ln.Close()
	if s.tlsLn != nil {
		s.tlsLn.Close()
	}
}

// Close closes the listeners and every session at once, and removes a temporary root.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.draining.Store(true)
		s.closeListeners()
		s.mu.Lock()
		s.closed = true
		for sess := range s.sessions {
			sess.kill()
		}
		for _, sp := range s.shared {
			sp.close()
		}
		s.mu.Unlock()
		s.wg.Wait()
		s.mu.Lock()
		for _, r := range s.roots {
			r.Close()
		}
		s.mu.Unlock()
		s.removeTemp()
	})
	return s.closeErr
}
