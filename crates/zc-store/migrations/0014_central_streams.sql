-- Central sync of the rest (docs/central.md): connection definitions, status history, raw
-- metrics and point history.
--
-- Connections get a global id (UUIDv7, timed by their creation) and remember which settings
-- version the centre has, so an edit is pushed once. A removed connection leaves a row in
-- `sync_removals` (written by the trigger, so in the removal's own transaction whatever code
-- removed it) until the centre knows.
ALTER TABLE backend_connections ADD COLUMN global_id TEXT;
UPDATE backend_connections SET global_id = lower(
    substr(printf('%012x', created_at), 1, 8) || '-' || substr(printf('%012x', created_at), 9, 4) || '-7'
    || substr(hex(randomblob(2)), 2, 3) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1)
    || substr(hex(randomblob(2)), 2, 3) || '-' || hex(randomblob(6)));
CREATE UNIQUE INDEX backend_connections_global_id ON backend_connections (global_id);
ALTER TABLE backend_connections ADD COLUMN central_version INTEGER;

CREATE TABLE sync_removals (
    id         INTEGER PRIMARY KEY,
    stream     TEXT NOT NULL,
    global_id  TEXT NOT NULL,
    removed_at INTEGER NOT NULL,
    pushed_at  INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX sync_removals_pending ON sync_removals (stream, pushed_at);
CREATE TRIGGER backend_connections_removed AFTER DELETE ON backend_connections
WHEN OLD.global_id IS NOT NULL
BEGIN
    INSERT INTO sync_removals (stream, global_id, removed_at, created_at, updated_at)
    VALUES ('connections', OLD.global_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

-- The time series (status history, request metrics, point history) are append-only and large:
-- instead of a mark on every row, each has a cursor, (at, key), up to which the centre has every
-- row. A row written at or before the cursor (a clock set back, a late batch), or at or before
-- what a push in flight has claimed, sets `rewind_at` in the writing transaction, and the cursor
-- goes back there before it moves on: rows are then pushed again, which the centre ignores (their
-- global ids are derived from the row), and none is skipped. No row here: nothing pushed yet.
CREATE TABLE sync_series (
    stream          TEXT PRIMARY KEY,
    cursor_at       INTEGER NOT NULL,
    cursor_key      INTEGER NOT NULL,
    claimed_to_at   INTEGER,
    rewind_at       INTEGER,
    -- Moves with every claim: only the newest claim may move the cursor, so two pushers at once
    -- (a monitor and `zc sync now`) cannot move it past a row neither of them read.
    claim           INTEGER NOT NULL DEFAULT 0,
    last_success_at INTEGER,
    last_attempt_at INTEGER,
    last_error      TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    pushed_total    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
