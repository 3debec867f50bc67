package server_test

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// apiCluster starts a server with one API-mode cluster named "my-cluster".
func apiCluster(t *testing.T) (*testutil.Server, *eks.Client) {
	t.Helper()
	s := testutil.Start(t)
	c := s.EKS()
	if _, err := c.CreateCluster(testutil.Ctx(t), createClusterInput("my-cluster", types.AuthenticationModeApi)); err != nil {
		t.Fatal(err)
	}
	return s, c
}

var entryARNRe = regexp.MustCompile(`^arn:aws:eks:us-west-2:012345678910:access-entry/my-cluster/(role|user)/[0-9]{12}/[^/]+/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestCreateAndDescribeAccessEntry(t *testing.T) {
	t.Parallel()
	_, c := apiCluster(t)
	ctx := testutil.Ctx(t)
	const role = "arn:aws:iam::012345678910:role/my-role"
	out, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	e := out.AccessEntry
	if *e.ClusterName != "my-cluster" || *e.PrincipalArn != role || *e.Type != "STANDARD" ||
		*e.Username != "arn:aws:sts::012345678910:assumed-role/my-role/{{SessionName}}" ||
		e.KubernetesGroups == nil || len(e.KubernetesGroups) != 0 || e.Tags == nil || len(e.Tags) != 0 {
		t.Fatalf("created entry: %+v", e)
	}
	if !entryARNRe.MatchString(*e.AccessEntryArn) || !strings.Contains(*e.AccessEntryArn, "/role/012345678910/my-role/") {
		t.Fatalf("access entry ARN %s", *e.AccessEntryArn)
	}
	if !e.CreatedAt.Equal(*e.ModifiedAt) || time.Since(*e.CreatedAt) > time.Minute {
		t.Fatalf("timestamps %v %v", e.CreatedAt, e.ModifiedAt)
	}
	d, err := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	if *d.AccessEntry.AccessEntryArn != *e.AccessEntryArn || !d.AccessEntry.CreatedAt.Equal(*e.CreatedAt) || *d.AccessEntry.Username != *e.Username {
		t.Fatalf("describe differs: %+v", d.AccessEntry)
	}

	// An IAM user's default username is its ARN; a role path is kept in principalArn and dropped
	// from the generated username and the entry ARN.
	for _, tc := range []struct{ principal, username, arnPart string }{
		{"arn:aws:iam::012345678910:user/alice", "arn:aws:iam::012345678910:user/alice", "/user/012345678910/alice/"},
		{"arn:aws:iam::012345678910:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123", "arn:aws:sts::012345678910:assumed-role/AWSReservedSSO_Admin_0123/{{SessionName}}", "/role/012345678910/AWSReservedSSO_Admin_0123/"},
		{"arn:aws:iam::999988887777:role/cross-account", "arn:aws:sts::999988887777:assumed-role/cross-account/{{SessionName}}", "/role/999988887777/cross-account/"},
	} {
		out, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(tc.principal)})
		if err != nil {
			t.Fatalf("%s: %v", tc.principal, err)
		}
		if *out.AccessEntry.PrincipalArn != tc.principal || *out.AccessEntry.Username != tc.username || !strings.Contains(*out.AccessEntry.AccessEntryArn, tc.arnPart) {
			t.Fatalf("%s: %+v", tc.principal, out.AccessEntry)
		}
	}
}

func TestAccessEntryTypes(t *testing.T) {
	t.Parallel()
	_, c := apiCluster(t)
	ctx := testutil.Ctx(t)
	for i, tc := range []struct {
		typ      string
		username string
		groups   []string
	}{
		{"EC2_LINUX", "system:node:{{EC2PrivateDNSName}}", []string{"system:nodes"}},
		{"EC2_WINDOWS", "system:node:{{EC2PrivateDNSName}}", []string{"system:nodes"}},
		{"FARGATE_LINUX", "system:node:{{SessionName}}", []string{"system:nodes"}},
		{"HYBRID_LINUX", "system:node:{{SessionName}}", []string{"system:nodes"}},
		{"EC2", "system:node:{{EC2PrivateDNSName}}", []string{}},
		{"HYPERPOD_LINUX", "system:node:{{EC2PrivateDNSName}}", []string{"system:nodes"}},
	} {
		principal := fmt.Sprintf("arn:aws:iam::012345678910:role/node-%d", i)
		out, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(principal), Type: aws.String(tc.typ)})
		if err != nil {
			t.Fatalf("%s: %v", tc.typ, err)
		}
		e := out.AccessEntry
		if *e.Type != tc.typ || *e.Username != tc.username || strings.Join(e.KubernetesGroups, ",") != strings.Join(tc.groups, ",") {
			t.Fatalf("%s: %+v", tc.typ, e)
		}
	}
}

func TestCreateAccessEntryErrors(t *testing.T) {
	t.Parallel()
	s, c := apiCluster(t)
	ctx := testutil.Ctx(t)
	if _, err := c.CreateCluster(ctx, createClusterInput("cm-cluster", types.AuthenticationModeConfigMap)); err != nil {
		t.Fatal(err)
	}
	const role = "arn:aws:iam::012345678910:role/r"
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)}); err != nil {
		t.Fatal(err)
	}
	in := func(f func(*eks.CreateAccessEntryInput)) *eks.CreateAccessEntryInput {
		e := &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String("arn:aws:iam::012345678910:role/new")}
		f(e)
		return e
	}
	const nodeTypes = "[EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX, EC2]"
	cases := []struct {
		name   string
		in     *eks.CreateAccessEntryInput
		code   string
		status int
		msg    string
	}{
		{"duplicate principal", in(func(e *eks.CreateAccessEntryInput) { e.PrincipalArn = aws.String(role) }), "ResourceInUseException", 409, "The specified access entry resource is already in use on this cluster."},
		{"unknown cluster", in(func(e *eks.CreateAccessEntryInput) { e.ClusterName = aws.String("nope") }), "ResourceNotFoundException", 404, "No cluster found for name: nope."},
		{"CONFIG_MAP cluster", in(func(e *eks.CreateAccessEntryInput) { e.ClusterName = aws.String("cm-cluster") }), "InvalidRequestException", 400, "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation."},
		{"assumed-role ARN", in(func(e *eks.CreateAccessEntryInput) {
			e.PrincipalArn = aws.String("arn:aws:sts::012345678910:assumed-role/r/session")
		}), "InvalidParameterException", 400, "The principalArn parameter format is not valid"},
		{"root ARN", in(func(e *eks.CreateAccessEntryInput) { e.PrincipalArn = aws.String("arn:aws:iam::012345678910:root") }), "InvalidParameterException", 400, "The principalArn parameter format is not valid"},
		{"not an ARN", in(func(e *eks.CreateAccessEntryInput) { e.PrincipalArn = aws.String("my-role") }), "InvalidParameterException", 400, "The principalArn parameter format is not valid"},
		{"other partition", in(func(e *eks.CreateAccessEntryInput) {
			e.PrincipalArn = aws.String("arn:aws-cn:iam::012345678910:role/r")
		}), "InvalidParameterException", 400, "The principalArn parameter format is not valid"},
		{"service-linked role", in(func(e *eks.CreateAccessEntryInput) {
			e.PrincipalArn = aws.String("arn:aws:iam::012345678910:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS")
		}), "InvalidParameterException", 400, "The caller is not allowed to modify access entries with a principalArn value of a Service Linked Role"},
		{"unknown type", in(func(e *eks.CreateAccessEntryInput) { e.Type = aws.String("ADMIN") }), "InvalidParameterException", 400, `type "ADMIN" is invalid`},
		{"node type with user", in(func(e *eks.CreateAccessEntryInput) {
			e.Type, e.PrincipalArn = aws.String("EC2_LINUX"), aws.String("arn:aws:iam::012345678910:user/u")
		}), "InvalidParameterException", 400, "AccessEntry principalArn must be IAM role when using types " + nodeTypes},
		{"node type from another account", in(func(e *eks.CreateAccessEntryInput) {
			e.Type, e.PrincipalArn = aws.String("FARGATE_LINUX"), aws.String("arn:aws:iam::999988887777:role/n")
		}), "InvalidParameterException", 400, "AccessEntry principalArn must be from the same account as the cluster when using types " + nodeTypes},
		{"node type with username", in(func(e *eks.CreateAccessEntryInput) { e.Type, e.Username = aws.String("EC2_LINUX"), aws.String("node") }), "InvalidParameterException", 400, `The specified username is invalid: setting username is not allowed when the type is "EC2_LINUX"`},
		{"node type with groups", in(func(e *eks.CreateAccessEntryInput) {
			e.Type, e.KubernetesGroups = aws.String("EC2_WINDOWS"), []string{"g"}
		}), "InvalidParameterException", 400, `The specified kubernetesGroups is invalid: setting kubernetesGroups is not allowed when the type is "EC2_WINDOWS"`},
		{"username system:", in(func(e *eks.CreateAccessEntryInput) { e.Username = aws.String("system:admin") }), "InvalidParameterException", 400, "The username must not begin with system:"},
		{"username eks:", in(func(e *eks.CreateAccessEntryInput) { e.Username = aws.String("eks:x") }), "InvalidParameterException", 400, "The username must not begin with eks:"},
		{"username aws:", in(func(e *eks.CreateAccessEntryInput) { e.Username = aws.String("aws:x") }), "InvalidParameterException", 400, "The username must not begin with aws:"},
		{"username amazon:", in(func(e *eks.CreateAccessEntryInput) { e.Username = aws.String("amazon:x") }), "InvalidParameterException", 400, "The username must not begin with amazon:"},
		{"username iam:", in(func(e *eks.CreateAccessEntryInput) { e.Username = aws.String("iam:x") }), "InvalidParameterException", 400, "The username must not begin with iam:"},
		{"session template without colon", in(func(e *eks.CreateAccessEntryInput) { e.Username = aws.String("john{{SessionName}}") }), "InvalidParameterException", 400, "must be preceded by a colon"},
		{"raw session template without colon", in(func(e *eks.CreateAccessEntryInput) { e.Username = aws.String("{{SessionNameRaw}}:x") }), "InvalidParameterException", 400, "must be preceded by a colon"},
		{"group system:masters", in(func(e *eks.CreateAccessEntryInput) { e.KubernetesGroups = []string{"ok", "system:masters"} }), "InvalidParameterException", 400, "The kubernetes group name system:masters is invalid, it cannot start with system:"},
		{"group eks:", in(func(e *eks.CreateAccessEntryInput) { e.KubernetesGroups = []string{"eks:x"} }), "InvalidParameterException", 400, "The kubernetes group name eks:x is invalid, it cannot start with eks:"},
		{"reserved tag key", in(func(e *eks.CreateAccessEntryInput) { e.Tags = map[string]string{"aws:x": "y"} }), "InvalidParameterException", 400, "aws: prefix is reserved"},
		{"tag key too long", in(func(e *eks.CreateAccessEntryInput) { e.Tags = map[string]string{strings.Repeat("k", 129): "y"} }), "InvalidParameterException", 400, "between 1 and 128"},
		{"tag value too long", in(func(e *eks.CreateAccessEntryInput) { e.Tags = map[string]string{"k": strings.Repeat("v", 257)} }), "InvalidParameterException", 400, "at most 256"},
		{"too many tags", in(func(e *eks.CreateAccessEntryInput) {
			e.Tags = map[string]string{}
			for i := 0; i < 51; i++ {
				e.Tags[fmt.Sprint("k", i)] = "v"
			}
		}), "InvalidParameterException", 400, "tags must have between 1 and 50 entries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateAccessEntry(ctx, tc.in)
			testutil.WantAPIError(t, err, tc.code, tc.status, tc.msg)
		})
	}
	list, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("my-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(list.AccessEntries, ",") != role {
		t.Fatalf("refused creates changed state: %v", list.AccessEntries)
	}
	// Usernames that satisfy the colon rule, and ARN-shaped ones, are accepted.
	for i, u := range []string{":john{{SessionName}}", "jo:hn{{SessionNameRaw}}", "arn:aws:sts::012345678910:assumed-role/r/{{SessionName}}", "sts:ok", "plain-user"} {
		p := fmt.Sprintf("arn:aws:iam::012345678910:role/ok-%d", i)
		out, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(p), Username: aws.String(u), KubernetesGroups: []string{"dev", "ops"}})
		if err != nil {
			t.Fatalf("username %q: %v", u, err)
		}
		if *out.AccessEntry.Username != u || strings.Join(out.AccessEntry.KubernetesGroups, ",") != "dev,ops" {
			t.Fatalf("username %q: %+v", u, out.AccessEntry)
		}
	}
	_ = s
}

func TestUpdateAccessEntry(t *testing.T) {
	t.Parallel()
	_, c := apiCluster(t)
	ctx := testutil.Ctx(t)
	const role, node = "arn:aws:iam::012345678910:role/dev", "arn:aws:iam::012345678910:role/node"
	created, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role), KubernetesGroups: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(node), Type: aws.String("EC2_LINUX")}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	up, err := c.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role), KubernetesGroups: []string{"b", "c"}, Username: aws.String("dev-user")})
	if err != nil {
		t.Fatal(err)
	}
	e := up.AccessEntry
	if strings.Join(e.KubernetesGroups, ",") != "b,c" || *e.Username != "dev-user" || !e.CreatedAt.Equal(*created.AccessEntry.CreatedAt) || !e.ModifiedAt.After(*e.CreatedAt) {
		t.Fatalf("updated: %+v", e)
	}
	// An empty list clears the groups (Terraform sends [] to clear); the username stays.
	up, err = c.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role), KubernetesGroups: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(up.AccessEntry.KubernetesGroups) != 0 || *up.AccessEntry.Username != "dev-user" {
		t.Fatalf("cleared: %+v", up.AccessEntry)
	}
	d, _ := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)})
	if len(d.AccessEntry.KubernetesGroups) != 0 || *d.AccessEntry.Username != "dev-user" {
		t.Fatalf("not stored: %+v", d.AccessEntry)
	}

	for _, tc := range []struct {
		name      string
		in        *eks.UpdateAccessEntryInput
		code, msg string
		status    int
	}{
		{"group prefix", &eks.UpdateAccessEntryInput{PrincipalArn: aws.String(role), KubernetesGroups: []string{"system:masters"}}, "InvalidParameterException", "The kubernetes group name system:masters is invalid, it cannot start with system:", 400},
		{"username prefix", &eks.UpdateAccessEntryInput{PrincipalArn: aws.String(role), Username: aws.String("amazon:x")}, "InvalidParameterException", "The username must not begin with amazon:", 400},
		// Terraform re-sends the generated node username; EKS refuses it by prefix.
		{"node entry generated username", &eks.UpdateAccessEntryInput{PrincipalArn: aws.String(node), Username: aws.String("system:node:{{EC2PrivateDNSName}}")}, "InvalidParameterException", "The username must not begin with system:", 400},
		{"node entry groups", &eks.UpdateAccessEntryInput{PrincipalArn: aws.String(node), KubernetesGroups: []string{"x"}}, "InvalidParameterException", `This operation can only be performed on Access Entries with a type of "STANDARD".`, 400},
		{"missing entry", &eks.UpdateAccessEntryInput{PrincipalArn: aws.String("arn:aws:iam::012345678910:role/none"), Username: aws.String("x")}, "ResourceNotFoundException", "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.ClusterName = aws.String("my-cluster")
			_, err := c.UpdateAccessEntry(ctx, tc.in)
			testutil.WantAPIError(t, err, tc.code, tc.status, tc.msg)
		})
	}
	d, _ = c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)})
	if len(d.AccessEntry.KubernetesGroups) != 0 || *d.AccessEntry.Username != "dev-user" {
		t.Fatalf("refused updates changed the entry: %+v", d.AccessEntry)
	}
}

func TestAccessEntryIdempotency(t *testing.T) {
	t.Parallel()
	_, c := apiCluster(t)
	ctx := testutil.Ctx(t)
	in := &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String("arn:aws:iam::012345678910:role/r"), ClientRequestToken: aws.String("tok-1")}
	first, err := c.CreateAccessEntry(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	// An SDK retry reuses the token: the first response comes back, not a 409.
	again, err := c.CreateAccessEntry(ctx, in)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if *again.AccessEntry.AccessEntryArn != *first.AccessEntry.AccessEntryArn {
		t.Fatalf("replay differs: %s vs %s", *again.AccessEntry.AccessEntryArn, *first.AccessEntry.AccessEntryArn)
	}
	in.KubernetesGroups = []string{"other"}
	_, err = c.CreateAccessEntry(ctx, in)
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "clientRequestToken has already been used")
	// Without a token (and with a fresh one) a second create is a conflict.
	_, err = c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String("arn:aws:iam::012345678910:role/r"), ClientRequestToken: aws.String("tok-2")})
	testutil.WantAPIError(t, err, "ResourceInUseException", 409, "already in use")

	up := &eks.UpdateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String("arn:aws:iam::012345678910:role/r"), Username: aws.String("u1"), ClientRequestToken: aws.String("up-1")}
	u1, err := c.UpdateAccessEntry(ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String("arn:aws:iam::012345678910:role/r"), Username: aws.String("u2")}); err != nil {
		t.Fatal(err)
	}
	u1again, err := c.UpdateAccessEntry(ctx, up)
	if err != nil {
		t.Fatal(err)
	}
	if *u1again.AccessEntry.Username != "u1" || !u1again.AccessEntry.ModifiedAt.Equal(*u1.AccessEntry.ModifiedAt) {
		t.Fatalf("update replay: %+v", u1again.AccessEntry)
	}
	d, _ := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String("arn:aws:iam::012345678910:role/r")})
	if *d.AccessEntry.Username != "u2" {
		t.Fatalf("a replayed update must not re-apply: %s", *d.AccessEntry.Username)
	}
}

func TestListAccessEntriesPaging(t *testing.T) {
	t.Parallel()
	_, c := apiCluster(t)
	ctx := testutil.Ctx(t)
	var want []string
	for i := 0; i < 250; i++ {
		kind := "role"
		if i%5 == 0 {
			kind = "user"
		}
		p := fmt.Sprintf("arn:aws:iam::012345678910:%s/p-%03d", kind, 249-i)
		if i%7 == 0 {
			p = fmt.Sprintf("arn:aws:iam::012345678910:%s/Team/p-%03d", kind, i)
		}
		want = append(want, p)
		if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(want) // byte order
	for _, tc := range []struct {
		max   *int32
		pages int
	}{{nil, 3}, {aws.Int32(100), 3}, {aws.Int32(7), 36}, {aws.Int32(1), 250}} {
		var got []string
		pages := 0
		p := eks.NewListAccessEntriesPaginator(c, &eks.ListAccessEntriesInput{ClusterName: aws.String("my-cluster"), MaxResults: tc.max})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			got = append(got, out.AccessEntries...)
		}
		if pages != tc.pages || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("maxResults %v: %d pages, %d entries, first %v", tc.max, pages, len(got), got[:3])
		}
	}
	_, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("my-cluster"), MaxResults: aws.Int32(101)})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "maxResults must be between 1 and 100")
	_, err = c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("my-cluster"), NextToken: aws.String("not-a-token")})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "The nextToken provided is invalid")
}

func TestDeleteAccessEntry(t *testing.T) {
	t.Parallel()
	_, c := apiCluster(t)
	ctx := testutil.Ctx(t)
	const role = "arn:aws:iam::012345678910:role/r"
	first, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "The specified principalArn could not be found.")
	_, err = c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "The specified principalArn could not be found.")
	again, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	if *again.AccessEntry.AccessEntryArn == *first.AccessEntry.AccessEntryArn {
		t.Fatal("a re-created entry must get a new ARN")
	}
	// Deleting the cluster deletes its entries: a new cluster of the same name starts empty.
	if _, err := c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("my-cluster")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateCluster(ctx, createClusterInput("my-cluster", types.AuthenticationModeApiAndConfigMap)); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("my-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.AccessEntries) != 0 {
		t.Fatalf("entries survived their cluster: %v", list.AccessEntries)
	}
}

func TestAccessEntryOpsOnConfigMapCluster(t *testing.T) {
	t.Parallel()
	s := testutil.Start(t)
	c, ctx := s.EKS(), testutil.Ctx(t)
	if _, err := c.CreateCluster(ctx, createClusterInput("cm", "")); err != nil {
		t.Fatal(err)
	}
	const msg = "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation."
	cl, p := aws.String("cm"), aws.String("arn:aws:iam::012345678910:role/r")
	_, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: cl})
	testutil.WantAPIError(t, err, "InvalidRequestException", 400, msg)
	_, err = c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: cl, PrincipalArn: p})
	testutil.WantAPIError(t, err, "InvalidRequestException", 400, msg)
	_, err = c.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: cl, PrincipalArn: p, Username: aws.String("x")})
	testutil.WantAPIError(t, err, "InvalidRequestException", 400, msg)
	_, err = c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: cl, PrincipalArn: p})
	testutil.WantAPIError(t, err, "InvalidRequestException", 400, msg)
	_, err = c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("absent")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No cluster found for name: absent.")
}
