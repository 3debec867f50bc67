//go:build e2e

package kube_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The Helm chart under deploy/helm lints, renders for each of its CI value sets (SQLite, PostgreSQL
// replicas, open mode), refuses inconsistent values with its message, and every rendered
// manifest, and the kubeadm static pod, passes kube-apiserver's server-side validation
// (kubectl apply --dry-run=server). HELM names the helm binary (hack/e2e.sh: hack/helm.sh).
func TestDeployManifestsServerSideDryRun(t *testing.T) {
	e := system(t)
	t.Parallel()
	helm := os.Getenv("HELM")
	if helm == "" {
		t.Fatal("HELM is not set (path of a helm binary; hack/helm.sh builds one, hack/e2e.sh sets it)")
	}
	chart := filepath.Join("..", "..", "deploy", "helm", "eksaccess")
	ci, err := filepath.Glob(filepath.Join(chart, "ci", "*-values.yaml"))
	if err != nil || len(ci) < 3 {
		t.Fatalf("chart CI value files: %v %v", ci, err)
	}
	ns := "eksaccess-deploy-dry-run"
	e.admin(t, "create", "namespace", ns)

	for _, values := range ci {
		name := strings.TrimSuffix(filepath.Base(values), "-values.yaml")
		r := run(t, os.Environ(), helm, "lint", "--strict", chart, "-f", values)
		if r.Code != 0 {
			t.Fatalf("helm lint %s: %s", name, r)
		}
		r = run(t, os.Environ(), helm, "template", "eksaccess", chart, "--namespace", ns, "-f", values)
		if r.Code != 0 {
			t.Fatalf("helm template %s: %s", name, r)
		}
		rendered := filepath.Join(t.TempDir(), name+".yaml")
		if err := os.WriteFile(rendered, []byte(r.Stdout), 0o600); err != nil {
			t.Fatal(err)
		}
		out := e.admin(t, "apply", "--dry-run=server", "-n", ns, "-f", rendered)
		want := []string{"deployment.apps/eksaccess created (server dry run)", "service/eksaccess created (server dry run)"}
		switch name {
		case "sqlite":
			want = append(want, "persistentvolumeclaim/eksaccess-data created (server dry run)", "secret/eksaccess-identities created (server dry run)")
		case "postgres":
			want = append(want, "poddisruptionbudget.policy/eksaccess created (server dry run)")
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: kubectl apply --dry-run=server lacks %q:\n%s", name, w, out)
			}
		}
		for _, bad := range map[string][]string{"sqlite": {"poddisruptionbudget"}, "postgres": {"persistentvolumeclaim"}}[name] {
			if strings.Contains(out, bad) {
				t.Errorf("%s: renders a %s:\n%s", name, bad, out)
			}
		}
		t.Logf("%s: %s", name, strings.ReplaceAll(strings.TrimSpace(out), "\n", "; "))
	}

	// Inconsistent values fail at rendering, with the chart's message.
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{[]string{"replicaCount=3", "identities.secretName=i", "tls.secretName=c"}, "replicaCount > 1 needs database.type=postgres"},
		{[]string{"auth=open", "tls.enabled=false"}, "set openListenAny=true to accept unauthenticated access"},
		{[]string{"tls.secretName=c"}, "auth=sigv4 needs the identities file"},
	} {
		args := []string{"template", "eksaccess", chart}
		for _, s := range tc.sets {
			args = append(args, "--set", s)
		}
		if r := run(t, os.Environ(), helm, args...); r.Code == 0 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("helm template --set %v: want failure with %q, got %s", tc.sets, tc.want, r)
		}
	}

	// The kubeadm static pod example is a valid Pod. kube-system's default service account, which
	// the ServiceAccount admission plugin looks up, is made by kube-controller-manager, which the
	// e2e does not run: create it (apply is idempotent).
	sa := filepath.Join(t.TempDir(), "sa.yaml")
	if err := os.WriteFile(sa, []byte("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: kube-system}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.admin(t, "apply", "-f", sa)
	out := e.admin(t, "apply", "--dry-run=server", "-f", filepath.Join("..", "..", "deploy", "kubeadm", "eksaccess.yaml"))
	if !strings.Contains(out, "pod/eksaccess created (server dry run)") {
		t.Errorf("static pod: %s", out)
	}
}
