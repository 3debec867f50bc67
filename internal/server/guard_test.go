package server_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// rebound is an EKS client that names host in its endpoint (and so in Host) but connects to
// the test server: what a DNS-rebinding page, or a client given another name, looks like.
func rebound(s *testutil.Server, host, key, secret string) aws.Config {
	_, port, _ := net.SplitHostPort(s.Addr())
	cfg := cfgFor(s, key, secret, "")
	scheme := "http://"
	if s.PKI != nil {
		scheme = "https://"
	}
	cfg.BaseEndpoint = aws.String(scheme + host + ":" + port)
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, s.Addr())
	}}
	if s.PKI != nil {
		tr.TLSClientConfig = s.PKI.ClientTLS(false)
		tr.TLSClientConfig.ServerName = "127.0.0.1"
	}
	cfg.HTTPClient = &http.Client{Transport: tr}
	return cfg
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

// Open mode trusts every caller that reaches it, so it refuses what only a web page (or a
// DNS-rebinding one) sends: a foreign Host, an Origin of another site, Sec-Fetch-Site
// cross-site, the content types a page may post cross-site, credentials in a POST's query.
func TestOpenModeRefusesBrowsers(t *testing.T) {
	t.Parallel()
	s := testutil.Start(t, testutil.Options{Mutate: func(c *server.Config) { c.EndpointHosts = []string{"eks.test"} }})
	ctx := testutil.Ctx(t)
	c := s.EKS()
	createCluster(t, c, "dev")

	// DNS rebinding: the real SDK under a foreign name is refused; under --endpoint-hosts it works.
	_, err := eks.NewFromConfig(rebound(s, "evil.example", testutil.DefaultAccount, "x")).ListClusters(ctx, &eks.ListClustersInput{})
	wantCode(t, "Host evil.example", err, "AccessDeniedException")
	if _, err := eks.NewFromConfig(rebound(s, "eks.test", testutil.DefaultAccount, "x")).ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatalf("Host eks.test (--endpoint-hosts): %v", err)
	}
	if _, err := eks.NewFromConfig(rebound(s, "localhost", testutil.DefaultAccount, "x")).ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatalf("Host localhost: %v", err)
	}

	// The attack of the issue: a cross-site text/plain form post creating an entry, and variants
	// that each keep only one of its browser traits.
	const entry = `{"principalArn":"arn:aws:iam::012345678910:role/evil"}`
	creds := "?X-Amz-Credential=012345678910%2F20250101%2Fus-west-2%2Feks%2Faws4_request"
	for _, tc := range []struct {
		name, query, ct string
		hdr             map[string]string
		status          int
		code, msg       string
	}{
		{"cross-site text/plain form post", creds, "text/plain", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, 403, "AccessDeniedException", "web browsers"},
		{"Origin alone", creds, "application/json", map[string]string{"Origin": "http://evil.example"}, 403, "AccessDeniedException", "Origin"},
		{"Origin null", creds, "application/json", map[string]string{"Origin": "null"}, 403, "AccessDeniedException", "Origin"},
		{"Sec-Fetch-Site alone", creds, "application/json", map[string]string{"Sec-Fetch-Site": "same-site"}, 403, "AccessDeniedException", "Sec-Fetch-Site"},
		{"text/plain alone", creds, "text/plain;charset=UTF-8", nil, 400, "BadRequestException", "Content-Type"},
		{"form alone", creds, "application/x-www-form-urlencoded", nil, 400, "BadRequestException", "Content-Type"},
		{"multipart alone", creds, "multipart/form-data; boundary=x", nil, 400, "BadRequestException", "Content-Type"},
		{"query credentials on a POST", creds, "application/json", nil, 400, "BadRequestException", "presigned GET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.URL()+"/clusters/dev/access-entries"+tc.query, strings.NewReader(entry))
			req.Header.Set("Content-Type", tc.ct)
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			resp, body := s.Do(t, req)
			wantAWSError(t, resp, body, tc.status, tc.code, tc.msg)
		})
	}
	// The same for associating AmazonEKSClusterAdminPolicy, and for a foreign Host by hand.
	req, _ := http.NewRequest("POST", s.URL()+"/clusters/dev/access-entries/arn%3Aaws%3Aiam%3A%3A012345678910%3Arole%2Fevil/access-policies"+creds,
		strings.NewReader(`{"policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy","accessScope":{"type":"cluster"}}`))
	req.Header.Set("Content-Type", "text/plain")
	resp, body := s.Do(t, req)
	wantAWSError(t, resp, body, 400, "BadRequestException", "Content-Type")
	req, _ = http.NewRequest("GET", s.URL()+"/clusters", nil)
	req.Host = "attacker.example:80"
	resp, body = s.Do(t, req)
	wantAWSError(t, resp, body, 403, "AccessDeniedException", "Host")

	// Nothing was created; same-origin requests (Sec-Fetch-Site none or same-origin, Origin of
	// this server) and presigned GETs still work.
	list, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("dev")})
	if err != nil || len(list.AccessEntries) != 0 { // open mode without identities: no creator entry
		t.Fatalf("entries after the attacks: %v %v", list, err)
	}
	for _, hdr := range []map[string]string{{"Sec-Fetch-Site": "none"}, {"Sec-Fetch-Site": "same-origin", "Origin": s.URL()}} {
		req, _ = http.NewRequest("GET", s.URL()+"/clusters"+creds, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if resp, body := s.Do(t, req); resp.StatusCode != 200 {
			t.Errorf("same-origin %v: %d %s", hdr, resp.StatusCode, body)
		}
	}
}

// With AllowAnyHost (open mode on all interfaces of a container) any Host is accepted unless
// --endpoint-hosts names some, and browsers stay refused, same-origin ones included (a
// rebinding page is same-origin).
func TestAllowAnyHost(t *testing.T) {
	t.Parallel()
	ctx := testutil.Ctx(t)
	any := testutil.Start(t, testutil.Options{Mutate: func(c *server.Config) { c.AllowAnyHost = true }})
	if _, err := eks.NewFromConfig(rebound(any, "eksaccess.svc", testutil.DefaultAccount, "x")).ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatalf("any Host: %v", err)
	}
	req, _ := http.NewRequest("GET", any.URL()+"/clusters", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, body := any.Do(t, req)
	wantAWSError(t, resp, body, 403, "AccessDeniedException", "web browsers")

	named := testutil.Start(t, testutil.Options{Mutate: func(c *server.Config) { c.AllowAnyHost, c.EndpointHosts = true, []string{"eksaccess.svc"} }})
	if _, err := eks.NewFromConfig(rebound(named, "eksaccess.svc", testutil.DefaultAccount, "x")).ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatalf("Host in --endpoint-hosts: %v", err)
	}
	_, err := eks.NewFromConfig(rebound(named, "localhost", testutil.DefaultAccount, "x")).ListClusters(ctx, &eks.ListClustersInput{})
	wantCode(t, "Host localhost, not in --endpoint-hosts", err, "AccessDeniedException")
}

// In sigv4 mode the Origin rule applies (it costs nothing: AWS clients never send one); Host is
// covered by the signature, so a signed request under another name is served.
func TestSigV4RefusesBrowsers(t *testing.T) {
	t.Parallel()
	s := startSigV4(t)
	ctx := testutil.Ctx(t)
	if _, err := eks.NewFromConfig(rebound(s, "eks.internal", aliceKey, aliceSecret)).ListClusters(ctx, &eks.ListClustersInput{}); err != nil {
		t.Fatalf("signed request under another name: %v", err)
	}
	origin := func(o *eks.Options) { o.APIOptions = append(o.APIOptions, addHeader("Origin", "http://evil.example")) }
	_, err := eksAs(s, aliceKey, aliceSecret, "", origin).ListClusters(ctx, &eks.ListClustersInput{})
	wantCode(t, "EKS with Origin", err, "AccessDeniedException")
	_, err = stsAs(s, aliceKey, aliceSecret, "", func(o *sts.Options) {
		o.APIOptions = append(o.APIOptions, addHeader("Sec-Fetch-Site", "cross-site"))
	}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("STS with Sec-Fetch-Site cross-site: %v", err)
	}
}

// Paths Go's ServeMux would redirect (307 with an HTML body) get the API's JSON error.
func TestUncleanPathsGetJSONErrors(t *testing.T) {
	t.Parallel()
	s, _ := apiCluster(t)
	for _, p := range []string{"//clusters", "/clusters//access-entries", "/clusters/my-cluster//access-entries", "/clusters/./my-cluster",
		"/clusters/x/../my-cluster", "/clusters/my-cluster/access-entries/..", "/./clusters", "/kubernetes/012345678910/us-west-2/my-cluster/../x/authorize"} {
		for _, m := range []string{"GET", "POST"} {
			resp, body := s.Raw(t, m, p, nil)
			if bytes.Contains(bytes.ToLower(body), []byte("<a href")) || strings.Contains(resp.Header.Get("Content-Type"), "html") {
				t.Errorf("%s %s: HTML answer %d %s", m, p, resp.StatusCode, body)
			}
			wantAWSError(t, resp, body, 404, "UnknownOperationException", "No operation matches")
		}
	}
}

// addHeader adds a header to SDK requests after they are signed.
func addHeader(k, v string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("test-add-header", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if r, ok := in.Request.(*smithyhttp.Request); ok {
				r.Header.Add(k, v)
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	}
}
