use zc_domain::{ErrorCode, ZcError};

/// Maps a database error to one actionable line. SQLite's extended codes tell a full disk or a
/// read-only file apart from a bug.
pub(crate) fn db_err(e: sqlx::Error) -> ZcError {
    if let sqlx::Error::Database(db) = &e {
        let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(-1);
        // SQLITE_IOERR_SHMSIZE: the WAL index (`-shm`) could not grow. SQLite grows it by writing
        // a byte per page, and on a full disk that write fails with ENOSPC; SQLite reports it as
        // an I/O error, not SQLITE_FULL (seen in the sync soak, reproduced with faultfs aimed at
        // the `-shm` file alone). Telling the operator "check the disk's health" would send them
        // the wrong way.
        let primary = if code == SQLITE_IOERR_SHMSIZE { 13 } else { code & 0xff };
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

const SQLITE_IOERR_SHMSIZE: i32 = 10 | (19 << 8);

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    /// What sqlx hands over for an SQLite error: its extended code and message. A stand-in,
    /// since no real SQLite here fails to grow its `-shm` file without the soak's fault library.
    #[derive(Debug)]
    struct SqliteCode(i32);

    impl std::fmt::Display for SqliteCode {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "code {}", self.0)
        }
    }
    impl std::error::Error for SqliteCode {}
    impl sqlx::error::DatabaseError for SqliteCode {
        fn message(&self) -> &str {
            "disk I/O error"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(self.0.to_string().into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    fn code_of(sqlite: i32) -> ErrorCode {
        db_err(sqlx::Error::Database(Box::new(SqliteCode(sqlite)))).code
    }

    #[test]
    fn a_wal_index_that_cannot_grow_reads_as_a_full_disk_and_other_io_errors_do_not() {
        assert_eq!(code_of(13), ErrorCode::DiskFull, "SQLITE_FULL");
        assert_eq!(code_of(4874), ErrorCode::DiskFull, "SQLITE_IOERR_SHMSIZE");
        assert_eq!(code_of(778), ErrorCode::Io, "SQLITE_IOERR_WRITE (EIO)");
        assert_eq!(code_of(1034), ErrorCode::Io, "SQLITE_IOERR_FSYNC");
        assert_eq!(code_of(10), ErrorCode::Io, "SQLITE_IOERR");
    }
}
