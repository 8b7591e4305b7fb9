-- Alarm management (issue 7). `alarms` holds one row per alarm source (a connection's offline
-- condition, a point's high limit, the console's own network), with its ISA-18.2 state; the row
-- outlives each occurrence, so shelving applies to the source. `alarm_events` keeps every
-- transition, never aggregated. `state` is derived from the other columns by the domain
-- (zc_domain::alarm::Alarm::state) and stored so the list reads one index.
CREATE TABLE alarms (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,
    -- NULL for the console's own alarm.
    connection_id  INTEGER REFERENCES backend_connections(id) ON DELETE CASCADE,
    point_key      TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL,
    priority       TEXT NOT NULL,
    message        TEXT NOT NULL,
    active         INTEGER NOT NULL,
    acked          INTEGER NOT NULL,
    occurrence     INTEGER NOT NULL,
    raised_at      INTEGER,
    returned_at    INTEGER,
    acked_at       INTEGER,
    acked_by       TEXT,
    shelved_until  INTEGER,
    shelve_reason  TEXT,
    shelved_by     TEXT,
    suppressed_by  TEXT,
    -- The connection whose alarm explains a suppression (a gateway, the point's station).
    suppressed_under INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX alarms_source ON alarms (kind, IFNULL(connection_id, 0), point_key);
CREATE INDEX alarms_state ON alarms (state);
CREATE INDEX alarms_connection ON alarms (connection_id);

CREATE TABLE alarm_events (
    id          INTEGER PRIMARY KEY,
    alarm_id    INTEGER NOT NULL REFERENCES alarms(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    action      TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    occurrence  INTEGER NOT NULL,
    priority    TEXT NOT NULL,
    message     TEXT NOT NULL,
    actor       TEXT,
    reason      TEXT,
    until_at    INTEGER,
    -- The alarm became visible and unacknowledged: what flood rates count.
    annunciated INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX alarm_events_at ON alarm_events (at);
CREATE INDEX alarm_events_alarm ON alarm_events (alarm_id, at);
CREATE INDEX alarm_events_annunciated ON alarm_events (at) WHERE annunciated = 1;

-- Planned work on a connection: its alarms are suppressed and the time shows as maintenance in
-- history, excluded from downtime. Ending one early sets `ends_at` and records who ended it; a
-- window cancelled before its start ends at its start (it covers no time).
CREATE TABLE maintenance_windows (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES backend_connections(id) ON DELETE CASCADE,
    starts_at     INTEGER NOT NULL,
    ends_at       INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    ended_early_by TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CHECK (ends_at >= starts_at)
);
CREATE INDEX maintenance_windows_connection ON maintenance_windows (connection_id, ends_at);
CREATE INDEX maintenance_windows_ends ON maintenance_windows (ends_at);

-- A connection may depend on another (its gateway): its alarms wait under the gateway's.
ALTER TABLE backend_connections ADD COLUMN depends_on INTEGER REFERENCES backend_connections(id) ON DELETE SET NULL;
-- Certificate trust per connection: a private CA (a PEM file in the data directory) or a pinned
-- certificate (SHA-256 of its DER, hex), and what the last https probe saw.
ALTER TABLE backend_connections ADD COLUMN tls_ca_file TEXT;
ALTER TABLE backend_connections ADD COLUMN tls_pin_sha256 TEXT;
ALTER TABLE backend_connections ADD COLUMN tls_seen_sha256 TEXT;
ALTER TABLE backend_connections ADD COLUMN tls_not_after INTEGER;
ALTER TABLE backend_connections ADD COLUMN tls_subject TEXT;
ALTER TABLE backend_connections ADD COLUMN tls_seen_at INTEGER;

-- A point's alarm limits (NULL: no limit).
ALTER TABLE data_points ADD COLUMN low_limit REAL;
ALTER TABLE data_points ADD COLUMN high_limit REAL;

-- Chattering counts recent status changes of all connections at once.
CREATE INDEX connection_status_history_at ON connection_status_history (at);
