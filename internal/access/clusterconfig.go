package access

import (
	"context"
	"encoding/json"
	"net"
	"reflect"
	"slices"
	"strconv"

	"github.com/eksaccess/eksaccess/internal/eksapi/model"
)

// UpdateClusterConfig starts one cluster update. Each member of the request is one kind of
// update (UpdateType), and a request may carry only one kind (`Only one type of update can be
// allowed.`):
//
//	accessConfig                               AccessConfigUpdate       AuthenticationMode
//	resourcesVpcConfig endpoint members        EndpointAccessUpdate     EndpointPublicAccess, EndpointPrivateAccess, PublicAccessCidrs
//	resourcesVpcConfig subnetIds/securityGroups VpcConfigUpdate         Subnets, SecurityGroups
//	logging                                    LoggingUpdate            ClusterLogging
//	upgradePolicy                              UpgradePolicyUpdate      UpgradePolicy
//	zonalShiftConfig                           ZonalShiftConfigUpdate   ZonalShiftConfig
//	computeConfig, kubernetesNetworkConfig,
//	storageConfig (EKS Auto Mode, together)    AutoModeUpdate           ComputeConfig, KubernetesNetworkConfig, StorageConfig
//	remoteNetworkConfig                        RemoteNetworkConfigUpdate RemoteNetworkConfig
//	deletionProtection                         DeletionProtectionUpdate DeletionProtection
//	controlPlaneScalingConfig                  ControlPlaneScalingConfigUpdate PreviousTier, UpdatedTier
//
// Param values are strings: booleans as "true"/"false", structures and lists as compact JSON
// of the members the client sent, the authentication mode as a JSON string (quotes included,
// as EKS does). The change is applied to the stored cluster when the update completes, so
// DescribeCluster shows the old configuration while the update is InProgress.
//
// Order of checks: request shape (kinds), then the cluster, then the clientRequestToken
// replay, then the 409 of an update already in progress (it may be changing what the request
// would be compared with), and last the request against the cluster's current configuration
// (transition rules, "no changes needed").
//
// Choices where EKS's behaviour is not public: an empty request, and a request whose member
// changes nothing, are InvalidParameterExceptions (the logging and endpoint wordings are EKS's,
// the others follow the logging one); publicAccessCidrs [] means the default 0.0.0.0/0;
// kubernetesNetworkConfig serviceIpv4Cidr/ipFamily cannot change; the three Auto Mode
// switches must end up equal; remoteNetworkConfig with two empty lists removes it.

// UpdateClusterConfigInput is an UpdateClusterConfig request.
type UpdateClusterConfigInput struct {
	Name                      string                        `json:"-"`
	ResourcesVPCConfig        *VPCConfigInput               `json:"resourcesVpcConfig"`
	Logging                   *LoggingInput                 `json:"logging"`
	ClientRequestToken        string                        `json:"clientRequestToken"`
	AccessConfig              *UpdateAccessConfigInput      `json:"accessConfig"`
	UpgradePolicy             *UpgradePolicyInput           `json:"upgradePolicy"`
	ZonalShiftConfig          *ZonalShiftConfigInput        `json:"zonalShiftConfig"`
	ComputeConfig             *ComputeConfigInput           `json:"computeConfig"`
	KubernetesNetworkConfig   *KubernetesNetworkConfigInput `json:"kubernetesNetworkConfig"`
	StorageConfig             *StorageConfigInput           `json:"storageConfig"`
	RemoteNetworkConfig       *RemoteNetworkConfigInput     `json:"remoteNetworkConfig"`
	DeletionProtection        *bool                         `json:"deletionProtection"`
	ControlPlaneScalingConfig *ControlPlaneScalingInput     `json:"controlPlaneScalingConfig"`
}

// LoggingInput is the Logging structure.
type LoggingInput struct {
	ClusterLogging []LogSetupInput `json:"clusterLogging"`
}

// LogSetupInput is a LogSetup.
type LogSetupInput struct {
	Types   []string `json:"types"`
	Enabled *bool    `json:"enabled"`
}

// UpdateAccessConfigInput is UpdateAccessConfigRequest.
type UpdateAccessConfigInput struct {
	AuthenticationMode *string `json:"authenticationMode"`
}

// UpgradePolicyInput is UpgradePolicyRequest.
type UpgradePolicyInput struct {
	SupportType *string `json:"supportType"`
}

// ZonalShiftConfigInput is ZonalShiftConfigRequest.
type ZonalShiftConfigInput struct {
	Enabled *bool `json:"enabled"`
}

// ComputeConfigInput is ComputeConfigRequest.
type ComputeConfigInput struct {
	Enabled     *bool    `json:"enabled,omitempty"`
	NodePools   []string `json:"nodePools,omitempty"`
	NodeRoleARN *string  `json:"nodeRoleArn,omitempty"`
}

// EnabledInput is a structure with one `enabled` switch (ElasticLoadBalancing, BlockStorage).
type EnabledInput struct {
	Enabled *bool `json:"enabled,omitempty"`
}

// KubernetesNetworkConfigInput is KubernetesNetworkConfigRequest.
type KubernetesNetworkConfigInput struct {
	ServiceIPv4CIDR      *string       `json:"serviceIpv4Cidr,omitempty"`
	IPFamily             *string       `json:"ipFamily,omitempty"`
	ElasticLoadBalancing *EnabledInput `json:"elasticLoadBalancing,omitempty"`
}

// StorageConfigInput is StorageConfigRequest.
type StorageConfigInput struct {
	BlockStorage *EnabledInput `json:"blockStorage,omitempty"`
}

// RemoteNetworkConfigInput is RemoteNetworkConfigRequest.
type RemoteNetworkConfigInput struct {
	RemoteNodeNetworks []RemoteNetworkInput `json:"remoteNodeNetworks"`
	RemotePodNetworks  []RemoteNetworkInput `json:"remotePodNetworks"`
}

// RemoteNetworkInput is a RemoteNodeNetwork or RemotePodNetwork.
type RemoteNetworkInput struct {
	CIDRs []string `json:"cidrs"`
}

// ControlPlaneScalingInput is ControlPlaneScalingConfig.
type ControlPlaneScalingInput struct {
	Tier *string `json:"tier"`
}

// planFunc checks a requested change against the cluster and returns the update's params and
// the change to apply when it completes.
type planFunc func(cl *Cluster) ([]UpdateParam, UpdateChange, error)

// kinds returns the kinds of update a request asks for, each with its planner.
func (in *UpdateClusterConfigInput) kinds() (types []string, plans []planFunc) {
	add := func(t string, p planFunc) { types, plans = append(types, t), append(plans, p) }
	if in.AccessConfig != nil {
		add(UpdateTypeAccessConfig, in.planAccessConfig)
	}
	if v := in.ResourcesVPCConfig; v != nil {
		endpoint := v.EndpointPublicAccess != nil || v.EndpointPrivateAccess != nil || v.PublicAccessCIDRs != nil
		vpc := v.SubnetIDs != nil || v.SecurityGroupIDs != nil
		if endpoint || !vpc {
			add(UpdateTypeEndpointAccess, in.planEndpointAccess)
		}
		if vpc {
			add(UpdateTypeVpcConfig, in.planVpcConfig)
		}
	}
	if in.Logging != nil {
		add(UpdateTypeLogging, in.planLogging)
	}
	if in.UpgradePolicy != nil {
		add(UpdateTypeUpgradePolicy, in.planUpgradePolicy)
	}
	if in.ZonalShiftConfig != nil {
		add(UpdateTypeZonalShift, in.planZonalShift)
	}
	if in.ComputeConfig != nil || in.KubernetesNetworkConfig != nil || in.StorageConfig != nil {
		add(UpdateTypeAutoMode, in.planAutoMode)
	}
	if in.RemoteNetworkConfig != nil {
		add(UpdateTypeRemoteNetwork, in.planRemoteNetwork)
	}
	if in.DeletionProtection != nil {
		add(UpdateTypeDeletionProtection, in.planDeletionProtection)
	}
	if in.ControlPlaneScalingConfig != nil {
		add(UpdateTypeControlPlaneScaling, in.planControlPlaneScaling)
	}
	return types, plans
}

// UpdateClusterConfig starts an update of a cluster's configuration.
func (s *Service) UpdateClusterConfig(ctx context.Context, c Caller, in UpdateClusterConfigInput) (*Update, error) {
	types, plans := in.kinds()
	switch {
	case len(types) == 0:
		return nil, errNothingToUpdate(in.Name)
	case len(types) > 1:
		return nil, errOnlyOneUpdateType(in.Name)
	}
	hashed := in
	hashed.ClientRequestToken = ""
	var out *Update
	err := s.update(ctx, func(tx Tx) error {
		cl, err := cluster(tx, c, in.Name)
		if err != nil {
			return err
		}
		now := s.nowMillis()
		out, err = idempotent(tx, c, "UpdateClusterConfig", in.Name, in.ClientRequestToken, hashed, now, func() (*Update, error) {
			// The running update may be changing what the request is compared with: refuse first.
			if err := noUpdateInProgress(tx, cl, types[0]); err != nil {
				return nil, err
			}
			params, change, err := plans[0](cl)
			if err != nil {
				return nil, err
			}
			return s.startUpdate(tx, cl, types[0], params, change, now)
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.updated()
	return out, nil
}

func compactJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func boolString(b bool) string { return strconv.FormatBool(b) }

// planAccessConfig: one-way, one step at a time CONFIG_MAP → API_AND_CONFIG_MAP → API.
func (in *UpdateClusterConfigInput) planAccessConfig(cl *Cluster) ([]UpdateParam, UpdateChange, error) {
	m := in.AccessConfig.AuthenticationMode
	if m == nil || *m == "" {
		return nil, UpdateChange{}, MissingParameter("accessConfig.authenticationMode")
	}
	to, from := *m, cl.AuthenticationMode
	if !(from == ModeConfigMap && to == ModeAPIAndConfigMap) && !(from == ModeAPIAndConfigMap && to == ModeAPI) {
		return nil, UpdateChange{}, errUnsupportedModeUpdate(cl.Name, from, to)
	}
	return []UpdateParam{{Type: ParamAuthenticationMode, Value: compactJSON(to)}}, UpdateChange{AuthenticationMode: to}, nil
}

func validCIDRs(member string, cidrs []string) error {
	for _, c := range cidrs {
		ip, _, err := net.ParseCIDR(c)
		if err != nil || ip.To4() == nil {
			return errInvalidCIDR(member, c)
		}
	}
	return nil
}

func (in *UpdateClusterConfigInput) planEndpointAccess(cl *Cluster) ([]UpdateParam, UpdateChange, error) {
	v, cur := in.ResourcesVPCConfig, cl.Spec.VPC
	pub, priv, cidrs := cur.EndpointPublicAccess, cur.EndpointPrivateAccess, cur.PublicAccessCIDRs
	var params []UpdateParam
	if v.EndpointPublicAccess != nil {
		pub = *v.EndpointPublicAccess
		params = append(params, UpdateParam{Type: ParamEndpointPublicAccess, Value: boolString(pub)})
	}
	if v.EndpointPrivateAccess != nil {
		priv = *v.EndpointPrivateAccess
		params = append(params, UpdateParam{Type: ParamEndpointPrivateAccess, Value: boolString(priv)})
	}
	if v.PublicAccessCIDRs != nil {
		if err := validCIDRs("publicAccessCidrs", v.PublicAccessCIDRs); err != nil {
			return nil, UpdateChange{}, err
		}
		cidrs = v.PublicAccessCIDRs
		if len(cidrs) == 0 {
			cidrs = []string{"0.0.0.0/0"}
		}
		params = append(params, UpdateParam{Type: ParamPublicAccessCidrs, Value: compactJSON(cidrs)})
	}
	if !pub && !priv {
		return nil, UpdateChange{}, errEndpointAllDisabled(cl.Name)
	}
	if pub == cur.EndpointPublicAccess && priv == cur.EndpointPrivateAccess && slices.Equal(cidrs, cur.PublicAccessCIDRs) {
		return nil, UpdateChange{}, errEndpointNoChange(cl.Name, priv, pub, cidrs)
	}
	return params, UpdateChange{VPC: &VPCConfigInput{EndpointPublicAccess: &pub, EndpointPrivateAccess: &priv, PublicAccessCIDRs: cidrs}}, nil
}

func (in *UpdateClusterConfigInput) planVpcConfig(cl *Cluster) ([]UpdateParam, UpdateChange, error) {
	v, cur := in.ResourcesVPCConfig, cl.Spec.VPC
	var params []UpdateParam
	change := &VPCConfigInput{}
	changed := false
	if v.SubnetIDs != nil {
		if len(v.SubnetIDs) < 2 {
			return nil, UpdateChange{}, errTooFewSubnets(cl.Name)
		}
		params = append(params, UpdateParam{Type: ParamSubnets, Value: compactJSON(v.SubnetIDs)})
		change.SubnetIDs = v.SubnetIDs
		changed = changed || !slices.Equal(v.SubnetIDs, cur.SubnetIDs)
	}
	if v.SecurityGroupIDs != nil {
		params = append(params, UpdateParam{Type: ParamSecurityGroups, Value: compactJSON(v.SecurityGroupIDs)})
		change.SecurityGroupIDs = v.SecurityGroupIDs
		changed = changed || !slices.Equal(v.SecurityGroupIDs, cur.SecurityGroupIDs)
	}
	if !changed {
		return nil, UpdateChange{}, errNoChangesNeeded(cl.Name, "resourcesVpcConfig")
	}
	return params, UpdateChange{VPC: change}, nil
}

// LogTypes are the control plane log types: the EKS model's LogType enum, in its order (the
// order EKS lists them in).
var LogTypes = model.EKS().Shapes["LogType"].Enum

// logState reads which log types a cluster's logging member enables.
func logState(logging map[string]any) map[string]bool {
	st := map[string]bool{}
	for _, t := range LogTypes {
		st[t] = false
	}
	setups, _ := logging["clusterLogging"].([]any)
	for _, s := range setups {
		m, _ := s.(map[string]any)
		on, _ := m["enabled"].(bool)
		types, _ := m["types"].([]any)
		for _, t := range types {
			if ts, ok := t.(string); ok {
				st[ts] = on
			}
		}
	}
	return st
}

// renderLogging renders a log state as EKS's DescribeCluster does: the enabled types, then the
// disabled ones.
func renderLogging(st map[string]bool) map[string]any {
	var on, off []any
	for _, t := range LogTypes {
		if st[t] {
			on = append(on, t)
		} else {
			off = append(off, t)
		}
	}
	var setups []any
	if len(on) > 0 {
		setups = append(setups, map[string]any{"types": on, "enabled": true})
	}
	if len(off) > 0 {
		setups = append(setups, map[string]any{"types": off, "enabled": false})
	}
	return map[string]any{"clusterLogging": setups}
}

func (in *UpdateClusterConfigInput) planLogging(cl *Cluster) ([]UpdateParam, UpdateChange, error) {
	if len(in.Logging.ClusterLogging) == 0 {
		return nil, UpdateChange{}, MissingParameter("logging.clusterLogging")
	}
	cur := logState(cl.Spec.Logging)
	next := map[string]bool{}
	for k, v := range cur {
		next[k] = v
	}
	for _, s := range in.Logging.ClusterLogging {
		if s.Enabled == nil {
			return nil, UpdateChange{}, MissingParameter("logging.clusterLogging.enabled")
		}
		for _, t := range s.Types { // LogType values (the model's enum)
			next[t] = *s.Enabled
		}
	}
	if reflect.DeepEqual(cur, next) {
		return nil, UpdateChange{}, errNoChangesNeeded(cl.Name, "logging config")
	}
	return []UpdateParam{{Type: ParamClusterLogging, Value: compactJSON(in.Logging)}}, UpdateChange{Logging: renderLogging(next)}, nil
}

// extraMember reads Spec.Extra[member][field].
func extraMember(s ClusterSpec, member, field string) any {
	m, _ := s.Extra[member].(map[string]any)
	return m[field]
}

func (in *UpdateClusterConfigInput) planUpgradePolicy(cl *Cluster) ([]UpdateParam, UpdateChange, error) {
	st := in.UpgradePolicy.SupportType
	if st == nil || *st == "" {
		return nil, UpdateChange{}, MissingParameter("upgradePolicy.supportType")
	}
	cur, _ := extraMember(cl.Spec, "upgradePolicy", "supportType").(string)
	if cur == "" {
		cur = "EXTENDED"
	}
	if cur == *st {
		return nil, UpdateChange{}, errNoChangesNeeded(cl.Name, "upgradePolicy")
	}
	v := map[string]any{"supportType": *st}
	return []UpdateParam{{Type: ParamUpgradePolicy, Value: compactJSON(v)}}, UpdateChange{Extra: map[string]any{"upgradePolicy": v}}, nil
}

func (in *UpdateClusterConfigInput) planZonalShift(cl *Cluster) ([]UpdateParam, UpdateChange, error) {
	e := in.ZonalShiftConfig.Enabled
	if e == nil {
		return nil, UpdateChange{}, MissingParameter("zonalShiftConfig.enabled")
	}
	cur, _ := extraMember(cl.Spec, "zonalShiftConfig", "enabled").(bool)
	if cur == *e {
		return nil, UpdateChange{}, errNoChangesNeeded(cl.Name, "zonalShiftConfig")
	}
	v := map[string]any{"enabled": *e}
	return []UpdateParam{{Type: ParamZonalShiftConfig, Value: compactJSON(v)}}, UpdateChange{Extra: map[string]any{"zonalShiftConfig": v}}, nil
}

func (in *UpdateClusterConfigInput) planDeletionProtection(cl *Cluster) ([]UpdateParam, UpdateChange, error) {
	want := *in.DeletionProtection
	cur, _ := cl.Spec.Extra["deletionProtection"].(bool)
	if cur == want {
		return nil, UpdateChange{}, errNoChangesNeeded(cl.Name, "deletionProtection")
	}
	return []UpdateParam{{Type: ParamDeletionProtection, Value: boolString(want)}}, UpdateChange{Extra: map[string]any{"deletionProtection": want}}, nil
}

func (in *UpdateClusterConfigInput) planControlPlaneScaling(cl *Cluster) ([]UpdateParam, UpdateChange, error) {
	t := in.ControlPlaneScalingConfig.Tier
	if t == nil || *t == "" {
		return nil, UpdateChange{}, MissingParameter("controlPlaneScalingConfig.tier")
	}
	cur, _ := extraMember(cl.Spec, "controlPlaneScalingConfig", "tier").(string)
	if cur == "" {
		cur = "standard"
	}
	if cur == *t {
		return nil, UpdateChange{}, errNoChangesNeeded(cl.Name, "controlPlaneScalingConfig")
	}
	return []UpdateParam{{Type: ParamPreviousTier, Value: cur}, {Type: ParamUpdatedTier, Value: *t}},
		UpdateChange{Extra: map[string]any{"controlPlaneScalingConfig": map[string]any{"tier": *t}}}, nil
}

func (in *UpdateClusterConfigInput) planRemoteNetwork(cl *Cluster) ([]UpdateParam, UpdateChange, error) {
	r := in.RemoteNetworkConfig
	render := func(ns []RemoteNetworkInput, member string) ([]any, error) {
		out := []any{}
		for _, n := range ns {
			if err := validCIDRs(member, n.CIDRs); err != nil {
				return nil, err
			}
			cidrs := make([]any, len(n.CIDRs))
			for i, c := range n.CIDRs {
				cidrs[i] = c
			}
			out = append(out, map[string]any{"cidrs": cidrs})
		}
		return out, nil
	}
	nodes, err := render(r.RemoteNodeNetworks, "remoteNodeNetworks.cidrs")
	if err != nil {
		return nil, UpdateChange{}, err
	}
	pods, err := render(r.RemotePodNetworks, "remotePodNetworks.cidrs")
	if err != nil {
		return nil, UpdateChange{}, err
	}
	var next any = map[string]any{"remoteNodeNetworks": nodes, "remotePodNetworks": pods}
	if len(nodes) == 0 && len(pods) == 0 {
		next = nil // both lists empty: the configuration is removed
	}
	if compactJSON(next) == compactJSON(cl.Spec.Extra["remoteNetworkConfig"]) {
		return nil, UpdateChange{}, errNoChangesNeeded(cl.Name, "remoteNetworkConfig")
	}
	return []UpdateParam{{Type: ParamRemoteNetworkConfig, Value: compactJSON(r)}},
		UpdateChange{Extra: map[string]any{"remoteNetworkConfig": next}}, nil
}

var autoModeNodePools = []string{"general-purpose", "system"}

// planAutoMode handles computeConfig, kubernetesNetworkConfig and storageConfig, which EKS
// Auto Mode changes together.
func (in *UpdateClusterConfigInput) planAutoMode(cl *Cluster) ([]UpdateParam, UpdateChange, error) {
	s := cl.Spec
	curCompute, _ := s.Extra["computeConfig"].(map[string]any)
	compute := map[string]any{}
	for k, v := range curCompute {
		compute[k] = v
	}
	computeOn, _ := compute["enabled"].(bool)
	elbOn := false
	if elb, ok := s.KubernetesNetwork["elasticLoadBalancing"].(map[string]any); ok {
		elbOn, _ = elb["enabled"].(bool)
	}
	blockOn := false
	if st, ok := s.Extra["storageConfig"].(map[string]any); ok {
		if bs, ok := st["blockStorage"].(map[string]any); ok {
			blockOn, _ = bs["enabled"].(bool)
		}
	}
	was := [3]bool{computeOn, elbOn, blockOn}
	var params []UpdateParam
	change := UpdateChange{Extra: map[string]any{}}

	if cc := in.ComputeConfig; cc != nil {
		if cc.Enabled != nil {
			computeOn = *cc.Enabled
		}
		compute["enabled"] = computeOn
		if cc.NodePools != nil {
			for _, p := range cc.NodePools {
				if !slices.Contains(autoModeNodePools, p) {
					return nil, UpdateChange{}, errInvalidValue("computeConfig.nodePools", p, autoModeNodePools)
				}
			}
			pools := make([]any, len(cc.NodePools))
			for i, p := range cc.NodePools {
				pools[i] = p
			}
			compute["nodePools"] = pools
		}
		if cc.NodeRoleARN != nil {
			if p, ok := ParsePrincipalARN(*cc.NodeRoleARN); !ok || p.Kind != "role" {
				return nil, UpdateChange{}, errRoleARN(*cc.NodeRoleARN)
			}
			compute["nodeRoleArn"] = *cc.NodeRoleARN
		}
		if pools, _ := compute["nodePools"].([]any); computeOn && len(pools) > 0 && compute["nodeRoleArn"] == nil {
			return nil, UpdateChange{}, errNodeRoleRequired(cl.Name)
		}
		params = append(params, UpdateParam{Type: ParamComputeConfig, Value: compactJSON(cc)})
		change.Extra["computeConfig"] = compute
	}
	if kn := in.KubernetesNetworkConfig; kn != nil {
		if kn.ServiceIPv4CIDR != nil && *kn.ServiceIPv4CIDR != s.KubernetesNetwork["serviceIpv4Cidr"] {
			return nil, UpdateChange{}, errImmutableMember(cl.Name, "kubernetesNetworkConfig.serviceIpv4Cidr")
		}
		if kn.IPFamily != nil && *kn.IPFamily != s.KubernetesNetwork["ipFamily"] {
			return nil, UpdateChange{}, errImmutableMember(cl.Name, "kubernetesNetworkConfig.ipFamily")
		}
		if kn.ElasticLoadBalancing != nil && kn.ElasticLoadBalancing.Enabled != nil {
			elbOn = *kn.ElasticLoadBalancing.Enabled
			change.KubernetesNetwork = map[string]any{"elasticLoadBalancing": map[string]any{"enabled": elbOn}}
		}
		params = append(params, UpdateParam{Type: ParamKubernetesNetworkConfig, Value: compactJSON(kn)})
	}
	if sc := in.StorageConfig; sc != nil {
		if sc.BlockStorage != nil && sc.BlockStorage.Enabled != nil {
			blockOn = *sc.BlockStorage.Enabled
			change.Extra["storageConfig"] = map[string]any{"blockStorage": map[string]any{"enabled": blockOn}}
		}
		params = append(params, UpdateParam{Type: ParamStorageConfig, Value: compactJSON(sc)})
	}
	if computeOn != elbOn || elbOn != blockOn {
		return nil, UpdateChange{}, errAutoModeMismatch(cl.Name)
	}
	base := curCompute
	if base == nil {
		base = map[string]any{"enabled": false}
	}
	if in.ComputeConfig == nil {
		compute = base
	}
	if was == [3]bool{computeOn, elbOn, blockOn} && compactJSON(compute) == compactJSON(base) {
		return nil, UpdateChange{}, errNoChangesNeeded(cl.Name, "computeConfig, kubernetesNetworkConfig and storageConfig")
	}
	return params, change, nil
}
