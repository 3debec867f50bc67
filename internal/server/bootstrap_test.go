package server_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

const clusterAdmin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

// creatorEntries lists a cluster's entries with their associations.
func creatorEntries(t *testing.T, c *eks.Client, cluster string) map[string][]ekstypes.AssociatedAccessPolicy {
	t.Helper()
	ctx := testutil.Ctx(t)
	list, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String(cluster)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]ekstypes.AssociatedAccessPolicy{}
	for _, p := range list.AccessEntries {
		as, err := c.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(p)})
		if err != nil {
			t.Fatal(err)
		}
		out[p] = as.AssociatedAccessPolicies
	}
	return out
}

func wantCreatorEntry(t *testing.T, c *eks.Client, cluster, principal string) {
	t.Helper()
	got := creatorEntries(t, c, cluster)
	as, ok := got[principal]
	if len(got) != 1 || !ok || len(as) != 1 || aws.ToString(as[0].PolicyArn) != clusterAdmin || as[0].AccessScope.Type != ekstypes.AccessScopeTypeCluster {
		t.Fatalf("cluster %s: want only %s with AmazonEKSClusterAdminPolicy at cluster scope, got %+v", cluster, principal, got)
	}
	e, err := c.DescribeAccessEntry(testutil.Ctx(t), &eks.DescribeAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal)})
	if err != nil || aws.ToString(e.AccessEntry.Type) != "STANDARD" {
		t.Fatalf("creator entry: %+v %v", e, err)
	}
}

func TestBootstrapCreatorEntry(t *testing.T) {
	t.Parallel()
	s := startSigV4(t)
	ctx := testutil.Ctx(t)
	alice := eksAs(s, aliceKey, aliceSecret, "")

	// A user creating an API cluster gets an admin entry for its ARN, path included.
	createCluster(t, alice, "by-alice")
	wantCreatorEntry(t, alice, "by-alice", aliceARN)

	// A role session's entry names the role (with its path), not the session.
	cr, err := stsAs(s, aliceKey, aliceSecret, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ci")})
	if err != nil {
		t.Fatal(err)
	}
	role := eksAs(s, aws.ToString(cr.Credentials.AccessKeyId), aws.ToString(cr.Credentials.SecretAccessKey), aws.ToString(cr.Credentials.SessionToken))
	createCluster(t, role, "by-role")
	wantCreatorEntry(t, role, "by-role", roleARN)
	// The creator's entry is a real entry: creating it again is a conflict, as on EKS.
	_, err = role.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("by-role"), PrincipalArn: aws.String(roleARN)})
	testutil.WantAPIError(t, err, "ResourceInUseException", 409, "already in use")

	// bootstrapClusterCreatorAdminPermissions=false: no entry.
	if _, err := alice.CreateCluster(ctx, &eks.CreateClusterInput{
		Name: aws.String("no-bootstrap"), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
		AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)},
	}); err != nil {
		t.Fatal(err)
	}
	if got := creatorEntries(t, alice, "no-bootstrap"); len(got) != 0 {
		t.Fatalf("no-bootstrap cluster has entries: %v", got)
	}
}

func TestBootstrapCreatorEntryOnSwitchFromConfigMap(t *testing.T) {
	t.Parallel()
	s := startSigV4(t)
	ctx := testutil.Ctx(t)
	alice := eksAs(s, aliceKey, aliceSecret, "")
	if _, err := alice.CreateCluster(ctx, &eks.CreateClusterInput{
		Name: aws.String("cm"), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
	}); err != nil {
		t.Fatal(err)
	}
	up, err := alice.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("cm"),
		AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApiAndConfigMap}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := alice.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("cm"), UpdateId: up.Update.Id})
		if err != nil {
			t.Fatal(err)
		}
		if d.Update.Status == ekstypes.UpdateStatusSuccessful {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("update still %s", d.Update.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	wantCreatorEntry(t, alice, "cm", aliceARN)
}

// In open mode a caller whose key is in no identities file has no IAM principal: no creator entry.
func TestBootstrapNoCreatorEntryInOpenMode(t *testing.T) {
	t.Parallel()
	s := testutil.Start(t, testutil.Options{Mutate: func(c *server.Config) { c.UpdateDuration = 0 }})
	c := s.EKS()
	createCluster(t, c, "open")
	if got := creatorEntries(t, c, "open"); len(got) != 0 {
		t.Fatalf("open-mode cluster has entries: %v", got)
	}
}
