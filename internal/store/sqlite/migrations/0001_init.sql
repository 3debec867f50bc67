CREATE TABLE clusters (
    id              TEXT PRIMARY KEY,
    account         TEXT NOT NULL,
    region          TEXT NOT NULL,
    name            TEXT NOT NULL,
    arn             TEXT NOT NULL,
    status          TEXT NOT NULL,
    auth_mode       TEXT NOT NULL,
    bootstrap_admin INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    tags            TEXT NOT NULL,
    spec            TEXT NOT NULL,
    revision        INTEGER NOT NULL,
    UNIQUE (account, region, name)
);

CREATE TABLE access_entries (
    cluster_id    TEXT NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    principal_arn TEXT NOT NULL,
    arn           TEXT NOT NULL,
    type          TEXT NOT NULL,
    username      TEXT NOT NULL,
    groups_json   TEXT NOT NULL,
    tags          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    modified_at   INTEGER NOT NULL,
    principal_id  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cluster_id, principal_arn)
);

CREATE TABLE policy_associations (
    cluster_id    TEXT NOT NULL,
    principal_arn TEXT NOT NULL,
    policy_arn    TEXT NOT NULL,
    scope_type    TEXT NOT NULL,
    namespaces    TEXT NOT NULL,
    associated_at INTEGER NOT NULL,
    modified_at   INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, principal_arn, policy_arn),
    FOREIGN KEY (cluster_id, principal_arn) REFERENCES access_entries (cluster_id, principal_arn) ON DELETE CASCADE
);
CREATE INDEX policy_associations_by_policy ON policy_associations (cluster_id, policy_arn, principal_arn);

CREATE TABLE idempotency (
    account      TEXT NOT NULL,
    region       TEXT NOT NULL,
    operation    TEXT NOT NULL,
    resource     TEXT NOT NULL,
    token        TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    result       BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (account, region, operation, resource, token)
);
CREATE INDEX idempotency_by_age ON idempotency (created_at);
