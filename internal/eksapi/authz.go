package eksapi

import (
	"encoding/json"

	"github.com/eksaccess/eksaccess/internal/access"
)

// Authorizer decides whether an authenticated caller may perform an IAM action on a resource.
// A nil Authorizer (open mode) allows everything.
type Authorizer interface {
	Authorize(c access.Caller, action, resource string) error
}

// resourceKind is the IAM resource type the Service Authorization Reference names for an action.
type resourceKind int

const (
	resAll         resourceKind = iota // "*": the action supports no resource-level permissions
	resCluster                         // arn:P:eks:R:A:cluster/NAME
	resAccessEntry                     // arn:P:eks:R:A:access-entry/NAME/KIND/ACCT/PNAME/UUID
	resIDP                             // arn:P:eks:R:A:identityproviderconfig/NAME/oidc/IDPNAME/UUID
	resTagged                          // the resourceArn of the tagging call
)

// authzTable maps each operation to the resource of its IAM action "eks:<operation>", per the
// Service Authorization Reference for Amazon EKS. Operations not listed (added later) are
// authorized on their cluster when the path names one, else on "*".
var authzTable = map[string]resourceKind{
	"CreateCluster":                      resCluster,
	"ListClusters":                       resAll,
	"DescribeCluster":                    resCluster,
	"DeleteCluster":                      resCluster,
	"UpdateClusterConfig":                resCluster,
	"ListUpdates":                        resCluster,
	"DescribeUpdate":                     resCluster,
	"CreateAccessEntry":                  resCluster,
	"ListAccessEntries":                  resCluster,
	"DescribeAccessEntry":                resAccessEntry,
	"UpdateAccessEntry":                  resAccessEntry,
	"DeleteAccessEntry":                  resAccessEntry,
	"AssociateAccessPolicy":              resAccessEntry,
	"DisassociateAccessPolicy":           resAccessEntry,
	"ListAssociatedAccessPolicies":       resAccessEntry,
	"ListAccessPolicies":                 resAll,
	"AssociateIdentityProviderConfig":    resCluster,
	"ListIdentityProviderConfigs":        resCluster,
	"DescribeIdentityProviderConfig":     resIDP,
	"DisassociateIdentityProviderConfig": resIDP,
	"TagResource":                        resTagged,
	"UntagResource":                      resTagged,
	"ListTagsForResource":                resTagged,
}

// authorize checks the IAM action of operation name for the request's caller.
func (a *API) authorize(r *request, name string) error {
	if a.authz == nil || name == "Unknown" {
		return nil
	}
	action := "eks:" + name
	if r.action != "" {
		action = r.action
	}
	if r.resource != nil {
		return a.authz.Authorize(r.Caller, action, r.resource(r.Request, r.Caller))
	}
	return a.authz.Authorize(r.Caller, action, a.resourceARN(r, name))
}

// resourceARN builds the ARN of the resource an operation acts on. Access entries that exist
// are named by their ARN (with its UUID); for those that do not, the UUID is "*".
func (a *API) resourceARN(r *request, name string) string {
	c := r.Caller
	prefix := "arn:" + c.Partition() + ":eks:" + c.Region + ":" + c.Account + ":"
	cluster := r.PathValue("name")
	kind, ok := authzTable[name]
	if !ok {
		kind = resAll
		if cluster != "" {
			kind = resCluster
		}
	}
	switch kind {
	case resCluster:
		if name == "CreateCluster" {
			var in struct {
				Name string `json:"name"`
			}
			json.Unmarshal(r.Body, &in)
			cluster = in.Name
		}
		return prefix + "cluster/" + cluster
	case resAccessEntry:
		principal := r.PathValue("principalArn")
		if e, err := a.svc.DescribeAccessEntry(r.Context(), c, cluster, principal); err == nil {
			if name == "DescribeAccessEntry" {
				r.entry = e
			}
			return e.ARN
		}
		if p, ok := access.ParsePrincipalARN(principal); ok {
			return prefix + "access-entry/" + cluster + "/" + p.Kind + "/" + p.Account + "/" + p.Name + "/*"
		}
		return prefix + "access-entry/" + cluster + "/*"
	case resIDP:
		var in struct {
			Config struct {
				Type string `json:"type"`
				Name string `json:"name"`
			} `json:"identityProviderConfig"`
		}
		json.Unmarshal(r.Body, &in)
		if in.Config.Name == "" {
			return prefix + "identityproviderconfig/" + cluster + "/*"
		}
		return prefix + "identityproviderconfig/" + cluster + "/" + in.Config.Type + "/" + in.Config.Name + "/*"
	case resTagged:
		return r.PathValue("resourceArn")
	}
	return "*"
}
