-- The schema of the SQLite backend's migrations 0001-0002, in PostgreSQL types. Text keys use
-- COLLATE "C" so that lists and pagination follow byte order, as on SQLite.

CREATE TABLE clusters (
    id              TEXT COLLATE "C" PRIMARY KEY,
    account         TEXT COLLATE "C" NOT NULL,
    region          TEXT COLLATE "C" NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    arn             TEXT NOT NULL,
    status          TEXT NOT NULL,
    auth_mode       TEXT NOT NULL,
    bootstrap_admin BOOLEAN NOT NULL,
    created_at      BIGINT NOT NULL,
    tags            TEXT NOT NULL,
    spec            TEXT NOT NULL,
    revision        BIGINT NOT NULL,
    UNIQUE (account, region, name)
);

CREATE TABLE access_entries (
    cluster_id    TEXT COLLATE "C" NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    principal_arn TEXT COLLATE "C" NOT NULL,
    arn           TEXT COLLATE "C" NOT NULL,
    type          TEXT NOT NULL,
    username      TEXT NOT NULL,
    groups_json   TEXT NOT NULL,
    tags          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    modified_at   BIGINT NOT NULL,
    principal_id  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cluster_id, principal_arn)
);
CREATE INDEX access_entries_by_arn ON access_entries (cluster_id, arn);

CREATE TABLE policy_associations (
    cluster_id    TEXT COLLATE "C" NOT NULL,
    principal_arn TEXT COLLATE "C" NOT NULL,
    policy_arn    TEXT COLLATE "C" NOT NULL,
    scope_type    TEXT NOT NULL,
    namespaces    TEXT NOT NULL,
    associated_at BIGINT NOT NULL,
    modified_at   BIGINT NOT NULL,
    PRIMARY KEY (cluster_id, principal_arn, policy_arn),
    FOREIGN KEY (cluster_id, principal_arn) REFERENCES access_entries (cluster_id, principal_arn) ON DELETE CASCADE
);
CREATE INDEX policy_associations_by_policy ON policy_associations (cluster_id, policy_arn, principal_arn);

CREATE TABLE idempotency (
    account      TEXT COLLATE "C" NOT NULL,
    region       TEXT COLLATE "C" NOT NULL,
    operation    TEXT COLLATE "C" NOT NULL,
    resource     TEXT COLLATE "C" NOT NULL,
    token        TEXT COLLATE "C" NOT NULL,
    request_hash TEXT NOT NULL,
    result       BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (account, region, operation, resource, token)
);
CREATE INDEX idempotency_by_age ON idempotency (created_at);

CREATE TABLE identity_provider_configs (
    cluster_id  TEXT COLLATE "C" NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    name        TEXT COLLATE "C" NOT NULL,
    type        TEXT NOT NULL,
    arn         TEXT NOT NULL,
    status      TEXT NOT NULL,
    config      TEXT NOT NULL,
    tags        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (cluster_id, name)
);

CREATE TABLE cluster_updates (
    id          TEXT COLLATE "C" PRIMARY KEY,
    cluster_id  TEXT COLLATE "C" NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    params      TEXT NOT NULL,
    errors      TEXT NOT NULL,
    change      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    due_at      BIGINT NOT NULL
);
CREATE INDEX cluster_updates_by_cluster ON cluster_updates (cluster_id, created_at, id);
CREATE INDEX cluster_updates_due ON cluster_updates (status, due_at);
CREATE UNIQUE INDEX cluster_updates_one_in_progress ON cluster_updates (cluster_id) WHERE status = 'InProgress';

-- The change feed: every committed change to what the webhooks' index holds (clusters, their
-- access entries, policy associations, identity provider configs) appends a row here and
-- notifies channel eksaccess_changes with "revision at_ms cluster_id". Replicas refresh their
-- index from the notifications and, after a reconnect, catch up from the revisions they missed.
CREATE TABLE changes (
    revision   BIGSERIAL PRIMARY KEY,
    cluster_id TEXT COLLATE "C" NOT NULL,
    at_ms      BIGINT NOT NULL
);
CREATE INDEX changes_by_time ON changes (at_ms);

CREATE FUNCTION eksaccess_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cid TEXT;
    rev BIGINT;
    at  BIGINT := (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT;
BEGIN
    IF TG_TABLE_NAME = 'clusters' THEN
        cid := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
    ELSE
        cid := CASE WHEN TG_OP = 'DELETE' THEN OLD.cluster_id ELSE NEW.cluster_id END;
    END IF;
    INSERT INTO changes (cluster_id, at_ms) VALUES (cid, at) RETURNING revision INTO rev;
    PERFORM pg_notify('eksaccess_changes', rev || ' ' || at || ' ' || cid);
    RETURN NULL;
END $$;

CREATE TRIGGER clusters_changed AFTER INSERT OR UPDATE OR DELETE ON clusters
    FOR EACH ROW EXECUTE FUNCTION eksaccess_record_change();
CREATE TRIGGER access_entries_changed AFTER INSERT OR UPDATE OR DELETE ON access_entries
    FOR EACH ROW EXECUTE FUNCTION eksaccess_record_change();
CREATE TRIGGER policy_associations_changed AFTER INSERT OR UPDATE OR DELETE ON policy_associations
    FOR EACH ROW EXECUTE FUNCTION eksaccess_record_change();
CREATE TRIGGER identity_provider_configs_changed AFTER INSERT OR UPDATE OR DELETE ON identity_provider_configs
    FOR EACH ROW EXECUTE FUNCTION eksaccess_record_change();
