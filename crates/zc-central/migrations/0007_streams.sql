-- What the consoles push besides the activity log, in full: raw metrics and status history
-- keep every field the console recorded, and an operator's alarm actions are filed in the
-- site's alarm journal as their activity entries arrive (they travel in the same outbox).

-- A field named like a secret is no secret when the console already redacted it (its value is
-- the marker "<redacted>") or when it only says whether there is one (a boolean, like
-- `has_key`): the console's own rule (zc_domain::activity::redact). Counting those refused
-- every activity entry about a key, and a refused entry holds the console's whole log.
CREATE OR REPLACE FUNCTION central.secret_fields(doc jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
    WITH RECURSIVE walk(path, value) AS (
        SELECT '', doc
        UNION ALL
        SELECT w.path || '/' || e.key, e.value
        FROM walk w, LATERAL (
            SELECT o.key, o.value
            FROM jsonb_each(CASE WHEN jsonb_typeof(w.value) = 'object' THEN w.value ELSE '{}' END) o
            UNION ALL
            SELECT (a.i - 1)::text, a.value
            FROM jsonb_array_elements(CASE WHEN jsonb_typeof(w.value) = 'array' THEN w.value ELSE '[]' END)
                 WITH ORDINALITY a(value, i)
        ) e
    )
    SELECT coalesce(array_agg(path ORDER BY path), '{}') FROM walk
    WHERE path <> '' AND jsonb_typeof(value) <> 'boolean' AND value <> '"<redacted>"'::jsonb
      AND EXISTS (
        SELECT 1 FROM regexp_split_to_table(
            lower(regexp_replace(regexp_replace(path, '^.*/', ''), '([a-z0-9])([A-Z])', '\1_\2', 'g')),
            '[_. -]+') AS word
        WHERE word IN ('key', 'apikey', 'secret', 'token', 'password', 'passwd', 'pwd',
                       'authorization', 'credential', 'credentials', 'bearer'))
$$;

ALTER TABLE central.status_history
    ADD COLUMN error_category text,
    ADD COLUMN observer_offline boolean NOT NULL DEFAULT false;
ALTER TABLE central.request_metrics
    ADD COLUMN request_bytes bigint,
    ADD COLUMN response_bytes bigint,
    ADD COLUMN outcome text;
ALTER TABLE central.point_history
    ADD COLUMN source_at timestamptz;

-- The journal entry is the activity entry seen from the alarm's side: same id, same time,
-- same person and console. The connection is named by its global id in the entry's metadata,
-- and kept only when it is a connection of the console's own site.
CREATE FUNCTION central.file_alarm_journal() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
    INSERT INTO central.alarm_journal (id, organisation_id, site_id, console_id, connection_id, alarm,
                                       action, actor, at, reason, detail)
    SELECT n.id, n.organisation_id, n.site_id, n.console_id,
           (SELECT c.id FROM central.connections c
             WHERE m.gid ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
               AND c.id = m.gid::uuid AND c.site_id = n.site_id),
           n.resource, n.action, n.actor, to_timestamp(n.at_ms / 1000.0),
           coalesce(m.j->>'reason', m.j->>'comment', ''), m.j
    FROM new_entries n
    CROSS JOIN LATERAL (SELECT n.metadata::jsonb AS j, n.metadata::jsonb->>'connection_gid' AS gid) m
    WHERE n.action IN ('alarm.ack', 'alarm.shelve', 'alarm.unshelve', 'maintenance.open', 'maintenance.end')
    ON CONFLICT (id) DO NOTHING;
    RETURN NULL;
END
$$;
ALTER FUNCTION central.file_alarm_journal() OWNER TO zc_definer;
REVOKE ALL ON FUNCTION central.file_alarm_journal() FROM PUBLIC;
CREATE TRIGGER files_alarm_journal AFTER INSERT ON central.activity_log
    REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION central.file_alarm_journal();

-- What the journal's filing may see and write: the calling console's own entries, and the
-- connections of its organisation (to check the site).
CREATE POLICY files_own ON central.alarm_journal FOR INSERT TO zc_definer
    WITH CHECK (console_id = (SELECT central.console_id()));
CREATE POLICY reads_own ON central.alarm_journal FOR SELECT TO zc_definer
    USING (console_id = (SELECT central.console_id()));
CREATE POLICY console_organisation ON central.connections FOR SELECT TO zc_definer
    USING (organisation_id = (SELECT central.console_organisation()));
GRANT SELECT, INSERT ON central.alarm_journal TO zc_definer;
GRANT SELECT (id, organisation_id, site_id) ON central.connections TO zc_definer;
