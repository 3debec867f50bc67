package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

const sigv4Identities = `
accounts:
  - id: "012345678910"
    users:
      - name: alice
        path: /engineering/
        accessKeys: [{id: AKIAALICEEXAMPLE0001, secret: alice-secret}]
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["eks:*", "sts:AssumeRole"], Resource: "*"}]}
      - name: dave
        accessKeys: [{id: AKIADAVEEXAMPLE00001, secret: dave-secret}]
        policies:
          - Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: ["eks:describe*", "EKS:List*"], Resource: "arn:aws:eks:*:012345678910:cluster/prod-?"}
              - {Effect: Allow, Action: "eks:ListClusters", Resource: "*"}
          - {Statement: {Effect: Deny, Action: "eks:*", Resource: "arn:aws:eks:*:*:cluster/prod-2"}}
      - name: nopol
        accessKeys: [{id: AKIANOPOLEXAMPLE0001, secret: nopol-secret}]
    roles:
      - name: my-role
        path: /team/
        trust: ["arn:aws:iam::012345678910:user/engineering/alice"]
        maxSessionDuration: 7200
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "eks:*", Resource: "*"}]}
  - id: "111122223333"
    users:
      - name: bob
        accessKeys: [{id: AKIABOBEXAMPLE000001, secret: bob-secret}]
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["eks:*", "sts:AssumeRole"], Resource: "*"}]}
`

const (
	aliceKey, aliceSecret = "AKIAALICEEXAMPLE0001", "alice-secret"
	aliceARN              = "arn:aws:iam::012345678910:user/engineering/alice"
	roleARN               = "arn:aws:iam::012345678910:role/team/my-role"
)

// startSigV4 runs a server in sigv4 mode over the identities above.
func startSigV4(t testing.TB) *testutil.Server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(path, []byte(sigv4Identities), 0o600); err != nil {
		t.Fatal(err)
	}
	return testutil.Start(t, testutil.Options{Mutate: func(c *server.Config) {
		c.Auth, c.Identities = server.AuthSigV4, path
	}})
}

// skewedSigner signs as the SDK does, at a shifted time.
type skewedSigner struct{ offset time.Duration }

func (s skewedSigner) SignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string, t time.Time, o ...func(*v4.SignerOptions)) error {
	return v4.NewSigner().SignHTTP(ctx, c, r, payloadHash, service, region, t.Add(s.offset), o...)
}

func cfgFor(s *testutil.Server, key, secret, token string) aws.Config {
	c := s.AWSConfig(key, secret, testutil.DefaultRegion)
	c.Credentials = credentials.NewStaticCredentialsProvider(key, secret, token)
	return c
}

func eksAs(s *testutil.Server, key, secret, token string, opts ...func(*eks.Options)) *eks.Client {
	return eks.NewFromConfig(cfgFor(s, key, secret, token), opts...)
}

func stsAs(s *testutil.Server, key, secret, token string, opts ...func(*sts.Options)) *sts.Client {
	return sts.NewFromConfig(cfgFor(s, key, secret, token), opts...)
}

func createCluster(t testing.TB, c *eks.Client, name string) {
	t.Helper()
	_, err := c.CreateCluster(testutil.Ctx(t), &eks.CreateClusterInput{
		Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
		AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi},
	})
	if err != nil {
		t.Fatalf("create cluster %s: %v", name, err)
	}
}

func TestSigV4GetCallerIdentity(t *testing.T) {
	t.Parallel()
	s := startSigV4(t)
	out, err := stsAs(s, aliceKey, aliceSecret, "").GetCallerIdentity(testutil.Ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Arn) != aliceARN || aws.ToString(out.Account) != "012345678910" || !strings.HasPrefix(aws.ToString(out.UserId), "AIDA") || len(aws.ToString(out.UserId)) != 21 {
		t.Fatalf("caller identity: %s %s %s", aws.ToString(out.Arn), aws.ToString(out.Account), aws.ToString(out.UserId))
	}
	_, err = stsAs(s, aliceKey, "wrong", "").GetCallerIdentity(testutil.Ctx(t), &sts.GetCallerIdentityInput{})
	testutil.WantAPIError(t, err, "SignatureDoesNotMatch", 403, "The request signature we calculated does not match")
	_, err = stsAs(s, "AKIAUNKNOWNEXAMPLE01", "x", "").GetCallerIdentity(testutil.Ctx(t), &sts.GetCallerIdentityInput{})
	testutil.WantAPIError(t, err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
	_, err = stsAs(s, aliceKey, aliceSecret, "", func(o *sts.Options) { o.HTTPSignerV4 = skewedSigner{-20 * time.Minute} }).GetCallerIdentity(testutil.Ctx(t), &sts.GetCallerIdentityInput{})
	testutil.WantAPIError(t, err, "SignatureDoesNotMatch", 403, "Signature expired: ")
}

func TestSigV4EKSAuthentication(t *testing.T) {
	t.Parallel()
	s := startSigV4(t)
	ctx := testutil.Ctx(t)
	createCluster(t, eksAs(s, aliceKey, aliceSecret, ""), "prod-1")

	_, err := eksAs(s, aliceKey, "wrong", "").DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("prod-1")})
	testutil.WantAPIError(t, err, "InvalidSignatureException", 403, "The request signature we calculated does not match the signature you provided.")
	_, err = eksAs(s, "AKIAUNKNOWNEXAMPLE01", "x", "").ListClusters(ctx, &eks.ListClustersInput{})
	testutil.WantAPIError(t, err, "UnrecognizedClientException", 403, "The security token included in the request is invalid.")
	_, err = eksAs(s, aliceKey, aliceSecret, "", func(o *eks.Options) { o.HTTPSignerV4 = skewedSigner{-16 * time.Minute} }).ListClusters(ctx, &eks.ListClustersInput{})
	testutil.WantAPIError(t, err, "InvalidSignatureException", 403, "Signature expired: ")
	_, err = eksAs(s, aliceKey, aliceSecret, "", func(o *eks.Options) { o.HTTPSignerV4 = skewedSigner{16 * time.Minute} }).ListClusters(ctx, &eks.ListClustersInput{})
	testutil.WantAPIError(t, err, "InvalidSignatureException", 403, "Signature not yet current: ")
	if _, err = eksAs(s, aliceKey, aliceSecret, "", func(o *eks.Options) { o.HTTPSignerV4 = skewedSigner{10 * time.Minute} }).ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatalf("within 15 minutes: %v", err)
	}

	// Tampering after signing: a changed body, and the signature replayed on another path.
	afterSigning := func(f func(*smithyhttp.Request) *smithyhttp.Request) func(*eks.Options) {
		return func(o *eks.Options) {
			o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
				return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("tamper", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					in.Request = f(in.Request.(*smithyhttp.Request))
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
			})
		}
	}
	_, err = eksAs(s, aliceKey, aliceSecret, "", afterSigning(func(r *smithyhttp.Request) *smithyhttp.Request {
		b, _ := io.ReadAll(r.GetStream())
		b = bytes.Replace(b, []byte(`"my-group"`), []byte(`"my-groUp"`), 1)
		r, _ = r.SetStream(bytes.NewReader(b))
		return r
	})).CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("prod-1"), PrincipalArn: aws.String(roleARN), KubernetesGroups: []string{"my-group"}})
	testutil.WantAPIError(t, err, "InvalidSignatureException", 403, "does not match")
	_, err = eksAs(s, aliceKey, aliceSecret, "", afterSigning(func(r *smithyhttp.Request) *smithyhttp.Request {
		r.URL.Path = strings.Replace(r.URL.Path, "prod-1", "prod-2", 1)
		r.URL.RawPath = strings.Replace(r.URL.RawPath, "prod-1", "prod-2", 1)
		return r
	})).DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("prod-1")})
	testutil.WantAPIError(t, err, "InvalidSignatureException", 403, "does not match")

	// Unsigned.
	resp, err := http.Get(s.URL() + "/clusters")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned: %d %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"))
	}
}

func TestSigV4AssumeRole(t *testing.T) {
	t.Parallel()
	s := startSigV4(t)
	ctx := testutil.Ctx(t)
	out, err := stsAs(s, aliceKey, aliceSecret, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SessionToken) == "" || time.Until(aws.ToTime(c.Expiration)) > 901*time.Second {
		t.Fatalf("credentials: %+v", c)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::012345678910:assumed-role/my-role/alice" {
		t.Fatalf("assumed-role ARN %s", got)
	}
	if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":alice") {
		t.Fatalf("AssumedRoleId %s", id)
	}
	key, secret, token := aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)
	who, err := stsAs(s, key, secret, token).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != aws.ToString(out.AssumedRoleUser.Arn) || aws.ToString(who.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Fatalf("session identity %s %s", aws.ToString(who.Arn), aws.ToString(who.UserId))
	}
	if _, err := eksAs(s, key, secret, token).ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatalf("temporary credentials before expiry: %v", err)
	}
	_, err = eksAs(s, key, secret, "").ListClusters(ctx, &eks.ListClustersInput{})
	testutil.WantAPIError(t, err, "UnrecognizedClientException", 403, "The security token included in the request is invalid.")

	// Refusals: trust, chaining limits, validation.
	_, err = stsAs(s, "AKIANOPOLEXAMPLE0001", "nopol-secret", "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("x1")})
	testutil.WantAPIError(t, err, "AccessDenied", 403, "User: arn:aws:iam::012345678910:user/nopol is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	_, err = stsAs(s, "AKIABOBEXAMPLE000001", "bob-secret", "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bob")})
	testutil.WantAPIError(t, err, "AccessDenied", 403, "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: sts:AssumeRole")
	_, err = stsAs(s, aliceKey, aliceSecret, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("a")})
	testutil.WantAPIError(t, err, "ValidationError", 400, "Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2")
	_, err = stsAs(s, aliceKey, aliceSecret, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bad name")})
	testutil.WantAPIError(t, err, "ValidationError", 400, "Member must satisfy regular expression pattern")
	_, err = stsAs(s, aliceKey, aliceSecret, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(899)})
	testutil.WantAPIError(t, err, "ValidationError", 400, "Member must have value greater than or equal to 900")
	_, err = stsAs(s, aliceKey, aliceSecret, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(43201)})
	testutil.WantAPIError(t, err, "ValidationError", 400, "Member must have value less than or equal to 43200")
	_, err = stsAs(s, aliceKey, aliceSecret, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(7201)})
	testutil.WantAPIError(t, err, "ValidationError", 400, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")

	// After expiry: the server's clock (and the signer's) move 16 minutes on.
	s.Identities().SetClock(func() time.Time { return time.Now().Add(16 * time.Minute) })
	_, err = eksAs(s, key, secret, token, func(o *eks.Options) { o.HTTPSignerV4 = skewedSigner{16 * time.Minute} }).ListClusters(ctx, &eks.ListClustersInput{})
	testutil.WantAPIError(t, err, "ExpiredTokenException", 403, "The security token included in the request is expired")
	_, err = stsAs(s, key, secret, token, func(o *sts.Options) { o.HTTPSignerV4 = skewedSigner{16 * time.Minute} }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	testutil.WantAPIError(t, err, "ExpiredToken", 403, "The security token included in the request is expired")
}

func TestSigV4PresignedGetCallerIdentity(t *testing.T) {
	t.Parallel()
	s := startSigV4(t)
	p, err := sts.NewPresignClient(stsAs(s, aliceKey, aliceSecret, "")).PresignGetCallerIdentity(testutil.Ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	get := func() (int, string) {
		req, _ := http.NewRequest(p.Method, p.URL, nil)
		for k, v := range p.SignedHeader {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := get(); st != 200 || !strings.Contains(body, "<Arn>"+aliceARN+"</Arn>") || !strings.HasPrefix(body, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`) {
		t.Fatalf("presigned: %d %s", st, body)
	}
	s.Identities().SetClock(func() time.Time { return time.Now().Add(16 * time.Minute) })
	if st, body := get(); st != 403 || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") || !strings.Contains(body, "<Type>Sender</Type>") {
		t.Fatalf("presigned after expiry: %d %s", st, body)
	}
}

func TestSigV4IAMAuthorization(t *testing.T) {
	t.Parallel()
	s := startSigV4(t)
	ctx := testutil.Ctx(t)
	alice := eksAs(s, aliceKey, aliceSecret, "")
	for _, n := range []string{"prod-1", "prod-2", "dev-1"} {
		createCluster(t, alice, n)
	}
	dave := eksAs(s, "AKIADAVEEXAMPLE00001", "dave-secret", "")
	if _, err := dave.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("prod-1")}); err != nil {
		t.Fatalf("allowed by wildcards: %v", err)
	}
	if _, err := dave.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("prod-1")}); err != nil {
		t.Fatalf("allowed by a lower-case action pattern: %v", err)
	}
	_, err := dave.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("prod-2")})
	testutil.WantAPIError(t, err, "AccessDeniedException", 403, "User: arn:aws:iam::012345678910:user/dave is not authorized to perform: eks:DescribeCluster on resource: arn:aws:eks:us-west-2:012345678910:cluster/prod-2")
	_, err = dave.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("dev-1")})
	testutil.WantAPIError(t, err, "AccessDeniedException", 403, "on resource: arn:aws:eks:us-west-2:012345678910:cluster/dev-1")
	_, err = dave.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("prod-1")})
	testutil.WantAPIError(t, err, "AccessDeniedException", 403, "is not authorized to perform: eks:DeleteCluster on resource: arn:aws:eks:us-west-2:012345678910:cluster/prod-1")
	_, err = dave.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("prod-1"), PrincipalArn: aws.String(roleARN)})
	testutil.WantAPIError(t, err, "AccessDeniedException", 403, "eks:DescribeAccessEntry on resource: arn:aws:eks:us-west-2:012345678910:access-entry/prod-1/role/012345678910/my-role/*")
	if out, err := dave.ListClusters(ctx, &eks.ListClustersInput{}); err != nil || len(out.Clusters) != 3 {
		t.Fatalf("ListClusters on *: %v %v", out, err)
	}
	nopol := eksAs(s, "AKIANOPOLEXAMPLE0001", "nopol-secret", "")
	_, err = nopol.ListClusters(ctx, &eks.ListClustersInput{})
	testutil.WantAPIError(t, err, "AccessDeniedException", 403, "User: arn:aws:iam::012345678910:user/nopol is not authorized to perform: eks:ListClusters on resource: *")

	// Accounts are isolated: bob (another account) sees none of these clusters.
	bob := eksAs(s, "AKIABOBEXAMPLE000001", "bob-secret", "")
	if out, err := bob.ListClusters(ctx, &eks.ListClustersInput{}); err != nil || len(out.Clusters) != 0 {
		t.Fatalf("bob's clusters: %v %v", out, err)
	}
	_, err = bob.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("prod-1")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No cluster found for name: prod-1.")
	_, err = bob.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("prod-1")})
	testutil.WantAPIError(t, err, "ResourceNotFoundException", 404, "No cluster found for name: prod-1.")
	if _, err := alice.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("prod-1")}); err != nil {
		t.Fatalf("prod-1 after bob's delete: %v", err)
	}
}

func TestSigV4AccessEntryPrincipals(t *testing.T) {
	t.Parallel()
	s := startSigV4(t)
	ctx := testutil.Ctx(t)
	alice := eksAs(s, aliceKey, aliceSecret, "")
	createCluster(t, alice, "c1")
	out, err := alice.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String(roleARN)})
	if err != nil {
		t.Fatalf("role ARN with its path: %v", err)
	}
	if got := aws.ToString(out.AccessEntry.PrincipalArn); got != roleARN {
		t.Fatalf("principalArn %s", got)
	}
	for _, arn := range []string{
		"arn:aws:iam::012345678910:role/my-role",         // the path is part of the ARN
		"arn:aws:iam::012345678910:role/team/ghost",      // no such role
		"arn:aws:iam::012345678910:user/alice",           // alice's path is /engineering/
		"arn:aws:iam::999999999999:user/engineering/bob", // unknown account
	} {
		_, err := alice.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String(arn)})
		testutil.WantAPIError(t, err, "InvalidParameterException", 400, "The specified principalArn is invalid: invalid principal.")
	}
	if _, err := alice.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String("arn:aws:iam::111122223333:user/bob")}); err != nil {
		t.Fatalf("a user of another declared account: %v", err)
	}
	// the entry ARN with its UUID is the resource of entry actions
	_, err = eksAs(s, "AKIADAVEEXAMPLE00001", "dave-secret", "").DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("c1"), PrincipalArn: aws.String(roleARN)})
	testutil.WantAPIError(t, err, "AccessDeniedException", 403, "on resource: "+aws.ToString(out.AccessEntry.AccessEntryArn))
}

func TestSigV4Reload(t *testing.T) {
	t.Parallel()
	s := startSigV4(t)
	ctx := testutil.Ctx(t)
	alice := eksAs(s, aliceKey, aliceSecret, "")
	if _, err := alice.ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatal(err)
	}
	path := s.Config.Identities
	// a broken file is refused and the loaded identities stay
	os.WriteFile(path, []byte("accounts: [{id: 1}]"), 0o600)
	if err := s.ReloadIdentities(); err == nil || !strings.Contains(err.Error(), "accounts[0].id") {
		t.Fatalf("broken reload: %v", err)
	}
	if _, err := alice.ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatal(err)
	}
	// alice's key rotated
	os.WriteFile(path, []byte(strings.Replace(sigv4Identities, "alice-secret", "alice-secret-2", 1)), 0o600)
	if err := s.ReloadIdentities(); err != nil {
		t.Fatal(err)
	}
	_, err := alice.ListClusters(ctx, &eks.ListClustersInput{})
	testutil.WantAPIError(t, err, "InvalidSignatureException", 403, "does not match")
	if _, err := eksAs(s, aliceKey, "alice-secret-2", "").ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestSigV4Config(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, err := server.Start(ctx, server.Config{Listen: "127.0.0.1:0", Auth: "sigv4"}); err == nil || !strings.Contains(err.Error(), "--identities") {
		t.Fatalf("sigv4 without identities: %v", err)
	}
	if _, err := server.Start(ctx, server.Config{Listen: "127.0.0.1:0", Auth: "kerberos"}); err == nil || !strings.Contains(err.Error(), "supported: open, sigv4") {
		t.Fatalf("unknown auth: %v", err)
	}
}
