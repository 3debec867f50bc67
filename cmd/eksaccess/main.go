// Command eksaccess serves the Amazon EKS access-management API and enforces it on Kubernetes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/eksaccess/eksaccess/internal/server"
	"github.com/eksaccess/eksaccess/internal/store"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `eksaccess: the Amazon EKS access-management API, enforced on Kubernetes

Usage:
  eksaccess serve [flags]   run the server
  eksaccess cluster attach  attach a Kubernetes cluster to an eksaccess cluster
  eksaccess certs           create (or reuse) the CA and certificates of eksaccess and kube-apiserver
  eksaccess webhook-config  write kube-apiserver's two webhook kubeconfigs for a cluster, print its flags
  eksaccess healthcheck     exit 0 when the local server's /healthz answers (container HEALTHCHECK)
  eksaccess unused          access entries and policies a cluster has not used (--cluster C --days 30)
  eksaccess decisions       recent webhook decisions (--cluster C --principal P --verdict V)
  eksaccess explain         why a principal may or may not perform a request (docs/explorer.md)
  eksaccess who-can         who may perform a request
  eksaccess access-matrix   what a principal may do in a namespace
  eksaccess version         print the version, revision, commit time and Go version

Run 'eksaccess COMMAND -h' for a command's flags.
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "cluster":
		return clusterCmd(args[1:], stdout, stderr)
	case "certs":
		return certsCmd(args[1:], stdout, stderr)
	case "webhook-config":
		return webhookConfigCmd(args[1:], stdout, stderr)
	case "healthcheck":
		return healthcheckCmd(args[1:], stdout, stderr)
	case "unused":
		return unusedCmd(args[1:], stdout, stderr)
	case "decisions":
		return decisionsCmd(args[1:], stdout, stderr)
	case "explain", "who-can", "access-matrix":
		return explorerCmd(args[0], args[1:], stdout, stderr) // explorer.go
	case "version", "--version", "-version":
		if code, ok := parseFlags(flag.NewFlagSet("version", flag.ContinueOnError), args[1:], stdout, stderr); !ok {
			return code
		}
		printVersion(stdout)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "eksaccess: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// parseFlags parses a command's flags. Help (-h, --help) prints the usage on stdout and ends
// the command with status 0; a bad flag prints the error and usage on stderr, status 2. ok is
// false when the command must end with code.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	var out strings.Builder
	fs.SetOutput(&out)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		io.WriteString(stdout, out.String())
		return 0, false
	case err != nil:
		io.WriteString(stderr, out.String())
		return 2, false
	}
	return 0, true
}

// envOr returns the environment variable's value, or def.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", envOr("EKSACCESS_LISTEN", server.DefaultListen), "address to listen on (env EKSACCESS_LISTEN)")
	database := fs.String("database", envOr("EKSACCESS_DATABASE", store.DefaultDSN), "database DSN: sqlite://PATH or postgres://USER@HOST/DB (env EKSACCESS_DATABASE)")
	auth := fs.String("auth", envOr("EKSACCESS_AUTH", "open"), "how API callers are authenticated: open (trust the credential scope; loopback only) or sigv4 (verify signatures, authorize with IAM policies) (env EKSACCESS_AUTH)")
	identities := fs.String("identities", envOr("EKSACCESS_IDENTITIES", ""), "identities file: accounts, IAM users, roles and policies; required by --auth sigv4, reloaded on SIGHUP (env EKSACCESS_IDENTITIES)")
	logFormat := fs.String("log-format", envOr("EKSACCESS_LOG_FORMAT", "text"), "log format: text or json (env EKSACCESS_LOG_FORMAT)")
	logLevel := fs.String("log-level", envOr("EKSACCESS_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env EKSACCESS_LOG_LEVEL)")
	tlsCert := fs.String("tls-cert-file", envOr("EKSACCESS_TLS_CERT_FILE", ""), "serve HTTPS with this PEM certificate (env EKSACCESS_TLS_CERT_FILE)")
	tlsKey := fs.String("tls-key-file", envOr("EKSACCESS_TLS_KEY_FILE", ""), "PEM private key of --tls-cert-file (env EKSACCESS_TLS_KEY_FILE)")
	clientCA := fs.String("client-ca-file", envOr("EKSACCESS_CLIENT_CA_FILE", ""), "require client certificates signed by this CA on the webhook paths (env EKSACCESS_CLIENT_CA_FILE)")
	endpointHosts := fs.String("endpoint-hosts", envOr("EKSACCESS_ENDPOINT_HOSTS", ""), "comma-separated extra host:port names clients use to reach this server; tokens presigned for them verify in-process (env EKSACCESS_ENDPOINT_HOSTS)")
	stsForward := fs.String("sts-forward-hosts", envOr("EKSACCESS_STS_FORWARD_HOSTS", ""), "verify tokens of identities eksaccess does not know at STS: 'aws' for AWS's STS endpoints, or host names; empty refuses them (env EKSACCESS_STS_FORWARD_HOSTS)")
	oidcCA := fs.String("oidc-ca-file", envOr("EKSACCESS_OIDC_CA_FILE", ""), "PEM bundle trusted, besides the system roots, for OIDC identity provider issuers (env EKSACCESS_OIDC_CA_FILE)")
	awsAuth := fs.String("aws-auth", envOr("EKSACCESS_AWS_AUTH", ""), "comma-separated Kubernetes sources: ACCOUNT/REGION/CLUSTER=kubeconfig:PATH (watch kube-system/aws-auth and RBAC, discover the API; the explorer reads RBAC from it) or ACCOUNT/REGION/CLUSTER=file:PATH (aws-auth only) (env EKSACCESS_AWS_AUTH)")
	updateDuration := fs.String("update-duration", envOr("EKSACCESS_UPDATE_DURATION", "3s"), "how long a cluster update stays InProgress, e.g. 3s; 0 completes updates at once (env EKSACCESS_UPDATE_DURATION)")
	pprofListen := fs.String("pprof-listen", envOr("EKSACCESS_PPROF_LISTEN", ""), "serve net/http/pprof on this loopback address, e.g. 127.0.0.1:6060 (env EKSACCESS_PPROF_LISTEN)")
	openListenAny := fs.Bool("open-listen-any", envOr("EKSACCESS_OPEN_LISTEN_ANY", "") == "true", "let --auth open listen on any address, e.g. 0.0.0.0:8600 in a container: every caller who reaches the port can change all state, unauthenticated; for CI service containers only (env EKSACCESS_OPEN_LISTEN_ANY=true)")
	act := activityFlags(fs)
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "eksaccess serve: unexpected arguments %q\n", fs.Args())
		return 2
	}
	updateEvery, err := time.ParseDuration(*updateDuration)
	if err != nil || updateEvery < 0 {
		fmt.Fprintf(stderr, "eksaccess serve: --update-duration %q: want a duration such as 3s or 0\n", *updateDuration)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "eksaccess serve: --log-level: %v\n", err)
		return 2
	}
	hopts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch *logFormat {
	case "text":
		h = slog.NewTextHandler(stderr, hopts)
	case "json":
		h = slog.NewJSONHandler(stderr, hopts)
	default:
		fmt.Fprintf(stderr, "eksaccess serve: --log-format %q: want text or json\n", *logFormat)
		return 2
	}
	log := slog.New(h)
	if *pprofListen != "" {
		if err := startPprof(*pprofListen, log); err != nil {
			fmt.Fprintf(stderr, "eksaccess serve: %v\n", err)
			return 2
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A log reader that went away (Ctrl-C on `eksaccess serve | tee log` ends tee first) must
	// not kill the server mid-shutdown by SIGPIPE, before it closes the database.
	signal.Ignore(syscall.SIGPIPE)
	srv, err := server.Start(ctx, server.Config{Listen: *listen, Database: *database, Auth: *auth, Identities: *identities, Logger: log, UpdateDuration: updateEvery,
		TLSCertFile: *tlsCert, TLSKeyFile: *tlsKey, ClientCAFile: *clientCA, EndpointHosts: splitList(*endpointHosts), STSForwardHosts: splitList(*stsForward),
		OIDCCAFile: *oidcCA, AWSAuthSources: splitList(*awsAuth), AllowAnyHost: *openListenAny, Activity: act.config()})
	if err != nil {
		log.Error("cannot start", "error", err)
		return 1
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
wait:
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
			break wait
		case <-hup:
			if err := srv.ReloadIdentities(); err != nil {
				log.Error("identities not reloaded; the loaded ones stay in force", "error", err)
			} else {
				log.Info("identities reloaded", "file", *identities)
			}
		case err := <-srv.Wait():
			log.Error("server stopped", "error", err)
			return 1
		}
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		log.Error("shutdown", "error", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
