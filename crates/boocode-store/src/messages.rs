//! Messages and their parts: append, update a streaming message in place, finalize, page
//! through a chat, and sweep rows left streaming by a crash.

use crate::db::{Store, with_pool};
use crate::error::StoreError;
use crate::workspace::missing_parent;
use boocode_core::{
    ChatId, Message, MessageId, MessageKind, MessageStatus, Part, Role, Usage, now_ms,
};
use std::collections::BTreeSet;
use std::sync::LazyLock;
use std::time::Duration;

/// How long a streaming row may go without an update before the sweep fails it.
pub const STALE_STREAMING_AFTER: Duration = Duration::from_secs(5 * 60);
/// Largest page of messages one call returns.
pub const MAX_PAGE: usize = 500;

/// One page of a chat, oldest message first.
#[derive(Debug, Clone, PartialEq)]
pub struct MessagePage {
    /// The messages, in chat order.
    pub messages: Vec<Message>,
    /// Pass as `before` to get the page before this one.
    pub cursor: Option<i64>,
    /// Whether older messages exist.
    pub has_more: bool,
}

fn role_from(s: &str) -> Result<Role, StoreError> {
    Ok(match s {
        "system" => Role::System,
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "tool" => Role::Tool,
        other => return Err(StoreError::Corrupt(format!("unknown role {other:?}"))),
    })
}

fn status_from(s: &str) -> Result<MessageStatus, StoreError> {
    Ok(match s {
        "streaming" => MessageStatus::Streaming,
        "complete" => MessageStatus::Complete,
        "failed" => MessageStatus::Failed,
        "cancelled" => MessageStatus::Cancelled,
        other => return Err(StoreError::Corrupt(format!("unknown status {other:?}"))),
    })
}

pub(crate) fn kind_str(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Regular => "regular",
        MessageKind::Sentinel => "sentinel",
        MessageKind::Summary => "summary",
    }
}

fn kind_from(s: &str) -> Result<MessageKind, StoreError> {
    Ok(match s {
        "regular" => MessageKind::Regular,
        "sentinel" => MessageKind::Sentinel,
        "summary" => MessageKind::Summary,
        other => {
            return Err(StoreError::Corrupt(format!(
                "unknown message kind {other:?}"
            )));
        }
    })
}

fn part_kind(part: &Part) -> &'static str {
    match part {
        Part::Text { .. } => "text",
        Part::Reasoning { .. } => "reasoning",
        Part::ToolCall { .. } => "tool_call",
        Part::ToolResult { .. } => "tool_result",
        Part::Permission { .. } => "permission",
        Part::Notice { .. } => "notice",
        Part::Plan { .. } => "plan",
        Part::Terminal { .. } => "terminal",
    }
}

/// Parts are stored as JSON text (never JSONB: Postgres JSONB refuses `\u0000`, and tool output
/// may contain NUL bytes).
fn encode_part(part: &Part) -> Result<String, StoreError> {
    serde_json::to_string(part).map_err(|e| StoreError::Invalid {
        field: "part",
        message: e.to_string(),
    })
}

fn to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn from_db(n: Option<i64>) -> u64 {
    n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

/// A message as [`MESSAGE_JSON`] writes it.
#[derive(serde::Deserialize)]
struct StoredMessage {
    id: String,
    seq: i64,
    role: String,
    status: String,
    kind: String,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    ctx_used: Option<i64>,
    ctx_max: Option<i64>,
    /// As text, parsed by Rust: serde_json's float parsing may miss by the last bit.
    cost_usd: Option<String>,
    created_at: i64,
    parts: Vec<Part>,
}

impl StoredMessage {
    fn into_message(self) -> Result<(i64, Message), StoreError> {
        let cost_usd = match &self.cost_usd {
            Some(text) => Some(
                text.parse::<f64>()
                    .map_err(|_| StoreError::Corrupt(format!("message cost {text:?}")))?,
            ),
            None => None,
        };
        let usage =
            (self.prompt_tokens.is_some() || self.completion_tokens.is_some()).then(|| Usage {
                prompt_tokens: from_db(self.prompt_tokens),
                completion_tokens: from_db(self.completion_tokens),
                ctx_used: from_db(self.ctx_used),
                ctx_max: self.ctx_max.and_then(|n| u64::try_from(n).ok()),
                cost_usd,
            });
        let message = Message {
            id: self
                .id
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("message id {:?}", self.id)))?,
            role: role_from(&self.role)?,
            status: status_from(&self.status)?,
            kind: kind_from(&self.kind)?,
            parts: self.parts,
            usage,
            created_at: self.created_at,
        };
        Ok((self.seq, message))
    }
}

/// Decodes what a [`MessageQueries`] query returns: `(seq, message)`, oldest first.
fn decode_messages(json: Option<String>) -> Result<Vec<(i64, Message)>, StoreError> {
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    let stored: Vec<StoredMessage> = serde_json::from_str(&json)
        .map_err(|e| StoreError::Corrupt(format!("stored messages: {e}")))?;
    stored
        .into_iter()
        .map(StoredMessage::into_message)
        .collect()
}

/// One message row of `m` with its parts as a JSON object, built by SQL that both backends
/// run alike (`||`, `CAST`, `COALESCE`, and `string_agg` with `ORDER BY`, which SQLite has
/// since 3.44; the bundled one is 3.46). The text columns hold ids and enum names only, so
/// they need no escaping; parts are stored as JSON already. `{cost}` is the cost as text (a
/// JSON string: see [`StoredMessage::cost_usd`]).
const MESSAGE_JSON: &str = r#"'{"id":"' || m.id || '","seq":' || CAST(m.seq AS TEXT)
    || ',"role":"' || m.role || '","status":"' || m.status || '","kind":"' || m.kind
    || '","prompt_tokens":' || COALESCE(CAST(m.prompt_tokens AS TEXT), 'null')
    || ',"completion_tokens":' || COALESCE(CAST(m.completion_tokens AS TEXT), 'null')
    || ',"ctx_used":' || COALESCE(CAST(m.ctx_used AS TEXT), 'null')
    || ',"ctx_max":' || COALESCE(CAST(m.ctx_max AS TEXT), 'null')
    || ',"cost_usd":' || COALESCE('"' || {cost} || '"', 'null')
    || ',"created_at":' || CAST(m.created_at AS TEXT)
    || ',"parts":[' || COALESCE((SELECT string_agg(p.data, ',' ORDER BY p.idx)
        FROM message_parts p WHERE p.message_id = m.id), '') || ']}'"#;

/// The message reads, each returning the messages it selects and their parts as ONE row: a
/// JSON array of their objects in `seq` order, NULL when there are none. sqlx hands each row
/// from SQLite's worker thread to the task on its own (a thread wake-up each); a row per part
/// made loading a 10,000-message chat cost ~25,000 of them. Built once per backend.
struct MessageQueries {
    /// One message: `$1` its id.
    one: String,
    /// A page: `$1` the chat, `$2` the seq it ends before, `$3` how many.
    page: String,
    /// Everything from a seq on: `$1` the chat, `$2` the first seq.
    since: String,
}

impl MessageQueries {
    /// The queries with `cost` as the expression for the cost as text.
    fn build(cost: &str) -> Self {
        let message = MESSAGE_JSON.replace("{cost}", cost);
        let select = |from: &str| {
            format!(
                "SELECT '[' || string_agg(rec, ',' ORDER BY seq) || ']' \
                 FROM (SELECT {message} AS rec, m.seq AS seq FROM {from}) r"
            )
        };
        Self {
            one: select("messages m WHERE m.id = $1"),
            page: select(
                "(SELECT * FROM messages WHERE chat_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3) m",
            ),
            since: select("messages m WHERE m.chat_id = $1 AND m.seq >= $2"),
        }
    }

    /// The queries for `store`'s backend.
    fn of(store: &Store) -> &'static Self {
        // A double as text, to the last bit: SQLite's CAST keeps 15 digits (0.1 + 0.2 would
        // come back as 0.3), and printf turns NULL into 0.0; Postgres' CAST prints the
        // shortest exact form.
        static SQLITE: LazyLock<MessageQueries> = LazyLock::new(|| {
            MessageQueries::build(
                "CASE WHEN m.cost_usd IS NULL THEN NULL ELSE printf('%!.17g', m.cost_usd) END",
            )
        });
        static POSTGRES: LazyLock<MessageQueries> =
            LazyLock::new(|| MessageQueries::build("CAST(m.cost_usd AS TEXT)"));
        match store.kind() {
            crate::BackendKind::Sqlite => &SQLITE,
            _ => &POSTGRES,
        }
    }
}

impl Store {
    /// Appends a message (with its parts) at the end of a chat.
    pub async fn append_message(
        &self,
        chat_id: ChatId,
        message: &Message,
    ) -> Result<(), StoreError> {
        let parts: Vec<(String, &'static str)> = message
            .parts
            .iter()
            .map(|p| Ok((encode_part(p)?, part_kind(p))))
            .collect::<Result<_, StoreError>>()?;
        let now = now_ms();
        let usage = message.usage.unwrap_or_default();
        let has_usage = message.usage.is_some();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let seq: Option<i64> = sqlx::query_scalar(
                "UPDATE chats SET next_seq = next_seq + 1, updated_at = $2 WHERE id = $1 RETURNING next_seq",
            )
            .bind(chat_id.to_string())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(seq) = seq else {
                return Err(StoreError::NotFound { what: "chat", id: chat_id.to_string() });
            };
            sqlx::query("UPDATE sessions SET updated_at = $1 WHERE id = (SELECT session_id FROM chats WHERE id = $2)")
                .bind(now)
                .bind(chat_id.to_string())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO messages (id, chat_id, seq, role, status, kind, prompt_tokens, completion_tokens, ctx_used, ctx_max, cost_usd, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(message.id.to_string())
            .bind(chat_id.to_string())
            .bind(seq)
            .bind(message.role.as_str())
            .bind(message.status.as_str())
            .bind(kind_str(message.kind))
            .bind(has_usage.then(|| to_db(usage.prompt_tokens)))
            .bind(has_usage.then(|| to_db(usage.completion_tokens)))
            .bind(has_usage.then(|| to_db(usage.ctx_used)))
            .bind(usage.ctx_max.map(to_db))
            .bind(usage.cost_usd)
            .bind(message.created_at)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| missing_parent(e, "chat", chat_id.to_string()))?;
            for (idx, (data, kind)) in parts.iter().enumerate() {
                sqlx::query("INSERT INTO message_parts (message_id, idx, kind, data) VALUES ($1, $2, $3, $4)")
                    .bind(message.id.to_string())
                    .bind(idx as i64)
                    .bind(*kind)
                    .bind(data)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Replaces a message's parts from index `from` onward with `parts` (the caller sends only
    /// what changed since its last flush: usually the growing last part and any new ones), and
    /// marks the message as recently active.
    pub async fn update_parts(
        &self,
        message_id: MessageId,
        from: usize,
        parts: &[Part],
    ) -> Result<(), StoreError> {
        self.update_parts_many(&[(message_id, from, parts)])
            .await?
            .pop()
            .unwrap_or(Ok(()))
    }

    /// [`update_parts`](Self::update_parts) for several messages in one transaction: how a
    /// server with many chats streaming at once flushes them all for the cost of about one.
    /// The outer error is the transaction's (nothing was written); inside, one result per
    /// update, in order (a message that no longer exists is `NotFound` and the rest are
    /// written).
    pub async fn update_parts_many(
        &self,
        updates: &[(MessageId, usize, &[Part])],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let mut encoded = Vec::with_capacity(updates.len());
        for (message_id, from, parts) in updates {
            let parts: Vec<(String, &'static str)> = parts
                .iter()
                .map(|p| Ok((encode_part(p)?, part_kind(p))))
                .collect::<Result<_, StoreError>>()?;
            encoded.push((message_id.to_string(), *from, parts));
        }
        let now = now_ms();
        let results = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut results = Vec::with_capacity(encoded.len());
            for (id, from, parts) in &encoded {
                let touched = sqlx::query("UPDATE messages SET updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if touched == 0 {
                    results.push(Err(StoreError::NotFound { what: "message", id: id.clone() }));
                    continue;
                }
                sqlx::query("DELETE FROM message_parts WHERE message_id = $1 AND idx >= $2")
                    .bind(id)
                    .bind(*from as i64)
                    .execute(&mut *tx)
                    .await?;
                for (offset, (data, kind)) in parts.iter().enumerate() {
                    sqlx::query("INSERT INTO message_parts (message_id, idx, kind, data) VALUES ($1, $2, $3, $4)")
                        .bind(id)
                        .bind((from + offset) as i64)
                        .bind(*kind)
                        .bind(data)
                        .execute(&mut *tx)
                        .await?;
                }
                results.push(Ok(()));
            }
            tx.commit().await?;
            results
        });
        Ok(results)
    }

    /// Keeps a streaming message from being swept while a long tool runs.
    pub async fn touch_message(&self, message_id: MessageId) -> Result<(), StoreError> {
        let done = with_pool!(self, pool => sqlx::query("UPDATE messages SET updated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(message_id.to_string())
            .execute(pool)
            .await?
            .rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound {
                what: "message",
                id: message_id.to_string(),
            });
        }
        Ok(())
    }

    /// Sets a message's final status and usage.
    pub async fn finalize_message(
        &self,
        message_id: MessageId,
        status: MessageStatus,
        usage: Option<Usage>,
    ) -> Result<(), StoreError> {
        let u = usage.unwrap_or_default();
        let has = usage.is_some();
        let done = with_pool!(self, pool => sqlx::query(
            "UPDATE messages SET status = $1, updated_at = $2, \
             prompt_tokens = COALESCE($3, prompt_tokens), completion_tokens = COALESCE($4, completion_tokens), \
             ctx_used = COALESCE($5, ctx_used), ctx_max = COALESCE($6, ctx_max), cost_usd = COALESCE($7, cost_usd) \
             WHERE id = $8",
        )
        .bind(status.as_str())
        .bind(now_ms())
        .bind(has.then(|| to_db(u.prompt_tokens)))
        .bind(has.then(|| to_db(u.completion_tokens)))
        .bind(has.then(|| to_db(u.ctx_used)))
        .bind(u.ctx_max.map(to_db))
        .bind(u.cost_usd)
        .bind(message_id.to_string())
        .execute(pool)
        .await?
        .rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound {
                what: "message",
                id: message_id.to_string(),
            });
        }
        Ok(())
    }

    /// One message with its parts.
    pub async fn get_message(&self, message_id: MessageId) -> Result<Message, StoreError> {
        let sql = &MessageQueries::of(self).one;
        let json: Option<String> = with_pool!(self, pool => {
            sqlx::query_scalar(sql).bind(message_id.to_string()).fetch_one(pool).await?
        });
        let mut found = decode_messages(json)?;
        found
            .pop()
            .map(|(_, m)| m)
            .ok_or_else(|| StoreError::NotFound {
                what: "message",
                id: message_id.to_string(),
            })
    }

    /// A page of a chat with every message's parts, in one query: the `limit` messages before
    /// `before` (or the newest), oldest first.
    pub async fn list_messages(
        &self,
        chat_id: ChatId,
        before: Option<i64>,
        limit: usize,
    ) -> Result<MessagePage, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let sql = &MessageQueries::of(self).page;
        let json: Option<String> = with_pool!(self, pool => {
            sqlx::query_scalar(sql)
                .bind(chat_id.to_string())
                .bind(before.unwrap_or(i64::MAX))
                .bind((limit + 1) as i64)
                .fetch_one(pool)
                .await?
        });
        let mut rows = decode_messages(json)?;
        if rows.is_empty() {
            // Tell an empty chat from an unknown one.
            self.get_chat(chat_id).await?;
        }
        let has_more = rows.len() > limit;
        if has_more {
            rows.remove(0);
        }
        Ok(MessagePage {
            cursor: rows.first().map(|(seq, _)| *seq),
            messages: rows.into_iter().map(|(_, m)| m).collect(),
            has_more,
        })
    }

    /// Ids of a chat's messages that are still marked streaming.
    pub async fn streaming_messages(&self, chat_id: ChatId) -> Result<Vec<MessageId>, StoreError> {
        let ids: Vec<String> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT id FROM messages WHERE chat_id = $1 AND status = 'streaming' ORDER BY seq",
        )
        .bind(chat_id.to_string())
        .fetch_all(pool)
        .await?);
        ids.into_iter()
            .map(|id| {
                id.parse()
                    .map_err(|_| StoreError::Corrupt(format!("message id {id:?}")))
            })
            .collect()
    }

    /// Fails a chat's streaming messages except `keep` (the user's "discard stale"); returns how
    /// many.
    pub async fn fail_streaming(
        &self,
        chat_id: ChatId,
        keep: Option<MessageId>,
    ) -> Result<u64, StoreError> {
        let keep = keep.map(|k| k.to_string()).unwrap_or_default();
        Ok(with_pool!(self, pool => sqlx::query(
            "UPDATE messages SET status = 'failed', updated_at = $1 WHERE chat_id = $2 AND status = 'streaming' AND id <> $3",
        )
        .bind(now_ms())
        .bind(chat_id.to_string())
        .bind(keep)
        .execute(pool)
        .await?
        .rows_affected()))
    }

    /// Deletes a chat's messages of `kind` (a new summary supersedes the old one); returns how
    /// many.
    pub async fn delete_messages_of_kind(
        &self,
        chat_id: ChatId,
        kind: MessageKind,
    ) -> Result<u64, StoreError> {
        Ok(
            with_pool!(self, pool => sqlx::query("DELETE FROM messages WHERE chat_id = $1 AND kind = $2")
            .bind(chat_id.to_string())
            .bind(kind_str(kind))
            .execute(pool)
            .await?
            .rows_affected()),
        )
    }

    /// Every message of a chat from the newest one of `kind` (inclusive) on, or the whole chat
    /// when there is none: what a turn sends after compaction.
    pub async fn messages_since_kind(
        &self,
        chat_id: ChatId,
        kind: MessageKind,
    ) -> Result<Vec<Message>, StoreError> {
        let from: Option<i64> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT MAX(seq) FROM messages WHERE chat_id = $1 AND kind = $2",
        )
        .bind(chat_id.to_string())
        .bind(kind_str(kind))
        .fetch_one(pool)
        .await?);
        let sql = &MessageQueries::of(self).since;
        let json: Option<String> = with_pool!(self, pool => {
            sqlx::query_scalar(sql)
                .bind(chat_id.to_string())
                .bind(from.unwrap_or(0))
                .fetch_one(pool)
                .await?
        });
        let rows = decode_messages(json)?;
        if rows.is_empty() {
            self.get_chat(chat_id).await?;
        }
        Ok(rows.into_iter().map(|(_, m)| m).collect())
    }

    /// Fails every message still streaming with no update for `older_than`, and returns the
    /// chats they belong to (so their clients can be told). Run at boot and periodically.
    pub async fn sweep_stale_streaming(
        &self,
        older_than: Duration,
    ) -> Result<Vec<ChatId>, StoreError> {
        let now = now_ms();
        let cutoff = now - i64::try_from(older_than.as_millis()).unwrap_or(i64::MAX);
        let chats: Vec<String> = with_pool!(self, pool => sqlx::query_scalar(
            "UPDATE messages SET status = 'failed', updated_at = $1 WHERE status = 'streaming' AND updated_at <= $2 RETURNING chat_id",
        )
        .bind(now)
        .bind(cutoff)
        .fetch_all(pool)
        .await?);
        let unique: BTreeSet<String> = chats.into_iter().collect();
        if !unique.is_empty() {
            tracing::info!(chats = unique.len(), "failed messages left streaming");
        }
        unique
            .into_iter()
            .map(|id| {
                id.parse()
                    .map_err(|_| StoreError::Corrupt(format!("chat id {id:?}")))
            })
            .collect()
    }
}
