package policy

import (
	"strings"
	"testing"
)

func TestValidNamespacePattern(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 63)
	tests := []struct {
		pattern string
		valid   bool
	}{
		{"default", true},
		{"kube-system", true},
		{"team1", true},
		{"1team", true},
		{long, true},
		{"dev-*", true},
		{"dev*", true},
		{"d*", true},
		{"*", true}, // every namespace (still namespace scope)
		{long + "*", true},
		{"", false},
		{"Dev", false},
		{"dev_a", false},
		{"dev.a", false},
		{"-dev", false},
		{"dev-", false},
		{long + "a", false},
		{long + "a*", false},
		{"-*", false},
		{"**", false},
		{"dev-**", false},
		{"*-dev", false},
		{"dev-*-a", false},
		{"de*v", false},
		{"Dev-*", false},
		{" dev", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			t.Parallel()
			if got := ValidNamespacePattern(tt.pattern); got != tt.valid {
				t.Errorf("ValidNamespacePattern(%q) = %v, want %v", tt.pattern, got, tt.valid)
			}
		})
	}
}

func TestScopeCovers(t *testing.T) {
	t.Parallel()
	nsScope := func(ns ...string) Scope { return Scope{Type: ScopeNamespace, Namespaces: ns} }
	pods := func(ns string) *Request {
		return &Request{Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: ns}
	}
	tests := []struct {
		desc    string
		scope   Scope
		req     *Request
		covers  bool
		pattern string
	}{
		{"cluster scope covers a namespace", Scope{Type: ScopeCluster}, pods("dev"), true, ""},
		{"cluster scope covers cluster-scoped resources", Scope{Type: ScopeCluster}, pods(""), true, ""},
		{"cluster scope covers non-resource URLs", Scope{Type: ScopeCluster}, &Request{Verb: "get", Path: "/healthz"}, true, ""},
		{"exact namespace", nsScope("dev"), pods("dev"), true, "dev"},
		{"exact namespace is not a prefix", nsScope("dev"), pods("dev-a"), false, ""},
		{"dev-* covers dev-a", nsScope("dev-*"), pods("dev-a"), true, "dev-*"},
		{"dev-* does not cover prod", nsScope("dev-*"), pods("prod"), false, ""},
		{"dev-* does not cover dev", nsScope("dev-*"), pods("dev"), false, ""},
		{"dev* covers dev", nsScope("dev*"), pods("dev"), true, "dev*"},
		{"second pattern", nsScope("prod", "dev-*"), pods("dev-b"), true, "dev-*"},
		{"* covers any namespace", nsScope("*"), pods("anything"), true, "*"},
		{"* does not cover cluster-scoped", nsScope("*"), pods(""), false, ""},
		{"namespace scope never covers non-resource URLs", nsScope("*"), &Request{Verb: "get", Path: "/healthz", Namespace: "dev"}, false, ""},
		{"invalid pattern never matches", nsScope("Dev"), pods("Dev"), false, ""},
		{"no namespaces covers nothing", nsScope(), pods("dev"), false, ""},
		{"unknown scope type covers nothing", Scope{Type: "Cluster"}, pods("dev"), false, ""},
		{"empty scope type covers nothing", Scope{}, pods(""), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			cs := compileScope(tt.scope)
			pattern, ok := cs.covers(tt.req)
			if ok != tt.covers || pattern != tt.pattern {
				t.Errorf("covers = %q, %v; want %q, %v", pattern, ok, tt.pattern, tt.covers)
			}
		})
	}
}
