//! BooCode as an ACP agent: [`serve`] speaks the Agent Client Protocol (v1) to a client such as
//! Zed, a JetBrains IDE or `acpx` over a byte stream (stdio for `boocode acp`), on the same
//! [`Runtime`] the server uses. Each ACP session is a chat on BooCode's own loop in a project
//! found (or registered) by the client's `cwd`, which goes through the path guard.
//!
//! - `session/prompt` starts the chat's turn and streams it back: text as
//!   `agent_message_chunk`, reasoning as `agent_thought_chunk`, each tool call as `tool_call`
//!   then `tool_call_update` (with the diff of a proposed edit), the plan as `plan`, context use
//!   as `usage_update`; it answers with the stop reason once the turn has ended and every
//!   question to the client is answered.
//! - In `review` mode each proposed edit is put to the client with `session/request_permission`
//!   (its diff attached): allowed, it is applied through the guards; rejected, it is rejected;
//!   left unanswered (cancelled), it stays in the chat's pending changes. `auto_apply` writes at
//!   once, `ask` offers the read tools only.
//! - `session/load` replays a stored chat as updates; `session/cancel` stops the turn;
//!   `session/set_mode` and `session/set_config_option` (`model`) change the chat.
//! - MCP servers the client names in `session/new` become tool sources (stdio and HTTP).
//!
//! File access is BooCode's own (the path and secret guards); the client's `fs/*` methods are
//! not used, so an editor sees the edits when they land on disk.

mod review;
mod turn;
mod updates;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use agent_client_protocol::schema::ProtocolVersion;
use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    AgentCapabilities, CancelNotification, Implementation, InitializeRequest, InitializeResponse,
    LoadSessionRequest, LoadSessionResponse, McpCapabilities, McpServer, NewSessionRequest,
    NewSessionResponse, PromptCapabilities, PromptRequest, SessionConfigOption,
    SessionConfigOptionCategory, SessionConfigOptionValue, SessionConfigSelectOption, SessionId,
    SessionMode, SessionModeState, SessionNotification, SessionUpdate,
    SetSessionConfigOptionRequest, SetSessionConfigOptionResponse, SetSessionModeRequest,
    SetSessionModeResponse,
};
use agent_client_protocol::{Agent, ByteStreams, Client, Error as AcpError, ErrorCode};
use boocode_core::{ChatId, ChatMode};
use boocode_store::ChatSettings;
use boocode_tools::PathGuard;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

use crate::{Runtime, RuntimeError};

/// The id of the model selector among a session's config options.
const MODEL_OPTION: &str = "model";

/// How [`serve`] opens sessions.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AcpAgentOptions {
    /// The mode of a session the client opens (`review` by default: edits are put to the
    /// client one by one).
    pub mode: ChatMode,
    /// The models offered in the session's model selector, besides the one in use.
    pub models: Vec<String>,
}

impl Default for AcpAgentOptions {
    fn default() -> Self {
        Self {
            mode: ChatMode::Review,
            models: Vec::new(),
        }
    }
}

impl AcpAgentOptions {
    /// Sessions open in `mode`.
    pub fn mode(mut self, mode: ChatMode) -> Self {
        self.mode = mode;
        self
    }

    /// Offers `models` in the model selector.
    pub fn models(mut self, models: Vec<String>) -> Self {
        self.models = models;
        self
    }
}

/// What one connection shares between its handlers.
struct Agentside {
    runtime: Runtime,
    options: AcpAgentOptions,
    /// The chats this connection opened or loaded (a client cannot prompt any other).
    sessions: Mutex<HashSet<ChatId>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn invalid(message: impl Into<String>) -> AcpError {
    AcpError::new(ErrorCode::INVALID_PARAMS, message)
}

fn internal(e: impl std::fmt::Display) -> AcpError {
    AcpError::new(ErrorCode::INTERNAL_ERROR, e.to_string())
}

fn from_runtime(e: RuntimeError) -> AcpError {
    match &e {
        RuntimeError::TurnRunning(_) | RuntimeError::Invalid(_) | RuntimeError::Conflict(_) => {
            AcpError::new(ErrorCode::INVALID_REQUEST, e.to_string())
        }
        RuntimeError::Store(boocode_store::StoreError::NotFound { .. }) => {
            AcpError::new(ErrorCode::RESOURCE_NOT_FOUND, e.to_string())
        }
        _ => internal(e),
    }
}

/// Serves `runtime` as an ACP agent over `reader`/`writer` until the client closes the
/// connection. Turns still running then are stopped.
///
/// ```no_run
/// # async fn demo(runtime: boocode_runtime::Runtime) -> Result<(), boocode_runtime::RuntimeError> {
/// use boocode_runtime::acp_agent::{AcpAgentOptions, serve};
/// serve(runtime, AcpAgentOptions::default(), tokio::io::stdin(), tokio::io::stdout()).await
/// # }
/// ```
pub async fn serve<R, W>(
    runtime: Runtime,
    options: AcpAgentOptions,
    reader: R,
    writer: W,
) -> Result<(), RuntimeError>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let shared = Arc::new(Agentside {
        runtime: runtime.clone(),
        options,
        sessions: Mutex::new(HashSet::new()),
    });
    let (s_new, s_load, s_prompt, s_cancel, s_mode, s_option) = (
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
        shared.clone(),
    );
    let transport = ByteStreams::new(writer.compat_write(), reader.compat());
    let result = Agent
        .v1()
        .name("boocode")
        .on_receive_request(
            async move |r: InitializeRequest, responder, _cx| {
                if r.protocol_version != ProtocolVersion::V1 {
                    tracing::debug!(asked = ?r.protocol_version, "ACP client asked for another protocol version; answering with 1");
                }
                responder.respond(
                    InitializeResponse::new(ProtocolVersion::V1)
                        .agent_capabilities(
                            AgentCapabilities::new()
                                .load_session(true)
                                .prompt_capabilities(
                                    PromptCapabilities::new().embedded_context(true),
                                )
                                .mcp_capabilities(McpCapabilities::new().http(true)),
                        )
                        .agent_info(Implementation::new("boocode", env!("CARGO_PKG_VERSION"))),
                )
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |r: NewSessionRequest, responder, _cx| {
                let shared = s_new.clone();
                tokio::spawn(async move {
                    match shared.new_session(r).await {
                        Ok(created) => responder.respond(created),
                        Err(e) => responder.respond_with_error(e),
                    }
                });
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |r: LoadSessionRequest, responder, cx| {
                let shared = s_load.clone();
                tokio::spawn(async move {
                    match shared.load_session(r, &cx).await {
                        Ok(loaded) => responder.respond(loaded),
                        Err(e) => responder.respond_with_error(e),
                    }
                });
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |r: PromptRequest, responder, cx| {
                let shared = s_prompt.clone();
                // A turn takes long: never hold up the connection's other messages for it.
                tokio::spawn(async move {
                    match shared.prompt(r, &cx).await {
                        Ok(done) => responder.respond(done),
                        Err(e) => responder.respond_with_error(e),
                    }
                });
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_notification(
            async move |n: CancelNotification, _cx| {
                if let Ok(chat) = s_cancel.chat_of(&n.session_id) {
                    s_cancel.runtime.runner.stop(chat);
                }
                Ok(())
            },
            agent_client_protocol::on_receive_notification!(),
        )
        .on_receive_request(
            async move |r: SetSessionModeRequest, responder, _cx| {
                let shared = s_mode.clone();
                tokio::spawn(async move {
                    match shared.set_mode(&r.session_id, &r.mode_id.0).await {
                        Ok(()) => responder.respond(SetSessionModeResponse::new()),
                        Err(e) => responder.respond_with_error(e),
                    }
                });
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .on_receive_request(
            async move |r: SetSessionConfigOptionRequest, responder, _cx| {
                let shared = s_option.clone();
                tokio::spawn(async move {
                    match shared.set_option(r).await {
                        Ok(options) => {
                            responder.respond(SetSessionConfigOptionResponse::new(options))
                        }
                        Err(e) => responder.respond_with_error(e),
                    }
                });
                Ok(())
            },
            agent_client_protocol::on_receive_request!(),
        )
        .connect_to(transport)
        .await;
    // The client went away: what it started stops with it.
    let open: Vec<ChatId> = lock(&shared.sessions).iter().copied().collect();
    for chat in open {
        runtime.runner.stop(chat);
    }
    result.map_err(RuntimeError::Acp)
}

impl Agentside {
    fn chat_of(&self, session: &SessionId) -> Result<ChatId, AcpError> {
        let chat: ChatId = session
            .0
            .parse()
            .map_err(|_| invalid(format!("{:?} is not a BooCode session id", session.0)))?;
        if !lock(&self.sessions).contains(&chat) {
            return Err(AcpError::new(
                ErrorCode::RESOURCE_NOT_FOUND,
                format!(
                    "session {} is not open on this connection; open it with session/load",
                    session.0
                ),
            ));
        }
        Ok(chat)
    }

    /// The project directory for `cwd`, through the path guard: absolute, an existing
    /// directory, canonical.
    fn project_root(cwd: &Path) -> Result<String, AcpError> {
        if !cwd.is_absolute() {
            return Err(invalid(format!(
                "cwd must be an absolute path, not {}",
                cwd.display()
            )));
        }
        let guard = PathGuard::new(cwd)
            .map_err(|e| invalid(format!("cwd {} is not usable: {e}", cwd.display())))?;
        Ok(guard.root().display().to_string())
    }

    fn add_mcp_servers(&self, servers: &[McpServer]) {
        for server in servers {
            let (name, config) = match server {
                McpServer::Stdio(s) => (
                    s.name.clone(),
                    boocode_tools::McpServerConfig::stdio(
                        s.command.display().to_string(),
                        s.args.clone(),
                    )
                    .env(
                        s.env
                            .iter()
                            .map(|v| (v.name.clone(), v.value.clone()))
                            .collect(),
                    ),
                ),
                McpServer::Http(h) => (
                    h.name.clone(),
                    boocode_tools::McpServerConfig::http(h.url.clone()).headers(
                        h.headers
                            .iter()
                            .map(|v| (v.name.clone(), v.value.clone()))
                            .collect(),
                    ),
                ),
                other => {
                    tracing::warn!(server = ?other, "ACP client named an MCP server of a transport BooCode does not take; skipped");
                    continue;
                }
            };
            if self.runtime.mcp.add(&name, &config) {
                tracing::info!(server = %name, "MCP server from the ACP client");
            }
        }
    }

    async fn new_session(&self, r: NewSessionRequest) -> Result<NewSessionResponse, AcpError> {
        let root = Self::project_root(&r.cwd)?;
        let store = &self.runtime.store;
        let project = store.project_at(&root).await.map_err(internal)?;
        let session = store
            .create_session(project.id, "ACP session")
            .await
            .map_err(internal)?;
        let mut settings = ChatSettings::default();
        settings.mode = self.options.mode;
        let chat = store
            .create_chat_with(session.id, "", &settings)
            .await
            .map_err(internal)?;
        self.add_mcp_servers(&r.mcp_servers);
        lock(&self.sessions).insert(chat.id);
        Ok(NewSessionResponse::new(chat.id.to_string())
            .modes(modes(chat.mode))
            .config_options(self.config_options(chat.model.as_deref())))
    }

    async fn load_session(
        &self,
        r: LoadSessionRequest,
        cx: &ConnectionTo<Client>,
    ) -> Result<LoadSessionResponse, AcpError> {
        let chat_id: ChatId =
            r.session_id.0.parse().map_err(|_| {
                invalid(format!("{:?} is not a BooCode session id", r.session_id.0))
            })?;
        let root = Self::project_root(&r.cwd)?;
        let store = &self.runtime.store;
        let chat = store.get_chat(chat_id).await.map_err(|e| {
            AcpError::new(ErrorCode::RESOURCE_NOT_FOUND, format!("no session: {e}"))
        })?;
        let session = store.get_session(chat.session_id).await.map_err(internal)?;
        let project = store
            .get_project(session.project_id)
            .await
            .map_err(internal)?;
        // A session belongs to its project: loading it from another directory is refused
        // rather than letting its turns touch a tree the client did not name.
        if project.root != root {
            return Err(invalid(format!(
                "session {} belongs to {}, not {root}",
                r.session_id.0, project.root
            )));
        }
        self.add_mcp_servers(&r.mcp_servers);
        lock(&self.sessions).insert(chat_id);
        let mut messages = Vec::new();
        let mut before = None;
        loop {
            let page = store
                .list_messages(chat_id, before, boocode_store::MAX_PAGE)
                .await
                .map_err(internal)?;
            let more = page.has_more && page.cursor.is_some() && messages.len() < 5_000;
            before = page.cursor;
            messages.splice(0..0, page.messages);
            if !more {
                break;
            }
        }
        for message in &messages {
            for update in updates::of_message(message) {
                notify(cx, &r.session_id, update)?;
            }
        }
        Ok(LoadSessionResponse::new()
            .modes(modes(chat.mode))
            .config_options(self.config_options(chat.model.as_deref())))
    }

    /// The model selector: the chat's model (or the runtime's default) and the others offered.
    fn config_options(&self, current: Option<&str>) -> Vec<SessionConfigOption> {
        let current = current
            .map(str::to_owned)
            .or_else(|| self.runtime.model.default_model())
            .or_else(|| self.runtime.config.model.clone());
        let mut models: Vec<String> = current.iter().cloned().collect();
        for m in &self.options.models {
            if !models.contains(m) {
                models.push(m.clone());
            }
        }
        let Some(current) = current.or_else(|| models.first().cloned()) else {
            return Vec::new();
        };
        let choices: Vec<SessionConfigSelectOption> = models
            .iter()
            .map(|m| SessionConfigSelectOption::new(m.clone(), m.clone()))
            .collect();
        vec![
            SessionConfigOption::select(MODEL_OPTION, "Model", current, choices)
                .category(SessionConfigOptionCategory::Model),
        ]
    }

    async fn set_mode(&self, session: &SessionId, mode: &str) -> Result<(), AcpError> {
        let chat_id = self.chat_of(session)?;
        let mode = match mode {
            "ask" => ChatMode::Ask,
            "review" => ChatMode::Review,
            "auto_apply" => ChatMode::AutoApply,
            other => {
                return Err(invalid(format!(
                    "no mode {other:?} (ask, review or auto_apply)"
                )));
            }
        };
        let store = &self.runtime.store;
        let chat = store.get_chat(chat_id).await.map_err(internal)?;
        let mut settings = ChatSettings::of(&chat);
        settings.mode = mode;
        store
            .set_chat_settings(chat_id, &settings)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn set_option(
        &self,
        r: SetSessionConfigOptionRequest,
    ) -> Result<Vec<SessionConfigOption>, AcpError> {
        let chat_id = self.chat_of(&r.session_id)?;
        if r.config_id.0.as_ref() != MODEL_OPTION {
            return Err(invalid(format!(
                "no config option {:?} (BooCode offers \"{MODEL_OPTION}\")",
                r.config_id.0
            )));
        }
        let SessionConfigOptionValue::ValueId { value } = &r.value else {
            return Err(invalid("the model is chosen by its id"));
        };
        let model = value.0.to_string();
        if model.is_empty() || model.len() > 200 {
            return Err(invalid("a model id is 1 to 200 characters"));
        }
        let store = &self.runtime.store;
        let chat = store.get_chat(chat_id).await.map_err(internal)?;
        let mut settings = ChatSettings::of(&chat);
        settings.model = Some(model.clone());
        store
            .set_chat_settings(chat_id, &settings)
            .await
            .map_err(|e| invalid(e.to_string()))?;
        Ok(self.config_options(Some(&model)))
    }
}

/// Sends one `session/update`.
fn notify(
    cx: &ConnectionTo<Client>,
    session: &SessionId,
    update: SessionUpdate,
) -> Result<(), AcpError> {
    cx.send_notification(SessionNotification::new(session.clone(), update))
}

/// The session's modes, with `current` selected.
fn modes(current: ChatMode) -> SessionModeState {
    SessionModeState::new(
        current.as_str(),
        vec![
            SessionMode::new("ask", "Ask").description("Reads the project; changes nothing."),
            SessionMode::new("review", "Review")
                .description("Proposes each edit to you with its diff before it is written."),
            SessionMode::new("auto_apply", "Auto-apply")
                .description("Writes edits at once (each can still be rewound)."),
        ],
    )
}
