package server_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

func oidcRef(name string) *types.IdentityProviderConfig {
	return &types.IdentityProviderConfig{Type: aws.String("oidc"), Name: aws.String(name)}
}

func describeIdP(ctx context.Context, c *eks.Client, cluster, name string) (*types.OidcIdentityProviderConfig, error) {
	out, err := c.DescribeIdentityProviderConfig(ctx, &eks.DescribeIdentityProviderConfigInput{ClusterName: aws.String(cluster), IdentityProviderConfig: oidcRef(name)})
	if err != nil {
		return nil, err
	}
	return out.IdentityProviderConfig.Oidc, nil
}

// associateIdP associates a minimal OIDC config and waits until it is ACTIVE.
func associateIdP(t *testing.T, ctx context.Context, c *eks.Client, cluster, name, issuer string) {
	t.Helper()
	out, err := c.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{
		ClusterName: aws.String(cluster),
		Oidc:        &types.OidcIdentityProviderConfigRequest{IdentityProviderConfigName: aws.String(name), IssuerUrl: aws.String(issuer), ClientId: aws.String("kubernetes")},
	})
	if err != nil {
		t.Fatalf("associate %s: %v", name, err)
	}
	waitSuccessful(t, ctx, c, cluster, *out.Update.Id)
}

var idpARNRe = regexp.MustCompile(`^arn:aws:eks:us-west-2:012345678910:identityproviderconfig/my-cluster/oidc/my-config/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestIdentityProviderConfigLifecycle(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, time.Second)
	c, ctx := s.EKS(), testutil.Ctx(t)
	updCreateCluster(t, ctx, c, "my-cluster", "", "") // OIDC providers work in CONFIG_MAP mode too

	out, err := c.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{
		ClusterName: aws.String("my-cluster"),
		Oidc: &types.OidcIdentityProviderConfigRequest{
			IdentityProviderConfigName: aws.String("my-config"),
			IssuerUrl:                  aws.String("https://issuer.example.com"),
			ClientId:                   aws.String("kubernetes"),
			UsernameClaim:              aws.String("email"),
			UsernamePrefix:             aws.String("my-username-prefix"),
			GroupsClaim:                aws.String("my-claim"),
			GroupsPrefix:               aws.String("my-groups-prefix"),
			RequiredClaims:             map[string]string{"Claim1": "value1", "Claim2": "value2"},
		},
		Tags: map[string]string{"env": "dev"},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := out.Update
	if u.Type != types.UpdateTypeAssociateIdentityProviderConfig || u.Status != types.UpdateStatusInProgress || !uuidRe.MatchString(*u.Id) || len(u.Errors) != 0 {
		t.Fatalf("update = %+v", u)
	}
	wantParams(t, u, param(types.UpdateParamTypeIdentityProviderConfig, `[{"type":"oidc","name":"my-config"}]`))
	if len(out.Tags) != 1 || out.Tags["env"] != "dev" {
		t.Fatalf("tags = %v", out.Tags)
	}

	cfg, err := describeIdP(ctx, c, "my-cluster", "my-config")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Status != types.ConfigStatusCreating || !idpARNRe.MatchString(aws.ToString(cfg.IdentityProviderConfigArn)) ||
		aws.ToString(cfg.IdentityProviderConfigName) != "my-config" || aws.ToString(cfg.ClusterName) != "my-cluster" ||
		aws.ToString(cfg.IssuerUrl) != "https://issuer.example.com" || aws.ToString(cfg.ClientId) != "kubernetes" ||
		aws.ToString(cfg.UsernameClaim) != "email" || aws.ToString(cfg.UsernamePrefix) != "my-username-prefix" ||
		aws.ToString(cfg.GroupsClaim) != "my-claim" || aws.ToString(cfg.GroupsPrefix) != "my-groups-prefix" ||
		len(cfg.RequiredClaims) != 2 || cfg.RequiredClaims["Claim2"] != "value2" || cfg.Tags["env"] != "dev" {
		t.Fatalf("config while CREATING: %+v", cfg)
	}
	if st := describeCluster(t, ctx, c, "my-cluster").Status; st != types.ClusterStatusUpdating {
		t.Fatalf("cluster status %s during association", st)
	}
	list, err := c.ListIdentityProviderConfigs(ctx, &eks.ListIdentityProviderConfigsInput{ClusterName: aws.String("my-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.IdentityProviderConfigs) != 1 || aws.ToString(list.IdentityProviderConfigs[0].Type) != "oidc" || aws.ToString(list.IdentityProviderConfigs[0].Name) != "my-config" || list.NextToken != nil {
		t.Fatalf("list = %+v", list)
	}
	// Not ACTIVE yet: cannot be disassociated.
	_, err = c.DisassociateIdentityProviderConfig(ctx, &eks.DisassociateIdentityProviderConfigInput{ClusterName: aws.String("my-cluster"), IdentityProviderConfig: oidcRef("my-config")})
	testutil.WantAPIError(t, err, "InvalidRequestException", 400, "Identity provider config is not associated with cluster")

	waitSuccessful(t, ctx, c, "my-cluster", *u.Id)
	if cfg, err := describeIdP(ctx, c, "my-cluster", "my-config"); err != nil || cfg.Status != types.ConfigStatusActive {
		t.Fatalf("after association: %v %+v", err, cfg)
	}
	if st := describeCluster(t, ctx, c, "my-cluster").Status; st != types.ClusterStatusActive {
		t.Fatalf("cluster status %s after association", st)
	}

	dis, err := c.DisassociateIdentityProviderConfig(ctx, &eks.DisassociateIdentityProviderConfigInput{ClusterName: aws.String("my-cluster"), IdentityProviderConfig: oidcRef("my-config")})
	if err != nil {
		t.Fatal(err)
	}
	if dis.Update.Type != types.UpdateTypeDisassociateIdentityProviderConfig || dis.Update.Status != types.UpdateStatusInProgress {
		t.Fatalf("disassociate update = %+v", dis.Update)
	}
	wantParams(t, dis.Update, param(types.UpdateParamTypeIdentityProviderConfig, "[]"))
	if cfg, err := describeIdP(ctx, c, "my-cluster", "my-config"); err != nil || cfg.Status != types.ConfigStatusDeleting {
		t.Fatalf("while disassociating: %v %+v", err, cfg)
	}
	_, err = c.DisassociateIdentityProviderConfig(ctx, &eks.DisassociateIdentityProviderConfigInput{ClusterName: aws.String("my-cluster"), IdentityProviderConfig: oidcRef("my-config")})
	testutil.WantAPIError(t, err, "InvalidRequestException", 400, "Identity provider config is not associated with cluster")

	waitSuccessful(t, ctx, c, "my-cluster", *dis.Update.Id)
	_, err = describeIdP(ctx, c, "my-cluster", "my-config")
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No config found for cluster: my-cluster, config type: oidc, config name: my-config")
	list, err = c.ListIdentityProviderConfigs(ctx, &eks.ListIdentityProviderConfigsInput{ClusterName: aws.String("my-cluster")})
	if err != nil || list.IdentityProviderConfigs == nil || len(list.IdentityProviderConfigs) != 0 {
		t.Fatalf("list after disassociation: %v %+v", err, list)
	}
	ups, err := c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String("my-cluster")})
	if err != nil || len(ups.UpdateIds) != 2 || ups.UpdateIds[0] != *u.Id || ups.UpdateIds[1] != *dis.Update.Id {
		t.Fatalf("ListUpdates = %v %+v", err, ups)
	}
	// The name is free again.
	associateIdP(t, ctx, c, "my-cluster", "my-config", "https://issuer.example.com")
}

func TestIdentityProviderConfigOptionalMembersOmitted(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, 0)
	c, ctx := s.EKS(), testutil.Ctx(t)
	updCreateCluster(t, ctx, c, "min", types.AuthenticationModeApi, "")
	associateIdP(t, ctx, c, "min", "plain", "https://issuer.example.com/path")
	cfg, err := describeIdP(ctx, c, "min", "plain")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UsernameClaim != nil || cfg.UsernamePrefix != nil || cfg.GroupsClaim != nil || cfg.GroupsPrefix != nil {
		t.Fatalf("unset optional members are returned: %+v", cfg)
	}
	if cfg.RequiredClaims == nil || len(cfg.RequiredClaims) != 0 || cfg.Tags == nil || len(cfg.Tags) != 0 || cfg.Status != types.ConfigStatusActive {
		t.Fatalf("requiredClaims/tags should be {}: %+v", cfg)
	}
}

func TestIdentityProviderConfigValidation(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, 0)
	c, ctx := s.EKS(), testutil.Ctx(t)
	cl := updCreateCluster(t, ctx, c, "v", "", "")
	ok := func() *types.OidcIdentityProviderConfigRequest {
		return &types.OidcIdentityProviderConfigRequest{IdentityProviderConfigName: aws.String("cfg"), IssuerUrl: aws.String("https://issuer.example.com"), ClientId: aws.String("kubernetes")}
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name   string
		mutate func(*types.OidcIdentityProviderConfigRequest)
		tags   map[string]string
		code   string
		msg    string
	}{
		{"http issuer", func(o *types.OidcIdentityProviderConfigRequest) {
			o.IssuerUrl = aws.String("http://issuer.example.com")
		}, nil, "InvalidParameterException", "issuerUrl"},
		{"issuer with query", func(o *types.OidcIdentityProviderConfigRequest) {
			o.IssuerUrl = aws.String("https://issuer.example.com/?a=b")
		}, nil, "InvalidParameterException", "without query"},
		{"issuer without host", func(o *types.OidcIdentityProviderConfigRequest) { o.IssuerUrl = aws.String("https:///x") }, nil, "InvalidParameterException", "issuerUrl"},
		{"cluster's own issuer", func(o *types.OidcIdentityProviderConfigRequest) { o.IssuerUrl = cl.Identity.Oidc.Issuer }, nil, "InvalidParameterException", "The Identity Provider URL cannot be same as OpenID Connect (OIDC) issuer URL"},
		{"no name", func(o *types.OidcIdentityProviderConfigRequest) { o.IdentityProviderConfigName = aws.String("") }, nil, "InvalidParameterException", "identityProviderConfigName"},
		{"bad name", func(o *types.OidcIdentityProviderConfigRequest) { o.IdentityProviderConfigName = aws.String("a/b") }, nil, "InvalidParameterException", "identityProviderConfigName"},
		{"no client id", func(o *types.OidcIdentityProviderConfigRequest) { o.ClientId = aws.String("") }, nil, "InvalidParameterException", "oidc.clientId"},
		{"system: username prefix", func(o *types.OidcIdentityProviderConfigRequest) { o.UsernamePrefix = aws.String("system:") }, nil, "InvalidParameterException", "usernamePrefix is invalid: it must not contain system:"},
		{"system: groups prefix", func(o *types.OidcIdentityProviderConfigRequest) { o.GroupsPrefix = aws.String("oidc-system:") }, nil, "InvalidParameterException", "groupsPrefix is invalid: it must not contain system:"},
		{"empty claim", func(o *types.OidcIdentityProviderConfigRequest) { o.GroupsClaim = aws.String("") }, nil, "InvalidParameterException", "groupsClaim"},
		{"required claim key too long", func(o *types.OidcIdentityProviderConfigRequest) { o.RequiredClaims = map[string]string{long(64): "v"} }, nil, "InvalidParameterException", "oidc.requiredClaims key"},
		{"required claim value too long", func(o *types.OidcIdentityProviderConfigRequest) { o.RequiredClaims = map[string]string{"k": long(254)} }, nil, "InvalidParameterException", `oidc.requiredClaims["k"] must have between 1 and 253 characters`},
		{"required claim value empty", func(o *types.OidcIdentityProviderConfigRequest) { o.RequiredClaims = map[string]string{"k": ""} }, nil, "InvalidParameterException", `oidc.requiredClaims["k"] must have between 1 and 253 characters`},
		{"reserved tag", nil, map[string]string{"aws:x": "y"}, "InvalidParameterException", "aws: prefix is reserved"},
		{"tag value too long", nil, map[string]string{"k": long(257)}, "InvalidParameterException", `tags["k"] must have at most 256 characters`},
	} {
		o := ok()
		if tc.mutate != nil {
			tc.mutate(o)
		}
		_, err := c.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: aws.String("v"), Oidc: o, Tags: tc.tags})
		if err == nil {
			t.Fatalf("%s: accepted", tc.name)
		}
		testutil.WantAPIError(t, err, tc.code, 400, tc.msg)
	}
	// Limits that hold at the edge are accepted.
	o := ok()
	o.RequiredClaims = map[string]string{long(63): long(253)}
	o.UsernamePrefix = aws.String("-")
	if _, err := c.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: aws.String("v"), Oidc: o}); err != nil {
		t.Fatalf("edge values refused: %v", err)
	}

	_, err := c.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: aws.String("nope"), Oidc: ok()})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No cluster found for name: nope.")
	_, err = c.DescribeIdentityProviderConfig(ctx, &eks.DescribeIdentityProviderConfigInput{ClusterName: aws.String("v"), IdentityProviderConfig: oidcRef("missing")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No config found for cluster: v, config type: oidc, config name: missing")
	_, err = c.DescribeIdentityProviderConfig(ctx, &eks.DescribeIdentityProviderConfigInput{ClusterName: aws.String("v"), IdentityProviderConfig: &types.IdentityProviderConfig{Type: aws.String("saml"), Name: aws.String("x")}})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, `type "saml" is not supported`)
	_, err = c.DescribeIdentityProviderConfig(ctx, &eks.DescribeIdentityProviderConfigInput{ClusterName: aws.String("nope"), IdentityProviderConfig: oidcRef("x")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No cluster found for name: nope.")
	_, err = c.DisassociateIdentityProviderConfig(ctx, &eks.DisassociateIdentityProviderConfigInput{ClusterName: aws.String("v"), IdentityProviderConfig: oidcRef("missing")})
	testutil.WantAPIError(t, err, "InvalidRequestException", 400, "Identity provider config is not associated with cluster v")
	_, err = c.ListIdentityProviderConfigs(ctx, &eks.ListIdentityProviderConfigsInput{ClusterName: aws.String("nope")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No cluster found for name: nope.")

	// Unique names and issuers.
	waitIdle(t, ctx, c, "v")
	_, err = c.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: aws.String("v"), Oidc: ok()})
	testutil.WantAPIError(t, err, "ResourceInUseException", 409, "An identity provider config with name cfg is already associated with cluster v")
	o = ok()
	o.IdentityProviderConfigName = aws.String("other")
	_, err = c.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: aws.String("v"), Oidc: o})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "already used by another identity provider config")
}

// waitIdle waits until no update of the cluster is InProgress.
func waitIdle(t *testing.T, ctx context.Context, c *eks.Client, cluster string) {
	t.Helper()
	ups, err := c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String(cluster)})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ups.UpdateIds {
		waitUpdate(t, ctx, c, cluster, id)
	}
}

func TestIdentityProviderConfigLimitsAndPaging(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, 0)
	c, ctx := s.EKS(), testutil.Ctx(t)

	// Before Kubernetes 1.32 a cluster takes one provider.
	updCreateCluster(t, ctx, c, "old", "", "1.31")
	associateIdP(t, ctx, c, "old", "one", "https://one.example.com")
	_, err := c.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{ClusterName: aws.String("old"), Oidc: &types.OidcIdentityProviderConfigRequest{
		IdentityProviderConfigName: aws.String("two"), IssuerUrl: aws.String("https://two.example.com"), ClientId: aws.String("k"),
	}})
	testutil.WantAPIError(t, err, "InvalidRequestException", 400, "maximum number of identity provider configs (1)")

	updCreateCluster(t, ctx, c, "new", "", "")
	names := []string{"c-cfg", "a-cfg", "b-cfg"}
	for _, n := range names {
		associateIdP(t, ctx, c, "new", n, "https://"+n+".example.com")
	}
	var got []string
	pages := 0
	pg := eks.NewListIdentityProviderConfigsPaginator(c, &eks.ListIdentityProviderConfigsInput{ClusterName: aws.String("new"), MaxResults: aws.Int32(2)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.IdentityProviderConfigs {
			got = append(got, aws.ToString(r.Name))
		}
	}
	if pages != 2 || strings.Join(got, ",") != "a-cfg,b-cfg,c-cfg" {
		t.Fatalf("paged list = %v in %d pages", got, pages)
	}
	_, err = c.ListIdentityProviderConfigs(ctx, &eks.ListIdentityProviderConfigsInput{ClusterName: aws.String("new"), MaxResults: aws.Int32(0)})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "maxResults")
}

func TestIdentityProviderConfigIdempotency(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, time.Hour)
	c, ctx := s.EKS(), testutil.Ctx(t)
	updCreateCluster(t, ctx, c, "idem", "", "")
	in := &eks.AssociateIdentityProviderConfigInput{
		ClusterName:        aws.String("idem"),
		ClientRequestToken: aws.String("terraform-26-char-token-01"),
		Oidc:               &types.OidcIdentityProviderConfigRequest{IdentityProviderConfigName: aws.String("cfg"), IssuerUrl: aws.String("https://issuer.example.com"), ClientId: aws.String("k")},
		Tags:               map[string]string{"a": "b"},
	}
	first, err := c.AssociateIdentityProviderConfig(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.AssociateIdentityProviderConfig(ctx, in)
	if err != nil || *again.Update.Id != *first.Update.Id || again.Tags["a"] != "b" {
		t.Fatalf("replay with the same token: %v %+v", err, again)
	}
	in.Oidc.ClientId = aws.String("other")
	_, err = c.AssociateIdentityProviderConfig(ctx, in)
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "clientRequestToken")
}
