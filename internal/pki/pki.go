// Package pki creates, or reuses, the certificates eksaccess and kube-apiserver need to talk
// over mutual TLS: a CA, eksaccess's serving certificate, and the client certificate
// kube-apiserver presents on the webhook paths. Keys are ECDSA P-256, files PEM.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// File names in the directory.
const (
	CACert     = "ca.crt"
	CAKey      = "ca.key"
	ServerCert = "eksaccess.crt"
	ServerKey  = "eksaccess.key"
	ClientCert = "webhook-client.crt"
	ClientKey  = "webhook-client.key"
)

// ClientCommonName is the subject of kube-apiserver's webhook client certificate.
const ClientCommonName = "kube-apiserver-webhook-client"

// Options say what to create in Dir.
type Options struct {
	Dir string
	// Hosts are the DNS names and IP addresses kube-apiserver and API clients use to reach
	// eksaccess; the serving certificate covers exactly these (at least one).
	Hosts []string
	// CACertFile and CAKeyFile name an existing CA to sign with instead of Dir's ca.crt/ca.key.
	CACertFile, CAKeyFile string
	// Validity of the certificates issued (default 365 days; the CA gets ten years).
	Validity time.Duration
	// RenewBefore re-issues a certificate that expires within it (default 30 days).
	RenewBefore time.Duration
	Now         func() time.Time
}

// Action is what happened to one certificate.
type Action struct {
	File   string // the certificate's path
	Did    string // "created", "kept", "re-issued"
	Reason string // why re-issued; for kept, until when it is valid
}

func (a Action) String() string {
	if a.Reason == "" {
		return a.Did + " " + a.File
	}
	return a.Did + " " + a.File + " (" + a.Reason + ")"
}

// Ensure creates whatever is missing in o.Dir and keeps what is there and still fits: a
// certificate is re-issued when it does not chain to the CA, does not match its key, does not
// cover o.Hosts, or expires within o.RenewBefore. It never overwrites a CA, nor a lone
// certificate or key whose partner is missing.
func Ensure(o Options) ([]Action, error) {
	if len(o.Hosts) == 0 {
		return nil, errors.New("no hosts: give the DNS names and IP addresses that reach eksaccess (e.g. --hosts eksaccess.example.com,10.0.0.5)")
	}
	for _, h := range o.Hosts {
		if strings.ContainsAny(h, ":/ ") && net.ParseIP(h) == nil {
			return nil, fmt.Errorf("host %q: want a DNS name or an IP address, without scheme or port", h)
		}
	}
	if o.Validity == 0 {
		o.Validity = 365 * 24 * time.Hour
	}
	if o.RenewBefore == 0 {
		o.RenewBefore = 30 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	var actions []Action
	ca, err := o.ensureCA(&actions)
	if err != nil {
		return nil, err
	}
	var dns []string
	var ips []net.IP
	for _, h := range o.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, h)
		}
	}
	server := func() *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: "eksaccess"}, DNSNames: dns, IPAddresses: ips,
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	}
	covers := func(c *x509.Certificate) string {
		for _, h := range o.Hosts {
			if err := c.VerifyHostname(h); err != nil {
				return "does not cover " + h
			}
		}
		if len(c.DNSNames)+len(c.IPAddresses) != len(o.Hosts) {
			return "covers other names than " + strings.Join(o.Hosts, ",")
		}
		return ""
	}
	if err := o.ensureLeaf(&actions, ca, ServerCert, ServerKey, x509.ExtKeyUsageServerAuth, server, covers); err != nil {
		return nil, err
	}
	client := func() *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: ClientCommonName},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	}
	if err := o.ensureLeaf(&actions, ca, ClientCert, ClientKey, x509.ExtKeyUsageClientAuth, client, nil); err != nil {
		return nil, err
	}
	return actions, nil
}

// authority is the CA: its certificate, and its key when available.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer // nil: only verifies
	file string
}

func (o Options) ensureCA(actions *[]Action) (*authority, error) {
	certFile, keyFile := o.CACertFile, o.CAKeyFile
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("an existing CA needs both its certificate and its key (--ca-cert and --ca-key)")
	}
	external := certFile != ""
	if !external {
		certFile, keyFile = filepath.Join(o.Dir, CACert), filepath.Join(o.Dir, CAKey)
	}
	certOK, keyOK := exists(certFile), exists(keyFile)
	if certOK && keyOK {
		cert, key, err := loadPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
			return nil, fmt.Errorf("%s is not a CA certificate (no CA basic constraint or certSign key usage)", certFile)
		}
		if o.Now().After(cert.NotAfter) {
			return nil, fmt.Errorf("CA %s expired on %s: remove %s and %s to create a new CA (and re-distribute it)", certFile, cert.NotAfter.Format(time.DateOnly), certFile, keyFile)
		}
		*actions = append(*actions, Action{File: certFile, Did: "kept", Reason: "valid until " + cert.NotAfter.UTC().Format(time.DateOnly)})
		return &authority{cert: cert, key: key, file: certFile}, nil
	}
	if external || certOK || keyOK {
		missing := keyFile
		if !certOK {
			missing = certFile
		}
		return nil, fmt.Errorf("CA: %s is missing (a CA is never overwritten: restore it, or remove both %s and %s to create a new one)", missing, certFile, keyFile)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := o.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "eksaccess-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	if err := writePair(certFile, keyFile, der, key); err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	*actions = append(*actions, Action{File: certFile, Did: "created"})
	return &authority{cert: cert, key: key, file: certFile}, nil
}

// ensureLeaf keeps certName/keyName when they fit, else issues them from ca.
func (o Options) ensureLeaf(actions *[]Action, ca *authority, certName, keyName string, usage x509.ExtKeyUsage,
	tmpl func() *x509.Certificate, fits func(*x509.Certificate) string) error {
	certFile, keyFile := filepath.Join(o.Dir, certName), filepath.Join(o.Dir, keyName)
	certOK, keyOK := exists(certFile), exists(keyFile)
	did, reason := "created", ""
	switch {
	case certOK && keyOK:
		cert, _, err := loadPair(certFile, keyFile)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		pool.AddCert(ca.cert)
		_, verr := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{usage}, CurrentTime: o.Now()})
		switch {
		case verr != nil:
			reason = "not valid under " + ca.file + ": " + verr.Error()
		case cert.NotAfter.Before(o.Now().Add(o.RenewBefore)):
			reason = "expires on " + cert.NotAfter.UTC().Format(time.DateOnly)
		case fits != nil:
			reason = fits(cert)
		}
		if reason == "" {
			*actions = append(*actions, Action{File: certFile, Did: "kept", Reason: "valid until " + cert.NotAfter.UTC().Format(time.DateOnly)})
			return nil
		}
		did = "re-issued"
	case certOK || keyOK:
		missing := keyFile
		if !certOK {
			missing = certFile
		}
		return fmt.Errorf("%s is missing (remove its partner to have both created)", missing)
	}
	if ca.key == nil {
		return fmt.Errorf("%s must be issued, but the CA's key is not available", certFile)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	c := tmpl()
	now := o.Now()
	c.SerialNumber, c.NotBefore, c.NotAfter = serial(), now.Add(-time.Hour), now.Add(o.Validity)
	if c.NotAfter.After(ca.cert.NotAfter) {
		c.NotAfter = ca.cert.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, c, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return err
	}
	if err := writePair(certFile, keyFile, der, key); err != nil {
		return err
	}
	*actions = append(*actions, Action{File: certFile, Did: did, Reason: reason})
	return nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// loadPair reads a PEM certificate and its private key and checks that they match.
func loadPair(certFile, keyFile string) (*x509.Certificate, crypto.Signer, error) {
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	block, _ := pem.Decode(cb)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("%s: no PEM CERTIFICATE block", certFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", certFile, err)
	}
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	kblock, _ := pem.Decode(kb)
	if kblock == nil {
		return nil, nil, fmt.Errorf("%s: no PEM private key block", keyFile)
	}
	var key any
	switch kblock.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(kblock.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(kblock.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(kblock.Bytes)
	default:
		return nil, nil, fmt.Errorf("%s: unsupported PEM block %q", keyFile, kblock.Type)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("%s: not a signing key", keyFile)
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("%s does not belong to %s", keyFile, certFile)
	}
	return cert, signer, nil
}

// writePair writes the certificate (0644) and key (0600), each through a temporary file and a
// rename, so that a reader never sees half a file.
func writePair(certFile, keyFile string, der []byte, key *ecdsa.PrivateKey) error {
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return err
	}
	return writeAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeAtomic(path string, b []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Names lists the DNS names and IPs a certificate covers (for messages).
func Names(c *x509.Certificate) []string {
	out := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}
