// Package testutil starts real eksaccess servers for tests and gives them real AWS SDK clients.
package testutil

import (
	"context"
	"github.com/eksaccess/eksaccess/internal/testutil/creds"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/eksaccess/eksaccess/internal/server"
)

// Server is a running eksaccess on 127.0.0.1 with its own database.
type Server struct {
	*server.Server
	Config server.Config
	PKI    *creds.PKI
	t      testing.TB
}

// EngineEnv set to "postgres" makes Start's default database a fresh schema in the test
// PostgreSQL (PostgresEnv) instead of a SQLite file: the API tests then run on PostgreSQL.
const EngineEnv = "EKSACCESS_TEST_ENGINE"

// Options tweak the server a test starts.
type Options struct {
	Database string                   // default: a fresh SQLite file in t.TempDir() (see EngineEnv)
	Mutate   func(cfg *server.Config) // last-minute config changes
	// PKI, when set, serves HTTPS with its server certificate and requires its client
	// certificate on the webhook paths; the SDK clients trust its CA.
	PKI *creds.PKI
}

// Start runs a server for the test and stops it when the test ends.
func Start(t testing.TB, o ...Options) *Server {
	t.Helper()
	var opt Options
	if len(o) > 0 {
		opt = o[0]
	}
	cfg := server.Config{
		Listen:   "127.0.0.1:0",
		Database: opt.Database,
		Logger:   Logger(t),
	}
	if cfg.Database == "" && os.Getenv(EngineEnv) == "postgres" {
		cfg.Database = PostgresSchema(t, PostgresDSN(t))
	}
	if cfg.Database == "" {
		cfg.Database = "sqlite://" + filepath.Join(t.TempDir(), "eksaccess.db")
	}
	if opt.PKI != nil {
		cfg.TLSCertFile, cfg.TLSKeyFile, cfg.ClientCAFile = opt.PKI.ServerCertFile, opt.PKI.ServerKeyFile, opt.PKI.CAFile
	}
	if opt.Mutate != nil {
		opt.Mutate(&cfg)
	}
	s, err := server.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	ts := &Server{Server: s, Config: cfg, t: t, PKI: opt.PKI}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return ts
}

// Logger sends server logs to the test log when EKSACCESS_TEST_LOG is set, else discards them.
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("EKSACCESS_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// DefaultAccount is the account of the default test credentials.
const DefaultAccount = "012345678910"

// DefaultRegion is the region of the default test clients.
const DefaultRegion = "us-west-2"

// AWSConfig returns an SDK config pointed at the server with static credentials.
func (s *Server) AWSConfig(accessKey, secret, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secret, ""),
		BaseEndpoint: aws.String(s.URL()),
		// Tests see errors as the server sent them, without retries hiding them.
		RetryMaxAttempts: 1,
		HTTPClient:       s.HTTPClient(),
	}
}

// HTTPClient is a client for the server: it trusts the test CA when the server serves HTTPS,
// and checks every successful EKS response against the EKS model's output shapes.
func (s *Server) HTTPClient() *http.Client {
	var rt http.RoundTripper = http.DefaultTransport
	if s.PKI != nil {
		rt = &http.Transport{TLSClientConfig: s.PKI.ClientTLS(false)}
	}
	return &http.Client{Transport: outputChecker{t: s.t, next: rt}}
}

// EKS is an EKS client for the default account and region.
func (s *Server) EKS() *eks.Client {
	return s.EKSAs(DefaultAccount, DefaultRegion)
}

// EKSAs is an EKS client whose access key is accessKey (the account, in open mode).
func (s *Server) EKSAs(accessKey, region string) *eks.Client {
	return eks.NewFromConfig(s.AWSConfig(accessKey, "secret", region))
}

// Ctx is a context that ends with the test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
