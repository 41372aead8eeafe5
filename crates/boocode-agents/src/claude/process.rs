//! The `claude` child process: its stdin, the reader that turns stdout lines into messages and
//! control requests, and control requests of ours awaiting their answers.

use crate::backend::AgentError;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::{mpsc, oneshot};

/// The longest JSON line accepted from the CLI (transcript frames can be large).
const MAX_LINE: usize = 64 * 1024 * 1024;

pub(super) enum Incoming {
    Message(Value),
    CanUseTool { request_id: String, request: Value },
    Exited,
}

pub(super) struct Process {
    pub(super) child: Child,
    pub(super) stdin: ChildStdin,
    pub(super) incoming: mpsc::UnboundedReceiver<Incoming>,
    pub(super) pending: Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>,
    pub(super) next_id: u64,
    /// Appends mirrored transcript lines in order; finished when the reader ends.
    pub(super) mirror: Option<tokio::task::JoinHandle<()>>,
    /// How many mirror frames were received and how many stored.
    pub(super) mirrored: Arc<MirrorProgress>,
    /// `total_cost_usd` of the last result: claude reports the process's running total, and a
    /// turn's cost is the difference.
    pub(super) cost_so_far: f64,
    /// The end of what claude wrote to stderr, to explain a failure.
    pub(super) stderr_tail: Arc<Mutex<Vec<u8>>>,
}

impl Process {
    pub(super) async fn send(&mut self, value: &Value) -> Result<(), AgentError> {
        let line = format!("{value}\n");
        self.stdin
            .write_all(line.as_bytes())
            .await
            .map_err(|e| AgentError::Agent(format!("claude stopped reading its input: {e}")))
    }

    pub(super) async fn control(
        &mut self,
        request: Value,
        wait: Option<Duration>,
    ) -> Result<Option<Value>, AgentError> {
        self.next_id += 1;
        let id = format!("req_{}_{}", self.next_id, uuid::Uuid::new_v4().simple());
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            p.insert(id.clone(), tx);
        }
        self.send(&json!({"type": "control_request", "request_id": id, "request": request}))
            .await?;
        let Some(wait) = wait else {
            return Ok(None);
        };
        match tokio::time::timeout(wait, rx).await {
            Ok(Ok(response)) => Ok(Some(response)),
            Ok(Err(_)) => {
                // The reader has ended; give stderr a moment to be read to its end.
                tokio::time::sleep(Duration::from_millis(100)).await;
                Err(AgentError::Agent(crate::process::with_stderr(
                    format!("claude exited before answering {}", request["subtype"]),
                    &self.stderr_tail,
                )))
            }
            Err(_) => Err(AgentError::Agent(format!(
                "claude did not answer {} within {} s",
                request["subtype"],
                wait.as_secs()
            ))),
        }
    }
}

/// Transcript mirror frames received from claude and stored, so a turn is reported finished
/// only once its transcript is in the store (a crash right after loses nothing).
#[derive(Debug, Default)]
pub(super) struct MirrorProgress {
    pub(super) received: std::sync::atomic::AtomicU64,
    pub(super) stored: std::sync::atomic::AtomicU64,
}

impl MirrorProgress {
    /// Waits until every frame received is stored and none arrived for a short while (claude
    /// writes the turn's last transcript lines just after its result), at most `limit`.
    pub(super) async fn settle(&self, limit: std::time::Duration) {
        use std::sync::atomic::Ordering;
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let seen = self.received.load(Ordering::Acquire);
            while self.stored.load(Ordering::Acquire) < seen {
                if tokio::time::Instant::now() >= deadline {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if self.received.load(Ordering::Acquire) == seen
                || tokio::time::Instant::now() >= deadline
            {
                return;
            }
        }
    }
}

pub(super) fn spawn_reader(
    stdout: tokio::process::ChildStdout,
    pending: Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>,
    mirror: Option<(mpsc::UnboundedSender<Value>, Arc<MirrorProgress>)>,
) -> mpsc::UnboundedReceiver<Incoming> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stdout);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(n) if n > MAX_LINE => {
                    tracing::warn!(bytes = n, "skipping an oversized line from claude");
                    continue;
                }
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim();
            // Lines that are not JSON objects are diagnostics (e.g. "[SandboxDebug] …").
            if !text.starts_with('{') {
                continue;
            }
            let Ok(value) = serde_json::from_str::<Value>(text) else {
                tracing::warn!("claude printed a corrupt JSON line");
                continue;
            };
            match value["type"].as_str() {
                Some("control_response") => {
                    let id = value
                        .pointer("/response/request_id")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                    let waiter = pending.lock().ok().and_then(|mut p| p.remove(&id));
                    if let Some(w) = waiter {
                        let _ = w.send(value["response"].clone());
                    }
                }
                Some("control_request")
                    if value.pointer("/request/subtype") == Some(&json!("can_use_tool")) =>
                {
                    let request_id = value["request_id"].as_str().unwrap_or("").to_owned();
                    let _ = tx.send(Incoming::CanUseTool {
                        request_id,
                        request: value["request"].clone(),
                    });
                }
                Some("transcript_mirror") => {
                    if let Some((m, progress)) = &mirror {
                        progress
                            .received
                            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                        let _ = m.send(value);
                    }
                }
                Some("keep_alive") => {}
                _ => {
                    let _ = tx.send(Incoming::Message(value));
                }
            }
        }
        // Whatever still waits for an answer gets none: the process is gone.
        if let Ok(mut p) = pending.lock() {
            p.clear();
        }
        let _ = tx.send(Incoming::Exited);
    });
    rx
}
