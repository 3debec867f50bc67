package policy

import "strings"

// The helpers below are the Kubernetes RBAC rule-matching helpers
// (pkg/apis/rbac/v1 evaluation_helpers.go: VerbMatches, APIGroupMatches,
// ResourceMatches, ResourceNameMatches, NonResourceURLMatches) and
// RuleAllows (plugin/pkg/auth/authorizer/rbac), restated on this package's
// types.

const all = "*" // VerbAll, APIGroupAll, ResourceAll, NonResourceAll

// Allows reports whether the rule allows r under Kubernetes RBAC matching.
// Scope is not considered: see Set.Authorize for that.
func (rule *Rule) Allows(r *Request) bool {
	if !verbMatches(rule.Verbs, r.Verb) {
		return false
	}
	if !r.ResourceRequest {
		return nonResourceURLMatches(rule.NonResourceURLs, r.Path)
	}
	return apiGroupMatches(rule.APIGroups, r.APIGroup) &&
		resourceMatches(rule.Resources, r.Resource, r.Subresource) &&
		resourceNameMatches(rule.ResourceNames, r.Name)
}

func verbMatches(verbs []string, verb string) bool {
	for _, v := range verbs {
		if v == verb || v == all {
			return true
		}
	}
	return false
}

func apiGroupMatches(groups []string, group string) bool {
	for _, g := range groups {
		if g == group || g == all {
			return true
		}
	}
	return false
}

// resourceMatches reports whether one of the rule's resources matches the
// combined resource "<resource>" (no subresource) or
// "<resource>/<subresource>": "*" matches everything and "*/<subresource>"
// matches that subresource of any resource.
func resourceMatches(resources []string, resource, subresource string) bool {
	for _, rr := range resources {
		if rr == all || combinedEquals(rr, resource, subresource) {
			return true
		}
		if subresource != "" && len(rr) == len(subresource)+2 &&
			strings.HasPrefix(rr, "*/") && strings.HasSuffix(rr, subresource) {
			return true
		}
	}
	return false
}

// combinedEquals reports whether s equals the combined resource string
// Kubernetes builds: resource, or resource + "/" + subresource.
func combinedEquals(s, resource, subresource string) bool {
	if subresource == "" {
		return s == resource
	}
	n := len(resource)
	return len(s) == n+1+len(subresource) && s[:n] == resource && s[n] == '/' && s[n+1:] == subresource
}

// resourceNameMatches: no names means any name (including none); otherwise
// the requested name must be listed, so a request without a name (list,
// create, deletecollection, watch of a collection) does not match. (Upstream
// would match an unnamed request against a rule listing the empty name "";
// here such a rule never matches an unnamed request.)
func resourceNameMatches(names []string, name string) bool {
	if len(names) == 0 {
		return true
	}
	if name == "" {
		return false
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// nonResourceURLMatches: "*" matches every path, "<prefix>*" every path
// starting with the prefix (trailing '*'s trimmed), otherwise exact.
func nonResourceURLMatches(urls []string, path string) bool {
	for _, u := range urls {
		if u == all || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}
