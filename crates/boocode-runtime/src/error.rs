//! [`RuntimeError`]: why the runtime refused or failed a request.

use boocode_store::StoreError;

/// Why a runtime call failed. Front-ends map each kind to their own answer (the server to an
/// HTTP status and a stable code).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The runtime is shutting down and starts nothing new.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// A turn already runs in the chat (here, or on another instance).
    #[error("{0}")]
    TurnRunning(String),
    /// The permission prompt is not known anywhere.
    #[error("no permission prompt {0} is waiting")]
    UnknownPrompt(String),
    /// The permission prompt was answered already, or expired.
    #[error("permission prompt {id} is {state}")]
    PromptClosed {
        /// The prompt.
        id: String,
        /// `answered` or `expired`.
        state: &'static str,
    },
    /// The project root the profile names cannot be used.
    #[error("{0}")]
    Project(String),
    /// A request the runtime refuses as given (say, an arena with one contender).
    #[error("{0}")]
    Invalid(String),
    /// A request that conflicts with the state of things (a contender picked twice).
    #[error("{0}")]
    Conflict(String),
    /// The chat's worktree was removed: it takes no more turns (never in the main tree).
    #[error("this chat's worktree {0} is gone (discarded, or removed by hand); start a new chat")]
    WorktreeGone(String),
    /// An isolated worktree could not be made, found or removed.
    #[error(transparent)]
    Worktree(#[from] boocode_worktree::WorktreeError),
    /// The ACP connection (serving BooCode as an agent) failed.
    #[error("the ACP connection failed")]
    Acp(#[source] agent_client_protocol::Error),
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}
