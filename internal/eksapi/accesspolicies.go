package eksapi

import (
	"github.com/eksaccess/eksaccess/internal/access"
)

type accessScopeJSON struct {
	Type       string   `json:"type"`
	Namespaces []string `json:"namespaces"`
}

// associatedAccessPolicyJSON is the AssociatedAccessPolicy structure of the EKS model.
type associatedAccessPolicyJSON struct {
	PolicyARN    string          `json:"policyArn"`
	AccessScope  accessScopeJSON `json:"accessScope"`
	AssociatedAt epoch           `json:"associatedAt"`
	ModifiedAt   epoch           `json:"modifiedAt"`
}

func associationJSON(a *access.Association) associatedAccessPolicyJSON {
	return associatedAccessPolicyJSON{
		PolicyARN:    a.PolicyARN,
		AccessScope:  accessScopeJSON{Type: a.ScopeType, Namespaces: listOr(a.Namespaces)},
		AssociatedAt: epoch(a.AssociatedAt),
		ModifiedAt:   epoch(a.ModifiedAt),
	}
}

type associateAccessPolicyOutput struct {
	ClusterName            string                     `json:"clusterName"`
	PrincipalARN           string                     `json:"principalArn"`
	AssociatedAccessPolicy associatedAccessPolicyJSON `json:"associatedAccessPolicy"`
}

func (a *API) associateAccessPolicy(r *request) (any, error) {
	var in access.AssociateAccessPolicyInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	in.ClusterName, in.PrincipalARN = r.PathValue("name"), r.PathValue("principalArn")
	as, err := a.svc.AssociateAccessPolicy(r.Context(), r.Caller, in)
	if err != nil {
		return nil, err
	}
	return associateAccessPolicyOutput{ClusterName: in.ClusterName, PrincipalARN: in.PrincipalARN, AssociatedAccessPolicy: associationJSON(as)}, nil
}

func (a *API) disassociateAccessPolicy(r *request) (any, error) {
	err := a.svc.DisassociateAccessPolicy(r.Context(), r.Caller, r.PathValue("name"), r.PathValue("principalArn"), r.PathValue("policyArn"))
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type listAssociatedAccessPoliciesOutput struct {
	ClusterName              string                       `json:"clusterName"`
	PrincipalARN             string                       `json:"principalArn"`
	NextToken                *string                      `json:"nextToken,omitempty"`
	AssociatedAccessPolicies []associatedAccessPolicyJSON `json:"associatedAccessPolicies"`
}

func (a *API) listAssociatedAccessPolicies(r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	cluster, principal := r.PathValue("name"), r.PathValue("principalArn")
	as, next, err := a.svc.ListAssociatedAccessPolicies(r.Context(), r.Caller, cluster, principal, p)
	if err != nil {
		return nil, err
	}
	out := listAssociatedAccessPoliciesOutput{ClusterName: cluster, PrincipalARN: principal, NextToken: r.token(next),
		AssociatedAccessPolicies: make([]associatedAccessPolicyJSON, 0, len(as))}
	for i := range as {
		out.AssociatedAccessPolicies = append(out.AssociatedAccessPolicies, associationJSON(&as[i]))
	}
	return out, nil
}

type accessPolicyJSON struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

type listAccessPoliciesOutput struct {
	AccessPolicies []accessPolicyJSON `json:"accessPolicies"`
	NextToken      *string            `json:"nextToken,omitempty"`
}

func (a *API) listAccessPolicies(r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	ps, next, err := a.svc.ListAccessPolicies(r.Context(), r.Caller, p)
	if err != nil {
		return nil, err
	}
	out := listAccessPoliciesOutput{AccessPolicies: make([]accessPolicyJSON, 0, len(ps)), NextToken: r.token(next)}
	for _, p := range ps {
		out.AccessPolicies = append(out.AccessPolicies, accessPolicyJSON{Name: p.Name, ARN: p.ARN})
	}
	return out, nil
}
