-- People across consoles: the centre is the authority for who may sign in and with which role.
--
-- * A password is checked by the centre (central.sign_in) and set there (central.set_password);
--   its hash (bcrypt, through pgcrypto, as Supabase Auth keeps its own) sits in
--   central.user_credentials, which no console and no person can read: only the two functions,
--   as zc_definer, touch it. A password is pre-hashed with SHA-256 so bcrypt's 72-byte limit
--   never truncates a long one.
-- * A person's record has one version (central.users.version) that a change of the profile or
--   the notification choices moves too, so a console asks "what moved" of one column.

-- pgcrypto: where Supabase keeps it (schema extensions), or wherever it already is.
DO $$
DECLARE
    schema_name text;
BEGIN
    SELECT n.nspname INTO schema_name FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pgcrypto';
    IF schema_name IS NULL THEN
        CREATE SCHEMA IF NOT EXISTS extensions;
        CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
        schema_name := 'extensions';
    END IF;
    IF has_schema_privilege(schema_name, 'USAGE WITH GRANT OPTION') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO zc_definer', schema_name);
    END IF;

    CREATE TABLE central.user_credentials (
        user_id         uuid PRIMARY KEY,
        organisation_id uuid NOT NULL,
        password_hash   text NOT NULL CHECK (password_hash LIKE '$2%'),
        -- When the console that set it set it: the newer of two offline changes wins.
        set_at          timestamptz NOT NULL,
        set_by          text NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (user_id, organisation_id) REFERENCES central.users (id, organisation_id)
    );
    ALTER TABLE central.user_credentials ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
    REVOKE ALL ON central.user_credentials FROM PUBLIC;
    -- Only the functions below (as zc_definer), and only the calling console's organisation.
    CREATE POLICY console_org ON central.user_credentials FOR ALL TO zc_definer
        USING (organisation_id = (SELECT central.console_organisation()))
        WITH CHECK (organisation_id = (SELECT central.console_organisation()));
    GRANT SELECT, INSERT, UPDATE ON central.user_credentials TO zc_definer;
    GRANT ALL ON central.user_credentials TO service_role;

    -- The functions read a person by name within the console's organisation.
    CREATE POLICY console_org ON central.users FOR SELECT TO zc_definer
        USING (organisation_id = (SELECT central.console_organisation()));
    GRANT SELECT (username, version) ON central.users TO zc_definer;

    -- outcome: ok | wrong | disabled | unknown (no such person at the centre) | no_password (the
    -- centre has none yet) | stale (the console's password is newer than the centre's, and this
    -- one is not the centre's: the console checks it against its own and, if right, sets it).
    -- The password is checked before "disabled" is told, as on the console.
    EXECUTE format($f$
        CREATE FUNCTION central.sign_in(p_username text, p_password text, p_local_set_at timestamptz)
        RETURNS TABLE (outcome text, user_id uuid, version bigint)
        LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $body$
        DECLARE
            u record;
            c record;
        BEGIN
            SELECT x.id, x.disabled_at, x.version INTO u FROM central.users x
            WHERE x.organisation_id = (SELECT central.console_organisation()) AND x.username = p_username;
            IF NOT FOUND THEN
                RETURN QUERY SELECT 'unknown'::text, NULL::uuid, NULL::bigint;
                RETURN;
            END IF;
            SELECT k.password_hash, k.set_at INTO c FROM central.user_credentials k WHERE k.user_id = u.id;
            IF NOT FOUND THEN
                RETURN QUERY SELECT 'no_password'::text, u.id, u.version;
            ELSIF c.password_hash = %1$I.crypt(encode(sha256(convert_to(p_password, 'UTF8')), 'base64'), c.password_hash) THEN
                RETURN QUERY SELECT CASE WHEN u.disabled_at IS NULL THEN 'ok' ELSE 'disabled' END, u.id, u.version;
            ELSIF p_local_set_at IS NOT NULL AND p_local_set_at > c.set_at THEN
                RETURN QUERY SELECT 'stale'::text, u.id, u.version;
            ELSE
                RETURN QUERY SELECT 'wrong'::text, u.id, u.version;
            END IF;
        END
        $body$
    $f$, schema_name);

    -- Stores a password set at p_set_at on a console, unless the centre has a newer one; answers
    -- whether it was stored.
    EXECUTE format($f$
        CREATE FUNCTION central.set_password(p_user uuid, p_password text, p_set_at timestamptz)
        RETURNS boolean
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $body$
        DECLARE
            org uuid := (SELECT central.console_organisation());
            who text := session_user;
            stored int;
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM central.users x WHERE x.id = p_user AND x.organisation_id = org) THEN
                RAISE EXCEPTION 'no person %% in this console''s organisation', p_user USING ERRCODE = '23503';
            END IF;
            INSERT INTO central.user_credentials AS k (user_id, organisation_id, password_hash, set_at, set_by)
            VALUES (p_user, org, %1$I.crypt(encode(sha256(convert_to(p_password, 'UTF8')), 'base64'), %1$I.gen_salt('bf', 10)),
                    p_set_at, who)
            ON CONFLICT (user_id) DO UPDATE
                SET password_hash = EXCLUDED.password_hash, set_at = EXCLUDED.set_at, set_by = EXCLUDED.set_by,
                    updated_at = now()
                WHERE k.set_at <= EXCLUDED.set_at;
            GET DIAGNOSTICS stored = ROW_COUNT;
            RETURN stored > 0;
        END
        $body$
    $f$, schema_name);
END
$$;

ALTER FUNCTION central.sign_in(text, text, timestamptz) OWNER TO zc_definer;
ALTER FUNCTION central.set_password(uuid, text, timestamptz) OWNER TO zc_definer;
REVOKE ALL ON FUNCTION central.sign_in(text, text, timestamptz), central.set_password(uuid, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION central.sign_in(text, text, timestamptz), central.set_password(uuid, text, timestamptz)
    TO zc_console;

-- A change of a profile or of notification choices moves the person's version.
CREATE FUNCTION central.person_touched() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
    UPDATE central.users SET version = version + 1, updated_at = now() WHERE id = NEW.user_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER person_touched AFTER INSERT OR UPDATE ON central.user_profiles
    FOR EACH ROW EXECUTE FUNCTION central.person_touched();
CREATE TRIGGER person_touched AFTER INSERT OR UPDATE ON central.notification_preferences
    FOR EACH ROW EXECUTE FUNCTION central.person_touched();
