//! The turn runner: one active turn per chat, streamed parts flushed to the store every 250 ms
//! and at the end, usage recorded, stale streams swept, and every running turn cancelled and
//! recorded as cancelled on shutdown. A turn never depends on a client: it runs on when tabs
//! close, and any client can watch or stop it.

use crate::context::{self, summary_message};
use crate::error::RuntimeError;
use crate::state::Runtime;
use boocode_core::protocol::StartedTurn;
use boocode_core::{
    CancellationToken, ChatId, ChatStatus, Message, MessageId, MessageKind, MessageStatus, Role,
    SessionFrame, SessionId, UserFrame,
};
use boocode_tools::TruncationStore;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

#[derive(Debug)]
struct Running {
    cancel: CancellationToken,
    /// Messages sent with `steer`: the loop takes them at its next step boundary.
    steering: boocode_core::Steering,
}

/// Turns in flight on this instance.
#[derive(Debug, Default)]
pub struct Runner {
    running: Mutex<HashMap<ChatId, Running>>,
    shutting_down: CancellationToken,
    idle: tokio::sync::Notify,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Runner {
    /// Whether a turn runs in `chat_id` on this instance.
    pub fn is_running(&self, chat_id: ChatId) -> bool {
        lock(&self.running).contains_key(&chat_id)
    }

    /// How many turns run.
    pub fn running_count(&self) -> usize {
        lock(&self.running).len()
    }

    /// Asks the chat's turn to stop; true if one was running here.
    pub fn stop(&self, chat_id: ChatId) -> bool {
        match lock(&self.running).get(&chat_id) {
            Some(r) => {
                r.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Whether the server is shutting down (no new turns start).
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.is_cancelled()
    }

    /// Ends the chat's turn here; returns the steering messages nobody took.
    pub(crate) fn finish(&self, chat_id: ChatId) -> Vec<String> {
        let mut running = lock(&self.running);
        let left = running
            .remove(&chat_id)
            .map(|r| r.steering.drain())
            .unwrap_or_default();
        if running.is_empty() {
            self.idle.notify_waiters();
        }
        left
    }

    /// Hands `text` to the chat's running turn here, to be taken at its next step boundary;
    /// false when no turn runs here.
    pub(crate) fn steer(&self, chat_id: ChatId, text: &str) -> bool {
        match lock(&self.running).get(&chat_id) {
            Some(r) => {
                r.steering.push(text);
                true
            }
            None => false,
        }
    }

    /// Cancels every running turn and waits (up to `grace`) for them to be recorded.
    pub async fn shutdown(&self, grace: Duration) {
        self.shutting_down.cancel();
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let idle = self.idle.notified();
            {
                let running = lock(&self.running);
                if running.is_empty() {
                    return;
                }
                for r in running.values() {
                    r.cancel.cancel();
                }
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                tracing::warn!(
                    turns = self.running_count(),
                    "shutdown grace ran out with turns still finishing"
                );
                return;
            }
        }
    }
}

/// Starts a turn: stores the user's message and a streaming assistant row, then runs the loop
/// in the background. A busy chat gets `409 turn_running` (which
/// [`post_message`](crate::queue::post_message) turns into a queued message).
pub async fn start_turn(
    state: &Runtime,
    chat_id: ChatId,
    text: String,
) -> Result<StartedTurn, RuntimeError> {
    let runner = &state.runner;
    if runner.shutting_down.is_cancelled() {
        return Err(RuntimeError::ShuttingDown);
    }
    let chat = state.store.get_chat(chat_id).await?;
    let session = state.store.get_session(chat.session_id).await?;
    let project = state.store.get_project(session.project_id).await?;
    if let Some(dir) = &chat.workdir
        && !std::path::Path::new(dir).is_dir()
    {
        return Err(RuntimeError::WorktreeGone(
            chat.worktree.clone().unwrap_or_default(),
        ));
    }
    let cancel = CancellationToken::new();
    let steering = boocode_core::Steering::new();
    let assistant_id = MessageId::new();
    {
        let mut running = lock(&runner.running);
        if running.contains_key(&chat_id) {
            return Err(RuntimeError::TurnRunning(
                "a turn is already running in this chat; stop it or wait for it to finish".into(),
            ));
        }
        running.insert(
            chat_id,
            Running {
                cancel: cancel.clone(),
                steering: steering.clone(),
            },
        );
    }
    let root = PathBuf::from(chat.workdir.as_deref().unwrap_or(&project.root));
    let hooks = state
        .config
        .chat_hooks(chat_id, &root, chat.mode, &chat.provider);
    let prepared = prepare(state, chat_id, session.id, &text, assistant_id, hooks).await;
    let (user, assistant, history) = match prepared {
        Ok(p) => p,
        Err(e) => {
            runner.finish(chat_id);
            return Err(e);
        }
    };
    let turn = crate::turn::TurnContext {
        state: state.clone(),
        chat_id,
        session_id: session.id,
        session_title: session.title.clone(),
        agent: chat.agent.clone(),
        provider: chat.provider.clone(),
        mode: chat.mode,
        model: chat.model.clone(),
        thinking: chat.thinking,
        web: chat.web.unwrap_or(project.settings.web),
        tool_tier: chat.tool_tier.unwrap_or(project.settings.tool_tier),
        read_grants: project.settings.read_grants.clone(),
        project_name: project.name.clone(),
        // A chat in an isolated worktree works there, never in the main tree.
        project_root: root,
        usage_root: project.root.clone(),
        history,
        assistant: assistant.clone(),
        cancel,
        steering,
        model_used: Mutex::new(None),
    };
    tokio::spawn(turn.run());
    Ok(StartedTurn {
        user_message: user,
        assistant_message: assistant,
    })
}

/// Checks the chat is free in the store, compacts if needed, and stores the two new rows.
async fn prepare(
    state: &Runtime,
    chat_id: ChatId,
    session_id: SessionId,
    text: &str,
    assistant_id: MessageId,
    hooks: Option<std::sync::Arc<dyn boocode_core::Hooks>>,
) -> Result<(Message, Message, Vec<Message>), RuntimeError> {
    if !state.store.streaming_messages(chat_id).await?.is_empty() {
        return Err(RuntimeError::TurnRunning(
            "this chat has a turn still streaming (on another server instance, or interrupted); stop it, or POST discard-stale".into(),
        ));
    }
    let mut history = state
        .store
        .messages_since_kind(chat_id, MessageKind::Summary)
        .await?;
    compact_if_needed(state, chat_id, session_id, &mut history, hooks).await;
    let user = Message::user(text);
    state.store.append_message(chat_id, &user).await?;
    state.broker.publish_session(
        session_id,
        SessionFrame::MessageCreated {
            chat_id,
            message: user.clone(),
        },
    );
    let mut assistant = Message::new(Role::Assistant, MessageStatus::Streaming, Vec::new());
    assistant.id = assistant_id;
    state.store.append_message(chat_id, &assistant).await?;
    state
        .broker
        .begin_turn(session_id, chat_id, assistant.clone());
    state.broker.publish_session(
        session_id,
        SessionFrame::MessageCreated {
            chat_id,
            message: assistant.clone(),
        },
    );
    history.push(user.clone());
    Ok((user, assistant, history))
}

/// Replaces the history with an anchored rolling summary when the last request passed 85% of
/// the context window. One summary per chat: a new one supersedes the old.
async fn compact_if_needed(
    state: &Runtime,
    chat_id: ChatId,
    session_id: SessionId,
    history: &mut Vec<Message>,
    hooks: Option<std::sync::Arc<dyn boocode_core::Hooks>>,
) {
    let ctx_max = state
        .model
        .context_size(state.config.model.as_deref())
        .await;
    if !context::needs_compaction(history, ctx_max) {
        return;
    }
    tracing::info!(%chat_id, ?ctx_max, "compacting the chat history");
    // `PreCompact` hooks run first; their runs show on the summary.
    let pre_compact = match &hooks {
        Some(hooks) => {
            hooks
                .run(
                    boocode_core::HookInput::pre_compact("auto"),
                    &CancellationToken::new(),
                )
                .await
        }
        None => boocode_core::HookOutcome::default(),
    };
    let summary = match context::summarize(
        state.model.as_ref(),
        state.config.model.clone(),
        history,
        &CancellationToken::new(),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(%chat_id, error = %e, "compaction failed; sending the full history");
            return;
        }
    };
    let mut message = summary_message(summary);
    for run in &pre_compact.runs {
        let (level, text) = run.notice();
        message.parts.push(boocode_core::Part::Notice {
            level,
            message: text,
        });
    }
    let stored = async {
        state
            .store
            .delete_messages_of_kind(chat_id, MessageKind::Summary)
            .await?;
        state.store.append_message(chat_id, &message).await
    };
    if let Err(e) = stored.await {
        tracing::warn!(%chat_id, error = %e, "could not store the summary");
        return;
    }
    state.broker.publish_session(
        session_id,
        SessionFrame::MessageCreated {
            chat_id,
            message: message.clone(),
        },
    );
    *history = vec![message];
}

/// Fails streaming rows left by a crash (all of them on SQLite at boot, where no other instance
/// can own one; those idle past `stale_after` otherwise) and tells clients.
pub(crate) async fn sweep(state: &Runtime, boot: bool) {
    let age = if boot && state.store.kind() == boocode_store::BackendKind::Sqlite {
        Duration::ZERO
    } else {
        state.config.stale_after
    };
    match state.store.sweep_stale_streaming(age).await {
        Ok(chats) => {
            for chat_id in chats {
                if state.runner.is_running(chat_id) {
                    continue;
                }
                if let Ok(chat) = state.store.get_chat(chat_id).await {
                    state.broker.publish_user(UserFrame::ChatStatus {
                        session_id: chat.session_id,
                        chat_id,
                        status: ChatStatus::Error,
                    });
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "the stale-stream sweep failed"),
    }
    // Prompts whose turn is gone (a restart, a dead instance) are closed, visibly.
    match state.store.expire_orphan_permission_requests().await {
        Ok(expired) if !expired.is_empty() => {
            for item in &expired {
                tracing::info!(request = %item.request_id, chat_id = %item.chat_id, "a permission prompt expired: its turn is gone");
                state.agents.forget(&item.request_id);
            }
            crate::agent_chats::publish_inbox_count(state).await;
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "the prompt sweep failed"),
    }
    if let Some(dir) = &state.config.truncation_dir
        && let Ok(store) = TruncationStore::open(dir)
        && let Err(e) = store.sweep()
    {
        tracing::warn!(error = %e, "the truncation sweep failed");
    }
}

/// Runs [`sweep`] every `sweep_interval` until `stop`.
pub(crate) async fn sweeper(state: Runtime, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(state.config.sweep_interval) => {
                sweep(&state, false).await;
                state.agents.close_idle(state.config.agent_idle).await;
            }
        }
    }
}
