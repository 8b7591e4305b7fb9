//! The activity (audit) log: append-only, hash-chained, with metadata redacted before it is
//! written. Each entry's hash covers the previous entry's hash and every field, so editing or
//! deleting a row breaks the chain at that row.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Hash that the first entry chains from.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ActivityEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub device_id: Option<i64>,
    pub action: String,
    pub resource: String,
    /// Redacted JSON object.
    pub metadata: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What an entry's hash covers besides the previous hash.
#[derive(Debug, Clone, Copy)]
pub struct EntryContent<'a> {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub device_id: Option<i64>,
    pub action: &'a str,
    pub resource: &'a str,
    pub metadata: &'a str,
}

impl ActivityEntry {
    pub fn content(&self) -> EntryContent<'_> {
        EntryContent {
            seq: self.seq,
            at_ms: self.at_ms,
            actor: &self.actor,
            device_id: self.device_id,
            action: &self.action,
            resource: &self.resource,
            metadata: &self.metadata,
        }
    }
}

pub fn entry_hash(prev_hash: &str, e: &EntryContent<'_>) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields so no two different entries serialise the same.
    for part in [
        prev_hash,
        &e.seq.to_string(),
        &e.at_ms.to_string(),
        e.actor,
        &e.device_id.map(|d| d.to_string()).unwrap_or_default(),
        e.action,
        e.resource,
        e.metadata,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Whether a JSON field name names a secret: any of its words (split on `_`, `-`, `.` and
/// camelCase) is one of these. `api_key`, `X-Api-Key` and `apiKey` match; `keyword` does not.
pub fn is_secret_key(name: &str) -> bool {
    const WORDS: [&str; 11] = [
        "key",
        "apikey",
        "secret",
        "token",
        "password",
        "passwd",
        "pwd",
        "authorization",
        "credential",
        "credentials",
        "bearer",
    ];
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        let boundary = matches!(c, '_' | '-' | '.' | ' ') || (c.is_ascii_uppercase() && prev_lower);
        if boundary && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        if c.is_ascii_alphanumeric() {
            cur.push(c.to_ascii_lowercase());
        }
    }
    words.push(cur);
    words.iter().any(|w| WORDS.contains(&w.as_str()))
}

/// Replaces the values of secret-looking keys with `"<redacted>"`.
pub fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_key(k) && !v.is_boolean() {
                    *v = serde_json::Value::String("<redacted>".into());
                } else {
                    redact(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Result of checking the chain.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct VerifyReport {
    pub entries_checked: i64,
    pub first_bad_seq: Option<i64>,
    pub problem: Option<String>,
}

/// Checks entries (ordered by seq) that start after an anchor (the last pruned entry).
pub fn verify_chain(
    anchor_seq: i64,
    anchor_hash: &str,
    head_seq: Option<i64>,
    entries: &[ActivityEntry],
) -> VerifyReport {
    let (mut prev_seq, mut prev_hash) = (anchor_seq, anchor_hash.to_owned());
    let bad = |seq: i64, n: i64, why: String| VerifyReport {
        entries_checked: n,
        first_bad_seq: Some(seq),
        problem: Some(why),
    };
    for (i, e) in entries.iter().enumerate() {
        let n = i as i64;
        if e.seq != prev_seq + 1 {
            return bad(
                prev_seq + 1,
                n,
                format!("entry {} is missing (deleted); the next entry is {}", prev_seq + 1, e.seq),
            );
        }
        if e.prev_hash != prev_hash {
            return bad(e.seq, n, format!("entry {} does not chain to entry {}", e.seq, prev_seq));
        }
        let expect = entry_hash(&e.prev_hash, &e.content());
        if expect != e.hash {
            return bad(e.seq, n, format!("entry {} was modified: its content does not match its hash", e.seq));
        }
        prev_seq = e.seq;
        prev_hash = e.hash.clone();
    }
    if let Some(head) = head_seq
        && head > prev_seq
    {
        return bad(
            prev_seq + 1,
            entries.len() as i64,
            format!("entries {} to {head} are missing (deleted from the end)", prev_seq + 1),
        );
    }
    VerifyReport { entries_checked: entries.len() as i64, first_bad_seq: None, problem: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<ActivityEntry> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let content = EntryContent {
                    seq,
                    at_ms: seq * 10,
                    actor: "op",
                    device_id: Some(1),
                    action: "connection.add",
                    resource: "c",
                    metadata: "{}",
                };
                let hash = entry_hash(&prev, &content);
                let e = ActivityEntry {
                    seq,
                    at_ms: seq * 10,
                    actor: "op".into(),
                    device_id: Some(1),
                    action: "connection.add".into(),
                    resource: "c".into(),
                    metadata: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn detects_edit_delete_and_truncation() {
        let mut c = chain(5);
        assert_eq!(verify_chain(0, GENESIS_HASH, Some(5), &c).first_bad_seq, None);
        c[2].actor = "mallory".into();
        assert_eq!(verify_chain(0, GENESIS_HASH, Some(5), &c).first_bad_seq, Some(3));
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify_chain(0, GENESIS_HASH, Some(5), &c).first_bad_seq, Some(2));
        let c = chain(5);
        assert_eq!(verify_chain(0, GENESIS_HASH, Some(5), &c[..4]).first_bad_seq, Some(5));
    }

    #[test]
    fn redacts_nested_secrets() {
        let mut v = serde_json::json!({"api_key": "s3cret", "site": "n", "nested": {"Password": "p"}, "has_key": true, "expect_keyword": "up", "apiKey": "s3cret"});
        redact(&mut v);
        let s = v.to_string();
        assert!(!s.contains("s3cret") && !s.contains("\"p\""));
        assert!(s.contains("\"site\":\"n\"") && s.contains("\"has_key\":true") && s.contains("\"up\""));
    }
}
