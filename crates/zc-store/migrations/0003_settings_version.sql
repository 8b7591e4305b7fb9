-- Bumped by every edit of a connection's settings or key (not by status changes), so the
-- monitor restarts a connection's schedule only when what it probes with has changed.
ALTER TABLE backend_connections ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 1;
