package identity

import (
	"strings"
	"testing"
)

func TestWildcard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"*", "anything", true}, {"", "", true}, {"", "a", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"a*c", "ac", true}, {"a*c", "abbbc", true},
		{"a*c", "abbbd", false}, {"*:cluster/*", "arn:aws:eks:us-west-2:1:cluster/x", true},
		{"arn:aws:eks:*:*:cluster/prod-*", "arn:aws:eks:us-west-2:1:cluster/dev-1", false},
		{"**?", "x", true}, {"a*b*c", "aXbYc", true}, {"a*b*c", "aXcYb", false},
	} {
		if got := Wildcard(tc.p, tc.s); got != tc.want {
			t.Errorf("Wildcard(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func mustPolicy(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	return p
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	const cl = "arn:aws:eks:us-west-2:012345678910:cluster/prod-1"
	allowAll := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"eks:*","Resource":"*"}}`
	for _, tc := range []struct {
		name     string
		docs     []string
		action   string
		resource string
		want     Decision
	}{
		{"no policies", nil, "eks:DescribeCluster", cl, ImplicitDeny},
		{"allow all", []string{allowAll}, "eks:DescribeCluster", cl, Allowed},
		{"action case-insensitive", []string{`{"Statement":[{"Effect":"Allow","Action":"EKS:describecluster","Resource":"*"}]}`}, "eks:DescribeCluster", cl, Allowed},
		{"resource case-sensitive", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:eks:*:*:cluster/PROD-*"}]}`}, "eks:DescribeCluster", cl, ImplicitDeny},
		{"question mark", []string{`{"Statement":[{"Effect":"Allow","Action":"eks:Describe?luster","Resource":"arn:aws:eks:*:*:cluster/prod-?"}]}`}, "eks:DescribeCluster", cl, Allowed},
		{"other service", []string{`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}, "eks:DescribeCluster", cl, ImplicitDeny},
		{"deny wins in the same policy", []string{`{"Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"},{"Effect":"Deny","Action":"eks:Delete*","Resource":"*"}]}`}, "eks:DeleteCluster", cl, ExplicitDeny},
		{"deny wins across policies", []string{allowAll, `{"Statement":{"Effect":"Deny","Action":"eks:*","Resource":"arn:aws:eks:*:*:cluster/prod-*"}}`}, "eks:DescribeCluster", cl, ExplicitDeny},
		{"deny elsewhere", []string{allowAll, `{"Statement":{"Effect":"Deny","Action":"eks:*","Resource":"arn:aws:eks:*:*:cluster/dev-*"}}`}, "eks:DescribeCluster", cl, Allowed},
		{"NotAction", []string{`{"Statement":{"Effect":"Allow","NotAction":"eks:Delete*","Resource":"*"}}`}, "eks:DeleteCluster", cl, ImplicitDeny},
		{"NotAction allows others", []string{`{"Statement":{"Effect":"Allow","NotAction":"eks:Delete*","Resource":"*"}}`}, "eks:DescribeCluster", cl, Allowed},
		{"NotResource", []string{`{"Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:eks:*:*:cluster/prod-*"}}`}, "eks:DescribeCluster", cl, ImplicitDeny},
		{"Deny NotResource", []string{allowAll, `{"Statement":{"Effect":"Deny","Action":"*","NotResource":"arn:aws:eks:*:*:cluster/dev-*"}}`}, "eks:DescribeCluster", cl, ExplicitDeny},
		{"action list", []string{`{"Statement":{"Effect":"Allow","Action":["eks:List*","eks:DescribeCluster"],"Resource":["arn:aws:eks:us-east-1:*:*","` + cl + `"]}}`}, "eks:DescribeCluster", cl, Allowed},
	} {
		var ps []*Policy
		for _, d := range tc.docs {
			ps = append(ps, mustPolicy(t, d))
		}
		if got := Evaluate(ps, tc.action, tc.resource); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParsePolicyErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ doc, want string }{
		{`[]`, "not a JSON object"},
		{`{"Version":"2020-01-01","Statement":[]}`, "Version"},
		{`{"Version":"2012-10-17"}`, "Statement: missing"},
		{`{"Statement":[]}`, "Statement: empty"},
		{`{"Statement":[{"Action":"*","Resource":"*"}]}`, "Statement[0].Effect: missing"},
		{`{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, "Statement[0].Action"},
		{`{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}]}`, "Statement[0].Action"},
		{`{"Statement":[{"Effect":"Allow","Action":"*"}]}`, "Statement[0].Resource"},
		{`{"Statement":[{"Effect":"Allow","Action":"eks","Resource":"*"}]}`, `"eks" is not an action`},
		{`{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, "Action: empty"},
		{`{"Statement":[{"Effect":"Allow","Action":7,"Resource":"*"}]}`, "Action: must be a string or a list"},
		{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}]}`, "Principal: not allowed"},
		{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}]}`, "Condition: not supported"},
		{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Extra":1}]}`, "Extra: unknown"},
		{`{"Statement":[],"Bogus":1}`, "Bogus: unknown policy element"},
	} {
		_, err := ParsePolicy([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.doc, err, tc.want)
		}
	}
}

func FuzzPolicyParse(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}`, "eks:DescribeCluster", "arn:aws:eks:us-west-2:1:cluster/x")
	f.Add(`{"Statement":{"Effect":"Deny","NotAction":["a:?*"],"NotResource":"*?*"}}`, "a:b", "")
	f.Add(`{"Statement":null}`, "", "")
	f.Fuzz(func(t *testing.T, doc, action, resource string) {
		p, err := ParsePolicy([]byte(doc))
		if err != nil {
			return
		}
		p.Evaluate(action, resource)
		Wildcard(doc, action)
	})
}
