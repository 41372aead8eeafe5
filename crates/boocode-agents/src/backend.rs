//! [`AgentBackend`] and [`AgentSession`]: what every way of running an agent provides, and the
//! native backend (BooCode's own loop).

use crate::permission::{PermissionError, Permissions};
use boocode_core::{
    CancellationToken, EventSink, Message, ModelClient, ToolSet, TurnConfig, TurnOutcome,
    TurnResult, run_turn,
};
use std::path::PathBuf;
use std::sync::Arc;

/// Which protocol a backend speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BackendKind {
    /// BooCode's own loop.
    Native,
    /// Claude Code over stream-json.
    ClaudeSdk,
    /// The Agent Client Protocol.
    Acp,
    /// A CLI in a terminal.
    Pty,
}

/// Why an agent could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The agent program could not be started.
    #[error("cannot start {program}: {message}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        message: String,
    },
    /// The agent broke the protocol or died.
    #[error("the agent failed: {0}")]
    Agent(String),
    /// A permission answer was not taken.
    #[error(transparent)]
    Permission(#[from] PermissionError),
}

/// What a session starts with: [`SessionConfig::new`], then a setter per field.
///
/// ```
/// use boocode_agents::SessionConfig;
/// let config = SessionConfig::new("/work/project").model("claude-sonnet-4-5");
/// assert!(config.resume.is_none());
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SessionConfig {
    /// The project directory an external agent runs in. The native loop ignores it: its tools
    /// carry their own root (the path guard's), so the two can never disagree.
    pub cwd: PathBuf,
    /// The backend's own session id to resume.
    pub resume: Option<String>,
    /// Model id, when the backend lets us choose.
    pub model: Option<String>,
    /// Extra system prompt.
    pub system: Option<String>,
    /// Reasoning effort (`low`, `medium`, `high`), where the backend has such a setting.
    pub effort: Option<String>,
    /// Review mode: file writes the agent asks to make go to this reviewer (the pending-changes
    /// queue) instead of to the user. The agent must run in a mode that asks before writing.
    pub reviewer: Option<crate::review::Reviewer>,
    /// The conversation so far, for a backend whose history its caller keeps: the native loop
    /// starts from it (a server's store, say, after a restart or a compaction). External agents
    /// keep their own history and resume by [`resume`](Self::resume) instead.
    pub history: Vec<Message>,
    /// Hooks for the session: the native loop runs them at every event; an external agent's
    /// permission requests go through `PreToolUse`, `PermissionRequest` and `Notification`.
    pub hooks: Option<Arc<dyn boocode_core::Hooks>>,
    /// Skill folders (each holding a `SKILL.md`) to offer an agent that does not find them
    /// itself: Claude Code gets them as a plugin (`--plugin-dir`). Others find their own.
    pub skills: Vec<PathBuf>,
}

impl SessionConfig {
    /// A new session in the project directory `cwd`.
    pub fn new(cwd: impl Into<PathBuf>) -> Self {
        Self {
            cwd: cwd.into(),
            ..Self::default()
        }
    }
}

impl SessionConfig {
    /// Resumes the backend's own session `value`.
    pub fn resume(mut self, value: impl Into<String>) -> Self {
        self.resume = Some(value.into());
        self
    }

    /// Asks for model `value`.
    pub fn model(mut self, value: impl Into<String>) -> Self {
        self.model = Some(value.into());
        self
    }

    /// Adds `value` to the system prompt.
    pub fn system(mut self, value: impl Into<String>) -> Self {
        self.system = Some(value.into());
        self
    }

    /// Sets the reasoning effort (`low`, `medium`, `high`).
    pub fn effort(mut self, value: impl Into<String>) -> Self {
        self.effort = Some(value.into());
        self
    }

    /// Sends the agent's file writes to `value` (review mode).
    pub fn reviewer(mut self, value: crate::review::Reviewer) -> Self {
        self.reviewer = Some(value);
        self
    }

    /// Starts the native loop from the conversation `value`.
    pub fn history(mut self, value: Vec<Message>) -> Self {
        self.history = value;
        self
    }

    /// Runs `value` at the session's events.
    pub fn hooks(mut self, value: Arc<dyn boocode_core::Hooks>) -> Self {
        self.hooks = Some(value);
        self
    }

    /// Offers the skill folders `value` to an agent that does not find them itself.
    pub fn skills(mut self, value: Vec<PathBuf>) -> Self {
        self.skills = value;
        self
    }
}

/// A way of running an agent.
#[async_trait::async_trait]
pub trait AgentBackend: Send + Sync {
    /// The protocol.
    fn kind(&self) -> BackendKind;
    /// Starts a session.
    async fn start(&self, config: SessionConfig) -> Result<Box<dyn AgentSession>, AgentError>;
}

/// One conversation with an agent.
#[async_trait::async_trait]
pub trait AgentSession: Send + Sync {
    /// Runs one prompt to the end of its turn, streaming events to `sink`. Cancelling `cancel`
    /// interrupts the agent and ends the turn as cancelled.
    async fn prompt(
        &mut self,
        text: &str,
        sink: &dyn EventSink,
        cancel: &CancellationToken,
    ) -> Result<TurnOutcome, AgentError>;
    /// The session's prompts, to answer them while a `prompt` call is running.
    fn permissions(&self) -> Arc<Permissions>;
    /// The backend's own session id, once known (for resuming later).
    fn backend_session_id(&self) -> Option<String>;
    /// What the last [`prompt`](Self::prompt) produced, for a backend whose history its caller
    /// stores (the native loop): the assistant message (with the id the turn was given), the
    /// sentinel of an early stop, the steering messages taken, usage and the error. Taken once.
    /// External agents keep their own history and give `None`: fold their events instead
    /// ([`boocode_core::MessageBuilder`]).
    fn take_turn(&mut self) -> Option<TurnResult> {
        None
    }
    /// Switches the agent's permission mode (`default`, `acceptEdits`, `plan`, …), where the
    /// backend has modes.
    async fn set_mode(&mut self, mode: &str) -> Result<(), AgentError> {
        Err(AgentError::Agent(format!(
            "this backend has no modes (asked for {mode:?})"
        )))
    }
    /// Switches the model for later turns, where the backend allows it.
    async fn set_model(&mut self, model: &str) -> Result<(), AgentError> {
        Err(AgentError::Agent(format!(
            "this backend cannot switch models (asked for {model:?})"
        )))
    }
    /// Ends the session and whatever process it runs.
    async fn close(&mut self);
}

/// BooCode's own loop as a backend.
pub struct NativeBackend {
    model: Arc<dyn ModelClient>,
    tools: ToolSet,
    config: TurnConfig,
}

impl NativeBackend {
    /// The loop over `model` with `tools`; `config` carries limits and the system prompt.
    pub fn new(model: Arc<dyn ModelClient>, tools: ToolSet, config: TurnConfig) -> Self {
        Self {
            model,
            tools,
            config,
        }
    }
}

#[async_trait::async_trait]
impl AgentBackend for NativeBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Native
    }

    async fn start(&self, config: SessionConfig) -> Result<Box<dyn AgentSession>, AgentError> {
        let mut turn = self.config.clone();
        if config.model.is_some() {
            turn.model = config.model;
        }
        if config.effort.is_some() {
            turn.reasoning_effort = config.effort;
        }
        if let Some(system) = config.system {
            turn.system = Some(match turn.system {
                Some(base) => format!("{base}\n\n{system}"),
                None => system,
            });
        }
        if config.hooks.is_some() {
            turn.hooks = config.hooks;
        }
        // A call a hook wants confirmed is asked about like an external agent's.
        let permissions = Arc::new(Permissions::new());
        turn.approver = Some(permissions.clone());
        Ok(Box::new(NativeSession {
            model: self.model.clone(),
            tools: self.tools.clone(),
            config: turn,
            history: config.history,
            id: uuid::Uuid::new_v4().to_string(),
            permissions,
            last: None,
        }))
    }
}

struct NativeSession {
    model: Arc<dyn ModelClient>,
    tools: ToolSet,
    config: TurnConfig,
    history: Vec<Message>,
    id: String,
    permissions: Arc<Permissions>,
    last: Option<TurnResult>,
}

#[async_trait::async_trait]
impl AgentSession for NativeSession {
    async fn prompt(
        &mut self,
        text: &str,
        sink: &dyn EventSink,
        cancel: &CancellationToken,
    ) -> Result<TurnOutcome, AgentError> {
        self.history.push(Message::user(text));
        let result = run_turn(
            self.model.as_ref(),
            &self.tools,
            &self.history,
            &self.config,
            sink,
            cancel,
        )
        .await;
        // The id the config names is the first turn's; later turns get their own.
        self.config.message_id = None;
        self.history.extend(result.messages.iter().cloned());
        // What the user sent during the turn follows it, as a server stores it.
        self.history.extend(
            result
                .steered
                .iter()
                .map(|(_, text)| Message::user(text.clone())),
        );
        let outcome = result.outcome;
        self.last = Some(result);
        Ok(outcome)
    }

    fn take_turn(&mut self) -> Option<TurnResult> {
        self.last.take()
    }

    fn permissions(&self) -> Arc<Permissions> {
        self.permissions.clone()
    }

    fn backend_session_id(&self) -> Option<String> {
        Some(self.id.clone())
    }

    async fn close(&mut self) {
        self.permissions.cancel_all();
    }
}
