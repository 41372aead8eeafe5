//! Claude Code as a backend: one warm `claude` process per session in streaming-input mode
//! (JSON lines both ways), the control protocol (`initialize`, `interrupt`, `can_use_tool`
//! answered through [`Permissions`]), and every SDK message mapped to [`AgentEvent`]s.
//!
//! A process that dies is reported, reaped, and replaced on the next prompt, resuming its
//! session by id.

mod mapping;
mod process;
mod transcript;

use crate::backend::{AgentBackend, AgentError, AgentSession, BackendKind, SessionConfig};
use crate::permission::{Permissions, Verdict};
use boocode_core::{AgentEvent, CancellationToken, EventSink, NoticeLevel, TurnOutcome, Usage};
use boocode_store::{TranscriptStore, project_key_for};
use mapping::{Mapper, error_text, usage_of};
use process::{Incoming, Process, spawn_reader};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::Command;
use tokio::sync::mpsc;
use transcript::{key_for_transcript, materialize};

/// How to run `claude`.
#[derive(Clone)]
pub struct ClaudeSdkBackend {
    program: PathBuf,
    env: Vec<(String, String)>,
    permission_mode: String,
    extra_args: Vec<String>,
    transcripts: Option<Arc<dyn TranscriptStore>>,
}

impl std::fmt::Debug for ClaudeSdkBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaudeSdkBackend")
            .field("program", &self.program)
            .field("permission_mode", &self.permission_mode)
            .field("mirrors_transcripts", &self.transcripts.is_some())
            .finish_non_exhaustive()
    }
}

impl ClaudeSdkBackend {
    /// Runs `program` (the `claude` binary) in `default` permission mode.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            env: Vec::new(),
            permission_mode: "default".into(),
            extra_args: vec!["--setting-sources=".into()],
            transcripts: None,
        }
    }

    /// Mirrors every transcript line into `store` (`--session-mirror`), and resumes sessions
    /// from it: a session asked to resume an id is materialized from the store into a fresh
    /// config directory, so it can continue on another host or after a restart.
    pub fn with_transcripts(mut self, store: Arc<dyn TranscriptStore>) -> Self {
        self.transcripts = Some(store);
        self
    }

    /// The config directory the child uses (where its `projects/` transcripts live).
    fn config_dir(&self) -> PathBuf {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == "CLAUDE_CONFIG_DIR")
            .map(|(_, v)| PathBuf::from(v))
            .or_else(|| std::env::var_os("CLAUDE_CONFIG_DIR").map(PathBuf::from))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".claude")))
            .unwrap_or_else(|| PathBuf::from(".claude"))
    }

    /// Adds an environment variable for the child (`ANTHROPIC_BASE_URL`, `CLAUDE_CONFIG_DIR`…).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Adds command-line arguments after the ones the backend needs (a provider's `args`).
    pub fn extra_args(mut self, args: Vec<String>) -> Self {
        self.extra_args.extend(args);
        self
    }

    /// Sets the permission mode (`default`, `acceptEdits`, `plan`, `bypassPermissions`).
    pub fn permission_mode(mut self, mode: impl Into<String>) -> Self {
        self.permission_mode = mode.into();
        self
    }
}

#[async_trait::async_trait]
impl AgentBackend for ClaudeSdkBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::ClaudeSdk
    }

    async fn start(&self, config: SessionConfig) -> Result<Box<dyn AgentSession>, AgentError> {
        let permissions = Arc::new(
            Permissions::with_reviewer(config.reviewer.clone()).with_hooks(config.hooks.clone()),
        );
        let mut session = ClaudeSession {
            backend: self.clone(),
            config,
            process: None,
            session_id: Arc::new(Mutex::new(None)),
            permissions,
            resume_dir: None,
            plugin_dir: None,
            lost_session: None,
        };
        session.ensure_process().await?;
        Ok(Box::new(session))
    }
}

struct ClaudeSession {
    backend: ClaudeSdkBackend,
    config: SessionConfig,
    process: Option<Process>,
    session_id: Arc<Mutex<Option<String>>>,
    permissions: Arc<Permissions>,
    /// A config directory materialized from the transcript store, removed on close.
    resume_dir: Option<PathBuf>,
    /// A plugin directory offering the session's skills to claude, removed on close.
    plugin_dir: Option<PathBuf>,
    /// A session that could not be resumed, to be reported at the next prompt.
    lost_session: Option<String>,
}

/// What claude prints when `--resume` names a session it has no transcript of.
const NO_CONVERSATION: &str = "No conversation found";

impl ClaudeSession {
    /// Starts `claude` unless it runs. A session it has no transcript of (a process killed
    /// before it saved the turn, or an unknown id) cannot be resumed: that is said once, at the
    /// next prompt, and a new session starts instead of failing every prompt from then on.
    async fn ensure_process(&mut self) -> Result<(), AgentError> {
        if self.process.is_some() {
            return Ok(());
        }
        match self.start_process().await {
            Err(AgentError::Agent(message)) if message.contains(NO_CONVERSATION) => {
                let lost = self
                    .session_id
                    .lock()
                    .ok()
                    .and_then(|mut s| s.take())
                    .or_else(|| self.config.resume.take());
                self.config.resume = None;
                tracing::warn!(session = ?lost, "claude cannot resume the session; starting a new one");
                self.lost_session = lost;
                self.start_process().await
            }
            other => other,
        }
    }

    async fn start_process(&mut self) -> Result<(), AgentError> {
        let b = self.backend.clone();
        let mut cmd = Command::new(&b.program);
        cmd.args([
            "--output-format",
            "stream-json",
            "--verbose",
            "--input-format",
            "stream-json",
            "--include-partial-messages",
        ])
        .arg("--permission-prompt-tool=stdio")
        .arg(format!("--permission-mode={}", b.permission_mode))
        .args(&b.extra_args);
        if let Some(model) = &self.config.model {
            cmd.arg(format!("--model={model}"));
        }
        if let Some(effort) = &self.config.effort {
            cmd.arg(format!("--effort={effort}"));
        }
        let resume = self
            .session_id
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .or_else(|| self.config.resume.clone());
        let mut config_dir = b.config_dir();
        if let (Some(id), Some(store), None) = (&resume, &b.transcripts, &self.resume_dir) {
            // Resume from the store alone, in a fresh config directory.
            let dir = std::env::temp_dir()
                .join(format!("claude-resume-{}", uuid::Uuid::new_v4().simple()));
            let project_key = project_key_for(&self.config.cwd);
            if materialize(store.as_ref(), &dir, &project_key, id).await? {
                self.resume_dir = Some(dir);
            }
        }
        if let Some(dir) = &self.resume_dir {
            config_dir = dir.clone();
        }
        if let Some(id) = resume {
            cmd.arg(format!("--resume={id}"));
        }
        if self.plugin_dir.is_none() && !self.config.skills.is_empty() {
            match skills_plugin(&self.config.skills) {
                Ok(dir) => self.plugin_dir = Some(dir),
                Err(e) => tracing::warn!(error = %e, "cannot offer the skills to claude"),
            }
        }
        if let Some(dir) = &self.plugin_dir {
            cmd.arg("--plugin-dir").arg(dir);
        }
        if b.transcripts.is_some() {
            cmd.arg("--session-mirror");
        }
        cmd.current_dir(&self.config.cwd)
            .env("CLAUDE_CODE_ENTRYPOINT", "sdk-boocode")
            .env_remove("CLAUDECODE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so whatever it starts goes with it.
            .process_group(0)
            .kill_on_drop(true);
        crate::process::die_with_parent(&mut cmd);
        for (k, v) in &b.env {
            cmd.env(k, v);
        }
        if self.resume_dir.is_some() {
            cmd.env("CLAUDE_CONFIG_DIR", &config_dir);
        }
        let mut child = cmd.spawn().map_err(|e| AgentError::Spawn {
            program: b.program.display().to_string(),
            message: e.to_string(),
        })?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| AgentError::Agent("no stdin".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| AgentError::Agent("no stdout".into()))?;
        let stderr_tail = Arc::new(Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(crate::process::keep_tail(stderr, stderr_tail.clone()));
        }
        let pending = Arc::new(Mutex::new(HashMap::new()));
        let mirrored = Arc::new(process::MirrorProgress::default());
        let (mirror_tx, mirror) = match &b.transcripts {
            Some(store) => {
                let (tx, mut rx) = mpsc::unbounded_channel::<Value>();
                let store = store.clone();
                let progress = mirrored.clone();
                let task = tokio::spawn(async move {
                    // One task, so each key's entries are appended in the order written.
                    while let Some(frame) = rx.recv().await {
                        let Some(key) = frame["filePath"]
                            .as_str()
                            .and_then(|f| key_for_transcript(&config_dir, f))
                        else {
                            tracing::warn!(file = ?frame["filePath"], "a mirrored transcript is outside the config directory; dropped");
                            progress
                                .stored
                                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                            continue;
                        };
                        let entries = frame["entries"].as_array().cloned().unwrap_or_default();
                        if let Err(e) = store.append(&key, &entries).await {
                            tracing::error!(error = %e, "could not mirror transcript entries");
                        }
                        progress
                            .stored
                            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                    }
                });
                (Some((tx, mirrored.clone())), Some(task))
            }
            None => (None, None),
        };
        let incoming = spawn_reader(stdout, pending.clone(), mirror_tx);
        let mut process = Process {
            child,
            stdin,
            incoming,
            pending,
            next_id: 0,
            mirror,
            mirrored,
            cost_so_far: 0.0,
            stderr_tail,
        };
        let mut init = json!({"subtype": "initialize", "hooks": null});
        if let Some(system) = &self.config.system {
            init["appendSystemPrompt"] = json!(system);
        }
        process.control(init, Some(Duration::from_secs(60))).await?;
        self.process = Some(process);
        Ok(())
    }

    /// Sends a control request between turns and checks it succeeded.
    async fn control_ok(&mut self, request: Value) -> Result<(), AgentError> {
        self.ensure_process().await?;
        let process = self
            .process
            .as_mut()
            .ok_or_else(|| AgentError::Agent("no claude process".into()))?;
        let response = process
            .control(request.clone(), Some(Duration::from_secs(30)))
            .await?;
        match response {
            Some(r) if r["subtype"] == "error" => Err(AgentError::Agent(format!(
                "claude refused {}: {}",
                request["subtype"],
                r["error"].as_str().unwrap_or("unknown error")
            ))),
            _ => Ok(()),
        }
    }

    async fn answer_permission(
        &self,
        process: &mut Process,
        request_id: String,
        request: Value,
        sink: &dyn EventSink,
        cancel: &CancellationToken,
    ) -> Result<bool, AgentError> {
        let tool = request["tool_name"].as_str().unwrap_or("tool").to_owned();
        let input = request["input"].clone();
        let summary = request["title"]
            .as_str()
            .or_else(|| request["description"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{tool} {input}"));
        let call_id = request["tool_use_id"].as_str().map(str::to_owned);
        let ask = self.permissions.ask(sink, call_id, &tool, &input, summary);
        tokio::pin!(ask);
        let mut verdict = tokio::select! {
            v = &mut ask => v,
            _ = cancel.cancelled() => {
                // Deny what waits (the prompt still reports how it was resolved).
                self.permissions.cancel_all();
                ask.await
            }
        };
        if cancel.is_cancelled() && verdict != Verdict::Allow {
            verdict = Verdict::DenyAndStop;
        }
        let response = match &verdict {
            Verdict::Queued(message) => json!({"behavior": "deny", "message": message}),
            Verdict::Allow => json!({"behavior": "allow", "updatedInput": input}),
            Verdict::Deny => {
                json!({"behavior": "deny", "message": "The user denied this tool call."})
            }
            Verdict::Refused(reason) => json!({"behavior": "deny", "message": reason}),
            Verdict::DenyAndStop => {
                json!({"behavior": "deny", "message": "The user denied this tool call and stopped the turn.", "interrupt": true})
            }
        };
        process
            .send(&json!({"type": "control_response", "response": {"subtype": "success", "request_id": request_id, "response": response}}))
            .await?;
        Ok(verdict == Verdict::DenyAndStop)
    }
}

#[async_trait::async_trait]
impl AgentSession for ClaudeSession {
    async fn prompt(
        &mut self,
        text: &str,
        sink: &dyn EventSink,
        cancel: &CancellationToken,
    ) -> Result<TurnOutcome, AgentError> {
        self.ensure_process().await?;
        let Some(mut process) = self.process.take() else {
            return Err(AgentError::Agent("no claude process".into()));
        };
        sink.emit(AgentEvent::TurnStarted { message_id: None });
        if let Some(lost) = self.lost_session.take() {
            sink.emit(AgentEvent::Notice {
                level: NoticeLevel::Warning,
                message: format!(
                    "claude has no saved transcript of session {lost} (its process ended before \
                     saving it), so this is a new session without the earlier turns"
                ),
            });
        }
        process
            .send(&json!({"type": "user", "session_id": "", "parent_tool_use_id": null, "message": {"role": "user", "content": [{"type": "text", "text": text}]}}))
            .await?;
        let mut mapper = Mapper::default();
        let mut interrupted = false;
        let outcome = loop {
            let incoming = tokio::select! {
                biased;
                _ = cancel.cancelled(), if !interrupted => {
                    interrupted = true;
                    self.permissions.cancel_all();
                    // Ask claude to stop; its `result` still ends the turn.
                    process.control(json!({"subtype": "interrupt"}), None).await?;
                    continue;
                }
                m = process.incoming.recv() => m.unwrap_or(Incoming::Exited),
            };
            match incoming {
                Incoming::Message(message) => {
                    if message["type"] == "system"
                        && message["subtype"] == "init"
                        && let Some(id) = message["session_id"].as_str()
                    {
                        let changed = self
                            .session_id
                            .lock()
                            .ok()
                            .map(|mut s| s.replace(id.to_owned()) != Some(id.to_owned()))
                            .unwrap_or(false);
                        if changed {
                            sink.emit(AgentEvent::BackendSession {
                                backend: "claude_sdk".into(),
                                session_id: id.to_owned(),
                            });
                        }
                    }
                    if message["type"] == "result" {
                        let mut usage = usage_of(&message);
                        // Per turn, like the token counts.
                        if let Some(total) = usage.cost_usd {
                            usage.cost_usd = Some((total - process.cost_so_far).max(0.0));
                            process.cost_so_far = total;
                        }
                        sink.emit(AgentEvent::Usage { usage });
                        // The turn's transcript is in the store before the turn is reported
                        // finished: a crash right after resumes with it.
                        process.mirrored.settle(Duration::from_secs(2)).await;
                        let (outcome, summary) = if interrupted {
                            (TurnOutcome::Cancelled, None)
                        } else if message["is_error"].as_bool().unwrap_or(false) {
                            (TurnOutcome::Error, Some(error_text(&message)))
                        } else {
                            (TurnOutcome::Completed, None)
                        };
                        sink.emit(AgentEvent::TurnFinished {
                            outcome,
                            summary,
                            usage,
                        });
                        break outcome;
                    }
                    mapper.map(&message, sink);
                }
                Incoming::CanUseTool {
                    request_id,
                    request,
                } => {
                    if self
                        .answer_permission(&mut process, request_id, request, sink, cancel)
                        .await?
                        && !interrupted
                    {
                        interrupted = true;
                    }
                }
                Incoming::Exited => {
                    // Not reaped yet, so the group id is still its own: take its children too.
                    crate::process::kill_group(&mut process.child);
                    let status = process.child.wait().await.ok();
                    let message = format!(
                        "claude exited mid-turn ({})",
                        status
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "unknown status".into())
                    );
                    sink.emit(AgentEvent::TurnFinished {
                        outcome: TurnOutcome::Error,
                        summary: Some(message.clone()),
                        usage: Usage::default(),
                    });
                    // The next prompt starts a fresh process that resumes the session.
                    return Err(AgentError::Agent(message));
                }
            }
        };
        self.process = Some(process);
        Ok(outcome)
    }

    fn permissions(&self) -> Arc<Permissions> {
        self.permissions.clone()
    }

    fn backend_session_id(&self) -> Option<String> {
        self.session_id.lock().ok().and_then(|s| s.clone())
    }

    async fn set_mode(&mut self, mode: &str) -> Result<(), AgentError> {
        self.control_ok(json!({"subtype": "set_permission_mode", "mode": mode}))
            .await?;
        self.backend.permission_mode = mode.to_owned();
        Ok(())
    }

    async fn set_model(&mut self, model: &str) -> Result<(), AgentError> {
        self.control_ok(json!({"subtype": "set_model", "model": model}))
            .await?;
        self.config.model = Some(model.to_owned());
        Ok(())
    }

    async fn close(&mut self) {
        self.permissions.cancel_all();
        if let Some(mut process) = self.process.take() {
            // Closing stdin lets claude flush its session; then it is given a few seconds.
            drop(process.stdin);
            if tokio::time::timeout(Duration::from_secs(5), process.child.wait())
                .await
                .is_err()
            {
                crate::process::kill_group(&mut process.child);
                let _ = process.child.wait().await;
            }
            // The last mirror frames arrive after the final result: let them land.
            if let Some(mirror) = process.mirror.take() {
                let _ = tokio::time::timeout(Duration::from_secs(10), mirror).await;
            }
        }
        if let Some(dir) = self.resume_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(dir) = self.plugin_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A Claude Code plugin (a temporary directory) whose `skills/` links to each skill folder,
/// so claude offers skills it would not find itself (`.agents/skills`, BooCode's folders).
/// Claude names them `boocode-skills:<name>`.
fn skills_plugin(skills: &[PathBuf]) -> std::io::Result<PathBuf> {
    let dir =
        std::env::temp_dir().join(format!("boocode-skills-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join(".claude-plugin"))?;
    std::fs::create_dir_all(dir.join("skills"))?;
    std::fs::write(
        dir.join(".claude-plugin/plugin.json"),
        serde_json::json!({
            "name": "boocode-skills",
            "description": "The project's and the user's skills, as BooCode found them",
            "version": "1.0.0"
        })
        .to_string(),
    )?;
    for skill in skills {
        if let Some(name) = skill.file_name() {
            std::os::unix::fs::symlink(skill, dir.join("skills").join(name))?;
        }
    }
    Ok(dir)
}
