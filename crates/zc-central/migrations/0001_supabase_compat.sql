-- What Supabase provides, created only where it is missing, so the same policies run on a plain
-- PostgreSQL server and on Supabase alike: the anon / authenticated / service_role roles and the
-- auth schema with auth.uid(), auth.role() and auth.jwt() reading the request's claims (set by a
-- gateway that verified a JWT). Consoles never use these: a console's identity is its login (see
-- 0002), which no session variable or claim can change.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
        CREATE ROLE anon NOLOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
    END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS auth;

DO $$
BEGIN
    IF to_regprocedure('auth.jwt()') IS NULL THEN
        CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $f$
            SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
        $f$;
    END IF;
    -- As Supabase's: the legacy per-claim setting first, then the claims. A setting once made
    -- on a connection reads '' afterwards (a gateway's connection serves many requests), so ''
    -- counts as unset, or it would hide the next request's claims.
    IF to_regprocedure('auth.uid()') IS NULL THEN
        CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$
            SELECT nullif(coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                                   auth.jwt() ->> 'sub'), '')::uuid
        $f$;
    END IF;
    IF to_regprocedure('auth.role()') IS NULL THEN
        CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $f$
            SELECT nullif(coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                                   auth.jwt() ->> 'role'), '')
        $f$;
    END IF;
END
$$;
