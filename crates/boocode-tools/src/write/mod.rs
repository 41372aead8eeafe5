//! Write tools: `edit_file`, `create_file` and `delete_file`. They never touch the disk; each
//! adds a [`PendingChange`] with a unified diff to the chat's or run's [`ChangeQueue`], where a
//! human applies or rejects it (or, in [`WriteMode::AutoApply`], it is applied at once through
//! the same checks).
//!
//! A file's "current" content for a new proposal is the newest pending proposal for it, so
//! several edits to one file stack, each made against the one before.

mod edit;
mod files;

pub use edit::{EditFile, EditFileArgs};
pub use files::{CreateFile, CreateFileArgs, DeleteFile, DeleteFileArgs};

use crate::changes::{DEFAULT_FILE_MODE, apply_pending, content_hash, read_disk, unified_diff};
use crate::env::ToolEnv;
use boocode_core::{
    ChangeQueue, ChangeScope, ChangeState, PendingChange, ToolError, ToolOutput, ToolSet,
};
use std::sync::Arc;

/// The largest content a write tool proposes.
pub const WRITE_MAX_BYTES: usize = 8 * 1024 * 1024;

/// What happens to a proposal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WriteMode {
    /// It waits in the queue for a human.
    #[default]
    Review,
    /// It is applied at once (still atomically, still refusing a file changed underneath).
    AutoApply,
}

impl std::str::FromStr for WriteMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "review" => Ok(WriteMode::Review),
            "auto_apply" | "auto-apply" => Ok(WriteMode::AutoApply),
            other => Err(format!(
                "unknown write mode {other:?} (review or auto-apply)"
            )),
        }
    }
}

/// The three write tools for `scope`, proposing into `queue`.
pub fn write_tools(
    env: Arc<ToolEnv>,
    queue: Arc<dyn ChangeQueue>,
    scope: ChangeScope,
    mode: WriteMode,
) -> ToolSet {
    let proposer = Arc::new(Proposer {
        env,
        queue,
        scope,
        mode,
    });
    ToolSet::new()
        .with(EditFile::new(proposer.clone()))
        .with(CreateFile::new(proposer.clone()))
        .with(DeleteFile::new(proposer))
}

/// A file as the next proposal sees it.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    /// Path relative to the root, as stored on the change.
    pub path: String,
    /// Its content (`None`: absent, on disk or by a pending delete).
    pub content: Option<Vec<u8>>,
    /// Permission bits of the file on disk.
    pub mode: Option<u32>,
}

/// Shared by the write tools of one chat or run.
pub struct Proposer {
    env: Arc<ToolEnv>,
    queue: Arc<dyn ChangeQueue>,
    scope: ChangeScope,
    mode: WriteMode,
}

impl std::fmt::Debug for Proposer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proposer")
            .field("scope", &self.scope)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Proposer {
    /// `text` about the file at `path` (relative to the root) as it may be shown: credentials
    /// redacted where reads redact them.
    pub(crate) fn redact(&self, path: &str, text: String) -> String {
        self.env.redact_relative(std::path::Path::new(path), text)
    }

    /// Resolves `input` for writing (path and secret guards) and finds what the next proposal
    /// is made against: the newest pending proposal for that file, else the disk.
    pub(crate) async fn current(&self, input: &str) -> Result<Current, ToolError> {
        let env = self.env.clone();
        let owned = input.to_owned();
        let (path, disk) = crate::env::blocking(move || {
            let (guarded, disk) = read_disk(&env, &owned).map_err(ToolError::to_model)?;
            env.refuse_secret(&guarded, &owned)?;
            Ok((guarded.relative().to_string_lossy().into_owned(), disk))
        })
        .await?;
        let queued = self
            .queue
            .list(&self.scope)
            .await
            .map_err(|e| ToolError::Fatal(e.to_string()))?;
        let mode = disk.as_ref().map(|(_, mode)| *mode);
        let content = match queued
            .iter()
            .rev()
            .find(|c| c.path == path && c.state == ChangeState::Pending)
        {
            Some(newest) => newest.proposed_content.clone(),
            None => disk.map(|(content, _)| content),
        };
        Ok(Current {
            path,
            content,
            mode,
        })
    }

    /// Queues `current` → `proposed` and reports the diff (and, in auto-apply, the outcome).
    pub(crate) async fn propose(
        &self,
        current: Current,
        proposed: Option<Vec<u8>>,
        verb: &str,
    ) -> Result<ToolOutput, ToolError> {
        if proposed.as_ref().is_some_and(|p| p.len() > WRITE_MAX_BYTES) {
            return Err(ToolError::to_model(format!(
                "the new content of `{}` is larger than {} MiB",
                current.path,
                WRITE_MAX_BYTES / (1024 * 1024)
            )));
        }
        if proposed == current.content {
            return Err(ToolError::to_model(format!(
                "that leaves `{}` unchanged; nothing was proposed",
                current.path
            )));
        }
        // A file shown redacted when read (`.git/config`'s URLs) is never shown raw in a diff.
        let diff = self.redact(
            &current.path,
            unified_diff(
                &current.path,
                current.content.as_deref(),
                proposed.as_deref(),
            ),
        );
        let mut change = PendingChange::proposal(&self.scope, current.path.clone());
        change.base_hash = current.content.as_deref().map(content_hash);
        change.base_content = current.content;
        change.proposed_content = proposed;
        change.mode = current.mode.or(Some(DEFAULT_FILE_MODE));
        change.diff = diff;
        let change = self
            .queue
            .add(change)
            .await
            .map_err(|e| ToolError::Fatal(e.to_string()))?;
        let status = match self.mode {
            WriteMode::Review => "pending review; the file on disk is unchanged".to_owned(),
            WriteMode::AutoApply => {
                let report = apply_pending(
                    &self.env,
                    self.queue.as_ref(),
                    &self.scope,
                    Some(std::slice::from_ref(&change.id)),
                )
                .await
                .map_err(|e| ToolError::Fatal(e.to_string()))?;
                match report.refused.first() {
                    None => "applied".to_owned(),
                    Some(refusal) => {
                        return Err(ToolError::to_model(format!(
                            "change {} was queued but not applied: {}",
                            change.id, refusal.reason
                        )));
                    }
                }
            }
        };
        let mut change = change;
        if self.mode == WriteMode::AutoApply {
            change.state = ChangeState::Applied;
        }
        Ok(ToolOutput::new(format!(
            "{verb} `{}` as change {} ({status}).\n```diff\n{}```",
            change.path, change.id, change.diff
        ))
        .with_change(change))
    }
}
