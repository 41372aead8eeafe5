//! Domain types: projects, sessions, chats, messages and their parts.
//!
//! These are plain data. They carry no I/O and are shared by the loop, the store, the
//! server and the front-ends (which receive them as generated TypeScript types).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id.
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// Identifies a project (a local repository BooCode works on).
    ProjectId
);
id_type!(
    /// Identifies a session: a workspace of chats on one project.
    SessionId
);
id_type!(
    /// Identifies one chat (one conversation with one agent or backend).
    ChatId
);
id_type!(
    /// Identifies one message in a chat.
    MessageId
);

/// Milliseconds since the Unix epoch.
pub type Timestamp = i64;

/// The current time as a [`Timestamp`].
pub fn now_ms() -> Timestamp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// A local repository the user works on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    /// Stable id.
    pub id: ProjectId,
    /// Display name (defaults to the directory name).
    pub name: String,
    /// Absolute path of the project root on the host.
    pub root: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Whether the project is hidden from the sidebar.
    pub archived: bool,
    /// What the project's chats get by default: web access, tool tier, read grants.
    #[serde(default)]
    pub settings: ProjectSettings,
}

/// A project's defaults for its chats, and the other directories they may read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[non_exhaustive]
pub struct ProjectSettings {
    /// Whether chats get `web_search` and `web_fetch` unless a chat says otherwise (off by
    /// default).
    #[serde(default)]
    pub web: bool,
    /// How many tools chats are offered unless a chat says otherwise.
    #[serde(default)]
    pub tool_tier: ToolTier,
    /// Other directories (absolute paths) the project's chats may read, through the path and
    /// secret guards; never written.
    #[serde(default)]
    pub read_grants: Vec<String>,
}

/// How many tools a chat is offered. Small local models do better with fewer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ToolTier {
    /// `view_file`, `list_dir`, `grep`, `find_files`, the mode's write tools, and the web
    /// tools when web access is on.
    Core,
    /// Core plus `view_truncated_output` and the MCP servers' tools.
    #[default]
    Standard,
    /// Every tool the chat may have (today the same set as standard; tool groups added later
    /// join here first).
    All,
}

impl ToolTier {
    /// The name stored and sent (`core`, `standard`, `all`).
    pub fn as_str(self) -> &'static str {
        match self {
            ToolTier::Core => "core",
            ToolTier::Standard => "standard",
            ToolTier::All => "all",
        }
    }
}

impl std::str::FromStr for ToolTier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "core" => Ok(ToolTier::Core),
            "standard" => Ok(ToolTier::Standard),
            "all" => Ok(ToolTier::All),
            other => Err(format!(
                "unknown tool tier {other:?} (core, standard or all)"
            )),
        }
    }
}

/// A working session on one project; it holds chats and a pane layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    /// Stable id.
    pub id: SessionId,
    /// The project this session works on.
    pub project_id: ProjectId,
    /// Display title (auto-named after the first reply unless the user renamed it).
    pub title: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last activity.
    pub updated_at: Timestamp,
    /// Whether the session is hidden from the sidebar.
    pub archived: bool,
}

/// What a chat's agent may do to files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChatMode {
    /// Read-only: the read tools only.
    #[default]
    Ask,
    /// Writes are proposed into the chat's pending-changes queue for a human to apply.
    Review,
    /// Writes are applied at once (atomically, still rewindable).
    AutoApply,
}

impl ChatMode {
    /// The name stored and sent (`ask`, `review`, `auto_apply`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChatMode::Ask => "ask",
            ChatMode::Review => "review",
            ChatMode::AutoApply => "auto_apply",
        }
    }
}

impl std::str::FromStr for ChatMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ask" => Ok(ChatMode::Ask),
            "review" => Ok(ChatMode::Review),
            "auto_apply" | "auto-apply" => Ok(ChatMode::AutoApply),
            other => Err(format!(
                "unknown mode {other:?} (ask, review or auto_apply)"
            )),
        }
    }
}

/// How much the model thinks, where the backend lets us choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Thinking {
    /// The backend's default.
    Off,
    /// Little.
    Low,
    /// Some.
    Medium,
    /// A lot.
    High,
}

impl Thinking {
    /// The name stored and sent (`off`, `low`, `medium`, `high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Thinking::Off => "off",
            Thinking::Low => "low",
            Thinking::Medium => "medium",
            Thinking::High => "high",
        }
    }

    /// The effort name backends take (`None` for the default).
    pub fn effort(self) -> Option<String> {
        match self {
            Thinking::Off => None,
            other => Some(other.as_str().to_owned()),
        }
    }
}

impl std::str::FromStr for Thinking {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" => Ok(Thinking::Off),
            "low" => Ok(Thinking::Low),
            "medium" => Ok(Thinking::Medium),
            "high" => Ok(Thinking::High),
            other => Err(format!(
                "unknown thinking level {other:?} (off, low, medium or high)"
            )),
        }
    }
}

/// The provider every chat uses unless told otherwise: BooCode's own loop.
pub const NATIVE_PROVIDER: &str = "boocode";

/// One conversation inside a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Chat {
    /// Stable id.
    pub id: ChatId,
    /// The session that holds this chat.
    pub session_id: SessionId,
    /// Display title.
    pub title: String,
    /// The agent definition this chat runs with, if any.
    pub agent: Option<String>,
    /// Who runs the chat's turns (`boocode`, BooCode's own loop, by default).
    pub provider: String,
    /// What the chat's agent may do to files.
    pub mode: ChatMode,
    /// The model, when not the provider's default.
    pub model: Option<String>,
    /// How much the model thinks, when not the default.
    pub thinking: Option<Thinking>,
    /// Web access for this chat; `None` follows the project's default.
    #[serde(default)]
    pub web: Option<bool>,
    /// The chat's tool tier; `None` follows the project's default.
    #[serde(default)]
    pub tool_tier: Option<ToolTier>,
    /// The isolated worktree the chat's agent works in instead of the project's directory
    /// (its id), when it has one: its writes land there, never in the main tree.
    #[serde(default)]
    pub worktree: Option<String>,
    /// That worktree's directory for this project (set by the runtime only).
    #[serde(default)]
    pub workdir: Option<String>,
    /// The chat that delegated this one (a Boomerang child), when one did; set by the runtime
    /// only. Clients show such chats nested under their parent.
    #[serde(default)]
    pub parent: Option<ChatId>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last activity.
    pub updated_at: Timestamp,
    /// Whether the chat is archived.
    pub archived: bool,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The human.
    User,
    /// The model (its text, reasoning, tool calls and, in BooCode, the results of those calls).
    Assistant,
    /// A standalone tool result, as imported from histories that keep them apart.
    Tool,
}

impl Role {
    /// The stable lowercase name used on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Being produced right now.
    Streaming,
    /// Finished normally.
    Complete,
    /// Ended by an error (or found still streaming after a crash).
    Failed,
    /// Stopped by the user.
    Cancelled,
}

impl MessageStatus {
    /// The stable lowercase name used on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Streaming => "streaming",
            MessageStatus::Complete => "complete",
            MessageStatus::Failed => "failed",
            MessageStatus::Cancelled => "cancelled",
        }
    }
}

/// What a message is for, beyond its role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// An ordinary message.
    #[default]
    Regular,
    /// The loop's note on why a turn stopped early (step cap, budget, doom loop). Shown to the
    /// user, never sent to the model.
    Sentinel,
    /// A rolling summary that stands in for the history before it.
    Summary,
}

/// One piece of a message. Parts are the source of truth for tool calls, tool results and
/// reasoning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    /// Visible text.
    Text {
        /// The text.
        text: String,
    },
    /// The model's reasoning ("thinking") text.
    Reasoning {
        /// The reasoning text.
        text: String,
    },
    /// A tool call the model asked for.
    ToolCall {
        /// The call id, unique within the chat.
        id: String,
        /// Tool name.
        name: String,
        /// The raw JSON arguments as the model produced them (they may be malformed).
        arguments: String,
    },
    /// The result of a tool call.
    ToolResult {
        /// The id of the call this answers.
        call_id: String,
        /// Tool name.
        name: String,
        /// What the model sees.
        content: String,
        /// Whether the call failed (the content then explains why).
        is_error: bool,
        /// Wall time of the call in milliseconds, when it ran.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_ms: Option<u64>,
    },
    /// A permission the agent asked for, and the answer once given. Kept in the history for
    /// people; never sent to a model.
    Permission {
        /// The request id.
        request_id: String,
        /// The tool the agent wanted to run.
        tool: String,
        /// What it wanted, for a person.
        summary: String,
        /// The answer; `None` while waiting, or when the agent went away unanswered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decision: Option<crate::event::PermissionDecision>,
    },
    /// Something the run said about itself (a steer taken, a refused write, a retry). Kept for
    /// people; never sent to a model.
    Notice {
        /// How severe.
        level: crate::event::NoticeLevel,
        /// The message.
        message: String,
    },
    /// The agent's plan as it last stood in this turn. Kept for people; never sent to a model.
    Plan {
        /// The steps, in order.
        entries: Vec<crate::event::PlanEntry>,
    },
    /// What a terminal the turn ran printed (the last [`TERMINAL_EXCERPT_BYTES`] of it) and
    /// how it ended. Kept for people; never sent to a model (the agent has its own copy).
    Terminal {
        /// Which terminal.
        terminal_id: String,
        /// Its output, the end of it when `truncated`.
        output: String,
        /// Whether earlier output was dropped.
        #[serde(default)]
        truncated: bool,
        /// The exit code, once the process ended normally.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
    },
}

/// How much of a terminal's output a stored message keeps (its end).
pub const TERMINAL_EXCERPT_BYTES: usize = 16 * 1024;

impl Part {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Part::Text { text: text.into() }
    }

    /// Whether the part is for people only (a permission or a notice) and never goes to a model.
    pub fn is_annotation(&self) -> bool {
        matches!(
            self,
            Part::Permission { .. }
                | Part::Notice { .. }
                | Part::Plan { .. }
                | Part::Terminal { .. }
        )
    }

    /// Whether this part holds nothing worth sending (empty text or reasoning).
    pub fn is_empty(&self) -> bool {
        match self {
            Part::Text { text } | Part::Reasoning { text } => text.trim().is_empty(),
            Part::ToolCall { .. }
            | Part::ToolResult { .. }
            | Part::Permission { .. }
            | Part::Notice { .. }
            | Part::Plan { .. }
            | Part::Terminal { .. } => false,
        }
    }
}

/// Token counts and context occupancy for one model request or one turn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// Prompt (input) tokens.
    pub prompt_tokens: u64,
    /// Completion (output) tokens.
    pub completion_tokens: u64,
    /// Tokens now in the model's context after the request (prompt + completion of the last
    /// request).
    pub ctx_used: u64,
    /// The model's context size, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctx_max: Option<u64>,
    /// Cost in US dollars of the turn so far (not of the whole session), when the backend
    /// reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
}

/// A message in a chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    /// Stable id.
    pub id: MessageId,
    /// Who wrote it.
    pub role: Role,
    /// Where it is in its life.
    pub status: MessageStatus,
    /// What it is for.
    #[serde(default)]
    pub kind: MessageKind,
    /// Its content, in order.
    pub parts: Vec<Part>,
    /// Token usage of the turn that produced it (assistant messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Creation time.
    pub created_at: Timestamp,
}

impl Message {
    /// A new message with the given role, status and parts.
    pub fn new(role: Role, status: MessageStatus, parts: Vec<Part>) -> Self {
        Self {
            id: MessageId::new(),
            role,
            status,
            kind: MessageKind::Regular,
            parts,
            usage: None,
            created_at: now_ms(),
        }
    }

    /// A complete user message holding one text part.
    pub fn user(text: impl Into<String>) -> Self {
        Self::new(Role::User, MessageStatus::Complete, vec![Part::text(text)])
    }

    /// A complete assistant message holding one text part.
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::new(
            Role::Assistant,
            MessageStatus::Complete,
            vec![Part::text(text)],
        )
    }

    /// The concatenated visible text of the message.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            if let Part::Text { text } = part {
                out.push_str(text);
            }
        }
        out
    }

    /// Whether the message has no part worth sending.
    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(Part::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_serialize_with_a_type_tag() {
        let part = Part::ToolCall {
            id: "c1".into(),
            name: "grep".into(),
            arguments: "{}".into(),
        };
        let json = serde_json::to_value(&part).unwrap();
        assert_eq!(json["type"], "tool_call");
        let back: Part = serde_json::from_value(json).unwrap();
        assert_eq!(back, part);
    }

    #[test]
    fn ids_round_trip_through_strings() {
        let id = ChatId::new();
        let parsed: ChatId = id.to_string().parse().unwrap();
        assert_eq!(parsed, id);
        assert!("not-a-uuid".parse::<ChatId>().is_err());
    }

    #[test]
    fn empty_messages_are_detected() {
        let mut m = Message::new(Role::Assistant, MessageStatus::Complete, vec![]);
        assert!(m.is_empty());
        m.parts.push(Part::text("  \n"));
        assert!(m.is_empty());
        m.parts.push(Part::Reasoning { text: "hm".into() });
        assert!(!m.is_empty());
    }
}
