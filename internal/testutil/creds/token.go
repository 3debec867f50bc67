// Package creds makes credentials for tests: EKS tokens as aws-iam-authenticator mints them and
// an OIDC issuer. It links the STS client and go-jose only, so a package whose tests need
// nothing else from testutil (kubeauth's benchmarks) need not link the server.
package creds

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// MintToken makes an EKS token as aws-iam-authenticator's Go token generator does: a presigned
// STS GetCallerIdentity URL with the x-k8s-aws-id header signed, signed at `at` (zero: now).
func MintToken(ctx context.Context, cfg aws.Config, cluster string, at time.Time) (string, error) {
	presigner := sts.NewPresignClient(sts.NewFromConfig(cfg))
	req, err := presigner.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.PresignOptions) {
		o.ClientOptions = append(o.ClientOptions, func(o *sts.Options) {
			o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("x-k8s-aws-id", cluster), addExpires(60))
		})
		if !at.IsZero() {
			o.Presigner = timedPresigner{at: at}
		}
	})
	if err != nil {
		return "", err
	}
	return "k8s-aws-v1." + base64.RawURLEncoding.EncodeToString([]byte(req.URL)), nil
}

// addExpires adds X-Amz-Expires to the query before presigning, as `aws eks get-token` does.
func addExpires(seconds int) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Build.Add(middleware.BuildMiddlewareFunc("eksaccess-expires", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			if r, ok := in.Request.(*smithyhttp.Request); ok {
				q := r.URL.Query()
				q.Set("X-Amz-Expires", strconv.Itoa(seconds))
				r.URL.RawQuery = q.Encode()
			}
			return next.HandleBuild(ctx, in)
		}), middleware.After)
	}
}

// timedPresigner presigns as if the clock said `at`.
type timedPresigner struct{ at time.Time }

func (p timedPresigner) PresignHTTP(ctx context.Context, c aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, o ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return v4.NewSigner().PresignHTTP(ctx, c, r, payloadHash, service, region, p.at, o...)
}
