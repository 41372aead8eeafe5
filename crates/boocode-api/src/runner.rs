//! The turn runner: one active turn per chat, streamed parts flushed to the store every 250 ms
//! and at the end, usage recorded, stale streams swept, and every running turn cancelled and
//! recorded as cancelled on shutdown. A turn never depends on a client: it runs on when tabs
//! close, and any client can watch or stop it.

use crate::context::{self, summary_message};
use crate::error::ApiError;
use crate::state::AppState;
use axum::http::StatusCode;
use boocode_core::{
    AgentEvent, CancellationToken, ChatId, ChatStatus, EventSink, Message, MessageId, MessageKind,
    MessageStatus, ModelClient, Part, Role, SessionFrame, SessionId, ToolLimits, TurnConfig,
    TurnLimits, TurnOutcome, UserFrame, run_turn,
};
use boocode_store::ToolCallRecord;
use boocode_tools::{PathGuard, Tier, ToolEnv, TruncationStore, read_tools};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// What `start_turn` returns: the two rows it created.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StartedTurn {
    /// The user's message.
    pub user_message: Message,
    /// The (streaming) assistant message the turn writes.
    pub assistant_message: Message,
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
    fn finish(&self, chat_id: ChatId) -> Vec<String> {
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
    state: &AppState,
    chat_id: ChatId,
    text: String,
) -> Result<StartedTurn, ApiError> {
    let runner = &state.runner;
    if runner.shutting_down.is_cancelled() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down",
        ));
    }
    let chat = state.store.get_chat(chat_id).await?;
    let session = state.store.get_session(chat.session_id).await?;
    let project = state.store.get_project(session.project_id).await?;
    let cancel = CancellationToken::new();
    let steering = boocode_core::Steering::new();
    let assistant_id = MessageId::new();
    {
        let mut running = lock(&runner.running);
        if running.contains_key(&chat_id) {
            return Err(ApiError::conflict(
                "turn_running",
                "a turn is already running in this chat; stop it or wait for it to finish",
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
    let prepared = prepare(state, chat_id, session.id, &text, assistant_id).await;
    let (user, assistant, history) = match prepared {
        Ok(p) => p,
        Err(e) => {
            runner.finish(chat_id);
            return Err(e);
        }
    };
    let turn = TurnContext {
        state: state.clone(),
        chat_id,
        session_id: session.id,
        session_title: session.title.clone(),
        agent: chat.agent.clone(),
        provider: chat.provider.clone(),
        mode: chat.mode,
        model: chat.model.clone(),
        thinking: chat.thinking,
        project_name: project.name.clone(),
        project_root: PathBuf::from(&project.root),
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
    state: &AppState,
    chat_id: ChatId,
    session_id: SessionId,
    text: &str,
    assistant_id: MessageId,
) -> Result<(Message, Message, Vec<Message>), ApiError> {
    if !state.store.streaming_messages(chat_id).await?.is_empty() {
        return Err(ApiError::conflict(
            "turn_running",
            "this chat has a turn still streaming (on another server instance, or interrupted); stop it, or POST discard-stale",
        ));
    }
    let mut history = state
        .store
        .messages_since_kind(chat_id, MessageKind::Summary)
        .await?;
    compact_if_needed(state, chat_id, session_id, &mut history).await;
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
    state: &AppState,
    chat_id: ChatId,
    session_id: SessionId,
    history: &mut Vec<Message>,
) {
    let ctx_max = state
        .model
        .context_size(state.config.model.as_deref())
        .await;
    if !context::needs_compaction(history, ctx_max) {
        return;
    }
    tracing::info!(%chat_id, ?ctx_max, "compacting the chat history");
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
    let message = summary_message(summary);
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

struct TurnContext {
    state: AppState,
    chat_id: ChatId,
    session_id: SessionId,
    session_title: String,
    agent: Option<String>,
    /// Who runs the turn: BooCode's own loop or an external agent.
    provider: String,
    /// What the chat may do to files: write tools into its queue in `review`/`auto_apply`.
    mode: boocode_core::ChatMode,
    /// The chat's model, over the agent's and the server's.
    model: Option<String>,
    thinking: Option<boocode_core::Thinking>,
    project_name: String,
    project_root: PathBuf,
    history: Vec<Message>,
    assistant: Message,
    cancel: CancellationToken,
    steering: boocode_core::Steering,
    /// The model the turn asked for (for the usage ledger).
    model_used: Mutex<Option<String>>,
}

/// Where the loop's events go: the broker (and from there every subscriber), chat status to the
/// user channel, tool calls to the cost records.
struct TurnSink {
    state: AppState,
    chat_id: ChatId,
    session_id: SessionId,
    provider: String,
    tool_calls: Mutex<Vec<ToolCallRecord>>,
}

impl EventSink for TurnSink {
    fn emit(&self, event: AgentEvent) {
        self.state
            .agents
            .observe(self.chat_id, self.session_id, &self.provider, &event);
        let waiting = match &event {
            AgentEvent::PermissionRequested { .. } => Some(ChatStatus::WaitingForInput),
            AgentEvent::PermissionResolved { .. } => Some(ChatStatus::Streaming),
            _ => None,
        };
        if let Some(status) = waiting {
            self.state.broker.publish_user(UserFrame::ChatStatus {
                session_id: self.session_id,
                chat_id: self.chat_id,
                status,
            });
        }
        match &event {
            AgentEvent::Status { status } => {
                self.state.broker.publish_user(UserFrame::ChatStatus {
                    session_id: self.session_id,
                    chat_id: self.chat_id,
                    status: *status,
                })
            }
            AgentEvent::ToolCallFinished {
                name,
                is_error,
                duration_ms,
                output_bytes,
                ..
            } => {
                lock(&self.tool_calls).push(ToolCallRecord {
                    chat_id: Some(self.chat_id),
                    tool: name.clone(),
                    duration_ms: *duration_ms,
                    output_bytes: *output_bytes,
                    is_error: *is_error,
                });
            }
            _ => {}
        }
        self.state.broker.publish_event(self.chat_id, event);
    }
}

impl TurnContext {
    async fn run(self) {
        let state = self.state.clone();
        let chat_id = self.chat_id;
        let sink = Arc::new(TurnSink {
            state: state.clone(),
            chat_id,
            session_id: self.session_id,
            provider: self.provider.clone(),
            tool_calls: Mutex::new(Vec::new()),
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

    async fn turn(&self, sink: &Arc<TurnSink>) -> boocode_core::TurnResult {
        let state = &self.state;
        if self.provider != boocode_core::NATIVE_PROVIDER {
            let text = self.history.last().map(Message::text).unwrap_or_default();
            lock(&self.model_used).clone_from(&self.model);
            return crate::agent_chats::AgentTurn {
                state,
                chat_id: self.chat_id,
                provider: &self.provider,
                mode: self.mode,
                model: self.model.clone(),
                thinking: self.thinking,
                project_root: self.project_root.clone(),
                text,
                assistant: &self.assistant,
                cancel: &self.cancel,
            }
            .run(sink.clone())
            .await;
        }
        // Instruction files are read off the async workers: a slow disk or a hostile file
        // must not stall other chats.
        let agents = {
            let (st, root) = (state.clone(), self.project_root.clone());
            tokio::task::spawn_blocking(move || st.context.agents(&root))
                .await
                .unwrap_or_default()
        };
        let agent = self
            .agent
            .as_deref()
            .and_then(|name| agents.get(name).cloned());
        if let (Some(name), None) = (&self.agent, &agent) {
            sink.emit(AgentEvent::Notice {
                level: boocode_core::NoticeLevel::Warning,
                message: format!("agent {name:?} is not defined; running without it"),
            });
        }
        let mut env = match PathGuard::new(&self.project_root) {
            Ok(guard) => ToolEnv::new(guard),
            Err(e) => {
                return failed_result(
                    &self.assistant,
                    format!("the project directory is not usable: {e}"),
                    sink,
                );
            }
        };
        if let Some(dir) = &state.config.truncation_dir
            && let Ok(store) = TruncationStore::open(dir)
        {
            env = env.with_truncation(store);
        }
        let whitelist = agent.as_ref().and_then(|a| a.tools.as_deref());
        let env = Arc::new(env);
        let (mut tools, unknown) = read_tools(env.clone(), Tier::Standard, whitelist);
        // Review and auto-apply chats propose writes into their own pending-changes queue.
        let write_mode = match self.mode {
            boocode_core::ChatMode::Review => Some(boocode_tools::WriteMode::Review),
            boocode_core::ChatMode::AutoApply => Some(boocode_tools::WriteMode::AutoApply),
            _ => None,
        };
        if let Some(write_mode) = write_mode {
            let writes = boocode_tools::write_tools(
                env.clone(),
                Arc::new(state.store.clone()),
                boocode_core::ChangeScope::Chat(self.chat_id),
                write_mode,
            );
            for name in writes.names() {
                if whitelist.is_none_or(|w| w.iter().any(|n| n == name))
                    && let Some(tool) = writes.get(name)
                {
                    tools.insert(tool.clone());
                }
            }
        }
        // MCP tools of the servers ready now; one still starting is offered from a later turn.
        for tool in state.mcp.tools() {
            if whitelist.is_none_or(|w| w.iter().any(|n| n == tool.name())) {
                tools.insert(tool);
            }
        }
        if !unknown.is_empty() {
            tracing::warn!(tools = %unknown.join(", "), "agent names unknown tools");
        }
        let model_id = self
            .model
            .clone()
            .or_else(|| agent.as_ref().and_then(|a| a.model.clone()))
            .or(state.config.model.clone());
        lock(&self.model_used).clone_from(&model_id);
        let ctx_max = state.model.context_size(model_id.as_deref()).await;
        let prompt = {
            let (st, name, root, agent) = (
                state.clone(),
                self.project_name.clone(),
                self.project_root.clone(),
                agent.clone(),
            );
            match tokio::task::spawn_blocking(move || {
                st.context.system_prompt(&name, &root, agent.as_ref())
            })
            .await
            {
                Ok(prompt) => prompt,
                Err(e) => {
                    return failed_result(
                        &self.assistant,
                        format!("assembling the system prompt failed: {e}"),
                        sink,
                    );
                }
            }
        };
        state.context.note_prompt(self.chat_id, &prompt);
        let config = TurnConfig {
            model: model_id,
            system: Some(prompt.text),
            limits: TurnLimits::for_agent(agent.as_ref(), &tools),
            root: self.project_root.clone(),
            tool_limits: ToolLimits::default(),
            ctx_max,
            message_id: Some(self.assistant.id),
            reasoning_effort: self.thinking.and_then(boocode_core::Thinking::effort),
            steering: Some(self.steering.clone()),
            ..TurnConfig::default()
        };
        run_turn(
            state.model.as_ref(),
            &tools,
            &self.history,
            &config,
            sink,
            &self.cancel,
        )
        .await
    }

    /// Adds the turn to the usage ledger (turns that asked the model nothing are left out).
    async fn record_usage(&self, usage: boocode_core::Usage) {
        if usage.prompt_tokens == 0 && usage.completion_tokens == 0 && usage.cost_usd.is_none() {
            return;
        }
        let mut entry = boocode_store::UsageEntry::new(
            self.project_root.display().to_string(),
            self.provider.clone(),
        );
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
        state.broker.publish_session(
            self.session_id,
            SessionFrame::MessageFinished {
                chat_id,
                message: final_message.clone(),
            },
        );
        let calls = std::mem::take(&mut *lock(&sink.tool_calls));
        for call in calls {
            if let Err(e) = store.record_tool_call(&call).await {
                tracing::warn!(error = %e, "could not record a tool call");
            }
        }
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
    state: AppState,
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
        match state.store.update_parts(message_id, from, &parts).await {
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

async fn name_session(state: AppState, session_id: SessionId, question: String, answer: String) {
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

/// Fails streaming rows left by a crash (all of them on SQLite at boot, where no other instance
/// can own one; those idle past `stale_after` otherwise) and tells clients.
pub async fn sweep(state: &AppState, boot: bool) {
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
    if let Some(dir) = &state.config.truncation_dir
        && let Ok(store) = TruncationStore::open(dir)
        && let Err(e) = store.sweep()
    {
        tracing::warn!(error = %e, "the truncation sweep failed");
    }
}

/// Runs [`sweep`] every `sweep_interval` until `stop`.
pub async fn sweeper(state: AppState, stop: CancellationToken) {
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
