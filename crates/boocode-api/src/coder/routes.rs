//! The coder daemon's REST and WebSocket handlers.

use super::CoderState;
use super::run::{InboxItem, Run, RunFrame, RunStatus, RunView, Thinking};
use crate::error::{ApiError, ApiJson};
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use boocode_agents::{AgentBackend, BackendKind, NativeBackend, QueueReview, SessionConfig};
use boocode_core::{
    ChangeQueue, ChangeScope, ChangeState, PermissionDecision, TurnConfig, TurnLimits, now_ms,
};
use boocode_tools::{
    ChangeReport, Tier, WriteMode, apply_pending, read_tools, reject_pending, rewind, write_tools,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

fn routes() -> (Router<CoderState>, Vec<crate::http_guard::RouteInfo>) {
    let (api, list) = crate::http_guard::Routes::new("/api")
        .get("/health", health)
        .get("/providers", providers)
        .get("/runs", list_runs)
        .post("/runs", start_run)
        .get("/runs/{id}", get_run)
        .delete("/runs/{id}", close_run)
        .post("/runs/{id}/prompt", prompt_run)
        .post("/runs/{id}/cancel", cancel_run)
        .get("/runs/{id}/events", run_events)
        .get("/runs/{id}/ws", run_ws)
        .post("/runs/{id}/permissions/{request_id}", answer)
        .post("/runs/{id}/apply", apply)
        .post("/runs/{id}/reject", reject)
        .post("/runs/{id}/rewind", rewind_run)
        .get("/inbox", inbox)
        .get("/changes", list_changes)
        .finish();
    (Router::new().nest("/api", api.fallback(not_found)), list)
}

/// Every route the daemon answers (method and path), for tests that walk them all.
pub(crate) fn route_list() -> Vec<crate::http_guard::RouteInfo> {
    routes().1
}

pub(super) fn router(state: CoderState) -> Router {
    let body_limit = state.config.body_limit;
    let policy = crate::http_guard::RequestPolicy::new(
        state.config.auth_token.is_some(),
        &state.config.allowed_hosts,
        &[],
    );
    let router = routes()
        .0
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_token,
        ))
        .layer(DefaultBodyLimit::max(body_limit));
    crate::http_guard::layer(router, policy).with_state(state)
}

async fn require_token(State(state): State<CoderState>, request: Request, next: Next) -> Response {
    if let Some(token) = state.config.auth_token.as_deref() {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let ok =
            given.is_some_and(|g| crate::auth::constant_time_eq(g.as_bytes(), token.as_bytes()));
        if !ok {
            return ApiError::unauthorized().into_response();
        }
    }
    next.run(request).await
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok", "service": "boocode-coder"}))
}

#[derive(Serialize)]
struct ProviderView {
    name: String,
    kind: BackendKind,
    enabled: bool,
    installed: bool,
}

async fn providers(State(state): State<CoderState>) -> Json<Vec<ProviderView>> {
    Json(
        state
            .config
            .providers
            .iter()
            .map(|p| ProviderView {
                name: p.name.clone(),
                kind: p.kind,
                enabled: p.enabled,
                installed: p
                    .command
                    .as_deref()
                    .is_none_or(|c| boocode_agents::find_program(c).is_some()),
            })
            .collect(),
    )
}

/// `POST /api/runs`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartRun {
    provider: String,
    prompt: String,
    #[serde(default)]
    mode: WriteMode,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    thinking: Option<Thinking>,
}

fn find_run(state: &CoderState, id: &str) -> Result<Arc<Run>, ApiError> {
    state.run(id).ok_or_else(|| ApiError::not_found("run", id))
}

fn agent_failed(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::BAD_GATEWAY, "agent_failed", e.to_string())
}

async fn start_run(
    State(state): State<CoderState>,
    ApiJson(body): ApiJson<StartRun>,
) -> Result<(StatusCode, Json<RunView>), ApiError> {
    if body.prompt.trim().is_empty() {
        return Err(ApiError::invalid("prompt", "is empty"));
    }
    let provider = state
        .config
        .providers
        .iter()
        .find(|p| p.name == body.provider)
        .cloned()
        .ok_or_else(|| {
            let known: Vec<&str> = state
                .config
                .providers
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            ApiError::invalid(
                "provider",
                format!(
                    "unknown provider {:?} (known: {})",
                    body.provider,
                    known.join(", ")
                ),
            )
        })?;
    if !provider.enabled {
        return Err(ApiError::invalid(
            "provider",
            format!("provider {} is disabled", provider.name),
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let scope = ChangeScope::Run(id.clone());
    let queue: Arc<dyn ChangeQueue> = Arc::new(state.store.clone());
    let effort = body.thinking.and_then(Thinking::effort);
    let mut config = SessionConfig {
        cwd: state.config.root.clone(),
        model: body.model.clone(),
        effort: effort.clone(),
        ..SessionConfig::default()
    };
    let backend: Box<dyn AgentBackend> = if provider.kind == BackendKind::Native {
        let (mut tools, _) = read_tools(state.env.clone(), Tier::Standard, None);
        tools.extend(write_tools(state.env.clone(), queue, scope, body.mode));
        let system = boocode_tools::native_system_prompt(
            state.env.paths().root().to_path_buf(),
            state.config.config_dir.clone(),
        )
        .await;
        let turn = TurnConfig {
            model: body.model.clone().or_else(|| state.config.model.clone()),
            system,
            limits: TurnLimits::for_agent(None, &tools),
            root: state.config.root.clone(),
            reasoning_effort: effort,
            ..TurnConfig::default()
        };
        Box::new(NativeBackend::new(state.model.clone(), tools, turn))
    } else {
        config.reviewer =
            Some(QueueReview::new(state.env.clone(), queue, scope, body.mode).into_reviewer());
        provider.backend().map_err(agent_failed)?
    };
    let session = backend.start(config).await.map_err(agent_failed)?;
    let view = RunView {
        id: id.clone(),
        provider: provider.name.clone(),
        mode: body.mode,
        model: body.model,
        thinking: body.thinking,
        status: RunStatus::Running,
        last_outcome: None,
        error: None,
        backend_session_id: session.backend_session_id(),
        events: 0,
        waiting: 0,
        created_at: now_ms(),
    };
    let ledger = (
        state.ledger.clone(),
        state.env.paths().root().display().to_string(),
    );
    let run = Run::start(view, session, body.prompt, Some(ledger));
    state.add_run(run.clone());
    tracing::info!(run = %id, provider = %provider.name, mode = ?run.view().mode, "coder run started");
    Ok((StatusCode::CREATED, Json(run.view())))
}

async fn list_runs(State(state): State<CoderState>) -> Json<Vec<RunView>> {
    Json(state.all_runs().iter().map(|r| r.view()).collect())
}

async fn get_run(
    State(state): State<CoderState>,
    Path(id): Path<String>,
) -> Result<Json<RunView>, ApiError> {
    Ok(Json(find_run(&state, &id)?.view()))
}

async fn close_run(
    State(state): State<CoderState>,
    Path(id): Path<String>,
) -> Result<Json<RunView>, ApiError> {
    let run = find_run(&state, &id)?;
    run.close();
    Ok(Json(run.view()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptBody {
    prompt: String,
}

async fn prompt_run(
    State(state): State<CoderState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PromptBody>,
) -> Result<(StatusCode, Json<RunView>), ApiError> {
    if body.prompt.trim().is_empty() {
        return Err(ApiError::invalid("prompt", "is empty"));
    }
    let run = find_run(&state, &id)?;
    run.prompt(body.prompt).map_err(|status| {
        ApiError::conflict(
            "run_busy",
            format!("the run is {status:?}, not idle; wait for it or cancel it").to_lowercase(),
        )
    })?;
    Ok((StatusCode::ACCEPTED, Json(run.view())))
}

async fn cancel_run(
    State(state): State<CoderState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let run = find_run(&state, &id)?;
    Ok(Json(serde_json::json!({"cancelled": run.cancel()})))
}

#[derive(Debug, Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

#[derive(Serialize)]
struct EventsPage {
    run: RunView,
    frames: Vec<Arc<RunFrame>>,
}

async fn run_events(
    State(state): State<CoderState>,
    Path(id): Path<String>,
    Query(after): Query<After>,
) -> Result<Json<EventsPage>, ApiError> {
    let run = find_run(&state, &id)?;
    let (frames, _) = run.subscribe(after.after);
    Ok(Json(EventsPage {
        run: run.view(),
        frames,
    }))
}

async fn run_ws(
    State(state): State<CoderState>,
    Path(id): Path<String>,
    Query(after): Query<After>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !crate::auth::origin_in(&headers, &[]) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_refused",
            "cross-origin WebSocket refused",
        )
        .into_response();
    }
    let run = match find_run(&state, &id) {
        Ok(run) => run,
        Err(e) => return e.into_response(),
    };
    ws.on_upgrade(move |socket| stream_run(run, after.after, socket))
}

async fn send(socket: &mut WebSocket, frame: &RunFrame) -> bool {
    match serde_json::to_string(frame) {
        Ok(text) => socket.send(WsMessage::Text(text.into())).await.is_ok(),
        Err(_) => false,
    }
}

/// Sends the frames after `after`, the run's status, then live frames until the socket closes.
async fn stream_run(run: Arc<Run>, after: u64, mut socket: WebSocket) {
    let (backlog, mut rx) = run.subscribe(after);
    let mut last = after;
    for frame in backlog {
        if let RunFrame::Event { seq, .. } = frame.as_ref() {
            last = *seq;
        }
        if !send(&mut socket, &frame).await {
            return;
        }
    }
    // The status as of the backlog's end (a status change after it also arrives live).
    let status = RunFrame::Status {
        run: Box::new(run.view()),
    };
    if !send(&mut socket, &status).await {
        return;
    }
    loop {
        tokio::select! {
            frame = rx.recv() => match frame {
                Ok(frame) => {
                    if let RunFrame::Event { seq, .. } = frame.as_ref() {
                        if *seq <= last {
                            continue;
                        }
                        last = *seq;
                    }
                    if !send(&mut socket, &frame).await {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    // Catch up from the log rather than drop events.
                    let (missed, fresh) = run.subscribe(last);
                    rx = fresh;
                    for frame in missed {
                        if let RunFrame::Event { seq, .. } = frame.as_ref() {
                            last = *seq;
                        }
                        if !send(&mut socket, &frame).await {
                            return;
                        }
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    decision: PermissionDecision,
}

async fn answer(
    State(state): State<CoderState>,
    Path((id, request_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let run = find_run(&state, &id)?;
    run.answer(&request_id, body.decision)
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "not_waiting", e.to_string()))?;
    Ok(Json(serde_json::json!({"answered": request_id})))
}

async fn inbox(State(state): State<CoderState>) -> Json<Vec<InboxItem>> {
    let mut items: Vec<InboxItem> = state.all_runs().iter().flat_map(|r| r.inbox()).collect();
    items.sort_by_key(|i| i.asked_at);
    Json(items)
}

/// A pending change as the API shows it (contents stay on the server; the diff shows them).
#[derive(Debug, Serialize)]
struct ChangeView {
    id: String,
    run_id: Option<String>,
    seq: i64,
    path: String,
    state: ChangeState,
    diff: String,
}

#[derive(Debug, Deserialize)]
struct ChangeFilter {
    run: Option<String>,
    state: Option<String>,
}

async fn list_changes(
    State(state): State<CoderState>,
    Query(filter): Query<ChangeFilter>,
) -> Result<Json<Vec<ChangeView>>, ApiError> {
    let wanted = match filter.state.as_deref() {
        None | Some("all") => None,
        Some(s) => Some(
            s.parse::<ChangeState>()
                .map_err(|e| ApiError::invalid("state", e))?,
        ),
    };
    let changes = state
        .store
        .list_pending_changes(None, filter.run.as_deref())
        .await?;
    Ok(Json(
        changes
            .into_iter()
            .filter(|c| c.run_id.is_some() && wanted.is_none_or(|w| c.state == w))
            .map(|c| ChangeView {
                id: c.id,
                run_id: c.run_id,
                seq: c.seq,
                path: c.path,
                state: c.state,
                diff: c.diff,
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Selection {
    #[serde(default)]
    ids: Option<Vec<String>>,
}

async fn apply(
    State(state): State<CoderState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Selection>,
) -> Result<Json<ChangeReport>, ApiError> {
    let scope = ChangeScope::Run(id);
    let report = apply_pending(&state.env, &state.store, &scope, body.ids.as_deref())
        .await
        .map_err(ApiError::from)?;
    Ok(Json(report))
}

async fn reject(
    State(state): State<CoderState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Selection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let scope = ChangeScope::Run(id);
    let done = reject_pending(
        state.env.paths().root(),
        &state.store,
        &scope,
        body.ids.as_deref(),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(Json(serde_json::json!({"rejected": done})))
}

async fn rewind_run(
    State(state): State<CoderState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Selection>,
) -> Result<Json<ChangeReport>, ApiError> {
    let scope = ChangeScope::Run(id);
    let report = rewind(&state.env, &state.store, &scope, body.ids.as_deref())
        .await
        .map_err(ApiError::from)?;
    Ok(Json(report))
}
