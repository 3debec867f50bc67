//go:build e2e

package kube_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
)

// stsUser is the username kube-apiserver sees for a role session.
func stsUser(role, session string) string {
	return "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session
}

// Scenario 1: AmazonEKSViewPolicy with cluster scope, through `aws eks get-token --role-arn`.
func TestViewPolicyClusterScope(t *testing.T) {
	e := system(t)
	t.Parallel()
	e.createEntry(t, mainCluster, viewerRole)
	e.associate(t, mainCluster, viewerRole, viewPolicy)
	u := e.updateKubeconfig(t, credsOf(roleUser), mainCluster, viewerRole)
	user := stsUser("e2e-viewer", "EKSGetTokenAuth") // the session name aws eks get-token uses

	name, groups := u.whoami(t)
	if name != user || !slices.Contains(groups, "system:authenticated") {
		t.Fatalf("whoami: %s %v, want %s with system:authenticated", name, groups, user)
	}
	wantOK(t, "get pods -n default", u.kubectl(t, "get", "pods", "-n", "default"), "No resources found in default namespace.")
	wantOK(t, "get pods -n kube-system (cluster scope)", u.kubectl(t, "get", "pods", "-n", "kube-system"), "No resources found in kube-system namespace.")
	wantFail(t, "create deployment", u.kubectl(t, "create", "deployment", "x", "--image=nginx", "-n", "default"),
		`deployments.apps is forbidden: `+forbidden(user, "create", "deployments", "apps", "default"))

	// Impersonating the same username (admin --as) is not an IAM-authenticated identity: the
	// access policy must not apply, RBAC alone decides.
	r := run(t, e.awsEnv(creds{}), "kubectl", "--kubeconfig", e.adminKubeconfig, "--cache-dir", e.kubeCache, "--as", user, "get", "pods", "-n", "default")
	wantFail(t, "admin --as "+user+" get pods", r, `Error from server (Forbidden): pods is forbidden: `+forbidden(user, "list", "pods", "", "default"))
}

// Scenario 2: AmazonEKSEditPolicy scoped to namespaces dev-*, with credentials from
// `aws sts assume-role` (AWS_SESSION_TOKEN) instead of get-token's --role-arn.
func TestEditPolicyNamespaceScope(t *testing.T) {
	e := system(t)
	t.Parallel()
	e.admin(t, "create", "namespace", "dev-a")
	e.admin(t, "create", "namespace", "prod")
	e.createEntry(t, mainCluster, editorRole)
	e.associate(t, mainCluster, editorRole, editPolicy, "dev-*")

	var assumed struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	out := e.aws(t, credsOf(roleUser), "sts", "assume-role", "--role-arn", editorRole, "--role-session-name", "dev-editor-session", "--output", "json")
	if err := json.Unmarshal([]byte(out), &assumed); err != nil || assumed.Credentials.SessionToken == "" {
		t.Fatalf("aws sts assume-role: %v\n%s", err, out)
	}
	c := creds{Key: assumed.Credentials.AccessKeyId, Secret: assumed.Credentials.SecretAccessKey, Session: assumed.Credentials.SessionToken}
	u := e.updateKubeconfig(t, c, mainCluster, "")
	user := stsUser("e2e-dev-editor", "dev-editor-session")

	wantOK(t, "create configmap -n dev-a", u.kubectl(t, "create", "configmap", "e2e-cm", "-n", "dev-a", "--from-literal=k=v"), "configmap/e2e-cm created")
	if got := e.admin(t, "get", "configmap", "e2e-cm", "-n", "dev-a", "-o", "jsonpath={.data.k}"); got != "v" {
		t.Fatalf("configmap data %q", got)
	}
	wantOK(t, "get configmaps -n dev-a", u.kubectl(t, "get", "configmaps", "e2e-cm", "-n", "dev-a"), "e2e-cm")
	wantFail(t, "create configmap -n prod", u.kubectl(t, "create", "configmap", "e2e-cm", "-n", "prod", "--from-literal=k=v"),
		`configmaps is forbidden: `+forbidden(user, "create", "configmaps", "", "prod"))
	wantFail(t, "get pods -n prod", u.kubectl(t, "get", "pods", "-n", "prod"),
		`Error from server (Forbidden): pods is forbidden: `+forbidden(user, "list", "pods", "", "prod"))
}

// Scenario 3: kubernetesGroups ["viewers"] and a RoleBinding to ClusterRole view in namespace
// team; no access policy. An IAM user (long-term keys), so the username is the user's ARN.
func TestKubernetesGroupsWithRBAC(t *testing.T) {
	e := system(t)
	t.Parallel()
	e.admin(t, "create", "namespace", "team")
	// ClusterRole view is an aggregated role; kube-controller-manager (not running here) fills
	// its rules from the roles labelled aggregate-to-view. Do its job once.
	var agg struct {
		Rules json.RawMessage `json:"rules"`
	}
	if err := json.Unmarshal([]byte(e.admin(t, "get", "clusterrole", "system:aggregate-to-view", "-o", "json")), &agg); err != nil || len(agg.Rules) < 10 {
		t.Fatalf("clusterrole system:aggregate-to-view: %v %s", err, agg.Rules)
	}
	e.admin(t, "patch", "clusterrole", "view", "--type=merge", "-p", `{"rules":`+string(agg.Rules)+`}`)
	e.admin(t, "create", "rolebinding", "e2e-viewers", "--clusterrole=view", "--group=viewers", "-n", "team")
	e.createEntry(t, mainCluster, rbacUser.ARN(), "viewers")
	u := e.updateKubeconfig(t, credsOf(rbacUser), mainCluster, "")

	name, groups := u.whoami(t)
	if name != rbacUser.ARN() || !slices.Contains(groups, "viewers") || !slices.Contains(groups, "system:authenticated") {
		t.Fatalf("whoami: %s %v, want %s with groups viewers and system:authenticated", name, groups, rbacUser.ARN())
	}
	wantOK(t, "get pods -n team", u.kubectl(t, "get", "pods", "-n", "team"), "No resources found in team namespace.")
	wantFail(t, "get pods -n default", u.kubectl(t, "get", "pods", "-n", "default"),
		`Error from server (Forbidden): pods is forbidden: `+forbidden(rbacUser.ARN(), "list", "pods", "", "default"))
	wantFail(t, "create configmap -n team", u.kubectl(t, "create", "configmap", "x", "-n", "team"),
		`configmaps is forbidden: `+forbidden(rbacUser.ARN(), "create", "configmaps", "", "team"))
}

// Scenario 4: DisassociateAccessPolicy takes effect once the apiserver's 1 s authorization
// cache expires.
func TestDisassociateRevokes(t *testing.T) {
	e := system(t)
	t.Parallel()
	e.createEntry(t, mainCluster, revokedRole)
	e.associate(t, mainCluster, revokedRole, viewPolicy)
	u := e.updateKubeconfig(t, credsOf(roleUser), mainCluster, revokedRole)
	user := stsUser("e2e-revoked", "EKSGetTokenAuth")
	wantOK(t, "get pods before disassociation", u.kubectl(t, "get", "pods", "-n", "default"), "No resources found in default namespace.")

	if _, err := e.eksAs(adminUser).DisassociateAccessPolicy(context.Background(), &eks.DisassociateAccessPolicyInput{
		ClusterName: aws.String(mainCluster), PrincipalArn: aws.String(revokedRole), PolicyArn: aws.String(viewPolicy),
	}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	want := `Error from server (Forbidden): pods is forbidden: ` + forbidden(user, "list", "pods", "", "default")
	for attempt := 1; ; attempt++ {
		r := u.kubectl(t, "get", "pods", "-n", "default")
		if r.Code != 0 && strings.Contains(r.Stderr, want) {
			t.Logf("access gone %s after DisassociateAccessPolicy (attempt %d): %s", time.Since(start).Round(time.Millisecond), attempt, strings.TrimSpace(r.Stderr))
			break
		}
		if r.Code != 0 {
			t.Fatalf("after disassociation, unexpected failure: %s", r)
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("still allowed %s after DisassociateAccessPolicy: %s", time.Since(start).Round(time.Millisecond), r)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Scenario 5: tokens kube-apiserver must refuse with 401.
func TestUnauthorized(t *testing.T) {
	e := system(t)
	t.Parallel()

	t.Run("token minted for another cluster", func(t *testing.T) {
		t.Parallel()
		// The principal has an entry with a view policy on both clusters: only the cluster
		// the token was minted for differs.
		for _, cl := range []string{mainCluster, otherCluster} {
			e.createEntry(t, cl, wrongUser.ARN())
			e.associate(t, cl, wrongUser.ARN(), viewPolicy)
		}
		good := e.getToken(t, credsOf(wrongUser), mainCluster)
		wantOK(t, "token for "+mainCluster, e.withToken(t, good, "get", "pods", "-n", "default"), "No resources found in default namespace.")
		bad := e.getToken(t, credsOf(wrongUser), otherCluster)
		wantFail(t, "token for "+otherCluster, e.withToken(t, bad, "get", "pods", "-n", "default"), unauthorized)
	})

	t.Run("expired token", func(t *testing.T) {
		t.Parallel()
		e.createEntry(t, mainCluster, oldUser.ARN())
		e.associate(t, mainCluster, oldUser.ARN(), viewPolicy)
		now := time.Now()
		// The same construction signed now must work, so that the old one fails for its age only.
		wantOK(t, "token signed now", e.withToken(t, e.presignToken(t, oldUser, mainCluster, now), "get", "pods", "-n", "default"), "No resources found in default namespace.")
		// STS honours a presigned GetCallerIdentity for 15 minutes after X-Amz-Date whatever
		// X-Amz-Expires says (aws-iam-authenticator relies on it: clients refresh after 14).
		wantOK(t, "token signed 5 minutes ago", e.withToken(t, e.presignToken(t, oldUser, mainCluster, now.Add(-5*time.Minute)), "get", "pods", "-n", "default"), "No resources found in default namespace.")
		wantFail(t, "token signed 20 minutes ago", e.withToken(t, e.presignToken(t, oldUser, mainCluster, now.Add(-20*time.Minute)), "get", "pods", "-n", "default"), unauthorized)
	})

	t.Run("principal without an access entry", func(t *testing.T) {
		t.Parallel()
		u := e.updateKubeconfig(t, credsOf(stranger), mainCluster, "")
		wantFail(t, "get pods", u.kubectl(t, "get", "pods", "-n", "default"), unauthorized)
		wantFail(t, "auth whoami", u.kubectl(t, "auth", "whoami"), unauthorized)
	})

	t.Run("malformed token", func(t *testing.T) {
		t.Parallel()
		wantFail(t, "garbage", e.withToken(t, "k8s-aws-v1.bm90LWEtdXJs", "get", "pods", "-n", "default"), unauthorized)
	})
}

// Scenario 6: a role with a path; the entry names the role with its path, while STS session
// ARNs (and so tokens) carry none.
func TestRoleWithPath(t *testing.T) {
	e := system(t)
	t.Parallel()
	e.createEntry(t, mainCluster, pathedRole)
	e.associate(t, mainCluster, pathedRole, viewPolicy)
	u := e.updateKubeconfig(t, credsOf(roleUser), mainCluster, pathedRole)
	user := stsUser("e2e-pathed", "EKSGetTokenAuth")

	if name, _ := u.whoami(t); name != user {
		t.Fatalf("whoami: %s, want %s", name, user)
	}
	wantOK(t, "get pods -n default", u.kubectl(t, "get", "pods", "-n", "default"), "No resources found in default namespace.")
	wantFail(t, "create configmap -n default", u.kubectl(t, "create", "configmap", "x", "-n", "default"),
		`configmaps is forbidden: `+forbidden(user, "create", "configmaps", "", "default"))
}

// The webhook paths, called directly the way kube-apiserver calls them: a client certificate
// is required; unknown tokens are not authenticated; identities eksaccess did not authenticate
// get no opinion (allowed false, no denied).
func TestWebhookProtocol(t *testing.T) {
	e := system(t)
	t.Parallel()
	base := e.eksURL + "/kubernetes/" + account + "/" + region + "/" + mainCluster
	post := func(c *http.Client, path, body string) (int, string, error) {
		resp, err := c.Post(base+path, "application/json", bytes.NewBufferString(body))
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	review := `{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","spec":{"token":"k8s-aws-v1.bm90LWEtdXJs","audiences":["https://kubernetes.default.svc.cluster.local"]}}`

	if code, body, err := post(e.httpClient(""), "/authenticate", review); err == nil && code/100 == 2 {
		t.Fatalf("TokenReview without a client certificate: %d %s", code, body)
	} else {
		t.Logf("without a client certificate: status %d err %v body %s", code, err, strings.TrimSpace(body))
	}
	// The admin certificate is kube-apiserver's CA's, not eksaccess's (`eksaccess certs`).
	if code, body, err := post(e.httpClient("admin"), "/authenticate", review); err == nil && code/100 == 2 {
		t.Fatalf("TokenReview with a client certificate of another CA: %d %s", code, body)
	} else {
		t.Logf("with a client certificate of another CA: status %d err %v", code, err)
	}

	wh := e.httpClient("webhook-client")
	code, body, err := post(wh, "/authenticate", review)
	if err != nil || code != 200 {
		t.Fatalf("TokenReview: %d %v %s", code, err, body)
	}
	var tr struct {
		Kind, APIVersion string
		Status           struct {
			Authenticated bool `json:"authenticated"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(body), &tr); err != nil || tr.Kind != "TokenReview" || tr.APIVersion != "authentication.k8s.io/v1" || tr.Status.Authenticated {
		t.Fatalf("TokenReview of a malformed token: %v %s", err, body)
	}

	sar := `{"kind":"SubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{"resourceAttributes":{"verb":"list","version":"v1","resource":"pods","namespace":"default"},"user":"system:kube-scheduler","groups":["system:authenticated"]}}`
	code, body, err = post(wh, "/authorize", sar)
	if err != nil || code != 200 {
		t.Fatalf("SubjectAccessReview: %d %v %s", code, err, body)
	}
	var sr struct {
		Kind   string
		Status map[string]any `json:"status"`
	}
	if err := json.Unmarshal([]byte(body), &sr); err != nil || sr.Kind != "SubjectAccessReview" || sr.Status["allowed"] != false || sr.Status["denied"] == true {
		t.Fatalf("SubjectAccessReview for a user eksaccess did not authenticate: want allowed false without denied: %v %s", err, body)
	}
}
