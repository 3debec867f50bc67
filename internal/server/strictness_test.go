package server_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// The production deadlines are set on the listener, and are those docs/security.md states.
func TestListenerDeadlineDefaults(t *testing.T) {
	t.Parallel()
	s := testutil.Start(t)
	want := server.Timeouts{ReadHeader: 10 * time.Second, Read: 60 * time.Second, Write: 90 * time.Second, Idle: 60 * time.Second}
	if server.DefaultTimeouts != want || s.Timeouts() != want {
		t.Fatalf("deadlines %+v (defaults %+v), want %+v", s.Timeouts(), server.DefaultTimeouts, want)
	}
	// The slowest legitimate client: 1 MiB at 17 KiB/s must fit in Read, and Write covers Read.
	if slow := time.Duration(1<<20/(17<<10)) * time.Second; want.Read < slow || want.Write < want.Read {
		t.Fatalf("deadlines too short for a 1 MiB body at 17 KiB/s (%v)", slow)
	}
}

// Connections that send headers and part of a body, then stall, are dropped at the read
// deadline on every path (API, STS, webhooks), and many of them do not keep a real client out.
func TestStalledConnectionsAreDropped(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "identities.yaml")
	if err := os.WriteFile(path, []byte(sigv4Identities), 0o600); err != nil {
		t.Fatal(err)
	}
	to := server.Timeouts{ReadHeader: 500 * time.Millisecond, Read: time.Second, Write: 2 * time.Second, Idle: time.Second}
	s := testutil.Start(t, testutil.Options{Mutate: func(c *server.Config) { c.Identities, c.Timeouts = path, to }})
	ctx := testutil.Ctx(t)
	paths := []struct{ path, ct string }{
		{"/clusters", "application/json"},
		{"/", "application/x-www-form-urlencoded"},
		{"/kubernetes/012345678910/us-west-2/web/authenticate", "application/json"},
		{"/kubernetes/012345678910/us-west-2/web/authorize", "application/json"},
	}
	const perPath = 50
	var conns []net.Conn
	for i := 0; i < perPath; i++ {
		for _, p := range paths {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: 100\r\n\r\nabc", p.path, s.Addr(), p.ct)
			conns = append(conns, c)
		}
	}
	// A header that never ends is dropped too.
	slowloris, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer slowloris.Close()
	fmt.Fprintf(slowloris, "GET /clusters HTTP/1.1\r\nHost: %s\r\nX-Slow: ", s.Addr())
	conns = append(conns, slowloris)

	// Meanwhile real clients are served.
	if _, err := s.EKS().ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatalf("EKS while %d connections stall: %v", len(conns), err)
	}
	if _, err := stsAs(s, aliceKey, aliceSecret, "").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("STS while %d connections stall: %v", len(conns), err)
	}
	// Every stalled connection is closed by the server soon after its deadline.
	limit := time.Now().Add(to.Write + 3*time.Second)
	for i, c := range conns {
		c.SetReadDeadline(limit)
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection %d still open %v after the read deadline", i, to.Write+3*time.Second)
		}
	}
	// An idle keep-alive connection is closed after Idle.
	idle, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	fmt.Fprintf(idle, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", s.Addr())
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	idle.SetReadDeadline(time.Now().Add(to.Idle + 3*time.Second))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection not closed after %v: %v", to.Idle, err)
	}
}

// String members that are not valid UTF-8 are refused (400) before anything is stored: in the
// EKS API's JSON (raw bytes and unpaired surrogate escapes), path labels and query, and STS's
// form and query input.
func TestInvalidUTF8Refused(t *testing.T) {
	t.Parallel()
	s, c := apiCluster(t)
	ctx := testutil.Ctx(t)
	const entries = "/clusters/my-cluster/access-entries"
	for _, tc := range []struct{ name, method, path, body string }{
		{"username bytes", "POST", entries, "{\"principalArn\":\"arn:aws:iam::012345678910:role/x\",\"username\":\"ad\xffmin\"}"},
		{"tag key bytes", "POST", entries, "{\"principalArn\":\"arn:aws:iam::012345678910:role/x\",\"tags\":{\"k\xc3\":\"v\"}}"},
		{"group lone surrogate", "POST", entries, `{"principalArn":"arn:aws:iam::012345678910:role/x","kubernetesGroups":["a\ud800"]}`},
		{"low surrogate first", "POST", entries, `{"principalArn":"arn:aws:iam::012345678910:role/x","kubernetesGroups":["\udc00\ud800"]}`},
		{"cluster name bytes", "POST", "/clusters", "{\"name\":\"c\xfe\",\"roleArn\":\"arn:aws:iam::012345678910:role/eks\",\"resourcesVpcConfig\":{\"subnetIds\":[\"s\"]}}"},
		{"path label", "GET", "/clusters/my%FFcluster", ""},
		{"query value", "GET", entries + "?associatedPolicyArn=%C3", ""},
	} {
		resp, body := s.Raw(t, tc.method, tc.path, []byte(tc.body))
		wantAWSError(t, resp, body, 400, "SerializationException", "not valid UTF-8")
	}
	// A surrogate pair (a valid escape of U+1F600) is accepted.
	resp, body := s.Raw(t, "POST", entries, []byte(`{"principalArn":"arn:aws:iam::012345678910:role/ok","kubernetesGroups":["\ud83d\ude00"]}`))
	if resp.StatusCode != 200 {
		t.Fatalf("surrogate pair: %d %s", resp.StatusCode, body)
	}
	// (The Go SDK's JSON encoder itself replaces invalid bytes with U+FFFD, so only a hand-built
	// body carries them.) Nothing was stored.
	list, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("my-cluster")})
	if err != nil || len(list.AccessEntries) != 1 {
		t.Fatalf("entries after refused requests: %v %v", list, err)
	}
	tags, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:eks:us-west-2:012345678910:cluster/my-cluster")})
	if err != nil || len(tags.Tags) != 0 {
		t.Fatalf("tags after refused requests: %v %v", tags, err)
	}

	// STS: the SDK percent-encodes the raw bytes of a session name in its form body.
	k := startKube(t)
	_, err = stsAs(k.s, aliceKey, aliceSecret, "").AssumeRole(k.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ja\xffne")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "MalformedQueryString" || !strings.Contains(ae.ErrorMessage(), "not valid UTF-8") {
		t.Fatalf("AssumeRole with a non-UTF-8 session name: %v", err)
	}
}

// signedStep runs f on each SDK request just before it is signed (its result is signed).
func signedStep(f func(r *smithyhttp.Request)) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("test-before-signing", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if r, ok := in.Request.(*smithyhttp.Request); ok {
				f(r)
			}
			return next.HandleFinalize(ctx, in)
		}), "Signing", middleware.Before)
	}
}

// Ambiguous or contradictory signatures are refused with AWS's SigV4 errors: two Authorization
// headers (a valid one first), an Authorization header with a presigned query (both valid),
// and a signed x-amz-content-sha256 that is not the body's hash.
func TestSigV4Ambiguity(t *testing.T) {
	t.Parallel()
	s := startSigV4(t)
	ctx := testutil.Ctx(t)
	// bob's presigned GetCallerIdentity: a valid query signature of another principal
	pre, err := sts.NewPresignClient(stsAs(s, "AKIABOBEXAMPLE000001", "bob-secret", "")).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	presignedQuery := pre.URL[strings.IndexByte(pre.URL, '?')+1:]
	second := "AWS4-HMAC-SHA256 Credential=AKIABOBEXAMPLE000001/20250101/us-west-2/eks/aws4_request, SignedHeaders=host, Signature=00"
	other := sha256.Sum256([]byte(`{"name":"other"}`))
	for _, tc := range []struct {
		name     string
		opt      func(*middleware.Stack) error
		code     string
		stsCode  string
		contains string
	}{
		{"two Authorization headers", addHeader("Authorization", second), "IncompleteSignatureException", "IncompleteSignature", "Only one auth mechanism"},
		{"Authorization and presigned query", signedStep(func(r *smithyhttp.Request) {
			if r.URL.RawQuery != "" {
				r.URL.RawQuery += "&"
			}
			r.URL.RawQuery += presignedQuery
		}), "IncompleteSignatureException", "IncompleteSignature", "Only one auth mechanism"},
		{"x-amz-content-sha256 contradicting the body", signedStep(func(r *smithyhttp.Request) {
			r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(other[:]))
		}), "InvalidSignatureException", "SignatureDoesNotMatch", "x-amz-content-sha256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := eksAs(s, aliceKey, aliceSecret, "", func(o *eks.Options) { o.APIOptions = append(o.APIOptions, tc.opt) }).
				CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("amb"), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"s"}}})
			testutil.WantAPIError(t, err, tc.code, 403, tc.contains)
			_, err = stsAs(s, aliceKey, aliceSecret, "", func(o *sts.Options) { o.APIOptions = append(o.APIOptions, tc.opt) }).
				GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.stsCode || !strings.Contains(ae.ErrorMessage(), tc.contains) {
				t.Fatalf("STS: %v, want %s", err, tc.stsCode)
			}
		})
	}
	// The same request without the ambiguity is served: the matching header is accepted.
	if _, err := eksAs(s, aliceKey, aliceSecret, "", func(o *eks.Options) {
		o.APIOptions = append(o.APIOptions, signedStep(func(r *smithyhttp.Request) {
			sum := sha256.Sum256(nil)
			r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
		}))
	}).ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatalf("matching x-amz-content-sha256: %v", err)
	}
	if out, err := eksAs(s, aliceKey, aliceSecret, "").ListClusters(ctx, &eks.ListClustersInput{}); err != nil || len(out.Clusters) != 0 {
		t.Fatalf("refused CreateCluster calls created clusters: %v %v", out, err)
	}
}

// A refused token's error never echoes its bytes: it says what was wrong.
func TestTokenRefusalsDoNotEchoTheToken(t *testing.T) {
	t.Parallel()
	k := startKube(t)
	createCluster(t, k.alice, "web")
	a := k.authn(t, "web", "v1")
	enc := func(s string) string { return "k8s-aws-v1." + base64.RawURLEncoding.EncodeToString([]byte(s)) }
	good := k.token(t, aliceKey, aliceSecret, "", "web", time.Time{})
	raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(good, "k8s-aws-v1."))
	u := string(raw)
	for _, tc := range []struct{ name, token, secret string }{
		{"not a URL", enc("\x81\xaaSECRETBYTES\x00"), "SECRETBYTES"},
		{"bad escape", enc("https://sts.amazonaws.com/?Action=GetCallerIdentity&X=%zzSECRET"), "SECRET"},
		{"unknown parameter", enc(u + "&LeakMe=1"), "LeakMe"},
		{"foreign host", enc(strings.Replace(u, k.s.Addr(), "leak.example.com", 1)), "leak.example"},
		{"bad date", enc(strings.Replace(u, "X-Amz-Date=", "X-Amz-Date=LEAKDATE", 1)), "LEAKDATE"},
		{"bad credential scope", enc(strings.Replace(u, "%2Fsts%2F", "%2FLEAKSERVICE%2F", 1)), "LEAKSERVICE"},
		{"unknown key", enc(strings.Replace(u, aliceKey, "AKIALEAKEDKEY0000001", 1)), "LEAKEDKEY"},
	} {
		_, ok, err := a.AuthenticateToken(k.ctx, tc.token)
		if ok || err == nil {
			t.Errorf("%s: authenticated (%v)", tc.name, err)
			continue
		}
		if strings.Contains(err.Error(), tc.secret) || strings.Contains(err.Error(), "\\x81") {
			t.Errorf("%s: refusal echoes the token: %v", tc.name, err)
		}
	}
}
