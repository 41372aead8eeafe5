//! Terminals: PTYs that belong to a session, run the user's shell (or a registry command) in the
//! project, and outlive their viewers. A terminal ends when it is closed, when its session is
//! archived, or when the server shuts down — always with its whole process group. Input goes
//! through one writer thread per terminal with a bounded queue, so a program that never reads
//! its input holds back its own viewers, never the server.
//!
//! A chat's PTY agent (a TUI such as opencode's) runs in one too ([`Terminals::open_agent`]),
//! so people watch and type into it like any other; such a terminal is watched for going quiet
//! after printing — waiting for input — and the count of those is kept for the inbox.

use boocode_core::protocol::{TerminalExit, TerminalInfo};
use boocode_core::{ChatId, SessionId, now_ms};
use boocode_pty::{CLEAN_ENV, PtyOptions, PtySession};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most terminals one session may hold (ended ones included until closed).
pub const MAX_TERMINALS_PER_SESSION: usize = 8;
/// Most terminals the server holds.
pub const MAX_TERMINALS: usize = 64;
/// Output kept for a viewer who attaches late.
pub const TERMINAL_SCROLLBACK: usize = 2 * 1024 * 1024;
/// Largest single input accepted (a paste is split by the client or refused).
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;
/// Input chunks queued for the writer before senders wait.
const INPUT_QUEUE: usize = 32;
/// How long an agent's terminal must be quiet after printing to count as waiting for input.
pub const WAITING_AFTER: Duration = Duration::from_secs(2);

/// Why a terminal operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TerminalError {
    /// No such terminal (or it ended with a restart).
    #[error("no terminal {0}")]
    NotFound(String),
    /// Too many terminals.
    #[error("{0}")]
    Limit(String),
    /// A bad request (size, cwd, command).
    #[error("{0}")]
    Invalid(String),
    /// The PTY failed.
    #[error(transparent)]
    Pty(#[from] boocode_pty::PtyError),
    /// The program has exited; input is no longer taken.
    #[error("the terminal's program has exited")]
    Exited,
}

/// One terminal.
pub struct Terminal {
    info: Mutex<TerminalInfo>,
    pty: Arc<PtySession>,
    input: tokio::sync::mpsc::Sender<Vec<u8>>,
    /// Quiet after printing (an agent's terminal only).
    waiting: AtomicBool,
    /// Told of every input, so a waiting terminal stops waiting.
    typed: tokio::sync::Notify,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal")
            .field("pty", &self.pty)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Terminal {
    /// What it is now (size, exit).
    pub fn info(&self) -> TerminalInfo {
        let mut info = lock(&self.info).clone();
        info.exit = self.pty.exit().map(|e| TerminalExit {
            code: e.code,
            signaled: e.signaled,
        });
        info.waiting = self.waiting.load(Ordering::Relaxed);
        info
    }

    /// The PTY, for viewers (attach, wait).
    pub fn pty(&self) -> &PtySession {
        &self.pty
    }

    /// The PTY, shared.
    pub fn pty_shared(&self) -> Arc<PtySession> {
        self.pty.clone()
    }

    /// Queues input for the program; waits while the queue is full (the program is not
    /// reading), which holds back the sender.
    pub async fn write(&self, bytes: Vec<u8>) -> Result<(), TerminalError> {
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(TerminalError::Invalid(format!(
                "input of {} bytes is over the {MAX_INPUT_BYTES}-byte limit; send it in parts",
                bytes.len()
            )));
        }
        if self.pty.exit().is_some() {
            return Err(TerminalError::Exited);
        }
        self.typed.notify_one();
        self.input
            .send(bytes)
            .await
            .map_err(|_| TerminalError::Exited)
    }

    /// Resizes it (the last viewer to resize wins).
    pub fn resize(&self, cols: u16, rows: u16) -> Result<(), TerminalError> {
        let (cols, rows) = checked_size(cols, rows)?;
        self.pty.resize(rows, cols)?;
        let mut info = lock(&self.info);
        info.cols = cols;
        info.rows = rows;
        Ok(())
    }
}

fn checked_size(cols: u16, rows: u16) -> Result<(u16, u16), TerminalError> {
    if !(2..=1000).contains(&cols) || !(1..=500).contains(&rows) {
        return Err(TerminalError::Invalid(format!(
            "a terminal is 2 to 1000 columns by 1 to 500 rows, not {cols}x{rows}"
        )));
    }
    Ok((cols, rows))
}

/// What to start.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TerminalSpec {
    /// The program and its arguments (the user's shell when empty).
    pub argv: Vec<String>,
    /// The working directory (already checked to lie inside the project).
    pub cwd: std::path::PathBuf,
    /// The directory shown, relative to the project root.
    pub cwd_shown: String,
    /// Columns.
    pub cols: u16,
    /// Rows.
    pub rows: u16,
    /// The title.
    pub title: Option<String>,
}

impl TerminalSpec {
    /// A terminal running `argv` (the user's shell when empty) in `cwd`.
    pub fn new(argv: Vec<String>, cwd: impl Into<std::path::PathBuf>) -> Self {
        Self {
            argv,
            cwd: cwd.into(),
            cwd_shown: String::new(),
            cols: 80,
            rows: 24,
            title: None,
        }
    }
}

/// The user's shell: `$SHELL` when it is an absolute path to a file, else `/bin/bash`.
pub fn user_shell() -> String {
    std::env::var("SHELL")
        .ok()
        .filter(|s| Path::new(s).is_absolute() && Path::new(s).is_file())
        .unwrap_or_else(|| "/bin/bash".to_owned())
}

/// Every terminal of this server, by id.
#[derive(Debug)]
pub struct Terminals {
    all: Mutex<HashMap<String, Arc<Terminal>>>,
    /// How many agent terminals wait for input.
    waiting: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Default for Terminals {
    fn default() -> Self {
        Self {
            all: Mutex::default(),
            waiting: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }
}

/// Where a new terminal goes and what it is called.
struct Placement {
    session: SessionId,
    chat: Option<ChatId>,
    program: String,
    title: Option<String>,
    cwd_shown: String,
    cols: u16,
    rows: u16,
}

impl Terminals {
    fn check_room(&self, session: SessionId) -> Result<(), TerminalError> {
        let all = lock(&self.all);
        if all.len() >= MAX_TERMINALS {
            return Err(TerminalError::Limit(format!(
                "the server holds {MAX_TERMINALS} terminals already; close one first"
            )));
        }
        let here = all
            .values()
            .filter(|t| lock(&t.info).session_id == session)
            .count();
        if here >= MAX_TERMINALS_PER_SESSION {
            return Err(TerminalError::Limit(format!(
                "this session has {MAX_TERMINALS_PER_SESSION} terminals already; close one first"
            )));
        }
        Ok(())
    }

    /// Starts a terminal in `session`.
    pub fn create(
        &self,
        session: SessionId,
        spec: TerminalSpec,
    ) -> Result<Arc<Terminal>, TerminalError> {
        let (cols, rows) = checked_size(spec.cols, spec.rows)?;
        self.check_room(session)?;
        let mut argv = spec.argv;
        if argv.is_empty() {
            argv.push(user_shell());
        }
        let program = argv[0].clone();
        let mut options = PtyOptions::new(&program)
            .cwd(&spec.cwd)
            .size(rows, cols)
            .scrollback(TERMINAL_SCROLLBACK)
            .clean_env(CLEAN_ENV)
            .env("COLORTERM", "truecolor")
            .env("BOOCODE_TERMINAL", "1");
        for arg in &argv[1..] {
            options = options.arg(arg);
        }
        let pty = PtySession::spawn(options)?;
        self.register(
            pty,
            Placement {
                session,
                chat: None,
                program,
                title: spec.title,
                cwd_shown: spec.cwd_shown,
                cols,
                rows,
            },
        )
    }

    /// Starts the PTY agent of `chat` (in `session`) as one of the session's terminals: viewers
    /// attach to it like any other, and it is watched for waiting for input. `options` come
    /// from the agent's backend (its program, size and environment).
    pub fn open_agent(
        &self,
        session: SessionId,
        chat: ChatId,
        options: PtyOptions,
        title: &str,
    ) -> Result<Arc<Terminal>, TerminalError> {
        self.check_room(session)?;
        let program = options.program().to_owned();
        let (rows, cols) = options.initial_size();
        let pty = PtySession::spawn(options.env("BOOCODE_TERMINAL", "1"))?;
        let terminal = self.register(
            pty,
            Placement {
                session,
                chat: Some(chat),
                program,
                title: Some(title.to_owned()),
                cwd_shown: String::new(),
                cols,
                rows,
            },
        )?;
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                // It holds the terminal until the program ends (closing kills it).
                handle.spawn(watch_waiting(terminal.clone(), self.waiting.clone()));
            }
            Err(_) => tracing::warn!("no async runtime: the agent's terminal is not watched"),
        }
        Ok(terminal)
    }

    fn register(&self, pty: PtySession, at: Placement) -> Result<Arc<Terminal>, TerminalError> {
        let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(INPUT_QUEUE);
        let id = format!("term_{}", uuid::Uuid::new_v4().simple());
        let name = Path::new(&at.program)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| at.program.clone());
        let terminal = Arc::new(Terminal {
            info: Mutex::new(TerminalInfo {
                id: id.clone(),
                session_id: at.session,
                title: at
                    .title
                    .map(|t| t.trim().chars().take(100).collect::<String>())
                    .filter(|t| !t.is_empty())
                    .unwrap_or(name),
                program: at.program,
                cwd: at.cwd_shown,
                cols: at.cols,
                rows: at.rows,
                created_at: now_ms(),
                exit: None,
                chat_id: at.chat,
                waiting: false,
            }),
            pty: Arc::new(pty),
            input: tx,
            waiting: AtomicBool::new(false),
            typed: tokio::sync::Notify::new(),
        });
        spawn_writer(Arc::downgrade(&terminal), rx)?;
        lock(&self.all).insert(id, terminal.clone());
        Ok(terminal)
    }

    /// The chats' agent terminals waiting for input now, oldest first.
    pub fn waiting(&self) -> Vec<TerminalInfo> {
        let mut list: Vec<TerminalInfo> = lock(&self.all)
            .values()
            .map(|t| t.info())
            .filter(|i| i.waiting)
            .collect();
        list.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        list
    }

    /// How many agent terminals wait for input, as it changes.
    pub fn waiting_count(&self) -> tokio::sync::watch::Receiver<u64> {
        self.waiting.subscribe()
    }

    /// One terminal.
    pub fn get(&self, id: &str) -> Result<Arc<Terminal>, TerminalError> {
        lock(&self.all)
            .get(id)
            .cloned()
            .ok_or_else(|| TerminalError::NotFound(id.to_owned()))
    }

    /// A session's terminals, oldest first.
    pub fn list(&self, session: SessionId) -> Vec<TerminalInfo> {
        let mut list: Vec<TerminalInfo> = lock(&self.all)
            .values()
            .map(|t| t.info())
            .filter(|i| i.session_id == session)
            .collect();
        list.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        list
    }

    /// Renames one.
    pub fn rename(&self, id: &str, title: &str) -> Result<TerminalInfo, TerminalError> {
        let title: String = title.trim().chars().take(100).collect();
        if title.is_empty() {
            return Err(TerminalError::Invalid("the title is empty".into()));
        }
        let terminal = self.get(id)?;
        lock(&terminal.info).title = title;
        Ok(terminal.info())
    }

    /// Closes one: its process group is killed and it is forgotten.
    pub fn close(&self, id: &str) -> Result<(), TerminalError> {
        let terminal = lock(&self.all)
            .remove(id)
            .ok_or_else(|| TerminalError::NotFound(id.to_owned()))?;
        terminal.pty.kill();
        Ok(())
    }

    /// Closes every terminal of `session` (archived); how many.
    pub fn close_session(&self, session: SessionId) -> usize {
        let gone: Vec<Arc<Terminal>> = {
            let mut all = lock(&self.all);
            let ids: Vec<String> = all
                .iter()
                .filter(|(_, t)| lock(&t.info).session_id == session)
                .map(|(id, _)| id.clone())
                .collect();
            ids.iter().filter_map(|id| all.remove(id)).collect()
        };
        for terminal in &gone {
            terminal.pty.kill();
        }
        gone.len()
    }

    /// Closes every terminal (shutdown).
    pub fn close_all(&self) {
        let gone: Vec<Arc<Terminal>> = lock(&self.all).drain().map(|(_, t)| t).collect();
        for terminal in gone {
            terminal.pty.kill();
        }
    }
}

/// Watches an agent's terminal: quiet for [`WAITING_AFTER`] after printing, it waits for
/// input; output, input or its exit end the wait. Keeps `count` in step.
async fn watch_waiting(terminal: Arc<Terminal>, count: Arc<tokio::sync::watch::Sender<u64>>) {
    use tokio::sync::broadcast::error::RecvError;
    let (_, mut live) = terminal.pty.attach();
    let set = |waiting: bool| {
        if terminal.waiting.swap(waiting, Ordering::Relaxed) != waiting {
            count.send_modify(|n| {
                *n = if waiting { *n + 1 } else { n.saturating_sub(1) };
            });
        }
    };
    let mut printed = false;
    loop {
        tokio::select! {
            _ = terminal.pty.wait() => break,
            () = terminal.typed.notified() => {
                printed = false;
                set(false);
            }
            next = tokio::time::timeout(WAITING_AFTER, live.recv()) => match next {
                Ok(Ok(_) | Err(RecvError::Lagged(_))) => {
                    printed = true;
                    set(false);
                }
                Ok(Err(RecvError::Closed)) => break,
                Err(_) if printed => set(true),
                Err(_) => {}
            },
        }
    }
    set(false);
}

/// The writer thread: takes queued input and writes it to the PTY (a blocking write that waits
/// while the program does not read). It ends when the terminal is dropped or its program exits.
fn spawn_writer(
    terminal: std::sync::Weak<Terminal>,
    mut rx: tokio::sync::mpsc::Receiver<Vec<u8>>,
) -> Result<(), TerminalError> {
    std::thread::Builder::new()
        .name("terminal-writer".into())
        .spawn(move || {
            while let Some(bytes) = rx.blocking_recv() {
                let Some(terminal) = terminal.upgrade() else {
                    return;
                };
                if terminal.pty.write(&bytes).is_err() {
                    return;
                }
            }
        })
        .map(|_| ())
        .map_err(|e| TerminalError::Pty(boocode_pty::PtyError::Open(e.to_string())))
}

/// Tells this instance's clients how many agent terminals wait for input, as it changes (a
/// terminal lives on one instance: other instances are not told).
pub(crate) async fn tell_waiting(state: crate::Runtime, stop: boocode_core::CancellationToken) {
    let mut count = state.terminals.waiting_count();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            changed = count.changed() => {
                if changed.is_err() {
                    return;
                }
                let waiting = *count.borrow_and_update();
                state
                    .broker
                    .publish_user_here(boocode_core::UserFrame::TerminalsWaiting { waiting });
            }
        }
    }
}

/// Where a chat's PTY agent runs: a terminal of the chat's session, which people can watch
/// and type into.
pub(crate) struct AgentTerminals {
    pub(crate) terminals: Arc<Terminals>,
    pub(crate) session: SessionId,
    pub(crate) chat: ChatId,
}

impl boocode_agents::TerminalHost for AgentTerminals {
    fn open(
        &self,
        options: PtyOptions,
        title: &str,
    ) -> Result<boocode_agents::HostedTerminal, boocode_agents::AgentError> {
        let program = options.program().to_owned();
        let terminal = self
            .terminals
            .open_agent(self.session, self.chat, options, title)
            .map_err(|e| boocode_agents::AgentError::Spawn {
                program,
                message: e.to_string(),
            })?;
        let id = lock(&terminal.info).id.clone();
        Ok(boocode_agents::HostedTerminal::new(
            id,
            terminal.pty_shared(),
        ))
    }

    fn close(&self, id: &str) {
        // Already gone (closed by hand, or with its session) is fine.
        let _ = self.terminals.close(id);
    }
}
