//! Messages sent while a chat's turn runs: instead of refusing them, the server keeps them in
//! the store (`queued_messages`) and runs them as the chat's next turns, oldest first, on
//! whichever instance finishes the running turn. The queue is visible (a `queue_changed` frame
//! on every change, `GET /api/chats/{id}/queue`) and each entry can be cancelled. A stop ends
//! the running turn only; what waits runs next. Queues left by a restart run at boot.

use crate::error::RuntimeError;
use crate::runner::start_turn;
use crate::state::Runtime;
use boocode_core::protocol::{Posted, SteeringMessage};
use boocode_core::{ChatId, SessionFrame};
use std::future::Future;
use std::pin::Pin;

fn busy(e: &RuntimeError) -> bool {
    matches!(e, RuntimeError::TurnRunning(_))
}

/// Starts a turn with `text`, or queues it behind the chat's running turn; with `steer`, a
/// turn running here takes it at its next step boundary instead (a turn on another instance
/// queues it: steering needs the loop in this process).
pub async fn post_message(
    state: &Runtime,
    chat_id: ChatId,
    text: String,
    steer: bool,
) -> Result<Posted, RuntimeError> {
    if steer && state.runner.steer(chat_id, &text) {
        return Ok(Posted::Steering {
            steering: SteeringMessage { chat_id, text },
        });
    }
    match start_turn(state, chat_id, text.clone()).await {
        Ok(started) => Ok(Posted::Started(started)),
        Err(e) if busy(&e) => {
            let queued = state.store.queue_message(chat_id, &text).await?;
            publish_queue(state, chat_id).await;
            // The turn may have ended between the check and the insert: nobody would take it.
            if !state.runner.is_running(chat_id)
                && state.store.streaming_messages(chat_id).await?.is_empty()
            {
                run_next(state.clone(), chat_id).await;
            }
            Ok(Posted::Queued { queued })
        }
        Err(e) => Err(e),
    }
}

/// Sends the chat's queue to its session's clients.
pub async fn publish_queue(state: &Runtime, chat_id: ChatId) {
    let (Ok(chat), Ok(queue)) = (
        state.store.get_chat(chat_id).await,
        state.store.queued_messages(chat_id).await,
    ) else {
        return;
    };
    state.broker.publish_session(
        chat.session_id,
        SessionFrame::QueueChanged { chat_id, queue },
    );
}

/// Sends the chat's pending changes to its session's clients.
pub async fn publish_changes(state: &Runtime, chat_id: ChatId) {
    let (Ok(chat), Ok(changes)) = (
        state.store.get_chat(chat_id).await,
        state.store.list_pending_changes(chat_id).await,
    ) else {
        return;
    };
    state.broker.publish_session(
        chat.session_id,
        SessionFrame::ChangesChanged {
            chat_id,
            changes: changes.into_iter().map(Into::into).collect(),
        },
    );
}

/// Starts the chat's oldest queued message as its next turn, if any waits and the server is
/// not shutting down. Boxed: a turn's end calls it, and it starts a turn.
pub fn run_next(state: Runtime, chat_id: ChatId) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        loop {
            if state.runner.is_shutting_down() {
                return;
            }
            let next = match state.store.take_queued_message(chat_id).await {
                Ok(Some(next)) => next,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(%chat_id, error = %e, "cannot read the chat's queue");
                    return;
                }
            };
            publish_queue(&state, chat_id).await;
            match start_turn(&state, chat_id, next.text.clone()).await {
                Ok(_) => return,
                Err(e) if busy(&e) => {
                    // Another message started a turn first: wait behind it again.
                    if let Err(e) = state.store.queue_message(chat_id, &next.text).await {
                        tracing::warn!(%chat_id, error = %e, "lost a queued message");
                    }
                    publish_queue(&state, chat_id).await;
                    return;
                }
                Err(e) => {
                    tracing::warn!(%chat_id, error = %e, "a queued message could not start; dropped");
                }
            }
        }
    })
}

/// At boot: runs what waits in every chat (a restart left it queued).
pub(crate) async fn resume_all(state: &Runtime) {
    match state.store.chats_with_queued_messages().await {
        Ok(chats) => {
            for chat_id in chats {
                run_next(state.clone(), chat_id).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the queued messages"),
    }
}
