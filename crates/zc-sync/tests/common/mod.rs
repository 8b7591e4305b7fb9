//! What both test files start from: a throwaway PostgreSQL centre, migrated, with one
//! organisation, one site and one provisioned console, and that console's own pool.

// Each test file uses part of it.
#![allow(dead_code)]

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use zc_central::cluster::Cluster;
use zc_central::provision;

pub struct Centre {
    pub cluster: Cluster,
    /// The schema owner's pool, to look at what arrived.
    pub admin: PgPool,
    /// The console's own login, as it pushes.
    pub console: PgPool,
    pub console_id: uuid::Uuid,
    pub login: String,
    pub url: String,
    pub organisation: uuid::Uuid,
    pub site: uuid::Uuid,
}

pub async fn centre() -> Centre {
    let cluster = Cluster::start().expect("throwaway PostgreSQL");
    let postgres = PgPool::connect(&cluster.superuser_url("postgres")).await.unwrap();
    sqlx::query("CREATE DATABASE zc").execute(&postgres).await.unwrap();
    postgres.close().await;
    let admin = PgPoolOptions::new().max_connections(2).connect(&cluster.superuser_url("zc")).await.unwrap();
    zc_central::schema::migrate(&admin).await.unwrap();
    let organisation = provision::create_organisation(&admin, "North").await.unwrap();
    let site = provision::create_site(&admin, organisation, "North plant").await.unwrap();
    let made = provision::provision_console(&admin, site, "control room 1").await.unwrap();
    let url = format!("postgres://127.0.0.1:{}/zc", cluster.port());
    let console = zc_central::console_pool(&url, &made.login, &made.password).unwrap();
    Centre { cluster, admin, console, console_id: made.console_id, login: made.login, url, organisation, site }
}

impl Centre {
    /// Links `store` to this centre as its console, as `zc central connect` does.
    pub async fn link(&self, store: &zc_store::Store, audit: &zc_store::Audit, at: i64) {
        let link = zc_store::CentralLink {
            url: self.url.clone(),
            login: self.login.clone(),
            console_id: self.console_id.to_string(),
            organisation_id: self.organisation.to_string(),
            site_id: self.site.to_string(),
            connected_at: at,
        };
        store.set_central_link(&link, audit, serde_json::json!({})).await.unwrap();
    }
}

impl Centre {
    /// Another console of the same site, as its own login: what it pushes is "the centre moved
    /// on" for the first.
    pub async fn other_console(&self, name: &str) -> (PgPool, uuid::Uuid) {
        let made = provision::provision_console(&self.admin, self.site, name).await.unwrap();
        (zc_central::console_pool(&self.url, &made.login, &made.password).unwrap(), made.console_id)
    }
}

impl Centre {
    /// Another console of the site, with its own SQLite store linked as `zc central connect`
    /// links it: two real consoles, one centre.
    pub async fn second_console(
        &self,
        name: &str,
        store: &zc_store::Store,
        audit: &zc_store::Audit,
        at: i64,
    ) -> Console {
        let made = provision::provision_console(&self.admin, self.site, name).await.unwrap();
        let link = zc_store::CentralLink {
            url: self.url.clone(),
            login: made.login.clone(),
            console_id: made.console_id.to_string(),
            organisation_id: self.organisation.to_string(),
            site_id: self.site.to_string(),
            connected_at: at,
        };
        store.set_central_link(&link, audit, serde_json::json!({})).await.unwrap();
        Console {
            pool: zc_central::console_pool(&self.url, &made.login, &made.password).unwrap(),
            id: made.console_id,
            login: made.login,
        }
    }
}

/// A console's own way into the centre.
pub struct Console {
    pub pool: PgPool,
    pub id: uuid::Uuid,
    pub login: String,
}

/// What one probe of `connection` measures at `at`: its metric and one point sample, as the
/// monitor writes them.
pub fn probe_rows(
    connection: i64,
    at: i64,
    value: f64,
) -> (zc_domain::probe::RequestMetric, zc_domain::point::PointBatch) {
    use zc_domain::point::{PointBatch, PointSample, Quality};
    let metric = zc_domain::probe::RequestMetric {
        connection_id: connection,
        at_ms: at,
        latency_us: 1500 + (at % 1000),
        http_status: Some(200),
        request_bytes: 120,
        response_bytes: 900,
        outcome: zc_domain::probe::Outcome::Ok,
    };
    let samples: std::sync::Arc<[PointSample]> = std::sync::Arc::from(vec![PointSample {
        point: "pressure-1".into(),
        value,
        unit: "bar".into(),
        quality: Quality::Good,
        source_at: Some(at - 5),
    }]);
    (metric, PointBatch { connection_id: connection, received_at: at, samples })
}
