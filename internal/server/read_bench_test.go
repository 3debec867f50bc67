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
func benchRead(b *testing.B, path string, want string) { benchReadMode(b, path, want, false) }

func benchReadMode(b *testing.B, path, want string, parallel bool) {
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
	serve := func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r.Clone(ctx))
		if w.Code != 200 || !strings.Contains(w.Body.String(), want) {
			b.Errorf("status %d: %s", w.Code, w.Body) // not Fatal: RunParallel's goroutines
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	if !parallel {
		for b.Loop() {
			serve()
		}
		return
	}
	b.SetParallelism(8) // 16 goroutines on 2 CPUs, as the load harness's 16 connections
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			serve()
		}
	})
}

// Parallel: 16 concurrent readers, where views share the ReadView's change probe.
func BenchmarkDescribeClusterHandlerParallel(b *testing.B) {
	benchReadParallel(b, "/clusters/bench", `"certificateAuthority"`)
}

func BenchmarkDescribeAccessEntryHandlerParallel(b *testing.B) {
	benchReadParallel(b, "/clusters/bench/access-entries/"+strings.ReplaceAll(url.PathEscape(roleARN), ":", "%3A"), `"kubernetesGroups":["team","dev"]`)
}

func benchReadParallel(b *testing.B, path, want string) { benchReadMode(b, path, want, true) }

func BenchmarkDescribeClusterHandler(b *testing.B) {
	benchRead(b, "/clusters/bench", `"certificateAuthority"`)
}

func BenchmarkDescribeAccessEntryHandler(b *testing.B) {
	benchRead(b, "/clusters/bench/access-entries/"+strings.ReplaceAll(url.PathEscape(roleARN), ":", "%3A"), `"kubernetesGroups":["team","dev"]`)
}

func BenchmarkListAccessEntriesHandler(b *testing.B) {
	benchRead(b, "/clusters/bench/access-entries", `"accessEntries":[`)
}
