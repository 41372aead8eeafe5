//! One coder run: an agent session on the project, its event log, and the prompts it waits on.

use boocode_agents::{AgentSession, Permissions};
use boocode_core::{
    AgentEvent, CancellationToken, EventSink, PermissionDecision, TurnOutcome, now_ms,
};
use boocode_tools::WriteMode;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{broadcast, mpsc};

pub use boocode_core::Thinking;

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// A prompt is being worked on.
    Running,
    /// Waiting for the next prompt.
    Idle,
    /// The agent failed; the run takes no more prompts.
    Failed,
    /// Closed by the user.
    Closed,
}

/// A permission prompt waiting for a human, as the inbox lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    /// The run that asks.
    pub run_id: String,
    /// Answer with this id.
    pub request_id: String,
    /// The tool call it is about, when known.
    pub call_id: Option<String>,
    /// The tool.
    pub tool: String,
    /// What the call would do.
    pub summary: String,
    /// The answers offered.
    pub options: Vec<PermissionDecision>,
    /// When it was asked (ms since the epoch).
    pub asked_at: i64,
}

/// A run as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    /// Id (also the scope of its pending changes).
    pub id: String,
    /// The provider that runs it.
    pub provider: String,
    /// Review or auto-apply.
    pub mode: WriteMode,
    /// Model, when chosen.
    pub model: Option<String>,
    /// Thinking level, when chosen.
    pub thinking: Option<Thinking>,
    /// Where it stands.
    pub status: RunStatus,
    /// How the last prompt ended.
    pub last_outcome: Option<TurnOutcome>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// The backend's own session id, once known.
    pub backend_session_id: Option<String>,
    /// Events so far.
    pub events: u64,
    /// Prompts waiting for an answer.
    pub waiting: usize,
    /// When it started (ms since the epoch).
    pub created_at: i64,
}

/// What a run's event stream carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunFrame {
    /// An agent event, numbered from 1 within the run.
    Event {
        /// Its number.
        seq: u64,
        /// The event.
        event: AgentEvent,
    },
    /// The run changed state (a prompt ended, the run failed or closed).
    Status {
        /// The run now.
        run: Box<RunView>,
    },
}

struct Inner {
    view: RunView,
    log: VecDeque<Arc<RunFrame>>,
    inbox: BTreeMap<String, InboxItem>,
    cancel: Option<CancellationToken>,
    finished: bool,
}

/// A run shared between its worker task and the API.
pub struct Run {
    inner: Mutex<Inner>,
    frames: broadcast::Sender<Arc<RunFrame>>,
    prompts: mpsc::UnboundedSender<String>,
    permissions: Arc<Permissions>,
    /// Finished turns' usage, written to the ledger by a task of its own.
    ledger: Option<(mpsc::UnboundedSender<boocode_store::UsageEntry>, String)>,
}

/// Writes usage entries sent on the returned channel to `store`'s ledger, in order.
pub(crate) fn ledger_writer(
    store: boocode_store::Store,
) -> mpsc::UnboundedSender<boocode_store::UsageEntry> {
    let (tx, mut rx) = mpsc::unbounded_channel::<boocode_store::UsageEntry>();
    tokio::spawn(async move {
        while let Some(entry) = rx.recv().await {
            if let Err(e) = store.record_usage(&entry).await {
                tracing::warn!(error = %e, "could not record a run's usage");
            }
        }
    });
    tx
}

/// Most frames kept per run for late viewers; older ones are dropped from the replay.
const LOG_LIMIT: usize = 50_000;

impl Run {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every mutation under this lock is a few field stores; a panic cannot leave it torn.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts the worker for `session`; the first prompt is queued at once.
    /// Each finished turn's usage goes to `ledger` (a [`ledger_writer`] and the project root).
    pub(crate) fn start(
        view: RunView,
        mut session: Box<dyn AgentSession>,
        first_prompt: String,
        ledger: Option<(mpsc::UnboundedSender<boocode_store::UsageEntry>, String)>,
    ) -> Arc<Run> {
        let (prompts, mut rx) = mpsc::unbounded_channel::<String>();
        let (frames, _) = broadcast::channel(1024);
        let run = Arc::new(Run {
            inner: Mutex::new(Inner {
                view,
                log: VecDeque::new(),
                inbox: BTreeMap::new(),
                cancel: None,
                finished: false,
            }),
            frames,
            prompts,
            permissions: session.permissions(),
            ledger,
        });
        let _ = run.prompts.send(first_prompt);
        run.lock().view.status = RunStatus::Running;
        let worker = run.clone();
        tokio::spawn(async move {
            while let Some(text) = rx.recv().await {
                let cancel = CancellationToken::new();
                {
                    let mut inner = worker.lock();
                    if inner.view.status == RunStatus::Closed {
                        break;
                    }
                    inner.view.status = RunStatus::Running;
                    inner.cancel = Some(cancel.clone());
                }
                let sink = RunSink(worker.clone());
                let result = session.prompt(&text, &sink, &cancel).await;
                let session_id = session.backend_session_id();
                {
                    let mut inner = worker.lock();
                    inner.cancel = None;
                    inner.inbox.clear();
                    inner.view.backend_session_id = session_id;
                    match result {
                        Ok(outcome) => {
                            inner.view.last_outcome = Some(outcome);
                            if inner.view.status != RunStatus::Closed {
                                inner.view.status = RunStatus::Idle;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(run = %inner.view.id, error = %e, "coder run failed");
                            inner.view.status = RunStatus::Failed;
                            inner.view.error = Some(e.to_string());
                        }
                    }
                }
                worker.publish_status();
                if worker.lock().view.status != RunStatus::Idle {
                    break;
                }
            }
            session.close().await;
            let closed = {
                let mut inner = worker.lock();
                if inner.view.status != RunStatus::Failed {
                    inner.view.status = RunStatus::Closed;
                }
                inner.finished = true;
                inner.view.status
            };
            tracing::debug!(status = ?closed, "coder run ended");
            worker.publish_status();
        });
        run
    }

    /// Whether the worker is done and the agent session closed.
    pub fn is_finished(&self) -> bool {
        self.lock().finished
    }

    /// The run now.
    pub fn view(&self) -> RunView {
        let inner = self.lock();
        let mut view = inner.view.clone();
        view.waiting = inner.inbox.len();
        view
    }

    /// Queues a follow-up prompt; refused unless the run is idle.
    pub fn prompt(&self, text: String) -> Result<(), RunStatus> {
        let mut inner = self.lock();
        if inner.view.status != RunStatus::Idle {
            return Err(inner.view.status);
        }
        inner.view.status = RunStatus::Running;
        drop(inner);
        self.prompts.send(text).map_err(|_| RunStatus::Closed)
    }

    /// Cancels the prompt being worked on; `false` when none is.
    pub fn cancel(&self) -> bool {
        match &self.lock().cancel {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Ends the run (cancelling what runs); its session is closed by the worker.
    pub fn close(&self) {
        let mut inner = self.lock();
        if inner.view.status != RunStatus::Failed {
            inner.view.status = RunStatus::Closed;
        }
        if let Some(token) = &inner.cancel {
            token.cancel();
        }
        drop(inner);
        // Wake an idle worker so it sees the close.
        let _ = self.prompts.send(String::new());
    }

    /// Answers a waiting permission prompt.
    pub fn answer(
        &self,
        request_id: &str,
        decision: PermissionDecision,
    ) -> Result<(), boocode_agents::PermissionError> {
        self.permissions.answer(request_id, decision)
    }

    /// The prompts waiting for a human.
    pub fn inbox(&self) -> Vec<InboxItem> {
        self.lock().inbox.values().cloned().collect()
    }

    /// Frames after `after` (a seq), and a receiver for what comes next, with no gap between.
    pub fn subscribe(
        &self,
        after: u64,
    ) -> (Vec<Arc<RunFrame>>, broadcast::Receiver<Arc<RunFrame>>) {
        let inner = self.lock();
        let rx = self.frames.subscribe();
        let backlog = inner
            .log
            .iter()
            .filter(|f| match f.as_ref() {
                RunFrame::Event { seq, .. } => *seq > after,
                RunFrame::Status { .. } => false,
            })
            .cloned()
            .collect();
        (backlog, rx)
    }

    fn publish_status(&self) {
        let frame = Arc::new(RunFrame::Status {
            run: Box::new(self.view()),
        });
        let _ = self.frames.send(frame);
    }

    fn record(&self, event: AgentEvent) {
        let mut inner = self.lock();
        match &event {
            AgentEvent::PermissionRequested {
                request_id,
                call_id,
                tool,
                summary,
                options,
            } => {
                let item = InboxItem {
                    run_id: inner.view.id.clone(),
                    request_id: request_id.clone(),
                    call_id: call_id.clone(),
                    tool: tool.clone(),
                    summary: summary.clone(),
                    options: options.clone(),
                    asked_at: now_ms(),
                };
                inner.inbox.insert(request_id.clone(), item);
            }
            AgentEvent::PermissionResolved { request_id, .. } => {
                inner.inbox.remove(request_id);
            }
            AgentEvent::BackendSession { session_id, .. } => {
                inner.view.backend_session_id = Some(session_id.clone());
            }
            AgentEvent::TurnFinished { usage, .. } => {
                if let Some((tx, root)) = &self.ledger
                    && (usage.prompt_tokens > 0
                        || usage.completion_tokens > 0
                        || usage.cost_usd.is_some())
                {
                    let mut entry =
                        boocode_store::UsageEntry::new(root.clone(), inner.view.provider.clone());
                    entry.run_id = Some(inner.view.id.clone());
                    entry.model = inner.view.model.clone();
                    entry.prompt_tokens = usage.prompt_tokens;
                    entry.completion_tokens = usage.completion_tokens;
                    entry.cost_usd = usage.cost_usd;
                    let _ = tx.send(entry);
                }
            }
            _ => {}
        }
        inner.view.events += 1;
        let frame = Arc::new(RunFrame::Event {
            seq: inner.view.events,
            event,
        });
        if inner.log.len() >= LOG_LIMIT {
            inner.log.pop_front();
        }
        inner.log.push_back(frame.clone());
        // Sent under the lock so a subscriber's backlog and live frames never overlap or gap.
        let _ = self.frames.send(frame);
    }
}

struct RunSink(Arc<Run>);

impl EventSink for RunSink {
    fn emit(&self, event: AgentEvent) {
        self.0.record(event);
    }
}
