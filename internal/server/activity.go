package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/activity"
	"github.com/eksaccess/eksaccess/internal/console"
	"github.com/eksaccess/eksaccess/internal/eksapi"
)

// ActivityConfig configures activity recording (internal/activity) and the web console.
type ActivityConfig struct {
	// Off disables recording: no last-used times, no decision log.
	Off bool
	// FlushInterval is how often last-used times are written (default 10s).
	FlushInterval time.Duration
	// DecisionLog appends every decision as a JSON line to this file.
	DecisionLog string
	// RingSize bounds the in-memory decision log (default 10,000).
	RingSize int
	// ConsoleListen serves the web console on its own listener; empty: no console. Off
	// loopback it needs TLS with client certificates (--tls-cert-file, --client-ca-file).
	ConsoleListen string
}

// newRecorder makes the activity recorder over the raw store (before the index: the index
// asks it for last-used cells while loading).
func (s *Server) newRecorder(raw access.Store) error {
	a := s.cfg.Activity
	if a.Off {
		if a.DecisionLog != "" {
			return errors.New("--decision-log needs activity recording (--record-activity)")
		}
		return nil
	}
	rec, err := activity.New(activity.Config{Store: raw, FlushInterval: a.FlushInterval, RingSize: a.RingSize,
		DecisionLog: a.DecisionLog, Logger: s.log, Registerer: s.reg})
	if err != nil {
		return err
	}
	s.rec = rec
	return nil
}

// registerActivity adds the activity API (eksapi.OwnPrefix) to the main listener.
func (s *Server) registerActivity(mux *http.ServeMux, api *eksapi.API, svc *access.Service) {
	s.svc = svc
	if s.rec == nil {
		return
	}
	(&activity.API{Rec: s.rec, Svc: svc}).Register(mux, api)
}

// consoleServer is the console's listener.
type consoleServer struct {
	http *http.Server
	ln   net.Listener
	done chan error
}

// startConsole serves the web console on Activity.ConsoleListen. Off loopback, the listener
// requires a client certificate signed by --client-ca-file, as the webhooks do.
func (s *Server) startConsole() error {
	addr := s.cfg.Activity.ConsoleListen
	if addr == "" {
		return nil
	}
	loopback := checkOpenListen(addr) == nil
	var tc *tls.Config
	if !loopback {
		if s.tls == nil || s.cfg.ClientCAFile == "" {
			return fmt.Errorf("--console-listen %q: off loopback the console needs TLS with client certificates (--tls-cert-file, --tls-key-file, --client-ca-file)", addr)
		}
		tc = s.tls.Clone()
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	} else if s.tls != nil {
		tc = s.tls.Clone()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--console-listen: %w", err)
	}
	c := &consoleServer{ln: ln, done: make(chan error, 1)}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	cc := console.Config{Service: s.svc, Store: s.raw, Recorder: s.rec, Explainer: s.explainer, Logger: s.log}
	if loopback {
		// A page on this machine must not read the console through a rebound DNS name
		// (docs/security.md); off loopback the client certificate keeps browsers out.
		listen := ln.Addr().String()
		cc.HostAllowed = func(host string) bool { return loopbackHost(host, listen) }
	}
	to := s.cfg.Timeouts.withDefaults()
	c.http = &http.Server{Handler: console.New(cc), ReadHeaderTimeout: to.ReadHeader, ReadTimeout: to.Read, WriteTimeout: to.Write, IdleTimeout: to.Idle}
	go func() { c.done <- c.http.Serve(ln) }()
	s.console = c
	s.log.Info("console serving", "listen", ln.Addr().String(), "tls", tc != nil)
	return nil
}

// ConsoleURL is the console's base URL ("" without a console).
func (s *Server) ConsoleURL() string {
	if s.console == nil {
		return ""
	}
	scheme := "http://"
	if s.tls != nil {
		scheme = "https://"
	}
	return scheme + s.console.ln.Addr().String()
}

// Recorder is the activity recorder (nil when recording is off).
func (s *Server) Recorder() *activity.Recorder { return s.rec }

// stopActivity stops the console and writes the last activity.
func (s *Server) stopActivity(ctx context.Context) error {
	var err error
	if s.console != nil {
		err = s.console.http.Shutdown(ctx)
		<-s.console.done
	}
	if s.rec != nil {
		if e := s.rec.Stop(ctx); err == nil {
			err = e
		}
	}
	return err
}
