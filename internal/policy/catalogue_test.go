package policy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestCatalogueParses(t *testing.T) {
	t.Parallel()
	c, err := load(catalogueJSON)
	if err != nil {
		t.Fatalf("embedded eks-access-policies.json does not load: %v", err)
	}
	if c.listed != 33 || len(c.all) != 35 {
		t.Fatalf("loaded %d listed and %d total policies, want 33 and 35", c.listed, len(c.all))
	}
}

func TestCatalogueRejectsBrokenData(t *testing.T) {
	t.Parallel()
	type doc = map[string]any
	rules := func(d doc, name string) []any { return d["rules"].(doc)[name].([]any) }
	tests := []struct {
		name   string
		mutate func(d doc)
	}{
		{"misspelt rule field", func(d doc) {
			rules(d, "AmazonEKSClusterAdminPolicy")[1].(doc)["nonResourceURL"] = []any{"/x"}
		}},
		{"ARN disagrees with name", func(d doc) {
			d["accessPolicies"].([]any)[0].(doc)["arn"] = "arn:aws:eks::aws:cluster-access-policy/Other"
		}},
		{"rules for an uncatalogued policy", func(d doc) { d["rules"].(doc)["NoSuchPolicy"] = []any{} }},
		{"service-linked-role flag for an uncatalogued policy", func(d doc) {
			d["serviceLinkedRoleOnly"] = append(d["serviceLinkedRoleOnly"].([]any), "NoSuchPolicy")
		}},
		{"duplicate policy", func(d doc) {
			d["documentedButNotInCapturedList"] = append(d["documentedButNotInCapturedList"].([]any), doc{"name": "AmazonEKSViewPolicy", "note": ""})
		}},
		{"invalid policy name", func(d doc) {
			d["documentedButNotInCapturedList"] = append(d["documentedButNotInCapturedList"].([]any), doc{"name": "Amazon EKS", "note": ""})
		}},
		{"rule without verbs", func(d doc) { rules(d, "AmazonEKSHybridPolicy")[0].(doc)["verbs"] = []any{} }},
		{"rule mixing resources and URLs", func(d doc) {
			rules(d, "AmazonEKSHybridPolicy")[0].(doc)["nonResourceURLs"] = []any{"/healthz"}
		}},
		{"resource rule without apiGroups", func(d doc) { delete(rules(d, "AmazonEKSViewPolicy")[0].(doc), "apiGroups") }},
		{"no policies", func(d doc) { d["accessPolicies"] = []any{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var d doc
			if err := json.Unmarshal(catalogueJSON, &d); err != nil {
				t.Fatal(err)
			}
			if _, err := load(mustMarshal(t, d)); err != nil {
				t.Fatalf("unmodified catalogue does not load after a JSON round trip: %v", err)
			}
			tt.mutate(d)
			if _, err := load(mustMarshal(t, d)); err == nil {
				t.Fatalf("load accepted a catalogue with %s", tt.name)
			}
		})
	}
	if _, err := load([]byte(`{"accessPolicies": [`)); err == nil {
		t.Errorf("load accepted truncated JSON")
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestListAccessPolicies(t *testing.T) {
	t.Parallel()
	list := List()
	if len(list) != 33 {
		t.Fatalf("List() has %d policies, want 33", len(list))
	}
	if !slices.IsSortedFunc(list, func(a, b Policy) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("List() is not sorted by name")
	}
	for i, p := range list {
		if want := PolicyARN("aws", p.Name); p.ARN != want {
			t.Errorf("%s: ARN %q, want %q", p.Name, p.ARN, want)
		}
		if !p.Listed {
			t.Errorf("%s: Listed is false", p.Name)
		}
		if q, ok := ByName(p.Name); !ok || q != &list[i] {
			t.Errorf("ByName(%q) = %p, %v; want the List() entry", p.Name, q, ok)
		}
	}
	for _, name := range []string{"AIDevOpsAgentAccessPolicy", "AmazonEKSClusterAdminPolicy", "AmazonEKSViewPolicy", "AmazonSagemakerHyperpodUserClusterPolicy"} {
		if !slices.ContainsFunc(list, func(p Policy) bool { return p.Name == name }) {
			t.Errorf("List() lacks %s", name)
		}
	}
	if list[0].Name != "AIDevOpsAgentAccessPolicy" || list[32].Name != "AmazonSagemakerHyperpodUserClusterPolicy" {
		t.Errorf("List() runs from %s to %s", list[0].Name, list[32].Name)
	}
}

func TestDocumentedButUnlistedPolicies(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"AmazonEKSClusterInsightsPolicy", "AmazonSagemakerHyperpodInferenceMonitoringPolicy"} {
		p, ok := ByName(name)
		if !ok {
			t.Fatalf("ByName(%q) not found", name)
		}
		if p.Listed || p.ARN != PolicyARN("aws", name) || p.Note == "" {
			t.Errorf("%s: Listed=%v ARN=%q Note=%q", name, p.Listed, p.ARN, p.Note)
		}
		if slices.ContainsFunc(List(), func(q Policy) bool { return q.Name == name }) {
			t.Errorf("List() reports unlisted %s", name)
		}
	}
	if _, ok := ByName("AmazonEKSNoSuchPolicy"); ok {
		t.Errorf("ByName found an uncatalogued policy")
	}
}

func TestServiceLinkedRoleOnlyPolicies(t *testing.T) {
	t.Parallel()
	want := []string{
		"AmazonEKSBlockStorageClusterPolicy", "AmazonEKSBlockStoragePolicy", "AmazonEKSClusterInsightsPolicy",
		"AmazonEKSComputeClusterPolicy", "AmazonEKSComputePolicy", "AmazonEKSHybridPolicy",
	}
	var got []string
	for _, p := range cat.all {
		if p.ServiceLinkedRoleOnly {
			got = append(got, p.Name)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("service-linked-role-only policies = %v, want %v", got, want)
	}
}

func TestPublishedRuleTables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rules int // -1: not published
	}{
		{"AmazonEKSClusterAdminPolicy", 2},
		{"AmazonEKSAdminPolicy", 22},
		{"AmazonEKSEditPolicy", 20},
		{"AmazonEKSViewPolicy", 10},
		{"AmazonEKSAdminViewPolicy", 1},
		{"AmazonEKSSecretReaderPolicy", 1},
		{"AmazonEKSHybridPolicy", 1},
		{"AmazonEKSAutoNodePolicy", -1},
		{"AmazonEKSComputeClusterPolicy", -1},
		{"AmazonSagemakerHyperpodClusterPolicy", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, ok := ByName(tt.name)
			if !ok {
				t.Fatalf("not catalogued")
			}
			if tt.rules < 0 {
				if p.RulesPublished || p.Rules != nil {
					t.Errorf("RulesPublished=%v with %d rules, want unpublished", p.RulesPublished, len(p.Rules))
				}
				return
			}
			if !p.RulesPublished || len(p.Rules) != tt.rules {
				t.Errorf("RulesPublished=%v with %d rules, want %d", p.RulesPublished, len(p.Rules), tt.rules)
			}
		})
	}
	published := 0
	for _, p := range cat.all {
		if p.RulesPublished {
			published++
		}
	}
	if published != 7 {
		t.Errorf("%d policies have published rules, want 7", published)
	}
}
