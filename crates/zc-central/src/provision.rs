//! Setting up the centre's tenants: organisations, sites, and each console's own login. Run
//! with the schema owner's connection (`zc central provision`, or these calls from a test).

use crate::statement;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;
use zc_domain::Sensitive;

/// A console's login, as handed to `zc central connect` once; the password is not kept here.
pub struct ConsoleLogin {
    pub console_id: Uuid,
    pub login: String,
    pub password: Sensitive<String>,
}

pub async fn create_organisation(admin: &PgPool, name: &str) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    statement::query("INSERT INTO central.organisations (id, name) VALUES ($1, $2)")
        .bind(id)
        .bind(name)
        .execute(admin)
        .await?;
    Ok(id)
}

pub async fn create_site(admin: &PgPool, organisation: Uuid, name: &str) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    statement::query("INSERT INTO central.sites (id, organisation_id, name) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(organisation)
        .bind(name)
        .execute(admin)
        .await?;
    Ok(id)
}

/// Makes a console of `site` with a login of its own (a member of zc_console) and a random
/// password. The server is sent only the password's SCRAM verifier, so the password never
/// appears in its statement log.
pub async fn provision_console(admin: &PgPool, site: Uuid, name: &str) -> Result<ConsoleLogin, sqlx::Error> {
    let console_id = Uuid::now_v7();
    let login = format!("zc_console_{}", console_id.simple());
    let mut raw = [0u8; 24];
    rand::rng().fill_bytes(&mut raw);
    let password = hex::encode(raw);
    let verifier = scram_verifier(&password);
    let mut tx = admin.begin().await?;
    let ddl: String = statement::query_scalar(
        "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE zc_console', $1::text, $2::text)",
    )
    .bind(&login)
    .bind(&verifier)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl)).execute(&mut *tx).await?;
    statement::query(
        "INSERT INTO central.consoles (id, organisation_id, site_id, login, name) \
         SELECT $1, s.organisation_id, s.id, $3, $4 FROM central.sites s WHERE s.id = $2",
    )
    .bind(console_id)
    .bind(site)
    .bind(&login)
    .bind(name)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(ConsoleLogin { console_id, login, password: Sensitive::new(password) })
}

/// Removes a console from its site: it can no longer sign in, and its identity functions answer
/// NULL, so it reads nothing new (no sealed key, no row of its organisation).
pub async fn remove_console(admin: &PgPool, console_id: Uuid) -> Result<(), sqlx::Error> {
    let mut tx = admin.begin().await?;
    let login: String =
        statement::query_scalar("UPDATE central.consoles SET removed_at = now() WHERE id = $1 RETURNING login")
            .bind(console_id)
            .fetch_one(&mut *tx)
            .await?;
    let ddl: String = statement::query_scalar("SELECT format('ALTER ROLE %I NOLOGIN', $1::text)")
        .bind(&login)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl)).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677, as `\password` makes it).
fn scram_verifier(password: &str) -> String {
    const ITERATIONS: u32 = 4096;
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2::<Hmac<Sha256>>(password.as_bytes(), &salt, ITERATIONS, &mut salted)
        .expect("HMAC takes any key length");
    let hmac = |key: &[u8], msg: &[u8]| {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
        m.update(msg);
        m.finalize().into_bytes()
    };
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac(&salted, b"Server Key");
    format!("SCRAM-SHA-256${ITERATIONS}:{}${}:{}", B64.encode(salt), B64.encode(stored_key), B64.encode(server_key))
}

/// The organisation and site of these names, made when missing (provisioning is re-runnable).
pub async fn ensure_site(admin: &PgPool, organisation: &str, site: &str) -> Result<(Uuid, Uuid), sqlx::Error> {
    let org: Option<Uuid> =
        statement::query_scalar("SELECT id FROM central.organisations WHERE name = $1 ORDER BY created_at LIMIT 1")
            .bind(organisation)
            .fetch_optional(admin)
            .await?;
    let org = match org {
        Some(id) => id,
        None => create_organisation(admin, organisation).await?,
    };
    let found: Option<Uuid> = statement::query_scalar(
        "SELECT id FROM central.sites WHERE organisation_id = $1 AND name = $2 ORDER BY created_at LIMIT 1",
    )
    .bind(org)
    .bind(site)
    .fetch_optional(admin)
    .await?;
    let site = match found {
        Some(id) => id,
        None => create_site(admin, org, site).await?,
    };
    Ok((org, site))
}
