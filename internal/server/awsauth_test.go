package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// awsAuthManifest maps my-role (its ARN written with its path), dave, alice (who also has an
// access entry) and the account of bob.
const awsAuthManifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapRoles: |
    - rolearn: arn:aws:iam::012345678910:role/team/my-role
      username: ops:{{SessionName}}
      groups:
        - system:masters
        - team-{{AccountID}}
  mapUsers: |
    - userarn: arn:aws:iam::012345678910:user/dave
      username: dave
      groups: [viewers]
    - userarn: arn:aws:iam::012345678910:user/engineering/alice
      username: alice-from-aws-auth
  mapAccounts: |
    - "111122223333"
`

// startAWSAuth serves the identities with an aws-auth file source for each cluster named.
func startAWSAuth(t *testing.T, manifest string, clusters ...string) (*kubeEnv, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "aws-auth.yaml")
	if err := os.WriteFile(file, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	k, _ := startKubeWithFile(t, func(c *server.Config) {
		for _, cl := range clusters {
			c.AWSAuthSources = append(c.AWSAuthSources, "012345678910/us-west-2/"+cl+"=file:"+file)
		}
		c.AWSAuthPoll = 50 * time.Millisecond
	})
	return k, file
}

func (k *kubeEnv) createClusterMode(t *testing.T, name string, mode ekstypes.AuthenticationMode) {
	t.Helper()
	if _, err := k.alice.CreateCluster(k.ctx, &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"s"}}, AccessConfig: &ekstypes.CreateAccessConfigRequest{AuthenticationMode: mode}}); err != nil {
		t.Fatal(err)
	}
}

// roleToken assumes my-role as session and mints a token for cluster.
func (k *kubeEnv) roleToken(t *testing.T, session, cluster string) string {
	t.Helper()
	cr, err := stsAs(k.s, aliceKey, aliceSecret, "").AssumeRole(k.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)})
	if err != nil {
		t.Fatal(err)
	}
	c := cr.Credentials
	return k.token(t, *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken, cluster, time.Time{})
}

func TestAWSAuthAPIAndConfigMap(t *testing.T) {
	t.Parallel()
	k, file := startAWSAuth(t, awsAuthManifest, "web")
	k.createClusterMode(t, "web", ekstypes.AuthenticationModeApiAndConfigMap)
	dave := func() string { return k.token(t, "AKIADAVEEXAMPLE00001", "dave-secret", "", "web", time.Time{}) }

	// A role with a path, mapped by aws-auth with templates.
	u, ok := k.review(t, "web", k.roleToken(t, "jane", "web"))
	if !ok || u.GetName() != "ops:jane" || !slices.Equal(u.GetGroups(), []string{"system:masters", "team-012345678910"}) ||
		!strings.HasPrefix(u.GetUID(), "aws-iam-authenticator:012345678910:AROA") {
		t.Fatalf("role session via aws-auth: ok=%v %v", ok, u)
	}
	// A user.
	u, ok = k.review(t, "web", dave())
	if !ok || u.GetName() != "dave" || !slices.Equal(u.GetGroups(), []string{"viewers"}) {
		t.Fatalf("dave via aws-auth: ok=%v %v", ok, u)
	}
	// mapAccounts: any principal of the account, named by its ARN.
	u, ok = k.review(t, "web", k.token(t, "AKIABOBEXAMPLE000001", "bob-secret", "", "web", time.Time{}))
	if !ok || u.GetName() != "arn:aws:iam::111122223333:user/bob" || len(u.GetGroups()) != 0 {
		t.Fatalf("bob via mapAccounts: ok=%v %v", ok, u)
	}
	// An access entry wins over an aws-auth mapping: alice has her creator entry.
	u, ok = k.review(t, "web", k.token(t, aliceKey, aliceSecret, "", "web", time.Time{}))
	if !ok || u.GetName() != aliceARN {
		t.Fatalf("alice: the access entry must win over aws-auth: ok=%v %v", ok, u)
	}
	// Unmapped: neither an entry nor an aws-auth mapping.
	if _, why := k.reviewWhy(t, "web", k.token(t, "AKIANOPOLEXAMPLE0001", "nopol-secret", "", "web", time.Time{})); !strings.Contains(why, "aws-auth maps neither") {
		t.Fatalf("nopol: %q", why)
	}
	// aws-auth-mapped identities are authorized by RBAC: the authorization webhook has no opinion.
	u, _ = k.review(t, "web", dave())
	if d, _, err := k.authz(t, "web", "v1").Authorize(k.ctx, authorizer.AttributesRecord{User: u, Verb: "get", Resource: "pods", Namespace: "default", ResourceRequest: true}); d != authorizer.DecisionNoOpinion || err != nil {
		t.Fatalf("authorization of an aws-auth identity: %v %v", d, err)
	}

	// Malformed data is reported and the last good mapping stays in force.
	if err := os.WriteFile(file, []byte(strings.Replace(awsAuthManifest, "groups: [viewers]", "groups: [viewers", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the invalid aws-auth to be reported", func() bool {
		_, lastErr := k.s.AWSAuth().Status(awsAuthKey("web"))
		return lastErr != ""
	})
	if u, ok := k.review(t, "web", dave()); !ok || u.GetName() != "dave" {
		t.Fatal("the last good mapping was dropped")
	}
	req, _ := http.NewRequest("GET", k.s.URL()+"/metrics", nil)
	if _, body := k.s.Do(t, req); !strings.Contains(string(body), `eksaccess_aws_auth_loads_total{cluster="012345678910/us-west-2/web",result="invalid"}`) {
		t.Error("no invalid-load metric")
	}
	// A valid change applies: dave's mapping removed.
	if err := os.WriteFile(file, []byte(strings.Replace(awsAuthManifest, "userarn: arn:aws:iam::012345678910:user/dave", "userarn: arn:aws:iam::012345678910:user/someone", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "dave's mapping to go", func() bool { u, _ := k.reviewWhy(t, "web", dave()); return u == nil })

	// After the switch to API, aws-auth is ignored: the role session is refused, alice's entry works.
	applyUpdate(t, k.ctx, k.alice, &eks.UpdateClusterConfigInput{Name: aws.String("web"),
		AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi}},
		ekstypes.UpdateTypeAccessConfigUpdate, param(ekstypes.UpdateParamTypeAuthenticationMode, `"API"`))
	if _, why := k.reviewUntil(t, "web", k.roleToken(t, "jane", "web"), refused); !strings.Contains(why, "no access entry") {
		t.Fatalf("role session after the switch to API: %q", why)
	}
	if _, ok := k.review(t, "web", k.token(t, aliceKey, aliceSecret, "", "web", time.Time{})); !ok {
		t.Fatal("alice's entry stopped working after the switch to API")
	}
}

func TestAWSAuthConfigMapMode(t *testing.T) {
	t.Parallel()
	k, _ := startAWSAuth(t, awsAuthManifest, "cm")
	k.createClusterMode(t, "cm", ekstypes.AuthenticationModeConfigMap)
	// The creator is mapped to system:masters outside of aws-auth, as on EKS (and wins over
	// alice's aws-auth mapping); every other principal goes through aws-auth.
	u, ok := k.review(t, "cm", k.token(t, aliceKey, aliceSecret, "", "cm", time.Time{}))
	if !ok || u.GetName() != "kubernetes-admin" || !slices.Equal(u.GetGroups(), []string{"system:masters"}) {
		t.Fatalf("creator in CONFIG_MAP: ok=%v %v", ok, u)
	}
	u, ok = k.review(t, "cm", k.token(t, "AKIADAVEEXAMPLE00001", "dave-secret", "", "cm", time.Time{}))
	if !ok || u.GetName() != "dave" {
		t.Fatalf("dave in CONFIG_MAP: ok=%v %v", ok, u)
	}
	// A cluster without an aws-auth source maps nobody else in CONFIG_MAP mode.
	k.createClusterMode(t, "bare", ekstypes.AuthenticationModeConfigMap)
	if _, why := k.reviewWhy(t, "bare", k.token(t, "AKIADAVEEXAMPLE00001", "dave-secret", "", "bare", time.Time{})); !strings.Contains(why, "no aws-auth ConfigMap is loaded") {
		t.Fatalf("cluster without aws-auth: %q", why)
	}
	// After the switch to API_AND_CONFIG_MAP the creator has an access entry instead.
	applyUpdate(t, k.ctx, k.alice, &eks.UpdateClusterConfigInput{Name: aws.String("cm"),
		AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApiAndConfigMap}},
		ekstypes.UpdateTypeAccessConfigUpdate, param(ekstypes.UpdateParamTypeAuthenticationMode, `"API_AND_CONFIG_MAP"`))
	u, why := k.reviewUntil(t, "cm", k.token(t, aliceKey, aliceSecret, "", "cm", time.Time{}),
		func(u user.Info, _ string) bool { return u != nil && u.GetName() == aliceARN })
	if u == nil || u.GetName() != aliceARN {
		t.Fatalf("creator after the switch: %v (%s)", u, why)
	}
}

func TestAWSAuthSourceErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("data:\n  mapRoles: |\n    - rolearn: not-an-arn\n"), 0o600)
	for _, src := range []string{
		"web=file:" + bad,                        // no account/region
		"012345678910/us-west-2/web=ftp:x",       // unknown kind
		"012345678910/us-west-2/web=file:" + bad, // invalid content at start
		"012345678910/us-west-2/web=file:" + filepath.Join(dir, "absent.yaml"),
		"012345678910/us-west-2/web=kubeconfig:" + filepath.Join(dir, "absent.kubeconfig"),
	} {
		_, err := server.Start(testutil.Ctx(t), server.Config{Listen: "127.0.0.1:0", Database: "sqlite://:memory:", AWSAuthSources: []string{src}})
		if err == nil {
			t.Errorf("%s: server started", src)
		}
	}
}

func awsAuthKey(cluster string) access.ClusterKey {
	return access.ClusterKey{Account: "012345678910", Region: "us-west-2", Name: cluster}
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
