package identity

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkVerify measures the verification of one SDK-signed EKS request whose path holds an
// encoded principal ARN (the common access-entry call).
func BenchmarkVerify(b *testing.B) {
	st := testStore(b)
	now := time.Now()
	body := []byte(`{"principalArn":"arn:aws:iam::012345678910:role/team/my-role","kubernetesGroups":["dev"]}`)
	req := httptest.NewRequest(http.MethodPost, entryPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.0")
	sdkSign(b, req, body, aliceKey, aliceSecret, "", "eks", now)
	v := &Verifier{Secrets: st, Now: func() time.Time { return now }}
	if _, _, err := v.Verify(req, body, "eks"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := v.Verify(req, body, "eks"); err != nil {
			b.Fatal(err)
		}
	}
}
