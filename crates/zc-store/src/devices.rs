//! This device's metadata (people who sign in are in `users.rs`).

use crate::Store;
use crate::error::db_err;
use serde::Serialize;
use sqlx::Row;
use zc_domain::ZcResult;

#[derive(Debug, Clone, Serialize, ts_rs::TS, PartialEq)]
pub struct DeviceInfo {
    pub fingerprint: String,
    pub os: String,
    pub os_version: String,
    pub hostname: String,
    pub arch: String,
    pub cpu: String,
    pub cpu_count: i64,
    pub memory_bytes: i64,
    pub app_version: String,
    pub locale: String,
    pub timezone: String,
}

impl Store {
    /// Inserts or refreshes this device's metadata; returns its id for activity entries.
    pub async fn upsert_device(&self, d: &DeviceInfo) -> ZcResult<i64> {
        let now = self.now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO devices (fingerprint, os, os_version, hostname, arch, cpu, cpu_count, memory_bytes, app_version, locale, timezone, first_seen, last_seen, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (fingerprint) DO UPDATE SET os = excluded.os, os_version = excluded.os_version, hostname = excluded.hostname, \
             arch = excluded.arch, cpu = excluded.cpu, cpu_count = excluded.cpu_count, memory_bytes = excluded.memory_bytes, \
             app_version = excluded.app_version, locale = excluded.locale, timezone = excluded.timezone, last_seen = excluded.last_seen, \
             updated_at = excluded.updated_at RETURNING id",
        )
        .bind(&d.fingerprint)
        .bind(&d.os)
        .bind(&d.os_version)
        .bind(&d.hostname)
        .bind(&d.arch)
        .bind(&d.cpu)
        .bind(d.cpu_count)
        .bind(d.memory_bytes)
        .bind(&d.app_version)
        .bind(&d.locale)
        .bind(&d.timezone)
        .bind(now)
        .bind(now)
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(id)
    }

    pub async fn device(&self, id: i64) -> ZcResult<DeviceInfo> {
        let r =
            sqlx::query("SELECT * FROM devices WHERE id = ?").bind(id).fetch_one(&self.pool).await.map_err(db_err)?;
        Ok(DeviceInfo {
            fingerprint: r.get("fingerprint"),
            os: r.get("os"),
            os_version: r.get("os_version"),
            hostname: r.get("hostname"),
            arch: r.get("arch"),
            cpu: r.get("cpu"),
            cpu_count: r.get("cpu_count"),
            memory_bytes: r.get("memory_bytes"),
            app_version: r.get("app_version"),
            locale: r.get("locale"),
            timezone: r.get("timezone"),
        })
    }
}
