package creds

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// OIDCIssuer is an OpenID Connect issuer over HTTPS on 127.0.0.1 with its own CA: discovery,
// a JWKS with the current signing key, and key rotation.
type OIDCIssuer struct {
	URL string
	PKI *PKI // CAFile is what eksaccess must trust (--oidc-ca-file)

	mu   sync.Mutex
	key  *rsa.PrivateKey
	kid  string
	keys []jose.JSONWebKey // published public keys
	seq  int
	// JWKSFetches counts key set downloads.
	JWKSFetches atomic.Int64
}

// NewOIDCIssuer starts an issuer for the test with a CA of its own (PKI), or, given a serving
// certificate for 127.0.0.1, with that certificate (PKI is then nil).
func NewOIDCIssuer(t testing.TB, cert ...tls.Certificate) *OIDCIssuer {
	t.Helper()
	iss := &OIDCIssuer{}
	iss.Rotate(t, false)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss.URL, "jwks_uri": iss.URL + "/keys",
			"authorization_endpoint": iss.URL + "/auth", "token_endpoint": iss.URL + "/token",
			"response_types_supported": []string{"id_token"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		iss.JWKSFetches.Add(1)
		iss.mu.Lock()
		set := jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), iss.keys...)}
		iss.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(set)
	})
	ts := httptest.NewUnstartedServer(mux)
	if len(cert) == 0 {
		iss.PKI = NewPKI(t)
		c, err := tls.LoadX509KeyPair(iss.PKI.ServerCertFile, iss.PKI.ServerKeyFile)
		if err != nil {
			t.Fatal(err)
		}
		cert = append(cert, c)
	}
	ts.TLS = &tls.Config{Certificates: cert}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	iss.URL = ts.URL
	return iss
}

// Rotate makes a new signing key. With keepOld the old key stays published (a rollover);
// without, tokens signed by the old key no longer verify once eksaccess refetches the keys.
func (iss *OIDCIssuer) Rotate(t testing.TB, keepOld bool) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.seq++
	iss.key, iss.kid = key, "key-"+strconv.Itoa(iss.seq)
	pub := jose.JSONWebKey{Key: &key.PublicKey, KeyID: iss.kid, Algorithm: string(jose.RS256), Use: "sig"}
	if keepOld {
		iss.keys = append(iss.keys, pub)
	} else {
		iss.keys = []jose.JSONWebKey{pub}
	}
}

// Token signs claims with the current key. Standard claims default to: iss the issuer, iat
// now, exp in an hour; a claim set to nil is removed.
func (iss *OIDCIssuer) Token(t testing.TB, claims map[string]any) string {
	t.Helper()
	now := time.Now()
	c := map[string]any{"iss": iss.URL, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	iss.mu.Lock()
	key, kid := iss.key, iss.kid
	iss.mu.Unlock()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
