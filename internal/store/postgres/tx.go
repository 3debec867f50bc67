package postgres

import (
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store/sqlstore"
)

// The writes of access.Tx (the reads are sqlstore.Reads); the queries are the SQLite
// backend's with ON CONFLICT DO NOTHING, with $n placeholders (rebind).

func (t *tx) InsertCluster(c *access.Cluster) error {
	return inserted(t.exec(`INSERT INTO clusters (`+sqlstore.ClusterCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		c.ID, c.Account, c.Region, c.Name, c.ARN, c.Status, c.AuthenticationMode, c.BootstrapAdmin, c.CreatedAt, sqlstore.MustJSON(c.Tags), sqlstore.MustJSON(c.Spec), c.Revision))
}

func (t *tx) UpdateCluster(c *access.Cluster) error {
	return sqlstore.NotFound(t.exec(`UPDATE clusters SET status = ?, auth_mode = ?, bootstrap_admin = ?, tags = ?, spec = ?, revision = revision + 1 WHERE id = ?`,
		c.Status, c.AuthenticationMode, c.BootstrapAdmin, sqlstore.MustJSON(c.Tags), sqlstore.MustJSON(c.Spec), c.ID))
}

func (t *tx) DeleteCluster(id string) error {
	for _, q := range []string{
		`DELETE FROM policy_associations WHERE cluster_id = ?`,
		`DELETE FROM access_entries WHERE cluster_id = ?`,
		`DELETE FROM identity_provider_configs WHERE cluster_id = ?`,
		`DELETE FROM cluster_updates WHERE cluster_id = ?`,
	} {
		if _, err := t.exec(q, id); err != nil {
			return err
		}
	}
	return sqlstore.NotFound(t.exec(`DELETE FROM clusters WHERE id = ?`, id))
}

func (t *tx) InsertAccessEntry(e *access.AccessEntry) error {
	return inserted(t.exec(`INSERT INTO access_entries (cluster_id, principal_arn, arn, type, username, groups_json, tags, created_at, modified_at, principal_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		e.ClusterID, e.PrincipalARN, e.ARN, e.Type, e.Username, sqlstore.MustJSON(sqlstore.NonNilStrings(e.KubernetesGroups)), sqlstore.MustJSON(sqlstore.NonNilMap(e.Tags)), e.CreatedAt, e.ModifiedAt, e.PrincipalID))
}

func (t *tx) UpdateAccessEntry(e *access.AccessEntry) error {
	return sqlstore.NotFound(t.exec(`UPDATE access_entries SET username = ?, groups_json = ?, tags = ?, modified_at = ?, principal_id = ? WHERE cluster_id = ? AND principal_arn = ?`,
		e.Username, sqlstore.MustJSON(sqlstore.NonNilStrings(e.KubernetesGroups)), sqlstore.MustJSON(sqlstore.NonNilMap(e.Tags)), e.ModifiedAt, e.PrincipalID, e.ClusterID, e.PrincipalARN))
}

func (t *tx) DeleteAccessEntry(key access.EntryKey) error {
	if _, err := t.exec(`DELETE FROM policy_associations WHERE cluster_id = ? AND principal_arn = ?`, key.ClusterID, key.PrincipalARN); err != nil {
		return err
	}
	return sqlstore.NotFound(t.exec(`DELETE FROM access_entries WHERE cluster_id = ? AND principal_arn = ?`, key.ClusterID, key.PrincipalARN))
}

func (t *tx) PutAssociation(a *access.Association) error {
	// Only for an existing entry: a foreign key violation would abort the transaction.
	return sqlstore.NotFound(t.exec(`INSERT INTO policy_associations (cluster_id, principal_arn, policy_arn, scope_type, namespaces, associated_at, modified_at)
SELECT e.cluster_id, e.principal_arn, ?, ?, ?, ?, ? FROM access_entries e WHERE e.cluster_id = ? AND e.principal_arn = ?
ON CONFLICT (cluster_id, principal_arn, policy_arn) DO UPDATE SET scope_type = excluded.scope_type, namespaces = excluded.namespaces, modified_at = excluded.modified_at`,
		a.PolicyARN, a.ScopeType, sqlstore.MustJSON(sqlstore.NonNilStrings(a.Namespaces)), a.AssociatedAt, a.ModifiedAt, a.ClusterID, a.PrincipalARN))
}

func (t *tx) DeleteAssociation(key access.EntryKey, policyARN string) error {
	return sqlstore.NotFound(t.exec(`DELETE FROM policy_associations WHERE cluster_id = ? AND principal_arn = ? AND policy_arn = ?`, key.ClusterID, key.PrincipalARN, policyARN))
}

func (t *tx) PutIdempotency(r *access.IdempotencyRecord) error {
	if _, err := t.exec(`DELETE FROM idempotency WHERE created_at < ?`, time.Now().Add(-IdempotencyTTL).UnixMilli()); err != nil {
		return err
	}
	k := r.Key
	_, err := t.exec(`INSERT INTO idempotency (account, region, operation, resource, token, request_hash, result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (account, region, operation, resource, token) DO UPDATE SET request_hash = excluded.request_hash, result = excluded.result, created_at = excluded.created_at`,
		k.Account, k.Region, k.Operation, k.Resource, k.Token, r.RequestHash, r.Result, r.CreatedAt)
	return err
}
