package identity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Policy is a parsed identity-based IAM policy document.
//
// Supported grammar: Version ("2012-10-17" or "2008-10-17"), Statement (an object or a list),
// and per statement Sid, Effect (Allow|Deny), Action or NotAction, Resource or NotResource,
// each a string or a list of strings, with the wildcards `*` and `?`. Principal is refused (it has
// no place in an identity-based policy) and so is Condition: eksaccess does not evaluate
// conditions, and ignoring one would make an Allow broader or a Deny narrower than written.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	Sid         string
	Deny        bool
	Action      []string // lower-cased; matched case-insensitively
	NotAction   []string
	Resource    []string
	NotResource []string
}

// Decision is the result of evaluating policies.
type Decision int

// Decisions: no statement applies (implicit deny), an Allow applies, a Deny applies.
const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

var actionRe = regexp.MustCompile(`^(\*|[a-zA-Z0-9*?-]+:[a-zA-Z0-9*?]*)$`)

// ParsePolicy parses an IAM policy document (JSON). Errors name the offending member.
func ParsePolicy(doc []byte) (*Policy, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("policy is not a JSON object: %v", err)
	}
	p := &Policy{Version: "2008-10-17"}
	for k, v := range raw {
		switch k {
		case "Version":
			if err := json.Unmarshal(v, &p.Version); err != nil || (p.Version != "2012-10-17" && p.Version != "2008-10-17") {
				return nil, fmt.Errorf("Version: must be \"2012-10-17\" or \"2008-10-17\"")
			}
		case "Id":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("Id: must be a string")
			}
		case "Statement":
		default:
			return nil, fmt.Errorf("%s: unknown policy element", k)
		}
	}
	st, ok := raw["Statement"]
	if !ok {
		return nil, fmt.Errorf("Statement: missing")
	}
	var stmts []json.RawMessage
	if t := bytes.TrimSpace(st); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &stmts); err != nil {
			return nil, fmt.Errorf("Statement: must be an object or a list of objects")
		}
	} else {
		stmts = []json.RawMessage{st}
	}
	if len(stmts) == 0 {
		return nil, fmt.Errorf("Statement: empty")
	}
	for i, s := range stmts {
		ps, err := parseStatement(s)
		if err != nil {
			return nil, fmt.Errorf("Statement[%d].%v", i, err)
		}
		p.Statements = append(p.Statements, ps)
	}
	return p, nil
}

func parseStatement(b []byte) (Statement, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return Statement{}, fmt.Errorf("statement: must be an object")
	}
	var s Statement
	var haveEffect bool
	for k, v := range raw {
		var err error
		switch k {
		case "Sid":
			if json.Unmarshal(v, &s.Sid) != nil {
				err = fmt.Errorf("Sid: must be a string")
			}
		case "Effect":
			var e string
			if json.Unmarshal(v, &e) != nil || (e != "Allow" && e != "Deny") {
				err = fmt.Errorf("Effect: must be \"Allow\" or \"Deny\"")
			}
			s.Deny, haveEffect = e == "Deny", true
		case "Action":
			s.Action, err = stringList(k, v, true)
		case "NotAction":
			s.NotAction, err = stringList(k, v, true)
		case "Resource":
			s.Resource, err = stringList(k, v, false)
		case "NotResource":
			s.NotResource, err = stringList(k, v, false)
		case "Principal", "NotPrincipal":
			err = fmt.Errorf("%s: not allowed in an identity-based policy", k)
		case "Condition":
			err = fmt.Errorf("Condition: not supported by eksaccess")
		default:
			err = fmt.Errorf("%s: unknown statement element", k)
		}
		if err != nil {
			return Statement{}, err
		}
	}
	switch {
	case !haveEffect:
		return Statement{}, fmt.Errorf("Effect: missing")
	case (s.Action == nil) == (s.NotAction == nil):
		return Statement{}, fmt.Errorf("Action: exactly one of Action and NotAction is required")
	case (s.Resource == nil) == (s.NotResource == nil):
		return Statement{}, fmt.Errorf("Resource: exactly one of Resource and NotResource is required")
	}
	return s, nil
}

func stringList(name string, v json.RawMessage, action bool) ([]string, error) {
	var list []string
	var one string
	if json.Unmarshal(v, &one) == nil {
		list = []string{one}
	} else if json.Unmarshal(v, &list) != nil || list == nil {
		return nil, fmt.Errorf("%s: must be a string or a list of strings", name)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s: empty", name)
	}
	for i, s := range list {
		if action {
			if !actionRe.MatchString(s) {
				return nil, fmt.Errorf("%s: %q is not an action (want service:Action or *)", name, s)
			}
			list[i] = strings.ToLower(s)
		} else if s == "" {
			return nil, fmt.Errorf("%s: empty resource", name)
		}
	}
	return list, nil
}

// Evaluate returns the decision of one policy for action (e.g. "eks:CreateAccessEntry") on resource.
func (p *Policy) Evaluate(action, resource string) Decision {
	action = strings.ToLower(action)
	d := ImplicitDeny
	for i := range p.Statements {
		s := &p.Statements[i]
		if !s.applies(action, resource) {
			continue
		}
		if s.Deny {
			return ExplicitDeny
		}
		d = Allowed
	}
	return d
}

func (s *Statement) applies(action, resource string) bool {
	if s.Action != nil && !anyMatch(s.Action, action) {
		return false
	}
	if s.NotAction != nil && anyMatch(s.NotAction, action) {
		return false
	}
	if s.Resource != nil && !anyMatch(s.Resource, resource) {
		return false
	}
	if s.NotResource != nil && anyMatch(s.NotResource, resource) {
		return false
	}
	return true
}

func anyMatch(patterns []string, s string) bool {
	for _, p := range patterns {
		if Wildcard(p, s) {
			return true
		}
	}
	return false
}

// Evaluate combines policies as IAM does for one principal: any explicit Deny wins, then any
// Allow, else the implicit deny.
func Evaluate(policies []*Policy, action, resource string) Decision {
	d := ImplicitDeny
	for _, p := range policies {
		switch p.Evaluate(action, resource) {
		case ExplicitDeny:
			return ExplicitDeny
		case Allowed:
			d = Allowed
		}
	}
	return d
}

// Wildcard matches s against pattern, where `*` matches any run of characters (also none) and
// `?` any single character. It runs in O(len(pattern)·len(s)) at worst, without recursion.
func Wildcard(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
