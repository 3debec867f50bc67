package kubeauth

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/identity"
)

// TokenPrefix starts the tokens of `aws eks get-token` and aws-iam-authenticator.
const TokenPrefix = "k8s-aws-v1."

const (
	maxTokenLen   = 4096
	tokenLifetime = 15 * time.Minute // STS honours a presigned GetCallerIdentity this long
	clusterHeader = "x-k8s-aws-id"
	amzDateFormat = "20060102T150405Z"
)

// Identity is the IAM caller a verified token names.
type Identity struct {
	// ARN is the caller's ARN as STS reports it (assumed-role session ARN, or user ARN).
	ARN string
	// CanonicalARN is the IAM principal: the role ARN (without path) of a session, else ARN.
	CanonicalARN string
	Account      string
	// PrincipalID is the IAM unique id (AROA…/AIDA…); SessionName is set for role sessions.
	PrincipalID string
	SessionName string
	AccessKeyID string
	// Expires is when the token stops being valid.
	Expires time.Time
}

// tokenError is why a token was refused; Reason is the metric label.
type tokenError struct {
	Reason string
	Detail string
}

func (e *tokenError) Error() string { return e.Reason + ": " + e.Detail }

func refuse(reason, format string, args ...any) error {
	return &tokenError{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// TokenVerifier verifies `k8s-aws-v1.` tokens: presigned STS GetCallerIdentity URLs bound to a
// cluster by the signed x-k8s-aws-id header. Tokens signed with credentials eksaccess issued are
// verified in-process; others may be sent to real STS (Forward) when their host is allowed.
// Verified tokens are cached until they expire; an in-process verified token is answered from
// the cache only while Standing still reports the same principal and secret for its key, so a
// removed (or re-created) user, role, key or session stops authenticating at once. Tokens
// verified at a forwarded STS live in the cache for their own lifetime (15 minutes at most).
type TokenVerifier struct {
	// Local verifies signatures of eksaccess's own identities; nil without an identities file.
	Local *identity.Verifier
	// LocalHost reports whether a token's host is eksaccess's own STS endpoint.
	LocalHost func(host string) bool
	// Forward, when set, verifies tokens of unknown keys at STS: only for hosts ForwardHost allows.
	Forward     *http.Client
	ForwardHost func(host string) bool
	Now         func() time.Time
	// Standing reports what an access key of Local's identities authenticates now (see
	// identity.Store.Standing). It is asked before every in-process verification and on every
	// cache hit of one; nil keeps in-process answers for the token's lifetime (tests only).
	Standing func(accessKeyID string) (principalID, secret string, ok bool)

	mu    sync.Mutex
	cache map[string]*cachedToken
}

// cachedToken is a verified token: the identity, and for in-process verifications the secret
// its key signed with when it was verified.
type cachedToken struct {
	id     *Identity
	local  bool
	secret string
}

// stillStanding reports whether a cached in-process verification still holds: its key
// authenticates the same principal with the same secret now.
func (v *TokenVerifier) stillStanding(c *cachedToken) bool {
	if !c.local || v.Standing == nil {
		return true
	}
	pid, secret, ok := v.Standing(c.id.AccessKeyID)
	return ok && pid == c.id.PrincipalID && secret == c.secret
}

// awsSTSHost matches AWS's regional, FIPS and dual-stack STS endpoints.
var awsSTSHost = regexp.MustCompile(`^sts(-fips)?(\.[a-z0-9-]+)?(\.api\.aws|\.amazonaws\.com(\.cn)?)$`)

// AWSSTSHost reports whether host is an AWS STS endpoint.
func AWSSTSHost(host string) bool { return awsSTSHost.MatchString(host) }

var allowedQuery = map[string]bool{
	"action": true, "version": true, "x-amz-algorithm": true, "x-amz-credential": true, "x-amz-date": true,
	"x-amz-expires": true, "x-amz-security-token": true, "x-amz-signature": true, "x-amz-signedheaders": true,
}

func (v *TokenVerifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Verify checks a token for cluster (the x-k8s-aws-id value) and returns the caller.
func (v *TokenVerifier) Verify(ctx context.Context, token, cluster string) (*Identity, error) {
	cacheKey := cluster + "\x00" + token
	now := v.now()
	v.mu.Lock()
	if c, ok := v.cache[cacheKey]; ok {
		v.mu.Unlock()
		if now.Before(c.id.Expires) && v.stillStanding(c) {
			return c.id, nil
		}
		v.mu.Lock()
		delete(v.cache, cacheKey)
		v.mu.Unlock()
		if now.Before(c.id.Expires) {
			return nil, errRevoked
		}
	} else {
		v.mu.Unlock()
	}

	u, date, err := parseToken(token, now)
	if err != nil {
		return nil, err
	}
	c := &cachedToken{}
	switch {
	case v.LocalHost != nil && v.LocalHost(u.Host):
		c.local = true
		c.id, c.secret, err = v.verifyLocal(u, cluster)
	case v.Forward != nil && v.ForwardHost != nil && v.ForwardHost(u.Host) && u.Scheme == "https":
		c.id, err = v.verifyAtSTS(ctx, u, cluster)
	default:
		return nil, refuse("unknown_sts_host", "the token is presigned for a host that is neither this eksaccess nor an allowed STS endpoint")
	}
	if err != nil {
		return nil, err
	}
	c.id.Expires = date.Add(tokenLifetime)
	v.mu.Lock()
	if v.cache == nil || len(v.cache) > 100000 {
		v.pruneLocked(now)
	}
	v.cache[cacheKey] = c
	v.mu.Unlock()
	return c.id, nil
}

// errRevoked refuses a token verified earlier whose identity no longer stands.
var errRevoked = refuse("revoked", "the token's credentials no longer authenticate its principal: the user, role, access key or session was removed, re-created or expired since")

// ResetCache forgets every verified token.
func (v *TokenVerifier) ResetCache() {
	v.mu.Lock()
	v.cache = nil
	v.mu.Unlock()
}

func (v *TokenVerifier) pruneLocked(now time.Time) {
	if v.cache == nil {
		v.cache = map[string]*cachedToken{}
		return
	}
	for k, c := range v.cache {
		if !now.Before(c.id.Expires) {
			delete(v.cache, k)
		}
	}
	if len(v.cache) > 100000 {
		v.cache = map[string]*cachedToken{}
	}
}

// parseToken applies the structural rules of aws-iam-authenticator to a token.
func parseToken(token string, now time.Time) (*url.URL, time.Time, error) {
	if len(token) > maxTokenLen {
		return nil, time.Time{}, refuse("malformed", "token is longer than %d bytes", maxTokenLen)
	}
	if !strings.HasPrefix(token, TokenPrefix) {
		return nil, time.Time{}, refuse("malformed", "token does not start with %s", TokenPrefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(token[len(TokenPrefix):], "="))
	if err != nil {
		return nil, time.Time{}, refuse("malformed", "token is not base64url after %s", TokenPrefix)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return nil, time.Time{}, refuse("malformed", "token does not decode to a URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "/" && u.Path != "") || u.User != nil || u.Fragment != "" {
		return nil, time.Time{}, refuse("malformed", "token URL must be an STS endpoint root")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, time.Time{}, refuse("malformed", "token URL has a malformed query")
	}
	seen := map[string]bool{}
	for k, vs := range q {
		lk := strings.ToLower(k)
		if !allowedQuery[lk] {
			return nil, time.Time{}, refuse("malformed", "token query has a parameter other than those of a presigned GetCallerIdentity")
		}
		if seen[lk] || len(vs) != 1 {
			return nil, time.Time{}, refuse("malformed", "token query repeats a parameter")
		}
		seen[lk] = true
	}
	get := func(k string) string {
		for qk, vs := range q {
			if strings.EqualFold(qk, k) {
				return vs[0]
			}
		}
		return ""
	}
	if get("Action") != "GetCallerIdentity" {
		return nil, time.Time{}, refuse("malformed", "token action must be GetCallerIdentity")
	}
	signed := strings.Split(strings.ToLower(get("X-Amz-SignedHeaders")), ";")
	found := false
	for _, h := range signed {
		found = found || h == clusterHeader
	}
	if !found {
		return nil, time.Time{}, refuse("malformed", "token does not sign the %s header", clusterHeader)
	}
	if e := get("X-Amz-Expires"); e != "" {
		n, err := strconv.Atoi(e)
		if err != nil || n < 0 || n > 900 {
			return nil, time.Time{}, refuse("malformed", "X-Amz-Expires must be between 0 and 900")
		}
	}
	date, err := time.Parse(amzDateFormat, get("X-Amz-Date"))
	if err != nil {
		return nil, time.Time{}, refuse("malformed", "X-Amz-Date is missing or malformed")
	}
	if now.After(date.Add(tokenLifetime)) {
		return nil, time.Time{}, refuse("expired", "token expired at %s", date.Add(tokenLifetime).UTC().Format(time.RFC3339))
	}
	if date.After(now.Add(tokenLifetime)) {
		return nil, time.Time{}, refuse("malformed", "token X-Amz-Date is in the future")
	}
	return u, date, nil
}

// replay builds the GET request STS would receive for the token, bound to cluster.
func replay(ctx context.Context, u *url.URL, cluster string) *http.Request {
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	r.Host = u.Host
	r.Header.Set(clusterHeader, cluster)
	r.Header.Set("Accept", "application/json")
	return r
}

// verifyLocal verifies a token against eksaccess's own identities; it also returns the secret
// the token's key had before verification (see Standing). Refusal details describe what was
// wrong in fixed words: the verifier's messages quote parts of the token (dates, scopes).
func (v *TokenVerifier) verifyLocal(u *url.URL, cluster string) (*Identity, string, error) {
	if v.Local == nil {
		return nil, "", refuse("unknown_key", "no identities are configured to verify the token")
	}
	var secret string
	if v.Standing != nil {
		q, _ := url.ParseQuery(u.RawQuery)
		c, _ := identity.ParseCredential(q.Get("X-Amz-Credential"))
		_, secret, _ = v.Standing(c.AccessKeyID) // a key that stands nowhere fails verification below
	}
	p, c, err := v.Local.Verify(replay(context.Background(), u, cluster), nil, "sts")
	if err != nil {
		var ae *access.Error
		if errors.As(err, &ae) {
			switch ae.Code {
			case access.CodeUnrecognizedClient:
				return nil, "", refuse("unknown_key", "the token's access key or session token is not known to eksaccess")
			case access.CodeExpiredToken:
				return nil, "", refuse("expired", "the token's temporary credentials are expired")
			case access.CodeInvalidSignature:
				return nil, "", refuse("bad_signature", "the token's signature, credential scope or date does not verify (a token minted for another cluster fails here)")
			}
			return nil, "", refuse("bad_signature", "the token's signature parameters are incomplete or malformed")
		}
		return nil, "", err
	}
	id := &Identity{ARN: p.ARN, CanonicalARN: p.IAMARN, Account: p.Account, PrincipalID: p.PrincipalID, AccessKeyID: c.AccessKeyID}
	if p.Session != nil {
		id.SessionName = p.Session.Name
		id.CanonicalARN = canonicalize(p.ARN)
	}
	return id, secret, nil
}

// canonicalize maps arn:P:sts::A:assumed-role/ROLE/SESSION to arn:P:iam::A:role/ROLE.
func canonicalize(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" || !strings.HasPrefix(parts[5], "assumed-role/") {
		return arn
	}
	rest := strings.TrimPrefix(parts[5], "assumed-role/")
	role := rest
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		role = rest[:i]
	}
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role
}

type callerIdentityResponse struct {
	GetCallerIdentityResponse struct {
		GetCallerIdentityResult struct {
			Account string `json:"Account"`
			Arn     string `json:"Arn"`
			UserID  string `json:"UserId"`
		} `json:"GetCallerIdentityResult"`
	} `json:"GetCallerIdentityResponse"`
}

// verifyAtSTS replays the presigned request at STS, as aws-iam-authenticator does.
func (v *TokenVerifier) verifyAtSTS(ctx context.Context, u *url.URL, cluster string) (*Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := v.Forward.Do(replay(ctx, u, cluster))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error names the token URL, credential included
		}
		return nil, refuse("sts_unreachable", "STS: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return nil, refuse("sts_refused", "STS answered %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var out callerIdentityResponse
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, refuse("sts_refused", "STS answer is not GetCallerIdentity JSON: %v", err)
	}
	r := out.GetCallerIdentityResponse.GetCallerIdentityResult
	id := &Identity{ARN: r.Arn, CanonicalARN: canonicalize(r.Arn), Account: r.Account, PrincipalID: r.UserID}
	if i := strings.IndexByte(r.UserID, ':'); i >= 0 {
		id.PrincipalID, id.SessionName = r.UserID[:i], r.UserID[i+1:]
	}
	if c, ok := identity.ParseCredential(func() string { q, _ := url.ParseQuery(u.RawQuery); return q.Get("X-Amz-Credential") }()); ok {
		id.AccessKeyID = c.AccessKeyID
	}
	return id, nil
}

// NewForwardClient is an HTTP client for STS that follows no redirects.
func NewForwardClient(tlsConfig *tls.Config) *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: tlsConfig, Proxy: http.ProxyFromEnvironment},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
