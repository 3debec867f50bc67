package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil"
	"github.com/eksaccess/eksaccess/internal/testutil/creds"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	authorizationcel "k8s.io/apiserver/pkg/authorization/cel"
	authnwebhook "k8s.io/apiserver/plugin/pkg/authenticator/token/webhook"
	authzwebhook "k8s.io/apiserver/plugin/pkg/authorizer/webhook"
	authzmetrics "k8s.io/apiserver/plugin/pkg/authorizer/webhook/metrics"
	"k8s.io/client-go/rest"
)

// kubeEnv is an eksaccess over TLS in sigv4 mode with the kube-apiserver's own webhook clients.
type kubeEnv struct {
	s     *testutil.Server
	alice *eks.Client
	ctx   context.Context
}

func startKube(t *testing.T) *kubeEnv {
	t.Helper()
	k, _ := startKubeWithFile(t)
	return k
}

// startKubeWithFile also returns the identities file, for tests that rewrite and reload it;
// mutate changes the server's configuration further.
func startKubeWithFile(t *testing.T, mutate ...func(*server.Config)) (*kubeEnv, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(path, []byte(sigv4Identities), 0o600); err != nil {
		t.Fatal(err)
	}
	s := testutil.Start(t, testutil.Options{PKI: creds.NewPKI(t), Mutate: func(c *server.Config) {
		c.Auth, c.Identities = server.AuthSigV4, path
		for _, m := range mutate {
			m(c)
		}
	}})
	return &kubeEnv{s: s, alice: eksAs(s, aliceKey, aliceSecret, ""), ctx: testutil.Ctx(t)}, path
}

func (k *kubeEnv) restConfig(cluster, path string, withCert bool) *rest.Config {
	cfg := &rest.Config{Host: k.s.URL() + "/kubernetes/012345678910/us-west-2/" + cluster + "/" + path,
		TLSClientConfig: rest.TLSClientConfig{CAData: k.s.PKI.CAPEM}}
	if withCert {
		cfg.TLSClientConfig.CertData, cfg.TLSClientConfig.KeyData = k.s.PKI.ClientCertPEM, k.s.PKI.ClientKeyPEM
	}
	return cfg
}

func backoff() wait.Backoff { b := *authnwebhook.DefaultRetryBackoff(); b.Steps = 1; return b }

func (k *kubeEnv) authn(t *testing.T, cluster, version string) authenticator.Token {
	t.Helper()
	a, err := authnwebhook.New(k.restConfig(cluster, "authenticate", true), version, nil, backoff())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (k *kubeEnv) authz(t *testing.T, cluster, version string) authorizer.Authorizer {
	t.Helper()
	a, err := authzwebhook.New(k.restConfig(cluster, "authorize", true), version, 0, 0, backoff(), authorizer.DecisionNoOpinion, nil,
		"eksaccess", authzmetrics.NoopAuthorizerMetrics{}, authorizationcel.NewDefaultCompiler())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (k *kubeEnv) token(t *testing.T, key, secret, session, cluster string, at time.Time) string {
	t.Helper()
	tok, err := creds.MintToken(k.ctx, cfgFor(k.s, key, secret, session), cluster, at)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (k *kubeEnv) entry(t *testing.T, cluster, principal string, groups []string, policies map[string]*ekstypes.AccessScope) {
	t.Helper()
	if _, err := k.alice.CreateAccessEntry(k.ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal), KubernetesGroups: groups}); err != nil {
		t.Fatal(err)
	}
	for p, scope := range policies {
		if _, err := k.alice.AssociateAccessPolicy(k.ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal),
			PolicyArn: aws.String("arn:aws:eks::aws:cluster-access-policy/" + p), AccessScope: scope}); err != nil {
			t.Fatal(err)
		}
	}
}

var clusterScope = &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}

func nsScope(ns ...string) *ekstypes.AccessScope {
	return &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: ns}
}

func TestTokenReviewUserAndRoleSession(t *testing.T) {
	t.Parallel()
	k := startKube(t)
	createCluster(t, k.alice, "web") // alice gets her creator entry with ClusterAdmin
	k.entry(t, "web", roleARN, []string{"viewers", "{{SessionName}}-team"}, map[string]*ekstypes.AccessScope{"AmazonEKSViewPolicy": clusterScope})

	for _, version := range []string{"v1", "v1beta1"} {
		resp, ok, err := k.authn(t, "web", version).AuthenticateToken(k.ctx, k.token(t, aliceKey, aliceSecret, "", "web", time.Time{}))
		if err != nil || !ok {
			t.Fatalf("%s alice: ok=%v err=%v", version, ok, err)
		}
		u := resp.User
		if u.GetName() != aliceARN || !strings.HasPrefix(u.GetUID(), "aws-iam-authenticator:012345678910:AIDA") || len(u.GetGroups()) != 0 {
			t.Fatalf("%s alice: %+v", version, u)
		}
		ex := u.GetExtra()
		if ex["arn"][0] != aliceARN || ex["accessKeyId"][0] != aliceKey || !strings.HasPrefix(ex["principalId"][0], "AIDA") || ex["canonicalArn"][0] != aliceARN {
			t.Fatalf("%s alice extra: %v", version, ex)
		}
	}

	// A role session (role with a path): username rendered with the session name, groups rendered.
	cr, err := stsAs(k.s, aliceKey, aliceSecret, "").AssumeRole(k.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("jane@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	c := cr.Credentials
	resp, ok, err := k.authn(t, "web", "v1").AuthenticateToken(k.ctx, k.token(t, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken, "web", time.Time{}))
	if err != nil || !ok {
		t.Fatalf("role session: ok=%v err=%v", ok, err)
	}
	u := resp.User
	if u.GetName() != "arn:aws:sts::012345678910:assumed-role/my-role/jane-example.com" || strings.Join(u.GetGroups(), ",") != "viewers,jane-example.com-team" {
		t.Fatalf("role session user: %s %v", u.GetName(), u.GetGroups())
	}
	if ex := u.GetExtra(); ex["sessionName"][0] != "jane@example.com" || ex["canonicalArn"][0] != "arn:aws:iam::012345678910:role/my-role" ||
		ex["arn"][0] != "arn:aws:sts::012345678910:assumed-role/my-role/jane@example.com" || !strings.HasPrefix(ex["principalId"][0], "AROA") {
		t.Fatalf("role session extra: %v", ex)
	}
}

func TestTokenReviewRefusals(t *testing.T) {
	t.Parallel()
	k := startKube(t)
	createCluster(t, k.alice, "web")
	createCluster(t, k.alice, "other")
	if _, err := k.alice.CreateCluster(k.ctx, &eks.CreateClusterInput{Name: aws.String("cm"), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"s"}}}); err != nil {
		t.Fatal(err)
	}
	a := k.authn(t, "web", "v1")
	good := k.token(t, aliceKey, aliceSecret, "", "web", time.Time{})
	if _, ok, err := a.AuthenticateToken(k.ctx, good); !ok || err != nil {
		t.Fatalf("good token refused: %v", err)
	}
	cases := map[string]string{
		"minted for another cluster": k.token(t, aliceKey, aliceSecret, "", "other", time.Time{}),
		"expired":                    k.token(t, aliceKey, aliceSecret, "", "web", time.Now().Add(-20*time.Minute)),
		"principal without an entry": k.token(t, "AKIADAVEEXAMPLE00001", "dave-secret", "", "web", time.Time{}),
		"wrong secret":               k.token(t, aliceKey, "wrong", "", "web", time.Time{}),
		"not a token":                "abc",
		"bad base64":                 "k8s-aws-v1.!!!",
		"truncated":                  good[:len(good)-20],
		"too long":                   "k8s-aws-v1." + strings.Repeat("A", 5000),
	}
	for name, tok := range cases {
		resp, ok, err := a.AuthenticateToken(k.ctx, tok)
		if ok || resp != nil {
			t.Errorf("%s: authenticated %+v (err %v)", name, resp, err)
		}
	}
	// A CONFIG_MAP cluster without aws-auth maps nobody but its creator; an unknown cluster nobody.
	for _, cluster := range []string{"cm", "absent"} {
		if _, ok, _ := k.authn(t, cluster, "v1").AuthenticateToken(k.ctx, k.token(t, "AKIADAVEEXAMPLE00001", "dave-secret", "", cluster, time.Time{})); ok {
			t.Errorf("cluster %s authenticated dave", cluster)
		}
	}
	if _, ok, _ := k.authn(t, "absent", "v1").AuthenticateToken(k.ctx, k.token(t, aliceKey, aliceSecret, "", "absent", time.Time{})); ok {
		t.Error("unknown cluster authenticated alice")
	}
	// Refusals are counted by reason.
	req, _ := http.NewRequest("GET", k.s.URL()+"/metrics", nil)
	_, body := k.s.Do(t, req)
	for _, reason := range []string{"bad_signature", "expired", "not_mapped", "malformed", "unknown_cluster"} {
		if !strings.Contains(string(body), `eksaccess_token_review_refusals_total{reason="`+reason+`"}`) {
			t.Errorf("no refusal metric for %s", reason)
		}
	}
	if !strings.Contains(string(body), `eksaccess_webhook_request_duration_seconds_count{result="authenticated",webhook="authenticate"}`) {
		t.Error("no authenticate latency histogram")
	}
}

func TestTokenReviewTemplatesAndReservedPrefixes(t *testing.T) {
	t.Parallel()
	k := startKube(t)
	createCluster(t, k.alice, "web")
	// A group rendered from the session name must not gain a reserved prefix.
	k.entry(t, "web", roleARN, []string{"{{SessionName}}:masters"}, nil)
	cr, err := stsAs(k.s, aliceKey, aliceSecret, "").AssumeRole(k.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("system")})
	if err != nil {
		t.Fatal(err)
	}
	c := cr.Credentials
	if _, ok, _ := k.authn(t, "web", "v1").AuthenticateToken(k.ctx, k.token(t, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken, "web", time.Time{})); ok {
		t.Fatal("session 'system' rendered a system: group and was authenticated")
	}
	cr, _ = stsAs(k.s, aliceKey, aliceSecret, "").AssumeRole(k.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ops")})
	c = cr.Credentials
	resp, ok, err := k.authn(t, "web", "v1").AuthenticateToken(k.ctx, k.token(t, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken, "web", time.Time{}))
	if !ok || err != nil || resp.User.GetGroups()[0] != "ops:masters" {
		t.Fatalf("session ops: %+v %v", resp, err)
	}
	// Custom usernames with {{AccountID}} and {{AccessKeyID}}.
	if _, err := k.alice.UpdateAccessEntry(k.ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(aliceARN),
		Username: aws.String("acct:{{AccountID}}:{{AccessKeyID}}")}); err != nil {
		t.Fatal(err)
	}
	resp, ok, err = k.authn(t, "web", "v1").AuthenticateToken(k.ctx, k.token(t, aliceKey, aliceSecret, "", "web", time.Time{}))
	if !ok || err != nil || resp.User.GetName() != "acct:012345678910:"+aliceKey {
		t.Fatalf("templated username: %+v %v", resp, err)
	}
}

func TestAuthorizationWebhook(t *testing.T) {
	t.Parallel()
	k := startKube(t)
	createCluster(t, k.alice, "web")
	// Dave gets View cluster-wide and Edit in dev-*.
	const dave = "arn:aws:iam::012345678910:user/dave"
	k.entry(t, "web", dave, nil, map[string]*ekstypes.AccessScope{"AmazonEKSViewPolicy": clusterScope, "AmazonEKSEditPolicy": nsScope("dev-*")})
	resp, ok, err := k.authn(t, "web", "v1").AuthenticateToken(k.ctx, k.token(t, "AKIADAVEEXAMPLE00001", "dave-secret", "", "web", time.Time{}))
	if !ok || err != nil {
		t.Fatalf("dave: %v", err)
	}
	daveUser := resp.User
	res := func(verb, group, resource, ns string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: daveUser, Verb: verb, APIGroup: group, Resource: resource, Namespace: ns, ResourceRequest: true}
	}
	for _, version := range []string{"v1", "v1beta1"} {
		az := k.authz(t, "web", version)
		for _, tc := range []struct {
			name  string
			attrs authorizer.AttributesRecord
			want  authorizer.Decision
		}{
			{"get pods (View)", res("get", "", "pods", "default"), authorizer.DecisionAllow},
			{"get secrets", res("get", "", "secrets", "default"), authorizer.DecisionNoOpinion},
			{"create deployments in prod", res("create", "apps", "deployments", "prod"), authorizer.DecisionNoOpinion},
			{"create deployments in dev-a (Edit dev-*)", res("create", "apps", "deployments", "dev-a"), authorizer.DecisionAllow},
			{"list namespaces (cluster-scoped, View at cluster scope)", res("list", "", "namespaces", ""), authorizer.DecisionAllow},
			{"list nodes (not in View)", res("list", "", "nodes", ""), authorizer.DecisionNoOpinion},
			{"delete nodes", res("delete", "", "nodes", ""), authorizer.DecisionNoOpinion},
			{"non-resource /healthz", authorizer.AttributesRecord{User: daveUser, Verb: "get", Path: "/healthz"}, authorizer.DecisionNoOpinion},
			// Impersonation (or any identity this webhook did not authenticate) gets no opinion.
			{"impersonated user", authorizer.AttributesRecord{User: &user.DefaultInfo{Name: daveUser.GetName()}, Verb: "get", Resource: "pods", Namespace: "default", ResourceRequest: true}, authorizer.DecisionNoOpinion},
		} {
			d, reason, err := az.Authorize(k.ctx, tc.attrs)
			if err != nil || d != tc.want {
				t.Errorf("%s %s: decision %v (want %v), reason %q, err %v", version, tc.name, d, tc.want, reason, err)
			}
		}
	}
	// Alice (creator, ClusterAdmin) may do anything, non-resource URLs included.
	aliceResp, _, _ := k.authn(t, "web", "v1").AuthenticateToken(k.ctx, k.token(t, aliceKey, aliceSecret, "", "web", time.Time{}))
	d, reason, err := k.authz(t, "web", "v1").Authorize(k.ctx, authorizer.AttributesRecord{User: aliceResp.User, Verb: "get", Path: "/healthz"})
	if d != authorizer.DecisionAllow || err != nil || !strings.Contains(reason, "AmazonEKSClusterAdminPolicy") {
		t.Fatalf("alice /healthz: %v %q %v", d, reason, err)
	}

	// Changes through the API apply to the next decision: disassociate View.
	if _, err := k.alice.DisassociateAccessPolicy(k.ctx, &eks.DisassociateAccessPolicyInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(dave),
		PolicyArn: aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")}); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := k.authz(t, "web", "v1").Authorize(k.ctx, res("get", "", "pods", "default")); d != authorizer.DecisionNoOpinion {
		t.Fatalf("after disassociate: %v", d)
	}
	// Deleting the entry unmaps the identity.
	if _, err := k.alice.DeleteAccessEntry(k.ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(dave)}); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := k.authz(t, "web", "v1").Authorize(k.ctx, res("create", "apps", "deployments", "dev-a")); d != authorizer.DecisionNoOpinion {
		t.Fatalf("after delete: %v", d)
	}
	if _, ok, _ := k.authn(t, "web", "v1").AuthenticateToken(k.ctx, k.token(t, "AKIADAVEEXAMPLE00001", "dave-secret", "", "web", time.Time{})); ok {
		t.Fatal("dave still authenticated after his entry was deleted")
	}
}

// The webhook paths need kube-apiserver's client certificate; the raw protocol is echoed in
// the request's version.
func TestWebhookClientCertificateAndWire(t *testing.T) {
	t.Parallel()
	k := startKube(t)
	createCluster(t, k.alice, "web")
	a, err := authnwebhook.New(k.restConfig("web", "authenticate", false), "v1", nil, backoff())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.AuthenticateToken(k.ctx, k.token(t, aliceKey, aliceSecret, "", "web", time.Time{})); ok || err == nil {
		t.Fatalf("no client certificate: ok=%v err=%v", ok, err)
	}
	// Hand-built request, only to check the echoed apiVersion of a v1beta1 review.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: k.s.PKI.ClientTLS(true)}}
	body := `{"apiVersion":"authentication.k8s.io/v1beta1","kind":"TokenReview","spec":{"token":"` + k.token(t, aliceKey, aliceSecret, "", "web", time.Time{}) + `"}}`
	resp, err := hc.Post(k.s.URL()+"/kubernetes/012345678910/us-west-2/web/authenticate", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if out["apiVersion"] != "authentication.k8s.io/v1beta1" || out["kind"] != "TokenReview" || out["status"].(map[string]any)["authenticated"] != true {
		t.Fatalf("v1beta1 echo: %v", out)
	}
	resp2, err := hc.Post(k.s.URL()+"/kubernetes/012345678910/us-west-2/web/authenticate", "application/json", strings.NewReader(`{"kind":"Pod"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 400 {
		t.Fatalf("malformed review: %d", resp2.StatusCode)
	}
}

// `aws eks get-token` with AWS_ENDPOINT_URL at eksaccess mints tokens eksaccess verifies in-process.
func TestAWSCLIGetToken(t *testing.T) {
	t.Parallel()
	k := startKube(t)
	createCluster(t, k.alice, "web")
	cli := testutil.NewAWSCLI(t, k.s.URL())
	env := append(cli.Env, "AWS_ACCESS_KEY_ID="+aliceKey, "AWS_SECRET_ACCESS_KEY="+aliceSecret, "AWS_CA_BUNDLE="+k.s.PKI.CAFile)
	out, stderr, code, err := testutil.RunAWS(env, "eks", "get-token", "--cluster-name", "web", "--output", "json")
	if err != nil || code != 0 {
		t.Fatalf("get-token: exit %d %v %s", code, err, stderr)
	}
	var cred struct {
		Kind   string `json:"kind"`
		Status struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &cred); err != nil || cred.Kind != "ExecCredential" {
		t.Fatalf("ExecCredential: %v %s", err, out)
	}
	resp, ok, err := k.authn(t, "web", "v1").AuthenticateToken(k.ctx, cred.Status.Token)
	if !ok || err != nil || resp.User.GetName() != aliceARN {
		t.Fatalf("get-token token: ok=%v err=%v %+v", ok, err, resp)
	}
	// Via --role-arn: get-token assumes the role (session EKSGetTokenAuth) first.
	k.entry(t, "web", roleARN, nil, nil)
	out, stderr, code, err = testutil.RunAWS(env, "eks", "get-token", "--cluster-name", "web", "--role-arn", roleARN, "--output", "json")
	if err != nil || code != 0 {
		t.Fatalf("get-token --role-arn: exit %d %v %s", code, err, stderr)
	}
	json.Unmarshal([]byte(out), &cred)
	resp, ok, err = k.authn(t, "web", "v1").AuthenticateToken(k.ctx, cred.Status.Token)
	if !ok || err != nil || resp.User.GetName() != "arn:aws:sts::012345678910:assumed-role/my-role/EKSGetTokenAuth" {
		t.Fatalf("role token: ok=%v err=%v %+v", ok, err, resp)
	}
}

// A role deleted and re-created under the same ARN gets a new unique id: its access entry, which
// recorded the old id, no longer matches (401) until the entry is re-created.
func TestTokenReviewRecreatedRole(t *testing.T) {
	t.Parallel()
	k, path := startKubeWithFile(t)
	s := k.s
	createCluster(t, k.alice, "web")
	k.entry(t, "web", roleARN, nil, nil)
	session := func(name string) string {
		cr, err := stsAs(s, aliceKey, aliceSecret, "").AssumeRole(k.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		c := cr.Credentials
		return k.token(t, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken, "web", time.Time{})
	}
	if _, ok, _ := k.authn(t, "web", "v1").AuthenticateToken(k.ctx, session("before")); !ok {
		t.Fatal("role session refused before re-creation")
	}
	recreated := strings.Replace(sigv4Identities, "        maxSessionDuration: 7200\n", "        maxSessionDuration: 7200\n        generation: 2\n", 1)
	if recreated == sigv4Identities {
		t.Fatal("test identities changed shape")
	}
	if err := os.WriteFile(path, []byte(recreated), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.ReloadIdentities(); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := k.authn(t, "web", "v1").AuthenticateToken(k.ctx, session("after")); ok {
		t.Fatal("a re-created role matched the entry made for the old one")
	}
	// Re-creating the entry records the new unique id.
	if _, err := k.alice.DeleteAccessEntry(k.ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(roleARN)}); err != nil {
		t.Fatal(err)
	}
	k.entry(t, "web", roleARN, nil, nil)
	if _, ok, _ := k.authn(t, "web", "v1").AuthenticateToken(k.ctx, session("again")); !ok {
		t.Fatal("re-created entry does not match the re-created role")
	}
}
