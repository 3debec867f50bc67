package access

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
)

// AttachKubernetes records the real Kubernetes cluster that enforces an EKS cluster's access:
// its API server endpoint and CA certificate (PEM), which DescribeCluster then returns, so that
// `aws eks update-kubeconfig` writes a working kubeconfig.
func (s *Service) AttachKubernetes(ctx context.Context, key ClusterKey, endpoint string, caPEM []byte) (*Cluster, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q: want an https:// URL of the Kubernetes API server", endpoint)
	}
	block, _ := pem.Decode(caPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("certificate authority: want a PEM CERTIFICATE")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return nil, fmt.Errorf("certificate authority: %w", err)
	}
	var out *Cluster
	err = s.update(ctx, func(tx Tx) error {
		cl, err := tx.GetCluster(key)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return errClusterNotFound(key.Name)
			}
			return err
		}
		cl.Spec.Endpoint = endpoint
		cl.Spec.CertificateAuthority = base64.StdEncoding.EncodeToString(caPEM)
		if err := tx.UpdateCluster(cl); err != nil {
			return err
		}
		out = cl
		return nil
	})
	return out, err
}
