//! A chat's settings (provider, mode, model, thinking, agent) and its pending changes: list,
//! apply, reject and rewind, per chat and per change.

use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use boocode_core::protocol::{ChangeSelection, ChangeView, InboxAnswer, InboxItem, InboxState};
use boocode_core::{
    ChangeReport, ChangeScope, ChangeState, Chat, ChatId, ChatMode, NATIVE_PROVIDER, PendingChange,
    Thinking, ToolTier,
};
use boocode_store::ChatSettings;
use boocode_tools::{PathGuard, ToolEnv, apply_pending, reject_pending, rewind};
use serde::Deserialize;

/// The settings a create or patch body may carry; absent fields keep their value.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub(crate) struct SettingsBody {
    /// Who runs the chat's turns: `boocode` (BooCode's own loop) or any configured provider
    /// (`GET /api/providers`).
    #[serde(default)]
    pub(crate) provider: Option<String>,
    /// `ask` (read-only), `review` (writes queued) or `auto_apply`.
    #[serde(default)]
    pub(crate) mode: Option<ChatMode>,
    /// The model; an empty string returns to the default.
    #[serde(default)]
    pub(crate) model: Option<String>,
    /// `off`, `low`, `medium` or `high`.
    #[serde(default)]
    pub(crate) thinking: Option<Thinking>,
    /// The agent definition; an empty string removes it.
    #[serde(default)]
    pub(crate) agent: Option<String>,
    /// Web access (`web_search`, `web_fetch`): `on`, `off`, or `project` to follow the
    /// project's default.
    #[serde(default)]
    pub(crate) web: Option<WebChoice>,
    /// `core`, `standard`, `all`, or `project` to follow the project's default.
    #[serde(default)]
    pub(crate) tool_tier: Option<TierChoice>,
}

/// A chat's web access, or the project's default.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WebChoice {
    On,
    Off,
    Project,
}

/// A chat's tool tier, or the project's default.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TierChoice {
    Core,
    Standard,
    All,
    Project,
}

impl SettingsBody {
    /// Whether the body names any setting.
    pub(crate) fn is_empty(&self) -> bool {
        self.provider.is_none()
            && self.mode.is_none()
            && self.model.is_none()
            && self.thinking.is_none()
            && self.agent.is_none()
            && self.web.is_none()
            && self.tool_tier.is_none()
    }

    /// `base` with this body's settings applied, checked against the configured `providers`.
    pub(crate) fn apply_to(
        &self,
        mut base: ChatSettings,
        providers: &[boocode_agents::Provider],
    ) -> Result<ChatSettings, ApiError> {
        if let Some(provider) = &self.provider {
            let provider = provider.trim();
            match providers.iter().find(|p| p.name == provider) {
                Some(p) if p.enabled || p.name == NATIVE_PROVIDER => {}
                Some(_) => {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "provider_unavailable",
                        format!("provider: {provider:?} is disabled in the settings"),
                    ));
                }
                None => {
                    let known: Vec<&str> = providers.iter().map(|p| p.name.as_str()).collect();
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "provider_unavailable",
                        format!(
                            "provider: {provider:?} is not configured (known: {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
            base.provider = provider.to_owned();
        }
        if let Some(mode) = self.mode {
            base.mode = mode;
        }
        if let Some(model) = &self.model {
            base.model = Some(model.trim().to_owned()).filter(|m| !m.is_empty());
        }
        if let Some(thinking) = self.thinking {
            base.thinking = Some(thinking).filter(|t| *t != Thinking::Off);
        }
        if let Some(agent) = &self.agent {
            base.agent = Some(agent.trim().to_owned()).filter(|a| !a.is_empty());
        }
        if let Some(web) = self.web {
            base.web = match web {
                WebChoice::On => Some(true),
                WebChoice::Off => Some(false),
                WebChoice::Project => None,
            };
        }
        if let Some(tier) = self.tool_tier {
            base.tool_tier = match tier {
                TierChoice::Core => Some(ToolTier::Core),
                TierChoice::Standard => Some(ToolTier::Standard),
                TierChoice::All => Some(ToolTier::All),
                TierChoice::Project => None,
            };
        }
        Ok(base)
    }
}

fn chat_id(raw: &str) -> Result<ChatId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::invalid("id", format!("{raw:?} is not a valid id")))
}

/// `GET /api/chats/{id}`.
#[utoipa::path(get, path = "/api/chats/{id}", tag = "chats", params(("id" = String, Path)), responses((status = 200, body = Chat), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_chat(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Chat>, ApiError> {
    Ok(ApiJson(state.runtime.store.get_chat(chat_id(&id)?).await?))
}

/// `DELETE /api/chats/{id}/worktree`: removes the chat's own worktree (its files and git
/// registration). The chat keeps its history and takes no more turns.
#[utoipa::path(delete, path = "/api/chats/{id}/worktree", tag = "chats", params(("id" = String, Path)), responses((status = 200, body = Chat), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn discard_worktree(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Chat>, ApiError> {
    Ok(ApiJson(
        state.runtime.discard_chat_worktree(chat_id(&id)?).await?,
    ))
}

/// `POST /api/chats/{id}/merge`: queues what a delegated child changed in its worktree as
/// pending changes of its parent chat (reviewed there), then removes the worktree.
#[utoipa::path(post, path = "/api/chats/{id}/merge", tag = "chats", params(("id" = String, Path)), responses((status = 200, body = boocode_core::delegation::MergedChild), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn merge_child(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<boocode_core::delegation::MergedChild>, ApiError> {
    Ok(ApiJson(state.runtime.merge_child(chat_id(&id)?).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ChangesQuery {
    /// Only changes in this state (`pending`, `applied`, `rejected`, `reverted`; `all` or
    /// nothing: every state).
    #[serde(default)]
    state: Option<String>,
}

/// `GET /api/chats/{id}/changes?state=`.
#[utoipa::path(get, path = "/api/chats/{id}/changes", tag = "chats", params(("id" = String, Path), ChangesQuery), responses((status = 200, body = Vec<ChangeView>), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_changes(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ChangesQuery>,
) -> Result<ApiJson<Vec<ChangeView>>, ApiError> {
    let id = chat_id(&id)?;
    state.runtime.store.get_chat(id).await?;
    let changes = state.runtime.store.list_pending_changes(id).await?;
    views(changes, &query)
}

/// `changes` in the state `query` asks for (all when it names none).
fn views(
    changes: Vec<PendingChange>,
    query: &ChangesQuery,
) -> Result<ApiJson<Vec<ChangeView>>, ApiError> {
    let wanted = match query.state.as_deref() {
        None | Some("" | "all") => None,
        Some(s) => Some(
            s.parse::<ChangeState>()
                .map_err(|e| ApiError::invalid("state", e))?,
        ),
    };
    Ok(ApiJson(
        changes
            .into_iter()
            .filter(|c| wanted.is_none_or(|w| c.state == w))
            .map(ChangeView::from)
            .collect(),
    ))
}

/// `GET /api/projects/{id}/changes?state=`: the changes of every chat of a project.
#[utoipa::path(get, path = "/api/projects/{id}/changes", tag = "projects", params(("id" = String, Path), ChangesQuery), responses((status = 200, body = Vec<ChangeView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_project_changes(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ChangesQuery>,
) -> Result<ApiJson<Vec<ChangeView>>, ApiError> {
    let id: boocode_core::ProjectId = id
        .parse()
        .map_err(|_| ApiError::invalid("id", format!("{id:?} is not a valid id")))?;
    state.runtime.store.get_project(id).await?;
    let changes = state.runtime.store.list_project_changes(id).await?;
    views(changes, &query)
}

/// The chat's project guards, for applying or rewinding its changes.
async fn env_of(state: &AppState, id: ChatId) -> Result<ToolEnv, ApiError> {
    // A chat in its own worktree applies and rewinds there, never in the main tree.
    let root = state.runtime.chat_root(id).await?;
    let guard = PathGuard::new(&root).map_err(|e| {
        ApiError::new(
            StatusCode::CONFLICT,
            "project_unusable",
            format!("the project directory is not usable: {e}"),
        )
    })?;
    Ok(ToolEnv::new(guard))
}

/// `POST /api/chats/{id}/changes/{op}` with `op` one of `apply`, `reject`, `rewind`.
#[utoipa::path(post, path = "/api/chats/{id}/changes/{op}", tag = "chats", params(("id" = String, Path), ("op" = String, Path, description = "apply, reject or rewind")), request_body = ChangeSelection, responses((status = 200, body = ChangeReport), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn change_operation(
    State(state): State<AppState>,
    Path((id, op)): Path<(String, String)>,
    ApiJson(body): ApiJson<ChangeSelection>,
) -> Result<ApiJson<ChangeReport>, ApiError> {
    let id = chat_id(&id)?;
    let env = env_of(&state, id).await?;
    let scope = ChangeScope(id);
    let ids = body.ids.as_deref();
    let report = match op.as_str() {
        "apply" => apply_pending(&env, &state.runtime.store, &scope, ids).await,
        "rewind" => rewind(&env, &state.runtime.store, &scope, ids).await,
        "reject" => reject_pending(env.paths().root(), &state.runtime.store, &scope, ids)
            .await
            .map(|done| ChangeReport {
                done,
                ..ChangeReport::default()
            }),
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no change operation {other:?} (apply, reject or rewind)"),
            ));
        }
    }
    .map_err(ApiError::from)?;
    boocode_runtime::publish_changes(&state.runtime, id).await;
    Ok(ApiJson(report))
}

/// `GET /api/chats/{id}/queue`: the messages waiting for the running turn, oldest first.
#[utoipa::path(get, path = "/api/chats/{id}/queue", tag = "chats", params(("id" = String, Path)), responses((status = 200, body = Vec<boocode_core::QueuedMessage>), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_queue(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<boocode_core::QueuedMessage>>, ApiError> {
    let id = chat_id(&id)?;
    state.runtime.store.get_chat(id).await?;
    Ok(ApiJson(state.runtime.store.queued_messages(id).await?))
}

/// `DELETE /api/chats/{id}/queue/{queued_id}`: cancels a waiting message.
#[utoipa::path(delete, path = "/api/chats/{id}/queue/{queued_id}", tag = "chats", params(("id" = String, Path), ("queued_id" = String, Path)), responses((status = 200, description = "`{cancelled: true}`", body = Object), (status = 404, description = "Not waiting (already running, or unknown)", body = ErrorBody)))]
pub(crate) async fn cancel_queued(
    State(state): State<AppState>,
    Path((id, queued_id)): Path<(String, String)>,
) -> Result<ApiJson<serde_json::Value>, ApiError> {
    let id = chat_id(&id)?;
    state.runtime.store.get_chat(id).await?;
    if !state
        .runtime
        .store
        .cancel_queued_message(id, &queued_id)
        .await?
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no message {queued_id:?} waits in this chat (it may have started already)"),
        ));
    }
    boocode_runtime::publish_queue(&state.runtime, id).await;
    Ok(ApiJson(serde_json::json!({ "cancelled": true })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct InboxQuery {
    /// `waiting` (default), `answered`, `expired` or `all`.
    #[serde(default)]
    state: Option<String>,
}

/// `GET /api/inbox?state=`: the permission prompts waiting for an answer across every session
/// and instance (or the answered or expired ones), oldest first.
#[utoipa::path(get, path = "/api/inbox", tag = "chats", params(InboxQuery), responses((status = 200, body = Vec<InboxItem>), (status = 400, body = ErrorBody)))]
pub(crate) async fn inbox(
    State(state): State<AppState>,
    Query(query): Query<InboxQuery>,
) -> Result<ApiJson<Vec<InboxItem>>, ApiError> {
    let wanted = match query.state.as_deref() {
        None | Some("") => Some(InboxState::Waiting),
        Some("all") => None,
        Some(s) => Some(
            s.parse::<InboxState>()
                .map_err(|e| ApiError::invalid("state", e))?,
        ),
    };
    Ok(ApiJson(state.runtime.inbox(wanted).await?))
}

/// `POST /api/inbox/{request_id}`: answers a waiting prompt; the agent goes on. A prompt asked
/// on another instance is answered there (through Postgres).
#[utoipa::path(post, path = "/api/inbox/{request_id}", tag = "chats", params(("request_id" = String, Path)), request_body = InboxAnswer, responses((status = 200, body = InboxItem), (status = 404, body = ErrorBody), (status = 409, description = "Already answered, or expired", body = ErrorBody)))]
pub(crate) async fn answer(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
    ApiJson(body): ApiJson<InboxAnswer>,
) -> Result<ApiJson<InboxItem>, ApiError> {
    Ok(ApiJson(
        state
            .runtime
            .answer_prompt(&request_id, body.decision)
            .await?,
    ))
}
