package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil/creds"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// startKubeOIDC is startKube trusting the issuer's CA for OIDC discovery and key sets.
func startKubeOIDC(t *testing.T, iss *creds.OIDCIssuer, updateDuration time.Duration) *kubeEnv {
	t.Helper()
	k, _ := startKubeWithFile(t, func(c *server.Config) {
		c.OIDCCAFile, c.UpdateDuration = iss.PKI.CAFile, updateDuration
	})
	return k
}

// associateOIDC associates an OIDC config and returns its update id.
func (k *kubeEnv) associateOIDC(t *testing.T, cluster string, req ekstypes.OidcIdentityProviderConfigRequest) string {
	t.Helper()
	out, err := k.alice.AssociateIdentityProviderConfig(k.ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: aws.String(cluster), Oidc: &req})
	if err != nil {
		t.Fatalf("associate %s: %v", *req.IdentityProviderConfigName, err)
	}
	return *out.Update.Id
}

func (k *kubeEnv) disassociateOIDC(t *testing.T, cluster, name string) string {
	t.Helper()
	out, err := k.alice.DisassociateIdentityProviderConfig(k.ctx, &eks.DisassociateIdentityProviderConfigInput{ClusterName: aws.String(cluster), IdentityProviderConfig: oidcRef(name)})
	if err != nil {
		t.Fatalf("disassociate %s: %v", name, err)
	}
	return *out.Update.Id
}

// review runs a token through kube-apiserver's webhook token authenticator. A refused token
// gives the webhook's reason, which kube-apiserver's client returns as the error.
func (k *kubeEnv) review(t *testing.T, cluster, token string) (user.Info, bool) {
	u, why := k.reviewWhy(t, cluster, token)
	if u == nil && why == "" {
		t.Fatal("refused without a reason")
	}
	return u, u != nil
}

// reviewUntil repeats a review until done accepts its outcome (at most 5 s) and returns the
// last outcome. It follows a cluster update: DescribeUpdate reads Successful as soon as the
// update commits, and the webhook index follows that commit a moment later.
func (k *kubeEnv) reviewUntil(t *testing.T, cluster, token string, done func(u user.Info, why string) bool) (user.Info, string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		u, why := k.reviewWhy(t, cluster, token)
		if done(u, why) || time.Now().After(deadline) {
			return u, why
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// accepted and refused are reviewUntil conditions.
func accepted(u user.Info, _ string) bool { return u != nil }
func refused(u user.Info, _ string) bool  { return u == nil }

func (k *kubeEnv) reviewWhy(t *testing.T, cluster, token string) (user.Info, string) {
	t.Helper()
	resp, ok, err := k.authn(t, cluster, "v1").AuthenticateToken(k.ctx, token)
	if ok && err == nil {
		return resp.User, ""
	}
	if err == nil {
		return nil, ""
	}
	return nil, err.Error()
}

func TestOIDCTokenReview(t *testing.T) {
	t.Parallel()
	iss := creds.NewOIDCIssuer(t)
	k := startKubeOIDC(t, iss, 0)
	createCluster(t, k.alice, "web")
	good := map[string]any{"sub": "alice", "aud": "kubernetes", "hd": "example.com", "groups": []string{"dev", "ops"}}
	if _, ok := k.review(t, "web", iss.Token(t, good)); ok {
		t.Fatal("a token was accepted before any identity provider config was associated")
	}
	waitSuccessful(t, k.ctx, k.alice, "web", k.associateOIDC(t, "web", ekstypes.OidcIdentityProviderConfigRequest{
		IdentityProviderConfigName: aws.String("corp"), IssuerUrl: aws.String(iss.URL), ClientId: aws.String("kubernetes"),
		GroupsClaim: aws.String("groups"), GroupsPrefix: aws.String("oidc:"), RequiredClaims: map[string]string{"hd": "example.com"},
	}))

	u, why := k.reviewUntil(t, "web", iss.Token(t, good), accepted)
	if u == nil {
		t.Fatalf("valid token refused: %s", why)
	}
	if u.GetName() != iss.URL+"#alice" || !slices.Equal(u.GetGroups(), []string{"oidc:dev", "oidc:ops"}) || u.GetUID() != "" {
		t.Fatalf("user: name %q groups %v uid %q", u.GetName(), u.GetGroups(), u.GetUID())
	}
	// An audience list containing the client id, and a single-string groups claim.
	u, ok := k.review(t, "web", iss.Token(t, with(good, "aud", []string{"other", "kubernetes"}, "groups", "admins")))
	if !ok || !slices.Equal(u.GetGroups(), []string{"oidc:admins"}) {
		t.Fatalf("audience list / string groups: ok=%v %v", ok, u)
	}

	now := time.Now()
	refusals := []struct{ name, token, why string }{
		{"wrong audience", iss.Token(t, with(good, "aud", "someone-else")), "audience is not the config's client id"},
		{"expired", iss.Token(t, with(good, "exp", now.Add(-time.Minute).Unix(), "iat", now.Add(-time.Hour).Unix())), "token expired"},
		{"not yet valid (nbf)", iss.Token(t, with(good, "nbf", now.Add(time.Hour).Unix())), "nbf"},
		{"issued in the future", iss.Token(t, with(good, "iat", now.Add(time.Hour).Unix())), "issued in the future"},
		{"missing required claim", iss.Token(t, with(good, "hd", nil)), `required claim "hd" is missing`},
		{"wrong required claim", iss.Token(t, with(good, "hd", "evil.example")), `required claim "hd" has value "evil.example"`},
		{"no username claim", iss.Token(t, with(good, "sub", nil)), `username claim "sub" is missing`},
		{"other issuer", iss.Token(t, with(good, "iss", "https://127.0.0.1:1/other")), "no active identity provider config"},
		{"groups not strings", iss.Token(t, with(good, "groups", []int{1, 2})), "non-string"},
		{"bad signature", tamper(iss.Token(t, good)), "signature"},
		{"not a JWT", "a.b.c", "JWT payload"},
	}
	for _, c := range refusals {
		if u, why := k.reviewWhy(t, "web", c.token); u != nil || !strings.Contains(why, c.why) {
			t.Errorf("%s: user %v, reason %q, want a refusal mentioning %q", c.name, u, why, c.why)
		}
	}

	// OIDC users are authorized by Kubernetes RBAC only: the authorization webhook has no opinion.
	u, _ = k.review(t, "web", iss.Token(t, good))
	d, _, err := k.authz(t, "web", "v1").Authorize(k.ctx, authorizer.AttributesRecord{User: u, Verb: "get", Resource: "pods", Namespace: "default", ResourceRequest: true})
	if err != nil || d != authorizer.DecisionNoOpinion {
		t.Fatalf("authorization of an OIDC user: %v %v", d, err)
	}

	// Key rotation: a token signed with the new key verifies (the key set is refetched); once the
	// old key is unpublished and the set refetched, the old key's tokens are refused.
	old := iss.Token(t, good)
	fetches := iss.JWKSFetches.Load()
	iss.Rotate(t, false)
	if _, ok := k.review(t, "web", iss.Token(t, good)); !ok {
		t.Fatal("token signed with the rotated key refused")
	}
	if iss.JWKSFetches.Load() <= fetches {
		t.Fatal("the key set was not refetched after rotation")
	}
	if _, ok := k.review(t, "web", old); ok {
		t.Fatal("token signed with the retired key accepted")
	}

	// Disassociation: once it completes, the provider's tokens are refused.
	waitSuccessful(t, k.ctx, k.alice, "web", k.disassociateOIDC(t, "web", "corp"))
	if u, _ := k.reviewUntil(t, "web", iss.Token(t, good), refused); u != nil {
		t.Fatal("token accepted after the identity provider config was disassociated")
	}
	req, _ := http.NewRequest("GET", k.s.URL()+"/metrics", nil)
	_, body := k.s.Do(t, req)
	for _, reason := range []string{"unknown_issuer", "oidc_invalid", "oidc_claims", "expired"} {
		if !strings.Contains(string(body), `eksaccess_token_review_refusals_total{reason="`+reason+`"}`) {
			t.Errorf("no refusal metric for %s", reason)
		}
	}
}

func TestOIDCUsernameClaimsAndPrefixes(t *testing.T) {
	t.Parallel()
	iss := creds.NewOIDCIssuer(t)
	k := startKubeOIDC(t, iss, 0)
	claims := map[string]any{"sub": "u-123", "aud": "k8s", "email": "alice@example.com", "email_verified": true, "name": "Alice", "roles": []string{"a"}}
	cases := []struct {
		cluster       string
		usernameClaim string
		prefix        *string
		groupsClaim   string
		groupsPrefix  string
		wantName      string
		wantGroups    []string
	}{
		{"default-sub", "", nil, "", "", iss.URL + "#u-123", nil},
		{"email", "email", nil, "roles", "", "alice@example.com", []string{"a"}},
		{"name", "name", nil, "", "", iss.URL + "#Alice", nil},
		{"dash", "sub", aws.String("-"), "", "", "u-123", nil},
		{"custom", "email", aws.String("corp:"), "roles", "g:", "corp:alice@example.com", []string{"g:a"}},
	}
	for _, c := range cases {
		createCluster(t, k.alice, c.cluster)
		req := ekstypes.OidcIdentityProviderConfigRequest{IdentityProviderConfigName: aws.String("p"), IssuerUrl: aws.String(iss.URL), ClientId: aws.String("k8s"), UsernamePrefix: c.prefix}
		if c.usernameClaim != "" {
			req.UsernameClaim = aws.String(c.usernameClaim)
		}
		if c.groupsClaim != "" {
			req.GroupsClaim = aws.String(c.groupsClaim)
		}
		if c.groupsPrefix != "" {
			req.GroupsPrefix = aws.String(c.groupsPrefix)
		}
		waitSuccessful(t, k.ctx, k.alice, c.cluster, k.associateOIDC(t, c.cluster, req))
	}
	for _, c := range cases {
		u, why := k.reviewUntil(t, c.cluster, iss.Token(t, claims), accepted)
		if u == nil || u.GetName() != c.wantName || !slices.Equal(u.GetGroups(), c.wantGroups) {
			t.Errorf("%s: user %v (%s), want %q %v", c.cluster, u, why, c.wantName, c.wantGroups)
		}
	}
	// The email claim requires email_verified to be true when present.
	if _, ok := k.review(t, "email", iss.Token(t, with(claims, "email_verified", false))); ok {
		t.Error("unverified email accepted")
	}
	if _, ok := k.review(t, "email", iss.Token(t, with(claims, "email_verified", nil))); !ok {
		t.Error("email without email_verified refused")
	}
	// A token of one cluster's provider is no token for a cluster without providers.
	createCluster(t, k.alice, "none")
	if _, ok := k.review(t, "none", iss.Token(t, claims)); ok {
		t.Error("cluster without identity provider configs accepted an OIDC token")
	}
}

// While a config is CREATING or DELETING its issuer's tokens are refused.
func TestOIDCConfigStatusGatesTokens(t *testing.T) {
	t.Parallel()
	iss := creds.NewOIDCIssuer(t)
	k := startKubeOIDC(t, iss, 1500*time.Millisecond)
	createCluster(t, k.alice, "web")
	tok := iss.Token(t, map[string]any{"sub": "alice", "aud": "kubernetes"})
	id := k.associateOIDC(t, "web", ekstypes.OidcIdentityProviderConfigRequest{IdentityProviderConfigName: aws.String("corp"), IssuerUrl: aws.String(iss.URL), ClientId: aws.String("kubernetes")})
	if cfg, _ := describeIdP(k.ctx, k.alice, "web", "corp"); cfg == nil || cfg.Status != ekstypes.ConfigStatusCreating {
		t.Fatalf("config not CREATING: %+v", cfg)
	}
	if _, ok := k.review(t, "web", tok); ok {
		t.Fatal("CREATING config accepted a token")
	}
	waitSuccessful(t, k.ctx, k.alice, "web", id)
	if u, why := k.reviewUntil(t, "web", tok, accepted); u == nil {
		t.Fatalf("ACTIVE config refused a token: %s", why)
	}
	id = k.disassociateOIDC(t, "web", "corp")
	if cfg, _ := describeIdP(k.ctx, k.alice, "web", "corp"); cfg == nil || cfg.Status != ekstypes.ConfigStatusDeleting {
		t.Fatalf("config not DELETING: %+v", cfg)
	}
	if _, ok := k.review(t, "web", tok); ok {
		t.Fatal("DELETING config accepted a token")
	}
	waitSuccessful(t, k.ctx, k.alice, "web", id)
	if u, _ := k.reviewUntil(t, "web", tok, refused); u != nil {
		t.Fatal("disassociated config accepted a token")
	}
}

// An issuer whose certificate is not trusted (no --oidc-ca-file) is refused.
func TestOIDCUntrustedIssuer(t *testing.T) {
	t.Parallel()
	iss := creds.NewOIDCIssuer(t)
	k := startKube(t)
	createCluster(t, k.alice, "web")
	associateIdP(t, k.ctx, k.alice, "web", "corp", iss.URL)
	if _, ok := k.review(t, "web", iss.Token(t, map[string]any{"sub": "alice", "aud": "kubernetes"})); ok {
		t.Fatal("token of an issuer with an untrusted certificate accepted")
	}
}

// with copies claims and sets (or, with nil, removes) the given key/value pairs.
func with(claims map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// tamper flips a character of a JWT's signature.
func tamper(tok string) string {
	b := []byte(tok)
	i := len(b) - 5
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
