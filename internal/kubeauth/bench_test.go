package kubeauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/activity"
	"github.com/eksaccess/eksaccess/internal/identity"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/eksaccess/eksaccess/internal/store/sqlite"
	"github.com/eksaccess/eksaccess/internal/testutil/creds"
)

const benchIdentities = `
accounts:
  - id: "012345678910"
    users:
      - name: alice
        accessKeys: [{id: AKIAALICEEXAMPLE0001, secret: alice-secret}]
`

// benchEnv is the webhooks over a SQLite store with `entries` access entries (alice's among
// them, with 10 policy associations) and a token for alice.
type benchEnv struct {
	mux   *http.ServeMux
	token string
	tv    *kubeauth.TokenVerifier
}

// recordings are the two ways the benchmarks run: without a Recorder (as before activity
// recording existed) and with internal/activity's, so that one run compares them.
var recordings = []string{"off", "on"}

func newBenchEnv(b *testing.B, entries int, recording string) *benchEnv {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	var rec *activity.Recorder
	if recording == "on" {
		if rec, err = activity.New(activity.Config{Store: st, FlushInterval: time.Second}); err != nil {
			b.Fatal(err)
		}
		rec.Start()
		b.Cleanup(func() { rec.Stop(context.Background()) })
	}
	dir, err := identity.ParseFile([]byte(benchIdentities))
	if err != nil {
		b.Fatal(err)
	}
	ids := identity.NewStore(dir)
	ix := kubeauth.NewIndex(st)
	if rec != nil {
		ix.SetRecorder(rec)
	}
	svc := access.NewService(&access.Notifying{Store: st, OnCommit: func(cs []string) { ix.Refresh(ctx, cs) }})
	c := access.Caller{Account: "012345678910", Region: "us-west-2"}
	if _, err := svc.CreateCluster(ctx, c, access.CreateClusterInput{Name: "web", RoleARN: "arn:aws:iam::012345678910:role/eks",
		ResourcesVPCConfig: &access.VPCConfigInput{}, AccessConfig: &access.AccessConfigInput{AuthenticationMode: aws.String(access.ModeAPI)}}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < entries-1; i++ {
		if _, err := svc.CreateAccessEntry(ctx, c, access.CreateAccessEntryInput{ClusterName: "web", PrincipalARN: fmt.Sprintf("arn:aws:iam::012345678910:role/r-%d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	const alice = "arn:aws:iam::012345678910:user/alice"
	if _, err := svc.CreateAccessEntry(ctx, c, access.CreateAccessEntryInput{ClusterName: "web", PrincipalARN: alice, KubernetesGroups: []string{"devs"}}); err != nil {
		b.Fatal(err)
	}
	for i, p := range []string{"AmazonEKSSecretReaderPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSAdminPolicy", "AmazonEKSHybridPolicy", "AmazonEKSAutoNodePolicy",
		"AmazonEKSClusterAdminPolicy", "AmazonEKSViewPolicy", "AmazonEKSEditPolicy", "AmazonEKSNetworkingPolicy", "AmazonEKSComputePolicy"} {
		scope := &access.AccessScopeInput{Type: aws.String("namespace"), Namespaces: []string{fmt.Sprintf("team-%d-*", i)}}
		if p == "AmazonEKSEditPolicy" {
			scope.Namespaces = []string{"payments"}
		}
		if _, err := svc.AssociateAccessPolicy(ctx, c, access.AssociateAccessPolicyInput{ClusterName: "web", PrincipalARN: alice,
			PolicyARN: "arn:aws:eks::aws:cluster-access-policy/" + p, AccessScope: scope}); err != nil && !strings.Contains(err.Error(), "service-linked") {
			b.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.NotFoundHandler()) // only its host:port names the STS endpoint
	b.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-west-2", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("AKIAALICEEXAMPLE0001", "alice-secret", "")}
	tok, err := creds.MintToken(ctx, cfg, "web", time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	tv := &kubeauth.TokenVerifier{Local: &identity.Verifier{Secrets: ids, TokenMode: true}, LocalHost: func(h string) bool { return h == host }, Standing: ids.Standing}
	mux := http.NewServeMux()
	kubeauth.NewWebhooks(ix, tv, nil, nil).Register(mux, nil)
	return &benchEnv{mux: mux, token: tok, tv: tv}
}

func (e *benchEnv) post(b *testing.B, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/kubernetes/012345678910/us-west-2/web/"+path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
	}
	return rec
}

func (e *benchEnv) tokenReview() string {
	return `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + e.token + `","audiences":["https://kubernetes.default.svc"]}}`
}

func BenchmarkTokenReview(b *testing.B) {
	for _, entries := range []int{10, 1000} {
		for _, recording := range recordings {
			benchTokenReview(b, entries, recording)
		}
	}
}

func benchTokenReview(b *testing.B, entries int, recording string) {
	e := newBenchEnv(b, entries, recording)
	b.Run(fmt.Sprintf("cached/entries=%d/recording=%s", entries, recording), func(b *testing.B) {
		body := e.tokenReview()
		e.post(b, "authenticate", body)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			e.post(b, "authenticate", body)
		}
	})
	b.Run(fmt.Sprintf("uncached/entries=%d/recording=%s", entries, recording), func(b *testing.B) {
		body := e.tokenReview()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			e.tv.ResetCache()
			e.post(b, "authenticate", body)
		}
	})
}

// sar authenticates alice's token and returns a maker of her SubjectAccessReviews, as
// kube-apiserver sends them after the token review.
func (e *benchEnv) sar(b *testing.B) func(verb, group, resource, ns string) string {
	rec := e.post(b, "authenticate", e.tokenReview())
	var tr struct {
		Status struct {
			User struct {
				Username string              `json:"username"`
				UID      string              `json:"uid"`
				Extra    map[string][]string `json:"extra"`
			} `json:"user"`
		} `json:"status"`
	}
	json.Unmarshal(rec.Body.Bytes(), &tr)
	u := tr.Status.User
	extra, _ := json.Marshal(u.Extra)
	return func(verb, group, resource, ns string) string {
		return `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"resourceAttributes":{"namespace":"` + ns +
			`","verb":"` + verb + `","group":"` + group + `","resource":"` + resource + `"},"user":"` + u.Username + `","uid":"` + u.UID +
			`","groups":["devs","system:authenticated"],"extra":` + string(extra) + `}}`
	}
}

func BenchmarkAuthorize(b *testing.B) {
	for _, entries := range []int{10, 1000} {
		for _, recording := range recordings {
			benchAuthorize(b, entries, recording)
		}
	}
}

func benchAuthorize(b *testing.B, entries int, recording string) {
	e := newBenchEnv(b, entries, recording)
	sar := e.sar(b)
	for _, tc := range []struct{ name, body, want string }{
		{"allow", sar("create", "apps", "deployments", "payments"), `"allowed":true`},
		{"no-opinion", sar("delete", "", "secrets", "prod"), `"allowed":false`},
	} {
		if got := e.post(b, "authorize", tc.body).Body.String(); !strings.Contains(got, tc.want) {
			b.Fatalf("%s: %s", tc.name, got)
		}
		b.Run(fmt.Sprintf("%s/entries=%d/recording=%s", tc.name, entries, recording), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				e.post(b, "authorize", tc.body)
			}
		})
	}
}

// BenchmarkRecordingOverhead runs the same reviews with recording off and on in alternating
// chunks of 50 (the machine's drift falls on both alike) and reports each one's CPU time per
// review (the process's user+system time: less disturbed than wall time by the other
// processes of a shared machine) and their ratio (on/off): the cost of activity recording on
// the hot path.
func BenchmarkRecordingOverhead(b *testing.B) {
	envs := map[string]*benchEnv{"off": newBenchEnv(b, 1000, "off"), "on": newBenchEnv(b, 1000, "on")}
	bodies := map[string]map[string]string{}
	for mode, e := range envs {
		bodies[mode] = map[string]string{"authenticate": e.tokenReview(), "authorize": e.sar(b)("create", "apps", "deployments", "payments")}
	}
	for _, path := range []string{"authenticate", "authorize"} {
		b.Run(path, func(b *testing.B) {
			const chunk = 50
			var spent = map[string]time.Duration{}
			n := 0
			for n < b.N {
				for _, mode := range recordings {
					e, body := envs[mode], bodies[mode][path]
					start := cpuTime()
					for i := 0; i < chunk; i++ {
						e.post(b, path, body)
					}
					spent[mode] += cpuTime() - start
				}
				n += chunk
			}
			off, on := float64(spent["off"])/float64(n), float64(spent["on"])/float64(n)
			b.ReportMetric(off, "off-cpu-ns/op")
			b.ReportMetric(on, "on-cpu-ns/op")
			b.ReportMetric(on/off, "on/off")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
