//go:build e2e

package kube_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eksaccess/eksaccess/internal/explain"
)

// The access explorer, differentially: on the API_AND_CONFIG_MAP cluster (whose RBAC and
// aws-auth eksaccess watches), `eksaccess explain` must reach, for every generated request and
// principal, the verdict of the real kube-apiserver for that principal's own token; who-can and
// access-matrix are checked against the same ground truth.

var xUnmapped = principal{"e2e-x-unmapped", "AKIAE2EXUNMAPPED0001", "x-unmapped-secret"} // no entry, not in aws-auth

const (
	xViewerRole  = "arn:aws:iam::" + account + ":role/e2e-x-viewer"  // AmazonEKSViewPolicy, cluster scope
	xEditorRole  = "arn:aws:iam::" + account + ":role/e2e-x-editor"  // AmazonEKSEditPolicy in x-prod, x-team-*
	xGroupedRole = "arn:aws:iam::" + account + ":role/e2e-x-grouped" // kubernetesGroups x-devs, x-ops bound by RBAC
	xMappedRole  = "arn:aws:iam::" + account + ":role/e2e-x-mapped"  // no entry: aws-auth maps it
	// getTokenSession is the session name `aws eks get-token --role-arn` uses.
	getTokenSession = "EKSGetTokenAuth"
)

const xRBAC = `
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: x-dev}}
- {apiVersion: v1, kind: Namespace, metadata: {name: x-prod}}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: x-deployer, namespace: x-dev},
   rules: [{apiGroups: [apps], resources: [deployments], verbs: ["*"]}, {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list]}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: x-devs-deployer, namespace: x-dev},
   roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: x-deployer}, subjects: [{kind: Group, name: x-devs}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: x-secret-reader},
   rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: x-ops-secrets},
   roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: x-secret-reader}, subjects: [{kind: Group, name: x-ops}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: x-pod-deleter},
   rules: [{apiGroups: [""], resources: [pods], verbs: [delete, deletecollection]}, {apiGroups: [batch], resources: [jobs], verbs: [create], resourceNames: []}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: x-devs-pod-deleter, namespace: x-prod},
   roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: x-pod-deleter}, subjects: [{kind: Group, name: x-devs}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: x-mapped-user, namespace: x-dev},
   roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: x-pod-deleter}, subjects: [{kind: User, name: "x-mapped:EKSGetTokenAuth"}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: x-cm-reader},
   rules: [{apiGroups: [""], resources: [configmaps, services], verbs: [get, list, watch]}, {apiGroups: [""], resources: [nodes], verbs: [get], resourceNames: [web]},
           {nonResourceURLs: ["/metrics"], verbs: [get]}]}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: x-cm-readers},
   roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: x-cm-reader}, subjects: [{kind: Group, name: x-cm-readers}]}
`

// xReq is one generated request.
type xReq struct{ Verb, Group, Resource, Sub, Name, NS, Path string }

func (r xReq) String() string {
	if r.Path != "" {
		return r.Verb + " " + r.Path
	}
	s := r.Verb + " " + r.Resource
	if r.Group != "" {
		s += "." + r.Group
	}
	if r.Sub != "" {
		s += "/" + r.Sub
	}
	if r.Name != "" {
		s += " " + r.Name
	}
	return s + " ns=" + r.NS
}

// xPrincipal is a principal of the fixture with its own token.
type xPrincipal struct {
	name, arn, token string
}

func xRequests() []xReq {
	type res struct{ group, resource, sub string }
	resources := []res{{"", "pods", ""}, {"", "pods", "log"}, {"apps", "deployments", ""}, {"", "secrets", ""}, {"", "configmaps", ""},
		{"", "services", ""}, {"", "nodes", ""}, {"", "namespaces", ""}, {"rbac.authorization.k8s.io", "clusterroles", ""}, {"batch", "jobs", ""}}
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	namespaces := []string{"x-prod", "x-dev", "x-team-a", "default", ""}
	rng := rand.New(rand.NewPCG(17, 300))
	var out []xReq
	seen := map[xReq]bool{}
	for len(out) < 84 {
		r := resources[rng.IntN(len(resources))]
		q := xReq{Verb: verbs[rng.IntN(len(verbs))], Group: r.group, Resource: r.resource, Sub: r.sub, NS: namespaces[rng.IntN(len(namespaces))]}
		if rng.IntN(6) == 0 {
			q.Name = "web"
		}
		if !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	return append(out, xReq{Verb: "get", Path: "/healthz"}, xReq{Verb: "get", Path: "/metrics"}, xReq{Verb: "get", Path: "/api"},
		xReq{Verb: "post", Path: "/logs"}, xReq{Verb: "get", Group: "", Resource: "nodes", Name: "web"}, xReq{Verb: "create", Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"})
}

// canI asks the kube-apiserver of cmCluster, with token, for each request: the
// SelfSubjectAccessReviews `kubectl auth can-i` sends, created in one kubectl call. A token the
// server refuses (401) can do nothing.
func (e *env) canI(t *testing.T, token string, reqs []xReq) []bool {
	t.Helper()
	kc := filepath.Join(e.dir, "plain-cm.kubeconfig")
	if _, err := os.Stat(kc); err != nil {
		if err := writeKubeconfig(kc, e.cmAPIURL, e.pki["ca.crt"], map[string]any{}); err != nil {
			t.Fatal(err)
		}
	}
	var items []any
	for _, r := range reqs {
		spec := map[string]any{}
		if r.Path != "" {
			spec["nonResourceAttributes"] = map[string]any{"verb": r.Verb, "path": r.Path}
		} else {
			spec["resourceAttributes"] = map[string]any{"verb": r.Verb, "group": r.Group, "resource": r.Resource, "subresource": r.Sub, "name": r.Name, "namespace": r.NS}
		}
		items = append(items, map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec})
	}
	f := filepath.Join(t.TempDir(), "ssar.json")
	if err := writeJSON(f, map[string]any{"apiVersion": "v1", "kind": "List", "items": items}); err != nil {
		t.Fatal(err)
	}
	res := run(t, e.awsEnv(creds{}), "kubectl", "--kubeconfig", kc, "--cache-dir", e.kubeCache, "--request-timeout=60s", "--token", token, "create", "--validate=false", "-f", f, "-o", "json")
	out := make([]bool, len(reqs))
	if res.Code != 0 {
		if strings.Contains(res.Stderr, "Unauthorized") || strings.Contains(res.Stderr, "provide credentials") {
			return out
		}
		t.Fatalf("kubectl create SelfSubjectAccessReviews: %s", res)
	}
	// kubectl prints one object per review (or a List of them).
	type review struct {
		Kind   string            `json:"kind"`
		Items  []json.RawMessage `json:"items"`
		Status struct {
			Allowed bool `json:"allowed"`
		} `json:"status"`
	}
	var got []bool
	dec := json.NewDecoder(strings.NewReader(res.Stdout))
	for dec.More() {
		var rv review
		if err := dec.Decode(&rv); err != nil {
			t.Fatalf("SelfSubjectAccessReviews: %v\n%.2000s", err, res.Stdout)
		}
		if rv.Kind == "List" {
			for _, it := range rv.Items {
				var one review
				if err := json.Unmarshal(it, &one); err != nil {
					t.Fatal(err)
				}
				got = append(got, one.Status.Allowed)
			}
			continue
		}
		got = append(got, rv.Status.Allowed)
	}
	if len(got) != len(reqs) {
		t.Fatalf("SelfSubjectAccessReviews: %d answers for %d requests\n%.2000s", len(got), len(reqs), res.Stdout)
	}
	copy(out, got)
	return out
}

// eksaccessCLI runs the built eksaccess client as adminUser (eksaccess:*), -o json, into out.
func (e *env) eksaccessCLI(t *testing.T, out any, args ...string) {
	t.Helper()
	env := append(e.awsEnv(credsOf(adminUser)), "AWS_REGION="+region)
	r := run(t, env, e.eksaccess, append(args, "--cluster", cmCluster, "-o", "json")...)
	if r.Code != 0 {
		t.Fatalf("eksaccess %s: %s", strings.Join(args, " "), r)
	}
	if err := json.Unmarshal([]byte(r.Stdout), out); err != nil {
		t.Fatalf("eksaccess %s: %v\n%s", strings.Join(args, " "), err, r.Stdout)
	}
}

func explainArgs(p string, r xReq) []string {
	args := []string{"explain", "--principal", p, "--verb", r.Verb}
	if r.Path != "" {
		return append(args, "--path", r.Path)
	}
	args = append(args, "--resource", r.Resource)
	for _, kv := range [][2]string{{"--api-group", r.Group}, {"--subresource", r.Sub}, {"--name", r.Name}, {"--namespace", r.NS}} {
		if kv[1] != "" {
			args = append(args, kv[0], kv[1])
		}
	}
	return args
}

func TestExplorerDifferential(t *testing.T) {
	e := system(t)
	// Not parallel: it runs before the parallel tests resume, so that TestAWSAuthRoleUntilSwitchToAPI
	// (which rewrites aws-auth and switches cmCluster to API) cannot change the fixture under it.
	start := time.Now()
	f := filepath.Join(t.TempDir(), "rbac.yaml")
	if err := os.WriteFile(f, []byte(xRBAC), 0o600); err != nil {
		t.Fatal(err)
	}
	e.adminAt(t, e.cmAdminKubeconfig, "apply", "-f", f)
	awsAuth := filepath.Join(t.TempDir(), "aws-auth.yaml")
	if err := os.WriteFile(awsAuth, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  mapRoles: |\n"+
		"    - rolearn: "+xMappedRole+"\n      username: x-mapped:{{SessionName}}\n      groups: [x-cm-readers]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.adminAt(t, e.cmAdminKubeconfig, "apply", "-f", awsAuth)
	e.createEntry(t, cmCluster, xViewerRole)
	e.associate(t, cmCluster, xViewerRole, viewPolicy)
	e.createEntry(t, cmCluster, xEditorRole)
	e.associate(t, cmCluster, xEditorRole, editPolicy, "x-prod", "x-team-*")
	e.createEntry(t, cmCluster, xGroupedRole, "x-devs", "x-ops")

	session := func(role string) string {
		return "arn:aws:sts::" + account + ":assumed-role/" + role[strings.LastIndexByte(role, '/')+1:] + "/" + getTokenSession
	}
	roleToken := func(role string) string {
		var out struct {
			Status struct {
				Token string `json:"token"`
			} `json:"status"`
		}
		raw := e.aws(t, credsOf(roleUser), "eks", "get-token", "--cluster-name", cmCluster, "--role-arn", role, "--output", "json")
		if err := json.Unmarshal([]byte(raw), &out); err != nil || out.Status.Token == "" {
			t.Fatalf("get-token %s: %v", role, err)
		}
		return out.Status.Token
	}
	principals := []xPrincipal{
		{"viewer (access entry, cluster scope)", session(xViewerRole), roleToken(xViewerRole)},
		{"editor (access entry, namespace scope)", session(xEditorRole), roleToken(xEditorRole)},
		{"grouped (kubernetesGroups + RBAC)", session(xGroupedRole), roleToken(xGroupedRole)},
		{"mapped (aws-auth)", session(xMappedRole), roleToken(xMappedRole)},
		{"unmapped", xUnmapped.ARN(), e.presignToken(t, xUnmapped, cmCluster, time.Now())},
	}

	// Wait until eksaccess's RBAC snapshot and aws-auth mapping hold the fixture.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var x explain.Explanation
		e.eksaccessCLI(t, &x, "explain", "--principal", session(xMappedRole), "--verb", "delete", "--resource", "pods", "--namespace", "x-dev")
		if x.Allowed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fixture never showed in eksaccess: %+v", x)
		}
		time.Sleep(200 * time.Millisecond)
	}

	reqs := xRequests()
	truth := make([][]bool, len(principals))
	for i, p := range principals {
		truth[i] = e.canI(t, p.token, reqs)
	}
	// A few through `kubectl auth can-i` itself: the batch above is what it sends.
	for _, r := range reqs[:6] {
		args := []string{"--kubeconfig", filepath.Join(e.dir, "plain-cm.kubeconfig"), "--cache-dir", e.kubeCache, "--token", principals[2].token, "auth", "can-i", r.Verb}
		res := r.Resource
		if r.Group != "" {
			res += "." + r.Group
		}
		args = append(args, res)
		if r.Sub != "" {
			args = append(args, "--subresource", r.Sub)
		}
		if r.Name != "" {
			args[len(args)-1] += "/" + r.Name
		}
		if r.NS != "" {
			args = append(args, "-n", r.NS)
		} else {
			args = append(args, "--all-namespaces")
		}
		got := run(t, e.awsEnv(creds{}), "kubectl", args...)
		if want := truth[2][slices.Index(reqs, r)]; (got.Code == 0) != want {
			t.Errorf("kubectl auth can-i %s: %s; the SelfSubjectAccessReview said %v", r, got, want)
		}
	}

	// explain, through the binary, four at a time.
	type job struct{ p, r int }
	jobs := make(chan job)
	verdicts := make([][]explain.Explanation, len(principals))
	for i := range verdicts {
		verdicts[i] = make([]explain.Explanation, len(reqs))
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				e.eksaccessCLI(t, &verdicts[j.p][j.r], explainArgs(principals[j.p].arn, reqs[j.r])...)
			}
		}()
	}
	for p := range principals {
		for r := range reqs {
			jobs <- job{p, r}
		}
	}
	close(jobs)
	wg.Wait()
	agree, total, allowed := 0, 0, 0
	for p := range principals {
		for r := range reqs {
			total++
			x := &verdicts[p][r]
			if !x.RBACConsulted {
				t.Fatalf("RBAC was not consulted: %+v", x)
			}
			if x.Allowed == truth[p][r] {
				agree++
			} else {
				t.Errorf("%s: %s: kube-apiserver allowed=%v, eksaccess explain allowed=%v: %s", principals[p].name, reqs[r], truth[p][r], x.Allowed, x.Reason)
			}
			if truth[p][r] {
				allowed++
			}
		}
	}
	t.Logf("explain agrees with kube-apiserver on %d of %d requests (%d allowed, %d denied) over %d principals", agree, total, allowed, total-allowed, len(principals))
	fmt.Fprintf(os.Stderr, "e2e explorer: explain agrees with kube-apiserver on %d/%d requests\n", agree, total)
	ids := make([]explain.Identity, len(principals))
	for p := range principals {
		ids[p] = verdicts[p][0].Identity
	}
	if ids[3].Via != "aws-auth" || ids[3].Username != "x-mapped:"+getTokenSession || ids[4].Mapped || ids[2].Via != "access-entry" {
		t.Fatalf("identities: %+v", ids)
	}

	// who-can: a principal is listed (itself, or a group or user name it has) iff it can.
	whoChecked := 0
	for r, q := range reqs {
		if r%3 != 0 {
			continue
		}
		args := []string{"who-can", q.Verb}
		if q.Path != "" {
			args = append(args, q.Path)
		} else {
			args = append(args, "--resource", q.Resource, "--api-group", q.Group, "--subresource", q.Sub, "--name", q.Name, "--namespace", q.NS)
		}
		var w explain.WhoCanResult
		e.eksaccessCLI(t, &w, args...)
		for p := range principals {
			id := ids[p]
			listed := false
			for _, who := range w.Principals {
				switch who.Kind {
				case "IAMPrincipal":
					listed = listed || id.AccessEntry != nil && who.Name == id.AccessEntry.PrincipalARN
				case "AWSAuthMapping":
					listed = listed || id.Via == "aws-auth" && strings.EqualFold(who.Name, id.CanonicalARN)
				case "Group":
					listed = listed || id.Mapped && slices.Contains(id.Groups, who.Name)
				case "User":
					listed = listed || id.Mapped && who.Name == id.Username
				}
			}
			whoChecked++
			if listed != truth[p][r] {
				t.Errorf("who-can %s: %s listed=%v, kube-apiserver allowed=%v", q, principals[p].name, listed, truth[p][r])
			}
		}
	}

	// access-matrix: every cell, in x-prod and cluster-wide, against the kube-apiserver.
	cells := 0
	for p := range principals {
		for _, ns := range []string{"x-prod", ""} {
			var m explain.Matrix
			args := []string{"access-matrix", "--principal", principals[p].arn}
			if ns != "" {
				args = append(args, "--namespace", ns)
			}
			e.eksaccessCLI(t, &m, args...)
			if len(m.Rows) < 10 {
				t.Fatalf("access-matrix has %d rows", len(m.Rows))
			}
			var mreqs []xReq
			for _, row := range m.Rows {
				for _, c := range row.Cells {
					mreqs = append(mreqs, xReq{Verb: c.Verb, Group: row.APIGroup, Resource: row.Resource, NS: ns})
				}
			}
			want := e.canI(t, principals[p].token, mreqs)
			i := 0
			for _, row := range m.Rows {
				for _, c := range row.Cells {
					if c.Allowed != want[i] {
						t.Errorf("access-matrix %s ns=%q %s %s: eksaccess %v (%s), kube-apiserver %v", principals[p].name, ns, c.Verb, row.Resource, c.Allowed, c.By, want[i])
					}
					i++
					cells++
				}
			}
		}
	}
	t.Logf("who-can checked for %d (request, principal) pairs, access-matrix %d cells; %s", whoChecked, cells, time.Since(start).Round(time.Millisecond))
}
