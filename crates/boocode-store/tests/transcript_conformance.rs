//! The SessionStore conformance suite against the in-memory, SQLite and Postgres stores.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_store::conformance::{self, Fresh};
use boocode_store::{MemoryTranscriptStore, TranscriptStore};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_store_conforms() {
    conformance::run(|| async {
        let store: Arc<dyn TranscriptStore> = Arc::new(MemoryTranscriptStore::new());
        (store, Box::new(()) as Box<dyn std::any::Any + Send>)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_conforms() {
    conformance::run(|| async {
        let backend = common::sqlite().await;
        let store: Arc<dyn TranscriptStore> = Arc::new(backend.store.clone());
        (store, Box::new(backend) as Box<dyn std::any::Any + Send>)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_conforms() {
    if common::postgres().await.is_none() {
        return;
    }
    conformance::run(|| async {
        let backend = common::postgres().await.unwrap();
        let store: Arc<dyn TranscriptStore> = Arc::new(backend.store.clone());
        (store, Box::new(backend) as Box<dyn std::any::Any + Send>) as Fresh
    })
    .await;
}
