//! The usage ledger: one row per finished turn — native or an external agent's — with its
//! project, chat, provider, model, tokens and reported cost; and the report over it.

use crate::db::{BackendKind, Store, with_pool};
use crate::error::StoreError;
use boocode_core::{ChatId, now_ms};
use sqlx::Row;

/// One turn's usage.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UsageEntry {
    /// The project's root folder.
    pub project_root: String,
    /// The chat, for server chats.
    pub chat_id: Option<ChatId>,
    /// Who ran the turn (`boocode`, `claude`, `claude-acp`, …).
    pub provider: String,
    /// The model, when known.
    pub model: Option<String>,
    /// Input tokens.
    pub prompt_tokens: u64,
    /// Output tokens.
    pub completion_tokens: u64,
    /// Cost in US dollars, when the backend reported one.
    pub cost_usd: Option<f64>,
}

impl UsageEntry {
    /// A turn of `provider` in the project at `project_root`.
    pub fn new(project_root: impl Into<String>, provider: impl Into<String>) -> Self {
        Self {
            project_root: project_root.into(),
            chat_id: None,
            provider: provider.into(),
            model: None,
            prompt_tokens: 0,
            completion_tokens: 0,
            cost_usd: None,
        }
    }
}

/// How a usage report is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UsageGroup {
    /// By provider.
    Provider,
    /// By model (`""` for turns whose model is unknown).
    Model,
    /// By UTC day (`YYYY-MM-DD`).
    Day,
}

/// One group of a usage report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct UsageRow {
    /// The provider, model or day.
    pub key: String,
    /// How many turns.
    pub turns: i64,
    /// Input tokens.
    pub prompt_tokens: i64,
    /// Output tokens.
    pub completion_tokens: i64,
    /// Reported cost in US dollars (turns without one count as 0).
    pub cost_usd: f64,
}

fn tokens(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    /// Records one finished turn's usage.
    pub async fn record_usage(&self, entry: &UsageEntry) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO usage_ledger (project_root, chat_id, provider, model, prompt_tokens, completion_tokens, cost_usd, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&entry.project_root)
            .bind(entry.chat_id.map(|c| c.to_string()))
            .bind(&entry.provider)
            .bind(&entry.model)
            .bind(tokens(entry.prompt_tokens))
            .bind(tokens(entry.completion_tokens))
            .bind(entry.cost_usd)
            .bind(now_ms())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Usage since `since` (ms since the epoch), of one project (by root) or all, grouped.
    pub async fn usage_report(
        &self,
        project_root: Option<&str>,
        since: i64,
        group: UsageGroup,
    ) -> Result<Vec<UsageRow>, StoreError> {
        self.usage_report_of(project_root, None, since, group).await
    }

    /// Like [`Store::usage_report`], narrowed to the turns of one session's chats when
    /// `session` is given.
    pub async fn usage_report_of(
        &self,
        project_root: Option<&str>,
        session: Option<boocode_core::SessionId>,
        since: i64,
        group: UsageGroup,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let key = match (group, self.kind()) {
            (UsageGroup::Provider, _) => "provider",
            (UsageGroup::Model, _) => "COALESCE(model, '')",
            (UsageGroup::Day, BackendKind::Sqlite) => {
                "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')"
            }
            (UsageGroup::Day, BackendKind::Postgres) => {
                "to_char(to_timestamp(created_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
            }
        };
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS turns, CAST(SUM(prompt_tokens) AS BIGINT) AS p, \
             CAST(SUM(completion_tokens) AS BIGINT) AS c, SUM(COALESCE(cost_usd, 0.0)) AS cost \
             FROM usage_ledger WHERE ($1 IS NULL OR project_root = $1) AND created_at >= $2 \
             AND ($3 IS NULL OR chat_id IN (SELECT id FROM chats WHERE session_id = $3)) \
             GROUP BY k ORDER BY k"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(&sql)
                .bind(project_root)
                .bind(since)
                .bind(session.map(|s| s.to_string()))
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(UsageRow {
                        key: row.try_get("k")?,
                        turns: row.try_get("turns")?,
                        prompt_tokens: row.try_get("p")?,
                        completion_tokens: row.try_get("c")?,
                        cost_usd: row.try_get("cost")?,
                    })
                })
                .collect()
        })
    }
}
