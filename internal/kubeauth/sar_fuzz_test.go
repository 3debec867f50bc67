package kubeauth

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store/sqlite"
)

// The fuzzed cluster has one access entry, for role fuzz-role, with AmazonEKSClusterAdminPolicy,
// username "ops:{{SessionName}}" and groups "devs" and "{{SessionName}}-team".
const (
	fuzzAccount = "012345678910"
	fuzzRoleARN = "arn:aws:iam::012345678910:role/fuzz-role"
	fuzzRoleID  = "AROAFUZZROLE00000001"
)

func sarFuzzMux(f *testing.F) *http.ServeMux {
	f.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "f.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	ix := NewIndex(st)
	svc := access.NewService(&access.Notifying{Store: st, OnCommit: func(cs []string) { ix.Refresh(ctx, cs) }})
	svc.SetPrincipalResolver(func(context.Context, access.Principal, string) (string, error) { return fuzzRoleID, nil })
	c := access.Caller{Account: fuzzAccount, Region: "us-west-2"}
	if _, err := svc.CreateCluster(ctx, c, access.CreateClusterInput{Name: "web", RoleARN: "arn:aws:iam::012345678910:role/eks",
		ResourcesVPCConfig: &access.VPCConfigInput{}, AccessConfig: &access.AccessConfigInput{AuthenticationMode: aws.String(access.ModeAPI)}}); err != nil {
		f.Fatal(err)
	}
	if _, err := svc.CreateAccessEntry(ctx, c, access.CreateAccessEntryInput{ClusterName: "web", PrincipalARN: fuzzRoleARN,
		Username: aws.String("ops:{{SessionName}}"), KubernetesGroups: []string{"devs", "{{SessionName}}-team"}}); err != nil {
		f.Fatal(err)
	}
	if _, err := svc.AssociateAccessPolicy(ctx, c, access.AssociateAccessPolicyInput{ClusterName: "web", PrincipalARN: fuzzRoleARN,
		PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", AccessScope: &access.AccessScopeInput{Type: aws.String("cluster")}}); err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	NewWebhooks(ix, &TokenVerifier{}, nil, nil).Register(mux, nil)
	return mux
}

// FuzzSubjectAccessReview: whatever user, uid, groups and extra a SubjectAccessReview carries,
// it is allowed only for an identity the token-review webhook issues for the entry: the uid
// of the role's principal id, that id and the role in extra, the user name and groups rendered
// from extra's session name (plus system:authenticated). The exact issued identity is allowed.
func FuzzSubjectAccessReview(f *testing.F) {
	mux := sarFuzzMux(f)
	uid := UIDPrefix + fuzzAccount + ":" + fuzzRoleID
	sessARN := "arn:aws:sts::012345678910:assumed-role/fuzz-role/jane@example.com"
	// issued: what TokenReview answers for session jane@example.com
	f.Add("ops:jane-example.com", uid, "devs,jane-example.com-team,system:authenticated", sessARN, fuzzRoleARN, "jane@example.com", "ASIAFUZZ", fuzzRoleID, fuzzRoleID)
	// kubectl --as=mallory with the real uid and extra
	f.Add("mallory", uid, "system:authenticated", sessARN, fuzzRoleARN, "jane@example.com", "ASIAFUZZ", fuzzRoleID, fuzzRoleID)
	f.Add("ops:jane-example.com", uid, "devs,jane-example.com-team,system:masters,system:authenticated", sessARN, fuzzRoleARN, "jane@example.com", "ASIAFUZZ", fuzzRoleID, fuzzRoleID)
	f.Add("ops:x", uid, "devs,x-team", sessARN, fuzzRoleARN, "x", "", fuzzRoleID, "")
	f.Add("ops:system:x", uid, "devs,system:x-team", sessARN, fuzzRoleARN, "system:x", "", fuzzRoleID, "")
	// the uid of another account, or of none, with the real principal id (found by this fuzzer)
	f.Add("ops:x", UIDPrefix+":"+fuzzRoleID, "devs,x-team", sessARN, fuzzRoleARN, "x", "", fuzzRoleID, "")
	f.Add("ops:jane-example.com", UIDPrefix+"111122223333:"+fuzzRoleID, "devs,jane-example.com-team", sessARN, fuzzRoleARN, "jane@example.com", "ASIAFUZZ", fuzzRoleID, fuzzRoleID)
	f.Fuzz(func(t *testing.T, user, uid, groups, arn, canonical, session, akid, pid, authPID string) {
		gs := strings.Split(groups, ",")
		extra := map[string][]string{ExtraARN: {arn}, ExtraCanonicalARN: {canonical}, ExtraSessionName: {session}, ExtraAccessKeyID: {akid}, ExtraPrincipalID: {pid}}
		if authPID != "" {
			extra[ExtraAuthenticatorPrincipalID] = []string{authPID}
		}
		body, _ := json.Marshal(map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": map[string]any{
			"user": user, "uid": uid, "groups": gs, "extra": extra,
			"resourceAttributes": map[string]string{"verb": "delete", "resource": "secrets", "namespace": "kube-system"}}})
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("POST", "/kubernetes/012345678910/us-west-2/web/authorize", bytes.NewReader(body)))
		if rec.Code != 200 {
			return // input that is not a SubjectAccessReview (invalid UTF-8 marshals as U+FFFD, still a review)
		}
		var out struct {
			Status struct {
				Allowed bool   `json:"allowed"`
				Reason  string `json:"reason"`
			} `json:"status"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("answer %s: %v", rec.Body, err)
		}
		// The oracle, written independently of issuedTo: the identity TokenReview would issue.
		// (JSON marshaling turns invalid UTF-8 into U+FFFD; compare what the webhook received.)
		norm := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
		user, uid, session, pid, authPID = norm(user), norm(uid), norm(session), norm(pid), norm(authPID)
		for i := range gs {
			gs[i] = norm(gs[i])
		}
		rs := strings.ReplaceAll(session, "@", "-")
		wantGroups := []string{"devs", rs + "-team"}
		issued := uid == UIDPrefix+fuzzAccount+":"+fuzzRoleID && pid == fuzzRoleID && (authPID == "" || authPID == fuzzRoleID) &&
			user == "ops:"+rs && !strings.HasPrefix(rs+"-team", "system:") && !strings.HasPrefix(rs+"-team", "eks:") &&
			!strings.HasPrefix(rs+"-team", "aws:") && !strings.HasPrefix(rs+"-team", "amazon:") && !strings.HasPrefix(rs+"-team", "iam:")
		for _, g := range gs {
			issued = issued && (g == "system:authenticated" || slices.Contains(wantGroups, g))
		}
		for _, g := range wantGroups {
			issued = issued && slices.Contains(gs, g)
		}
		if out.Status.Allowed && !issued {
			t.Fatalf("allowed an identity eksaccess did not issue: user %q uid %q groups %q extra %v: %s", user, uid, gs, extra, out.Status.Reason)
		}
		if issued && canonical == fuzzRoleARN && !out.Status.Allowed {
			t.Fatalf("refused the issued identity: user %q groups %q: %s", user, gs, out.Status.Reason)
		}
	})
}
