-- When access entries and their policy associations were last used (internal/activity).
-- No foreign keys: records are written in batches after the fact, and a batch must not fail
-- because an entry was deleted meanwhile. policy_arn '' is the entry's own record.
CREATE TABLE access_activity (
    entry_arn        TEXT NOT NULL,
    policy_arn       TEXT NOT NULL,
    cluster_id       TEXT NOT NULL,
    authenticated_at INTEGER NOT NULL,
    allowed_at       INTEGER NOT NULL,
    allowed_policy   TEXT NOT NULL,
    PRIMARY KEY (entry_arn, policy_arn)
);
CREATE INDEX access_activity_by_cluster ON access_activity (cluster_id, entry_arn, policy_arn);
