//! The permission inbox: prompts of agents' turns in `permission_requests`, so every instance
//! lists the same waiting prompts and a prompt whose turn is gone is closed as expired.

use crate::db::{Store, with_pool};
use crate::error::{StoreError, check_name};
use crate::workspace::missing_parent;
use boocode_core::protocol::{InboxItem, InboxState};
use boocode_core::{PermissionDecision, now_ms};
use sqlx::Row;

const COLUMNS: &str = "id, chat_id, session_id, provider, tool, summary, state, decision, asked_at";

macro_rules! item_from_row {
    ($row:expr) => {{
        let row = &$row;
        let chat: String = row.try_get("chat_id")?;
        let session: String = row.try_get("session_id")?;
        let decision: Option<String> = row.try_get("decision")?;
        InboxItem {
            request_id: row.try_get("id")?,
            chat_id: chat
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("chat id {chat:?}")))?,
            session_id: session
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("session id {session:?}")))?,
            provider: row.try_get("provider")?,
            tool: row.try_get("tool")?,
            summary: row.try_get("summary")?,
            asked_at: row.try_get("asked_at")?,
            state: row
                .try_get::<String, _>("state")?
                .parse()
                .map_err(StoreError::Corrupt)?,
            decision: decision
                .map(|d| d.parse::<PermissionDecision>())
                .transpose()
                .map_err(StoreError::Corrupt)?,
        }
    }};
}

impl Store {
    /// Records a prompt in its state (waiting, or already answered when the answer came
    /// before the record). Recording the same request id again changes nothing.
    pub async fn add_permission_request(&self, item: &InboxItem) -> Result<(), StoreError> {
        check_name("request_id", &item.request_id, 200, false)?;
        for (field, value) in [
            ("provider", &item.provider),
            ("tool", &item.tool),
            ("summary", &item.summary),
        ] {
            if value.contains('\0') || value.len() > 64 * 1024 {
                return Err(StoreError::Invalid {
                    field,
                    message: "holds a NUL character or is over 64 KiB".into(),
                });
            }
        }
        let result = with_pool!(self, pool => sqlx::query(
            "INSERT INTO permission_requests (id, chat_id, session_id, provider, tool, summary, state, decision, asked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&item.request_id)
        .bind(item.chat_id.to_string())
        .bind(item.session_id.to_string())
        .bind(&item.provider)
        .bind(&item.tool)
        .bind(&item.summary)
        .bind(item.state.as_str())
        .bind(item.decision.map(PermissionDecision::as_str))
        .bind(item.asked_at)
        .execute(pool)
        .await
        .map(|_| ()));
        result.map_err(|e| missing_parent(e, "chat", item.chat_id.to_string()))
    }

    /// Marks a waiting prompt answered with `decision`; `false` when it was not waiting.
    pub async fn answer_permission_request(
        &self,
        id: &str,
        decision: PermissionDecision,
    ) -> Result<bool, StoreError> {
        let n = with_pool!(self, pool => sqlx::query(
            "UPDATE permission_requests SET state = 'answered', decision = $1, resolved_at = $2 \
             WHERE id = $3 AND state = 'waiting'",
        )
        .bind(decision.as_str())
        .bind(now_ms())
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n > 0)
    }

    /// The prompt `id`, in whatever state.
    pub async fn permission_request(&self, id: &str) -> Result<Option<InboxItem>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query(&format!("SELECT {COLUMNS} FROM permission_requests WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.map(|row| Ok(item_from_row!(row))).transpose()
        })
    }

    /// Prompts in `state` (all when `None`), oldest first; at most `limit`.
    pub async fn permission_requests(
        &self,
        state: Option<InboxState>,
        limit: u32,
    ) -> Result<Vec<InboxItem>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM permission_requests WHERE ($1 IS NULL OR state = $1) \
                 ORDER BY asked_at, id LIMIT $2"
            ))
            .bind(state.map(InboxState::as_str))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
            rows.iter().map(|row| Ok(item_from_row!(row))).collect()
        })
    }

    /// How many prompts wait.
    pub async fn waiting_permission_count(&self) -> Result<u64, StoreError> {
        let n: i64 = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM permission_requests WHERE state = 'waiting'",
        )
        .fetch_one(pool)
        .await?);
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Closes as expired every waiting prompt whose chat has no turn streaming (on any
    /// instance): the agent that asked is gone. Returns them.
    pub async fn expire_orphan_permission_requests(&self) -> Result<Vec<InboxItem>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(&format!(
                "UPDATE permission_requests SET state = 'expired', resolved_at = $1 \
                 WHERE state = 'waiting' AND NOT EXISTS \
                 (SELECT 1 FROM messages m WHERE m.chat_id = permission_requests.chat_id AND m.status = 'streaming') \
                 RETURNING {COLUMNS}"
            ))
            .bind(now_ms())
            .fetch_all(pool)
            .await?;
            rows.iter().map(|row| Ok(item_from_row!(row))).collect()
        })
    }

    /// Closes as expired the waiting prompts of one chat (its turn ended without an answer).
    pub async fn expire_chat_permission_requests(
        &self,
        chat_id: boocode_core::ChatId,
    ) -> Result<u64, StoreError> {
        let n = with_pool!(self, pool => sqlx::query(
            "UPDATE permission_requests SET state = 'expired', resolved_at = $1 \
             WHERE chat_id = $2 AND state = 'waiting'",
        )
        .bind(now_ms())
        .bind(chat_id.to_string())
        .execute(pool)
        .await?
        .rows_affected());
        Ok(n)
    }
}
