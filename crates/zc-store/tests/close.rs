//! A clean close leaves no WAL behind, however many of the pool's connections were open: the
//! last connection to close is the one that checkpoints and deletes the WAL, and when several
//! close at once, each can see another still open and leave it.

use std::sync::Arc;
use zc_domain::{ConnectionKind, ConnectionSpec, SystemClock};
use zc_store::{Audit, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clean_close_removes_the_wal_even_with_every_connection_busy() {
    for round in 0..40 {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), Arc::new(SystemClock)).await.unwrap();
        let spec = ConnectionSpec::new("c", "http://127.0.0.1:9", ConnectionKind::Http).validate().unwrap();
        s.add_connection(&spec, &Audit { actor: "t".into(), device_id: None }).await.unwrap();
        // Use every pooled connection at once, so all are open when the close starts.
        let reads: Vec<_> = (0..8)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.list_connections().await.unwrap() })
            })
            .collect();
        for r in reads {
            r.await.unwrap();
        }
        s.close().await;
        assert!(!dir.path().join("zeroclient.db-wal").exists(), "round {round}: the WAL was left behind");
    }
}
