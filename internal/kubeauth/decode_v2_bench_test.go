//go:build goexperiment.jsonv2

package kubeauth

import (
	jsonv2 "encoding/json/v2"
	"testing"
)

// encoding/json/v2 (Go 1.26: only under GOEXPERIMENT=jsonv2), with the options that come
// closest to encoding/json's decoding (case-insensitive names, invalid UTF-8 and duplicate names
// allowed).
func BenchmarkDecodeReviewV2(b *testing.B) {
	opts := []jsonv2.Options{jsonv2.MatchCaseInsensitiveNames(true)}
	b.Run("SAR/encoding-json-v2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var rv review[sarSpec]
			if err := jsonv2.Unmarshal(benchSARBody, &rv, opts...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TokenReview/encoding-json-v2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var rv review[tokenSpec]
			if err := jsonv2.Unmarshal(benchTRBody, &rv, opts...); err != nil {
				b.Fatal(err)
			}
		}
	})
}
