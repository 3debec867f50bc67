package kubeauth_test

import (
	"context"
	"os"
	"testing"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/eksaccess/eksaccess/internal/testutil/creds"
)

// BenchmarkOIDCAuthenticate: verifying an RS256 ID token of an ACTIVE identity provider config
// whose discovery document and keys are already fetched (the steady state).
func BenchmarkOIDCAuthenticate(b *testing.B) {
	iss := creds.NewOIDCIssuer(b)
	ca, err := os.ReadFile(iss.PKI.CAFile)
	if err != nil {
		b.Fatal(err)
	}
	client, err := kubeauth.NewOIDCClient(ca)
	if err != nil {
		b.Fatal(err)
	}
	o := &kubeauth.OIDC{Client: client}
	configs := []access.IdentityProviderConfig{{Name: "corp", Status: access.ConfigActive, Type: access.IdPTypeOIDC,
		OIDC: access.OIDCConfig{IssuerURL: iss.URL, ClientID: "kubernetes", GroupsClaim: "groups"}}}
	token := iss.Token(b, map[string]any{"sub": "jane", "aud": "kubernetes", "groups": []string{"dev", "ops"}})
	ctx := context.Background()
	if _, err := o.Authenticate(ctx, configs, token); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.Authenticate(ctx, configs, token); err != nil {
			b.Fatal(err)
		}
	}
}
