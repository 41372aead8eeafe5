//! Boomerang delegation's wire types: what the `delegate` tool answers the parent's model with,
//! and what merging a child's changes into its parent's queue did (logic-free; the runtime
//! runs delegations).

use crate::domain::ChatId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What `delegate` answers: the child's result as the parent's model sees it (JSON).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DelegateResult {
    /// The child chat (open it to read everything it did).
    pub chat_id: ChatId,
    /// Who ran it.
    pub provider: String,
    /// `complete`, `failed` or `cancelled` (the status of its final message).
    pub outcome: String,
    /// The child's final answer (its start, when long).
    pub answer: String,
    /// Files the child changed in its worktree.
    pub files_changed: Vec<ChangedFile>,
    /// The verify command's result, when one was given.
    pub verify: Option<VerifyResult>,
    /// Tokens the child's turn used.
    pub tokens: u64,
    /// What the child's turn cost, when known.
    pub cost_usd: Option<f64>,
    /// What happens to its changes.
    pub note: String,
}

/// One file a child changed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangedFile {
    /// Relative to the project.
    pub path: String,
    /// Lines added.
    pub added: u64,
    /// Lines removed.
    pub removed: u64,
}

/// A verify command's result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyResult {
    /// The command.
    pub command: String,
    /// Its exit code; `None` when it timed out or could not run.
    pub exit_code: Option<i32>,
    /// The end of its output.
    pub output: String,
}

/// What merging a delegated child into its parent did (`POST /api/chats/{id}/merge`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MergedChild {
    /// The parent chat whose queue holds the changes now.
    pub parent: ChatId,
    /// The files the child changed.
    pub files: Vec<String>,
    /// How many pending changes were queued (files too large to hold are left out).
    pub queued: u32,
}
