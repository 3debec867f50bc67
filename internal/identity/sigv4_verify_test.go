package identity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/eksaccess/eksaccess/internal/access"
)

const (
	aliceKey    = "AKIAALICEEXAMPLE0001"
	aliceSecret = "alice-secret"
	aliceARN    = "arn:aws:iam::012345678910:user/engineering/alice"
	// an access-entry path: the principal ARN label is percent-encoded on the wire.
	entryPath = "/clusters/my-cluster/access-entries/arn%3Aaws%3Aiam%3A%3A012345678910%3Arole%2Fteam%2Fmy-role"
)

func testStore(t testing.TB) *Store {
	t.Helper()
	d, err := LoadFile("testdata/identities.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return NewStore(d)
}

// verifyServer runs the verifier behind a real HTTP server, as the API does, and answers
// 200 with the caller ARN or the error code.
func verifyServer(t testing.TB, v *Verifier, service string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p, _, err := v.Verify(r, body, service)
		if err != nil {
			var ae *access.Error
			errors.As(err, &ae)
			w.WriteHeader(ae.Status)
			w.Write([]byte(ae.Code + ": " + ae.Message))
			return
		}
		w.Write([]byte(p.ARN))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sdkSign(t testing.TB, req *http.Request, body []byte, key, secret, token, service string, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-west-2", at); err != nil {
		t.Fatal(err)
	}
}

// newReq builds a request whose path is sent exactly as rawPath (already escaped), as the SDK does.
func newReq(t testing.TB, method, base, rawPath string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, base+rawPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

func do(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestVerifySDKSigner(t *testing.T) {
	t.Parallel()
	st := testStore(t)
	v := &Verifier{Secrets: st}
	srv := verifyServer(t, v, "eks")
	body := []byte(`{"kubernetesGroups":["a b"]}`)
	now := time.Now()

	cases := []struct {
		name       string
		mutate     func(r *http.Request)
		key        string
		secret     string
		at         time.Time
		wantStatus int
		want       string
	}{
		{name: "ok", wantStatus: 200, want: aliceARN},
		{name: "wrong secret", secret: "nope", wantStatus: 403, want: "InvalidSignatureException: The request signature we calculated does not match"},
		{name: "unknown key", key: "AKIAUNKNOWNEXAMPLE01", wantStatus: 403, want: "UnrecognizedClientException: The security token included in the request is invalid."},
		{name: "expired date", at: now.Add(-16 * time.Minute), wantStatus: 403, want: "InvalidSignatureException: Signature expired: "},
		{name: "future date", at: now.Add(16 * time.Minute), wantStatus: 403, want: "InvalidSignatureException: Signature not yet current: "},
		{name: "within skew", at: now.Add(-14 * time.Minute), wantStatus: 200, want: aliceARN},
		{name: "body tampered", mutate: func(r *http.Request) {
			b := []byte(`{"kubernetesGroups":["a c"]}`)
			r.Body = io.NopCloser(bytes.NewReader(b))
		}, wantStatus: 403, want: "InvalidSignatureException"},
		{name: "replayed on another path", mutate: func(r *http.Request) {
			r.URL, _ = url.Parse(srv.URL + strings.Replace(entryPath, "my-cluster", "other", 1))
		}, wantStatus: 403, want: "InvalidSignatureException"},
		{name: "signed header changed", mutate: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, wantStatus: 403, want: "InvalidSignatureException"},
		{name: "query added", mutate: func(r *http.Request) { r.URL.RawQuery = "maxResults=1" }, wantStatus: 403, want: "InvalidSignatureException"},
		{name: "unsigned", mutate: func(r *http.Request) { r.Header.Del("Authorization") }, wantStatus: 403, want: "MissingAuthenticationTokenException: Missing Authentication Token"},
		{name: "token on a long-term key", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "x") }, wantStatus: 403, want: "UnrecognizedClientException"},
		{name: "wrong service", mutate: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/eks/", "/sts/", 1))
		}, wantStatus: 403, want: "InvalidSignatureException: Credential should be scoped to correct service: 'eks'."},
		{name: "bad region", mutate: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-west-2/", "/nowhere/", 1))
		}, wantStatus: 403, want: "Credential should be scoped to a valid region."},
		{name: "garbage authorization", mutate: func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 junk") }, wantStatus: 403, want: "IncompleteSignatureException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := newReq(t, http.MethodPost, srv.URL, entryPath, body)
			key, secret, at := aliceKey, aliceSecret, now
			if tc.key != "" {
				key = tc.key
			}
			if tc.secret != "" {
				secret = tc.secret
			}
			if !tc.at.IsZero() {
				at = tc.at
			}
			sdkSign(t, req, body, key, secret, "", "eks", at)
			if tc.mutate != nil {
				tc.mutate(req)
			}
			status, got := do(t, req)
			if status != tc.wantStatus || !strings.Contains(got, tc.want) {
				t.Fatalf("got %d %q, want %d %q", status, got, tc.wantStatus, tc.want)
			}
		})
	}
}

func TestVerifyCanonicalURIDoubleEncoded(t *testing.T) {
	t.Parallel()
	// What the SDK signs for a path label holding an ARN: each %XX escaped again.
	r := httptest.NewRequest(http.MethodGet, entryPath+"?b=2&a=x%20y&a=1", nil)
	got := CanonicalRequest(r, nil, "host", false)
	lines := strings.Split(got, "\n")
	if want := "/clusters/my-cluster/access-entries/arn%253Aaws%253Aiam%253A%253A012345678910%253Arole%252Fteam%252Fmy-role"; lines[1] != want {
		t.Fatalf("canonical URI %q, want %q", lines[1], want)
	}
	if want := "a=1&a=x%20y&b=2"; lines[2] != want {
		t.Fatalf("canonical query %q, want %q", lines[2], want)
	}
}

func TestVerifyPresigned(t *testing.T) {
	t.Parallel()
	st := testStore(t)
	var clock time.Time
	v := &Verifier{Secrets: st, Now: func() time.Time { return clock }}
	srv := verifyServer(t, v, "sts")
	signedAt := time.Now().UTC().Truncate(time.Second)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	q := req.URL.Query()
	q.Set("X-Amz-Expires", "60")
	req.URL.RawQuery = q.Encode()
	sum := sha256.Sum256(nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret}, req, hex.EncodeToString(sum[:]), "sts", "us-west-2", signedAt)
	if err != nil {
		t.Fatal(err)
	}
	get := func() (int, string) {
		r, _ := http.NewRequest(http.MethodGet, u, nil)
		return do(t, r)
	}
	clock = signedAt.Add(30 * time.Second)
	if s, b := get(); s != 200 || b != aliceARN {
		t.Fatalf("presigned: %d %s", s, b)
	}
	clock = signedAt.Add(61 * time.Second)
	if s, b := get(); s != 403 || !strings.Contains(b, "Request has expired") {
		t.Fatalf("presigned after expiry: %d %s", s, b)
	}
	clock = signedAt.Add(30 * time.Second)
	r, _ := http.NewRequest(http.MethodGet, strings.Replace(u, "Action=GetCallerIdentity", "Action=AssumeRole", 1), nil)
	if s, b := do(t, r); s != 403 || !strings.Contains(b, "InvalidSignatureException") {
		t.Fatalf("presigned with a changed query: %d %s", s, b)
	}
}

// TestVerifyBotocore checks requests signed by botocore (the signer of aws-cli v1 and boto3).
func TestVerifyBotocore(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(py, "-c", "import botocore").Run()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("botocore is required in CI: %v", err)
		}
		t.Skipf("botocore not available: %v", err)
	}
	st := testStore(t)
	v := &Verifier{Secrets: st}
	for _, tc := range []struct {
		name, service, method, path, body string
		presign                           int
	}{
		{"eks entry path", "eks", "POST", entryPath, `{"username":"x"}`, 0},
		{"eks query", "eks", "GET", "/clusters/my-cluster/access-entries?maxResults=10&nextToken=a%2Bb%3D", "", 0},
		{"sts form", "sts", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", 0},
		{"sts presigned", "sts", "GET", "/?Action=GetCallerIdentity&Version=2011-06-15", "", 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := verifyServer(t, v, tc.service)
			arg, _ := json.Marshal(map[string]any{"key": aliceKey, "secret": aliceSecret, "service": tc.service, "region": "us-west-2",
				"method": tc.method, "url": srv.URL + tc.path, "body": tc.body, "presign": tc.presign,
				"headers": map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}})
			out, err := exec.Command(py, "testdata/botosign.py", string(arg)).Output()
			if err != nil {
				t.Fatalf("botosign: %v", err)
			}
			var signed struct {
				Method, URL string
				Headers     map[string]string
			}
			if err := json.Unmarshal(out, &signed); err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(signed.Method, signed.URL, strings.NewReader(tc.body))
			for k, v := range signed.Headers {
				req.Header.Set(k, v)
			}
			if status, got := do(t, req); status != 200 || got != aliceARN {
				t.Fatalf("%s %s: %d %s", signed.Method, signed.URL, status, got)
			}
		})
	}
}

func TestVerifyTemporaryCredentials(t *testing.T) {
	t.Parallel()
	st := testStore(t)
	now := time.Now()
	st.SetClock(func() time.Time { return now })
	role := st.Directory().RoleByARN("arn:aws:iam::012345678910:role/team/my-role")
	sess := st.issue(role, "alice", 15*time.Minute)
	v := &Verifier{Secrets: st, Now: st.Now}
	srv := verifyServer(t, v, "eks")
	send := func(token string) (int, string) {
		req := newReq(t, http.MethodGet, srv.URL, "/clusters", nil)
		sdkSign(t, req, nil, sess.AccessKeyID, sess.Secret, token, "eks", now)
		return do(t, req)
	}
	if s, b := send(sess.Token); s != 200 || b != "arn:aws:sts::012345678910:assumed-role/my-role/alice" {
		t.Fatalf("session: %d %s", s, b)
	}
	if s, b := send(""); s != 403 || !strings.Contains(b, "UnrecognizedClientException") {
		t.Fatalf("no token: %d %s", s, b)
	}
	if s, b := send(sess.Token + "x"); s != 403 || !strings.Contains(b, "UnrecognizedClientException") {
		t.Fatalf("bad token: %d %s", s, b)
	}
	now = now.Add(16 * time.Minute)
	if s, b := send(sess.Token); s != 403 || !strings.Contains(b, "ExpiredTokenException: The security token included in the request is expired") {
		t.Fatalf("expired session: %d %s", s, b)
	}
}
