//! Errors carry a stable machine code plus a one-line human message that says what was wrong
//! and what to do. The frontend and `--format json` receive `{code, message}`.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    InvalidUrl,
    InvalidName,
    InvalidMetadata,
    InvalidKey,
    DuplicateName,
    NotFound,
    KeyringUnavailable,
    KeyMissing,
    DataDir,
    Database,
    DiskFull,
    Backend,
    Io,
    LogTampered,
    /// The database file is damaged or belongs to another program.
    DatabaseDamaged,
    /// Another monitor already watches this data directory.
    MonitorRunning,
    /// A monitor run lost or dropped data (counted and reported, never silent).
    DataLoss,
    /// The user stopped a long operation; nothing of it was kept.
    Cancelled,
    /// The signed-in person's role does not allow the command.
    Forbidden,
    /// Nobody is signed in (or the session expired or was ended).
    SignedOut,
    /// A sign-in was refused: wrong username or password, too soon after a failure, locked or
    /// disabled (the message says which, never which part of the pair was wrong).
    SignInRefused,
    /// A new password does not meet the rules.
    WeakPassword,
    /// A widget's configuration does not match its kind's schema (`field` names the setting).
    InvalidWidgetConfig,
    /// The thing edited changed since the edit began (someone else saved first): nothing was
    /// written; read it again and reapply.
    EditConflict,
    /// A configuration document (import) with problems; nothing of it was written.
    InvalidDocument,
    /// This build has no update server (it was not made with the release configuration).
    UpdatesNotConfigured,
    /// This console is not connected to a central store (`zc central connect`).
    NotConnected,
    /// The central store could not be reached; nothing was changed.
    CentralUnreachable,
    /// The central store refused this console's login, or it is not a console there.
    CentralRefused,
    /// Removing a connection would delete history the central store does not have yet; nothing
    /// was removed.
    UnpushedHistory,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::InvalidUrl => "invalid_url",
            ErrorCode::InvalidName => "invalid_name",
            ErrorCode::InvalidMetadata => "invalid_metadata",
            ErrorCode::InvalidKey => "invalid_key",
            ErrorCode::DuplicateName => "duplicate_name",
            ErrorCode::NotFound => "not_found",
            ErrorCode::KeyringUnavailable => "keyring_unavailable",
            ErrorCode::KeyMissing => "key_missing",
            ErrorCode::DataDir => "data_dir",
            ErrorCode::Database => "database",
            ErrorCode::DiskFull => "disk_full",
            ErrorCode::Backend => "backend",
            ErrorCode::Io => "io",
            ErrorCode::LogTampered => "log_tampered",
            ErrorCode::DatabaseDamaged => "database_damaged",
            ErrorCode::MonitorRunning => "monitor_running",
            ErrorCode::DataLoss => "data_loss",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::SignedOut => "signed_out",
            ErrorCode::SignInRefused => "sign_in_refused",
            ErrorCode::WeakPassword => "weak_password",
            ErrorCode::InvalidWidgetConfig => "invalid_widget_config",
            ErrorCode::EditConflict => "edit_conflict",
            ErrorCode::InvalidDocument => "invalid_document",
            ErrorCode::UpdatesNotConfigured => "updates_not_configured",
            ErrorCode::NotConnected => "not_connected",
            ErrorCode::CentralUnreachable => "central_unreachable",
            ErrorCode::CentralRefused => "central_refused",
            ErrorCode::UnpushedHistory => "unpushed_history",
            ErrorCode::Internal => "internal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ZcError {
    pub code: ErrorCode,
    pub message: String,
    /// The input field the error is about (e.g. `config.max`), so an editor shows it there.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

pub type ZcResult<T> = Result<T, ZcError>;

impl ZcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        // One line, always: scripts parse stderr line by line.
        let message = message.into().replace(['\n', '\r'], " ");
        Self { code, message, field: None }
    }
    pub fn at_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }
    pub fn not_found(what: &str, name: &str) -> Self {
        Self::new(
            ErrorCode::NotFound,
            format!("no {what} named '{name}'; `zc connection list` shows the names that exist"),
        )
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl fmt::Display for ZcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ZcError {}
