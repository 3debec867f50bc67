package explain

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/eksaccess/eksaccess/internal/kubesource"
	"github.com/eksaccess/eksaccess/internal/policy"
)

func (x *Explainer) whoCan(_ context.Context, cluster access.ClusterKey, q WhoCanQuery) (*WhoCanResult, error) {
	v, err := x.view(cluster)
	if err != nil {
		return nil, err
	}
	rq, pr, notes, err := validateRequest(q.Request, v.src.Resources())
	if err != nil {
		return nil, err
	}
	res := &WhoCanResult{Cluster: cluster.Name, Request: rq, Description: policy.Describe(&pr), RBACConsulted: v.rbac != nil,
		Notes: append(v.notes, notes...)}
	// RBAC subjects that are granted, with their grants (one per subject: the first).
	groups := map[string]*Grant{systemMasters: {Kind: "SystemMasters", Authorizer: "system:masters", Subject: "Group system:masters",
		Summary: "member of system:masters: kube-apiserver allows every request"}}
	users := map[string]*Grant{}
	var rbacWho []Who
	add := func(kind, name string, g *Grant) {
		rbacWho = append(rbacWho, Who{Kind: kind, Name: name, GrantedBy: []Grant{*g}})
	}
	add("Group", systemMasters, groups[systemMasters])
	if v.rbac != nil {
		matched := map[*kubesource.Role]int{}
		visit := func(b *kubesource.Binding) {
			if b.Role == nil || !b.Covers(&pr) {
				return
			}
			idx, ok := matched[b.Role]
			if !ok {
				idx = b.Role.Rules.Match(&pr)
				matched[b.Role] = idx
			}
			if idx < 0 {
				return
			}
			for i := range b.Subjects {
				s := &b.Subjects[i]
				subj := kubesource.SubjectString(s, b.Namespace)
				g := rbacGrant(b, subj, idx)
				switch s.Kind {
				case "Group":
					if groups[s.Name] == nil {
						groups[s.Name] = g
						add("Group", s.Name, g)
					}
				case "User":
					if users[s.Name] == nil {
						users[s.Name] = g
						add("User", s.Name, g)
					}
				case "ServiceAccount":
					name := strings.TrimPrefix(subj, "ServiceAccount ")
					u := "system:serviceaccount:" + strings.Replace(name, "/", ":", 1)
					if users[u] == nil {
						users[u] = g
						add("ServiceAccount", name, g)
					}
				}
			}
		}
		for _, b := range v.rbac.ClusterRoleBindings {
			visit(b)
		}
		if pr.ResourceRequest && pr.Namespace != "" {
			for _, b := range v.rbac.RoleBindings[pr.Namespace] {
				visit(b)
			}
		}
		if g := groups[systemAuthenticated]; g != nil {
			res.Notes = append(res.Notes, "every authenticated user may: "+g.Summary)
		}
	}
	// grantsOf finds the RBAC grants of a mapped IAM identity (literal username, groups).
	grantsOf := func(username string, gs []string) []Grant {
		var out []Grant
		if g := users[username]; g != nil && !strings.Contains(username, "{{") {
			out = append(out, *g)
		}
		for _, name := range gs {
			if g := groups[name]; g != nil {
				out = append(out, *g)
			}
		}
		return out
	}
	var iam []Who
	if v.cluster.UsesAccessEntries {
		v.wh.EachEntry(cluster, func(e *kubeauth.EntryView) bool {
			grants := grantsOf(e.Username, e.Groups)
			if d := e.Policies.Authorize(&pr); d.Allowed {
				grants = append(grants, *policyGrant(d.Policy.ARN, d.Scope, d.RuleIndex, d.Reason()))
			}
			if len(grants) > 0 {
				iam = append(iam, Who{Kind: "IAMPrincipal", Name: e.PrincipalARN, Username: e.Username, Groups: nonNil(e.Groups), GrantedBy: grants})
			}
			return true
		})
	}
	if v.cluster.UsesConfigMap {
		if m, arn, ok := v.wh.Creator(cluster); ok {
			iam = append(iam, Who{Kind: "ClusterCreator", Name: arn, Username: m.Username, Groups: m.Groups, GrantedBy: grantsOf(m.Username, m.Groups)})
		}
		maps, _ := v.wh.AWSAuthMappings(cluster)
		for _, m := range maps {
			if m.PrincipalARN != "" && v.cluster.UsesAccessEntries {
				if pm, _ := v.wh.MapPrincipal(cluster, m.PrincipalARN, m.PrincipalARN, ""); pm.Via == kubeauth.MappedByAccessEntry {
					continue // its access entry maps it, not aws-auth
				}
			}
			name, user := m.PrincipalARN, m.Username
			if m.Account != "" {
				name = "account " + m.Account
			}
			if user == "" {
				user = m.PrincipalARN
			}
			if grants := grantsOf(user, m.Groups); len(grants) > 0 {
				iam = append(iam, Who{Kind: "AWSAuthMapping", Name: name, Username: user, Groups: nonNil(m.Groups), GrantedBy: grants})
			}
		}
	}
	byKindName := func(a, b Who) int { return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name)) }
	slices.SortFunc(iam, byKindName)
	slices.SortFunc(rbacWho, byKindName)
	res.Principals = append(iam, rbacWho...)
	if res.Principals == nil {
		res.Principals = []Who{}
	}
	return res, nil
}
