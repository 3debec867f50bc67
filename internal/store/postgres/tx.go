package postgres

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
)

// The access.Tx methods; the queries are the SQLite backend's, with $n placeholders (rebind).

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain maps, slices and structs are stored
	}
	return string(b)
}

func notFound(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return access.ErrNotFound
	}
	return nil
}

func strings1(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

const clusterCols = `id, account, region, name, arn, status, auth_mode, bootstrap_admin, created_at, tags, spec, revision`

func (t *tx) GetCluster(key access.ClusterKey) (*access.Cluster, error) {
	return scanCluster(t.queryRow(`SELECT `+clusterCols+` FROM clusters WHERE account = ? AND region = ? AND name = ?`, key.Account, key.Region, key.Name))
}

const clusterSummaryCols = `id, account, region, name, arn, status, auth_mode, bootstrap_admin, created_at, revision`

func (t *tx) GetClusterSummary(key access.ClusterKey) (*access.Cluster, error) {
	var c access.Cluster
	err := t.queryRow(`SELECT `+clusterSummaryCols+` FROM clusters WHERE account = ? AND region = ? AND name = ?`, key.Account, key.Region, key.Name).
		Scan(&c.ID, &c.Account, &c.Region, &c.Name, &c.ARN, &c.Status, &c.AuthenticationMode, &c.BootstrapAdmin, &c.CreatedAt, &c.Revision)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, access.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func (t *tx) GetClusterEntry(key access.ClusterKey, principalARN string) (*access.Cluster, *access.AccessEntry, error) {
	var c access.Cluster
	var principal, arn, typ, username, groups, tags, principalID sql.NullString
	var created, modified sql.NullInt64
	err := t.queryRow(`SELECT c.id, c.account, c.region, c.name, c.arn, c.status, c.auth_mode, c.bootstrap_admin, c.created_at, c.revision,
 e.principal_arn, e.arn, e.type, e.username, e.groups_json, e.tags, e.created_at, e.modified_at, e.principal_id
 FROM clusters c LEFT JOIN access_entries e ON e.cluster_id = c.id AND e.principal_arn = ?
 WHERE c.account = ? AND c.region = ? AND c.name = ?`, principalARN, key.Account, key.Region, key.Name).
		Scan(&c.ID, &c.Account, &c.Region, &c.Name, &c.ARN, &c.Status, &c.AuthenticationMode, &c.BootstrapAdmin, &c.CreatedAt, &c.Revision,
			&principal, &arn, &typ, &username, &groups, &tags, &created, &modified, &principalID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, access.ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	if !principal.Valid {
		return &c, nil, access.ErrNotFound
	}
	e := access.AccessEntry{ClusterID: c.ID, ClusterName: c.Name, PrincipalARN: principal.String, ARN: arn.String, Type: typ.String,
		Username: username.String, CreatedAt: access.Millis(created.Int64), ModifiedAt: access.Millis(modified.Int64), PrincipalID: principalID.String}
	if err := json.Unmarshal([]byte(groups.String), &e.KubernetesGroups); err != nil {
		return nil, nil, fmt.Errorf("entry %s groups: %w", e.PrincipalARN, err)
	}
	if err := json.Unmarshal([]byte(tags.String), &e.Tags); err != nil {
		return nil, nil, fmt.Errorf("entry %s tags: %w", e.PrincipalARN, err)
	}
	return &c, &e, nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanCluster reads one row of clusterCols; sql.ErrNoRows becomes access.ErrNotFound.
func scanCluster(row scanner) (*access.Cluster, error) {
	var c access.Cluster
	var tags, spec string
	err := row.Scan(&c.ID, &c.Account, &c.Region, &c.Name, &c.ARN, &c.Status, &c.AuthenticationMode, &c.BootstrapAdmin, &c.CreatedAt, &tags, &spec, &c.Revision)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, access.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil {
		return nil, fmt.Errorf("cluster %s tags: %w", c.Name, err)
	}
	if err := json.Unmarshal([]byte(spec), &c.Spec); err != nil {
		return nil, fmt.Errorf("cluster %s spec: %w", c.Name, err)
	}
	return &c, nil
}

// scanEntry reads one row of entryCols; sql.ErrNoRows becomes access.ErrNotFound.
func scanEntry(row scanner) (*access.AccessEntry, error) {
	var e access.AccessEntry
	var groups, tags string
	err := row.Scan(&e.ClusterID, &e.ClusterName, &e.PrincipalARN, &e.ARN, &e.Type, &e.Username, &groups, &tags, &e.CreatedAt, &e.ModifiedAt, &e.PrincipalID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, access.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(groups), &e.KubernetesGroups); err != nil {
		return nil, fmt.Errorf("entry %s groups: %w", e.PrincipalARN, err)
	}
	if err := json.Unmarshal([]byte(tags), &e.Tags); err != nil {
		return nil, fmt.Errorf("entry %s tags: %w", e.PrincipalARN, err)
	}
	return &e, nil
}

func (t *tx) InsertCluster(c *access.Cluster) error {
	return inserted(t.exec(`INSERT INTO clusters (`+clusterCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		c.ID, c.Account, c.Region, c.Name, c.ARN, c.Status, c.AuthenticationMode, c.BootstrapAdmin, c.CreatedAt, mustJSON(c.Tags), mustJSON(c.Spec), c.Revision))
}

func (t *tx) UpdateCluster(c *access.Cluster) error {
	return notFound(t.exec(`UPDATE clusters SET status = ?, auth_mode = ?, bootstrap_admin = ?, tags = ?, spec = ?, revision = revision + 1 WHERE id = ?`,
		c.Status, c.AuthenticationMode, c.BootstrapAdmin, mustJSON(c.Tags), mustJSON(c.Spec), c.ID))
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
	return notFound(t.exec(`DELETE FROM clusters WHERE id = ?`, id))
}

func (t *tx) ListClusters(account, region string, p access.Page) ([]string, error) {
	return strings1(t.query(`SELECT name FROM clusters WHERE account = ? AND region = ? AND name > ? ORDER BY name LIMIT ?`, account, region, p.After, p.Limit))
}

const entryCols = `e.cluster_id, c.name, e.principal_arn, e.arn, e.type, e.username, e.groups_json, e.tags, e.created_at, e.modified_at, e.principal_id`

func (t *tx) GetAccessEntry(key access.EntryKey) (*access.AccessEntry, error) {
	return scanEntry(t.queryRow(`SELECT `+entryCols+` FROM access_entries e JOIN clusters c ON c.id = e.cluster_id WHERE e.cluster_id = ? AND e.principal_arn = ?`, key.ClusterID, key.PrincipalARN))
}

func (t *tx) InsertAccessEntry(e *access.AccessEntry) error {
	return inserted(t.exec(`INSERT INTO access_entries (cluster_id, principal_arn, arn, type, username, groups_json, tags, created_at, modified_at, principal_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		e.ClusterID, e.PrincipalARN, e.ARN, e.Type, e.Username, mustJSON(nonNilStrings(e.KubernetesGroups)), mustJSON(nonNilMap(e.Tags)), e.CreatedAt, e.ModifiedAt, e.PrincipalID))
}

func (t *tx) UpdateAccessEntry(e *access.AccessEntry) error {
	return notFound(t.exec(`UPDATE access_entries SET username = ?, groups_json = ?, tags = ?, modified_at = ?, principal_id = ? WHERE cluster_id = ? AND principal_arn = ?`,
		e.Username, mustJSON(nonNilStrings(e.KubernetesGroups)), mustJSON(nonNilMap(e.Tags)), e.ModifiedAt, e.PrincipalID, e.ClusterID, e.PrincipalARN))
}

func (t *tx) DeleteAccessEntry(key access.EntryKey) error {
	if _, err := t.exec(`DELETE FROM policy_associations WHERE cluster_id = ? AND principal_arn = ?`, key.ClusterID, key.PrincipalARN); err != nil {
		return err
	}
	return notFound(t.exec(`DELETE FROM access_entries WHERE cluster_id = ? AND principal_arn = ?`, key.ClusterID, key.PrincipalARN))
}

func (t *tx) ListAccessEntries(clusterID, policyARN string, p access.Page) ([]string, error) {
	if policyARN != "" {
		return strings1(t.query(`SELECT principal_arn FROM policy_associations WHERE cluster_id = ? AND policy_arn = ? AND principal_arn > ? ORDER BY principal_arn LIMIT ?`, clusterID, policyARN, p.After, p.Limit))
	}
	return strings1(t.query(`SELECT principal_arn FROM access_entries WHERE cluster_id = ? AND principal_arn > ? ORDER BY principal_arn LIMIT ?`, clusterID, p.After, p.Limit))
}

func (t *tx) PutAssociation(a *access.Association) error {
	// Only for an existing entry: a foreign key violation would abort the transaction.
	return notFound(t.exec(`INSERT INTO policy_associations (cluster_id, principal_arn, policy_arn, scope_type, namespaces, associated_at, modified_at)
SELECT e.cluster_id, e.principal_arn, ?, ?, ?, ?, ? FROM access_entries e WHERE e.cluster_id = ? AND e.principal_arn = ?
ON CONFLICT (cluster_id, principal_arn, policy_arn) DO UPDATE SET scope_type = excluded.scope_type, namespaces = excluded.namespaces, modified_at = excluded.modified_at`,
		a.PolicyARN, a.ScopeType, mustJSON(nonNilStrings(a.Namespaces)), a.AssociatedAt, a.ModifiedAt, a.ClusterID, a.PrincipalARN))
}

func (t *tx) GetEntryAccess(key access.EntryKey) (*access.AccessEntry, []access.Association, error) {
	rows, err := t.query(`SELECT `+entryCols+`, a.policy_arn, a.scope_type, a.namespaces, a.associated_at, a.modified_at
 FROM access_entries e JOIN clusters c ON c.id = e.cluster_id
 LEFT JOIN policy_associations a ON a.cluster_id = e.cluster_id AND a.principal_arn = e.principal_arn
 WHERE e.cluster_id = ? AND e.principal_arn = ? ORDER BY a.policy_arn`, key.ClusterID, key.PrincipalARN)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var e access.AccessEntry
	var groups, tags string
	var policyARN, scope, ns sql.NullString
	var associated, modified sql.NullInt64
	as := []access.Association{}
	found := false
	for rows.Next() {
		if err := rows.Scan(&e.ClusterID, &e.ClusterName, &e.PrincipalARN, &e.ARN, &e.Type, &e.Username, &groups, &tags, &e.CreatedAt, &e.ModifiedAt, &e.PrincipalID,
			&policyARN, &scope, &ns, &associated, &modified); err != nil {
			return nil, nil, err
		}
		found = true
		if !policyARN.Valid {
			continue // no associations
		}
		a := access.Association{ClusterID: e.ClusterID, PrincipalARN: e.PrincipalARN, PolicyARN: policyARN.String, ScopeType: scope.String,
			AssociatedAt: access.Millis(associated.Int64), ModifiedAt: access.Millis(modified.Int64)}
		if err := json.Unmarshal([]byte(ns.String), &a.Namespaces); err != nil {
			return nil, nil, err
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, access.ErrNotFound
	}
	if err := json.Unmarshal([]byte(groups), &e.KubernetesGroups); err != nil {
		return nil, nil, fmt.Errorf("entry %s groups: %w", e.PrincipalARN, err)
	}
	if err := json.Unmarshal([]byte(tags), &e.Tags); err != nil {
		return nil, nil, fmt.Errorf("entry %s tags: %w", e.PrincipalARN, err)
	}
	return &e, as, nil
}

const assocCols = `cluster_id, principal_arn, policy_arn, scope_type, namespaces, associated_at, modified_at`

func scanAssociations(rows *sql.Rows, err error) ([]access.Association, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []access.Association{}
	for rows.Next() {
		var a access.Association
		var ns string
		if err := rows.Scan(&a.ClusterID, &a.PrincipalARN, &a.PolicyARN, &a.ScopeType, &ns, &a.AssociatedAt, &a.ModifiedAt); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(ns), &a.Namespaces); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (t *tx) GetAssociation(key access.EntryKey, policyARN string) (*access.Association, error) {
	as, err := scanAssociations(t.query(`SELECT `+assocCols+` FROM policy_associations WHERE cluster_id = ? AND principal_arn = ? AND policy_arn = ?`, key.ClusterID, key.PrincipalARN, policyARN))
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, access.ErrNotFound
	}
	return &as[0], nil
}

func (t *tx) DeleteAssociation(key access.EntryKey, policyARN string) error {
	return notFound(t.exec(`DELETE FROM policy_associations WHERE cluster_id = ? AND principal_arn = ? AND policy_arn = ?`, key.ClusterID, key.PrincipalARN, policyARN))
}

func (t *tx) ListAssociations(key access.EntryKey, p access.Page) ([]access.Association, error) {
	return scanAssociations(t.query(`SELECT `+assocCols+` FROM policy_associations WHERE cluster_id = ? AND principal_arn = ? AND policy_arn > ? ORDER BY policy_arn LIMIT ?`, key.ClusterID, key.PrincipalARN, p.After, p.Limit))
}

func (t *tx) GetIdempotency(key access.IdempotencyKey) (*access.IdempotencyRecord, error) {
	r := access.IdempotencyRecord{Key: key}
	err := t.queryRow(`SELECT request_hash, result, created_at FROM idempotency WHERE account = ? AND region = ? AND operation = ? AND resource = ? AND token = ? AND created_at >= ?`,
		key.Account, key.Region, key.Operation, key.Resource, key.Token, time.Now().Add(-IdempotencyTTL).UnixMilli()).Scan(&r.RequestHash, &r.Result, &r.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, access.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
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

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func (t *tx) AllClusters() ([]access.Cluster, error) {
	rows, err := t.query(`SELECT ` + clusterCols + ` FROM clusters ORDER BY account, region, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []access.Cluster
	for rows.Next() {
		c, err := scanCluster(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

func (t *tx) ClusterAccess(clusterID string) ([]access.AccessEntry, []access.Association, error) {
	rows, err := t.query(`SELECT `+entryCols+` FROM access_entries e JOIN clusters c ON c.id = e.cluster_id WHERE e.cluster_id = ? ORDER BY e.principal_arn`, clusterID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var entries []access.AccessEntry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, *e)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	as, err := scanAssociations(t.query(`SELECT `+assocCols+` FROM policy_associations WHERE cluster_id = ? ORDER BY principal_arn, policy_arn`, clusterID))
	return entries, as, err
}
