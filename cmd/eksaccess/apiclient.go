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
	"github.com/aws/aws-sdk-go-v2/config"
)

// apiClient calls eksaccess's own JSON API (/eksaccess/v1/…) of a running server, signed with
// SigV4 (service "eks") from the standard AWS credential chain, as aws-cli signs EKS calls.
type apiClient struct {
	endpoint string // base URL, e.g. http://127.0.0.1:8600
	region   string
	creds    aws.CredentialsProvider
	signer   *v4.Signer
	http     aws.HTTPClient // the SDK's: honours AWS_CA_BUNDLE
}

// clientOptions are the flags every API-client command shares.
type clientOptions struct {
	EndpointURL string // --endpoint-url, else AWS_ENDPOINT_URL_EKS / AWS_ENDPOINT_URL
	Region      string // --region, else the credential chain's
	Profile     string // --profile, else AWS_PROFILE
}

// newAPIClient resolves credentials, region and endpoint.
func newAPIClient(ctx context.Context, o clientOptions) (*apiClient, error) {
	var opts []func(*config.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("no region: give --region or set AWS_REGION (or a region in the AWS config)")
	}
	endpoint := o.EndpointURL
	for _, env := range []string{"AWS_ENDPOINT_URL_EKS", "AWS_ENDPOINT_URL"} {
		if endpoint == "" {
			endpoint = os.Getenv(env)
		}
	}
	if endpoint == "" {
		return nil, errors.New("no endpoint: give --endpoint-url or set AWS_ENDPOINT_URL to the eksaccess server, e.g. http://127.0.0.1:8600")
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--endpoint-url %q: want http(s)://HOST[:PORT]", endpoint)
	}
	return &apiClient{endpoint: strings.TrimRight(endpoint, "/"), region: cfg.Region, creds: cfg.Credentials,
		signer: v4.NewSigner(), http: cfg.HTTPClient}, nil
}

// emptySHA256 is the payload hash of a GET.
var emptySHA256 = func() string { h := sha256.Sum256(nil); return hex.EncodeToString(h[:]) }()

// get sends a signed GET of path (e.g. /eksaccess/v1/clusters/c/explain) with query and decodes
// the JSON answer into out. An AWS-style error answer becomes an error of one line:
// "<ErrorType>: <message>".
func (c *apiClient) get(ctx context.Context, path string, query url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint+path, nil)
	if err != nil {
		return err
	}
	req.URL.RawQuery = query.Encode()
	if c.creds == nil {
		return errors.New("no AWS credentials found (environment, shared credentials file, or profile)")
	}
	cr, err := c.creds.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("AWS credentials: %v", err)
	}
	if err := c.signer.SignHTTP(ctx, cr, req, emptySHA256, "eks", c.region, time.Now()); err != nil {
		return fmt.Errorf("signing: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	resp, err := c.http.Do(req.WithContext(ctx))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("cannot reach %s: %v", c.endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading the answer: %v", err)
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
		return fmt.Errorf("%s: %s", typ, strings.ReplaceAll(e.Message, "\n", " "))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("the answer is not the expected JSON: %v", err)
	}
	return nil
}
