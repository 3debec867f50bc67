package policy

import (
	"strconv"
	"strings"
)

// Association is one access policy associated with an access entry.
type Association struct {
	PolicyARN string
	Scope     Scope
}

// Request is one Kubernetes authorization request (the attributes of a
// SubjectAccessReview).
type Request struct {
	Verb            string
	ResourceRequest bool
	// Resource requests. Namespace is empty for cluster-scoped resources
	// and for requests across all namespaces.
	APIGroup, Resource, Subresource, Name, Namespace string
	// Non-resource requests.
	Path string
}

// Decision is the evaluator's answer: allow, or no opinion. It never denies.
type Decision struct {
	Allowed bool
	// Policy is the granting policy (nil when not allowed).
	Policy *Policy
	// RuleIndex is the 0-based index in Policy.Rules of the first rule that
	// grants the request (-1 when not allowed).
	RuleIndex int
	// Association is the index, in the slice given to Compile, of the
	// granting association (-1 when not allowed).
	Association int
	// Scope is the granting association's scope type; NamespacePattern is
	// the pattern of a namespace scope that matched the request.
	Scope            ScopeType
	NamespacePattern string

	req Request
	set *Set
}

// Set is an access entry's associations compiled for repeated evaluation.
// It is immutable and safe for concurrent use.
type Set struct {
	assocs []compiledAssoc
}

type compiledAssoc struct {
	arn    string
	policy *Policy // nil when the ARN names no catalogued policy
	scope  compiledScope
}

// Compile prepares assocs for Authorize. ARNs are resolved with Lookup in
// partition ("" means "aws"); associations whose ARN is malformed or names
// no catalogued policy are kept (for Decision.Reason) but grant nothing, as
// do policies without published rules, scopes of an unknown type and
// invalid namespace patterns. Compile does not enforce API-level rules
// (service-linked-role-only policies, scope validation, one association per
// policy): the API layer does. assocs is not retained.
func Compile(assocs []Association, partition string) *Set {
	return compile(assocs, func(arn string) *Policy {
		p, _, _ := Lookup(arn, partition)
		return p
	})
}

func compile(assocs []Association, resolve func(arn string) *Policy) *Set {
	s := &Set{assocs: make([]compiledAssoc, len(assocs))}
	for i, a := range assocs {
		s.assocs[i] = compiledAssoc{arn: a.PolicyARN, policy: resolve(a.PolicyARN), scope: compileScope(a.Scope)}
	}
	return s
}

// keyBufSize bounds the stack buffer for index keys; longer keys still
// work, at the cost of one allocation.
const keyBufSize = 256

// Authorize evaluates r against the associations: the request is allowed
// when some association's scope covers it and its policy has a rule that
// allows it (Kubernetes RBAC matching, see Rule.Allows); associations are
// tried in order and the first grant is reported. Otherwise the decision
// is no opinion. A nil Set has no associations. Authorize does not
// allocate.
func (s *Set) Authorize(r *Request) Decision {
	d := Decision{RuleIndex: -1, Association: -1, req: *r, set: s}
	if s == nil {
		return d
	}
	var buf [keyBufSize]byte
	key, split := requestKey(buf[:0], r)
	for i := range s.assocs {
		a := &s.assocs[i]
		if a.policy == nil || a.policy.compiled == nil {
			continue
		}
		pattern, ok := a.scope.covers(r)
		if !ok {
			continue
		}
		// match's body, inlined by hand: this loop is the authorization webhook's hot path.
		var idx int
		if r.ResourceRequest {
			idx = a.policy.compiled.matchResource(r, key, split)
		} else {
			idx = a.policy.compiled.matchNonResource(r)
		}
		if idx >= 0 {
			d.Allowed, d.Policy, d.RuleIndex, d.Association = true, a.policy, idx, i
			d.Scope, d.NamespacePattern = a.scope.typ, pattern
			return d
		}
	}
	return d
}

// requestKey appends to buf the index key of a resource request,
// "<apiGroup>\x00<resource>[/<subresource>]"; key[split:] is the combined
// resource alone. Non-resource requests have no key.
func requestKey(buf []byte, r *Request) (key []byte, split int) {
	if !r.ResourceRequest {
		return buf, 0
	}
	key = append(buf, r.APIGroup...)
	key = append(key, 0)
	split = len(key)
	key = append(key, r.Resource...)
	if r.Subresource != "" {
		key = append(key, '/')
		key = append(key, r.Subresource...)
	}
	return key, split
}

// match returns the index of the first rule allowing r, or -1.
func (cp *compiledPolicy) match(r *Request, key []byte, split int) int {
	if r.ResourceRequest {
		return cp.matchResource(r, key, split)
	}
	return cp.matchNonResource(r)
}

// compiledPolicy indexes a policy's rules. Resource rules that name
// concrete resources are found by map lookup on (apiGroup, combined
// resource); rules with wildcard resources and non-resource rules are few
// and matched one by one.
type compiledPolicy struct {
	rules []Rule
	// byKey: "<apiGroup>\x00<resource as listed>" -> ascending rule indexes
	// (apiGroup not "*").
	byKey map[string][]int
	// anyGroup: "<resource as listed>" -> ascending indexes of rules whose
	// apiGroups include "*".
	anyGroup map[string][]int
	// wildcard: ascending indexes of resource rules listing "*" or
	// "*/<subresource>" (or strings the index cannot represent).
	wildcard    []int
	nonResource []int
}

// compilePolicy returns nil when the policy has no published rules.
func compilePolicy(p *Policy) *compiledPolicy {
	if !p.RulesPublished {
		return nil
	}
	return compileRules(p.Rules)
}

// compileRules indexes rules for matchResource and matchNonResource.
func compileRules(rules []Rule) *compiledPolicy {
	cp := &compiledPolicy{rules: rules, byKey: map[string][]int{}, anyGroup: map[string][]int{}}
	addIdx := func(m map[string][]int, k string, i int) {
		if l := m[k]; len(l) == 0 || l[len(l)-1] != i {
			m[k] = append(l, i)
		}
	}
	for i := range rules {
		rule := &rules[i]
		if len(rule.NonResourceURLs) > 0 {
			cp.nonResource = append(cp.nonResource, i)
		}
		if len(rule.Resources) == 0 {
			continue
		}
		generic := false
		for _, res := range rule.Resources {
			if res == all || strings.HasPrefix(res, "*/") || strings.IndexByte(res, 0) >= 0 {
				generic = true
				continue
			}
			for _, g := range rule.APIGroups {
				switch {
				case g == all:
					addIdx(cp.anyGroup, res, i)
				case strings.IndexByte(g, 0) >= 0:
					generic = true
				default:
					addIdx(cp.byKey, g+"\x00"+res, i)
				}
			}
		}
		if generic {
			cp.wildcard = append(cp.wildcard, i)
		}
	}
	return cp
}

// matchResource returns the index of the first rule allowing the resource
// request r, or -1. key and split are as built by Authorize.
func (cp *compiledPolicy) matchResource(r *Request, key []byte, split int) int {
	best := cp.firstVerbAndName(cp.byKey[string(key)], r, -1)
	if len(cp.anyGroup) > 0 {
		best = cp.firstVerbAndName(cp.anyGroup[string(key[split:])], r, best)
	}
	for _, i := range cp.wildcard {
		if best >= 0 && i > best {
			break
		}
		if cp.rules[i].Allows(r) {
			return i
		}
	}
	return best
}

// firstVerbAndName returns the first index in ids (ascending; group and
// resource already matched) whose rule matches r's verb and name, if it is
// lower than best (-1: none yet); otherwise best.
func (cp *compiledPolicy) firstVerbAndName(ids []int, r *Request, best int) int {
	for _, i := range ids {
		if best >= 0 && i > best {
			break
		}
		rule := &cp.rules[i]
		if verbMatches(rule.Verbs, r.Verb) && resourceNameMatches(rule.ResourceNames, r.Name) {
			return i
		}
	}
	return best
}

func (cp *compiledPolicy) matchNonResource(r *Request) int {
	for _, i := range cp.nonResource {
		if cp.rules[i].Allows(r) {
			return i
		}
	}
	return -1
}

// Reason explains the decision in one line, e.g.
//
//	allowed by AmazonEKSViewPolicy (cluster scope) rule 7
//	no associated access policy grants get secrets in namespace "dev": AmazonEKSViewPolicy (cluster scope) has no rule for it
//
// A no-opinion reason lists, per association, why it did not grant:
// unknown policy ARN, rules not published by AWS, scope not covering the
// request, or no matching rule.
func (d Decision) Reason() string {
	if d.Allowed {
		var b strings.Builder
		b.WriteString("allowed by ")
		b.WriteString(d.Policy.Name)
		if d.Scope == ScopeNamespace {
			b.WriteString(" (namespace scope ")
			b.WriteString(strconv.Quote(d.NamespacePattern))
			b.WriteString(")")
		} else {
			b.WriteString(" (cluster scope)")
		}
		b.WriteString(" rule ")
		b.WriteString(strconv.Itoa(d.RuleIndex))
		return b.String()
	}
	if d.set == nil || len(d.set.assocs) == 0 {
		return "no access policy is associated with the access entry"
	}
	r := &d.req
	notes := make([]string, 0, len(d.set.assocs))
	for i := range d.set.assocs {
		notes = append(notes, d.set.assocs[i].explain(r))
	}
	return "no associated access policy grants " + describe(r) + ": " + strings.Join(notes, "; ")
}

// explain says why association a does not grant r.
func (a *compiledAssoc) explain(r *Request) string {
	if a.policy == nil {
		return strconv.Quote(a.arn) + ": policy ARN not found; grants nothing"
	}
	name := a.policy.Name
	if !a.policy.RulesPublished {
		return name + ": rules not published by AWS; grants nothing here"
	}
	cs := &a.scope
	switch cs.typ {
	case ScopeCluster:
		return name + " (cluster scope) has no rule for it"
	case ScopeNamespace:
	default:
		return name + ": invalid scope type " + strconv.Quote(string(cs.typ)) + "; grants nothing"
	}
	var pats []string
	pats = append(pats, cs.exact...)
	for _, p := range cs.prefixes {
		pats = append(pats, p.pattern)
	}
	scope := name + " (namespace scope " + strings.Join(pats, ", ")
	if len(pats) == 0 {
		scope = name + " (namespace scope without valid namespaces"
	}
	if len(cs.invalid) > 0 {
		scope += "; invalid, ignored: " + strings.Join(cs.invalid, ", ")
	}
	scope += ")"
	if _, ok := cs.covers(r); ok {
		return scope + " has no rule for it"
	}
	switch {
	case !r.ResourceRequest:
		return scope + " does not cover non-resource URLs"
	case r.Namespace == "":
		return scope + " does not cover cluster-scoped or all-namespaces requests"
	}
	return scope + " does not cover namespace " + strconv.Quote(r.Namespace)
}

// describe renders r like "get secrets in namespace \"dev\"",
// "update deployments.apps/scale \"web\" in namespace \"prod\"", "list nodes"
// or "get /healthz".
func describe(r *Request) string {
	if !r.ResourceRequest {
		return r.Verb + " " + r.Path
	}
	s := r.Verb + " " + r.Resource
	if r.APIGroup != "" {
		s += "." + r.APIGroup
	}
	if r.Subresource != "" {
		s += "/" + r.Subresource
	}
	if r.Name != "" {
		s += " " + strconv.Quote(r.Name)
	}
	if r.Namespace != "" {
		s += " in namespace " + strconv.Quote(r.Namespace)
	}
	return s
}
