package explain_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/explain"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/eksaccess/eksaccess/internal/kubesource"
	"github.com/eksaccess/eksaccess/internal/store/sqlite"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Explain, WhoCan and AccessMatrix are three views of one evaluator: for every subject and
// request, explain's verdict, the matrix cell and the who-can listing agree.
func TestThreeViewsAgree(t *testing.T) {
	x := bigCluster(t, 200, 10)
	ctx := context.Background()
	subjects := []explain.Subject{
		{PrincipalARN: "arn:aws:iam::012345678910:role/r-0"},            // group ops → secrets via ClusterRoleBinding
		{PrincipalARN: "arn:aws:sts::012345678910:assumed-role/r-1/s1"}, // AmazonEKSEditPolicy, cluster scope
		{PrincipalARN: "arn:aws:iam::012345678910:role/r-2"},            // AmazonEKSViewPolicy in team-2
		{PrincipalARN: "arn:aws:iam::012345678910:role/r-5"},            // nothing
		{PrincipalARN: "arn:aws:iam::012345678910:role/no-entry"},       // not mapped
		{User: "u-3"}, // RoleBinding user subject in ns-3
		{User: "oidc:jane", Groups: []string{"team-4"}},     // RoleBinding group subject in ns-4
		{User: "admin", Groups: []string{"system:masters"}}, // everything
	}
	namespaces := []string{"team-2", "ns-3", "ns-4", ""}
	checked := 0
	for _, ns := range namespaces {
		for _, res := range []string{"pods", "secrets", "deployments.apps", "configmaps", "nodes"} {
			for _, verb := range explain.MatrixVerbs {
				who, err := x.WhoCan(ctx, key, explain.WhoCanQuery{Request: explain.Request{Verb: verb, Resource: res, Namespace: ns}})
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range subjects {
					e, err := x.Explain(ctx, key, explain.ExplainQuery{Subject: s, Request: explain.Request{Verb: verb, Resource: res, Namespace: ns}})
					if err != nil {
						t.Fatal(err)
					}
					if listed := listedIn(who, e.Identity, s); listed != e.Allowed {
						t.Errorf("%v %s %s ns=%q: explain %v (%s), who-can lists it %v", s, verb, res, ns, e.Allowed, e.Reason, listed)
					}
					checked++
				}
			}
		}
	}
	for _, s := range subjects {
		for _, ns := range namespaces {
			m, err := x.AccessMatrix(ctx, key, explain.MatrixQuery{Subject: s, Namespace: ns})
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range m.Rows {
				res := row.Resource
				if row.APIGroup != "" {
					res += "." + row.APIGroup
				}
				for _, c := range row.Cells {
					e, err := x.Explain(ctx, key, explain.ExplainQuery{Subject: s, Request: explain.Request{Verb: c.Verb, Resource: res, Namespace: ns}})
					if err != nil {
						t.Fatal(err)
					}
					if e.Allowed != c.Allowed || c.Allowed && c.By != strings.TrimPrefix(e.Reason, "allowed by ") {
						t.Errorf("%v %s %s ns=%q: matrix %v %q, explain %v %q", s, c.Verb, res, ns, c.Allowed, c.By, e.Allowed, e.Reason)
					}
					checked++
				}
			}
		}
	}
	t.Logf("%d (subject, request) pairs agree", checked)
}

func listedIn(w *explain.WhoCanResult, id explain.Identity, s explain.Subject) bool {
	for _, p := range w.Principals {
		switch p.Kind {
		case "IAMPrincipal":
			if id.AccessEntry != nil && p.Name == id.AccessEntry.PrincipalARN {
				return true
			}
		case "Group":
			if id.Mapped && slices.Contains(id.Groups, p.Name) {
				return true
			}
		case "User":
			if id.Mapped && p.Name == id.Username {
				return true
			}
		}
	}
	return false
}

func TestExplainChain(t *testing.T) {
	x := bigCluster(t, 20, 5)
	ctx := context.Background()
	e, err := x.Explain(ctx, key, explain.ExplainQuery{Subject: explain.Subject{PrincipalARN: "arn:aws:sts::012345678910:assumed-role/r-2/alice"},
		Request: explain.Request{Verb: "delete", Resource: "pods", Namespace: "team-2"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Allowed || e.Identity.Via != "access-entry" || e.Identity.Username != "arn:aws:sts::012345678910:assumed-role/r-2/alice" ||
		!slices.Contains(e.Identity.Groups, "system:authenticated") || len(e.Policies) != 1 {
		t.Fatalf("explain: %+v", e)
	}
	pm := e.Policies[0]
	if pm.PolicyName != "AmazonEKSViewPolicy" || !pm.ScopeMatches || pm.MatchedPattern != "team-2" || pm.RuleMatches || pm.Grants {
		t.Fatalf("policy match: %+v", pm)
	}
	if names := authorizers(e); names != "Node:no-opinion RBAC:no-opinion Webhook:no-opinion" {
		t.Fatalf("authorizers: %s", names)
	}
	// A group bound by a RoleBinding in another namespace: listed, does not grant, says why.
	e, err = x.Explain(ctx, key, explain.ExplainQuery{Subject: explain.Subject{User: "jane", Groups: []string{"team-1"}},
		Request: explain.Request{Verb: "get", Resource: "pods", Namespace: "ns-2"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Allowed || len(e.Bindings) != 1 || e.Bindings[0].Grants || !strings.Contains(e.Bindings[0].Reason, `a RoleBinding in namespace "ns-1" does not cover`) {
		t.Fatalf("explain jane in ns-2: %+v", e.Bindings)
	}
	e, _ = x.Explain(ctx, key, explain.ExplainQuery{Subject: explain.Subject{User: "jane", Groups: []string{"team-1"}},
		Request: explain.Request{Verb: "get", Resource: "pods", Namespace: "ns-1"}})
	if !e.Allowed || e.DecidedBy != "RBAC" || e.Reason != "allowed by RoleBinding/ns-1/dev → Role/ns-1/dev rule 0 (Group team-1)" || *e.Bindings[0].RuleIndex != 0 {
		t.Fatalf("explain jane in ns-1: %+v", e)
	}
	// Unmapped principal: not authenticated, and why.
	e, _ = x.Explain(ctx, key, explain.ExplainQuery{Subject: explain.Subject{PrincipalARN: "arn:aws:iam::012345678910:user/nobody"},
		Request: explain.Request{Verb: "get", Resource: "pods"}})
	if e.Allowed || e.Identity.Mapped || !strings.Contains(e.Reason, "no access entry for arn:aws:iam::012345678910:user/nobody") {
		t.Fatalf("unmapped: %+v", e)
	}
	// kubectl-style resource.group and subresource.
	e, _ = x.Explain(ctx, key, explain.ExplainQuery{Subject: explain.Subject{User: "u-1"}, Request: explain.Request{Verb: "get", Resource: "deployments.apps/scale", Namespace: "ns-1"}})
	if e.Request.APIGroup != "apps" || e.Request.Resource != "deployments" || e.Request.Subresource != "scale" || e.Allowed {
		t.Fatalf("deployments.apps/scale: %+v %v", e.Request, e.Allowed)
	}
}

func authorizers(e *explain.Explanation) string {
	var s []string
	for _, a := range e.Authorizers {
		s = append(s, a.Name+":"+a.Decision)
	}
	return strings.Join(s, " ")
}

// The creator of a CONFIG_MAP cluster maps to system:masters; without a source, RBAC is not
// consulted and the answer says so.
func TestCreatorAndNoSource(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := access.NewService(st)
	creator := "arn:aws:iam::012345678910:user/creator"
	c := access.Caller{Account: key.Account, Region: key.Region, PrincipalARN: creator}
	if _, err := svc.CreateCluster(ctx, c, access.CreateClusterInput{Name: "cm", RoleARN: "arn:aws:iam::012345678910:role/eks",
		ResourcesVPCConfig: &access.VPCConfigInput{}, AccessConfig: &access.AccessConfigInput{AuthenticationMode: aws.String(access.ModeConfigMap)}}); err != nil {
		t.Fatal(err)
	}
	ix := kubeauth.NewIndex(st)
	if err := ix.Load(ctx); err != nil {
		t.Fatal(err)
	}
	x := explain.New(explain.Sources{Webhooks: kubeauth.NewWebhooks(ix, &kubeauth.TokenVerifier{}, nil, nil), Kube: kubesource.NewRegistry()})
	cm := access.ClusterKey{Account: key.Account, Region: key.Region, Name: "cm"}
	e, err := x.Explain(ctx, cm, explain.ExplainQuery{Subject: explain.Subject{PrincipalARN: creator}, Request: explain.Request{Verb: "delete", Resource: "nodes"}})
	if err != nil {
		t.Fatal(err)
	}
	if !e.Allowed || e.Identity.Via != "cluster-creator" || e.Identity.Username != kubeauth.CreatorUsername || e.DecidedBy != "system:masters" || e.RBACConsulted ||
		!strings.Contains(strings.Join(e.Notes, " "), "RBAC was not consulted") {
		t.Fatalf("creator: %+v", e)
	}
	e, _ = x.Explain(ctx, cm, explain.ExplainQuery{Subject: explain.Subject{PrincipalARN: "arn:aws:iam::012345678910:user/other"}, Request: explain.Request{Verb: "get", Resource: "pods"}})
	if e.Allowed || e.Identity.Mapped || !strings.Contains(e.Identity.Reason, "no aws-auth ConfigMap is loaded") {
		t.Fatalf("other on CONFIG_MAP: %+v", e.Identity)
	}
	w, _ := x.WhoCan(ctx, cm, explain.WhoCanQuery{Request: explain.Request{Verb: "delete", Resource: "nodes"}})
	if len(w.Principals) != 2 || w.Principals[0].Kind != "ClusterCreator" || w.Principals[0].Name != creator || w.RBACConsulted {
		t.Fatalf("who-can: %+v", w.Principals)
	}
	// Errors are typed, and an unknown cluster is not found.
	_, err = x.WhoCan(ctx, access.ClusterKey{Account: "111122223333", Region: key.Region, Name: "cm"}, explain.WhoCanQuery{Request: explain.Request{Verb: "get", Resource: "pods"}})
	var ae *access.Error
	if !errors.As(err, &ae) || ae.Code != access.CodeResourceNotFound {
		t.Fatalf("other account: %v", err)
	}
}

// An aggregated ClusterRole grants what is stored in it (as the RBAC authorizer does); explain
// names the selected role that would grant once the aggregation controller copies its rules.
func TestAggregationPending(t *testing.T) {
	x := bigCluster(t, 5, 1)
	reg := kubesource.NewRegistry()
	o := rbacObjects(1)
	o.ClusterRoles = append(o.ClusterRoles,
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "agg"}, AggregationRule: &rbacv1.AggregationRule{
			ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": "yes"}}}}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "agg-part", Labels: map[string]string{"agg": "yes"}},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"nodes"}}}})
	o.ClusterRoleBindings = append(o.ClusterRoleBindings, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "agg"},
		RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "agg"}, Subjects: []rbacv1.Subject{{Kind: "User", Name: "carl"}}})
	reg.Put(kubesource.NewStatic(key, kubesource.Build(o), nil))
	x2 := explain.New(explain.Sources{Webhooks: x.Webhooks(), Kube: reg})
	e, err := x2.Explain(context.Background(), key, explain.ExplainQuery{Subject: explain.Subject{User: "carl"}, Request: explain.Request{Verb: "get", Resource: "nodes"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Allowed || len(e.Bindings) != 1 || !strings.Contains(e.Bindings[0].Reason, "ClusterRole/agg-part, which its aggregationRule selects, has one") ||
		len(e.Bindings[0].Aggregation) != 1 {
		t.Fatalf("aggregated: %+v", e.Bindings)
	}
}

// With discovery, a resource given without its group is resolved, and one the cluster does not
// serve is noted (RBAC rules may still name it).
func TestDiscoveryNotes(t *testing.T) {
	x := bigCluster(t, 5, 1)
	reg := kubesource.NewRegistry()
	reg.Put(kubesource.NewStatic(key, kubesource.Build(rbacObjects(1)), []kubesource.APIResource{
		{Group: "", Resource: "pods", Namespaced: true}, {Group: "apps", Resource: "deployments", Namespaced: true}}))
	x2 := explain.New(explain.Sources{Webhooks: x.Webhooks(), Kube: reg})
	e, err := x2.Explain(context.Background(), key, explain.ExplainQuery{Subject: explain.Subject{User: "u-0"}, Request: explain.Request{Verb: "get", Resource: "deployments", Namespace: "ns-0"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Request.APIGroup != "apps" || !e.Allowed || !strings.Contains(strings.Join(e.Notes, "|"), "resolved to API group apps") {
		t.Fatalf("deployments: %+v %v %v", e.Request, e.Allowed, e.Notes)
	}
	e, _ = x2.Explain(context.Background(), key, explain.ExplainQuery{Subject: explain.Subject{User: "u-0"}, Request: explain.Request{Verb: "get", Resource: "widgets.example.com"}})
	if !strings.Contains(strings.Join(e.Notes, "|"), "the cluster serves no resource widgets.example.com") {
		t.Fatalf("widgets: %v", e.Notes)
	}
	m, _ := x2.AccessMatrix(context.Background(), key, explain.MatrixQuery{Subject: explain.Subject{User: "u-0"}, Namespace: "ns-0"})
	if len(m.Rows) != 2 || m.Rows[0].Resource != "pods" || !m.Rows[0].Cells[0].Allowed {
		t.Fatalf("matrix rows from discovery: %+v", m.Rows)
	}
}
