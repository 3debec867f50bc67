package policy

// RuleSet is a list of Kubernetes RBAC rules (a Role's or ClusterRole's) compiled for repeated
// matching by the same matcher that evaluates access policies: RBAC rules and access-policy
// rules share their form, so one implementation decides both. It is immutable and safe for
// concurrent use.
type RuleSet struct {
	cp *compiledPolicy
}

// CompileRules prepares rules for Match. rules is retained and must not be modified.
func CompileRules(rules []Rule) *RuleSet { return &RuleSet{cp: compileRules(rules)} }

// Rules returns the rules, in their order (Match indexes this slice).
func (rs *RuleSet) Rules() []Rule {
	if rs == nil {
		return nil
	}
	return rs.cp.rules
}

// Match returns the index of the first rule that allows r (Kubernetes RBAC matching, see
// Rule.Allows), or -1. A nil RuleSet has no rules.
func (rs *RuleSet) Match(r *Request) int {
	if rs == nil {
		return -1
	}
	var buf [keyBufSize]byte
	key, split := requestKey(buf[:0], r)
	return rs.cp.match(r, key, split)
}

// AssociationMatch is how one association of a Set meets a request.
type AssociationMatch struct {
	PolicyARN string
	Policy    *Policy // nil: the ARN names no catalogued policy
	Scope     Scope
	// ScopeCovers: the scope covers the request; Pattern is the namespace pattern that matched.
	ScopeCovers bool
	Pattern     string
	// RuleIndex is the first rule of the policy that allows the request, -1 if none (whatever
	// the scope).
	RuleIndex int
	// Grants: scope and rule both match.
	Grants bool
	// Reason says in one line why the association grants or does not.
	Reason string
}

// Matches reports, for every association in order, whether its scope covers r and whether a
// rule of its policy allows r: the detail behind Authorize's decision.
func (s *Set) Matches(r *Request) []AssociationMatch {
	if s == nil {
		return nil
	}
	var buf [keyBufSize]byte
	key, split := requestKey(buf[:0], r)
	out := make([]AssociationMatch, 0, len(s.assocs))
	for i := range s.assocs {
		a := &s.assocs[i]
		m := AssociationMatch{PolicyARN: a.arn, Policy: a.policy, RuleIndex: -1, Scope: a.scope.source()}
		m.Pattern, m.ScopeCovers = a.scope.covers(r)
		if a.policy != nil && a.policy.compiled != nil {
			m.RuleIndex = a.policy.compiled.match(r, key, split)
		}
		m.Grants = m.ScopeCovers && m.RuleIndex >= 0
		if m.Grants {
			m.Reason = Decision{Allowed: true, Policy: a.policy, RuleIndex: m.RuleIndex, Association: i,
				Scope: a.scope.typ, NamespacePattern: m.Pattern}.Reason()
		} else {
			m.Reason = a.explain(r)
		}
		out = append(out, m)
	}
	return out
}

// Describe renders r as reasons do, e.g. `get secrets in namespace "dev"`.
func Describe(r *Request) string { return describe(r) }
