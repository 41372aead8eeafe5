//! PTY sessions for BooCode: run a program in a pseudo-terminal, write to it, resize it, let
//! several viewers watch (a late one first gets a bounded scrollback), report how it exited, and
//! never leak a process: closing a session kills its whole process group.
//!
//! ```no_run
//! # async fn demo() -> Result<(), boocode_pty::PtyError> {
//! use boocode_pty::{PtyOptions, PtySession};
//!
//! let session = PtySession::spawn(PtyOptions::new("bash").arg("-c").arg("echo hi; exit 3"))?;
//! let (scrollback, mut live) = session.attach();
//! # let _ = (scrollback, &mut live);
//! let status = session.wait().await;
//! assert_eq!(status.code, Some(3));
//! # Ok(())
//! # }
//! ```

use bytes::Bytes;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{broadcast, watch};

/// Why a PTY operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PtyError {
    /// The terminal could not be opened.
    #[error("cannot open a terminal: {0}")]
    Open(String),
    /// The program could not be started.
    #[error("cannot start {program}: {message}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        message: String,
    },
    /// Writing to or resizing the terminal failed (usually: the program has exited).
    #[error("terminal I/O failed: {0}")]
    Io(String),
}

/// How to start a session.
#[derive(Debug, Clone)]
pub struct PtyOptions {
    program: String,
    args: Vec<String>,
    cwd: Option<PathBuf>,
    env: Vec<(String, String)>,
    rows: u16,
    cols: u16,
    scrollback_bytes: usize,
    /// Variables kept from this process's environment; `None` keeps all of it.
    inherit: Option<Vec<String>>,
    /// Whether to keep an emulated screen ([`PtySession::screen`]).
    screen: bool,
    /// Variables taken out of the inherited environment.
    remove: Vec<String>,
}

/// What a terminal keeps from the server's environment with [`PtyOptions::clean_env`]: enough
/// for a shell to work, nothing that carries a secret.
pub const CLEAN_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    "TMPDIR",
    "XDG_RUNTIME_DIR",
];

impl PtyOptions {
    /// Runs `program` (found on `PATH`) in an 80×24 terminal with 256 KiB of scrollback.
    pub fn new(program: impl Into<String>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            rows: 24,
            cols: 80,
            scrollback_bytes: 256 * 1024,
            inherit: None,
            screen: false,
            remove: Vec::new(),
        }
    }

    /// Starts from an empty environment keeping only `keep` (e.g. [`CLEAN_ENV`]) from this
    /// process's, so no token or key the server holds reaches the program; `env` adds to it.
    pub fn clean_env(mut self, keep: &[&str]) -> Self {
        self.inherit = Some(keep.iter().map(|k| (*k).to_owned()).collect());
        self
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Sets the working directory.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The program it runs.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The initial size, rows by columns.
    pub fn initial_size(&self) -> (u16, u16) {
        (self.rows, self.cols)
    }

    /// Leaves `key` out of the environment the program inherits.
    pub fn env_remove(mut self, key: impl Into<String>) -> Self {
        self.remove.push(key.into());
        self
    }

    /// Sets the initial size.
    pub fn size(mut self, rows: u16, cols: u16) -> Self {
        self.rows = rows;
        self.cols = cols;
        self
    }

    /// Sets how many bytes of output late viewers are replayed.
    pub fn scrollback(mut self, bytes: usize) -> Self {
        self.scrollback_bytes = bytes;
        self
    }

    /// Keeps an emulated screen of the output, so [`PtySession::screen`] can say what the
    /// terminal shows as text (for a full-screen program, whose raw output is mostly cursor
    /// movement). It costs a parse of every byte, so plain terminals go without.
    pub fn track_screen(mut self) -> Self {
        self.screen = true;
        self
    }
}

/// How long the exit report waits for the program's last output to be read.
const OUTPUT_DRAIN: std::time::Duration = std::time::Duration::from_millis(500);

/// How the program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// The exit code, when it exited normally.
    pub code: Option<i32>,
    /// Whether it was killed by a signal (or by closing the session).
    pub signaled: bool,
}

struct Output {
    /// The emulated screen, when tracked.
    screen: Option<vt100::Parser>,
    scrollback: VecDeque<u8>,
    limit: usize,
    /// Whether output was dropped from the front of the scrollback.
    truncated: bool,
    live: broadcast::Sender<Bytes>,
}

fn non_zero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).unwrap_or(std::num::NonZeroU16::MIN)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// A running (or finished) terminal session.
pub struct PtySession {
    master: Mutex<Box<dyn portable_pty::MasterPty + Send>>,
    writer: Mutex<Box<dyn Write + Send>>,
    killer: Mutex<Box<dyn portable_pty::ChildKiller + Send + Sync>>,
    pid: Option<u32>,
    output: Arc<Mutex<Output>>,
    exit: watch::Receiver<Option<Exit>>,
}

impl std::fmt::Debug for PtySession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PtySession")
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

impl PtySession {
    /// Starts the program. Output is read on a background thread from the start, so nothing is
    /// lost before the first viewer attaches.
    pub fn spawn(options: PtyOptions) -> Result<Self, PtyError> {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: options.rows,
                cols: options.cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| PtyError::Open(e.to_string()))?;
        let mut cmd = CommandBuilder::new(&options.program);
        cmd.args(&options.args);
        if let Some(cwd) = &options.cwd {
            cmd.cwd(cwd);
        }
        if let Some(keep) = &options.inherit {
            cmd.env_clear();
            for key in keep {
                if let Some(value) = std::env::var_os(key) {
                    cmd.env(key, value);
                }
            }
        }
        for key in &options.remove {
            cmd.env_remove(key);
        }
        cmd.env("TERM", "xterm-256color");
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        let mut child = pair.slave.spawn_command(cmd).map_err(|e| PtyError::Spawn {
            program: options.program.clone(),
            message: e.to_string(),
        })?;
        // The slave end belongs to the child now; keeping it open would hide the child's exit.
        drop(pair.slave);
        let pid = child.process_id();
        let killer = child.clone_killer();
        let mut reader = pair
            .master
            .try_clone_reader()
            .map_err(|e| PtyError::Open(e.to_string()))?;
        let writer = pair
            .master
            .take_writer()
            .map_err(|e| PtyError::Open(e.to_string()))?;
        let output = Arc::new(Mutex::new(Output {
            screen: options
                .screen
                .then(|| vt100::Parser::new(non_zero(options.rows), non_zero(options.cols), 0)),
            scrollback: VecDeque::new(),
            limit: options.scrollback_bytes,
            truncated: false,
            live: broadcast::channel(1024).0,
        }));
        let sink = output.clone();
        // Dropped when the reader ends: the exit is reported only after the output is drained.
        let (drained_tx, drained_rx) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("pty-reader".into())
            .spawn(move || {
                let _drained = drained_tx;
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            let mut out = lock(&sink);
                            if let Some(screen) = &mut out.screen {
                                screen.process(&buf[..n]);
                            }
                            out.scrollback.extend(&buf[..n]);
                            let excess = out.scrollback.len().saturating_sub(out.limit);
                            if excess > 0 {
                                out.scrollback.drain(..excess);
                                out.truncated = true;
                            }
                            let _ = out.live.send(Bytes::copy_from_slice(&buf[..n]));
                        }
                    }
                }
            })
            .map_err(|e| PtyError::Open(e.to_string()))?;
        let (exit_tx, exit_rx) = watch::channel(None);
        std::thread::Builder::new()
            .name("pty-wait".into())
            .spawn(move || {
                let status = child.wait();
                // The last output may still be in the PTY; let the reader take it first. A
                // background process that keeps the terminal open only delays this a little.
                let _ = drained_rx.recv_timeout(OUTPUT_DRAIN);
                let exit = match status {
                    Ok(s) if s.signal().is_none() => Exit {
                        code: i32::try_from(s.exit_code()).ok(),
                        signaled: false,
                    },
                    _ => Exit {
                        code: None,
                        signaled: true,
                    },
                };
                let _ = exit_tx.send(Some(exit));
            })
            .map_err(|e| PtyError::Open(e.to_string()))?;
        Ok(Self {
            master: Mutex::new(pair.master),
            writer: Mutex::new(writer),
            killer: Mutex::new(killer),
            pid,
            output,
            exit: exit_rx,
        })
    }

    /// The child's process id.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Sends input (keystrokes, a prompt followed by `\r`).
    pub fn write(&self, bytes: &[u8]) -> Result<(), PtyError> {
        let mut writer = lock(&self.writer);
        writer
            .write_all(bytes)
            .and_then(|()| writer.flush())
            .map_err(|e| PtyError::Io(e.to_string()))
    }

    /// Resizes the terminal; the program gets SIGWINCH.
    pub fn resize(&self, rows: u16, cols: u16) -> Result<(), PtyError> {
        lock(&self.master)
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| PtyError::Io(e.to_string()))?;
        if let Some(screen) = &mut lock(&self.output).screen {
            screen.set_size(non_zero(rows), non_zero(cols));
        }
        Ok(())
    }

    /// What the terminal shows now, as text: one line per row, trailing blanks and empty rows
    /// at the bottom left out. `None` unless the session was started with
    /// [`PtyOptions::track_screen`].
    pub fn screen(&self) -> Option<String> {
        let out = lock(&self.output);
        let parser = out.screen.as_ref()?;
        let text = parser.screen().contents();
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        let used = lines
            .iter()
            .rposition(|l| !l.is_empty())
            .map_or(0, |i| i + 1);
        Some(lines[..used].join("\n"))
    }

    /// A new viewer: the scrollback so far, then every later chunk. Taken under one lock, so
    /// nothing falls between the two and nothing arrives twice.
    pub fn attach(&self) -> (Vec<u8>, broadcast::Receiver<Bytes>) {
        let out = lock(&self.output);
        let rx = out.live.subscribe();
        (out.scrollback.iter().copied().collect(), rx)
    }

    /// What the scrollback holds now (the end of the output, up to its limit), and whether
    /// earlier output was dropped. Once [`exit`](Self::exit) is known this is all the program
    /// printed: the exit is reported only after its output is read.
    pub fn scrollback(&self) -> (Vec<u8>, bool) {
        let out = lock(&self.output);
        (out.scrollback.iter().copied().collect(), out.truncated)
    }

    /// How it exited, once it has.
    pub fn exit(&self) -> Option<Exit> {
        *self.exit.borrow()
    }

    /// Waits for the program to exit.
    pub async fn wait(&self) -> Exit {
        let mut rx = self.exit.clone();
        loop {
            if let Some(exit) = *rx.borrow_and_update() {
                return exit;
            }
            if rx.changed().await.is_err() {
                return Exit {
                    code: None,
                    signaled: true,
                };
            }
        }
    }

    /// Kills the program and everything it started: its process group and, on Linux, every
    /// process of its session (an interactive shell puts background jobs in groups of their
    /// own). Safe to call again.
    pub fn kill(&self) {
        if let Some(pid) = self.pid.and_then(|p| i32::try_from(p).ok()) {
            // The child leads its own session and process group (setsid).
            kill_session_members(pid);
            if self.exit().is_none() {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        if self.exit().is_none() {
            let _ = lock(&self.killer).kill();
        }
    }
}

/// SIGKILL to every process whose session is `sid` (read from `/proc`), leader excepted when
/// it already exited.
#[cfg(target_os = "linux")]
fn kill_session_members(sid: i32) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command (which may hold spaces and parentheses): state, ppid,
        // pgrp, session.
        let session = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(3))
            .and_then(|s| s.parse::<i32>().ok());
        if session == Some(sid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn kill_session_members(_sid: i32) {}

impl Drop for PtySession {
    fn drop(&mut self) {
        self.kill();
    }
}
