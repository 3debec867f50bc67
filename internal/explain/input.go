package explain

import (
	_ "embed"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/kubesource"
	"github.com/eksaccess/eksaccess/internal/policy"
)

//go:embed common-resources.json
var commonResourcesJSON []byte

var commonResources = func() []kubesource.APIResource {
	var f struct {
		Resources []kubesource.APIResource `json:"resources"`
	}
	if err := json.Unmarshal(commonResourcesJSON, &f); err != nil {
		panic("explain: common-resources.json: " + err.Error())
	}
	return f.Resources
}()

var (
	verbRe      = regexp.MustCompile(`^([a-z]{1,63}|\*)$`)
	resourceRe  = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]{0,62})|\*)$`)
	groupRe     = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?|\*)$`)
	namespaceRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	sessionRe   = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// ParseExplainQuery reads the explain query parameters (principal, user, groups — comma
// separated or repeated —, verb, resource, subresource, name, namespace, apiGroup, path).
func ParseExplainQuery(v url.Values) ExplainQuery {
	return ExplainQuery{Subject: parseSubject(v), Request: parseRequest(v)}
}

// ParseWhoCanQuery reads the who-can query parameters.
func ParseWhoCanQuery(v url.Values) WhoCanQuery { return WhoCanQuery{Request: parseRequest(v)} }

// ParseMatrixQuery reads the access-matrix query parameters (principal, user, groups, namespace).
func ParseMatrixQuery(v url.Values) MatrixQuery {
	return MatrixQuery{Subject: parseSubject(v), Namespace: v.Get("namespace")}
}

func parseSubject(v url.Values) Subject {
	s := Subject{PrincipalARN: v.Get("principal"), User: v.Get("user")}
	for _, g := range v["groups"] {
		for _, p := range strings.Split(g, ",") {
			if p = strings.TrimSpace(p); p != "" {
				s.Groups = append(s.Groups, p)
			}
		}
	}
	return s
}

func parseRequest(v url.Values) Request {
	return Request{Verb: v.Get("verb"), APIGroup: v.Get("apiGroup"), Resource: v.Get("resource"), Subresource: v.Get("subresource"),
		Name: v.Get("name"), Namespace: v.Get("namespace"), Path: v.Get("path")}
}

// subject is a validated Subject.
type subject struct {
	iam          bool
	arn          string // as given
	canonical    string // path-less IAM user or role ARN
	account      string
	session      string
	user         string
	groups       []string
	kind         string // user, role or assumed-role
	principalArg string
}

var sessionARNRe = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):sts::([0-9]{12}):assumed-role/([\w+=,.@-]{1,64})/(.+)$`)

func validateSubject(s Subject) (subject, error) {
	switch {
	case s.PrincipalARN == "" && s.User == "":
		return subject{}, access.InvalidParameter("Give the principal (an IAM user or role ARN, or an assumed-role session ARN) or a Kubernetes user name.")
	case s.PrincipalARN != "" && s.User != "":
		return subject{}, access.InvalidParameter("Give either the principal or a Kubernetes user name, not both.")
	case s.PrincipalARN != "" && len(s.Groups) > 0:
		return subject{}, access.InvalidParameter("Groups go with a Kubernetes user name; an IAM principal's groups come from its mapping.")
	}
	for _, g := range s.Groups {
		if len(g) > 256 || strings.ContainsAny(g, "\x00\n") {
			return subject{}, access.InvalidParameter("The group %q is not a valid Kubernetes group name.", truncate(g))
		}
	}
	if s.User != "" {
		if len(s.User) > 256 || strings.ContainsAny(s.User, "\x00\n") {
			return subject{}, access.InvalidParameter("The user %q is not a valid Kubernetes user name.", truncate(s.User))
		}
		return subject{user: s.User, groups: s.Groups}, nil
	}
	if m := sessionARNRe.FindStringSubmatch(s.PrincipalARN); m != nil {
		if !sessionRe.MatchString(m[4]) {
			return subject{}, access.InvalidParameter("The session name of %q is not valid.", truncate(s.PrincipalARN))
		}
		return subject{iam: true, arn: s.PrincipalARN, canonical: "arn:" + m[1] + ":iam::" + m[2] + ":role/" + m[3], account: m[2], session: m[4], kind: "assumed-role"}, nil
	}
	p, ok := access.ParsePrincipalARN(s.PrincipalARN)
	if !ok {
		return subject{}, access.InvalidParameter("The principal %q is not an IAM user or role ARN, nor an assumed-role session ARN.", truncate(s.PrincipalARN))
	}
	return subject{iam: true, arn: s.PrincipalARN, canonical: p.PathlessARN(), account: p.Account, kind: p.Kind}, nil
}

func truncate(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// validateRequest checks a request and turns it into the evaluator's form. "deployments.apps"
// and "pods/log" are split as kubectl splits them; a resource without a group that the
// cluster serves in exactly one other group is resolved with discovery.
func validateRequest(r Request, resources []kubesource.APIResource) (Request, policy.Request, []string, error) {
	var notes []string
	if r.Verb == "" {
		return r, policy.Request{}, nil, access.InvalidParameter("The verb is required (get, list, watch, create, update, patch, delete, …).")
	}
	if !verbRe.MatchString(r.Verb) {
		return r, policy.Request{}, nil, access.InvalidParameter("The verb %q is not a Kubernetes verb.", truncate(r.Verb))
	}
	if r.Path != "" {
		if r.Resource != "" || r.Subresource != "" || r.Name != "" || r.Namespace != "" || r.APIGroup != "" {
			return r, policy.Request{}, nil, access.InvalidParameter("A non-resource request (path) takes no resource, subresource, name, namespace or apiGroup.")
		}
		if !strings.HasPrefix(r.Path, "/") || len(r.Path) > 1024 {
			return r, policy.Request{}, nil, access.InvalidParameter("The path %q must start with '/'.", truncate(r.Path))
		}
		return r, policy.Request{Verb: r.Verb, Path: r.Path}, nil, nil
	}
	if r.Resource == "" {
		return r, policy.Request{}, nil, access.InvalidParameter("The resource (e.g. pods, deployments.apps) or a non-resource path is required.")
	}
	if res, sub, ok := strings.Cut(r.Resource, "/"); ok && r.Subresource == "" {
		r.Resource, r.Subresource = res, sub
	}
	if res, group, ok := strings.Cut(r.Resource, "."); ok && r.APIGroup == "" {
		r.Resource, r.APIGroup = res, group
	}
	if !resourceRe.MatchString(r.Resource) {
		return r, policy.Request{}, nil, access.InvalidParameter("The resource %q is not a Kubernetes resource name.", truncate(r.Resource))
	}
	if r.Subresource != "" && !resourceRe.MatchString(r.Subresource) {
		return r, policy.Request{}, nil, access.InvalidParameter("The subresource %q is not a Kubernetes subresource name.", truncate(r.Subresource))
	}
	if r.APIGroup != "" && !groupRe.MatchString(r.APIGroup) {
		return r, policy.Request{}, nil, access.InvalidParameter("The apiGroup %q is not a Kubernetes API group.", truncate(r.APIGroup))
	}
	if r.Namespace != "" && !namespaceRe.MatchString(r.Namespace) {
		return r, policy.Request{}, nil, access.InvalidParameter("The namespace %q is not a valid namespace name (a DNS-1123 label).", truncate(r.Namespace))
	}
	if len(r.Name) > 253 || strings.ContainsAny(r.Name, "/\x00") {
		return r, policy.Request{}, nil, access.InvalidParameter("The name %q is not a valid object name.", truncate(r.Name))
	}
	if r.APIGroup == "" && resources != nil {
		core, groups := false, []string{}
		for _, a := range resources {
			if a.Resource == r.Resource {
				if a.Group == "" {
					core = true
				} else {
					groups = append(groups, a.Group)
				}
			}
		}
		if !core && len(groups) == 1 {
			r.APIGroup = groups[0]
			notes = append(notes, "resource "+r.Resource+" resolved to API group "+groups[0]+" by discovery")
		}
	}
	if resources != nil && r.Resource != "*" && r.APIGroup != "*" && !slices.ContainsFunc(resources, func(a kubesource.APIResource) bool {
		return a.Resource == r.Resource && a.Group == r.APIGroup
	}) {
		full := r.Resource
		if r.APIGroup != "" {
			full += "." + r.APIGroup
		}
		notes = append(notes, "the cluster serves no resource "+full+" (API discovery); rules naming it are evaluated all the same")
	}
	return r, policy.Request{Verb: r.Verb, ResourceRequest: true, APIGroup: r.APIGroup, Resource: r.Resource, Subresource: r.Subresource,
		Name: r.Name, Namespace: r.Namespace}, notes, nil
}
