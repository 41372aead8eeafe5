//! Messages sent while a chat's turn runs: they wait in `queued_messages` and run as the chat's
//! next turns, oldest first.

use crate::db::{Store, with_pool};
use crate::error::StoreError;
use crate::workspace::missing_parent;
use boocode_core::{ChatId, QueuedMessage, now_ms};
use sqlx::Row;

macro_rules! queued_from_row {
    ($row:expr) => {{
        let row = &$row;
        let chat: String = row.try_get("chat_id")?;
        QueuedMessage {
            id: row.try_get("id")?,
            chat_id: chat
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("chat id {chat:?}")))?,
            text: row.try_get("text")?,
            created_at: row.try_get("created_at")?,
        }
    }};
}

impl Store {
    /// Queues `text` behind the chat's running turn.
    pub async fn queue_message(
        &self,
        chat_id: ChatId,
        text: &str,
    ) -> Result<QueuedMessage, StoreError> {
        if text.contains('\0') {
            return Err(StoreError::Invalid {
                field: "text",
                message: "contains a NUL character".into(),
            });
        }
        let queued = QueuedMessage {
            id: format!("q_{}", uuid::Uuid::new_v4().simple()),
            chat_id,
            text: text.to_owned(),
            created_at: now_ms(),
        };
        let result = with_pool!(self, pool => sqlx::query(
            "INSERT INTO queued_messages (id, chat_id, text, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&queued.id)
        .bind(chat_id.to_string())
        .bind(&queued.text)
        .bind(queued.created_at)
        .execute(pool)
        .await
        .map(|_| ()));
        result.map_err(|e| missing_parent(e, "chat", chat_id.to_string()))?;
        Ok(queued)
    }

    /// What waits in a chat, oldest first.
    pub async fn queued_messages(&self, chat_id: ChatId) -> Result<Vec<QueuedMessage>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, chat_id, text, created_at FROM queued_messages WHERE chat_id = $1 ORDER BY position",
            )
            .bind(chat_id.to_string())
            .fetch_all(pool)
            .await?;
            rows.iter().map(|row| Ok(queued_from_row!(row))).collect()
        })
    }

    /// Removes the chat's oldest queued message and returns it (one taker wins).
    pub async fn take_queued_message(
        &self,
        chat_id: ChatId,
    ) -> Result<Option<QueuedMessage>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "DELETE FROM queued_messages WHERE position = \
                 (SELECT position FROM queued_messages WHERE chat_id = $1 ORDER BY position LIMIT 1) \
                 RETURNING id, chat_id, text, created_at",
            )
            .bind(chat_id.to_string())
            .fetch_optional(pool)
            .await?;
            match row {
                Some(row) => Ok(Some(queued_from_row!(row))),
                None => Ok(None),
            }
        })
    }

    /// Cancels a queued message; false when it is not (or no longer) waiting.
    pub async fn cancel_queued_message(
        &self,
        chat_id: ChatId,
        id: &str,
    ) -> Result<bool, StoreError> {
        let n = with_pool!(self, pool => sqlx::query("DELETE FROM queued_messages WHERE chat_id = $1 AND id = $2")
            .bind(chat_id.to_string())
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n > 0)
    }

    /// Removes everything waiting in a chat; returns how many went.
    pub async fn clear_queue(&self, chat_id: ChatId) -> Result<u64, StoreError> {
        Ok(
            with_pool!(self, pool => sqlx::query("DELETE FROM queued_messages WHERE chat_id = $1")
            .bind(chat_id.to_string())
            .execute(pool)
            .await?
            .rows_affected()),
        )
    }

    /// The chats with messages waiting, for resuming queues after a restart.
    pub async fn chats_with_queued_messages(&self) -> Result<Vec<ChatId>, StoreError> {
        let ids: Vec<String> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT DISTINCT chat_id FROM queued_messages",
        )
        .fetch_all(pool)
        .await?);
        ids.iter()
            .map(|c| {
                c.parse()
                    .map_err(|_| StoreError::Corrupt(format!("chat id {c:?}")))
            })
            .collect()
    }
}
