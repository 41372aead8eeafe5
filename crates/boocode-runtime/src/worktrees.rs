//! Chats in isolated worktrees: a chat whose agent writes in its own copy of the project (a git
//! worktree, or a plain copy), so several can work on one task without colliding and the main
//! tree changes only when a person takes a result. The worktree is made by the runtime and its
//! directory recorded on the chat; clients never name a directory.

use crate::error::RuntimeError;
use crate::state::Runtime;
use boocode_core::{ChangeQueue, ChangeScope, Chat, ChatId, PendingChange, SessionId, UserFrame};
use boocode_store::ChatSettings;
use boocode_worktree::{WorktreeOptions, Worktrees};

impl Runtime {
    /// The worktrees of the project at `root`.
    pub(crate) async fn worktrees(&self, root: &str) -> Result<Worktrees, RuntimeError> {
        let home = self.config.worktree_dir.as_ref().ok_or_else(|| {
            RuntimeError::Conflict(
                "this server keeps no worktrees (it has no data directory)".into(),
            )
        })?;
        Ok(Worktrees::open(root, home).await?)
    }

    /// Creates a chat in `session` whose agent works in a new isolated worktree of the
    /// session's project, and tells clients. Nothing is left behind on failure.
    pub async fn create_chat_in_worktree(
        &self,
        session: SessionId,
        title: &str,
        settings: &ChatSettings,
        options: WorktreeOptions,
    ) -> Result<Chat, RuntimeError> {
        settings.check()?;
        let session = self.store.get_session(session).await?;
        let project = self.store.get_project(session.project_id).await?;
        let worktrees = self.worktrees(&project.root).await?;
        let tree = worktrees.create(options).await?;
        let workdir = tree.workdir().to_string_lossy().into_owned();
        let made = async {
            let mut chat = self
                .store
                .create_chat_with(session.id, title, settings)
                .await?;
            self.store
                .set_chat_worktree(chat.id, tree.id(), &workdir)
                .await?;
            chat.worktree = Some(tree.id().to_owned());
            chat.workdir = Some(workdir.clone());
            Ok::<_, RuntimeError>(chat)
        }
        .await;
        match made {
            Ok(chat) => {
                tracing::info!(chat = %chat.id, worktree = %tree.id(), "chat in its own worktree");
                self.broker
                    .publish_user(UserFrame::ChatCreated { chat: chat.clone() });
                Ok(chat)
            }
            Err(e) => {
                let _ = worktrees.remove(tree.id()).await;
                Err(e)
            }
        }
    }

    /// Removes the worktree chat `id` works in. The chat keeps its history and stays tied to
    /// the worktree — later turns are refused rather than let into the main tree. Refused while
    /// a turn runs.
    pub async fn discard_chat_worktree(&self, id: ChatId) -> Result<Chat, RuntimeError> {
        let chat = self.store.get_chat(id).await?;
        let Some(worktree) = chat.worktree.clone() else {
            return Ok(chat);
        };
        if self.runner.is_running(id) {
            return Err(RuntimeError::TurnRunning(
                "a turn runs in this chat's worktree; stop it first".into(),
            ));
        }
        let session = self.store.get_session(chat.session_id).await?;
        let project = self.store.get_project(session.project_id).await?;
        match self.worktrees(&project.root).await?.remove(&worktree).await {
            Ok(()) | Err(boocode_worktree::WorktreeError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        tracing::info!(chat = %id, worktree, "chat's worktree removed");
        Ok(chat)
    }

    /// What chat `chat`'s agent changed in its worktree since it was made.
    pub(crate) async fn chat_changes(
        &self,
        chat: &Chat,
    ) -> Result<Vec<boocode_worktree::FileChange>, RuntimeError> {
        let worktree = chat
            .worktree
            .as_deref()
            .ok_or_else(|| RuntimeError::Conflict(format!("chat {} has no worktree", chat.id)))?;
        let session = self.store.get_session(chat.session_id).await?;
        let project = self.store.get_project(session.project_id).await?;
        let tree = match self.worktrees(&project.root).await?.get(worktree).await {
            Ok(tree) => tree,
            Err(boocode_worktree::WorktreeError::NotFound(_)) => {
                return Err(RuntimeError::WorktreeGone(worktree.to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        Ok(tree.changes().await?)
    }

    /// Queues `changes` (a worktree's, against the files as its agent found them) as pending
    /// changes of chat `scope` on the main tree. A file changed in the main tree since is
    /// refused at apply as a conflict, never overwritten. Returns how many were queued
    /// (files too large to hold are left out).
    pub(crate) async fn queue_changes(
        &self,
        scope: ChatId,
        changes: Vec<boocode_worktree::FileChange>,
    ) -> Result<usize, RuntimeError> {
        let scope = ChangeScope(scope);
        let mut queued = 0;
        for change in changes {
            if change.too_large {
                tracing::warn!(path = %change.path, "a change too large to queue was left out");
                continue;
            }
            let mut pending = PendingChange::proposal(&scope, change.path.clone());
            pending.base_hash = change.before.as_deref().map(boocode_tools::content_hash);
            pending.diff = boocode_tools::unified_diff(
                &change.path,
                change.before.as_deref(),
                change.after.as_deref(),
            );
            pending.base_content = change.before;
            pending.proposed_content = change.after;
            pending.mode = change.mode;
            ChangeQueue::add(&self.store, pending)
                .await
                .map_err(|e| RuntimeError::Conflict(e.to_string()))?;
            queued += 1;
        }
        Ok(queued)
    }
}

/// Prunes every project's broken BooCode worktrees (see [`Worktrees::prune`]); worktrees
/// BooCode did not make are never touched. Run at start-up, in the background.
pub(crate) async fn prune_all(state: Runtime) {
    if state.config.worktree_dir.is_none() {
        return;
    }
    let projects = match state.store.list_projects(true).await {
        Ok(projects) => projects,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list projects to prune their worktrees");
            return;
        }
    };
    for project in projects {
        let pruned = match state.worktrees(&project.root).await {
            Ok(worktrees) => worktrees.prune().await,
            Err(_) => continue,
        };
        match pruned {
            Ok(0) => {}
            Ok(n) => tracing::info!(project = %project.root, pruned = n, "broken worktrees pruned"),
            Err(e) => tracing::warn!(project = %project.root, error = %e, "cannot prune worktrees"),
        }
    }
}
