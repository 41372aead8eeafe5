//! The arena's wire types: one prompt to several chats, each in its own worktree, and the
//! summary that compares them (logic-free; the runtime runs arenas).

use crate::domain::{ChatId, ProjectId, SessionId, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Body of `POST /api/sessions/{id}/arenas`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewArena {
    /// The prompt every contender gets.
    pub prompt: String,
    /// Who competes: 2 to 8 providers, each optionally with a model (the same provider may
    /// come twice with two models).
    pub contenders: Vec<NewContender>,
    /// A shell command run in each contender's worktree when it finishes; its exit code is
    /// the score (0 passes), never the agent's own claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<String>,
    /// Seconds the verify command may run (default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_timeout_secs: Option<u64>,
    /// Start every worktree from the project as it is on disk (uncommitted work included).
    #[serde(default)]
    pub include_uncommitted: bool,
}

/// One contender asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewContender {
    /// The provider (`boocode`, `claude-acp`, `opencode`, …).
    pub provider: String,
    /// The model, when not the provider's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// Where a contender stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContenderState {
    /// Its turn runs.
    Running,
    /// Its turn ended; the verify command runs.
    Verifying,
    /// Done: the summary is final.
    Done,
}

/// One contender of an arena and, once it is done, how it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contender {
    /// 1-based, as listed.
    pub index: u32,
    /// Its chat (in its own worktree).
    pub chat_id: ChatId,
    /// The provider.
    pub provider: String,
    /// The model asked for.
    pub model: Option<String>,
    /// Where it stands.
    pub state: ContenderState,
    /// How its turn ended (`complete`, `failed`, `cancelled`), once it has.
    pub outcome: Option<String>,
    /// Wall time of its turn.
    pub wall_ms: Option<i64>,
    /// Tokens its turn used (input + output), when reported.
    pub tokens: Option<i64>,
    /// Cost in US dollars, when reported.
    pub cost_usd: Option<f64>,
    /// Files it changed, relative to the project.
    pub files_changed: Vec<String>,
    /// Lines added over all files.
    pub lines_added: i64,
    /// Lines removed over all files.
    pub lines_removed: i64,
    /// The verify command's exit code (`None`: no command, not run yet, or timed out).
    pub verify_exit: Option<i32>,
    /// The end of the verify command's output.
    pub verify_output: Option<String>,
}

/// An arena: one prompt, several contenders, and which one was picked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Arena {
    /// Stable id.
    pub id: String,
    /// The project.
    pub project_id: ProjectId,
    /// The session its chats are in.
    pub session_id: SessionId,
    /// The prompt.
    pub prompt: String,
    /// The verify command.
    pub verify: Option<String>,
    /// The contenders, in order.
    pub contenders: Vec<Contender>,
    /// Files changed by every contender that changed any.
    pub files_in_common: Vec<String>,
    /// The contender picked (its index), once one is.
    pub picked: Option<u32>,
    /// The chat the picked contender's changes were queued under, for review on the main tree.
    pub picked_chat: Option<ChatId>,
    /// Whether its worktrees were removed.
    pub discarded: bool,
    /// Whether the worktrees started from the work in progress, not the last commit.
    #[serde(default)]
    pub include_uncommitted: bool,
    /// How long the verify command may run, when not the default.
    #[serde(default)]
    pub verify_timeout_secs: Option<u64>,
    /// The arena this one runs again, when it is a rerun.
    #[serde(default)]
    pub rerun_of: Option<String>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// Body of `POST /api/arenas/{id}/pick`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PickContender {
    /// The contender's 1-based index.
    pub index: u32,
}

/// How one provider and model did over a project's arenas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaderboardRow {
    /// The provider.
    pub provider: String,
    /// The model asked for (`None`: the provider's default).
    pub model: Option<String>,
    /// Arenas it finished in.
    pub contests: u32,
    /// Times it was picked.
    pub wins: u32,
    /// Times a verify command ran on its work.
    pub verified: u32,
    /// Times that command passed (exit 0).
    pub passed: u32,
    /// Median wall time of its turns.
    pub median_wall_ms: Option<i64>,
    /// Median tokens of its turns, where reported.
    pub median_tokens: Option<i64>,
    /// Median cost of its turns, where reported.
    pub median_cost_usd: Option<f64>,
}
