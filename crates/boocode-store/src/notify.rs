//! Notifications between instances sharing one Postgres database: `NOTIFY` on a channel, a
//! subscription that `LISTEN`s, and the outbox table for payloads too large for a
//! notification. With SQLite there is one instance, and nothing to notify.

use crate::db::{Backend, Store};
use crate::error::StoreError;
use sqlx::postgres::PgListener;

/// Postgres refuses notification payloads of 8000 bytes or more.
pub const MAX_NOTIFY_BYTES: usize = 7900;

/// A subscription to one notification channel.
pub struct Notifications {
    listener: PgListener,
}

impl std::fmt::Debug for Notifications {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifications").finish_non_exhaustive()
    }
}

impl Notifications {
    /// The next payload. A dropped connection is re-established by the listener; the error
    /// says so, and the caller may simply call again.
    pub async fn recv(&mut self) -> Result<String, StoreError> {
        let notification = self.listener.recv().await?;
        Ok(notification.payload().to_owned())
    }
}

impl Store {
    /// Listens on `channel`; `None` on SQLite (one instance, nobody else to hear from).
    pub async fn listen(&self, channel: &str) -> Result<Option<Notifications>, StoreError> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(None);
        };
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(channel).await?;
        Ok(Some(Notifications { listener }))
    }

    /// Sends `payload` (under [`MAX_NOTIFY_BYTES`]) to every listener of `channel`; nothing on
    /// SQLite.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), StoreError> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(());
        };
        if payload.len() > MAX_NOTIFY_BYTES {
            return Err(StoreError::Invalid {
                field: "payload",
                message: format!(
                    "{} bytes; a notification carries at most {MAX_NOTIFY_BYTES} (use the outbox)",
                    payload.len()
                ),
            });
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Keeps a large payload in the outbox; its id travels in a notification instead.
    pub async fn put_outbox(&self, payload: &str) -> Result<i64, StoreError> {
        let Backend::Postgres(pool) = &self.backend else {
            return Err(StoreError::Invalid {
                field: "outbox",
                message: "the outbox needs Postgres".into(),
            });
        };
        Ok(sqlx::query_scalar(
            "INSERT INTO broker_outbox (payload, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(payload)
        .bind(boocode_core::now_ms())
        .fetch_one(pool)
        .await?)
    }

    /// The outbox payload `id`, if still kept.
    pub async fn outbox(&self, id: i64) -> Result<Option<String>, StoreError> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(None);
        };
        Ok(
            sqlx::query_scalar("SELECT payload FROM broker_outbox WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?,
        )
    }

    /// Drops outbox payloads older than `before` (ms since the epoch); how many.
    pub async fn prune_outbox(&self, before: i64) -> Result<u64, StoreError> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(0);
        };
        Ok(
            sqlx::query("DELETE FROM broker_outbox WHERE created_at < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected(),
        )
    }
}
