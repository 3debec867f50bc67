// Package sqlstore holds what the SQLite and PostgreSQL backends of access.Store share: the
// column lists, the row scanners and the reads, written once in SQLite's dialect with ?
// placeholders (the PostgreSQL backend rewrites them as $1, $2, …). The backends keep their
// transactions, writes, migrations and the few reads whose SQL differs.
package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
)

// IdempotencyTTL is how long a clientRequestToken is remembered.
const IdempotencyTTL = 24 * time.Hour

// Scanner is *sql.Row or *sql.Rows, or a backend's wrapper of them.
type Scanner interface{ Scan(dest ...any) error }

// Querier runs one read in a backend's transaction, through the backend's own machinery
// (statement cache, placeholder rewriting, error bookkeeping).
type Querier interface {
	Query(q string, args ...any) (*sql.Rows, error)
	QueryRow(q string, args ...any) Scanner
}

// Reads implements the read methods of access.Tx on Q; a backend's tx embeds it.
type Reads struct{ Q Querier }

// MustJSON is the stored JSON text of v.
func MustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain maps, slices and structs are stored
	}
	return string(b)
}

// NotFound is the result of an UPDATE or DELETE: no row means access.ErrNotFound.
func NotFound(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return access.ErrNotFound
	}
	return nil
}

// NonNilStrings is s, or an empty slice for nil (stored as [] rather than null).
func NonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// NonNilMap is m, or an empty map for nil (stored as {} rather than null).
func NonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
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

// ClusterCols are the columns of the clusters table, in scanCluster's order.
const ClusterCols = `id, account, region, name, arn, status, auth_mode, bootstrap_admin, created_at, tags, spec, revision`

func (r Reads) GetCluster(key access.ClusterKey) (*access.Cluster, error) {
	return scanCluster(r.Q.QueryRow(`SELECT `+ClusterCols+` FROM clusters WHERE account = ? AND region = ? AND name = ?`, key.Account, key.Region, key.Name))
}

const clusterSummaryCols = `id, account, region, name, arn, status, auth_mode, bootstrap_admin, created_at, revision`

func (r Reads) GetClusterSummary(key access.ClusterKey) (*access.Cluster, error) {
	var c access.Cluster
	err := r.Q.QueryRow(`SELECT `+clusterSummaryCols+` FROM clusters WHERE account = ? AND region = ? AND name = ?`, key.Account, key.Region, key.Name).
		Scan(&c.ID, &c.Account, &c.Region, &c.Name, &c.ARN, &c.Status, &c.AuthenticationMode, &c.BootstrapAdmin, &c.CreatedAt, &c.Revision)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, access.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func (r Reads) GetClusterEntry(key access.ClusterKey, principalARN string) (*access.Cluster, *access.AccessEntry, error) {
	// The key's columns are not selected (the WHERE clause equals them): every column costs the
	// driver a name and type lookup per query.
	c := access.Cluster{Account: key.Account, Region: key.Region, Name: key.Name}
	var principal, arn, typ, username, groups, tags, principalID sql.NullString
	var created, modified sql.NullInt64
	err := r.Q.QueryRow(`SELECT c.id, c.arn, c.status, c.auth_mode, c.bootstrap_admin, c.created_at, c.revision,
 e.principal_arn, e.arn, e.type, e.username, e.groups_json, e.tags, e.created_at, e.modified_at, e.principal_id
 FROM clusters c LEFT JOIN access_entries e ON e.cluster_id = c.id AND e.principal_arn = ?
 WHERE c.account = ? AND c.region = ? AND c.name = ?`, principalARN, key.Account, key.Region, key.Name).
		Scan(&c.ID, &c.ARN, &c.Status, &c.AuthenticationMode, &c.BootstrapAdmin, &c.CreatedAt, &c.Revision,
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
	if err := stringsCache.decode(groups.String, &e.KubernetesGroups); err != nil {
		return nil, nil, fmt.Errorf("entry %s groups: %w", e.PrincipalARN, err)
	}
	if err := tagsCache.decode(tags.String, &e.Tags); err != nil {
		return nil, nil, fmt.Errorf("entry %s tags: %w", e.PrincipalARN, err)
	}
	return &c, &e, nil
}

// scanCluster reads one row of ClusterCols; sql.ErrNoRows becomes access.ErrNotFound.
func scanCluster(row Scanner) (*access.Cluster, error) {
	var c access.Cluster
	var tags, spec string
	err := row.Scan(&c.ID, &c.Account, &c.Region, &c.Name, &c.ARN, &c.Status, &c.AuthenticationMode, &c.BootstrapAdmin, &c.CreatedAt, &tags, &spec, &c.Revision)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, access.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := tagsCache.decode(tags, &c.Tags); err != nil {
		return nil, fmt.Errorf("cluster %s tags: %w", c.Name, err)
	}
	if err := specCache.decode(spec, &c.Spec); err != nil {
		return nil, fmt.Errorf("cluster %s spec: %w", c.Name, err)
	}
	return &c, nil
}

// scanEntry reads one row of entryCols; sql.ErrNoRows becomes access.ErrNotFound.
func scanEntry(row Scanner) (*access.AccessEntry, error) {
	var e access.AccessEntry
	var groups, tags string
	err := row.Scan(&e.ClusterID, &e.ClusterName, &e.PrincipalARN, &e.ARN, &e.Type, &e.Username, &groups, &tags, &e.CreatedAt, &e.ModifiedAt, &e.PrincipalID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, access.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := stringsCache.decode(groups, &e.KubernetesGroups); err != nil {
		return nil, fmt.Errorf("entry %s groups: %w", e.PrincipalARN, err)
	}
	if err := tagsCache.decode(tags, &e.Tags); err != nil {
		return nil, fmt.Errorf("entry %s tags: %w", e.PrincipalARN, err)
	}
	return &e, nil
}

func (r Reads) ListClusters(account, region string, p access.Page) ([]string, error) {
	return strings1(r.Q.Query(`SELECT name FROM clusters WHERE account = ? AND region = ? AND name > ? ORDER BY name LIMIT ?`, account, region, p.After, p.Limit))
}

const entryCols = `e.cluster_id, c.name, e.principal_arn, e.arn, e.type, e.username, e.groups_json, e.tags, e.created_at, e.modified_at, e.principal_id`

func (r Reads) GetAccessEntry(key access.EntryKey) (*access.AccessEntry, error) {
	return scanEntry(r.Q.QueryRow(`SELECT `+entryCols+` FROM access_entries e JOIN clusters c ON c.id = e.cluster_id WHERE e.cluster_id = ? AND e.principal_arn = ?`, key.ClusterID, key.PrincipalARN))
}

func (r Reads) ListAccessEntries(clusterID, policyARN string, p access.Page) ([]string, error) {
	if policyARN != "" {
		return strings1(r.Q.Query(`SELECT principal_arn FROM policy_associations WHERE cluster_id = ? AND policy_arn = ? AND principal_arn > ? ORDER BY principal_arn LIMIT ?`, clusterID, policyARN, p.After, p.Limit))
	}
	return strings1(r.Q.Query(`SELECT principal_arn FROM access_entries WHERE cluster_id = ? AND principal_arn > ? ORDER BY principal_arn LIMIT ?`, clusterID, p.After, p.Limit))
}

func (r Reads) GetEntryAccess(key access.EntryKey) (*access.AccessEntry, []access.Association, error) {
	rows, err := r.Q.Query(`SELECT `+entryCols+`, a.policy_arn, a.scope_type, a.namespaces, a.associated_at, a.modified_at
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
		if err := stringsCache.decode(ns.String, &a.Namespaces); err != nil {
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
	if err := stringsCache.decode(groups, &e.KubernetesGroups); err != nil {
		return nil, nil, fmt.Errorf("entry %s groups: %w", e.PrincipalARN, err)
	}
	if err := tagsCache.decode(tags, &e.Tags); err != nil {
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
		if err := stringsCache.decode(ns, &a.Namespaces); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (r Reads) GetAssociation(key access.EntryKey, policyARN string) (*access.Association, error) {
	as, err := scanAssociations(r.Q.Query(`SELECT `+assocCols+` FROM policy_associations WHERE cluster_id = ? AND principal_arn = ? AND policy_arn = ?`, key.ClusterID, key.PrincipalARN, policyARN))
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, access.ErrNotFound
	}
	return &as[0], nil
}

func (r Reads) ListAssociations(key access.EntryKey, p access.Page) ([]access.Association, error) {
	return scanAssociations(r.Q.Query(`SELECT `+assocCols+` FROM policy_associations WHERE cluster_id = ? AND principal_arn = ? AND policy_arn > ? ORDER BY policy_arn LIMIT ?`, key.ClusterID, key.PrincipalARN, p.After, p.Limit))
}

func (r Reads) GetIdempotency(key access.IdempotencyKey) (*access.IdempotencyRecord, error) {
	rec := access.IdempotencyRecord{Key: key}
	err := r.Q.QueryRow(`SELECT request_hash, result, created_at FROM idempotency WHERE account = ? AND region = ? AND operation = ? AND resource = ? AND token = ? AND created_at >= ?`,
		key.Account, key.Region, key.Operation, key.Resource, key.Token, time.Now().Add(-IdempotencyTTL).UnixMilli()).Scan(&rec.RequestHash, &rec.Result, &rec.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, access.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

func (r Reads) AllClusters() ([]access.Cluster, error) {
	rows, err := r.Q.Query(`SELECT ` + ClusterCols + ` FROM clusters ORDER BY account, region, name`)
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

func (r Reads) ClusterAccess(clusterID string) ([]access.AccessEntry, []access.Association, error) {
	rows, err := r.Q.Query(`SELECT `+entryCols+` FROM access_entries e JOIN clusters c ON c.id = e.cluster_id WHERE e.cluster_id = ? ORDER BY e.principal_arn`, clusterID)
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
	as, err := scanAssociations(r.Q.Query(`SELECT `+assocCols+` FROM policy_associations WHERE cluster_id = ? ORDER BY principal_arn, policy_arn`, clusterID))
	return entries, as, err
}
