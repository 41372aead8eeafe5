//! Hooks around an external agent's turn. Its permission requests already pass through the
//! hooks (`PreToolUse`, `PermissionRequest`, `Notification`, in
//! [`boocode_agents::Permissions`]); here the rest of the turn meets them: `SessionStart` on the
//! chat's first turn and `UserPromptSubmit` before the prompt is sent (a block never sends it;
//! context goes with it), `PostToolUse` for every tool result the agent reports, and `Stop`
//! when it is done. The native loop fires the same events itself.

use crate::runner::lock;
use boocode_core::{
    AgentEvent, CancellationToken, EventSink, HookDecision, HookInput, Hooks, NoticeLevel,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What the opening hooks decided.
pub(crate) enum Opening {
    /// Send the prompt, with this context appended (if any).
    Send(Option<String>),
    /// Do not send it: the reason.
    Blocked(String),
}

/// Passes an external agent's events on, running `PostToolUse` for each finished call (in a
/// task, in order) and holding the turn's end back until [`HookSink::finish`] has run `Stop`.
pub(crate) struct HookSink {
    inner: Arc<dyn EventSink>,
    hooks: Arc<dyn Hooks>,
    calls: Mutex<HashMap<String, (String, serde_json::Value)>>,
    post: Mutex<Option<tokio::sync::mpsc::UnboundedSender<HookInput>>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Notices of the opening hooks, sent once the agent starts its turn.
    opening: Mutex<Vec<AgentEvent>>,
    finished: Mutex<Option<AgentEvent>>,
}

impl HookSink {
    pub(crate) fn new(
        inner: Arc<dyn EventSink>,
        hooks: Arc<dyn Hooks>,
        cancel: CancellationToken,
    ) -> Arc<Self> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<HookInput>();
        let (task_hooks, task_sink) = (hooks.clone(), inner.clone());
        let task = tokio::spawn(async move {
            while let Some(input) = rx.recv().await {
                task_hooks
                    .run(input, &cancel)
                    .await
                    .emit_notices(task_sink.as_ref());
            }
        });
        Arc::new(Self {
            inner,
            hooks,
            calls: Mutex::new(HashMap::new()),
            post: Mutex::new(Some(tx)),
            task: Mutex::new(Some(task)),
            opening: Mutex::new(Vec::new()),
            finished: Mutex::new(None),
        })
    }

    /// `SessionStart` (on the chat's first turn) and `UserPromptSubmit` for `prompt`.
    pub(crate) async fn opening(
        &self,
        first_turn: bool,
        prompt: &str,
        cancel: &CancellationToken,
    ) -> Opening {
        let mut context = Vec::new();
        let mut notices = Vec::new();
        if first_turn {
            let started = self
                .hooks
                .run(HookInput::session_start("startup"), cancel)
                .await;
            notices.extend(started.runs.iter().map(boocode_core::HookRun::notice_event));
            context.extend(started.context_text());
        }
        let submitted = self.hooks.run(HookInput::prompt(prompt), cancel).await;
        notices.extend(
            submitted
                .runs
                .iter()
                .map(boocode_core::HookRun::notice_event),
        );
        lock(&self.opening).extend(notices);
        if submitted.decision == HookDecision::Deny || submitted.stop_turn.is_some() {
            let reason = submitted
                .stop_turn
                .clone()
                .unwrap_or_else(|| submitted.reason_or("no reason given"));
            return Opening::Blocked(reason);
        }
        context.extend(submitted.context_text());
        Opening::Send((!context.is_empty()).then(|| context.join("\n")))
    }

    /// A turn the opening hooks blocked: started, its notices, the reason, finished.
    pub(crate) fn blocked(&self, reason: &str) {
        self.inner
            .emit(AgentEvent::TurnStarted { message_id: None });
        for event in lock(&self.opening).drain(..) {
            self.inner.emit(event);
        }
        self.inner.emit(AgentEvent::Notice {
            level: NoticeLevel::Warning,
            message: format!("A UserPromptSubmit hook blocked this prompt: {reason}"),
        });
        self.inner.emit(AgentEvent::TurnFinished {
            outcome: boocode_core::TurnOutcome::Completed,
            summary: None,
            usage: Default::default(),
        });
    }

    /// After the agent's turn: waits for the `PostToolUse` hooks, runs `Stop` (unless the turn
    /// failed or was stopped), then lets the turn's end through.
    pub(crate) async fn finish(&self, ran: bool, cancel: &CancellationToken) {
        lock(&self.post).take();
        let task = lock(&self.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        if ran && !cancel.is_cancelled() {
            self.hooks
                .run(HookInput::stop(false), cancel)
                .await
                .emit_notices(self.inner.as_ref());
        }
        let finished = lock(&self.finished).take();
        if let Some(event) = finished {
            self.inner.emit(event);
        }
    }
}

impl EventSink for HookSink {
    fn emit(&self, event: AgentEvent) {
        match &event {
            AgentEvent::ToolCallReady {
                call_id,
                name,
                arguments,
            } => {
                let args = serde_json::from_str(arguments).unwrap_or(serde_json::Value::Null);
                lock(&self.calls).insert(call_id.clone(), (name.clone(), args));
            }
            AgentEvent::ToolCallFinished {
                call_id,
                name,
                output,
                is_error,
                ..
            } => {
                let args = lock(&self.calls)
                    .remove(call_id)
                    .map(|(_, args)| args)
                    .unwrap_or(serde_json::Value::Null);
                if let Some(tx) = lock(&self.post).as_ref() {
                    let _ = tx.send(HookInput::post_tool(
                        name,
                        args,
                        Some(call_id),
                        output,
                        *is_error,
                    ));
                }
            }
            AgentEvent::TurnFinished { .. } => {
                *lock(&self.finished) = Some(event);
                return;
            }
            _ => {}
        }
        let started = matches!(event, AgentEvent::TurnStarted { .. });
        self.inner.emit(event);
        if started {
            let opening: Vec<AgentEvent> = lock(&self.opening).drain(..).collect();
            for event in opening {
                self.inner.emit(event);
            }
        }
    }
}
