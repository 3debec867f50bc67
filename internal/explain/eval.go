package explain

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/eksaccess/eksaccess/internal/kubesource"
	"github.com/eksaccess/eksaccess/internal/policy"
)

const (
	systemMasters       = "system:masters"
	systemAuthenticated = "system:authenticated"
	noRBAC              = "RBAC was not consulted: the cluster has no Kubernetes source (--aws-auth ACCOUNT/REGION/CLUSTER=kubeconfig:PATH); this answer is the access-policy half only"
	noRBACYet           = "RBAC was not consulted: the cluster's Kubernetes source has not synced yet; this answer is the access-policy half only"
)

// view is what one query reads of a cluster.
type view struct {
	key     access.ClusterKey
	cluster kubeauth.ClusterInfo
	src     *kubesource.Source
	wh      *kubeauth.Webhooks
	rbac    *kubesource.RBAC // nil: RBAC not consulted
	notes   []string
}

func (x *Explainer) view(cluster access.ClusterKey) (*view, error) {
	ci, ok := x.src.Webhooks.Cluster(cluster)
	if !ok {
		return nil, access.NewError(access.CodeResourceNotFound, "No cluster found for name: "+cluster.Name+".")
	}
	v := &view{key: cluster, cluster: ci, src: x.src.Kube.Get(cluster), wh: x.src.Webhooks}
	v.rbac = v.src.RBAC()
	switch {
	case v.src == nil || v.src.Kind == "file":
		v.notes = append(v.notes, noRBAC)
	case v.rbac == nil:
		v.notes = append(v.notes, noRBACYet)
	}
	return v, nil
}

// who is a subject resolved on a cluster: its identity and what the authorizers evaluate.
type who struct {
	ident Identity
	entry *kubeauth.EntryView // the webhook evaluates its policies (nil: no opinion)
	// webhookWhy is the webhook's no-opinion reason when entry is nil.
	webhookWhy string
}

func (v *view) resolve(s subject) who {
	if !s.iam {
		groups := s.groups
		if !slices.Contains(groups, systemAuthenticated) {
			groups = append(slices.Clip(groups), systemAuthenticated)
		}
		return who{ident: Identity{Mapped: true, Via: "kubernetes-user", Username: s.user, Groups: groups,
			Reason: "given as Kubernetes user " + strconv.Quote(s.user) + " (an OIDC user, service account or other RBAC subject)"},
			webhookWhy: "not an IAM identity authenticated by eksaccess; no opinion"}
	}
	w := who{ident: Identity{PrincipalARN: s.arn, CanonicalARN: s.canonical, SessionName: s.session, Groups: []string{}}}
	m, _ := v.x().MapPrincipal(v.key, s.canonical, s.arn, s.account)
	if m.Via == "" {
		w.ident.Via, w.ident.Reason = "none", m.Reason
		w.webhookWhy = "the principal is not authenticated (" + m.Reason + ")"
		return w
	}
	w.ident.Mapped, w.ident.Via = true, m.Via
	switch m.Via {
	case kubeauth.MappedByAccessEntry:
		e := m.Entry
		w.entry = e
		w.ident.AccessEntry = &AccessEntry{PrincipalARN: e.PrincipalARN, Type: e.Type, Username: e.Username, KubernetesGroups: nonNil(e.Groups), Associations: e.Associations}
		w.ident.Reason = "mapped by the access entry of " + e.PrincipalARN
		if e.PrincipalID != "" {
			w.ident.Reason += " (recorded for IAM unique id " + e.PrincipalID + ": a principal re-created under this ARN is not mapped)"
		}
	case kubeauth.MappedByCreator:
		w.ident.Reason = "the creator of this CONFIG_MAP cluster: EKS maps it to " + kubeauth.CreatorUsername + " in system:masters"
		w.webhookWhy = "cluster does not use access entries; no opinion"
	case kubeauth.MappedByAWSAuth:
		w.ident.Reason = "mapped by the aws-auth ConfigMap (kube-system/aws-auth)"
		w.webhookWhy = "no access entry for " + s.canonical + "; no opinion"
		if !v.cluster.UsesAccessEntries {
			w.webhookWhy = "cluster does not use access entries; no opinion"
		}
	}
	user, groups := m.Username, m.Groups
	tpl := strings.Contains(user, "{{") || slices.ContainsFunc(groups, func(g string) bool { return strings.Contains(g, "{{") })
	if tpl && s.session == "" && (strings.Contains(user, "{{Session") || slices.ContainsFunc(groups, func(g string) bool { return strings.Contains(g, "{{Session") })) {
		w.ident.Templates = "session placeholders stay as written: give the assumed-role session ARN to render them"
	} else if tpl {
		ui, err := kubeauth.Render(user, groups, &kubeauth.Identity{ARN: s.arn, CanonicalARN: s.canonical, Account: s.account, SessionName: s.session})
		if err != nil {
			w.ident.Mapped, w.ident.Via, w.ident.Reason, w.entry = false, "none", "identity is not mapped: "+err.Error(), nil
			w.webhookWhy = "the principal is not authenticated"
			return w
		}
		user, groups = ui.Username, ui.Groups
		if strings.Contains(m.Username, "{{AccessKeyID}}") {
			w.ident.Templates = "{{AccessKeyID}} renders the caller's access key id, unknown here"
		}
	}
	w.ident.Username = user
	w.ident.Groups = append(slices.Clone(nonNil(groups)), systemAuthenticated)
	return w
}

func (v *view) x() *kubeauth.Webhooks { return v.wh }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// verdict is the evaluation of one request for one subject.
type verdict struct {
	allowed bool
	by      *Grant
	auths   []Authorizer
	pols    []PolicyMatch
	binds   []Binding
}

// decide evaluates r as kube-apiserver's chain does: system:masters (the privileged-group
// authorizer), Node, RBAC, then the eksaccess webhook; the first allow wins, no opinion from
// all is a denial. detail also collects every authorizer's answer, policy and binding.
func (v *view) decide(w *who, r *policy.Request, detail bool) verdict {
	var vd verdict
	id := &w.ident
	if !id.Mapped {
		if detail {
			vd.auths = []Authorizer{{Name: "Authentication", Decision: DecisionNotConsulted, Reason: id.Reason}}
		}
		return vd
	}
	masters := slices.Contains(id.Groups, systemMasters)
	if masters {
		vd.allowed = true
		vd.by = &Grant{Kind: "SystemMasters", Authorizer: "system:masters", Summary: "member of system:masters: kube-apiserver allows every request", Subject: "Group system:masters"}
		if !detail {
			return vd
		}
		vd.auths = append(vd.auths, Authorizer{Name: "system:masters", Decision: DecisionAllow, Reason: "member of system:masters"})
	}
	if detail {
		node := Authorizer{Name: "Node", Decision: DecisionNoOpinion, Reason: "not a node identity (system:node:<name> in system:nodes)"}
		if strings.HasPrefix(id.Username, "system:node:") && slices.Contains(id.Groups, "system:nodes") {
			node = Authorizer{Name: "Node", Decision: DecisionNotConsulted, Reason: "a node identity: the Node authorizer's graph is not evaluated by eksaccess"}
		}
		vd.auths = append(vd.auths, node)
	}
	// RBAC.
	if v.rbac == nil {
		if detail {
			vd.auths = append(vd.auths, Authorizer{Name: "RBAC", Decision: DecisionNotConsulted, Reason: v.notes[0]})
		}
	} else {
		g := v.rbacGrant(id.Username, id.Groups, r, detail, &vd.binds)
		if g != nil && vd.by == nil {
			vd.allowed, vd.by = true, g
		}
		if detail {
			a := Authorizer{Name: "RBAC", Decision: DecisionNoOpinion, Reason: "no RBAC binding of " + strconv.Quote(id.Username) + " or its groups grants it"}
			if g != nil {
				a = Authorizer{Name: "RBAC", Decision: DecisionAllow, Reason: "allowed by " + g.Summary}
			}
			vd.auths = append(vd.auths, a)
		}
		if vd.allowed && !detail {
			return vd
		}
	}
	// Webhook.
	if w.entry == nil {
		if detail {
			vd.auths = append(vd.auths, Authorizer{Name: "Webhook", Decision: DecisionNoOpinion, Reason: "eksaccess: " + w.webhookWhy})
		}
		return vd
	}
	d := w.entry.Policies.Authorize(r)
	if d.Allowed && vd.by == nil {
		vd.allowed = true
		vd.by = policyGrant(d.Policy.ARN, d.Scope, d.RuleIndex, d.Reason())
	}
	if detail {
		a := Authorizer{Name: "Webhook", Decision: DecisionNoOpinion, Reason: "eksaccess: " + d.Reason()}
		if d.Allowed {
			a.Decision = DecisionAllow
		}
		vd.auths = append(vd.auths, a)
		for _, m := range w.entry.Policies.Matches(r) {
			pm := PolicyMatch{PolicyARN: m.PolicyARN, ScopeType: string(m.Scope.Type), Namespaces: m.Scope.Namespaces,
				ScopeMatches: m.ScopeCovers, MatchedPattern: m.Pattern, RuleMatches: m.RuleIndex >= 0, Grants: m.Grants, Reason: m.Reason}
			if m.Policy != nil {
				pm.PolicyName = m.Policy.Name
				if m.RuleIndex >= 0 {
					i := m.RuleIndex
					pm.RuleIndex, pm.Rule = &i, &m.Policy.Rules[i]
				}
			}
			vd.pols = append(vd.pols, pm)
		}
	}
	return vd
}

func policyGrant(arn string, scope policy.ScopeType, rule int, reason string) *Grant {
	i := rule
	return &Grant{Kind: "AccessPolicy", Authorizer: "Webhook", PolicyARN: arn, ScopeType: string(scope), RuleIndex: &i,
		Summary: strings.TrimPrefix(reason, "allowed by ")}
}

// rbacGrant returns the first RBAC grant of r to the user (ClusterRoleBindings, then the
// RoleBindings of r's namespace, as the RBAC authorizer visits them); with binds, every binding
// naming the user or one of its groups is appended with whether it grants.
func (v *view) rbacGrant(user string, groups []string, r *policy.Request, detail bool, binds *[]Binding) *Grant {
	var first *Grant
	visit := func(b *kubesource.Binding) bool {
		subj, ok := b.SubjectFor(user, groups)
		if !ok {
			return true
		}
		idx := -1
		if b.Role != nil {
			idx = b.Role.Rules.Match(r)
		}
		covers := b.Covers(r)
		if covers && idx >= 0 && first == nil {
			first = rbacGrant(b, subj, idx)
			if !detail {
				return false
			}
		}
		if detail {
			bd := Binding{Kind: b.Kind, Name: b.Name, Namespace: b.Namespace, RoleKind: b.RoleKind, RoleName: b.RoleName, Subject: subj}
			switch {
			case b.Role == nil:
				bd.Reason = b.RoleRef() + " does not exist; the binding grants nothing"
			case !covers:
				bd.Reason = "a RoleBinding in namespace " + strconv.Quote(b.Namespace) + " does not cover " + policy.Describe(r)
			case idx < 0:
				bd.Reason = b.RoleRef() + " has no rule for it"
				if from := v.aggregationPending(b.Role, r); from != "" {
					bd.Reason += " (as stored; ClusterRole/" + from + ", which its aggregationRule selects, has one: the aggregation controller has not copied it yet)"
				}
			default:
				bd.Grants, bd.Reason = true, "allowed by "+rbacSummary(b, idx)
			}
			if b.Role != nil {
				bd.Aggregation = b.Role.AggregatedFrom
				if idx >= 0 {
					i := idx
					bd.RuleIndex, bd.Rule = &i, &b.Role.Rules.Rules()[i]
				}
			}
			*binds = append(*binds, bd)
		}
		return true
	}
	for _, b := range v.rbac.ClusterRoleBindings {
		if !visit(b) {
			return first
		}
	}
	if detail {
		for _, ns := range sortedKeys(v.rbac.RoleBindings) {
			for _, b := range v.rbac.RoleBindings[ns] {
				visit(b)
			}
		}
		return first
	}
	if r.ResourceRequest && r.Namespace != "" {
		for _, b := range v.rbac.RoleBindings[r.Namespace] {
			if !visit(b) {
				return first
			}
		}
	}
	return first
}

// aggregationPending names a ClusterRole that the aggregated role selects and whose rules allow
// r, although the aggregated role's stored rules do not ("" when none).
func (v *view) aggregationPending(role *kubesource.Role, r *policy.Request) string {
	for _, name := range role.AggregatedFrom {
		if src := v.rbac.Roles[kubesource.RoleKey("ClusterRole", "", name)]; src != nil && src.Rules.Match(r) >= 0 {
			return name
		}
	}
	return ""
}

func rbacSummary(b *kubesource.Binding, idx int) string {
	return b.Ref() + " → " + b.RoleRef() + " rule " + strconv.Itoa(idx)
}

func rbacGrant(b *kubesource.Binding, subj string, idx int) *Grant {
	i := idx
	return &Grant{Kind: "RBAC", Authorizer: "RBAC", Binding: b.Ref(), Role: b.RoleRef(), RuleIndex: &i, Subject: subj, Summary: rbacSummary(b, idx) + " (" + subj + ")"}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (x *Explainer) explain(_ context.Context, cluster access.ClusterKey, q ExplainQuery) (*Explanation, error) {
	s, err := validateSubject(q.Subject)
	if err != nil {
		return nil, err
	}
	v, err := x.view(cluster)
	if err != nil {
		return nil, err
	}
	rq, pr, notes, err := validateRequest(q.Request, v.src.Resources())
	if err != nil {
		return nil, err
	}
	w := v.resolve(s)
	vd := v.decide(&w, &pr, true)
	e := &Explanation{Cluster: cluster.Name, Request: rq, Description: policy.Describe(&pr), Allowed: vd.allowed,
		Identity: w.ident, Authorizers: vd.auths, Policies: nonNilSlice(vd.pols), RBACConsulted: v.rbac != nil,
		Bindings: nonNilSlice(vd.binds), Notes: append(v.notes, notes...)}
	switch {
	case vd.allowed:
		e.Decision, e.DecidedBy = "allowed", vd.by.Authorizer
		e.Reason = "allowed by " + vd.by.Summary
	case !w.ident.Mapped:
		e.Decision, e.Reason = "denied", "denied: the principal is not authenticated ("+w.ident.Reason+")"
	default:
		e.Decision = "denied"
		e.Reason = "denied: no authorizer allows " + e.Description + " for " + strconv.Quote(w.ident.Username)
		if v.rbac == nil {
			e.Reason += " (RBAC not consulted)"
		}
	}
	return e, nil
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
