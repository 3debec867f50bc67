package kubeauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/eksaccess/eksaccess/internal/access"
	authnv1 "k8s.io/api/authentication/v1"
)

// OIDC verifies JWTs of the identity provider configs associated with a cluster, with
// kube-apiserver's --oidc-* semantics: discovery at issuerUrl/.well-known/openid-configuration,
// signature against the issuer's JWKS (refetched when a token names an unknown key, so key
// rotation needs nothing), iss equal to issuerUrl, aud containing clientId, exp, nbf and iat,
// the required claims, and the username and groups claims with their prefixes.
//
// Only ACTIVE configs accept tokens; the index holds nothing else, so a config that is being
// associated or disassociated, or is gone, refuses its issuer's tokens.
type OIDC struct {
	// Client fetches discovery documents and key sets; nil uses the system roots.
	Client *http.Client
	Now    func() time.Time
	// RetryAfter bounds how often a failed discovery of one issuer is retried (default 10s).
	RetryAfter time.Duration

	mu        sync.Mutex
	providers map[string]*oidcProvider // issuer URL → discovered provider
}

type oidcProvider struct {
	once     chan struct{} // closed when discovery ended
	provider *oidc.Provider
	err      error
	failedAt time.Time
}

// NewOIDCClient is an HTTP client for issuers: system roots plus the PEM bundle in caPEM.
func NewOIDCClient(caPEM []byte) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if len(caPEM) > 0 && !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("no PEM certificates in the OIDC CA bundle")
	}
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, Proxy: http.ProxyFromEnvironment},
	}, nil
}

func (o *OIDC) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// LooksLikeJWT reports whether a bearer token has the compact JWS shape.
func LooksLikeJWT(token string) bool {
	return strings.Count(token, ".") == 2 && !strings.HasPrefix(token, TokenPrefix)
}

// unverifiedIssuer reads the iss claim of a JWT without verifying it, to pick the config.
func unverifiedIssuer(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", fmt.Errorf("JWT payload is not base64url: %v", err)
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", errors.New("JWT payload is not a JSON object")
	}
	if c.Issuer == "" {
		return "", errors.New("JWT has no iss claim")
	}
	return c.Issuer, nil
}

// provider discovers an issuer once and shares the result; a failure is retried after
// RetryAfter, not on every token.
func (o *OIDC) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	o.mu.Lock()
	if o.providers == nil {
		o.providers = map[string]*oidcProvider{}
	}
	p := o.providers[issuer]
	retry := o.RetryAfter
	if retry == 0 {
		retry = 10 * time.Second
	}
	if p != nil {
		select {
		case <-p.once:
			if p.err != nil && o.now().Sub(p.failedAt) >= retry {
				p = nil // try again
			}
		default:
		}
	}
	if p == nil {
		p = &oidcProvider{once: make(chan struct{})}
		o.providers[issuer] = p
		o.mu.Unlock()
		dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if o.Client != nil {
			dctx = oidc.ClientContext(dctx, o.Client)
		}
		p.provider, p.err = oidc.NewProvider(dctx, issuer)
		cancel()
		if p.err != nil {
			p.failedAt = o.now()
		}
		close(p.once)
	} else {
		o.mu.Unlock()
	}
	select {
	case <-p.once:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return p.provider, p.err
}

// findConfig picks the ACTIVE config whose issuer URL is the token's iss.
func findConfig(configs []access.IdentityProviderConfig, issuer string) *access.IdentityProviderConfig {
	for i := range configs {
		if configs[i].OIDC.IssuerURL == issuer {
			return &configs[i]
		}
	}
	return nil
}

// Authenticate verifies an OIDC token against a cluster's ACTIVE configs and returns the user.
func (o *OIDC) Authenticate(ctx context.Context, configs []access.IdentityProviderConfig, token string) (*authnv1.UserInfo, error) {
	issuer, err := unverifiedIssuer(token)
	if err != nil {
		return nil, refuse("malformed", "%v", err)
	}
	cfg := findConfig(configs, issuer)
	if cfg == nil {
		return nil, refuse("unknown_issuer", "no active identity provider config of this cluster has the token's issuer")
	}
	p, err := o.provider(ctx, cfg.OIDC.IssuerURL)
	if err != nil {
		return nil, refuse("oidc_discovery", "identity provider config %s: discovery of %s failed: %v", cfg.Name, cfg.OIDC.IssuerURL, err)
	}
	v := p.Verifier(&oidc.Config{ClientID: cfg.OIDC.ClientID, Now: o.now})
	idt, err := v.Verify(ctx, token)
	if err != nil {
		var exp *oidc.TokenExpiredError
		if errors.As(err, &exp) {
			return nil, refuse("expired", "identity provider config %s: token expired at %s", cfg.Name, exp.Expiry.UTC().Format(time.RFC3339))
		}
		return nil, refuse("oidc_invalid", "identity provider config %s: %s", cfg.Name, oidcFailure(err))
	}
	if !idt.IssuedAt.IsZero() && idt.IssuedAt.After(o.now().Add(5*time.Minute)) {
		return nil, refuse("oidc_invalid", "identity provider config %s: token issued in the future (iat %s)", cfg.Name, idt.IssuedAt.UTC().Format(time.RFC3339))
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, refuse("oidc_invalid", "identity provider config %s: claims: %v", cfg.Name, err)
	}
	user, err := oidcUser(&cfg.OIDC, claims)
	if err != nil {
		return nil, refuse("oidc_claims", "identity provider config %s: %v", cfg.Name, err)
	}
	return user, nil
}

// oidcFailure says why go-oidc refused a token without its words: they quote claims of the
// token (audiences, issuer) checked before its signature is.
func oidcFailure(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "audience"):
		return "the token's audience is not the config's client id"
	case strings.Contains(msg, "issued by a different provider"):
		return "the token's issuer is not the config's issuer URL"
	case strings.Contains(msg, "signature"):
		return "the token's signature does not verify with the issuer's keys"
	case strings.Contains(msg, "nbf"):
		return "the token is not valid yet (nbf)"
	case strings.Contains(msg, "malformed"):
		return "the token is not a well-formed JWT"
	}
	return "the token does not verify"
}

// oidcUser maps verified claims to a Kubernetes user as kube-apiserver's --oidc-* flags do:
// username from usernameClaim (default sub), prefixed by usernamePrefix; when no prefix is
// configured, claims other than email are prefixed with "issuerUrl#"; "-" means no prefix.
// Groups come from groupsClaim (a string or a list of strings) with groupsPrefix prepended.
func oidcUser(c *access.OIDCConfig, claims map[string]any) (*authnv1.UserInfo, error) {
	for k, want := range c.RequiredClaims {
		got, ok := claims[k].(string)
		if !ok {
			return nil, fmt.Errorf("required claim %q is missing or not a string", k)
		}
		if got != want {
			return nil, fmt.Errorf("required claim %q has value %q, want %q", k, got, want)
		}
	}
	claim := c.UsernameClaim
	if claim == "" {
		claim = "sub"
	}
	name, ok := claims[claim].(string)
	if !ok || name == "" {
		return nil, fmt.Errorf("username claim %q is missing or not a string", claim)
	}
	if claim == "email" {
		if v, present := claims["email_verified"]; present {
			if verified, ok := v.(bool); !ok || !verified {
				return nil, errors.New("email_verified is not true")
			}
		}
	}
	switch {
	case c.UsernamePrefix == "-":
	case c.UsernamePrefix != "":
		name = c.UsernamePrefix + name
	case claim != "email":
		name = c.IssuerURL + "#" + name
	}
	user := &authnv1.UserInfo{Username: name}
	if c.GroupsClaim != "" {
		switch g := claims[c.GroupsClaim].(type) {
		case nil:
		case string:
			user.Groups = []string{g}
		case []any:
			for _, item := range g {
				s, ok := item.(string)
				if !ok {
					return nil, fmt.Errorf("groups claim %q holds a non-string value", c.GroupsClaim)
				}
				user.Groups = append(user.Groups, s)
			}
		default:
			return nil, fmt.Errorf("groups claim %q is neither a string nor a list of strings", c.GroupsClaim)
		}
		for i := range user.Groups {
			user.Groups[i] = c.GroupsPrefix + user.Groups[i]
		}
	}
	return user, nil
}
