package main_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/eksaccess/eksaccess/internal/testutil"
	"github.com/eksaccess/eksaccess/internal/testutil/creds"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	authorizationcel "k8s.io/apiserver/pkg/authorization/cel"
	authnwebhook "k8s.io/apiserver/plugin/pkg/authenticator/token/webhook"
	authzwebhook "k8s.io/apiserver/plugin/pkg/authorizer/webhook"
	authzmetrics "k8s.io/apiserver/plugin/pkg/authorizer/webhook/metrics"
	"k8s.io/client-go/rest"
)

// Several `eksaccess serve` processes sharing one PostgreSQL database.

var replicaIdentities = `
accounts:
  - id: "012345678910"
    users:
      - name: alice
        accessKeys: [{id: AKIAALICEEXAMPLE0001, secret: alice-secret}]
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["eks:*", "eksaccess:*", "sts:AssumeRole"], Resource: "*"}]}
      - name: dev
        accessKeys: [{id: AKIADEVEXAMPLE000001, secret: dev-secret}]
    roles:
      - name: operator
        trust: ["arn:aws:iam::012345678910:user/alice"]
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "eks:*", Resource: "*"}]}
` + replicaRoles()

// loadRoles is how many roles the outage test's load may create entries for: more than it
// creates before, during and shortly after the outage, so it never runs out before recovery.
const loadRoles = 5000

// replicaRoles are the roles the tests create access entries for (sigv4 accepts only
// principals that exist).
func replicaRoles() string {
	var b strings.Builder
	names := []string{"shared"}
	for i := range 10 {
		names = append(names, fmt.Sprintf("race-%d", i), fmt.Sprintf("token-%d", i))
	}
	for i := range loadRoles {
		names = append(names, fmt.Sprintf("load-%d", i))
	}
	for _, n := range names {
		fmt.Fprintf(&b, "      - {name: %s, trust: []}\n", n)
	}
	return b.String()
}

const (
	devARN     = "arn:aws:iam::012345678910:user/dev"
	viewPolicy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
)

// replica is one `eksaccess serve --auth sigv4` on the shared database, with clients.
type replica struct {
	*proc
	eks *eks.Client
}

func startReplicas(t *testing.T, dsn string, n int, extraEnv ...string) []*replica {
	t.Helper()
	dir := t.TempDir()
	ids := filepath.Join(dir, "identities.yaml")
	if err := os.WriteFile(ids, []byte(replicaIdentities), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append([]string{"EKSACCESS_DATABASE=" + dsn, "EKSACCESS_AUTH=sigv4", "EKSACCESS_IDENTITIES=" + ids}, extraEnv...)
	out := make([]*replica, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() { // at once: migrations must be safe under concurrent start
			defer wg.Done()
			p := serve(t, dir, env)
			out[i] = &replica{proc: p, eks: eks.NewFromConfig(awsConfig(p.url, "AKIAALICEEXAMPLE0001", "alice-secret"))}
		}()
	}
	wg.Wait()
	for _, r := range out {
		if r == nil {
			t.FailNow()
		}
	}
	return out
}

func awsConfig(url, key, secret string) aws.Config {
	return aws.Config{
		Region:           "us-west-2",
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1, // the tests see every answer as the server sent it
		HTTPClient:       &http.Client{Timeout: 60 * time.Second},
	}
}

// webhookClient is kube-apiserver's token-review and authorization webhook clients aimed at
// one replica, with dev's token for cluster "web".
type webhookClient struct {
	authz authorizer.Authorizer
	user  user.Info
}

func newWebhookClient(t *testing.T, ctx context.Context, r *replica, cluster string) *webhookClient {
	t.Helper()
	b := *authnwebhook.DefaultRetryBackoff()
	b.Steps = 1
	base := r.url + "/kubernetes/012345678910/us-west-2/" + cluster + "/"
	// QPS -1: no client-side rate limit (client-go allows 5/s by default), the tests poll.
	authn, err := authnwebhook.New(&rest.Config{Host: base + "authenticate", QPS: -1}, "v1", nil, b)
	if err != nil {
		t.Fatal(err)
	}
	authz, err := authzwebhook.New(&rest.Config{Host: base + "authorize", QPS: -1}, "v1", 0, 0, wait.Backoff(b), authorizer.DecisionNoOpinion, nil,
		"eksaccess", authzmetrics.NoopAuthorizerMetrics{}, authorizationcel.NewDefaultCompiler())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := creds.MintToken(ctx, awsConfig(r.url, "AKIADEVEXAMPLE000001", "dev-secret"), cluster, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// The entry may reach this replica a moment after it was written elsewhere.
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, ok, err := authn.AuthenticateToken(ctx, tok)
		if err == nil && ok {
			return &webhookClient{authz: authz, user: resp.User}
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev's token not authenticated by %s: ok=%v err=%v", r.url, ok, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// canGetPods asks the authorization webhook whether dev may get pods in default.
func (w *webhookClient) canGetPods(ctx context.Context) (bool, error) {
	d, _, err := w.authz.Authorize(ctx, authorizer.AttributesRecord{User: w.user, Verb: "get", Resource: "pods", Namespace: "default", APIVersion: "v1", ResourceRequest: true})
	return d == authorizer.DecisionAllow, err
}

// waitAllowed polls until the webhook's decision is want and returns how long it took.
func (w *webhookClient) waitAllowed(t *testing.T, ctx context.Context, want bool, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got, err := w.canGetPods(ctx)
		if err != nil {
			t.Fatalf("authorize: %v", err)
		}
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("authorization webhook still answers allowed=%v after %v", got, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func createAPICluster(t *testing.T, ctx context.Context, c *eks.Client, name string) {
	t.Helper()
	_, err := c.CreateCluster(ctx, &eks.CreateClusterInput{
		Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
		AccessConfig:       &types.CreateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "transport: " + err.Error()
	}
	return ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// atOnce runs fns concurrently, released together.
func atOnce(fns ...func()) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for _, fn := range fns {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn()
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

func TestReplicasOnPostgres(t *testing.T) {
	t.Parallel() // its own schema (or directory) and servers
	dsn := testutil.PostgresSchema(t, testutil.PostgresDSN(t))
	rs := startReplicas(t, dsn, 2, "EKSACCESS_UPDATE_DURATION=500ms")
	a, b := rs[0], rs[1]
	ctx := testutil.Ctx(t)
	createAPICluster(t, ctx, a.eks, "web")

	t.Run("same principal created on both replicas: one 200, one 409", func(t *testing.T) {
		for i := range 10 {
			principal := fmt.Sprintf("arn:aws:iam::012345678910:role/race-%d", i)
			errs := make([]error, 2)
			atOnce(
				func() {
					_, errs[0] = a.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal)})
				},
				func() {
					_, errs[1] = b.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal)})
				})
			ok, conflicts := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errorCode(err) == "ResourceInUseException" && httpStatus(err) == 409:
					conflicts++
				default:
					t.Errorf("round %d: unexpected answer %s (%d): %v", i, errorCode(err), httpStatus(err), err)
				}
			}
			if ok != 1 || conflicts != 1 {
				t.Fatalf("round %d: %d successes and %d conflicts, want 1 and 1", i, ok, conflicts)
			}
		}
	})

	t.Run("clientRequestToken holds across replicas", func(t *testing.T) {
		for i := range 10 {
			principal := fmt.Sprintf("arn:aws:iam::012345678910:role/token-%d", i)
			token := fmt.Sprintf("token-%d", i)
			outs := make([]*eks.CreateAccessEntryOutput, 2)
			errs := make([]error, 2)
			atOnce(
				func() {
					outs[0], errs[0] = a.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal), ClientRequestToken: aws.String(token)})
				},
				func() {
					outs[1], errs[1] = b.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal), ClientRequestToken: aws.String(token)})
				})
			for j, err := range errs {
				if err != nil {
					t.Fatalf("round %d, replica %d: %v", i, j, err)
				}
			}
			if x, y := aws.ToString(outs[0].AccessEntry.AccessEntryArn), aws.ToString(outs[1].AccessEntry.AccessEntryArn); x != y {
				t.Fatalf("round %d: two entries for one token: %s and %s", i, x, y)
			}
			// A different request under the same token, on the other replica, is refused.
			_, err := b.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal), ClientRequestToken: aws.String(token), KubernetesGroups: []string{"other"}})
			if errorCode(err) != "InvalidParameterException" {
				t.Fatalf("round %d: same token, different request: %v", i, err)
			}
		}
	})

	t.Run("no lost update on concurrent writes to one entry and one cluster", func(t *testing.T) {
		principal := "arn:aws:iam::012345678910:role/shared"
		if _, err := a.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal)}); err != nil {
			t.Fatal(err)
		}
		policies := []string{"AmazonEKSViewPolicy", "AmazonEKSEditPolicy", "AmazonEKSAdminPolicy", "AmazonEKSClusterAdminPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSSecretReaderPolicy"}
		cluster, err := a.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("web")})
		if err != nil {
			t.Fatal(err)
		}
		clusterARN := cluster.Cluster.Arn
		var fns []func()
		var mu sync.Mutex
		var failures []string
		fail := func(what string, err error) {
			if err != nil {
				mu.Lock()
				failures = append(failures, what+": "+err.Error())
				mu.Unlock()
			}
		}
		groups := [][]string{{"g-a"}, {"g-b"}}
		for i, p := range policies {
			r := rs[i%2]
			fns = append(fns,
				func() {
					_, err := r.eks.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal),
						PolicyArn: aws.String("arn:aws:eks::aws:cluster-access-policy/" + p), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeCluster}})
					fail("associate "+p, err)
				},
				func() {
					_, err := r.eks.TagResource(ctx, &eks.TagResourceInput{ResourceArn: clusterARN, Tags: map[string]string{fmt.Sprintf("k%d", i): "v"}})
					fail("tag", err)
				},
				func() {
					_, err := r.eks.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal), KubernetesGroups: groups[i%2]})
					fail("update entry", err)
				})
		}
		atOnce(fns...)
		if len(failures) > 0 {
			t.Fatalf("concurrent writes failed: %v", failures)
		}
		list, err := b.eks.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.AssociatedAccessPolicies) != len(policies) {
			t.Fatalf("%d policies associated, want %d: %+v", len(list.AssociatedAccessPolicies), len(policies), list.AssociatedAccessPolicies)
		}
		tags, err := b.eks.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: clusterARN})
		if err != nil {
			t.Fatal(err)
		}
		if len(tags.Tags) != len(policies) {
			t.Fatalf("cluster tags %v: want %d keys", tags.Tags, len(policies))
		}
		e, err := b.eks.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal)})
		if err != nil {
			t.Fatal(err)
		}
		if g := strings.Join(e.AccessEntry.KubernetesGroups, ","); g != "g-a" && g != "g-b" {
			t.Fatalf("groups %q: want one writer's value", g)
		}
	})

	t.Run("a write on replica A reaches replica B's authorization webhook within 1s", func(t *testing.T) {
		if _, err := a.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(devARN)}); err != nil {
			t.Fatal(err)
		}
		wb := newWebhookClient(t, ctx, b, "web")
		wb.waitAllowed(t, ctx, false, time.Second)
		var worst time.Duration
		for range 5 {
			if _, err := a.eks.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(devARN),
				PolicyArn: aws.String(viewPolicy), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeCluster}}); err != nil {
				t.Fatal(err)
			}
			worst = max(worst, wb.waitAllowed(t, ctx, true, time.Second))
			if _, err := a.eks.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(devARN), PolicyArn: aws.String(viewPolicy)}); err != nil {
				t.Fatal(err)
			}
			worst = max(worst, wb.waitAllowed(t, ctx, false, time.Second))
		}
		t.Logf("slowest propagation A → B webhook: %v", worst)
	})

	t.Run("credentials from AssumeRole on replica A work on replica B", func(t *testing.T) {
		out, err := sts.NewFromConfig(awsConfig(a.url, "AKIAALICEEXAMPLE0001", "alice-secret")).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::012345678910:role/operator"), RoleSessionName: aws.String("ops")})
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credentials
		cfg := awsConfig(b.url, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey))
		cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
		id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := aws.ToString(id.Arn), "arn:aws:sts::012345678910:assumed-role/operator/ops"; got != want {
			t.Fatalf("caller on B: %s, want %s", got, want)
		}
		if _, err := eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("web")}); err != nil {
			t.Fatalf("EKS call on B with A's session: %v", err)
		}
		// A wrong session token is still refused.
		cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), "forged")
		_, err = eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("web")})
		if errorCode(err) != "UnrecognizedClientException" {
			t.Fatalf("forged token on B: %v", err)
		}
	})

	t.Run("each update is completed by exactly one replica", func(t *testing.T) {
		var ids []string
		for i := range 6 {
			name := fmt.Sprintf("upd-%d", i)
			r := rs[i%2]
			createAPICluster(t, ctx, r.eks, name)
			out, err := r.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String(name), DeletionProtection: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, aws.ToString(out.Update.Id))
		}
		deadline := time.Now().Add(30 * time.Second)
		for i, id := range ids {
			for {
				out, err := rs[(i+1)%2].eks.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String(fmt.Sprintf("upd-%d", i)), UpdateId: aws.String(id)})
				if err != nil {
					t.Fatal(err)
				}
				if out.Update.Status == types.UpdateStatusSuccessful {
					break
				}
				if out.Update.Status != types.UpdateStatusInProgress || time.Now().After(deadline) {
					t.Fatalf("update %s: %s", id, out.Update.Status)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
		// Stop both replicas (their logs are complete then) and count completions.
		for _, r := range rs {
			r.stop(t)
		}
		var completions []string
		for _, id := range ids {
			n := 0
			for _, r := range rs {
				for _, line := range strings.Split(r.logs.String(), "\n") {
					if strings.Contains(line, "cluster update completed") && strings.Contains(line, "update_id="+id) {
						n++
					}
				}
			}
			if n != 1 {
				completions = append(completions, fmt.Sprintf("%s: %d", id, n))
			}
		}
		sort.Strings(completions)
		if len(completions) > 0 {
			t.Fatalf("updates not completed exactly once: %v", completions)
		}
	})
}

// TestReplicasSurvivePostgresOutage stops the database under load: the API answers 503
// ServiceUnavailableException without hanging, /readyz reports the database, the webhooks keep
// answering from their index; when the database returns everything recovers without a restart
// and no acknowledged write is lost.
func TestReplicasSurvivePostgresOutage(t *testing.T) {
	pg := testutil.StartPrivatePostgres(t)
	rs := startReplicas(t, pg.DSN, 2)
	a, b := rs[0], rs[1]
	ctx := testutil.Ctx(t)
	createAPICluster(t, ctx, a.eks, "web")
	if _, err := a.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(devARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.eks.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(devARN),
		PolicyArn: aws.String(viewPolicy), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeCluster}}); err != nil {
		t.Fatal(err)
	}
	wb := newWebhookClient(t, ctx, b, "web")
	wb.waitAllowed(t, ctx, true, time.Second)

	// Load: both replicas create entries, one principal per request, until told to stop.
	type result struct {
		principal string
		code      string
		status    int
		took      time.Duration
		at        time.Time
		err       error
	}
	var mu sync.Mutex
	var results []result
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	next := 0
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rs[w%2]
			for {
				select {
				case <-stopLoad:
					return
				default:
				}
				mu.Lock()
				if next >= loadRoles { // the load runs until stopLoad, after recovery
					mu.Unlock()
					return
				}
				principal := fmt.Sprintf("arn:aws:iam::012345678910:role/load-%d", next)
				next++
				mu.Unlock()
				start := time.Now()
				_, err := r.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(principal)})
				res := result{principal: principal, code: errorCode(err), status: httpStatus(err), took: time.Since(start), at: time.Now(), err: err}
				mu.Lock()
				results = append(results, res)
				mu.Unlock()
				if err != nil {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	readyz := func(r *replica) int {
		resp, err := http.Get(r.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	time.Sleep(300 * time.Millisecond)
	stoppedAt := time.Now()
	pg.Stop()
	time.Sleep(1500 * time.Millisecond)
	for _, r := range rs {
		if got := readyz(r); got != http.StatusServiceUnavailable {
			t.Errorf("/readyz of %s during the outage: %d, want 503", r.url, got)
		}
	}
	// The webhooks answer from their index while the database is away.
	for range 5 {
		if ok, err := wb.canGetPods(ctx); err != nil || !ok {
			t.Fatalf("authorization webhook during the outage: allowed=%v err=%v", ok, err)
		}
	}
	pg.Start()
	restartedAt := time.Now()
	for _, r := range rs {
		deadline := time.Now().Add(30 * time.Second)
		for readyz(r) != http.StatusOK {
			if time.Now().After(deadline) {
				t.Fatalf("%s not ready 30s after the database returned\n%s", r.url, r.logs)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	time.Sleep(500 * time.Millisecond) // some load after recovery
	close(stopLoad)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	var acked []string
	unavailable, afterRecovery := 0, 0
	for _, res := range results {
		switch {
		case res.code == "":
			acked = append(acked, res.principal)
			if res.at.After(restartedAt) {
				afterRecovery++
			}
		case res.code == "ServiceUnavailableException" && res.status == 503:
			unavailable++
			if res.at.Before(stoppedAt) {
				t.Errorf("503 before the database stopped: %v", res.err)
			}
		default:
			t.Errorf("unexpected answer during the outage: %+v", res)
		}
		if res.took > 15*time.Second {
			t.Errorf("request hung for %v: %+v", res.took, res)
		}
	}
	t.Logf("%d requests: %d acknowledged (%d after recovery), %d answered 503", len(results), len(acked), afterRecovery, unavailable)
	if unavailable == 0 {
		t.Fatal("no request answered 503 while the database was stopped")
	}
	if afterRecovery == 0 {
		t.Fatal("no request succeeded after the database returned")
	}
	// Nothing acknowledged is lost; both replicas see the same entries.
	for _, r := range rs {
		var listed []string
		p := eks.NewListAccessEntriesPaginator(r.eks, &eks.ListAccessEntriesInput{ClusterName: aws.String("web")})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			listed = append(listed, out.AccessEntries...)
		}
		have := map[string]bool{}
		for _, l := range listed {
			have[l] = true
		}
		for _, p := range acked {
			if !have[p] {
				t.Errorf("%s: acknowledged entry %s lost", r.url, p)
			}
		}
	}
	// The change feed reconnected: a write on A reaches B's webhook again.
	if _, err := a.eks.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: aws.String("web"), PrincipalArn: aws.String(devARN), PolicyArn: aws.String(viewPolicy)}); err != nil {
		t.Fatal(err)
	}
	wb.waitAllowed(t, ctx, false, time.Second)
}
