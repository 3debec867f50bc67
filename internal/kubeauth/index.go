// Package kubeauth enforces access entries and access policies on Kubernetes: the token-review
// webhook maps IAM callers to their access entries, the authorization webhook evaluates the
// entries' access policies. Both answer from an in-memory index that committed writes refresh;
// the hot path never queries the database.
package kubeauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/policy"
)

// Index holds, per cluster, what the webhooks need: the authentication mode and the access
// entries keyed by IAM unique id and by path-less principal ARN, each with its compiled policies.
type Index struct {
	store access.Store
	// reload serializes Load and Refresh, read and swap together: a refresh that read an older
	// snapshot never lands after one that read a newer one (concurrent commits, change feed).
	reload sync.Mutex

	mu     sync.RWMutex
	byKey  map[access.ClusterKey]*clusterView
	keyOf  map[string]access.ClusterKey // cluster id → key
	loaded bool
}

// clusterView is an immutable snapshot of one cluster's access configuration.
type clusterView struct {
	ID, Account, Region, Name string
	Mode                      string
	byID                      map[string]*entryView // IAM unique id → entry (entries that recorded one)
	byARN                     map[string]*entryView // lower-cased path-less principal ARN → entry
	// oidc holds the cluster's ACTIVE identity provider configs: only they accept tokens.
	oidc []access.IdentityProviderConfig
	// creator is the principal that created a CONFIG_MAP cluster: EKS maps it to
	// system:masters outside of aws-auth (nil in other modes, where it has an access entry).
	creator *entryView
}

// entryView is one access entry as the webhooks use it.
type entryView struct {
	PrincipalARN string
	PrincipalID  string
	Type         string
	Username     string
	Groups       []string
	Policies     *policy.Set
	// Associations is how many policies are associated (for reasons).
	Associations int
}

// NewIndex returns an empty index over store; call Load before serving.
func NewIndex(store access.Store) *Index {
	return &Index{store: store, byKey: map[access.ClusterKey]*clusterView{}, keyOf: map[string]access.ClusterKey{}}
}

// Load reads every cluster from the store.
func (ix *Index) Load(ctx context.Context) error {
	ix.reload.Lock()
	defer ix.reload.Unlock()
	byKey := map[access.ClusterKey]*clusterView{}
	keyOf := map[string]access.ClusterKey{}
	err := ix.store.View(ctx, func(tx access.Tx) error {
		clusters, err := tx.AllClusters()
		if err != nil {
			return err
		}
		for i := range clusters {
			v, err := loadView(tx, &clusters[i])
			if err != nil {
				return err
			}
			byKey[clusters[i].Key()] = v
			keyOf[v.ID] = clusters[i].Key()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load webhook index: %w", err)
	}
	ix.mu.Lock()
	ix.byKey, ix.keyOf, ix.loaded = byKey, keyOf, true
	ix.mu.Unlock()
	return nil
}

// Refresh reloads the given clusters (after a committed write, or a change feed).
func (ix *Index) Refresh(ctx context.Context, clusterIDs []string) error {
	ix.reload.Lock()
	defer ix.reload.Unlock()
	views := make(map[string]*clusterView, len(clusterIDs))
	err := ix.store.View(ctx, func(tx access.Tx) error {
		for _, id := range clusterIDs {
			cl, err := tx.GetClusterByID(id)
			if errors.Is(err, access.ErrNotFound) {
				views[id] = nil
				continue
			}
			if err != nil {
				return err
			}
			v, err := loadView(tx, cl)
			if err != nil {
				return err
			}
			views[id] = v
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("refresh webhook index: %w", err)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for id, v := range views {
		if old, ok := ix.keyOf[id]; ok {
			delete(ix.byKey, old)
			delete(ix.keyOf, id)
		}
		if v != nil {
			k := access.ClusterKey{Account: v.Account, Region: v.Region, Name: v.Name}
			if prev, ok := ix.byKey[k]; ok && prev.ID != id {
				delete(ix.keyOf, prev.ID) // a re-created cluster replaces the deleted one
			}
			ix.byKey[k] = v
			ix.keyOf[id] = k
		}
	}
	return nil
}

// cluster returns the view of a cluster, or nil.
func (ix *Index) cluster(k access.ClusterKey) *clusterView {
	ix.mu.RLock()
	v := ix.byKey[k]
	ix.mu.RUnlock()
	return v
}

// Len reports the number of clusters and entries indexed.
func (ix *Index) Len() (clusters, entries int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	for _, v := range ix.byKey {
		entries += len(v.byARN)
	}
	return len(ix.byKey), entries
}

func loadView(tx access.Tx, cl *access.Cluster) (*clusterView, error) {
	entries, assocs, err := tx.ClusterAccess(cl.ID)
	if err != nil {
		return nil, err
	}
	v := &clusterView{
		ID: cl.ID, Account: cl.Account, Region: cl.Region, Name: cl.Name, Mode: cl.AuthenticationMode,
		byID:  make(map[string]*entryView, len(entries)),
		byARN: make(map[string]*entryView, len(entries)),
	}
	byPrincipal := map[string][]policy.Association{}
	for _, a := range assocs {
		byPrincipal[a.PrincipalARN] = append(byPrincipal[a.PrincipalARN], policy.Association{
			PolicyARN: a.PolicyARN,
			Scope:     policy.Scope{Type: policy.ScopeType(a.ScopeType), Namespaces: a.Namespaces},
		})
	}
	configs, err := tx.ListIdentityProviderConfigs(cl.ID, access.Page{Limit: 1000})
	if err != nil {
		return nil, err
	}
	for _, c := range configs {
		if c.Status == access.ConfigActive && c.Type == access.IdPTypeOIDC {
			v.oidc = append(v.oidc, c)
		}
	}
	if p, ok := access.ParsePrincipalARN(cl.Spec.CreatorPrincipalARN); ok && cl.AuthenticationMode == access.ModeConfigMap {
		v.creator = &entryView{PrincipalARN: p.PathlessARN(), PrincipalID: cl.Spec.CreatorPrincipalID,
			Username: CreatorUsername, Groups: []string{"system:masters"}}
	}
	partition := access.PartitionOf(cl.Region)
	for i := range entries {
		e := &entries[i]
		p, ok := access.ParsePrincipalARN(e.PrincipalARN)
		if !ok {
			continue
		}
		as := byPrincipal[e.PrincipalARN]
		ev := &entryView{
			PrincipalARN: e.PrincipalARN, PrincipalID: e.PrincipalID, Type: e.Type,
			Username: e.Username, Groups: e.KubernetesGroups,
			Policies: policy.Compile(as, partition), Associations: len(as),
		}
		if e.PrincipalID != "" {
			v.byID[e.PrincipalID] = ev
		}
		v.byARN[strings.ToLower(p.PathlessARN())] = ev
	}
	return v, nil
}

// usesAccessEntries reports whether a cluster maps IAM callers through access entries.
func (v *clusterView) usesAccessEntries() bool {
	return v.Mode == access.ModeAPI || v.Mode == access.ModeAPIAndConfigMap
}

// CreatorUsername is the Kubernetes username of a CONFIG_MAP cluster's creator.
const CreatorUsername = "kubernetes-admin"

// isCreator reports whether a principal is the creator of a CONFIG_MAP cluster: by unique id
// when one was recorded (a re-created principal is not the creator), else by path-less ARN.
func (v *clusterView) isCreator(principalID, canonicalARN string) bool {
	c := v.creator
	if c == nil {
		return false
	}
	if c.PrincipalID != "" {
		return c.PrincipalID == principalID
	}
	return strings.EqualFold(c.PrincipalARN, canonicalARN)
}

// usesConfigMap reports whether a cluster maps IAM callers through the aws-auth ConfigMap.
func (v *clusterView) usesConfigMap() bool {
	return v.Mode == access.ModeConfigMap || v.Mode == access.ModeAPIAndConfigMap
}

// entryFor finds the access entry of an IAM principal: by unique id, then by path-less ARN
// (so role ARNs with paths match STS's path-less ARNs). An entry that recorded a unique id
// matches only that id: a principal deleted and re-created under the same ARN does not match.
func (v *clusterView) entryFor(principalID, canonicalARN string) *entryView {
	if principalID != "" {
		if e := v.byID[principalID]; e != nil {
			return e
		}
	}
	e := v.byARN[strings.ToLower(canonicalARN)]
	if e == nil || (e.PrincipalID != "" && e.PrincipalID != principalID) {
		return nil
	}
	return e
}
