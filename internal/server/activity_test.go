package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eksaccess/eksaccess/internal/activity"
	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

const webPath = "/eksaccess/v1/clusters/web/"

// waitActivity polls GetAccessActivity until ok accepts dave's entry.
func waitActivity(t *testing.T, s *testutil.Server, ok func(e *activity.EntryActivity) bool) map[string]activity.EntryActivity {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out activity.ClusterActivityOutput
		if a := s.OwnGet(t, testutil.AliceKey, testutil.AliceSecret, webPath+"activity", nil, &out); a.Status != 200 {
			t.Fatalf("activity: %s", a)
		}
		by := map[string]activity.EntryActivity{}
		for _, e := range out.AccessEntries {
			by[e.PrincipalARN] = e
		}
		if e, found := by[testutil.DaveARN]; found && ok(&e) {
			return by
		}
		if time.Now().After(deadline) {
			t.Fatalf("activity never matched: %+v", by[testutil.DaveARN])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func decisions(t *testing.T, s *testutil.Server, key, secret string, q url.Values) []activity.Decision {
	t.Helper()
	var out activity.DecisionsOutput
	if a := s.OwnGet(t, key, secret, "/eksaccess/v1/decisions", q, &out); a.Status != 200 {
		t.Fatalf("decisions %v: %s", q, a)
	}
	return out.Decisions
}

func TestActivityLastUsedUnusedAndDecisions(t *testing.T) {
	t.Parallel()
	logFile := filepath.Join(t.TempDir(), "decisions.jsonl")
	f := testutil.StartActivity(t, testutil.Options{Mutate: func(c *server.Config) { c.Activity.DecisionLog = logFile }})
	s := f.Server
	if !f.Ask(t, "get", "", "pods", "default") || !f.Ask(t, "create", "apps", "deployments", "dev") {
		t.Fatal("dave's policies do not allow what they grant")
	}
	if f.Ask(t, "delete", "", "secrets", "prod") {
		t.Fatal("dave may delete secrets in prod")
	}

	// The decision log: newest first, filtered, with the request and the reason.
	all := decisions(t, s, testutil.AliceKey, testutil.AliceSecret, url.Values{"cluster": {"web"}, "principal": {"dave"}})
	if len(all) != 4 || all[3].Webhook != "authenticate" || all[3].Verdict != "authenticated" || all[3].Principal != testutil.DaveARN {
		t.Fatalf("dave's decisions: %+v", all)
	}
	getPods, createDeploy, noOpinion := all[2], all[1], all[0]
	if noOpinion.Verdict != "no_opinion" || noOpinion.Description != `delete secrets in namespace "prod"` || !strings.Contains(noOpinion.Reason, "no associated access policy grants delete secrets") {
		t.Fatalf("no-opinion decision: %+v", noOpinion)
	}
	if createDeploy.Verdict != "allowed" || createDeploy.PolicyARN != testutil.EditPolicyARN || getPods.PolicyARN != testutil.ViewPolicyARN {
		t.Fatalf("allowed decisions: %+v %+v", createDeploy, getPods)
	}
	if got := decisions(t, s, testutil.AliceKey, testutil.AliceSecret, url.Values{"verdict": {"no_opinion"}, "limit": {"5"}}); len(got) != 1 || got[0].Seq != noOpinion.Seq {
		t.Fatalf("verdict filter: %+v", got)
	}
	if got := decisions(t, s, testutil.AliceKey, testutil.AliceSecret, url.Values{"after": {"0"}, "limit": {"2"}}); len(got) != 2 || got[0].Seq != noOpinion.Seq {
		t.Fatalf("limit: %+v", got)
	}

	// Last used: dave authenticated when the token review ran; each association last allowed
	// at its decision, the entry by the later one (Edit).
	ms := func(tm time.Time) activity.Epoch { return activity.Epoch(tm.UnixMilli()) }
	by := waitActivity(t, s, func(e *activity.EntryActivity) bool { return e.LastAllowedAt == ms(createDeploy.Time) })
	dave := by[testutil.DaveARN]
	if dave.LastAuthenticatedAt != ms(all[3].Time) || dave.LastAllowedBy != testutil.EditPolicyARN {
		t.Fatalf("dave's last use: %+v (token review at %v)", dave, all[3].Time)
	}
	for _, a := range dave.Associations {
		want := map[string]activity.Epoch{testutil.ViewPolicyARN: ms(getPods.Time), testutil.EditPolicyARN: ms(createDeploy.Time)}[a.PolicyARN]
		if a.LastAllowedAt != want {
			t.Fatalf("association %s last allowed %v, want %v", a.PolicyARN, a.LastAllowedAt, want)
		}
	}
	if idle := by[testutil.IdleARN]; idle.LastAuthenticatedAt != 0 || idle.LastAllowedAt != 0 {
		t.Fatalf("idle was never used: %+v", idle)
	}

	// Unused for 30 days: alice's creator entry and idle's, never used; dave's entry and his
	// associations are used.
	var u activity.Unused
	if a := s.OwnGet(t, testutil.AliceKey, testutil.AliceSecret, webPath+"unused", url.Values{"days": {"30"}}, &u); a.Status != 200 {
		t.Fatalf("unused: %s", a)
	}
	var unusedEntries []string
	for _, e := range u.AccessEntries {
		if !e.NeverUsed {
			t.Fatalf("unused entry with a last use: %+v", e)
		}
		unusedEntries = append(unusedEntries, e.PrincipalARN)
	}
	if strings.Join(unusedEntries, " ") != "arn:aws:iam::012345678910:role/idle arn:aws:iam::012345678910:user/alice" || u.Days != 30 {
		t.Fatalf("unused entries: %v", unusedEntries)
	}
	for _, a := range u.Associations {
		if a.PrincipalARN == testutil.DaveARN {
			t.Fatalf("dave's used association reported unused: %+v", a)
		}
	}
	if len(u.Associations) != 2 {
		t.Fatalf("unused associations: %+v", u.Associations)
	}

	// IAM: dave may read the activity of web, nothing else; bob (another account) sees
	// neither web nor its decisions.
	if a := s.OwnGet(t, testutil.DaveKey, testutil.DaveSecret, webPath+"activity", nil, nil); a.Status != 200 {
		t.Fatalf("dave's GetAccessActivity: %s", a)
	}
	a := s.OwnGet(t, testutil.DaveKey, testutil.DaveSecret, webPath+"unused", nil, nil)
	if a.Status != 403 || a.ErrorType != "AccessDeniedException" || a.Message != "User: arn:aws:iam::012345678910:user/dave is not authorized to perform: eksaccess:ListUnusedAccess on resource: arn:aws:eks:us-west-2:012345678910:cluster/web" {
		t.Fatalf("dave's ListUnusedAccess: %s", a)
	}
	if a := s.OwnGet(t, testutil.DaveKey, testutil.DaveSecret, "/eksaccess/v1/decisions", url.Values{"cluster": {"web"}}, nil); a.Status != 403 || !strings.Contains(a.Message, "eksaccess:ListDecisions") {
		t.Fatalf("dave's ListDecisions: %s", a)
	}
	if got := decisions(t, s, testutil.BobKey, testutil.BobSecret, nil); len(got) != 0 {
		t.Fatalf("bob sees another account's decisions: %+v", got)
	}
	for _, p := range []string{webPath + "activity", webPath + "unused"} {
		if a := s.OwnGet(t, testutil.BobKey, testutil.BobSecret, p, nil, nil); a.Status != 404 || a.ErrorType != "ResourceNotFoundException" || a.Message != "No cluster found for name: web." {
			t.Fatalf("bob's %s: %s", p, a)
		}
	}
	if a := s.OwnGet(t, testutil.BobKey, testutil.BobSecret, "/eksaccess/v1/decisions", url.Values{"cluster": {"web"}}, nil); a.Status != 404 {
		t.Fatalf("bob's decisions of web: %s", a)
	}

	// Bad input: one-line AWS-style errors.
	for q, want := range map[string]string{
		"days=0":       `days must be a whole number from 1 to 3650, got "0"`,
		"days=x":       `days must be a whole number from 1 to 3650, got "x"`,
		"days=1&x=1":   `Unknown query parameter "x"`,
		"verdict=deny": `verdict must be one of allowed, no_opinion, authenticated, unauthenticated, got "deny"`,
		"limit=5000":   `limit must be a whole number from 1 to 1000, got "5000"`,
	} {
		path := webPath + "unused"
		if strings.HasPrefix(q, "verdict") || strings.HasPrefix(q, "limit") {
			path = "/eksaccess/v1/decisions"
		}
		a, err := testutil.SignedGetRaw(testutil.Ctx(t), s.HTTPClient(), s.URL(), testutil.DefaultRegion, testutil.AliceKey, testutil.AliceSecret, path, q)
		if err != nil || a.Status != 400 || a.ErrorType != "InvalidParameterException" || a.Message != want {
			t.Errorf("%s: %v %v", q, a, err)
		}
	}

	// No token material anywhere: not in the API's answers, not in the decision log file.
	tokenPart := f.DaveToken[len("k8s-aws-v1."):][:40]
	raw := s.OwnGet(t, testutil.AliceKey, testutil.AliceSecret, "/eksaccess/v1/decisions", nil, nil)
	if strings.Contains(string(raw.Body), tokenPart) || strings.Contains(string(raw.Body), "k8s-aws-v1.") {
		t.Fatal("the decision log shows token material")
	}
	// The file: one JSON line per decision (written asynchronously; wait for the four).
	var lines []activity.Decision
	deadline := time.Now().Add(5 * time.Second)
	for len(lines) < 4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		b, err := os.ReadFile(logFile)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), tokenPart) {
			t.Fatal("the decision log file holds token material")
		}
		lines = nil
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			var d activity.Decision
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				t.Fatalf("decision log line %q: %v", sc.Text(), err)
			}
			lines = append(lines, d)
		}
	}
	if len(lines) != 4 || lines[0].Verdict != "authenticated" || lines[3].Verdict != "no_opinion" || lines[3].Request.Resource != "secrets" || lines[3].Account != "012345678910" {
		t.Fatalf("decision log file: %+v", lines)
	}

	// Metrics for alerting (the flush runs every 50 ms: wait for one).
	var m string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(s.URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m = string(b); strings.Contains(m, `eksaccess_activity_flushes_total{result="ok"}`) {
			break
		}
	}
	for _, want := range []string{`eksaccess_activity_flushes_total{result="ok"}`, "eksaccess_activity_pending_entries 0", "eksaccess_decision_log_dropped_total 0"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(m, "eksaccess_activity", "eksaccess_decision"))
		}
	}
}

// Last used survives a restart: the recorder writes what is left when the server stops, and
// the next server reads it from the database.
func TestActivitySurvivesRestart(t *testing.T) {
	t.Parallel()
	db := "sqlite://" + filepath.Join(t.TempDir(), "eksaccess.db")
	f := testutil.StartActivity(t, testutil.Options{Database: db, Mutate: func(c *server.Config) { c.Activity.FlushInterval = time.Hour }})
	if !f.Ask(t, "get", "", "pods", "default") {
		t.Fatal("not allowed")
	}
	before := waitActivity(t, f.Server, func(e *activity.EntryActivity) bool { return e.LastAllowedAt != 0 })[testutil.DaveARN]
	// Nothing is written before the hour's flush: the values above come from memory.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.Server.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := f.Config
	s2, err := server.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Shutdown(context.Background())
	after := waitActivity(t, &testutil.Server{Server: s2, Config: cfg}, func(e *activity.EntryActivity) bool { return true })[testutil.DaveARN]
	if after.LastAuthenticatedAt != before.LastAuthenticatedAt || after.LastAllowedAt != before.LastAllowedAt || after.LastAllowedBy != testutil.ViewPolicyARN || before.LastAuthenticatedAt == 0 {
		t.Fatalf("after a restart: %+v, before: %+v", after, before)
	}
}

func grepLines(s string, subs ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, sub := range subs {
			if strings.Contains(l, sub) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
