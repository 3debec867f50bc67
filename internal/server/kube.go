package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/identity"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/eksaccess/eksaccess/internal/kubesource"
	"github.com/eksaccess/eksaccess/internal/store/postgres"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/klog/v2"
)

// tlsConfig builds the listener's TLS configuration: a serving certificate, and with a client
// CA, client certificates are verified when presented (the webhook paths then require one).
func tlsConfig(cfg Config) (*tls.Config, error) {
	if cfg.TLSCertFile == "" && cfg.TLSKeyFile == "" {
		if cfg.ClientCAFile != "" {
			return nil, fmt.Errorf("--client-ca-file needs --tls-cert-file and --tls-key-file")
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert-file/--tls-key-file: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.ClientCAFile != "" {
		pem, err := os.ReadFile(cfg.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("--client-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--client-ca-file %s: no PEM certificates", cfg.ClientCAFile)
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

// requireClientCert guards the webhook paths when a client CA is configured.
func (s *Server) requireClientCert(h http.Handler) http.Handler {
	if s.cfg.ClientCAFile == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			http.Error(w, "a client certificate signed by --client-ca-file is required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// newIndex wraps the store so that every committed write refreshes the webhooks' index. On
// PostgreSQL the database's change feed also refreshes it with the writes of other replicas.
func (s *Server) newIndex(ctx context.Context, st access.Store) (access.Store, error) {
	s.index = kubeauth.NewIndex(st)
	if s.rec != nil {
		s.index.SetRecorder(s.rec)
	}
	var feed *postgres.Feed
	if pg, ok := st.(*postgres.Store); ok {
		var err error
		if feed, err = pg.NewFeed(ctx); err != nil { // before Load: nothing in between is missed
			return nil, err
		}
	}
	if err := s.index.Load(ctx); err != nil {
		return nil, err
	}
	if feed != nil {
		s.startFeed(feed)
	}
	n := &access.Notifying{Store: st, OnCommitChanges: func(ch access.Changes) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.index.RefreshChanges(ctx, ch); err != nil {
			s.log.Error("webhook index not refreshed; it catches up on the next write", "error", err)
		}
	}}
	// SQLite: every write of entries passes through here, so reads may come from memory; the
	// file's data version tells when `eksaccess cluster attach` wrote a cluster directly.
	if p, ok := st.(interface{ ChangeProbe() access.ChangeProbe }); ok && feed == nil {
		n.Reads = access.NewReadView(p.ChangeProbe())
	}
	return n, nil
}

// startFeed follows the change feed until stopFeed.
func (s *Server) startFeed(feed *postgres.Feed) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.stopFeed = func() { cancel(); <-done }
	go func() {
		defer close(done)
		feed.Run(ctx, postgres.FeedHandler{
			Refresh: func(ctx context.Context, ids []string) error {
				ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				return s.index.Refresh(ctx, ids)
			},
			Reload: s.index.Load,
			Log: func(msg string, err error) {
				if ctx.Err() == nil {
					s.log.Warn(msg, "error", err)
				}
			},
		})
	}()
}

// webhooks builds the token-review and authorization webhooks, with the OIDC verifier and the
// aws-auth sources (started here; Shutdown stops them).
func (s *Server) webhooks(reg prometheus.Registerer) (*kubeauth.Webhooks, error) {
	tv := &kubeauth.TokenVerifier{LocalHost: s.ownHost}
	if s.ids != nil {
		tv.Local = &identity.Verifier{Secrets: s.ids, TokenMode: true, Now: s.ids.Now}
		tv.Standing = s.ids.Standing // cached tokens follow identity reloads at once
	}
	if len(s.cfg.STSForwardHosts) > 0 {
		extra := map[string]bool{}
		aws := false
		for _, h := range s.cfg.STSForwardHosts {
			if h == "aws" {
				aws = true
			} else {
				extra[strings.ToLower(h)] = true
			}
		}
		tv.Forward = kubeauth.NewForwardClient(s.cfg.STSForwardTLS)
		tv.ForwardHost = func(h string) bool { return extra[strings.ToLower(h)] || (aws && kubeauth.AWSSTSHost(h)) }
	}
	w := kubeauth.NewWebhooks(s.index, tv, s.log, reg)
	var caPEM []byte
	if s.cfg.OIDCCAFile != "" {
		b, err := os.ReadFile(s.cfg.OIDCCAFile)
		if err != nil {
			return nil, fmt.Errorf("--oidc-ca-file: %w", err)
		}
		caPEM = b
	}
	client, err := kubeauth.NewOIDCClient(caPEM)
	if err != nil {
		return nil, fmt.Errorf("--oidc-ca-file %s: %w", s.cfg.OIDCCAFile, err)
	}
	w.OIDC = &kubeauth.OIDC{Client: client}
	w.AWSAuth = kubeauth.NewAWSAuth(reg)
	s.awsAuth = w.AWSAuth
	ctx, cancel := context.WithCancel(context.Background())
	s.stopSources = cancel
	poll := s.cfg.AWSAuthPoll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	s.kube = kubesource.NewRegistry()
	for _, spec := range s.cfg.AWSAuthSources {
		if strings.Contains(spec, "=kubeconfig:") {
			klog.SetSlogLogger(s.log.With("component", "client-go")) // client-go's reflector logs
		}
		if _, err := s.kube.Start(ctx, spec, w.AWSAuth, s.log, poll); err != nil {
			cancel()
			return nil, err
		}
	}
	return w, nil
}

// KubeSources is the clusters' Kubernetes sources (aws-auth, RBAC, API discovery).
func (s *Server) KubeSources() *kubesource.Registry { return s.kube }

// AWSAuth is the clusters' aws-auth mappings.
func (s *Server) AWSAuth() *kubeauth.AWSAuth { return s.awsAuth }

// ownHost reports whether a token URL's host is this server: its listen address, the loopback
// names of its port, or a configured --endpoint-host.
func (s *Server) ownHost(host string) bool {
	host = strings.ToLower(host)
	for _, h := range s.cfg.EndpointHosts {
		if strings.ToLower(h) == host {
			return true
		}
	}
	_, port, _ := net.SplitHostPort(s.Addr())
	h, p, err := net.SplitHostPort(host)
	if err != nil || p != port {
		return false
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	lh, _, _ := net.SplitHostPort(s.Addr())
	return ip != nil && (ip.IsLoopback() || ip.String() == net.ParseIP(lh).String())
}

// Index is the webhooks' in-memory index.
func (s *Server) Index() *kubeauth.Index { return s.index }
