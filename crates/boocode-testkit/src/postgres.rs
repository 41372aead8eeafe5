//! A fresh Postgres database per test.
//!
//! The server comes from `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//! When it cannot be reached the test is skipped with a loud message — unless `CI` is set, in
//! which case it fails: CI must never silently skip the Postgres tests.

use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The default server, as the development machines run it.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database created for one test and dropped (forcibly) when this is dropped.
#[derive(Debug)]
pub struct PgTestDb {
    admin_url: String,
    name: String,
    url: String,
}

fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
}

/// The URL of `database` on the same server as `url`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map(|i| scheme_end + i);
    let root = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{database}?{q}"),
        None => format!("{root}/{database}"),
    }
}

impl PgTestDb {
    /// Creates a fresh database. Returns `None` (after printing why) when Postgres is not
    /// reachable and `CI` is not set; panics when it is not reachable under CI.
    #[allow(clippy::print_stderr)]
    pub async fn create() -> Option<Self> {
        let admin_url = admin_url();
        let mut admin = match PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) => {
                let message = format!(
                    "Postgres at DATABASE_URL ({}) is not reachable: {e}",
                    admin_url.split('@').next_back().unwrap_or("?")
                );
                if std::env::var_os("CI").is_some() {
                    panic!("{message}; CI requires the Postgres tests to run");
                }
                // Test output is the only place a skip can be seen; it must not be silent.
                eprintln!(
                    "SKIPPED (Postgres): {message}. Start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` or set DATABASE_URL."
                );
                return None;
            }
        };
        let name = format!("boocode_t_{}", uuid::Uuid::new_v4().simple());
        if let Err(e) = sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
        {
            panic!("cannot create the test database {name}: {e}");
        }
        let _ = admin.close().await;
        let url = with_database(&admin_url, &name);
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    /// The test database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's URL with the admin database (for a second database or raw SQL).
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // A separate thread with its own runtime: this may run inside a test's runtime.
        let dropper = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_swap_only_the_database() {
        assert_eq!(
            with_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h:5432/test?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
