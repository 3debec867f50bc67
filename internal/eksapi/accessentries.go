package eksapi

import (
	"github.com/eksaccess/eksaccess/internal/access"
)

// accessEntryJSON is the AccessEntry structure of the EKS model.
type accessEntryJSON struct {
	ClusterName      string            `json:"clusterName"`
	PrincipalARN     string            `json:"principalArn"`
	KubernetesGroups []string          `json:"kubernetesGroups"`
	AccessEntryARN   string            `json:"accessEntryArn"`
	CreatedAt        epoch             `json:"createdAt"`
	ModifiedAt       epoch             `json:"modifiedAt"`
	Tags             map[string]string `json:"tags"`
	Username         string            `json:"username"`
	Type             string            `json:"type"`
}

type accessEntryOutput struct {
	AccessEntry accessEntryJSON `json:"accessEntry"`
}

func entryOutput(e *access.AccessEntry) accessEntryOutput {
	return accessEntryOutput{accessEntryJSON{
		ClusterName:      e.ClusterName,
		PrincipalARN:     e.PrincipalARN,
		KubernetesGroups: listOr(e.KubernetesGroups),
		AccessEntryARN:   e.ARN,
		CreatedAt:        epoch(e.CreatedAt),
		ModifiedAt:       epoch(e.ModifiedAt),
		Tags:             strOr(e.Tags),
		Username:         e.Username,
		Type:             e.Type,
	}}
}

func (a *API) createAccessEntry(r *request) (any, error) {
	var in access.CreateAccessEntryInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	in.ClusterName = r.PathValue("name")
	e, err := a.svc.CreateAccessEntry(r.Context(), r.Caller, in)
	if err != nil {
		return nil, err
	}
	return entryOutput(e), nil
}

func (a *API) describeAccessEntry(r *request) (any, error) {
	if r.entry != nil { // read (and authorized) by authorize: one read per call
		return entryOutput(r.entry), nil
	}
	e, err := a.svc.DescribeAccessEntry(r.Context(), r.Caller, r.PathValue("name"), r.PathValue("principalArn"))
	if err != nil {
		return nil, err
	}
	return entryOutput(e), nil
}

func (a *API) updateAccessEntry(r *request) (any, error) {
	var in access.UpdateAccessEntryInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	in.ClusterName, in.PrincipalARN = r.PathValue("name"), r.PathValue("principalArn")
	e, err := a.svc.UpdateAccessEntry(r.Context(), r.Caller, in)
	if err != nil {
		return nil, err
	}
	return entryOutput(e), nil
}

func (a *API) deleteAccessEntry(r *request) (any, error) {
	if err := a.svc.DeleteAccessEntry(r.Context(), r.Caller, r.PathValue("name"), r.PathValue("principalArn")); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type listAccessEntriesOutput struct {
	AccessEntries []string `json:"accessEntries"`
	NextToken     *string  `json:"nextToken,omitempty"`
}

func (a *API) listAccessEntries(r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	q, _ := r.query()
	arns, next, err := a.svc.ListAccessEntries(r.Context(), r.Caller, r.PathValue("name"), q.Get("associatedPolicyArn"), p)
	if err != nil {
		return nil, err
	}
	return listAccessEntriesOutput{AccessEntries: listOr(arns), NextToken: r.token(next)}, nil
}
