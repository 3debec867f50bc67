package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eksaccess/eksaccess/internal/identity"
	"github.com/eksaccess/eksaccess/internal/pki"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const certsUsage = `Usage:
  eksaccess certs --dir DIR --hosts NAME,IP,... [--ca-cert FILE --ca-key FILE] [--days N]

Creates in DIR what eksaccess and kube-apiserver need for mutual TLS, keeping the files that are
already there and still fit (run it again to renew):
  ca.crt, ca.key                  the CA (or --ca-cert/--ca-key: an existing one signs instead)
  eksaccess.crt, eksaccess.key    eksaccess's serving certificate for exactly the --hosts
  webhook-client.crt/.key         the client certificate kube-apiserver presents to the webhooks
A certificate is re-issued when it does not chain to the CA, does not cover the hosts, or
expires within 30 days; a CA is never overwritten. Then:
  eksaccess serve --tls-cert-file DIR/eksaccess.crt --tls-key-file DIR/eksaccess.key --client-ca-file DIR/ca.crt ...

Flags:
`

func certsCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("certs", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), certsUsage); fs.PrintDefaults() }
	dir := fs.String("dir", "", "directory of the certificates and keys (created if missing)")
	hosts := fs.String("hosts", "", "comma-separated DNS names and IP addresses that reach eksaccess (the serving certificate's names)")
	caCert := fs.String("ca-cert", "", "sign with this existing CA certificate instead of DIR/ca.crt (with --ca-key)")
	caKey := fs.String("ca-key", "", "private key of --ca-cert")
	days := fs.Int("days", 365, "validity of the certificates issued, in days")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *dir == "" || *hosts == "" || fs.NArg() > 0 || *days <= 0 {
		fmt.Fprintln(stderr, "eksaccess certs: --dir and --hosts are required, --days must be positive, and no arguments are taken")
		fs.SetOutput(stderr)
		fs.Usage()
		return 2
	}
	actions, err := pki.Ensure(pki.Options{Dir: *dir, Hosts: splitList(*hosts), CACertFile: *caCert, CAKeyFile: *caKey,
		Validity: timeDays(*days)})
	if err != nil {
		fmt.Fprintf(stderr, "eksaccess certs: %v\n", err)
		return 1
	}
	for _, a := range actions {
		fmt.Fprintln(stdout, a)
	}
	return 0
}

const webhookConfigUsage = `Usage:
  eksaccess webhook-config --cluster NAME --server https://HOST:PORT --certs-dir DIR [--account ACCT] [--region REGION] [--out-dir DIR]

Writes the two kubeconfig files kube-apiserver reads to call eksaccess's webhooks for one
eksaccess cluster, OUT/eksaccess-authenticate.kubeconfig and OUT/eksaccess-authorize.kubeconfig
(the CA and kube-apiserver's client certificate of 'eksaccess certs' embedded), and prints the
kube-apiserver flags that use them, one per line (on a kubeadm node, merge
--authorization-mode with the modes already there).

Flags:
`

// Webhook kubeconfig file names written by webhook-config.
const (
	authnKubeconfig = "eksaccess-authenticate.kubeconfig"
	authzKubeconfig = "eksaccess-authorize.kubeconfig"
)

func webhookConfigCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("webhook-config", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), webhookConfigUsage); fs.PrintDefaults() }
	cluster := fs.String("cluster", "", "eksaccess cluster name")
	account := fs.String("account", identity.DefaultAccount, "account of the cluster")
	region := fs.String("region", envOr("AWS_DEFAULT_REGION", "us-east-1"), "region of the cluster (env AWS_DEFAULT_REGION)")
	server := fs.String("server", "", "https URL at which kube-apiserver reaches eksaccess, e.g. https://eksaccess.example.com:8600")
	certsDir := fs.String("certs-dir", "", "directory written by 'eksaccess certs' (ca.crt, webhook-client.crt, webhook-client.key)")
	outDir := fs.String("out-dir", ".", "where to write the two kubeconfig files; the printed flags name them by absolute path")
	flagsDir := fs.String("flags-dir", "", "directory the printed flags name instead of --out-dir's absolute path (where kube-apiserver sees the files, e.g. /etc/kubernetes/eksaccess)")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *cluster == "" || *server == "" || *certsDir == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "eksaccess webhook-config: --cluster, --server and --certs-dir are required, and no arguments are taken")
		fs.SetOutput(stderr)
		fs.Usage()
		return 2
	}
	if u, err := url.Parse(*server); err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		fmt.Fprintf(stderr, "eksaccess webhook-config: --server %q: want https://HOST[:PORT] (kube-apiserver calls the webhooks over TLS)\n", *server)
		return 2
	}
	read := func(name string) ([]byte, bool) {
		b, err := os.ReadFile(filepath.Join(*certsDir, name))
		if err != nil {
			fmt.Fprintf(stderr, "eksaccess webhook-config: %v (run 'eksaccess certs --dir %s' first)\n", err, *certsDir)
			return nil, false
		}
		return b, true
	}
	ca, ok1 := read(pki.CACert)
	cert, ok2 := read(pki.ClientCert)
	key, ok3 := read(pki.ClientKey)
	if !ok1 || !ok2 || !ok3 {
		return 1
	}
	out, err := filepath.Abs(*outDir)
	if err == nil {
		err = os.MkdirAll(out, 0o755)
	}
	if err != nil {
		fmt.Fprintf(stderr, "eksaccess webhook-config: --out-dir: %v\n", err)
		return 1
	}
	base := strings.TrimSuffix(*server, "/") + "/kubernetes/" + *account + "/" + *region + "/" + *cluster
	for file, path := range map[string]string{authnKubeconfig: "/authenticate", authzKubeconfig: "/authorize"} {
		kc := clientcmdapi.NewConfig()
		kc.Clusters["eksaccess"] = &clientcmdapi.Cluster{Server: base + path, CertificateAuthorityData: ca}
		kc.AuthInfos["kube-apiserver"] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
		kc.Contexts["eksaccess"] = &clientcmdapi.Context{Cluster: "eksaccess", AuthInfo: "kube-apiserver"}
		kc.CurrentContext = "eksaccess"
		if err := clientcmd.WriteToFile(*kc, filepath.Join(out, file)); err != nil { // 0600: it holds a private key
			fmt.Fprintf(stderr, "eksaccess webhook-config: %v\n", err)
			return 1
		}
	}
	named := out
	if *flagsDir != "" {
		named = *flagsDir
	}
	for _, f := range webhookFlags(named) {
		fmt.Fprintln(stdout, f)
	}
	return 0
}

// webhookFlags are the kube-apiserver flags that wire the webhooks whose kubeconfigs are in dir.
// The webhook allows or has no opinion, so the order of the authorizers only decides which one
// answers first; RBAC keeps working for the entries' kubernetesGroups.
func webhookFlags(dir string) []string {
	return []string{
		"--authentication-token-webhook-config-file=" + filepath.Join(dir, authnKubeconfig),
		"--authentication-token-webhook-version=v1",
		"--authorization-mode=Node,RBAC,Webhook",
		"--authorization-webhook-config-file=" + filepath.Join(dir, authzKubeconfig),
		"--authorization-webhook-version=v1",
	}
}

func timeDays(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
