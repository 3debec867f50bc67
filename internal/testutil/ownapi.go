package testutil

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// OwnAnswer is an answer of eksaccess's own API (/eksaccess/v1/…).
type OwnAnswer struct {
	Status    int
	ErrorType string // x-amzn-ErrorType of an error answer
	Message   string // its message
	Body      []byte
}

// SignedGet sends a GET of eksaccess's own API signed with SigV4 (service eks) by the AWS
// SDK's signer, as the CLI sends it.
func SignedGet(ctx context.Context, hc *http.Client, baseURL, region, key, secret, path string, query url.Values) (*OwnAnswer, error) {
	return SignedGetRaw(ctx, hc, baseURL, region, key, secret, path, query.Encode())
}

// SignedGetRaw is SignedGet with the query string as given.
func SignedGetRaw(ctx context.Context, hc *http.Client, baseURL, region, key, secret, path, rawQuery string) (*OwnAnswer, error) {
	u := baseURL + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, req, hex.EncodeToString(empty[:]), "eks", region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	a := &OwnAnswer{Status: resp.StatusCode, ErrorType: resp.Header.Get("x-amzn-ErrorType"), Body: body}
	if a.Status != http.StatusOK {
		var m struct {
			Message string `json:"message"`
		}
		json.Unmarshal(body, &m)
		a.Message = m.Message
	}
	return a, nil
}

// OwnGet is SignedGet against the test server in DefaultRegion; a 200 answer is decoded into
// out (when not nil).
func (s *Server) OwnGet(t testing.TB, key, secret, path string, query url.Values, out any) *OwnAnswer {
	t.Helper()
	a, err := SignedGet(Ctx(t), s.HTTPClient(), s.URL(), DefaultRegion, key, secret, path, query)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if a.Status == http.StatusOK && out != nil {
		if err := json.Unmarshal(a.Body, out); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, a.Body)
		}
	}
	return a
}

// String is the answer in one line, for failure messages.
func (a *OwnAnswer) String() string {
	return fmt.Sprintf("%d %s %s", a.Status, a.ErrorType, a.Body)
}
