//! The pending-changes queue contract: what write tools propose and a human reviews.
//!
//! Write tools never touch a user's file: they add a [`PendingChange`] to a [`ChangeQueue`]. The
//! queue only records proposals and their state; writing them to disk (atomically, refusing a
//! file changed since) is `boocode-tools`' `apply_pending`, and the durable queue is
//! `boocode-store`'s `Store`. [`MemoryChangeQueue`] serves tests and embedders without a database.

use crate::domain::ChatId;
use std::sync::Mutex;

/// The queue a proposal belongs to: its chat's. Every change has exactly one — a chat of the
/// workspace or the coder daemon, or the chat the MCP server files its edits under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChangeScope(pub ChatId);

impl ChangeScope {
    /// The chat whose queue this is.
    pub fn chat_id(&self) -> ChatId {
        self.0
    }

    fn holds(&self, change: &PendingChange) -> bool {
        change.chat_id == self.0
    }
}

/// Where a proposed change stands.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeState {
    /// Waiting for review.
    #[default]
    Pending,
    /// Written to disk.
    Applied,
    /// Refused by the reviewer.
    Rejected,
    /// Applied, then undone.
    Reverted,
}

impl ChangeState {
    /// The stored (and wire) name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeState::Pending => "pending",
            ChangeState::Applied => "applied",
            ChangeState::Rejected => "rejected",
            ChangeState::Reverted => "reverted",
        }
    }
}

impl std::str::FromStr for ChangeState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "pending" => ChangeState::Pending,
            "applied" => ChangeState::Applied,
            "rejected" => ChangeState::Rejected,
            "reverted" => ChangeState::Reverted,
            other => return Err(format!("unknown change state {other:?}")),
        })
    }
}

/// A proposed file change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    /// Id (assigned by the queue).
    pub id: String,
    /// The chat that proposed it.
    pub chat_id: ChatId,
    /// Order of proposal within its chat (assigned by the queue).
    pub seq: i64,
    /// Path relative to the project root.
    pub path: String,
    /// Where it stands.
    pub state: ChangeState,
    /// SHA-256 (hex) of the content the change was made against; `None`: the file did not exist.
    pub base_hash: Option<String>,
    /// That content.
    pub base_content: Option<Vec<u8>>,
    /// The proposed content; `None`: delete the file.
    pub proposed_content: Option<Vec<u8>>,
    /// Unix permission bits of the base file, restored when the change is undone.
    pub mode: Option<u32>,
    /// Unified diff for review.
    pub diff: String,
}

impl PendingChange {
    /// A new proposal in `scope` (id and seq are assigned when it is added).
    pub fn proposal(scope: &ChangeScope, path: impl Into<String>) -> Self {
        Self {
            id: String::new(),
            chat_id: scope.chat_id(),
            seq: 0,
            path: path.into(),
            state: ChangeState::Pending,
            base_hash: None,
            base_content: None,
            proposed_content: None,
            mode: None,
            diff: String::new(),
        }
    }
}

/// Why the queue refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeQueueError {
    /// No change has that id.
    #[error("no pending change {0}")]
    NotFound(String),
    /// The change is not in the state the caller expected.
    #[error("{0}")]
    Conflict(String),
    /// The proposal itself is unacceptable (no scope, a bad path).
    #[error("invalid change: {0}")]
    Invalid(String),
    /// The backing store failed.
    #[error("change queue: {0}")]
    Backend(String),
}

/// A durable list of proposed changes, per chat.
#[async_trait::async_trait]
pub trait ChangeQueue: Send + Sync {
    /// Adds a proposal; returns it with its id and seq.
    async fn add(&self, change: PendingChange) -> Result<PendingChange, ChangeQueueError>;
    /// Every change of `scope`, in proposal order.
    async fn list(&self, scope: &ChangeScope) -> Result<Vec<PendingChange>, ChangeQueueError>;
    /// Moves change `id` from `from` to `to`; a conflict if it was not in `from`.
    async fn set_state(
        &self,
        id: &str,
        from: ChangeState,
        to: ChangeState,
    ) -> Result<(), ChangeQueueError>;
}

/// An in-memory [`ChangeQueue`], for tests and embedders without a database.
#[derive(Debug, Default)]
pub struct MemoryChangeQueue {
    changes: Mutex<Vec<PendingChange>>,
}

impl MemoryChangeQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PendingChange>> {
        // A panic while holding the lock leaves a consistent Vec (every mutation is one push or
        // one field store), so a poisoned lock is safe to keep using.
        self.changes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl ChangeQueue for MemoryChangeQueue {
    async fn add(&self, mut change: PendingChange) -> Result<PendingChange, ChangeQueueError> {
        let scope = ChangeScope(change.chat_id);
        let mut changes = self.lock();
        change.seq = changes.iter().filter(|c| scope.holds(c)).count() as i64 + 1;
        change.id = uuid::Uuid::new_v4().to_string();
        changes.push(change.clone());
        Ok(change)
    }

    async fn list(&self, scope: &ChangeScope) -> Result<Vec<PendingChange>, ChangeQueueError> {
        let mut found: Vec<_> = self
            .lock()
            .iter()
            .filter(|c| scope.holds(c))
            .cloned()
            .collect();
        found.sort_by_key(|c| c.seq);
        Ok(found)
    }

    async fn set_state(
        &self,
        id: &str,
        from: ChangeState,
        to: ChangeState,
    ) -> Result<(), ChangeQueueError> {
        let mut changes = self.lock();
        let change = changes
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| ChangeQueueError::NotFound(id.to_owned()))?;
        if change.state != from {
            return Err(ChangeQueueError::Conflict(format!(
                "change {id} is {}, not {}",
                change.state.as_str(),
                from.as_str()
            )));
        }
        change.state = to;
        Ok(())
    }
}
