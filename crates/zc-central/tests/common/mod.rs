//! A migrated central store in a throwaway cluster, for one test.
#![allow(dead_code)]

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};
use zc_central::cluster::Cluster;

pub struct Centre {
    pub cluster: Cluster,
    /// The schema owner (the cluster's superuser).
    pub admin: PgPool,
}

/// What Supabase already has before our migrations run: its roles, and an auth schema with
/// its own uid() (reading `request.jwt.claims` only). Ours must leave them as they are.
pub const SUPABASE_LIKE: &str = r#"
CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
CREATE SCHEMA auth;
GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('request.jwt.claims', true)::jsonb ->> 'sub', '')::uuid $$;
CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('request.jwt.claims', true)::jsonb ->> 'role', '') $$;
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $$;
COMMENT ON FUNCTION auth.uid() IS 'supabase';
"#;

impl Centre {
    pub async fn start() -> Centre {
        Self::start_with("").await
    }

    /// Runs `before` as the superuser in the new database, then the migrations.
    pub async fn start_with(before: &str) -> Centre {
        let cluster = Cluster::start().expect("throwaway PostgreSQL");
        let postgres = PgPool::connect(&cluster.superuser_url("postgres")).await.expect("superuser connects");
        sqlx::query("CREATE DATABASE zc").execute(&postgres).await.unwrap();
        postgres.close().await;
        let admin = PgPoolOptions::new().max_connections(4).connect(&cluster.superuser_url("zc")).await.unwrap();
        if !before.is_empty() {
            sqlx::raw_sql(sqlx::AssertSqlSafe(before.to_string())).execute(&admin).await.unwrap();
        }
        zc_central::schema::migrate(&admin).await.expect("migrations apply");
        Centre { cluster, admin }
    }

    /// A pool that signs in as `login` (one connection, so session settings carry over).
    pub async fn connect(&self, login: &str, password: &str) -> PgPool {
        PgPoolOptions::new().max_connections(1).connect(&self.cluster.url(login, password, "zc")).await.unwrap()
    }
}

/// The login people reach the store through, as Supabase's PostgREST does (its `authenticator`):
/// no rights of its own (NOINHERIT); it takes the role of each request, `authenticated` or `anon`.
pub const GATEWAY_LOGIN: &str = "zc_gateway";
const GATEWAY_PASSWORD: &str = "zc-gateway-throwaway";

impl Centre {
    /// A one-connection pool of the gateway, made on first use.
    pub async fn gateway(&self) -> PgPool {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DO $$ BEGIN
                 IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{GATEWAY_LOGIN}') THEN
                     CREATE ROLE {GATEWAY_LOGIN} LOGIN PASSWORD '{GATEWAY_PASSWORD}' NOINHERIT IN ROLE authenticated, anon;
                 END IF;
             END $$"
        )))
        .execute(&self.admin)
        .await
        .unwrap();
        self.connect(GATEWAY_LOGIN, GATEWAY_PASSWORD).await
    }

    /// The session of a person whose JWT the gateway verified, naming `sub`: `authenticated`, with
    /// the claims where PostgREST puts them.
    pub async fn person(&self, sub: uuid::Uuid) -> PoolConnection<Postgres> {
        let mut conn = self.gateway().await.acquire().await.unwrap();
        sqlx::query("SET ROLE authenticated").execute(&mut *conn).await.unwrap();
        sqlx::query("SELECT set_config('request.jwt.claims', $1, false)")
            .bind(format!(r#"{{"sub":"{sub}","role":"authenticated"}}"#))
            .execute(&mut *conn)
            .await
            .unwrap();
        conn
    }

    /// A request without a JWT, as the gateway makes it.
    pub async fn anon(&self) -> PoolConnection<Postgres> {
        let mut conn = self.gateway().await.acquire().await.unwrap();
        sqlx::query("SET ROLE anon").execute(&mut *conn).await.unwrap();
        conn
    }
}

/// An organisation with one site and `consoles` consoles, each signed in with its own login.
pub struct Tenant {
    pub organisation: uuid::Uuid,
    pub site: uuid::Uuid,
    pub consoles: Vec<Console>,
}

pub struct Console {
    pub id: uuid::Uuid,
    pub pool: PgPool,
    pub login: String,
    pub password: String,
}

impl Centre {
    pub async fn tenant(&self, name: &str, consoles: usize) -> Tenant {
        use zc_central::provision;
        let organisation = provision::create_organisation(&self.admin, name).await.unwrap();
        let site = provision::create_site(&self.admin, organisation, &format!("{name} plant")).await.unwrap();
        let mut out = Vec::new();
        for i in 0..consoles {
            let login = provision::provision_console(&self.admin, site, &format!("{name} console {i}")).await.unwrap();
            let pool = self.connect(&login.login, login.password.expose()).await;
            out.push(Console {
                id: login.console_id,
                pool,
                login: login.login,
                password: login.password.expose().clone(),
            });
        }
        Tenant { organisation, site, consoles: out }
    }
}

/// A console's activity chain, hashed as the console hashes it, from `from` (after `prev`).
pub fn chain(from: i64, count: i64, prev: &str, actor: &str) -> Vec<zc_central::activity::ActivityRow> {
    let mut prev = prev.to_string();
    (from..from + count)
        .map(|seq| {
            let metadata = format!(r#"{{"n":{seq},"note":"Pumpe läuft — ok"}}"#);
            let device_id = if seq % 2 == 0 { Some(3) } else { None };
            let content = zc_domain::activity::EntryContent {
                seq,
                at_ms: 1_780_000_000_000 + seq * 1000,
                actor,
                device_id,
                action: "alarm.acknowledge",
                resource: "alarm:7",
                metadata: &metadata,
            };
            let hash = zc_domain::activity::entry_hash(&prev, &content);
            let row = zc_central::activity::ActivityRow {
                id: uuid::Uuid::now_v7(),
                entry: zc_domain::activity::ActivityEntry {
                    seq,
                    at_ms: content.at_ms,
                    actor: actor.into(),
                    device_id,
                    action: content.action.into(),
                    resource: content.resource.into(),
                    metadata: metadata.clone(),
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                },
            };
            prev = hash;
            row
        })
        .collect()
}
