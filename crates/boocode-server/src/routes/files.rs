//! A project's tree as the web UI reads it, through the tools' path and secret guards: one
//! directory level, a file's text, file paths matching a query (`@file` completion), and the
//! agent definitions its chats may run with.

use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use boocode_core::ProjectId;
use boocode_core::protocol::{AgentInfo, DirListing, FileContent};
use serde::Deserialize;

use super::rest::parse_id;

fn tool_error(e: boocode_core::ToolError) -> ApiError {
    match e {
        boocode_core::ToolError::ToModel(m) if m.ends_with("does not exist") => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", m)
        }
        boocode_core::ToolError::ToModel(m) => ApiError::new(StatusCode::BAD_REQUEST, "refused", m),
        boocode_core::ToolError::Fatal(m) => ApiError::internal(m),
        other => ApiError::internal(other.to_string()),
    }
}

async fn project_env(state: &AppState, id: &str) -> Result<boocode_tools::ToolEnv, ApiError> {
    let id: ProjectId = parse_id("id", id)?;
    let project = state.runtime.store.get_project(id).await?;
    let guard = boocode_tools::PathGuard::new(&project.root)
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, "project_unavailable", e.to_string()))?;
    Ok(boocode_tools::ToolEnv::new(guard))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FileQuery {
    /// Path relative to the project root.
    #[serde(default)]
    path: String,
    /// Also list hidden entries.
    #[serde(default)]
    hidden: bool,
}

/// `GET /api/projects/{id}/files?path=`: one directory level, through the tools' guards.
#[utoipa::path(get, path = "/api/projects/{id}/files", tag = "projects", params(("id" = String, Path), FileQuery), responses((status = 200, body = DirListing), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_files(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<FileQuery>,
) -> Result<ApiJson<DirListing>, ApiError> {
    let env = project_env(&state, &id).await?;
    let entries = tokio::task::spawn_blocking(move || {
        boocode_tools::list_entries(&env, &q.path, q.hidden).map(|e| (q.path, e))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(tool_error)?;
    Ok(ApiJson(DirListing {
        path: entries.0,
        entries: entries.1,
    }))
}

/// `GET /api/projects/{id}/file?path=`: a file's text (up to 2 MB), through the tools' guards.
#[utoipa::path(get, path = "/api/projects/{id}/file", tag = "projects", params(("id" = String, Path), FileQuery), responses((status = 200, body = FileContent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn read_project_file(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<FileQuery>,
) -> Result<ApiJson<FileContent>, ApiError> {
    let env = project_env(&state, &id).await?;
    let content = tokio::task::spawn_blocking(move || {
        boocode_tools::read_file(&env, &q.path, 2 * 1024 * 1024)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(tool_error)?;
    Ok(ApiJson(content))
}

/// Most paths `GET /api/projects/{id}/paths` returns.
const MAX_PATHS: usize = 50;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PathsQuery {
    /// Terms every path must contain (case-insensitive, space-separated); empty lists the first
    /// files.
    #[serde(default)]
    q: String,
    /// At most this many paths (default 20, at most 50).
    #[serde(default)]
    limit: Option<usize>,
}

/// `GET /api/projects/{id}/paths?q=`: project files matching a query, best first.
#[utoipa::path(get, path = "/api/projects/{id}/paths", tag = "projects", params(("id" = String, Path), PathsQuery), responses((status = 200, body = Vec<String>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn find_paths(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PathsQuery>,
) -> Result<ApiJson<Vec<String>>, ApiError> {
    if q.q.len() > 256 {
        return Err(ApiError::invalid("q", "at most 256 bytes"));
    }
    let env = project_env(&state, &id).await?;
    let limit = q.limit.unwrap_or(20).clamp(1, MAX_PATHS);
    let paths = tokio::task::spawn_blocking(move || boocode_tools::find_paths(&env, &q.q, limit))
        .await
        .map_err(ApiError::internal)?
        .map_err(tool_error)?;
    Ok(ApiJson(paths))
}

/// `GET /api/projects/{id}/agents`: the agent definitions (global and the project's) with the
/// tools each is limited to.
#[utoipa::path(get, path = "/api/projects/{id}/agents", tag = "projects", params(("id" = String, Path)), responses((status = 200, body = Vec<AgentInfo>), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_agents(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<AgentInfo>>, ApiError> {
    let id: ProjectId = parse_id("id", &id)?;
    let project = state.runtime.store.get_project(id).await?;
    let root = std::path::PathBuf::from(&project.root);
    let runtime = state.runtime.clone();
    let agents = tokio::task::spawn_blocking(move || {
        boocode_tools::agent_infos(&runtime.agents(&root), &root)
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(ApiJson(agents))
}

/// `GET /api/agents`: the agents every project has — the built-in ones and the user's own
/// (`~/.config/boocode/agents`) — with their scope; a project's own are listed by
/// `GET /api/projects/{id}/agents`.
#[utoipa::path(get, path = "/api/agents", tag = "projects", responses((status = 200, body = Vec<AgentInfo>)))]
pub(crate) async fn list_global_agents(
    State(state): State<AppState>,
) -> Result<ApiJson<Vec<AgentInfo>>, ApiError> {
    let config = state.runtime.config.config_dir.clone();
    let agents = tokio::task::spawn_blocking(move || {
        let dirs: Vec<std::path::PathBuf> = config.iter().map(|c| c.join("agents")).collect();
        let (registry, errors) =
            boocode_tools::load_agents(&dirs, &boocode_tools::SecretGuard::default());
        for e in errors {
            tracing::warn!(error = %e, "skipping a bad agent definition");
        }
        // No project: nothing is the project's.
        boocode_tools::agent_infos(&registry, std::path::Path::new("/nonexistent-project"))
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(ApiJson(agents))
}

/// `GET /api/projects/{id}/skills`: the skills the project's chats may load (the user's and
/// the project's, read through the guards) and what was wrong with the others.
#[utoipa::path(get, path = "/api/projects/{id}/skills", tag = "projects", params(("id" = String, Path)), responses((status = 200, body = boocode_core::skill::SkillList), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_skills(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<boocode_core::skill::SkillList>, ApiError> {
    let id: ProjectId = parse_id("id", &id)?;
    let project = state.runtime.store.get_project(id).await?;
    let root = std::path::PathBuf::from(&project.root);
    let config = state.runtime.config.config_dir.clone();
    let list = tokio::task::spawn_blocking(move || {
        boocode_tools::project_skills(&root, config.as_deref()).list(&root)
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(ApiJson(list))
}
