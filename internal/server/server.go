// Package server is the composition root: it opens the store, builds the API and serves it.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/activity"
	"github.com/eksaccess/eksaccess/internal/eksapi"
	"github.com/eksaccess/eksaccess/internal/explain"
	"github.com/eksaccess/eksaccess/internal/identity"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/eksaccess/eksaccess/internal/kubesource"
	"github.com/eksaccess/eksaccess/internal/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config is what `eksaccess serve` is told.
type Config struct {
	Listen   string // host:port; port 0 picks a free one
	Database string // DSN
	Auth     string // "open" or "sigv4" (auth.go)
	// Identities is the identities file (accounts, IAM users, roles, policies); required by sigv4.
	Identities string
	Logger     *slog.Logger
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout time.Duration
	// UpdateDuration is how long a cluster update (UpdateClusterConfig, identity provider
	// config association) stays InProgress before the background updater completes it. 0 makes
	// updates complete at once, asynchronously (tests); `eksaccess serve` defaults to 3s.
	UpdateDuration time.Duration

	// TLSCertFile and TLSKeyFile serve HTTPS (API, STS and webhooks); ClientCAFile makes the
	// webhook paths require a client certificate signed by that CA (kube-apiserver's).
	TLSCertFile, TLSKeyFile, ClientCAFile string
	// EndpointHosts are extra host[:port] names under which clients reach this server; tokens
	// presigned for them are verified in-process.
	EndpointHosts []string
	// STSForwardHosts enables verifying tokens of identities eksaccess does not know at STS:
	// "aws" allows AWS's STS endpoints, other entries name hosts. Empty: such tokens are refused.
	STSForwardHosts []string
	STSForwardTLS   *tls.Config // nil: system roots

	// OIDCCAFile is a PEM bundle trusted, besides the system roots, for the issuers of OIDC
	// identity provider configs (discovery and key sets).
	OIDCCAFile string
	// AWSAuthSources name where each cluster's aws-auth ConfigMap is read from:
	// ACCOUNT/REGION/CLUSTER=kubeconfig:PATH (watched) or ACCOUNT/REGION/CLUSTER=file:PATH.
	AWSAuthSources []string
	// AWSAuthPoll is how often a file source is re-read (default 2s).
	AWSAuthPoll time.Duration

	// Timeouts are the listener's deadlines; zero fields take DefaultTimeouts (guard.go).
	Timeouts Timeouts
	// AllowAnyHost is open mode on all interfaces of a container (--open-listen-any): open mode
	// may listen on any address, not only loopback, the operator accepting that every caller who
	// reaches the port may read and change all state unauthenticated; logged loudly at start-up.
	// Any Host header is then accepted unless EndpointHosts names some (then Host must be one of
	// them); browser requests stay refused (guard.go).
	AllowAnyHost bool
	// Activity recording and the console (activity.go).
	Activity ActivityConfig
}

// DefaultListen is where the server listens unless told otherwise.
const DefaultListen = "127.0.0.1:8600"

// Server is a running eksaccess.
type Server struct {
	cfg   Config
	store access.Store
	http  *http.Server
	ln    net.Listener
	log   *slog.Logger
	done  chan error
	tls   *tls.Config
	ids   *identity.Store // nil without an identities file
	index *kubeauth.Index
	// updater completes cluster updates in the background.
	updater *access.Updater
	// awsAuth holds the clusters' aws-auth mappings; stopSources ends their watches.
	awsAuth     *kubeauth.AWSAuth
	stopSources context.CancelFunc
	// kube holds the clusters' Kubernetes sources (kube.go); explainer reads them with the
	// webhooks' mapping (explorer.go).
	kube      *kubesource.Registry
	explainer *explain.Explainer
	// stopFeed stops following the database's change feed (PostgreSQL); nil without one.
	stopFeed func()
	raw      access.Store         // the store without the index's commit hook
	svc      *access.Service      // the domain service the API serves
	reg      *prometheus.Registry // the Prometheus metrics
	// rec records activity (nil when off); console is the web console's listener (nil when
	// off); both activity.go.
	rec     *activity.Recorder
	console *consoleServer

	shutdownOnce sync.Once
	shutdownErr  error
}

// Start binds the listener, opens the store and starts serving in the background.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Database == "" {
		cfg.Database = store.DefaultDSN
	}
	if cfg.Auth == "" {
		cfg.Auth = "open"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.Auth == AuthOpen && cfg.AllowAnyHost {
		cfg.Logger.Warn("UNAUTHENTICATED: --open-listen-any lets --auth open listen on " + cfg.Listen +
			": anyone who reaches this port can read and change every account's state; use it for CI service containers only, never on a shared network")
	}
	ids, err := openIdentities(cfg) // auth.go
	if err != nil {
		return nil, err
	}
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	// Bind first: a start that cannot listen (address in use) leaves no new database behind.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	raw, err := store.Open(ctx, cfg.Database)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	if ss, ok := raw.(identity.SessionStore); ok && ids != nil {
		ids.SetSessionStore(ss) // PostgreSQL: AssumeRole credentials work on every replica
	}
	s := &Server{cfg: cfg, log: cfg.Logger, done: make(chan error, 1), ids: ids, tls: tc, reg: prometheus.NewRegistry()}
	s.raw = raw
	if err := s.newRecorder(raw); err != nil {
		raw.Close()
		return nil, err
	}
	st, err := s.newIndex(ctx, raw)
	if err != nil {
		ln.Close()
		store.Abandon(raw)
		return nil, err
	}
	s.store = st
	s.ln = ln
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	handler, err := s.routes()
	if err != nil {
		ln.Close()
		if s.stopFeed != nil {
			s.stopFeed()
		}
		store.Abandon(raw)
		return nil, err
	}
	s.updater = access.NewUpdater(st, access.UpdaterLogger(cfg.Logger))
	s.updater.Start() // completes the updates that became due while no server ran
	to := cfg.Timeouts.withDefaults()
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: to.ReadHeader,
		ReadTimeout:       to.Read,
		WriteTimeout:      to.Write,
		IdleTimeout:       to.Idle,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	go func() { s.done <- s.http.Serve(ln) }()
	if s.rec != nil {
		s.rec.Start() // flushes last-used times from now on
	}
	if err := s.startConsole(); err != nil {
		s.Shutdown(context.Background())
		return nil, err
	}
	clusters, entries := s.index.Len()
	s.log.Info("eksaccess serving", "listen", s.Addr(), "tls", tc != nil, "database", store.Describe(cfg.Database), "auth", cfg.Auth, "clusters", clusters, "entries", entries)
	return s, nil
}

// checkOpenListen refuses to serve unverified requests anywhere but on a loopback address.
func checkOpenListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--listen %q: --auth open trusts every caller, so it may listen only on a loopback address (127.0.0.1, ::1, localhost); --open-listen-any accepts unauthenticated callers on any address (CI containers)", addr)
}

func (s *Server) routes() (http.Handler, error) {
	mux := http.NewServeMux()
	reg := s.reg
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	svc := access.NewService(s.store, access.WithUpdateDuration(s.cfg.UpdateDuration), access.WithUpdateNotifier(func() { s.updater.Wake() }))
	api := eksapi.New(svc, s.apiOptions(svc, eksapi.Options{Logger: s.log, Registerer: reg}))
	api.Register(mux)
	s.registerActivity(mux, api, svc)
	wh, err := s.webhooks(reg)
	if err != nil {
		return nil, err
	}
	s.registerExplorer(api, mux, wh) // explorer.go
	wh.Register(mux, s.requireClientCert)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.store.View(ctx, func(access.Tx) error { return nil }); err != nil {
			http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return s.guard(s.withSTS(mux)), nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the server's base URL.
func (s *Server) URL() string {
	if s.tls != nil {
		return "https://" + s.Addr()
	}
	return "http://" + s.Addr()
}

// Shutdown stops accepting requests, waits for those in flight, and closes the store. Calls
// after the first return the first's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.shutdown(ctx) })
	return s.shutdownErr
}

func (s *Server) shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if e := <-s.done; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	if e := s.stopActivity(ctx); err == nil {
		err = e
	}
	s.stopSources()
	if e := s.updater.Stop(ctx); err == nil {
		err = e
	}
	if s.stopFeed != nil {
		s.stopFeed()
	}
	if e := s.store.Close(); err == nil {
		err = e
	}
	return err
}

// Wait blocks until the server stops serving on its own (a listener failure).
func (s *Server) Wait() <-chan error { return s.done }

// Handler is the server's HTTP handler (every route, with its middleware), for in-process
// benchmarks that leave the network out.
func (s *Server) Handler() http.Handler { return s.http.Handler }
