//go:build e2e

// Package kube_test runs eksaccess against a real kube-apiserver: eksaccess serves the EKS API,
// STS, and the token-review and authorization webhooks over TLS; kube-apiserver (with etcd) calls
// the webhooks over mutual TLS; kubectl authenticates with the exec plugin `aws eks get-token`
// written by `aws eks update-kubeconfig`, exactly as on Amazon EKS.
//
// The tests are built only with -tags e2e (skip_test.go stands for them otherwise) and skip
// unless EKSACCESS_E2E=1. With EKSACCESS_E2E=1 a missing dependency fails them:
// etcd (PATH or $ETCD), kube-apiserver ($KUBE_APISERVER, built by hack/build-kube-apiserver.sh),
// kubectl and aws (aws-cli) on the PATH. hack/e2e.sh prepares all of it and runs the tests.
// EKSACCESS_E2E_KEEP=1 keeps the working directory (PKI, kubeconfigs, logs) for inspection.
//
// The wiring between kube-apiserver and eksaccess is made as docs/install.md tells a user: the
// built binary's `eksaccess certs` creates eksaccess's CA, serving certificate and kube-apiserver's
// webhook client certificate (pki/eksaccess/), and `eksaccess webhook-config` writes the two
// webhook kubeconfigs and prints the kube-apiserver flags the harness starts kube-apiserver with.
// kube-apiserver's own PKI (its CA, serving certificate, an admin client certificate, the
// service-account keys) is made by the harness, as kubeadm would make it.
package kube_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/testutil"
)

const (
	account      = "012345678910"
	region       = "us-west-2"
	mainCluster  = "e2e-main"  // attached to the kube-apiserver
	otherCluster = "e2e-other" // exists in eksaccess, not attached: tokens minted for it must fail on e2e-main
	// cmCluster (API_AND_CONFIG_MAP) is attached to a second kube-apiserver (same etcd, another
	// prefix) whose kube-system/aws-auth eksaccess watches.
	cmCluster = "e2e-cm"

	policyPrefix = "arn:aws:eks::aws:cluster-access-policy/"
	viewPolicy   = policyPrefix + "AmazonEKSViewPolicy"
	editPolicy   = policyPrefix + "AmazonEKSEditPolicy"

	unauthorized = "error: You must be logged in to the server (Unauthorized)"
)

// principal is an IAM user of the identities file, with its long-term access key.
type principal struct {
	Name, Key, Secret string
}

// ARN is the user's IAM ARN (all test users have the path /).
func (p principal) ARN() string { return "arn:aws:iam::" + account + ":user/" + p.Name }

// Users of the identities file. Every test uses its own identities: kube-apiserver caches a
// successful token review for 10 s, so tokens must never be shared between test cases.
var (
	adminUser = principal{"e2e-admin", "AKIAE2EADMIN00000001", "admin-secret"}         // sets everything up; no access entry
	roleUser  = principal{"e2e-role-user", "AKIAE2EROLEUSER00001", "role-user-secret"} // assumes the test roles
	rbacUser  = principal{"e2e-rbac-user", "AKIAE2ERBACUSER00001", "rbac-user-secret"} // scenario 3
	wrongUser = principal{"e2e-wrong-user", "AKIAE2EWRONGUSER0001", "wrong-user-secret"}
	oldUser   = principal{"e2e-old-user", "AKIAE2EOLDUSER000001", "old-user-secret"}
	stranger  = principal{"e2e-stranger", "AKIAE2ESTRANGER00001", "stranger-secret"} // has no access entry anywhere
	impUser   = principal{"e2e-imp-user", "AKIAE2EIMPUSER000001", "imp-user-secret"} // impersonated by the admin
)

// Roles of the identities file; roleUser may assume each of them.
const (
	viewerRole  = "arn:aws:iam::" + account + ":role/e2e-viewer"
	editorRole  = "arn:aws:iam::" + account + ":role/e2e-dev-editor"
	revokedRole = "arn:aws:iam::" + account + ":role/e2e-revoked"
	pathedRole  = "arn:aws:iam::" + account + ":role/team/e2e-pathed"
)

func identitiesFile() map[string]any {
	allow := func(actions ...string) map[string]any {
		return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}}}
	}
	user := func(p principal, actions ...string) map[string]any {
		return map[string]any{"name": p.Name, "accessKeys": []any{map[string]any{"id": p.Key, "secret": p.Secret}}, "policies": []any{allow(actions...)}}
	}
	trust := []string{roleUser.ARN()}
	role := func(name, path string) map[string]any {
		return map[string]any{"name": name, "path": path, "trust": trust, "policies": []any{allow("eks:DescribeCluster")}}
	}
	return map[string]any{"accounts": []any{map[string]any{
		"id": account,
		"users": []any{
			user(adminUser, "eks:*", "sts:AssumeRole", "eksaccess:*"),
			user(roleUser, "eks:DescribeCluster", "sts:AssumeRole"),
			user(rbacUser, "eks:DescribeCluster"),
			user(wrongUser, "eks:DescribeCluster"),
			user(oldUser, "eks:DescribeCluster"),
			user(stranger, "eks:DescribeCluster"),
			user(impUser, "eks:DescribeCluster"),
			user(xUnmapped, "eks:DescribeCluster"),
		},
		"roles": []any{
			role("e2e-viewer", "/"),
			role("e2e-dev-editor", "/"),
			role("e2e-revoked", "/"),
			role("e2e-pathed", "/team/"),
			role("e2e-x-viewer", "/"),
			role("e2e-x-editor", "/"),
			role("e2e-x-grouped", "/"),
			role("e2e-x-mapped", "/"),
		},
	}}}
}

// env is the running system: etcd, eksaccess and kube-apiserver, shared by all tests.
type env struct {
	dir, logs string
	eksaccess string // binary
	database  string // DSN
	eksURL    string // https://127.0.0.1:PORT (EKS API, STS, webhooks)
	apiURL    string // https://127.0.0.1:PORT (kube-apiserver)
	caFile    string
	pool      *x509.CertPool

	adminKubeconfig string // client certificate in system:masters
	// pki names the PEM files: kube-apiserver's ("ca.crt", "apiserver.crt", "admin.crt", "sa.key",
	// …) and eksaccess's, made by `eksaccess certs` ("eksaccess-ca.crt", "eksaccess.crt",
	// "webhook-client.crt", with their ".key"s). caFile is eksaccess's CA; pool trusts both CAs.
	pki map[string]string
	// The second kube-apiserver, of cmCluster.
	cmAPIURL, cmAdminKubeconfig string
	plainKubeconfig             string // server and CA only: for kubectl --token
	kubeCache                   string // kubectl --cache-dir

	procs []*proc // in start order
	start time.Time
}

var (
	setupOnce sync.Once
	theEnv    *env
	setupErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if theEnv != nil {
		if code != 0 || setupErr != nil {
			theEnv.dumpLogs()
		}
		if err := theEnv.teardown(); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: teardown: %v\n", err)
			theEnv.dumpLogs()
			code = 1
		}
	}
	os.Exit(code)
}

// system returns the shared environment, starting it on first use. It skips unless
// EKSACCESS_E2E=1 and fails the test when the environment cannot start.
func system(t *testing.T) *env {
	t.Helper()
	if os.Getenv("EKSACCESS_E2E") != "1" {
		testutil.SkipVisibly(t, "end-to-end test against a real kube-apiserver: set EKSACCESS_E2E=1 (run: bash hack/e2e.sh)")
	}
	setupOnce.Do(func() { theEnv, setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("e2e environment: %v", setupErr)
	}
	return theEnv
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "e2e [%5.1fs] %s\n", time.Since(e.start).Seconds(), fmt.Sprintf(format, args...))
}

func setup() (_ *env, err error) {
	e := &env{start: time.Now()}
	// Dependencies first: with EKSACCESS_E2E=1 a missing one is a failure, not a skip.
	etcdBin := os.Getenv("ETCD")
	if etcdBin == "" {
		if etcdBin, err = exec.LookPath("etcd"); err != nil {
			return nil, fmt.Errorf("etcd not found (install Debian's etcd-server, or set ETCD): %v", err)
		}
	}
	kas := os.Getenv("KUBE_APISERVER")
	if kas == "" {
		return nil, errors.New("KUBE_APISERVER is not set (path of a kube-apiserver binary; hack/build-kube-apiserver.sh builds one)")
	}
	if st, err := os.Stat(kas); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("KUBE_APISERVER=%s is not an executable file: %v", kas, err)
	}
	for _, tool := range []string{"kubectl", "aws", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s is required: %v", tool, err)
		}
	}

	if e.dir, err = os.MkdirTemp("", "eksaccess-e2e-"); err != nil {
		return nil, err
	}
	theEnv = e // so that TestMain tears down whatever started, even if setup fails half-way
	e.logs = filepath.Join(e.dir, "logs")
	e.kubeCache = filepath.Join(e.dir, "kube-cache")
	for _, d := range []string{e.logs, e.kubeCache, filepath.Join(e.dir, "pki"), filepath.Join(e.dir, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return e, err
		}
	}
	e.logf("working directory %s", e.dir)

	// Build eksaccess while the PKI is generated and etcd starts.
	e.eksaccess = filepath.Join(e.dir, "bin", "eksaccess")
	build := exec.Command("go", "build", "-o", e.eksaccess, "github.com/eksaccess/eksaccess/cmd/eksaccess")
	var buildOut bytes.Buffer
	build.Stdout, build.Stderr = &buildOut, &buildOut
	if err := build.Start(); err != nil {
		return e, fmt.Errorf("go build: %v", err)
	}
	buildDone := make(chan error, 1)
	go func() { buildDone <- build.Wait() }()

	pki, err := e.writePKI()
	if err != nil {
		return e, fmt.Errorf("PKI: %v", err)
	}
	e.pki = pki
	ports, err := freePorts(5)
	if err != nil {
		return e, err
	}
	etcdClient, etcdPeer := fmt.Sprintf("http://127.0.0.1:%d", ports[0]), fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	e.apiURL = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	eksAddr := fmt.Sprintf("127.0.0.1:%d", ports[3])
	e.eksURL = "https://" + eksAddr
	e.cmAPIURL = fmt.Sprintf("https://127.0.0.1:%d", ports[4])
	e.cmAdminKubeconfig = filepath.Join(e.dir, "admin-cm.kubeconfig")
	if err := writeKubeconfig(e.cmAdminKubeconfig, e.cmAPIURL, pki["ca.crt"], map[string]any{"client-certificate": pki["admin.crt"], "client-key": pki["admin.key"]}); err != nil {
		return e, err
	}

	etcd, err := e.startProc("etcd", nil, etcdBin, "--name", "e2e", "--data-dir", filepath.Join(e.dir, "etcd-data"),
		"--listen-client-urls", etcdClient, "--advertise-client-urls", etcdClient,
		"--listen-peer-urls", etcdPeer, "--initial-advertise-peer-urls", etcdPeer,
		"--initial-cluster", "e2e="+etcdPeer)
	if err != nil {
		return e, err
	}
	plain := &http.Client{Timeout: 2 * time.Second}
	if err := e.waitFor(etcd, 20*time.Second, func() error {
		b, err := get(plain, etcdClient+"/health")
		if err == nil && !strings.Contains(b, `"true"`) {
			err = fmt.Errorf("health %s", b)
		}
		return err
	}); err != nil {
		return e, err
	}
	e.logf("etcd ready on %s", etcdClient)

	if err := <-buildDone; err != nil {
		return e, fmt.Errorf("go build ./cmd/eksaccess: %v\n%s", err, buildOut.String())
	}
	e.logf("eksaccess built")
	if err := e.eksaccessCerts(); err != nil {
		return e, err
	}
	e.caFile = pki["eksaccess-ca.crt"]

	// eksaccess: EKS API, STS and the webhooks on one TLS listener.
	identities := filepath.Join(e.dir, "identities.json")
	if err := writeJSON(identities, identitiesFile()); err != nil {
		return e, err
	}
	e.database = "sqlite://" + filepath.Join(e.dir, "eksaccess.db")
	eksProc, err := e.startProc("eksaccess", nil, e.eksaccess, "serve", "--listen", eksAddr, "--database", e.database,
		"--auth", "sigv4", "--identities", identities, "--update-duration", "0s", "--log-level", "debug",
		"--tls-cert-file", pki["eksaccess.crt"], "--tls-key-file", pki["eksaccess.key"], "--client-ca-file", pki["eksaccess-ca.crt"],
		// OIDC issuers of the tests serve certificates of the test CA; aws-auth of cmCluster is
		// watched on its kube-apiserver (which starts later: the watch retries until it is up).
		"--oidc-ca-file", pki["eksaccess-ca.crt"], "--aws-auth", account+"/"+region+"/"+cmCluster+"=kubeconfig:"+e.cmAdminKubeconfig)
	if err != nil {
		return e, err
	}
	tlsClient := e.httpClient("")
	if err := e.waitFor(eksProc, 20*time.Second, func() error { _, err := get(tlsClient, e.eksURL+"/healthz"); return err }); err != nil {
		return e, err
	}
	e.logf("eksaccess ready on %s", e.eksURL)

	// Clusters, then attach the main one to the kube-apiserver about to start.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := e.eksAs(adminUser)
	for name, mode := range map[string]ekstypes.AuthenticationMode{mainCluster: ekstypes.AuthenticationModeApi, otherCluster: ekstypes.AuthenticationModeApi,
		cmCluster: ekstypes.AuthenticationModeApiAndConfigMap} {
		if _, err := admin.CreateCluster(ctx, &eks.CreateClusterInput{
			Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::" + account + ":role/eks"),
			ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
			AccessConfig: &ekstypes.CreateAccessConfigRequest{AuthenticationMode: mode,
				BootstrapClusterCreatorAdminPermissions: aws.Bool(false)},
		}); err != nil {
			return e, fmt.Errorf("CreateCluster %s: %v", name, err)
		}
	}
	for name, endpoint := range map[string]string{mainCluster: e.apiURL, cmCluster: e.cmAPIURL} {
		if out, err := exec.Command(e.eksaccess, "cluster", "attach", "--database", e.database, "--account", account, "--region", region,
			"--name", name, "--endpoint", endpoint, "--ca-file", pki["ca.crt"]).CombinedOutput(); err != nil {
			return e, fmt.Errorf("eksaccess cluster attach %s: %v\n%s", name, err, out)
		}
	}
	e.logf("clusters %s, %s and %s created, %s and %s attached", mainCluster, otherCluster, cmCluster, mainCluster, cmCluster)

	// kube-apiservers, calling their cluster's webhooks with a client certificate.
	e.adminKubeconfig = filepath.Join(e.dir, "admin.kubeconfig")
	if err := writeKubeconfig(e.adminKubeconfig, e.apiURL, pki["ca.crt"], map[string]any{"client-certificate": pki["admin.crt"], "client-key": pki["admin.key"]}); err != nil {
		return e, err
	}
	e.plainKubeconfig = filepath.Join(e.dir, "plain.kubeconfig")
	if err := writeKubeconfig(e.plainKubeconfig, e.apiURL, pki["ca.crt"], map[string]any{}); err != nil {
		return e, err
	}
	kasMain, err := e.startKubeAPIServer(kas, "kube-apiserver", mainCluster, e.apiURL, etcdClient, "/registry")
	if err != nil {
		return e, err
	}
	kasCM, err := e.startKubeAPIServer(kas, "kube-apiserver-cm", cmCluster, e.cmAPIURL, etcdClient, "/registry-cm")
	if err != nil {
		return e, err
	}
	adminHTTP := e.httpClient("admin")
	for p, url := range map[*proc]string{kasMain: e.apiURL, kasCM: e.cmAPIURL} {
		if err := e.waitFor(p, 90*time.Second, func() error {
			b, err := get(adminHTTP, url+"/readyz")
			if err == nil && strings.TrimSpace(b) != "ok" {
				err = fmt.Errorf("readyz %q", b)
			}
			return err
		}); err != nil {
			return e, err
		}
		e.logf("%s ready on %s", p.name, url)
	}
	return e, nil
}

// eksaccessCerts runs `eksaccess certs` for eksaccess's address (as docs/install.md does), twice:
// the second run must keep every file. It adds the files to e.pki and the CA to e.pool.
func (e *env) eksaccessCerts() error {
	dir := filepath.Join(e.dir, "pki", "eksaccess")
	args := []string{"certs", "--dir", dir, "--hosts", "127.0.0.1,localhost"}
	for i, want := range []string{"created ", "kept "} {
		out, err := exec.Command(e.eksaccess, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("eksaccess %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != 3 || strings.Count(string(out), want) != 3 {
			return fmt.Errorf("eksaccess certs (run %d): want 3 lines %q…, got:\n%s", i+1, want, out)
		}
	}
	for name, file := range map[string]string{"eksaccess-ca.crt": "ca.crt", "eksaccess.crt": "eksaccess.crt", "eksaccess.key": "eksaccess.key",
		"webhook-client.crt": "webhook-client.crt", "webhook-client.key": "webhook-client.key"} {
		e.pki[name] = filepath.Join(dir, file)
	}
	ca, err := os.ReadFile(e.pki["eksaccess-ca.crt"])
	if err != nil {
		return err
	}
	if !e.pool.AppendCertsFromPEM(ca) {
		return fmt.Errorf("%s: no certificate", e.pki["eksaccess-ca.crt"])
	}
	e.logf("eksaccess certs written to %s", dir)
	return nil
}

// webhookFlags runs `eksaccess webhook-config` for cluster and returns the kube-apiserver flags
// it prints (they name the two webhook kubeconfigs it wrote).
func (e *env) webhookFlags(name, cluster string) ([]string, error) {
	args := []string{"webhook-config", "--cluster", cluster, "--account", account, "--region", region, "--server", e.eksURL,
		"--certs-dir", filepath.Dir(e.pki["eksaccess-ca.crt"]), "--out-dir", filepath.Join(e.dir, name+"-webhooks")}
	cmd := exec.Command(e.eksaccess, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("eksaccess %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	flags := strings.Fields(string(out))
	for _, f := range flags {
		if !strings.HasPrefix(f, "--") {
			return nil, fmt.Errorf("eksaccess webhook-config printed %q, not a flag:\n%s", f, out)
		}
	}
	return flags, nil
}

// startKubeAPIServer starts a kube-apiserver on url whose webhooks are cluster's (wired by
// `eksaccess webhook-config`), storing its objects in etcd under prefix.
func (e *env) startKubeAPIServer(kas, name, cluster, url, etcdClient, prefix string) (*proc, error) {
	pki := e.pki
	wh, err := e.webhookFlags(name, cluster)
	if err != nil {
		return nil, err
	}
	args := []string{
		"--etcd-servers=" + etcdClient, "--etcd-prefix=" + prefix,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strings.TrimPrefix(url, "https://127.0.0.1:"),
		"--tls-cert-file=" + pki["apiserver.crt"], "--tls-private-key-file=" + pki["apiserver.key"], "--client-ca-file=" + pki["ca.crt"],
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pki["sa.pub"], "--service-account-signing-key-file=" + pki["sa.key"],
		"--service-cluster-ip-range=10.0.0.0/24", "--endpoint-reconciler-type=none",
	}
	args = append(args, wh...)
	// Tests change access and look at the next request: no token-review cache, 1 s decision caches.
	args = append(args, "--authentication-token-webhook-cache-ttl=0s",
		"--authorization-webhook-cache-authorized-ttl=1s", "--authorization-webhook-cache-unauthorized-ttl=1s")
	return e.startProc(name, nil, kas, args...)
}

// teardown stops the processes in reverse start order (SIGTERM, then SIGKILL after 20 s). It
// fails when eksaccess does not shut down cleanly.
func (e *env) teardown() error {
	var errs []error
	for i := len(e.procs) - 1; i >= 0; i-- {
		p := e.procs[i]
		start := time.Now()
		killed := p.stop(20 * time.Second)
		e.logf("stopped %s in %s: %v", p.name, time.Since(start).Round(time.Millisecond), p.err)
		if p.name == "eksaccess" && (killed || p.err != nil) {
			errs = append(errs, fmt.Errorf("eksaccess did not exit cleanly on SIGTERM (killed=%v): %v", killed, p.err))
		}
	}
	if os.Getenv("EKSACCESS_E2E_KEEP") == "1" {
		e.logf("kept %s", e.dir)
	} else {
		os.RemoveAll(e.dir)
	}
	return errors.Join(errs...)
}

// dumpLogs prints the tail of every process's log.
func (e *env) dumpLogs() {
	for _, p := range e.procs {
		b, _ := os.ReadFile(p.logPath)
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 150 {
			lines = lines[len(lines)-150:]
		}
		fmt.Fprintf(os.Stderr, "\n===== %s (%s), last %d lines =====\n%s\n", p.name, p.logPath, len(lines), strings.Join(lines, "\n"))
	}
}

// proc is a process the harness started; it is stopped by its PID only.
type proc struct {
	name, logPath string
	cmd           *exec.Cmd
	done          chan struct{}
	err           error
}

func (e *env) startProc(name string, extraEnv []string, bin string, args ...string) (*proc, error) {
	logPath := filepath.Join(e.logs, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.Stdout, cmd.Stderr = f, f
	// If the test binary dies, so do its servers.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %v", name, err)
	}
	p := &proc{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); f.Close(); close(p.done) }()
	e.procs = append(e.procs, p)
	e.logf("started %s (pid %d), log %s", name, cmd.Process.Pid, logPath)
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then SIGKILL after grace; it reports whether it had to kill.
func (p *proc) stop(grace time.Duration) (killed bool) {
	if p.exited() {
		return false
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return false
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return true
	}
}

// waitFor polls ready until it succeeds, p exits, or the timeout passes.
func (e *env) waitFor(p *proc, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited: %v (see its log below)", p.name, p.err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %v", p.name, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return string(b), fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return string(b), nil
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// httpClient trusts both test CAs; with a name ("admin", "webhook-client") it presents that
// client certificate of the test PKI.
func (e *env) httpClient(clientCert string) *http.Client {
	cfg := &tls.Config{RootCAs: e.pool}
	if clientCert != "" {
		cert, err := tls.LoadX509KeyPair(e.pki[clientCert+".crt"], e.pki[clientCert+".key"])
		if err != nil {
			panic(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

// eksAs is an EKS client (aws-sdk-go-v2) over HTTPS, signing as p.
func (e *env) eksAs(p principal) *eks.Client {
	return eks.NewFromConfig(aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(p.Key, p.Secret, ""),
		BaseEndpoint:     aws.String(e.eksURL),
		HTTPClient:       e.httpClient(""),
		RetryMaxAttempts: 1,
	})
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// writeKubeconfig writes a one-cluster kubeconfig (JSON is YAML).
func writeKubeconfig(path, server, ca string, user map[string]any) error {
	return writeJSON(path, map[string]any{
		"apiVersion": "v1", "kind": "Config",
		"clusters":        []any{map[string]any{"name": "c", "cluster": map[string]any{"server": server, "certificate-authority": ca}}},
		"users":           []any{map[string]any{"name": "u", "user": user}},
		"contexts":        []any{map[string]any{"name": "c", "context": map[string]any{"cluster": "c", "user": "u"}}},
		"current-context": "c",
	})
}

// writePKI creates kube-apiserver's CA and certificates, and returns the files by name.
func (e *env) writePKI() (map[string]string, error) {
	dir := filepath.Join(e.dir, "pki")
	files := map[string]string{}
	write := func(name, typ string, der []byte) error {
		p := filepath.Join(dir, name)
		files[name] = p
		return os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
	}
	newKey := func() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }
	serial := int64(1)
	now := time.Now()
	tmpl := func(cn string, org ...string) *x509.Certificate {
		serial++
		return &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Organization: org},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature,
		}
	}

	caKey, err := newKey()
	if err != nil {
		return nil, err
	}
	caTmpl := tmpl("kube-e2e-ca")
	caTmpl.IsCA, caTmpl.BasicConstraintsValid = true, true
	caTmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	e.pool = x509.NewCertPool()
	e.pool.AddCert(caCert)
	if err := write("ca.crt", "CERTIFICATE", caDER); err != nil {
		return nil, err
	}

	leaf := func(name string, c *x509.Certificate) error {
		key, err := newKey()
		if err != nil {
			return err
		}
		der, err := x509.CreateCertificate(rand.Reader, c, caCert, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return err
		}
		if err := write(name+".crt", "CERTIFICATE", der); err != nil {
			return err
		}
		return write(name+".key", "EC PRIVATE KEY", kder)
	}
	serving := func(cn string) *x509.Certificate {
		c := tmpl(cn)
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		c.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(10, 0, 0, 1)}
		c.DNSNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}
		return c
	}
	client := func(cn string, org ...string) *x509.Certificate {
		c := tmpl(cn, org...)
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		return c
	}
	for name, c := range map[string]*x509.Certificate{
		"apiserver": serving("kube-apiserver"),
		"admin":     client("e2e-admin", "system:masters"),
	} {
		if err := leaf(name, c); err != nil {
			return nil, err
		}
	}

	// Service-account token keys.
	sa, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	if err := write("sa.key", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(sa)); err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	if err != nil {
		return nil, err
	}
	return files, write("sa.pub", "PUBLIC KEY", pub)
}

// ---- aws-cli and kubectl ----

// creds are AWS credentials for aws-cli and the kubectl exec plugin.
type creds struct{ Key, Secret, Session string }

func credsOf(p principal) creds { return creds{Key: p.Key, Secret: p.Secret} }

// awsEnv is the environment for aws-cli (and kubectl, whose exec plugin runs aws-cli): the
// endpoint is eksaccess over TLS, nothing comes from the user's AWS or kube configuration.
func (e *env) awsEnv(c creds) []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "KUBECONFIG=") {
			continue
		}
		out = append(out, kv)
	}
	out = append(out,
		"AWS_ENDPOINT_URL="+e.eksURL,
		"AWS_CA_BUNDLE="+e.caFile,
		"AWS_DEFAULT_REGION="+region,
		"AWS_ACCESS_KEY_ID="+c.Key,
		"AWS_SECRET_ACCESS_KEY="+c.Secret,
		"AWS_CONFIG_FILE="+filepath.Join(e.dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(e.dir, "no-aws-credentials"),
		"AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=1",
	)
	if c.Session != "" {
		out = append(out, "AWS_SESSION_TOKEN="+c.Session)
	}
	return out
}

// result is a finished command.
type result struct {
	Stdout, Stderr string
	Code           int
	Took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %s\nstdout: %s\nstderr: %s", r.Code, r.Took.Round(time.Millisecond), r.Stdout, r.Stderr)
}

func run(t *testing.T, envv []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = envv
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{Stdout: out.String(), Stderr: errb.String(), Took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	default:
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return r
}

// aws runs aws-cli with credentials c and requires success.
func (e *env) aws(t *testing.T, c creds, args ...string) string {
	t.Helper()
	r := run(t, e.awsEnv(c), "aws", args...)
	if r.Code != 0 {
		t.Fatalf("aws %s: %s", strings.Join(args, " "), r)
	}
	return r.Stdout
}

// kubeUser is someone running kubectl with a kubeconfig written by `aws eks update-kubeconfig`.
type kubeUser struct {
	e          *env
	creds      creds
	kubeconfig string
}

// updateKubeconfig runs `aws eks update-kubeconfig --name CLUSTER [--role-arn ROLE]` as c.
func (e *env) updateKubeconfig(t *testing.T, c creds, cluster, role string) *kubeUser {
	t.Helper()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	args := []string{"eks", "update-kubeconfig", "--name", cluster, "--kubeconfig", kc}
	if role != "" {
		args = append(args, "--role-arn", role)
	}
	e.aws(t, c, args...)
	b, err := os.ReadFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	// The kubeconfig must point at the attached kube-apiserver and run aws eks get-token.
	server := e.apiURL
	if cluster == cmCluster {
		server = e.cmAPIURL
	}
	for _, want := range []string{"server: " + server, "certificate-authority-data: ", "command: aws", "get-token", cluster} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("kubeconfig from update-kubeconfig lacks %q:\n%s", want, b)
		}
	}
	if role != "" && !strings.Contains(string(b), role) {
		t.Fatalf("kubeconfig lacks --role %s:\n%s", role, b)
	}
	return &kubeUser{e: e, creds: c, kubeconfig: kc}
}

// kubectl runs kubectl with the user's kubeconfig; the exec plugin mints a token per invocation.
func (u *kubeUser) kubectl(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, u.e.awsEnv(u.creds), "kubectl", append([]string{"--kubeconfig", u.kubeconfig, "--cache-dir", u.e.kubeCache, "--request-timeout=30s"}, args...)...)
}

// admin runs kubectl as system:masters (client certificate) and requires success.
func (e *env) admin(t *testing.T, args ...string) string {
	t.Helper()
	return e.adminAt(t, e.adminKubeconfig, args...)
}

// adminAt is admin on the kube-apiserver of kubeconfig.
func (e *env) adminAt(t *testing.T, kubeconfig string, args ...string) string {
	t.Helper()
	r := run(t, e.awsEnv(creds{}), "kubectl", append([]string{"--kubeconfig", kubeconfig, "--cache-dir", e.kubeCache, "--request-timeout=30s"}, args...)...)
	if r.Code != 0 {
		t.Fatalf("admin kubectl %s: %s", strings.Join(args, " "), r)
	}
	return r.Stdout
}

// withToken runs kubectl with a bearer token and no other credentials.
func (e *env) withToken(t *testing.T, token string, args ...string) result {
	t.Helper()
	return run(t, e.awsEnv(creds{}), "kubectl", append([]string{"--kubeconfig", e.plainKubeconfig, "--cache-dir", e.kubeCache, "--request-timeout=30s", "--token", token}, args...)...)
}

// getToken runs `aws eks get-token --cluster-name CLUSTER` as c and returns the token.
func (e *env) getToken(t *testing.T, c creds, cluster string) string {
	t.Helper()
	var out struct {
		Kind   string `json:"kind"`
		Status struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	raw := e.aws(t, c, "eks", "get-token", "--cluster-name", cluster, "--output", "json")
	if err := json.Unmarshal([]byte(raw), &out); err != nil || out.Kind != "ExecCredential" || !strings.HasPrefix(out.Status.Token, "k8s-aws-v1.") {
		t.Fatalf("aws eks get-token: %v\n%s", err, raw)
	}
	return out.Status.Token
}

// presignToken builds a token as aws-iam-authenticator and aws eks get-token do (a SigV4
// query-presigned STS GetCallerIdentity with the signed header x-k8s-aws-id), signed at signTime
// with the aws-sdk-go-v2 v4 signer. The URL's host is eksaccess, which serves STS.
func (e *env) presignToken(t *testing.T, p principal, cluster string, signTime time.Time) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.eksURL+"/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-k8s-aws-id", cluster)
	emptyHash := sha256.Sum256(nil)
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: p.Key, SecretAccessKey: p.Secret},
		req, hex.EncodeToString(emptyHash[:]), "sts", region, signTime.UTC())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(signed, "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id") {
		t.Fatalf("x-k8s-aws-id is not signed: %s", signed)
	}
	return "k8s-aws-v1." + base64.RawURLEncoding.EncodeToString([]byte(signed))
}

// ---- EKS API helpers (admin) ----

func (e *env) createEntry(t *testing.T, cluster, principalARN string, groups ...string) {
	t.Helper()
	in := &eks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principalARN)}
	if len(groups) > 0 {
		in.KubernetesGroups = groups
	}
	if _, err := e.eksAs(adminUser).CreateAccessEntry(context.Background(), in); err != nil {
		t.Fatalf("CreateAccessEntry %s on %s: %v", principalARN, cluster, err)
	}
}

func (e *env) associate(t *testing.T, cluster, principalARN, policy string, namespaces ...string) {
	t.Helper()
	scope := &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}
	if len(namespaces) > 0 {
		scope = &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: namespaces}
	}
	if _, err := e.eksAs(adminUser).AssociateAccessPolicy(context.Background(), &eks.AssociateAccessPolicyInput{
		ClusterName: aws.String(cluster), PrincipalArn: aws.String(principalARN), PolicyArn: aws.String(policy), AccessScope: scope,
	}); err != nil {
		t.Fatalf("AssociateAccessPolicy %s %s on %s: %v", principalARN, policy, cluster, err)
	}
}

// ---- assertions ----

func wantOK(t *testing.T, what string, r result, stdoutOrStderr string) {
	t.Helper()
	if r.Code != 0 || !strings.Contains(r.Stdout+r.Stderr, stdoutOrStderr) {
		t.Fatalf("%s: want success with %q, got %s", what, stdoutOrStderr, r)
	}
	t.Logf("%s: ok in %s: %s", what, r.Took.Round(time.Millisecond), strings.TrimSpace(r.Stdout+r.Stderr))
}

func wantFail(t *testing.T, what string, r result, stderr string) {
	t.Helper()
	if r.Code == 0 || !strings.Contains(r.Stderr, stderr) {
		t.Fatalf("%s: want failure with %q, got %s", what, stderr, r)
	}
	t.Logf("%s: refused as expected in %s: %s", what, r.Took.Round(time.Millisecond), strings.TrimSpace(r.Stderr))
}

// forbidden is kubectl's message for a request no authorizer allowed.
func forbidden(user, verb, resource, group, namespace string) string {
	return fmt.Sprintf(`User %q cannot %s resource %q in API group %q in the namespace %q`, user, verb, resource, group, namespace)
}

// whoami returns the username and groups kube-apiserver authenticated (SelfSubjectReview).
func (u *kubeUser) whoami(t *testing.T) (string, []string) {
	t.Helper()
	return parseWhoami(t, u.kubectl(t, "auth", "whoami", "-o", "json"))
}

// parseWhoami reads the output of `kubectl auth whoami -o json`.
func parseWhoami(t *testing.T, r result) (string, []string) {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("kubectl auth whoami: %s", r)
	}
	var ssr struct {
		Status struct {
			UserInfo struct {
				Username string   `json:"username"`
				Groups   []string `json:"groups"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &ssr); err != nil {
		t.Fatalf("kubectl auth whoami: %v\n%s", err, r.Stdout)
	}
	return ssr.Status.UserInfo.Username, ssr.Status.UserInfo.Groups
}
