package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// apiClient calls eksaccess's own JSON API (/eksaccess/v1/…) of a running server, signed with
// SigV4 (service "eks"), as aws-cli signs EKS calls.
// (The explorer branch brings the full version over the standard credential chain; this one
// reads the environment's credentials.)
type apiClient struct {
	endpoint string // base URL, e.g. http://127.0.0.1:8600
	region   string
	creds    aws.Credentials
	http     *http.Client
}

// clientOptions are the flags every API-client command shares.
type clientOptions struct {
	EndpointURL string // --endpoint-url, else AWS_ENDPOINT_URL_EKS / AWS_ENDPOINT_URL
	Region      string // --region, else AWS_REGION / AWS_DEFAULT_REGION
	Profile     string // --profile, else AWS_PROFILE
}

// newAPIClient resolves credentials, region and endpoint.
func newAPIClient(_ context.Context, o clientOptions) (*apiClient, error) {
	c := &apiClient{endpoint: o.EndpointURL, region: o.Region, http: &http.Client{Timeout: 30 * time.Second}}
	for _, k := range []string{"AWS_ENDPOINT_URL_EKS", "AWS_ENDPOINT_URL"} {
		if c.endpoint == "" {
			c.endpoint = os.Getenv(k)
		}
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if c.region == "" {
			c.region = os.Getenv(k)
		}
	}
	c.creds = aws.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	switch {
	case c.endpoint == "":
		return nil, errors.New("no endpoint: pass --endpoint-url or set AWS_ENDPOINT_URL")
	case c.region == "":
		return nil, errors.New("no region: pass --region or set AWS_REGION")
	case c.creds.AccessKeyID == "" || c.creds.SecretAccessKey == "":
		return nil, errors.New("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	c.endpoint = strings.TrimRight(c.endpoint, "/")
	return c, nil
}

// get sends a signed GET of path (e.g. /eksaccess/v1/clusters/c/unused) with query and decodes
// the JSON answer into out. An AWS-style error answer becomes an error of one line:
// "<ErrorType>: <message>".
func (c *apiClient) get(ctx context.Context, path string, query url.Values, out any) error {
	u := c.endpoint + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, c.creds, req, hex.EncodeToString(empty[:]), "eks", c.region, time.Now()); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		json.Unmarshal(body, &e)
		typ := resp.Header.Get("x-amzn-ErrorType")
		if typ == "" {
			typ = resp.Status
		}
		if e.Message == "" {
			e.Message = strings.TrimSpace(string(body))
		}
		return fmt.Errorf("%s: %s", typ, e.Message)
	}
	return json.Unmarshal(body, out)
}
