-- Live point values (issue 6). `data_points` holds each point's latest value, so the last known
-- values are there offline and after a restart, and what was last written to its history (the
-- deadband's reference). `point_history` is recorded on change (deadband plus heartbeat), one
-- narrow row per kept sample, never aggregated.
CREATE TABLE data_points (
    id               INTEGER PRIMARY KEY,
    connection_id    INTEGER NOT NULL REFERENCES backend_connections(id) ON DELETE CASCADE,
    point_key        TEXT NOT NULL,
    unit             TEXT NOT NULL,
    value            REAL,
    quality          TEXT NOT NULL,
    -- The station's own timestamp of the value; NULL when it sent none we could read.
    source_at        INTEGER,
    received_at      INTEGER NOT NULL,
    recorded_value   REAL,
    recorded_quality TEXT,
    recorded_at      INTEGER,
    -- Per-point recording rule; NULL: the defaults (1 % deadband, 10 min heartbeat).
    deadband         REAL,
    heartbeat_ms     INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (connection_id, point_key)
);

-- Append-only and the table that grows with request_metrics: no created_at/updated_at here, on
-- purpose (`at` is when the value was received, which is when the row was made; rows are never
-- updated). WITHOUT ROWID: the primary key is the only index a trend read needs.
CREATE TABLE point_history (
    point_id  INTEGER NOT NULL REFERENCES data_points(id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    value     REAL,
    quality   TEXT NOT NULL,
    source_at INTEGER,
    PRIMARY KEY (point_id, at)
) WITHOUT ROWID;

-- Retention: point history follows the `request_metrics` policy (both are the raw time series; the
-- policies table's CHECK cannot gain a kind without rebuilding it, which migrations never do).
CREATE INDEX point_history_at ON point_history (at);
