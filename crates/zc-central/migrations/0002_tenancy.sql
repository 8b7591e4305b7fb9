-- Organisations, their sites, their consoles and their people.
--
-- Two kinds of sessions read and write here, and neither can pass for another:
-- * a console connects with its own login, a member of zc_console; what it may see and write is
--   keyed on session_user (central.console_*()), which neither SET ROLE, nor a session variable,
--   nor a claim changes;
-- * a person reaches the store through a gateway that verified their JWT (Supabase's PostgREST,
--   as `authenticated`); what they see is keyed on auth.uid() (central.person_*()). Consoles are
--   not members of `authenticated`, so a claim a console sets reaches no policy.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zc_console') THEN
        CREATE ROLE zc_console NOLOGIN;
    END IF;
    -- Owns the security-definer functions; its own policies let it see only what belongs to
    -- the calling session (its console's row, its person's row), nothing else.
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'zc_definer') THEN
        CREATE ROLE zc_definer NOLOGIN;
    END IF;
    -- Handing functions to zc_definer needs membership when the migrating role is not a
    -- superuser (Supabase's postgres is not).
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT zc_definer TO %I', current_user);
    END IF;
END
$$;

CREATE SCHEMA central;
REVOKE ALL ON SCHEMA central FROM PUBLIC;
GRANT USAGE ON SCHEMA central TO zc_console, zc_definer, authenticated, service_role;

CREATE TABLE central.organisations (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (name <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE central.sites (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES central.organisations (id),
    name            text NOT NULL CHECK (name <> ''),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, organisation_id)
);

CREATE TABLE central.consoles (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    site_id         uuid NOT NULL,
    -- The PostgreSQL login this console connects with.
    login           name NOT NULL UNIQUE,
    name            text NOT NULL CHECK (name <> ''),
    -- Where API keys are sealed to (an X25519 public key, hex); the private half never leaves
    -- the console's OS keyring. NULL until the console has made its key pair.
    public_key      text CHECK (public_key ~ '^[0-9a-f]{64}$'),
    -- What the console reported about itself (host, OS, version); never a secret (see 0006).
    metadata        jsonb NOT NULL DEFAULT '{}',
    removed_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (site_id, organisation_id) REFERENCES central.sites (id, organisation_id),
    UNIQUE (id, organisation_id)
);
CREATE INDEX consoles_site ON central.consoles (site_id);

-- People. Identity and role only: the profile and the notification choices are kept apart, as
-- on the console. A password is never stored here in any form a console can read.
CREATE TABLE central.users (
    id              uuid PRIMARY KEY,
    organisation_id uuid NOT NULL REFERENCES central.organisations (id),
    username        text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    role            text NOT NULL CHECK (role IN ('operator', 'engineer', 'admin')),
    disabled_at     timestamptz,
    -- The person's Supabase Auth id (auth.users.id), for reading through the gateway.
    auth_user_id    uuid UNIQUE,
    version         bigint NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organisation_id, username),
    UNIQUE (id, organisation_id)
);

CREATE TABLE central.user_profiles (
    user_id         uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    display_name    text NOT NULL DEFAULT '',
    company         text NOT NULL DEFAULT '',
    email           text NOT NULL DEFAULT '',
    phone           text NOT NULL DEFAULT '',
    time_zone       text,
    language        text,
    version         bigint NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (user_id, organisation_id) REFERENCES central.users (id, organisation_id)
);

CREATE TABLE central.notification_preferences (
    user_id         uuid PRIMARY KEY,
    organisation_id uuid NOT NULL,
    desktop         boolean NOT NULL DEFAULT true,
    min_priority    text NOT NULL DEFAULT 'medium' CHECK (min_priority IN ('high', 'medium', 'low')),
    quiet_from      text,
    quiet_to        text,
    version         bigint NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((quiet_from IS NULL) = (quiet_to IS NULL)),
    FOREIGN KEY (user_id, organisation_id) REFERENCES central.users (id, organisation_id)
);

-- Who is calling. STABLE and SECURITY DEFINER with an empty search_path, owned by zc_definer,
-- executable only by the roles that need them. Policies call them as (SELECT f()) so they are
-- evaluated once per statement, not once per row.
CREATE FUNCTION central.console_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT id FROM central.consoles WHERE login = session_user AND removed_at IS NULL
$$;
CREATE FUNCTION central.console_organisation() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT organisation_id FROM central.consoles WHERE login = session_user AND removed_at IS NULL
$$;
CREATE FUNCTION central.console_site() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT site_id FROM central.consoles WHERE login = session_user AND removed_at IS NULL
$$;
CREATE FUNCTION central.person_organisation() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT organisation_id FROM central.users
    WHERE auth_user_id = auth.uid() AND disabled_at IS NULL
$$;

CREATE FUNCTION central.person_id() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT id FROM central.users WHERE auth_user_id = auth.uid() AND disabled_at IS NULL
$$;
CREATE FUNCTION central.person_role() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '' AS $$
    SELECT role FROM central.users WHERE auth_user_id = auth.uid() AND disabled_at IS NULL
$$;

ALTER TABLE central.organisations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.sites ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.consoles ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.users ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.user_profiles ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE central.notification_preferences ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- The identity lookups themselves: only the calling session's own row.
CREATE POLICY own_login ON central.consoles FOR SELECT TO zc_definer
    USING (login = session_user);
CREATE POLICY own_auth_user ON central.users FOR SELECT TO zc_definer
    USING (auth_user_id = (SELECT auth.uid()));

-- Consoles: their organisation, its sites and consoles (a sealed key is addressed to another
-- console's public key), its people. Consoles edit people (an admin's change, pushed), never
-- delete them (disable instead), and never add organisations, sites or consoles.
CREATE POLICY console_reads ON central.organisations FOR SELECT TO zc_console
    USING (id = (SELECT central.console_organisation()));
CREATE POLICY console_reads ON central.sites FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_reads ON central.consoles FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_reads ON central.users FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_adds ON central.users FOR INSERT TO zc_console
    WITH CHECK (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_edits ON central.users FOR UPDATE TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()))
    WITH CHECK (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_reads ON central.user_profiles FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_adds ON central.user_profiles FOR INSERT TO zc_console
    WITH CHECK (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_edits ON central.user_profiles FOR UPDATE TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()))
    WITH CHECK (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_reads ON central.notification_preferences FOR SELECT TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_adds ON central.notification_preferences FOR INSERT TO zc_console
    WITH CHECK (organisation_id = (SELECT central.console_organisation()));
CREATE POLICY console_edits ON central.notification_preferences FOR UPDATE TO zc_console
    USING (organisation_id = (SELECT central.console_organisation()))
    WITH CHECK (organisation_id = (SELECT central.console_organisation()));

-- People through the gateway: their own organisation, read only.
CREATE POLICY person_reads ON central.organisations FOR SELECT TO authenticated
    USING (id = (SELECT central.person_organisation()));
CREATE POLICY person_reads ON central.sites FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation()));
CREATE POLICY person_reads ON central.consoles FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation()));
CREATE POLICY person_reads ON central.users FOR SELECT TO authenticated
    USING (organisation_id = (SELECT central.person_organisation()));
-- A profile and notification choices: the person's own, or any of the organisation's for an admin.
CREATE POLICY person_reads ON central.user_profiles FOR SELECT TO authenticated
    USING (user_id = (SELECT central.person_id())
           OR (organisation_id = (SELECT central.person_organisation()) AND (SELECT central.person_role()) = 'admin'));
CREATE POLICY person_reads ON central.notification_preferences FOR SELECT TO authenticated
    USING (user_id = (SELECT central.person_id())
           OR (organisation_id = (SELECT central.person_organisation()) AND (SELECT central.person_role()) = 'admin'));

GRANT SELECT ON central.organisations, central.sites, central.consoles TO zc_console, authenticated;
GRANT SELECT, INSERT, UPDATE ON central.users, central.user_profiles, central.notification_preferences TO zc_console;
GRANT SELECT ON central.users, central.user_profiles, central.notification_preferences TO authenticated;
GRANT SELECT (id, organisation_id, site_id, login, removed_at) ON central.consoles TO zc_definer;
GRANT SELECT (id, organisation_id, role, auth_user_id, disabled_at) ON central.users TO zc_definer;
GRANT ALL ON ALL TABLES IN SCHEMA central TO service_role;

ALTER FUNCTION central.console_id() OWNER TO zc_definer;
ALTER FUNCTION central.console_organisation() OWNER TO zc_definer;
ALTER FUNCTION central.console_site() OWNER TO zc_definer;
ALTER FUNCTION central.person_organisation() OWNER TO zc_definer;
ALTER FUNCTION central.person_id() OWNER TO zc_definer;
ALTER FUNCTION central.person_role() OWNER TO zc_definer;
REVOKE ALL ON FUNCTION central.console_id(), central.console_organisation(), central.console_site(),
    central.person_organisation(), central.person_id(), central.person_role() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION central.console_id(), central.console_organisation(), central.console_site()
    TO zc_console, zc_definer;
GRANT EXECUTE ON FUNCTION central.person_organisation(), central.person_id(), central.person_role()
    TO authenticated, zc_definer;
-- person_organisation() reads auth.uid(). Where this migration made the auth schema (a plain
-- server), grant its use; Supabase grants it to its own roles already.
DO $$
BEGIN
    IF has_schema_privilege('auth', 'USAGE WITH GRANT OPTION') THEN
        GRANT USAGE ON SCHEMA auth TO zc_definer, authenticated;
    END IF;
END
$$;
