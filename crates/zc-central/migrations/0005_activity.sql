-- The activity log, append-only, and each console's chain head. Consoles have no privilege on
-- these tables: they push through central.push_activity(), which re-checks every entry's hash
-- and its link to the one before, ignores an entry it already has (same sequence number, same
-- hash), and rejects a broken chain or a rewritten one, recording the rejection.

-- A 64-bit length, little-endian, as the console's hash prefixes every field.
CREATE FUNCTION central.le64(n bigint) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = '' AS $$
    SELECT substr(b, 8, 1) || substr(b, 7, 1) || substr(b, 6, 1) || substr(b, 5, 1)
        || substr(b, 4, 1) || substr(b, 3, 1) || substr(b, 2, 1) || substr(b, 1, 1)
    FROM (SELECT pg_catalog.int8send(n) AS b) s
$$;

-- The same hash as zc_domain::activity::entry_hash: SHA-256 over each field's byte length and
-- bytes, hex.
CREATE FUNCTION central.entry_hash(prev_hash text, seq bigint, at_ms bigint, actor text,
                                   device_id bigint, action text, resource text, metadata text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(
        central.le64(octet_length(prev_hash)) || convert_to(prev_hash, 'UTF8')
        || central.le64(octet_length(seq::text)) || convert_to(seq::text, 'UTF8')
        || central.le64(octet_length(at_ms::text)) || convert_to(at_ms::text, 'UTF8')
        || central.le64(octet_length(actor)) || convert_to(actor, 'UTF8')
        || central.le64(octet_length(coalesce(device_id::text, ''))) || convert_to(coalesce(device_id::text, ''), 'UTF8')
        || central.le64(octet_length(action)) || convert_to(action, 'UTF8')
        || central.le64(octet_length(resource)) || convert_to(resource, 'UTF8')
        || central.le64(octet_length(metadata)) || convert_to(metadata, 'UTF8')), 'hex')
$$;

CREATE TABLE central.activity_log (
    id              uuid NOT NULL UNIQUE,
    organisation_id uuid NOT NULL,
    site_id         uuid NOT NULL,
    console_id      uuid NOT NULL,
    seq             bigint NOT NULL CHECK (seq >= 1),
    at_ms           bigint NOT NULL,
    actor           text NOT NULL,
    -- The console's own device number, as it entered the hash.
    device_id       bigint,
    action          text NOT NULL,
    resource        text NOT NULL,
    -- Kept as the exact text that was hashed (jsonb would reorder it).
    metadata        text NOT NULL,
    prev_hash       text NOT NULL,
    hash            text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (console_id, seq)
);
CREATE INDEX activity_log_organisation ON central.activity_log (organisation_id, at_ms);

CREATE TABLE central.console_chains (
    console_id      uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    head_seq        bigint NOT NULL,
    head_hash       text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE central.chain_rejections (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id uuid NOT NULL,
    console_id      uuid NOT NULL,
    -- rewritten: an entry the centre has, sent again with another hash (the console's chain was
    -- rewritten); broken: an entry that does not link to the one before or whose hash does not
    -- match its fields; gap: an entry after a missing one; secret: metadata that names a secret.
    kind            text NOT NULL CHECK (kind IN ('rewritten', 'broken', 'gap', 'secret')),
    seq             bigint NOT NULL,
    detail          text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE central.activity_log ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.console_chains ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.chain_rejections ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- push_activity() runs as zc_definer; these let it touch only the calling console's rows.
CREATE POLICY own_console ON central.activity_log FOR ALL TO zc_definer
    USING (console_id = (SELECT central.console_id()))
    WITH CHECK (console_id = (SELECT central.console_id()));
CREATE POLICY own_console ON central.console_chains FOR ALL TO zc_definer
    USING (console_id = (SELECT central.console_id()))
    WITH CHECK (console_id = (SELECT central.console_id()));
CREATE POLICY own_console ON central.chain_rejections FOR INSERT TO zc_definer
    WITH CHECK (console_id = (SELECT central.console_id()));
-- The audit trail is for engineers and admins of the organisation.
CREATE POLICY person_reads ON central.activity_log FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation())
           AND (SELECT central.person_role()) IN ('engineer', 'admin'));
CREATE POLICY person_reads ON central.chain_rejections FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation())
           AND (SELECT central.person_role()) IN ('engineer', 'admin'));
CREATE POLICY person_reads ON central.console_chains FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation())
           AND (SELECT central.person_role()) IN ('engineer', 'admin'));

GRANT SELECT, INSERT ON central.activity_log TO zc_definer;
GRANT SELECT, INSERT, UPDATE ON central.console_chains TO zc_definer;
GRANT INSERT ON central.chain_rejections TO zc_definer;
GRANT SELECT (organisation_id, site_id) ON central.consoles TO zc_definer;
GRANT SELECT ON central.activity_log, central.chain_rejections, central.console_chains TO authenticated;
GRANT ALL ON central.activity_log, central.console_chains, central.chain_rejections TO service_role;

-- What push_activity() answers: how many entries were new, how many it already had, the
-- console's head after the batch, and (when it refused the batch) why and at which entry.
CREATE TYPE central.push_result AS (
    accepted      int,
    duplicates    int,
    head_seq      bigint,
    head_hash     text,
    rejected      text,
    rejected_seq  bigint,
    detail        text
);

CREATE FUNCTION central.push_activity(
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

    -- Entries the centre already has must be exactly the ones it has.
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

-- The calling console's chain head (0 and the genesis hash before its first push).
CREATE FUNCTION central.chain_head(OUT head_seq bigint, OUT head_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT coalesce(max(h.head_seq), 0), coalesce(max(h.head_hash), repeat('0', 64))
    FROM central.console_chains h WHERE h.console_id = central.console_id()
$$;

-- An alarm's journal across the site's consoles: who acknowledged, shelved, unshelved or put a
-- station in maintenance, on which console, when (the console's own time of the action).
CREATE TABLE central.alarm_journal (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    site_id         uuid NOT NULL,
    console_id      uuid NOT NULL,
    connection_id   uuid,
    alarm           text NOT NULL,
    action          text NOT NULL,
    actor           text NOT NULL,
    at              timestamptz NOT NULL,
    reason          text NOT NULL DEFAULT '',
    detail          jsonb NOT NULL DEFAULT '{}',
    received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alarm_journal_site ON central.alarm_journal (site_id, at);
ALTER TABLE central.alarm_journal ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
-- Its own entries, of its own site, and of a connection of that site where it names one.
CREATE POLICY console_adds ON central.alarm_journal FOR INSERT TO zc_console
    WITH CHECK (console_id = (SELECT central.console_id())
                AND organisation_id = (SELECT central.console_organisation())
                AND site_id = (SELECT central.console_site())
                AND (connection_id IS NULL
                     OR EXISTS (SELECT 1 FROM central.connections c
                                WHERE c.id = alarm_journal.connection_id AND c.site_id = alarm_journal.site_id)));
CREATE POLICY console_reads ON central.alarm_journal FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY person_reads ON central.alarm_journal FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation()));
GRANT SELECT, INSERT ON central.alarm_journal TO zc_console;
GRANT SELECT ON central.alarm_journal TO authenticated;
GRANT ALL ON central.alarm_journal TO service_role;

ALTER FUNCTION central.push_activity(uuid[], bigint[], bigint[], text[], bigint[], text[], text[], text[], text[], text[]) OWNER TO zc_definer;
ALTER FUNCTION central.chain_head() OWNER TO zc_definer;
REVOKE ALL ON FUNCTION central.push_activity(uuid[], bigint[], bigint[], text[], bigint[], text[], text[], text[], text[], text[]),
    central.chain_head() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION central.push_activity(uuid[], bigint[], bigint[], text[], bigint[], text[], text[], text[], text[], text[]),
    central.chain_head() TO zc_console;
