//! [`AcpBackend`]: any Agent Client Protocol agent (claude-agent-acp, `opencode acp`, `goose acp`,
//! …) driven with BooCode as the client, over the `agent-client-protocol` crate.
//!
//! The agent runs as a child process in the project directory; one connection task owns the
//! JSON-RPC link. The crate's handlers run inside that task's dispatch loop, so they only forward
//! what arrives (session updates, permission requests) to the session, which maps them onto the
//! [`AgentEvent`] stream while a prompt runs.

mod fs;
mod session;
mod terminal;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_client_protocol::schema::ProtocolVersion;
use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    AuthMethod, AuthenticateRequest, ClientCapabilities, CreateTerminalRequest,
    CreateTerminalResponse, FileSystemCapabilities, Implementation, InitializeRequest,
    KillTerminalRequest, KillTerminalResponse, LoadSessionRequest, NewSessionRequest,
    ReadTextFileRequest, ReadTextFileResponse, ReleaseTerminalRequest, ReleaseTerminalResponse,
    RequestPermissionOutcome, RequestPermissionRequest, RequestPermissionResponse, SessionId,
    SessionNotification, TerminalId, TerminalOutputRequest, WaitForTerminalExitRequest,
    WaitForTerminalExitResponse, WriteTextFileRequest, WriteTextFileResponse,
};
use agent_client_protocol::{Agent, ByteStreams, Client, ErrorCode, Responder, V1};
use boocode_tools::{PathGuard, ToolEnv};
use serde_json::Value;
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot};
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

use crate::backend::{AgentBackend, AgentError, AgentSession, BackendKind, SessionConfig};
use crate::process::{keep_tail, kill_group, with_stderr};

/// How long the agent gets to answer `initialize` and open its session.
const DEFAULT_HANDSHAKE: Duration = Duration::from_secs(60);

/// Runs an ACP agent command as a subprocess and talks to it as the client.
#[derive(Debug, Clone)]
pub struct AcpBackend {
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    handshake: Duration,
    serve_fs: bool,
    serve_terminals: bool,
    auth_method: Option<String>,
}

impl AcpBackend {
    /// An agent started as `program args…` (e.g. `opencode acp`).
    pub fn new(program: impl Into<PathBuf>, args: Vec<String>) -> Self {
        Self {
            program: program.into(),
            args,
            env: Vec::new(),
            handshake: DEFAULT_HANDSHAKE,
            serve_fs: true,
            serve_terminals: true,
            auth_method: None,
        }
    }

    /// Whether BooCode serves the agent's `fs/read_text_file` and `fs/write_text_file` (through
    /// the path and secret guards, inside the project directory). On by default; off, the agent
    /// uses its own file access.
    pub fn serve_fs(mut self, on: bool) -> Self {
        self.serve_fs = on;
        self
    }

    /// Whether BooCode serves the agent's `terminal/*` requests (PTYs in the project
    /// directory, killed with the session); on by default.
    pub fn serve_terminals(mut self, on: bool) -> Self {
        self.serve_terminals = on;
        self
    }

    /// The auth method to use when the agent answers `session/new` with `auth_required` (by
    /// default the only method it offers, if it offers exactly one).
    pub fn auth_method(mut self, id: impl Into<String>) -> Self {
        self.auth_method = Some(id.into());
        self
    }

    /// Sets an environment variable for the agent process.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// How long `initialize` plus `session/new` (or `session/load`) may take.
    pub fn handshake_timeout(mut self, limit: Duration) -> Self {
        self.handshake = limit;
        self
    }
}

/// What the connection task forwards to the session.
enum Inbound {
    Update(Box<SessionNotification>),
    /// Output of a terminal the agent created.
    Terminal {
        terminal_id: String,
        data: String,
    },
    Permission(
        Box<(
            RequestPermissionRequest,
            Responder<RequestPermissionResponse, V1>,
        )>,
    ),
}

/// The agent's answer to the handshake.
struct Opened {
    cx: ConnectionTo<Agent>,
    session_id: SessionId,
    modes: Vec<String>,
    model: Option<ModelOption>,
}

/// The session config option that picks the model (`category: "model"`), and its choices.
#[derive(Debug, Clone)]
pub(crate) struct ModelOption {
    pub(crate) config_id: String,
    pub(crate) values: Vec<String>,
}

/// The model option among a session's `configOptions`, if the agent offers one.
fn model_option(options: Option<Value>) -> Option<ModelOption> {
    let options = options?;
    let option = options
        .as_array()?
        .iter()
        .find(|o| o["category"] == "model")?;
    let mut values = Vec::new();
    for choice in option["options"].as_array().into_iter().flatten() {
        // Select options come flat, or in groups of their own options.
        match choice["options"].as_array() {
            Some(grouped) => values.extend(
                grouped
                    .iter()
                    .filter_map(|c| c["value"].as_str().map(str::to_owned)),
            ),
            None => values.extend(choice["value"].as_str().map(str::to_owned)),
        }
    }
    Some(ModelOption {
        config_id: option["id"].as_str()?.to_owned(),
        values,
    })
}

#[async_trait::async_trait]
impl AgentBackend for AcpBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Acp
    }

    async fn start(&self, config: SessionConfig) -> Result<Box<dyn AgentSession>, AgentError> {
        let program = self.program.display().to_string();
        let reviewer = config.reviewer.clone();
        let hooks = config.hooks.clone();
        let write_reviewer = reviewer.clone();
        let cwd = std::path::absolute(&config.cwd).map_err(|e| AgentError::Spawn {
            program: program.clone(),
            message: format!("bad project directory: {e}"),
        })?;
        let guard = PathGuard::new(&cwd).map_err(|e| AgentError::Spawn {
            program: program.clone(),
            message: e.to_string(),
        })?;
        let files = Arc::new(ToolEnv::new(guard));
        let (read_files, write_files) = (files.clone(), files.clone());
        let serve_fs = self.serve_fs;
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .current_dir(&cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        crate::process::die_with_parent(&mut cmd);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().map_err(|e| AgentError::Spawn {
            program: program.clone(),
            message: e.to_string(),
        })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(AgentError::Agent("the agent's stdio was not piped".into()));
        };
        let stderr_tail = Arc::new(Mutex::new(Vec::new()));
        let stderr_task = tokio::spawn(keep_tail(stderr, stderr_tail.clone()));

        let (inbound_tx, inbound) = mpsc::unbounded_channel();
        let (opened_tx, opened_rx) = oneshot::channel::<Result<Opened, String>>();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let updates = inbound_tx.clone();
        let terminals = Arc::new(terminal::Terminals::new(files, inbound_tx.clone()));
        let serve_terminals = self.serve_terminals;
        let auth_method = self.auth_method.clone();
        let (t_create, t_output, t_wait, t_kill, t_release, t_all) = (
            terminals.clone(),
            terminals.clone(),
            terminals.clone(),
            terminals.clone(),
            terminals.clone(),
            terminals,
        );
        let resume = config.resume.clone();
        let transport = ByteStreams::new(stdin.compat_write(), stdout.compat());
        let connection = tokio::spawn(async move {
            let result = Client
                .v1()
                .name("boocode")
                .on_receive_notification(
                    async move |n: SessionNotification, _cx| {
                        let _ = updates.send(Inbound::Update(Box::new(n)));
                        Ok(())
                    },
                    agent_client_protocol::on_receive_notification!(),
                )
                .on_receive_request(
                    async move |r: RequestPermissionRequest, responder, _cx| {
                        if let Err(mpsc::error::SendError(Inbound::Permission(pending))) =
                            inbound_tx.send(Inbound::Permission(Box::new((r, responder))))
                        {
                            // No session is listening any more: refuse.
                            let (_, responder) = *pending;
                            return responder.respond(RequestPermissionResponse::new(
                                RequestPermissionOutcome::Cancelled,
                            ));
                        }
                        Ok(())
                    },
                    agent_client_protocol::on_receive_request!(),
                )
                .on_receive_request(
                    async move |r: ReadTextFileRequest, responder, _cx| {
                        let env = read_files.clone();
                        match tokio::task::spawn_blocking(move || fs::read_text(&env, &r)).await {
                            Ok(Ok(content)) => {
                                responder.respond(ReadTextFileResponse::new(content))
                            }
                            Ok(Err(e)) => responder.respond_with_error(e),
                            Err(e) => responder.respond_with_error(
                                agent_client_protocol::Error::into_internal_error(e),
                            ),
                        }
                    },
                    agent_client_protocol::on_receive_request!(),
                )
                .on_receive_request(
                    async move |r: WriteTextFileRequest, responder, _cx| {
                        // Review mode: the write becomes a pending change; the agent is told
                        // it succeeded (the queue holds it) or why it was refused.
                        if let Some(reviewer) = write_reviewer.clone() {
                            let args = serde_json::json!({
                                "path": r.path.to_string_lossy(),
                                "content": r.content,
                            });
                            return match reviewer.0.review("fs/write_text_file", &args).await {
                                Some(Ok(_)) => responder.respond(WriteTextFileResponse::new()),
                                Some(Err(message)) => {
                                    responder.respond_with_error(fs::refused(&message))
                                }
                                None => responder.respond_with_error(fs::refused(
                                    "the write could not be reviewed",
                                )),
                            };
                        }
                        let env = write_files.clone();
                        match tokio::task::spawn_blocking(move || fs::write_text(&env, &r)).await {
                            Ok(Ok(())) => responder.respond(WriteTextFileResponse::new()),
                            Ok(Err(e)) => responder.respond_with_error(e),
                            Err(e) => responder.respond_with_error(
                                agent_client_protocol::Error::into_internal_error(e),
                            ),
                        }
                    },
                    agent_client_protocol::on_receive_request!(),
                )
                .on_receive_request(
                    async move |r: CreateTerminalRequest, responder, _cx| match t_create.create(&r)
                    {
                        Ok(id) => {
                            responder.respond(CreateTerminalResponse::new(TerminalId::new(id)))
                        }
                        Err(e) => responder.respond_with_error(e),
                    },
                    agent_client_protocol::on_receive_request!(),
                )
                .on_receive_request(
                    async move |r: TerminalOutputRequest, responder, _cx| match t_output
                        .output(&r.terminal_id.0)
                    {
                        Ok(out) => responder.respond(out),
                        Err(e) => responder.respond_with_error(e),
                    },
                    agent_client_protocol::on_receive_request!(),
                )
                .on_receive_request(
                    async move |r: WaitForTerminalExitRequest, responder, _cx| {
                        match t_wait.get(&r.terminal_id.0) {
                            // Waiting can take long: never hold up the connection's other
                            // messages for it.
                            Ok(terminal) => {
                                tokio::spawn(async move {
                                    let status = terminal.wait().await;
                                    let _ =
                                        responder.respond(WaitForTerminalExitResponse::new(status));
                                });
                                Ok(())
                            }
                            Err(e) => responder.respond_with_error(e),
                        }
                    },
                    agent_client_protocol::on_receive_request!(),
                )
                .on_receive_request(
                    async move |r: KillTerminalRequest, responder, _cx| match t_kill
                        .kill(&r.terminal_id.0)
                    {
                        Ok(()) => responder.respond(KillTerminalResponse::new()),
                        Err(e) => responder.respond_with_error(e),
                    },
                    agent_client_protocol::on_receive_request!(),
                )
                .on_receive_request(
                    async move |r: ReleaseTerminalRequest, responder, _cx| match t_release
                        .release(&r.terminal_id.0)
                    {
                        Ok(()) => responder.respond(ReleaseTerminalResponse::new()),
                        Err(e) => responder.respond_with_error(e),
                    },
                    agent_client_protocol::on_receive_request!(),
                )
                .connect_with(transport, async move |cx: ConnectionTo<Agent>| {
                    let opened =
                        handshake(&cx, cwd, resume, serve_fs, serve_terminals, auth_method).await;
                    let failed = opened.is_err();
                    let _ = opened_tx.send(opened.map(|(session_id, modes, model)| Opened {
                        cx: cx.clone(),
                        session_id,
                        modes,
                        model,
                    }));
                    if !failed {
                        let _ = stop_rx.await;
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = &result {
                tracing::debug!(error = %e, "ACP connection ended with an error");
            }
            t_all.release_all();
        });

        let (why, timed_out) = match tokio::time::timeout(self.handshake, opened_rx).await {
            Ok(Ok(Ok(opened))) => {
                return Ok(Box::new(session::AcpSession::new(
                    opened,
                    crate::Permissions::with_reviewer(reviewer).with_hooks(hooks),
                    inbound,
                    child,
                    stop_tx,
                    connection,
                    stderr_tail,
                )));
            }
            Ok(Ok(Err(why))) => (why, false),
            // The connection ended before the handshake finished.
            Ok(Err(_)) => (
                "closed the connection during the handshake".to_owned(),
                false,
            ),
            Err(_) => (
                format!(
                    "no answer to initialize/session within {:.1} s",
                    self.handshake.as_secs_f32()
                ),
                true,
            ),
        };
        // An agent that died explains itself better by its exit status and stderr.
        let exited = if timed_out {
            None
        } else {
            tokio::time::timeout(Duration::from_secs(2), child.wait())
                .await
                .ok()
                .and_then(Result::ok)
        };
        let why = match exited {
            Some(status) => {
                let _ = tokio::time::timeout(Duration::from_secs(1), stderr_task).await;
                format!("exited during the handshake ({status}); {why}")
            }
            None => {
                kill_group(&mut child);
                why
            }
        };
        connection.abort();
        Err(AgentError::Agent(with_stderr(
            format!("{program}: {why}"),
            &stderr_tail,
        )))
    }
}

/// `initialize`, then `session/load` (when resuming and the agent can) or `session/new`.
async fn handshake(
    cx: &ConnectionTo<Agent>,
    cwd: PathBuf,
    resume: Option<String>,
    serve_fs: bool,
    serve_terminals: bool,
    auth_method: Option<String>,
) -> Result<(SessionId, Vec<String>, Option<ModelOption>), String> {
    let init = cx
        .send_request(
            InitializeRequest::new(ProtocolVersion::V1)
                .client_capabilities(
                    ClientCapabilities::new()
                        .fs(FileSystemCapabilities::new()
                            .read_text_file(serve_fs)
                            .write_text_file(serve_fs))
                        .terminal(serve_terminals),
                )
                .client_info(Implementation::new("boocode", env!("CARGO_PKG_VERSION"))),
        )
        .block_task()
        .await
        .map_err(|e| format!("initialize failed: {}", first_line(&e)))?;
    if init.protocol_version != ProtocolVersion::V1 {
        return Err(format!(
            "the agent speaks ACP protocol {:?}, BooCode speaks 1",
            init.protocol_version
        ));
    }
    if let Some(id) = resume {
        if !init.agent_capabilities.load_session {
            return Err(format!(
                "cannot resume session {id}: the agent does not support session/load"
            ));
        }
        let load = || {
            cx.send_request(LoadSessionRequest::new(id.clone(), cwd.clone()))
                .block_task()
        };
        let loaded = match load().await {
            Ok(loaded) => loaded,
            Err(e) if e.code == ErrorCode::AUTH_REQUIRED => {
                authenticate(cx, &init.auth_methods, auth_method.as_deref()).await?;
                load()
                    .await
                    .map_err(|e| format!("session/load failed: {}", first_line(&e)))?
            }
            Err(e) => return Err(format!("session/load failed: {}", first_line(&e))),
        };
        let modes = mode_ids(serde_json::to_value(&loaded.modes).ok());
        let model = model_option(serde_json::to_value(&loaded.config_options).ok());
        return Ok((SessionId::new(id), modes, model));
    }
    let created = match cx
        .send_request(NewSessionRequest::new(cwd.clone()))
        .block_task()
        .await
    {
        Ok(created) => created,
        // The agent wants a login first: authenticate, then ask once more.
        Err(e) if e.code == ErrorCode::AUTH_REQUIRED => {
            authenticate(cx, &init.auth_methods, auth_method.as_deref()).await?;
            cx.send_request(NewSessionRequest::new(cwd))
                .block_task()
                .await
                .map_err(|e| {
                    format!(
                        "session/new failed after authenticating: {}",
                        first_line(&e)
                    )
                })?
        }
        Err(e) => return Err(format!("session/new failed: {}", first_line(&e))),
    };
    let modes = mode_ids(serde_json::to_value(&created.modes).ok());
    let model = model_option(serde_json::to_value(&created.config_options).ok());
    Ok((created.session_id, modes, model))
}

/// Answers `auth_required` with `authenticate` (the method chosen below).
async fn authenticate(
    cx: &ConnectionTo<Agent>,
    offered: &[AuthMethod],
    configured: Option<&str>,
) -> Result<(), String> {
    let method = choose_auth_method(offered, configured)?;
    cx.send_request(AuthenticateRequest::new(method.clone()))
        .block_task()
        .await
        .map_err(|e| format!("authenticate with {method:?} failed: {}", first_line(&e)))?;
    Ok(())
}

/// The auth method to use: the configured one (it must be offered), else the only one the
/// agent offers that it runs itself. Terminal methods (an interactive login the user runs) are
/// not something a daemon can do for them.
fn choose_auth_method(offered: &[AuthMethod], configured: Option<&str>) -> Result<String, String> {
    let describe = || {
        offered
            .iter()
            .map(|m| format!("{} ({})", m.id().0, m.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let usable: Vec<&str> = offered
        .iter()
        .filter(|m| matches!(m, AuthMethod::Agent(_)))
        .map(|m| m.id().0.as_ref())
        .collect();
    match configured {
        Some(id) if usable.contains(&id) => Ok(id.to_owned()),
        Some(id) => Err(format!(
            "the agent requires authentication and does not offer method {id:?} (it offers: {})",
            describe()
        )),
        None if usable.len() == 1 => Ok(usable[0].to_owned()),
        None if offered.is_empty() => Err(
            "the agent requires authentication but offers no method; log in with the agent's own CLI"
                .to_owned(),
        ),
        None => Err(format!(
            "the agent requires authentication; choose one of its methods with `auth_method` \
             in the provider's settings (it offers: {})",
            describe()
        )),
    }
}

/// The crate's errors print their JSON data after the message; keep the message.
fn first_line(e: &impl std::fmt::Display) -> String {
    let text = e.to_string();
    text.lines()
        .next()
        .unwrap_or("")
        .trim_end_matches([':', ' ', '{'])
        .to_owned()
}

fn mode_ids(modes: Option<Value>) -> Vec<String> {
    modes
        .and_then(|m| m.get("availableModes").and_then(Value::as_array).cloned())
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect()
}
