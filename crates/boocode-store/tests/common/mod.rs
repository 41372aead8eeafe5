//! Every store test runs on SQLite (a real file) and on Postgres (a fresh database).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub,
    dead_code
)]

use boocode_store::Store;
use boocode_testkit::PgTestDb;

/// A store and what keeps it alive.
pub struct Backend {
    pub name: &'static str,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<PgTestDb>,
}

pub async fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("boocode.db").display());
    Backend {
        name: "sqlite",
        store: Store::connect(&url).await.unwrap(),
        _dir: Some(dir),
        _pg: None,
    }
}

pub async fn postgres() -> Option<Backend> {
    let db = PgTestDb::create().await?;
    let store = Store::connect(db.url()).await.unwrap();
    Some(Backend {
        name: "postgres",
        store,
        _dir: None,
        _pg: Some(db),
    })
}

/// SQLite, and Postgres when reachable (always under CI).
pub async fn backends() -> Vec<Backend> {
    let mut all = vec![sqlite().await];
    all.extend(postgres().await);
    all
}
