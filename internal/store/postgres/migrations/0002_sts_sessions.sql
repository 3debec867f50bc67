-- Temporary credentials issued by AssumeRole, so that every replica authenticates them.
CREATE TABLE sts_sessions (
    access_key_id TEXT COLLATE "C" PRIMARY KEY,
    secret        TEXT NOT NULL,
    token         TEXT NOT NULL,
    expires_ms    BIGINT NOT NULL,
    role_arn      TEXT NOT NULL,
    role_id       TEXT NOT NULL,
    name          TEXT NOT NULL
);
CREATE INDEX sts_sessions_by_expiry ON sts_sessions (expires_ms);
