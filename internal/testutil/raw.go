package testutil

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Raw sends a hand-built request, signed with SigV4 for eks in us-west-2 as the default
// account. Only for malformed-input tests: everything else goes through real clients.
// rawPath is sent as-is (already percent-encoded).
func (s *Server) Raw(t testing.TB, method, rawPath string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+rawPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: DefaultAccount, SecretAccessKey: "secret"}
	rawQuery := req.URL.RawQuery
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "eks", DefaultRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	req.URL.RawQuery = rawQuery // the signer re-encodes the query; keep what the test wrote
	return s.Do(t, req)
}

// Do sends req and returns the response with its body read.
func (s *Server) Do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}
