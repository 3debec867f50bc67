package kubeauth

import (
	"context"
	"testing"
)

// FuzzBearerToken: any bearer token, JWT-shaped or not, is refused without a panic when no
// identity provider config can verify it.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"a.b.c", "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3gifQ.sig", "..", "k8s-aws-v1.x", "e30.e30.e30"} {
		f.Add(s)
	}
	o := &OIDC{}
	f.Fuzz(func(t *testing.T, token string) {
		if u, err := o.Authenticate(context.Background(), nil, token); u != nil || err == nil {
			t.Fatalf("authenticated %v", u)
		}
	})
}

// FuzzAWSAuthManifest: aws-auth data either parses or is an error, never a panic.
func FuzzAWSAuthManifest(f *testing.F) {
	f.Add([]byte("data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/x\n      username: x\n"))
	f.Add([]byte(`{"kind":"ConfigMap","data":{"mapAccounts":"- \"111122223333\""}}`))
	f.Add([]byte("mapUsers: \"- userarn: [\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseAWSAuthManifest(b)
		if err == nil && m == nil {
			t.Fatal("nil map without an error")
		}
	})
}
