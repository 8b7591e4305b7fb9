use zc_domain::{ErrorCode, ZcError};

/// Maps a database error to one actionable line. SQLite's extended codes tell a full disk or a
/// read-only file apart from a bug.
pub(crate) fn db_err(e: sqlx::Error) -> ZcError {
    if let sqlx::Error::Database(db) = &e {
        let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
        let primary = code.parse::<i32>().map(|c| c & 0xff).unwrap_or(-1);
        return match primary {
            13 => ZcError::new(
                ErrorCode::DiskFull,
                "the disk holding the data directory is full; nothing was written. Free some space (or run `zc maintenance`) and retry",
            ),
            10 => ZcError::new(
                ErrorCode::Io,
                format!(
                    "the disk reported an I/O error on the database ({}); nothing was written. Check the disk (its health and free space) and retry",
                    db.message()
                ),
            ),
            5 | 6 => ZcError::new(
                ErrorCode::Database,
                "the database stayed locked by another zc process for 10 s; retry, or stop the other process",
            ),
            8 => ZcError::new(
                ErrorCode::DataDir,
                "the database file is read-only; fix the permissions of the data directory or choose another with --data-dir",
            ),
            11 | 26 => ZcError::new(
                ErrorCode::Database,
                "the database file is damaged or not a ZeroClient database; run `zc doctor` and restore it from a backup",
            ),
            _ => ZcError::new(ErrorCode::Database, format!("database error: {}", db.message())),
        };
    }
    ZcError::new(ErrorCode::Database, format!("database error: {e}"))
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
