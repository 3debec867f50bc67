package server_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eksaccess/eksaccess/internal/policy"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// apCLI runs the installed aws-cli (v1) against one test server as account 012345678910.
type apCLI struct {
	t   *testing.T
	env []string
}

func apNewCLI(t *testing.T, s *testutil.Server) *apCLI {
	t.Helper()
	return &apCLI{t: t, env: testutil.NewAWSCLI(t, s.URL()).Env}
}

// in is the CLI for a subtest (failures go to it).
func (c *apCLI) in(t *testing.T) *apCLI { return &apCLI{t: t, env: c.env} }

// run returns stdout, stderr and the exit code of `aws <args> --output json`.
func (c *apCLI) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	stdout, stderr, code, err := testutil.RunAWS(c.env, append(args, "--output", "json")...)
	if err != nil {
		c.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return stdout, stderr, code
}

// ok runs a command that must succeed and decodes its JSON output (numbers kept as json.Number).
func (c *apCLI) ok(args ...string) map[string]any {
	c.t.Helper()
	stdout, stderr, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("aws %s: exit %d\nstderr: %s", strings.Join(args, " "), code, stderr)
	}
	if strings.TrimSpace(stdout) == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		c.t.Fatalf("aws %s: output is not a JSON object: %v\n%s", strings.Join(args, " "), err, stdout)
	}
	return m
}

func apKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func apObj(t *testing.T, v any, what string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: want a JSON object, got %T %v", what, v, v)
	}
	return m
}

func apList(t *testing.T, v any, what string) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%s: want a JSON array, got %T %v", what, v, v)
	}
	return l
}

// apEpoch checks that v is an epoch-seconds JSON number near now and returns it.
func apEpoch(t *testing.T, v any, what string) json.Number {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s: want an epoch-seconds number, got %T %v", what, v, v)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if d := time.Since(time.UnixMilli(int64(f * 1000))); d < -time.Minute || d > time.Minute {
		t.Fatalf("%s = %s is not around now", what, n)
	}
	if i := strings.IndexByte(string(n), '.'); i >= 0 && len(n)-i-1 > 3 {
		t.Fatalf("%s = %s has more than millisecond precision", what, n)
	}
	return n
}

func TestAWSCLIAccessPolicies(t *testing.T) {
	t.Parallel()
	s := testutil.Start(t)
	cli := apNewCLI(t, s)
	const (
		role   = "arn:aws:iam::012345678910:role/my-role"
		admin  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
		edit   = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
		prefix = "arn:aws:eks::aws:cluster-access-policy/"
	)

	cli.ok("eks", "create-cluster", "--name", "my-cluster", "--role-arn", "arn:aws:iam::012345678910:role/eks",
		"--resources-vpc-config", "subnetIds=subnet-1", "--access-config", "authenticationMode=API")
	cli.ok("eks", "create-access-entry", "--cluster-name", "my-cluster", "--principal-arn", role)

	// The AssociateAccessPolicy sample of the API reference.
	out := cli.ok("eks", "associate-access-policy", "--cluster-name", "my-cluster", "--principal-arn", role,
		"--policy-arn", admin, "--access-scope", "type=cluster")
	if got := apKeys(out); !slices.Equal(got, []string{"associatedAccessPolicy", "clusterName", "principalArn"}) {
		t.Fatalf("associate-access-policy keys %v", got)
	}
	if out["clusterName"] != "my-cluster" || out["principalArn"] != role {
		t.Fatalf("clusterName/principalArn = %v/%v", out["clusterName"], out["principalArn"])
	}
	aap := apObj(t, out["associatedAccessPolicy"], "associatedAccessPolicy")
	if got := apKeys(aap); !slices.Equal(got, []string{"accessScope", "associatedAt", "modifiedAt", "policyArn"}) {
		t.Fatalf("associatedAccessPolicy keys %v", got)
	}
	if aap["policyArn"] != admin {
		t.Fatalf("policyArn %v", aap["policyArn"])
	}
	scope := apObj(t, aap["accessScope"], "accessScope")
	if got := apKeys(scope); !slices.Equal(got, []string{"namespaces", "type"}) {
		t.Fatalf("accessScope keys %v", got)
	}
	if scope["type"] != "cluster" || len(apList(t, scope["namespaces"], "namespaces")) != 0 {
		t.Fatalf("accessScope %v, want {type: cluster, namespaces: []}", scope)
	}
	if at, mod := apEpoch(t, aap["associatedAt"], "associatedAt"), apEpoch(t, aap["modifiedAt"], "modifiedAt"); at != mod {
		t.Fatalf("associatedAt %s != modifiedAt %s", at, mod)
	}

	// list-access-policies: 33, sorted, the catalogue. --page-size makes the CLI page through the server.
	t.Run("list-access-policies", func(t *testing.T) { apCatalogue(t, cli, prefix) })

	// Namespace scope with the CLI shorthand list syntax.
	out = cli.ok("eks", "associate-access-policy", "--cluster-name", "my-cluster", "--principal-arn", role,
		"--policy-arn", edit, "--access-scope", "type=namespace,namespaces=dev-*,staging")
	scope = apObj(t, apObj(t, out["associatedAccessPolicy"], "associatedAccessPolicy")["accessScope"], "accessScope")
	ns := apList(t, scope["namespaces"], "namespaces")
	if scope["type"] != "namespace" || len(ns) != 2 || !slices.Contains(ns, any("dev-*")) || !slices.Contains(ns, any("staging")) {
		t.Fatalf("namespace scope %v", scope)
	}

	la := cli.ok("eks", "list-associated-access-policies", "--cluster-name", "my-cluster", "--principal-arn", role)
	if la["clusterName"] != "my-cluster" || la["principalArn"] != role {
		t.Fatalf("list-associated-access-policies echo: %v", la)
	}
	assoc := apList(t, la["associatedAccessPolicies"], "associatedAccessPolicies")
	if len(assoc) != 2 {
		t.Fatalf("want 2 associations, got %v", assoc)
	}
	first, second := apObj(t, assoc[0], "association"), apObj(t, assoc[1], "association")
	if first["policyArn"] != admin || second["policyArn"] != edit {
		t.Fatalf("associations not ordered by ARN: %v, %v", first["policyArn"], second["policyArn"])
	}
	if apObj(t, first["accessScope"], "scope")["type"] != "cluster" || apObj(t, second["accessScope"], "scope")["type"] != "namespace" {
		t.Fatalf("scopes: %v / %v", first["accessScope"], second["accessScope"])
	}
	apEpoch(t, first["associatedAt"], "listed associatedAt")

	le := cli.ok("eks", "list-access-entries", "--cluster-name", "my-cluster", "--associated-policy-arn", admin)
	if got := apList(t, le["accessEntries"], "accessEntries"); len(got) != 1 || got[0] != role {
		t.Fatalf("list-access-entries --associated-policy-arn: %v", got)
	}

	// The DisassociateAccessPolicy sample: 200 with {} — the CLI prints nothing.
	stdout, stderr, code := cli.run("eks", "disassociate-access-policy", "--cluster-name", "my-cluster", "--principal-arn", role, "--policy-arn", admin)
	if code != 0 || strings.TrimSpace(stdout) != "" {
		t.Fatalf("disassociate-access-policy: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	le = cli.ok("eks", "list-access-entries", "--cluster-name", "my-cluster", "--associated-policy-arn", admin)
	if got := apList(t, le["accessEntries"], "accessEntries"); len(got) != 0 {
		t.Fatalf("entry still listed for the disassociated policy: %v", got)
	}
	la = cli.ok("eks", "list-associated-access-policies", "--cluster-name", "my-cluster", "--principal-arn", role)
	if assoc := apList(t, la["associatedAccessPolicies"], "associatedAccessPolicies"); len(assoc) != 1 || apObj(t, assoc[0], "association")["policyArn"] != edit {
		t.Fatalf("after disassociation: %v", assoc)
	}

	// Disassociating again: the CLI reports the 404.
	_, stderr, code = cli.run("eks", "disassociate-access-policy", "--cluster-name", "my-cluster", "--principal-arn", role, "--policy-arn", admin)
	if code == 0 || !strings.Contains(stderr, "(ResourceNotFoundException)") || !strings.Contains(stderr, "DisassociateAccessPolicy") {
		t.Fatalf("second disassociate-access-policy: exit %d, stderr %q", code, stderr)
	}
}

func TestAWSCLIAccessPolicyErrors(t *testing.T) {
	t.Parallel()
	s := testutil.Start(t)
	cli := apNewCLI(t, s)
	const role = "arn:aws:iam::012345678910:role/my-role"

	cli.ok("eks", "create-cluster", "--name", "cli-errors", "--role-arn", "arn:aws:iam::012345678910:role/eks",
		"--resources-vpc-config", "subnetIds=subnet-1", "--access-config", "authenticationMode=API")

	cases := []struct {
		args []string
		want []string
	}{
		{
			args: []string{"eks", "associate-access-policy", "--cluster-name", "cli-errors", "--principal-arn", role,
				"--policy-arn", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy", "--access-scope", "type=cluster"},
			want: []string{"(ResourceNotFoundException)", "AssociateAccessPolicy", apMsgEntryNotFound},
		},
		{
			args: []string{"eks", "associate-access-policy", "--cluster-name", "no-such-cluster", "--principal-arn", role,
				"--policy-arn", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy", "--access-scope", "type=cluster"},
			want: []string{"(ResourceNotFoundException)", "No cluster found for name: no-such-cluster."},
		},
		{
			args: []string{"eks", "list-associated-access-policies", "--cluster-name", "cli-errors", "--principal-arn", role},
			want: []string{"(ResourceNotFoundException)", "ListAssociatedAccessPolicies", apMsgEntryNotFound},
		},
	}
	// Independent calls on the same state run at once: each aws-cli process spends most of
	// its time starting Python.
	t.Run("before the entry exists", func(t *testing.T) {
		for i, tc := range cases {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				stdout, stderr, code := cli.in(t).run(tc.args...)
				if code == 0 {
					t.Fatalf("aws %s succeeded: %s", strings.Join(tc.args, " "), stdout)
				}
				for _, w := range tc.want {
					if !strings.Contains(stderr, w) {
						t.Fatalf("aws %s: stderr %q lacks %q", strings.Join(tc.args, " "), stderr, w)
					}
				}
			})
		}
	})

	cli.ok("eks", "create-access-entry", "--cluster-name", "cli-errors", "--principal-arn", role)
	t.Run("association errors", func(t *testing.T) { apAssociationErrors(t, cli, role) })
	la := cli.ok("eks", "list-associated-access-policies", "--cluster-name", "cli-errors", "--principal-arn", role)
	if assoc := apList(t, la["associatedAccessPolicies"], "associatedAccessPolicies"); len(assoc) != 0 {
		t.Fatalf("refused associations were stored: %v", assoc)
	}
}

// apAssociationErrors runs the refused associations at once.
func apAssociationErrors(t *testing.T, cli *apCLI, role string) {
	for _, tc := range []struct{ policyArn, scope, code, msg string }{
		{"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicyy", "type=cluster", "(ResourceNotFoundException)", apMsgPolicyNotFound},
		{"arn:aws:iam::aws:policy/AdministratorAccess", "type=cluster", "(InvalidParameterException)", apMsgPolicyFormat},
		{"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "type=namespace", "(InvalidParameterException)", apMsgScopeNeedNS},
		{"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "type=cluster,namespaces=dev", "(InvalidParameterException)", apMsgScopeClusterNS},
	} {
		t.Run("refused "+tc.scope+" "+tc.policyArn, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := cli.in(t).run("eks", "associate-access-policy", "--cluster-name", "cli-errors", "--principal-arn", role,
				"--policy-arn", tc.policyArn, "--access-scope", tc.scope)
			if code == 0 || !strings.Contains(stderr, tc.code) || !strings.Contains(stderr, tc.msg) {
				t.Fatalf("associate %s %s: exit %d, stderr %q (want %s %s)", tc.policyArn, tc.scope, code, stderr, tc.code, tc.msg)
			}
		})
	}
}

// apCatalogue lists the catalogue with and without paging, at once.
func apCatalogue(t *testing.T, cli *apCLI, prefix string) {
	for _, extra := range [][]string{nil, {"--page-size", "10"}} {
		t.Run(strings.Join(append([]string{"pages"}, extra...), " "), func(t *testing.T) {
			t.Parallel()
			apCataloguePage(t, cli.in(t), prefix, extra)
		})
	}
}

func apCataloguePage(t *testing.T, cli *apCLI, prefix string, extra []string) {
	{
		lp := cli.ok(append([]string{"eks", "list-access-policies"}, extra...)...)
		if _, ok := lp["nextToken"]; ok {
			t.Fatalf("aws-cli auto-pagination left a nextToken: %v", lp["nextToken"])
		}
		pols := apList(t, lp["accessPolicies"], "accessPolicies")
		if len(pols) != 33 {
			t.Fatalf("list-access-policies %v: %d policies", extra, len(pols))
		}
		var names []string
		for i, p := range pols {
			m := apObj(t, p, "access policy")
			name, _ := m["name"].(string)
			if got := apKeys(m); !slices.Equal(got, []string{"arn", "name"}) || m["arn"] != prefix+name || name != policy.List()[i].Name {
				t.Fatalf("policy %d: %v", i, m)
			}
			names = append(names, name)
		}
		if !slices.IsSorted(names) {
			t.Fatalf("not sorted: %v", names)
		}
	}
}
