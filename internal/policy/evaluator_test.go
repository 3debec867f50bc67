package policy

import (
	"fmt"
	"strings"
	"testing"
)

func arnOf(name string) string { return PolicyARN("aws", name) }

func clusterScoped(name string) Association {
	return Association{PolicyARN: arnOf(name), Scope: Scope{Type: ScopeCluster}}
}

func namespaceScoped(name string, namespaces ...string) Association {
	return Association{PolicyARN: arnOf(name), Scope: Scope{Type: ScopeNamespace, Namespaces: namespaces}}
}

// req builds a resource request from kubectl-like notation:
// "resource[.group][/subresource]", e.g. "deployments.apps/scale".
func req(verb, what, namespace string) *Request {
	r := &Request{Verb: verb, ResourceRequest: true, Namespace: namespace}
	what, r.Subresource, _ = strings.Cut(what, "/")
	r.Resource, r.APIGroup, _ = strings.Cut(what, ".")
	return r
}

func named(r *Request, name string) *Request { r.Name = name; return r }

func nonResource(verb, path string) *Request { return &Request{Verb: verb, Path: path} }

const (
	view         = "AmazonEKSViewPolicy"
	edit         = "AmazonEKSEditPolicy"
	admin        = "AmazonEKSAdminPolicy"
	clusterAdmin = "AmazonEKSClusterAdminPolicy"
	adminView    = "AmazonEKSAdminViewPolicy"
	secretReader = "AmazonEKSSecretReaderPolicy"
	hybrid       = "AmazonEKSHybridPolicy"
	autoNode     = "AmazonEKSAutoNodePolicy"
)

// TestAccessPolicyPermissions walks the EKS access policy reference: what
// each policy lets a principal do, at cluster and namespace scope.
func TestAccessPolicyPermissions(t *testing.T) {
	t.Parallel()
	type want struct {
		allowed bool
		policy  string // granting policy
		rule    int    // granting rule (0-based)
		assoc   int    // granting association
	}
	no := want{}
	yes := func(policy string, rule int) want { return want{true, policy, rule, 0} }
	tests := []struct {
		desc   string
		assocs []Association
		req    *Request
		want   want
	}{
		// AmazonEKSViewPolicy
		{"View can get pods", []Association{clusterScoped(view)}, req("get", "pods", "default"), yes(view, 7)},
		{"View can list deployments", []Association{clusterScoped(view)}, req("list", "deployments.apps", "default"), yes(view, 0)},
		{"View can watch namespaces", []Association{clusterScoped(view)}, req("watch", "namespaces", ""), yes(view, 9)},
		{"View can read pod logs", []Association{clusterScoped(view)}, named(req("get", "pods/log", "default"), "web-0"), yes(view, 8)},
		{"View cannot get secrets", []Association{clusterScoped(view)}, req("get", "secrets", "default"), no},
		{"View cannot create deployments", []Association{clusterScoped(view)}, req("create", "deployments.apps", "default"), no},
		{"View cannot exec into pods", []Association{clusterScoped(view)}, req("create", "pods/exec", "default"), no},
		{"View cannot get pods/exec", []Association{clusterScoped(view)}, req("get", "pods/exec", "default"), no},
		{"View cannot list nodes", []Association{clusterScoped(view)}, req("list", "nodes", ""), no},
		{"View deployments are in apps, not core", []Association{clusterScoped(view)}, req("get", "deployments", "default"), no},
		{"View has no non-resource URLs", []Association{clusterScoped(view)}, nonResource("get", "/healthz"), no},

		// AmazonEKSEditPolicy
		{"Edit can create deployments in its namespace", []Association{namespaceScoped(edit, "team-a")}, req("create", "deployments.apps", "team-a"), yes(edit, 0)},
		{"Edit cannot create deployments in another namespace", []Association{namespaceScoped(edit, "team-a")}, req("create", "deployments.apps", "team-b"), no},
		{"Edit can scale deployments", []Association{namespaceScoped(edit, "team-a")}, named(req("patch", "deployments.apps/scale", "team-a"), "web"), yes(edit, 0)},
		{"Edit can exec into pods", []Association{namespaceScoped(edit, "team-a")}, req("create", "pods/exec", "team-a"), yes(edit, 16)},
		{"Edit can update secrets", []Association{namespaceScoped(edit, "team-a")}, req("update", "secrets", "team-a"), yes(edit, 17)},
		{"Edit can impersonate service accounts", []Association{namespaceScoped(edit, "team-a")}, req("impersonate", "serviceaccounts", "team-a"), yes(edit, 15)},
		{"Edit cannot create rolebindings", []Association{namespaceScoped(edit, "team-a")}, req("create", "rolebindings.rbac.authorization.k8s.io", "team-a"), no},

		// AmazonEKSAdminPolicy
		{"Admin can create rolebindings in a namespace", []Association{namespaceScoped(admin, "team-a")}, req("create", "rolebindings.rbac.authorization.k8s.io", "team-a"), yes(admin, 14)},
		{"Admin can create localsubjectaccessreviews", []Association{namespaceScoped(admin, "team-a")}, req("create", "localsubjectaccessreviews.authorization.k8s.io", "team-a"), yes(admin, 2)},
		{"Admin cannot create clusterrolebindings", []Association{clusterScoped(admin)}, req("create", "clusterrolebindings.rbac.authorization.k8s.io", ""), no},
		{"Admin cannot delete nodes", []Association{clusterScoped(admin)}, named(req("delete", "nodes", ""), "ip-10-0-0-1"), no},

		// AmazonEKSClusterAdminPolicy
		{"ClusterAdmin can delete nodes", []Association{clusterScoped(clusterAdmin)}, named(req("delete", "nodes", ""), "ip-10-0-0-1"), yes(clusterAdmin, 0)},
		{"ClusterAdmin can escalate clusterroles", []Association{clusterScoped(clusterAdmin)}, req("escalate", "clusterroles.rbac.authorization.k8s.io", ""), yes(clusterAdmin, 0)},
		{"ClusterAdmin can use any subresource", []Association{clusterScoped(clusterAdmin)}, req("update", "widgets.example.com/status", "x"), yes(clusterAdmin, 0)},
		{"ClusterAdmin can get /healthz", []Association{clusterScoped(clusterAdmin)}, nonResource("get", "/healthz"), yes(clusterAdmin, 1)},
		{"ClusterAdmin can post any URL", []Association{clusterScoped(clusterAdmin)}, nonResource("post", "/apis/x/y"), yes(clusterAdmin, 1)},

		// AmazonEKSAdminViewPolicy
		{"AdminView can get secrets", []Association{clusterScoped(adminView)}, req("get", "secrets", "kube-system"), yes(adminView, 0)},
		{"AdminView can list nodes", []Association{clusterScoped(adminView)}, req("list", "nodes", ""), yes(adminView, 0)},
		{"AdminView cannot delete pods", []Association{clusterScoped(adminView)}, req("delete", "pods", "default"), no},
		{"AdminView has no non-resource URLs", []Association{clusterScoped(adminView)}, nonResource("get", "/healthz"), no},

		// AmazonEKSSecretReaderPolicy
		{"SecretReader can get secrets", []Association{namespaceScoped(secretReader, "dev")}, named(req("get", "secrets", "dev"), "db"), yes(secretReader, 0)},
		{"SecretReader can list secrets", []Association{namespaceScoped(secretReader, "dev")}, req("list", "secrets", "dev"), yes(secretReader, 0)},
		{"SecretReader cannot list pods", []Association{namespaceScoped(secretReader, "dev")}, req("list", "pods", "dev"), no},
		{"SecretReader cannot create secrets", []Association{namespaceScoped(secretReader, "dev")}, req("create", "secrets", "dev"), no},

		// AmazonEKSHybridPolicy: apiGroups "*" with a named resource.
		{"Hybrid can list nodes", []Association{clusterScoped(hybrid)}, req("list", "nodes", ""), yes(hybrid, 0)},
		{"Hybrid can list nodes of any group", []Association{clusterScoped(hybrid)}, req("list", "nodes.example.com", ""), yes(hybrid, 0)},
		{"Hybrid cannot get nodes", []Association{clusterScoped(hybrid)}, named(req("get", "nodes", ""), "n1"), no},

		// Scopes.
		{"dev-* covers dev-a", []Association{namespaceScoped(view, "dev-*")}, req("get", "pods", "dev-a"), yes(view, 7)},
		{"dev-* does not cover prod", []Association{namespaceScoped(view, "dev-*")}, req("get", "pods", "prod"), no},
		{"namespace scope does not cover all-namespace lists", []Association{namespaceScoped(view, "dev-*")}, req("list", "pods", ""), no},
		{"namespace-scoped ClusterAdmin cannot list nodes", []Association{namespaceScoped(clusterAdmin, "*")}, req("list", "nodes", ""), no},
		{"namespace-scoped ClusterAdmin cannot get /healthz", []Association{namespaceScoped(clusterAdmin, "*")}, nonResource("get", "/healthz"), no},
		{"namespace-scoped ClusterAdmin owns its namespaces", []Association{namespaceScoped(clusterAdmin, "dev")}, req("delete", "secrets", "dev"), yes(clusterAdmin, 0)},

		// Unusable associations.
		{"unknown ARN grants nothing", []Association{{PolicyARN: arnOf("AmazonEKSViewPolicyy"), Scope: Scope{Type: ScopeCluster}}}, req("get", "pods", "default"), no},
		{"IAM policy ARN grants nothing", []Association{{PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess", Scope: Scope{Type: ScopeCluster}}}, req("get", "pods", "default"), no},
		{"other partition's ARN grants nothing", []Association{{PolicyARN: PolicyARN("aws-cn", clusterAdmin), Scope: Scope{Type: ScopeCluster}}}, req("get", "pods", "default"), no},
		{"unpublished policy grants nothing", []Association{clusterScoped(autoNode)}, req("get", "pods", "default"), no},
		{"invalid scope type grants nothing", []Association{{PolicyARN: arnOf(clusterAdmin), Scope: Scope{Type: "Cluster"}}}, req("get", "pods", "default"), no},
		{"no associations", nil, req("get", "pods", "default"), no},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			d := Compile(tt.assocs, "aws").Authorize(tt.req)
			if d.Allowed != tt.want.allowed {
				t.Fatalf("Allowed = %v, want %v (%s)", d.Allowed, tt.want.allowed, d.Reason())
			}
			if !d.Allowed {
				if d.Policy != nil || d.RuleIndex != -1 || d.Association != -1 {
					t.Errorf("no-opinion decision carries a grant: %+v", d)
				}
				return
			}
			if d.Policy.Name != tt.want.policy || d.RuleIndex != tt.want.rule || d.Association != tt.want.assoc {
				t.Errorf("granted by %s rule %d (association %d), want %s rule %d (association %d)",
					d.Policy.Name, d.RuleIndex, d.Association, tt.want.policy, tt.want.rule, tt.want.assoc)
			}
			if !d.Policy.Rules[d.RuleIndex].Allows(tt.req) {
				t.Errorf("reported rule %d does not allow the request", d.RuleIndex)
			}
		})
	}
}

// TestAssociationsCombine: effective permissions are the union of all
// associated policies, each with its own scope.
func TestAssociationsCombine(t *testing.T) {
	t.Parallel()
	s := Compile([]Association{
		clusterScoped(view),
		namespaceScoped(edit, "team-a"),
		namespaceScoped(secretReader, "dev-*", "ops"),
	}, "aws")
	tests := []struct {
		req    *Request
		policy string // "" = no opinion
		assoc  int
	}{
		{req("get", "pods", "prod"), view, 0},
		{req("get", "pods", "team-a"), view, 0}, // first grant in association order
		{req("create", "deployments.apps", "team-a"), edit, 1},
		{req("create", "deployments.apps", "prod"), "", -1},
		{req("get", "secrets", "dev-x"), secretReader, 2},
		{req("get", "secrets", "ops"), secretReader, 2},
		{req("get", "secrets", "team-a"), edit, 1},
		{req("get", "secrets", "prod"), "", -1},
		{req("delete", "secrets", "dev-x"), "", -1},
	}
	for _, tt := range tests {
		t.Run(describe(tt.req), func(t *testing.T) {
			t.Parallel()
			d := s.Authorize(tt.req)
			got := ""
			if d.Allowed {
				got = d.Policy.Name
			}
			if got != tt.policy || d.Association != tt.assoc {
				t.Errorf("granted by %q (association %d), want %q (association %d): %s", got, d.Association, tt.policy, tt.assoc, d.Reason())
			}
		})
	}
}

// TestRuleAllows pins the Kubernetes RBAC matching rules on single rules.
func TestRuleAllows(t *testing.T) {
	t.Parallel()
	rule := func(verbs, groups, resources, names []string) Rule {
		return Rule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
	}
	l := func(s ...string) []string { return s }
	podsGet := rule(l("get"), l(""), l("pods"), nil)
	tests := []struct {
		desc  string
		rule  Rule
		req   *Request
		allow bool
	}{
		{"exact verb, group, resource", podsGet, req("get", "pods", "x"), true},
		{"other verb", podsGet, req("list", "pods", "x"), false},
		{"verb *", rule(l("*"), l(""), l("pods"), nil), req("escalate", "pods", "x"), true},
		{"other group", podsGet, req("get", "pods.example.com", "x"), false},
		{"group *", rule(l("get"), l("*"), l("pods"), nil), req("get", "pods.example.com", "x"), true},
		{"resource does not cover its subresource", podsGet, req("get", "pods/log", "x"), false},
		{"subresource does not cover its resource", rule(l("get"), l(""), l("pods/log"), nil), req("get", "pods", "x"), false},
		{"resource/subresource", rule(l("get"), l(""), l("pods/log"), nil), req("get", "pods/log", "x"), true},
		{"resource * covers subresources", rule(l("get"), l(""), l("*"), nil), req("get", "pods/log", "x"), true},
		{"*/subresource", rule(l("get"), l(""), l("*/scale"), nil), req("get", "deployments/scale", "x"), true},
		{"*/subresource needs that subresource", rule(l("get"), l(""), l("*/scale"), nil), req("get", "deployments/status", "x"), false},
		{"*/subresource needs that subresource (same length)", rule(l("get"), l(""), l("*/scale"), nil), req("get", "services/proxy", "x"), false},
		{"*/subresource does not cover the resource", rule(l("get"), l(""), l("*/scale"), nil), req("get", "deployments", "x"), false},
		{"*/subresource is not a suffix match", rule(l("get"), l(""), l("*/scale"), nil), req("get", "deployments/rescale", "x"), false},
		{"resource/* is literal", rule(l("get"), l(""), l("pods/*"), nil), req("get", "pods/log", "x"), false},
		{"resourceNames: listed name", rule(l("get"), l(""), l("configmaps"), l("a", "b")), named(req("get", "configmaps", "x"), "b"), true},
		{"resourceNames: other name", rule(l("get"), l(""), l("configmaps"), l("a", "b")), named(req("get", "configmaps", "x"), "c"), false},
		{"resourceNames: unnamed list", rule(l("list"), l(""), l("configmaps"), l("a")), req("list", "configmaps", "x"), false},
		{"resourceNames: unnamed create", rule(l("create"), l(""), l("configmaps"), l("a")), req("create", "configmaps", "x"), false},
		{"resourceNames: empty name listed still needs a name", rule(l("list"), l(""), l("configmaps"), l("")), req("list", "configmaps", "x"), false},
		{"NUL in a group cannot forge an index key", rule(l("get"), l("a\x00b"), l("c"), nil), req("get", "b\x00c.a", "x"), false},
		{"NUL in a group still matches exactly", rule(l("get"), l("a\x00b"), l("c"), nil), &Request{Verb: "get", ResourceRequest: true, APIGroup: "a\x00b", Resource: "c"}, true},
		{"NUL in a resource cannot forge an index key", rule(l("get"), l("a"), l("b\x00c"), nil), &Request{Verb: "get", ResourceRequest: true, APIGroup: "a\x00b", Resource: "c"}, false},
		{"no resourceNames: any name", podsGet, named(req("get", "pods", "x"), "p"), true},
		{"resource rule vs non-resource request", rule(l("*"), l("*"), l("*"), nil), nonResource("get", "/healthz"), false},
		{"non-resource rule vs resource request", Rule{Verbs: l("*"), NonResourceURLs: l("*")}, req("get", "pods", "x"), false},
		{"URL exact", Rule{Verbs: l("get"), NonResourceURLs: l("/healthz")}, nonResource("get", "/healthz"), true},
		{"URL exact is not a prefix", Rule{Verbs: l("get"), NonResourceURLs: l("/healthz")}, nonResource("get", "/healthz/etcd"), false},
		{"URL prefix*", Rule{Verbs: l("get"), NonResourceURLs: l("/healthz/*")}, nonResource("get", "/healthz/etcd"), true},
		{"URL prefix* excludes the bare prefix path", Rule{Verbs: l("get"), NonResourceURLs: l("/healthz/*")}, nonResource("get", "/healthz"), false},
		{"URL prefix** trims every *", Rule{Verbs: l("get"), NonResourceURLs: l("/metrics**")}, nonResource("get", "/metrics/x"), true},
		{"URL *", Rule{Verbs: l("get"), NonResourceURLs: l("*")}, nonResource("get", "/anything"), true},
		{"URL verb", Rule{Verbs: l("get"), NonResourceURLs: l("*")}, nonResource("post", "/anything"), false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			if got := tt.rule.Allows(tt.req); got != tt.allow {
				t.Errorf("Allows(%q) = %v, want %v", describe(tt.req), got, tt.allow)
			}
			// The indexed evaluator must agree with the rule.
			p := &Policy{Name: "Synthetic", Rules: []Rule{tt.rule}, RulesPublished: true}
			p.compiled = compilePolicy(p)
			s := compile([]Association{{PolicyARN: "synthetic", Scope: Scope{Type: ScopeCluster}}}, func(string) *Policy { return p })
			if d := s.Authorize(tt.req); d.Allowed != tt.allow {
				t.Errorf("Authorize(%q).Allowed = %v, want %v", describe(tt.req), d.Allowed, tt.allow)
			}
		})
	}
}

// TestIndexMatchesReference checks the indexed evaluator against a
// straightforward rule-by-rule evaluation over many requests and
// association sets, including synthetic rules with every wildcard form.
func TestIndexMatchesReference(t *testing.T) {
	t.Parallel()
	synthetic := &Policy{Name: "Synthetic", RulesPublished: true, Rules: []Rule{
		{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"*/scale"}},
		{Verbs: []string{"update"}, APIGroups: []string{"", "apps"}, Resources: []string{"deployments", "pods/log"}, ResourceNames: []string{"web"}},
		{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"secrets", "*/status"}},
		{Verbs: []string{"list", "get"}, APIGroups: []string{"*"}, Resources: []string{"pods"}, ResourceNames: []string{"p1"}},
		{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}},
		{Verbs: []string{"get", "post"}, NonResourceURLs: []string{"/healthz", "/apis/*", "/metrics**"}},
		{Verbs: []string{"delete"}, APIGroups: []string{"batch"}, Resources: []string{"*"}},
		// Later rules that also match requests granted by earlier ones: the
		// first rule must still be reported.
		{Verbs: []string{"get", "delete"}, APIGroups: []string{"apps"}, Resources: []string{"*"}},
		{Verbs: []string{"get"}, APIGroups: []string{"*"}, Resources: []string{"deployments", "jobs"}},
	}}
	synthetic.compiled = compilePolicy(synthetic)
	resolve := func(arn string) *Policy {
		if arn == "synthetic" {
			return synthetic
		}
		p, _, _ := Lookup(arn, "aws")
		return p
	}
	sets := [][]Association{
		{{PolicyARN: "synthetic", Scope: Scope{Type: ScopeCluster}}},
		{{PolicyARN: "synthetic", Scope: Scope{Type: ScopeNamespace, Namespaces: []string{"dev-*", "ops"}}}, clusterScoped(view)},
		{namespaceScoped(edit, "team-a"), namespaceScoped(admin, "team-*"), clusterScoped(hybrid), clusterScoped(secretReader)},
		{clusterScoped(autoNode), namespaceScoped(clusterAdmin, "ops"), clusterScoped(adminView)},
		{clusterScoped(clusterAdmin), clusterScoped(view)},
	}
	verbs := []string{"get", "list", "update", "delete", "create", "post", "escalate"}
	groups := []string{"", "apps", "batch", "rbac.authorization.k8s.io", "example.com"}
	resources := []string{"pods", "deployments", "secrets", "nodes", "jobs", "rolebindings", "scale", "pods/log", ""}
	subresources := []string{"", "log", "scale", "status", "exec"}
	names := []string{"", "web", "p1"}
	namespaces := []string{"", "dev-a", "ops", "team-a", "team-b", "prod"}
	paths := []string{"/healthz", "/healthz/etcd", "/apis", "/apis/apps", "/metrics", "/metricsx", "/version"}

	var reqs []Request
	for _, v := range verbs {
		for _, g := range groups {
			for _, res := range resources {
				for _, sub := range subresources {
					for _, n := range names {
						for _, ns := range namespaces {
							reqs = append(reqs, Request{Verb: v, ResourceRequest: true, APIGroup: g, Resource: res, Subresource: sub, Name: n, Namespace: ns})
						}
					}
				}
			}
		}
		for _, p := range paths {
			reqs = append(reqs, Request{Verb: v, Path: p})
		}
	}
	allowed := 0
	for si, assocs := range sets {
		s := compile(assocs, resolve)
		for i := range reqs {
			r := &reqs[i]
			d := s.Authorize(r)
			wantAssoc, wantRule := referenceAuthorize(assocs, resolve, r)
			if d.Allowed != (wantAssoc >= 0) || d.Association != wantAssoc || d.RuleIndex != wantRule {
				t.Fatalf("set %d, %+v: got allowed=%v association %d rule %d, want association %d rule %d",
					si, *r, d.Allowed, d.Association, d.RuleIndex, wantAssoc, wantRule)
			}
			if d.Allowed {
				allowed++
			}
		}
	}
	if allowed == 0 || allowed == len(reqs)*len(sets) {
		t.Fatalf("degenerate corpus: %d of %d allowed", allowed, len(reqs)*len(sets))
	}
}

// referenceAuthorize evaluates associations in order, rule by rule, with a
// scope check written independently of compiledScope.
func referenceAuthorize(assocs []Association, resolve func(string) *Policy, r *Request) (assoc, rule int) {
	for i, a := range assocs {
		p := resolve(a.PolicyARN)
		if p == nil {
			continue
		}
		covered := a.Scope.Type == ScopeCluster
		if a.Scope.Type == ScopeNamespace && r.ResourceRequest && r.Namespace != "" {
			for _, pat := range a.Scope.Namespaces {
				if prefix, ok := strings.CutSuffix(pat, "*"); ok && strings.HasPrefix(r.Namespace, prefix) || pat == r.Namespace {
					covered = true
				}
			}
		}
		if !covered {
			continue
		}
		for j := range p.Rules {
			if p.Rules[j].Allows(r) {
				return i, j
			}
		}
	}
	return -1, -1
}

func TestReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc   string
		assocs []Association
		req    *Request
		want   string // exact, or substrings separated by " … "
	}{
		{"cluster-scope grant", []Association{clusterScoped(view)}, req("get", "pods", "dev"),
			`allowed by AmazonEKSViewPolicy (cluster scope) rule 7`},
		{"namespace-scope grant names the matching pattern", []Association{namespaceScoped(edit, "prod", "dev-*")}, req("create", "deployments.apps", "dev-a"),
			`allowed by AmazonEKSEditPolicy (namespace scope "dev-*") rule 0`},
		{"no matching rule", []Association{clusterScoped(view)}, req("get", "secrets", "dev"),
			`no associated access policy grants get secrets in namespace "dev": AmazonEKSViewPolicy (cluster scope) has no rule for it`},
		{"request details", []Association{clusterScoped(view)}, named(req("update", "deployments.apps/scale", "prod"), "web"),
			`no associated access policy grants update deployments.apps/scale "web" in namespace "prod": AmazonEKSViewPolicy (cluster scope) has no rule for it`},
		{"unpublished rules", []Association{clusterScoped(autoNode)}, req("get", "pods", "kube-system"),
			`no associated access policy grants get pods in namespace "kube-system": AmazonEKSAutoNodePolicy: rules not published by AWS; grants nothing here`},
		{"namespace not covered", []Association{namespaceScoped(edit, "team-a", "dev-*")}, req("create", "deployments.apps", "prod"),
			`no associated access policy grants create deployments.apps in namespace "prod": AmazonEKSEditPolicy (namespace scope team-a, dev-*) does not cover namespace "prod"`},
		{"cluster-scoped resource under namespace scope", []Association{namespaceScoped(clusterAdmin, "*")}, req("list", "nodes", ""),
			`no associated access policy grants list nodes: AmazonEKSClusterAdminPolicy (namespace scope *) does not cover cluster-scoped or all-namespaces requests`},
		{"non-resource URL under namespace scope", []Association{namespaceScoped(clusterAdmin, "dev")}, nonResource("get", "/healthz"),
			`no associated access policy grants get /healthz: AmazonEKSClusterAdminPolicy (namespace scope dev) does not cover non-resource URLs`},
		{"namespace scope covering but no rule", []Association{namespaceScoped(view, "dev")}, req("delete", "pods", "dev"),
			`AmazonEKSViewPolicy (namespace scope dev) has no rule for it`},
		{"invalid patterns are reported", []Association{namespaceScoped(view, "Dev")}, req("get", "pods", "Dev"),
			`AmazonEKSViewPolicy (namespace scope without valid namespaces; invalid, ignored: Dev) does not cover namespace "Dev"`},
		{"unknown ARN", []Association{{PolicyARN: arnOf("AmazonEKSViewPolicyy"), Scope: Scope{Type: ScopeCluster}}}, req("get", "pods", "dev"),
			`"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicyy": policy ARN not found; grants nothing`},
		{"invalid scope type", []Association{{PolicyARN: arnOf(view), Scope: Scope{Type: "Cluster"}}}, req("get", "pods", "dev"),
			`AmazonEKSViewPolicy: invalid scope type "Cluster"; grants nothing`},
		{"every association is explained", []Association{clusterScoped(view), clusterScoped(autoNode), namespaceScoped(edit, "team-a")}, req("get", "secrets", "dev"),
			`AmazonEKSViewPolicy (cluster scope) has no rule for it; AmazonEKSAutoNodePolicy: rules not published by AWS; grants nothing here; AmazonEKSEditPolicy (namespace scope team-a) does not cover namespace "dev"`},
		{"no associations", nil, req("get", "pods", "dev"),
			`no access policy is associated with the access entry`},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			got := Compile(tt.assocs, "aws").Authorize(tt.req).Reason()
			if !strings.Contains(got, tt.want) {
				t.Errorf("Reason() =\n  %s\nwant it to contain\n  %s", got, tt.want)
			}
		})
	}
	var nilSet *Set
	if got := nilSet.Authorize(req("get", "pods", "dev")); got.Allowed || got.Reason() != "no access policy is associated with the access entry" {
		t.Errorf("nil Set: %+v %q", got, got.Reason())
	}
}

func TestCompileCopiesScope(t *testing.T) {
	t.Parallel()
	assocs := []Association{namespaceScoped(view, "dev")}
	s := Compile(assocs, "aws")
	assocs[0].Scope.Namespaces[0] = "prod"
	if !s.Authorize(req("get", "pods", "dev")).Allowed || s.Authorize(req("get", "pods", "prod")).Allowed {
		t.Errorf("Set changed after the caller's associations did")
	}
}

func TestCompilePartition(t *testing.T) {
	t.Parallel()
	assocs := []Association{{PolicyARN: PolicyARN("aws-cn", view), Scope: Scope{Type: ScopeCluster}}}
	if !Compile(assocs, "aws-cn").Authorize(req("get", "pods", "x")).Allowed {
		t.Errorf("aws-cn ARN not resolved on an aws-cn server")
	}
	if Compile(assocs, "aws").Authorize(req("get", "pods", "x")).Allowed {
		t.Errorf("aws-cn ARN resolved on an aws server")
	}
}

func TestAuthorizeAllowDoesNotAllocate(t *testing.T) {
	// Not parallel: AllocsPerRun measures process-wide allocations.
	s := Compile(benchAssociations(10), "aws")
	for _, r := range []*Request{benchAllowLate, req("get", "pods", "dev-a"), nonResource("get", "/healthz")} {
		if r.Path != "" {
			s = Compile([]Association{clusterScoped(view), clusterScoped(clusterAdmin)}, "aws")
		}
		if !s.Authorize(r).Allowed {
			t.Fatalf("%s not allowed", describe(r))
		}
		if n := testing.AllocsPerRun(200, func() { _ = s.Authorize(r) }); n != 0 {
			t.Errorf("Authorize(%s) allocates %v times", describe(r), n)
		}
	}
}

func ExampleSet_Authorize() {
	s := Compile([]Association{
		{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", Scope: Scope{Type: ScopeCluster}},
		{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", Scope: Scope{Type: ScopeNamespace, Namespaces: []string{"dev-*"}}},
	}, "aws")
	for _, r := range []Request{
		{Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "prod"},
		{Verb: "create", ResourceRequest: true, APIGroup: "apps", Resource: "deployments", Namespace: "dev-a"},
		{Verb: "get", ResourceRequest: true, Resource: "secrets", Namespace: "prod"},
	} {
		fmt.Println(s.Authorize(&r).Reason())
	}
	// Output:
	// allowed by AmazonEKSViewPolicy (cluster scope) rule 7
	// allowed by AmazonEKSEditPolicy (namespace scope "dev-*") rule 0
	// no associated access policy grants get secrets in namespace "prod": AmazonEKSViewPolicy (cluster scope) has no rule for it; AmazonEKSEditPolicy (namespace scope dev-*) does not cover namespace "prod"
}
