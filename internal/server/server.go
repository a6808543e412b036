// Package server is riskgraph's HTTP front: health and readiness probes,
// the JSON stats endpoint, and a mux on which the GraphQL API and the UI
// mount their handlers. It owns the listener and graceful shutdown; it
// knows nothing of GraphQL or the UI.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/riskgraph/riskgraph/graph"
	"github.com/riskgraph/riskgraph/internal/auth"
)

// Options tune the server.
type Options struct {
	// MaxBodyBytes caps request bodies on the server's own endpoints and on
	// mounted ones (0: 64 MiB). Mounted handlers may impose a lower cap.
	MaxBodyBytes int64
	// ShutdownTimeout bounds how long in-flight requests may take to drain.
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	// Auth, when set, guards every endpoint but the probes.
	Auth *auth.Authenticator
}

// Server serves one store.
type Server struct {
	store graph.Store
	opt   Options
	log   *slog.Logger
	mux   *http.ServeMux
	ready atomic.Bool
	// public holds the mux patterns served without a token (the UI's
	// static assets); everything else goes through Auth.
	public map[string]bool
}

// New returns a server for store. Mount further handlers before Serve.
func New(store graph.Store, opt Options) *Server {
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 64 << 20
	}
	if opt.ShutdownTimeout <= 0 {
		opt.ShutdownTimeout = 15 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: store, opt: opt, log: opt.Logger, mux: http.NewServeMux(), public: map[string]bool{}}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.HandleFunc("GET /api/v1/stats", s.stats)
	return s
}

// Handle mounts h at pattern (net/http ServeMux syntax).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// HandlePublic mounts h at pattern and serves it without a token even when
// the server requires one. It is for content that holds no data (the UI's
// static assets); a request is public when the mux routes it to pattern, so
// a more specific pattern (/graphql) keeps its guard under a public "/".
func (s *Server) HandlePublic(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
	s.public[pattern] = true
}

// Handler is the server's root handler (for tests and embedding).
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.mux
	if s.opt.Auth != nil {
		a := *s.opt.Auth
		a.Public = map[string]bool{"/healthz": true, "/readyz": true}
		guarded := a.Middleware(s.mux)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, pattern := s.mux.Handler(r); s.public[pattern] {
				s.mux.ServeHTTP(w, r)
				return
			}
			guarded.ServeHTTP(w, r)
		})
	}
	return http.MaxBytesHandler(h, s.opt.MaxBodyBytes)
}

// SetReady marks the server ready (or not) for /readyz.
func (s *Server) SetReady(v bool) { s.ready.Store(v) }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	v, err := s.store.Read(r.Context())
	if err != nil {
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	v.Close()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	v, err := s.store.Read(r.Context())
	if err != nil {
		s.log.Error("stats: read", "err", err)
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	defer v.Close()
	st, err := v.Stats(r.Context())
	if err != nil {
		s.log.Error("stats", "err", err)
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(st)
}

// Serve listens on addr and serves until ctx is done, then drains
// in-flight requests (up to ShutdownTimeout). listening is called with the
// bound address once the listener is open (useful with port 0).
func (s *Server) Serve(ctx context.Context, addr string, listening func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // large ingest batches
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if listening != nil {
		listening(ln.Addr())
	}
	s.log.Info("listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.SetReady(false)
	s.log.Info("shutting down", "timeout", s.opt.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.opt.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
