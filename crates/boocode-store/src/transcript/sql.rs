//! [`TranscriptStore`] over the `claude_session_entries` table, on SQLite or Postgres.
//!
//! One row per entry, ordered by an identity column (as the SDK's reference Postgres adapter
//! does); entries are stored as JSON text, so a load is deep-equal to the append (Postgres JSONB
//! would reorder keys and refuse `\u0000`). A partial unique index on `uuid` makes appends
//! idempotent.

use super::{SessionKey, SessionListing, TranscriptStore, check_entries, entry_uuid};
use crate::db::{Store, with_pool};
use crate::error::StoreError;
use boocode_core::now_ms;

#[async_trait::async_trait]
impl TranscriptStore for Store {
    async fn append(
        &self,
        key: &SessionKey,
        entries: &[serde_json::Value],
    ) -> Result<(), StoreError> {
        key.validate()?;
        check_entries(entries)?;
        if entries.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let rows: Vec<(Option<&str>, String)> = entries
            .iter()
            .map(|e| (entry_uuid(e), e.to_string()))
            .collect();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (uuid, entry) in &rows {
                sqlx::query(
                    "INSERT INTO claude_session_entries (project_key, session_id, subpath, uuid, entry, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                )
                .bind(&key.project_key)
                .bind(&key.session_id)
                .bind(key.subpath_column())
                .bind(*uuid)
                .bind(entry)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<Vec<serde_json::Value>>, StoreError> {
        key.validate()?;
        let texts: Vec<String> = with_pool!(self, pool => sqlx::query_scalar(
            "SELECT entry FROM claude_session_entries WHERE project_key = $1 AND session_id = $2 AND subpath = $3 ORDER BY id",
        )
        .bind(&key.project_key)
        .bind(&key.session_id)
        .bind(key.subpath_column())
        .fetch_all(pool)
        .await?);
        if texts.is_empty() {
            return Ok(None);
        }
        texts
            .iter()
            .map(|t| {
                serde_json::from_str(t)
                    .map_err(|e| StoreError::Corrupt(format!("transcript entry: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    async fn list_sessions(&self, project_key: &str) -> Result<Vec<SessionListing>, StoreError> {
        let rows: Vec<(String, i64)> = with_pool!(self, pool => sqlx::query_as(
            "SELECT session_id, MAX(created_at) FROM claude_session_entries WHERE project_key = $1 AND subpath = '' \
             GROUP BY session_id ORDER BY session_id",
        )
        .bind(project_key)
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(session_id, mtime)| SessionListing { session_id, mtime })
            .collect())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), StoreError> {
        key.validate()?;
        with_pool!(self, pool => match &key.subpath {
            Some(sub) => sqlx::query("DELETE FROM claude_session_entries WHERE project_key = $1 AND session_id = $2 AND subpath = $3")
                .bind(&key.project_key)
                .bind(&key.session_id)
                .bind(sub)
                .execute(pool)
                .await
                .map(|_| ())?,
            None => sqlx::query("DELETE FROM claude_session_entries WHERE project_key = $1 AND session_id = $2")
                .bind(&key.project_key)
                .bind(&key.session_id)
                .execute(pool)
                .await
                .map(|_| ())?,
        });
        Ok(())
    }

    async fn list_subkeys(
        &self,
        project_key: &str,
        session_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        Ok(with_pool!(self, pool => sqlx::query_scalar(
            "SELECT DISTINCT subpath FROM claude_session_entries WHERE project_key = $1 AND session_id = $2 AND subpath <> '' ORDER BY subpath",
        )
        .bind(project_key)
        .bind(session_id)
        .fetch_all(pool)
        .await?))
    }
}
