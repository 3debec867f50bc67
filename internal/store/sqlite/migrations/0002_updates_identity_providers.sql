-- Identity provider configs and asynchronous cluster updates.

CREATE TABLE identity_provider_configs (
    cluster_id  TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL,
    arn         TEXT NOT NULL,
    status      TEXT NOT NULL,
    config      TEXT NOT NULL, -- the OIDC members as JSON
    tags        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, name)
);

CREATE TABLE cluster_updates (
    id          TEXT PRIMARY KEY,
    cluster_id  TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    params      TEXT NOT NULL,
    errors      TEXT NOT NULL,
    change      TEXT NOT NULL, -- what the update applies when it completes (never on the wire)
    created_at  INTEGER NOT NULL,
    due_at      INTEGER NOT NULL
);
CREATE INDEX cluster_updates_by_cluster ON cluster_updates (cluster_id, created_at, id);
CREATE INDEX cluster_updates_due ON cluster_updates (status, due_at);
-- At most one update in progress per cluster, whatever the writers.
CREATE UNIQUE INDEX cluster_updates_one_in_progress ON cluster_updates (cluster_id) WHERE status = 'InProgress';

CREATE INDEX access_entries_by_arn ON access_entries (cluster_id, arn);
