//! Terminals of a session: create (the user's shell or a provider's command, in the project or a
//! directory inside it), list, rename, close, and a WebSocket per terminal. On the socket,
//! binary frames are raw bytes both ways; text frames are JSON control messages
//! (`TerminalControl`: `resize` in, `exit` and `reset` out). A viewer first gets the scrollback
//! (up to 2 MiB), then live output with nothing between or twice; several may watch at once and
//! the last to resize sets the size. A viewer too slow for the output is sent `reset` and the
//! scrollback again instead of an unbounded queue.

use crate::auth::origin_allowed;
use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use boocode_core::SessionId;
use boocode_core::protocol::{NewTerminal, TerminalControl, TerminalInfo};
use boocode_runtime::terminals::{MAX_INPUT_BYTES, Terminal, TerminalError, TerminalSpec};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Output chunks already waiting are joined into one frame up to this size.
const COALESCE_BYTES: usize = 256 * 1024;

/// How long one send to a viewer may take before the viewer is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

impl From<TerminalError> for ApiError {
    fn from(e: TerminalError) -> Self {
        match e {
            TerminalError::NotFound(_) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{e} (terminals end when the server restarts)"),
            ),
            TerminalError::Limit(m) => ApiError::new(StatusCode::CONFLICT, "terminal_limit", m),
            TerminalError::Invalid(m) => ApiError::new(StatusCode::BAD_REQUEST, "invalid", m),
            TerminalError::Exited => ApiError::new(StatusCode::CONFLICT, "exited", e.to_string()),
            other => ApiError::internal(other),
        }
    }
}

fn session_id(raw: &str) -> Result<SessionId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::invalid("id", format!("{raw:?} is not a valid id")))
}

/// `POST /api/sessions/{id}/terminals`.
#[utoipa::path(post, path = "/api/sessions/{id}/terminals", tag = "terminals", params(("id" = String, Path)), request_body = NewTerminal, responses((status = 201, body = TerminalInfo), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewTerminal>,
) -> Result<(StatusCode, ApiJson<TerminalInfo>), ApiError> {
    let session = state.runtime.store.get_session(session_id(&id)?).await?;
    if session.archived {
        return Err(ApiError::invalid("id", "the session is archived"));
    }
    let project = state.runtime.store.get_project(session.project_id).await?;
    // The working directory goes through the path guard: inside the project, a directory.
    let guard = boocode_tools::PathGuard::new(&project.root)
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, "project_unavailable", e.to_string()))?;
    let wanted = body.cwd.clone().unwrap_or_default();
    let dir = guard
        .resolve(
            if wanted.is_empty() { "." } else { &wanted },
            boocode_tools::Access::Read,
        )
        .map_err(|e| ApiError::invalid("cwd", e))?;
    if !dir.as_path().is_dir() {
        return Err(ApiError::invalid(
            "cwd",
            format!("{wanted:?} is not a directory"),
        ));
    }
    let argv = match body.command.as_deref().filter(|c| !c.is_empty()) {
        None => Vec::new(),
        Some(name) => {
            let provider = state
                .config
                .runtime
                .providers
                .iter()
                .find(|p| p.name == name && p.enabled)
                .ok_or_else(|| {
                    ApiError::invalid("command", format!("{name:?} is not an enabled provider"))
                })?;
            let program = provider.command.clone().ok_or_else(|| {
                ApiError::invalid("command", format!("{name:?} has no command to run"))
            })?;
            std::iter::once(program)
                .chain(provider.args.iter().cloned())
                .collect()
        }
    };
    let shown = dir
        .as_path()
        .strip_prefix(dir.base())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut spec = TerminalSpec::new(argv, dir.as_path());
    spec.cwd_shown = shown;
    spec.cols = body.cols.unwrap_or(80);
    spec.rows = body.rows.unwrap_or(24);
    spec.title = body.title;
    let terminals = &state.runtime.terminals;
    let terminal = terminals.create(session.id, spec)?;
    tracing::info!(terminal = %terminal.info().id, session = %session.id, "terminal started");
    Ok((StatusCode::CREATED, ApiJson(terminal.info())))
}

/// `GET /api/sessions/{id}/terminals`.
#[utoipa::path(get, path = "/api/sessions/{id}/terminals", tag = "terminals", params(("id" = String, Path)), responses((status = 200, body = Vec<TerminalInfo>), (status = 404, body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<TerminalInfo>>, ApiError> {
    let session = state.runtime.store.get_session(session_id(&id)?).await?;
    Ok(ApiJson(state.runtime.terminals.list(session.id)))
}

/// `GET /api/inbox/terminals`: the chats' agent terminals on this server that have gone quiet
/// after printing and wait for input, oldest first.
#[utoipa::path(get, path = "/api/inbox/terminals", tag = "inbox", responses((status = 200, body = Vec<TerminalInfo>)))]
pub(crate) async fn waiting(State(state): State<AppState>) -> ApiJson<Vec<TerminalInfo>> {
    ApiJson(state.runtime.terminals.waiting())
}

/// Body of `PATCH /api/terminals/{id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TerminalPatch {
    title: String,
}

/// `PATCH /api/terminals/{id}`: renames it.
#[utoipa::path(patch, path = "/api/terminals/{id}", tag = "terminals", params(("id" = String, Path)), request_body = TerminalPatch, responses((status = 200, body = TerminalInfo), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn rename(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TerminalPatch>,
) -> Result<ApiJson<TerminalInfo>, ApiError> {
    Ok(ApiJson(state.runtime.terminals.rename(&id, &body.title)?))
}

/// Body of `POST /api/terminals/{id}/input`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TerminalInput {
    /// Text typed into the terminal; it is never run (the user presses Enter).
    text: String,
}

/// `POST /api/terminals/{id}/input`: types text into the terminal (a chat's code block sent
/// there, after the user confirmed).
#[utoipa::path(post, path = "/api/terminals/{id}/input", tag = "terminals", params(("id" = String, Path)), request_body = TerminalInput, responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn input(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TerminalInput>,
) -> Result<StatusCode, ApiError> {
    let terminal = state.runtime.terminals.get(&id)?;
    // Never run anything: a trailing newline is dropped, and text of several lines goes as a
    // bracketed paste (bash, zsh and fish then hold it at the prompt instead of running each
    // line).
    let text = body.text.trim_end_matches(['\n', '\r']);
    if text.is_empty() {
        return Err(ApiError::invalid("text", "nothing to send"));
    }
    let mut bytes = Vec::with_capacity(text.len() + 12);
    let several = text.contains('\n');
    if several {
        bytes.extend_from_slice(b"\x1b[200~");
    }
    bytes.extend_from_slice(text.as_bytes());
    if several {
        bytes.extend_from_slice(b"\x1b[201~");
    }
    terminal.write(bytes).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/terminals/{id}`: kills its process group and forgets it.
#[utoipa::path(delete, path = "/api/terminals/{id}", tag = "terminals", params(("id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub(crate) async fn close(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.runtime.terminals.close(&id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/terminals/{id}/ws`.
pub(crate) async fn socket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&state, &headers) {
        return super::ws::refuse_origin();
    }
    let terminal = match state.runtime.terminals.get(&id) {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_response(),
    };
    ws.max_message_size(MAX_INPUT_BYTES + 1024)
        .max_frame_size(MAX_INPUT_BYTES + 1024)
        .on_upgrade(move |socket| view(terminal, socket))
}

async fn send(socket: &mut WebSocket, message: WsMessage) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await,
        Ok(Ok(()))
    )
}

async fn send_control(socket: &mut WebSocket, control: &TerminalControl) -> bool {
    match serde_json::to_string(control) {
        Ok(text) => send(socket, WsMessage::Text(text.into())).await,
        Err(_) => true,
    }
}

/// One viewer: the scrollback, then live output and input until either side ends.
async fn view(terminal: Arc<Terminal>, mut socket: WebSocket) {
    let pty = terminal.pty();
    let (scrollback, mut live) = pty.attach();
    if !scrollback.is_empty() && !send(&mut socket, WsMessage::Binary(scrollback.into())).await {
        return;
    }
    let mut exited = false;
    // One wait for the whole view, not a new one per message.
    let exit = pty.wait();
    tokio::pin!(exit);
    loop {
        tokio::select! {
            chunk = live.recv(), if !exited => match chunk {
                Ok(bytes) => {
                    // Whatever else is already waiting goes in the same frame (fewer, larger
                    // frames under heavy output).
                    let mut frame = bytes.to_vec();
                    while frame.len() < COALESCE_BYTES {
                        match live.try_recv() {
                            Ok(more) => frame.extend_from_slice(&more),
                            Err(_) => break,
                        }
                    }
                    if !send(&mut socket, WsMessage::Binary(frame.into())).await {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    // Too slow for the output: start this viewer over from the scrollback.
                    let (scrollback, rx) = pty.attach();
                    live = rx;
                    if !send_control(&mut socket, &TerminalControl::Reset).await
                        || !send(&mut socket, WsMessage::Binary(scrollback.into())).await
                    {
                        return;
                    }
                }
                Err(RecvError::Closed) => exited = true,
            },
            exit = &mut exit, if !exited => {
                // The exit is reported after the reader took the last output: pass it on first.
                while let Ok(bytes) = live.try_recv() {
                    if !send(&mut socket, WsMessage::Binary(bytes)).await {
                        return;
                    }
                }
                exited = true;
                if !send_control(&mut socket, &TerminalControl::Exit { code: exit.code, signaled: exit.signaled }).await {
                    return;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Binary(bytes))) => {
                    if terminal.write(bytes.to_vec()).await.is_err() && !exited {
                        exited = pty.exit().is_some();
                    }
                }
                Some(Ok(WsMessage::Text(text))) => {
                    match serde_json::from_str::<TerminalControl>(&text) {
                        Ok(TerminalControl::Resize { cols, rows }) => {
                            if let Err(e) = terminal.resize(cols, rows) {
                                tracing::debug!(error = %e, "terminal resize refused");
                            }
                        }
                        _ => {
                            let _ = socket
                                .send(WsMessage::Close(Some(CloseFrame {
                                    code: 1007,
                                    reason: "text frames are JSON control messages ({\"type\":\"resize\",\"cols\",\"rows\"})".into(),
                                })))
                                .await;
                            return;
                        }
                    }
                }
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
