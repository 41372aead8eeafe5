//! The REST API's bodies: what clients send and receive besides the domain types, shared by the
//! server, the CLI and (generated to TypeScript) the web UI. The WebSocket frames are in
//! [`crate::SessionFrame`] and [`crate::UserFrame`].

use crate::changes::{ChangeState, PendingChange};
use crate::domain::{ChatId, ChatMode, SessionId, Thinking};
use crate::event::PermissionDecision;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A pending change as the API shows it: no file contents, the diff (redacted like reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeView {
    /// Stable id.
    pub id: String,
    /// The chat that proposed it.
    pub chat_id: ChatId,
    /// Order of proposal within its chat.
    pub seq: i64,
    /// Path relative to the project root.
    pub path: String,
    /// Where it stands.
    pub state: ChangeState,
    /// Unified diff.
    pub diff: String,
}

impl From<PendingChange> for ChangeView {
    fn from(c: PendingChange) -> Self {
        Self {
            id: c.id,
            chat_id: c.chat_id,
            seq: c.seq,
            path: c.path,
            state: c.state,
            diff: c.diff,
        }
    }
}

/// A file an apply or rewind left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refusal {
    /// Path relative to the project root.
    pub path: String,
    /// The changes of that file that were not applied (or not undone).
    pub change_ids: Vec<String>,
    /// Why, for a human.
    pub reason: String,
    /// When the file changed on disk since: a unified diff from the file as it is now (`-`) to
    /// the version the refused operation would have written (`+`), so both can be compared.
    /// Absent for a secret file, a binary one or one over 256 KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<String>,
}

/// What an apply, reject or rewind did: the changes done, and the files refused with their
/// reasons (a refused file is reported here, never as a failed request).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeReport {
    /// Changes now applied (rejected, or for a rewind reverted), in order.
    pub done: Vec<String>,
    /// Files refused, with their changes.
    pub refused: Vec<Refusal>,
}

/// Body of `POST /api/chats/{id}/changes/{op}`: the changes to act on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeSelection {
    /// These changes; omitted: all of the chat's.
    #[serde(default)]
    pub ids: Option<Vec<String>>,
}

/// A permission prompt waiting for the user, in `GET /api/inbox`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxItem {
    /// Answer with `POST /api/inbox/{request_id}`.
    pub request_id: String,
    /// The chat that asks.
    pub chat_id: ChatId,
    /// Its session.
    pub session_id: SessionId,
    /// The chat's provider.
    pub provider: String,
    /// The tool the agent wants to run.
    pub tool: String,
    /// What it wants, for a person.
    pub summary: String,
    /// When it asked (ms since the epoch).
    pub asked_at: i64,
    /// Waiting, answered, or expired (its agent went away unanswered).
    #[serde(default)]
    pub state: InboxState,
    /// The answer, once answered.
    #[serde(default)]
    pub decision: Option<PermissionDecision>,
}

/// Where a permission prompt stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InboxState {
    /// The agent waits for the answer.
    #[default]
    Waiting,
    /// Answered; the agent went on.
    Answered,
    /// Closed unanswered: the turn that asked ended (a restart, a dead instance, a stop).
    Expired,
}

impl InboxState {
    /// The stored (and wire) name.
    pub fn as_str(self) -> &'static str {
        match self {
            InboxState::Waiting => "waiting",
            InboxState::Answered => "answered",
            InboxState::Expired => "expired",
        }
    }
}

impl std::str::FromStr for InboxState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "waiting" => InboxState::Waiting,
            "answered" => InboxState::Answered,
            "expired" => InboxState::Expired,
            other => return Err(format!("unknown prompt state {other:?}")),
        })
    }
}

/// Body of `POST /api/inbox/{request_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InboxAnswer {
    /// `allow_once`, `allow_session`, `deny` or `deny_and_stop`.
    pub decision: PermissionDecision,
}

/// Body of `POST /api/projects/{id}/sessions` and `POST /api/sessions/{id}/chats`: every field
/// optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewChat {
    /// The session's (or chat's) title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The agent definition of the (first) chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Who runs the chat's turns (default `boocode`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// `ask`, `review` or `auto_apply` (default: the server profile's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ChatMode>,
    /// The model (default: the provider's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `off`, `low`, `medium` or `high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking: Option<Thinking>,
    /// Run the chat in its own isolated worktree of the project (`POST /api/sessions/{id}/chats`
    /// only): its agent's writes land there, never in the main tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worktree: Option<NewWorktree>,
}

/// How to make a chat's own worktree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWorktree {
    /// Start from the project as it is on disk, uncommitted and untracked files included (a git
    /// project; a copy of a plain directory always is).
    #[serde(default)]
    pub include_uncommitted: bool,
    /// Files to copy in from the project (never a secret), such as `.env.example` → `.env`.
    #[serde(default)]
    pub copy: Vec<WorktreeCopy>,
}

/// A file copied into a new worktree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WorktreeCopy {
    /// In the project, relative.
    pub from: String,
    /// In the worktree, relative.
    pub to: String,
}

/// Body of `POST /api/chats/{id}/messages`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// What the user writes.
    pub text: String,
    /// Join the running turn at its next step (BooCode's own loop only) instead of waiting.
    #[serde(default)]
    pub steer: bool,
}

/// Answer of `POST /api/projects/{id}/sessions`: the session and its first chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionCreated {
    /// The new session.
    pub session: crate::domain::Session,
    /// Its first chat.
    pub chat: crate::domain::Chat,
}

/// Answer of `GET /api/sessions/{id}`: the session and its chats (archived ones included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionView {
    /// The session.
    pub session: crate::domain::Session,
    /// Its chats, oldest first.
    pub chats: Vec<crate::domain::Chat>,
}

/// The two rows a started turn created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartedTurn {
    /// The user's message.
    pub user_message: crate::domain::Message,
    /// The (streaming) assistant message the turn writes.
    pub assistant_message: crate::domain::Message,
}

/// A steering message handed to a running turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SteeringMessage {
    /// The chat.
    pub chat_id: ChatId,
    /// What the user wrote.
    pub text: String,
}

/// Answer of `POST /api/chats/{id}/messages` (202): what became of the message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
#[non_exhaustive]
pub enum Posted {
    /// A turn started with it.
    Started(StartedTurn),
    /// A turn was running: it waits as `queued` and runs next.
    Queued {
        /// The waiting message.
        queued: crate::frame::QueuedMessage,
    },
    /// Sent with `steer` while a native turn ran: the loop takes it at its next step boundary
    /// (or, if the turn ends first, it runs as the next turn).
    Steering {
        /// The message.
        steering: SteeringMessage,
    },
}

/// Answer of `GET /api/chats/{id}/messages`: a page of a chat's messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagesPage {
    /// The messages, oldest first.
    pub messages: Vec<crate::domain::Message>,
    /// Pass as `before` for the page of older messages.
    pub cursor: Option<i64>,
    /// Whether older messages exist.
    pub has_more: bool,
    /// Whether a turn runs in the chat on this server.
    pub running: bool,
}

/// One entry of a project directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirEntry {
    /// The name.
    pub name: String,
    /// The path relative to the project root.
    pub path: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// Size in bytes (files).
    pub size: u64,
}

/// Answer of `GET /api/projects/{id}/files`: one directory level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirListing {
    /// The directory, relative to the project root (empty for the root).
    pub path: String,
    /// Its entries: directories first, then by name.
    pub entries: Vec<DirEntry>,
}

/// Answer of `GET /api/projects/{id}/file`: a file's content for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileContent {
    /// The path relative to the project root.
    pub path: String,
    /// The text (lossily decoded), unless the file is binary.
    pub text: Option<String>,
    /// Whether the file looks binary.
    pub binary: bool,
    /// Its size in bytes.
    pub size: u64,
    /// Whether `text` stops before the end of the file.
    pub truncated: bool,
}

/// A model the model server offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelEntry {
    /// The model id to ask for.
    pub id: String,
    /// Its context size, when the server reports one.
    pub context: Option<u64>,
}

/// Answer of `GET /api/models`: what the model server offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelList {
    /// The model chats use unless they name one.
    pub default: Option<String>,
    /// The default model's context size.
    pub context: Option<u64>,
    /// Every model the server lists.
    pub models: Vec<ModelEntry>,
}

/// Whether a provider can run here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProviderState {
    /// Installed and answering.
    Ready,
    /// Its program is not on the server's `PATH`.
    Missing,
    /// Its program is there but did not start or answer.
    Broken,
    /// Turned off in the settings.
    Disabled,
}

/// A provider of the registry and whether it can run on this server (`GET /api/providers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderInfo {
    /// The name chats use (`boocode`, `claude`, `claude-acp`, `opencode`, …).
    pub name: String,
    /// How BooCode talks to it: `native`, `claude_sdk`, `acp` or `pty`.
    pub kind: String,
    /// Whether it can run.
    pub state: ProviderState,
    /// Its program's version, when it gave one.
    pub version: Option<String>,
    /// Why it cannot run, for a broken or missing one.
    pub reason: Option<String>,
    /// How to install it, for a missing one.
    pub install: Option<String>,
}

/// Body of `POST /api/sessions/{id}/terminals`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTerminal {
    /// The working directory, relative to the project root (default: the root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// A provider from the registry to run instead of the user's shell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Columns (default 80).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cols: Option<u16>,
    /// Rows (default 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u16>,
    /// The pane's title (default: the program's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// A terminal of a session (`GET /api/sessions/{id}/terminals`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerminalInfo {
    /// Stable id (for `/api/terminals/{id}/ws`).
    pub id: String,
    /// The session it belongs to.
    pub session_id: SessionId,
    /// Its title.
    pub title: String,
    /// The program it runs.
    pub program: String,
    /// Its working directory, relative to the project root (`""` for the root).
    pub cwd: String,
    /// Columns now.
    pub cols: u16,
    /// Rows now.
    pub rows: u16,
    /// Creation time.
    pub created_at: i64,
    /// How it ended, once it has.
    pub exit: Option<TerminalExit>,
    /// The chat whose agent runs in it (a PTY provider's terminal), if any.
    #[serde(default)]
    pub chat_id: Option<ChatId>,
    /// Whether its program has gone quiet after printing and waits for input (watched for a
    /// chat's agent terminals only).
    #[serde(default)]
    pub waiting: bool,
}

/// How a terminal's program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerminalExit {
    /// Its exit code, when it exited by itself.
    pub code: Option<i32>,
    /// Whether a signal (or closing the terminal) ended it.
    pub signaled: bool,
}

/// A JSON control message on a terminal's WebSocket (text frames; bytes go as binary frames).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TerminalControl {
    /// In: the viewer's size (the last viewer to resize sets the terminal's size).
    Resize {
        /// Columns.
        cols: u16,
        /// Rows.
        rows: u16,
    },
    /// Out: the program ended.
    Exit {
        /// Its exit code, when it exited by itself.
        code: Option<i32>,
        /// Whether a signal ended it.
        signaled: bool,
    },
    /// Out: this viewer fell too far behind; the terminal's scrollback follows as one binary
    /// frame, to be drawn on a cleared screen.
    Reset,
}

/// An agent definition a project's chats may run with (`GET /api/projects/{id}/agents`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentInfo {
    /// The name a chat's `agent` setting takes.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// The tools it is limited to; `None` means the chat's whole set.
    pub tools: Option<Vec<String>>,
    /// The model it asks for, over the chat's default.
    pub model: Option<String>,
    /// Where it is defined: `builtin` (shipped with BooCode), `global` (the config directory)
    /// or `project` (`.boocode/agents`).
    pub scope: String,
}

/// The model endpoint BooCode's own loop uses (`GET /api/setup`); the key is never sent back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointView {
    /// The OpenAI-compatible base URL (credentials in it redacted).
    pub url: String,
    /// Whether an API key is set.
    pub has_key: bool,
    /// The default model, when one is chosen.
    pub model: Option<String>,
    /// Whether it was saved in the settings (else it comes from the command line).
    pub saved: bool,
}

/// One endpoint tried by the first-run probe or a test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointProbe {
    /// The base URL tried (credentials redacted).
    pub url: String,
    /// What usually listens there (`llama.cpp / llama-swap`, `Ollama`, …, or `configured`).
    pub label: String,
    /// Whether it answered `GET /v1/models`.
    pub reachable: bool,
    /// The models it lists.
    pub models: Vec<String>,
    /// Why it did not answer.
    pub error: Option<String>,
}

/// `GET /api/setup`: the endpoint in use, what answers on the usual local ports, and whether
/// chats on BooCode's own loop can run (the endpoint in use answered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetupState {
    /// The endpoint in use.
    pub endpoint: EndpointView,
    /// Whether the endpoint in use answered.
    pub ready: bool,
    /// The endpoint in use first, then the usual local ports.
    pub probes: Vec<EndpointProbe>,
}

/// Body of `POST /api/setup/test` and `PUT /api/setup/endpoint`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EndpointSettings {
    /// The OpenAI-compatible base URL (`http://127.0.0.1:8080`, with or without `/v1`).
    pub url: String,
    /// The API key: absent keeps the saved one, empty removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// The default model; absent or empty lets the server choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// How one tool has been doing: over its last calls (`GET /api/stats/tools`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolStat {
    /// The tool.
    pub tool: String,
    /// Calls counted.
    pub count: u64,
    /// Median duration, ms.
    pub p50_ms: u64,
    /// 95th percentile duration, ms.
    pub p95_ms: u64,
    /// Mean output size, bytes.
    pub mean_output_bytes: u64,
    /// Share of calls that failed, 0 to 1.
    pub error_rate: f64,
}

/// Answer of `GET /api/stats/tools`: every tool's figures over its last `window` calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolStatsReport {
    /// How many of each tool's latest calls count.
    pub window: u64,
    /// The tools, busiest first.
    pub tools: Vec<ToolStat>,
}
