package eksapi

import (
	"encoding/json"
	"fmt"

	"github.com/eksaccess/eksaccess/internal/access"
)

// createClusterExtras are CreateCluster members kept verbatim and echoed by DescribeCluster,
// with the JSON kind each must have.
var createClusterExtras = map[string]byte{
	"encryptionConfig":           '[',
	"outpostConfig":              '{',
	"upgradePolicy":              '{',
	"zonalShiftConfig":           '{',
	"remoteNetworkConfig":        '{',
	"computeConfig":              '{',
	"storageConfig":              '{',
	"controlPlaneScalingConfig":  '{',
	"deletionProtection":         'b',
	"bootstrapSelfManagedAddons": 'b',
}

// responseOnlyExtras are request members that are not part of the Cluster output.
var responseOnlyExtras = map[string]bool{"bootstrapSelfManagedAddons": true}

func (a *API) createCluster(r *request) (any, error) {
	var in access.CreateClusterInput
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := r.decode(&raw); err != nil {
		return nil, err
	}
	for name, kind := range createClusterExtras {
		v, ok := raw[name]
		if !ok || string(v) == "null" {
			continue
		}
		if !jsonKindIs(v, kind) {
			return nil, access.NewError(access.CodeSerialization, fmt.Sprintf("Invalid value for member %q: expected %s", name, kindName[kind]))
		}
		var g any
		_ = json.Unmarshal(v, &g)
		if in.Extra == nil {
			in.Extra = map[string]any{}
		}
		in.Extra[name] = g
	}
	c, err := a.svc.CreateCluster(r.Context(), r.Caller, in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"cluster": clusterJSON(c)}, nil
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
		if !responseOnlyExtras[k] {
			out[k] = v
		}
	}
	return out
}

func jsonKindIs(v json.RawMessage, kind byte) bool {
	if len(v) == 0 {
		return false
	}
	switch kind {
	case 'b':
		return string(v) == "true" || string(v) == "false"
	default:
		return v[0] == kind
	}
}

var kindName = map[byte]string{'[': "a list", '{': "a structure", 'b': "a boolean"}
