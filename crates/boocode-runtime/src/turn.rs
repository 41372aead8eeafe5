//! One turn from start to its stored end: the loop (or an external agent) runs, its events
//! reach the broker and the chat status, its parts are flushed while it streams, its final
//! message, usage and steering are recorded, and an untitled session is named.

use crate::context::{self};
use crate::runner::lock;
use crate::state::Runtime;
use boocode_core::{
    AgentEvent, CancellationToken, ChatId, ChatStatus, EventSink, Message, MessageId,
    MessageStatus, Part, SessionFrame, SessionId, TurnOutcome, UserFrame,
};
use boocode_store::ToolCallRecord;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) struct TurnContext {
    pub(crate) state: Runtime,
    pub(crate) chat_id: ChatId,
    pub(crate) session_id: SessionId,
    pub(crate) session_title: String,
    pub(crate) agent: Option<String>,
    /// Who runs the turn: BooCode's own loop or an external agent.
    pub(crate) provider: String,
    /// What the chat may do to files: write tools into its queue in `review`/`auto_apply`.
    pub(crate) mode: boocode_core::ChatMode,
    /// The chat's model, over the agent's and the server's.
    pub(crate) model: Option<String>,
    pub(crate) thinking: Option<boocode_core::Thinking>,
    /// Web access and tool tier, the chat's own or the project's default.
    pub(crate) web: bool,
    pub(crate) tool_tier: boocode_core::ToolTier,
    /// Other directories the project's chats may read.
    pub(crate) read_grants: Vec<String>,
    pub(crate) project_name: String,
    pub(crate) project_root: PathBuf,
    /// The project's own directory (`project_root` is a worktree's for a chat in one): usage
    /// is the project's.
    pub(crate) usage_root: String,
    pub(crate) history: Vec<Message>,
    pub(crate) assistant: Message,
    pub(crate) cancel: CancellationToken,
    pub(crate) steering: boocode_core::Steering,
    /// The model the turn asked for (for the usage ledger).
    pub(crate) model_used: Mutex<Option<String>>,
}

/// Where the loop's events go: the broker (and from there every subscriber), chat status to the
/// user channel, tool calls to the cost records.
struct TurnSink {
    state: Runtime,
    chat_id: ChatId,
    session_id: SessionId,
    provider: String,
    tool_calls: Mutex<Vec<ToolCallRecord>>,
    /// The chat's assistant row the turn writes into, whatever the backend calls it.
    message_id: MessageId,
    /// The status last sent to the user's clients.
    status: Mutex<Option<ChatStatus>>,
    /// In a chat whose turns may propose changes (review, auto-apply): after each tool call,
    /// a nudge to the task that sends the chat's changes to its clients, in order.
    changes: Mutex<Option<tokio::sync::mpsc::UnboundedSender<()>>>,
}

impl EventSink for TurnSink {
    fn emit(&self, event: AgentEvent) {
        let event = match event {
            AgentEvent::TurnStarted { .. } => AgentEvent::TurnStarted {
                message_id: Some(self.message_id.to_string()),
            },
            other => other,
        };
        let inbox =
            self.state
                .agents
                .observe(self.chat_id, self.session_id, &self.provider, &event);
        // The chat's status, the same way for every backend (agents report none of their own,
        // the native loop reports its own too): sent to the user's clients when it changes.
        let status = match &event {
            AgentEvent::Status { status } => Some(*status),
            AgentEvent::TurnStarted { .. } | AgentEvent::PermissionResolved { .. } => {
                Some(ChatStatus::Streaming)
            }
            AgentEvent::PermissionRequested { .. } => Some(ChatStatus::WaitingForInput),
            AgentEvent::TurnFinished { outcome, .. } => Some(if *outcome == TurnOutcome::Error {
                ChatStatus::Error
            } else {
                ChatStatus::Idle
            }),
            _ => None,
        };
        if let Some(status) = status
            && lock(&self.status).replace(status) != Some(status)
        {
            self.state.broker.publish_user(UserFrame::ChatStatus {
                session_id: self.session_id,
                chat_id: self.chat_id,
                status,
            });
        }
        if let AgentEvent::ToolCallFinished {
            name,
            is_error,
            duration_ms,
            output_bytes,
            ..
        } = &event
        {
            lock(&self.tool_calls).push(ToolCallRecord {
                chat_id: Some(self.chat_id),
                tool: name.clone(),
                duration_ms: *duration_ms,
                output_bytes: *output_bytes,
                is_error: *is_error,
            });
        }
        let finished_call = matches!(event, AgentEvent::ToolCallFinished { .. });
        self.state.broker.publish_event(self.chat_id, event);
        if finished_call && let Some(tx) = lock(&self.changes).as_ref() {
            let _ = tx.send(());
        }
        if let Some(write) = inbox {
            self.state.agents.record(&self.state, write);
        }
    }
}

impl TurnContext {
    pub(crate) async fn run(self) {
        let state = self.state.clone();
        let chat_id = self.chat_id;
        let writes = matches!(
            self.mode,
            boocode_core::ChatMode::Review | boocode_core::ChatMode::AutoApply
        );
        let (changes_tx, changes) = if writes {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
            let publisher_state = state.clone();
            let task = tokio::spawn(async move {
                while rx.recv().await.is_some() {
                    // Nudges that piled up are one look at the store.
                    while rx.try_recv().is_ok() {}
                    crate::queue::publish_changes(&publisher_state, chat_id).await;
                }
            });
            (Some(tx), Some(task))
        } else {
            (None, None)
        };
        let sink = Arc::new(TurnSink {
            state: state.clone(),
            chat_id,
            session_id: self.session_id,
            provider: self.provider.clone(),
            tool_calls: Mutex::new(Vec::new()),
            message_id: self.assistant.id,
            status: Mutex::new(None),
            changes: Mutex::new(changes_tx),
        });
        let flusher_stop = CancellationToken::new();
        let flusher = tokio::spawn(flush_loop(
            state.clone(),
            chat_id,
            self.assistant.id,
            flusher_stop.clone(),
        ));

        let result = self.turn(&sink).await;

        flusher_stop.cancel();
        let _ = flusher.await;
        // The chat's changes as the turn left them reach its clients before the turn's end.
        lock(&sink.changes).take();
        if let Some(task) = changes {
            let _ = task.await;
            crate::queue::publish_changes(&state, chat_id).await;
        }
        let steered = result.steered.clone();
        // In the ledger before the final frame, so a client that sees the turn end sees its usage.
        self.record_usage(result.usage).await;
        self.finalize(result, sink).await;
        self.record_steered(steered).await;
        state.broker.end_turn(chat_id);
        // Steering the loop never took (it ended first) waits as the next turn instead.
        for text in state.runner.finish(chat_id) {
            if let Err(e) = state.store.queue_message(chat_id, &text).await {
                tracing::warn!(%chat_id, error = %e, "lost a steering message");
            }
        }
        // A message sent during this turn runs next.
        crate::queue::run_next(state, chat_id).await;
    }

    /// Runs the turn on the chat's provider: a warm external agent session, or a native one
    /// started from the stored history. Both go through the same driver and sink.
    async fn turn(&self, sink: &Arc<TurnSink>) -> boocode_core::TurnResult {
        let mut text = self.history.last().map(Message::text).unwrap_or_default();
        let native = if self.provider == boocode_core::NATIVE_PROVIDER {
            match self.native_start(sink.as_ref()).await {
                Ok(start) => {
                    text = crate::native_chats::preload_skills(text, &start, &start.config.cwd);
                    Some(start)
                }
                Err(e) => return failed_result(&self.assistant, e, sink.as_ref()),
            }
        } else {
            lock(&self.model_used).clone_from(&self.model);
            None
        };
        crate::agent_chats::AgentTurn {
            state: &self.state,
            chat_id: self.chat_id,
            session_id: self.session_id,
            provider: &self.provider,
            mode: self.mode,
            model: self.model.clone(),
            thinking: self.thinking,
            project_root: self.project_root.clone(),
            text,
            assistant: &self.assistant,
            cancel: &self.cancel,
            native,
            first_turn: !self
                .history
                .iter()
                .any(|m| m.role == boocode_core::Role::Assistant),
        }
        .run(sink.clone())
        .await
    }

    /// Adds the turn to the usage ledger (turns that asked the model nothing are left out).
    async fn record_usage(&self, usage: boocode_core::Usage) {
        if usage.prompt_tokens == 0 && usage.completion_tokens == 0 && usage.cost_usd.is_none() {
            return;
        }
        let mut entry =
            boocode_store::UsageEntry::new(self.usage_root.clone(), self.provider.clone());
        entry.chat_id = Some(self.chat_id);
        entry.model = lock(&self.model_used).clone();
        entry.prompt_tokens = usage.prompt_tokens;
        entry.completion_tokens = usage.completion_tokens;
        entry.cost_usd = usage.cost_usd;
        if let Err(e) = self.state.store.record_usage(&entry).await {
            tracing::warn!(chat_id = %self.chat_id, error = %e, "could not record the turn's usage");
        }
    }

    /// Stores each steering message the loop took as a user message of the chat (after the
    /// turn's assistant row), so the history keeps what the model was told.
    async fn record_steered(&self, steered: Vec<(usize, String)>) {
        for (_, text) in steered {
            let message = Message::user(text);
            match self
                .state
                .store
                .append_message(self.chat_id, &message)
                .await
            {
                Ok(()) => self.state.broker.publish_session(
                    self.session_id,
                    SessionFrame::MessageCreated {
                        chat_id: self.chat_id,
                        message,
                    },
                ),
                Err(e) => {
                    tracing::warn!(chat_id = %self.chat_id, error = %e, "could not store a steering message")
                }
            }
        }
    }

    async fn finalize(&self, result: boocode_core::TurnResult, sink: Arc<TurnSink>) {
        let state = &self.state;
        let chat_id = self.chat_id;
        let mut messages = result.messages.into_iter();
        let Some(mut final_message) = messages.next() else {
            return;
        };
        final_message.created_at = self.assistant.created_at;
        // A failed turn keeps its reason with the message, so a reload shows why.
        if final_message.status == MessageStatus::Failed
            && let Some(error) = &result.error
            && !final_message
                .parts
                .iter()
                .any(|p| matches!(p, Part::Notice { message, .. } if message == error))
        {
            final_message.parts.push(Part::Notice {
                level: boocode_core::NoticeLevel::Error,
                message: error.clone(),
            });
        }
        let store = &state.store;
        let write = || async {
            store
                .update_parts(final_message.id, 0, &final_message.parts)
                .await?;
            store
                .finalize_message(final_message.id, final_message.status, final_message.usage)
                .await
        };
        if let Err(e) = retry(write).await {
            tracing::error!(%chat_id, error = %e, "could not store the final message; the sweep will fail it");
        }
        // A prompt still waiting when the turn ended (a stop, a failure) will never be answered.
        state.agents.forget_chat(chat_id);
        match store.expire_chat_permission_requests(chat_id).await {
            Ok(0) => {}
            Ok(_) => crate::agent_chats::publish_inbox_count(state).await,
            Err(e) => tracing::warn!(%chat_id, error = %e, "could not close the turn's prompts"),
        }
        for extra in messages {
            if let Err(e) = store.append_message(chat_id, &extra).await {
                tracing::error!(%chat_id, error = %e, "could not store the turn's sentinel");
                continue;
            }
            state.broker.publish_session(
                self.session_id,
                SessionFrame::MessageCreated {
                    chat_id,
                    message: extra,
                },
            );
        }
        // Recorded before the finish is announced, so whoever sees it sees the tool stats too.
        let calls = std::mem::take(&mut *lock(&sink.tool_calls));
        for call in calls {
            if let Err(e) = store.record_tool_call(&call).await {
                tracing::warn!(error = %e, "could not record a tool call");
            }
        }
        state.broker.publish_session(
            self.session_id,
            SessionFrame::MessageFinished {
                chat_id,
                message: final_message.clone(),
            },
        );
        if result.outcome == TurnOutcome::Completed && self.session_title.trim().is_empty() {
            let question = self.history.last().map(Message::text).unwrap_or_default();
            tokio::spawn(name_session(
                state.clone(),
                self.session_id,
                question,
                final_message.text(),
            ));
        }
    }
}

/// A turn that failed before it began: the error as its finish, the assistant row failed.
pub(crate) fn failed_result(
    assistant: &Message,
    error: String,
    sink: &dyn EventSink,
) -> boocode_core::TurnResult {
    sink.emit(AgentEvent::TurnFinished {
        outcome: TurnOutcome::Error,
        summary: Some(error.clone()),
        usage: Default::default(),
    });
    let mut message = assistant.clone();
    message.status = MessageStatus::Failed;
    boocode_core::TurnResult {
        outcome: TurnOutcome::Error,
        messages: vec![message],
        usage: Default::default(),
        error: Some(error),
        steered: Vec::new(),
    }
}

/// Runs a store write up to three times (a busy SQLite file or a Postgres failover can fail
/// one attempt); the final message of a turn is the last thing to lose.
async fn retry<T, F, Fut>(write: F) -> Result<T, boocode_store::StoreError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, boocode_store::StoreError>>,
{
    let mut last = None;
    for attempt in 0..3u32 {
        match write().await {
            Ok(v) => return Ok(v),
            Err(
                e @ (boocode_store::StoreError::NotFound { .. }
                | boocode_store::StoreError::Invalid { .. }),
            ) => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, attempt, "store write failed; retrying");
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
        }
    }
    Err(last.unwrap_or(boocode_store::StoreError::Closed))
}

/// Writes the live turn's changed parts every flush interval, and keeps the row alive while
/// nothing changes (a long tool call) so the sweep does not take it.
async fn flush_loop(
    state: Runtime,
    chat_id: ChatId,
    message_id: MessageId,
    stop: CancellationToken,
) {
    let interval = state.config.flush_interval;
    let heartbeat = (state.config.stale_after / 3).min(Duration::from_secs(10));
    let mut since_write = Duration::ZERO;
    let mut pending: Option<usize> = None;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        since_write += interval;
        let dirty = state.broker.live(chat_id).and_then(|turn| {
            let mut turn = lock(&turn);
            turn.builder.take_dirty().map(|(from, _)| from)
        });
        let from = match (pending, dirty) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(from) = from else {
            if since_write >= heartbeat && state.store.touch_message(message_id).await.is_ok() {
                since_write = Duration::ZERO;
            }
            continue;
        };
        let parts: Vec<Part> = match state.broker.live(chat_id) {
            Some(turn) => lock(&turn)
                .builder
                .message()
                .parts
                .get(from..)
                .map(<[Part]>::to_vec)
                .unwrap_or_default(),
            None => return,
        };
        match state
            .flusher
            .update_parts(&state.store, message_id, from, parts)
            .await
        {
            Ok(()) => {
                pending = None;
                since_write = Duration::ZERO;
            }
            Err(e) => {
                tracing::warn!(%chat_id, error = %e, "flush failed; retrying");
                pending = Some(from);
            }
        }
    }
}

async fn name_session(state: Runtime, session_id: SessionId, question: String, answer: String) {
    let Some(title) = context::title_for(
        state.model.as_ref(),
        state.config.model.clone(),
        &question,
        &answer,
    )
    .await
    else {
        return;
    };
    // Only name it if nobody did meanwhile.
    let Ok(session) = state.store.get_session(session_id).await else {
        return;
    };
    if !session.title.trim().is_empty() {
        return;
    }
    if state.store.rename_session(session_id, &title).await.is_ok()
        && let Ok(session) = state.store.get_session(session_id).await
    {
        state
            .broker
            .publish_user(UserFrame::SessionUpdated { session });
    }
}
