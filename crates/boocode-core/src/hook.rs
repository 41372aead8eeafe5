//! Hooks: commands (or any code) that run at fixed points of a turn and may change what it does
//! — refuse a tool call, rewrite its arguments, add context for the model, keep a turn going.
//!
//! The loop knows only the [`Hooks`] trait: at each [`HookEvent`] it hands over a [`HookInput`]
//! and acts on the [`HookOutcome`]. `boocode-tools` implements it with Claude Code's settings
//! format (shell commands given a JSON envelope on stdin); an embedder may implement it in Rust.
//! Each outcome lists the [`HookRun`]s behind it, which the loop shows as notices, so every run
//! is visible in the chat.
//!
//! [`Approver`] is the other half of a `PreToolUse` hook that answers *ask*: whoever runs the
//! turn decides how a person is asked (the server's inbox, a terminal prompt); without one, an
//! ask is a refusal.

use crate::event::NoticeLevel;
use crate::sink::EventSink;
use serde::{Deserialize, Serialize};
use std::fmt;
use tokio_util::sync::CancellationToken;

/// The points of a turn where hooks run (Claude Code's event names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum HookEvent {
    /// A chat's first turn starts (`source`: `startup`). Its context goes to the model.
    SessionStart,
    /// A user message is about to reach the model: may block it or add context.
    UserPromptSubmit,
    /// A tool call is about to run: may allow, deny, ask, or rewrite its arguments.
    PreToolUse,
    /// A person is about to be asked about a tool call: may answer for them.
    PermissionRequest,
    /// A tool call finished: may add feedback for the model.
    PostToolUse,
    /// A chat's history is about to be summarized.
    PreCompact,
    /// The turn is about to end: may keep it going with a reason for the model.
    Stop,
    /// A delegated child chat finished (fired in the parent).
    SubagentStop,
    /// The user is needed (a permission prompt waits).
    Notification,
}

impl HookEvent {
    /// Every event, in the order a turn meets them.
    pub const ALL: [HookEvent; 9] = [
        HookEvent::SessionStart,
        HookEvent::UserPromptSubmit,
        HookEvent::PreToolUse,
        HookEvent::PermissionRequest,
        HookEvent::PostToolUse,
        HookEvent::PreCompact,
        HookEvent::Stop,
        HookEvent::SubagentStop,
        HookEvent::Notification,
    ];

    /// The event's name in settings files and envelopes.
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::SessionStart => "SessionStart",
            HookEvent::UserPromptSubmit => "UserPromptSubmit",
            HookEvent::PreToolUse => "PreToolUse",
            HookEvent::PermissionRequest => "PermissionRequest",
            HookEvent::PostToolUse => "PostToolUse",
            HookEvent::PreCompact => "PreCompact",
            HookEvent::Stop => "Stop",
            HookEvent::SubagentStop => "SubagentStop",
            HookEvent::Notification => "Notification",
        }
    }

    /// The event named `name`, if it is one of ours.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a hook is told: the event and the fields that event carries (the rest stay `None`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HookInput {
    /// The event.
    pub event: HookEvent,
    /// The tool (`PreToolUse`, `PermissionRequest`, `PostToolUse`).
    pub tool_name: Option<String>,
    /// The tool's arguments.
    pub tool_input: Option<serde_json::Value>,
    /// The call's id.
    pub tool_use_id: Option<String>,
    /// The tool's result (`PostToolUse`): `{content, is_error}`.
    pub tool_response: Option<serde_json::Value>,
    /// The user's message (`UserPromptSubmit`).
    pub prompt: Option<String>,
    /// Why a session starts (`SessionStart`: `startup`, `resume`).
    pub source: Option<String>,
    /// What started a compaction (`PreCompact`: `manual`, `auto`).
    pub trigger: Option<String>,
    /// A message for the user (`Notification`), or a child's answer (`SubagentStop`).
    pub message: Option<String>,
    /// The notification's kind (`permission_prompt`).
    pub notification_type: Option<String>,
    /// Whether the turn already goes on because a `Stop` hook said so.
    pub stop_hook_active: bool,
}

impl HookInput {
    /// An input for `event` with no fields set.
    pub fn new(event: HookEvent) -> Self {
        Self {
            event,
            tool_name: None,
            tool_input: None,
            tool_use_id: None,
            tool_response: None,
            prompt: None,
            source: None,
            trigger: None,
            message: None,
            notification_type: None,
            stop_hook_active: false,
        }
    }

    /// A tool event (`PreToolUse`, `PermissionRequest`) about one call.
    pub fn tool(
        event: HookEvent,
        name: &str,
        input: serde_json::Value,
        call_id: Option<&str>,
    ) -> Self {
        let mut hook = Self::new(event);
        hook.tool_name = Some(name.to_owned());
        hook.tool_input = Some(input);
        hook.tool_use_id = call_id.map(str::to_owned);
        hook
    }

    /// `PostToolUse` for a call and its result.
    pub fn post_tool(
        name: &str,
        input: serde_json::Value,
        call_id: Option<&str>,
        content: &str,
        is_error: bool,
    ) -> Self {
        let mut hook = Self::tool(HookEvent::PostToolUse, name, input, call_id);
        hook.tool_response = Some(serde_json::json!({ "content": content, "is_error": is_error }));
        hook
    }

    /// `UserPromptSubmit` for `prompt`.
    pub fn prompt(prompt: &str) -> Self {
        let mut hook = Self::new(HookEvent::UserPromptSubmit);
        hook.prompt = Some(prompt.to_owned());
        hook
    }

    /// `SessionStart` from `source`.
    pub fn session_start(source: &str) -> Self {
        let mut hook = Self::new(HookEvent::SessionStart);
        hook.source = Some(source.to_owned());
        hook
    }

    /// `Stop`, noting whether a `Stop` hook already kept the turn going.
    pub fn stop(active: bool) -> Self {
        let mut hook = Self::new(HookEvent::Stop);
        hook.stop_hook_active = active;
        hook
    }

    /// `Notification` with `message` of kind `kind`.
    pub fn notification(message: &str, kind: &str) -> Self {
        let mut hook = Self::new(HookEvent::Notification);
        hook.message = Some(message.to_owned());
        hook.notification_type = Some(kind.to_owned());
        hook
    }

    /// `PreCompact` started by `trigger`.
    pub fn pre_compact(trigger: &str) -> Self {
        let mut hook = Self::new(HookEvent::PreCompact);
        hook.trigger = Some(trigger.to_owned());
        hook
    }

    /// `SubagentStop` for a child that answered `answer`.
    pub fn subagent_stop(answer: &str) -> Self {
        let mut hook = Self::new(HookEvent::SubagentStop);
        hook.message = Some(answer.to_owned());
        hook
    }
}

/// What the hooks of one event decided, strongest first when several answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HookDecision {
    /// No hook decided anything: carry on as if there were none.
    #[default]
    None,
    /// Run the call without asking anyone.
    Allow,
    /// Ask a person first.
    Ask,
    /// Refuse the call (tool events), the prompt (`UserPromptSubmit`) or the end of the turn
    /// (`Stop`: go on with the reason), with a reason for the model.
    Deny,
}

impl HookDecision {
    /// How strongly the decision binds: deny over ask over allow over none.
    fn rank(self) -> u8 {
        match self {
            HookDecision::None => 0,
            HookDecision::Allow => 1,
            HookDecision::Ask => 2,
            HookDecision::Deny => 3,
        }
    }

    /// The stronger of two decisions.
    pub fn max(self, other: Self) -> Self {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// One hook that ran: what it was, what it decided and how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HookRun {
    /// The event.
    pub event: HookEvent,
    /// The hook, as configured (a command line, shortened).
    pub hook: String,
    /// What it decided.
    pub decision: HookDecision,
    /// Its reason or message, if it gave one.
    pub detail: Option<String>,
    /// Whether it failed (a crash, a bad exit code, a timeout).
    pub failed: bool,
    /// Wall time.
    pub duration_ms: u64,
}

impl HookRun {
    /// A run of `hook` for `event`.
    pub fn new(event: HookEvent, hook: impl Into<String>, decision: HookDecision) -> Self {
        Self {
            event,
            hook: hook.into(),
            decision,
            detail: None,
            failed: false,
            duration_ms: 0,
        }
    }

    /// The notice event a chat shows for this run.
    pub fn notice_event(&self) -> crate::AgentEvent {
        let (level, message) = self.notice();
        crate::AgentEvent::Notice { level, message }
    }

    /// The notice a chat shows for this run.
    pub fn notice(&self) -> (NoticeLevel, String) {
        let decision = match (self.failed, self.decision) {
            (true, HookDecision::Deny) => "failed, denied",
            (true, _) => "failed",
            (false, HookDecision::None) => "ok",
            (false, HookDecision::Allow) => "allowed",
            (false, HookDecision::Ask) => "asks the user",
            (false, HookDecision::Deny) => match self.event {
                HookEvent::Stop | HookEvent::SubagentStop => "keeps the turn going",
                HookEvent::UserPromptSubmit => "blocked the prompt",
                _ => "denied",
            },
        };
        let mut text = format!(
            "hook {} `{}`: {decision} ({} ms)",
            self.event, self.hook, self.duration_ms
        );
        if let Some(detail) = self.detail.as_deref().filter(|d| !d.trim().is_empty()) {
            text.push_str(" — ");
            text.push_str(detail.trim());
        }
        let level = if self.failed || self.decision == HookDecision::Deny {
            NoticeLevel::Warning
        } else {
            NoticeLevel::Info
        };
        (level, text)
    }
}

/// What the hooks of one event, taken together, want done.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct HookOutcome {
    /// The strongest decision any hook gave.
    pub decision: HookDecision,
    /// The reasons given with it (for the model when it denies).
    pub reason: Option<String>,
    /// New arguments for the tool call (`PreToolUse`, `PermissionRequest`).
    pub updated_input: Option<serde_json::Value>,
    /// Text for the model: context for a prompt or a session, feedback on a tool result.
    pub context: Vec<String>,
    /// A hook asked to stop the whole turn (`"continue": false`), with this reason.
    pub stop_turn: Option<String>,
    /// Every hook that ran.
    pub runs: Vec<HookRun>,
}

impl HookOutcome {
    /// Whether no hook ran.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// The context lines joined for the model, if there are any.
    pub fn context_text(&self) -> Option<String> {
        let text: Vec<&str> = self
            .context
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect();
        (!text.is_empty()).then(|| text.join("\n"))
    }

    /// The reason a denial gives the model.
    pub fn reason_or(&self, default: &str) -> String {
        self.reason
            .clone()
            .filter(|r| !r.trim().is_empty())
            .unwrap_or_else(|| default.to_owned())
    }

    /// Emits one notice per run to `sink` (for callers that keep no message of their own).
    pub fn emit_notices(&self, sink: &dyn EventSink) {
        for run in &self.runs {
            sink.emit(run.notice_event());
        }
    }
}

/// Runs the hooks configured for an event.
#[async_trait::async_trait]
pub trait Hooks: Send + Sync + fmt::Debug {
    /// Runs every hook that matches `input` and folds their answers. Never fails: a hook that
    /// cannot run is a failed [`HookRun`] whose decision follows the implementation's policy.
    async fn run(&self, input: HookInput, cancel: &CancellationToken) -> HookOutcome;
}

/// Asks a person about a tool call a hook wants confirmed.
#[async_trait::async_trait]
pub trait Approver: Send + Sync + fmt::Debug {
    /// Whether the call may run. `summary` describes it for the person.
    async fn approve(
        &self,
        sink: &dyn EventSink,
        call_id: Option<String>,
        tool: &str,
        arguments: &serde_json::Value,
        summary: String,
    ) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_decisions_rank() {
        for event in HookEvent::ALL {
            assert_eq!(HookEvent::parse(event.as_str()), Some(event));
        }
        assert_eq!(HookEvent::parse("SessionEnd"), None);
        assert_eq!(
            HookDecision::Allow.max(HookDecision::Deny),
            HookDecision::Deny
        );
        assert_eq!(
            HookDecision::Ask.max(HookDecision::Allow),
            HookDecision::Ask
        );
        assert_eq!(
            HookDecision::None.max(HookDecision::None),
            HookDecision::None
        );
    }

    #[test]
    fn a_notice_names_the_hook_its_decision_and_its_time() {
        let mut run = HookRun::new(HookEvent::PreToolUse, "./guard.sh", HookDecision::Deny);
        run.detail = Some("no greps for secrets".into());
        run.duration_ms = 12;
        assert_eq!(
            run.notice(),
            (
                NoticeLevel::Warning,
                "hook PreToolUse `./guard.sh`: denied (12 ms) — no greps for secrets".into()
            )
        );
        let ok = HookRun::new(HookEvent::Stop, "log", HookDecision::None);
        assert_eq!(ok.notice().1, "hook Stop `log`: ok (0 ms)");
    }
}
