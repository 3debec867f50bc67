//go:build e2e

package kube_test

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	testcreds "github.com/eksaccess/eksaccess/internal/testutil/creds"
)

// waitUpdate polls DescribeUpdate until the update is no longer InProgress; it must succeed.
func (e *env) waitUpdate(t *testing.T, cluster, id string) {
	t.Helper()
	c := e.eksAs(adminUser)
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := c.DescribeUpdate(context.Background(), &eks.DescribeUpdateInput{Name: aws.String(cluster), UpdateId: aws.String(id)})
		if err != nil {
			t.Fatalf("DescribeUpdate %s: %v", id, err)
		}
		switch out.Update.Status {
		case ekstypes.UpdateStatusSuccessful:
			return
		case ekstypes.UpdateStatusInProgress:
		default:
			t.Fatalf("update %s of %s ended %s: %+v", id, cluster, out.Update.Status, out.Update.Errors)
		}
		if time.Now().After(deadline) {
			t.Fatalf("update %s of %s still InProgress", id, cluster)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// eventually retries a kubectl run until check passes (watches and caches settle), up to 15 s.
func eventually(t *testing.T, what string, do func() result, check func(result) bool) result {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := do()
		if check(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s", what, r)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Scenario: an OIDC user bound by a RoleBinding lists pods with a JWT of an identity provider
// config associated through the EKS API, and gets 401 once DisassociateIdentityProviderConfig
// completes.
func TestOIDCUserWithRoleBinding(t *testing.T) {
	e := system(t)
	t.Parallel()
	cert, err := tls.LoadX509KeyPair(e.pki["eksaccess.crt"], e.pki["eksaccess.key"]) // 127.0.0.1, signed by the test CA
	if err != nil {
		t.Fatal(err)
	}
	iss := testcreds.NewOIDCIssuer(t, cert)
	admin := e.eksAs(adminUser)
	ctx := context.Background()
	out, err := admin.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: aws.String(mainCluster),
		Oidc: &ekstypes.OidcIdentityProviderConfigRequest{IdentityProviderConfigName: aws.String("e2e-oidc"), IssuerUrl: aws.String(iss.URL),
			ClientId: aws.String("kubernetes"), UsernamePrefix: aws.String("oidc:"), GroupsClaim: aws.String("groups"), GroupsPrefix: aws.String("oidc:")}})
	if err != nil {
		t.Fatal(err)
	}
	e.waitUpdate(t, mainCluster, *out.Update.Id)
	e.admin(t, "create", "namespace", "oidc-team")
	// ClusterRole view is aggregated and stays empty without kube-controller-manager: a role of our own.
	e.admin(t, "create", "clusterrole", "e2e-oidc-pod-reader", "--verb=get,list,watch", "--resource=pods")
	e.admin(t, "create", "rolebinding", "oidc-jane-pods", "--clusterrole=e2e-oidc-pod-reader", "--user=oidc:jane", "-n", "oidc-team")

	token := iss.Token(t, map[string]any{"sub": "jane", "aud": "kubernetes", "groups": []string{"devs"}})
	eventually(t, "OIDC user get pods -n oidc-team (RBAC informer catching up)", func() result { return e.withToken(t, token, "get", "pods", "-n", "oidc-team") },
		func(r result) bool {
			return r.Code == 0 && strings.Contains(r.Stdout+r.Stderr, "No resources found in oidc-team namespace.")
		})
	if name, groups := parseWhoami(t, e.withToken(t, token, "auth", "whoami", "-o", "json")); name != "oidc:jane" || !slices.Contains(groups, "oidc:devs") {
		t.Fatalf("whoami: %s %v", name, groups)
	}
	// RBAC alone decides for OIDC users: the binding is namespaced.
	wantFail(t, "OIDC user get pods -n default", e.withToken(t, token, "get", "pods", "-n", "default"),
		`pods is forbidden: `+forbidden("oidc:jane", "list", "pods", "", "default"))

	out2, err := admin.DisassociateIdentityProviderConfig(ctx, &eks.DisassociateIdentityProviderConfigInput{ClusterName: aws.String(mainCluster),
		IdentityProviderConfig: &ekstypes.IdentityProviderConfig{Type: aws.String("oidc"), Name: aws.String("e2e-oidc")}})
	if err != nil {
		t.Fatal(err)
	}
	e.waitUpdate(t, mainCluster, *out2.Update.Id)
	// A new token (kube-apiserver caches a successful review of the same token for 10 s).
	token = iss.Token(t, map[string]any{"sub": "jane", "aud": "kubernetes", "groups": []string{"devs"}, "jti": "after-disassociation"})
	wantFail(t, "OIDC user after disassociation", e.withToken(t, token, "get", "pods", "-n", "oidc-team"), unauthorized)
}

// Scenario: in an API_AND_CONFIG_MAP cluster, a role mapped by kube-system/aws-auth (watched
// by eksaccess on the cluster's kube-apiserver) works through `aws eks get-token`; malformed
// aws-auth data keeps the last good mapping; after the switch to API the role is refused.
func TestAWSAuthRoleUntilSwitchToAPI(t *testing.T) {
	e := system(t)
	t.Parallel()
	manifest := func(mapRoles string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  mapRoles: |\n" + mapRoles
	}
	good := "    - rolearn: " + pathedRole + "\n      username: cm-ops:{{SessionName}}\n      groups: [cm-viewers]\n"
	apply := func(m string) {
		f := filepath.Join(t.TempDir(), "aws-auth.yaml")
		if err := os.WriteFile(f, []byte(m), 0o600); err != nil {
			t.Fatal(err)
		}
		e.adminAt(t, e.cmAdminKubeconfig, "apply", "-f", f)
	}
	e.adminAt(t, e.cmAdminKubeconfig, "create", "clusterrole", "e2e-pod-reader", "--verb=get,list,watch", "--resource=pods")
	e.adminAt(t, e.cmAdminKubeconfig, "create", "clusterrolebinding", "cm-viewers-pods", "--clusterrole=e2e-pod-reader", "--group=cm-viewers")
	apply(manifest(good))

	u := e.updateKubeconfig(t, credsOf(roleUser), cmCluster, pathedRole)
	eventually(t, "aws-auth-mapped role lists pods", func() result { return u.kubectl(t, "get", "pods", "-n", "default") },
		func(r result) bool { return r.Code == 0 })
	name, groups := u.whoami(t)
	if name != "cm-ops:EKSGetTokenAuth" || !slices.Contains(groups, "cm-viewers") {
		t.Fatalf("whoami: %s %v", name, groups)
	}

	// Malformed mapRoles: reported by eksaccess, the last good mapping stays in force.
	apply(manifest("    - rolearn: [unclosed\n"))
	time.Sleep(time.Second) // the watch delivers the change well within this
	wantOK(t, "after a malformed aws-auth edit", u.kubectl(t, "get", "pods", "-n", "default"), "No resources found in default namespace.")
	if b, _ := os.ReadFile(filepath.Join(e.logs, "eksaccess.log")); !strings.Contains(string(b), "aws-auth ConfigMap is invalid") {
		t.Error("eksaccess did not report the malformed aws-auth")
	}

	// The switch to API: aws-auth no longer applies.
	out, err := e.eksAs(adminUser).UpdateClusterConfig(context.Background(), &eks.UpdateClusterConfigInput{Name: aws.String(cmCluster),
		AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi}})
	if err != nil {
		t.Fatal(err)
	}
	e.waitUpdate(t, cmCluster, *out.Update.Id)
	wantFail(t, "aws-auth-mapped role after the switch to API", u.kubectl(t, "get", "pods", "-n", "default"), unauthorized)
}
