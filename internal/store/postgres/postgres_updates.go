package postgres

import (
	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/store/sqlstore"
)

// Identity provider configs, cluster updates and the lookups tagging needs.

func (t *tx) InsertIdentityProviderConfig(c *access.IdentityProviderConfig) error {
	return inserted(t.exec(`INSERT INTO identity_provider_configs (cluster_id, name, type, arn, status, config, tags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		c.ClusterID, c.Name, c.Type, c.ARN, c.Status, sqlstore.MustJSON(c.OIDC), sqlstore.MustJSON(sqlstore.NonNilMap(c.Tags)), c.CreatedAt))
}

func (t *tx) UpdateIdentityProviderConfig(c *access.IdentityProviderConfig) error {
	return sqlstore.NotFound(t.exec(`UPDATE identity_provider_configs SET status = ?, tags = ? WHERE cluster_id = ? AND name = ?`,
		c.Status, sqlstore.MustJSON(sqlstore.NonNilMap(c.Tags)), c.ClusterID, c.Name))
}

func (t *tx) DeleteIdentityProviderConfig(clusterID, name string) error {
	return sqlstore.NotFound(t.exec(`DELETE FROM identity_provider_configs WHERE cluster_id = ? AND name = ?`, clusterID, name))
}

func (t *tx) InsertUpdate(u *access.Update) error {
	params, errs := u.Params, u.Errors
	if params == nil {
		params = []access.UpdateParam{}
	}
	if errs == nil {
		errs = []access.UpdateError{}
	}
	return inserted(t.exec(`INSERT INTO cluster_updates (`+sqlstore.UpdateCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		u.ID, u.ClusterID, u.Type, u.Status, sqlstore.MustJSON(params), sqlstore.MustJSON(errs), sqlstore.MustJSON(u.Change), u.CreatedAt, u.DueAt))
}

func (t *tx) ListUpdates(clusterID string, p access.Page) ([]access.Update, error) {
	return sqlstore.ScanUpdates(t.Query(`SELECT `+sqlstore.UpdateCols+` FROM cluster_updates WHERE cluster_id = ? AND (lpad(created_at::text, 15, '0') || '/' || id) COLLATE "C" > ? ORDER BY created_at, id LIMIT ?`, clusterID, p.After, p.Limit))
}

func (t *tx) CompleteUpdate(id, status string, errs []access.UpdateError) error {
	if errs == nil {
		errs = []access.UpdateError{}
	}
	return sqlstore.NotFound(t.exec(`UPDATE cluster_updates SET status = ?, errors = ? WHERE id = ? AND status = ?`, status, sqlstore.MustJSON(errs), id, access.UpdateInProgress))
}
