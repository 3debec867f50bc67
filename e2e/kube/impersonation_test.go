//go:build e2e

package kube_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// An admin who impersonates another user name while copying the uid and extra of a real
// eksaccess identity (kubectl --as=mallory --as-uid=… with the extra copied) gets no opinion from
// eksaccess: the SubjectAccessReview kube-apiserver sends names mallory, whom eksaccess never
// issued that uid. Only an impersonation of the whole identity (user, uid, extra and groups) is
// that identity.
func TestImpersonationWithCopiedIdentity(t *testing.T) {
	e := system(t)
	t.Parallel()
	e.createEntry(t, mainCluster, impUser.ARN())
	e.associate(t, mainCluster, impUser.ARN(), viewPolicy)
	u := e.updateKubeconfig(t, credsOf(impUser), mainCluster, "")
	wantOK(t, "the user: get pods -n kube-system", u.kubectl(t, "get", "pods", "-n", "kube-system"), "")

	r := u.kubectl(t, "auth", "whoami", "-o", "json")
	if r.Code != 0 {
		t.Fatalf("kubectl auth whoami: %s", r)
	}
	var ssr struct {
		Status struct {
			UserInfo struct {
				Username string              `json:"username"`
				UID      string              `json:"uid"`
				Extra    map[string][]string `json:"extra"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &ssr); err != nil || ssr.Status.UserInfo.UID == "" || len(ssr.Status.UserInfo.Extra) == 0 {
		t.Fatalf("kubectl auth whoami: %v\n%s", err, r.Stdout)
	}
	ui := ssr.Status.UserInfo
	// The admin (system:masters) impersonates with the copied uid and extra. kubectl 1.32 has
	// --as and --as-uid but not --as-user-extra, so the kubeconfig carries the impersonation
	// (the same Impersonate-* headers).
	admin := func(as string, args ...string) result {
		imp := map[string]any{"client-certificate": e.pki["admin.crt"], "client-key": e.pki["admin.key"],
			"as": as, "as-uid": ui.UID, "as-user-extra": ui.Extra}
		kc := filepath.Join(t.TempDir(), "impersonating.kubeconfig")
		if err := writeKubeconfig(kc, e.apiURL, e.pki["ca.crt"], imp); err != nil {
			t.Fatal(err)
		}
		return run(t, e.awsEnv(creds{}), "kubectl", append([]string{"--kubeconfig", kc, "--cache-dir", e.kubeCache, "--request-timeout=30s"}, args...)...)
	}
	// Impersonation works as meant: kube-apiserver reports the copied uid and extra.
	who := admin("mallory", "auth", "whoami", "-o", "json")
	if who.Code != 0 || !strings.Contains(who.Stdout, ui.UID) || !strings.Contains(who.Stdout, `"mallory"`) {
		t.Fatalf("admin impersonating mallory: %s", who)
	}
	// kubectl sends the extra keys as header names, which kube-apiserver lower-cases
	// (principalId arrives as principalid): no opinion for mallory, nor for the user's own name.
	wantFail(t, "kubectl: admin --as=mallory with the user's uid and extra", admin("mallory", "get", "pods", "-n", "kube-system"),
		`Error from server (Forbidden): pods is forbidden: `+forbidden("mallory", "list", "pods", "", "kube-system"))

	// A hand-built impersonation percent-encodes the upper-case letters of the keys
	// (Impersonate-Extra-principal%49d), so that kube-apiserver, which lower-cases and then
	// unescapes the key, forwards the extra exactly as eksaccess issued it. Only the user name or
	// the groups then differ from the real identity, and eksaccess must see it.
	escape := func(k string) string {
		var b strings.Builder
		for _, c := range []byte(k) {
			if c >= 'A' && c <= 'Z' || c == '/' || c == '%' {
				fmt.Fprintf(&b, "%%%02X", c)
			} else {
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	impersonate := func(as string, groups ...string) (int, string) {
		req, _ := http.NewRequest("GET", e.apiURL+"/api/v1/namespaces/kube-system/pods", nil)
		req.Header.Set("Impersonate-User", as)
		req.Header.Set("Impersonate-Uid", ui.UID)
		for _, g := range groups {
			req.Header.Add("Impersonate-Group", g)
		}
		for k, vs := range ui.Extra {
			for _, v := range vs {
				req.Header.Add("Impersonate-Extra-"+escape(k), v)
			}
		}
		resp, err := e.httpClient("admin").Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The exact extra reaches the webhook: the whole identity, impersonated, is that identity.
	if code, body := impersonate(ui.Username); code != 200 {
		t.Fatalf("admin impersonating the whole identity (exact extra keys): %d %s", code, body)
	}
	for _, tc := range []struct {
		name, as string
		groups   []string
	}{
		{"--as=mallory", "mallory", nil},
		{"the user's name with an added group", ui.Username, []string{"extra"}},
	} {
		code, body := impersonate(tc.as, tc.groups...)
		if code != 403 || !strings.Contains(body, "not those eksaccess issued") {
			t.Fatalf("admin impersonating %s with the exact uid and extra: %d %s", tc.name, code, body)
		}
		t.Logf("admin impersonating %s with the exact uid and extra: refused: %s", tc.name, body)
	}
}
