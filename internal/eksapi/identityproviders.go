package eksapi

import (
	"github.com/eksaccess/eksaccess/internal/access"
)

// oidcConfigJSON is the OidcIdentityProviderConfig structure. Optional members the client did
// not set are omitted; requiredClaims and tags are always sent ({} when empty).
type oidcConfigJSON struct {
	IdentityProviderConfigName string            `json:"identityProviderConfigName"`
	IdentityProviderConfigARN  string            `json:"identityProviderConfigArn"`
	ClusterName                string            `json:"clusterName"`
	IssuerURL                  string            `json:"issuerUrl"`
	ClientID                   string            `json:"clientId"`
	UsernameClaim              string            `json:"usernameClaim,omitempty"`
	UsernamePrefix             string            `json:"usernamePrefix,omitempty"`
	GroupsClaim                string            `json:"groupsClaim,omitempty"`
	GroupsPrefix               string            `json:"groupsPrefix,omitempty"`
	RequiredClaims             map[string]string `json:"requiredClaims"`
	Tags                       map[string]string `json:"tags"`
	Status                     string            `json:"status"`
}

type describeIdPOutput struct {
	IdentityProviderConfig struct {
		OIDC oidcConfigJSON `json:"oidc"`
	} `json:"identityProviderConfig"`
}

type associateIdPOutput struct {
	Update updateJSON        `json:"update"`
	Tags   map[string]string `json:"tags"`
}

func (a *API) associateIdentityProviderConfig(r *request) (any, error) {
	var in access.AssociateIdentityProviderConfigInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	in.ClusterName = r.PathValue("name")
	out, err := a.svc.AssociateIdentityProviderConfig(r.Context(), r.Caller, in)
	if err != nil {
		return nil, err
	}
	return associateIdPOutput{Update: toUpdateJSON(out.Update), Tags: strOr(out.Tags)}, nil
}

func (a *API) disassociateIdentityProviderConfig(r *request) (any, error) {
	var in access.DisassociateIdentityProviderConfigInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	in.ClusterName = r.PathValue("name")
	u, err := a.svc.DisassociateIdentityProviderConfig(r.Context(), r.Caller, in)
	if err != nil {
		return nil, err
	}
	return updateOutput{toUpdateJSON(u)}, nil
}

func (a *API) describeIdentityProviderConfig(r *request) (any, error) {
	var in struct {
		IdentityProviderConfig *access.IdentityProviderConfigRef `json:"identityProviderConfig"`
	}
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	c, err := a.svc.DescribeIdentityProviderConfig(r.Context(), r.Caller, r.PathValue("name"), in.IdentityProviderConfig)
	if err != nil {
		return nil, err
	}
	var out describeIdPOutput
	o := c.OIDC
	out.IdentityProviderConfig.OIDC = oidcConfigJSON{
		IdentityProviderConfigName: c.Name,
		IdentityProviderConfigARN:  c.ARN,
		ClusterName:                c.ClusterName,
		IssuerURL:                  o.IssuerURL,
		ClientID:                   o.ClientID,
		UsernameClaim:              o.UsernameClaim,
		UsernamePrefix:             o.UsernamePrefix,
		GroupsClaim:                o.GroupsClaim,
		GroupsPrefix:               o.GroupsPrefix,
		RequiredClaims:             strOr(o.RequiredClaims),
		Tags:                       strOr(c.Tags),
		Status:                     c.Status,
	}
	return out, nil
}

type listIdPOutput struct {
	IdentityProviderConfigs []access.IdentityProviderConfigRef `json:"identityProviderConfigs"`
	NextToken               *string                            `json:"nextToken,omitempty"`
}

func (a *API) listIdentityProviderConfigs(r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	refs, next, err := a.svc.ListIdentityProviderConfigs(r.Context(), r.Caller, r.PathValue("name"), p)
	if err != nil {
		return nil, err
	}
	if refs == nil {
		refs = []access.IdentityProviderConfigRef{}
	}
	return listIdPOutput{IdentityProviderConfigs: refs, NextToken: r.token(next)}, nil
}
