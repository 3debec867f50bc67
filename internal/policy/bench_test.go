package policy

import (
	"fmt"
	"testing"
)

// benchAssociations returns n associations in a realistic mix of policies
// and scopes. Only the last one, AmazonEKSEditPolicy on "payments", grants
// benchAllowLate; none grants benchNoOpinion, although many cover its
// namespace.
func benchAssociations(n int) []Association {
	assocs := make([]Association, 0, n)
	for i := 0; i < n-1; i++ {
		team := fmt.Sprintf("team-%d", i)
		switch i % 10 {
		case 0:
			assocs = append(assocs, clusterScoped(view))
		case 1:
			assocs = append(assocs, namespaceScoped(edit, team))
		case 2:
			assocs = append(assocs, clusterScoped(adminView))
		case 3:
			assocs = append(assocs, namespaceScoped(secretReader, team, "dev-*"))
		case 4:
			assocs = append(assocs, namespaceScoped(admin, team+"-*"))
		case 5:
			assocs = append(assocs, clusterScoped(autoNode))
		case 6:
			assocs = append(assocs, clusterScoped(hybrid))
		case 7:
			assocs = append(assocs, namespaceScoped(view, "dev-*"))
		case 8:
			assocs = append(assocs, namespaceScoped(edit, "staging-*", team))
		case 9:
			assocs = append(assocs, namespaceScoped(clusterAdmin, "sandbox-"+team))
		}
	}
	return append(assocs, namespaceScoped(edit, "payments"))
}

var (
	benchAllowLate = &Request{Verb: "create", ResourceRequest: true, APIGroup: "apps", Resource: "deployments", Name: "web", Namespace: "payments"}
	benchNoOpinion = &Request{Verb: "delete", ResourceRequest: true, Resource: "secrets", Name: "db", Namespace: "dev-a"}
)

var sinkDecision Decision

func BenchmarkAuthorize(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		s := Compile(benchAssociations(n), "aws")
		for _, c := range []struct {
			name  string
			req   *Request
			allow bool
		}{
			{"allow-late", benchAllowLate, true},
			{"no-opinion", benchNoOpinion, false},
		} {
			b.Run(fmt.Sprintf("assocs=%d/%s", n, c.name), func(b *testing.B) {
				if d := s.Authorize(c.req); d.Allowed != c.allow || c.allow && d.Association != n-1 {
					b.Fatalf("unexpected decision: %s", d.Reason())
				}
				b.ReportAllocs()
				for b.Loop() {
					sinkDecision = s.Authorize(c.req)
				}
			})
		}
	}
}
