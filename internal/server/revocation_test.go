package server_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// A token reviewed (and cached) before a SIGHUP reload stops authenticating as soon as the
// reload removes or re-creates its identity: a user, its access key, a role (sessions too).
func TestReloadRevokesCachedTokens(t *testing.T) {
	t.Parallel()
	k, path := startKubeWithFile(t)
	createCluster(t, k.alice, "web")
	const dave = "arn:aws:iam::012345678910:user/dave"
	k.entry(t, "web", dave, nil, nil)
	k.entry(t, "web", roleARN, nil, nil)
	a := k.authn(t, "web", "v1")
	cr, err := stsAs(k.s, aliceKey, aliceSecret, "").AssumeRole(k.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ops")})
	if err != nil {
		t.Fatal(err)
	}
	c := cr.Credentials
	tokens := map[string]string{
		"alice (stays)":                  k.token(t, aliceKey, aliceSecret, "", "web", time.Time{}),
		"dave (key removed)":             k.token(t, "AKIADAVEEXAMPLE00001", "dave-secret", "", "web", time.Time{}),
		"role session (re-created role)": k.token(t, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken, "web", time.Time{}),
	}
	for name, tok := range tokens {
		for range 2 { // the second review is answered from the cache
			if _, ok, err := a.AuthenticateToken(k.ctx, tok); !ok {
				t.Fatalf("%s refused before the reload: %v", name, err)
			}
		}
	}
	changed := strings.Replace(sigv4Identities, "        accessKeys: [{id: AKIADAVEEXAMPLE00001, secret: dave-secret}]\n", "", 1)
	changed = strings.Replace(changed, "        maxSessionDuration: 7200\n", "        maxSessionDuration: 7200\n        generation: 2\n", 1)
	if strings.Count(changed, "\n") != strings.Count(sigv4Identities, "\n") {
		t.Fatal("test identities changed shape")
	}
	if err := os.WriteFile(path, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := k.s.ReloadIdentities(); err != nil { // what SIGHUP calls
		t.Fatal(err)
	}
	for name, tok := range tokens {
		_, ok, err := a.AuthenticateToken(k.ctx, tok)
		if want := strings.HasSuffix(name, "(stays)"); ok != want {
			t.Errorf("%s after the reload: authenticated=%v (%v), want %v", name, ok, err, want)
		}
		if !ok && !strings.Contains(err.Error(), "no longer authenticate") {
			t.Errorf("%s: refusal %q does not say the identity was removed", name, err)
		}
	}
	// Fresh tokens (signed at another second, so never in the cache) of the removed identities
	// are refused too.
	earlier := time.Now().Add(-5 * time.Second)
	if _, ok, err := a.AuthenticateToken(k.ctx, k.token(t, aliceKey, aliceSecret, "", "web", earlier)); !ok {
		t.Fatalf("a token signed 5 s ago for alice: %v", err)
	}
	if _, ok, _ := a.AuthenticateToken(k.ctx, k.token(t, "AKIADAVEEXAMPLE00001", "dave-secret", "", "web", earlier)); ok {
		t.Error("a fresh token of dave's removed key authenticated")
	}
	if _, ok, _ := a.AuthenticateToken(k.ctx, k.token(t, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken, "web", earlier)); ok {
		t.Error("a fresh token of the re-created role's old session authenticated")
	}
	// Restoring the file restores dave (same unique id): his token authenticates again.
	if err := os.WriteFile(path, []byte(sigv4Identities), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := k.s.ReloadIdentities(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.AuthenticateToken(k.ctx, tokens["dave (key removed)"]); !ok {
		t.Errorf("dave's token after his key came back: %v", err)
	}
}

// kube-apiserver sends a SubjectAccessReview with the real uid and extra but another user name
// (or more groups) for a request that impersonates them: such identities get no opinion.
func TestImpersonatedSubjectAccessReview(t *testing.T) {
	t.Parallel()
	k := startKube(t)
	createCluster(t, k.alice, "web") // alice: AmazonEKSClusterAdminPolicy
	resp, ok, err := k.authn(t, "web", "v1").AuthenticateToken(k.ctx, k.token(t, aliceKey, aliceSecret, "", "web", time.Time{}))
	if !ok || err != nil {
		t.Fatalf("alice: %v", err)
	}
	real := resp.User
	for _, version := range []string{"v1", "v1beta1"} {
		az := k.authz(t, "web", version)
		for _, tc := range []struct {
			name string
			user user.Info
			want authorizer.Decision
		}{
			{"issued", &user.DefaultInfo{Name: real.GetName(), UID: real.GetUID(), Groups: append(real.GetGroups(), "system:authenticated"), Extra: real.GetExtra()}, authorizer.DecisionAllow},
			{"--as=mallory", &user.DefaultInfo{Name: "mallory", UID: real.GetUID(), Groups: []string{"system:authenticated"}, Extra: real.GetExtra()}, authorizer.DecisionNoOpinion},
			{"--as-group=extra", &user.DefaultInfo{Name: real.GetName(), UID: real.GetUID(), Groups: []string{"extra", "system:authenticated"}, Extra: real.GetExtra()}, authorizer.DecisionNoOpinion},
		} {
			d, reason, err := az.Authorize(k.ctx, authorizer.AttributesRecord{User: tc.user, Verb: "delete", Resource: "secrets", Namespace: "kube-system", ResourceRequest: true})
			if err != nil || d != tc.want {
				t.Errorf("%s %s: %v %q %v, want %v", version, tc.name, d, reason, err, tc.want)
			}
		}
	}
}
