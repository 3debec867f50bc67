package kubeauth

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	authnv1 "k8s.io/api/authentication/v1"
)

// reviewSeeds are bodies the fast decoders take and bodies they must leave to encoding/json.
var reviewSeeds = []string{
	`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"resourceAttributes":{"namespace":"payments","verb":"create","group":"apps","resource":"deployments"},"user":"arn:aws:iam::012345678910:user/alice","uid":"aws-iam-authenticator:012345678910:AIDAALICE","groups":["devs","system:authenticated"],"extra":{"accessKeyId":["AKIAALICEEXAMPLE0001"],"arn":["arn:aws:iam::012345678910:user/alice"],"canonicalArn":["arn:aws:iam::012345678910:user/alice"],"principalId":["AIDAALICE"],"sessionName":[""],"sigs.k8s.io/aws-iam-authenticator/principalId":["AIDAALICE"]}}}`,
	// as kube-apiserver's webhook client sends it: metadata and status too
	`{"kind":"SubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"nonResourceAttributes":{"path":"/healthz","verb":"get"},"user":"u","groups":["system:authenticated"],"extra":{"k":[]},"uid":"x"},"status":{"allowed":false,"n":-1.5e+3,"a":[true,{}]}}`,
	`{"apiVersion":"authorization.k8s.io/v1beta1","kind":"SubjectAccessReview","spec":{"user":"u","group":["g"],"groups":[]}}`,
	`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"k8s-aws-v1.aHR0cHM6Ly9zdHM","audiences":["https://kubernetes.default.svc"]}}`,
	` {"apiVersion":"authentication.k8s.io/v1beta1","kind":"TokenReview","spec":{"token":"a.b.c"},"status":{}} `,
	// encoding/json's: case folding, null, escapes, invalid UTF-8, duplicates, selectors, wrong types, trailing data
	`{"APIVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"USER":"u"}}`,
	`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":null,"groups":null,"extra":null}}`,
	`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"\u0041\ud800","extra":{"a\"":["\n"]}}}`,
	"{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{\"user\":\"\xff\"}}",
	`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a","user":"b","extra":{"k":["1"],"k":["2"]}}}`,
	`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"resourceAttributes":{"verb":"get","fieldSelector":{"rawSelector":"a=b"}},"resourceAttributes":{"name":"n"}}}`,
	`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"groups":"devs","uid":1}}`,
	`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"t"}} {}`,
	`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"t","x":01}}`,
	`[]`, `null`, `"x"`, `{}`, ``, `{"spec":{"token":"t"},"spec":{"audiences":["a"]}}`,
}

// FuzzFastReview: the fast decoders agree with encoding/json on every body (the same accept or
// refuse, the same decoded review), and take the common bodies themselves.
func FuzzFastReview(f *testing.F) {
	for _, s := range reviewSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFast(t, b, fastSAR)
		checkFast(t, b, fastTokenReview)
	})
}

func checkFast[S any](t *testing.T, b []byte, fast func([]byte, *review[S]) bool) bool {
	t.Helper()
	var got, want review[S]
	ok := fast(b, &got)
	err := json.Unmarshal(b, &want)
	if ok && err != nil {
		t.Fatalf("fast decoder took %q, which encoding/json refuses: %v", b, err)
	}
	if ok && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: fast decoder %+v, encoding/json %+v", b, got, want)
	}
	return ok
}

func TestFastReviewTakesCommonBodies(t *testing.T) {
	for i, s := range reviewSeeds[:5] {
		sar, tr := checkFast(t, []byte(s), fastSAR), checkFast(t, []byte(s), fastTokenReview)
		if !sar && !tr {
			t.Errorf("seed %d: neither fast decoder took it", i)
		}
	}
	for _, s := range reviewSeeds[5:] {
		fast := checkFast(t, []byte(s), fastSAR)
		if strings.Contains(s, "TokenReview") || !strings.Contains(s, "SubjectAccessReview") {
			fast = checkFast(t, []byte(s), fastTokenReview)
		}
		if fast && s != `{}` {
			t.Errorf("the fast decoder took %q, which is encoding/json's", s)
		}
	}
}

// reviewAnswer is the answer to a review as encoding/json encodes it: the oracle of the
// answers the webhooks append (appendSARAnswer, appendTokenReviewAnswer).
type reviewAnswer[T any] struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Status     T      `json:"status"`
}

func encoded(t *testing.T, v any) string {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// FuzzAnswers: the answers are encoded byte for byte as json.Encoder encodes them.
func FuzzAnswers(f *testing.F) {
	f.Add("authorization.k8s.io/v1", "eksaccess: allowed by AmazonEKSClusterAdminPolicy", true, "arn:aws:iam::1:user/a", "g", "k")
	f.Add("", "", false, "", "", "")
	f.Add("x\"<>&\u2028\xff\x01", "\\ \t \u00e9", false, "\n", "\x7f", "sessionName")
	f.Fuzz(func(t *testing.T, apiVersion, reason string, allowed bool, name, group, key string) {
		sar := sarStatus{Allowed: allowed, Reason: reason}
		if got, want := string(appendSARAnswer(nil, apiVersion, sar)), encoded(t, &reviewAnswer[sarStatus]{APIVersion: apiVersion, Kind: "SubjectAccessReview", Status: sar}); got != want {
			t.Fatalf("SubjectAccessReview answer %q, encoding/json %q", got, want)
		}
		for _, st := range []tokenReviewStatus{
			{Authenticated: allowed, Error: reason},
			{Authenticated: true, Audiences: []string{group, name}, User: &authnv1.UserInfo{Username: name, UID: reason, Groups: []string{group},
				Extra: map[string]authnv1.ExtraValue{key: {name}, "arn": {group, reason}, "z": nil, "a": {}}}},
			{Authenticated: true, Audiences: []string{}, User: &authnv1.UserInfo{Groups: []string{}, Extra: map[string]authnv1.ExtraValue{}}},
		} {
			if got, want := string(appendTokenReviewAnswer(nil, apiVersion, &st)), encoded(t, &reviewAnswer[tokenReviewStatus]{APIVersion: apiVersion, Kind: "TokenReview", Status: st}); got != want {
				t.Fatalf("TokenReview answer %q, encoding/json %q", got, want)
			}
		}
	})
}

// FuzzRender: templates render as a strings.Replacer of the placeholders renders them.
func FuzzRender(f *testing.F) {
	f.Add("ops:{{SessionName}}-{{{AccountID}}}{{SessionNameRaw}}{{AccessKeyID}}{{", "jane@example.com")
	f.Add("{{{{SessionName}}}}{{SessionNam{{AccountID}}", "{{AccountID}}")
	f.Fuzz(func(t *testing.T, tpl, session string) {
		id := &Identity{Account: "012345678910", SessionName: session, AccessKeyID: "ASIA{{AccountID}}"}
		want := strings.NewReplacer("{{AccountID}}", id.Account, "{{SessionName}}", strings.ReplaceAll(id.SessionName, "@", "-"),
			"{{SessionNameRaw}}", id.SessionName, "{{AccessKeyID}}", id.AccessKeyID).Replace(tpl)
		if got := (&renderer{id: id}).replace(tpl); got != want {
			t.Fatalf("replace(%q) = %q, strings.Replacer %q", tpl, got, want)
		}
	})
}
