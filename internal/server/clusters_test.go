package server_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

func createClusterInput(name string, mode types.AuthenticationMode) *eks.CreateClusterInput {
	in := &eks.CreateClusterInput{
		Name:               aws.String(name),
		RoleArn:            aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
	}
	if mode != "" {
		in.AccessConfig = &types.CreateAccessConfigRequest{AuthenticationMode: mode}
	}
	return in
}

func TestClusterLifecycle(t *testing.T) {
	t.Parallel()
	s := testutil.Start(t)
	c, ctx := s.EKS(), testutil.Ctx(t)

	out, err := c.CreateCluster(ctx, &eks.CreateClusterInput{
		Name:               aws.String("my-cluster"),
		Version:            aws.String("1.33"),
		RoleArn:            aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1"}, EndpointPrivateAccess: aws.Bool(true)},
		Tags:               map[string]string{"env": "dev"},
		UpgradePolicy:      &types.UpgradePolicyRequest{SupportType: types.SupportTypeStandard},
	})
	if err != nil {
		t.Fatal(err)
	}
	cl := out.Cluster
	if *cl.Name != "my-cluster" || *cl.Arn != "arn:aws:eks:us-west-2:012345678910:cluster/my-cluster" || cl.Status != types.ClusterStatusActive {
		t.Fatalf("created: %+v", cl)
	}
	if cl.AccessConfig == nil || cl.AccessConfig.AuthenticationMode != types.AuthenticationModeConfigMap {
		t.Fatalf("default authentication mode: %+v", cl.AccessConfig)
	}
	if cl.AccessConfig.BootstrapClusterCreatorAdminPermissions != nil {
		t.Fatalf("real EKS does not return bootstrapClusterCreatorAdminPermissions")
	}
	if *cl.Version != "1.33" || cl.Tags["env"] != "dev" || !cl.ResourcesVpcConfig.EndpointPrivateAccess || !cl.ResourcesVpcConfig.EndpointPublicAccess {
		t.Fatalf("config not kept: %+v %+v", cl, cl.ResourcesVpcConfig)
	}
	if cl.UpgradePolicy == nil || cl.UpgradePolicy.SupportType != types.SupportTypeStandard {
		t.Fatalf("upgradePolicy not echoed: %+v", cl.UpgradePolicy)
	}
	if !strings.HasPrefix(*cl.Endpoint, "https://") || cl.CertificateAuthority == nil || len(*cl.CertificateAuthority.Data) < 100 ||
		!strings.HasPrefix(*cl.Identity.Oidc.Issuer, "https://oidc.eks.us-west-2.amazonaws.com/id/") || cl.CreatedAt == nil {
		t.Fatalf("cluster identity fields: %+v", cl)
	}

	desc, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("my-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	if *desc.Cluster.Arn != *cl.Arn || !desc.Cluster.CreatedAt.Equal(*cl.CreatedAt) || *desc.Cluster.Endpoint != *cl.Endpoint {
		t.Fatalf("describe differs from create: %+v", desc.Cluster)
	}

	del, err := c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("my-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	if del.Cluster.Status != types.ClusterStatusDeleting {
		t.Fatalf("delete status %s", del.Cluster.Status)
	}
	_, err = c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("my-cluster")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No cluster found for name: my-cluster.")
	_, err = c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("my-cluster")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No cluster found for name: my-cluster.")
}

func TestCreateClusterErrors(t *testing.T) {
	t.Parallel()
	s := testutil.Start(t)
	c, ctx := s.EKS(), testutil.Ctx(t)
	if _, err := c.CreateCluster(ctx, createClusterInput("taken", types.AuthenticationModeApi)); err != nil {
		t.Fatal(err)
	}
	withMod := func(name string, f func(*eks.CreateClusterInput)) *eks.CreateClusterInput {
		in := createClusterInput(name, "")
		f(in)
		return in
	}
	cases := []struct {
		name   string
		in     *eks.CreateClusterInput
		code   string
		status int
		msg    string
	}{
		{"duplicate", createClusterInput("taken", ""), "ResourceInUseException", 409, "Cluster already exists with name: taken"},
		{"bootstrap false with default CONFIG_MAP", withMod("b1", func(in *eks.CreateClusterInput) {
			in.AccessConfig = &types.CreateAccessConfigRequest{BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}
		}), "InvalidParameterException", 400, "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP"},
		{"bootstrap false with explicit CONFIG_MAP", withMod("b2", func(in *eks.CreateClusterInput) {
			in.AccessConfig = &types.CreateAccessConfigRequest{BootstrapClusterCreatorAdminPermissions: aws.Bool(false), AuthenticationMode: types.AuthenticationModeConfigMap}
		}), "InvalidParameterException", 400, "bootstrapClusterCreatorAdminPermissions must be true"},
		{"unknown authentication mode", withMod("m", func(in *eks.CreateClusterInput) {
			in.AccessConfig = &types.CreateAccessConfigRequest{AuthenticationMode: "SOMETHING"}
		}), "InvalidParameterException", 400, `accessConfig.authenticationMode "SOMETHING" is invalid. Valid values are [API, API_AND_CONFIG_MAP, CONFIG_MAP]`},
		{"bad name", createClusterInput("-bad", ""), "InvalidParameterException", 400, `The parameter name contains invalid characters`},
		{"name too long", createClusterInput(strings.Repeat("a", 101), ""), "InvalidParameterException", 400, "name must have between 1 and 100 characters"},
		{"bad version", withMod("v", func(in *eks.CreateClusterInput) { in.Version = aws.String("latest") }), "InvalidParameterException", 400, `version "latest"`},
		{"role is not a role", withMod("r", func(in *eks.CreateClusterInput) { in.RoleArn = aws.String("arn:aws:iam::012345678910:user/u") }), "InvalidParameterException", 400, "not a valid IAM role ARN"},
		{"short token", withMod("t", func(in *eks.CreateClusterInput) { in.ClientRequestToken = aws.String("short") }), "InvalidParameterException", 400, "The client request token parameter must be between 33 and 126 characters."},
		{"reserved tag", withMod("tg", func(in *eks.CreateClusterInput) { in.Tags = map[string]string{"aws:owner": "x"} }), "InvalidParameterException", 400, "aws: prefix is reserved"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateCluster(ctx, tc.in)
			testutil.WantAPIError(t, err, tc.code, tc.status, tc.msg)
		})
	}
	list, err := c.ListClusters(ctx, &eks.ListClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Clusters) != 1 || list.Clusters[0] != "taken" {
		t.Fatalf("refused creates changed state: %v", list.Clusters)
	}
}

func TestCreateClusterIdempotent(t *testing.T) {
	t.Parallel()
	s := testutil.Start(t)
	c, ctx := s.EKS(), testutil.Ctx(t)
	in := createClusterInput("idem", types.AuthenticationModeApi)
	in.ClientRequestToken = aws.String("0f7a5e55-0b1f-4a8e-9a39-6c8d1b6c3a11")
	first, err := c.CreateCluster(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateCluster(ctx, in)
	if err != nil {
		t.Fatalf("retry with the same token must replay the first response, got %v", err)
	}
	if *again.Cluster.Endpoint != *first.Cluster.Endpoint || !again.Cluster.CreatedAt.Equal(*first.Cluster.CreatedAt) {
		t.Fatalf("replay differs: %+v vs %+v", again.Cluster, first.Cluster)
	}
	in.Version = aws.String("1.30")
	_, err = c.CreateCluster(ctx, in)
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "clientRequestToken has already been used")
	in.ClientRequestToken = aws.String("1f7a5e55-0b1f-4a8e-9a39-6c8d1b6c3a11")
	_, err = c.CreateCluster(ctx, in)
	testutil.WantAPIError(t, err, "ResourceInUseException", 409, "Cluster already exists with name: idem")
}

func TestListClustersPagingAndIsolation(t *testing.T) {
	t.Parallel()
	s := testutil.Start(t)
	c, ctx := s.EKS(), testutil.Ctx(t)
	names := []string{"e", "a", "D", "c", "b"}
	for _, n := range names {
		if _, err := c.CreateCluster(ctx, createClusterInput(n, "")); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	pages := 0
	p := eks.NewListClustersPaginator(c, &eks.ListClustersInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, out.Clusters...)
	}
	if strings.Join(got, ",") != "D,a,b,c,e" || pages != 3 {
		t.Fatalf("got %v in %d pages", got, pages)
	}
	for _, bad := range []int32{0, 101} {
		_, err := c.ListClusters(ctx, &eks.ListClustersInput{MaxResults: aws.Int32(bad)})
		testutil.WantAPIError(t, err, "InvalidParameterException", 400, "maxResults must be between 1 and 100")
	}
	_, err := c.ListClusters(ctx, &eks.ListClustersInput{NextToken: aws.String("garbage")})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "nextToken")

	// Another account and another region see nothing of these clusters.
	for _, other := range []struct{ key, region string }{{"111122223333", "us-west-2"}, {"012345678910", "eu-west-1"}} {
		oc := s.EKSAs(other.key, other.region)
		out, err := oc.ListClusters(ctx, &eks.ListClustersInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Clusters) != 0 {
			t.Fatalf("%v sees %v", other, out.Clusters)
		}
		_, err = oc.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("a")})
		testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No cluster found for name: a.")
		// The same name is free in the other account/region.
		if _, err := oc.CreateCluster(ctx, createClusterInput("a", "")); err != nil {
			t.Fatal(err)
		}
	}
	// A non-numeric access key maps to the default account 000000000000.
	dc := s.EKSAs("AKIDEXAMPLE", "us-west-2")
	out, err := dc.CreateCluster(ctx, createClusterInput("dflt", ""))
	if err != nil {
		t.Fatal(err)
	}
	if *out.Cluster.Arn != "arn:aws:eks:us-west-2:000000000000:cluster/dflt" {
		t.Fatalf("default account ARN %s", *out.Cluster.Arn)
	}
}
