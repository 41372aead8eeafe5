//! One ACP session: prompt turns, `session/update` mapped onto the event stream, permission
//! requests answered through [`Permissions`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    CancelNotification, ContentBlock, PermissionOptionKind, PromptRequest,
    RequestPermissionOutcome, RequestPermissionRequest, RequestPermissionResponse,
    SelectedPermissionOutcome, SessionConfigOptionValue, SessionId, SessionNotification,
    SetSessionConfigOptionRequest, SetSessionModeRequest, StopReason, TextContent,
};
use agent_client_protocol::{Agent, Responder, V1};
use boocode_core::{
    AgentEvent, CancellationToken, EventSink, NoticeLevel, PlanEntry, TurnOutcome, Usage,
};
use serde_json::Value;
use tokio::process::Child;
use tokio::sync::{mpsc, oneshot};

use super::{Inbound, Opened, first_line, kill_group, with_stderr};
use crate::backend::{AgentError, AgentSession};
use crate::permission::{Permissions, Verdict};

/// One ACP session on a running agent process.
pub(super) struct AcpSession {
    pub(super) cx: ConnectionTo<Agent>,
    pub(super) session_id: SessionId,
    pub(super) modes: Vec<String>,
    /// The model choice the agent offers as a session config option, if any.
    pub(super) model_option: Option<super::ModelOption>,
    pub(super) inbound: mpsc::UnboundedReceiver<Inbound>,
    pub(super) permissions: Arc<Permissions>,
    pub(super) child: Option<Child>,
    pub(super) stop: Option<oneshot::Sender<()>>,
    pub(super) connection: Option<tokio::task::JoinHandle<()>>,
    pub(super) stderr_tail: Arc<Mutex<Vec<u8>>>,
    pub(super) last_usage: Usage,
    /// The agent's cumulative session cost at the last `usage_update`, and at the start of the
    /// running turn: usage events report a turn's own cost.
    pub(super) session_cost: f64,
    pub(super) turn_cost_base: f64,
    pub(super) calls: HashMap<String, CallState>,
}

impl AcpSession {
    /// The session over a finished handshake. `session/load` replays the conversation as
    /// updates before it answers; that history is already ours, so the replay is dropped rather
    /// than shown as the next turn's output.
    pub(super) fn new(
        opened: Opened,
        permissions: Permissions,
        mut inbound: mpsc::UnboundedReceiver<Inbound>,
        child: Child,
        stop: oneshot::Sender<()>,
        connection: tokio::task::JoinHandle<()>,
        stderr_tail: Arc<Mutex<Vec<u8>>>,
    ) -> Self {
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
        Self {
            cx: opened.cx,
            session_id: opened.session_id,
            modes: opened.modes,
            model_option: opened.model,
            inbound,
            permissions: Arc::new(permissions),
            child: Some(child),
            stop: Some(stop),
            connection: Some(connection),
            stderr_tail,
            last_usage: Usage::default(),
            session_cost: 0.0,
            turn_cost_base: 0.0,
            calls: HashMap::new(),
        }
    }

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
                    CallState {
                        name,
                        ready: false,
                        input: Value::Null,
                    }
                });
                let input = update.get("rawInput").filter(|v| has_content(v));
                if let Some(raw) = input {
                    call.input = raw.clone();
                }
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
                    self.session_cost = cost;
                    self.last_usage.cost_usd = Some((cost - self.turn_cost_base).max(0.0));
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
        // The request's own copy of the arguments, else the ones the call reported (opencode's
        // permission requests carry none).
        let arguments = call
            .get("rawInput")
            .filter(|v| has_content(v))
            .cloned()
            .or_else(|| {
                call_id
                    .as_ref()
                    .and_then(|id| self.calls.get(id))
                    .map(|c| c.input.clone())
            })
            .unwrap_or(Value::Null);
        // Agents whose arguments are their own (opencode: `filepath` + a patch) still describe
        // an edit the standard way, as diff content; use that so review mode can queue it.
        let arguments = if crate::review::is_file_write(&arguments) {
            arguments
        } else {
            edit_from_diff(&call).unwrap_or(arguments)
        };
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
        with_stderr(
            format!("the ACP agent stopped mid-turn ({status})"),
            &self.stderr_tail,
        )
    }
}

/// What the session remembers about a tool call between updates.
pub(super) struct CallState {
    /// The name from the first report (later titles add details such as the file).
    name: String,
    /// Whether `tool_call_ready` went out.
    ready: bool,
    /// The latest arguments reported (`Null` until some are).
    input: Value,
}

/// The first `diff` item of a tool call's content as write arguments: the whole new text for a
/// new file, else the old text replaced by the new.
fn edit_from_diff(call: &Value) -> Option<Value> {
    let diff = call["content"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "diff")?;
    let path = diff["path"].as_str()?;
    let new = diff["newText"].as_str()?;
    Some(match diff["oldText"].as_str().filter(|o| !o.is_empty()) {
        Some(old) => serde_json::json!({"file_path": path, "old_string": old, "new_string": new}),
        None => serde_json::json!({"file_path": path, "content": new}),
    })
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
        sink.emit(AgentEvent::TurnStarted { message_id: None });
        self.turn_cost_base = self.session_cost;
        self.last_usage = Usage {
            ctx_used: self.last_usage.ctx_used,
            ctx_max: self.last_usage.ctx_max,
            ..Usage::default()
        };
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
                    Inbound::Terminal { terminal_id, data } => {
                        sink.emit(AgentEvent::TerminalOutput { terminal_id, data });
                    }
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
                Inbound::Terminal { terminal_id, data } => {
                    sink.emit(AgentEvent::TerminalOutput { terminal_id, data });
                }
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

    async fn set_model(&mut self, model: &str) -> Result<(), AgentError> {
        let Some(option) = &self.model_option else {
            return Err(AgentError::Agent(format!(
                "this agent offers no model choice (asked for {model:?})"
            )));
        };
        if !option.values.is_empty() && !option.values.iter().any(|v| v == model) {
            return Err(AgentError::Agent(format!(
                "unknown model {model:?}; the agent offers {:?}",
                option.values
            )));
        }
        self.cx
            .send_request(SetSessionConfigOptionRequest::new(
                self.session_id.clone(),
                option.config_id.clone(),
                SessionConfigOptionValue::value_id(model.to_owned()),
            ))
            .block_task()
            .await
            .map_err(|e| {
                AgentError::Agent(format!(
                    "session/set_config_option failed: {}",
                    first_line(&e)
                ))
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
            kill_group(&mut child);
            let _ = child.wait().await;
        }
    }
}
