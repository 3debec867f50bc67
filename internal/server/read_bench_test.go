package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// benchRead serves one SigV4-signed GET through the server's handler in process (SigV4
// verification, model validation, IAM authorization, the store read, the JSON answer and
// the request log, without the network), b.N times, and checks every answer.
func benchRead(b *testing.B, path string, want string) {
	s := startSigV4(b)
	c := eksAs(s, aliceKey, aliceSecret, "")
	ctx := context.Background()
	createCluster(b, c, "bench")
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("bench"), PrincipalArn: aws.String(roleARN),
		KubernetesGroups: []string{"team", "dev"}, Tags: map[string]string{"team": "a"}}); err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "http://"+s.Addr()+path, nil)
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret}, r,
		hex.EncodeToString(empty[:]), "eks", testutil.DefaultRegion, time.Now()); err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r.Clone(ctx))
		if w.Code != 200 || !strings.Contains(w.Body.String(), want) {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

func BenchmarkDescribeClusterHandler(b *testing.B) {
	benchRead(b, "/clusters/bench", `"certificateAuthority"`)
}

func BenchmarkDescribeAccessEntryHandler(b *testing.B) {
	benchRead(b, "/clusters/bench/access-entries/"+strings.ReplaceAll(url.PathEscape(roleARN), ":", "%3A"), `"kubernetesGroups":["team","dev"]`)
}

func BenchmarkListAccessEntriesHandler(b *testing.B) {
	benchRead(b, "/clusters/bench/access-entries", `"accessEntries":[`)
}
