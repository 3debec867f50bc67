package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// Malformed input gets a 4xx AWS-style error (x-amzn-ErrorType, {"message"}, a request id)
// and changes nothing.
func TestMalformedInput(t *testing.T) {
	t.Parallel()
	s, c := apiCluster(t)
	ctx := testutil.Ctx(t)
	const entries = "/clusters/my-cluster/access-entries"
	big := `{"principalArn":"arn:aws:iam::012345678910:role/big","kubernetesGroups":["` + strings.Repeat("g", 2<<20) + `"]}`
	cases := []struct {
		name, method, path, body string
		status                   int
		code, msg                string
	}{
		{"syntax error", "POST", entries, `{"principalArn": "arn:aws:iam::012345678910:role/x",`, 400, "SerializationException", "not valid JSON"},
		{"not an object", "POST", entries, `["a"]`, 400, "SerializationException", "must be a JSON object"},
		{"string for list", "POST", entries, `{"principalArn":"arn:aws:iam::012345678910:role/x","kubernetesGroups":"admins"}`, 400, "SerializationException", `"kubernetesGroups": expected a list`},
		{"number for string", "POST", entries, `{"principalArn":42}`, 400, "SerializationException", `"principalArn": expected a string`},
		{"list for map", "POST", entries, `{"principalArn":"arn:aws:iam::012345678910:role/x","tags":["a"]}`, 400, "SerializationException", `"tags": expected a map`},
		{"trailing garbage", "POST", entries, `{"principalArn":"arn:aws:iam::012345678910:role/x"} {}`, 400, "SerializationException", "Unexpected content"},
		{"unknown enum", "POST", entries, `{"principalArn":"arn:aws:iam::012345678910:role/x","type":"ROOT"}`, 400, "InvalidParameterException", `type "ROOT" is invalid`},
		{"missing required member", "POST", entries, `{}`, 400, "InvalidParameterException", "principalArn"},
		{"bad cluster member type", "POST", "/clusters", `{"name":"x","roleArn":"arn:aws:iam::012345678910:role/eks","resourcesVpcConfig":{"subnetIds":["s"]},"deletionProtection":"yes"}`, 400, "SerializationException", "deletionProtection"},
		{"bad nested type", "POST", "/clusters", `{"name":"x","roleArn":"arn:aws:iam::012345678910:role/eks","resourcesVpcConfig":{"subnetIds":"s"}}`, 400, "SerializationException", "subnetIds"},
		{"oversized body", "POST", entries, big, 413, "RequestEntityTooLargeException", "exceeds the limit"},
		{"bad query escape", "GET", entries + "?maxResults=%zz", "", 400, "InvalidParameterException", "query string is malformed"},
		{"non-numeric maxResults", "GET", entries + "?maxResults=ten", "", 400, "InvalidParameterException", "maxResults"},
		{"unknown route", "GET", "/clusters/my-cluster/widgets", "", 404, "UnknownOperationException", "No operation matches"},
		{"wrong method", "PUT", entries, "", 404, "UnknownOperationException", "No operation matches PUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := s.Raw(t, tc.method, tc.path, []byte(tc.body))
			wantAWSError(t, resp, body, tc.status, tc.code, tc.msg)
		})
	}
	list, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("my-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.AccessEntries) != 0 {
		t.Fatalf("malformed requests wrote entries: %v", list.AccessEntries)
	}
	clusters, _ := c.ListClusters(ctx, &eks.ListClustersInput{})
	if len(clusters.Clusters) != 1 {
		t.Fatalf("malformed requests wrote clusters: %v", clusters.Clusters)
	}
}

func TestUnsignedRequestRefused(t *testing.T) {
	t.Parallel()
	s := testutil.Start(t)
	req, _ := http.NewRequest("GET", s.URL()+"/clusters", nil)
	resp, body := s.Do(t, req)
	wantAWSError(t, resp, body, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")
	req, _ = http.NewRequest("GET", s.URL()+"/clusters", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=bad")
	resp, body = s.Do(t, req)
	wantAWSError(t, resp, body, 403, "IncompleteSignatureException", "Credential")
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	s, c := apiCluster(t)
	if _, err := c.ListClusters(testutil.Ctx(t), &eks.ListClustersInput{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		req, _ := http.NewRequest("GET", s.URL()+p, nil)
		resp, body := s.Do(t, req)
		if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	req, _ := http.NewRequest("GET", s.URL()+"/metrics", nil)
	resp, body := s.Do(t, req)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `eksaccess_api_requests_total{code="OK",operation="ListClusters"} 1`) ||
		!strings.Contains(string(body), `eksaccess_api_request_duration_seconds_bucket{operation="CreateCluster",result="success"`) {
		t.Fatalf("metrics: %d\n%s", resp.StatusCode, body)
	}
}

func wantAWSError(t *testing.T, resp *http.Response, body []byte, status int, code, msg string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	if got := resp.Header.Get("x-amzn-ErrorType"); got != code {
		t.Fatalf("x-amzn-ErrorType %q, want %q (%s)", got, code, body)
	}
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatal("no x-amzn-RequestId")
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("error body is not JSON: %q", body)
	}
	if s, _ := m["message"].(string); !strings.Contains(s, msg) {
		t.Fatalf("message %q, want it to contain %q", s, msg)
	}
}
