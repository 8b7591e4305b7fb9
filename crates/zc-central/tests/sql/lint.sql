-- In the spirit of Supabase's database linter, as pgTAP assertions: each line is "ok" or
-- "not ok" with the offending objects. Run in a transaction that is rolled back.
BEGIN;
SELECT plan(11);
SELECT is_empty($$
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'central' AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity
$$, 'every table has row-level security enabled');

SELECT is_empty($$
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'central' AND c.relkind IN ('r', 'p') AND NOT c.relforcerowsecurity
$$, 'row-level security is forced for the tables'' owner too');

SELECT is_empty($$
    SELECT schemaname || '.' || tablename || ' ' || policyname FROM pg_policies
    WHERE schemaname IN ('central', 'auth', 'public')
      AND (roles && ARRAY['public', 'anon']::name[]
           OR coalesce(qual, '') IN ('true', '(true)') OR coalesce(with_check, '') IN ('true', '(true)'))
$$, 'no policy admits everyone (PUBLIC, anon, or a condition that is always true)');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname IN ('central', 'auth') AND p.prosecdef
      AND NOT EXISTS (SELECT 1 FROM unnest(coalesce(p.proconfig, '{}')) c WHERE c LIKE 'search_path=%')
$$, 'every security-definer function pins its search_path');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text || ' by ' || r.rolname
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    CROSS JOIN (SELECT 'public' AS rolname UNION ALL SELECT 'anon') r
    WHERE n.nspname = 'central' AND p.prosecdef
      AND (p.proacl IS NULL OR EXISTS (
          SELECT 1 FROM aclexplode(p.proacl) a
          WHERE a.privilege_type = 'EXECUTE'
            AND (a.grantee = 0 OR a.grantee = (SELECT oid FROM pg_roles WHERE rolname = r.rolname))))
$$, 'no security-definer function is executable by PUBLIC or anon');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_roles o ON o.oid = p.proowner
    WHERE n.nspname = 'central' AND p.prosecdef AND (o.rolsuper OR o.rolbypassrls)
$$, 'no security-definer function runs as a role that bypasses row-level security');

SELECT is_empty($$
    SELECT c.relname || ' to ' || coalesce(r.rolname, 'PUBLIC') || ' ' || a.privilege_type
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL aclexplode(c.relacl) a
    LEFT JOIN pg_roles r ON r.oid = a.grantee
    WHERE n.nspname = 'central' AND (a.grantee = 0 OR r.rolname = 'anon')
$$, 'no table or view is granted to PUBLIC or anon');

SELECT is_empty($$
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'central' AND c.relkind = 'v'
      AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)
$$, 'every view runs with its caller''s rights (security_invoker)');

SELECT is_empty($$
    SELECT c.relname || ' ' || a.privilege_type
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL aclexplode(c.relacl) a
    JOIN pg_roles r ON r.oid = a.grantee
    WHERE n.nspname = 'central' AND r.rolname = 'zc_console'
      AND c.relname IN ('activity_log', 'console_chains', 'chain_rejections')
$$, 'consoles reach the activity log only through push_activity()');

SELECT is_empty($$
    SELECT c.relname || ' ' || a.privilege_type || ' to ' || r.rolname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL aclexplode(c.relacl) a
    JOIN pg_roles r ON r.oid = a.grantee
    WHERE n.nspname = 'central' AND r.rolname IN ('zc_console', 'authenticated')
      AND a.privilege_type IN ('TRUNCATE', 'REFERENCES', 'TRIGGER')
$$, 'no console or person may truncate, reference or add triggers');

SELECT is_empty($$
    SELECT c.relname || ' DELETE to ' || r.rolname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL aclexplode(c.relacl) a
    JOIN pg_roles r ON r.oid = a.grantee
    WHERE n.nspname = 'central' AND r.rolname IN ('zc_console', 'authenticated')
      AND a.privilege_type = 'DELETE' AND c.relname <> 'widget_access'
$$, 'history and configuration are never deleted by a console or a person (deleted_at instead)');

SELECT * FROM finish();
ROLLBACK;
