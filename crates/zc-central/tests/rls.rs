//! Row-level security against a real server, cell by cell. Two organisations, A (consoles A1 and
//! A2) and B (one console), have a row of each in every table of the central schema. For each
//! table, a console of A, each kind of person of A and anon try to read, add, change and delete;
//! MATRIX says what each may, and nothing any of them tries reads or changes B's rows. Then what
//! a console or a person might do to pass for someone else.

// The tests' own statements (as the schema owner, or as an attacker would write them) are
// not the console's: sqlx's own constructors are fine here.
#![allow(clippy::disallowed_methods)]

mod common;

use std::collections::BTreeMap;
use std::fmt;

use common::{Centre, SUPABASE_LIKE, Tenant};
use sqlx::postgres::PgQueryResult;
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// A's first console, signed in with its own login.
    A1,
    /// A's people, through the gateway.
    Operator,
    Engineer,
    Admin,
    /// The gateway without a JWT.
    Anon,
}
use Who::*;

/// What a cell expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum E {
    /// SELECT: every row of its own organisation, and only those.
    Org,
    /// SELECT: only its own rows (a person's profile; the sealed keys addressed to a console).
    Mine,
    /// SELECT: allowed, and no row.
    Empty,
    /// Written: one row.
    Done,
    /// Allowed, and no row touched (the row is not the caller's to see).
    Zero,
    /// Refused by a policy: the new row would violate row-level security.
    Rls,
    /// No privilege (on the table, or for anon on the schema).
    Priv,
    /// The operation does not apply to the table (no such column, no such row).
    Na,
}
use E::*;

/// The operations, in the order of MATRIX's columns. "Own" is a row of A (the seeded one, or the
/// one this caller just added); "B's" is B's seeded row. The insert "as" variants claim another
/// organisation or console: as B (a row wholly of B, so only a policy stands in its way), as A2
/// (A's row with console A2's id), naming B's console (A's row with B's console; for a sealed
/// key, sealed to B's console).
const OPS: [&str; 11] = [
    "SELECT",
    "INSERT own",
    "INSERT as B",
    "INSERT as A2",
    "INSERT naming B's console",
    "UPDATE own",
    "UPDATE B's",
    "UPDATE own to organisation B",
    "UPDATE own to console A2",
    "DELETE own",
    "DELETE B's",
];

/// The policy, as the migrations mean it. Columns as in OPS.
#[rustfmt::skip]
const MATRIX: &[(&str, Who, [E; 11])] = &[
    //                                      select ins   as B  as A2 to B1 upd   upd B to B  to A2 del   del B
    ("organisations",            A1,       [Org,   Priv, Na,   Na,   Na,   Priv, Priv, Na,   Na,   Priv, Priv]),
    ("organisations",            Operator, [Org,   Priv, Na,   Na,   Na,   Priv, Priv, Na,   Na,   Priv, Priv]),
    ("organisations",            Engineer, [Org,   Priv, Na,   Na,   Na,   Priv, Priv, Na,   Na,   Priv, Priv]),
    ("organisations",            Admin,    [Org,   Priv, Na,   Na,   Na,   Priv, Priv, Na,   Na,   Priv, Priv]),
    ("organisations",            Anon,     [Priv,  Priv, Na,   Na,   Na,   Priv, Priv, Na,   Na,   Priv, Priv]),

    ("sites",                    A1,       [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("sites",                    Operator, [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("sites",                    Engineer, [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("sites",                    Admin,    [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("sites",                    Anon,     [Priv,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),

    // A console sees its organisation's consoles (to seal keys to them) but changes none.
    ("consoles",                 A1,       [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("consoles",                 Operator, [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("consoles",                 Engineer, [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("consoles",                 Admin,    [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("consoles",                 Anon,     [Priv,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),

    // People are added and edited by consoles (an admin's change, pushed), disabled, never deleted.
    ("users",                    A1,       [Org,   Done, Rls,  Na,   Na,   Done, Zero, Rls,  Na,   Priv, Priv]),
    ("users",                    Operator, [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("users",                    Engineer, [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("users",                    Admin,    [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("users",                    Anon,     [Priv,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),

    // A person reads their own profile and preferences; an admin reads everyone's of the organisation.
    ("user_profiles",            A1,       [Org,   Done, Rls,  Na,   Na,   Done, Zero, Rls,  Na,   Priv, Priv]),
    ("user_profiles",            Operator, [Mine,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("user_profiles",            Engineer, [Mine,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("user_profiles",            Admin,    [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("user_profiles",            Anon,     [Priv,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),

    ("notification_preferences", A1,       [Org,   Done, Rls,  Na,   Na,   Done, Zero, Rls,  Na,   Priv, Priv]),
    ("notification_preferences", Operator, [Mine,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("notification_preferences", Engineer, [Mine,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("notification_preferences", Admin,    [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("notification_preferences", Anon,     [Priv,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),

    // Password hashes: only central.sign_in() and central.set_password() reach them.
    ("user_credentials",         A1,       [Priv,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("user_credentials",         Operator, [Priv,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("user_credentials",         Engineer, [Priv,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("user_credentials",         Admin,    [Priv,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("user_credentials",         Anon,     [Priv,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),

    // Configuration: a console writes it under its own id; deleting is a deleted_at.
    ("connections",              A1,       [Org,   Done, Rls,  Rls,  Rls,  Done, Zero, Rls,  Rls,  Priv, Priv]),
    ("connections",              Operator, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("connections",              Engineer, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("connections",              Admin,    [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("connections",              Anon,     [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),

    ("widgets",                  A1,       [Org,   Done, Rls,  Rls,  Rls,  Done, Zero, Rls,  Rls,  Priv, Priv]),
    ("widgets",                  Operator, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("widgets",                  Engineer, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("widgets",                  Admin,    [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("widgets",                  Anon,     [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),

    // A widget's versions are added, never changed.
    ("widget_versions",          A1,       [Org,   Done, Rls,  Rls,  Rls,  Priv, Priv, Priv, Priv, Priv, Priv]),
    ("widget_versions",          Operator, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("widget_versions",          Engineer, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("widget_versions",          Admin,    [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("widget_versions",          Anon,     [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),

    // The one table a console deletes from.
    ("widget_access",            A1,       [Org,   Done, Rls,  Na,   Na,   Priv, Priv, Priv, Na,   Done, Zero]),
    ("widget_access",            Operator, [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("widget_access",            Engineer, [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("widget_access",            Admin,    [Org,   Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),
    ("widget_access",            Anon,     [Priv,  Priv, Priv, Na,   Na,   Priv, Priv, Priv, Na,   Priv, Priv]),

    // Sealed only to a console of the sender's site, with its current key; read only by that
    // console; never by a person.
    ("sealed_keys",              A1,       [Mine,  Done, Rls,  Rls,  Rls,  Priv, Priv, Priv, Priv, Priv, Priv]),
    ("sealed_keys",              Operator, [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("sealed_keys",              Engineer, [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("sealed_keys",              Admin,    [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("sealed_keys",              Anon,     [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),

    // History: a console adds its own measurements; nobody changes or deletes them.
    ("status_history",           A1,       [Org,   Done, Rls,  Rls,  Rls,  Priv, Priv, Priv, Priv, Priv, Priv]),
    ("status_history",           Operator, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("status_history",           Engineer, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("status_history",           Admin,    [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("status_history",           Anon,     [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),

    ("request_metrics",          A1,       [Org,   Done, Rls,  Rls,  Rls,  Priv, Priv, Priv, Priv, Priv, Priv]),
    ("request_metrics",          Operator, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("request_metrics",          Engineer, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("request_metrics",          Admin,    [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("request_metrics",          Anon,     [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),

    ("point_history",            A1,       [Org,   Done, Rls,  Rls,  Rls,  Priv, Priv, Priv, Priv, Priv, Priv]),
    ("point_history",            Operator, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("point_history",            Engineer, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("point_history",            Admin,    [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("point_history",            Anon,     [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),

    // The audit trail: consoles only through push_activity(); engineers and admins read it.
    ("activity_log",             A1,       [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("activity_log",             Operator, [Empty, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("activity_log",             Engineer, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("activity_log",             Admin,    [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("activity_log",             Anon,     [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),

    ("console_chains",           A1,       [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("console_chains",           Operator, [Empty, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("console_chains",           Engineer, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("console_chains",           Admin,    [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("console_chains",           Anon,     [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),

    ("chain_rejections",         A1,       [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("chain_rejections",         Operator, [Empty, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("chain_rejections",         Engineer, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("chain_rejections",         Admin,    [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("chain_rejections",         Anon,     [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),

    ("alarm_journal",            A1,       [Org,   Done, Rls,  Rls,  Rls,  Priv, Priv, Priv, Priv, Priv, Priv]),
    ("alarm_journal",            Operator, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("alarm_journal",            Engineer, [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("alarm_journal",            Admin,    [Org,   Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),
    ("alarm_journal",            Anon,     [Priv,  Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv, Priv]),

    // The schema owner's (cleanup) and service_role's only.
    ("retention_policies",       A1,       [Priv,  Priv, Na,   Na,   Na,   Priv, Na,   Na,   Na,   Priv, Na]),
    ("retention_policies",       Operator, [Priv,  Priv, Na,   Na,   Na,   Priv, Na,   Na,   Na,   Priv, Na]),
    ("retention_policies",       Engineer, [Priv,  Priv, Na,   Na,   Na,   Priv, Na,   Na,   Na,   Priv, Na]),
    ("retention_policies",       Admin,    [Priv,  Priv, Na,   Na,   Na,   Priv, Na,   Na,   Na,   Priv, Na]),
    ("retention_policies",       Anon,     [Priv,  Priv, Na,   Na,   Na,   Priv, Na,   Na,   Na,   Priv, Na]),
];

/// How the matrix names a table's rows and which columns carry its organisation and its console.
struct Table {
    name: &'static str,
    /// An expression naming a row (as text).
    key: &'static str,
    organisation: Option<&'static str>,
    console: Option<&'static str>,
    /// A change to a row that every constraint allows.
    touch: &'static str,
}

const fn t(
    name: &'static str,
    key: &'static str,
    organisation: Option<&'static str>,
    console: Option<&'static str>,
    touch: &'static str,
) -> Table {
    Table { name, key, organisation, console, touch }
}

const ORG: Option<&str> = Some("organisation_id");
const CONSOLE: Option<&str> = Some("console_id");

const TABLES: &[Table] = &[
    t("organisations", "id::text", Some("id"), None, "name = name || '.'"),
    t("sites", "id::text", ORG, None, "name = name || '.'"),
    t("consoles", "id::text", ORG, None, "name = name || '.'"),
    t("users", "id::text", ORG, None, "version = version + 1"),
    t("user_profiles", "user_id::text", ORG, None, "version = version + 1"),
    t("notification_preferences", "user_id::text", ORG, None, "version = version + 1"),
    t("user_credentials", "user_id::text", ORG, None, "set_by = set_by || '.'"),
    t("connections", "id::text", ORG, CONSOLE, "version = version + 1"),
    t("widgets", "id::text", ORG, CONSOLE, "version = version + 1"),
    t("widget_versions", "widget_id::text || '/' || version", ORG, CONSOLE, "changed_by = changed_by || '.'"),
    t("widget_access", "id::text", ORG, None, "created_at = created_at + interval '1 second'"),
    t("sealed_keys", "id::text", ORG, Some("sender_console_id"), "sealed_by = sealed_by || '.'"),
    t("status_history", "id::text", ORG, CONSOLE, "reason = reason || '.'"),
    t("request_metrics", "id::text", ORG, CONSOLE, "latency_ms = latency_ms + 1"),
    t("point_history", "id::text", ORG, CONSOLE, "quality = quality || '.'"),
    t("activity_log", "id::text", ORG, CONSOLE, "actor = actor || '.'"),
    t("console_chains", "console_id::text", ORG, CONSOLE, "head_seq = head_seq + 1"),
    t("chain_rejections", "id::text", ORG, CONSOLE, "detail = detail || '.'"),
    t("alarm_journal", "id::text", ORG, CONSOLE, "reason = reason || '.'"),
    t("retention_policies", "kind", None, None, "max_age = max_age + interval '1 day'"),
];

fn table(name: &str) -> &'static Table {
    TABLES.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("MATRIX names {name}, which TABLES lacks"))
}

struct Person {
    user: Uuid,
    auth: Uuid,
}

/// One organisation's seeded rows.
struct Org {
    id: Uuid,
    site: Uuid,
    consoles: Vec<Uuid>,
    /// Operator, engineer, admin.
    people: [Person; 3],
    /// A user without a profile or preferences yet (what a console's INSERT of them needs).
    spare: Uuid,
    connection: Uuid,
    widget: Uuid,
    /// Each table's seeded row, by its key; absent where the table has none of this organisation.
    rows: BTreeMap<&'static str, String>,
}

struct World {
    ta: Tenant,
    tb: Tenant,
    a: Org,
    b: Org,
}

/// What a console sealed its keys to (the seed's public keys: the id's hex, twice).
fn public_key(console: Uuid) -> String {
    format!("{0}{0}", console.simple())
}

/// One row of the organisation in every table, as the schema owner.
async fn seed(admin: &PgPool, t: &Tenant) -> Org {
    let (org, site) = (t.organisation, t.site);
    let first = t.consoles[0].id;
    let last = t.consoles.last().unwrap().id;
    let people = [(); 3].map(|_| Person { user: Uuid::now_v7(), auth: Uuid::now_v7() });
    let [op, eng, adm] = [people[0].user, people[1].user, people[2].user];
    let [op_a, eng_a, adm_a] = [people[0].auth, people[1].auth, people[2].auth];
    let id = || Uuid::now_v7();
    let (spare, conn, widget, access, status, metric, point, activity, alarm) =
        (id(), id(), id(), id(), id(), id(), id(), id(), id());
    // Sealed keys: the last console's to the first; where there are two, the first's to the last
    // too, so "addressed to me" is not all of the organisation's.
    let (to_first, to_last) = (id(), id());
    let mut sealed = vec![(to_first, last, first)];
    if first != last {
        sealed.push((to_last, first, last));
    }
    let sealed = sealed.iter().map(|(k, s, r)| format!("('{k}'::uuid, '{s}'::uuid, '{r}'::uuid)")).collect::<Vec<_>>();
    let script = format!(
        r#"
UPDATE central.consoles SET public_key = replace(id::text, '-', '') || replace(id::text, '-', '')
    WHERE organisation_id = '{org}';
INSERT INTO central.users (id, organisation_id, username, role, auth_user_id) VALUES
    ('{op}', '{org}', 'olga', 'operator', '{op_a}'),
    ('{eng}', '{org}', 'erik', 'engineer', '{eng_a}'),
    ('{adm}', '{org}', 'ada', 'admin', '{adm_a}'),
    ('{spare}', '{org}', 'sam', 'operator', NULL);
INSERT INTO central.user_profiles (user_id, organisation_id, display_name) VALUES
    ('{op}', '{org}', 'Olga'), ('{eng}', '{org}', 'Erik'), ('{adm}', '{org}', 'Ada');
INSERT INTO central.notification_preferences (user_id, organisation_id) VALUES
    ('{op}', '{org}'), ('{eng}', '{org}'), ('{adm}', '{org}');
INSERT INTO central.user_credentials (user_id, organisation_id, password_hash, set_at, set_by)
    VALUES ('{op}', '{org}', '$2a$10$seedseedseedseedseedse', now(), 'seed');
INSERT INTO central.connections (id, organisation_id, site_id, name, url, updated_by, console_id)
    VALUES ('{conn}', '{org}', '{site}', 'Pump 3', 'https://pump3.example', 'olga', '{first}');
INSERT INTO central.widgets (id, organisation_id, connection_id, kind, name, config, updated_by, console_id)
    VALUES ('{widget}', '{org}', '{conn}', 'gauge', 'Flow', '{{"unit":"l/s"}}', 'olga', '{first}');
INSERT INTO central.widget_versions (widget_id, version, organisation_id, kind, name, config, active, changed_by, changed_at, console_id)
    VALUES ('{widget}', 1, '{org}', 'gauge', 'Flow', '{{"unit":"l/s"}}', true, 'olga', now(), '{first}');
INSERT INTO central.widget_access (id, organisation_id, widget_id, role) VALUES ('{access}', '{org}', '{widget}', 'engineer');
INSERT INTO central.sealed_keys (id, organisation_id, connection_id, sender_console_id, recipient_console_id,
                                 recipient_public_key, ciphertext, sealed_by)
    SELECT v.id, '{org}', '{conn}', v.sender, r.id, r.public_key, decode('0102', 'hex'), 'olga'
    FROM (VALUES {sealed}) v (id, sender, recipient) JOIN central.consoles r ON r.id = v.recipient;
INSERT INTO central.status_history (id, organisation_id, console_id, connection_id, at, from_status, to_status)
    VALUES ('{status}', '{org}', '{first}', '{conn}', now(), 'up', 'down');
INSERT INTO central.request_metrics (id, organisation_id, console_id, connection_id, at, latency_ms, http_status)
    VALUES ('{metric}', '{org}', '{first}', '{conn}', now(), 12.5, 200);
INSERT INTO central.point_history (id, organisation_id, console_id, connection_id, point, at, value, quality)
    VALUES ('{point}', '{org}', '{first}', '{conn}', 'flow', now(), 3.5, 'good');
INSERT INTO central.activity_log (id, organisation_id, site_id, console_id, seq, at_ms, actor, action, resource,
                                  metadata, prev_hash, hash)
    VALUES ('{activity}', '{org}', '{site}', '{first}', 1, 0, 'olga', 'alarm.acknowledge', 'alarm:7', '{{}}',
            repeat('0', 64), repeat('1', 64));
INSERT INTO central.console_chains (console_id, organisation_id, head_seq, head_hash)
    VALUES ('{first}', '{org}', 1, repeat('1', 64));
INSERT INTO central.chain_rejections (organisation_id, console_id, kind, seq, detail)
    VALUES ('{org}', '{first}', 'gap', 3, 'entry 3 arrived after entry 1');
INSERT INTO central.alarm_journal (id, organisation_id, site_id, console_id, connection_id, alarm, action, actor, at)
    VALUES ('{alarm}', '{org}', '{site}', '{first}', '{conn}', 'alarm:7', 'acknowledge', 'olga', now());
"#,
        sealed = sealed.join(", ")
    );
    sqlx::raw_sql(AssertSqlSafe(script)).execute(admin).await.expect("the seed goes in");
    let rejection: String =
        sqlx::query_scalar("SELECT id::text FROM central.chain_rejections WHERE organisation_id = $1")
            .bind(org)
            .fetch_one(admin)
            .await
            .unwrap();
    let rows = BTreeMap::from([
        ("organisations", org.to_string()),
        ("sites", site.to_string()),
        ("consoles", first.to_string()),
        ("users", op.to_string()),
        ("user_profiles", op.to_string()),
        ("notification_preferences", op.to_string()),
        ("user_credentials", op.to_string()),
        ("connections", conn.to_string()),
        ("widgets", widget.to_string()),
        ("widget_versions", format!("{widget}/1")),
        ("widget_access", access.to_string()),
        ("sealed_keys", to_first.to_string()),
        ("status_history", status.to_string()),
        ("request_metrics", metric.to_string()),
        ("point_history", point.to_string()),
        ("activity_log", activity.to_string()),
        ("console_chains", first.to_string()),
        ("chain_rejections", rejection),
        ("alarm_journal", alarm.to_string()),
    ]);
    Org {
        id: org,
        site,
        consoles: t.consoles.iter().map(|c| c.id).collect(),
        people,
        spare,
        connection: conn,
        widget,
        rows,
    }
}

impl World {
    async fn seed(centre: &Centre) -> World {
        let ta = centre.tenant("Org A", 2).await;
        let tb = centre.tenant("Org B", 1).await;
        let mut a = seed(&centre.admin, &ta).await;
        let b = seed(&centre.admin, &tb).await;
        // Retention is the centre's, not an organisation's: its "own" row is one policy.
        a.rows.insert("retention_policies", "alarm_journal".into());
        World { ta, tb, a, b }
    }

    fn person(&self, who: Who) -> &Person {
        match who {
            Operator => &self.a.people[0],
            Engineer => &self.a.people[1],
            Admin => &self.a.people[2],
            _ => panic!("{who:?} is no person"),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Claim {
    Own,
    AsB,
    AsA2,
    NamingB1,
}
const CLAIMS: [Claim; 4] = [Claim::Own, Claim::AsB, Claim::AsA2, Claim::NamingB1];

/// A new row of `table` as `claim` says (None where the claim does not apply), with its key.
fn insert(table: &str, claim: Claim, w: &World, n: usize) -> Option<(String, String)> {
    let (a1, a2, b1) = (w.a.consoles[0], w.a.consoles[1], w.b.consoles[0]);
    let (o, console) = match claim {
        Claim::Own => (&w.a, a1),
        Claim::AsB => (&w.b, b1),
        Claim::AsA2 => (&w.a, a2),
        Claim::NamingB1 => (&w.a, b1),
    };
    let names_a_console = matches!(claim, Claim::AsA2 | Claim::NamingB1);
    let (org, site, conn, widget) = (o.id, o.site, o.connection, o.widget);
    let id = Uuid::now_v7();
    let key = id.to_string();
    Some(match table {
        "organisations" if claim == Claim::Own => {
            (format!("INSERT INTO central.organisations (id, name) VALUES ('{id}', 'Org C')"), key)
        }
        "sites" if !names_a_console => {
            (format!("INSERT INTO central.sites (id, organisation_id, name) VALUES ('{id}', '{org}', 'Annex')"), key)
        }
        "consoles" if !names_a_console => (
            format!(
                "INSERT INTO central.consoles (id, organisation_id, site_id, login, name) \
                 VALUES ('{id}', '{org}', '{site}', 'zc_console_{}', 'Stray')",
                id.simple()
            ),
            key,
        ),
        "users" if !names_a_console => (
            format!(
                "INSERT INTO central.users (id, organisation_id, username, role) VALUES ('{id}', '{org}', 'new{n}', 'operator')"
            ),
            key,
        ),
        "user_credentials" if !names_a_console => (
            format!(
                "INSERT INTO central.user_credentials (user_id, organisation_id, password_hash, set_at, set_by) \
                 VALUES ('{}', '{org}', '$2a$10$x', now(), 'x')",
                o.spare
            ),
            o.spare.to_string(),
        ),
        "user_profiles" | "notification_preferences" if !names_a_console => (
            format!("INSERT INTO central.{table} (user_id, organisation_id) VALUES ('{}', '{org}')", o.spare),
            o.spare.to_string(),
        ),
        "connections" => (
            format!(
                "INSERT INTO central.connections (id, organisation_id, site_id, name, url, updated_by, console_id) \
                 VALUES ('{id}', '{org}', '{site}', 'Pump 9', 'https://pump9.example', 'olga', '{console}')"
            ),
            key,
        ),
        "widgets" => (
            format!(
                "INSERT INTO central.widgets (id, organisation_id, connection_id, kind, name, config, updated_by, console_id) \
                 VALUES ('{id}', '{org}', '{conn}', 'gauge', 'Level', '{{}}', 'olga', '{console}')"
            ),
            key,
        ),
        "widget_versions" => (
            format!(
                "INSERT INTO central.widget_versions (widget_id, version, organisation_id, kind, name, config, active, \
                 changed_by, changed_at, console_id) \
                 VALUES ('{widget}', {v}, '{org}', 'gauge', 'Flow', '{{}}', true, 'olga', now(), '{console}')",
                v = n + 2
            ),
            format!("{widget}/{}", n + 2),
        ),
        "widget_access" if !names_a_console => (
            format!(
                "INSERT INTO central.widget_access (id, organisation_id, widget_id, role) VALUES ('{id}', '{org}', '{widget}', 'admin')"
            ),
            key,
        ),
        "sealed_keys" => {
            // Own: A1's to A2, with A2's key. As B: B's console's to itself. As A2: A2's to A1.
            // Naming B's console: A1's to B's console, with that console's key.
            let (sender, recipient) = match claim {
                Claim::Own => (a1, a2),
                Claim::AsB => (b1, b1),
                Claim::AsA2 => (a2, a1),
                Claim::NamingB1 => (a1, b1),
            };
            (sealed_key(id, org, conn, sender, recipient, &public_key(recipient)), key)
        }
        "status_history" => (
            format!(
                "INSERT INTO central.status_history (id, organisation_id, console_id, connection_id, at, from_status, to_status) \
                 VALUES ('{id}', '{org}', '{console}', '{conn}', now(), 'down', 'up')"
            ),
            key,
        ),
        "request_metrics" => (
            format!(
                "INSERT INTO central.request_metrics (id, organisation_id, console_id, connection_id, at, latency_ms, http_status) \
                 VALUES ('{id}', '{org}', '{console}', '{conn}', now(), 8.0, 200)"
            ),
            key,
        ),
        "point_history" => (
            format!(
                "INSERT INTO central.point_history (id, organisation_id, console_id, connection_id, point, at, value, quality) \
                 VALUES ('{id}', '{org}', '{console}', '{conn}', 'flow', now(), 4.0, 'good')"
            ),
            key,
        ),
        "activity_log" => (
            format!(
                "INSERT INTO central.activity_log (id, organisation_id, site_id, console_id, seq, at_ms, actor, action, \
                 resource, metadata, prev_hash, hash) \
                 VALUES ('{id}', '{org}', '{site}', '{console}', {seq}, 0, 'olga', 'x', 'x', '{{}}', repeat('1', 64), repeat('2', 64))",
                seq = n + 100
            ),
            key,
        ),
        "console_chains" => (
            format!(
                "INSERT INTO central.console_chains (console_id, organisation_id, head_seq, head_hash) \
                 VALUES ('{console}', '{org}', 1, repeat('2', 64))"
            ),
            console.to_string(),
        ),
        "chain_rejections" => (
            format!(
                "INSERT INTO central.chain_rejections (organisation_id, console_id, kind, seq, detail) \
                 VALUES ('{org}', '{console}', 'broken', 1, 'made up')"
            ),
            String::new(),
        ),
        "alarm_journal" => (
            format!(
                "INSERT INTO central.alarm_journal (id, organisation_id, site_id, console_id, connection_id, alarm, action, actor, at) \
                 VALUES ('{id}', '{org}', '{site}', '{console}', '{conn}', 'alarm:7', 'shelve', 'olga', now())"
            ),
            key,
        ),
        "retention_policies" if claim == Claim::Own => (
            "INSERT INTO central.retention_policies (kind, max_age) VALUES ('alarm_journal', interval '1 day')".into(),
            "alarm_journal".into(),
        ),
        _ => return None,
    })
}

fn sealed_key(id: Uuid, org: Uuid, conn: Uuid, sender: Uuid, recipient: Uuid, public_key: &str) -> String {
    format!(
        "INSERT INTO central.sealed_keys (id, organisation_id, connection_id, sender_console_id, recipient_console_id, \
         recipient_public_key, ciphertext, sealed_by) \
         VALUES ('{id}', '{org}', '{conn}', '{sender}', '{recipient}', '{public_key}', decode('0102', 'hex'), 'olga')"
    )
}

/// Whether an operation applies to a table at all (MATRIX must say Na exactly there).
fn applies(t: &Table, op: usize, w: &World) -> bool {
    match op {
        0 => true,
        1..=4 => insert(t.name, CLAIMS[op - 1], w, 0).is_some(),
        5 | 9 => w.a.rows.contains_key(t.name),
        6 | 10 => w.b.rows.contains_key(t.name),
        7 => t.organisation.is_some_and(|c| c != "id"),
        8 => t.console.is_some(),
        _ => unreachable!(),
    }
}

/// What a statement came to, in MATRIX's terms, or what else happened.
#[derive(PartialEq)]
enum Got {
    Is(E),
    Rows(Vec<String>),
    Other(String),
}

impl fmt::Display for Got {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Got::Is(e) => write!(f, "{e:?}"),
            Got::Rows(r) => write!(f, "rows {r:?}"),
            Got::Other(s) => write!(f, "{s}"),
        }
    }
}

fn refusal(e: sqlx::Error) -> Got {
    if let sqlx::Error::Database(d) = &e
        && d.code().as_deref() == Some("42501")
    {
        if d.message().contains("row-level security") {
            return Got::Is(Rls);
        }
        if d.message().starts_with("permission denied") {
            return Got::Is(Priv);
        }
    }
    Got::Other(e.to_string())
}

fn written(r: Result<PgQueryResult, sqlx::Error>) -> Got {
    match r {
        Ok(r) if r.rows_affected() == 1 => Got::Is(Done),
        Ok(r) if r.rows_affected() == 0 => Got::Is(Zero),
        Ok(r) => Got::Other(format!("{} rows", r.rows_affected())),
        Err(e) => refusal(e),
    }
}

async fn keys(conn: &mut PgConnection, t: &Table, filter: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(AssertSqlSafe(format!("SELECT {} FROM central.{} WHERE {filter} ORDER BY 1", t.key, t.name)))
        .fetch_all(conn)
        .await
}

/// The rows of an organisation, as the schema owner sees them.
async fn of(admin: &PgPool, t: &Table, org: Uuid) -> Vec<String> {
    let filter = t.organisation.map_or("false".into(), |c| format!("{c} = '{org}'"));
    keys(&mut admin.acquire().await.unwrap(), t, &filter).await.unwrap()
}

/// A digest of rows, to see afterwards that nothing of them changed.
async fn snapshot(admin: &PgPool, t: &Table, org: Option<Uuid>) -> (i64, String) {
    let filter = match (t.organisation, org) {
        (Some(c), Some(o)) => format!("{c} = '{o}'"),
        _ => "true".into(),
    };
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT count(*), coalesce(md5(string_agg(r::text, '|' ORDER BY r::text)), '') FROM central.{} r WHERE {filter}",
        t.name
    )))
    .fetch_one(admin)
    .await
    .unwrap()
}

/// One cell of the matrix; `n` makes what it adds unique.
struct Cell {
    who: Who,
    t: &'static Table,
    op: usize,
    expect: E,
    n: usize,
}

/// Runs one cell; Err says what happened instead. `added` is what this caller's INSERT own added.
async fn cell(
    centre: &Centre,
    w: &World,
    conn: &mut PgConnection,
    c: Cell,
    added: &mut Option<String>,
) -> Result<(), String> {
    let Cell { who, t, op, expect, n } = c;
    let admin = &centre.admin;
    let own = w.a.rows.get(t.name);
    let theirs = w.b.rows.get(t.name);
    let target = |key: Option<&String>| format!("{} = '{}'", t.key, key.expect("applies"));
    let got = match op {
        0 => match keys(conn, t, "true").await {
            Err(e) => refusal(e),
            Ok(seen) => {
                let org = of(admin, t, w.a.id).await;
                let b = of(admin, t, w.b.id).await;
                let of_b: Vec<_> = seen.iter().filter(|k| b.contains(k)).collect();
                if !of_b.is_empty() {
                    return Err(format!("sees B's rows {of_b:?}"));
                }
                let mine = match (t.name, who) {
                    ("user_profiles" | "notification_preferences", Operator | Engineer | Admin) => {
                        Some(format!("user_id = '{}'", w.person(who).user))
                    }
                    ("sealed_keys", A1) => Some(format!("recipient_console_id = '{}'", w.a.consoles[0])),
                    _ => None,
                };
                let mine = match mine {
                    Some(f) => Some(keys(&mut admin.acquire().await.unwrap(), t, &f).await.unwrap()),
                    None => None,
                };
                // The sets must differ for the cell to say anything.
                assert!(!org.is_empty() && !b.is_empty(), "{}: the seed has rows of A and of B", t.name);
                if let Some(m) = &mine {
                    assert!(!m.is_empty() && *m != org, "{}: {who:?}'s own rows are some of A's, not all", t.name);
                }
                if seen == org {
                    Got::Is(Org)
                } else if Some(&seen) == mine.as_ref() {
                    Got::Is(Mine)
                } else if seen.is_empty() {
                    Got::Is(Empty)
                } else {
                    Got::Rows(seen)
                }
            }
        },
        1..=4 => {
            let (sql, key) = insert(t.name, CLAIMS[op - 1], w, n).expect("applies");
            let got = written(sqlx::query(AssertSqlSafe(sql)).execute(&mut *conn).await);
            if op == 1 && got == Got::Is(Done) {
                *added = Some(key);
            }
            got
        }
        5 => written(
            sqlx::query(AssertSqlSafe(format!("UPDATE central.{} SET {} WHERE {}", t.name, t.touch, target(own))))
                .execute(&mut *conn)
                .await,
        ),
        6 => written(
            sqlx::query(AssertSqlSafe(format!("UPDATE central.{} SET {} WHERE {}", t.name, t.touch, target(theirs))))
                .execute(&mut *conn)
                .await,
        ),
        7 => written(
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE central.{} SET {} = '{}' WHERE {}",
                t.name,
                t.organisation.unwrap(),
                w.b.id,
                target(own)
            )))
            .execute(&mut *conn)
            .await,
        ),
        8 => written(
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE central.{} SET {} = '{}' WHERE {}",
                t.name,
                t.console.unwrap(),
                w.a.consoles[1],
                target(own)
            )))
            .execute(&mut *conn)
            .await,
        ),
        // What this caller added, where it could; else A's seeded row.
        9 => written(
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM central.{} WHERE {}",
                t.name,
                target(added.as_ref().or(own))
            )))
            .execute(&mut *conn)
            .await,
        ),
        10 => written(
            sqlx::query(AssertSqlSafe(format!("DELETE FROM central.{} WHERE {}", t.name, target(theirs))))
                .execute(&mut *conn)
                .await,
        ),
        _ => unreachable!(),
    };
    if got == Got::Is(expect) { Ok(()) } else { Err(format!("expected {expect:?}, got {got}")) }
}

async fn session(centre: &Centre, w: &World, who: Who) -> sqlx::pool::PoolConnection<sqlx::Postgres> {
    match who {
        A1 => w.ta.consoles[0].pool.acquire().await.unwrap(),
        Anon => centre.anon().await,
        _ => centre.person(w.person(who).auth).await,
    }
}

#[tokio::test]
async fn each_table_each_principal_each_operation() {
    matrix(Centre::start().await).await;
}

/// Where Supabase's own auth.uid() (claims only) is what the policies call.
#[tokio::test]
async fn each_cell_holds_where_supabase_provides_auth() {
    matrix(Centre::start_with(SUPABASE_LIKE).await).await;
}

async fn matrix(centre: Centre) {
    let w = World::seed(&centre).await;

    // The matrix covers every table of the schema (a new one must be added to it), each
    // principal once, and says Na exactly where an operation does not apply.
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'central' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1",
    )
    .fetch_all(&centre.admin)
    .await
    .unwrap();
    let mut named: Vec<String> = TABLES.iter().map(|t| t.name.to_string()).collect();
    named.sort();
    assert_eq!(named, tables, "TABLES and MATRIX cover every table of schema central");
    for t in TABLES {
        for who in [A1, Operator, Engineer, Admin, Anon] {
            let rows: Vec<_> = MATRIX.iter().filter(|r| r.0 == t.name && r.1 == who).collect();
            assert_eq!(rows.len(), 1, "MATRIX has one row for {} × {who:?}", t.name);
            for (op, e) in rows[0].2.iter().enumerate() {
                assert_eq!(
                    *e == Na,
                    !applies(t, op, &w),
                    "MATRIX {} × {who:?} × {}: Na where it does not apply",
                    t.name,
                    OPS[op]
                );
            }
        }
    }

    // B's rows, and the rows of A that no cell may write, must be as they were afterwards.
    let writable = |name: &str| MATRIX.iter().any(|r| r.0 == name && r.2[1..].contains(&Done));
    let mut before = Vec::new();
    for t in TABLES {
        if t.organisation.is_some() {
            before.push((t.name, "B", snapshot(&centre.admin, t, Some(w.b.id)).await));
        }
        if !writable(t.name) {
            before.push((t.name, "A", snapshot(&centre.admin, t, Some(w.a.id)).await));
        }
    }

    let (mut failures, mut cells, mut n) = (Vec::new(), 0, 0);
    for who in [A1, Operator, Engineer, Admin, Anon] {
        let mut conn = session(&centre, &w, who).await;
        for (name, _, expect) in MATRIX.iter().filter(|r| r.1 == who) {
            let t = table(name);
            let mut added = None;
            for (op, e) in expect.iter().enumerate().filter(|(_, e)| **e != Na) {
                n += 1;
                cells += 1;
                let c = Cell { who, t, op, expect: *e, n };
                if let Err(why) = cell(&centre, &w, &mut conn, c, &mut added).await {
                    failures.push(format!("{name} × {who:?} × {}: {why}", OPS[op]));
                }
            }
        }
    }

    for (name, org, was) in before {
        let now = snapshot(&centre.admin, table(name), Some(if org == "B" { w.b.id } else { w.a.id })).await;
        if now != was {
            failures.push(format!("{name}: {org}'s rows changed ({} rows before, {} after)", was.0, now.0));
        }
    }
    assert!(failures.is_empty(), "{} of {cells} cells failed:\n{}", failures.len(), failures.join("\n"));
}

/// Everything a session sees, table by table (a refusal as its kind).
async fn view(conn: &mut PgConnection) -> BTreeMap<&'static str, Result<Vec<String>, String>> {
    let mut out = BTreeMap::new();
    for t in TABLES {
        let seen = match keys(conn, t, "true").await {
            Ok(rows) => Ok(rows),
            Err(e) => Err(refusal(e).to_string()),
        };
        out.insert(t.name, seen);
    }
    out
}

/// What of a view is not allowed-and-empty: a removed console or a stranger must see nothing.
fn anything(v: &BTreeMap<&'static str, Result<Vec<String>, String>>) -> Vec<String> {
    v.iter()
        .filter(|(_, r)| !matches!(r, Ok(rows) if rows.is_empty()) && !matches!(r, Err(e) if e == "Priv"))
        .map(|(t, r)| format!("{t}: {r:?}"))
        .collect()
}

fn outcome(r: Result<PgQueryResult, sqlx::Error>) -> String {
    written(r).to_string()
}

async fn identity(conn: &mut PgConnection) -> (String, String) {
    sqlx::query_as("SELECT session_user::text, current_user::text").fetch_one(conn).await.unwrap()
}

#[tokio::test]
async fn a_console_cannot_pass_for_another_or_for_a_person() {
    let centre = Centre::start().await;
    let w = World::seed(&centre).await;
    let (a1, a2, b1) = (&w.ta.consoles[0], &w.ta.consoles[1], &w.tb.consoles[0]);
    let mut before = Vec::new();
    for t in TABLES.iter().filter(|t| t.organisation.is_some()) {
        before.push((t, snapshot(&centre.admin, t, Some(w.b.id)).await));
    }
    let mut c = a1.pool.acquire().await.unwrap();
    let me = (a1.login.clone(), a1.login.clone());
    let baseline = view(&mut c).await;
    for t in TABLES {
        let b = of(&centre.admin, t, w.b.id).await;
        if let Ok(rows) = &baseline[t.name] {
            assert!(rows.iter().all(|k| !b.contains(k)), "{}: A1 sees none of B's rows", t.name);
        }
    }
    assert_eq!(baseline["sealed_keys"], Ok(vec![w.a.rows["sealed_keys"].clone()]), "only the key addressed to A1");

    // Claims naming B's admin, in both places auth.uid() looks, and a role claim: a console is
    // not `authenticated`, so no policy reads them.
    let sub = w.b.people[2].auth;
    for (name, value) in [
        ("request.jwt.claims", format!(r#"{{"sub":"{sub}","role":"service_role"}}"#)),
        ("request.jwt.claim.sub", sub.to_string()),
        ("request.jwt.claim.role", "service_role".into()),
    ] {
        sqlx::query("SELECT set_config($1, $2, false)").bind(name).bind(value).execute(&mut *c).await.unwrap();
    }
    assert_eq!(view(&mut c).await, baseline, "B's admin's claims change nothing a console sees");
    let r = sqlx::query("UPDATE central.users SET version = version + 1 WHERE organisation_id = $1")
        .bind(w.b.id)
        .execute(&mut *c)
        .await;
    assert_eq!(outcome(r), "Zero", "nor anything it may change");

    // Roles it is not a member of, another login's session.
    for sql in [
        "SET ROLE authenticated".to_string(),
        "SET ROLE zc_definer".into(),
        "SET ROLE service_role".into(),
        "SET ROLE anon".into(),
        "SET ROLE postgres".into(),
        format!("SET ROLE {}", b1.login),
        format!("SET ROLE {}", a2.login),
        format!("SET SESSION AUTHORIZATION {}", b1.login),
        format!("SET SESSION AUTHORIZATION {}", a2.login),
        "SET SESSION AUTHORIZATION postgres".into(),
    ] {
        let err = sqlx::query(AssertSqlSafe(sql.clone())).execute(&mut *c).await.unwrap_err();
        assert!(err.to_string().contains("permission denied"), "{sql}: {err}");
        assert_eq!(identity(&mut c).await, me, "{sql}");
    }
    // What it may do changes nothing: its own group role keeps its session_user.
    for sql in ["SET ROLE zc_console", "RESET ROLE", "SET ROLE NONE", "SET SESSION AUTHORIZATION DEFAULT"] {
        sqlx::query(sql).execute(&mut *c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(view(&mut c).await, baseline, "{sql}");
    }

    // The identity functions: a person's are not a console's to call; its own name itself.
    for f in ["person_organisation", "person_id", "person_role"] {
        let err = sqlx::query(AssertSqlSafe(format!("SELECT central.{f}()"))).execute(&mut *c).await.unwrap_err();
        assert!(err.to_string().contains("permission denied for function"), "{f}: {err}");
    }
    let who: (Uuid, Uuid, Uuid) =
        sqlx::query_as("SELECT central.console_id(), central.console_organisation(), central.console_site()")
            .fetch_one(&mut *c)
            .await
            .unwrap();
    assert_eq!(who, (a1.id, w.a.id, w.a.site), "under B's claims, still A1 of A");

    // Measurements and journal entries under another console, organisation, site or connection.
    let (a, b) = (&w.a, &w.b);
    let status = |org: Uuid, console: Uuid, conn: Uuid| {
        format!(
            "INSERT INTO central.status_history (id, organisation_id, console_id, connection_id, at, from_status, to_status) \
             VALUES ('{}', '{org}', '{console}', '{conn}', now(), 'up', 'down')",
            Uuid::now_v7()
        )
    };
    let journal = |site: Uuid, conn: Option<Uuid>| {
        format!(
            "INSERT INTO central.alarm_journal (id, organisation_id, site_id, console_id, connection_id, alarm, action, actor, at) \
             VALUES ('{}', '{}', '{site}', '{}', {}, 'alarm:7', 'acknowledge', 'olga', now())",
            Uuid::now_v7(),
            a.id,
            a1.id,
            conn.map_or("NULL".into(), |c| format!("'{c}'"))
        )
    };
    for (what, sql) in [
        ("status as A2", status(a.id, a2.id, a.connection)),
        ("status as B", status(b.id, b1.id, b.connection)),
        ("status in B, as A1", status(b.id, a1.id, b.connection)),
        ("status of B's connection", status(a.id, a1.id, b.connection)),
        ("status of no connection", status(a.id, a1.id, Uuid::now_v7())),
        ("journal of B's site", journal(b.site, Some(a.connection))),
        ("journal of B's connection", journal(a.site, Some(b.connection))),
    ] {
        assert_eq!(outcome(sqlx::query(AssertSqlSafe(sql)).execute(&mut *c).await), "Rls", "{what}");
    }
    for (what, sql) in [
        ("status", status(a.id, a1.id, a.connection)),
        ("journal", journal(a.site, Some(a.connection))),
        ("journal without a connection", journal(a.site, None)),
    ] {
        assert_eq!(outcome(sqlx::query(AssertSqlSafe(sql)).execute(&mut *c).await), "Done", "{what}");
    }

    // Sealed keys: only to a console of its own site, with that console's current key; only the
    // recipient reads one.
    let wrong_key = "ab".repeat(32);
    let to_a2 = Uuid::now_v7();
    for (what, sql) in [
        ("to B's console", sealed_key(Uuid::now_v7(), a.id, a.connection, a1.id, b1.id, &public_key(b1.id))),
        ("to B's console, in B", sealed_key(Uuid::now_v7(), b.id, b.connection, a1.id, b1.id, &public_key(b1.id))),
        ("to A2 with a wrong key", sealed_key(Uuid::now_v7(), a.id, a.connection, a1.id, a2.id, &wrong_key)),
        ("as A2", sealed_key(Uuid::now_v7(), a.id, a.connection, a2.id, a1.id, &public_key(a1.id))),
    ] {
        assert_eq!(outcome(sqlx::query(AssertSqlSafe(sql)).execute(&mut *c).await), "Rls", "a sealed key {what}");
    }
    let sql = sealed_key(to_a2, a.id, a.connection, a1.id, a2.id, &public_key(a2.id));
    sqlx::query(AssertSqlSafe(sql)).execute(&mut *c).await.expect("A1 seals a key to A2");
    let reads = |pool: &PgPool| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM central.sealed_keys WHERE id = $1")
                .bind(to_a2)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(reads(&a2.pool).await, 1, "A2 reads the key sealed to it");
    drop(c);
    assert_eq!(reads(&a1.pool).await, 0, "A1, its sender, does not");

    // A removed console: its open session reads nothing, not even the key sealed to it, and
    // writes nothing; its login no longer signs in.
    let mut open = a2.pool.acquire().await.unwrap();
    assert!(!anything(&view(&mut open).await).is_empty(), "before removal A2 sees its organisation");
    zc_central::provision::remove_console(&centre.admin, a2.id).await.unwrap();
    let seen = anything(&view(&mut open).await);
    assert!(seen.is_empty(), "a removed console's open session sees nothing: {seen:#?}");
    for (what, sql) in [
        ("status", status(a.id, a2.id, a.connection)),
        ("a sealed key", sealed_key(Uuid::now_v7(), a.id, a.connection, a2.id, a1.id, &public_key(a1.id))),
    ] {
        assert_eq!(
            outcome(sqlx::query(AssertSqlSafe(sql)).execute(&mut *open).await),
            "Rls",
            "a removed console adds {what}"
        );
    }
    let sql = sealed_key(Uuid::now_v7(), a.id, a.connection, a1.id, a2.id, &public_key(a2.id));
    assert_eq!(outcome(sqlx::query(AssertSqlSafe(sql)).execute(&a1.pool).await), "Rls", "nor is a key sealed to it");
    let r = sqlx::query("UPDATE central.connections SET version = version + 1").execute(&mut *open).await;
    assert_eq!(outcome(r), "Zero", "a removed console changes nothing");
    let err = PgConnection::connect(&centre.cluster.url(&a2.login, &a2.password, "zc")).await.unwrap_err();
    assert!(err.to_string().contains("not permitted to log in"), "{err}");

    for (t, was) in before {
        assert_eq!(snapshot(&centre.admin, t, Some(w.b.id)).await, was, "{}: B's rows are as they were", t.name);
    }
}

#[tokio::test]
async fn a_person_is_who_their_claims_name_and_no_one_else() {
    let centre = Centre::start().await;
    let w = World::seed(&centre).await;

    // A verified JWT whose subject is no user of the centre.
    let mut stranger = centre.person(Uuid::now_v7()).await;
    let seen = anything(&view(&mut stranger).await);
    assert!(seen.is_empty(), "a stranger sees nothing: {seen:#?}");

    // A disabled user, an admin until now.
    let admin = &w.a.people[2];
    let mut conn = centre.person(admin.auth).await;
    let users = view(&mut conn).await["users"].clone();
    assert_eq!(users, Ok(of(&centre.admin, table("users"), w.a.id).await), "the admin sees A's people");
    sqlx::query("UPDATE central.users SET disabled_at = now() WHERE id = $1")
        .bind(admin.user)
        .execute(&centre.admin)
        .await
        .unwrap();
    let seen = anything(&view(&mut conn).await);
    assert!(seen.is_empty(), "a disabled admin sees nothing: {seen:#?}");

    // The gateway's connection serves one request after another. One that came with the legacy
    // claim (request.jwt.claim.sub, for its transaction only) must not blind the next, which
    // names its person in request.jwt.claims only, as Supabase's own auth.uid() reads them.
    let engineer = &w.a.people[1];
    let mut gw = centre.person(w.a.people[0].auth).await;
    let mut tx = gw.begin().await.unwrap();
    sqlx::query("SELECT set_config('request.jwt.claim.sub', $1, true)")
        .bind(w.a.people[0].auth.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("SELECT set_config('request.jwt.claims', $1, false)")
        .bind(format!(r#"{{"sub":"{}","role":"authenticated"}}"#, engineer.auth))
        .execute(&mut *gw)
        .await
        .unwrap();
    let me: Option<Uuid> = sqlx::query_scalar("SELECT central.person_id()").fetch_one(&mut *gw).await.unwrap();
    assert_eq!(me, Some(engineer.user), "the next request is its own person");
}
