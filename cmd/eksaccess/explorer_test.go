package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/explain"
	"github.com/eksaccess/eksaccess/internal/kubesource"
	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const explorerIdentities = `
accounts:
  - id: "012345678910"
    users:
      - name: carol
        accessKeys: [{id: AKIACAROLEXAMPLE0001, secret: carol-secret}]
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["eks:*", "eksaccess:*"], Resource: "*"}]}
      - name: dave
        accessKeys: [{id: AKIADAVEEXAMPLE00001, secret: dave-secret}]
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["eks:*"], Resource: "*"},
              {Effect: Allow, Action: ["eksaccess:ExplainAccess"], Resource: "arn:aws:eks:us-west-2:012345678910:cluster/c1"}]}
    roles:
      - name: dev
        trust: ["arn:aws:iam::012345678910:user/carol"]
        policies: []
      - name: ops
        trust: ["arn:aws:iam::012345678910:user/carol"]
        policies: []
`

const (
	xDevARN = "arn:aws:iam::012345678910:role/dev"
	xOpsARN = "arn:aws:iam::012345678910:role/ops"
)

// explorerFixture creates cluster c1 with two access entries and a static RBAC source:
// role dev has AmazonEKSEditPolicy in namespace prod; role ops is in group "ops", which a
// ClusterRoleBinding binds to a ClusterRole that may delete secrets.
func explorerFixture(t *testing.T, s *testutil.Server, c *eks.Client) {
	t.Helper()
	ctx := testutil.Ctx(t)
	_, err := c.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("c1"), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
		AccessConfig:       &types.CreateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range []string{xDevARN, xOpsARN} {
		in := &eks.CreateAccessEntryInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String(arn)}
		if arn == xOpsARN {
			in.KubernetesGroups = []string{"ops"}
		}
		if _, err := c.CreateAccessEntry(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String(xDevARN),
		PolicyArn:   aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"),
		AccessScope: &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"prod"}}}); err != nil {
		t.Fatal(err)
	}
	rb := kubesource.Build(kubesource.Objects{
		ClusterRoles: []*rbacv1.ClusterRole{{ObjectMeta: metav1.ObjectMeta{Name: "secret-deleter"},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"get", "delete"}, APIGroups: []string{""}, Resources: []string{"secrets"}}}}},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{{ObjectMeta: metav1.ObjectMeta{Name: "ops-secrets"},
			RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: "secret-deleter"},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "ops"}}}},
	})
	s.KubeSources().Put(kubesource.NewStatic(access.ClusterKey{Account: testutil.DefaultAccount, Region: testutil.DefaultRegion, Name: "c1"}, rb, nil))
}

func cli(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func cliEnv(s *testutil.Server, key, secret string) []string {
	return []string{"AWS_ACCESS_KEY_ID=" + key, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_REGION=" + testutil.DefaultRegion,
		"AWS_ENDPOINT_URL=" + s.URL(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
}

func TestExplorerCLIOpen(t *testing.T) {
	s := testutil.Start(t)
	explorerFixture(t, s, s.EKS())
	env := cliEnv(s, testutil.DefaultAccount, "x")

	// explain: dev may delete pods in prod by its access policy, not in dev.
	out, errOut, code := cli(t, env, "explain", "--cluster", "c1", "--principal", xDevARN, "--verb", "delete", "--resource", "pods", "--namespace", "prod", "-o", "json")
	if code != 0 {
		t.Fatalf("explain: exit %d: %s", code, errOut)
	}
	var e explain.Explanation
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatal(err)
	}
	if !e.Allowed || e.DecidedBy != "Webhook" || len(e.Policies) != 1 || !e.Policies[0].ScopeMatches || !e.Policies[0].Grants || !e.RBACConsulted {
		t.Fatalf("explain delete pods in prod: %+v", e)
	}
	out, _, _ = cli(t, env, "explain", "--cluster", "c1", "--principal", xDevARN, "--verb", "delete", "--resource", "pods", "--namespace", "prod")
	t.Logf("explain:\n%s", out)
	out, _, code = cli(t, env, "explain", "--cluster", "c1", "--principal", xDevARN, "--verb", "delete", "--resource", "pods", "--namespace", "dev")
	if code != 0 || !strings.HasPrefix(out, "DENIED: ") || !strings.Contains(out, `does not cover namespace "dev"`) {
		t.Fatalf("explain delete pods in dev (exit %d):\n%s", code, out)
	}
	// ops may delete secrets by RBAC (its group); a session ARN of ops maps the same.
	out, _, code = cli(t, env, "explain", "--cluster", "c1", "--principal", "arn:aws:sts::012345678910:assumed-role/ops/s1", "--verb", "delete", "--resource", "secrets", "--namespace", "prod")
	if code != 0 || !strings.HasPrefix(out, "ALLOWED: allowed by ClusterRoleBinding/ops-secrets → ClusterRole/secret-deleter rule 0 (Group ops)") {
		t.Fatalf("explain ops delete secrets (exit %d):\n%s", code, out)
	}

	// who-can delete secrets in prod: ops (RBAC), dev (AmazonEKSEditPolicy lacks secrets delete? it has it) and the groups.
	out, errOut, code = cli(t, env, "who-can", "--cluster", "c1", "delete", "secrets", "--namespace", "prod", "-o", "json")
	if code != 0 {
		t.Fatalf("who-can: exit %d: %s", code, errOut)
	}
	var w explain.WhoCanResult
	if err := json.Unmarshal([]byte(out), &w); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, p := range w.Principals {
		names[p.Kind+" "+p.Name] = true
	}
	if !names["IAMPrincipal "+xOpsARN] || !names["Group ops"] || !names["Group system:masters"] {
		t.Fatalf("who-can delete secrets in prod: %v", names)
	}
	// Each who-can answer agrees with explain for the principals of the fixture.
	for _, arn := range []string{xDevARN, xOpsARN} {
		x, err := s.Explainer().Explain(testutil.Ctx(t), access.ClusterKey{Account: testutil.DefaultAccount, Region: testutil.DefaultRegion, Name: "c1"},
			explain.ExplainQuery{Subject: explain.Subject{PrincipalARN: arn}, Request: explain.Request{Verb: "delete", Resource: "secrets", Namespace: "prod"}})
		if err != nil {
			t.Fatal(err)
		}
		if x.Allowed != names["IAMPrincipal "+arn] {
			t.Errorf("%s: explain allowed=%v, who-can lists it=%v", arn, x.Allowed, names["IAMPrincipal "+arn])
		}
	}
	out, _, code = cli(t, env, "who-can", "--cluster", "c1", "get", "secrets", "db-password", "-n", "prod", "-o", "json")
	var named explain.WhoCanResult
	if err := json.Unmarshal([]byte(out), &named); err != nil || code != 0 || named.Request.Name != "db-password" || named.Description != `get secrets "db-password" in namespace "prod"` {
		t.Fatalf("who-can VERB RESOURCE NAME (exit %d): %v %+v", code, err, named.Request)
	}
	table, _, code := cli(t, env, "who-can", "--cluster", "c1", "delete", "secrets", "--namespace", "prod")
	t.Logf("who-can:\n%s", table)
	if code != 0 || !strings.Contains(table, "KIND") || !strings.Contains(table, xOpsARN) {
		t.Fatalf("who-can table (exit %d):\n%s", code, table)
	}

	// access-matrix of dev in prod: pods deletable, cluster-scoped rows left out.
	out, _, code = cli(t, env, "access-matrix", "--cluster", "c1", "--principal", xDevARN, "--namespace", "prod", "-o", "json")
	var m explain.Matrix
	if err := json.Unmarshal([]byte(out), &m); err != nil || code != 0 {
		t.Fatalf("access-matrix (exit %d): %v\n%s", code, err, out)
	}
	found := false
	for _, row := range m.Rows {
		if !row.Namespaced {
			t.Errorf("cluster-scoped row %s in a namespace matrix", row.Resource)
		}
		if row.Resource == "pods" {
			found = true
			for _, c := range row.Cells {
				if !c.Allowed || !strings.Contains(c.By, "AmazonEKSEditPolicy") {
					t.Errorf("pods %s: %+v", c.Verb, c)
				}
			}
		}
	}
	if !found {
		t.Fatal("no pods row")
	}
	table, _, _ = cli(t, env, "access-matrix", "--cluster", "c1", "--principal", xDevARN, "--namespace", "prod")
	t.Logf("access-matrix:\n%s", table)

	// Bad input: one line, non-zero exit, the AWS error type.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explain", "--cluster", "nope", "--principal", xDevARN, "--verb", "get", "--resource", "pods"}, "ResourceNotFoundException: No cluster found for name: nope."},
		{[]string{"explain", "--cluster", "c1", "--principal", "arn:aws:iam::1:role/x", "--verb", "get", "--resource", "pods"}, "InvalidParameterException: "},
		{[]string{"explain", "--cluster", "c1", "--principal", xDevARN, "--verb", "GET!", "--resource", "pods"}, "InvalidParameterException: The verb"},
		{[]string{"who-can", "--cluster", "c1", "get", "pods", "--namespace", "Not_A_Namespace"}, "InvalidParameterException: The namespace"},
		{[]string{"who-can", "get", "pods"}, "--cluster is required"},
	} {
		_, errOut, code := cli(t, env, tc.args...)
		if code == 0 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want one line with %q", tc.args, code, errOut, tc.want)
		}
	}
	if _, _, code := cli(t, env, "explain", "--help"); code != 0 {
		t.Errorf("explain --help: exit %d", code)
	}
}

func TestExplorerCLISigV4(t *testing.T) {
	path := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(path, []byte(explorerIdentities), 0o600); err != nil {
		t.Fatal(err)
	}
	s := testutil.Start(t, testutil.Options{Mutate: func(c *server.Config) { c.Auth, c.Identities = server.AuthSigV4, path }})
	explorerFixture(t, s, eks.NewFromConfig(s.AWSConfig("AKIACAROLEXAMPLE0001", "carol-secret", testutil.DefaultRegion)))
	carol := cliEnv(s, "AKIACAROLEXAMPLE0001", "carol-secret")
	dave := cliEnv(s, "AKIADAVEEXAMPLE00001", "dave-secret")
	if out, errOut, code := cli(t, carol, "who-can", "--cluster", "c1", "delete", "secrets", "-n", "prod"); code != 0 || !strings.Contains(out, xOpsARN) {
		t.Fatalf("carol who-can: exit %d %s\n%s", code, errOut, out)
	}
	if out, errOut, code := cli(t, dave, "explain", "--cluster", "c1", "--principal", xDevARN, "--verb", "get", "--resource", "pods", "-n", "prod"); code != 0 || !strings.HasPrefix(out, "ALLOWED") {
		t.Fatalf("dave explain (allowed by eksaccess:ExplainAccess): exit %d %s\n%s", code, errOut, out)
	}
	_, errOut, code := cli(t, dave, "who-can", "--cluster", "c1", "delete", "secrets", "-n", "prod")
	if code == 0 || !strings.Contains(errOut, "AccessDeniedException") || !strings.Contains(errOut, "eksaccess:WhoCan") {
		t.Fatalf("dave who-can: exit %d, stderr %q; want AccessDeniedException for eksaccess:WhoCan", code, errOut)
	}
	_, errOut, code = cli(t, []string{"AWS_ACCESS_KEY_ID=AKIADAVEEXAMPLE00001", "AWS_SECRET_ACCESS_KEY=wrong", "AWS_REGION=" + testutil.DefaultRegion,
		"AWS_ENDPOINT_URL=" + s.URL(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}, "access-matrix", "--cluster", "c1", "--principal", xDevARN)
	if code == 0 || !strings.Contains(errOut, "InvalidSignatureException") {
		t.Fatalf("bad secret: exit %d, stderr %q", code, errOut)
	}
}
