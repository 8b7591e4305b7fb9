//! The schema passes its linter (tests/sql/lint.sql, pgTAP), on a plain server and where
//! Supabase's roles and auth schema already exist; and the linter does catch a bad table.

// The tests' own statements (as the schema owner, or as an attacker would write them) are
// not the console's: sqlx's own constructors are fine here.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{Centre, SUPABASE_LIKE};

const LINT: &str = include_str!("sql/lint.sql");

async fn lint(centre: &Centre) -> Vec<String> {
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pgtap")
        .execute(&centre.admin)
        .await
        .expect("pgTAP installed (postgresql-15-pgtap)");
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(LINT)).fetch_all(&centre.admin).await.expect("the lint runs");
    rows.iter().map(|r| sqlx::Row::get::<String, _>(r, 0)).collect()
}

fn failures(lines: &[String]) -> Vec<&String> {
    lines.iter().filter(|l| l.starts_with("not ok")).collect()
}

#[tokio::test]
async fn a_plain_server_passes_the_lint() {
    let centre = Centre::start().await;
    let lines = lint(&centre).await;
    assert_eq!(lines.iter().filter(|l| l.starts_with("ok")).count(), 11, "every check ran and passed: {lines:#?}");
    assert!(failures(&lines).is_empty(), "{:#?}", failures(&lines));
}

#[tokio::test]
async fn supabase_roles_and_auth_are_kept_and_the_lint_passes() {
    let centre = Centre::start_with(SUPABASE_LIKE).await;
    // Our migration did not replace Supabase's own auth.uid().
    let comment: Option<String> = sqlx::query_scalar("SELECT obj_description('auth.uid()'::regprocedure)")
        .fetch_one(&centre.admin)
        .await
        .unwrap();
    assert_eq!(comment.as_deref(), Some("supabase"));
    let lines = lint(&centre).await;
    assert!(failures(&lines).is_empty(), "{:#?}", failures(&lines));
}

#[tokio::test]
async fn the_migrations_apply_once() {
    let centre = Centre::start().await;
    // A second run (a console or an operator running them again) changes nothing.
    zc_central::schema::migrate(&centre.admin).await.expect("a second run is a no-op");
    let applied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(&centre.admin).await.unwrap();
    assert_eq!(applied as usize, zc_central::schema::MIGRATOR.iter().count());
}

#[tokio::test]
async fn the_lint_catches_what_it_is_for() {
    let centre = Centre::start().await;
    sqlx::raw_sql(
        "CREATE TABLE central.careless (id int);
         CREATE POLICY everyone ON central.retention_policies FOR SELECT USING (true);
         CREATE FUNCTION central.leaky() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
         GRANT SELECT ON central.organisations TO anon;",
    )
    .execute(&centre.admin)
    .await
    .unwrap();
    let lines = lint(&centre).await;
    let failed = failures(&lines);
    for what in [
        "row-level security enabled",
        "forced",
        "admits everyone",
        "search_path",
        "PUBLIC or anon",
        "bypasses",
        "granted to PUBLIC",
    ] {
        assert!(failed.iter().any(|l| l.contains(what)), "the lint missed '{what}': {lines:#?}");
    }
}
