//! The PTY backend: any CLI with no protocol — a one-shot command or a full-screen TUI such as
//! opencode's or Claude Code's — run in a terminal. The prompt is typed in; what the terminal
//! shows is reported as screens of text ([`AgentEvent::TerminalScreen`]), never as raw escape
//! sequences; the program's exit ends the turn, and so does silence (the program is waiting for
//! input). With a [`TerminalHost`] the terminal is one people can watch and type into (a
//! server's terminal panes); without one it is private to the session.

use crate::backend::{AgentBackend, AgentError, AgentSession, BackendKind, SessionConfig};
use crate::permission::Permissions;
use boocode_core::{AgentEvent, CancellationToken, EventSink, TurnOutcome, Usage};
use boocode_pty::{PtyOptions, PtySession};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Scrollback a PTY agent's terminal keeps for late viewers.
const AGENT_SCROLLBACK: usize = 2 * 1024 * 1024;
/// How often, at most, a changing screen is reported during a turn.
const SCREEN_EVERY: Duration = Duration::from_millis(500);
/// Between typing a prompt and pressing Enter: a TUI that reads fast input as a paste would
/// otherwise take the Enter as part of it.
const ENTER_AFTER: Duration = Duration::from_millis(40);

/// Where a PTY agent's program runs so people can watch it and type into it: a server's
/// terminal registry, say. Without one the program runs in a private PTY.
pub trait TerminalHost: Send + Sync {
    /// Starts `options` in a terminal titled `title` that viewers can attach to.
    fn open(&self, options: PtyOptions, title: &str) -> Result<HostedTerminal, AgentError>;
    /// Ends the terminal `id` and its processes.
    fn close(&self, id: &str);
}

/// A terminal a [`TerminalHost`] started.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HostedTerminal {
    /// Its id, as viewers know it.
    pub id: String,
    /// The PTY, shared with the host.
    pub pty: Arc<PtySession>,
}

impl HostedTerminal {
    /// A hosted terminal.
    pub fn new(id: impl Into<String>, pty: Arc<PtySession>) -> Self {
        Self { id: id.into(), pty }
    }
}

/// Any CLI with no protocol, run in a terminal: the prompt goes in as typed input, the screen
/// comes out as text, the exit (or `idle` silence) ends the turn.
#[derive(Clone)]
pub struct PtyBackend {
    program: String,
    args: Vec<String>,
    /// How long output may stay silent before the turn is considered done (for interactive
    /// CLIs that do not exit after answering).
    idle: Option<Duration>,
    host: Option<Arc<dyn TerminalHost>>,
}

impl std::fmt::Debug for PtyBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PtyBackend")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("idle", &self.idle)
            .field("hosted", &self.host.is_some())
            .finish()
    }
}

impl PtyBackend {
    /// Runs `program args…`; the turn ends when the program exits.
    pub fn new(program: impl Into<String>, args: Vec<String>) -> Self {
        Self {
            program: program.into(),
            args,
            idle: None,
            host: None,
        }
    }

    /// Also ends a turn after `idle` without output (the program keeps running for the next).
    pub fn idle_after(mut self, idle: Duration) -> Self {
        self.idle = Some(idle);
        self
    }

    /// Runs the program in a terminal `host` starts, which people can watch and type into.
    pub fn hosted_by(mut self, host: Arc<dyn TerminalHost>) -> Self {
        self.host = Some(host);
        self
    }
}

#[async_trait::async_trait]
impl AgentBackend for PtyBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Pty
    }

    async fn start(&self, config: SessionConfig) -> Result<Box<dyn AgentSession>, AgentError> {
        let mut session = PtyAgentSession {
            backend: self.clone(),
            cwd: config.cwd,
            terminal: None,
            permissions: Arc::new(Permissions::new()),
        };
        // Started now, so a missing program is an error before the first prompt.
        session.spawn()?;
        Ok(Box::new(session))
    }
}

/// The terminal a session runs in.
struct Running {
    id: String,
    pty: Arc<PtySession>,
    hosted: bool,
}

struct PtyAgentSession {
    backend: PtyBackend,
    cwd: PathBuf,
    terminal: Option<Running>,
    /// A terminal program asks in its own output; nothing is ever parked here.
    permissions: Arc<Permissions>,
}

impl PtyAgentSession {
    /// Starts the program (again, after it exited).
    fn spawn(&mut self) -> Result<(), AgentError> {
        let backend = &self.backend;
        let mut options = PtyOptions::new(&backend.program)
            .cwd(&self.cwd)
            .size(30, 100)
            .scrollback(AGENT_SCROLLBACK)
            .track_screen();
        for arg in &backend.args {
            options = options.arg(arg);
        }
        // The agent keeps the server's environment (its credentials live there) but none of
        // BooCode's own settings.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("BOOCODE_") {
                options = options.env_remove(key.to_string_lossy());
            }
        }
        let running = match &backend.host {
            Some(host) => {
                let title = Path::new(&backend.program)
                    .file_name()
                    .map_or_else(|| backend.program.clone(), |n| n.to_string_lossy().into());
                let hosted = host.open(options, &title)?;
                Running {
                    id: hosted.id,
                    pty: hosted.pty,
                    hosted: true,
                }
            }
            None => Running {
                id: format!("pty_{}", uuid::Uuid::new_v4().simple()),
                pty: Arc::new(PtySession::spawn(options).map_err(|e| AgentError::Spawn {
                    program: backend.program.clone(),
                    message: e.to_string(),
                })?),
                hosted: false,
            },
        };
        if let Some(old) = self.terminal.replace(running) {
            self.end(&old);
        }
        Ok(())
    }

    fn end(&self, running: &Running) {
        match (&self.backend.host, running.hosted) {
            (Some(host), true) => host.close(&running.id),
            _ => running.pty.kill(),
        }
    }
}

/// Reports the program's exit: the screen it left, then the exit; the turn's outcome.
fn report_exit(running: &Running, exit: boocode_pty::Exit, sink: &dyn EventSink) -> TurnOutcome {
    if let Some(event) = screen_event(running) {
        sink.emit(event);
    }
    sink.emit(AgentEvent::TerminalExited {
        terminal_id: running.id.clone(),
        exit_code: exit.code,
    });
    if exit.code == Some(0) {
        TurnOutcome::Completed
    } else {
        TurnOutcome::Error
    }
}

fn screen_event(running: &Running) -> Option<AgentEvent> {
    running
        .pty
        .screen()
        .map(|screen| AgentEvent::TerminalScreen {
            terminal_id: running.id.clone(),
            screen,
        })
}

#[async_trait::async_trait]
impl AgentSession for PtyAgentSession {
    async fn prompt(
        &mut self,
        text: &str,
        sink: &dyn EventSink,
        cancel: &CancellationToken,
    ) -> Result<TurnOutcome, AgentError> {
        // A program that exited (the last turn ended with it) starts again for this one.
        if self
            .terminal
            .as_ref()
            .is_none_or(|t| t.pty.exit().is_some())
        {
            self.spawn()?;
        }
        let Some(running) = self.terminal.as_ref() else {
            return Err(AgentError::Agent("no terminal".into()));
        };
        let pty = running.pty.clone();
        // A terminal writes no message of its own.
        sink.emit(AgentEvent::TurnStarted { message_id: None });
        let (_, mut live) = pty.attach();
        // The part that shows this terminal, from the start of the turn.
        if let Some(event) = screen_event(running) {
            sink.emit(event);
        }
        let write = |bytes: &[u8]| {
            pty.write(bytes)
                .map_err(|e| AgentError::Agent(e.to_string()))
        };
        write(text.as_bytes())?;
        tokio::time::sleep(ENTER_AFTER).await;
        write(b"\r")?;
        let idle = self.backend.idle;
        let mut shown = Instant::now();
        let mut changed = false;
        let outcome = loop {
            let next = async {
                match idle {
                    Some(idle) => tokio::time::timeout(idle, live.recv()).await.ok(),
                    None => Some(live.recv().await),
                }
            };
            tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    // Ctrl-C to the program; the turn is over either way.
                    let _ = pty.write(&[0x03]);
                    break TurnOutcome::Cancelled;
                }
                exit = pty.wait() => {
                    changed = false;
                    break report_exit(running, exit, sink);
                }
                chunk = next => match chunk {
                    // Output (or output missed by a slow reader): the screen changed.
                    Some(Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                        changed = true;
                        if shown.elapsed() >= SCREEN_EVERY && let Some(event) = screen_event(running) {
                            sink.emit(event);
                            shown = Instant::now();
                            changed = false;
                        }
                    }
                    // The PTY closed: the exit follows.
                    Some(Err(_)) => {
                        changed = false;
                        break report_exit(running, pty.wait().await, sink);
                    }
                    // Silent for `idle`: waiting for input.
                    None => break TurnOutcome::Completed,
                },
            }
        };
        if changed && let Some(event) = screen_event(running) {
            sink.emit(event);
        }
        sink.emit(AgentEvent::TurnFinished {
            outcome,
            summary: None,
            usage: Usage::default(),
        });
        Ok(outcome)
    }

    fn permissions(&self) -> Arc<Permissions> {
        self.permissions.clone()
    }

    fn backend_session_id(&self) -> Option<String> {
        None
    }

    async fn close(&mut self) {
        if let Some(running) = self.terminal.take() {
            self.end(&running);
        }
    }
}
