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

	// refresh serializes Load and every refresh, read and swap together: each reads the store
	// after its commit (or change-feed notice) and applies what it read, so that an older read
	// never overwrites a newer one.
	refresh sync.Mutex
	// Queued RefreshChanges calls and whether one of them is applying the queue.
	rqmu     sync.Mutex
	rq       []*refreshReq
	rleading bool

	mu     sync.RWMutex
	byKey  map[access.ClusterKey]*clusterView
	keyOf  map[string]access.ClusterKey // cluster id → key
	loaded bool
	// rec, when set, hands out last-used cells (recorder.go).
	rec Recorder
}

// clusterView is one cluster's access configuration. The cluster's fields are immutable (a
// change of the cluster replaces the view); its entries change one by one under mu.
type clusterView struct {
	ID, Account, Region, Name string
	Mode                      string
	// oidc holds the cluster's ACTIVE identity provider configs: only they accept tokens.
	oidc []access.IdentityProviderConfig
	// creator is the principal that created a CONFIG_MAP cluster: EKS maps it to
	// system:masters outside of aws-auth (nil in other modes, where it has an access entry).
	creator *entryView

	mu    sync.RWMutex
	byID  map[string]*entryView // IAM unique id → entry (entries that recorded one)
	byARN map[string]*entryView // lower-cased path-less principal ARN → entry
}

// entryView is one access entry as the webhooks use it.
type entryView struct {
	PrincipalARN string
	Account      string // the principal's account: the one in the uid the token webhook issues
	PrincipalID  string
	Type         string
	Username     string
	Groups       []string
	Policies     *policy.Set
	// Associations is how many policies are associated (for reasons).
	Associations int
	// ARN is the access entry's ARN; usage its last-used cells (nil without a Recorder).
	ARN   string
	usage *Usage
	// policyARNs are the associated policies, in the order Compile was given them.
	policyARNs []string
}

// NewIndex returns an empty index over store; call Load before serving.
func NewIndex(store access.Store) *Index {
	return &Index{store: store, byKey: map[access.ClusterKey]*clusterView{}, keyOf: map[string]access.ClusterKey{}}
}

// Load reads every cluster from the store.
func (ix *Index) Load(ctx context.Context) error {
	ix.refresh.Lock()
	defer ix.refresh.Unlock()
	byKey := map[access.ClusterKey]*clusterView{}
	keyOf := map[string]access.ClusterKey{}
	err := ix.store.View(ctx, func(tx access.Tx) error {
		clusters, err := tx.AllClusters()
		if err != nil {
			return err
		}
		for i := range clusters {
			v, err := loadView(tx, &clusters[i], ix.rec)
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
	ix.refresh.Lock()
	defer ix.refresh.Unlock()
	return ix.reload(ctx, clusterIDs)
}

// RefreshChanges applies a committed transaction's changes: clusters changed as a whole are
// reloaded, single entries are reloaded alone (a write to one entry of a cluster of 100,000
// costs one entry's load, not the cluster's). It returns once the index reflects the changes.
// Concurrent calls are coalesced: one caller at a time applies everything queued so far in one
// read transaction (writes are group-committed, so they finish together).
func (ix *Index) RefreshChanges(ctx context.Context, ch access.Changes) error {
	r := &refreshReq{ch: ch, done: make(chan struct{})}
	ix.rqmu.Lock()
	ix.rq = append(ix.rq, r)
	lead := !ix.rleading
	ix.rleading = true
	ix.rqmu.Unlock()
	if lead {
		for {
			ix.rqmu.Lock()
			batch := ix.rq
			ix.rq = nil
			if len(batch) == 0 {
				ix.rleading = false
				ix.rqmu.Unlock()
				break
			}
			ix.rqmu.Unlock()
			var all access.Changes
			seen := map[access.EntryKey]bool{}
			for _, b := range batch {
				all.Clusters = append(all.Clusters, b.ch.Clusters...)
				for _, k := range b.ch.Entries {
					if !seen[k] {
						seen[k] = true
						all.Entries = append(all.Entries, k)
					}
				}
			}
			err := ix.applyChanges(ctx, all)
			for _, b := range batch {
				b.err = err
				close(b.done)
			}
		}
	}
	<-r.done
	return r.err
}

type refreshReq struct {
	ch   access.Changes
	err  error
	done chan struct{}
}

func (ix *Index) applyChanges(ctx context.Context, ch access.Changes) error {
	ix.refresh.Lock()
	defer ix.refresh.Unlock()
	whole := map[string]bool{}
	for _, id := range ch.Clusters {
		whole[id] = true
	}
	type change struct {
		view *clusterView
		arn  string     // principal ARN as stored
		ev   *entryView // nil: the entry is gone
	}
	var changes []change
	err := ix.store.View(ctx, func(tx access.Tx) error {
		partitions := map[string]string{}
		for _, k := range ch.Entries {
			if whole[k.ClusterID] {
				continue
			}
			ix.mu.RLock()
			key, ok := ix.keyOf[k.ClusterID]
			v := ix.byKey[key]
			ix.mu.RUnlock()
			if !ok || v == nil {
				whole[k.ClusterID] = true // not indexed yet: load it whole
				continue
			}
			e, as, err := tx.GetEntryAccess(k)
			if errors.Is(err, access.ErrNotFound) {
				changes = append(changes, change{view: v, arn: k.PrincipalARN})
				continue
			}
			if err != nil {
				return err
			}
			part, ok := partitions[v.Region]
			if !ok {
				part = access.PartitionOf(v.Region)
				partitions[v.Region] = part
			}
			changes = append(changes, change{view: v, arn: k.PrincipalARN, ev: newEntryView(e, as, part, ix.rec)})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("refresh webhook index: %w", err)
	}
	for _, c := range changes {
		c.view.put(c.arn, c.ev)
	}
	if len(whole) == 0 {
		return nil
	}
	ids := make([]string, 0, len(whole))
	for id := range whole {
		ids = append(ids, id)
	}
	return ix.reload(ctx, ids)
}

// put replaces (or with a nil ev, removes) the entry of a principal ARN.
func (v *clusterView) put(principalARN string, ev *entryView) {
	p, ok := access.ParsePrincipalARN(principalARN)
	if !ok {
		return
	}
	key := strings.ToLower(p.PathlessARN())
	v.mu.Lock()
	defer v.mu.Unlock()
	if old := v.byARN[key]; old != nil {
		delete(v.byARN, key)
		if old.PrincipalID != "" && v.byID[old.PrincipalID] == old {
			delete(v.byID, old.PrincipalID)
		}
	}
	if ev == nil {
		return
	}
	if ev.PrincipalID != "" {
		v.byID[ev.PrincipalID] = ev
	}
	v.byARN[key] = ev
}

func (ix *Index) reload(ctx context.Context, clusterIDs []string) error {
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
			v, err := loadView(tx, cl, ix.rec)
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
		v.mu.RLock()
		entries += len(v.byARN)
		v.mu.RUnlock()
	}
	return len(ix.byKey), entries
}

func loadView(tx access.Tx, cl *access.Cluster, rec Recorder) (*clusterView, error) {
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
		v.creator = &entryView{PrincipalARN: p.PathlessARN(), Account: p.Account, PrincipalID: cl.Spec.CreatorPrincipalID,
			Username: CreatorUsername, Groups: []string{"system:masters"}}
	}
	partition := access.PartitionOf(cl.Region)
	for i := range entries {
		e := &entries[i]
		p, ok := access.ParsePrincipalARN(e.PrincipalARN)
		if !ok {
			continue
		}
		ev := compileEntry(e, p.Account, byPrincipal[e.PrincipalARN], partition, rec)
		if e.PrincipalID != "" {
			v.byID[e.PrincipalID] = ev
		}
		v.byARN[strings.ToLower(p.PathlessARN())] = ev
	}
	return v, nil
}

// newEntryView builds an entry's view from its stored associations.
func newEntryView(e *access.AccessEntry, assocs []access.Association, partition string, rec Recorder) *entryView {
	as := make([]policy.Association, 0, len(assocs))
	for _, a := range assocs {
		as = append(as, policy.Association{PolicyARN: a.PolicyARN, Scope: policy.Scope{Type: policy.ScopeType(a.ScopeType), Namespaces: a.Namespaces}})
	}
	p, _ := access.ParsePrincipalARN(e.PrincipalARN)
	return compileEntry(e, p.Account, as, partition, rec)
}

// compileEntry builds an entry's view; account is its principal's (parsed from PrincipalARN).
func compileEntry(e *access.AccessEntry, account string, as []policy.Association, partition string, rec Recorder) *entryView {
	ev := &entryView{
		PrincipalARN: e.PrincipalARN, Account: account, PrincipalID: e.PrincipalID, Type: e.Type,
		Username: e.Username, Groups: e.KubernetesGroups,
		Policies: policy.Compile(as, partition), Associations: len(as), ARN: e.ARN,
	}
	if rec != nil {
		ev.policyARNs = make([]string, len(as))
		for i := range as {
			ev.policyARNs[i] = as[i].PolicyARN
		}
		ev.usage = rec.Usage(e.ClusterID, e.ARN, ev.policyARNs)
	}
	return ev
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
	v.mu.RLock()
	defer v.mu.RUnlock()
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
