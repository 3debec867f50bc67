package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/identity"
	"github.com/eksaccess/eksaccess/internal/store"
)

const clusterUsage = `Usage:
  eksaccess cluster attach --name NAME --endpoint https://HOST:PORT --ca-file CA.crt [--account ACCT] [--region REGION] [--database DSN]

Records the Kubernetes API server that enforces the cluster's access entries: DescribeCluster then
returns its endpoint and certificateAuthority, and 'aws eks update-kubeconfig' writes a working
kubeconfig. It writes the database directly (a running server may share it).
`

func clusterCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, clusterUsage)
		return 0
	}
	if len(args) == 0 || args[0] != "attach" {
		fmt.Fprint(stderr, clusterUsage)
		return 2
	}
	fs := flag.NewFlagSet("cluster attach", flag.ContinueOnError)
	database := fs.String("database", envOr("EKSACCESS_DATABASE", store.DefaultDSN), "database DSN (env EKSACCESS_DATABASE)")
	account := fs.String("account", identity.DefaultAccount, "account of the cluster")
	region := fs.String("region", envOr("AWS_DEFAULT_REGION", "us-east-1"), "region of the cluster (env AWS_DEFAULT_REGION)")
	name := fs.String("name", "", "cluster name")
	endpoint := fs.String("endpoint", "", "https URL of the Kubernetes API server")
	caFile := fs.String("ca-file", "", "PEM file of the API server's CA certificate")
	if code, ok := parseFlags(fs, args[1:], stdout, stderr); !ok {
		return code
	}
	if *name == "" || *endpoint == "" || *caFile == "" {
		fmt.Fprint(stderr, clusterUsage)
		return 2
	}
	ca, err := os.ReadFile(*caFile)
	if err != nil {
		fmt.Fprintf(stderr, "eksaccess cluster attach: %v\n", err)
		return 1
	}
	ctx := context.Background()
	st, err := store.Open(ctx, *database)
	if err != nil {
		fmt.Fprintf(stderr, "eksaccess cluster attach: %v\n", err)
		return 1
	}
	defer st.Close()
	cl, err := access.NewService(st).AttachKubernetes(ctx, access.ClusterKey{Account: *account, Region: *region, Name: *name}, *endpoint, ca)
	if err != nil {
		fmt.Fprintf(stderr, "eksaccess cluster attach: %v\n", err)
		return 1
	}
	json.NewEncoder(stdout).Encode(map[string]string{"cluster": cl.ARN, "endpoint": cl.Spec.Endpoint})
	return 0
}
