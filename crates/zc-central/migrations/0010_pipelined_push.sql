-- A second batch in flight. The console may send the batch after the one the centre is storing
-- before that one has committed, naming the entry it follows (`after_seq`). Such a batch is
-- checked and inserted without the console's chain lock, while its predecessor is being stored
-- on another connection, and takes the lock only to move the head: it waits there for the
-- predecessor to commit. It is kept only if it then extends the head exactly; otherwise (its
-- predecessor was refused or not yet arrived, another pusher moved the head, or anything in it
-- is wrong) everything it inserted is undone, nothing is recorded as a refusal, and it comes
-- back as 'not_yet': the console sends it again on its own, through the strict path above,
-- which checks it against the head and records any refusal. So nothing new is accepted here
-- that the strict path would refuse.
CREATE FUNCTION central.push_activity(
    ids uuid[], seqs bigint[], ats bigint[], actors text[], devices bigint[], actions text[],
    resources text[], metadatas text[], prev_hashes text[], hashes text[], after_seq bigint)
RETURNS central.push_result
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    me   uuid := central.console_id();
    org  uuid;
    site uuid;
    n    int := coalesce(cardinality(seqs), 0);
    head_s bigint;
    head_h text;
    added int;
    flawed boolean;
    r    central.push_result;
BEGIN
    IF after_seq IS NULL THEN
        RETURN central.push_activity(ids, seqs, ats, actors, devices, actions, resources, metadatas,
                                     prev_hashes, hashes);
    END IF;
    IF me IS NULL THEN
        RAISE EXCEPTION 'this login is not a console of any site (removed, or never provisioned)'
            USING ERRCODE = '42501', HINT = 'provision the console again (docs/central.md)';
    END IF;
    IF n = 0 OR n <> coalesce(cardinality(ids), 0) OR n <> coalesce(cardinality(ats), 0)
       OR n <> coalesce(cardinality(actors), 0) OR n <> coalesce(cardinality(devices), 0)
       OR n <> coalesce(cardinality(actions), 0) OR n <> coalesce(cardinality(resources), 0)
       OR n <> coalesce(cardinality(metadatas), 0) OR n <> coalesce(cardinality(prev_hashes), 0)
       OR n <> coalesce(cardinality(hashes), 0) THEN
        RAISE EXCEPTION 'the batch''s columns differ in length' USING ERRCODE = '22023';
    END IF;
    SELECT c.organisation_id, c.site_id INTO STRICT org, site FROM central.consoles c WHERE c.id = me;

    -- The batch on its own: contiguous after after_seq, linked within, hashes right, no secret.
    SELECT EXISTS (
        SELECT 1
        FROM (SELECT b.seq, b.prev_hash, b.hash, b.ord, lag(b.hash) OVER (ORDER BY b.ord) AS before,
                     b.at, b.actor, b.device, b.action, b.resource, b.metadata
              FROM unnest(seqs, ats, actors, devices, actions, resources, metadatas, prev_hashes, hashes)
                   WITH ORDINALITY AS b(seq, at, actor, device, action, resource, metadata, prev_hash, hash, ord)) b
        WHERE b.seq <> after_seq + b.ord
           OR (b.ord > 1 AND b.prev_hash <> b.before)
           OR central.entry_hash(b.prev_hash, b.seq, b.at, b.actor, b.device, b.action,
                                 b.resource, b.metadata) <> b.hash
           OR (b.metadata OPERATOR(pg_catalog.~*) '(key|secret|token|passw|pwd|authori|credential|bearer|\\u)'
               AND central.secret_fields(b.metadata::jsonb) <> '{}')
    ) INTO flawed;
    IF flawed THEN
        r := (0, 0, after_seq, '', 'not_yet', seqs[1], 'sent again on its own, to be checked against the head');
        RETURN r;
    END IF;

    BEGIN
        INSERT INTO central.activity_log (id, organisation_id, site_id, console_id, seq, at_ms, actor,
                                          device_id, action, resource, metadata, prev_hash, hash)
            SELECT b.id, org, site, me, b.seq, b.at, b.actor, b.device, b.action, b.resource,
                   b.metadata, b.prev_hash, b.hash
            FROM unnest(ids, seqs, ats, actors, devices, actions, resources, metadatas, prev_hashes, hashes)
                 AS b(id, seq, at, actor, device, action, resource, metadata, prev_hash, hash)
            ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS added = ROW_COUNT;
        -- Waits here for the predecessor's transaction, which holds this lock until it commits.
        SELECT h.head_seq, h.head_hash INTO head_s, head_h
            FROM central.console_chains h WHERE h.console_id = me FOR UPDATE;
        IF NOT FOUND OR added <> n OR head_s <> after_seq OR head_h <> prev_hashes[1] THEN
            RAISE EXCEPTION USING ERRCODE = 'ZC0NY';
        END IF;
        UPDATE central.console_chains SET head_seq = seqs[n], head_hash = hashes[n], updated_at = now()
            WHERE console_id = me;
    EXCEPTION WHEN SQLSTATE 'ZC0NY' THEN
        r := (0, 0, coalesce(head_s, 0), coalesce(head_h, ''), 'not_yet', seqs[1],
              format('entry %s did not follow the centre''s head when it arrived (it was sent to follow entry %s); send it on its own', seqs[1], after_seq));
        RETURN r;
    END;
    r := (added, 0, seqs[n], hashes[n], NULL, NULL, NULL);
    RETURN r;
END
$$;
ALTER FUNCTION central.push_activity(uuid[], bigint[], bigint[], text[], bigint[], text[], text[], text[], text[], text[], bigint) OWNER TO zc_definer;
REVOKE ALL ON FUNCTION central.push_activity(uuid[], bigint[], bigint[], text[], bigint[], text[], text[], text[], text[], text[], bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION central.push_activity(uuid[], bigint[], bigint[], text[], bigint[], text[], text[], text[], text[], text[], bigint) TO zc_console;
