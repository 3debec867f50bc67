package policy

import "strings"

// ScopeType is an access scope type of a policy association.
type ScopeType string

const (
	// ScopeCluster covers every request: all namespaces, cluster-scoped
	// resources and non-resource URLs.
	ScopeCluster ScopeType = "cluster"
	// ScopeNamespace covers only namespaced resource requests whose
	// namespace matches one of the scope's patterns.
	ScopeNamespace ScopeType = "namespace"
)

// Scope is the access scope of a policy association. Namespaces holds
// namespace patterns (see ValidNamespacePattern) and is used only when Type
// is ScopeNamespace.
type Scope struct {
	Type       ScopeType
	Namespaces []string
}

// ValidNamespacePattern reports whether s is a valid namespace pattern:
//
//   - an exact namespace name: a DNS-1123 label (1-63 characters of
//     lower-case alphanumerics and '-', starting and ending with an
//     alphanumeric), or
//   - a prefix pattern: a prefix of such a label (at most 63 characters,
//     starting with an alphanumeric; it may end with '-', as in "dev-*")
//     followed by a single trailing '*'. It matches every namespace that
//     starts with the prefix, including the prefix itself ("dev*" matches
//     "dev").
//
// "*" alone (empty prefix) is valid and matches every namespace. It is still
// a namespace scope: unlike ScopeCluster it covers no cluster-scoped
// resources and no non-resource URLs.
func ValidNamespacePattern(s string) bool {
	if prefix, ok := strings.CutSuffix(s, "*"); ok {
		return prefix == "" || len(prefix) <= 63 && isAlnumLower(prefix[0]) && lowerAlnumDash(prefix)
	}
	return len(s) >= 1 && len(s) <= 63 && isAlnumLower(s[0]) && isAlnumLower(s[len(s)-1]) && lowerAlnumDash(s)
}

func isAlnumLower(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// compiledScope is a Scope prepared for matching.
type compiledScope struct {
	typ      ScopeType
	exact    []string        // exact namespace names
	prefixes []prefixPattern // trailing-'*' patterns
	invalid  []string        // invalid patterns; they never match
}

type prefixPattern struct {
	prefix  string // the pattern without its '*'; "" matches every namespace
	pattern string // the pattern as given
}

func compileScope(s Scope) compiledScope {
	cs := compiledScope{typ: s.Type}
	if s.Type != ScopeNamespace {
		return cs
	}
	for _, ns := range s.Namespaces {
		switch {
		case !ValidNamespacePattern(ns):
			cs.invalid = append(cs.invalid, ns)
		case strings.HasSuffix(ns, "*"):
			cs.prefixes = append(cs.prefixes, prefixPattern{prefix: ns[:len(ns)-1], pattern: ns})
		default:
			cs.exact = append(cs.exact, ns)
		}
	}
	return cs
}

// source returns the scope as given (patterns in their kinds' order: exact, prefix, invalid).
func (cs *compiledScope) source() Scope {
	s := Scope{Type: cs.typ}
	if cs.typ != ScopeNamespace {
		return s
	}
	s.Namespaces = append(s.Namespaces, cs.exact...)
	for _, p := range cs.prefixes {
		s.Namespaces = append(s.Namespaces, p.pattern)
	}
	return Scope{Type: cs.typ, Namespaces: append(s.Namespaces, cs.invalid...)}
}

// covers reports whether the scope covers r and, for a namespace scope,
// returns the pattern that matched.
func (cs *compiledScope) covers(r *Request) (pattern string, ok bool) {
	switch cs.typ {
	case ScopeCluster:
		return "", true
	case ScopeNamespace:
		if !r.ResourceRequest || r.Namespace == "" {
			return "", false
		}
		for _, ns := range cs.exact {
			if ns == r.Namespace {
				return ns, true
			}
		}
		for _, p := range cs.prefixes {
			if strings.HasPrefix(r.Namespace, p.prefix) {
				return p.pattern, true
			}
		}
	}
	return "", false
}
