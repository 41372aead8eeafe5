//! REST handlers under `/api`.

use crate::error::{ApiError, ApiJson, ErrorBody};

use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use boocode_core::protocol::{MessagesPage, ModelEntry, ModelList, ToolStatsReport};
use boocode_core::protocol::{NewChat, PostMessage, Posted, SessionCreated, SessionView};
use boocode_core::{
    Chat, ChatId, Project, ProjectId, ProjectSettings, Session, SessionId, UserFrame,
};
use boocode_store::MessagePage;
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path as FsPath, PathBuf};

/// A JSON body that may be absent (an empty body means the defaults).
fn optional_body<T: serde::de::DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_field", e.to_string())
        }
        _ => ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.to_string()),
    })
}

pub(crate) fn parse_id<T: std::str::FromStr>(field: &str, raw: &str) -> Result<T, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::invalid(field, format!("{raw:?} is not a valid id")))
}

/// `GET /api/health`.
#[utoipa::path(get, path = "/api/health", tag = "server", responses((status = 200, description = "The server and its store are up", body = Object), (status = 503, description = "The store is unavailable", body = ErrorBody)))]
/// `GET /api/health`: `{"status"}` for anyone (a cheap `SELECT 1`); the server's details only
/// for an authenticated caller.
pub(crate) async fn health(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
) -> impl IntoResponse {
    let store = match state.runtime.store.ping().await {
        Ok(()) => "ok",
        Err(_) => "unavailable",
    };
    let backend = state.runtime.store.kind().as_str();
    let status = if store == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if !crate::auth::authorized(&state, peer, &headers) {
        return (status, ApiJson(json!({ "status": store })));
    }
    (
        status,
        ApiJson(json!({
            "status": store,
            "store": backend,
            "running_turns": state.runtime.runner.running_count(),
            "mcp_servers": state.runtime.mcp.status().into_iter().collect::<std::collections::BTreeMap<_, _>>(),
        })),
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    #[serde(default)]
    archived: bool,
}

/// `GET /api/projects`.
#[utoipa::path(get, path = "/api/projects", tag = "projects", params(ListQuery), responses((status = 200, body = Vec<Project>)))]
pub(crate) async fn list_projects(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<ApiJson<Vec<Project>>, ApiError> {
    Ok(ApiJson(
        state.runtime.store.list_projects(q.archived).await?,
    ))
}

/// Body of `POST /api/projects`: an existing directory, or a new one to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewProject {
    /// An existing directory under an allowed root.
    #[serde(default)]
    path: Option<String>,
    /// The display name (default: the directory name), or the new directory's name with `create`.
    #[serde(default)]
    name: Option<String>,
    /// Create `name` under the bootstrap root.
    #[serde(default)]
    create: bool,
}

fn valid_dir_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn under_allowed_root(state: &AppState, dir: &FsPath) -> bool {
    state
        .config
        .allowed_roots
        .iter()
        .filter_map(|r| r.canonicalize().ok())
        .any(|root| dir.starts_with(&root))
}

/// `POST /api/projects`.
#[utoipa::path(post, path = "/api/projects", tag = "projects", request_body = NewProject, responses((status = 201, body = Project), (status = 400, body = ErrorBody), (status = 403, description = "Outside the allowed roots", body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn create_project(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewProject>,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(root) = state.config.runtime.coder_root() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "single_project",
            format!(
                "the coder daemon serves one project, {}; start another daemon for another project",
                root.display()
            ),
        ));
    }
    let (dir, name): (PathBuf, String) = if body.create {
        let name = body
            .name
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_owned();
        if !valid_dir_name(&name) {
            return Err(ApiError::invalid(
                "name",
                "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            ));
        }
        let root = state.config.bootstrap_root.clone().ok_or_else(|| {
            ApiError::invalid(
                "create",
                "no bootstrap root is configured (BOOCODE_PROJECTS_DIR)",
            )
        })?;
        std::fs::create_dir_all(&root).map_err(ApiError::internal)?;
        let dir = root.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(ApiError::conflict(
                    "exists",
                    format!("{} already exists; add it by path instead", dir.display()),
                ));
            }
            Err(e) => return Err(ApiError::internal(e)),
        }
        (dir.canonicalize().map_err(ApiError::internal)?, name)
    } else {
        let raw = body
            .path
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| {
                ApiError::invalid("path", "is required (or set create: true with a name)")
            })?;
        let dir = FsPath::new(raw)
            .canonicalize()
            .map_err(|e| ApiError::invalid("path", format!("{raw:?}: {}", e.kind())))?;
        if !dir.is_dir() {
            return Err(ApiError::invalid(
                "path",
                format!("{raw:?} is not a directory"),
            ));
        }
        if !under_allowed_root(&state, &dir) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "outside_allowed_roots",
                format!(
                    "{} is not under an allowed root (BOOCODE_ALLOWED_ROOTS)",
                    dir.display()
                ),
            ));
        }
        // Never the home folder itself, nor a credentials folder: a chat could read every key.
        boocode_tools::PathGuard::new(&dir).map_err(|e| {
            ApiError::new(StatusCode::FORBIDDEN, "unsafe_project_root", e.to_string())
        })?;
        let name = body
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| {
                dir.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "project".into())
            });
        (dir, name)
    };
    let project = state
        .runtime
        .store
        .create_project(&name, &dir.to_string_lossy())
        .await?;
    Ok((StatusCode::CREATED, ApiJson(project)))
}

/// Body of the PATCH endpoints.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Patch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    archived: Option<bool>,
    /// A project's chat defaults and read grants (projects only); replaces the whole set.
    #[serde(default, rename = "settings")]
    project_settings: Option<ProjectSettings>,
    /// A chat's settings (provider, mode, model, thinking, agent); they take effect on the
    /// next turn.
    #[serde(flatten)]
    settings: super::chats::SettingsBody,
}

/// `PATCH /api/projects/{id}`.
#[utoipa::path(patch, path = "/api/projects/{id}", tag = "projects", params(("id" = String, Path)), request_body = Patch, responses((status = 200, body = Project), (status = 404, body = ErrorBody)))]
pub(crate) async fn patch_project(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<Patch>,
) -> Result<ApiJson<Project>, ApiError> {
    let id: ProjectId = parse_id("id", &id)?;
    if let Some(name) = patch.name.as_deref().or(patch.title.as_deref()) {
        state.runtime.store.rename_project(id, name).await?;
    }
    if let Some(archived) = patch.archived {
        state
            .runtime
            .store
            .set_project_archived(id, archived)
            .await?;
    }
    if let Some(settings) = patch.project_settings {
        let settings = checked_project_settings(settings).await?;
        state
            .runtime
            .store
            .set_project_settings(id, &settings)
            .await?;
    }
    Ok(ApiJson(state.runtime.store.get_project(id).await?))
}

/// `settings` with each read grant resolved to an existing directory's canonical path (the
/// path guard compares canonical paths), duplicates dropped; the filesystem root is refused.
async fn checked_project_settings(
    mut settings: ProjectSettings,
) -> Result<ProjectSettings, ApiError> {
    if settings.read_grants.len() > boocode_store::MAX_READ_GRANTS {
        return Err(ApiError::invalid(
            "read_grants",
            format!("at most {} directories", boocode_store::MAX_READ_GRANTS),
        ));
    }
    let raw = std::mem::take(&mut settings.read_grants);
    let resolved = tokio::task::spawn_blocking(move || {
        let mut out: Vec<String> = Vec::new();
        for grant in raw {
            let path = std::path::Path::new(grant.trim());
            if !path.is_absolute() || grant.contains('\0') {
                return Err(format!("{grant:?} is not an absolute path"));
            }
            let canonical = path
                .canonicalize()
                .map_err(|e| format!("{grant:?} cannot be read: {e}"))?;
            if !canonical.is_dir() {
                return Err(format!("{grant:?} is not a directory"));
            }
            if canonical.parent().is_none() {
                return Err("the filesystem root cannot be granted; name a directory".into());
            }
            let text = canonical.to_string_lossy().into_owned();
            if !out.contains(&text) {
                out.push(text);
            }
        }
        Ok(out)
    })
    .await
    .map_err(|e| ApiError::internal(format!("checking read grants failed: {e}")))?;
    settings.read_grants = resolved.map_err(|m| ApiError::invalid("read_grants", m))?;
    Ok(settings)
}

/// `GET /api/projects/{id}/sessions`.
#[utoipa::path(get, path = "/api/projects/{id}/sessions", tag = "sessions", params(("id" = String, Path), ListQuery), responses((status = 200, body = Vec<Session>), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_sessions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<ApiJson<Vec<Session>>, ApiError> {
    let id: ProjectId = parse_id("id", &id)?;
    state.runtime.store.get_project(id).await?;
    Ok(ApiJson(
        state.runtime.store.list_sessions(id, q.archived).await?,
    ))
}

/// The chat settings a create body asks for, over the profile's defaults, checked.
fn new_chat_settings(
    body: &NewChat,
    config: &crate::ServerConfig,
) -> Result<boocode_store::ChatSettings, ApiError> {
    super::chats::SettingsBody {
        provider: body.provider.clone(),
        mode: body.mode,
        model: body.model.clone(),
        thinking: body.thinking,
        agent: body.agent.clone(),
        ..Default::default()
    }
    .apply_to(
        config.runtime.default_chat_settings(),
        &config.runtime.providers,
    )
    .and_then(|settings| {
        settings.check()?;
        Ok(settings)
    })
}

/// `POST /api/projects/{id}/sessions`: a session with its first chat.
#[utoipa::path(post, path = "/api/projects/{id}/sessions", tag = "sessions", params(("id" = String, Path)), request_body(content = Option<NewChat>, description = "Optional title and agent of the first chat"), responses((status = 201, description = "The session and its first chat", body = SessionCreated), (status = 404, body = ErrorBody)))]
pub(crate) async fn create_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let id: ProjectId = parse_id("id", &id)?;
    let body: NewChat = optional_body(&body)?;
    if body.worktree.is_some() {
        return Err(ApiError::invalid(
            "worktree",
            "a session's first chat works in the project; add a chat with POST /api/sessions/{id}/chats to give it a worktree",
        ));
    }
    let settings = new_chat_settings(&body, &state.config)?;
    let session = state
        .runtime
        .store
        .create_session(id, body.title.as_deref().unwrap_or(""))
        .await?;
    let chat = state
        .runtime
        .store
        .create_chat_with(session.id, "", &settings)
        .await?;
    state
        .runtime
        .broker
        .publish_user(UserFrame::SessionCreated {
            session: session.clone(),
        });
    state
        .runtime
        .broker
        .publish_user(UserFrame::ChatCreated { chat: chat.clone() });
    Ok((
        StatusCode::CREATED,
        ApiJson(SessionCreated { session, chat }),
    ))
}

/// `GET /api/sessions/{id}`: the session and its chats.
#[utoipa::path(get, path = "/api/sessions/{id}", tag = "sessions", params(("id" = String, Path)), responses((status = 200, description = "The session and its chats", body = SessionView), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<SessionView>, ApiError> {
    let id: SessionId = parse_id("id", &id)?;
    let session = state.runtime.store.get_session(id).await?;
    let chats = state.runtime.store.list_chats(id, true).await?;
    Ok(ApiJson(SessionView { session, chats }))
}

/// `PATCH /api/sessions/{id}`.
#[utoipa::path(patch, path = "/api/sessions/{id}", tag = "sessions", params(("id" = String, Path)), request_body = Patch, responses((status = 200, body = Session), (status = 404, body = ErrorBody)))]
pub(crate) async fn patch_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<Patch>,
) -> Result<ApiJson<Session>, ApiError> {
    let id: SessionId = parse_id("id", &id)?;
    if let Some(title) = patch.title.as_deref().or(patch.name.as_deref()) {
        state.runtime.store.rename_session(id, title).await?;
    }
    if let Some(archived) = patch.archived {
        state
            .runtime
            .store
            .set_session_archived(id, archived)
            .await?;
        if archived {
            // An archived session's terminals end with it, process groups and all.
            let closed = state.runtime.terminals.close_session(id);
            if closed > 0 {
                tracing::info!(session = %id, closed, "closed the archived session's terminals");
            }
        }
    }
    let session = state.runtime.store.get_session(id).await?;
    state
        .runtime
        .broker
        .publish_user(UserFrame::SessionUpdated {
            session: session.clone(),
        });
    Ok(ApiJson(session))
}

/// Most files a new worktree may copy in.
const MAX_WORKTREE_COPIES: usize = 32;

/// `POST /api/sessions/{id}/chats`.
#[utoipa::path(post, path = "/api/sessions/{id}/chats", tag = "chats", params(("id" = String, Path)), request_body(content = Option<NewChat>), responses((status = 201, body = Chat), (status = 404, body = ErrorBody)))]
pub(crate) async fn create_chat(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let id: SessionId = parse_id("id", &id)?;
    let body: NewChat = optional_body(&body)?;
    let settings = new_chat_settings(&body, &state.config)?;
    let title = body.title.as_deref().unwrap_or("");
    if let Some(worktree) = &body.worktree {
        if worktree.copy.len() > MAX_WORKTREE_COPIES {
            return Err(ApiError::invalid(
                "worktree.copy",
                format!("at most {MAX_WORKTREE_COPIES} files"),
            ));
        }
        let mut options = boocode_worktree::WorktreeOptions::new(format!("chat: {title}"));
        if worktree.include_uncommitted {
            options = options.include_uncommitted();
        }
        for copy in &worktree.copy {
            options = options.copy(&copy.from, &copy.to);
        }
        let chat = state
            .runtime
            .create_chat_in_worktree(id, title, &settings, options)
            .await?;
        return Ok((StatusCode::CREATED, ApiJson(chat)));
    }
    let chat = state
        .runtime
        .store
        .create_chat_with(id, title, &settings)
        .await?;
    state
        .runtime
        .broker
        .publish_user(UserFrame::ChatCreated { chat: chat.clone() });
    Ok((StatusCode::CREATED, ApiJson(chat)))
}

/// `PATCH /api/chats/{id}`.
#[utoipa::path(patch, path = "/api/chats/{id}", tag = "chats", params(("id" = String, Path)), request_body = Patch, responses((status = 200, body = Chat), (status = 404, body = ErrorBody)))]
pub(crate) async fn patch_chat(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<Patch>,
) -> Result<ApiJson<Chat>, ApiError> {
    let id: ChatId = parse_id("id", &id)?;
    if patch.project_settings.is_some() {
        return Err(ApiError::invalid(
            "settings",
            "a chat has no project settings; patch its fields (web, tool_tier, …) directly",
        ));
    }
    if !patch.settings.is_empty() {
        let chat = state.runtime.store.get_chat(id).await?;
        let settings = patch.settings.apply_to(
            boocode_store::ChatSettings::of(&chat),
            &state.config.runtime.providers,
        )?;
        state.runtime.store.set_chat_settings(id, &settings).await?;
    }
    if let Some(title) = patch.title.as_deref().or(patch.name.as_deref()) {
        state.runtime.store.rename_chat(id, title).await?;
    }
    if let Some(archived) = patch.archived {
        state.runtime.store.set_chat_archived(id, archived).await?;
    }
    Ok(ApiJson(state.runtime.store.get_chat(id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    limit: Option<usize>,
}

/// `GET /api/chats/{id}/messages?before=&limit=`: a page, oldest first, with a cursor.
#[utoipa::path(get, path = "/api/chats/{id}/messages", tag = "chats", params(("id" = String, Path), PageQuery), responses((status = 200, description = "A page, oldest first", body = MessagesPage), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_messages(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<ApiJson<MessagesPage>, ApiError> {
    let id: ChatId = parse_id("id", &id)?;
    let MessagePage {
        messages,
        cursor,
        has_more,
    } = state
        .runtime
        .store
        .list_messages(id, q.before, q.limit.unwrap_or(100))
        .await?;
    Ok(ApiJson(MessagesPage {
        messages,
        cursor,
        has_more,
        running: state.runtime.runner.is_running(id),
    }))
}

/// `POST /api/chats/{id}/messages`: stores the message and starts a turn; `202` with both rows.
#[utoipa::path(post, path = "/api/chats/{id}/messages", tag = "chats", params(("id" = String, Path)), request_body = PostMessage, responses((status = 202, description = "The stored user message and the streaming assistant row (the turn runs in the background), or `{queued}` when a turn was running: the message waits and runs next", body = Posted), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub(crate) async fn post_message(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PostMessage>,
) -> Result<impl IntoResponse, ApiError> {
    let id: ChatId = parse_id("id", &id)?;
    if body.text.trim().is_empty() {
        return Err(ApiError::invalid("text", "must not be empty"));
    }
    if body.text.len() > state.config.max_message_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_field",
            format!(
                "text: is {} bytes; the limit is {}",
                body.text.len(),
                state.config.max_message_bytes
            ),
        ));
    }
    let posted = boocode_runtime::post_message(&state.runtime, id, body.text, body.steer).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(posted)))
}

/// `POST /api/chats/{id}/stop`.
#[utoipa::path(post, path = "/api/chats/{id}/stop", tag = "chats", params(("id" = String, Path)), responses((status = 200, description = "`{stopped}`", body = Object), (status = 404, body = ErrorBody)))]
pub(crate) async fn stop(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Value>, ApiError> {
    let id: ChatId = parse_id("id", &id)?;
    state.runtime.store.get_chat(id).await?;
    let stopped = state.runtime.stop(id).await?;
    Ok(ApiJson(json!({ "stopped": stopped })))
}

/// `POST /api/chats/{id}/discard-stale`: fails streaming rows no turn here is writing.
#[utoipa::path(post, path = "/api/chats/{id}/discard-stale", tag = "chats", params(("id" = String, Path)), responses((status = 200, description = "`{failed}`: how many streaming rows were failed", body = Object), (status = 404, body = ErrorBody)))]
pub(crate) async fn discard_stale(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Value>, ApiError> {
    let id: ChatId = parse_id("id", &id)?;
    let failed = state.runtime.discard_stale(id).await?;
    Ok(ApiJson(json!({ "failed": failed })))
}

/// `GET /api/sessions/{id}/workspace`.
#[utoipa::path(get, path = "/api/sessions/{id}/workspace", tag = "sessions", params(("id" = String, Path)), responses((status = 200, body = Workspace), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_workspace(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Workspace>, ApiError> {
    let id: SessionId = parse_id("id", &id)?;
    Ok(ApiJson(Workspace {
        panes: state
            .runtime
            .store
            .load_panes(id)
            .await?
            .unwrap_or(Value::Null),
        origin: None,
    }))
}

/// A session's pane layout, as its clients save it (the server keeps it as given, up to a size
/// limit, and sends it to the user's other devices): `null` until one is saved.
#[derive(Debug, serde::Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Workspace {
    /// The layout (any JSON the client understands), or `null`.
    #[schema(value_type = Value)]
    panes: Value,
    /// The saving client, so it can ignore its own update when it comes back.
    #[serde(default)]
    origin: Option<String>,
}

/// `PUT /api/sessions/{id}/workspace`: saves the layout and tells the user's other devices.
#[utoipa::path(put, path = "/api/sessions/{id}/workspace", tag = "sessions", params(("id" = String, Path)), request_body = Workspace, responses((status = 200, body = Workspace), (status = 404, body = ErrorBody)))]
pub(crate) async fn put_workspace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Workspace>,
) -> Result<ApiJson<Workspace>, ApiError> {
    let id: SessionId = parse_id("id", &id)?;
    state.runtime.store.save_panes(id, &body.panes).await?;
    state
        .runtime
        .broker
        .publish_user(UserFrame::WorkspaceUpdated {
            session_id: id,
            panes: body.panes.clone(),
            origin: body.origin.clone(),
        });
    Ok(ApiJson(body))
}

/// `GET /api/settings`.
#[utoipa::path(get, path = "/api/settings", tag = "settings", responses((status = 200, body = Object)))]
pub(crate) async fn list_settings(
    State(state): State<AppState>,
) -> Result<ApiJson<Value>, ApiError> {
    let settings: serde_json::Map<String, Value> = state
        .runtime
        .store
        .list_settings()
        .await?
        .into_iter()
        .map(|(key, value)| match key.as_str() {
            // The endpoint's key stays on the server.
            super::setup::ENDPOINT_SETTING => {
                let mut value = value;
                if let Some(obj) = value.as_object_mut() {
                    let has_key = obj.remove("api_key").is_some_and(|k| !k.is_null());
                    obj.insert("has_key".into(), Value::Bool(has_key));
                }
                (key, value)
            }
            _ => (key, value),
        })
        .collect();
    Ok(ApiJson(Value::Object(settings)))
}

/// `PUT /api/settings/{key}`.
#[utoipa::path(put, path = "/api/settings/{key}", tag = "settings", params(("key" = String, Path)), request_body = Object, responses((status = 200, body = Object), (status = 400, body = ErrorBody)))]
pub(crate) async fn put_setting(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ApiJson(value): ApiJson<Value>,
) -> Result<ApiJson<Value>, ApiError> {
    if let Some(refused) = super::setup::reserved(&key) {
        return Err(refused);
    }
    state.runtime.store.set_setting(&key, &value).await?;
    Ok(ApiJson(value))
}

/// `DELETE /api/settings/{key}`.
#[utoipa::path(delete, path = "/api/settings/{key}", tag = "settings", params(("key" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub(crate) async fn delete_setting(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    if let Some(refused) = super::setup::reserved(&key) {
        return Err(refused);
    }
    if state.runtime.store.delete_setting(&key).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("setting", key))
    }
}

/// `GET /api/stats/tools`.
#[utoipa::path(get, path = "/api/stats/tools", tag = "server", responses((status = 200, description = "Per-tool count, p50/p95 ms, mean output bytes, error rate over each tool's latest calls", body = ToolStatsReport)))]
pub(crate) async fn tool_stats(
    State(state): State<AppState>,
) -> Result<ApiJson<ToolStatsReport>, ApiError> {
    let tools = state.runtime.store.tool_stats().await?;
    Ok(ApiJson(ToolStatsReport {
        window: u64::try_from(boocode_store::TOOL_STATS_WINDOW).unwrap_or_default(),
        tools,
    }))
}

/// `GET /api/models`: the server's models and the default model's context size.
#[utoipa::path(get, path = "/api/models", tag = "server", responses((status = 200, body = ModelList), (status = 502, body = ErrorBody)))]
pub(crate) async fn models(State(state): State<AppState>) -> Result<ApiJson<ModelList>, ApiError> {
    use boocode_core::ModelClient;
    let client = state.models.current();
    let models = client
        .list_models()
        .await
        .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, "model_unreachable", e.to_string()))?;
    let default = client
        .config()
        .model
        .clone()
        .or_else(|| state.config.runtime.model.clone());
    let context = client.context_size(default.as_deref()).await;
    Ok(ApiJson(ModelList {
        default,
        context,
        models: models
            .into_iter()
            .map(|m| ModelEntry {
                id: m.id,
                context: m.context,
            })
            .collect(),
    }))
}

/// Fallback for unknown API paths.
pub(crate) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}
