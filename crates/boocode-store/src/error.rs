//! [`StoreError`]: every way a store call can fail, typed.

/// Why a store call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No row with that id.
    #[error("{what} {id} does not exist")]
    NotFound {
        /// The kind of thing (`project`, `chat`, …).
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// A value is not acceptable (too long, empty, has NUL bytes, violates a constraint).
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The row already exists or was changed by someone else.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store was closed.
    #[error("the store is closed")]
    Closed,
    /// The database cannot be reached.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The URL is not a supported database URL.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// Running migrations failed.
    #[error("migrating the database failed: {0}")]
    Migration(String),
    /// Stored data could not be read back.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolClosed => StoreError::Closed,
            sqlx::Error::RowNotFound => StoreError::NotFound {
                what: "row",
                id: String::new(),
            },
            sqlx::Error::PoolTimedOut => {
                StoreError::Unavailable("timed out waiting for a connection".into())
            }
            sqlx::Error::Io(io) => StoreError::Unavailable(io.to_string()),
            sqlx::Error::Tls(tls) => StoreError::Unavailable(tls.to_string()),
            sqlx::Error::Configuration(c) => StoreError::Unavailable(c.to_string()),
            sqlx::Error::Database(db) => {
                let message = db.message().to_owned();
                if db.is_unique_violation() {
                    StoreError::Conflict(message)
                } else if db.is_check_violation() || db.is_foreign_key_violation() {
                    StoreError::Invalid {
                        field: "value",
                        message,
                    }
                } else {
                    StoreError::Database(message)
                }
            }
            sqlx::Error::ColumnDecode { index, source } => {
                StoreError::Corrupt(format!("column {index}: {source}"))
            }
            sqlx::Error::Decode(source) => StoreError::Corrupt(source.to_string()),
            sqlx::Error::Migrate(m) => StoreError::Migration(m.to_string()),
            other => StoreError::Database(other.to_string()),
        }
    }
}

/// Checks a name or title: not longer than `max` characters, no NUL or other control characters.
pub(crate) fn check_name(
    field: &'static str,
    value: &str,
    max: usize,
    allow_empty: bool,
) -> Result<(), StoreError> {
    let invalid = |message: String| Err(StoreError::Invalid { field, message });
    if !allow_empty && value.trim().is_empty() {
        return invalid("must not be empty".into());
    }
    let count = value.chars().count();
    if count > max {
        return invalid(format!("is {count} characters long; the limit is {max}"));
    }
    if value.chars().any(|c| c.is_control()) {
        return invalid("must not contain control characters (NUL, newlines, escapes)".into());
    }
    Ok(())
}
