package kubesource

import (
	"testing"

	"github.com/eksaccess/eksaccess/internal/policy"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestBuild(t *testing.T) {
	rb := Build(Objects{
		ClusterRoles: []*rbacv1.ClusterRole{
			{ObjectMeta: metav1.ObjectMeta{Name: "agg"}, AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"x/agg": "true"}}}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "part", Labels: map[string]string{"x/agg": "true"}}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}},
		},
		RoleBindings: []*rbacv1.RoleBinding{
			{ObjectMeta: metav1.ObjectMeta{Name: "sa", Namespace: "prod"}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "part"},
				Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "ci"}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "missing", Namespace: "prod"}, RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "nope"},
				Subjects: []rbacv1.Subject{{Kind: "User", Name: "bob"}}},
		},
	})
	if rb.Objects != 4 {
		t.Fatalf("objects %d", rb.Objects)
	}
	agg := rb.Roles[RoleKey("ClusterRole", "", "agg")]
	if len(agg.AggregatedFrom) != 1 || agg.AggregatedFrom[0] != "part" || agg.Rules.Match(&policy.Request{Verb: "get", ResourceRequest: true, Resource: "pods"}) != -1 {
		t.Fatalf("aggregated role: %+v (rules as stored, empty)", agg)
	}
	sa := rb.RoleBindings["prod"][1]
	if sa.Name != "sa" || sa.Role == nil {
		t.Fatalf("bindings sorted by name, role resolved: %+v", rb.RoleBindings["prod"])
	}
	// A ServiceAccount subject without a namespace is the binding's namespace's.
	if s, ok := sa.SubjectFor("system:serviceaccount:prod:ci", nil); !ok || s != "ServiceAccount prod/ci" {
		t.Fatalf("service account subject: %q %v", s, ok)
	}
	if _, ok := sa.SubjectFor("system:serviceaccount:dev:ci", nil); ok {
		t.Fatal("service account of another namespace matched")
	}
	if rb.RoleBindings["prod"][0].Role != nil {
		t.Fatal("a binding to a missing role has a role")
	}
	if !sa.Covers(&policy.Request{ResourceRequest: true, Namespace: "prod"}) || sa.Covers(&policy.Request{ResourceRequest: true, Namespace: "dev"}) ||
		sa.Covers(&policy.Request{Path: "/healthz"}) {
		t.Fatal("RoleBinding coverage")
	}
}
