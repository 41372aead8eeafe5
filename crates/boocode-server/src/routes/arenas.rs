//! Arenas over REST: start one in a session (one prompt to several chats, each in its own
//! worktree), read it, list a project's, pick a contender (its diff becomes pending changes on
//! the main tree) or discard it (its worktrees go).

use super::rest::parse_id;
use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use boocode_core::arena::{Arena, LeaderboardRow, NewArena, PickContender};
use boocode_core::{ProjectId, SessionId};

/// Arena ids are `arena_` and 32 hex digits; anything else is not looked up.
fn arena_id(raw: &str) -> Result<&str, ApiError> {
    let ok = raw
        .strip_prefix("arena_")
        .is_some_and(|hex| hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(raw)
    } else {
        Err(ApiError::not_found("arena", raw))
    }
}

/// `POST /api/sessions/{id}/arenas`: starts an arena; returns at once (contenders run on).
#[utoipa::path(post, path = "/api/sessions/{id}/arenas", tag = "arenas", params(("id" = String, Path)), request_body = NewArena, responses((status = 201, body = Arena), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn start_arena(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewArena>,
) -> Result<impl IntoResponse, ApiError> {
    let session: SessionId = parse_id("id", &id)?;
    if body.prompt.len() > 256 * 1024 {
        return Err(ApiError::invalid("prompt", "over 256 KiB"));
    }
    if body.verify.as_ref().is_some_and(|v| v.len() > 4096) {
        return Err(ApiError::invalid("verify", "over 4 KiB"));
    }
    let arena = state.runtime.start_arena(session, body).await?;
    Ok((StatusCode::CREATED, ApiJson(arena)))
}

/// `POST /api/arenas/{id}/rerun`: runs the arena again (same prompt, contenders, verify
/// command) as a new arena in new worktrees; returns it at once.
#[utoipa::path(post, path = "/api/arenas/{id}/rerun", tag = "arenas", params(("id" = String, Path)), responses((status = 201, body = Arena), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn rerun_arena(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let arena = state.runtime.rerun_arena(arena_id(&id)?).await?;
    Ok((StatusCode::CREATED, ApiJson(arena)))
}

/// `GET /api/arenas/{id}`.
#[utoipa::path(get, path = "/api/arenas/{id}", tag = "arenas", params(("id" = String, Path)), responses((status = 200, body = Arena), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_arena(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Arena>, ApiError> {
    Ok(ApiJson(
        state.runtime.store.get_arena(arena_id(&id)?).await?,
    ))
}

/// `GET /api/projects/{id}/arenas`: the project's arenas, newest first (at most 200).
#[utoipa::path(get, path = "/api/projects/{id}/arenas", tag = "arenas", params(("id" = String, Path)), responses((status = 200, body = Vec<Arena>), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_arenas(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<Arena>>, ApiError> {
    let project: ProjectId = parse_id("id", &id)?;
    state.runtime.store.get_project(project).await?;
    Ok(ApiJson(
        state.runtime.store.list_arenas(project, 200).await?,
    ))
}

/// `GET /api/projects/{id}/leaderboard`: how each provider and model did over the project's
/// arenas (its last 200): contests, wins, verify passes, median time, tokens and cost.
#[utoipa::path(get, path = "/api/projects/{id}/leaderboard", tag = "arenas", params(("id" = String, Path)), responses((status = 200, body = Vec<LeaderboardRow>), (status = 404, body = ErrorBody)))]
pub(crate) async fn leaderboard(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<LeaderboardRow>>, ApiError> {
    let project: ProjectId = parse_id("id", &id)?;
    state.runtime.store.get_project(project).await?;
    let arenas = state.runtime.store.list_arenas(project, 200).await?;
    Ok(ApiJson(boocode_runtime::arena::leaderboard(&arenas)))
}

/// `POST /api/arenas/{id}/pick`: queues the contender's changes on the main tree for review.
#[utoipa::path(post, path = "/api/arenas/{id}/pick", tag = "arenas", params(("id" = String, Path)), request_body = PickContender, responses((status = 200, body = Arena), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn pick_arena(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PickContender>,
) -> Result<ApiJson<Arena>, ApiError> {
    Ok(ApiJson(
        state.runtime.pick_arena(arena_id(&id)?, body.index).await?,
    ))
}

/// `DELETE /api/arenas/{id}`: removes its worktrees (stopping contenders still running).
#[utoipa::path(delete, path = "/api/arenas/{id}", tag = "arenas", params(("id" = String, Path)), responses((status = 200, body = Arena), (status = 404, body = ErrorBody)))]
pub(crate) async fn discard_arena(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Arena>, ApiError> {
    Ok(ApiJson(state.runtime.discard_arena(arena_id(&id)?).await?))
}
