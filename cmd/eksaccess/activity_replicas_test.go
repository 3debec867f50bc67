package main_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/activity"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

// ownGet calls a replica's own API as alice.
func ownGet(t *testing.T, ctx context.Context, r *replica, path string, q url.Values, out any) {
	t.Helper()
	a, err := testutil.SignedGet(ctx, http.DefaultClient, r.url, "us-west-2", "AKIAALICEEXAMPLE0001", "alice-secret", path, q)
	if err != nil || a.Status != 200 {
		t.Fatalf("GET %s on %s: %v %v", path, r.url, a, err)
	}
	if err := json.Unmarshal(a.Body, out); err != nil {
		t.Fatal(err)
	}
}

// newest returns the time of a replica's newest decision of dev with the verdict.
func newest(t *testing.T, ctx context.Context, r *replica, verdict string) activity.Epoch {
	t.Helper()
	var out activity.DecisionsOutput
	ownGet(t, ctx, r, "/eksaccess/v1/decisions", url.Values{"cluster": {"act"}, "principal": {devARN}, "verdict": {verdict}, "limit": {"1"}}, &out)
	if len(out.Decisions) != 1 {
		t.Fatalf("%s: no %s decision of dev: %+v", r.url, verdict, out)
	}
	return activity.Epoch(out.Decisions[0].Time.UnixMilli())
}

// Two replicas each decide a request of dev's: each replica's decision log holds its own, and
// both report the same last use, the later of the two, once their batches are written.
func TestActivityMergedAcrossReplicas(t *testing.T) {
	t.Parallel() // its own schema (or directory) and servers
	dsn := testutil.PostgresSchema(t, testutil.PostgresDSN(t))
	rs := startReplicas(t, dsn, 2, "EKSACCESS_ACTIVITY_FLUSH=100ms")
	a, b := rs[0], rs[1]
	ctx := testutil.Ctx(t)
	createAPICluster(t, ctx, a.eks, "act")
	if _, err := a.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("act"), PrincipalArn: aws.String(devARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.eks.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String("act"), PrincipalArn: aws.String(devARN),
		PolicyArn: aws.String(viewPolicy), AccessScope: &types.AccessScope{Type: types.AccessScopeTypeCluster}}); err != nil {
		t.Fatal(err)
	}
	wa := newWebhookClient(t, ctx, a, "act")
	wb := newWebhookClient(t, ctx, b, "act")
	wa.waitAllowed(t, ctx, true, 5*time.Second)
	time.Sleep(5 * time.Millisecond) // the two decisions a few milliseconds apart
	wb.waitAllowed(t, ctx, true, 5*time.Second)

	wantAllowed := max(newest(t, ctx, a, "allowed"), newest(t, ctx, b, "allowed"))
	wantAuth := max(newest(t, ctx, a, "authenticated"), newest(t, ctx, b, "authenticated"))
	if newest(t, ctx, a, "allowed") == newest(t, ctx, b, "allowed") {
		t.Fatal("the replicas' decisions have the same time; the merge is not tested")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got [2]activity.EntryActivity
		for i, r := range rs {
			var out activity.ClusterActivityOutput
			ownGet(t, ctx, r, "/eksaccess/v1/clusters/act/activity", nil, &out)
			for _, e := range out.AccessEntries {
				if e.PrincipalARN == devARN {
					got[i] = e
				}
			}
		}
		same := true
		for _, e := range got {
			same = same && e.LastAllowedAt == wantAllowed && e.LastAuthenticatedAt == wantAuth && e.LastAllowedBy == viewPolicy &&
				len(e.Associations) == 1 && e.Associations[0].LastAllowedAt == wantAllowed
		}
		if same {
			t.Logf("both replicas: last authenticated %v, last allowed %v by %s", wantAuth.Time(), wantAllowed.Time(), viewPolicy)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas disagree or lag: a %+v, b %+v; want allowed %v, authenticated %v", got[0], got[1], wantAllowed, wantAuth)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The unused and decisions commands against a running server: tables, -o json, and one-line
// errors with a non-zero exit.
func TestUnusedAndDecisionsCommands(t *testing.T) {
	t.Parallel() // its own schema (or directory) and servers
	dir := t.TempDir()
	ids := dir + "/identities.yaml"
	if err := os.WriteFile(ids, []byte(replicaIdentities), 0o600); err != nil {
		t.Fatal(err)
	}
	p := serve(t, dir, []string{"EKSACCESS_DATABASE=sqlite://" + dir + "/e.db", "EKSACCESS_AUTH=sigv4", "EKSACCESS_IDENTITIES=" + ids})
	r := &replica{proc: p, eks: eks.NewFromConfig(awsConfig(p.url, "AKIAALICEEXAMPLE0001", "alice-secret"))}
	ctx := testutil.Ctx(t)
	createAPICluster(t, ctx, r.eks, "act")
	if _, err := r.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("act"), PrincipalArn: aws.String(devARN)}); err != nil {
		t.Fatal(err)
	}
	newWebhookClient(t, ctx, r, "act").waitAllowed(t, ctx, false, time.Second) // dev authenticates; no policy allows
	cli := func(args ...string) (string, string, int) {
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+p.url, "AWS_ACCESS_KEY_ID=AKIAALICEEXAMPLE0001", "AWS_SECRET_ACCESS_KEY=alice-secret", "AWS_REGION=us-west-2")
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return out.String(), errb.String(), code
	}
	// alice's creator entry was never used; dev's was (it authenticated).
	out, errs, code := cli("unused", "--cluster", "act", "--days", "30")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "KIND") || !strings.Contains(lines[1], "entry        arn:aws:iam::012345678910:user/alice") ||
		!strings.Contains(lines[2], "association  arn:aws:iam::012345678910:user/alice  AmazonEKSClusterAdminPolicy  cluster  never") {
		t.Fatalf("unused: %d %q %s", code, out, errs)
	}
	var u activity.Unused
	out, _, code = cli("unused", "--cluster", "act", "-o", "json")
	if err := json.Unmarshal([]byte(out), &u); err != nil || code != 0 || len(u.AccessEntries) != 1 || !u.AccessEntries[0].NeverUsed {
		t.Fatalf("unused -o json: %v %s", err, out)
	}
	out, _, code = cli("decisions", "--cluster", "act", "--principal", "user/dev", "--verdict", "no_opinion")
	if code != 0 || !strings.Contains(out, `get pods in namespace "default"  no_opinion  eksaccess: no access policy is associated with the access entry`) {
		t.Fatalf("decisions: %d %s", code, out)
	}
	for args, want := range map[string]string{
		"unused --cluster nope":         "eksaccess unused: ResourceNotFoundException: No cluster found for name: nope.\n",
		"unused":                        "eksaccess unused: --cluster is required\n",
		"decisions --verdict deny":      `eksaccess decisions: InvalidParameterException: verdict must be one of allowed, no_opinion, authenticated, unauthenticated, got "deny"` + "\n",
		"unused --cluster act --days 0": `eksaccess unused: InvalidParameterException: days must be a whole number from 1 to 3650, got "0"` + "\n",
	} {
		_, errs, code := cli(strings.Fields(args)...)
		if code != 1 || errs != want {
			t.Errorf("%s: exit %d, stderr %q", args, code, errs)
		}
	}
}
