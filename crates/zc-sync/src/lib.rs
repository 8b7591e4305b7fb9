//! Central sync: the console's side of store-and-forward. Each stream is pushed in order, in
//! batches, idempotently (the centre ignores what it has); a transient failure waits with
//! exponential backoff and jitter, a refusal of a row is quarantined for a person to see.
//! `zc-app` runs it; nothing here knows of terminals or windows.

pub mod activity;
pub mod failure;
