package pki

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	c, _, err := loadPair(path, strings.TrimSuffix(path, ".crt")+".key")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func dids(as []Action) string {
	var out []string
	for _, a := range as {
		out = append(out, a.Did+" "+filepath.Base(a.File))
	}
	return strings.Join(out, ", ")
}

func TestEnsureCreatesKeepsAndReissues(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir, Hosts: []string{"eksaccess.example.com", "10.0.0.5"}}
	as, err := Ensure(o)
	if err != nil || dids(as) != "created ca.crt, created eksaccess.crt, created webhook-client.crt" {
		t.Fatalf("first run: %v %s", err, dids(as))
	}
	ca, server, client := read(t, filepath.Join(dir, CACert)), read(t, filepath.Join(dir, ServerCert)), read(t, filepath.Join(dir, ClientCert))
	if !ca.IsCA || server.IsCA || client.Subject.CommonName != ClientCommonName {
		t.Fatalf("ca %v server %v client %q", ca.IsCA, server.IsCA, client.Subject.CommonName)
	}
	if got := strings.Join(Names(server), ","); got != "eksaccess.example.com,10.0.0.5" {
		t.Fatalf("serving names %s", got)
	}
	for _, k := range []string{CAKey, ServerKey, ClientKey} {
		if st, err := os.Stat(filepath.Join(dir, k)); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v", k, err, st.Mode())
		}
	}
	// The pairs load as TLS certificates and verify for their use under the CA.
	for _, p := range [][2]string{{ServerCert, ServerKey}, {ClientCert, ClientKey}} {
		if _, err := tls.LoadX509KeyPair(filepath.Join(dir, p[0]), filepath.Join(dir, p[1])); err != nil {
			t.Fatal(err)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := server.Verify(x509.VerifyOptions{Roots: pool, DNSName: "10.0.0.5"}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Verify(x509.VerifyOptions{Roots: pool}); err == nil {
		t.Fatal("the client certificate is usable as a serving certificate")
	}

	// Again: everything kept, files unchanged.
	before, _ := os.ReadFile(filepath.Join(dir, ServerCert))
	as, err = Ensure(o)
	if err != nil || dids(as) != "kept ca.crt, kept eksaccess.crt, kept webhook-client.crt" {
		t.Fatalf("second run: %v %s", err, dids(as))
	}
	after, _ := os.ReadFile(filepath.Join(dir, ServerCert))
	if string(before) != string(after) {
		t.Fatal("a kept certificate changed")
	}

	// Other hosts: the serving certificate is re-issued, the rest kept.
	o.Hosts = []string{"eksaccess.example.com", "10.0.0.6"}
	as, err = Ensure(o)
	if err != nil || dids(as) != "kept ca.crt, re-issued eksaccess.crt, kept webhook-client.crt" || as[1].Reason != "does not cover 10.0.0.6" {
		t.Fatalf("new hosts: %v %s %v", err, dids(as), as)
	}
	o.Hosts = []string{"eksaccess.example.com"}
	if as, err = Ensure(o); err != nil || as[1].Did != "re-issued" || !strings.Contains(as[1].Reason, "covers other names") {
		t.Fatalf("fewer hosts: %v %v", err, as)
	}

	// 340 days later both leaves expire within 30 days: re-issued.
	o.Now = func() time.Time { return time.Now().Add(340 * 24 * time.Hour) }
	if as, err = Ensure(o); err != nil || dids(as) != "kept ca.crt, re-issued eksaccess.crt, re-issued webhook-client.crt" || !strings.HasPrefix(as[2].Reason, "expires on ") {
		t.Fatalf("renewal: %v %v", err, as)
	}
}

func TestEnsureRefusals(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir, Hosts: []string{"localhost"}}
	if _, err := Ensure(o); err != nil {
		t.Fatal(err)
	}
	// A lone CA certificate is never replaced by a new CA.
	os.Remove(filepath.Join(dir, CAKey))
	if _, err := Ensure(o); err == nil || !strings.Contains(err.Error(), "ca.key is missing (a CA is never overwritten") {
		t.Fatalf("lone CA certificate: %v", err)
	}
	// A leaf key without its certificate is not clobbered.
	dir2 := t.TempDir()
	if _, err := Ensure(Options{Dir: dir2, Hosts: []string{"localhost"}}); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir2, ServerCert))
	if _, err := Ensure(Options{Dir: dir2, Hosts: []string{"localhost"}}); err == nil || !strings.Contains(err.Error(), "eksaccess.crt is missing") {
		t.Fatalf("lone key: %v", err)
	}
	// A key that is not the certificate's.
	b, _ := os.ReadFile(filepath.Join(dir2, ClientKey))
	os.WriteFile(filepath.Join(dir2, ServerKey), b, 0o600)
	os.Remove(filepath.Join(dir2, ServerCert))
	copyFile(t, filepath.Join(dir, ServerCert), filepath.Join(dir2, ServerCert))
	if _, err := Ensure(Options{Dir: dir2, Hosts: []string{"localhost"}}); err == nil || !strings.Contains(err.Error(), "does not belong to") {
		t.Fatalf("mismatched key: %v", err)
	}
	if _, err := Ensure(Options{Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "no hosts") {
		t.Fatalf("no hosts: %v", err)
	}
	if _, err := Ensure(Options{Dir: t.TempDir(), Hosts: []string{"eksaccess:8600"}}); err == nil || !strings.Contains(err.Error(), "without scheme or port") {
		t.Fatalf("host with port: %v", err)
	}
}

// An existing CA (e.g. a cluster's) signs; certificates of another CA are re-issued.
func TestEnsureWithExistingCA(t *testing.T) {
	caDir, dir := t.TempDir(), t.TempDir()
	if _, err := Ensure(Options{Dir: caDir, Hosts: []string{"localhost"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(Options{Dir: dir, Hosts: []string{"localhost"}}); err != nil {
		t.Fatal(err)
	}
	o := Options{Dir: dir, Hosts: []string{"localhost"}, CACertFile: filepath.Join(caDir, CACert), CAKeyFile: filepath.Join(caDir, CAKey)}
	as, err := Ensure(o)
	if err != nil || dids(as) != "kept ca.crt, re-issued eksaccess.crt, re-issued webhook-client.crt" || as[0].File != o.CACertFile ||
		!strings.HasPrefix(as[1].Reason, "not valid under "+o.CACertFile) {
		t.Fatalf("%v %v", err, as)
	}
	pool := x509.NewCertPool()
	pool.AddCert(read(t, o.CACertFile))
	if _, err := read(t, filepath.Join(dir, ServerCert)).Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Ensure(Options{Dir: dir, Hosts: []string{"localhost"}, CACertFile: o.CACertFile}); err == nil || !strings.Contains(err.Error(), "needs both") {
		t.Fatalf("CA without key: %v", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
