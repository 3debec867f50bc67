package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go"
	"github.com/eksaccess/eksaccess/internal/policy"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// Helpers of this file are prefixed with "ap" so that they cannot collide with the helpers of
// other test files of the package.

const (
	apPolicyPrefix = "arn:aws:eks::aws:cluster-access-policy/"
	apRole         = "arn:aws:iam::012345678910:role/my-role"
	// apPathRole has an IAM path: its ARN has several '/' that must survive path-label encoding.
	apPathRole = "arn:aws:iam::012345678910:role/dev/team/path-role"
	apUser     = "arn:aws:iam::111122223333:user/alice"

	apMsgPolicyFormat   = "The policyArn parameter format is not valid"
	apMsgPolicyNotFound = "The specified policyArn could not be found."
	apMsgPolicySLROnly  = "The specified policyArn can only be associated with service-linked roles"
	apMsgScopeClusterNS = "accessScope should not include namespaces if the type is not set as namespace"
	apMsgScopeNeedNS    = "At least 1 namespace must be provided if the type is set as namespace"
	apMsgOnlyStandard   = `This operation can only be performed on Access Entries with a type of "STANDARD".`
	apMsgEntryNotFound  = "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'."
	apMsgModeNotAPI     = "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation."
)

func apPolicy(name string) string { return apPolicyPrefix + name }

var (
	apClusterScope = &types.AccessScope{Type: types.AccessScopeTypeCluster}
	apDevStaging   = &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"dev-*", "staging"}}
)

// apEnv is one test's server, client and context.
type apEnv struct {
	t   *testing.T
	s   *testutil.Server
	c   *eks.Client
	ctx context.Context
}

func apStart(t *testing.T) *apEnv {
	t.Helper()
	s := testutil.Start(t)
	return &apEnv{t: t, s: s, c: s.EKS(), ctx: testutil.Ctx(t)}
}

func (e *apEnv) cluster(name string, mode types.AuthenticationMode) {
	e.t.Helper()
	apCreateCluster(e.t, e.ctx, e.c, name, mode)
}

func apCreateCluster(t *testing.T, ctx context.Context, c *eks.Client, name string, mode types.AuthenticationMode) {
	t.Helper()
	_, err := c.CreateCluster(ctx, &eks.CreateClusterInput{
		Name:               aws.String(name),
		RoleArn:            aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
		AccessConfig:       &types.CreateAccessConfigRequest{AuthenticationMode: mode},
	})
	if err != nil {
		t.Fatalf("CreateCluster %s (%s): %v", name, mode, err)
	}
}

// entry creates an access entry; typ "" means the default (STANDARD).
func (e *apEnv) entry(cluster, principal, typ string) {
	e.t.Helper()
	apCreateEntry(e.t, e.ctx, e.c, cluster, principal, typ)
}

func apCreateEntry(t *testing.T, ctx context.Context, c *eks.Client, cluster, principal, typ string) {
	t.Helper()
	in := &eks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal)}
	if typ != "" {
		in.Type = aws.String(typ)
	}
	if _, err := c.CreateAccessEntry(ctx, in); err != nil {
		t.Fatalf("CreateAccessEntry %s %s: %v", principal, typ, err)
	}
}

func (e *apEnv) associate(cluster, principal, policyName string, scope *types.AccessScope) *eks.AssociateAccessPolicyOutput {
	e.t.Helper()
	out, err := e.c.AssociateAccessPolicy(e.ctx, &eks.AssociateAccessPolicyInput{
		ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal),
		PolicyArn: aws.String(apPolicy(policyName)), AccessScope: scope,
	})
	if err != nil {
		e.t.Fatalf("AssociateAccessPolicy %s %s: %v", principal, policyName, err)
	}
	return out
}

// associations lists all associated policies of an entry, following nextToken.
func (e *apEnv) associations(cluster, principal string) []types.AssociatedAccessPolicy {
	e.t.Helper()
	return apAssociations(e.t, e.ctx, e.c, cluster, principal)
}

func apAssociations(t *testing.T, ctx context.Context, c *eks.Client, cluster, principal string) []types.AssociatedAccessPolicy {
	t.Helper()
	var all []types.AssociatedAccessPolicy
	p := eks.NewListAssociatedAccessPoliciesPaginator(c, &eks.ListAssociatedAccessPoliciesInput{
		ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListAssociatedAccessPolicies %s: %v", principal, err)
		}
		all = append(all, out.AssociatedAccessPolicies...)
	}
	return all
}

// entriesWith lists the principals of a cluster's entries that have policyName associated.
func (e *apEnv) entriesWith(cluster, policyName string) []string {
	e.t.Helper()
	out, err := e.c.ListAccessEntries(e.ctx, &eks.ListAccessEntriesInput{
		ClusterName: aws.String(cluster), AssociatedPolicyArn: aws.String(apPolicy(policyName)),
	})
	if err != nil {
		e.t.Fatalf("ListAccessEntries %s associatedPolicyArn=%s: %v", cluster, policyName, err)
	}
	if out.NextToken != nil {
		e.t.Fatalf("unexpected nextToken %q for a short list", *out.NextToken)
	}
	if out.AccessEntries == nil {
		e.t.Fatalf("accessEntries missing from the response")
	}
	return out.AccessEntries
}

// apAssoc is an association reduced to comparable values.
type apAssoc struct {
	Policy, Scope string
	Namespaces    string
	AssociatedAt  time.Time
	ModifiedAt    time.Time
}

func apFlatten(t *testing.T, as []types.AssociatedAccessPolicy) []apAssoc {
	t.Helper()
	out := make([]apAssoc, 0, len(as))
	for _, a := range as {
		if a.PolicyArn == nil || a.AccessScope == nil || a.AssociatedAt == nil || a.ModifiedAt == nil {
			t.Fatalf("incomplete associated policy: %+v", a)
		}
		if a.AccessScope.Namespaces == nil {
			t.Fatalf("accessScope.namespaces missing for %s (EKS always returns the list)", *a.PolicyArn)
		}
		out = append(out, apAssoc{
			Policy: *a.PolicyArn, Scope: string(a.AccessScope.Type), Namespaces: strings.Join(a.AccessScope.Namespaces, ","),
			AssociatedAt: a.AssociatedAt.UTC(), ModifiedAt: a.ModifiedAt.UTC(),
		})
	}
	return out
}

// apWantExact asserts an API error whose message is exactly msg.
func apWantExact(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	testutil.WantAPIError(t, err, code, status, msg)
	var ae smithy.APIError
	errors.As(err, &ae)
	if ae.ErrorMessage() != msg {
		t.Fatalf("want message exactly %q, got %q", msg, ae.ErrorMessage())
	}
}

// apWantClusterNotFound asserts EKS's unknown-cluster error, clusterName member included.
func apWantClusterNotFound(t *testing.T, err error, name string) {
	t.Helper()
	apWantExact(t, err, "ResourceNotFoundException", 404, "No cluster found for name: "+name+".")
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Fatalf("want *types.ResourceNotFoundException, got %T", err)
	}
	if aws.ToString(rnf.ClusterName) != name {
		t.Fatalf("ResourceNotFoundException.clusterName = %q, want %q", aws.ToString(rnf.ClusterName), name)
	}
}

func TestListAccessPolicies(t *testing.T) {
	t.Parallel()
	e := apStart(t)

	out, err := e.c.ListAccessPolicies(e.ctx, &eks.ListAccessPoliciesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if out.NextToken != nil {
		t.Fatalf("33 policies fit in the default page of 100, got nextToken %q", *out.NextToken)
	}
	if len(out.AccessPolicies) != 33 {
		t.Fatalf("want 33 access policies, got %d", len(out.AccessPolicies))
	}
	want := policy.List()
	if len(want) != 33 {
		t.Fatalf("policy.List() has %d policies, want 33", len(want))
	}
	var names []string
	for i, p := range out.AccessPolicies {
		name, arn := aws.ToString(p.Name), aws.ToString(p.Arn)
		if arn != apPolicyPrefix+name {
			t.Errorf("policy %d: arn %q, want %q", i, arn, apPolicyPrefix+name)
		}
		if name != want[i].Name || arn != want[i].ARN {
			t.Errorf("policy %d: got {%s %s}, catalogue has {%s %s}", i, name, arn, want[i].Name, want[i].ARN)
		}
		names = append(names, name)
	}
	if !slices.IsSorted(names) {
		t.Fatalf("policies not sorted by name: %v", names)
	}
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Fatalf("duplicate policy names: %v", names)
	}
	for _, must := range []string{"AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy", "AmazonEKSAutoNodePolicy"} {
		if !slices.Contains(names, must) {
			t.Errorf("%s missing from ListAccessPolicies", must)
		}
	}
	// Documented policies that the captured list does not contain are not listed.
	if slices.Contains(names, "AmazonEKSClusterInsightsPolicy") {
		t.Errorf("AmazonEKSClusterInsightsPolicy is not in the ListAccessPolicies capture")
	}

	// The list does not depend on any cluster or account.
	other, err := e.s.EKSAs("111122223333", "us-west-2").ListAccessPolicies(e.ctx, &eks.ListAccessPoliciesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(other.AccessPolicies) != 33 || aws.ToString(other.AccessPolicies[0].Name) != names[0] {
		t.Fatalf("another account sees a different list: %d policies", len(other.AccessPolicies))
	}
}

func TestListAccessPoliciesPaginator(t *testing.T) {
	t.Parallel()
	e := apStart(t)

	p := eks.NewListAccessPoliciesPaginator(e.c, &eks.ListAccessPoliciesInput{MaxResults: aws.Int32(10)})
	var sizes []int
	var got []string
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(out.AccessPolicies))
		for _, ap := range out.AccessPolicies {
			got = append(got, aws.ToString(ap.Name)+" "+aws.ToString(ap.Arn))
		}
		if len(sizes) > 10 {
			t.Fatalf("paginator does not end: pages %v", sizes)
		}
	}
	if !slices.Equal(sizes, []int{10, 10, 10, 3}) {
		t.Fatalf("page sizes %v, want [10 10 10 3]", sizes)
	}
	var want []string
	for _, pol := range policy.List() {
		want = append(want, pol.Name+" "+apPolicyPrefix+pol.Name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paginated list differs from the catalogue:\n got %v\nwant %v", got, want)
	}

	// A page that ends exactly at the last element has no nextToken... or a final empty page;
	// either way the union is the same 33 policies. MaxResults 33 must return everything at once.
	out, err := e.c.ListAccessPolicies(e.ctx, &eks.ListAccessPoliciesInput{MaxResults: aws.Int32(33)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AccessPolicies) != 33 {
		t.Fatalf("maxResults 33: got %d", len(out.AccessPolicies))
	}
	if out.NextToken != nil {
		next, err := e.c.ListAccessPolicies(e.ctx, &eks.ListAccessPoliciesInput{MaxResults: aws.Int32(33), NextToken: out.NextToken})
		if err != nil {
			t.Fatal(err)
		}
		if len(next.AccessPolicies) != 0 {
			t.Fatalf("page after the last policy has %d policies", len(next.AccessPolicies))
		}
	}
}

func TestListAccessPoliciesPagingErrors(t *testing.T) {
	t.Parallel()
	e := apStart(t)

	for _, n := range []int32{0, 101, -1} {
		_, err := e.c.ListAccessPolicies(e.ctx, &eks.ListAccessPoliciesInput{MaxResults: aws.Int32(n)})
		testutil.WantAPIError(t, err, "InvalidParameterException", 400, "maxResults must be between 1 and 100") // its model declares no client error
	}
	for _, n := range []int32{1, 100} {
		out, err := e.c.ListAccessPolicies(e.ctx, &eks.ListAccessPoliciesInput{MaxResults: aws.Int32(n)})
		if err != nil {
			t.Fatalf("maxResults %d: %v", n, err)
		}
		if want := min(int(n), 33); len(out.AccessPolicies) != want {
			t.Fatalf("maxResults %d: got %d policies, want %d", n, len(out.AccessPolicies), want)
		}
	}
	for _, tok := range []string{"garbage", "bm90LWEtdG9rZW4", "%%%"} {
		_, err := e.c.ListAccessPolicies(e.ctx, &eks.ListAccessPoliciesInput{NextToken: aws.String(tok)})
		testutil.WantAPIError(t, err, "InvalidParameterException", 400, "")
	}
}

func TestAssociateAccessPolicyClusterScope(t *testing.T) {
	t.Parallel()
	e := apStart(t)
	e.cluster("c1", types.AuthenticationModeApi)
	e.entry("c1", apPathRole, "")

	before := time.Now().Add(-time.Second)
	out := e.associate("c1", apPathRole, "AmazonEKSAdminPolicy", apClusterScope)
	after := time.Now().Add(time.Second)

	if aws.ToString(out.ClusterName) != "c1" || aws.ToString(out.PrincipalArn) != apPathRole {
		t.Fatalf("output clusterName/principalArn = %q/%q", aws.ToString(out.ClusterName), aws.ToString(out.PrincipalArn))
	}
	a := out.AssociatedAccessPolicy
	if a == nil || a.AccessScope == nil || a.AssociatedAt == nil || a.ModifiedAt == nil {
		t.Fatalf("incomplete associatedAccessPolicy: %+v", a)
	}
	if aws.ToString(a.PolicyArn) != apPolicy("AmazonEKSAdminPolicy") {
		t.Fatalf("policyArn %q", aws.ToString(a.PolicyArn))
	}
	if a.AccessScope.Type != types.AccessScopeTypeCluster {
		t.Fatalf("scope type %q", a.AccessScope.Type)
	}
	if a.AccessScope.Namespaces == nil || len(a.AccessScope.Namespaces) != 0 {
		t.Fatalf("cluster scope must come back with namespaces: [], got %#v", a.AccessScope.Namespaces)
	}
	if !a.AssociatedAt.Equal(*a.ModifiedAt) {
		t.Fatalf("first association: associatedAt %v != modifiedAt %v", *a.AssociatedAt, *a.ModifiedAt)
	}
	if a.AssociatedAt.Before(before) || a.AssociatedAt.After(after) {
		t.Fatalf("associatedAt %v not around now", *a.AssociatedAt)
	}

	got := apFlatten(t, e.associations("c1", apPathRole))
	want := []apAssoc{{Policy: apPolicy("AmazonEKSAdminPolicy"), Scope: "cluster", AssociatedAt: a.AssociatedAt.UTC(), ModifiedAt: a.ModifiedAt.UTC()}}
	if !slices.Equal(got, want) {
		t.Fatalf("ListAssociatedAccessPolicies = %+v, want %+v", got, want)
	}
	if ents := e.entriesWith("c1", "AmazonEKSAdminPolicy"); !slices.Equal(ents, []string{apPathRole}) {
		t.Fatalf("entries with AdminPolicy = %v", ents)
	}
}

func TestAssociateAccessPolicyNamespaceScope(t *testing.T) {
	t.Parallel()
	e := apStart(t)
	e.cluster("c1", types.AuthenticationModeApi)
	e.entry("c1", apUser, "")

	out := e.associate("c1", apUser, "AmazonEKSEditPolicy", apDevStaging)
	a := out.AssociatedAccessPolicy
	if aws.ToString(out.ClusterName) != "c1" || aws.ToString(out.PrincipalArn) != apUser || aws.ToString(a.PolicyArn) != apPolicy("AmazonEKSEditPolicy") {
		t.Fatalf("output %+v", out)
	}
	if a.AccessScope.Type != types.AccessScopeTypeNamespace {
		t.Fatalf("scope type %q", a.AccessScope.Type)
	}
	ns := slices.Sorted(slices.Values(a.AccessScope.Namespaces))
	if !slices.Equal(ns, []string{"dev-*", "staging"}) {
		t.Fatalf("namespaces %v", a.AccessScope.Namespaces)
	}
	if !a.AssociatedAt.Equal(*a.ModifiedAt) {
		t.Fatalf("associatedAt %v != modifiedAt %v", *a.AssociatedAt, *a.ModifiedAt)
	}
	got := e.associations("c1", apUser)
	if len(got) != 1 || got[0].AccessScope.Type != types.AccessScopeTypeNamespace ||
		!slices.Equal(slices.Sorted(slices.Values(got[0].AccessScope.Namespaces)), []string{"dev-*", "staging"}) {
		t.Fatalf("listed %+v", apFlatten(t, got))
	}

	// The wildcard forms the spec allows: a bare '*' and a prefix ending in a letter.
	out = e.associate("c1", apUser, "AmazonEKSViewPolicy", &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"*"}})
	if !slices.Equal(out.AssociatedAccessPolicy.AccessScope.Namespaces, []string{"*"}) {
		t.Fatalf("namespaces %v", out.AssociatedAccessPolicy.AccessScope.Namespaces)
	}
	out = e.associate("c1", apUser, "AmazonEKSSecretReaderPolicy", &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"team*", "kube-system"}})
	if ns := slices.Sorted(slices.Values(out.AssociatedAccessPolicy.AccessScope.Namespaces)); !slices.Equal(ns, []string{"kube-system", "team*"}) {
		t.Fatalf("namespaces %v", ns)
	}
	if n := len(e.associations("c1", apUser)); n != 3 {
		t.Fatalf("want 3 associations, got %d", n)
	}
}

func TestAssociateAccessPolicyUpsert(t *testing.T) {
	t.Parallel()
	e := apStart(t)
	e.cluster("c1", types.AuthenticationModeApi)
	e.entry("c1", apRole, "")

	first := e.associate("c1", apRole, "AmazonEKSViewPolicy", apClusterScope).AssociatedAccessPolicy
	time.Sleep(20 * time.Millisecond)
	second := e.associate("c1", apRole, "AmazonEKSViewPolicy", apDevStaging).AssociatedAccessPolicy

	if !second.AssociatedAt.Equal(*first.AssociatedAt) {
		t.Fatalf("re-association changed associatedAt: %v -> %v", *first.AssociatedAt, *second.AssociatedAt)
	}
	if second.ModifiedAt.Before(*first.ModifiedAt) {
		t.Fatalf("modifiedAt went back: %v -> %v", *first.ModifiedAt, *second.ModifiedAt)
	}
	if !second.ModifiedAt.After(*first.ModifiedAt) {
		t.Fatalf("modifiedAt not moved by a scope change 20ms later: %v -> %v", *first.ModifiedAt, *second.ModifiedAt)
	}
	if second.AccessScope.Type != types.AccessScopeTypeNamespace ||
		!slices.Equal(slices.Sorted(slices.Values(second.AccessScope.Namespaces)), []string{"dev-*", "staging"}) {
		t.Fatalf("scope not replaced: %+v", second.AccessScope)
	}

	got := apFlatten(t, e.associations("c1", apRole))
	if len(got) != 1 {
		t.Fatalf("upsert must keep one association, got %+v", got)
	}
	if got[0].Scope != "namespace" || (got[0].Namespaces != "dev-*,staging" && got[0].Namespaces != "staging,dev-*") ||
		!got[0].AssociatedAt.Equal(first.AssociatedAt.UTC()) || !got[0].ModifiedAt.Equal(second.ModifiedAt.UTC()) {
		t.Fatalf("listed %+v", got)
	}

	// And back to cluster scope: namespaces are dropped, not merged.
	time.Sleep(20 * time.Millisecond)
	third := e.associate("c1", apRole, "AmazonEKSViewPolicy", apClusterScope).AssociatedAccessPolicy
	if third.AccessScope.Type != types.AccessScopeTypeCluster || len(third.AccessScope.Namespaces) != 0 ||
		!third.AssociatedAt.Equal(*first.AssociatedAt) || !third.ModifiedAt.After(*second.ModifiedAt) {
		t.Fatalf("back to cluster scope: %+v", apFlatten(t, []types.AssociatedAccessPolicy{*third}))
	}
	got = apFlatten(t, e.associations("c1", apRole))
	if len(got) != 1 || got[0].Scope != "cluster" || got[0].Namespaces != "" {
		t.Fatalf("listed %+v", got)
	}
	if ents := e.entriesWith("c1", "AmazonEKSViewPolicy"); !slices.Equal(ents, []string{apRole}) {
		t.Fatalf("entries with ViewPolicy = %v", ents)
	}
}

func TestListAssociatedAccessPolicies(t *testing.T) {
	t.Parallel()
	e := apStart(t)
	e.cluster("c1", types.AuthenticationModeApiAndConfigMap)
	e.entry("c1", apPathRole, "")
	e.entry("c1", apUser, "")

	// Associated out of order; the list is ordered by policy ARN.
	e.associate("c1", apPathRole, "AmazonEKSViewPolicy", apClusterScope)
	e.associate("c1", apPathRole, "AmazonEKSAdminPolicy", apDevStaging)
	e.associate("c1", apPathRole, "AmazonEKSEditPolicy", &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"prod"}})
	e.associate("c1", apUser, "AmazonEKSClusterAdminPolicy", apClusterScope)

	out, err := e.c.ListAssociatedAccessPolicies(e.ctx, &eks.ListAssociatedAccessPoliciesInput{
		ClusterName: aws.String("c1"), PrincipalArn: aws.String(apPathRole),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ClusterName) != "c1" || aws.ToString(out.PrincipalArn) != apPathRole {
		t.Fatalf("echo clusterName/principalArn = %q/%q", aws.ToString(out.ClusterName), aws.ToString(out.PrincipalArn))
	}
	if out.NextToken != nil {
		t.Fatalf("unexpected nextToken %q", *out.NextToken)
	}
	got := apFlatten(t, out.AssociatedAccessPolicies)
	var arns []string
	for _, a := range got {
		arns = append(arns, a.Policy)
	}
	want := []string{apPolicy("AmazonEKSAdminPolicy"), apPolicy("AmazonEKSEditPolicy"), apPolicy("AmazonEKSViewPolicy")}
	if !slices.Equal(arns, want) {
		t.Fatalf("policies %v, want %v (ordered by ARN, only this entry's)", arns, want)
	}
	if got[0].Scope != "namespace" || got[1].Scope != "namespace" || got[1].Namespaces != "prod" || got[2].Scope != "cluster" {
		t.Fatalf("scopes %+v", got)
	}

	// MaxResults 1 walks the three associations one page at a time, echoing the names each time.
	var paged []string
	var token *string
	for page := 1; ; page++ {
		out, err := e.c.ListAssociatedAccessPolicies(e.ctx, &eks.ListAssociatedAccessPoliciesInput{
			ClusterName: aws.String("c1"), PrincipalArn: aws.String(apPathRole), MaxResults: aws.Int32(1), NextToken: token,
		})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if aws.ToString(out.ClusterName) != "c1" || aws.ToString(out.PrincipalArn) != apPathRole {
			t.Fatalf("page %d echo %q/%q", page, aws.ToString(out.ClusterName), aws.ToString(out.PrincipalArn))
		}
		if len(out.AssociatedAccessPolicies) != 1 {
			t.Fatalf("page %d has %d associations", page, len(out.AssociatedAccessPolicies))
		}
		paged = append(paged, aws.ToString(out.AssociatedAccessPolicies[0].PolicyArn))
		token = out.NextToken
		if page == 3 {
			if token != nil {
				// A trailing empty page is tolerable; more associations are not.
				rest, err := e.c.ListAssociatedAccessPolicies(e.ctx, &eks.ListAssociatedAccessPoliciesInput{
					ClusterName: aws.String("c1"), PrincipalArn: aws.String(apPathRole), MaxResults: aws.Int32(1), NextToken: token,
				})
				if err != nil || len(rest.AssociatedAccessPolicies) != 0 || rest.NextToken != nil {
					t.Fatalf("after the third page: %v %+v", err, rest)
				}
			}
			break
		}
		if token == nil {
			t.Fatalf("page %d: no nextToken although 3 associations exist", page)
		}
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged %v, want %v", paged, want)
	}
	// The SDK paginator agrees.
	if all := apFlatten(t, e.associations("c1", apPathRole)); !slices.Equal(all, got) {
		t.Fatalf("paginator %+v, want %+v", all, got)
	}

	// An entry without associations lists an empty (not missing) array.
	e.entry("c1", apRole, "")
	empty, err := e.c.ListAssociatedAccessPolicies(e.ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String(apRole)})
	if err != nil {
		t.Fatal(err)
	}
	if empty.AssociatedAccessPolicies == nil || len(empty.AssociatedAccessPolicies) != 0 || empty.NextToken != nil {
		t.Fatalf("entry without associations: %+v", empty)
	}

	// Paging errors.
	for _, n := range []int32{0, 101} {
		_, err := e.c.ListAssociatedAccessPolicies(e.ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String(apPathRole), MaxResults: aws.Int32(n)})
		testutil.WantAPIError(t, err, "InvalidRequestException", 400, "maxResults must be between 1 and 100") // the exception its model declares
	}
	_, err = e.c.ListAssociatedAccessPolicies(e.ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String(apPathRole), NextToken: aws.String("garbage")})
	testutil.WantAPIError(t, err, "InvalidRequestException", 400, "The nextToken provided is invalid")

	// Unknown entry and unknown cluster.
	_, err = e.c.ListAssociatedAccessPolicies(e.ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String("arn:aws:iam::012345678910:role/nobody")})
	apWantExact(t, err, "ResourceNotFoundException", 404, apMsgEntryNotFound)
	_, err = e.c.ListAssociatedAccessPolicies(e.ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("nope"), PrincipalArn: aws.String(apPathRole)})
	apWantClusterNotFound(t, err, "nope")
}

func TestAccessPolicyFilterListAccessEntries(t *testing.T) {
	t.Parallel()
	e := apStart(t)
	e.cluster("c1", types.AuthenticationModeApi)
	e.cluster("c2", types.AuthenticationModeApi)
	a, b, c := "arn:aws:iam::012345678910:role/a", "arn:aws:iam::012345678910:role/b", "arn:aws:iam::012345678910:role/c"
	for _, p := range []string{c, a, b} {
		e.entry("c1", p, "")
	}
	e.entry("c2", a, "")
	e.associate("c1", a, "AmazonEKSAdminPolicy", apClusterScope)
	e.associate("c1", a, "AmazonEKSViewPolicy", apClusterScope)
	e.associate("c1", b, "AmazonEKSViewPolicy", apDevStaging)
	e.associate("c2", a, "AmazonEKSEditPolicy", apClusterScope) // another cluster: never listed for c1

	if got := e.entriesWith("c1", "AmazonEKSViewPolicy"); !slices.Equal(got, []string{a, b}) {
		t.Fatalf("ViewPolicy filter = %v, want [a b]", got)
	}
	if got := e.entriesWith("c1", "AmazonEKSAdminPolicy"); !slices.Equal(got, []string{a}) {
		t.Fatalf("AdminPolicy filter = %v, want [a]", got)
	}
	if got := e.entriesWith("c1", "AmazonEKSEditPolicy"); len(got) != 0 {
		t.Fatalf("EditPolicy filter on c1 = %v, want [] (only c2 has it)", got)
	}
	if got := e.entriesWith("c2", "AmazonEKSEditPolicy"); !slices.Equal(got, []string{a}) {
		t.Fatalf("EditPolicy filter on c2 = %v", got)
	}
	all, err := e.c.ListAccessEntries(e.ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("c1")})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{a, b, c} {
		if !slices.Contains(all.AccessEntries, p) {
			t.Fatalf("unfiltered list %v lacks %s", all.AccessEntries, p)
		}
	}

	// The filter pages like the unfiltered list.
	first, err := e.c.ListAccessEntries(e.ctx, &eks.ListAccessEntriesInput{
		ClusterName: aws.String("c1"), AssociatedPolicyArn: aws.String(apPolicy("AmazonEKSViewPolicy")), MaxResults: aws.Int32(1),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first.AccessEntries, []string{a}) || first.NextToken == nil {
		t.Fatalf("first filtered page %v next %v", first.AccessEntries, first.NextToken)
	}
	second, err := e.c.ListAccessEntries(e.ctx, &eks.ListAccessEntriesInput{
		ClusterName: aws.String("c1"), AssociatedPolicyArn: aws.String(apPolicy("AmazonEKSViewPolicy")), MaxResults: aws.Int32(1), NextToken: first.NextToken,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(second.AccessEntries, []string{b}) {
		t.Fatalf("second filtered page %v", second.AccessEntries)
	}

	// Disassociation is reflected by the filter at once.
	if _, err := e.c.DisassociateAccessPolicy(e.ctx, &eks.DisassociateAccessPolicyInput{
		ClusterName: aws.String("c1"), PrincipalArn: aws.String(a), PolicyArn: aws.String(apPolicy("AmazonEKSViewPolicy")),
	}); err != nil {
		t.Fatal(err)
	}
	if got := e.entriesWith("c1", "AmazonEKSViewPolicy"); !slices.Equal(got, []string{b}) {
		t.Fatalf("ViewPolicy filter after disassociating a = %v, want [b]", got)
	}
	if got := e.entriesWith("c1", "AmazonEKSAdminPolicy"); !slices.Equal(got, []string{a}) {
		t.Fatalf("AdminPolicy filter = %v, want [a]", got)
	}
}

func TestDisassociateAccessPolicy(t *testing.T) {
	t.Parallel()
	e := apStart(t)
	e.cluster("my-cluster", types.AuthenticationModeApi)
	e.entry("my-cluster", apPathRole, "")
	e.associate("my-cluster", apPathRole, "AmazonEKSAdminPolicy", apClusterScope)
	view := e.associate("my-cluster", apPathRole, "AmazonEKSViewPolicy", apDevStaging).AssociatedAccessPolicy

	disassociate := func(cluster, principal, policyArn string) error {
		_, err := e.c.DisassociateAccessPolicy(e.ctx, &eks.DisassociateAccessPolicyInput{
			ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal), PolicyArn: aws.String(policyArn),
		})
		return err
	}

	if err := disassociate("my-cluster", apPathRole, apPolicy("AmazonEKSAdminPolicy")); err != nil {
		t.Fatalf("DisassociateAccessPolicy: %v", err)
	}
	got := apFlatten(t, e.associations("my-cluster", apPathRole))
	if len(got) != 1 || got[0].Policy != apPolicy("AmazonEKSViewPolicy") || !got[0].ModifiedAt.Equal(view.ModifiedAt.UTC()) {
		t.Fatalf("after disassociating AdminPolicy: %+v", got)
	}
	if ents := e.entriesWith("my-cluster", "AmazonEKSAdminPolicy"); len(ents) != 0 {
		t.Fatalf("AdminPolicy filter still lists %v", ents)
	}

	// Again: the association is gone.
	err := disassociate("my-cluster", apPathRole, apPolicy("AmazonEKSAdminPolicy"))
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "")
	// Never associated.
	err = disassociate("my-cluster", apPathRole, apPolicy("AmazonEKSEditPolicy"))
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "")
	// Missing entry and unknown cluster.
	err = disassociate("my-cluster", "arn:aws:iam::012345678910:role/nobody", apPolicy("AmazonEKSViewPolicy"))
	apWantExact(t, err, "ResourceNotFoundException", 404, apMsgEntryNotFound)
	err = disassociate("nope", apPathRole, apPolicy("AmazonEKSViewPolicy"))
	apWantClusterNotFound(t, err, "nope")

	// The refused calls removed nothing.
	if got := apFlatten(t, e.associations("my-cluster", apPathRole)); len(got) != 1 || got[0].Policy != apPolicy("AmazonEKSViewPolicy") {
		t.Fatalf("after refused disassociations: %+v", got)
	}

	// The last one; the entry itself stays.
	if err := disassociate("my-cluster", apPathRole, apPolicy("AmazonEKSViewPolicy")); err != nil {
		t.Fatal(err)
	}
	if got := e.associations("my-cluster", apPathRole); len(got) != 0 {
		t.Fatalf("after disassociating everything: %+v", apFlatten(t, got))
	}
	if _, err := e.c.DescribeAccessEntry(e.ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(apPathRole)}); err != nil {
		t.Fatalf("entry gone after disassociation: %v", err)
	}

	// Associating again starts a new association.
	time.Sleep(5 * time.Millisecond)
	again := e.associate("my-cluster", apPathRole, "AmazonEKSAdminPolicy", apClusterScope).AssociatedAccessPolicy
	if !again.AssociatedAt.Equal(*again.ModifiedAt) || !again.AssociatedAt.After(*view.AssociatedAt) {
		t.Fatalf("re-association after disassociation: associatedAt %v modifiedAt %v (old %v)", *again.AssociatedAt, *again.ModifiedAt, *view.AssociatedAt)
	}
}

func TestAccessPolicyAssociationsDeletedWithEntry(t *testing.T) {
	t.Parallel()
	e := apStart(t)
	e.cluster("c1", types.AuthenticationModeApi)
	e.entry("c1", apRole, "")
	e.entry("c1", apUser, "")
	e.associate("c1", apRole, "AmazonEKSAdminPolicy", apClusterScope)
	e.associate("c1", apRole, "AmazonEKSViewPolicy", apDevStaging)
	e.associate("c1", apUser, "AmazonEKSViewPolicy", apClusterScope)

	if _, err := e.c.DeleteAccessEntry(e.ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String(apRole)}); err != nil {
		t.Fatalf("DeleteAccessEntry with associations: %v", err)
	}
	_, err := e.c.ListAssociatedAccessPolicies(e.ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String(apRole)})
	apWantExact(t, err, "ResourceNotFoundException", 404, apMsgEntryNotFound)
	if got := e.entriesWith("c1", "AmazonEKSAdminPolicy"); len(got) != 0 {
		t.Fatalf("deleted entry still listed for AdminPolicy: %v", got)
	}
	if got := e.entriesWith("c1", "AmazonEKSViewPolicy"); !slices.Equal(got, []string{apUser}) {
		t.Fatalf("ViewPolicy filter = %v, want only the other entry", got)
	}

	e.entry("c1", apRole, "")
	if got := e.associations("c1", apRole); len(got) != 0 {
		t.Fatalf("re-created entry inherited associations: %+v", apFlatten(t, got))
	}
	if got := e.entriesWith("c1", "AmazonEKSAdminPolicy"); len(got) != 0 {
		t.Fatalf("re-created entry listed for AdminPolicy: %v", got)
	}
	if got := e.entriesWith("c1", "AmazonEKSViewPolicy"); !slices.Equal(got, []string{apUser}) {
		t.Fatalf("re-created entry listed for ViewPolicy: %v", got)
	}
	// The other entry kept its association.
	if got := apFlatten(t, e.associations("c1", apUser)); len(got) != 1 || got[0].Policy != apPolicy("AmazonEKSViewPolicy") {
		t.Fatalf("other entry's associations: %+v", got)
	}
}

func TestAssociateAccessPolicyErrors(t *testing.T) {
	t.Parallel()
	e := apStart(t)
	e.cluster("c1", types.AuthenticationModeApi)
	e.entry("c1", apRole, "")
	e.associate("c1", apRole, "AmazonEKSViewPolicy", apDevStaging)
	baseline := apFlatten(t, e.associations("c1", apRole))
	missing := "arn:aws:iam::012345678910:role/missing"

	cases := []struct {
		name               string
		cluster, principal string
		policyArn          string
		scope              *types.AccessScope
		code               string
		status             int
		msg                string // exact message
		contains           string // when the wording is ours, a substring naming the bad value
	}{
		{name: "iam policy arn", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess", code: "InvalidParameterException", status: 400, msg: apMsgPolicyFormat},
		{name: "not an arn", policyArn: "not-an-arn", code: "InvalidParameterException", status: 400, msg: apMsgPolicyFormat},
		{name: "unknown policy", policyArn: apPolicy("AmazonEKSViewPolicyy"), code: "ResourceNotFoundException", status: 404, msg: apMsgPolicyNotFound},
		{name: "wrong partition", policyArn: "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", code: "ResourceNotFoundException", status: 404, msg: apMsgPolicyNotFound},
		{name: "empty account", policyArn: "arn:aws:eks:::cluster-access-policy/AmazonEKSViewPolicy", code: "ResourceNotFoundException", status: 404, msg: apMsgPolicyNotFound},
		{name: "slr only block storage", policyArn: apPolicy("AmazonEKSBlockStorageClusterPolicy"), code: "InvalidParameterException", status: 400, msg: apMsgPolicySLROnly},
		{name: "slr only compute", policyArn: apPolicy("AmazonEKSComputeClusterPolicy"), code: "InvalidParameterException", status: 400, msg: apMsgPolicySLROnly},
		{name: "cluster scope with namespaces", scope: &types.AccessScope{Type: types.AccessScopeTypeCluster, Namespaces: []string{"dev"}}, code: "InvalidParameterException", status: 400, msg: apMsgScopeClusterNS},
		{name: "namespace scope without namespaces", scope: &types.AccessScope{Type: types.AccessScopeTypeNamespace}, code: "InvalidParameterException", status: 400, msg: apMsgScopeNeedNS},
		{name: "namespace scope with empty list", scope: &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{}}, code: "InvalidParameterException", status: 400, msg: apMsgScopeNeedNS},
		{name: "bogus scope type", scope: &types.AccessScope{Type: types.AccessScopeType("bogus")}, code: "InvalidParameterException", status: 400, contains: "bogus"},
		{name: "uppercase namespace", scope: &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"dev", "Dev_Bad"}}, code: "InvalidParameterException", status: 400, contains: "Dev_Bad"},
		{name: "inner wildcard", scope: &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"a*b"}}, code: "InvalidParameterException", status: 400, contains: "a*b"},
		{name: "missing entry", principal: missing, code: "ResourceNotFoundException", status: 404, msg: apMsgEntryNotFound},
		{name: "unknown cluster", cluster: "nope", code: "ResourceNotFoundException", status: 404, msg: "No cluster found for name: nope."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := &eks.AssociateAccessPolicyInput{
				ClusterName: aws.String(apOr(tc.cluster, "c1")), PrincipalArn: aws.String(apOr(tc.principal, apRole)),
				PolicyArn: aws.String(apOr(tc.policyArn, apPolicy("AmazonEKSEditPolicy"))), AccessScope: tc.scope,
			}
			if in.AccessScope == nil {
				in.AccessScope = apClusterScope
			}
			_, err := e.c.AssociateAccessPolicy(e.ctx, in)
			if tc.msg != "" {
				apWantExact(t, err, tc.code, tc.status, tc.msg)
			} else {
				testutil.WantAPIError(t, err, tc.code, tc.status, tc.contains)
			}
			// Nothing changed.
			if got := apFlatten(t, apAssociations(t, e.ctx, e.c, "c1", apRole)); !slices.Equal(got, baseline) {
				t.Fatalf("refused AssociateAccessPolicy changed the associations:\n got %+v\nwant %+v", got, baseline)
			}
			_, err = e.c.DescribeAccessEntry(e.ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String(missing)})
			apWantExact(t, err, "ResourceNotFoundException", 404, apMsgEntryNotFound)
		})
	}
}

// apOr returns v, or def when v is empty.
func apOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func TestAssociateAccessPolicyEntryTypes(t *testing.T) {
	t.Parallel()
	e := apStart(t)
	e.cluster("c1", types.AuthenticationModeApi)
	node := "arn:aws:iam::012345678910:role/node"
	auto := "arn:aws:iam::012345678910:role/auto-node"
	e.entry("c1", node, "EC2_LINUX")
	e.entry("c1", auto, "EC2")

	try := func(principal, policyName string) error {
		_, err := e.c.AssociateAccessPolicy(e.ctx, &eks.AssociateAccessPolicyInput{
			ClusterName: aws.String("c1"), PrincipalArn: aws.String(principal),
			PolicyArn: aws.String(apPolicy(policyName)), AccessScope: apClusterScope,
		})
		return err
	}

	for _, pol := range []string{"AmazonEKSViewPolicy", "AmazonEKSAutoNodePolicy"} {
		err := try(node, pol)
		apWantExact(t, err, "InvalidParameterException", 400, apMsgOnlyStandard)
		if got := e.associations("c1", node); len(got) != 0 {
			t.Fatalf("refused association on EC2_LINUX entry stored: %+v", apFlatten(t, got))
		}
	}

	out := e.associate("c1", auto, "AmazonEKSAutoNodePolicy", apClusterScope)
	if aws.ToString(out.AssociatedAccessPolicy.PolicyArn) != apPolicy("AmazonEKSAutoNodePolicy") || out.AssociatedAccessPolicy.AccessScope.Type != types.AccessScopeTypeCluster {
		t.Fatalf("EC2 + AutoNodePolicy: %+v", out.AssociatedAccessPolicy)
	}
	baseline := apFlatten(t, e.associations("c1", auto))
	err := try(auto, "AmazonEKSViewPolicy")
	apWantExact(t, err, "InvalidParameterException", 400, apMsgOnlyStandard)
	if got := apFlatten(t, e.associations("c1", auto)); !slices.Equal(got, baseline) || len(got) != 1 {
		t.Fatalf("EC2 entry associations after refused ViewPolicy: %+v", got)
	}
	if got := e.entriesWith("c1", "AmazonEKSAutoNodePolicy"); !slices.Equal(got, []string{auto}) {
		t.Fatalf("AutoNodePolicy filter = %v", got)
	}
	if got := e.entriesWith("c1", "AmazonEKSViewPolicy"); len(got) != 0 {
		t.Fatalf("ViewPolicy filter = %v", got)
	}
}

func TestAccessPolicyConfigMapCluster(t *testing.T) {
	t.Parallel()
	e := apStart(t)
	e.cluster("legacy", types.AuthenticationModeConfigMap)

	_, err := e.c.AssociateAccessPolicy(e.ctx, &eks.AssociateAccessPolicyInput{
		ClusterName: aws.String("legacy"), PrincipalArn: aws.String(apRole),
		PolicyArn: aws.String(apPolicy("AmazonEKSAdminPolicy")), AccessScope: apClusterScope,
	})
	apWantExact(t, err, "InvalidRequestException", 400, apMsgModeNotAPI)
	_, err = e.c.DisassociateAccessPolicy(e.ctx, &eks.DisassociateAccessPolicyInput{
		ClusterName: aws.String("legacy"), PrincipalArn: aws.String(apRole), PolicyArn: aws.String(apPolicy("AmazonEKSAdminPolicy")),
	})
	apWantExact(t, err, "InvalidRequestException", 400, apMsgModeNotAPI)
	_, err = e.c.ListAssociatedAccessPolicies(e.ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("legacy"), PrincipalArn: aws.String(apRole)})
	apWantExact(t, err, "InvalidRequestException", 400, apMsgModeNotAPI)
	_, err = e.c.ListAccessEntries(e.ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("legacy"), AssociatedPolicyArn: aws.String(apPolicy("AmazonEKSAdminPolicy"))})
	apWantExact(t, err, "InvalidRequestException", 400, apMsgModeNotAPI)

	// ListAccessPolicies does not depend on any cluster.
	if out, err := e.c.ListAccessPolicies(e.ctx, &eks.ListAccessPoliciesInput{}); err != nil || len(out.AccessPolicies) != 33 {
		t.Fatalf("ListAccessPolicies next to a CONFIG_MAP cluster: %v", err)
	}
}

func TestAccessPolicyAccountIsolation(t *testing.T) {
	t.Parallel()
	e := apStart(t)
	e.cluster("shared", types.AuthenticationModeApi)
	e.entry("shared", apRole, "")
	e.associate("shared", apRole, "AmazonEKSAdminPolicy", apClusterScope)
	baseline := apFlatten(t, e.associations("shared", apRole))

	for _, other := range []struct{ account, region string }{{"111122223333", "us-west-2"}, {testutil.DefaultAccount, "us-east-1"}} {
		o := e.s.EKSAs(other.account, other.region)
		_, err := o.ListAssociatedAccessPolicies(e.ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("shared"), PrincipalArn: aws.String(apRole)})
		apWantClusterNotFound(t, err, "shared")
		_, err = o.AssociateAccessPolicy(e.ctx, &eks.AssociateAccessPolicyInput{
			ClusterName: aws.String("shared"), PrincipalArn: aws.String(apRole),
			PolicyArn: aws.String(apPolicy("AmazonEKSViewPolicy")), AccessScope: apClusterScope,
		})
		apWantClusterNotFound(t, err, "shared")
		_, err = o.DisassociateAccessPolicy(e.ctx, &eks.DisassociateAccessPolicyInput{
			ClusterName: aws.String("shared"), PrincipalArn: aws.String(apRole), PolicyArn: aws.String(apPolicy("AmazonEKSAdminPolicy")),
		})
		apWantClusterNotFound(t, err, "shared")
		_, err = o.ListAccessEntries(e.ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("shared"), AssociatedPolicyArn: aws.String(apPolicy("AmazonEKSAdminPolicy"))})
		apWantClusterNotFound(t, err, "shared")
	}
	if got := apFlatten(t, e.associations("shared", apRole)); !slices.Equal(got, baseline) {
		t.Fatalf("other accounts changed the associations: %+v", got)
	}

	// The other account's own cluster of the same name is a separate world.
	o := e.s.EKSAs("111122223333", "us-west-2")
	apCreateCluster(t, e.ctx, o, "shared", types.AuthenticationModeApi)
	apCreateEntry(t, e.ctx, o, "shared", apRole, "")
	if got := apAssociations(t, e.ctx, o, "shared", apRole); len(got) != 0 {
		t.Fatalf("other account's new entry has associations: %+v", apFlatten(t, got))
	}
	if _, err := o.AssociateAccessPolicy(e.ctx, &eks.AssociateAccessPolicyInput{
		ClusterName: aws.String("shared"), PrincipalArn: aws.String(apRole),
		PolicyArn: aws.String(apPolicy("AmazonEKSEditPolicy")), AccessScope: apDevStaging,
	}); err != nil {
		t.Fatal(err)
	}
	if got := apFlatten(t, apAssociations(t, e.ctx, o, "shared", apRole)); len(got) != 1 || got[0].Policy != apPolicy("AmazonEKSEditPolicy") {
		t.Fatalf("other account's associations: %+v", got)
	}
	if got := apFlatten(t, e.associations("shared", apRole)); !slices.Equal(got, baseline) {
		t.Fatalf("first account sees the other account's association: %+v", got)
	}
	if _, err := o.DisassociateAccessPolicy(e.ctx, &eks.DisassociateAccessPolicyInput{
		ClusterName: aws.String("shared"), PrincipalArn: aws.String(apRole), PolicyArn: aws.String(apPolicy("AmazonEKSAdminPolicy")),
	}); err == nil {
		t.Fatalf("other account disassociated a policy only the first account's entry has")
	}
	if got := apFlatten(t, e.associations("shared", apRole)); !slices.Equal(got, baseline) {
		t.Fatalf("first account's associations changed: %+v", got)
	}
}

// apRecorder is an SDK HTTP client that keeps the raw requests and responses.
type apRecorder struct {
	mu    sync.Mutex
	calls []apCall
}

type apCall struct {
	method, escapedPath, reqBody string
	status                       int
	header                       http.Header
	respBody                     string
}

func (r *apRecorder) Do(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	r.calls = append(r.calls, apCall{req.Method, req.URL.EscapedPath(), string(reqBody), resp.StatusCode, resp.Header.Clone(), string(body)})
	r.mu.Unlock()
	return resp, nil
}

func (r *apRecorder) last(t *testing.T) apCall {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		t.Fatal("no request recorded")
	}
	return r.calls[len(r.calls)-1]
}

// TestAccessPolicyAPIReferenceSamples replays the AssociateAccessPolicy and
// DisassociateAccessPolicy samples of the API reference and checks the raw wire exchange.
func TestAccessPolicyAPIReferenceSamples(t *testing.T) {
	t.Parallel()
	e := apStart(t)
	rec := &apRecorder{}
	c := eks.NewFromConfig(e.s.AWSConfig(testutil.DefaultAccount, "secret", testutil.DefaultRegion), func(o *eks.Options) { o.HTTPClient = rec })
	apCreateCluster(t, e.ctx, c, "my-cluster", types.AuthenticationModeApi)
	apCreateEntry(t, e.ctx, c, "my-cluster", apRole, "")

	const base = "/clusters/my-cluster/access-entries/arn%3Aaws%3Aiam%3A%3A012345678910%3Arole%2Fmy-role/access-policies"
	if _, err := c.AssociateAccessPolicy(e.ctx, &eks.AssociateAccessPolicyInput{
		ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(apRole),
		PolicyArn: aws.String(apPolicy("AmazonEKSAdminPolicy")), AccessScope: apClusterScope,
	}); err != nil {
		t.Fatal(err)
	}
	call := rec.last(t)
	if call.method != "POST" || call.escapedPath != base {
		t.Fatalf("request %s %s, want the sample's POST %s", call.method, call.escapedPath, base)
	}
	if call.status != 200 || !strings.HasPrefix(call.header.Get("Content-Type"), "application/json") || call.header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("response %d %v", call.status, call.header)
	}
	dec := json.NewDecoder(strings.NewReader(call.respBody))
	dec.UseNumber()
	var body struct {
		ClusterName            *string `json:"clusterName"`
		PrincipalArn           *string `json:"principalArn"`
		AssociatedAccessPolicy map[string]json.RawMessage
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(call.respBody), &raw); err != nil {
		t.Fatalf("response body %q: %v", call.respBody, err)
	}
	if keys := slices.Sorted(maps.Keys(raw)); !slices.Equal(keys, []string{"associatedAccessPolicy", "clusterName", "principalArn"}) {
		t.Fatalf("response keys %v in %s", keys, call.respBody)
	}
	if err := dec.Decode(&body); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(body.ClusterName) != "my-cluster" || aws.ToString(body.PrincipalArn) != apRole {
		t.Fatalf("body %s", call.respBody)
	}
	aap := body.AssociatedAccessPolicy
	if keys := slices.Sorted(maps.Keys(aap)); !slices.Equal(keys, []string{"accessScope", "associatedAt", "modifiedAt", "policyArn"}) {
		t.Fatalf("associatedAccessPolicy keys %v", keys)
	}
	if string(aap["policyArn"]) != `"`+apPolicy("AmazonEKSAdminPolicy")+`"` {
		t.Fatalf("policyArn %s", aap["policyArn"])
	}
	var scope map[string]any
	if err := json.Unmarshal(aap["accessScope"], &scope); err != nil {
		t.Fatal(err)
	}
	if ns, ok := scope["namespaces"].([]any); !ok || len(ns) != 0 || scope["type"] != "cluster" || len(scope) != 2 {
		t.Fatalf(`accessScope %s, want {"type":"cluster","namespaces":[]}`, aap["accessScope"])
	}
	for _, k := range []string{"associatedAt", "modifiedAt"} {
		var n json.Number
		if err := json.Unmarshal(aap[k], &n); err != nil || strings.ContainsAny(string(aap[k]), `"eE`) {
			t.Fatalf("%s = %s is not epoch seconds as a JSON number", k, aap[k])
		}
	}
	if string(aap["associatedAt"]) != string(aap["modifiedAt"]) {
		t.Fatalf("associatedAt %s != modifiedAt %s", aap["associatedAt"], aap["modifiedAt"])
	}

	if _, err := c.DisassociateAccessPolicy(e.ctx, &eks.DisassociateAccessPolicyInput{
		ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(apRole), PolicyArn: aws.String(apPolicy("AmazonEKSAdminPolicy")),
	}); err != nil {
		t.Fatal(err)
	}
	call = rec.last(t)
	if want := base + "/arn%3Aaws%3Aeks%3A%3Aaws%3Acluster-access-policy%2FAmazonEKSAdminPolicy"; call.method != "DELETE" || call.escapedPath != want {
		t.Fatalf("request %s %s, want the sample's DELETE %s", call.method, call.escapedPath, want)
	}
	if call.status != 200 || call.respBody != "{}" || !strings.HasPrefix(call.header.Get("Content-Type"), "application/json") || call.header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("disassociate response %d %q %v, want 200 {} application/json", call.status, call.respBody, call.header)
	}

	// The error of a second disassociation carries the error type header and a message.
	_, err := c.DisassociateAccessPolicy(e.ctx, &eks.DisassociateAccessPolicyInput{
		ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(apRole), PolicyArn: aws.String(apPolicy("AmazonEKSAdminPolicy")),
	})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "")
	call = rec.last(t)
	var eb map[string]any
	if err := json.Unmarshal([]byte(call.respBody), &eb); err != nil || call.header.Get("x-amzn-ErrorType") != "ResourceNotFoundException" {
		t.Fatalf("error response %v %q", call.header, call.respBody)
	}
	if m, _ := eb["message"].(string); m == "" {
		t.Fatalf("error body without message: %q", call.respBody)
	}
	for k, v := range eb {
		if v == nil {
			t.Fatalf("error body has a null %s: %q", k, call.respBody)
		}
	}
}

func TestAccessPolicyMalformedARNs(t *testing.T) {
	t.Parallel()
	_, c := apiCluster(t)
	ctx := testutil.Ctx(t)
	const role = "arn:aws:iam::012345678910:role/r"
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("my-cluster"), AssociatedPolicyArn: aws.String("not-an-arn")})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "The policyArn parameter format is not valid")
	_, err = c.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role), PolicyArn: aws.String("not-an-arn")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "The specified policyArn could not be found.")
	// A nextToken of one list operation is refused by another.
	if _, err := c.CreateCluster(ctx, createClusterInput("second", "")); err != nil {
		t.Fatal(err)
	}
	page, err := c.ListClusters(ctx, &eks.ListClustersInput{MaxResults: aws.Int32(1)})
	if err != nil || page.NextToken == nil {
		t.Fatalf("first page: %+v %v", page, err)
	}
	_, err = c.ListAccessPolicies(ctx, &eks.ListAccessPoliciesInput{NextToken: page.NextToken})
	testutil.WantAPIError(t, err, "InvalidParameterException", 400, "The nextToken provided is invalid")
}
