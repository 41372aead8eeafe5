//! [`Store`]: one API over a SQLite or Postgres pool, chosen by URL.

use crate::error::StoreError;
#[cfg(feature = "postgres")]
use sqlx::Connection;
#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
#[cfg(feature = "postgres")]
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool the store has. The body is written once and
/// compiled for both databases; SQL in it must be valid for both (`$1` placeholders are).
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::db::Backend::Sqlite($pool) => $body,
            #[cfg(feature = "postgres")]
            $crate::db::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// The session store.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) backend: Backend,
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackendKind {
    /// SQLite (a file, or memory).
    Sqlite,
    /// Postgres.
    Postgres,
}

impl BackendKind {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "sqlite",
            BackendKind::Postgres => "postgres",
        }
    }
}

/// The default database file, in the user's data directory.
pub fn default_sqlite_path() -> Option<PathBuf> {
    dirs::data_local_dir().map(|d| d.join("boocode").join("boocode.db"))
}

impl Store {
    /// Connects to `url`, or, when there is none, to the SQLite file in the user's data
    /// directory that every BooCode program shares by default ([`default_sqlite_path`]).
    pub async fn connect_or_default(url: Option<&str>) -> Result<Self, StoreError> {
        match url {
            Some(url) => Self::connect(url).await,
            None => {
                let path = default_sqlite_path().ok_or(StoreError::Invalid {
                    field: "database",
                    message: "no data directory to keep the database in; give a database URL"
                        .into(),
                })?;
                Self::connect(&format!("sqlite://{}", path.display())).await
            }
        }
    }

    /// Connects to `url` and runs the migrations. `sqlite://PATH` (created if missing),
    /// `sqlite::memory:`, or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let store = if url.starts_with("sqlite:") {
            Self::connect_sqlite(url).await?
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            {
                Self::connect_postgres(url).await?
            }
            #[cfg(not(feature = "postgres"))]
            return Err(StoreError::Unavailable(format!(
                "{}: this build has no Postgres support (the boocode-store `postgres` feature)",
                redact_url(url)
            )));
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens (creating if needed) the SQLite file at `path`.
    pub async fn open_sqlite(path: &std::path::Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Unavailable(format!("{}: {e}", parent.display())))?;
        }
        let options = SqliteConnectOptions::new().filename(path);
        let store = Self::sqlite_with(options).await?;
        store.migrate().await?;
        Ok(store)
    }

    async fn connect_sqlite(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        if let Some(parent) = options.get_filename().parent()
            && !parent.as_os_str().is_empty()
            && !url.contains(":memory:")
        {
            let _ = std::fs::create_dir_all(parent);
        }
        Self::sqlite_with(options).await
    }

    async fn sqlite_with(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let memory = options
            .get_filename()
            .to_string_lossy()
            .contains(":memory:");
        let options = options
            .create_if_missing(true)
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            // WAL + NORMAL: a committed transaction survives a process crash; only an OS crash
            // can lose the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            // One in-memory database per connection would split the data: keep one.
            .max_connections(if memory { 1 } else { 8 })
            .acquire_timeout(Duration::from_secs(15))
            .connect_with(options)
            .await?;
        Ok(Self {
            backend: Backend::Sqlite(pool),
        })
    }

    #[cfg(feature = "postgres")]
    async fn connect_postgres(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("{}: {e}", redact_url(url))))?;
        // One direct connection first: a refused or misconfigured server fails now, with its
        // reason, instead of after the pool's acquire timeout.
        let probe = tokio::time::timeout(
            Duration::from_secs(10),
            PgConnection::connect_with(&options),
        )
        .await
        .map_err(|_| {
            StoreError::Unavailable(format!("{}: timed out connecting", redact_url(url)))
        })?;
        match probe {
            Ok(conn) => {
                let _ = conn.close().await;
            }
            Err(e) => {
                let reason = match StoreError::from(e) {
                    StoreError::Unavailable(m) | StoreError::Database(m) => m,
                    other => other.to_string(),
                };
                return Err(StoreError::Unavailable(format!(
                    "{}: {reason}",
                    redact_url(url)
                )));
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(15))
            .connect_with(options)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Unavailable(m) | StoreError::Database(m) => {
                    StoreError::Unavailable(format!("{}: {m}", redact_url(url)))
                }
                other => other,
            })?;
        Ok(Self {
            backend: Backend::Postgres(pool),
        })
    }

    /// Runs the embedded migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let result = match &self.backend {
            Backend::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        };
        result.map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// A cheap liveness check (`SELECT 1`), for health endpoints.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, pool => { sqlx::query("SELECT 1").execute(pool).await?; });
        Ok(())
    }

    /// Checks the database file for corruption (SQLite `PRAGMA integrity_check`); Postgres
    /// checks itself, so this is a connectivity check there.
    pub async fn check_integrity(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let result: String = sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_one(pool)
                    .await?;
                if result == "ok" {
                    Ok(())
                } else {
                    Err(StoreError::Corrupt(result))
                }
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
                Ok(())
            }
        }
    }

    /// Which database this is.
    pub fn kind(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite(_) => BackendKind::Sqlite,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Closes every connection; later calls fail with [`StoreError::Closed`].
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

/// A URL with any password replaced, for messages and logs.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme_end + 3], &rest[at..])
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://bob:hunter2@db:5432/x"),
            "postgres://bob:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://db/x"), "postgres://db/x");
        assert_eq!(redact_url("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
    }
}
