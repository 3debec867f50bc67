package sqlstore

import (
	"database/sql"
	"strings"

	"github.com/eksaccess/eksaccess/internal/access"
)

// Execer runs one write in a backend's transaction.
type Execer func(q string, args ...any) (sql.Result, error)

// mergeActivity upserts one record, keeping the later time of each column (written with CASE,
// which both engines read alike, rather than max() or GREATEST()).
const mergeActivity = `INSERT INTO access_activity (entry_arn, policy_arn, cluster_id, authenticated_at, allowed_at, allowed_policy)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (entry_arn, policy_arn) DO UPDATE SET
    authenticated_at = CASE WHEN excluded.authenticated_at > access_activity.authenticated_at THEN excluded.authenticated_at ELSE access_activity.authenticated_at END,
    allowed_policy = CASE WHEN excluded.allowed_at > access_activity.allowed_at THEN excluded.allowed_policy ELSE access_activity.allowed_policy END,
    allowed_at = CASE WHEN excluded.allowed_at > access_activity.allowed_at THEN excluded.allowed_at ELSE access_activity.allowed_at END`

// MergeActivity implements access.ActivityTx.MergeActivity with a backend's exec.
func MergeActivity(exec Execer, recs []access.ActivityRecord) error {
	for i := range recs {
		r := &recs[i]
		if _, err := exec(mergeActivity, r.EntryARN, r.PolicyARN, r.ClusterID, int64(r.AuthenticatedAt), int64(r.AllowedAt), r.AllowedPolicy); err != nil {
			return err
		}
	}
	return nil
}

const activityCols = `SELECT entry_arn, policy_arn, authenticated_at, allowed_at, allowed_policy FROM access_activity WHERE cluster_id = ?`

// ClusterActivity implements access.ActivityTx.ClusterActivity.
func (r Reads) ClusterActivity(clusterID string) ([]access.ActivityRecord, error) {
	rows, err := r.Q.Query(activityCols+` ORDER BY entry_arn, policy_arn`, clusterID)
	return scanActivity(clusterID, rows, err)
}

// EntriesActivity implements access.ActivityTx.EntriesActivity.
func (r Reads) EntriesActivity(clusterID string, entryARNs []string) ([]access.ActivityRecord, error) {
	if len(entryARNs) == 0 {
		return []access.ActivityRecord{}, nil
	}
	args := []any{clusterID}
	marks := make([]string, len(entryARNs))
	for i, a := range entryARNs {
		marks[i], args = "?", append(args, a)
	}
	rows, err := r.Q.Query(activityCols+` AND entry_arn IN (`+strings.Join(marks, ", ")+`) ORDER BY entry_arn, policy_arn`, args...)
	return scanActivity(clusterID, rows, err)
}

func scanActivity(clusterID string, rows *sql.Rows, err error) ([]access.ActivityRecord, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []access.ActivityRecord{}
	for rows.Next() {
		rec := access.ActivityRecord{ClusterID: clusterID}
		var auth, allowed int64
		if err := rows.Scan(&rec.EntryARN, &rec.PolicyARN, &auth, &allowed, &rec.AllowedPolicy); err != nil {
			return nil, err
		}
		rec.AuthenticatedAt, rec.AllowedAt = access.Millis(auth), access.Millis(allowed)
		out = append(out, rec)
	}
	return out, rows.Err()
}
