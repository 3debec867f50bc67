package kubeauth

import (
	"strings"

	"github.com/eksaccess/eksaccess/internal/access"
	authnv1 "k8s.io/api/authentication/v1"
)

// Read accessors for the access explorer (internal/explain): they expose the index and the
// mapping the webhooks use, so that the explorer answers with the webhooks' own logic.

// EntryView is one access entry as the webhooks use it (PrincipalARN, PrincipalID, Type,
// Username and Groups templates, compiled Policies). It is immutable: do not modify it.
type EntryView = entryView

// ClusterInfo is a cluster as the webhooks see it.
type ClusterInfo struct {
	ID, Account, Region, Name string
	Mode                      string
	// UsesAccessEntries: API or API_AND_CONFIG_MAP; UsesConfigMap: CONFIG_MAP or
	// API_AND_CONFIG_MAP.
	UsesAccessEntries, UsesConfigMap bool
	// Entries is the number of access entries.
	Entries int
}

// Cluster returns a cluster's info; false when the index has no such cluster.
func (w *Webhooks) Cluster(k access.ClusterKey) (ClusterInfo, bool) {
	v := w.Index.cluster(k)
	if v == nil {
		return ClusterInfo{}, false
	}
	v.mu.RLock()
	n := len(v.byARN)
	v.mu.RUnlock()
	return ClusterInfo{ID: v.ID, Account: v.Account, Region: v.Region, Name: v.Name, Mode: v.Mode,
		UsesAccessEntries: v.usesAccessEntries(), UsesConfigMap: v.usesConfigMap(), Entries: n}, true
}

// MapPrincipal maps an IAM principal of account (canonicalARN: its path-less IAM user or role
// ARN; arn: as presented, e.g. a session ARN) on a cluster exactly as the token-review webhook
// does, matching access entries and the creator by ARN. false: no such cluster.
func (w *Webhooks) MapPrincipal(k access.ClusterKey, canonicalARN, arn, account string) (PrincipalMapping, bool) {
	v := w.Index.cluster(k)
	if v == nil {
		return PrincipalMapping{}, false
	}
	return w.mapPrincipal(v, k, "", canonicalARN, arn, account, true), true
}

// Render fills in username and group templates for id as the token-review webhook does.
func Render(username string, groups []string, id *Identity) (*authnv1.UserInfo, error) {
	return render(username, groups, id)
}

// EachEntry calls fn with every access entry of a cluster (in no order) until fn returns false.
// fn must not call back into the index.
func (w *Webhooks) EachEntry(k access.ClusterKey, fn func(*EntryView) bool) {
	v := w.Index.cluster(k)
	if v == nil {
		return
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, e := range v.byARN {
		if !fn(e) {
			return
		}
	}
}

// Creator returns the creator mapping of a CONFIG_MAP cluster (false in other modes).
func (w *Webhooks) Creator(k access.ClusterKey) (PrincipalMapping, string, bool) {
	v := w.Index.cluster(k)
	if v == nil || v.creator == nil {
		return PrincipalMapping{}, "", false
	}
	return PrincipalMapping{Via: MappedByCreator, Username: v.creator.Username, Groups: v.creator.Groups}, v.creator.PrincipalARN, true
}

// AWSAuthMapping is one mapping of an aws-auth ConfigMap: a role or user ARN (path-less,
// lower-cased), or an account (Account set).
type AWSAuthMapping struct {
	PrincipalARN string
	Account      string
	Username     string // template; "" maps to the principal's ARN
	Groups       []string
}

// AWSAuthMappings lists a cluster's aws-auth mappings; loaded is false when no valid
// ConfigMap has been read.
func (w *Webhooks) AWSAuthMappings(k access.ClusterKey) (out []AWSAuthMapping, loaded bool) {
	m := w.AWSAuth.get(k)
	if m == nil {
		return nil, false
	}
	for arn, mp := range m.principals {
		out = append(out, AWSAuthMapping{PrincipalARN: arn, Username: mp.Username, Groups: mp.Groups})
	}
	for a := range m.accounts {
		out = append(out, AWSAuthMapping{Account: a})
	}
	return out, true
}

// entryByARN finds an access entry by path-less principal ARN alone.
func (v *clusterView) entryByARN(canonicalARN string) *entryView {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.byARN[strings.ToLower(canonicalARN)]
}
