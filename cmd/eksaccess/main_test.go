package main_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/eksaccess/eksaccess/internal/testutil"
	"github.com/eksaccess/eksaccess/internal/testutil/testenv"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "eksaccess-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "eksaccess")
	// `go build -o eksaccess ./cmd/eksaccess`, linked once for every package that needs it.
	if err := testenv.BuildEksaccess(binary); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	testutil.StopAWSWorkers()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proc is a running `eksaccess serve`.
type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *strings.Builder
}

// serve starts the binary in dir with env and waits until /healthz answers.
func serve(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "EKSACCESS_LISTEN="+addr), env...)
	logs := &strings.Builder{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, url: "http://" + addr, logs: logs}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become healthy: %v\n%s", err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and requires a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit after SIGTERM\n%s", p.logs)
	}
	if !strings.Contains(p.logs.String(), "stopped") {
		t.Fatalf("no graceful shutdown in logs:\n%s", p.logs)
	}
}

func eksClient(url string) *eks.Client {
	return eks.NewFromConfig(aws.Config{
		Region:       "us-west-2",
		Credentials:  credentials.NewStaticCredentialsProvider("012345678910", "x", ""),
		BaseEndpoint: aws.String(url),
	})
}

func TestVersionAndUsage(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "eksaccess ") {
		t.Fatalf("version: %v %q", err, out)
	}
	out, err = exec.Command(binary, "bogus").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `unknown command "bogus"`) {
		t.Fatalf("unknown command: %v %q", err, out)
	}
}

func TestOpenModeRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary, "serve", "--listen", "0.0.0.0:0", "--database", "sqlite://"+filepath.Join(t.TempDir(), "x.db"))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "may listen only on a loopback address") {
		t.Fatalf("want refusal, got %v: %s", err, out)
	}
}

// --pprof-listen serves profiles on loopback only, and on its own listener.
func TestPprofListen(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binary, "serve", "--pprof-listen", "0.0.0.0:0", "--database", "sqlite://"+filepath.Join(t.TempDir(), "x.db")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "profiles are served on a loopback address only") {
		t.Fatalf("want refusal, got %v: %s", err, out)
	}
}

// The state survives a restart: create, stop (SIGTERM), start on the same database, describe.
func TestRestartKeepsState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "state.db")
	p := serve(t, dir, []string{"EKSACCESS_DATABASE=" + db})
	ctx := context.Background()
	c := eksClient(p.url)
	if _, err := c.CreateCluster(ctx, &eks.CreateClusterInput{
		Name: aws.String("my-cluster"), RoleArn: aws.String("arn:aws:iam::012345678910:role/eks"),
		ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
		AccessConfig:       &types.CreateAccessConfigRequest{AuthenticationMode: types.AuthenticationModeApi},
	}); err != nil {
		t.Fatal(err)
	}
	const role = "arn:aws:iam::012345678910:role/my-role"
	created, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role), KubernetesGroups: []string{"devs"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role),
		PolicyArn:   aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"),
		AccessScope: &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"dev-*"}}}); err != nil {
		t.Fatal(err)
	}
	p.stop(t)

	p2 := serve(t, dir, nil, "--database", db)
	c2 := eksClient(p2.url)
	got, err := c2.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)})
	if err != nil {
		t.Fatalf("after restart: %v\n%s", err, p2.logs)
	}
	if !reflect.DeepEqual(got.AccessEntry, created.AccessEntry) {
		t.Fatalf("after restart:\n got %+v\nwant %+v", got.AccessEntry, created.AccessEntry)
	}
	as, err := c2.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("my-cluster"), PrincipalArn: aws.String(role)})
	if err != nil || len(as.AssociatedAccessPolicies) != 1 || as.AssociatedAccessPolicies[0].AccessScope.Namespaces[0] != "dev-*" {
		t.Fatalf("associations after restart: %+v %v", as, err)
	}
	p2.stop(t)
}

// `eksaccess cluster attach` makes DescribeCluster return the Kubernetes endpoint and CA, and
// `aws eks update-kubeconfig` writes a kubeconfig for them with an `aws eks get-token` user.
func TestClusterAttachAndUpdateKubeconfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "state.db")
	p := serve(t, dir, []string{"EKSACCESS_DATABASE=" + db})
	cli := testutil.NewAWSCLI(t, p.url)
	cli.JSON("eks", "create-cluster", "--name", "kube", "--role-arn", "arn:aws:iam::012345678910:role/eks",
		"--resources-vpc-config", "subnetIds=subnet-1", "--access-config", "authenticationMode=API")

	caPEM := testCA(t)
	caFile := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "cluster", "attach", "--database", db, "--account", "012345678910", "--region", "us-west-2",
		"--name", "kube", "--endpoint", "https://127.0.0.1:6443", "--ca-file", caFile).CombinedOutput()
	if err != nil {
		t.Fatalf("attach: %v %s", err, out)
	}
	out, err = exec.Command(binary, "cluster", "attach", "--database", db, "--account", "012345678910", "--region", "us-west-2",
		"--name", "missing", "--endpoint", "https://127.0.0.1:6443", "--ca-file", caFile).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "No cluster found for name: missing.") {
		t.Fatalf("attach to a missing cluster: %v %s", err, out)
	}

	d := cli.JSON("eks", "describe-cluster", "--name", "kube")["cluster"].(map[string]any)
	if d["endpoint"] != "https://127.0.0.1:6443" || d["certificateAuthority"].(map[string]any)["data"] != base64.StdEncoding.EncodeToString(caPEM) {
		t.Fatalf("describe after attach: %v %v", d["endpoint"], d["certificateAuthority"])
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if _, stderr, ok := cli.Run("eks", "update-kubeconfig", "--name", "kube", "--kubeconfig", kubeconfig); !ok {
		t.Fatalf("update-kubeconfig: %s", stderr)
	}
	kc, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"server: https://127.0.0.1:6443", "certificate-authority-data: " + base64.StdEncoding.EncodeToString(caPEM), "get-token", "--cluster-name", "kube"} {
		if !strings.Contains(string(kc), want) {
			t.Fatalf("kubeconfig lacks %q:\n%s", want, kc)
		}
	}
	p.stop(t)
}

func testCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
