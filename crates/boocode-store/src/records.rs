//! Settings, tool-call cost records and stats, and agent sessions.

use crate::db::{Store, with_pool};
use crate::error::{StoreError, check_name};
use crate::workspace::missing_parent;
use boocode_core::{ChatId, now_ms};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// How many recent calls of each tool the stats look at.
pub const TOOL_STATS_WINDOW: i64 = 100;

/// One tool call, for cost stats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCallRecord {
    /// The chat it ran in, if any.
    pub chat_id: Option<ChatId>,
    /// Tool name.
    pub tool: String,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Output size in bytes.
    pub output_bytes: u64,
    /// Whether it failed.
    pub is_error: bool,
}

/// Stats over a tool's most recent calls (the API's wire type, from core).
pub use boocode_core::protocol::ToolStat as ToolStats;

/// Which kind of backend ran an agent session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BackendName {
    /// BooCode's own loop.
    Native,
    /// Claude Code over stream-json.
    ClaudeSdk,
    /// An ACP agent.
    Acp,
    /// A CLI in a PTY.
    Pty,
}

impl BackendName {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendName::Native => "native",
            BackendName::ClaudeSdk => "claude_sdk",
            BackendName::Acp => "acp",
            BackendName::Pty => "pty",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "native" => BackendName::Native,
            "claude_sdk" => BackendName::ClaudeSdk,
            "acp" => BackendName::Acp,
            "pty" => BackendName::Pty,
            other => return Err(StoreError::Corrupt(format!("unknown backend {other:?}"))),
        })
    }
}

/// An external (or native) agent session attached to a chat.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentSessionRow {
    /// Our id.
    pub id: String,
    /// The chat.
    pub chat_id: ChatId,
    /// The backend kind.
    pub backend: BackendName,
    /// The provider name (`claude`, `opencode`, …).
    pub provider: String,
    /// The backend's own session id, once known.
    pub backend_session_id: Option<String>,
    /// Prompt tokens so far.
    pub prompt_tokens: u64,
    /// Completion tokens so far.
    pub completion_tokens: u64,
    /// Cost so far, US dollars.
    pub cost_usd: f64,
}

macro_rules! agent_session_from_row {
    ($row:expr) => {{
        let row = &$row;
        let chat: String = row.try_get("chat_id")?;
        AgentSessionRow {
            id: row.try_get("id")?,
            chat_id: chat
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("chat id {chat:?}")))?,
            backend: BackendName::parse(&row.try_get::<String, _>("backend")?)?,
            provider: row.try_get("provider")?,
            backend_session_id: row.try_get("backend_session_id")?,
            prompt_tokens: u64::try_from(row.try_get::<i64, _>("prompt_tokens")?).unwrap_or(0),
            completion_tokens: u64::try_from(row.try_get::<i64, _>("completion_tokens")?)
                .unwrap_or(0),
            cost_usd: row.try_get("cost_usd")?,
        }
    }};
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn db_u64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    // ---- settings ----

    /// Stores a setting (any JSON value).
    pub async fn set_setting(
        &self,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<(), StoreError> {
        check_name("key", key, 200, false)?;
        with_pool!(self, pool => sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value.to_string())
        .bind(now_ms())
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// A setting, if set.
    pub async fn get_setting(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let text: Option<String> = with_pool!(self, pool => sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?);
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("setting {key}: {e}")))
        })
        .transpose()
    }

    /// Every setting, by key.
    pub async fn list_settings(&self) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        let rows: Vec<(String, String)> = with_pool!(self, pool => sqlx::query_as("SELECT key, value FROM settings ORDER BY key")
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|(k, v)| {
                let value = serde_json::from_str(&v)
                    .map_err(|e| StoreError::Corrupt(format!("setting {k}: {e}")))?;
                Ok((k, value))
            })
            .collect()
    }

    /// Removes a setting; true if it existed.
    pub async fn delete_setting(&self, key: &str) -> Result<bool, StoreError> {
        let n = with_pool!(self, pool => sqlx::query("DELETE FROM settings WHERE key = $1").bind(key).execute(pool).await?.rows_affected());
        Ok(n > 0)
    }

    // ---- tool calls ----

    /// Records one tool call for cost stats.
    pub async fn record_tool_call(&self, record: &ToolCallRecord) -> Result<(), StoreError> {
        check_name("tool", &record.tool, 200, false)?;
        with_pool!(self, pool => sqlx::query(
            "INSERT INTO tool_calls (chat_id, tool, duration_ms, output_bytes, is_error, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(record.chat_id.map(|c| c.to_string()))
        .bind(&record.tool)
        .bind(db_u64(record.duration_ms))
        .bind(db_u64(record.output_bytes))
        .bind(record.is_error)
        .bind(now_ms())
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(|e| missing_parent(e, "chat", record.chat_id.map(|c| c.to_string()).unwrap_or_default()))?);
        Ok(())
    }

    /// Per-tool stats over each tool's last [`TOOL_STATS_WINDOW`] calls, by tool name.
    pub async fn tool_stats(&self) -> Result<Vec<ToolStats>, StoreError> {
        let rows: Vec<(String, i64, i64, bool)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT tool, duration_ms, output_bytes, is_error FROM ( \
               SELECT tool, duration_ms, output_bytes, is_error, \
                      ROW_NUMBER() OVER (PARTITION BY tool ORDER BY id DESC) AS rn \
               FROM tool_calls) recent \
             WHERE rn <= $1 ORDER BY tool",
        )
        .bind(TOOL_STATS_WINDOW)
        .fetch_all(pool)
        .await?);
        let mut stats = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let tool = rows[i].0.clone();
            let mut durations = Vec::new();
            let mut bytes = 0u64;
            let mut errors = 0u64;
            while i < rows.len() && rows[i].0 == tool {
                durations.push(u64::try_from(rows[i].1).unwrap_or(0));
                bytes += u64::try_from(rows[i].2).unwrap_or(0);
                errors += u64::from(rows[i].3);
                i += 1;
            }
            durations.sort_unstable();
            let count = durations.len() as u64;
            stats.push(ToolStats {
                tool,
                count,
                p50_ms: percentile(&durations, 0.50),
                p95_ms: percentile(&durations, 0.95),
                mean_output_bytes: bytes / count.max(1),
                error_rate: errors as f64 / count.max(1) as f64,
            });
        }
        Ok(stats)
    }

    // ---- agent sessions ----

    /// Starts recording an agent session for a chat.
    pub async fn create_agent_session(
        &self,
        chat_id: ChatId,
        backend: BackendName,
        provider: &str,
    ) -> Result<AgentSessionRow, StoreError> {
        check_name("provider", provider, 100, false)?;
        let row = AgentSessionRow {
            id: uuid::Uuid::new_v4().to_string(),
            chat_id,
            backend,
            provider: provider.to_owned(),
            backend_session_id: None,
            prompt_tokens: 0,
            completion_tokens: 0,
            cost_usd: 0.0,
        };
        let now = now_ms();
        with_pool!(self, pool => sqlx::query(
            "INSERT INTO agent_sessions (id, chat_id, backend, provider, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.id)
        .bind(chat_id.to_string())
        .bind(backend.as_str())
        .bind(provider)
        .bind(now)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(|e| missing_parent(e, "chat", chat_id.to_string()))?);
        Ok(row)
    }

    /// Records the backend's own session id (for resume).
    pub async fn set_backend_session_id(
        &self,
        id: &str,
        backend_session_id: &str,
    ) -> Result<(), StoreError> {
        check_name("backend_session_id", backend_session_id, 200, false)?;
        let n = with_pool!(self, pool => sqlx::query("UPDATE agent_sessions SET backend_session_id = $1, updated_at = $2 WHERE id = $3")
            .bind(backend_session_id)
            .bind(now_ms())
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "agent session",
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    /// Adds a turn's usage and cost to an agent session.
    pub async fn add_agent_usage(
        &self,
        id: &str,
        prompt_tokens: u64,
        completion_tokens: u64,
        cost_usd: f64,
    ) -> Result<(), StoreError> {
        if !cost_usd.is_finite() || cost_usd < 0.0 {
            return Err(StoreError::Invalid {
                field: "cost_usd",
                message: format!("{cost_usd} is not a cost"),
            });
        }
        let n = with_pool!(self, pool => sqlx::query(
            "UPDATE agent_sessions SET prompt_tokens = prompt_tokens + $1, completion_tokens = completion_tokens + $2, \
             cost_usd = cost_usd + $3, updated_at = $4 WHERE id = $5",
        )
        .bind(db_u64(prompt_tokens))
        .bind(db_u64(completion_tokens))
        .bind(cost_usd)
        .bind(now_ms())
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected());
        if n == 0 {
            return Err(StoreError::NotFound {
                what: "agent session",
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    /// A chat's agent sessions, oldest first.
    pub async fn list_agent_sessions(
        &self,
        chat_id: ChatId,
    ) -> Result<Vec<AgentSessionRow>, StoreError> {
        with_pool!(self, pool => {
            let rows = sqlx::query("SELECT * FROM agent_sessions WHERE chat_id = $1 ORDER BY created_at, id")
                .bind(chat_id.to_string())
                .fetch_all(pool)
                .await?;
            rows.iter().map(|row| Ok(agent_session_from_row!(row))).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), 50);
        assert_eq!(percentile(&v, 0.95), 95);
        assert_eq!(percentile(&[7], 0.95), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }
}
