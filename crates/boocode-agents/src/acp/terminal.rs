//! `terminal/*` requests from the agent, served by boocode-pty: each terminal is a PTY session
//! in the project (its `cwd` checked by the path guard), its output kept up to the agent's byte
//! limit (cut from the front at a character boundary, as the protocol asks) and forwarded to the
//! session as `terminal_output` events. Released or left over terminals are killed with their
//! whole process group.

use super::Inbound;
use agent_client_protocol::ErrorCode;
use agent_client_protocol::v1::schema::{
    CreateTerminalRequest, TerminalExitStatus, TerminalOutputResponse,
};
use boocode_pty::{Exit, PtyOptions, PtySession};
use boocode_tools::{Access, ToolEnv};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;

/// Output kept when the agent sets no limit.
const DEFAULT_OUTPUT_LIMIT: usize = 1024 * 1024;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn invalid(message: impl Into<String>) -> agent_client_protocol::Error {
    agent_client_protocol::Error::new(ErrorCode::INVALID_PARAMS, message.into())
}

#[derive(Debug)]
struct Output {
    data: Vec<u8>,
    limit: usize,
    truncated: bool,
}

impl Output {
    fn push(&mut self, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
        if self.data.len() > self.limit {
            let mut cut = self.data.len() - self.limit;
            // Never start inside a UTF-8 sequence.
            while cut < self.data.len() && (self.data[cut] & 0b1100_0000) == 0b1000_0000 {
                cut += 1;
            }
            self.data.drain(..cut);
            self.truncated = true;
        }
    }
}

/// One terminal.
pub(super) struct Terminal {
    pty: PtySession,
    /// The agent's output byte limit.
    limit: usize,
    killed: Mutex<bool>,
}

impl Terminal {
    /// Waits for the command to end.
    pub(super) async fn wait(&self) -> TerminalExitStatus {
        let exit = self.pty.wait().await;
        self.status(exit)
    }

    fn status(&self, exit: Exit) -> TerminalExitStatus {
        let mut status = TerminalExitStatus::new();
        if let Some(code) = exit.code {
            status = status.exit_code(u32::try_from(code).unwrap_or(u32::MAX));
        }
        if exit.signaled {
            status = status.signal(if *lock(&self.killed) {
                "SIGKILL".to_owned()
            } else {
                "unknown".to_owned()
            });
        }
        status
    }
}

/// The terminals of one agent connection.
pub(super) struct Terminals {
    env: Arc<ToolEnv>,
    live: Mutex<HashMap<String, Arc<Terminal>>>,
    events: mpsc::UnboundedSender<Inbound>,
}

impl Terminals {
    pub(super) fn new(env: Arc<ToolEnv>, events: mpsc::UnboundedSender<Inbound>) -> Self {
        Self {
            env,
            live: Mutex::new(HashMap::new()),
            events,
        }
    }

    /// `terminal/create`: starts the command in a PTY and returns its id.
    pub(super) fn create(
        &self,
        request: &CreateTerminalRequest,
    ) -> Result<String, agent_client_protocol::Error> {
        let cwd = match &request.cwd {
            Some(dir) => self
                .env
                .paths()
                .resolve_existing(&dir.to_string_lossy(), Access::Write)
                .map_err(|e| invalid(e.to_string()))?
                .as_path()
                .to_path_buf(),
            None => self.env.paths().root().to_path_buf(),
        };
        let limit = request
            .output_byte_limit
            .and_then(|l| usize::try_from(l).ok())
            .unwrap_or(DEFAULT_OUTPUT_LIMIT)
            .max(1);
        let mut options = PtyOptions::new(request.command.clone())
            .cwd(cwd)
            .scrollback(limit);
        for arg in &request.args {
            options = options.arg(arg.clone());
        }
        for var in &request.env {
            options = options.env(var.name.clone(), var.value.clone());
        }
        let pty = PtySession::spawn(options)
            .map_err(|e| invalid(format!("cannot start `{}`: {e}", request.command)))?;
        let id = format!("term_{}", uuid::Uuid::new_v4().simple());
        // The output itself stays in the PTY's scrollback (sized to the agent's limit), which
        // holds all of it by the time the exit is known; the chat sees it live as events.
        let (scrollback, mut rx) = pty.attach();
        let (events, term_id) = (self.events.clone(), id.clone());
        if !scrollback.is_empty() {
            let _ = events.send(Inbound::Terminal {
                terminal_id: term_id.clone(),
                data: String::from_utf8_lossy(&scrollback).into_owned(),
            });
        }
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(bytes) => {
                        let _ = events.send(Inbound::Terminal {
                            terminal_id: term_id.clone(),
                            data: String::from_utf8_lossy(&bytes).into_owned(),
                        });
                    }
                    // A chat that fell behind misses some output; the agent's copy is whole.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    // The session was dropped (released, or the connection closed).
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        let terminal = Arc::new(Terminal {
            pty,
            limit,
            killed: Mutex::new(false),
        });
        lock(&self.live).insert(id.clone(), terminal);
        tracing::debug!(terminal = %id, command = %request.command, "terminal created");
        Ok(id)
    }

    /// The terminal with `id`.
    pub(super) fn get(&self, id: &str) -> Result<Arc<Terminal>, agent_client_protocol::Error> {
        lock(&self.live)
            .get(id)
            .cloned()
            .ok_or_else(|| invalid(format!("no terminal {id}")))
    }

    /// `terminal/output`: what it printed so far, and its exit status once it has one.
    pub(super) fn output(
        &self,
        id: &str,
    ) -> Result<TerminalOutputResponse, agent_client_protocol::Error> {
        let terminal = self.get(id)?;
        // The exit first: once it is known, the scrollback read after it holds every byte.
        let exit = terminal.pty.exit().map(|e| terminal.status(e));
        let (bytes, dropped) = terminal.pty.scrollback();
        let mut out = Output {
            data: Vec::new(),
            limit: terminal.limit,
            truncated: dropped,
        };
        out.push(&bytes);
        // The PTY cuts its scrollback by bytes: never start inside a character.
        let start = if out.truncated {
            out.data
                .iter()
                .position(|b| (b & 0b1100_0000) != 0b1000_0000)
                .unwrap_or(out.data.len())
        } else {
            0
        };
        let text = String::from_utf8_lossy(&out.data[start..]).into_owned();
        Ok(TerminalOutputResponse::new(text, out.truncated).exit_status(exit))
    }

    /// `terminal/kill`: ends the command; the terminal stays until released.
    pub(super) fn kill(&self, id: &str) -> Result<(), agent_client_protocol::Error> {
        let terminal = self.get(id)?;
        if terminal.pty.exit().is_none() {
            *lock(&terminal.killed) = true;
        }
        terminal.pty.kill();
        Ok(())
    }

    /// `terminal/release`: kills the command if it still runs and forgets the terminal.
    pub(super) fn release(&self, id: &str) -> Result<(), agent_client_protocol::Error> {
        self.kill(id)?;
        lock(&self.live).remove(id);
        Ok(())
    }

    /// Kills every terminal (the connection is closing).
    pub(super) fn release_all(&self) {
        let all: Vec<_> = lock(&self.live).drain().collect();
        for (_, terminal) in all {
            terminal.pty.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_cut_from_the_front_at_a_character_boundary() {
        let mut out = Output {
            data: Vec::new(),
            limit: 5,
            truncated: false,
        };
        out.push("abc".as_bytes());
        assert!(!out.truncated);
        out.push("dé!".as_bytes()); // 7 bytes in all; é is 2
        assert!(out.truncated);
        assert_eq!(String::from_utf8(out.data.clone()).unwrap(), "cdé!");
        // A cut that would land inside é moves past it.
        out.limit = 2;
        out.push(b"");
        assert_eq!(String::from_utf8(out.data.clone()).unwrap(), "!");
    }
}
