package main_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eksaccess/eksaccess/internal/testutil/testenv"
	"k8s.io/apimachinery/pkg/util/wait"
	authnwebhook "k8s.io/apiserver/plugin/pkg/authenticator/token/webhook"
	"k8s.io/client-go/tools/clientcmd"
)

// Every command and subcommand the usage lists answers -h and --help with its usage on stdout
// and status 0 (issue 19, item 5); the commands are read from the usage, so new ones are covered.
func TestHelpOfEveryCommandExitsZero(t *testing.T) {
	usage, err := exec.Command(binary, "--help").Output()
	if err != nil {
		t.Fatalf("eksaccess --help: %v", err)
	}
	cmdLine := regexp.MustCompile(`(?m)^\s+eksaccess ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)*)`)
	var commands [][]string
	for _, m := range cmdLine.FindAllStringSubmatch(string(usage), -1) {
		words := strings.Fields(m[1])
		commands = append(commands, words)
		if len(words) > 1 {
			commands = append(commands, words[:1]) // "cluster" alone, too
		}
	}
	if len(commands) < 6 {
		t.Fatalf("found only %v in the usage:\n%s", commands, usage)
	}
	for _, c := range append(commands, nil) {
		for _, h := range []string{"-h", "--help"} {
			cmd := exec.Command(binary, append(append([]string{}, c...), h)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if err != nil || !strings.Contains(strings.ToLower(stdout.String()), "usage") {
				t.Errorf("eksaccess %s %s: %v, stdout %q, stderr %q", strings.Join(c, " "), h, err, stdout.String(), stderr.String())
			}
		}
	}
	// A bad flag is still an error (status 2, on stderr).
	for _, c := range [][]string{{"serve"}, {"cluster", "attach"}, {"certs"}, {"webhook-config"}} {
		cmd := exec.Command(binary, append(c, "--no-such-flag")...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		var ee *exec.ExitError
		if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "no-such-flag") || stdout.Len() != 0 {
			t.Errorf("eksaccess %s --no-such-flag: %v, stdout %q, stderr %q", strings.Join(c, " "), err, stdout.String(), stderr.String())
		}
	}
}

// `eksaccess version` reports the build information: -X main.version when set, else the
// module version; the VCS revision and its commit time; the Go version.
func TestVersionFromBuildInfo(t *testing.T) {
	// Parallel: the release link below is the longest wait of the package; the other tests run
	// meanwhile.
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is needed to stamp VCS information")
	}
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err == nil && !st.IsDir() && os.Getenv("CI") != "true" {
		// The go command looks for a .git directory: a git worktree (.git is a file) gets no
		// VCS stamp. CI runs in a clone.
		t.Skip("this checkout is a git worktree, which go build does not stamp with VCS information; run the test in a clone")
	}
	commitTime, err := exec.Command("git", "log", "-1", "--format=%cI").Output()
	if err != nil {
		t.Fatal(err)
	}
	wantTime, err := time.Parse(time.RFC3339, strings.TrimSpace(string(commitTime)))
	if err != nil {
		t.Fatal(err)
	}
	// The module build is the README's `go build -o eksaccess ./cmd/eksaccess`, which TestMain
	// has linked already (stamped with VCS information, as that build is by default); only the
	// release build is linked here.
	release := filepath.Join(t.TempDir(), "eksaccess")
	if err := testenv.BuildEksaccess(release, "-ldflags", "-X main.version=v9.8.7"); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, bin, version string }{
		{"module", binary, ""},
		{"release", release, "v9.8.7"},
	}
	for _, tc := range cases {
		out, err := exec.Command(tc.bin, "version").Output()
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		for _, l := range lines[1:] {
			k, v, _ := strings.Cut(l, ":")
			fields[k] = strings.TrimSpace(v)
		}
		first := strings.TrimPrefix(lines[0], "eksaccess ")
		if tc.version != "" && first != tc.version {
			t.Errorf("%s: version %q, want %q", tc.name, first, tc.version)
		}
		if tc.version == "" && (first == "dev" || first == "" || !strings.HasPrefix(first, "v")) {
			t.Errorf("%s: version %q, want the module version from the build info", tc.name, first)
		}
		if !strings.HasPrefix(fields["module"], "github.com/eksaccess/eksaccess ") {
			t.Errorf("%s: module %q", tc.name, fields["module"])
		}
		if r := strings.Fields(fields["revision"]); len(r) == 0 || r[0] != strings.TrimSpace(string(rev)) {
			t.Errorf("%s: revision %q, want %s", tc.name, fields["revision"], rev)
		}
		when, err := time.Parse(time.RFC3339, strings.Fields(fields["time"] + " x")[0])
		if err != nil || !when.Equal(wantTime) {
			t.Errorf("%s: time %q, want %s (%v)", tc.name, fields["time"], wantTime, err)
		}
		if fields["go"] != runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH {
			t.Errorf("%s: go %q", tc.name, fields["go"])
		}
		if t.Failed() {
			t.Logf("output:\n%s", out)
		}
	}
}

// `eksaccess certs` and `eksaccess webhook-config` make files that work: eksaccess serves with
// the certificates, and the k8s.io/apiserver webhook client (kube-apiserver's) built from the
// written kubeconfig completes a TokenReview over mutual TLS; without the client certificate
// it is refused.
func TestCertsAndWebhookConfig(t *testing.T) {
	dir := t.TempDir()
	pkiDir, kcDir := filepath.Join(dir, "pki"), filepath.Join(dir, "kube")
	out, err := exec.Command(binary, "certs", "--dir", pkiDir, "--hosts", "127.0.0.1,localhost").CombinedOutput()
	if err != nil || strings.Count(string(out), "created ") != 3 {
		t.Fatalf("certs: %v\n%s", err, out)
	}
	out, err = exec.Command(binary, "certs", "--dir", pkiDir, "--hosts", "127.0.0.1,localhost").CombinedOutput()
	if err != nil || strings.Count(string(out), "kept ") != 3 {
		t.Fatalf("certs again: want every file kept: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	cmd := exec.Command(binary, "serve", "--listen", addr, "--database", "sqlite://"+filepath.Join(dir, "e.db"),
		"--tls-cert-file", filepath.Join(pkiDir, "eksaccess.crt"), "--tls-key-file", filepath.Join(pkiDir, "eksaccess.key"),
		"--client-ca-file", filepath.Join(pkiDir, "ca.crt"))
	logs := &strings.Builder{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	out, err = exec.Command(binary, "webhook-config", "--cluster", "c1", "--account", "012345678910", "--region", "us-west-2",
		"--server", "https://localhost:"+strings.Split(addr, ":")[1], "--certs-dir", pkiDir, "--out-dir", kcDir).Output()
	if err != nil {
		t.Fatalf("webhook-config: %v", err)
	}
	authnKC := filepath.Join(kcDir, "eksaccess-authenticate.kubeconfig")
	for _, want := range []string{"--authentication-token-webhook-config-file=" + authnKC, "--authorization-webhook-config-file=" + filepath.Join(kcDir, "eksaccess-authorize.kubeconfig"),
		"--authentication-token-webhook-version=v1", "--authorization-webhook-version=v1", "--authorization-mode=Node,RBAC,Webhook"} {
		if !strings.Contains(string(out)+"\n", want+"\n") {
			t.Errorf("webhook-config flags lack %s:\n%s", want, out)
		}
	}
	if st, err := os.Stat(authnKC); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v (it holds a private key: want mode 0600)", authnKC, err)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", authnKC)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://localhost:" + strings.Split(addr, ":")[1] + "/kubernetes/012345678910/us-west-2/c1/authenticate"; rc.Host != want {
		t.Fatalf("kubeconfig server %q, want %q", rc.Host, want)
	}
	authn, err := authnwebhook.New(rc, "v1", nil, backoffOnce())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		// The webhook itself answers (not authenticated, with its reason) once TLS works: the
		// request went to the cluster's path over mutual TLS.
		_, ok, err := authn.AuthenticateToken(context.Background(), "k8s-aws-v1.bm90LWEtdXJs")
		if !ok && err != nil && err.Error() == "no cluster c1 in account 012345678910 region us-west-2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("TokenReview through the written kubeconfig: ok=%v err=%v\n%s", ok, err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	rc.TLSClientConfig.CertData, rc.TLSClientConfig.KeyData = nil, nil
	noCert, err := authnwebhook.New(rc, "v1", nil, backoffOnce())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := noCert.AuthenticateToken(context.Background(), "k8s-aws-v1.bm90LWEtdXJs"); err == nil {
		t.Fatal("TokenReview without the client certificate succeeded")
	}

	// Errors name what is wrong.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"webhook-config", "--cluster", "c1", "--server", "http://localhost:8600", "--certs-dir", pkiDir}, "want https://HOST[:PORT]"},
		{[]string{"webhook-config", "--cluster", "c1", "--server", "https://localhost:8600", "--certs-dir", filepath.Join(dir, "none")}, "run 'eksaccess certs --dir"},
		{[]string{"certs", "--dir", pkiDir}, "--hosts are required"},
		{[]string{"certs", "--dir", pkiDir, "--hosts", "https://x"}, `host "https://x": want a DNS name or an IP address`},
	} {
		out, err := exec.Command(binary, tc.args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("eksaccess %s: want an error with %q, got %v:\n%s", strings.Join(tc.args, " "), tc.want, err, out)
		}
	}
}

func backoffOnce() wait.Backoff { b := *authnwebhook.DefaultRetryBackoff(); b.Steps = 1; return b }

// --open-listen-any (EKSACCESS_OPEN_LISTEN_ANY=true) lifts open mode's loopback-only rule, and
// says so loudly. The address is TEST-NET-1 (192.0.2.1), which no interface has: without the
// opt-in the configuration is refused; with it, only binding fails, so no test opens a port
// beyond loopback (hack/image.sh runs the image on 0.0.0.0).
func TestOpenListenAnyOptIn(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "x.db")
	for _, tc := range []struct {
		name string
		args []string
		env  string
		want []string
	}{
		{"default", nil, "", []string{"may listen only on a loopback address", "--open-listen-any accepts unauthenticated callers"}},
		{"env false", nil, "EKSACCESS_OPEN_LISTEN_ANY=false", []string{"may listen only on a loopback address"}},
		{"flag", []string{"--open-listen-any"}, "", []string{"UNAUTHENTICATED: --open-listen-any", "192.0.2.1:8600", "cannot assign requested address"}},
		{"env", nil, "EKSACCESS_OPEN_LISTEN_ANY=true", []string{"UNAUTHENTICATED: --open-listen-any", "cannot assign requested address"}},
	} {
		cmd := exec.Command(binary, append([]string{"serve", "--listen", "192.0.2.1:8600", "--database", db}, tc.args...)...)
		cmd.Env = append(os.Environ(), tc.env)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("%s: started", tc.name)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, w, out)
			}
		}
		if tc.env == "" && len(tc.args) == 0 && strings.Contains(string(out), "UNAUTHENTICATED") {
			t.Errorf("%s: warned without the opt-in", tc.name)
		}
	}
}

// The EKSACCESS_* variables the deployment files set (Containerfile, Helm chart, kubeadm static
// pod, systemd environment file) are all variables `eksaccess serve` reads, and the systemd unit
// reloads with SIGHUP.
func TestDeployFilesUseServeVariables(t *testing.T) {
	help, err := exec.Command(binary, "serve", "-h").Output()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`env (EKSACCESS_[A-Z_]+)`).FindAllStringSubmatch(string(help), -1) {
		known[m[1]] = true
	}
	if len(known) < 15 || !known["EKSACCESS_OPEN_LISTEN_ANY"] {
		t.Fatalf("serve -h names only %v", known)
	}
	root := filepath.Join("..", "..")
	files := []string{"Containerfile", "deploy/kubeadm/eksaccess.yaml", "deploy/systemd/eksaccess.env", "deploy/helm/eksaccess/templates/deployment.yaml"}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		uses := regexp.MustCompile(`EKSACCESS_[A-Z_]+`).FindAllString(string(b), -1)
		if len(uses) < 3 {
			t.Errorf("%s sets only %v", f, uses)
		}
		for _, v := range uses {
			if !known[v] {
				t.Errorf("%s uses %s, which eksaccess serve does not read", f, v)
			}
		}
	}
	unit, err := os.ReadFile(filepath.Join(root, "deploy/systemd/eksaccess.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nExecStart=/usr/local/bin/eksaccess serve\n", "\nExecReload=/bin/kill -HUP $MAINPID\n", "\nEnvironmentFile=/etc/eksaccess/eksaccess.env\n"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("eksaccess.service lacks %q", strings.TrimSpace(want))
		}
	}
}

// `eksaccess healthcheck` (the image's HEALTHCHECK) exits 0 while /healthz answers, reaching an
// all-interfaces listen address through 127.0.0.1, and 1 once the server is gone.
func TestHealthcheckCommand(t *testing.T) {
	dir := t.TempDir()
	p := serve(t, dir, nil, "--database", "sqlite://"+filepath.Join(dir, "h.db"))
	_, port, _ := strings.Cut(strings.TrimPrefix(p.url, "http://"), ":")
	out, err := exec.Command(binary, "healthcheck", "--listen", "0.0.0.0:"+port).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok http://127.0.0.1:"+port+"/healthz") {
		t.Fatalf("healthcheck of a running server: %v\n%s", err, out)
	}
	p.stop(t)
	out, err = exec.Command(binary, "healthcheck", "--listen", "127.0.0.1:"+port).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "connection refused") {
		t.Fatalf("healthcheck of a stopped server: %v\n%s", err, out)
	}
}
