package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/eksaccess/eksaccess/internal/identity"
)

var creds = aws.Credentials{AccessKeyID: benchKey, SecretAccessKey: benchSec}

// signed is a SigV4-signed request kept as parts, so that it can be sent again (pre-signed
// pools keep the generator's own signing cost out of the measured phase; the server verifies
// every signature as always).
type signed struct {
	method, url string
	header      http.Header
	body        []byte
}

func (s *signed) request() *http.Request {
	r, _ := http.NewRequest(s.method, s.url, bytes.NewReader(s.body))
	r.Header = s.header.Clone()
	return r
}

// escapeARN escapes a principal ARN as one path segment, as the SDKs do.
func escapeARN(s string) string {
	return strings.NewReplacer(":", "%3A").Replace(url.PathEscape(s))
}

func sign(base, method, path, query string, body []byte) *signed {
	u := base + path
	if query != "" {
		u += "?" + query
	}
	r, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "eks", region, time.Now()); err != nil {
		panic(err)
	}
	return &signed{method: method, url: u, header: r.Header, body: body}
}

func pool(n int, f func(i int) *signed) []*signed {
	out := make([]*signed, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func cycle(name string, p []*signed) op {
	return op{name: name, make: func(i int) *http.Request { return p[i%len(p)].request() }, check: want200, wrk: p}
}

func once(name string, p []*signed) op {
	return op{name: name, make: func(i int) *http.Request {
		if i >= len(p) {
			return nil
		}
		return p[i].request()
	}, check: want200}
}

func describeOp(base string, pick func(i int) (cluster, principal string)) op {
	return cycle("DescribeAccessEntry", pool(4096, func(i int) *signed {
		cl, p := pick(i)
		return sign(base, "GET", "/clusters/"+cl+"/access-entries/"+escapeARN(p), "", nil)
	}))
}

func describeClusterOp(base string, pick func(i int) string) op {
	return cycle("DescribeCluster", pool(4096, func(i int) *signed { return sign(base, "GET", "/clusters/"+pick(i), "", nil) }))
}

func listOp(base, cluster string) op {
	first := func() *signed {
		return sign(base, "GET", "/clusters/"+cluster+"/access-entries", "maxResults=100", nil)
	}
	return op{name: "ListAccessEntries (pages of 100)", make: func(int) *http.Request { return first().request() }, check: want200, wrk: []*signed{first()},
		next: func(body []byte) *http.Request {
			var out struct {
				NextToken string `json:"nextToken"`
			}
			if json.Unmarshal(body, &out) != nil || out.NextToken == "" {
				return nil
			}
			return sign(base, "GET", "/clusters/"+cluster+"/access-entries", "maxResults=100&nextToken="+url.QueryEscape(out.NextToken), nil).request()
		}}
}

// mintToken makes an `aws eks get-token` token for the bench user: a presigned STS
// GetCallerIdentity for the server's own address with x-k8s-aws-id signed. Different signing
// times and X-Amz-Expires values make distinct tokens.
func mintToken(host, cluster string, at time.Time, expires int) string {
	r, _ := http.NewRequest("GET", "http://"+host+"/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires="+fmt.Sprint(expires), nil)
	r.Header.Set("x-k8s-aws-id", cluster)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sts", region, at)
	if err != nil {
		panic(err)
	}
	return "k8s-aws-v1." + base64.RawURLEncoding.EncodeToString([]byte(u))
}

func tokenReview(base, cluster, token string) *signed {
	body := []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + token + `","audiences":["https://kubernetes.default.svc"]}}`)
	return &signed{method: "POST", url: base + "/kubernetes/" + account + "/" + region + "/" + cluster + "/authenticate",
		header: http.Header{"Content-Type": {"application/json"}}, body: body}
}

func wantBody(sub string) func(int, []byte) error {
	return func(status int, body []byte) error {
		if status != 200 || !bytes.Contains(body, []byte(sub)) {
			return fmt.Errorf("status %d, want %s: %.300s", status, sub, body)
		}
		return nil
	}
}

// sar is the SubjectAccessReview kube-apiserver sends for a principal the token webhook
// authenticated (a role through its session "bench"), asking for `get pods` in namespace ns:
// the user name and groups are those the webhook issues for the seeded entries.
func sar(base, cluster, principal, ns string) *signed {
	kind, name := "role", principal[strings.LastIndexByte(principal, '/')+1:]
	prefix, arn, session, group := "AROA", "arn:aws:sts::"+account+":assumed-role/"+name+"/bench", "bench", "team"
	if strings.Contains(principal, ":user/") {
		kind, prefix, arn, session, group = "user", "AIDA", principal, "", "devs"
	}
	id := identity.UniqueID(prefix, account, kind, "/", name, 0)
	extra, _ := json.Marshal(map[string][]string{"arn": {arn}, "canonicalArn": {principal}, "principalId": {id},
		"sessionName": {session}, "accessKeyId": {benchKey}, "sigs.k8s.io/aws-iam-authenticator/principalId": {id}})
	body := []byte(`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"resourceAttributes":{"namespace":"` + ns +
		`","verb":"get","group":"","resource":"pods","version":"v1"},"user":"` + arn + `","uid":"aws-iam-authenticator:` + account + ":" + id +
		`","groups":["` + group + `","system:authenticated"],"extra":` + string(extra) + `}}`)
	return &signed{method: "POST", url: base + "/kubernetes/" + account + "/" + region + "/" + cluster + "/authorize",
		header: http.Header{"Content-Type": {"application/json"}}, body: body}
}

// sarOp asks about random entries of the clusters pick chooses; every answer must allow.
func sarOp(base string, pick func(i int) (cluster string, entry int)) op {
	p := pool(8192, func(i int) *signed {
		cl, e := pick(i)
		if e < 0 {
			return sar(base, cl, benchUser, "payments")
		}
		return sar(base, cl, seedRole(e), fmt.Sprintf("team-%d", e%50))
	})
	return op{name: "SubjectAccessReview", make: func(i int) *http.Request { return p[i%len(p)].request() }, check: wantBody(`"allowed":true`), wrk: p}
}

// report is the run's outcome.
type report struct {
	machine  string
	cfg      config
	ceilings []result
	// wrkCeilings are the ceilings measured by wrk, at the same points as ceilings.
	wrkCeilings []result
	rows        []row
	notes       []string
}

type row struct {
	scenario string
	// ceil is the ceiling of the row: the mean of the ceiling measured just before its
	// scenario and just after it (the machine's load drifts over a run).
	ceil int
	result
	wrk *result // the same operation driven by wrk, when it was
}

// rowCeiling is the mean of the ceilings (of one client) measured just before and after x's
// scenario.
func rowCeiling(ceilings []result, x row) float64 {
	if x.ceil+1 < len(ceilings) {
		return (ceilings[x.ceil].Throughput + ceilings[x.ceil+1].Throughput) / 2
	}
	return meanCeiling(ceilings)
}

func meanCeiling(ceilings []result) float64 {
	var sum float64
	for _, c := range ceilings {
		sum += c.Throughput
	}
	if len(ceilings) == 0 {
		return 0
	}
	return sum / float64(len(ceilings))
}

func (r *report) ceiling() float64 { return meanCeiling(r.ceilings) }

func (r *report) failed() bool {
	for _, x := range r.rows {
		if x.Errors > 0 || x.Ops == 0 || x.wrk != nil && (x.wrk.Errors > 0 || x.wrk.Ops == 0) {
			return true
		}
	}
	for _, c := range r.wrkCeilings {
		if c.Errors > 0 || c.Ops == 0 {
			return true
		}
	}
	return false
}

func (r *report) print(w io.Writer) {
	ceil := r.ceiling()
	fmt.Fprintf(w, "\nmachine: %s\n", r.machine)
	fmt.Fprintf(w, "concurrency %d, %s per measurement\n", r.cfg.concurrency, r.cfg.duration)
	for i, c := range r.ceilings {
		fmt.Fprintf(w, "ceiling run %d (trivial net/http JSON handler): %.0f/s p50 %s p99 %s, server CPU %s per request\n", i+1, c.Throughput, ms(c.P50), ms(c.P99), us(c.CPUPerOp))
	}
	fmt.Fprintf(w, "ceiling (mean): %.0f/s; each row's ratio is to the mean of the ceilings measured just before and after its scenario\n", ceil)
	for i, c := range r.wrkCeilings {
		fmt.Fprintf(w, "wrk ceiling run %d: %.0f/s p50 %s p99 %s, server CPU %s per request\n", i+1, c.Throughput, ms(c.P50), ms(c.P99), us(c.CPUPerOp))
	}
	if wc := meanCeiling(r.wrkCeilings); wc > 0 {
		fmt.Fprintf(w, "wrk ceiling (mean): %.0f/s; the Go client reaches %.2f of it on the ceiling (the rest is the Go client's own cost on the shared CPUs)\n", wc, ceil/wc)
		fmt.Fprintln(w, "wrk columns: the same pre-signed requests replayed by wrk (a listing: its first page only; a review: any 2xx counts), each ratio to wrk's own ceiling")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| scenario | operation | conc | rate | ops | errors | throughput/s | ceiling/s | ratio to ceiling | p50 ms | p99 ms | p99.9 ms | server CPU µs/op | wrk/s | wrk ceiling/s | wrk ratio | wrk p50 ms | wrk p99 ms | wrk server CPU µs/op |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, x := range r.rows {
		rate := "max"
		if x.Rate > 0 {
			rate = fmt.Sprintf("%.0f/s", x.Rate)
		}
		rc := rowCeiling(r.ceilings, x)
		wcols := "| | | | | |"
		if x.wrk != nil {
			wc := rowCeiling(r.wrkCeilings, x)
			wcols = fmt.Sprintf("%.0f | %.0f | %.2f | %s | %s | %s |", x.wrk.Throughput, wc, x.wrk.Throughput/wc, ms(x.wrk.P50), ms(x.wrk.P99), us(x.wrk.CPUPerOp))
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %d | %d | %.0f | %.0f | %.2f | %s | %s | %s | %s | %s\n", x.scenario, x.Name, x.Concurrency, rate, x.Ops, x.Errors,
			x.Throughput, rc, x.Throughput/rc, ms(x.P50), ms(x.P99), ms(x.P999), us(x.CPUPerOp), wcols)
	}
	fmt.Fprintln(w)
	for _, n := range r.notes {
		fmt.Fprintln(w, "- "+n)
	}
	for _, x := range r.rows {
		if x.Errors > 0 {
			fmt.Fprintf(w, "- %s %s: %d errors, first: %s\n", x.scenario, x.Name, x.Errors, x.FirstError)
		}
		if x.wrk != nil && x.wrk.Errors > 0 {
			fmt.Fprintf(w, "- %s %s (wrk): %d errors: %s\n", x.scenario, x.Name, x.wrk.Errors, x.wrk.FirstError)
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

// us renders a CPU time per request in microseconds; "?" when unknown.
func us(d time.Duration) string {
	if d <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f", float64(d)/float64(time.Microsecond))
}

func benchRun(ctx context.Context, c config, log io.Writer) (*report, error) {
	rep := &report{machine: machine(), cfg: c}
	say := func(format string, args ...any) {
		if !c.quiet {
			fmt.Fprintf(log, format+"\n", args...)
		}
	}
	ceil, ceilURL, err := startCeiling()
	if err != nil {
		return nil, err
	}
	defer ceil.stop()
	client := newClient(max(c.concurrency, c.writeConc))
	ceilingOp := op{name: "ceiling", make: func(i int) *http.Request {
		r, _ := http.NewRequest("POST", ceilURL+"/", strings.NewReader(`{"name":"bench"}`))
		r.Header.Set("Content-Type", "application/json")
		return r
	}, check: want200}
	var w *wrk
	if c.wrk != "" {
		w = &wrk{path: c.wrk, dir: c.dir}
	}
	wrkCeiling := []*signed{{method: "POST", url: ceilURL + "/", header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`{"name":"bench"}`)}}
	// wrk's ceiling is measured before every scenario up to just after the last one wrk
	// measures: each wrk row's ratio needs the ceilings on either side of its scenario.
	lastWrk := -1
	for i, sc := range c.scenarios {
		if slices.Contains(c.wrkScenarios, sc) {
			lastWrk = i
		}
	}
	var ceilErr error
	measureCeiling := func() {
		pid := ceil.cmd.Process.Pid
		res := withCPU(pid, func() result { return run(ctx, client, ceilingOp, c.concurrency, c.duration, 0) })
		say("ceiling: %.0f/s (errors %d %s)", res.Throughput, res.Errors, res.FirstError)
		rep.ceilings = append(rep.ceilings, res)
		if w != nil && len(rep.wrkCeilings) <= lastWrk+1 {
			var err error
			wres := withCPU(pid, func() (r result) { r, err = w.run(ctx, "ceiling", wrkCeiling, c.concurrency, c.wrkDuration); return r })
			if err != nil && ceilErr == nil {
				ceilErr = err
			}
			say("wrk ceiling: %.0f/s (errors %d %s)", wres.Throughput, wres.Errors, wres.FirstError)
			rep.wrkCeilings = append(rep.wrkCeilings, wres)
		}
	}
	measureCeiling()
	if ceilErr != nil {
		return nil, ceilErr
	}

	identities := filepath.Join(c.dir, "identities.yaml")
	if err := writeIdentities(identities, c.createRoles); err != nil {
		return nil, err
	}
	for i, sc := range c.scenarios {
		if i > 0 {
			measureCeiling()
		}
		sw := w
		if !slices.Contains(c.wrkScenarios, sc) {
			sw = nil
		}
		if err := scenario(ctx, c, sc, identities, client, sw, rep, say); err != nil {
			return nil, fmt.Errorf("scenario %s: %w", sc, err)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	measureCeiling()
	if ceilErr != nil {
		return nil, ceilErr
	}
	return rep, nil
}

func scenario(ctx context.Context, c config, sc, identities string, client *http.Client, w *wrk, rep *report, say func(string, ...any)) error {
	dbPath := filepath.Join(c.dir, sc+".db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(dbPath + suffix)
	}
	dsn := "sqlite://" + dbPath
	var clusters []clusterSpec
	switch sc {
	case "small":
		clusters = []clusterSpec{{"bench-10", 10}, {"bench-list", 1000}}
		for i := 0; i < c.createCluster; i++ {
			clusters = append(clusters, clusterSpec{Name: fmt.Sprintf("bench-create-%d", i)})
		}
	case "large":
		clusters = []clusterSpec{{"bench-large", c.largeEntries}}
	case "many":
		for i := 0; i < c.manyClusters; i++ {
			clusters = append(clusters, clusterSpec{fmt.Sprintf("bench-m-%04d", i), c.manyEntries})
		}
	case "recording":
		clusters = []clusterSpec{{"bench-10", 10}}
	default:
		return fmt.Errorf("unknown scenario (want small, large, many or recording)")
	}
	t0 := time.Now()
	if err := seed(ctx, dsn, clusters); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	say("%s: seeded %d clusters in %s", sc, len(clusters), time.Since(t0).Round(time.Millisecond))
	perEntry, entries, loadTook, err := indexHeap(ctx, dsn)
	if err != nil {
		return err
	}
	rep.notes = append(rep.notes, fmt.Sprintf("%s: webhook index of %d entries holds %.0f bytes of heap per entry (loaded in-process in %s)", sc, entries, perEntry, loadTook.Round(time.Millisecond)))

	serveDSN := dsn
	if c.dsnOptions != "" {
		serveDSN += "?" + c.dsnOptions
	}
	if sc == "recording" {
		return recordingScenario(ctx, c, serveDSN, identities, client, rep, say)
	}
	srv, base, pprofAddr, startup, err := startServer(ctx, c, sc, serveDSN, identities)
	if err != nil {
		return err
	}
	defer srv.stop()
	rep.notes = append(rep.notes, fmt.Sprintf("%s: eksaccess start-up with %d entries in %d clusters: %s (exec to first healthy /healthz)", sc, entries, len(clusters), startup.Round(time.Millisecond)))
	say("%s: server up in %s", sc, startup.Round(time.Millisecond))
	host := strings.TrimPrefix(base, "http://")

	var wrkErr error
	measureAt := func(o op, rate float64, conc int) result {
		var stopProf func()
		if pprofAddr != "" {
			stopProf = profile(pprofAddr, filepath.Join(c.profileDir, sc+"-"+fileName(o.name)+".pprof"), c.duration)
		}
		pid := srv.cmd.Process.Pid
		res := withCPU(pid, func() result { return run(ctx, client, o, conc, c.duration, rate) })
		if stopProf != nil {
			stopProf()
		}
		x := row{scenario: sc, ceil: len(rep.ceilings) - 1, result: res}
		say("%s %s: %.0f/s p50 %s p99 %s errors %d %s", sc, res.Name, res.Throughput, ms(res.P50), ms(res.P99), res.Errors, res.FirstError)
		if w != nil && o.wrk != nil && rate == 0 && wrkErr == nil {
			if pprofAddr != "" {
				stopProf = profile(pprofAddr, filepath.Join(c.profileDir, sc+"-"+fileName(o.name)+"-wrk.pprof"), c.wrkDuration)
			}
			var err error
			wres := withCPU(pid, func() (r result) { r, err = w.run(ctx, o.name, o.wrk, conc, c.wrkDuration); return r })
			if pprofAddr != "" {
				stopProf()
			}
			if err != nil {
				wrkErr = err
			} else {
				x.wrk = &wres
				say("%s %s (wrk): %.0f/s p50 %s p99 %s errors %d %s", sc, o.name, wres.Throughput, ms(wres.P50), ms(wres.P99), wres.Errors, wres.FirstError)
			}
		}
		rep.rows = append(rep.rows, x)
		return res
	}
	measure := func(o op, rate float64) result { return measureAt(o, rate, c.concurrency) }
	writeConc := c.writeConc
	if writeConc <= 0 {
		writeConc = c.concurrency
	}

	rng := rand.New(rand.NewPCG(1, 2))
	switch sc {
	case "small":
		measure(describeOp(base, func(i int) (string, string) {
			if i%10 == 0 {
				return "bench-10", benchUser
			}
			return "bench-10", seedRole(i%10 - 1)
		}), 0)
		measure(describeClusterOp(base, func(int) string { return "bench-10" }), 0)
		measure(listOp(base, "bench-list"), 0)
		tok := mintToken(host, "bench-10", time.Now(), 900)
		measure(op{name: "TokenReview (cached token)", make: func(int) *http.Request { return tokenReview(base, "bench-10", tok).request() },
			check: wantBody(`"authenticated":true`), wrk: []*signed{tokenReview(base, "bench-10", tok)}}, 0)
		toks := make([]string, c.tokens)
		now := time.Now()
		for i := range toks {
			toks[i] = mintToken(host, "bench-10", now.Add(-time.Duration(i/600)*time.Second), 900-i%600)
		}
		measure(op{name: "TokenReview (uncached: each token once)", make: func(i int) *http.Request {
			if i >= len(toks) {
				return nil
			}
			return tokenReview(base, "bench-10", toks[i]).request()
		}, check: wantBody(`"authenticated":true`)}, 0)
		sarSmall := func() op {
			return sarOp(base, func(i int) (string, int) { return "bench-10", i%10 - 1 })
		}
		sat := measure(sarSmall(), 0)
		half := sarSmall()
		half.name = "SubjectAccessReview at half the saturating rate"
		measure(half, sat.Throughput/2)
		assoc := cycle("AssociateAccessPolicy", pool(4096, func(i int) *signed {
			body, _ := json.Marshal(map[string]any{"policyArn": policyARN(seedPolicies[i%3]),
				"accessScope": map[string]any{"type": "namespace", "namespaces": []string{fmt.Sprintf("ns-%d", i%7)}}})
			return sign(base, "POST", "/clusters/bench-10/access-entries/"+escapeARN(seedRole(i%9))+"/access-policies", "", body)
		}))
		assoc.wrk = nil // writes: the Go client only
		measureAt(assoc, 0, writeConc)
		n := c.createRoles * c.createCluster
		measureAt(once("CreateAccessEntry", pool(n, func(i int) *signed {
			body, _ := json.Marshal(map[string]any{"principalArn": fmt.Sprintf("arn:aws:iam::%s:role/cr-%d", account, i/c.createCluster),
				"kubernetesGroups": []string{"team"}, "clientRequestToken": fmt.Sprintf("bench-%d", i)})
			return sign(base, "POST", "/clusters/"+fmt.Sprintf("bench-create-%d", i%c.createCluster)+"/access-entries", "", body)
		})), 0, writeConc)
		measureAt(once("CreateCluster", pool(c.newClusters, func(i int) *signed {
			return sign(base, "POST", "/clusters", "", createClusterBody(i))
		})), 0, writeConc)
	case "large":
		measure(describeOp(base, func(int) (string, string) { return "bench-large", seedRole(rng.IntN(c.largeEntries - 1)) }), 0)
		measure(sarOp(base, func(int) (string, int) { return "bench-large", rng.IntN(c.largeEntries - 1) }), 0)
	case "many":
		measure(describeOp(base, func(int) (string, string) {
			return fmt.Sprintf("bench-m-%04d", rng.IntN(c.manyClusters)), seedRole(rng.IntN(c.manyEntries - 1))
		}), 0)
		measure(describeClusterOp(base, func(int) string { return fmt.Sprintf("bench-m-%04d", rng.IntN(c.manyClusters)) }), 0)
		measure(sarOp(base, func(int) (string, int) {
			return fmt.Sprintf("bench-m-%04d", rng.IntN(c.manyClusters)), rng.IntN(c.manyEntries - 1)
		}), 0)
	}
	return wrkErr
}

func fileName(s string) string {
	s, _, _ = strings.Cut(s, " ")
	return s
}

// profile collects a CPU profile of the server for d into path; the returned func waits for it.
func profile(addr, path string, d time.Duration) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := int(d / time.Second)
		if secs < 1 {
			secs = 1
		}
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs))
		if err != nil {
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(path)
		if err != nil {
			return
		}
		io.Copy(f, resp.Body)
		f.Close()
	}()
	return func() { <-done }
}

// createClusterBody is the i-th measured CreateCluster, as aws-sdk-go-v2 sends it: a distinct
// name, the required roleArn and resourcesVpcConfig, accessConfig, a version and the
// clientRequestToken the SDK fills in (a UUID) when the caller gives none.
func createClusterBody(i int) []byte {
	body, _ := json.Marshal(map[string]any{
		"name":               fmt.Sprintf("bench-new-%d", i),
		"roleArn":            "arn:aws:iam::" + account + ":role/eks-cluster",
		"version":            "1.31",
		"resourcesVpcConfig": map[string]any{"subnetIds": []string{fmt.Sprintf("subnet-%017x", 2*i), fmt.Sprintf("subnet-%017x", 2*i+1)}},
		"accessConfig":       map[string]any{"authenticationMode": "API_AND_CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": true},
		"clientRequestToken": fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", i, i>>16&0xffff, i&0xfff, i>>12&0xfff, i),
	})
	return body
}
