package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/eksaccess/eksaccess/internal/access"
	"github.com/eksaccess/eksaccess/internal/identity"
)

// Store implements identity.SessionStore: STS temporary credentials are shared by the replicas.
var _ identity.SessionStore = (*Store)(nil)

// sessionRetention is how long an expired session is kept (its callers are told ExpiredToken).
const sessionRetention = 24 * time.Hour

// PutSession stores a session issued by AssumeRole, and drops sessions expired a day ago.
func (s *Store) PutSession(ctx context.Context, sess *identity.Session) error {
	ctx, cancel := context.WithTimeout(ctx, TxTimeout)
	defer cancel()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sts_sessions WHERE expires_ms < $1`, time.Now().Add(-sessionRetention).UnixMilli()); err != nil {
		return classify(err)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO sts_sessions (access_key_id, secret, token, expires_ms, role_arn, role_id, name) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		sess.AccessKeyID, sess.Secret, sess.Token, sess.Expires.UnixMilli(), sess.RoleARN, sess.RoleID, sess.Name)
	return classify(err)
}

// GetSession finds a session by its access key id; access.ErrNotFound if there is none.
func (s *Store) GetSession(ctx context.Context, accessKeyID string) (*identity.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, TxTimeout)
	defer cancel()
	sess := identity.Session{AccessKeyID: accessKeyID}
	var expires int64
	err := s.db.QueryRowContext(ctx, `SELECT secret, token, expires_ms, role_arn, role_id, name FROM sts_sessions WHERE access_key_id = $1`, accessKeyID).
		Scan(&sess.Secret, &sess.Token, &expires, &sess.RoleARN, &sess.RoleID, &sess.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, access.ErrNotFound
	}
	if err != nil {
		return nil, classify(err)
	}
	sess.Expires = time.UnixMilli(expires)
	return &sess, nil
}
