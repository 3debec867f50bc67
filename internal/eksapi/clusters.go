package eksapi

import (
	"bytes"
	"encoding/json"
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
	return clusterJSON(c), nil
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
	return a.answers.cluster(c)
}

func (a *API) deleteCluster(r *request) (any, error) {
	c, err := a.svc.DeleteCluster(r.Context(), r.Caller, r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	return clusterJSON(c), nil
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

// clusterDoc is the Cluster structure of the EKS model as DescribeCluster, CreateCluster
// and DeleteCluster answer it, encoded from this typed struct rather than through maps.
type clusterDoc struct {
	AccessConfig            clusterAccessConfig `json:"accessConfig"`
	ARN                     string              `json:"arn"`
	CertificateAuthority    clusterCA           `json:"certificateAuthority"`
	ClientRequestToken      string              `json:"clientRequestToken,omitempty"`
	CreatedAt               epoch               `json:"createdAt"`
	Endpoint                string              `json:"endpoint"`
	Health                  clusterHealth       `json:"health"`
	Identity                clusterIdentity     `json:"identity"`
	KubernetesNetworkConfig map[string]any      `json:"kubernetesNetworkConfig,omitempty"`
	Logging                 map[string]any      `json:"logging,omitempty"`
	Name                    string              `json:"name"`
	PlatformVersion         string              `json:"platformVersion"`
	ResourcesVpcConfig      access.VPCConfig    `json:"resourcesVpcConfig"`
	RoleARN                 string              `json:"roleArn"`
	Status                  string              `json:"status"`
	Tags                    map[string]string   `json:"tags"`
	UpgradePolicy           clusterUpgrade      `json:"upgradePolicy"`
	Version                 string              `json:"version"`
}

// Real DescribeCluster returns only authenticationMode in accessConfig, though the model also
// has bootstrapClusterCreatorAdminPermissions.
type clusterAccessConfig struct {
	AuthenticationMode string `json:"authenticationMode"`
}
type clusterCA struct {
	Data string `json:"data"`
}
type clusterHealth struct {
	Issues []struct{} `json:"issues"`
}
type clusterIdentity struct {
	OIDC struct {
		Issuer string `json:"issuer"`
	} `json:"oidc"`
}
type clusterUpgrade struct {
	SupportType string `json:"supportType"`
}

type clusterAnswer struct {
	Cluster any `json:"cluster"` // clusterDoc, or map[string]any with the spec's extra members
}

// clusterJSON renders the Cluster structure of the EKS model.
func clusterJSON(c *access.Cluster) clusterAnswer {
	s := c.Spec
	d := clusterDoc{
		AccessConfig:            clusterAccessConfig{c.AuthenticationMode},
		ARN:                     c.ARN,
		CertificateAuthority:    clusterCA{s.CertificateAuthority},
		ClientRequestToken:      s.ClientRequestToken,
		CreatedAt:               epoch(c.CreatedAt),
		Endpoint:                s.Endpoint,
		Health:                  clusterHealth{Issues: []struct{}{}},
		KubernetesNetworkConfig: s.KubernetesNetwork,
		Logging:                 s.Logging,
		Name:                    c.Name,
		PlatformVersion:         s.PlatformVersion,
		ResourcesVpcConfig:      s.VPC, // its members are the model's VpcConfigResponse
		RoleARN:                 s.RoleARN,
		Status:                  c.Status,
		Tags:                    strOr(c.Tags),
		UpgradePolicy:           clusterUpgrade{"EXTENDED"},
		Version:                 s.Version,
	}
	d.Identity.OIDC.Issuer = s.OIDCIssuer
	v := &d.ResourcesVpcConfig
	v.SubnetIDs, v.SecurityGroupIDs, v.PublicAccessCIDRs = listOr(v.SubnetIDs), listOr(v.SecurityGroupIDs), listOr(v.PublicAccessCIDRs)
	extra := false
	for k := range s.Extra {
		if clusterOutput.Members[k] != nil { // bootstrapSelfManagedAddons is request-only
			extra = true
			break
		}
	}
	if !extra {
		return clusterAnswer{d}
	}
	// The spec's other model members (encryptionConfig, deletionProtection, a sent
	// upgradePolicy...) are echoed back, overriding the defaults above.
	out := map[string]any{}
	b, err := json.Marshal(d)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber() // createdAt stays the number it was
		err = dec.Decode(&out)
	}
	if err != nil {
		panic(err) // a struct of strings, numbers and decoded JSON always round-trips
	}
	for k, v := range s.Extra {
		if clusterOutput.Members[k] != nil {
			out[k] = v
		}
	}
	return clusterAnswer{out}
}

var clusterOutput = model.EKS().Shapes["Cluster"]
