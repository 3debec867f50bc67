package eksapi

import (
	"reflect"
	"strings"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/eksapi/model"
)

// createClusterTyped are the CreateCluster members access.CreateClusterInput interprets; the
// others (encryptionConfig, outpostConfig, deletionProtection...) are kept verbatim in Extra.
var createClusterTyped = jsonFields(reflect.TypeFor[access.CreateClusterInput]())

func (a *API) createCluster(r *request) (any, error) {
	var in access.CreateClusterInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var members map[string]any // validated: only the model's members, of the model's types
	if err := r.decode(&members); err != nil {
		return nil, err
	}
	for name, v := range members {
		if createClusterTyped[name] {
			continue
		}
		if in.Extra == nil {
			in.Extra = map[string]any{}
		}
		in.Extra[name] = v
	}
	c, err := a.svc.CreateCluster(r.Context(), r.Caller, in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"cluster": clusterJSON(c)}, nil
}

// jsonFields returns the JSON member names of a struct type's fields.
func jsonFields(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

func (a *API) describeCluster(r *request) (any, error) {
	c, err := a.svc.DescribeCluster(r.Context(), r.Caller, r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"cluster": clusterJSON(c)}, nil
}

func (a *API) deleteCluster(r *request) (any, error) {
	c, err := a.svc.DeleteCluster(r.Context(), r.Caller, r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"cluster": clusterJSON(c)}, nil
}

type listClustersOutput struct {
	Clusters  []string `json:"clusters"`
	NextToken *string  `json:"nextToken,omitempty"`
}

func (a *API) listClusters(r *request) (any, error) {
	p, err := r.page()
	if err != nil {
		return nil, err
	}
	q, _ := r.query() // parsed by page
	for _, v := range q["include"] {
		if v != "all" { // this server has no external (connected) clusters to include
			return nil, access.ErrIncludeValue(v)
		}
	}
	names, next, err := a.svc.ListClusters(r.Context(), r.Caller, p)
	if err != nil {
		return nil, err
	}
	return listClustersOutput{Clusters: listOr(names), NextToken: r.token(next)}, nil
}

// clusterJSON renders the Cluster structure of the EKS model.
func clusterJSON(c *access.Cluster) map[string]any {
	s := c.Spec
	out := map[string]any{
		"name":            c.Name,
		"arn":             c.ARN,
		"createdAt":       epoch(c.CreatedAt),
		"version":         s.Version,
		"endpoint":        s.Endpoint,
		"roleArn":         s.RoleARN,
		"status":          c.Status,
		"platformVersion": s.PlatformVersion,
		"tags":            strOr(c.Tags),
		"resourcesVpcConfig": map[string]any{
			"subnetIds":              listOr(s.VPC.SubnetIDs),
			"securityGroupIds":       listOr(s.VPC.SecurityGroupIDs),
			"clusterSecurityGroupId": s.VPC.ClusterSecurityGroupID,
			"vpcId":                  s.VPC.VPCID,
			"endpointPublicAccess":   s.VPC.EndpointPublicAccess,
			"endpointPrivateAccess":  s.VPC.EndpointPrivateAccess,
			"publicAccessCidrs":      listOr(s.VPC.PublicAccessCIDRs),
		},
		"identity":             map[string]any{"oidc": map[string]any{"issuer": s.OIDCIssuer}},
		"certificateAuthority": map[string]any{"data": s.CertificateAuthority},
		"health":               map[string]any{"issues": []any{}},
		// Real DescribeCluster returns only authenticationMode here, though the model also
		// has bootstrapClusterCreatorAdminPermissions.
		"accessConfig":  map[string]any{"authenticationMode": c.AuthenticationMode},
		"upgradePolicy": map[string]any{"supportType": "EXTENDED"},
	}
	if s.KubernetesNetwork != nil {
		out["kubernetesNetworkConfig"] = s.KubernetesNetwork
	}
	if s.Logging != nil {
		out["logging"] = s.Logging
	}
	if s.ClientRequestToken != "" {
		out["clientRequestToken"] = s.ClientRequestToken
	}
	for k, v := range s.Extra {
		if clusterOutput.Members[k] != nil { // bootstrapSelfManagedAddons is request-only
			out[k] = v
		}
	}
	return out
}

var clusterOutput = model.EKS().Shapes["Cluster"]
