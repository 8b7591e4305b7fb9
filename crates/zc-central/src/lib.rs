//! The central store: a PostgreSQL (Supabase-compatible) schema with row-level security that
//! every console pushes to and pulls from, and the console's side of that conversation.
//! Nothing here knows of SQLite; `zc-app` moves rows between the two.

pub mod activity;
pub mod cluster;
pub mod provision;
pub mod schema;
