package identity

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAALICEEXAMPLE0001/20240101/us-west-2/eks/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd")
	f.Add("AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=, Signature=")
	f.Add("AWS4-HMAC-SHA256 ,,,===")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err == nil && a.Credential.AccessKeyID == "" {
			t.Fatalf("accepted an empty access key: %q", h)
		}
		// the whole verification path must not panic on any header either
		r := httptest.NewRequest(http.MethodGet, "/clusters?x=%zz&"+"a", nil)
		r.Header.Set("Authorization", h)
		r.Header.Set("X-Amz-Date", "20240101T000000Z")
		v := &Verifier{Secrets: fuzzStore}
		v.Verify(r, []byte(h), "eks")
	})
}

func FuzzPresignedQuery(f *testing.F) {
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAALICEEXAMPLE0001%2F20240101%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
	f.Add("X-Amz-Signature=&&&=")
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.RawQuery = q
		v := &Verifier{Secrets: fuzzStore}
		v.Verify(r, nil, "sts")
	})
}

var fuzzStore = func() *Store {
	d, err := LoadFile("testdata/identities.yaml")
	if err != nil {
		panic(err)
	}
	return NewStore(d)
}()
