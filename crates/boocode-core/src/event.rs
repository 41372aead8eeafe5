//! [`AgentEvent`]: the one event vocabulary every producer emits and every front-end consumes.
//!
//! The native loop, the Claude SDK, ACP and PTY backends all speak it; it is also the payload of
//! the server's WebSocket frames. Its TypeScript form is generated (see `typescript`), never
//! written by hand.

use crate::domain::Usage;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TurnOutcome {
    /// The model answered without asking for more tools.
    Completed,
    /// The step cap was reached while the model still wanted tools.
    StepCap,
    /// The tool-call budget ran out.
    BudgetExhausted,
    /// The model repeated the same tool call with the same arguments three times running.
    DoomLoop,
    /// The user (or a shutdown) stopped the turn.
    Cancelled,
    /// The model endpoint, a backend or a fatal tool error ended the turn.
    Error,
}

impl TurnOutcome {
    /// Whether this outcome is one of the early stops that get a sentinel summary.
    pub fn is_early_stop(self) -> bool {
        matches!(
            self,
            TurnOutcome::StepCap | TurnOutcome::BudgetExhausted | TurnOutcome::DoomLoop
        )
    }

    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            TurnOutcome::Completed => "completed",
            TurnOutcome::StepCap => "step_cap",
            TurnOutcome::BudgetExhausted => "budget_exhausted",
            TurnOutcome::DoomLoop => "doom_loop",
            TurnOutcome::Cancelled => "cancelled",
            TurnOutcome::Error => "error",
        }
    }
}

/// Why one model response (one step) stopped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FinishReason {
    /// End of message or a stop word.
    Stop,
    /// The token limit or the context limit.
    Length,
    /// The model asked for tools.
    ToolCalls,
    /// Content filtered by the server.
    ContentFilter,
    /// The stream ended without saying why.
    Unknown,
}

/// What a chat is doing, for status dots and sidebars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ChatStatus {
    /// The model is producing output.
    Streaming,
    /// A tool is running.
    ToolRunning,
    /// Waiting for the user (a permission prompt or a question).
    WaitingForInput,
    /// Nothing is running.
    Idle,
    /// The last turn ended in an error.
    Error,
}

/// How severe a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoticeLevel {
    /// For information.
    Info,
    /// Something was ignored or degraded.
    Warning,
    /// The turn failed: why.
    Error,
}

/// One choice offered by a permission prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PermissionDecision {
    /// Allow this call only.
    AllowOnce,
    /// Allow this and equivalent calls for the rest of the session.
    AllowSession,
    /// Refuse this call; the turn goes on.
    Deny,
    /// Refuse this call and stop the turn.
    DenyAndStop,
}

impl PermissionDecision {
    /// The wire name (`allow_once`, `allow_session`, `deny`, `deny_and_stop`).
    pub fn as_str(self) -> &'static str {
        match self {
            PermissionDecision::AllowOnce => "allow_once",
            PermissionDecision::AllowSession => "allow_session",
            PermissionDecision::Deny => "deny",
            PermissionDecision::DenyAndStop => "deny_and_stop",
        }
    }
}

impl std::str::FromStr for PermissionDecision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "allow_once" => PermissionDecision::AllowOnce,
            "allow_session" => PermissionDecision::AllowSession,
            "deny" => PermissionDecision::Deny,
            "deny_and_stop" => PermissionDecision::DenyAndStop,
            other => return Err(format!("unknown decision {other:?}")),
        })
    }
}

/// A step of a plan or todo list an agent reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanEntry {
    /// What the step is.
    pub content: String,
    /// `pending`, `in_progress` or `completed`, as the agent reports it.
    pub status: String,
}

/// Everything a turn reports while it runs. Serialized with a `type` tag in snake_case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgentEvent {
    /// A turn began.
    TurnStarted {
        /// The id of the stored assistant message the turn writes into. BooCode's own loop
        /// names its message; agents and PTYs have none of their own, and the runtime fills in
        /// the chat's assistant row before the event leaves it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "typescript", ts(optional))]
        message_id: Option<String>,
    },
    /// One model request (a step) began.
    StepStarted {
        /// 1-based step number within the turn.
        step: u32,
    },
    /// Visible text streamed from the model.
    TextDelta {
        /// The new text.
        text: String,
    },
    /// Reasoning text streamed from the model.
    ReasoningDelta {
        /// The new reasoning text.
        text: String,
    },
    /// The model began a tool call.
    ToolCallStarted {
        /// The call id.
        call_id: String,
        /// The tool's name.
        name: String,
    },
    /// A fragment of a tool call's JSON arguments streamed.
    ToolCallArgsDelta {
        /// The call id.
        call_id: String,
        /// The next fragment of the arguments text.
        delta: String,
    },
    /// A tool call's arguments are complete and it is about to run.
    ToolCallReady {
        /// The call id.
        call_id: String,
        /// The tool's name.
        name: String,
        /// The complete arguments text.
        arguments: String,
    },
    /// A tool call finished (or was refused or aborted). The read-only calls of one step run
    /// together, so their `tool_call_finished` events come in the order they finish, not the
    /// order they were called: match results to calls by `call_id`. (The stored message keeps
    /// results in call order.)
    ToolCallFinished {
        /// The call id.
        call_id: String,
        /// The tool's name.
        name: String,
        /// What the model sees as the result.
        output: String,
        /// Whether the call failed.
        is_error: bool,
        /// Wall time of the call in milliseconds.
        duration_ms: u64,
        /// Size of the output in bytes.
        output_bytes: u64,
    },
    /// A backend asks the user to allow a tool call.
    PermissionRequested {
        /// The request id to answer with.
        request_id: String,
        /// The tool call this is about, when known.
        call_id: Option<String>,
        /// The tool's name.
        tool: String,
        /// A short human-readable description of the call.
        summary: String,
        /// The choices offered.
        options: Vec<PermissionDecision>,
    },
    /// A permission request was answered.
    PermissionResolved {
        /// The request id.
        request_id: String,
        /// The answer.
        decision: PermissionDecision,
    },
    /// Token usage after a model request.
    Usage {
        /// The counts.
        usage: Usage,
    },
    /// The backend assigned its own session id (used to resume later).
    BackendSession {
        /// Which backend (`native`, `claude_sdk`, `acp`, `pty`).
        backend: String,
        /// The backend's session id.
        session_id: String,
    },
    /// The agent's plan or todo list changed.
    Plan {
        /// The whole current plan.
        entries: Vec<PlanEntry>,
    },
    /// Output from a terminal (PTY) the turn runs.
    TerminalOutput {
        /// Which terminal.
        terminal_id: String,
        /// The output, as UTF-8 (invalid bytes replaced).
        data: String,
    },
    /// What a terminal (PTY) the turn runs shows now, as text: it replaces what its part held.
    /// Full-screen programs are reported this way, since their raw output is mostly cursor
    /// movement.
    TerminalScreen {
        /// Which terminal.
        terminal_id: String,
        /// The screen, one line per row.
        screen: String,
    },
    /// A terminal's process exited.
    TerminalExited {
        /// Which terminal.
        terminal_id: String,
        /// Exit code, if it exited normally.
        exit_code: Option<i32>,
    },
    /// The chat's status changed.
    Status {
        /// The new status.
        status: ChatStatus,
    },
    /// Something the user should know that is not model output (a retry, an ignored call).
    Notice {
        /// How severe.
        level: NoticeLevel,
        /// The message.
        message: String,
    },
    /// A step finished.
    StepFinished {
        /// 1-based step number.
        step: u32,
        /// Why the model stopped.
        finish_reason: FinishReason,
    },
    /// The turn ended.
    TurnFinished {
        /// How it ended.
        outcome: TurnOutcome,
        /// The sentinel summary for early stops, or the error message.
        summary: Option<String>,
        /// Usage over the whole turn.
        usage: Usage,
    },
}

impl AgentEvent {
    /// The snake_case tag this event serializes with.
    pub fn kind(&self) -> &'static str {
        match self {
            AgentEvent::TurnStarted { .. } => "turn_started",
            AgentEvent::StepStarted { .. } => "step_started",
            AgentEvent::TextDelta { .. } => "text_delta",
            AgentEvent::ReasoningDelta { .. } => "reasoning_delta",
            AgentEvent::ToolCallStarted { .. } => "tool_call_started",
            AgentEvent::ToolCallArgsDelta { .. } => "tool_call_args_delta",
            AgentEvent::ToolCallReady { .. } => "tool_call_ready",
            AgentEvent::ToolCallFinished { .. } => "tool_call_finished",
            AgentEvent::PermissionRequested { .. } => "permission_requested",
            AgentEvent::PermissionResolved { .. } => "permission_resolved",
            AgentEvent::Usage { .. } => "usage",
            AgentEvent::BackendSession { .. } => "backend_session",
            AgentEvent::Plan { .. } => "plan",
            AgentEvent::TerminalOutput { .. } => "terminal_output",
            AgentEvent::TerminalScreen { .. } => "terminal_screen",
            AgentEvent::TerminalExited { .. } => "terminal_exited",
            AgentEvent::Status { .. } => "status",
            AgentEvent::Notice { .. } => "notice",
            AgentEvent::StepFinished { .. } => "step_finished",
            AgentEvent::TurnFinished { .. } => "turn_finished",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_a_snake_case_type_tag_matching_kind() {
        let events = [
            AgentEvent::TextDelta { text: "hi".into() },
            AgentEvent::ToolCallArgsDelta {
                call_id: "c".into(),
                delta: "{".into(),
            },
            AgentEvent::TurnFinished {
                outcome: TurnOutcome::DoomLoop,
                summary: None,
                usage: Usage::default(),
            },
        ];
        for event in events {
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["type"], event.kind());
            let back: AgentEvent = serde_json::from_value(json).unwrap();
            assert_eq!(back, event);
        }
        let json = serde_json::to_value(AgentEvent::TurnFinished {
            outcome: TurnOutcome::BudgetExhausted,
            summary: None,
            usage: Usage::default(),
        })
        .unwrap();
        assert_eq!(json["outcome"], "budget_exhausted");
    }

    #[test]
    fn the_json_schema_lists_every_event_type() {
        let schema = schemars::schema_for!(AgentEvent);
        let text = serde_json::to_string(&schema).unwrap();
        for kind in [
            "turn_started",
            "tool_call_finished",
            "permission_requested",
            "turn_finished",
        ] {
            assert!(text.contains(&format!("\"{kind}\"")), "schema lacks {kind}");
        }
    }
}
