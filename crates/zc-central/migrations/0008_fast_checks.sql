-- The chain check at the speed of the rows. As an SQL function with its own search_path (so
-- not inlined), entry_hash() cost about 0.3 ms a row, most of a push's time: a 100,000-entry
-- backlog took minutes to drain. The same hash in PL/pgSQL (whose plans are kept per session)
-- costs about 10 µs. Same bytes hashed: each field's UTF-8 length as 8 bytes little-endian,
-- then its bytes (lengths are below 2^31: a row is at most 1 GB).
CREATE OR REPLACE FUNCTION central.entry_hash(prev_hash text, seq bigint, at_ms bigint, actor text,
                                              device_id bigint, action text, resource text, metadata text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
DECLARE
    buf bytea := '';
    part bytea;
    n int;
BEGIN
    FOREACH part IN ARRAY ARRAY[pg_catalog.convert_to(prev_hash, 'UTF8'), pg_catalog.convert_to(seq::text, 'UTF8'),
            pg_catalog.convert_to(at_ms::text, 'UTF8'), pg_catalog.convert_to(actor, 'UTF8'),
            pg_catalog.convert_to(coalesce(device_id::text, ''), 'UTF8'), pg_catalog.convert_to(action, 'UTF8'),
            pg_catalog.convert_to(resource, 'UTF8'), pg_catalog.convert_to(metadata, 'UTF8')] LOOP
        n := pg_catalog.octet_length(part);
        buf := buf || pg_catalog.set_byte(pg_catalog.set_byte(pg_catalog.set_byte(pg_catalog.set_byte(
                   '\x0000000000000000'::bytea, 0, n & 255), 1, (n >> 8) & 255), 2, (n >> 16) & 255), 3, (n >> 24) & 255)
               || part;
    END LOOP;
    RETURN pg_catalog.encode(pg_catalog.sha256(buf), 'hex');
END
$$;

-- The secret check, first asking the document's text whether any of the words occurs at all
-- (most entries name none): the walk below cost about 80 µs a row, the question about 1 µs.
CREATE OR REPLACE FUNCTION central.secret_fields(doc jsonb) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $fn$
BEGIN
    IF doc::text OPERATOR(pg_catalog.!~*) '(key|secret|token|passw|pwd|authori|credential|bearer)' THEN
        RETURN '{}';
    END IF;
    RETURN (
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
    );
END
$fn$;

CREATE OR REPLACE FUNCTION central.push_activity(
    ids uuid[], seqs bigint[], ats bigint[], actors text[], devices bigint[], actions text[],
    resources text[], metadatas text[], prev_hashes text[], hashes text[])
RETURNS central.push_result
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    me   uuid := central.console_id();
    org  uuid;
    site uuid;
    n    int := coalesce(cardinality(seqs), 0);
    head_s bigint;
    head_h text;
    bad  record;
    dups int;
    added int;
    r    central.push_result;
BEGIN
    IF me IS NULL THEN
        RAISE EXCEPTION 'this login is not a console of any site (removed, or never provisioned)'
            USING ERRCODE = '42501', HINT = 'provision the console again (docs/central.md)';
    END IF;
    IF n <> coalesce(cardinality(ids), 0) OR n <> coalesce(cardinality(ats), 0)
       OR n <> coalesce(cardinality(actors), 0) OR n <> coalesce(cardinality(devices), 0)
       OR n <> coalesce(cardinality(actions), 0) OR n <> coalesce(cardinality(resources), 0)
       OR n <> coalesce(cardinality(metadatas), 0) OR n <> coalesce(cardinality(prev_hashes), 0)
       OR n <> coalesce(cardinality(hashes), 0) THEN
        RAISE EXCEPTION 'the batch''s columns differ in length' USING ERRCODE = '22023';
    END IF;
    SELECT c.organisation_id, c.site_id INTO STRICT org, site FROM central.consoles c WHERE c.id = me;
    INSERT INTO central.console_chains (console_id, organisation_id, head_seq, head_hash)
        VALUES (me, org, 0, repeat('0', 64)) ON CONFLICT (console_id) DO NOTHING;
    -- One push per console at a time: the head is read, checked against and moved under this lock.
    SELECT h.head_seq, h.head_hash INTO STRICT head_s, head_h
        FROM central.console_chains h WHERE h.console_id = me FOR UPDATE;

    -- Entries the centre already has must be exactly the ones it has. Looked up only when the
    -- batch reaches back before the head (a resend): the usual batch has none, and the lookup's
    -- plan (the batch's size unknown to the planner) read the console's whole log each time.
    IF (SELECT min(s) FROM unnest(seqs) AS s) <= head_s THEN
        SELECT b.seq INTO bad
            FROM unnest(seqs, hashes) AS b(seq, hash)
            JOIN central.activity_log a ON a.console_id = me AND a.seq = b.seq
            WHERE b.seq <= head_s AND a.hash <> b.hash
            ORDER BY b.seq LIMIT 1;
        IF FOUND THEN
            INSERT INTO central.chain_rejections (organisation_id, console_id, kind, seq, detail)
                VALUES (org, me, 'rewritten', bad.seq,
                        format('entry %s differs from the one received before: the console''s activity log was rewritten', bad.seq));
            r := (0, 0, head_s, head_h, 'rewritten', bad.seq,
                  format('entry %s differs from the one the centre has: this console''s activity log was rewritten', bad.seq));
            RETURN r;
        END IF;
    END IF;
    SELECT count(*) INTO dups FROM unnest(seqs) AS s WHERE s <= head_s;

    -- New entries: contiguous after the head, each linked to the one before, each hash right.
    SELECT c.seq, c.problem INTO bad FROM (
        SELECT b.seq, b.ord,
               CASE
                   WHEN b.seq <> head_s + row_number() OVER w THEN 'gap'
                   WHEN b.prev_hash <> coalesce(lag(b.hash) OVER w, head_h) THEN 'broken'
                   WHEN central.entry_hash(b.prev_hash, b.seq, b.at, b.actor, b.device, b.action,
                                           b.resource, b.metadata) <> b.hash THEN 'broken'
                   WHEN central.secret_fields(b.metadata::jsonb) <> '{}' THEN 'secret'
               END AS problem
        FROM unnest(seqs, ats, actors, devices, actions, resources, metadatas, prev_hashes, hashes)
             WITH ORDINALITY AS b(seq, at, actor, device, action, resource, metadata, prev_hash, hash, ord)
        WHERE b.seq > head_s
        WINDOW w AS (ORDER BY b.ord)
    ) c WHERE c.problem IS NOT NULL ORDER BY c.ord LIMIT 1;
    IF FOUND THEN
        INSERT INTO central.chain_rejections (organisation_id, console_id, kind, seq, detail)
            VALUES (org, me, bad.problem, bad.seq, CASE bad.problem
                WHEN 'gap' THEN format('entry %s arrived after entry %s, with entries missing between', bad.seq, head_s)
                WHEN 'broken' THEN format('entry %s does not match its fields or the entry before it', bad.seq)
                ELSE format('entry %s has metadata that names a secret', bad.seq) END);
        r := (0, dups, head_s, head_h, bad.problem, bad.seq, CASE bad.problem
                WHEN 'gap' THEN format('entry %s came before the entries after %s', bad.seq, head_s)
                WHEN 'broken' THEN format('entry %s does not match its fields or the entry before it: the chain is broken', bad.seq)
                ELSE format('entry %s has metadata that names a secret', bad.seq) END);
        RETURN r;
    END IF;

    INSERT INTO central.activity_log (id, organisation_id, site_id, console_id, seq, at_ms, actor,
                                      device_id, action, resource, metadata, prev_hash, hash)
        SELECT b.id, org, site, me, b.seq, b.at, b.actor, b.device, b.action, b.resource,
               b.metadata, b.prev_hash, b.hash
        FROM unnest(ids, seqs, ats, actors, devices, actions, resources, metadatas, prev_hashes, hashes)
             AS b(id, seq, at, actor, device, action, resource, metadata, prev_hash, hash)
        WHERE b.seq > head_s;
    GET DIAGNOSTICS added = ROW_COUNT;
    IF added > 0 THEN
        SELECT b.seq, b.hash INTO head_s, head_h
            FROM unnest(seqs, hashes) AS b(seq, hash) ORDER BY b.seq DESC LIMIT 1;
        UPDATE central.console_chains SET head_seq = head_s, head_hash = head_h, updated_at = now()
            WHERE console_id = me;
    END IF;
    r := (added, dups, head_s, head_h, NULL, NULL, NULL);
    RETURN r;
END
$$;

-- The alarm journal's filing runs with the rights of whoever inserts the activity entries:
-- push_activity() (zc_definer, whose policies admit only the calling console's rows), or the
-- schema's owner restoring or copying the log, which as a definer function it refused.
ALTER FUNCTION central.file_alarm_journal() SECURITY INVOKER;
ALTER FUNCTION central.file_alarm_journal() OWNER TO CURRENT_USER;
