//! WebSockets: a session's frame stream, and the per-user channel.

use crate::auth::origin_allowed;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use boocode_core::{MessageId, SessionFrame, SessionId, UserFrame};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

const PING_EVERY: Duration = Duration::from_secs(30);

pub(crate) fn refuse_origin() -> Response {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "origin_refused",
        "cross-origin WebSocket refused",
    )
    .into_response()
}

/// `GET /api/sessions/{id}/ws`.
pub(crate) async fn session_ws(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&state, &headers) {
        return refuse_origin();
    }
    let Ok(session_id) = id.parse::<SessionId>() else {
        return ApiError::invalid("id", format!("{id:?} is not a valid id")).into_response();
    };
    if let Err(e) = state.runtime.store.get_session(session_id).await {
        return ApiError::from(e).into_response();
    }
    ws.on_upgrade(move |socket| session_socket(state, session_id, socket))
}

async fn send(socket: &mut WebSocket, frame: &impl serde::Serialize) -> bool {
    match serde_json::to_string(frame) {
        Ok(text) => socket.send(WsMessage::Text(text.into())).await.is_ok(),
        Err(_) => true,
    }
}

async fn send_snapshots(
    socket: &mut WebSocket,
    seen: &mut HashMap<MessageId, u64>,
    snapshots: Vec<(boocode_core::ChatId, boocode_core::Message, u64)>,
) -> bool {
    for (chat_id, message, seq) in snapshots {
        seen.insert(message.id, seq);
        if !send(
            socket,
            &SessionFrame::Snapshot {
                chat_id,
                message,
                seq,
            },
        )
        .await
        {
            return false;
        }
    }
    true
}

async fn session_socket(state: AppState, session_id: SessionId, mut socket: WebSocket) {
    let (mut rx, snapshots) = state.runtime.broker.subscribe_session(session_id);
    // Per turn, the last event already delivered: later duplicates are dropped.
    let mut seen: HashMap<MessageId, u64> = HashMap::new();
    if !send_snapshots(&mut socket, &mut seen, snapshots).await {
        return;
    }
    if !send(&mut socket, &SessionFrame::Ready { session_id }).await {
        return;
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            frame = rx.recv() => match frame {
                Ok(frame) => {
                    if let SessionFrame::Event { message_id, seq, .. } = frame.as_ref() {
                        if seen.get(message_id).is_some_and(|s| *s >= *seq) {
                            continue;
                        }
                        seen.insert(*message_id, *seq);
                    }
                    if !send(&mut socket, frame.as_ref()).await {
                        return;
                    }
                }
                Err(RecvError::Lagged(skipped)) => {
                    // Too slow to keep up: resynchronize from fresh snapshots.
                    tracing::debug!(%session_id, skipped, "subscriber lagged; resending snapshots");
                    let snapshots = state.runtime.broker.snapshots(session_id);
                    if !send_snapshots(&mut socket, &mut seen, snapshots).await {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(WsMessage::Close(_))) => return,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if socket.send(WsMessage::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// `GET /api/user/ws`: the sidebar channel.
pub(crate) async fn user_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&state, &headers) {
        return refuse_origin();
    }
    ws.on_upgrade(move |socket| user_socket(state, socket))
}

async fn user_socket(state: AppState, mut socket: WebSocket) {
    let mut rx = state.runtime.broker.subscribe_user();
    let inbox_waiting = state
        .runtime
        .store
        .waiting_permission_count()
        .await
        .unwrap_or_default();
    let terminals_waiting = state.runtime.terminals.waiting().len() as u64;
    let ready = UserFrame::Ready {
        inbox_waiting,
        terminals_waiting,
    };
    if !send(&mut socket, &ready).await {
        return;
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            frame = rx.recv() => match frame {
                Ok(frame) => {
                    if !send(&mut socket, frame.as_ref()).await {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    if !send(&mut socket, &UserFrame::Resync).await {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(WsMessage::Close(_))) => return,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if socket.send(WsMessage::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}
