//! Chats whose provider is an external agent (Claude Code, claude-agent-acp, opencode, …):
//! one warm [`AgentSession`] per chat, started on its first turn and kept between turns
//! (restarted when the provider or mode changes, switched in place when the model does), closed
//! after an idle timeout or at shutdown. Its events flow through the same sink as the native
//! loop's, so frames, flushes and the stored message are the same; writes go to the chat's
//! pending-changes queue in `review`/`auto_apply`; its permission prompts wait in the inbox
//! (`GET /api/inbox`) and are answered by REST.

use crate::state::Runtime;
use boocode_agents::{AgentSession, Permissions, QueueReview, SessionConfig};
use boocode_core::InboxItem;
use boocode_core::{
    AgentEvent, CancellationToken, ChangeScope, ChatId, ChatMode, EventSink, Message,
    MessageStatus, PermissionDecision, SessionId, Thinking, TurnOutcome, TurnResult, now_ms,
};
use boocode_tools::{PathGuard, ToolEnv, WriteMode};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What a chat's warm session was started with; a change of provider or mode restarts it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Started {
    provider: String,
    mode: ChatMode,
    model: Option<String>,
}

struct Warm {
    session: Box<dyn AgentSession>,
    started: Started,
    last_used: Instant,
    /// The chat's `agent_sessions` row: the backend's session id (for resuming after a
    /// restart) and the usage are recorded there.
    record_id: Option<String>,
}

/// The external agents' sessions and waiting prompts of this server instance. The prompts are
/// also recorded in the store (in the order they were asked and answered, by one writer task),
/// which is what `GET /api/inbox` lists across instances.
#[derive(Default)]
pub(crate) struct AgentChats {
    warm: tokio::sync::Mutex<HashMap<ChatId, Arc<tokio::sync::Mutex<Option<Warm>>>>>,
    /// The permission prompts of running turns, by chat.
    prompts: Mutex<HashMap<ChatId, Arc<Permissions>>>,
    /// The prompts waiting here, by request id.
    inbox: Mutex<BTreeMap<String, InboxItem>>,
    writer: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<InboxWrite>>,
}

/// A change to the stored inbox.
pub(crate) enum InboxWrite {
    Asked(InboxItem),
    Answered(String, PermissionDecision),
}

/// Writes inbox changes in order, then tells every client how many prompts wait.
async fn inbox_writer(state: Runtime, mut rx: tokio::sync::mpsc::UnboundedReceiver<InboxWrite>) {
    while let Some(write) = rx.recv().await {
        let result = match &write {
            InboxWrite::Asked(item) => {
                // The turn now waits for a person, maybe for long: what it streamed up to the
                // question is written first, so a crash while it waits loses none of it.
                persist_live_turn(&state, item.chat_id).await;
                state.store.add_permission_request(item).await
            }
            InboxWrite::Answered(id, decision) => state
                .store
                .answer_permission_request(id, *decision)
                .await
                .map(|_| ()),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record a permission prompt");
        }
        publish_inbox_count(&state).await;
    }
}

/// Writes every part of the chat's running turn (the periodic flush writes only what changed).
async fn persist_live_turn(state: &Runtime, chat_id: ChatId) {
    let Some(turn) = state.broker.live(chat_id) else {
        return;
    };
    let (id, parts) = {
        let turn = turn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let message = turn.builder.message();
        (message.id, message.parts.clone())
    };
    if let Err(e) = state.store.update_parts(id, 0, &parts).await {
        tracing::warn!(%chat_id, error = %e, "could not write the turn before its prompt");
    }
}

/// Sends every client the number of waiting prompts.
pub(crate) async fn publish_inbox_count(state: &Runtime) {
    match state.store.waiting_permission_count().await {
        Ok(waiting) => state
            .broker
            .publish_user(boocode_core::UserFrame::InboxChanged { waiting }),
        Err(e) => tracing::warn!(error = %e, "could not count the waiting prompts"),
    }
}

impl std::fmt::Debug for AgentChats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentChats").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Why an answer was not taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AnswerError {
    /// No prompt with that id waits here.
    #[error("no permission prompt {0} is waiting")]
    Unknown(String),
}

impl AgentChats {
    /// Writes what [`AgentChats::observe`] noted to the store, in order (the turn's message up
    /// to a question first).
    pub(crate) fn record(&self, state: &Runtime, write: InboxWrite) {
        let tx = self.writer.get_or_init(|| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(inbox_writer(state.clone(), rx));
            tx
        });
        let _ = tx.send(write);
    }

    /// Forgets the prompts of a chat whose turn ended (the store closes them as expired).
    pub(crate) fn forget_chat(&self, chat_id: ChatId) {
        lock(&self.inbox).retain(|_, item| item.chat_id != chat_id);
    }

    /// The prompts waiting on this instance's turns.
    pub(crate) fn waiting_here(&self) -> Vec<InboxItem> {
        lock(&self.inbox).values().cloned().collect()
    }

    /// Forgets one prompt (closed elsewhere).
    pub(crate) fn forget(&self, request_id: &str) {
        lock(&self.inbox).remove(request_id);
    }

    /// Answers a waiting prompt.
    pub(crate) fn answer(
        &self,
        request_id: &str,
        decision: PermissionDecision,
    ) -> Result<InboxItem, AnswerError> {
        let item = lock(&self.inbox)
            .get(request_id)
            .cloned()
            .ok_or_else(|| AnswerError::Unknown(request_id.to_owned()))?;
        let permissions = lock(&self.prompts)
            .get(&item.chat_id)
            .cloned()
            .ok_or_else(|| AnswerError::Unknown(request_id.to_owned()))?;
        permissions
            .answer(request_id, decision)
            .map_err(|_| AnswerError::Unknown(request_id.to_owned()))?;
        lock(&self.inbox).remove(request_id);
        Ok(InboxItem {
            state: boocode_core::protocol::InboxState::Answered,
            decision: Some(decision),
            ..item
        })
    }

    /// Notes a prompt raised (or resolved) by a chat's turn here, before its frame is sent
    /// (so the inbox lists it at once). Returns the store write to make once the event is
    /// folded into the turn's message; [`AgentChats::record`] writes it.
    pub(crate) fn observe(
        &self,
        chat_id: ChatId,
        session_id: SessionId,
        provider: &str,
        event: &AgentEvent,
    ) -> Option<InboxWrite> {
        match event {
            AgentEvent::PermissionRequested {
                request_id,
                tool,
                summary,
                ..
            } => {
                let item = InboxItem {
                    request_id: request_id.clone(),
                    chat_id,
                    session_id,
                    provider: provider.to_owned(),
                    tool: tool.clone(),
                    summary: summary.clone(),
                    asked_at: now_ms(),
                    state: boocode_core::protocol::InboxState::Waiting,
                    decision: None,
                };
                lock(&self.inbox).insert(request_id.clone(), item.clone());
                Some(InboxWrite::Asked(item))
            }
            AgentEvent::PermissionResolved {
                request_id,
                decision,
            } => {
                lock(&self.inbox).remove(request_id);
                Some(InboxWrite::Answered(request_id.clone(), *decision))
            }
            _ => None,
        }
    }

    /// Closes sessions idle longer than `idle`.
    pub(crate) async fn close_idle(&self, idle: Duration) {
        let entries: Vec<(ChatId, Arc<tokio::sync::Mutex<Option<Warm>>>)> = self
            .warm
            .lock()
            .await
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        for (chat_id, entry) in entries {
            // A turn holds the entry's lock: it is not idle.
            let Ok(mut slot) = entry.try_lock() else {
                continue;
            };
            if slot.as_ref().is_some_and(|w| w.last_used.elapsed() >= idle)
                && let Some(mut warm) = slot.take()
            {
                tracing::info!(%chat_id, provider = %warm.started.provider, "closing an idle agent session");
                warm.session.close().await;
            }
        }
    }

    /// Closes chat `chat_id`'s session, if one is warm (waiting for a turn in it to end): its
    /// process ends with it. For one-shot chats such as delegated children.
    pub(crate) async fn close_chat(&self, chat_id: ChatId) {
        let entry = self.warm.lock().await.remove(&chat_id);
        if let Some(entry) = entry
            && let Some(mut warm) = entry.lock().await.take()
        {
            tracing::info!(%chat_id, provider = %warm.started.provider, "closing a finished chat's agent session");
            warm.session.close().await;
        }
    }

    /// Closes every session (at shutdown): their processes end with them.
    pub(crate) async fn close_all(&self) {
        let entries: Vec<_> = self.warm.lock().await.drain().collect();
        for (_, entry) in entries {
            if let Some(mut warm) = entry.lock().await.take() {
                warm.session.close().await;
            }
        }
    }
}

/// One turn of an external agent in a chat.
pub(crate) struct AgentTurn<'a> {
    pub(crate) state: &'a Runtime,
    pub(crate) chat_id: ChatId,
    pub(crate) session_id: boocode_core::SessionId,
    pub(crate) provider: &'a str,
    pub(crate) mode: ChatMode,
    pub(crate) model: Option<String>,
    pub(crate) thinking: Option<Thinking>,
    pub(crate) project_root: PathBuf,
    pub(crate) text: String,
    pub(crate) assistant: &'a Message,
    pub(crate) cancel: &'a CancellationToken,
    /// For a native chat: the backend and session config of this turn (started here and
    /// closed after it, never kept warm).
    pub(crate) native: Option<crate::native_chats::NativeStart>,
    /// Whether this is the chat's first turn (`SessionStart` hooks run).
    pub(crate) first_turn: bool,
}

impl AgentTurn<'_> {
    async fn start(&self) -> Result<Warm, String> {
        let provider = self
            .state
            .config
            .providers
            .iter()
            .find(|p| p.name == self.provider)
            .ok_or_else(|| format!("provider {:?} is not configured", self.provider))?;
        // Claude Code's transcripts live in the store, so its sessions resume on any instance.
        let transcripts: Arc<dyn boocode_store::TranscriptStore> =
            Arc::new(self.state.store.clone());
        // A PTY agent runs in one of the session's terminals, for people to watch.
        let terminals = Arc::new(crate::terminals::AgentTerminals {
            terminals: self.state.terminals.clone(),
            session: self.session_id,
            chat: self.chat_id,
        });
        let backend = provider
            .backend_with(
                boocode_agents::BackendOptions::new()
                    .transcripts(transcripts)
                    .terminals(terminals),
            )
            .map_err(|e| e.to_string())?;
        let env = Arc::new(ToolEnv::new(
            PathGuard::new(&self.project_root)
                .map_err(|e| format!("the project directory is not usable: {e}"))?,
        ));
        let write_mode = match self.mode {
            ChatMode::AutoApply => Some(WriteMode::AutoApply),
            ChatMode::Review => Some(WriteMode::Review),
            _ => None,
        };
        // Review and auto-apply: writes go to the chat's queue. Ask: writes are refused.
        let reviewer = match write_mode {
            Some(mode) => QueueReview::new(
                env.clone(),
                Arc::new(self.state.store.clone()),
                ChangeScope(self.chat_id),
                mode,
            )
            .into_reviewer(),
            None => boocode_agents::RefuseWrites.into_reviewer(),
        };
        // Skills claude would not find itself (the project's `.claude/skills` it reads).
        let skills = {
            let (root, config) = (
                env.paths().root().to_path_buf(),
                self.state.config.config_dir.clone(),
            );
            tokio::task::spawn_blocking(move || {
                let own = root.join(".claude/skills");
                boocode_tools::project_skills(&root, config.as_deref())
                    .found
                    .into_values()
                    .map(|f| f.dir)
                    .filter(|dir| !dir.starts_with(&own))
                    .collect()
            })
            .await
            .unwrap_or_default()
        };
        let mut config = SessionConfig::new(env.paths().root())
            .reviewer(reviewer)
            .skills(skills);
        config.model = self.model.clone();
        config.effort = self.thinking.and_then(Thinking::effort);
        // Its permission requests pass through the hooks.
        config.hooks = self.state.config.chat_hooks(
            self.chat_id,
            env.paths().root(),
            self.mode,
            self.provider,
        );
        // The backend session this chat had before (a restart, an idle close): resume it.
        let store = &self.state.store;
        let earlier = store
            .list_agent_sessions(self.chat_id)
            .await
            .ok()
            .and_then(|rows| {
                rows.into_iter()
                    .rev()
                    .find(|r| r.provider == self.provider && r.backend_session_id.is_some())
            });
        let mut config = config;
        config.resume = earlier.as_ref().and_then(|r| r.backend_session_id.clone());
        let record_id = match earlier {
            Some(row) => Some(row.id),
            None => {
                let backend_name = match backend.kind() {
                    boocode_agents::BackendKind::ClaudeSdk => boocode_store::BackendName::ClaudeSdk,
                    boocode_agents::BackendKind::Pty => boocode_store::BackendName::Pty,
                    boocode_agents::BackendKind::Native => boocode_store::BackendName::Native,
                    _ => boocode_store::BackendName::Acp,
                };
                store
                    .create_agent_session(self.chat_id, backend_name, self.provider)
                    .await
                    .map(|row| row.id)
                    .map_err(|e| tracing::warn!(error = %e, "cannot record the agent session"))
                    .ok()
            }
        };
        let resumed = config.resume.clone();
        let session = backend.start(config).await.map_err(|e| e.to_string())?;
        if let (Some(record_id), Some(backend_id)) = (&record_id, session.backend_session_id())
            && resumed.as_deref() != Some(backend_id.as_str())
            && let Err(e) = store.set_backend_session_id(record_id, &backend_id).await
        {
            tracing::warn!(error = %e, "cannot record the agent's session id");
        }
        Ok(Warm {
            session,
            started: Started {
                provider: self.provider.to_owned(),
                mode: self.mode,
                model: self.model.clone(),
            },
            last_used: Instant::now(),
            record_id,
        })
    }

    /// Runs the prompt: on a native session started for this turn, or on the chat's warm
    /// external agent session (starting it if needed).
    pub(crate) async fn run(mut self, sink: Arc<dyn EventSink>) -> TurnResult {
        match self.native.take() {
            Some(native) => self.run_native(native, sink).await,
            None => self.run_warm(sink).await,
        }
    }

    async fn run_native(
        self,
        native: crate::native_chats::NativeStart,
        sink: Arc<dyn EventSink>,
    ) -> TurnResult {
        let mut session = match native.backend.start(native.config).await {
            Ok(session) => session,
            Err(e) => {
                return crate::turn::failed_result(self.assistant, e.to_string(), sink.as_ref());
            }
        };
        let outcome = self.drive(session.as_mut(), None, &sink).await;
        let turn = session.take_turn();
        session.close().await;
        match turn {
            Some(turn) => turn,
            None => self.result(outcome, sink.as_ref()),
        }
    }

    async fn run_warm(mut self, base: Arc<dyn EventSink>) -> TurnResult {
        let hooks = self.state.config.chat_hooks(
            self.chat_id,
            &self.project_root,
            self.mode,
            self.provider,
        );
        let hook_sink =
            hooks.map(|h| crate::agent_hooks::HookSink::new(base.clone(), h, self.cancel.clone()));
        if let Some(h) = &hook_sink {
            match h.opening(self.first_turn, &self.text, self.cancel).await {
                crate::agent_hooks::Opening::Blocked(reason) => {
                    h.blocked(&reason);
                    h.finish(false, self.cancel).await;
                    return self.result(Ok(TurnOutcome::Completed), base.as_ref());
                }
                crate::agent_hooks::Opening::Send(Some(context)) => self
                    .text
                    .push_str(&format!("\n\n<hook-context>\n{context}\n</hook-context>")),
                crate::agent_hooks::Opening::Send(None) => {}
            }
        }
        let sink: Arc<dyn EventSink> = match &hook_sink {
            Some(h) => h.clone(),
            None => base.clone(),
        };
        // Failures before or after the agent's turn end it directly (not held for `Stop`).
        let sink_ref: &dyn EventSink = base.as_ref();
        let agents = &self.state.agents;
        let entry = agents
            .warm
            .lock()
            .await
            .entry(self.chat_id)
            .or_default()
            .clone();
        let mut slot = entry.lock().await;
        let wanted = Started {
            provider: self.provider.to_owned(),
            mode: self.mode,
            model: self.model.clone(),
        };
        let restart = slot.as_ref().is_some_and(|warm| {
            warm.started.provider != wanted.provider || warm.started.mode != wanted.mode
        });
        if restart && let Some(mut old) = slot.take() {
            old.session.close().await;
        }
        if slot.is_none() {
            match self.start().await {
                Ok(warm) => *slot = Some(warm),
                Err(e) => {
                    return crate::turn::failed_result(self.assistant, e, sink_ref);
                }
            }
        }
        let Some(warm) = slot.as_mut() else {
            return crate::turn::failed_result(self.assistant, "no agent session".into(), sink_ref);
        };
        if warm.started.model != wanted.model
            && let Some(model) = &wanted.model
        {
            match warm.session.set_model(model).await {
                Ok(()) => warm.started.model = wanted.model.clone(),
                Err(e) => sink_ref.emit(AgentEvent::Notice {
                    level: boocode_core::NoticeLevel::Warning,
                    message: format!("the model stays as it was: {e}"),
                }),
            }
        }
        let outcome = self
            .drive(warm.session.as_mut(), warm.record_id.clone(), &sink)
            .await;
        if let Some(h) = &hook_sink {
            h.finish(outcome.is_ok(), self.cancel).await;
        }
        warm.last_used = Instant::now();
        if outcome.is_err() {
            // A dead agent is not reused.
            if let Some(mut dead) = slot.take() {
                dead.session.close().await;
            }
        }
        self.result(outcome, sink_ref)
    }

    /// Runs the prompt on `session` with its prompts answerable through the inbox; the
    /// backend's session id and the turn's usage go to the chat's `agent_sessions` row when
    /// there is one.
    async fn drive(
        &self,
        session: &mut dyn AgentSession,
        record_id: Option<String>,
        sink: &Arc<dyn EventSink>,
    ) -> Result<TurnOutcome, boocode_agents::AgentError> {
        let agents = &self.state.agents;
        lock(&agents.prompts).insert(self.chat_id, session.permissions());
        let outcome = match record_id {
            Some(record_id) => {
                let (recorder, task) = boocode_agents::UsageRecorder::new(
                    self.state.store.clone(),
                    record_id,
                    sink.clone(),
                );
                let outcome = session.prompt(&self.text, &recorder, self.cancel).await;
                drop(recorder);
                task.finish().await;
                outcome
            }
            None => session.prompt(&self.text, sink.as_ref(), self.cancel).await,
        };
        lock(&agents.prompts).remove(&self.chat_id);
        lock(&agents.inbox).retain(|_, item| item.chat_id != self.chat_id);
        outcome
    }

    /// The turn's result from its events: the message the broker folded, its status from the
    /// outcome, and an error's reason as the turn's finish.
    fn result(
        &self,
        outcome: Result<TurnOutcome, boocode_agents::AgentError>,
        sink: &dyn EventSink,
    ) -> TurnResult {
        let (outcome, error) = match outcome {
            Ok(outcome) => (outcome, None),
            Err(e) => (TurnOutcome::Error, Some(e.to_string())),
        };
        let mut message = match self.state.broker.live(self.chat_id) {
            Some(live) => lock(&live).builder.message().clone(),
            None => self.assistant.clone(),
        };
        message.status = match outcome {
            TurnOutcome::Cancelled => MessageStatus::Cancelled,
            TurnOutcome::Error => MessageStatus::Failed,
            _ => MessageStatus::Complete,
        };
        if let Some(e) = &error {
            sink.emit(AgentEvent::TurnFinished {
                outcome,
                summary: Some(e.clone()),
                usage: message.usage.unwrap_or_default(),
            });
        }
        TurnResult {
            outcome,
            usage: message.usage.unwrap_or_default(),
            messages: vec![message],
            error,
            steered: Vec::new(),
        }
    }
}
