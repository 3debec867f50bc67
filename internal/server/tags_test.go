package server_test

import (
	"fmt"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

func TestTagsOnClustersEntriesAndIdentityProviderConfigs(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, 0)
	c, ctx := s.EKS(), testutil.Ctx(t)

	created, err := c.CreateCluster(ctx, &eks.CreateClusterInput{
		Name: aws.String("tagged"), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
		AccessConfig:       &types.CreateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi},
		Tags:               map[string]string{"env": "dev"},
	})
	if err != nil {
		t.Fatal(err)
	}
	entry, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{
		ClusterName: aws.String("tagged"), PrincipalArn: aws.String("arn:aws:iam::012345678910:role/team/dev"), Tags: map[string]string{"env": "dev"},
	})
	if err != nil {
		t.Fatal(err)
	}
	assoc, err := c.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{
		ClusterName: aws.String("tagged"), Tags: map[string]string{"env": "dev"},
		Oidc: &types.OidcIdentityProviderConfigRequest{IdentityProviderConfigName: aws.String("my-config"), IssuerUrl: aws.String("https://issuer.example.com"), ClientId: aws.String("k")},
	})
	if err != nil {
		t.Fatal(err)
	}
	idp, err := describeIdP(ctx, c, "tagged", "my-config")
	if err != nil {
		t.Fatal(err)
	}

	describeTags := map[string]func() map[string]string{
		"cluster": func() map[string]string { return describeCluster(t, ctx, c, "tagged").Tags },
		"access entry": func() map[string]string {
			out, err := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("tagged"), PrincipalArn: entry.AccessEntry.PrincipalArn})
			if err != nil {
				t.Fatal(err)
			}
			return out.AccessEntry.Tags
		},
		"identity provider config": func() map[string]string {
			cfg, err := describeIdP(ctx, c, "tagged", "my-config")
			if err != nil {
				t.Fatal(err)
			}
			return cfg.Tags
		},
	}
	arns := map[string]*string{
		"cluster":                  created.Cluster.Arn,
		"access entry":             entry.AccessEntry.AccessEntryArn,
		"identity provider config": idp.IdentityProviderConfigArn,
	}
	for what, arn := range arns {
		want := map[string]string{"env": "dev"}
		check := func(step string) {
			t.Helper()
			l, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: arn})
			if err != nil {
				t.Fatalf("%s %s: list tags: %v", what, step, err)
			}
			if !maps.Equal(l.Tags, want) {
				t.Fatalf("%s %s: ListTagsForResource = %v, want %v", what, step, l.Tags, want)
			}
			if got := describeTags[what](); !maps.Equal(got, want) {
				t.Fatalf("%s %s: Describe tags = %v, want %v", what, step, got, want)
			}
		}
		check("at creation")
		if _, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"team": "a", "env": "prod", "empty": ""}}); err != nil {
			t.Fatalf("%s: tag: %v", what, err)
		}
		want = map[string]string{"env": "prod", "team": "a", "empty": ""}
		check("after TagResource")
		if _, err := c.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"env", "empty", "never-set"}}); err != nil {
			t.Fatalf("%s: untag: %v", what, err)
		}
		want = map[string]string{"team": "a"}
		check("after UntagResource")
		if _, err := c.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"team"}}); err != nil {
			t.Fatalf("%s: untag: %v", what, err)
		}
		want = map[string]string{}
		check("with no tags")
	}
	// Tagging changed nothing else: the entry keeps its modifiedAt, the update completes.
	after, err := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("tagged"), PrincipalArn: entry.AccessEntry.PrincipalArn})
	if err != nil || !after.AccessEntry.ModifiedAt.Equal(*entry.AccessEntry.ModifiedAt) {
		t.Fatalf("modifiedAt changed by tagging: %v %+v", err, after)
	}
	waitSuccessful(t, ctx, c, "tagged", *assoc.Update.Id)
}

func TestTagErrors(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, 0)
	c, ctx := s.EKS(), testutil.Ctx(t)
	cl := updCreateCluster(t, ctx, c, "t", types.AuthenticationModeApi, "")
	arn := aws.ToString(cl.Arn)

	notFound := []string{
		"arn:aws:eks:us-west-2:012345678910:cluster/missing",
		"arn:aws:eks:us-east-1:012345678910:cluster/t",     // another region
		"arn:aws:eks:us-west-2:111122223333:cluster/t",     // another account
		"arn:aws-cn:eks:us-west-2:012345678910:cluster/t",  // another partition
		"arn:aws:eks:us-west-2:012345678910:cluster/t/sub", // not a cluster ARN
		"arn:aws:eks:us-west-2:012345678910:nodegroup/t/ng/0ec71efc-98dd-3203-60b0-4b939b2a5e5f",
		"arn:aws:eks:us-west-2:012345678910:access-entry/t/role/012345678910/nobody/0ec71efc-98dd-3203-60b0-4b939b2a5e5f",
		"arn:aws:eks:us-west-2:012345678910:identityproviderconfig/t/oidc/none/0ec71efc-98dd-3203-60b0-4b939b2a5e5f",
	}
	for _, a := range notFound {
		_, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(a)})
		testutil.WantAPIError(t, err, "NotFoundException", 404, "Resource was not found: "+a)
		_, err = c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(a), Tags: map[string]string{"k": "v"}})
		testutil.WantAPIError(t, err, "NotFoundException", 404, "Resource was not found: "+a)
		_, err = c.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: aws.String(a), TagKeys: []string{"k"}})
		testutil.WantAPIError(t, err, "NotFoundException", 404, "Resource was not found: "+a)
	}
	for _, a := range []string{"not-an-arn", "arn:aws:iam::012345678910:role/x", "arn:aws:eks:us-west-2:012345678910:"} {
		_, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(a)})
		testutil.WantAPIError(t, err, "BadRequestException", 400, "is not a valid Amazon EKS resource ARN")
	}

	_, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"aws:cloudformation:stack-name": "x"}})
	testutil.WantAPIError(t, err, "BadRequestException", 400, "the aws: prefix is reserved")
	_, err = c.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{"AWS:x"}})
	testutil.WantAPIError(t, err, "BadRequestException", 400, "the aws: prefix is reserved")
	_, err = c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{}})
	testutil.WantAPIError(t, err, "BadRequestException", 400, "tags must have between 1 and 50 entries")
	_, err = c.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{}})
	testutil.WantAPIError(t, err, "BadRequestException", 400, "tagKeys")
	_, err = c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{string(make([]byte, 129)): "v"}})
	testutil.WantAPIError(t, err, "BadRequestException", 400, "tags key must have between 1 and 128 characters")

	// 50 tags at most, counted after the merge.
	tags := map[string]string{}
	for i := range 40 {
		tags[fmt.Sprintf("k%02d", i)] = "v"
	}
	if _, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: &arn, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	more := map[string]string{}
	for i := range 11 {
		more[fmt.Sprintf("m%02d", i)] = "v"
	}
	_, err = c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: &arn, Tags: more})
	testutil.WantAPIError(t, err, "BadRequestException", 400, "The number of tags must not exceed 50")
	delete(more, "m00")
	if _, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: &arn, Tags: more}); err != nil {
		t.Fatalf("50 tags refused: %v", err)
	}
	if l, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: &arn}); err != nil || len(l.Tags) != 50 {
		t.Fatalf("tags: %v %d", err, len(l.Tags))
	}

	// A deleted cluster's ARN is gone; a recreated cluster of the same name starts untagged.
	if _, err := c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("t")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: &arn})
	testutil.WantAPIError(t, err, "NotFoundException", 404, "Resource was not found")
	updCreateCluster(t, ctx, c, "t", "", "")
	if l, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: &arn}); err != nil || l.Tags == nil || len(l.Tags) != 0 {
		t.Fatalf("recreated cluster's tags: %v %+v", err, l)
	}
}

func TestTagsUnencodedARNPath(t *testing.T) {
	t.Parallel()
	s := startWithUpdates(t, 0)
	c, ctx := s.EKS(), testutil.Ctx(t)
	updCreateCluster(t, ctx, c, "raw", "", "")
	// A hand-written client that leaves the ARN's slashes unencoded is served too.
	resp, body := s.Raw(t, "GET", "/tags/arn:aws:eks:us-west-2:012345678910:cluster/raw", nil)
	if resp.StatusCode != 200 || string(body) != `{"tags":{}}` {
		t.Fatalf("unencoded ARN: %d %s", resp.StatusCode, body)
	}
	resp, body = s.Raw(t, "GET", "/tags/arn%3Aaws%3Aeks%3Aus-west-2%3A012345678910%3Acluster%2Fraw", nil)
	if resp.StatusCode != 200 || string(body) != `{"tags":{}}` {
		t.Fatalf("encoded ARN: %d %s", resp.StatusCode, body)
	}
	resp, body = s.Raw(t, "POST", "/tags/arn%3Aaws%3Aeks%3Aus-west-2%3A012345678910%3Acluster%2Fraw", []byte(`{"tags":{"a":"b"}}`))
	if resp.StatusCode != 200 || string(body) != `{}` {
		t.Fatalf("TagResource: %d %s", resp.StatusCode, body)
	}
	resp, body = s.Raw(t, "DELETE", "/tags/arn%3Aaws%3Aeks%3Aus-west-2%3A012345678910%3Acluster%2Fraw?tagKeys=a&tagKeys=b", nil)
	if resp.StatusCode != 200 || string(body) != `{}` {
		t.Fatalf("UntagResource: %d %s", resp.StatusCode, body)
	}
	if l, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:eks:us-west-2:012345678910:cluster/raw")}); err != nil || len(l.Tags) != 0 {
		t.Fatalf("after raw untag: %v %+v", err, l)
	}
}
