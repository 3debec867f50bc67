package access

import "context"

// Notifying wraps a Store: after each committed write transaction it calls OnCommit with the
// ids of the clusters the transaction changed (clusters, their access entries, policy
// associations and identity provider configs). The webhooks' index uses it to stay current.
type Notifying struct {
	Store
	OnCommit func(clusterIDs []string)
	// OnCommitChanges, when set, is called instead of OnCommit with what changed in detail, so
	// that a write to one access entry need not reload its whole cluster.
	OnCommitChanges func(Changes)
	// Reads, when set, serves views from memory (see ReadView): only for a store whose entries
	// no other process writes.
	Reads *ReadView
}

// Changes is what one committed transaction wrote.
type Changes struct {
	// Clusters changed as a whole: the cluster row, or its identity provider configs.
	Clusters []string
	// Entries changed one by one (the entry or its policy associations), in clusters not listed
	// in Clusters.
	Entries []EntryKey
}

// Update implements Store.
func (n *Notifying) Update(ctx context.Context, fn func(Tx) error) error {
	if n.Reads != nil {
		n.Reads.beginWrite()
		defer n.Reads.endWrite() // after the index's refresh: the write has answered
	}
	var t *notifyTx
	err := n.Store.Update(ctx, func(tx Tx) error {
		t = &notifyTx{Tx: tx, changed: map[string]bool{}, entries: map[EntryKey]bool{}} // the store may run fn again on a retry
		return fn(t)
	})
	if err != nil || t == nil || (len(t.changed) == 0 && len(t.entries) == 0) {
		return err
	}
	if n.OnCommitChanges != nil {
		var ch Changes
		for id := range t.changed {
			ch.Clusters = append(ch.Clusters, id)
		}
		for k := range t.entries {
			if !t.changed[k.ClusterID] {
				ch.Entries = append(ch.Entries, k)
			}
		}
		n.OnCommitChanges(ch)
	} else if n.OnCommit != nil {
		ids := make([]string, 0, len(t.changed)+1)
		for id := range t.changed {
			ids = append(ids, id)
		}
		for k := range t.entries {
			if !t.changed[k.ClusterID] {
				t.changed[k.ClusterID] = true
				ids = append(ids, k.ClusterID)
			}
		}
		n.OnCommit(ids)
	}
	return err
}

// ViewOneStatement implements OneStatementViewer when the wrapped store does.
func (n *Notifying) ViewOneStatement(ctx context.Context, fn func(Tx) error) error {
	fn = n.withReads(ctx, fn)
	if v, ok := n.Store.(OneStatementViewer); ok {
		return v.ViewOneStatement(ctx, fn)
	}
	return n.Store.View(ctx, fn)
}

// View implements Store.
func (n *Notifying) View(ctx context.Context, fn func(Tx) error) error {
	return n.Store.View(ctx, n.withReads(ctx, fn))
}

// withReads gives fn a Tx that reads from n.Reads when it is set.
func (n *Notifying) withReads(ctx context.Context, fn func(Tx) error) func(Tx) error {
	if n.Reads == nil {
		return fn
	}
	s, ok := n.Reads.start() // before the store's snapshot starts
	return func(tx Tx) error { return fn(newViewTx(ctx, tx, n.Reads, s, ok)) }
}

// notifyTx records which clusters and entries a transaction writes.
type notifyTx struct {
	Tx
	changed map[string]bool
	entries map[EntryKey]bool
}

func (t *notifyTx) mark(id string, err error) error {
	if err == nil {
		t.changed[id] = true
	}
	return err
}

func (t *notifyTx) markEntry(k EntryKey, err error) error {
	if err == nil {
		t.entries[k] = true
	}
	return err
}

func (t *notifyTx) InsertCluster(c *Cluster) error { return t.mark(c.ID, t.Tx.InsertCluster(c)) }
func (t *notifyTx) UpdateCluster(c *Cluster) error { return t.mark(c.ID, t.Tx.UpdateCluster(c)) }
func (t *notifyTx) DeleteCluster(id string) error  { return t.mark(id, t.Tx.DeleteCluster(id)) }

func (t *notifyTx) InsertAccessEntry(e *AccessEntry) error {
	return t.markEntry(e.Key(), t.Tx.InsertAccessEntry(e))
}

func (t *notifyTx) UpdateAccessEntry(e *AccessEntry) error {
	return t.markEntry(e.Key(), t.Tx.UpdateAccessEntry(e))
}

func (t *notifyTx) DeleteAccessEntry(key EntryKey) error {
	return t.markEntry(key, t.Tx.DeleteAccessEntry(key))
}

func (t *notifyTx) PutAssociation(a *Association) error {
	return t.markEntry(EntryKey{a.ClusterID, a.PrincipalARN}, t.Tx.PutAssociation(a))
}

func (t *notifyTx) DeleteAssociation(key EntryKey, policyARN string) error {
	return t.markEntry(key, t.Tx.DeleteAssociation(key, policyARN))
}

func (t *notifyTx) InsertIdentityProviderConfig(c *IdentityProviderConfig) error {
	return t.mark(c.ClusterID, t.Tx.InsertIdentityProviderConfig(c))
}

func (t *notifyTx) UpdateIdentityProviderConfig(c *IdentityProviderConfig) error {
	return t.mark(c.ClusterID, t.Tx.UpdateIdentityProviderConfig(c))
}

func (t *notifyTx) DeleteIdentityProviderConfig(clusterID, name string) error {
	return t.mark(clusterID, t.Tx.DeleteIdentityProviderConfig(clusterID, name))
}
