package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/eksaccess/eksaccess/internal/server"
)

const healthcheckUsage = `Usage:
  eksaccess healthcheck [--listen HOST:PORT] [--tls]

GETs /healthz of the eksaccess serving on --listen (by default the same EKSACCESS_LISTEN as
'eksaccess serve', an all-interfaces host replaced by 127.0.0.1) and exits 0 when it answers 200:
the container image's HEALTHCHECK, which has no curl. With TLS (EKSACCESS_TLS_CERT_FILE set, or
--tls) it does not verify the certificate: it checks that this process is alive, not who it is.

Flags:
`

func healthcheckCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), healthcheckUsage); fs.PrintDefaults() }
	listen := fs.String("listen", envOr("EKSACCESS_LISTEN", server.DefaultListen), "address eksaccess serves on (env EKSACCESS_LISTEN)")
	useTLS := fs.Bool("tls", envOr("EKSACCESS_TLS_CERT_FILE", "") != "", "eksaccess serves HTTPS (default: when EKSACCESS_TLS_CERT_FILE is set)")
	endpointHosts := fs.String("endpoint-hosts", envOr("EKSACCESS_ENDPOINT_HOSTS", ""), "send the first of these names as Host (env EKSACCESS_ENDPOINT_HOSTS, as 'eksaccess serve' reads it)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	host, port, err := net.SplitHostPort(*listen)
	if err != nil {
		fmt.Fprintf(stderr, "eksaccess healthcheck: --listen %q: %v\n", *listen, err)
		return 2
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	scheme := "http"
	client := &http.Client{Timeout: *timeout}
	if *useTLS {
		scheme = "https"
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} // liveness of this host's process only
	}
	url := scheme + "://" + net.JoinHostPort(host, port) + "/healthz"
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "eksaccess healthcheck: %v\n", err)
		return 2
	}
	if hosts := splitList(*endpointHosts); len(hosts) > 0 {
		req.Host = hosts[0] // in open mode on all interfaces, only these names are accepted
	}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "eksaccess healthcheck: %v\n", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "eksaccess healthcheck: GET %s: %s\n", url, resp.Status)
		return 1
	}
	fmt.Fprintf(stdout, "ok %s\n", url)
	return 0
}
