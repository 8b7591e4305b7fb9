-- Sign-in: roles, credentials and sessions. A password's hash lives in the OS keyring, never
-- here (`credential` names its keyring entry); this file keeps what decides whether a person may
-- try (failures, backoff, lock) and who is signed in.
-- Users made before sign-in existed (one per OS account) have no role and cannot sign in.
ALTER TABLE users ADD COLUMN role TEXT CHECK (role IS NULL OR role IN ('operator', 'engineer', 'admin'));
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
ALTER TABLE users ADD COLUMN created_by TEXT;

CREATE TABLE user_credentials (
    user_id         INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    credential      TEXT NOT NULL UNIQUE,
    password_set_at INTEGER NOT NULL,
    -- Consecutive failures; an attempt counts as one from the moment it starts (so two at once
    -- cannot both slip past the wait), and a success resets it.
    failed_count    INTEGER NOT NULL DEFAULT 0,
    last_failed_at  INTEGER,
    next_attempt_at INTEGER,
    locked_at       INTEGER,
    last_sign_in_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id  INTEGER REFERENCES devices(id) ON DELETE SET NULL,
    client     TEXT NOT NULL CHECK (client IN ('cli', 'desktop')),
    started_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ended_at   INTEGER,
    end_reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, ended_at);
