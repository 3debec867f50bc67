package kubeauth

import (
	"encoding/json"
	authnv1 "k8s.io/api/authentication/v1"
	"testing"
)

// The decoders of a SubjectAccessReview and a TokenReview as kube-apiserver sends them
// (decode_v2_bench_test.go adds encoding/json/v2 under GOEXPERIMENT=jsonv2).
var (
	benchSARBody = []byte(reviewSeeds[0])
	benchTRBody  = []byte(`{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"token":"k8s-aws-v1.` +
		string(make1K()) + `","audiences":["https://kubernetes.default.svc"]},"status":{"user":{}}}`)
)

func make1K() []byte {
	b := make([]byte, 1400)
	for i := range b {
		b[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"[i%64]
	}
	return b
}

func BenchmarkDecodeReview(b *testing.B) {
	b.Run("SAR/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var rv review[sarSpec]
			if err := json.Unmarshal(benchSARBody, &rv); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SAR/fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var rv review[sarSpec]
			if !fastSAR(benchSARBody, &rv) {
				b.Fatal("declined")
			}
		}
	})
	b.Run("TokenReview/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var rv review[tokenSpec]
			if err := json.Unmarshal(benchTRBody, &rv); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TokenReview/fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var rv review[tokenSpec]
			if !fastTokenReview(benchTRBody, &rv) {
				b.Fatal("declined")
			}
		}
	})
}

type tokenSpec = authnv1.TokenReviewSpec
