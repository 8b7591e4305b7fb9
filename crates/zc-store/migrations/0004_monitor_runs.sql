-- Monitor runs and their accounts (ARCHITECTURE.md, "Nothing is lost"). A run's row is updated in
-- the same transaction as every batch the run writes, so the database itself always says what
-- was durably written. `last_batch` makes a retried batch whose earlier COMMIT reported an error
-- but took effect a no-op instead of a duplicate.
CREATE TABLE monitor_runs (
    id                    INTEGER PRIMARY KEY,
    pid                   INTEGER NOT NULL,
    device_id             INTEGER REFERENCES devices(id) ON DELETE SET NULL,
    started_at            INTEGER NOT NULL,
    -- Its last durable write: everything the run made before it is accounted for here.
    last_write_at         INTEGER NOT NULL,
    -- Set by a clean stop; NULL while it runs and after it was killed or crashed.
    stopped_at            INTEGER,
    -- Set when a later start found that the run ended without a clean stop.
    interrupted_noted_at  INTEGER,
    last_batch            INTEGER NOT NULL DEFAULT 0,
    probes                INTEGER NOT NULL DEFAULT 0,
    rows_made             INTEGER NOT NULL DEFAULT 0,
    rows_written          INTEGER NOT NULL DEFAULT 0,
    rows_dropped          INTEGER NOT NULL DEFAULT 0,
    rows_discarded        INTEGER NOT NULL DEFAULT 0,
    transitions_made      INTEGER NOT NULL DEFAULT 0,
    transitions_written   INTEGER NOT NULL DEFAULT 0,
    transitions_dropped   INTEGER NOT NULL DEFAULT 0,
    transitions_discarded INTEGER NOT NULL DEFAULT 0,
    -- Written by the stop: NULL when nothing was lost, otherwise the one-line account of it.
    loss                  TEXT,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX monitor_runs_unstopped ON monitor_runs (id) WHERE stopped_at IS NULL;

-- Connection ids are never reused: metrics and status changes still waiting in a running
-- monitor for a removed connection must not land on a new one that got its id.
INSERT INTO meta (key, value, created_at, updated_at)
SELECT 'connection_id_high', COALESCE(MAX(id), 0), CAST(strftime('%s', 'now') AS INTEGER) * 1000,
       CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM backend_connections;
