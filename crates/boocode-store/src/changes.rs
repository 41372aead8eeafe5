//! The durable pending-changes queue: [`ChangeQueue`] over the `pending_changes` table.

use crate::db::{Store, with_pool};
use crate::error::{StoreError, check_name};
use crate::workspace::missing_parent;
use boocode_core::{
    ChangeQueue, ChangeQueueError, ChangeScope, ChangeState, ChatId, PendingChange, now_ms,
};
use sqlx::Row;

macro_rules! change_from_row {
    ($row:expr) => {{
        let row = &$row;
        let chat: Option<String> = row.try_get("chat_id")?;
        let mode: Option<i64> = row.try_get("mode")?;
        let chat = chat.ok_or_else(|| StoreError::Corrupt("a change without a chat".into()))?;
        PendingChange {
            id: row.try_get("id")?,
            chat_id: chat
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("chat id {chat:?}")))?,
            seq: row.try_get("seq")?,
            path: row.try_get("path")?,
            state: row
                .try_get::<String, _>("state")?
                .parse::<ChangeState>()
                .map_err(StoreError::Corrupt)?,
            base_hash: row.try_get("base_hash")?,
            base_content: row.try_get("base_content")?,
            proposed_content: row.try_get("proposed_content")?,
            mode: mode.and_then(|m| u32::try_from(m).ok()),
            diff: row.try_get("diff")?,
        }
    }};
}

impl Store {
    /// Adds a proposed change; its `id` and `seq` are assigned here.
    pub async fn add_pending_change(
        &self,
        change: &PendingChange,
    ) -> Result<PendingChange, StoreError> {
        check_name("path", &change.path, 4096, false)?;
        let mut stored = change.clone();
        stored.id = uuid::Uuid::new_v4().to_string();
        let counter = format!("chat:{}", change.chat_id);
        let now = now_ms();
        stored.seq = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // The first statement writes, so SQLite takes the write lock here (waiting on the
            // busy timeout) rather than failing a read-then-write upgrade under contention.
            let seq: i64 = sqlx::query_scalar(
                "INSERT INTO change_counters (scope, last_seq) VALUES ($1, 1) \
                 ON CONFLICT (scope) DO UPDATE SET last_seq = change_counters.last_seq + 1 \
                 RETURNING last_seq",
            )
            .bind(&counter)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO pending_changes (id, chat_id, seq, path, state, base_hash, base_content, proposed_content, mode, diff, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&stored.id)
            .bind(change.chat_id.to_string())
            .bind(seq)
            .bind(&change.path)
            .bind(change.state.as_str())
            .bind(&change.base_hash)
            .bind(&change.base_content)
            .bind(&change.proposed_content)
            .bind(change.mode.map(i64::from))
            .bind(&change.diff)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| missing_parent(e, "chat", change.chat_id.to_string()))?;
            tx.commit().await?;
            seq
        });
        Ok(stored)
    }

    /// A chat's changes, in proposal order.
    pub async fn list_pending_changes(
        &self,
        chat_id: ChatId,
    ) -> Result<Vec<PendingChange>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM pending_changes WHERE chat_id = $1 ORDER BY seq, created_at",
            )
            .bind(chat_id.to_string())
            .fetch_all(pool)
            .await?;
            rows.iter().map(|row| Ok(change_from_row!(row))).collect()
        })
    }

    /// Every change proposed by any chat of `project`, oldest chat first, each chat's in
    /// proposal order.
    pub async fn list_project_changes(
        &self,
        project: boocode_core::ProjectId,
    ) -> Result<Vec<PendingChange>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT pc.* FROM pending_changes pc \
                 JOIN chats c ON c.id = pc.chat_id \
                 JOIN sessions s ON s.id = c.session_id \
                 WHERE s.project_id = $1 ORDER BY c.created_at, c.id, pc.seq",
            )
            .bind(project.to_string())
            .fetch_all(pool)
            .await?;
            rows.iter().map(|row| Ok(change_from_row!(row))).collect()
        })
    }

    /// Moves a change from `from` to `to`; fails with a conflict if it was not in `from`.
    pub async fn set_change_state(
        &self,
        id: &str,
        from: ChangeState,
        to: ChangeState,
    ) -> Result<(), StoreError> {
        let n = with_pool!(self, pool => sqlx::query("UPDATE pending_changes SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
            .bind(to.as_str())
            .bind(now_ms())
            .bind(id)
            .bind(from.as_str())
            .execute(pool)
            .await?
            .rows_affected());
        if n == 0 {
            let exists: Option<String> = with_pool!(self, pool => sqlx::query_scalar("SELECT state FROM pending_changes WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?);
            return Err(match exists {
                None => StoreError::NotFound {
                    what: "pending change",
                    id: id.to_owned(),
                },
                Some(state) => {
                    StoreError::Conflict(format!("change {id} is {state}, not {}", from.as_str()))
                }
            });
        }
        Ok(())
    }
}

impl From<StoreError> for ChangeQueueError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { id, .. } => ChangeQueueError::NotFound(id),
            StoreError::Conflict(message) => ChangeQueueError::Conflict(message),
            StoreError::Invalid { field, message } => {
                ChangeQueueError::Invalid(format!("{field}: {message}"))
            }
            other => ChangeQueueError::Backend(other.to_string()),
        }
    }
}

#[async_trait::async_trait]
impl ChangeQueue for Store {
    async fn add(&self, change: PendingChange) -> Result<PendingChange, ChangeQueueError> {
        Ok(self.add_pending_change(&change).await?)
    }

    async fn list(&self, scope: &ChangeScope) -> Result<Vec<PendingChange>, ChangeQueueError> {
        Ok(self.list_pending_changes(scope.chat_id()).await?)
    }

    async fn set_state(
        &self,
        id: &str,
        from: ChangeState,
        to: ChangeState,
    ) -> Result<(), ChangeQueueError> {
        Ok(self.set_change_state(id, from, to).await?)
    }
}
