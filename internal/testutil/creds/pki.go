package creds

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a throw-away CA with a serving certificate for 127.0.0.1/localhost and a client
// certificate, written to files for servers and clients of a test.
type PKI struct {
	CAPEM                         []byte
	CAFile                        string
	ServerCertFile, ServerKeyFile string
	ClientCertPEM, ClientKeyPEM   []byte
	ClientCertFile, ClientKeyFile string
	caCert                        *x509.Certificate
	caKey                         *ecdsa.PrivateKey
	dir                           string
}

// NewPKI creates the CA and certificates in a temporary directory.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	p := &PKI{dir: t.TempDir()}
	var err error
	p.caKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "eksaccess-test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.caKey.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	p.caCert, _ = x509.ParseCertificate(der)
	p.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	p.CAFile = p.write(t, "ca.crt", p.CAPEM)
	cert, key := p.Issue(t, "eksaccess", nil, true)
	p.ServerCertFile, p.ServerKeyFile = p.write(t, "server.crt", cert), p.write(t, "server.key", key)
	p.ClientCertPEM, p.ClientKeyPEM = p.Issue(t, "kube-apiserver", nil, false)
	p.ClientCertFile, p.ClientKeyFile = p.write(t, "client.crt", p.ClientCertPEM), p.write(t, "client.key", p.ClientKeyPEM)
	return p
}

// Issue signs a certificate: a serving one for 127.0.0.1 and localhost, or a client one.
func (p *PKI) Issue(t testing.TB, cn string, orgs []string, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func (p *PKI) write(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ClientTLS trusts the CA; withCert adds the client certificate.
func (p *PKI) ClientTLS(withCert bool) *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.CAPEM)
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if withCert {
		c, err := tls.X509KeyPair(p.ClientCertPEM, p.ClientKeyPEM)
		if err == nil {
			tc.Certificates = []tls.Certificate{c}
		}
	}
	return tc
}
