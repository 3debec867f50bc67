package kubesource

import (
	"sort"

	"github.com/eksaccess/eksaccess/internal/policy"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
)

// RBAC is an immutable snapshot of a cluster's RBAC objects, compiled for the one rule matcher
// (policy.RuleSet). Rules are evaluated as stored, which is what kube-apiserver's RBAC
// authorizer does: an aggregated ClusterRole grants the rules the aggregation controller wrote
// into it (AggregatedFrom names the ClusterRoles its selectors pick).
type RBAC struct {
	// Roles by RoleKey.
	Roles               map[string]*Role
	ClusterRoleBindings []*Binding
	// RoleBindings by namespace.
	RoleBindings map[string][]*Binding
	// Objects is the number of RBAC objects in the snapshot.
	Objects int
}

// Role is a Role or ClusterRole.
type Role struct {
	Kind      string // Role or ClusterRole
	Namespace string // Roles only
	Name      string
	Rules     *policy.RuleSet
	// AggregatedFrom lists, for a ClusterRole with an aggregationRule, the ClusterRoles its
	// selectors match (sorted).
	AggregatedFrom []string
}

// Ref renders the role as Kind/[namespace/]name.
func (r *Role) Ref() string { return ref(r.Kind, r.Namespace, r.Name) }

// Binding is a RoleBinding or ClusterRoleBinding.
type Binding struct {
	Kind      string // RoleBinding or ClusterRoleBinding
	Namespace string // RoleBindings only
	Name      string
	RoleKind  string
	RoleName  string
	Subjects  []rbacv1.Subject
	// Role is the referenced role; nil when it does not exist (the binding grants nothing).
	Role *Role
}

// Ref renders the binding as Kind/[namespace/]name.
func (b *Binding) Ref() string { return ref(b.Kind, b.Namespace, b.Name) }

// RoleRef renders the referenced role as Kind/[namespace/]name.
func (b *Binding) RoleRef() string {
	if b.RoleKind == "Role" {
		return ref("Role", b.Namespace, b.RoleName)
	}
	return ref("ClusterRole", "", b.RoleName)
}

func ref(kind, ns, name string) string {
	if ns == "" {
		return kind + "/" + name
	}
	return kind + "/" + ns + "/" + name
}

// RoleKey is the key of a role in RBAC.Roles.
func RoleKey(kind, namespace, name string) string { return ref(kind, namespace, name) }

// Covers reports whether the binding's rules apply to r: a ClusterRoleBinding everywhere, a
// RoleBinding only to resource requests in its namespace.
func (b *Binding) Covers(r *policy.Request) bool {
	return b.Kind == "ClusterRoleBinding" || r.ResourceRequest && r.Namespace == b.Namespace
}

// SubjectFor returns the first subject of the binding that applies to the user (as the RBAC
// authorizer's appliesTo does), rendered "Kind name", or false.
func (b *Binding) SubjectFor(user string, groups []string) (string, bool) {
	for i := range b.Subjects {
		s := &b.Subjects[i]
		if SubjectApplies(s, b.Namespace, user, groups) {
			return SubjectString(s, b.Namespace), true
		}
	}
	return "", false
}

// SubjectApplies reports whether an RBAC subject of a binding in namespace (""
// for a ClusterRoleBinding) names the user or one of its groups.
func SubjectApplies(s *rbacv1.Subject, namespace, user string, groups []string) bool {
	switch s.Kind {
	case rbacv1.UserKind:
		return user == s.Name
	case rbacv1.GroupKind:
		for _, g := range groups {
			if g == s.Name {
				return true
			}
		}
	case rbacv1.ServiceAccountKind:
		ns := namespace
		if s.Namespace != "" {
			ns = s.Namespace
		}
		return ns != "" && serviceaccount.MatchesUsername(ns, s.Name, user)
	}
	return false
}

// SubjectString renders a subject, e.g. "Group dev", "ServiceAccount prod/ci".
func SubjectString(s *rbacv1.Subject, namespace string) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		ns := namespace
		if s.Namespace != "" {
			ns = s.Namespace
		}
		return s.Kind + " " + ns + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// Objects is a set of RBAC objects to compile.
type Objects struct {
	Roles               []*rbacv1.Role
	ClusterRoles        []*rbacv1.ClusterRole
	RoleBindings        []*rbacv1.RoleBinding
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding
}

// Build compiles RBAC objects into a snapshot.
func Build(o Objects) *RBAC {
	rb := &RBAC{Roles: make(map[string]*Role, len(o.Roles)+len(o.ClusterRoles)), RoleBindings: map[string][]*Binding{},
		Objects: len(o.Roles) + len(o.ClusterRoles) + len(o.RoleBindings) + len(o.ClusterRoleBindings)}
	for _, r := range o.Roles {
		rb.Roles[RoleKey("Role", r.Namespace, r.Name)] = &Role{Kind: "Role", Namespace: r.Namespace, Name: r.Name, Rules: compile(r.Rules)}
	}
	for _, cr := range o.ClusterRoles {
		role := &Role{Kind: "ClusterRole", Name: cr.Name, Rules: compile(cr.Rules)}
		if ag := cr.AggregationRule; ag != nil {
			role.AggregatedFrom = aggregated(ag, o.ClusterRoles, cr.Name)
		}
		rb.Roles[RoleKey("ClusterRole", "", cr.Name)] = role
	}
	for _, b := range o.ClusterRoleBindings {
		rb.ClusterRoleBindings = append(rb.ClusterRoleBindings, rb.binding("ClusterRoleBinding", "", b.Name, b.RoleRef, b.Subjects))
	}
	for _, b := range o.RoleBindings {
		rb.RoleBindings[b.Namespace] = append(rb.RoleBindings[b.Namespace], rb.binding("RoleBinding", b.Namespace, b.Name, b.RoleRef, b.Subjects))
	}
	sortBindings(rb.ClusterRoleBindings)
	for _, l := range rb.RoleBindings {
		sortBindings(l)
	}
	return rb
}

func (rb *RBAC) binding(kind, ns, name string, rr rbacv1.RoleRef, subjects []rbacv1.Subject) *Binding {
	b := &Binding{Kind: kind, Namespace: ns, Name: name, RoleKind: rr.Kind, RoleName: rr.Name, Subjects: subjects}
	switch {
	case rr.Kind == "ClusterRole":
		b.Role = rb.Roles[RoleKey("ClusterRole", "", rr.Name)]
	case rr.Kind == "Role" && ns != "":
		b.Role = rb.Roles[RoleKey("Role", ns, rr.Name)]
	}
	return b
}

func sortBindings(l []*Binding) { sort.Slice(l, func(i, j int) bool { return l[i].Name < l[j].Name }) }

// compile converts RBAC policy rules into the evaluator's rules.
func compile(rules []rbacv1.PolicyRule) *policy.RuleSet {
	out := make([]policy.Rule, len(rules))
	for i, r := range rules {
		out[i] = policy.Rule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames, NonResourceURLs: r.NonResourceURLs}
	}
	return policy.CompileRules(out)
}

func aggregated(ag *rbacv1.AggregationRule, all []*rbacv1.ClusterRole, self string) []string {
	var sels []labels.Selector
	for i := range ag.ClusterRoleSelectors {
		if s, err := metav1.LabelSelectorAsSelector(&ag.ClusterRoleSelectors[i]); err == nil {
			sels = append(sels, s)
		}
	}
	var out []string
	for _, cr := range all {
		if cr.Name == self {
			continue
		}
		for _, s := range sels {
			if s.Matches(labels.Set(cr.Labels)) {
				out = append(out, cr.Name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}
