// Package access is the domain of eksaccess: clusters, access entries, policy associations
// and the EKS rules that govern them. It imports no wire or storage package (only the EKS
// model's data, internal/eksapi/model); the Store it needs is defined here, by its consumer.
package access

import (
	"strconv"
	"strings"
	"time"
)

// Authentication modes of a cluster (AuthenticationMode enum of the EKS model).
const (
	ModeAPI             = "API"
	ModeAPIAndConfigMap = "API_AND_CONFIG_MAP"
	ModeConfigMap       = "CONFIG_MAP"
)

// Cluster statuses.
const (
	ClusterCreating = "CREATING"
	ClusterActive   = "ACTIVE"
	ClusterDeleting = "DELETING"
	ClusterUpdating = "UPDATING"
	ClusterFailed   = "FAILED"
)

// Access entry types. The model declares `type` as a plain string; these are the values EKS accepts.
const (
	TypeStandard      = "STANDARD"
	TypeEC2Linux      = "EC2_LINUX"
	TypeEC2Windows    = "EC2_WINDOWS"
	TypeFargateLinux  = "FARGATE_LINUX"
	TypeHybridLinux   = "HYBRID_LINUX"
	TypeEC2           = "EC2"
	TypeHyperpodLinux = "HYPERPOD_LINUX"
)

// Caller is who sends an API request: the account and region its SigV4 credential scope names.
type Caller struct {
	Account     string
	Region      string
	AccessKeyID string
	// PrincipalARN is the verified IAM principal when signatures are verified; empty in open mode.
	// For a role session it is the role's ARN, path included.
	PrincipalARN string
	// SessionARN is the caller's ARN as STS reports it (arn:aws:sts::ACCT:assumed-role/NAME/SESSION
	// for role sessions, else PrincipalARN); empty in open mode.
	SessionARN string
	// PrincipalID is the IAM unique id (AIDA…/AROA…) of PrincipalARN; empty in open mode.
	PrincipalID string
}

// Partition is the AWS partition of the caller's region.
func (c Caller) Partition() string { return PartitionOf(c.Region) }

// PartitionOf maps a region name to its partition.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	}
	return "aws"
}

// Millis is a point in time with millisecond precision, as EKS reports timestamps.
type Millis int64

// MillisOf returns t truncated to milliseconds.
func MillisOf(t time.Time) Millis { return Millis(t.UnixMilli()) }

// Time converts back to a time.Time.
func (m Millis) Time() time.Time { return time.UnixMilli(int64(m)) }

// EpochSeconds renders the value as EKS does on the wire: epoch seconds as a JSON number with
// a millisecond fraction (1685475163.532), trailing zeros dropped.
func (m Millis) EpochSeconds() string {
	s := strconv.FormatInt(int64(m)/1000, 10)
	ms := int64(m) % 1000
	if ms < 0 {
		ms = -ms
	}
	if ms == 0 {
		return s
	}
	frac := strings.TrimRight(strconv.FormatInt(1000+ms, 10)[1:], "0")
	return s + "." + frac
}

// ClusterKey names a cluster: clusters are isolated per account and region.
type ClusterKey struct {
	Account, Region, Name string
}

// Cluster is an EKS cluster as far as access management needs it. Spec holds the rest of
// the cluster's configuration as the client sent it (normalised), so that DescribeCluster
// can return it.
type Cluster struct {
	ID      string // internal surrogate id; access entries hang off it
	Account string
	Region  string
	Name    string
	ARN     string
	Status  string

	AuthenticationMode string
	BootstrapAdmin     bool

	CreatedAt Millis
	Tags      map[string]string
	Spec      ClusterSpec
	// Revision increases with every change of the cluster row (optimistic concurrency, feeds).
	Revision int64
}

// Key returns the cluster's key.
func (c *Cluster) Key() ClusterKey { return ClusterKey{c.Account, c.Region, c.Name} }

// ClusterSpec is the configuration of a cluster that access management does not interpret;
// it is stored as one document. Raw members hold structures we keep verbatim.
type ClusterSpec struct {
	Version              string `json:"version"`
	PlatformVersion      string `json:"platformVersion"`
	RoleARN              string `json:"roleArn"`
	Endpoint             string `json:"endpoint"`
	CertificateAuthority string `json:"certificateAuthority"`
	OIDCIssuer           string `json:"oidcIssuer"`
	ClientRequestToken   string `json:"clientRequestToken,omitempty"`
	// CreatorPrincipalARN and CreatorPrincipalID name the IAM principal that created the cluster
	// (a role session's role, path included) when bootstrapClusterCreatorAdminPermissions holds;
	// its admin entry is created in API modes, or on the switch from CONFIG_MAP.
	CreatorPrincipalARN string         `json:"creatorPrincipalArn,omitempty"`
	CreatorPrincipalID  string         `json:"creatorPrincipalId,omitempty"`
	VPC                 VPCConfig      `json:"vpc"`
	KubernetesNetwork   map[string]any `json:"kubernetesNetworkConfig,omitempty"`
	Logging             map[string]any `json:"logging,omitempty"`
	Extra               map[string]any `json:"extra,omitempty"` // other model members, echoed back
}

// VPCConfig is the cluster's resourcesVpcConfig.
type VPCConfig struct {
	SubnetIDs              []string `json:"subnetIds"`
	SecurityGroupIDs       []string `json:"securityGroupIds"`
	ClusterSecurityGroupID string   `json:"clusterSecurityGroupId"`
	VPCID                  string   `json:"vpcId"`
	EndpointPublicAccess   bool     `json:"endpointPublicAccess"`
	EndpointPrivateAccess  bool     `json:"endpointPrivateAccess"`
	PublicAccessCIDRs      []string `json:"publicAccessCidrs"`
}

// EntryKey names an access entry within a cluster.
type EntryKey struct {
	ClusterID    string
	PrincipalARN string
}

// AccessEntry is an IAM principal's entry on a cluster.
type AccessEntry struct {
	ClusterID        string            `json:"clusterId"`
	ClusterName      string            `json:"clusterName"`
	PrincipalARN     string            `json:"principalArn"`
	ARN              string            `json:"arn"`
	Type             string            `json:"type"`
	Username         string            `json:"username"`
	KubernetesGroups []string          `json:"kubernetesGroups"`
	Tags             map[string]string `json:"tags"`
	CreatedAt        Millis            `json:"createdAt"`
	ModifiedAt       Millis            `json:"modifiedAt"`
	// PrincipalID is the IAM unique id (AIDA…/AROA…) of the principal when known.
	PrincipalID string `json:"principalId,omitempty"`
}

// Key returns the entry's key.
func (e *AccessEntry) Key() EntryKey { return EntryKey{e.ClusterID, e.PrincipalARN} }

// Page is a window of a sorted listing: items strictly after After, at most Limit of them.
type Page struct {
	After string
	Limit int
}
