//! Secrets that cannot be printed. `Sensitive<T>` has no `Display`, a redacting `Debug` and no
//! `Serialize`, so a key can reach a log line, an error or an export only through an explicit
//! `expose()` call, and those calls are few and reviewed (keyring write, HTTP header).

use crate::error::{ErrorCode, ZcError, ZcResult};
use std::fmt;

pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    /// The only way to the value. Grep for `expose(` to audit every use.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

impl<T: Clone> Clone for Sensitive<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

/// An API key for a backend connection.
pub type ApiKey = Sensitive<String>;

/// Longest key we accept; real station keys are far shorter, and a longer value is almost
/// certainly a pasted file.
pub const MAX_KEY_BYTES: usize = 4096;

/// Validates a key read from stdin or a prompt. Trailing newlines are stripped (from `echo`);
/// anything else that cannot travel in an HTTP header is refused. Errors never echo the key.
pub fn parse_api_key(raw: String) -> ZcResult<ApiKey> {
    let trimmed = raw.trim_end_matches(['\n', '\r']);
    if trimmed.trim().is_empty() {
        return Err(ZcError::new(
            ErrorCode::InvalidKey,
            "the key is empty; pipe it on stdin (e.g. `secret-tool lookup … | zc key set NAME`) or type it at the prompt",
        ));
    }
    if trimmed.len() > MAX_KEY_BYTES {
        return Err(ZcError::new(
            ErrorCode::InvalidKey,
            format!(
                "the key is {} bytes, more than the {MAX_KEY_BYTES} allowed; check that you piped the key and not a file",
                trimmed.len()
            ),
        ));
    }
    if trimmed.bytes().any(|b| b.is_ascii_control() || b >= 0x80) {
        return Err(ZcError::new(
            ErrorCode::InvalidKey,
            "the key contains control or non-ASCII characters, which cannot be sent in an HTTP header; check what was piped",
        ));
    }
    Ok(Sensitive::new(trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let key = Sensitive::new("canary-123".to_string());
        assert!(!format!("{key:?}").contains("canary"));
        let err = parse_api_key("x".repeat(MAX_KEY_BYTES + 1)).unwrap_err();
        assert!(!err.message.contains("xxxx"));
    }

    #[test]
    fn keys_are_validated() {
        assert_eq!(parse_api_key("abc\n".into()).unwrap().expose(), "abc");
        assert_eq!(parse_api_key("  \n".into()).unwrap_err().code, ErrorCode::InvalidKey);
        assert_eq!(parse_api_key("a\tb".into()).unwrap_err().code, ErrorCode::InvalidKey);
    }
}
