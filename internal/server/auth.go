package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/eksapi"
	"github.com/eksaccess/eksaccess/internal/identity"
)

// Authentication modes of Config.Auth.
const (
	AuthOpen  = "open"  // trust the credential scope; loopback only
	AuthSigV4 = "sigv4" // verify signatures against the identities file; authorize with IAM policies
)

// openIdentities checks the auth configuration and loads the identities file, if any.
func openIdentities(cfg Config) (*identity.Store, error) {
	switch cfg.Auth {
	case AuthOpen:
		if !cfg.AllowAnyHost {
			if err := checkOpenListen(cfg.Listen); err != nil {
				return nil, err
			}
		}
		if cfg.Identities == "" {
			return nil, nil
		}
	case AuthSigV4:
		if cfg.Identities == "" {
			return nil, fmt.Errorf("--auth sigv4 needs --identities FILE (env EKSACCESS_IDENTITIES)")
		}
	default:
		return nil, fmt.Errorf("--auth %q: unsupported (supported: open, sigv4)", cfg.Auth)
	}
	ids, err := identity.OpenStore(cfg.Identities)
	if err != nil {
		return nil, fmt.Errorf("--identities: %w", err)
	}
	return ids, nil
}

// apiOptions completes the EKS API options with the authentication mode: in sigv4 mode every
// request is verified and authorized, and access entries must name existing principals.
func (s *Server) apiOptions(svc *access.Service, o eksapi.Options) eksapi.Options {
	if s.ids == nil {
		return o
	}
	if s.cfg.Auth == AuthOpen {
		o.Authenticator = identity.Open{Store: s.ids}
		return o
	}
	a := identity.NewSigV4(s.ids)
	o.Authenticator, o.Authorizer = a, a
	svc.SetPrincipalResolver(func(_ context.Context, p access.Principal, arn string) (string, error) {
		return s.ids.ResolvePrincipal(p, arn)
	})
	return o
}

// withSTS serves the STS query API on the same listener when identities are loaded: STS calls
// are POST / with a form body or GET /?Action=…, which no EKS operation uses.
func (s *Server) withSTS(next http.Handler) http.Handler {
	if s.ids == nil {
		return next
	}
	sts := identity.NewSTS(identity.NewSigV4(s.ids), s.log)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if identity.IsSTSRequest(r) {
			sts.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ReloadIdentities re-reads the identities file (on SIGHUP). Requests in flight finish with the
// identities they started with; on error the loaded identities stay in force.
func (s *Server) ReloadIdentities() error {
	if s.ids == nil {
		return fmt.Errorf("no identities file is loaded")
	}
	return s.ids.Reload()
}

// Identities is the live identity store, nil when no identities file is loaded.
func (s *Server) Identities() *identity.Store { return s.ids }
