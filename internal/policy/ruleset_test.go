package policy

import (
	"math/rand/v2"
	"testing"
)

// RuleSet.Match (the indexed matcher access policies use) returns the first rule that
// Rule.Allows, for random rules and requests of RBAC's form.
func TestRuleSetMatchesFirstAllowingRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(opts ...string) []string {
		n := 1 + rng.IntN(2)
		out := make([]string, n)
		for i := range out {
			out[i] = opts[rng.IntN(len(opts))]
		}
		return out
	}
	verbs := []string{"get", "list", "delete", "*"}
	groups := []string{"", "apps", "*"}
	resources := []string{"pods", "pods/log", "deployments", "*", "*/scale", "secrets"}
	for round := 0; round < 300; round++ {
		var rules []Rule
		for i := 0; i < 1+rng.IntN(6); i++ {
			if rng.IntN(5) == 0 {
				rules = append(rules, Rule{Verbs: pick(verbs...), NonResourceURLs: pick("/healthz", "/api/*", "*")})
				continue
			}
			r := Rule{Verbs: pick(verbs...), APIGroups: pick(groups...), Resources: pick(resources...)}
			if rng.IntN(4) == 0 {
				r.ResourceNames = pick("web", "db")
			}
			rules = append(rules, r)
		}
		rs := CompileRules(rules)
		for q := 0; q < 50; q++ {
			var r Request
			if rng.IntN(5) == 0 {
				r = Request{Verb: verbs[rng.IntN(3)], Path: []string{"/healthz", "/api/v1", "/metrics"}[rng.IntN(3)]}
			} else {
				r = Request{Verb: verbs[rng.IntN(3)], ResourceRequest: true, APIGroup: []string{"", "apps"}[rng.IntN(2)],
					Resource: []string{"pods", "deployments", "secrets"}[rng.IntN(3)], Subresource: []string{"", "log", "scale"}[rng.IntN(3)],
					Name: []string{"", "web", "db"}[rng.IntN(3)], Namespace: "ns"}
			}
			want := -1
			for i := range rules {
				if rules[i].Allows(&r) {
					want = i
					break
				}
			}
			if got := rs.Match(&r); got != want {
				t.Fatalf("rules %+v, request %+v: Match %d, first allowing rule %d", rules, r, got, want)
			}
		}
	}
	if (*RuleSet)(nil).Match(&Request{Verb: "get"}) != -1 {
		t.Fatal("nil RuleSet matched")
	}
}
