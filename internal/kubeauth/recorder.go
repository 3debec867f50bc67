package kubeauth

import (
	"sync/atomic"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/policy"
)

// Recorder receives what the webhooks see (internal/activity implements it; kubeauth does not
// know it). Set it with Index.SetRecorder before Load.
type Recorder interface {
	// Usage returns the last-used cells of an access entry and of its associations (Allowed
	// in the order of policyARNs). The index calls it when it loads an entry, never per
	// request; the webhooks then store into the cells with one atomic store per decision.
	Usage(clusterID, entryARN string, policyARNs []string) *Usage
	// Record receives every decision, on the webhooks' hot path: it must not block. It may
	// keep d (its strings and slices are not reused), which never holds token material.
	Record(d *Decision)
}

// Usage holds last-used times in Unix milliseconds; 0 means not seen by this process.
type Usage struct {
	Authenticated *atomic.Int64
	Allowed       []*atomic.Int64 // per association
}

// touch moves a last-used cell forward to ms (a load first: a principal in steady use then
// writes its cache line once a millisecond at most, not on every request).
func touch(c *atomic.Int64, ms int64) {
	if c != nil && c.Load() < ms {
		c.Store(ms)
	}
}

// Webhook names of a Decision.
const (
	WebhookAuthenticate = "authenticate"
	WebhookAuthorize    = "authorize"
)

// Decision is one answer of a webhook.
type Decision struct {
	Time    time.Time
	Webhook string // WebhookAuthenticate or WebhookAuthorize
	Cluster access.ClusterKey
	// Principal is the IAM principal's ARN (as STS named it) when known, else the Kubernetes
	// username (OIDC users, or an authorization request of a user eksaccess did not map).
	Principal string
	Username  string
	Groups    []string
	// Request is what was asked (authorize only).
	Request *policy.Request
	// Allowed: authenticated, or allowed. Result is the metric label: authenticated,
	// unauthenticated, allowed, no_opinion.
	Allowed bool
	Result  string
	Reason  string
	// EntryARN is the access entry that mapped or decided, if any; Policy the granting policy.
	EntryARN string
	Policy   string
}

// SetRecorder makes the index ask r for last-used cells and the webhooks report to r. Call it
// before Load.
func (ix *Index) SetRecorder(r Recorder) { ix.rec = r }
