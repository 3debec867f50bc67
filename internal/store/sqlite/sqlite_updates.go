package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/eksaccess/eksaccess/internal/access"
)

// Identity provider configs, cluster updates and the lookups tagging needs.

func (t *tx) GetClusterByID(id string) (*access.Cluster, error) {
	return scanCluster(t.queryRow(`SELECT `+clusterCols+` FROM clusters WHERE id = ?`, id))
}

func (t *tx) GetAccessEntryByARN(clusterID, arn string) (*access.AccessEntry, error) {
	return scanEntry(t.queryRow(`SELECT `+entryCols+` FROM access_entries e JOIN clusters c ON c.id = e.cluster_id WHERE e.cluster_id = ? AND e.arn = ?`, clusterID, arn))
}

const idpCols = `i.cluster_id, c.name, i.name, i.type, i.arn, i.status, i.config, i.tags, i.created_at`

func scanIdPConfigs(rows *sql.Rows, err error) ([]access.IdentityProviderConfig, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []access.IdentityProviderConfig{}
	for rows.Next() {
		var c access.IdentityProviderConfig
		var cfg, tags string
		if err := rows.Scan(&c.ClusterID, &c.ClusterName, &c.Name, &c.Type, &c.ARN, &c.Status, &cfg, &tags, &c.CreatedAt); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(cfg), &c.OIDC); err != nil {
			return nil, fmt.Errorf("identity provider config %s: %w", c.Name, err)
		}
		if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil {
			return nil, fmt.Errorf("identity provider config %s tags: %w", c.Name, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (t *tx) GetIdentityProviderConfig(clusterID, name string) (*access.IdentityProviderConfig, error) {
	cs, err := scanIdPConfigs(t.query(`SELECT `+idpCols+` FROM identity_provider_configs i JOIN clusters c ON c.id = i.cluster_id WHERE i.cluster_id = ? AND i.name = ?`, clusterID, name))
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, access.ErrNotFound
	}
	return &cs[0], nil
}

func (t *tx) InsertIdentityProviderConfig(c *access.IdentityProviderConfig) error {
	_, err := t.exec(`INSERT INTO identity_provider_configs (cluster_id, name, type, arn, status, config, tags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ClusterID, c.Name, c.Type, c.ARN, c.Status, mustJSON(c.OIDC), mustJSON(nonNilMap(c.Tags)), c.CreatedAt)
	if isConstraint(err) {
		return access.ErrAlreadyExists
	}
	return err
}

func (t *tx) UpdateIdentityProviderConfig(c *access.IdentityProviderConfig) error {
	return notFound(t.exec(`UPDATE identity_provider_configs SET status = ?, tags = ? WHERE cluster_id = ? AND name = ?`,
		c.Status, mustJSON(nonNilMap(c.Tags)), c.ClusterID, c.Name))
}

func (t *tx) DeleteIdentityProviderConfig(clusterID, name string) error {
	return notFound(t.exec(`DELETE FROM identity_provider_configs WHERE cluster_id = ? AND name = ?`, clusterID, name))
}

func (t *tx) ListIdentityProviderConfigs(clusterID string, p access.Page) ([]access.IdentityProviderConfig, error) {
	return scanIdPConfigs(t.query(`SELECT `+idpCols+` FROM identity_provider_configs i JOIN clusters c ON c.id = i.cluster_id WHERE i.cluster_id = ? AND i.name > ? ORDER BY i.name LIMIT ?`, clusterID, p.After, p.Limit))
}

const updateCols = `id, cluster_id, type, status, params, errors, change, created_at, due_at`

func scanUpdates(rows *sql.Rows, err error) ([]access.Update, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []access.Update{}
	for rows.Next() {
		var u access.Update
		var params, errs, change string
		if err := rows.Scan(&u.ID, &u.ClusterID, &u.Type, &u.Status, &params, &errs, &change, &u.CreatedAt, &u.DueAt); err != nil {
			return nil, err
		}
		for _, f := range []struct {
			s string
			v any
		}{{params, &u.Params}, {errs, &u.Errors}, {change, &u.Change}} {
			if err := json.Unmarshal([]byte(f.s), f.v); err != nil {
				return nil, fmt.Errorf("update %s: %w", u.ID, err)
			}
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func one(us []access.Update, err error) (*access.Update, error) {
	if err != nil {
		return nil, err
	}
	if len(us) == 0 {
		return nil, access.ErrNotFound
	}
	return &us[0], nil
}

func (t *tx) InsertUpdate(u *access.Update) error {
	params, errs := u.Params, u.Errors
	if params == nil {
		params = []access.UpdateParam{}
	}
	if errs == nil {
		errs = []access.UpdateError{}
	}
	_, err := t.exec(`INSERT INTO cluster_updates (`+updateCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.ClusterID, u.Type, u.Status, mustJSON(params), mustJSON(errs), mustJSON(u.Change), u.CreatedAt, u.DueAt)
	if isConstraint(err) {
		return access.ErrAlreadyExists
	}
	return err
}

func (t *tx) GetUpdate(clusterID, id string) (*access.Update, error) {
	return one(scanUpdates(t.query(`SELECT `+updateCols+` FROM cluster_updates WHERE cluster_id = ? AND id = ?`, clusterID, id)))
}

func (t *tx) InProgressUpdate(clusterID string) (*access.Update, error) {
	return one(scanUpdates(t.query(`SELECT `+updateCols+` FROM cluster_updates WHERE cluster_id = ? AND status = ? ORDER BY created_at LIMIT 1`, clusterID, access.UpdateInProgress)))
}

func (t *tx) ListUpdates(clusterID string, p access.Page) ([]access.Update, error) {
	return scanUpdates(t.query(`SELECT `+updateCols+` FROM cluster_updates WHERE cluster_id = ? AND (printf('%015d', created_at) || '/' || id) > ? ORDER BY created_at, id LIMIT ?`, clusterID, p.After, p.Limit))
}

func (t *tx) DueUpdates(now access.Millis, limit int) ([]access.Update, error) {
	return scanUpdates(t.query(`SELECT `+updateCols+` FROM cluster_updates WHERE status = ? AND due_at <= ? ORDER BY due_at, id LIMIT ?`, access.UpdateInProgress, now, limit))
}

func (t *tx) NextDueAt() (access.Millis, bool, error) {
	var due sql.NullInt64
	if err := t.queryRow(`SELECT MIN(due_at) FROM cluster_updates WHERE status = ?`, access.UpdateInProgress).Scan(&due); err != nil {
		return 0, false, err
	}
	return access.Millis(due.Int64), due.Valid, nil
}

func (t *tx) CompleteUpdate(id, status string, errs []access.UpdateError) error {
	if errs == nil {
		errs = []access.UpdateError{}
	}
	return notFound(t.exec(`UPDATE cluster_updates SET status = ?, errors = ? WHERE id = ? AND status = ?`, status, mustJSON(errs), id, access.UpdateInProgress))
}
