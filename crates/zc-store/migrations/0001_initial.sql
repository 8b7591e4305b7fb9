-- ZeroClient local cache, schema 1.
-- Rules that keep migrations forward-compatible: only add tables, columns (with defaults) and
-- indexes; never rename or drop. An older binary opening a newer database ignores what it does
-- not know (the migrator is set to ignore unknown applied migrations).
-- Times are Unix milliseconds (UTC). Every table has created_at / updated_at.

CREATE TABLE meta (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Core auth identity, kept apart from the profile.
CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    username   TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE user_profiles (
    user_id            INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    display_name       TEXT,
    company            TEXT,
    email              TEXT,
    phone              TEXT,
    timezone           TEXT,
    preferred_language TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);

-- Notification preferences apart from other settings.
CREATE TABLE notification_preferences (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    event_kind TEXT NOT NULL,
    channel    TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (user_id, event_kind, channel)
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE devices (
    id           INTEGER PRIMARY KEY,
    fingerprint  TEXT NOT NULL UNIQUE,
    os           TEXT NOT NULL,
    os_version   TEXT NOT NULL,
    hostname     TEXT NOT NULL,
    arch         TEXT NOT NULL,
    cpu          TEXT NOT NULL,
    cpu_count    INTEGER NOT NULL,
    memory_bytes INTEGER NOT NULL,
    app_version  TEXT NOT NULL,
    locale       TEXT NOT NULL,
    timezone     TEXT NOT NULL,
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE backend_connections (
    id                    INTEGER PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE,
    url                   TEXT NOT NULL,
    kind                  TEXT NOT NULL CHECK (kind IN ('http', 'station')),
    metadata              TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    probe_interval_ms     INTEGER NOT NULL,
    probe_timeout_ms      INTEGER NOT NULL,
    confirm_count         INTEGER NOT NULL,
    degraded_latency_ms   INTEGER NOT NULL,
    expect_status         INTEGER NOT NULL DEFAULT 200,
    expect_keyword        TEXT,
    expect_json_field     TEXT,
    status                TEXT NOT NULL DEFAULT 'unknown',
    status_since          INTEGER NOT NULL,
    last_contact_at       INTEGER,
    last_accessed_at      INTEGER,
    key_validated         INTEGER,
    key_last_validated_at INTEGER,
    key_validation_error  TEXT,
    usage_count           INTEGER NOT NULL DEFAULT 0,
    last_used_at          INTEGER,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX backend_connections_status ON backend_connections (status);
CREATE INDEX backend_connections_updated ON backend_connections (updated_at);

CREATE TABLE connection_status_history (
    id               INTEGER PRIMARY KEY,
    connection_id    INTEGER NOT NULL REFERENCES backend_connections(id) ON DELETE CASCADE,
    at               INTEGER NOT NULL,
    from_status      TEXT NOT NULL,
    to_status        TEXT NOT NULL,
    error_category   TEXT,
    error_detail     TEXT,
    observer_offline INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX connection_status_history_conn_at ON connection_status_history (connection_id, at);
CREATE INDEX connection_status_history_to_status ON connection_status_history (to_status);

-- One row per request, never aggregated. Kept narrow: this is the table that grows.
CREATE TABLE request_metrics (
    id             INTEGER PRIMARY KEY,
    connection_id  INTEGER NOT NULL REFERENCES backend_connections(id) ON DELETE CASCADE,
    at             INTEGER NOT NULL,
    latency_us     INTEGER NOT NULL,
    http_status    INTEGER,
    request_bytes  INTEGER NOT NULL,
    response_bytes INTEGER NOT NULL,
    outcome        TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX request_metrics_conn_at ON request_metrics (connection_id, at);
CREATE INDEX request_metrics_at ON request_metrics (at);

-- Widget configurations belong to a connection, not to a user.
CREATE TABLE widget_configs (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES backend_connections(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    url           TEXT,
    active        INTEGER NOT NULL DEFAULT 1,
    config        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
    version       INTEGER NOT NULL DEFAULT 1,
    created_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (connection_id, name)
);
CREATE INDEX widget_configs_active ON widget_configs (active);

-- Widget access is logged apart from connection access (which lives on backend_connections).
CREATE TABLE widget_access_log (
    id         INTEGER PRIMARY KEY,
    widget_id  INTEGER NOT NULL REFERENCES widget_configs(id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    device_id  INTEGER REFERENCES devices(id) ON DELETE SET NULL,
    at         INTEGER NOT NULL,
    action     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX widget_access_log_at ON widget_access_log (at);

-- The one comprehensive activity log: append-only and hash-chained.
-- pushed_at is set by central sync; retention deletes only pushed rows.
CREATE TABLE activity_log (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    device_id  INTEGER REFERENCES devices(id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    resource   TEXT NOT NULL,
    metadata   TEXT NOT NULL CHECK (json_valid(metadata)),
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    pushed_at  INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX activity_log_at ON activity_log (at);
CREATE INDEX activity_log_pushed ON activity_log (pushed_at);

-- Where verification starts (after retention pruned older rows) and where the head is, so a
-- row deleted from the end is detected too.
CREATE TABLE activity_log_chain (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    anchor_seq  INTEGER NOT NULL,
    anchor_hash TEXT NOT NULL,
    head_seq    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE retention_policies (
    data_kind  TEXT PRIMARY KEY CHECK (data_kind IN ('request_metrics', 'status_history', 'activity_log')),
    max_age_ms INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
