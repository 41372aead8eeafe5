//! Arenas, kept whole: each is one JSON document (the wire type), written again as its
//! contenders finish, listed per project for the leaderboard.

use crate::db::{Store, with_pool};
use crate::error::StoreError;
use boocode_core::ProjectId;
use boocode_core::arena::Arena;
use sqlx::Row;

impl Store {
    /// Records `arena` (creating or replacing it).
    pub async fn put_arena(&self, arena: &Arena) -> Result<(), StoreError> {
        let body = serde_json::to_string(arena).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        with_pool!(self, pool => sqlx::query(
            "INSERT INTO arenas (id, project_id, session_id, body, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
        )
        .bind(&arena.id)
        .bind(arena.project_id.to_string())
        .bind(arena.session_id.to_string())
        .bind(body)
        .bind(arena.created_at)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// One arena.
    pub async fn get_arena(&self, id: &str) -> Result<Arena, StoreError> {
        let body: Option<String> = with_pool!(self, pool => {
            let row = sqlx::query("SELECT body FROM arenas WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Some(row.try_get::<String, _>("body")?),
                None => None,
            }
        });
        let body = body.ok_or_else(|| StoreError::NotFound {
            what: "arena",
            id: id.to_owned(),
        })?;
        serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// A project's arenas, newest first (at most `limit`).
    pub async fn list_arenas(
        &self,
        project: ProjectId,
        limit: i64,
    ) -> Result<Vec<Arena>, StoreError> {
        let bodies: Vec<String> = with_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT body FROM arenas WHERE project_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            )
            .bind(project.to_string())
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| r.try_get::<String, _>("body"))
                .collect::<Result<Vec<_>, _>>()?
        });
        bodies
            .iter()
            .map(|b| serde_json::from_str(b).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }
}
