package testutil

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	authorizationcel "k8s.io/apiserver/pkg/authorization/cel"
	authnwebhook "k8s.io/apiserver/plugin/pkg/authenticator/token/webhook"
	authzwebhook "k8s.io/apiserver/plugin/pkg/authorizer/webhook"
	authzmetrics "k8s.io/apiserver/plugin/pkg/authorizer/webhook/metrics"
	"k8s.io/client-go/rest"
)

// Webhooks are kube-apiserver's own token-review and authorization webhook clients (v1),
// aimed at one cluster of the server (in DefaultAccount and DefaultRegion), with the client
// certificate of the server's PKI when it has one.
func (s *Server) Webhooks(t testing.TB, cluster string) (authenticator.Token, authorizer.Authorizer) {
	t.Helper()
	base := s.URL() + "/kubernetes/" + DefaultAccount + "/" + DefaultRegion + "/" + cluster + "/"
	cfg := func(path string) *rest.Config {
		c := &rest.Config{Host: base + path, QPS: -1}
		if s.PKI != nil {
			c.TLSClientConfig = rest.TLSClientConfig{CAData: s.PKI.CAPEM, CertData: s.PKI.ClientCertPEM, KeyData: s.PKI.ClientKeyPEM}
		}
		return c
	}
	b := *authnwebhook.DefaultRetryBackoff()
	b.Steps = 1
	authn, err := authnwebhook.New(cfg("authenticate"), "v1", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	authz, err := authzwebhook.New(cfg("authorize"), "v1", 0, 0, wait.Backoff(b), authorizer.DecisionNoOpinion, nil,
		"eksaccess", authzmetrics.NoopAuthorizerMetrics{}, authorizationcel.NewDefaultCompiler())
	if err != nil {
		t.Fatal(err)
	}
	return authn, authz
}
