package access

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func bp(b bool) *bool     { return &b }
func sp(s string) *string { return &s }
func testCluster() *Cluster {
	return &Cluster{
		Name: "c", AuthenticationMode: ModeConfigMap,
		Spec: ClusterSpec{
			VPC:               VPCConfig{SubnetIDs: []string{"s1", "s2"}, EndpointPublicAccess: true, PublicAccessCIDRs: []string{"0.0.0.0/0"}},
			KubernetesNetwork: map[string]any{"ipFamily": "ipv4", "serviceIpv4Cidr": "10.100.0.0/16"},
		},
	}
}

// wantErrMsg fails unless err is an *Error with code and a message containing msg ("" = nil).
func wantErrMsg(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if msg == "" {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != code || !strings.Contains(e.Message, msg) {
		t.Fatalf("%s: got %v, want %s containing %q", what, err, code, msg)
	}
}

func TestAuthenticationModeTransitionRules(t *testing.T) {
	t.Parallel()
	modes := []string{ModeConfigMap, ModeAPIAndConfigMap, ModeAPI}
	allowed := map[[2]string]bool{{ModeConfigMap, ModeAPIAndConfigMap}: true, {ModeAPIAndConfigMap, ModeAPI}: true}
	for _, from := range modes {
		for _, to := range modes {
			cl := testCluster()
			cl.AuthenticationMode = from
			in := UpdateClusterConfigInput{AccessConfig: &UpdateAccessConfigInput{AuthenticationMode: sp(to)}}
			params, change, err := in.planAccessConfig(cl)
			if allowed[[2]string{from, to}] {
				wantErrMsg(t, from+"→"+to, err, "", "")
				if change.AuthenticationMode != to || len(params) != 1 || params[0] != (UpdateParam{ParamAuthenticationMode, `"` + to + `"`}) {
					t.Fatalf("%s→%s: %v %+v", from, to, params, change)
				}
				continue
			}
			wantErrMsg(t, from+"→"+to, err, CodeInvalidParameter, "Unsupported authentication mode update from "+from+" to "+to)
			if err.(*Error).ClusterName != "c" {
				t.Fatalf("clusterName member missing")
			}
		}
	}
	_, _, err := (&UpdateClusterConfigInput{AccessConfig: &UpdateAccessConfigInput{AuthenticationMode: sp("X")}}).planAccessConfig(testCluster())
	wantErrMsg(t, "invalid mode", err, CodeInvalidParameter, "Unsupported authentication mode update from CONFIG_MAP to X") // the enum is the model's
	_, _, err = (&UpdateClusterConfigInput{AccessConfig: &UpdateAccessConfigInput{}}).planAccessConfig(testCluster())
	wantErrMsg(t, "missing mode", err, CodeInvalidParameter, "accessConfig.authenticationMode")
}

func TestUpdateKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   UpdateClusterConfigInput
		want []string
	}{
		{"none", UpdateClusterConfigInput{}, nil},
		{"access", UpdateClusterConfigInput{AccessConfig: &UpdateAccessConfigInput{}}, []string{UpdateTypeAccessConfig}},
		{"endpoint", UpdateClusterConfigInput{ResourcesVPCConfig: &VPCConfigInput{EndpointPrivateAccess: bp(true)}}, []string{UpdateTypeEndpointAccess}},
		{"empty vpc", UpdateClusterConfigInput{ResourcesVPCConfig: &VPCConfigInput{}}, []string{UpdateTypeEndpointAccess}},
		{"subnets", UpdateClusterConfigInput{ResourcesVPCConfig: &VPCConfigInput{SubnetIDs: []string{"a", "b"}}}, []string{UpdateTypeVpcConfig}},
		{"subnets and endpoint", UpdateClusterConfigInput{ResourcesVPCConfig: &VPCConfigInput{SubnetIDs: []string{"a"}, PublicAccessCIDRs: []string{}}}, []string{UpdateTypeEndpointAccess, UpdateTypeVpcConfig}},
		{"auto mode is one kind", UpdateClusterConfigInput{ComputeConfig: &ComputeConfigInput{}, StorageConfig: &StorageConfigInput{}, KubernetesNetworkConfig: &KubernetesNetworkConfigInput{}}, []string{UpdateTypeAutoMode}},
		{"logging and access", UpdateClusterConfigInput{Logging: &LoggingInput{}, AccessConfig: &UpdateAccessConfigInput{}}, []string{UpdateTypeAccessConfig, UpdateTypeLogging}},
		{"others", UpdateClusterConfigInput{UpgradePolicy: &UpgradePolicyInput{}, ZonalShiftConfig: &ZonalShiftConfigInput{}, RemoteNetworkConfig: &RemoteNetworkConfigInput{}, DeletionProtection: bp(false), ControlPlaneScalingConfig: &ControlPlaneScalingInput{}},
			[]string{UpdateTypeUpgradePolicy, UpdateTypeZonalShift, UpdateTypeRemoteNetwork, UpdateTypeDeletionProtection, UpdateTypeControlPlaneScaling}},
	} {
		got, plans := tc.in.kinds()
		if !reflect.DeepEqual(got, tc.want) || len(plans) != len(got) {
			t.Errorf("%s: kinds = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestEndpointAccessRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   VPCConfigInput
		msg  string
	}{
		{"same", VPCConfigInput{EndpointPublicAccess: bp(true)}, "Cluster is already at the desired configuration with endpointPrivateAccess: false , endpointPublicAccess: true, and Public Endpoint Restrictions: [0.0.0.0/0]"},
		{"empty", VPCConfigInput{}, "Cluster is already at the desired configuration"},
		{"empty cidrs mean the default", VPCConfigInput{PublicAccessCIDRs: []string{}}, "Public Endpoint Restrictions: [0.0.0.0/0]"},
		{"both off", VPCConfigInput{EndpointPublicAccess: bp(false)}, "cannot both be false"},
		{"bad cidr", VPCConfigInput{PublicAccessCIDRs: []string{"1.2.3.4"}}, `"1.2.3.4" is not a valid IPv4 CIDR block`},
		{"ipv6 cidr", VPCConfigInput{PublicAccessCIDRs: []string{"::/0"}}, "not a valid IPv4 CIDR block"},
		{"private on", VPCConfigInput{EndpointPrivateAccess: bp(true)}, ""},
		{"cidrs", VPCConfigInput{PublicAccessCIDRs: []string{"1.2.3.0/24", "5.6.7.8/32"}}, ""},
	} {
		in := UpdateClusterConfigInput{ResourcesVPCConfig: &tc.in}
		_, _, err := in.planEndpointAccess(testCluster())
		wantErrMsg(t, tc.name, err, CodeInvalidParameter, tc.msg)
	}
}

func TestLoggingState(t *testing.T) {
	t.Parallel()
	cur := map[string]any{"clusterLogging": []any{
		map[string]any{"types": []any{"api", "audit"}, "enabled": true},
		map[string]any{"types": []any{"authenticator", "controllerManager", "scheduler"}, "enabled": false},
	}}
	st := logState(cur)
	if !st["api"] || !st["audit"] || st["scheduler"] || len(st) != 5 {
		t.Fatalf("logState = %v", st)
	}
	if got := renderLogging(st); !reflect.DeepEqual(got, cur) {
		t.Fatalf("renderLogging = %v, want %v", got, cur)
	}
	if got := logState(nil); len(got) != 5 || got["api"] {
		t.Fatalf("logState(nil) = %v", got)
	}
	cl := testCluster()
	cl.Spec.Logging = cur
	for _, tc := range []struct {
		name string
		in   LoggingInput
		msg  string
	}{
		{"no change", LoggingInput{ClusterLogging: []LogSetupInput{{Types: []string{"api"}, Enabled: bp(true)}}}, "No changes needed for the logging config provided"},
		{"empty", LoggingInput{}, "logging.clusterLogging"},
		{"no enabled", LoggingInput{ClusterLogging: []LogSetupInput{{Types: []string{"api"}}}}, "logging.clusterLogging.enabled"},
		{"change", LoggingInput{ClusterLogging: []LogSetupInput{{Types: []string{"api"}, Enabled: bp(false)}}}, ""},
	} {
		in := UpdateClusterConfigInput{Logging: &tc.in}
		_, _, err := in.planLogging(cl)
		wantErrMsg(t, tc.name, err, CodeInvalidParameter, tc.msg)
	}
}

func TestAutoModeRules(t *testing.T) {
	t.Parallel()
	enabled := func(b bool) *EnabledInput { return &EnabledInput{Enabled: bp(b)} }
	for _, tc := range []struct {
		name string
		in   UpdateClusterConfigInput
		msg  string
	}{
		{"compute only", UpdateClusterConfigInput{ComputeConfig: &ComputeConfigInput{Enabled: bp(true)}}, "must all be set to the same value"},
		{"all three", UpdateClusterConfigInput{ComputeConfig: &ComputeConfigInput{Enabled: bp(true)}, KubernetesNetworkConfig: &KubernetesNetworkConfigInput{ElasticLoadBalancing: enabled(true)}, StorageConfig: &StorageConfigInput{BlockStorage: enabled(true)}}, ""},
		{"all off already", UpdateClusterConfigInput{ComputeConfig: &ComputeConfigInput{Enabled: bp(false)}, KubernetesNetworkConfig: &KubernetesNetworkConfigInput{ElasticLoadBalancing: enabled(false)}, StorageConfig: &StorageConfigInput{BlockStorage: enabled(false)}}, "No changes needed"},
		{"pools need a role", UpdateClusterConfigInput{ComputeConfig: &ComputeConfigInput{Enabled: bp(true), NodePools: []string{"system"}}, KubernetesNetworkConfig: &KubernetesNetworkConfigInput{ElasticLoadBalancing: enabled(true)}, StorageConfig: &StorageConfigInput{BlockStorage: enabled(true)}}, "nodeRoleArn is required"},
		{"bad pool", UpdateClusterConfigInput{ComputeConfig: &ComputeConfigInput{NodePools: []string{"gpu"}}}, `computeConfig.nodePools "gpu" is invalid`},
		{"bad role", UpdateClusterConfigInput{ComputeConfig: &ComputeConfigInput{NodeRoleARN: sp("arn:aws:iam::012345678910:user/u")}}, "not a valid IAM role ARN"},
		{"ipFamily", UpdateClusterConfigInput{KubernetesNetworkConfig: &KubernetesNetworkConfigInput{IPFamily: sp("ipv6")}}, "kubernetesNetworkConfig.ipFamily cannot be changed"},
		{"same ipFamily", UpdateClusterConfigInput{KubernetesNetworkConfig: &KubernetesNetworkConfigInput{IPFamily: sp("ipv4")}}, "No changes needed"},
	} {
		_, _, err := tc.in.planAutoMode(testCluster())
		wantErrMsg(t, tc.name, err, CodeInvalidParameter, tc.msg)
	}
}

func TestOtherUpdateRules(t *testing.T) {
	t.Parallel()
	cl := testCluster()
	cl.Spec.Extra = map[string]any{"deletionProtection": true, "remoteNetworkConfig": map[string]any{"remoteNodeNetworks": []any{map[string]any{"cidrs": []any{"10.0.0.0/16"}}}, "remotePodNetworks": []any{}}}
	for _, tc := range []struct {
		name string
		in   UpdateClusterConfigInput
		plan func(*UpdateClusterConfigInput) planFunc
		msg  string
	}{
		{"upgrade default is EXTENDED", UpdateClusterConfigInput{UpgradePolicy: &UpgradePolicyInput{SupportType: sp("EXTENDED")}}, func(i *UpdateClusterConfigInput) planFunc { return i.planUpgradePolicy }, "No changes needed for the upgradePolicy provided"},
		{"upgrade missing", UpdateClusterConfigInput{UpgradePolicy: &UpgradePolicyInput{}}, func(i *UpdateClusterConfigInput) planFunc { return i.planUpgradePolicy }, "upgradePolicy.supportType"},
		{"zonal default off", UpdateClusterConfigInput{ZonalShiftConfig: &ZonalShiftConfigInput{Enabled: bp(false)}}, func(i *UpdateClusterConfigInput) planFunc { return i.planZonalShift }, "No changes needed"},
		{"deletion protection same", UpdateClusterConfigInput{DeletionProtection: bp(true)}, func(i *UpdateClusterConfigInput) planFunc { return i.planDeletionProtection }, "No changes needed for the deletionProtection provided"},
		{"deletion protection off", UpdateClusterConfigInput{DeletionProtection: bp(false)}, func(i *UpdateClusterConfigInput) planFunc { return i.planDeletionProtection }, ""},
		{"tier default standard", UpdateClusterConfigInput{ControlPlaneScalingConfig: &ControlPlaneScalingInput{Tier: sp("standard")}}, func(i *UpdateClusterConfigInput) planFunc { return i.planControlPlaneScaling }, "No changes needed"},
		{"remote same", UpdateClusterConfigInput{RemoteNetworkConfig: &RemoteNetworkConfigInput{RemoteNodeNetworks: []RemoteNetworkInput{{CIDRs: []string{"10.0.0.0/16"}}}}}, func(i *UpdateClusterConfigInput) planFunc { return i.planRemoteNetwork }, "No changes needed"},
		{"remote removed", UpdateClusterConfigInput{RemoteNetworkConfig: &RemoteNetworkConfigInput{}}, func(i *UpdateClusterConfigInput) planFunc { return i.planRemoteNetwork }, ""},
		{"remote bad cidr", UpdateClusterConfigInput{RemoteNetworkConfig: &RemoteNetworkConfigInput{RemotePodNetworks: []RemoteNetworkInput{{CIDRs: []string{"x"}}}}}, func(i *UpdateClusterConfigInput) planFunc { return i.planRemoteNetwork }, "remotePodNetworks.cidrs"},
		{"subnets too few", UpdateClusterConfigInput{ResourcesVPCConfig: &VPCConfigInput{SubnetIDs: []string{"a"}}}, func(i *UpdateClusterConfigInput) planFunc { return i.planVpcConfig }, "at least two"},
		{"subnets same", UpdateClusterConfigInput{ResourcesVPCConfig: &VPCConfigInput{SubnetIDs: []string{"s1", "s2"}}}, func(i *UpdateClusterConfigInput) planFunc { return i.planVpcConfig }, "No changes needed for the resourcesVpcConfig provided"},
	} {
		_, _, err := tc.plan(&tc.in)(cl)
		wantErrMsg(t, tc.name, err, CodeInvalidParameter, tc.msg)
	}
}

func TestApplySpecChange(t *testing.T) {
	t.Parallel()
	s := testCluster().Spec
	s.Extra = map[string]any{"remoteNetworkConfig": map[string]any{}, "keep": 1}
	applySpecChange(&s, UpdateChange{
		VPC:               &VPCConfigInput{EndpointPrivateAccess: bp(true), SubnetIDs: []string{"x", "y"}},
		KubernetesNetwork: map[string]any{"elasticLoadBalancing": map[string]any{"enabled": true}},
		Extra:             map[string]any{"remoteNetworkConfig": nil, "deletionProtection": true},
	})
	if !s.VPC.EndpointPrivateAccess || !s.VPC.EndpointPublicAccess || s.VPC.SubnetIDs[0] != "x" || s.KubernetesNetwork["ipFamily"] != "ipv4" ||
		s.KubernetesNetwork["elasticLoadBalancing"] == nil || s.Extra["deletionProtection"] != true || s.Extra["keep"] != 1 {
		t.Fatalf("spec = %+v", s)
	}
	if _, ok := s.Extra["remoteNetworkConfig"]; ok {
		t.Fatalf("a nil Extra value must remove the member")
	}
}
