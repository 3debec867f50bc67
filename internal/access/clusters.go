package access

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"time"
)

// DefaultKubernetesVersion is the version a cluster gets when CreateCluster names none.
const DefaultKubernetesVersion = "1.34"

// VPCConfigInput is resourcesVpcConfig as a client sends it.
type VPCConfigInput struct {
	SubnetIDs             []string `json:"subnetIds"`
	SecurityGroupIDs      []string `json:"securityGroupIds"`
	EndpointPublicAccess  *bool    `json:"endpointPublicAccess"`
	EndpointPrivateAccess *bool    `json:"endpointPrivateAccess"`
	PublicAccessCIDRs     []string `json:"publicAccessCidrs"`
}

// AccessConfigInput is CreateCluster's accessConfig.
type AccessConfigInput struct {
	BootstrapClusterCreatorAdminPermissions *bool   `json:"bootstrapClusterCreatorAdminPermissions"`
	AuthenticationMode                      *string `json:"authenticationMode"`
}

// CreateClusterInput is a CreateCluster request. Members the domain does not interpret are
// kept in Extra and returned by DescribeCluster.
type CreateClusterInput struct {
	Name               string             `json:"name"`
	Version            string             `json:"version"`
	RoleARN            string             `json:"roleArn"`
	ResourcesVPCConfig *VPCConfigInput    `json:"resourcesVpcConfig"`
	KubernetesNetwork  map[string]any     `json:"kubernetesNetworkConfig"`
	Logging            map[string]any     `json:"logging"`
	ClientRequestToken string             `json:"clientRequestToken"`
	Tags               map[string]string  `json:"tags"`
	AccessConfig       *AccessConfigInput `json:"accessConfig"`
	Extra              map[string]any     `json:"-"`
}

// CreateCluster creates an ACTIVE cluster.
func (s *Service) CreateCluster(ctx context.Context, c Caller, in CreateClusterInput) (*Cluster, error) {
	// The model's rules (required name, roleArn and resourcesVpcConfig, the name's pattern and
	// length, enums, tag limits) were checked by the wire layer's validator.
	if p, ok := ParsePrincipalARN(in.RoleARN); !ok || p.Kind != "role" {
		return nil, errRoleARN(in.RoleARN)
	}
	version := in.Version
	if version == "" {
		version = DefaultKubernetesVersion
	} else if !versionRe.MatchString(version) {
		return nil, errVersion(version)
	}
	if t := in.ClientRequestToken; t != "" && (len(t) < 33 || len(t) > 126) {
		return nil, errClientTokenLength()
	}
	mode, bootstrap := ModeConfigMap, true
	if ac := in.AccessConfig; ac != nil {
		if ac.AuthenticationMode != nil {
			mode = *ac.AuthenticationMode
		}
		if ac.BootstrapClusterCreatorAdminPermissions != nil {
			bootstrap = *ac.BootstrapClusterCreatorAdminPermissions
		}
	}
	if !bootstrap && mode == ModeConfigMap {
		return nil, errBootstrapConfigMap()
	}
	if err := ValidateTags(in.Tags); err != nil {
		return nil, err
	}

	hashed := in
	hashed.ClientRequestToken = ""
	// What costs CPU and needs no database (the request's hash, the new cluster's identifiers
	// and its CA certificate, about 0.1 ms of signing) is made before the write is queued: the
	// transaction function runs on the group commit's one leader, one request after another.
	hash, err := requestHash("CreateCluster", in.ClientRequestToken, hashed)
	if err != nil {
		return nil, err
	}
	ids := newClusterIDs(in.Name)
	var out *Cluster
	err = s.update(ctx, func(tx Tx) error {
		now := s.nowMillis()
		var err error
		out, err = idempotentHashed(tx, c, "CreateCluster", in.Name, in.ClientRequestToken, hash, now, func() (*Cluster, error) {
			cl := newCluster(c, in, version, mode, bootstrap, now, ids)
			recordCreator(cl, c)
			if err := tx.InsertCluster(cl); err != nil {
				if errors.Is(err, ErrAlreadyExists) {
					return nil, errClusterExists(in.Name)
				}
				return nil, err
			}
			return cl, createCreatorEntry(tx, cl, now)
		})
		return err
	})
	return out, err
}

// clusterIDs are a new cluster's random identifiers and CA certificate.
type clusterIDs struct {
	id, endpointID, securityGroup, vpc, ca string
}

func newClusterIDs(name string) clusterIDs {
	return clusterIDs{id: newUUID(), endpointID: strings.ToUpper(randHex(32)), securityGroup: "sg-" + randHex(17), vpc: "vpc-" + randHex(17), ca: newClusterCA(name)}
}

func newCluster(c Caller, in CreateClusterInput, version, mode string, bootstrap bool, now Millis, ids clusterIDs) *Cluster {
	v := in.ResourcesVPCConfig
	vpc := VPCConfig{
		SubnetIDs:              nonNil(v.SubnetIDs),
		SecurityGroupIDs:       nonNil(v.SecurityGroupIDs),
		ClusterSecurityGroupID: ids.securityGroup,
		VPCID:                  ids.vpc,
		EndpointPublicAccess:   v.EndpointPublicAccess == nil || *v.EndpointPublicAccess,
		EndpointPrivateAccess:  v.EndpointPrivateAccess != nil && *v.EndpointPrivateAccess,
		PublicAccessCIDRs:      v.PublicAccessCIDRs,
	}
	if len(vpc.PublicAccessCIDRs) == 0 {
		vpc.PublicAccessCIDRs = []string{"0.0.0.0/0"}
	}
	netcfg := in.KubernetesNetwork
	if netcfg == nil {
		netcfg = map[string]any{}
	}
	if _, ok := netcfg["ipFamily"]; !ok {
		netcfg["ipFamily"] = "ipv4"
	}
	if _, ok := netcfg["serviceIpv4Cidr"]; !ok && netcfg["ipFamily"] == "ipv4" {
		netcfg["serviceIpv4Cidr"] = "10.100.0.0/16"
	}
	logging := in.Logging
	if logging == nil {
		logging = map[string]any{"clusterLogging": []any{map[string]any{
			"types":   []any{"api", "audit", "authenticator", "controllerManager", "scheduler"},
			"enabled": false,
		}}}
	}
	id := ids.endpointID
	partition := c.Partition()
	return &Cluster{
		ID:                 ids.id,
		Account:            c.Account,
		Region:             c.Region,
		Name:               in.Name,
		ARN:                "arn:" + partition + ":eks:" + c.Region + ":" + c.Account + ":cluster/" + in.Name,
		Status:             ClusterActive,
		AuthenticationMode: mode,
		BootstrapAdmin:     bootstrap,
		CreatedAt:          now,
		Tags:               cloneTags(in.Tags),
		Spec: ClusterSpec{
			Version:              version,
			PlatformVersion:      "eks.1",
			RoleARN:              in.RoleARN,
			Endpoint:             "https://" + id + ".gr7." + c.Region + ".eks.amazonaws.com",
			CertificateAuthority: ids.ca,
			OIDCIssuer:           "https://oidc.eks." + c.Region + ".amazonaws.com/id/" + id,
			ClientRequestToken:   in.ClientRequestToken,
			VPC:                  vpc,
			KubernetesNetwork:    netcfg,
			Logging:              logging,
			Extra:                in.Extra,
		},
		Revision: 1,
	}
}

// DescribeCluster returns a cluster.
func (s *Service) DescribeCluster(ctx context.Context, c Caller, name string) (*Cluster, error) {
	var out *Cluster
	err := s.viewOneStatement(ctx, func(tx Tx) error {
		var err error
		out, err = cluster(tx, c, name)
		return err
	})
	return out, err
}

// ListClusters lists cluster names in byte order.
func (s *Service) ListClusters(ctx context.Context, c Caller, p Page) (names []string, next string, err error) {
	err = s.view(ctx, func(tx Tx) error {
		names, next, err = page(p, func(p Page) ([]string, error) { return tx.ListClusters(c.Account, c.Region, p) }, ident)
		return err
	})
	return names, next, err
}

// DeleteCluster deletes a cluster with its access entries and associations and returns it
// with status DELETING, as EKS does. A cluster with deletion protection on, or with an update
// in progress, is refused.
func (s *Service) DeleteCluster(ctx context.Context, c Caller, name string) (*Cluster, error) {
	var out *Cluster
	err := s.update(ctx, func(tx Tx) error {
		cl, err := cluster(tx, c, name)
		if err != nil {
			return err
		}
		// Deletion protection holds an ACTIVE (or UPDATING) cluster; EKS lets a creating,
		// failed or deleting cluster go even when it is on (user guide).
		if on, _ := cl.Spec.Extra["deletionProtection"].(bool); on && (cl.Status == ClusterActive || cl.Status == ClusterUpdating) {
			return errDeletionProtected(cl.Name)
		}
		if _, err := tx.InProgressUpdate(cl.ID); err == nil {
			return errDeleteUpdateInProgress(cl.Name)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := tx.DeleteCluster(cl.ID); err != nil {
			return err
		}
		cl.Status = ClusterDeleting
		out = cl
		return nil
	})
	return out, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// newClusterCA makes a self-signed CA certificate (base64 of its PEM, as certificateAuthority.data
// carries it) so that kubeconfigs written from DescribeCluster are well-formed. Attaching a
// real Kubernetes cluster replaces it with that cluster's CA.
func newClusterCA(name string) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return ""
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "kubernetes", Organization: []string{name}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
