//! The outer step loop.
//!
//! One user message starts a turn. A turn is a series of steps: a *stream phase* (one model
//! request, its deltas forwarded as [`AgentEvent`]s) and, when the model asks for tools, a *tool
//! phase* (budget and loop checks, execution, results appended). The loop knows nothing of HTTP
//! or SQL: it takes a [`ModelClient`], a [`ToolSet`] and an [`EventSink`], and returns the
//! messages it produced.

mod hooks;
mod limits;
mod steer;
mod tools;

pub use limits::{
    DOOM_LOOP_REPEATS, MAX_STEPS, READ_ONLY_TOOL_BUDGET, TurnLimits, WRITE_TOOL_BUDGET,
};
pub use steer::Steering;

use crate::domain::{Message, MessageId, MessageKind, MessageStatus, Part, Role, Usage};
use crate::event::{AgentEvent, ChatStatus, FinishReason, NoticeLevel, TurnOutcome};
use crate::model::{
    Completion, ModelClient, ModelError, ModelEvent, ModelRequest, ToolCallRequest,
};
use crate::repair::repair_history;
use crate::sink::EventSink;
use crate::tool::{ToolLimits, ToolSet};
use futures::StreamExt;
use limits::{CallTally, DoomTracker, sentinel_summary};
use std::collections::{HashMap, HashSet};
use tokio_util::sync::CancellationToken;
use tools::{CallResult, Runnable, run_calls};

/// Everything about a turn besides the model, the tools and the history.
///
/// `TurnConfig::default()` runs on the client's default model with no system prompt, at most
/// [`MAX_STEPS`] steps and [`READ_ONLY_TOOL_BUDGET`] tool calls ([`TurnLimits::for_agent`]
/// sets [`WRITE_TOOL_BUDGET`] instead when write tools are offered, or an agent's own
/// numbers), each call bounded
/// by [`ToolLimits::default`] (50 KiB of output, 120 s), no hooks, and a random message id.
///
/// Built with its setters, each named after the field it sets:
///
/// ```
/// use boocode_core::{TurnConfig, TurnLimits};
/// let config = TurnConfig::default()
///     .model("qwen3-coder")
///     .system("Answer briefly.")
///     .limits(TurnLimits::default().max_steps(8));
/// assert_eq!(config.limits.max_steps, 8);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct TurnConfig {
    /// Model id; `None` uses the client's default.
    pub model: Option<String>,
    /// System prompt.
    pub system: Option<String>,
    /// Step cap, tool budget, text-only.
    pub limits: TurnLimits,
    /// Output and time bounds for each tool call.
    pub tool_limits: ToolLimits,
    /// The model's context size, reported in usage events.
    pub ctx_max: Option<u64>,
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Upper bound on tokens per model request.
    pub max_tokens: Option<u32>,
    /// Reasoning effort sent with each model request, for models that take one.
    pub reasoning_effort: Option<String>,
    /// The id to give the assistant message (a server creates the row first); random if `None`.
    pub message_id: Option<MessageId>,
    /// Messages the user sends while the turn runs: each joins the history at the next step
    /// boundary, after what the assistant has said so far (see [`TurnResult::steered`]).
    pub steering: Option<Steering>,
    /// Hooks run at the turn's events: `SessionStart` (a chat's first turn),
    /// `UserPromptSubmit`, `PreToolUse`, `PermissionRequest`, `Notification`, `PostToolUse`
    /// and `Stop` (see [`crate::hook`]). Each run shows as a notice in the message.
    pub hooks: Option<std::sync::Arc<dyn crate::hook::Hooks>>,
    /// Asks a person when a `PreToolUse` hook answers *ask*; without one such a call is
    /// refused, never run unasked.
    pub approver: Option<std::sync::Arc<dyn crate::hook::Approver>>,
    /// Notices shown when the turn starts, and kept in its message: what the caller did
    /// before it (the skills a `$name` loaded, say).
    pub notices: Vec<(NoticeLevel, String)>,
}

impl TurnConfig {
    /// Asks for model `id` instead of the client's default.
    pub fn model(mut self, id: impl Into<String>) -> Self {
        self.model = Some(id.into());
        self
    }

    /// Sends `prompt` as the system prompt.
    pub fn system(mut self, prompt: impl Into<String>) -> Self {
        self.system = Some(prompt.into());
        self
    }

    /// Bounds the turn by `limits`.
    pub fn limits(mut self, limits: TurnLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Bounds each tool call by `limits`.
    pub fn tool_limits(mut self, limits: ToolLimits) -> Self {
        self.tool_limits = limits;
        self
    }

    /// Reports `tokens` as the model's context size in usage events.
    pub fn ctx_max(mut self, tokens: u64) -> Self {
        self.ctx_max = Some(tokens);
        self
    }

    /// Samples at `temperature`.
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Caps each model request at `tokens` generated tokens.
    pub fn max_tokens(mut self, tokens: u32) -> Self {
        self.max_tokens = Some(tokens);
        self
    }

    /// Sends `effort` (`low`, `medium`, `high`) with each model request.
    pub fn reasoning_effort(mut self, effort: impl Into<String>) -> Self {
        self.reasoning_effort = Some(effort.into());
        self
    }

    /// Gives the assistant message the id `id`.
    pub fn message_id(mut self, id: MessageId) -> Self {
        self.message_id = Some(id);
        self
    }

    /// Takes the user's messages from `steering` while the turn runs.
    pub fn steering(mut self, steering: Steering) -> Self {
        self.steering = Some(steering);
        self
    }

    /// Runs `hooks` at the turn's events.
    pub fn hooks(mut self, hooks: std::sync::Arc<dyn crate::hook::Hooks>) -> Self {
        self.hooks = Some(hooks);
        self
    }

    /// Asks `approver` when a hook answers *ask*.
    pub fn approver(mut self, approver: std::sync::Arc<dyn crate::hook::Approver>) -> Self {
        self.approver = Some(approver);
        self
    }

    /// Shows `text` as a notice when the turn starts.
    pub fn notice(mut self, level: NoticeLevel, text: impl Into<String>) -> Self {
        self.notices.push((level, text.into()));
        self
    }
}

/// What a turn produced.
#[derive(Debug, Clone)]
pub struct TurnResult {
    /// How it ended.
    pub outcome: TurnOutcome,
    /// The assistant message, then the sentinel message when the turn stopped early.
    pub messages: Vec<Message>,
    /// Usage over the whole turn.
    pub usage: Usage,
    /// The error that ended the turn, for [`TurnOutcome::Error`].
    pub error: Option<String>,
    /// The steering messages the turn took, in order; each was sent to the model after the
    /// first `parts` of the assistant message (`(parts, text)`). Messages still in the
    /// [`Steering`] inbox when the turn ended were not seen by the model.
    pub steered: Vec<(usize, String)>,
}

/// Runs one turn. `history` ends with the user's new message.
///
/// The turn never panics on bad model output: malformed tool arguments and unknown tools become
/// tool errors the model sees; only endpoint failures, fatal tool errors and cancellation end it
/// before the model is done. Cancelling `cancel` ends it as [`TurnOutcome::Cancelled`], even if
/// the model's stream then closes cleanly.
pub async fn run_turn(
    model: &dyn ModelClient,
    tools: &ToolSet,
    history: &[Message],
    config: &TurnConfig,
    sink: &dyn EventSink,
    cancel: &CancellationToken,
) -> TurnResult {
    let mut turn = Turn::new(model, tools, history, config, sink, cancel);
    let (outcome, error) = turn.run().await;
    turn.finish(outcome, error)
}

struct Turn<'a> {
    model: &'a dyn ModelClient,
    tools: &'a ToolSet,
    history: &'a [Message],
    config: &'a TurnConfig,
    sink: &'a dyn EventSink,
    cancel: &'a CancellationToken,
    message: Message,
    usage: Usage,
    tally: CallTally,
    doom: DoomTracker,
    doom_tool: Option<String>,
    used_ids: HashSet<String>,
    /// Steering messages taken so far, with the number of assistant parts before each.
    steered: Vec<(usize, String)>,
    /// What hooks told the model mid-turn (a `Stop` hook's reason to go on), placed like
    /// steering but not the user's words.
    hook_messages: Vec<(usize, String)>,
    /// Context hooks added to the user's prompt (`SessionStart`, `UserPromptSubmit`); sent
    /// with it, never stored.
    prompt_context: Option<String>,
    /// How many times a `Stop` hook kept the turn going.
    stop_continued: u32,
}

enum StreamEnd {
    Done(Completion),
    Cancelled,
    Failed(ModelError),
}

impl<'a> Turn<'a> {
    fn new(
        model: &'a dyn ModelClient,
        tools: &'a ToolSet,
        history: &'a [Message],
        config: &'a TurnConfig,
        sink: &'a dyn EventSink,
        cancel: &'a CancellationToken,
    ) -> Self {
        let mut message = Message::new(Role::Assistant, MessageStatus::Streaming, Vec::new());
        if let Some(id) = config.message_id {
            message.id = id;
        }
        let used_ids = history
            .iter()
            .flat_map(|m| &m.parts)
            .filter_map(|p| match p {
                Part::ToolCall { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect();
        Self {
            model,
            tools,
            history,
            config,
            sink,
            cancel,
            message,
            usage: Usage {
                ctx_max: config.ctx_max,
                ..Usage::default()
            },
            tally: CallTally::default(),
            doom: DoomTracker::default(),
            doom_tool: None,
            used_ids,
            steered: Vec::new(),
            hook_messages: Vec::new(),
            prompt_context: None,
            stop_continued: 0,
        }
    }

    async fn run(&mut self) -> (TurnOutcome, Option<String>) {
        self.sink.emit(AgentEvent::TurnStarted {
            message_id: Some(self.message.id.to_string()),
        });
        for (level, message) in self.config.notices.clone() {
            self.notice(level, &message);
        }
        if let Some(end) = self.opening_hooks().await {
            return end;
        }
        let limits = self.config.limits;
        let mut step = 0;
        loop {
            if step >= limits.max_steps {
                return (TurnOutcome::StepCap, None);
            }
            step += 1;
            self.take_steering();
            self.sink.emit(AgentEvent::StepStarted { step });
            self.sink.emit(AgentEvent::Status {
                status: ChatStatus::Streaming,
            });
            let ended = |sink: &dyn EventSink| {
                // The step that was cut short still ends (the turn grammar: steps close).
                sink.emit(AgentEvent::StepFinished {
                    step,
                    finish_reason: FinishReason::Unknown,
                });
            };
            let completion = match self.stream_phase().await {
                StreamEnd::Done(c) => c,
                StreamEnd::Cancelled => {
                    ended(self.sink);
                    return (TurnOutcome::Cancelled, None);
                }
                StreamEnd::Failed(e) => {
                    ended(self.sink);
                    return (TurnOutcome::Error, Some(e.to_string()));
                }
            };
            let finish_reason = completion
                .finish_reason
                .clone()
                .unwrap_or(FinishReason::Unknown);
            let calls = self.record_completion(completion);
            self.sink.emit(AgentEvent::StepFinished {
                step,
                finish_reason: finish_reason.clone(),
            });
            if self.cancel.is_cancelled() {
                // The stream closed cleanly after the abort: still a cancellation.
                return (TurnOutcome::Cancelled, None);
            }
            if calls.is_empty() {
                if finish_reason == FinishReason::Length {
                    self.notice(
                        NoticeLevel::Warning,
                        "The reply was cut off at the model's token limit.",
                    );
                }
                // A `Stop` hook may send the model back to work, with its reason.
                if let Some(reason) = self.stop_hook().await {
                    self.hook_messages.push((self.message.parts.len(), reason));
                    continue;
                }
                return (TurnOutcome::Completed, None);
            }
            if let Some(end) = self.tool_phase(&calls).await {
                return end;
            }
        }
    }

    /// Takes what the user sent since the last step into the turn.
    fn take_steering(&mut self) {
        let Some(steering) = &self.config.steering else {
            return;
        };
        for text in steering.drain() {
            self.notice(NoticeLevel::Info, &format!("Steered: {text}"));
            self.steered.push((self.message.parts.len(), text));
        }
    }

    fn request(&self) -> ModelRequest {
        let mut messages = Vec::with_capacity(
            self.history.len() + 1 + 2 * (self.steered.len() + self.hook_messages.len()),
        );
        messages.extend_from_slice(self.history);
        // Hook context rides with the user's prompt (the last history message).
        if let (Some(context), Some(last)) = (&self.prompt_context, messages.last_mut())
            && last.role == Role::User
        {
            last.parts.push(Part::Text {
                text: format!("\n\n<hook-context>\n{context}\n</hook-context>"),
            });
        }
        // The assistant's parts so far, with each steering (or hook) message where it was
        // taken; at one position, the user's words come first.
        let mut interjections: Vec<(usize, &str)> = self
            .steered
            .iter()
            .chain(&self.hook_messages)
            .map(|(at, text)| (*at, text.as_str()))
            .collect();
        interjections.sort_by_key(|(at, _)| *at);
        let mut from = 0;
        for (at, text) in interjections {
            if at > from {
                let mut said = self.message.clone();
                said.parts = self.message.parts[from..at].to_vec();
                messages.push(said);
            }
            messages.push(Message::user(text.to_owned()));
            from = at;
        }
        if self.message.parts.len() > from {
            let mut said = self.message.clone();
            said.parts = self.message.parts[from..].to_vec();
            messages.push(said);
        }
        ModelRequest {
            model: self.config.model.clone(),
            system: self.config.system.clone(),
            messages: repair_history(&messages),
            tools: if self.config.limits.text_only {
                Vec::new()
            } else {
                self.tools.specs()
            },
            temperature: self.config.temperature,
            max_tokens: self.config.max_tokens,
            reasoning_effort: self.config.reasoning_effort.clone(),
        }
    }

    async fn stream_phase(&mut self) -> StreamEnd {
        let request = self.request();
        let started = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return StreamEnd::Cancelled,
            r = self.model.stream(request, self.cancel.child_token()) => r,
        };
        let mut stream = match started {
            Ok(stream) => stream,
            Err(ModelError::Cancelled) => return StreamEnd::Cancelled,
            Err(e) => return StreamEnd::Failed(e),
        };
        let mut text = String::new();
        let mut reasoning = String::new();
        let mut ids_by_index: HashMap<usize, String> = HashMap::new();
        loop {
            let item = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => None,
                item = stream.next() => Some(item),
            };
            let event = match item {
                None => {
                    self.keep_partial(reasoning, text);
                    return StreamEnd::Cancelled;
                }
                Some(None) => {
                    self.keep_partial(reasoning, text);
                    return StreamEnd::Failed(ModelError::ended_without_done());
                }
                Some(Some(Err(ModelError::Cancelled))) => {
                    self.keep_partial(reasoning, text);
                    return StreamEnd::Cancelled;
                }
                Some(Some(Err(e))) => {
                    self.keep_partial(reasoning, text);
                    return StreamEnd::Failed(e);
                }
                Some(Some(Ok(event))) => event,
            };
            match event {
                ModelEvent::TextDelta(delta) => {
                    text.push_str(&delta);
                    self.sink.emit(AgentEvent::TextDelta { text: delta });
                }
                ModelEvent::ReasoningDelta(delta) => {
                    reasoning.push_str(&delta);
                    self.sink.emit(AgentEvent::ReasoningDelta { text: delta });
                }
                ModelEvent::ToolCallStarted { index, id, name } => {
                    let id = self.unique_call_id(&id);
                    ids_by_index.insert(index, id.clone());
                    self.sink
                        .emit(AgentEvent::ToolCallStarted { call_id: id, name });
                }
                ModelEvent::ToolCallArgsDelta { index, delta } => {
                    if let Some(call_id) = ids_by_index.get(&index) {
                        self.sink.emit(AgentEvent::ToolCallArgsDelta {
                            call_id: call_id.clone(),
                            delta,
                        });
                    }
                }
                ModelEvent::Done(completion) => {
                    // A client may stream deltas and leave the final text out: keep the deltas.
                    let mut completion = completion.or_streamed(text, reasoning);
                    for (index, call) in completion.tool_calls.iter_mut().enumerate() {
                        call.id = match ids_by_index.remove(&index) {
                            Some(id) => id,
                            None => self.unique_call_id(&call.id),
                        };
                    }
                    return StreamEnd::Done(completion);
                }
            }
        }
    }

    /// A call id not yet used in this chat (servers may reuse ids such as `call_0`).
    fn unique_call_id(&mut self, proposed: &str) -> String {
        let base = if proposed.trim().is_empty() {
            format!("call_{}", uuid::Uuid::new_v4().simple())
        } else {
            proposed.to_owned()
        };
        let mut id = base.clone();
        let mut n = 1;
        while self.used_ids.contains(&id) {
            n += 1;
            id = format!("{base}_{n}");
        }
        self.used_ids.insert(id.clone());
        id
    }

    fn keep_partial(&mut self, reasoning: String, text: String) {
        if !reasoning.is_empty() {
            self.message.parts.push(Part::Reasoning { text: reasoning });
        }
        if !text.is_empty() {
            self.message.parts.push(Part::Text { text });
        }
    }

    /// Appends a step's output to the message and returns the calls to run.
    fn record_completion(&mut self, completion: Completion) -> Vec<ToolCallRequest> {
        if let Some(u) = completion.usage {
            self.usage.prompt_tokens += u.prompt_tokens;
            self.usage.completion_tokens += u.completion_tokens;
            self.usage.ctx_used = u.prompt_tokens + u.completion_tokens;
            self.sink.emit(AgentEvent::Usage {
                usage: Usage {
                    prompt_tokens: u.prompt_tokens,
                    completion_tokens: u.completion_tokens,
                    ctx_used: self.usage.ctx_used,
                    ctx_max: self.config.ctx_max,
                    cost_usd: None,
                },
            });
        }
        self.keep_partial(completion.reasoning, completion.text);
        if self.config.limits.text_only && !completion.tool_calls.is_empty() {
            let names: Vec<&str> = completion
                .tool_calls
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            self.notice(
                NoticeLevel::Warning,
                &format!(
                    "Ignored {} tool call(s) ({}): this agent is text-only (steps: 0).",
                    names.len(),
                    names.join(", ")
                ),
            );
            return Vec::new();
        }
        for call in &completion.tool_calls {
            self.message.parts.push(Part::ToolCall {
                id: call.id.clone(),
                name: call.name.clone(),
                arguments: call.arguments.clone(),
            });
        }
        completion.tool_calls
    }

    /// Runs a step's calls. Returns the turn's end when the phase ends it.
    async fn tool_phase(
        &mut self,
        calls: &[ToolCallRequest],
    ) -> Option<(TurnOutcome, Option<String>)> {
        let mut runnable = Vec::with_capacity(calls.len());
        let mut stop: Option<TurnOutcome> = None;
        for call in calls {
            self.sink.emit(AgentEvent::ToolCallReady {
                call_id: call.id.clone(),
                name: call.name.clone(),
                arguments: call.arguments.clone(),
            });
            if stop.is_some() {
                continue;
            }
            if self.doom.record(&call.name, &call.arguments) {
                self.doom_tool = Some(call.name.clone());
                stop = Some(TurnOutcome::DoomLoop);
            } else if self.tally.total() >= self.config.limits.tool_budget {
                stop = Some(TurnOutcome::BudgetExhausted);
            } else {
                self.tally.add(&call.name);
                runnable.push(Runnable::prepare(call, self.tools));
            }
        }
        let ran = runnable.len();
        let hook_stop = self.pre_tool_hooks(&mut runnable).await;
        // The arguments each call ran with (after hooks), for `PostToolUse`.
        let ran_with: Vec<Option<serde_json::Value>> = runnable
            .iter()
            .map(|r| r.prepared.as_ref().ok().map(|(_, args)| args.clone()))
            .collect();
        self.sink.emit(AgentEvent::Status {
            status: ChatStatus::ToolRunning,
        });
        let mut results =
            run_calls(runnable, self.config.tool_limits, self.sink, self.cancel).await;
        // Calls stopped by a budget or loop check still need a result for a valid history.
        let skipped_reason = match stop {
            Some(TurnOutcome::DoomLoop) => {
                "not run: the same call was repeated too many times in a row"
            }
            _ => "not run: the turn's tool-call budget is used up",
        };
        for call in &calls[ran..] {
            let result = CallResult::refused(skipped_reason.to_owned());
            self.sink.emit(AgentEvent::ToolCallFinished {
                call_id: call.id.clone(),
                name: call.name.clone(),
                output: result.content.clone(),
                is_error: true,
                duration_ms: 0,
                output_bytes: result.content.len() as u64,
            });
            results.push(result);
        }
        self.post_tool_hooks(calls, &ran_with, &mut results).await;
        let fatal = results.iter().find(|r| r.fatal).map(|r| r.content.clone());
        let aborted = results.iter().any(|r| r.aborted);
        for (call, result) in calls.iter().zip(results) {
            self.message.parts.push(result.into_part(call));
        }
        if aborted || self.cancel.is_cancelled() {
            return Some((TurnOutcome::Cancelled, None));
        }
        if let Some(message) = fatal {
            return Some((TurnOutcome::Error, Some(message)));
        }
        if let Some(reason) = hook_stop {
            self.notice(
                NoticeLevel::Warning,
                &format!("A hook stopped the turn: {reason}"),
            );
            return Some((TurnOutcome::Completed, None));
        }
        stop.map(|outcome| (outcome, None))
    }

    /// Tells the user something about the turn, and keeps it in the message (as the event's
    /// fold does), so a reload shows it too. Models never see notices.
    fn notice(&mut self, level: NoticeLevel, message: &str) {
        self.message.parts.push(Part::Notice {
            level,
            message: message.to_owned(),
        });
        self.sink.emit(AgentEvent::Notice {
            level,
            message: message.to_owned(),
        });
    }

    fn finish(mut self, outcome: TurnOutcome, error: Option<String>) -> TurnResult {
        self.message.status = match outcome {
            TurnOutcome::Completed
            | TurnOutcome::StepCap
            | TurnOutcome::BudgetExhausted
            | TurnOutcome::DoomLoop => MessageStatus::Complete,
            TurnOutcome::Cancelled => MessageStatus::Cancelled,
            TurnOutcome::Error => MessageStatus::Failed,
        };
        self.message.usage = Some(self.usage);
        let mut messages = vec![self.message];
        let summary = if outcome.is_early_stop() {
            let text = sentinel_summary(
                outcome,
                &self.config.limits,
                &self.tally,
                self.doom_tool.as_deref(),
            );
            let mut sentinel = Message::assistant(text.clone());
            sentinel.kind = MessageKind::Sentinel;
            messages.push(sentinel);
            Some(text)
        } else {
            error.clone()
        };
        if let Some(e) = &error {
            tracing::debug!(error = %e, "turn ended with an error");
        }
        self.sink.emit(AgentEvent::Status {
            status: if outcome == TurnOutcome::Error {
                ChatStatus::Error
            } else {
                ChatStatus::Idle
            },
        });
        self.sink.emit(AgentEvent::TurnFinished {
            outcome,
            summary,
            usage: self.usage,
        });
        TurnResult {
            steered: std::mem::take(&mut self.steered),
            outcome,
            messages,
            usage: self.usage,
            error,
        }
    }
}
