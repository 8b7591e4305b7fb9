-- The secret check on the entry's text as it arrived, before it is parsed: casting every
-- entry's metadata to jsonb and back to text, to ask whether a secret word occurs at all, cost
-- about 6 µs an entry (a twentieth of a drain); the question on the text costs about 2 µs.
-- The text holds every letter the document does unless one is written as a \u escape, which
-- the question also catches, so nothing the walk would find is skipped.
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
                   -- Most entries name no secret word at all; only those that do (or that
                   -- spell a letter as a \u escape, which the text would hide) are walked.
                   WHEN b.metadata OPERATOR(pg_catalog.~*) '(key|secret|token|passw|pwd|authori|credential|bearer|\\u)'
                        AND central.secret_fields(b.metadata::jsonb) <> '{}' THEN 'secret'
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
