package server_test

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// startWithUpdates starts a server whose cluster updates take d.
func startWithUpdates(t *testing.T, d time.Duration) *testutil.Server {
	return testutil.Start(t, testutil.Options{Mutate: func(c *server.Config) { c.UpdateDuration = d }})
}

// updCreateCluster creates a cluster with an authentication mode ("" = default CONFIG_MAP).
func updCreateCluster(t *testing.T, ctx context.Context, c *eks.Client, name string, mode types.AuthenticationMode, version string) *types.Cluster {
	t.Helper()
	in := &eks.CreateClusterInput{
		Name:               aws.String(name),
		RoleArn:            aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
	}
	if mode != "" {
		in.AccessConfig = &types.CreateAccessConfigRequest{AuthenticationMode: mode}
	}
	if version != "" {
		in.Version = aws.String(version)
	}
	out, err := c.CreateCluster(ctx, in)
	if err != nil {
		t.Fatalf("create cluster %s: %v", name, err)
	}
	return out.Cluster
}

// waitUpdate polls DescribeUpdate until the update is no longer InProgress.
func waitUpdate(t *testing.T, ctx context.Context, c *eks.Client, cluster, id string) *types.Update {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String(cluster), UpdateId: aws.String(id)})
		if err != nil {
			t.Fatalf("describe update %s: %v", id, err)
		}
		if out.Update.Status != types.UpdateStatusInProgress {
			return out.Update
		}
		if time.Now().After(deadline) {
			t.Fatalf("update %s still InProgress after 30s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitSuccessful waits for an update and requires it to be Successful.
func waitSuccessful(t *testing.T, ctx context.Context, c *eks.Client, cluster, id string) *types.Update {
	t.Helper()
	u := waitUpdate(t, ctx, c, cluster, id)
	if u.Status != types.UpdateStatusSuccessful || len(u.Errors) != 0 {
		t.Fatalf("update %s ended %s with errors %+v", id, u.Status, u.Errors)
	}
	return u
}

func describeCluster(t *testing.T, ctx context.Context, c *eks.Client, name string) *types.Cluster {
	t.Helper()
	out, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("describe cluster %s: %v", name, err)
	}
	return out.Cluster
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func wantParams(t *testing.T, u *types.Update, want ...types.UpdateParam) {
	t.Helper()
	if len(u.Params) != len(want) {
		t.Fatalf("params = %s, want %s", paramsString(u.Params), paramsString(want))
	}
	for i := range want {
		if u.Params[i].Type != want[i].Type || aws.ToString(u.Params[i].Value) != aws.ToString(want[i].Value) {
			t.Fatalf("params = %s, want %s", paramsString(u.Params), paramsString(want))
		}
	}
}

func paramsString(ps []types.UpdateParam) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(string(p.Type) + "=" + aws.ToString(p.Value) + " ")
	}
	return b.String()
}

func param(t types.UpdateParamType, v string) types.UpdateParam {
	return types.UpdateParam{Type: t, Value: aws.String(v)}
}

func TestUpdateLifecycleAuthenticationMode(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, 1500*time.Millisecond)
	c, ctx := s.EKS(), testutil.Ctx(t)
	updCreateCluster(t, ctx, c, "my-cluster", "", "")

	before := time.Now().Add(-time.Second)
	out, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{
		Name:         aws.String("my-cluster"),
		AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApiAndConfigMap},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := out.Update
	if !uuidRe.MatchString(aws.ToString(u.Id)) || u.Status != types.UpdateStatusInProgress || u.Type != types.UpdateTypeAccessConfigUpdate ||
		u.CreatedAt == nil || u.CreatedAt.Before(before) || u.Errors == nil || len(u.Errors) != 0 {
		t.Fatalf("update = %+v", u)
	}
	wantParams(t, u, param(types.UpdateParamTypeAuthenticationMode, `"API_AND_CONFIG_MAP"`))

	// While it runs: the cluster is UPDATING with the old mode, the update is InProgress.
	cl := describeCluster(t, ctx, c, "my-cluster")
	if cl.Status != types.ClusterStatusUpdating || cl.AccessConfig.AuthenticationMode != types.AuthenticationModeConfigMap {
		t.Fatalf("during the update: status %s, mode %s", cl.Status, cl.AccessConfig.AuthenticationMode)
	}
	d, err := c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("my-cluster"), UpdateId: u.Id})
	if err != nil {
		t.Fatal(err)
	}
	if d.Update.Status != types.UpdateStatusInProgress || *d.Update.Id != *u.Id || d.Update.Type != types.UpdateTypeAccessConfigUpdate || !d.Update.CreatedAt.Equal(*u.CreatedAt) {
		t.Fatalf("describe during the update: %+v", d.Update)
	}
	wantParams(t, d.Update, param(types.UpdateParamTypeAuthenticationMode, `"API_AND_CONFIG_MAP"`))
	// A second update meanwhile is refused.
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{
		Name:         aws.String("my-cluster"),
		AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi},
	})
	testutil.WantAPIError(t, err, "ResourceInUseException", 409, "Cannot AccessConfigUpdate because cluster my-cluster currently has update "+*u.Id+" in progress")

	done := waitSuccessful(t, ctx, c, "my-cluster", *u.Id)
	wantParams(t, done, param(types.UpdateParamTypeAuthenticationMode, `"API_AND_CONFIG_MAP"`))
	cl = describeCluster(t, ctx, c, "my-cluster")
	if cl.Status != types.ClusterStatusActive || cl.AccessConfig.AuthenticationMode != types.AuthenticationModeApiAndConfigMap {
		t.Fatalf("after the update: status %s, mode %s", cl.Status, cl.AccessConfig.AuthenticationMode)
	}
	// Access entries now work.
	if _, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("my-cluster")}); err != nil {
		t.Fatalf("access entries after switching to API_AND_CONFIG_MAP: %v", err)
	}

	// Next step, then no way back.
	out2, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{
		Name:         aws.String("my-cluster"),
		AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitSuccessful(t, ctx, c, "my-cluster", *out2.Update.Id)
	if m := describeCluster(t, ctx, c, "my-cluster").AccessConfig.AuthenticationMode; m != types.AuthenticationModeApi {
		t.Fatalf("mode = %s, want API", m)
	}
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{
		Name:         aws.String("my-cluster"),
		AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApiAndConfigMap},
	})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "Unsupported authentication mode update from API to API_AND_CONFIG_MAP")

	list, err := c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("my-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.UpdateIds) != 2 || list.UpdateIds[0] != *u.Id || list.UpdateIds[1] != *out2.Update.Id || list.NextToken != nil {
		t.Fatalf("ListUpdates = %v, want [%s %s] oldest first", list.UpdateIds, *u.Id, *out2.Update.Id)
	}
}

func TestAuthenticationModeTransitions(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, time.Hour) // refused requests start no update; allowed ones stay InProgress
	c, ctx := s.EKS(), testutil.Ctx(t)
	for i, tc := range []struct {
		from, to types.AuthenticationMode
		ok       bool
	}{
		{types.AuthenticationModeConfigMap, types.AuthenticationModeApiAndConfigMap, true},
		{types.AuthenticationModeApiAndConfigMap, types.AuthenticationModeApi, true},
		{types.AuthenticationModeConfigMap, types.AuthenticationModeApi, false},
		{types.AuthenticationModeConfigMap, types.AuthenticationModeConfigMap, false},
		{types.AuthenticationModeApiAndConfigMap, types.AuthenticationModeConfigMap, false},
		{types.AuthenticationModeApiAndConfigMap, types.AuthenticationModeApiAndConfigMap, false},
		{types.AuthenticationModeApi, types.AuthenticationModeApi, false},
		{types.AuthenticationModeApi, types.AuthenticationModeApiAndConfigMap, false},
		{types.AuthenticationModeApi, types.AuthenticationModeConfigMap, false},
	} {
		name := "c" + string(rune('a'+i))
		updCreateCluster(t, ctx, c, name, tc.from, "")
		_, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{
			Name: aws.String(name), AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: tc.to},
		})
		if tc.ok {
			if err != nil {
				t.Fatalf("%s → %s: %v", tc.from, tc.to, err)
			}
			continue
		}
		testutil.WantAPIError(t, err, "InvalidParameterException", 400, "Unsupported authentication mode update from "+string(tc.from)+" to "+string(tc.to))
		var ipe *types.InvalidParameterException
		if !errors.As(err, &ipe) || aws.ToString(ipe.ClusterName) != name {
			t.Fatalf("clusterName member of the error: %+v", ipe)
		}
		if st := describeCluster(t, ctx, c, name).Status; st != types.ClusterStatusActive {
			t.Fatalf("a refused update left the cluster %s", st)
		}
	}
	updCreateCluster(t, ctx, c, "bad", "", "")
	_, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{
		Name: aws.String("bad"), AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: "OIDC"},
	})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, `authenticationMode "OIDC" is invalid`)
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("bad"), AccessConfig: &types.UpdateAccessConfigRequest{}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "accessConfig.authenticationMode")
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{
		Name: aws.String("nope"), AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApiAndConfigMap},
	})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No cluster found for name: nope.")
}

func TestUpdateInProgressConflict(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, time.Hour)
	c, ctx := s.EKS(), testutil.Ctx(t)
	cl := updCreateCluster(t, ctx, c, "busy", types.AuthenticationModeApiAndConfigMap, "")

	logging := &types.Logging{ClusterLogging: []types.LogSetup{{Types: []types.LogType{types.LogTypeApi}, Enabled: aws.Bool(true)}}}
	token := "token-of-the-first-update-1234567890"
	first, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("busy"), Logging: logging, ClientRequestToken: aws.String(token)})
	if err != nil {
		t.Fatal(err)
	}
	id := *first.Update.Id
	if first.Update.Type != types.UpdateTypeLoggingUpdate {
		t.Fatalf("type %s", first.Update.Type)
	}
	// A retry with the same token replays the first answer instead of conflicting with itself.
	again, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("busy"), Logging: logging, ClientRequestToken: aws.String(token)})
	if err != nil || *again.Update.Id != id {
		t.Fatalf("replay: %v %+v", err, again)
	}
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("busy"), DeletionProtection: aws.Bool(true), ClientRequestToken: aws.String(token)})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "clientRequestToken")

	for _, tc := range []struct {
		typ  string
		call func() error
	}{
		{"LoggingUpdate", func() error {
			_, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("busy"), Logging: &types.Logging{ClusterLogging: []types.LogSetup{{Types: []types.LogType{types.LogTypeAudit}, Enabled: aws.Bool(true)}}}})
			return err
		}},
		{"EndpointAccessUpdate", func() error {
			_, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("busy"), ResourcesVpcConfig: &types.VpcConfigRequest{EndpointPrivateAccess: aws.Bool(true)}})
			return err
		}},
		{"AccessConfigUpdate", func() error {
			_, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("busy"), AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi}})
			return err
		}},
		{"AssociateIdentityProviderConfig", func() error {
			_, err := c.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: aws.String("busy"), Oidc: &types.OidcIdentityProviderConfigRequest{
				IdentityProviderConfigName: aws.String("x"), IssuerUrl: aws.String("https://issuer.example.com"), ClientId: aws.String("k"),
			}})
			return err
		}},
	} {
		err := tc.call()
		testutil.WantAPIError(t, err, "ResourceInUseException", 409, "Cannot "+tc.typ+" because cluster busy currently has update "+id+" in progress")
		var riu *types.ResourceInUseException
		if !errors.As(err, &riu) || aws.ToString(riu.ClusterName) != "busy" {
			t.Fatalf("clusterName member: %+v", riu)
		}
	}
	// A refused association leaves no config behind.
	if l, err := c.ListIdentityProviderConfigs(ctx, &eks.ListIdentityProviderConfigsInput{ClusterName: aws.String("busy")}); err != nil || len(l.IdentityProviderConfigs) != 0 {
		t.Fatalf("configs after a refused association: %v %+v", err, l)
	}

	// Access entries and tags keep working while the cluster is UPDATING.
	if st := describeCluster(t, ctx, c, "busy").Status; st != types.ClusterStatusUpdating {
		t.Fatalf("status %s, want UPDATING", st)
	}
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("busy"), PrincipalArn: aws.String("arn:aws:iam::012345678910:role/dev")}); err != nil {
		t.Fatalf("create access entry while UPDATING: %v", err)
	}
	if _, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: cl.Arn, Tags: map[string]string{"during": "update"}}); err != nil {
		t.Fatalf("tag while UPDATING: %v", err)
	}
	if got := describeCluster(t, ctx, c, "busy"); got.Tags["during"] != "update" || got.Status != types.ClusterStatusUpdating {
		t.Fatalf("after tagging: %s %v", got.Status, got.Tags)
	}
	// The update itself is untouched: still one InProgress update.
	l, err := c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("busy")})
	if err != nil || len(l.UpdateIds) != 1 || l.UpdateIds[0] != id {
		t.Fatalf("ListUpdates = %v, %v", err, l)
	}
	// Another cluster is not affected.
	updCreateCluster(t, ctx, c, "calm", "", "")
	if _, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("calm"), Logging: logging}); err != nil {
		t.Fatalf("update of another cluster: %v", err)
	}
}

// applyUpdate runs an UpdateClusterConfig that must succeed with type typ and params, and waits
// for it to complete.
func applyUpdate(t *testing.T, ctx context.Context, c *eks.Client, in *eks.UpdateClusterConfigInput, typ types.UpdateType, params ...types.UpdateParam) {
	t.Helper()
	out, err := c.UpdateClusterConfig(ctx, in)
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	if out.Update.Type != typ || out.Update.Status != types.UpdateStatusInProgress {
		t.Fatalf("update = %s %s, want %s InProgress", out.Update.Type, out.Update.Status, typ)
	}
	wantParams(t, out.Update, params...)
	waitSuccessful(t, ctx, c, aws.ToString(in.Name), *out.Update.Id)
}

func TestUpdateClusterConfigKinds(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, 0)
	c, ctx := s.EKS(), testutil.Ctx(t)
	updCreateCluster(t, ctx, c, "k", types.AuthenticationModeApi, "")
	name := aws.String("k")

	// Endpoint access.
	_, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, ResourcesVpcConfig: &types.VpcConfigRequest{EndpointPublicAccess: aws.Bool(true), EndpointPrivateAccess: aws.Bool(false)}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "Cluster is already at the desired configuration with endpointPrivateAccess: false , endpointPublicAccess: true, and Public Endpoint Restrictions: [0.0.0.0/0]")
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, ResourcesVpcConfig: &types.VpcConfigRequest{EndpointPublicAccess: aws.Bool(false)}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "cannot both be false")
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, ResourcesVpcConfig: &types.VpcConfigRequest{PublicAccessCidrs: []string{"10.0.0.0/33"}}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, `"10.0.0.0/33" is not a valid IPv4 CIDR block`)
	applyUpdate(t, ctx, c, &eks.UpdateClusterConfigInput{Name: name, ResourcesVpcConfig: &types.VpcConfigRequest{EndpointPublicAccess: aws.Bool(false), EndpointPrivateAccess: aws.Bool(true)}},
		types.UpdateTypeEndpointAccessUpdate, param(types.UpdateParamTypeEndpointPublicAccess, "false"), param(types.UpdateParamTypeEndpointPrivateAccess, "true"))
	applyUpdate(t, ctx, c, &eks.UpdateClusterConfigInput{Name: name, ResourcesVpcConfig: &types.VpcConfigRequest{EndpointPublicAccess: aws.Bool(true), PublicAccessCidrs: []string{"203.0.113.0/24"}}},
		types.UpdateTypeEndpointAccessUpdate, param(types.UpdateParamTypeEndpointPublicAccess, "true"), param(types.UpdateParamTypePublicAccessCidrs, `["203.0.113.0/24"]`))
	vpc := describeCluster(t, ctx, c, "k").ResourcesVpcConfig
	if !vpc.EndpointPublicAccess || !vpc.EndpointPrivateAccess || len(vpc.PublicAccessCidrs) != 1 || vpc.PublicAccessCidrs[0] != "203.0.113.0/24" {
		t.Fatalf("endpoint access not applied: %+v", vpc)
	}

	// Subnets and security groups.
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-9"}}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "at least two")
	applyUpdate(t, ctx, c, &eks.UpdateClusterConfigInput{Name: name, ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-7", "subnet-8"}, SecurityGroupIds: []string{"sg-1"}}},
		types.UpdateTypeVpcConfigUpdate, param(types.UpdateParamTypeSubnets, `["subnet-7","subnet-8"]`), param(types.UpdateParamTypeSecurityGroups, `["sg-1"]`))
	if vpc := describeCluster(t, ctx, c, "k").ResourcesVpcConfig; len(vpc.SubnetIds) != 2 || vpc.SubnetIds[0] != "subnet-7" || len(vpc.SecurityGroupIds) != 1 {
		t.Fatalf("subnets not applied: %+v", vpc)
	}
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-7", "subnet-8"}, EndpointPrivateAccess: aws.Bool(false)}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "Only one type of update can be allowed.")

	// Logging.
	all := []types.LogType{types.LogTypeApi, types.LogTypeAudit, types.LogTypeAuthenticator, types.LogTypeControllerManager, types.LogTypeScheduler}
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, Logging: &types.Logging{ClusterLogging: []types.LogSetup{{Types: all, Enabled: aws.Bool(false)}}}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "No changes needed for the logging config provided")
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, Logging: &types.Logging{ClusterLogging: []types.LogSetup{{Types: []types.LogType{"kubelet"}, Enabled: aws.Bool(true)}}}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, `logging.clusterLogging[0].types[0] "kubelet" is invalid`)
	applyUpdate(t, ctx, c, &eks.UpdateClusterConfigInput{Name: name, Logging: &types.Logging{ClusterLogging: []types.LogSetup{{Types: all, Enabled: aws.Bool(true)}}}},
		types.UpdateTypeLoggingUpdate, param(types.UpdateParamTypeClusterLogging, `{"clusterLogging":[{"types":["api","audit","authenticator","controllerManager","scheduler"],"enabled":true}]}`))
	applyUpdate(t, ctx, c, &eks.UpdateClusterConfigInput{Name: name, Logging: &types.Logging{ClusterLogging: []types.LogSetup{{Types: []types.LogType{types.LogTypeScheduler}, Enabled: aws.Bool(false)}}}},
		types.UpdateTypeLoggingUpdate, param(types.UpdateParamTypeClusterLogging, `{"clusterLogging":[{"types":["scheduler"],"enabled":false}]}`))
	lg := describeCluster(t, ctx, c, "k").Logging.ClusterLogging
	if len(lg) != 2 || !aws.ToBool(lg[0].Enabled) || len(lg[0].Types) != 4 || aws.ToBool(lg[1].Enabled) || len(lg[1].Types) != 1 || lg[1].Types[0] != types.LogTypeScheduler {
		t.Fatalf("logging after updates: %+v", lg)
	}

	// Upgrade policy, zonal shift, deletion protection, control plane tier, remote networks.
	applyUpdate(t, ctx, c, &eks.UpdateClusterConfigInput{Name: name, UpgradePolicy: &types.UpgradePolicyRequest{SupportType: types.SupportTypeStandard}},
		types.UpdateTypeUpgradePolicyUpdate, param(types.UpdateParamTypeUpgradePolicy, `{"supportType":"STANDARD"}`))
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, UpgradePolicy: &types.UpgradePolicyRequest{SupportType: types.SupportTypeStandard}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "No changes needed for the upgradePolicy provided")
	applyUpdate(t, ctx, c, &eks.UpdateClusterConfigInput{Name: name, ZonalShiftConfig: &types.ZonalShiftConfigRequest{Enabled: aws.Bool(true)}},
		types.UpdateTypeZonalShiftConfigUpdate, param(types.UpdateParamTypeZonalShiftConfig, `{"enabled":true}`))
	applyUpdate(t, ctx, c, &eks.UpdateClusterConfigInput{Name: name, DeletionProtection: aws.Bool(true)},
		types.UpdateTypeDeletionProtectionUpdate, param(types.UpdateParamTypeDeletionProtection, "true"))
	applyUpdate(t, ctx, c, &eks.UpdateClusterConfigInput{Name: name, ControlPlaneScalingConfig: &types.ControlPlaneScalingConfig{Tier: types.ProvisionedControlPlaneTierTierXl}},
		types.UpdateTypeControlPlaneScalingConfigUpdate, param(types.UpdateParamTypePreviousTier, "standard"), param(types.UpdateParamTypeUpdatedTier, "tier-xl"))
	applyUpdate(t, ctx, c, &eks.UpdateClusterConfigInput{Name: name, RemoteNetworkConfig: &types.RemoteNetworkConfigRequest{
		RemoteNodeNetworks: []types.RemoteNodeNetwork{{Cidrs: []string{"10.80.0.0/16"}}}, RemotePodNetworks: []types.RemotePodNetwork{{Cidrs: []string{"10.85.0.0/16"}}},
	}}, types.UpdateTypeRemoteNetworkConfigUpdate, param(types.UpdateParamTypeRemoteNetworkConfig, `{"remoteNodeNetworks":[{"cidrs":["10.80.0.0/16"]}],"remotePodNetworks":[{"cidrs":["10.85.0.0/16"]}]}`))

	// EKS Auto Mode: compute, load balancing and block storage together.
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, ComputeConfig: &types.ComputeConfigRequest{Enabled: aws.Bool(true)}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "must all be set to the same value")
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, KubernetesNetworkConfig: &types.KubernetesNetworkConfigRequest{ServiceIpv4Cidr: aws.String("172.20.0.0/16")}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "kubernetesNetworkConfig.serviceIpv4Cidr cannot be changed")
	applyUpdate(t, ctx, c, &eks.UpdateClusterConfigInput{Name: name,
		ComputeConfig:           &types.ComputeConfigRequest{Enabled: aws.Bool(true), NodePools: []string{"general-purpose"}, NodeRoleArn: aws.String("arn:aws:iam::012345678910:role/node")},
		KubernetesNetworkConfig: &types.KubernetesNetworkConfigRequest{ElasticLoadBalancing: &types.ElasticLoadBalancing{Enabled: aws.Bool(true)}},
		StorageConfig:           &types.StorageConfigRequest{BlockStorage: &types.BlockStorage{Enabled: aws.Bool(true)}},
	}, types.UpdateTypeAutoModeUpdate,
		param(types.UpdateParamTypeComputeConfig, `{"enabled":true,"nodePools":["general-purpose"],"nodeRoleArn":"arn:aws:iam::012345678910:role/node"}`),
		param(types.UpdateParamTypeKubernetesNetworkConfig, `{"elasticLoadBalancing":{"enabled":true}}`),
		param(types.UpdateParamTypeStorageConfig, `{"blockStorage":{"enabled":true}}`))

	cl := describeCluster(t, ctx, c, "k")
	switch {
	case cl.UpgradePolicy == nil || cl.UpgradePolicy.SupportType != types.SupportTypeStandard:
		t.Fatalf("upgradePolicy: %+v", cl.UpgradePolicy)
	case cl.ZonalShiftConfig == nil || !aws.ToBool(cl.ZonalShiftConfig.Enabled):
		t.Fatalf("zonalShiftConfig: %+v", cl.ZonalShiftConfig)
	case !aws.ToBool(cl.DeletionProtection):
		t.Fatalf("deletionProtection not applied")
	case cl.ControlPlaneScalingConfig == nil || cl.ControlPlaneScalingConfig.Tier != types.ProvisionedControlPlaneTierTierXl:
		t.Fatalf("controlPlaneScalingConfig: %+v", cl.ControlPlaneScalingConfig)
	case cl.RemoteNetworkConfig == nil || len(cl.RemoteNetworkConfig.RemoteNodeNetworks) != 1 || cl.RemoteNetworkConfig.RemotePodNetworks[0].Cidrs[0] != "10.85.0.0/16":
		t.Fatalf("remoteNetworkConfig: %+v", cl.RemoteNetworkConfig)
	case cl.ComputeConfig == nil || !aws.ToBool(cl.ComputeConfig.Enabled) || aws.ToString(cl.ComputeConfig.NodeRoleArn) == "":
		t.Fatalf("computeConfig: %+v", cl.ComputeConfig)
	case cl.StorageConfig == nil || !aws.ToBool(cl.StorageConfig.BlockStorage.Enabled):
		t.Fatalf("storageConfig: %+v", cl.StorageConfig)
	case cl.KubernetesNetworkConfig == nil || !aws.ToBool(cl.KubernetesNetworkConfig.ElasticLoadBalancing.Enabled) || aws.ToString(cl.KubernetesNetworkConfig.ServiceIpv4Cidr) != "10.100.0.0/16":
		t.Fatalf("kubernetesNetworkConfig: %+v", cl.KubernetesNetworkConfig)
	case cl.Status != types.ClusterStatusActive:
		t.Fatalf("status %s", cl.Status)
	}

	// Several kinds, or none.
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi},
		Logging: &types.Logging{ClusterLogging: []types.LogSetup{{Types: all, Enabled: aws.Bool(false)}}}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "Only one type of update can be allowed.")
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name, DeletionProtection: aws.Bool(false), ZonalShiftConfig: &types.ZonalShiftConfigRequest{Enabled: aws.Bool(false)}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "Only one type of update can be allowed.")
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: name})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "The request must contain one of the parameters")
}

func TestUpdateReadErrorsAndPaging(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, 0)
	c, ctx := s.EKS(), testutil.Ctx(t)
	updCreateCluster(t, ctx, c, "p", types.AuthenticationModeApi, "")
	var ids []string
	for _, on := range []bool{true, false, true} {
		out, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("p"), ZonalShiftConfig: &types.ZonalShiftConfigRequest{Enabled: aws.Bool(on)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *out.Update.Id)
		waitSuccessful(t, ctx, c, "p", *out.Update.Id)
	}
	var got []string
	pages := 0
	pg := eks.NewListUpdatesPaginator(c, &eks.ListUpdatesInput{Name: aws.String("p"), MaxResults: aws.Int32(2)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, out.UpdateIds...)
	}
	if pages != 2 || strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("paged ListUpdates = %v in %d pages, want %v in 2", got, pages, ids)
	}

	_, err := c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("p"), MaxResults: aws.Int32(101)})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "maxResults")
	_, err = c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("p"), NextToken: aws.String("forged")})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "nextToken")
	_, err = c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("nope")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No cluster found for name: nope.")
	_, err = c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("p"), NodegroupName: aws.String("ng")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No node group found for name: ng.")
	_, err = c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("p"), UpdateId: aws.String("00000000-0000-0000-0000-000000000000")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No update found for ID: 00000000-0000-0000-0000-000000000000")
	_, err = c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("nope"), UpdateId: aws.String(ids[0])})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No cluster found for name: nope.")
	_, err = c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("p"), UpdateId: aws.String(ids[0]), AddonName: aws.String("vpc-cni")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No addon: vpc-cni found in cluster: p")

	// Updates belong to their cluster.
	updCreateCluster(t, ctx, c, "q", "", "")
	_, err = c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("q"), UpdateId: aws.String(ids[0])})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No update found for ID")
	if l, err := c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("q")}); err != nil || l.UpdateIds == nil || len(l.UpdateIds) != 0 {
		t.Fatalf("ListUpdates of a cluster without updates: %v %+v", err, l)
	}
	// Deleting the cluster deletes its updates.
	if _, err := c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("p")}); err != nil {
		t.Fatal(err)
	}
	updCreateCluster(t, ctx, c, "p", "", "")
	if l, err := c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("p")}); err != nil || len(l.UpdateIds) != 0 {
		t.Fatalf("updates of a recreated cluster: %v %+v", err, l)
	}
}

func TestUpdatesFinishAfterRestart(t *testing.T) {
	t.Parallel()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "eksaccess.db")
	const d = 800 * time.Millisecond
	cfg := server.Config{Listen: "127.0.0.1:0", Database: dsn, Logger: testutil.Logger(t), UpdateDuration: d}
	first, err := server.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testutil.Ctx(t)
	c := (&testutil.Server{Server: first}).EKS()
	updCreateCluster(t, ctx, c, "r", "", "")
	out, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("r"), AccessConfig: &types.UpdateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApiAndConfigMap}})
	if err != nil {
		t.Fatal(err)
	}
	id := *out.Update.Id
	if err := first.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Let the update become overdue while no server runs.
	time.Sleep(time.Until(out.Update.CreatedAt.Add(d + 50*time.Millisecond)))

	s := testutil.Start(t, testutil.Options{Database: dsn, Mutate: func(c *server.Config) { c.UpdateDuration = time.Hour }})
	c = s.EKS()
	waitSuccessful(t, ctx, c, "r", id)
	cl := describeCluster(t, ctx, c, "r")
	if cl.Status != types.ClusterStatusActive || cl.AccessConfig.AuthenticationMode != types.AuthenticationModeApiAndConfigMap {
		t.Fatalf("after restart: %s %s", cl.Status, cl.AccessConfig.AuthenticationMode)
	}
}
