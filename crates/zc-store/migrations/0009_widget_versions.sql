-- Every version of every widget, so an admin can see what changed, by whom, and restore an
-- older one (a restore is a new version). `base_version` is the version an edit started from:
-- central sync compares it with the centre's to merge or raise a conflict.
CREATE TABLE widget_versions (
    widget_id     INTEGER NOT NULL REFERENCES widget_configs(id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    base_version  INTEGER,
    change        TEXT NOT NULL CHECK (change IN ('create', 'edit', 'restore', 'duplicate', 'existing')),
    -- The version a restore brought back, or the widget a duplicate was copied from.
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

-- Widgets saved before versions were kept: their current state is their first known version.
INSERT INTO widget_versions
    (widget_id, version, base_version, change, source, name, kind, url, active, config, edited_by, edited_at, created_at, updated_at)
SELECT id, version, NULL, 'existing', NULL, name, kind, url, active, config, created_by, updated_at, updated_at, updated_at
FROM widget_configs;
