package testutil

import (
	"github.com/eksaccess/eksaccess/internal/testutil/creds"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/server"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// ActivityIdentities: alice administers everything (eks:* and eksaccess:*); dave may only
// read the activity of cluster web; idle is a role that never calls; bob is another account.
const ActivityIdentities = `
accounts:
  - id: "012345678910"
    users:
      - name: alice
        accessKeys: [{id: AKIAALICEEXAMPLE0001, secret: alice-secret}]
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["eks:*", "eksaccess:*"], Resource: "*"}]}
      - name: dave
        accessKeys: [{id: AKIADAVEEXAMPLE00001, secret: dave-secret}]
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "eksaccess:GetAccessActivity", Resource: "arn:aws:eks:us-west-2:012345678910:cluster/web"}]}
    roles:
      - {name: idle, trust: []}
  - id: "111122223333"
    users:
      - name: bob
        accessKeys: [{id: AKIABOBEXAMPLE000001, secret: bob-secret}]
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["eks:*", "eksaccess:*"], Resource: "*"}]}
`

// Principals and keys of ActivityIdentities.
const (
	AliceKey, AliceSecret = "AKIAALICEEXAMPLE0001", "alice-secret"
	DaveKey, DaveSecret   = "AKIADAVEEXAMPLE00001", "dave-secret"
	BobKey, BobSecret     = "AKIABOBEXAMPLE000001", "bob-secret"
	DaveARN               = "arn:aws:iam::012345678910:user/dave"
	IdleARN               = "arn:aws:iam::012345678910:role/idle"
	ViewPolicyARN         = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	EditPolicyARN         = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
)

// ActivityFixture is a sigv4 server with cluster web: alice's creator entry (never used),
// dave's entry (View at cluster scope, Edit in namespace dev) and idle's (View, never used).
type ActivityFixture struct {
	*Server
	Alice *eks.Client
	// DaveToken is dave's token for web (pages and logs must never show it).
	DaveToken string
	Dave      user.Info
	Authz     authorizer.Authorizer
}

// StartActivity starts the fixture; mutate changes the server's configuration further.
func StartActivity(t testing.TB, opts Options) *ActivityFixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(path, []byte(ActivityIdentities), 0o600); err != nil {
		t.Fatal(err)
	}
	mutate := opts.Mutate
	opts.Mutate = func(c *server.Config) {
		c.Auth, c.Identities = server.AuthSigV4, path
		if c.Activity.FlushInterval == 0 {
			c.Activity.FlushInterval = 50 * time.Millisecond
		}
		if mutate != nil {
			mutate(c)
		}
	}
	s := Start(t, opts)
	ctx := Ctx(t)
	f := &ActivityFixture{Server: s, Alice: eks.NewFromConfig(s.AWSConfig(AliceKey, AliceSecret, DefaultRegion))}
	if _, err := f.Alice.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("web"), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
		AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi}}); err != nil {
		t.Fatal(err)
	}
	f.Entry(t, DaveARN, []string{"devs"}, map[string]*ekstypes.AccessScope{
		ViewPolicyARN: {Type: ekstypes.AccessScopeTypeCluster},
		EditPolicyARN: {Type: ekstypes.AccessScopeTypeNamespace, Namespaces: []string{"dev"}},
	})
	f.Entry(t, IdleARN, nil, map[string]*ekstypes.AccessScope{ViewPolicyARN: {Type: ekstypes.AccessScopeTypeCluster}})
	if _, err := f.Alice.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(f.entryARN(t, DaveARN)), Tags: map[string]string{"team": "payments"}}); err != nil {
		t.Fatal(err)
	}
	tok, err := creds.MintToken(ctx, s.AWSConfig(DaveKey, DaveSecret, DefaultRegion), "web", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	f.DaveToken = tok
	authn, authz := s.Webhooks(t, "web")
	resp, ok, err := authn.AuthenticateToken(ctx, tok)
	if err != nil || !ok {
		t.Fatalf("dave's token: ok=%v err=%v", ok, err)
	}
	f.Dave, f.Authz = resp.User, authz
	return f
}

func (f *ActivityFixture) entryARN(t testing.TB, principal string) string {
	out, err := f.Alice.DescribeAccessEntry(Ctx(t), &eks.DescribeAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal)})
	if err != nil {
		t.Fatal(err)
	}
	return *out.AccessEntry.AccessEntryArn
}

// Entry creates an access entry of web with policies.
func (f *ActivityFixture) Entry(t testing.TB, principal string, groups []string, policies map[string]*ekstypes.AccessScope) {
	t.Helper()
	ctx := Ctx(t)
	if _, err := f.Alice.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal), KubernetesGroups: groups}); err != nil {
		t.Fatal(err)
	}
	for p, scope := range policies {
		if _, err := f.Alice.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal),
			PolicyArn: aws.String(p), AccessScope: scope}); err != nil {
			t.Fatal(err)
		}
	}
}

// Ask has the authorization webhook decide a request of dave's.
func (f *ActivityFixture) Ask(t testing.TB, verb, group, resource, namespace string) bool {
	t.Helper()
	d, _, err := f.Authz.Authorize(Ctx(t), authorizer.AttributesRecord{User: f.Dave, Verb: verb, APIGroup: group, Resource: resource, Namespace: namespace,
		APIVersion: "v1", ResourceRequest: true})
	if err != nil {
		t.Fatalf("authorize %s %s: %v", verb, resource, err)
	}
	return d == authorizer.DecisionAllow
}
