-- Failed sign-ins counted at the centre, across every console of the organisation. Before this,
-- each console kept its own waits and lock, so a guesser with N consoles had N x 10 tries.
--
-- * central.sign_in counts a wrong password per person (row-locked, so two consoles' attempts
--   at the same moment both count), makes the next attempt wait, and locks the person, with
--   the policy of a console (zc_domain::user::SignInPolicy::default(): 3 free failures, then a
--   wait of 2 s doubling up to 5 min, locked at 10). Never the organisation's last admin who
--   can still sign in: their waits keep growing instead, as on a console.
-- * While locked or waiting, the password is not checked at all ('locked', 'backoff'); nor when
--   the console holds a newer password than the centre's ('stale', which it checks itself).
-- * An admin's lock is decided under an advisory lock per organisation, so two admins guessed at
--   once do not both lock.
-- * A right password resets the count; a new password (a trigger under central.set_password)
--   and an admin's unlock (central.unlock_person, unless the centre locked them after it) reset
--   it and the lock.
-- * The waits run on the centre's clock: a console cannot move them.
-- * Limit, kept on purpose: the count is written in the caller's transaction. The console
--   commits every call, so people at consoles get 10 tries in all; but whoever holds a console's
--   database login (a machine secret in that console's keyring) and sends raw SQL can roll a
--   count back. Closing that needs the check outside any transaction the caller controls
--   (Supabase Auth, or dblink): docs/central.md. Every failure is also RAISE LOGged, which a
--   rollback does not undo, so such guessing shows in the server's log.

ALTER TABLE central.user_credentials
    ADD COLUMN failed_count    integer NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN locked_at       timestamptz;

-- The functions read who else could unlock (the organisation's admins).
GRANT SELECT (id, organisation_id, role, disabled_at) ON central.users TO zc_definer;

DO $$
DECLARE
    schema_name text;
BEGIN
    SELECT n.nspname INTO schema_name FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pgcrypto';

    -- The outcome gains 'locked' and 'backoff', and the answer gains wait_ms (how long the next
    -- attempt must wait; 0 when it need not). A console that predates this reads only outcome
    -- and user_id, and takes an unknown outcome as a wrong password.
    DROP FUNCTION central.sign_in(text, text, timestamptz);
    EXECUTE format($f$
        CREATE FUNCTION central.sign_in(p_username text, p_password text, p_local_set_at timestamptz)
        RETURNS TABLE (outcome text, user_id uuid, version bigint, wait_ms bigint)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $body$
        DECLARE
            org uuid := (SELECT central.console_organisation());
            u record;
            c record;
            failures integer;
            pause interval;
            last_admin boolean;
            locks boolean;
        BEGIN
            SELECT x.id, x.role, x.disabled_at, x.version INTO u FROM central.users x
            WHERE x.organisation_id = org AND x.username = p_username;
            IF NOT FOUND THEN
                RETURN QUERY SELECT 'unknown'::text, NULL::uuid, NULL::bigint, 0::bigint;
                RETURN;
            END IF;
            -- FOR UPDATE: attempts from two consoles at once are counted one after the other.
            SELECT k.password_hash, k.set_at, k.failed_count, k.next_attempt_at, k.locked_at INTO c
            FROM central.user_credentials k WHERE k.user_id = u.id FOR UPDATE;
            IF NOT FOUND THEN
                RETURN QUERY SELECT 'no_password'::text, u.id, u.version, 0::bigint;
                RETURN;
            END IF;
            IF c.locked_at IS NOT NULL THEN
                RETURN QUERY SELECT 'locked'::text, u.id, u.version, 0::bigint;
                RETURN;
            END IF;
            IF c.next_attempt_at IS NOT NULL AND c.next_attempt_at > clock_timestamp() THEN
                RETURN QUERY SELECT 'backoff'::text, u.id, u.version,
                    ceil(extract(epoch FROM c.next_attempt_at - clock_timestamp()) * 1000)::bigint;
                RETURN;
            END IF;
            -- Before the hash: the console holds a newer password (a reset of a leaked one, made
            -- while the centre was away), so the centre's older one must not let anyone in. The
            -- answer then says nothing of the password, so claiming a newer one gains a guesser
            -- nothing.
            IF p_local_set_at IS NOT NULL AND p_local_set_at > c.set_at THEN
                -- The console checks it against its own newer password, and counts it there.
                RAISE LOG 'zeroclient: central sign-in of person %% left to console login %% (its password is newer)', u.id, session_user;
                RETURN QUERY SELECT 'stale'::text, u.id, u.version, 0::bigint;
                RETURN;
            END IF;
            IF c.password_hash = %1$I.crypt(encode(sha256(convert_to(p_password, 'UTF8')), 'base64'), c.password_hash) THEN
                UPDATE central.user_credentials SET failed_count = 0, next_attempt_at = NULL WHERE user_credentials.user_id = u.id;
                RETURN QUERY SELECT CASE WHEN u.disabled_at IS NULL THEN 'ok' ELSE 'disabled' END, u.id, u.version, 0::bigint;
                RETURN;
            END IF;
            failures := c.failed_count + 1;
            pause := CASE WHEN failures < 3 THEN interval '0'
                         ELSE least(interval '2 seconds' * power(2, least(failures - 3, 30)), interval '5 minutes') END;
            IF failures >= 10 AND u.role = 'admin' THEN
                -- One organisation's lock decisions on admins one at a time: two admins guessed
                -- at once would each see the other still unlocked, and both would lock. Taken
                -- before the next statement, whose snapshot then sees the other's commit.
                PERFORM pg_advisory_xact_lock(hashtextextended('zeroclient.last_admin:' || org::text, 0));
            END IF;
            -- Someone else who can unlock: an enabled admin with a password who is not locked
            -- (as a console counts them).
            last_admin := u.role = 'admin' AND NOT EXISTS (
                SELECT 1 FROM central.users o JOIN central.user_credentials ok ON ok.user_id = o.id
                WHERE o.organisation_id = org AND o.id <> u.id AND o.role = 'admin' AND o.disabled_at IS NULL
                  AND ok.locked_at IS NULL);
            locks := failures >= 10 AND NOT last_admin;
            UPDATE central.user_credentials
            SET failed_count = failures,
                next_attempt_at = CASE WHEN pause > interval '0' THEN clock_timestamp() + pause END,
                locked_at = CASE WHEN locks THEN clock_timestamp() END
            WHERE user_credentials.user_id = u.id;
            -- The server's log keeps every failure even when the caller's transaction is rolled
            -- back (see the header): never the password, only who and from which console.
            RAISE LOG 'zeroclient: failed central sign-in %% of person %% from console login %%', failures, u.id, session_user;
            RETURN QUERY SELECT CASE WHEN locks THEN 'locked' ELSE 'wrong' END, u.id, u.version,
                (extract(epoch FROM pause) * 1000)::bigint;
        END
        $body$
    $f$, schema_name);
END
$$;

-- A new password (central.set_password) also ends the count and the lock, as an admin's reset
-- does on a console.
CREATE FUNCTION central.new_password_resets_failures() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
        NEW.failed_count := 0;
        NEW.next_attempt_at := NULL;
        NEW.locked_at := NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER new_password_resets_failures BEFORE UPDATE OF password_hash ON central.user_credentials
    FOR EACH ROW EXECUTE FUNCTION central.new_password_resets_failures();

-- An admin's unlock, made on a console at p_at: the count and the lock end, unless the centre
-- locked the person after it (guesses on other consoles after an unlock sent late). Five minutes
-- of slack for a console's clock. Answers whether a lock ended.
CREATE FUNCTION central.unlock_person(p_user uuid, p_at timestamptz) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
    org uuid := (SELECT central.console_organisation());
    n int;
    was_locked boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM central.users x WHERE x.id = p_user AND x.organisation_id = org) THEN
        RAISE EXCEPTION 'no person % in this console''s organisation', p_user USING ERRCODE = '23503';
    END IF;
    SELECT k.locked_at IS NOT NULL INTO was_locked FROM central.user_credentials k WHERE k.user_id = p_user FOR UPDATE;
    UPDATE central.user_credentials k SET failed_count = 0, next_attempt_at = NULL, locked_at = NULL
    WHERE k.user_id = p_user AND (k.locked_at IS NULL OR k.locked_at <= p_at + interval '5 minutes');
    GET DIAGNOSTICS n = ROW_COUNT;
    RAISE LOG 'zeroclient: unlock of person % made at % by console login %: %', p_user, p_at, session_user,
        CASE WHEN n = 0 THEN 'kept (locked after it, or no password)' ELSE 'done' END;
    RETURN n > 0 AND coalesce(was_locked, false);
END
$$;

ALTER FUNCTION central.sign_in(text, text, timestamptz) OWNER TO zc_definer;
ALTER FUNCTION central.unlock_person(uuid, timestamptz) OWNER TO zc_definer;
REVOKE ALL ON FUNCTION central.sign_in(text, text, timestamptz), central.unlock_person(uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION central.sign_in(text, text, timestamptz), central.unlock_person(uuid, timestamptz) TO zc_console;
