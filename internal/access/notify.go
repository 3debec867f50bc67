package access

import "context"

// Notifying wraps a Store: after each committed write transaction it calls OnCommit with the
// ids of the clusters the transaction changed (clusters, their access entries, policy
// associations and identity provider configs). The webhooks' index uses it to stay current.
type Notifying struct {
	Store
	OnCommit func(clusterIDs []string)
}

// Update implements Store.
func (n *Notifying) Update(ctx context.Context, fn func(Tx) error) error {
	var changed map[string]bool
	err := n.Store.Update(ctx, func(tx Tx) error {
		changed = map[string]bool{} // the store may run fn again on a retry
		return fn(&notifyTx{Tx: tx, changed: changed})
	})
	if err == nil && len(changed) > 0 && n.OnCommit != nil {
		ids := make([]string, 0, len(changed))
		for id := range changed {
			ids = append(ids, id)
		}
		n.OnCommit(ids)
	}
	return err
}

// notifyTx records which clusters a transaction writes.
type notifyTx struct {
	Tx
	changed map[string]bool
}

func (t *notifyTx) mark(id string, err error) error {
	if err == nil {
		t.changed[id] = true
	}
	return err
}

func (t *notifyTx) InsertCluster(c *Cluster) error { return t.mark(c.ID, t.Tx.InsertCluster(c)) }
func (t *notifyTx) UpdateCluster(c *Cluster) error { return t.mark(c.ID, t.Tx.UpdateCluster(c)) }
func (t *notifyTx) DeleteCluster(id string) error  { return t.mark(id, t.Tx.DeleteCluster(id)) }

func (t *notifyTx) InsertAccessEntry(e *AccessEntry) error {
	return t.mark(e.ClusterID, t.Tx.InsertAccessEntry(e))
}

func (t *notifyTx) UpdateAccessEntry(e *AccessEntry) error {
	return t.mark(e.ClusterID, t.Tx.UpdateAccessEntry(e))
}

func (t *notifyTx) DeleteAccessEntry(key EntryKey) error {
	return t.mark(key.ClusterID, t.Tx.DeleteAccessEntry(key))
}

func (t *notifyTx) PutAssociation(a *Association) error {
	return t.mark(a.ClusterID, t.Tx.PutAssociation(a))
}

func (t *notifyTx) DeleteAssociation(key EntryKey, policyARN string) error {
	return t.mark(key.ClusterID, t.Tx.DeleteAssociation(key, policyARN))
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
