//! Recording an agent session's backend id, usage and cost on its `agent_sessions` row.

use boocode_core::{AgentEvent, EventSink};
use boocode_store::Store;
use std::sync::Arc;
use tokio::sync::mpsc;

enum Write {
    SessionId(String),
    Usage {
        prompt: u64,
        completion: u64,
        cost: f64,
    },
}

/// An [`EventSink`] that passes every event on and records, in order, the backend session id
/// (`backend_session`) and each finished turn's usage and cost (`turn_finished`, whose usage is
/// the turn's own) on one `agent_sessions` row. Writes happen on a task of their own so a slow
/// database never holds up the stream; [`RecorderTask::finish`] waits for them.
pub struct UsageRecorder {
    inner: Arc<dyn EventSink>,
    writes: mpsc::UnboundedSender<Write>,
}

/// Waits for a [`UsageRecorder`]'s writes.
pub struct RecorderTask(tokio::task::JoinHandle<()>);

impl RecorderTask {
    /// Resolves once every recorded write has been made (after the recorder is dropped).
    pub async fn finish(self) {
        let _ = self.0.await;
    }
}

impl UsageRecorder {
    /// Records onto row `agent_session_id` of `store`, passing events on to `inner`.
    pub fn new(
        store: Store,
        agent_session_id: impl Into<String>,
        inner: Arc<dyn EventSink>,
    ) -> (Self, RecorderTask) {
        let id = agent_session_id.into();
        let (writes, mut rx) = mpsc::unbounded_channel::<Write>();
        let task = tokio::spawn(async move {
            while let Some(write) = rx.recv().await {
                let result = match write {
                    Write::SessionId(session) => store.set_backend_session_id(&id, &session).await,
                    Write::Usage {
                        prompt,
                        completion,
                        cost,
                    } => store.add_agent_usage(&id, prompt, completion, cost).await,
                };
                if let Err(e) = result {
                    tracing::warn!(agent_session = %id, error = %e, "could not record agent usage");
                }
            }
        });
        (Self { inner, writes }, RecorderTask(task))
    }
}

impl EventSink for UsageRecorder {
    fn emit(&self, event: AgentEvent) {
        match &event {
            AgentEvent::BackendSession { session_id, .. } => {
                let _ = self.writes.send(Write::SessionId(session_id.clone()));
            }
            AgentEvent::TurnFinished { usage, .. } => {
                let _ = self.writes.send(Write::Usage {
                    prompt: usage.prompt_tokens,
                    completion: usage.completion_tokens,
                    cost: usage
                        .cost_usd
                        .filter(|c| c.is_finite() && *c >= 0.0)
                        .unwrap_or(0.0),
                });
            }
            _ => {}
        }
        self.inner.emit(event);
    }
}
