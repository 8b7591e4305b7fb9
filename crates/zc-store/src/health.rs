//! Health checks: integrity, per-table sizes, WAL checkpoints.

use crate::Store;
use crate::error::db_err;
use serde::Serialize;
use zc_domain::ZcResult;

#[derive(Debug, Clone, Serialize)]
pub struct TableStats {
    pub table: String,
    pub rows: i64,
    pub bytes: i64,
}

impl Store {
    /// `PRAGMA integrity_check`: `ok` or the first problems found.
    pub async fn integrity_check(&self) -> ZcResult<String> {
        let rows: Vec<String> =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&self.pool).await.map_err(db_err)?;
        Ok(rows.join("; "))
    }

    /// Rows and bytes on disk (table plus its indexes) per table, from the dbstat table.
    pub async fn table_stats(&self) -> ZcResult<Vec<TableStats>> {
        // Every table the schema has, including ones added by later migrations.
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let mut out = Vec::new();
        for t in tables {
            let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{t}\"")))
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
            let bytes: i64 = sqlx::query_scalar(
                "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = ?1 OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1)",
            )
            .bind(&t)
            .fetch_one(&self.pool)
            .await
            .unwrap_or(-1);
            out.push(TableStats { table: t, rows, bytes });
        }
        Ok(out)
    }

    /// Copies WAL content into the main file and empties the WAL. Returns false when another
    /// connection (another process) was reading, so the WAL could not be emptied now.
    pub async fn checkpoint(&self) -> ZcResult<bool> {
        let (busy, _, _): (i64, i64, i64) =
            sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await.map_err(db_err)?;
        Ok(busy == 0)
    }
}
