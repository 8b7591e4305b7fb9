-- Central sync (docs/central.md). Every row that reaches the central store carries a global id
-- (a UUIDv7 this console assigns), so the same row is the same row everywhere. Activity entries
-- made before this migration get one here, timed by their own `at`.
ALTER TABLE activity_log ADD COLUMN global_id TEXT;
UPDATE activity_log SET global_id = lower(
    substr(printf('%012x', at), 1, 8) || '-' || substr(printf('%012x', at), 9, 4) || '-7'
    || substr(hex(randomblob(2)), 2, 3) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1)
    || substr(hex(randomblob(2)), 2, 3) || '-' || hex(randomblob(6)));
CREATE UNIQUE INDEX activity_log_global_id ON activity_log (global_id);

-- The centre this console is connected to. The login's password lives in the OS keyring,
-- never here; the URL carries no credentials.
CREATE TABLE central_link (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    url             TEXT NOT NULL,
    login           TEXT NOT NULL,
    console_id      TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    site_id         TEXT NOT NULL,
    connected_at    INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- How each stream of rows to the centre is doing: the last success, the last failure and
-- when the next attempt is due (backoff with jitter after a transient failure).
CREATE TABLE sync_streams (
    stream          TEXT PRIMARY KEY CHECK (stream IN ('activity_log')),
    last_success_at INTEGER,
    last_attempt_at INTEGER,
    last_error      TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    pushed_total    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- What the centre refused for good, kept for a person to see and retry. A stream with an open
-- entry here pushes nothing after it (the activity log must arrive in order). A retry closes
-- the entry; refused again, the same entry opens again with one more attempt.
CREATE TABLE sync_quarantine (
    id              INTEGER PRIMARY KEY,
    stream          TEXT NOT NULL,
    first_seq       INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    detail          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 1,
    first_failed_at INTEGER NOT NULL,
    last_failed_at  INTEGER NOT NULL,
    resolved_at     INTEGER,
    resolution      TEXT CHECK (resolution IS NULL OR resolution IN ('retried', 'set_aside')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX sync_quarantine_open ON sync_quarantine (stream, resolved_at);
