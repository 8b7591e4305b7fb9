-- Maintenance: the second line of defence against secrets, retention, sizes and health.

-- The paths of every field whose name names a secret, at any depth (the same words as the
-- console's zc_domain::activity::is_secret_key: a name is split on _ - . space and camelCase).
CREATE FUNCTION central.secret_fields(doc jsonb) RETURNS text[]
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
    WHERE path <> '' AND EXISTS (
        SELECT 1 FROM regexp_split_to_table(
            lower(regexp_replace(regexp_replace(path, '^.*/', ''), '([a-z0-9])([A-Z])', '\1_\2', 'g')),
            '[_. -]+') AS word
        WHERE word IN ('key', 'apikey', 'secret', 'token', 'password', 'passwd', 'pwd',
                       'authorization', 'credential', 'credentials', 'bearer'))
$$;

-- Configuration that names a secret is refused (a key belongs in the keyring, or sealed).
CREATE FUNCTION central.refuse_secrets() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    doc jsonb := to_jsonb(NEW) -> TG_ARGV[0];
    found text[] := central.secret_fields(doc);
BEGIN
    IF found <> '{}' THEN
        RAISE EXCEPTION '%.% names a secret at %: keys are never stored centrally',
            TG_TABLE_NAME, TG_ARGV[0], array_to_string(found, ', ')
            USING ERRCODE = '22023', HINT = 'remove the field; a connection''s key travels sealed (zc key share)';
    END IF;
    RETURN NEW;
END
$$;

-- Descriptive metadata keeps its shape with the secret's value replaced.
CREATE FUNCTION central.redact_secrets() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    col text := TG_ARGV[0];
    doc jsonb := to_jsonb(NEW) -> col;
    p text;
BEGIN
    FOREACH p IN ARRAY central.secret_fields(doc) LOOP
        doc := jsonb_set(doc, string_to_array(substr(p, 2), '/'), '"[redacted]"');
    END LOOP;
    NEW := jsonb_populate_record(NEW, jsonb_build_object(col, doc));
    RETURN NEW;
END
$$;

CREATE TRIGGER refuse_secrets BEFORE INSERT OR UPDATE ON central.connections
    FOR EACH ROW EXECUTE FUNCTION central.refuse_secrets('settings');
CREATE TRIGGER refuse_secrets BEFORE INSERT OR UPDATE ON central.widgets
    FOR EACH ROW EXECUTE FUNCTION central.refuse_secrets('config');
CREATE TRIGGER refuse_secrets BEFORE INSERT ON central.widget_versions
    FOR EACH ROW EXECUTE FUNCTION central.refuse_secrets('config');
CREATE TRIGGER redact_secrets BEFORE INSERT OR UPDATE ON central.consoles
    FOR EACH ROW EXECUTE FUNCTION central.redact_secrets('metadata');
CREATE TRIGGER redact_secrets BEFORE INSERT ON central.alarm_journal
    FOR EACH ROW EXECUTE FUNCTION central.redact_secrets('detail');

-- How long the centre keeps each kind of data. central.cleanup() applies it: whole months of
-- history go by dropping their partition; the activity log is deleted row by row (the chain
-- heads stay, so an old entry sent again is still recognised).
CREATE TABLE central.retention_policies (
    kind       text PRIMARY KEY CHECK (kind IN ('status_history', 'request_metrics', 'point_history', 'activity_log', 'alarm_journal')),
    max_age    interval NOT NULL CHECK (max_age >= interval '1 day'),
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO central.retention_policies (kind, max_age) VALUES
    ('request_metrics', interval '400 days'),
    ('point_history', interval '400 days'),
    ('status_history', interval '5 years'),
    ('activity_log', interval '7 years'),
    ('alarm_journal', interval '7 years');
ALTER TABLE central.retention_policies ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
GRANT ALL ON central.retention_policies TO service_role;

-- Applies the retention policies as of `now`; answers what went.
CREATE FUNCTION central.cleanup(now timestamptz DEFAULT now())
RETURNS TABLE (kind text, removed bigint)
LANGUAGE plpgsql SET search_path = '' AS $$
DECLARE
    pol record;
    part record;
    n bigint;
BEGIN
    FOR pol IN SELECT p.kind, p.max_age FROM central.retention_policies p ORDER BY p.kind LOOP
        kind := pol.kind;
        removed := 0;
        IF pol.kind IN ('status_history', 'request_metrics', 'point_history') THEN
            FOR part IN
                SELECT c.relname,
                       (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz AS upper
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = format('central.%I', pol.kind)::regclass
                  AND c.relname <> pol.kind || '_default'
            LOOP
                IF part.upper <= now - pol.max_age THEN
                    EXECUTE format('SELECT count(*) FROM central.%I', part.relname) INTO n;
                    EXECUTE format('DROP TABLE central.%I', part.relname);
                    removed := removed + n;
                END IF;
            END LOOP;
            EXECUTE format('DELETE FROM central.%I WHERE at < $1', pol.kind || '_default') USING now - pol.max_age;
            GET DIAGNOSTICS n = ROW_COUNT;
            removed := removed + n;
        ELSIF pol.kind = 'activity_log' THEN
            DELETE FROM central.activity_log a WHERE a.at_ms < extract(epoch FROM now - pol.max_age) * 1000;
            GET DIAGNOSTICS n = ROW_COUNT;
            removed := n;
        ELSE
            DELETE FROM central.alarm_journal j WHERE j.at < now - pol.max_age;
            GET DIAGNOSTICS n = ROW_COUNT;
            removed := n;
        END IF;
        RETURN NEXT;
    END LOOP;
    PERFORM central.make_partitions(now, 1, 3);
END
$$;

-- Each table's size, partitions summed into their parent.
CREATE VIEW central.table_sizes WITH (security_invoker = true) AS
    SELECT coalesce(parent.relname, c.relname)::text AS table_name,
           sum(pg_total_relation_size(c.oid))::bigint AS total_bytes,
           sum(c.reltuples)::bigint AS approximate_rows
    FROM pg_class c
    JOIN pg_namespace ns ON ns.oid = c.relnamespace AND ns.nspname = 'central'
    LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
    LEFT JOIN pg_class parent ON parent.oid = i.inhparent
    WHERE c.relkind = 'r'
    GROUP BY 1;
GRANT SELECT ON central.table_sizes TO service_role;

-- What needs a person's attention: rows that fell outside the made months, months not made yet,
-- refused pushes, consoles that have not pushed for a day.
CREATE FUNCTION central.health(now timestamptz DEFAULT now())
RETURNS TABLE (name text, ok boolean, detail text)
LANGUAGE plpgsql STABLE SET search_path = '' AS $$
DECLARE
    t text;
    n bigint;
BEGIN
    FOREACH t IN ARRAY ARRAY['status_history', 'request_metrics', 'point_history'] LOOP
        EXECUTE format('SELECT count(*) FROM central.%I WHERE tableoid = %L::regclass', t, 'central.' || t || '_default') INTO n;
        name := t || '.outside_partitions';
        ok := n = 0;
        detail := CASE WHEN n = 0 THEN 'every row is in its month''s partition'
                  ELSE format('%s rows are in the default partition; run central.make_partitions for their months', n) END;
        RETURN NEXT;
        name := t || '.next_month';
        ok := to_regclass(format('central.%I', t || '_' || to_char(now + interval '1 month', 'YYYY_MM'))) IS NOT NULL;
        detail := CASE WHEN ok THEN 'next month''s partition exists' ELSE 'next month''s partition is missing; run central.cleanup()' END;
        RETURN NEXT;
    END LOOP;
    SELECT count(*) INTO n FROM central.chain_rejections r WHERE r.at > now - interval '1 day';
    name := 'activity_log.rejections';
    ok := n = 0;
    detail := format('%s pushes refused in the last day (central.chain_rejections)', n);
    RETURN NEXT;
    SELECT count(*) INTO n FROM central.consoles c
        LEFT JOIN central.console_chains h ON h.console_id = c.id
        WHERE c.removed_at IS NULL AND (h.updated_at IS NULL OR h.updated_at < now - interval '1 day');
    name := 'consoles.silent';
    ok := n = 0;
    detail := format('%s consoles have not pushed for a day', n);
    RETURN NEXT;
END
$$;

-- cleanup() drops partitions, which only their owner may: it runs as the schema's owner (the
-- migrating role; on Supabase from pg_cron). health() only reads.
REVOKE ALL ON FUNCTION central.cleanup(timestamptz), central.health(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION central.health(timestamptz) TO service_role;
