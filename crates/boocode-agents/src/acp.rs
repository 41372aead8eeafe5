//! [`AcpBackend`]: any Agent Client Protocol agent (claude-agent-acp, `opencode acp`, `goose acp`,
//! …) driven with BooCode as the client, over the `agent-client-protocol` crate.
//!
//! The agent runs as a child process in the project directory; one connection task owns the
//! JSON-RPC link. The crate's handlers run inside that task's dispatch loop, so they only forward
//! what arrives (session updates, permission requests) to the session, which maps them onto the
//! [`AgentEvent`] stream while a prompt runs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_client_protocol::schema::ProtocolVersion;
use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    CancelNotification, ClientCapabilities, ContentBlock, FileSystemCapabilities, Implementation,
    InitializeRequest, LoadSessionRequest, NewSessionRequest, PermissionOptionKind, PromptRequest,
    ReadTextFileRequest, ReadTextFileResponse, RequestPermissionOutcome, RequestPermissionRequest,
    RequestPermissionResponse, SelectedPermissionOutcome, SessionId, SessionNotification,
    SetSessionModeRequest, StopReason, TextContent, WriteTextFileRequest, WriteTextFileResponse,
};
use agent_client_protocol::{Agent, ByteStreams, Client, ErrorCode, Responder, V1};
use boocode_core::{
    AgentEvent, CancellationToken, EventSink, NoticeLevel, PermissionDecision, PlanEntry,
    TurnOutcome, Usage,
};
use boocode_tools::{Access, PathGuard, ToolEnv};
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};
use tokio_util::compat::{TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

use crate::backend::{AgentBackend, AgentError, AgentSession, BackendKind, SessionConfig};
use crate::permission::{Permissions, Verdict};

/// How long the agent gets to answer `initialize` and open its session.
const DEFAULT_HANDSHAKE: Duration = Duration::from_secs(60);
/// The largest file `fs/read_text_file` returns.
const MAX_FS_READ: usize = 8 * 1024 * 1024;
/// How much of the agent's stderr is kept to explain a failure.
const STDERR_TAIL: usize = 4096;

/// Runs an ACP agent command as a subprocess and talks to it as the client.
#[derive(Debug, Clone)]
pub struct AcpBackend {
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    handshake: Duration,
    serve_fs: bool,
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
        }
    }

    /// Whether BooCode serves the agent's `fs/read_text_file` and `fs/write_text_file` (through
    /// the path and secret guards, inside the project directory). On by default; off, the agent
    /// uses its own file access.
    pub fn serve_fs(mut self, on: bool) -> Self {
        self.serve_fs = on;
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
}

#[async_trait::async_trait]
impl AgentBackend for AcpBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Acp
    }

    async fn start(&self, config: SessionConfig) -> Result<Box<dyn AgentSession>, AgentError> {
        let program = self.program.display().to_string();
        let cwd = std::path::absolute(&config.cwd).map_err(|e| AgentError::Spawn {
            program: program.clone(),
            message: format!("bad project directory: {e}"),
        })?;
        let guard = PathGuard::new(&cwd).map_err(|e| AgentError::Spawn {
            program: program.clone(),
            message: e.to_string(),
        })?;
        let files = Arc::new(ToolEnv::new(guard));
        let (read_files, write_files) = (files.clone(), files);
        let serve_fs = self.serve_fs;
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .current_dir(&cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
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
                        match tokio::task::spawn_blocking(move || read_text(&env, &r)).await {
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
                        let env = write_files.clone();
                        match tokio::task::spawn_blocking(move || write_text(&env, &r)).await {
                            Ok(Ok(())) => responder.respond(WriteTextFileResponse::new()),
                            Ok(Err(e)) => responder.respond_with_error(e),
                            Err(e) => responder.respond_with_error(
                                agent_client_protocol::Error::into_internal_error(e),
                            ),
                        }
                    },
                    agent_client_protocol::on_receive_request!(),
                )
                .connect_with(transport, async move |cx: ConnectionTo<Agent>| {
                    let opened = handshake(&cx, cwd, resume, serve_fs).await;
                    let failed = opened.is_err();
                    let _ = opened_tx.send(opened.map(|(session_id, modes)| Opened {
                        cx: cx.clone(),
                        session_id,
                        modes,
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
        });

        let why = match tokio::time::timeout(self.handshake, opened_rx).await {
            Ok(Ok(Ok(opened))) => {
                // `session/load` replays the conversation as updates before it answers; that
                // history is already ours, so it must not show up as the next turn's output.
                let mut inbound = inbound;
                let mut replayed = 0usize;
                while let Ok(item) = inbound.try_recv() {
                    if let Inbound::Permission(pending) = item {
                        let (_, responder) = *pending;
                        let _ = responder.respond(RequestPermissionResponse::new(
                            RequestPermissionOutcome::Cancelled,
                        ));
                    }
                    replayed += 1;
                }
                if replayed > 0 {
                    tracing::debug!(replayed, "dropped the updates of a loaded session's replay");
                }
                return Ok(Box::new(AcpSession {
                    cx: opened.cx,
                    session_id: opened.session_id,
                    modes: opened.modes,
                    inbound,
                    permissions: Arc::new(Permissions::new()),
                    child: Some(child),
                    stop: Some(stop_tx),
                    connection: Some(connection),
                    stderr_tail,
                    last_usage: Usage::default(),
                    calls: HashMap::new(),
                }));
            }
            Ok(Ok(Err(why))) => why,
            // The connection ended before the handshake finished.
            Ok(Err(_)) => "closed the connection during the handshake".to_owned(),
            Err(_) => {
                connection.abort();
                let _ = child.start_kill();
                let why = format!(
                    "no answer to initialize/session within {:.1} s",
                    self.handshake.as_secs_f32()
                );
                let tail = stderr_text(&stderr_tail);
                return Err(AgentError::Agent(if tail.is_empty() {
                    format!("{program}: {why}")
                } else {
                    format!("{program}: {why}; stderr: {tail}")
                }));
            }
        };
        // An agent that died explains itself better by its exit status and stderr.
        let why = match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
            Ok(Ok(status)) => {
                let _ = tokio::time::timeout(Duration::from_secs(1), stderr_task).await;
                format!("exited during the handshake ({status}); {why}")
            }
            _ => {
                let _ = child.start_kill();
                why
            }
        };
        connection.abort();
        let tail = stderr_text(&stderr_tail);
        Err(AgentError::Agent(if tail.is_empty() {
            format!("{program}: {why}")
        } else {
            format!("{program}: {why}; stderr: {tail}")
        }))
    }
}
/// `initialize`, then `session/load` (when resuming and the agent can) or `session/new`.
async fn handshake(
    cx: &ConnectionTo<Agent>,
    cwd: PathBuf,
    resume: Option<String>,
    serve_fs: bool,
) -> Result<(SessionId, Vec<String>), String> {
    let init = cx
        .send_request(
            InitializeRequest::new(ProtocolVersion::V1)
                .client_capabilities(
                    ClientCapabilities::new().fs(FileSystemCapabilities::new()
                        .read_text_file(serve_fs)
                        .write_text_file(serve_fs)),
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
        let loaded = cx
            .send_request(LoadSessionRequest::new(id.clone(), cwd))
            .block_task()
            .await
            .map_err(|e| format!("session/load failed: {}", first_line(&e)))?;
        let modes = mode_ids(serde_json::to_value(&loaded.modes).ok());
        return Ok((SessionId::new(id), modes));
    }
    let created = cx
        .send_request(NewSessionRequest::new(cwd))
        .block_task()
        .await
        .map_err(|e| format!("session/new failed: {}", first_line(&e)))?;
    let modes = mode_ids(serde_json::to_value(&created.modes).ok());
    Ok((created.session_id, modes))
}

/// Serves `fs/read_text_file`: guarded, secrets refused, `line` (1-based) and `limit` applied.
fn read_text(
    env: &ToolEnv,
    request: &ReadTextFileRequest,
) -> Result<String, agent_client_protocol::Error> {
    let path = request.path.to_string_lossy();
    let file = boocode_tools::read_file(env, &path, MAX_FS_READ).map_err(|e| {
        agent_client_protocol::Error::new(ErrorCode::RESOURCE_NOT_FOUND, e.to_string())
    })?;
    let Some(text) = file.text else {
        return Err(agent_client_protocol::Error::new(
            ErrorCode::INVALID_PARAMS,
            format!("{} is binary, not text", file.path),
        ));
    };
    if file.truncated {
        return Err(agent_client_protocol::Error::new(
            ErrorCode::INVALID_PARAMS,
            format!(
                "{} is {} bytes, over the {MAX_FS_READ}-byte limit for fs/read_text_file",
                file.path, file.size
            ),
        ));
    }
    if request.line.is_none() && request.limit.is_none() {
        return Ok(text);
    }
    let skip = request.line.map_or(0, |l| l.saturating_sub(1)) as usize;
    let take = request.limit.map_or(usize::MAX, |l| l as usize);
    Ok(text.split_inclusive('\n').skip(skip).take(take).collect())
}

/// Serves `fs/write_text_file`: inside the project only, never a secret, parents created.
fn write_text(
    env: &ToolEnv,
    request: &WriteTextFileRequest,
) -> Result<(), agent_client_protocol::Error> {
    use std::io::Write;
    let refused = |e: &dyn std::fmt::Display| {
        agent_client_protocol::Error::new(ErrorCode::INVALID_PARAMS, e.to_string())
    };
    let path = request.path.to_string_lossy();
    let guarded = env
        .paths()
        .resolve(&path, Access::Write)
        .map_err(|e| refused(&e))?;
    if let Some(pattern) = env.secrets().matching_pattern(guarded.relative()) {
        return Err(refused(&format!(
            "refused {path}: it matches the secret deny list ({pattern})"
        )));
    }
    let mut file = env.paths().open_write(&guarded).map_err(|e| refused(&e))?;
    file.write_all(request.content.as_bytes())
        .map_err(agent_client_protocol::Error::into_internal_error)?;
    Ok(())
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

async fn keep_tail(mut stderr: tokio::process::ChildStderr, tail: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 2048];
    while let Ok(n) = stderr.read(&mut buf).await {
        if n == 0 {
            break;
        }
        if let Ok(mut t) = tail.lock() {
            t.extend_from_slice(&buf[..n]);
            let excess = t.len().saturating_sub(STDERR_TAIL);
            t.drain(..excess);
        }
    }
}

fn stderr_text(tail: &Mutex<Vec<u8>>) -> String {
    tail.lock()
        .map(|t| String::from_utf8_lossy(&t).trim().to_owned())
        .unwrap_or_default()
}

/// One ACP session on a running agent process.
struct AcpSession {
    cx: ConnectionTo<Agent>,
    session_id: SessionId,
    modes: Vec<String>,
    inbound: mpsc::UnboundedReceiver<Inbound>,
    permissions: Arc<Permissions>,
    child: Option<Child>,
    stop: Option<oneshot::Sender<()>>,
    connection: Option<tokio::task::JoinHandle<()>>,
    stderr_tail: Arc<Mutex<Vec<u8>>>,
    last_usage: Usage,
    calls: HashMap<String, CallState>,
}

impl AcpSession {
    fn send_cancel(&self) {
        if let Err(e) = self
            .cx
            .send_notification(CancelNotification::new(self.session_id.clone()))
        {
            tracing::warn!(error = %e, "could not send session/cancel");
        }
    }

    /// Maps one `session/update` onto the event stream.
    fn map_update(&mut self, n: &SessionNotification, sink: &dyn EventSink) {
        let Ok(update) = serde_json::to_value(&n.update) else {
            return;
        };
        let text = || update.pointer("/content/text").and_then(Value::as_str);
        match update["sessionUpdate"].as_str() {
            Some("agent_message_chunk") => {
                if let Some(t) = text().filter(|t| !t.is_empty()) {
                    sink.emit(AgentEvent::TextDelta { text: t.to_owned() });
                }
            }
            Some("agent_thought_chunk") => {
                if let Some(t) = text().filter(|t| !t.is_empty()) {
                    sink.emit(AgentEvent::ReasoningDelta { text: t.to_owned() });
                }
            }
            Some("tool_call" | "tool_call_update") => {
                let call_id = update["toolCallId"].as_str().unwrap_or("").to_owned();
                let call = self.calls.entry(call_id.clone()).or_insert_with(|| {
                    let name = tool_name(&update);
                    sink.emit(AgentEvent::ToolCallStarted {
                        call_id: call_id.clone(),
                        name: name.clone(),
                    });
                    CallState { name, ready: false }
                });
                let input = update.get("rawInput").filter(|v| has_content(v));
                let done = matches!(update["status"].as_str(), Some("completed" | "failed"));
                if !call.ready && (input.is_some() || done) {
                    call.ready = true;
                    sink.emit(AgentEvent::ToolCallReady {
                        call_id: call_id.clone(),
                        name: call.name.clone(),
                        arguments: input.map(Value::to_string).unwrap_or_else(|| "{}".into()),
                    });
                }
                let name = call.name.clone();
                finish_if_done(&update, call_id, name, sink);
            }
            Some("plan") => {
                let entries = update["entries"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| PlanEntry {
                        content: e["content"].as_str().unwrap_or("").to_owned(),
                        status: e["status"].as_str().unwrap_or("pending").to_owned(),
                    })
                    .collect();
                sink.emit(AgentEvent::Plan { entries });
            }
            Some("current_mode_update") => {
                let mode = update["currentModeId"]
                    .as_str()
                    .or_else(|| update["modeId"].as_str())
                    .unwrap_or("?");
                sink.emit(AgentEvent::Notice {
                    level: NoticeLevel::Info,
                    message: format!("the agent switched to mode {mode}"),
                });
            }
            Some("usage_update") => {
                let used = update["used"].as_u64().unwrap_or(0);
                self.last_usage.ctx_used = used;
                self.last_usage.ctx_max = update["size"].as_u64();
                if let Some(cost) = update.pointer("/cost/amount").and_then(Value::as_f64) {
                    self.last_usage.cost_usd = Some(cost);
                }
                sink.emit(AgentEvent::Usage {
                    usage: self.last_usage,
                });
            }
            _ => {}
        }
    }

    /// Asks the user about a tool call and answers the agent. Returns true when the user chose
    /// to stop the turn.
    async fn answer_permission(
        &self,
        request: &RequestPermissionRequest,
        responder: Responder<RequestPermissionResponse, V1>,
        sink: &dyn EventSink,
        cancel: &CancellationToken,
    ) -> bool {
        let call = serde_json::to_value(&request.tool_call).unwrap_or(Value::Null);
        let call_id = call["toolCallId"].as_str().map(str::to_owned);
        let tool = call_id
            .as_ref()
            .and_then(|id| self.calls.get(id))
            .map(|c| c.name.clone())
            .unwrap_or_else(|| tool_name(&call));
        let arguments = call.get("rawInput").cloned().unwrap_or(Value::Null);
        let summary = call["title"].as_str().unwrap_or(&tool).to_owned();
        let ask = self
            .permissions
            .ask(sink, call_id, &tool, &arguments, summary);
        tokio::pin!(ask);
        let verdict = tokio::select! {
            v = &mut ask => Some(v),
            _ = cancel.cancelled() => {
                self.permissions.cancel_all();
                ask.await;
                None
            }
        };
        let pick = |kinds: &[PermissionOptionKind]| {
            kinds.iter().find_map(|kind| {
                request
                    .options
                    .iter()
                    .find(|o| o.kind == *kind)
                    .map(|o| o.option_id.clone())
            })
        };
        let (outcome, stop) = match verdict {
            None => (RequestPermissionOutcome::Cancelled, false),
            Some(Verdict::Allow) => (
                pick(&[
                    PermissionOptionKind::AllowOnce,
                    PermissionOptionKind::AllowAlways,
                ])
                .map(|id| RequestPermissionOutcome::Selected(SelectedPermissionOutcome::new(id)))
                .unwrap_or(RequestPermissionOutcome::Cancelled),
                false,
            ),
            Some(v) => (
                pick(&[
                    PermissionOptionKind::RejectOnce,
                    PermissionOptionKind::RejectAlways,
                ])
                .map(|id| RequestPermissionOutcome::Selected(SelectedPermissionOutcome::new(id)))
                .unwrap_or(RequestPermissionOutcome::Cancelled),
                v == Verdict::DenyAndStop,
            ),
        };
        if let Err(e) = responder.respond(RequestPermissionResponse::new(outcome)) {
            tracing::warn!(error = %e, "could not answer a permission request");
        }
        stop
    }

    fn agent_died(&mut self) -> String {
        let status = self
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
            .map(|s| s.to_string())
            .unwrap_or_else(|| "connection lost".into());
        let tail = stderr_text(&self.stderr_tail);
        if tail.is_empty() {
            format!("the ACP agent stopped mid-turn ({status})")
        } else {
            format!("the ACP agent stopped mid-turn ({status}); stderr: {tail}")
        }
    }
}

/// What the session remembers about a tool call between updates.
struct CallState {
    /// The name from the first report (later titles add details such as the file).
    name: String,
    /// Whether `tool_call_ready` went out.
    ready: bool,
}

fn has_content(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Object(m) => !m.is_empty(),
        _ => true,
    }
}

fn tool_name(call: &Value) -> String {
    call.get("title")
        .and_then(Value::as_str)
        .or_else(|| call.get("kind").and_then(Value::as_str))
        .unwrap_or("tool")
        .to_owned()
}

fn finish_if_done(update: &Value, call_id: String, name: String, sink: &dyn EventSink) {
    let status = update["status"].as_str();
    if !matches!(status, Some("completed" | "failed")) {
        return;
    }
    let output = update["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.pointer("/content/text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("\n");
    let output = if output.is_empty() {
        match update.get("rawOutput") {
            Some(Value::String(s)) => s.clone(),
            Some(v) if !v.is_null() => v.to_string(),
            _ => String::new(),
        }
    } else {
        output
    };
    sink.emit(AgentEvent::ToolCallFinished {
        call_id,
        name,
        output_bytes: output.len() as u64,
        output,
        is_error: status == Some("failed"),
        duration_ms: 0,
    });
}

#[async_trait::async_trait]
impl AgentSession for AcpSession {
    async fn prompt(
        &mut self,
        text: &str,
        sink: &dyn EventSink,
        cancel: &CancellationToken,
    ) -> Result<TurnOutcome, AgentError> {
        sink.emit(AgentEvent::TurnStarted {
            message_id: format!("acp_{}", uuid::Uuid::new_v4().simple()),
        });
        let request = PromptRequest::new(
            self.session_id.clone(),
            vec![ContentBlock::Text(TextContent::new(text))],
        );
        let response = self.cx.send_request(request).block_task();
        tokio::pin!(response);
        let mut cancelled = false;
        let result = loop {
            tokio::select! {
                biased;
                _ = cancel.cancelled(), if !cancelled => {
                    cancelled = true;
                    self.permissions.cancel_all();
                    self.send_cancel();
                }
                Some(inbound) = self.inbound.recv() => match inbound {
                    Inbound::Update(n) => self.map_update(&n, sink),
                    Inbound::Permission(pending) => {
                        let (request, responder) = *pending;
                        let stop = self.answer_permission(&request, responder, sink, cancel).await;
                        if stop && !cancelled {
                            cancelled = true;
                            self.send_cancel();
                        }
                    }
                },
                r = &mut response => break r,
            }
        };
        // Updates sent before the answer are already queued.
        while let Ok(inbound) = self.inbound.try_recv() {
            match inbound {
                Inbound::Update(n) => self.map_update(&n, sink),
                Inbound::Permission(pending) => {
                    let (_, responder) = *pending;
                    let _ = responder.respond(RequestPermissionResponse::new(
                        RequestPermissionOutcome::Cancelled,
                    ));
                }
            }
        }
        if let Ok(Some(u)) = result.as_ref().map(|r| r.usage.as_ref()) {
            self.last_usage.prompt_tokens = u.input_tokens
                + u.cached_read_tokens.unwrap_or(0)
                + u.cached_write_tokens.unwrap_or(0);
            self.last_usage.completion_tokens = u.output_tokens;
        }
        let usage = self.last_usage;
        let (outcome, summary) = match result {
            Ok(r) => match r.stop_reason {
                StopReason::EndTurn => (TurnOutcome::Completed, None),
                StopReason::Cancelled => (TurnOutcome::Cancelled, None),
                StopReason::MaxTokens => (
                    TurnOutcome::Completed,
                    Some("the agent hit its token limit".to_owned()),
                ),
                StopReason::MaxTurnRequests => (
                    TurnOutcome::Completed,
                    Some("the agent hit its request limit for one turn".to_owned()),
                ),
                StopReason::Refusal => (
                    TurnOutcome::Error,
                    Some("the agent refused to continue".to_owned()),
                ),
                _ => (TurnOutcome::Completed, None),
            },
            Err(e) if cancelled => {
                tracing::debug!(error = %e, "prompt failed after a cancel");
                (TurnOutcome::Cancelled, None)
            }
            Err(e) => {
                let why = if self
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten())
                    .is_some()
                    || self.connection.as_ref().is_some_and(|c| c.is_finished())
                {
                    self.agent_died()
                } else {
                    format!("session/prompt failed: {}", first_line(&e))
                };
                sink.emit(AgentEvent::TurnFinished {
                    outcome: TurnOutcome::Error,
                    summary: Some(why.clone()),
                    usage,
                });
                return Err(AgentError::Agent(why));
            }
        };
        // The protocol says a cancelled turn ends `cancelled`; report it so even if the agent
        // answered otherwise.
        let outcome = if cancelled {
            TurnOutcome::Cancelled
        } else {
            outcome
        };
        sink.emit(AgentEvent::TurnFinished {
            outcome,
            summary,
            usage,
        });
        Ok(outcome)
    }

    fn resolve_permission(
        &self,
        request_id: &str,
        decision: PermissionDecision,
    ) -> Result<(), AgentError> {
        Ok(self.permissions.answer(request_id, decision)?)
    }

    fn permissions(&self) -> Arc<Permissions> {
        self.permissions.clone()
    }

    fn backend_session_id(&self) -> Option<String> {
        Some(self.session_id.to_string())
    }

    async fn set_mode(&mut self, mode: &str) -> Result<(), AgentError> {
        if !self.modes.iter().any(|m| m == mode) {
            return Err(AgentError::Agent(format!(
                "unknown mode {mode:?}; the agent offers {:?}",
                self.modes
            )));
        }
        self.cx
            .send_request(SetSessionModeRequest::new(
                self.session_id.clone(),
                mode.to_owned(),
            ))
            .block_task()
            .await
            .map_err(|e| {
                AgentError::Agent(format!("session/set_mode failed: {}", first_line(&e)))
            })?;
        Ok(())
    }

    async fn close(&mut self) {
        self.permissions.cancel_all();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Ending the connection closes the agent's stdin; give it a moment, then kill.
        if let Some(connection) = self.connection.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), connection).await;
        }
        if let Some(mut child) = self.child.take()
            && tokio::time::timeout(Duration::from_secs(3), child.wait())
                .await
                .is_err()
        {
            if let Some(pid) = child.id() {
                // The agent leads its own process group; take its helpers with it.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .status()
                    .await;
            }
            let _ = child.kill().await;
        }
    }
}
