// Package explain answers three questions over the access eksaccess enforces, with one
// evaluator: Explain (why is this request allowed or denied), WhoCan (who may perform it) and
// AccessMatrix (what may this principal do). It composes the webhooks' identity mapping
// (kubeauth), the access policies (policy) and the cluster's RBAC (kubesource), and reaches the
// verdict kube-apiserver reaches with --authorization-mode=Node,RBAC,Webhook.
package explain

import (
	"context"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/kubeauth"
	"github.com/eksaccess/eksaccess/internal/kubesource"
)

// Sources is what the explainer reads.
type Sources struct {
	// Webhooks maps principals (its index and aws-auth mappings); required.
	Webhooks *kubeauth.Webhooks
	// Kube holds the clusters' Kubernetes sources (RBAC, API discovery); nil, or a cluster
	// without a source, answers the access-policy half and says RBAC was not consulted.
	Kube *kubesource.Registry
}

// Explainer answers explain, who-can and access-matrix queries. It is safe for concurrent use.
type Explainer struct {
	src Sources
}

// New returns an explainer over src.
func New(src Sources) *Explainer { return &Explainer{src: src} }

// Webhooks returns the webhooks the explainer maps principals with.
func (x *Explainer) Webhooks() *kubeauth.Webhooks { return x.src.Webhooks }

// Explain answers why q.Subject may or may not perform q.Request on the cluster. Errors are
// *access.Error (InvalidParameterException for bad input, ResourceNotFoundException for an
// unknown cluster).
func (x *Explainer) Explain(ctx context.Context, cluster access.ClusterKey, q ExplainQuery) (*Explanation, error) {
	return x.explain(ctx, cluster, q)
}

// WhoCan lists every principal and group that may perform q.Request on the cluster, each with
// what grants it.
func (x *Explainer) WhoCan(ctx context.Context, cluster access.ClusterKey, q WhoCanQuery) (*WhoCanResult, error) {
	return x.whoCan(ctx, cluster, q)
}

// AccessMatrix answers what q.Subject may do in q.Namespace: the common resources against
// MatrixVerbs.
func (x *Explainer) AccessMatrix(ctx context.Context, cluster access.ClusterKey, q MatrixQuery) (*Matrix, error) {
	return x.matrix(ctx, cluster, q)
}
