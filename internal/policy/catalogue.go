// Package policy is the EKS access policy catalogue and the evaluator that
// turns an access entry's policy associations into Kubernetes authorization
// decisions.
//
// The catalogue (names, ARNs, published RBAC rule tables) is embedded from
// eks-access-policies.json, a copy of shared/spec/eks-access-policies.json,
// and parsed once at package initialisation; malformed data panics at init
// (see TestCatalogueParses).
//
// The evaluator follows the Kubernetes RBAC authorizer's rule matching
// (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac RuleAllows and the
// pkg/apis/rbac/v1 evaluation helpers) and EKS access scopes. It only ever
// allows or has no opinion; it never denies.
package policy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

//go:embed eks-access-policies.json
var catalogueJSON []byte

// Rule is one Kubernetes RBAC PolicyRule (allow only) of an access policy.
// A rule is either a resource rule (APIGroups and Resources set) or a
// non-resource rule (NonResourceURLs set).
type Rule struct {
	Verbs           []string `json:"verbs"`
	APIGroups       []string `json:"apiGroups,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	ResourceNames   []string `json:"resourceNames,omitempty"`
	NonResourceURLs []string `json:"nonResourceURLs,omitempty"`
}

// Policy is one EKS cluster access policy.
type Policy struct {
	Name string
	// ARN is the ARN as ListAccessPolicies reports it, in the aws partition:
	// arn:aws:eks::aws:cluster-access-policy/<Name>.
	ARN string
	// Rules are the RBAC rules AWS publishes for the policy, in the
	// published order (Decision.RuleIndex indexes this slice). Nil when AWS
	// publishes no rule table; such a policy grants nothing here.
	Rules          []Rule
	RulesPublished bool
	// ServiceLinkedRoleOnly marks policies that EKS only lets AWS
	// service-linked roles use ("The specified policyArn can only be
	// associated with service-linked roles").
	ServiceLinkedRoleOnly bool
	// Listed is true for the policies ListAccessPolicies returns, false for
	// the documented ones missing from the captured list.
	Listed bool
	// Description is a short prose summary (may be empty).
	Description string
	// Note explains where an unlisted policy is documented (may be empty).
	Note string

	compiled *compiledPolicy
}

// catalogueFile mirrors eks-access-policies.json. Unknown keys are rejected
// so that a misspelt rule field cannot silently widen a rule.
type catalogueFile struct {
	Source         map[string]string `json:"_source"`
	AccessPolicies []struct {
		Name string `json:"name"`
		ARN  string `json:"arn"`
	} `json:"accessPolicies"`
	DocumentedButNotInCapturedList []struct {
		Name string `json:"name"`
		Note string `json:"note"`
	} `json:"documentedButNotInCapturedList"`
	ServiceLinkedRoleOnly              []string          `json:"serviceLinkedRoleOnly"`
	ServiceLinkedRoleOnlyErrorObserved string            `json:"serviceLinkedRoleOnlyErrorObserved"`
	Descriptions                       map[string]string `json:"descriptions"`
	Rules                              map[string][]Rule `json:"rules"`
	RulesNotes                         string            `json:"rulesNotes"`
}

// catalogue is the parsed, immutable policy catalogue.
type catalogue struct {
	all    []Policy // listed policies sorted by name, then unlisted ones sorted by name
	listed int      // all[:listed] are the listed policies
	byName map[string]*Policy
}

var cat = mustLoad(catalogueJSON)

func mustLoad(data []byte) *catalogue {
	c, err := load(data)
	if err != nil {
		panic("policy: embedded eks-access-policies.json: " + err.Error())
	}
	return c
}

// load parses and validates the catalogue JSON and compiles every policy's
// rules for the evaluator.
func load(data []byte) (*catalogue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f catalogueFile
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if len(f.AccessPolicies) == 0 {
		return nil, fmt.Errorf("no accessPolicies")
	}

	var listed, unlisted []Policy
	seen := map[string]bool{}
	add := func(name string) error {
		if !validPolicyName(name) {
			return fmt.Errorf("invalid policy name %q", name)
		}
		if seen[name] {
			return fmt.Errorf("duplicate policy %q", name)
		}
		seen[name] = true
		return nil
	}
	for _, p := range f.AccessPolicies {
		if err := add(p.Name); err != nil {
			return nil, err
		}
		if want := PolicyARN("aws", p.Name); p.ARN != want {
			return nil, fmt.Errorf("policy %s: arn %q, want %q", p.Name, p.ARN, want)
		}
		listed = append(listed, Policy{Name: p.Name, ARN: p.ARN, Listed: true})
	}
	for _, p := range f.DocumentedButNotInCapturedList {
		if err := add(p.Name); err != nil {
			return nil, err
		}
		unlisted = append(unlisted, Policy{Name: p.Name, ARN: PolicyARN("aws", p.Name), Note: p.Note})
	}
	byName := func(a, b Policy) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(listed, byName)
	slices.SortFunc(unlisted, byName)

	c := &catalogue{all: append(listed, unlisted...), listed: len(listed), byName: map[string]*Policy{}}
	for i := range c.all {
		c.byName[c.all[i].Name] = &c.all[i]
	}
	lookup := func(what, name string) (*Policy, error) {
		if p, ok := c.byName[name]; ok {
			return p, nil
		}
		return nil, fmt.Errorf("%s names uncatalogued policy %q", what, name)
	}
	for _, name := range f.ServiceLinkedRoleOnly {
		p, err := lookup("serviceLinkedRoleOnly", name)
		if err != nil {
			return nil, err
		}
		p.ServiceLinkedRoleOnly = true
	}
	for name, d := range f.Descriptions {
		p, err := lookup("descriptions", name)
		if err != nil {
			return nil, err
		}
		p.Description = d
	}
	for name, rules := range f.Rules {
		p, err := lookup("rules", name)
		if err != nil {
			return nil, err
		}
		for i, r := range rules {
			if err := r.validate(); err != nil {
				return nil, fmt.Errorf("rules[%s][%d]: %v", name, i, err)
			}
		}
		p.Rules = rules
		p.RulesPublished = true
	}
	for i := range c.all {
		c.all[i].compiled = compilePolicy(&c.all[i])
	}
	return c, nil
}

func (r Rule) validate() error {
	if len(r.Verbs) == 0 {
		return fmt.Errorf("no verbs")
	}
	resource := len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0
	nonResource := len(r.NonResourceURLs) > 0
	switch {
	case resource && nonResource:
		return fmt.Errorf("mixes resources and nonResourceURLs")
	case nonResource:
		return nil
	case len(r.APIGroups) == 0 || len(r.Resources) == 0:
		return fmt.Errorf("resource rule needs apiGroups and resources")
	}
	return nil
}

// List returns the policies ListAccessPolicies reports, sorted by name in
// byte order. The slice and the policies are shared: callers must not
// mutate them.
func List() []Policy {
	return cat.all[:cat.listed:cat.listed]
}

// ByName returns any catalogued policy, including the documented policies
// that ListAccessPolicies does not report (Policy.Listed false). The policy
// is shared: callers must not mutate it.
func ByName(name string) (*Policy, bool) {
	p, ok := cat.byName[name]
	return p, ok
}
