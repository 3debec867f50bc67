package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/eksaccess/eksaccess/internal/access"
)

// Identity provider configs, cluster updates and the lookups tagging needs.

func (r Reads) GetClusterByID(id string) (*access.Cluster, error) {
	return scanCluster(r.Q.QueryRow(`SELECT `+ClusterCols+` FROM clusters WHERE id = ?`, id))
}

func (r Reads) GetAccessEntryByARN(clusterID, arn string) (*access.AccessEntry, error) {
	return scanEntry(r.Q.QueryRow(`SELECT `+entryCols+` FROM access_entries e JOIN clusters c ON c.id = e.cluster_id WHERE e.cluster_id = ? AND e.arn = ?`, clusterID, arn))
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

func (r Reads) GetIdentityProviderConfig(clusterID, name string) (*access.IdentityProviderConfig, error) {
	cs, err := scanIdPConfigs(r.Q.Query(`SELECT `+idpCols+` FROM identity_provider_configs i JOIN clusters c ON c.id = i.cluster_id WHERE i.cluster_id = ? AND i.name = ?`, clusterID, name))
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, access.ErrNotFound
	}
	return &cs[0], nil
}

func (r Reads) ListIdentityProviderConfigs(clusterID string, p access.Page) ([]access.IdentityProviderConfig, error) {
	return scanIdPConfigs(r.Q.Query(`SELECT `+idpCols+` FROM identity_provider_configs i JOIN clusters c ON c.id = i.cluster_id WHERE i.cluster_id = ? AND i.name > ? ORDER BY i.name LIMIT ?`, clusterID, p.After, p.Limit))
}

// UpdateCols are the columns of the cluster_updates table, in ScanUpdates' order.
const UpdateCols = `id, cluster_id, type, status, params, errors, change, created_at, due_at`

// ScanUpdates reads the rows of a query of UpdateCols.
func ScanUpdates(rows *sql.Rows, err error) ([]access.Update, error) {
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

func (r Reads) GetUpdate(clusterID, id string) (*access.Update, error) {
	return one(ScanUpdates(r.Q.Query(`SELECT `+UpdateCols+` FROM cluster_updates WHERE cluster_id = ? AND id = ?`, clusterID, id)))
}

func (r Reads) InProgressUpdate(clusterID string) (*access.Update, error) {
	return one(ScanUpdates(r.Q.Query(`SELECT `+UpdateCols+` FROM cluster_updates WHERE cluster_id = ? AND status = ? ORDER BY created_at LIMIT 1`, clusterID, access.UpdateInProgress)))
}

func (r Reads) DueUpdates(now access.Millis, limit int) ([]access.Update, error) {
	return ScanUpdates(r.Q.Query(`SELECT `+UpdateCols+` FROM cluster_updates WHERE status = ? AND due_at <= ? ORDER BY due_at, id LIMIT ?`, access.UpdateInProgress, now, limit))
}

func (r Reads) NextDueAt() (access.Millis, bool, error) {
	var due sql.NullInt64
	if err := r.Q.QueryRow(`SELECT MIN(due_at) FROM cluster_updates WHERE status = ?`, access.UpdateInProgress).Scan(&due); err != nil {
		return 0, false, err
	}
	return access.Millis(due.Int64), due.Valid, nil
}
