-- Widget sync with the central store (docs/central.md). A widget gets a global id (UUIDv7,
-- timed by its creation). `central_version` is the centre's version this copy started from
-- (the base of the next push); `synced_version` is the local version known to equal it. A
-- widget whose version is not `synced_version` has an edit the centre lacks.
ALTER TABLE widget_configs ADD COLUMN global_id TEXT;
UPDATE widget_configs SET global_id = lower(
    substr(printf('%012x', created_at), 1, 8) || '-' || substr(printf('%012x', created_at), 9, 4) || '-7'
    || substr(hex(randomblob(2)), 2, 3) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1)
    || substr(hex(randomblob(2)), 2, 3) || '-' || hex(randomblob(6)));
CREATE UNIQUE INDEX widget_configs_global_id ON widget_configs (global_id);
ALTER TABLE widget_configs ADD COLUMN central_version INTEGER;
ALTER TABLE widget_configs ADD COLUMN synced_version INTEGER;

-- Versions that came from the centre ('central': pulled, or merged there) and conflicts a
-- person resolved ('resolve') are versions like any other. SQLite cannot widen a CHECK in
-- place: the table is copied (nothing refers to it).
CREATE TABLE widget_versions_new (
    widget_id     INTEGER NOT NULL REFERENCES widget_configs(id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    base_version  INTEGER,
    change        TEXT NOT NULL CHECK (change IN ('create', 'edit', 'restore', 'duplicate', 'existing', 'central', 'resolve')),
    source        TEXT,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    url           TEXT,
    active        INTEGER NOT NULL,
    config        TEXT NOT NULL CHECK (json_valid(config)),
    edited_by     INTEGER REFERENCES users(id) ON DELETE SET NULL,
    edited_at     INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (widget_id, version)
);
INSERT INTO widget_versions_new SELECT widget_id, version, base_version, change, source, name, kind, url, active, config,
    edited_by, edited_at, created_at, updated_at FROM widget_versions;
DROP TABLE widget_versions;
ALTER TABLE widget_versions_new RENAME TO widget_versions;

-- What the centre did with an edit that a person must hear of: a conflict to resolve (the
-- same field changed here and there), or a merge (the centre's changes to other fields were
-- taken). Base, local and central are whole specs (JSON), so the screen shows them side by
-- side; `fields` lists the conflicting ones (or, for a merge, those taken from the centre).
CREATE TABLE widget_sync_notices (
    id              INTEGER PRIMARY KEY,
    widget_id       INTEGER NOT NULL REFERENCES widget_configs(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('conflict', 'merged')),
    local_version   INTEGER NOT NULL,
    base_version    INTEGER NOT NULL,
    central_version INTEGER NOT NULL,
    central_by      TEXT NOT NULL,
    base            TEXT NOT NULL CHECK (json_valid(base)),
    local           TEXT NOT NULL CHECK (json_valid(local)),
    central         TEXT NOT NULL CHECK (json_valid(central)),
    fields          TEXT NOT NULL CHECK (json_valid(fields)),
    detected_at     INTEGER NOT NULL,
    closed_at       INTEGER,
    -- resolved: a person chose; superseded: edited again since (the next push decides anew);
    -- seen: a merge acknowledged.
    closed_how      TEXT CHECK (closed_how IS NULL OR closed_how IN ('resolved', 'superseded', 'seen')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX widget_sync_notices_open ON widget_sync_notices (widget_id, closed_at);

-- A removed widget the centre has leaves a row for the centre to hear of (in the removal's own
-- transaction, whatever removed it; a removal the centre sent is marked before it deletes).
CREATE TRIGGER widget_configs_removed AFTER DELETE ON widget_configs
WHEN OLD.global_id IS NOT NULL AND OLD.central_version IS NOT NULL
BEGIN
    INSERT INTO sync_removals (stream, global_id, removed_at, created_at, updated_at)
    VALUES ('widgets', OLD.global_id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
            CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
