//! The permission inbox as front-ends see it: the prompts of every instance, and answering one
//! wherever its turn runs.

use crate::error::RuntimeError;
use crate::state::Runtime;
use boocode_core::PermissionDecision;
use boocode_core::protocol::{InboxItem, InboxState};

impl Runtime {
    /// The prompts in `state` (all when `None`) across every instance, oldest first.
    /// A prompt asked here is listed from the moment its event is sent, even before its row
    /// is written.
    pub async fn inbox(&self, state: Option<InboxState>) -> Result<Vec<InboxItem>, RuntimeError> {
        let mut items = self.store.permission_requests(state, 500).await?;
        if state.is_none_or(|s| s == InboxState::Waiting) {
            for local in self.agents.waiting_here() {
                if !items.iter().any(|i| i.request_id == local.request_id) {
                    items.push(local);
                }
            }
            items.sort_by(|a, b| (a.asked_at, &a.request_id).cmp(&(b.asked_at, &b.request_id)));
        }
        Ok(items)
    }

    /// Answers a waiting prompt. The instance whose turn asked takes it at once (recorded
    /// before this returns, so a second answer finds it answered); a prompt asked on another
    /// instance is answered there, through Postgres. A prompt whose turn is gone is closed as
    /// expired.
    pub async fn answer_prompt(
        &self,
        request_id: &str,
        decision: PermissionDecision,
    ) -> Result<InboxItem, RuntimeError> {
        if let Ok(item) = self.agents.answer(request_id, decision) {
            // The answer may come before the prompt's row is written: record it either way.
            self.store.add_permission_request(&item).await?;
            self.store
                .answer_permission_request(request_id, decision)
                .await?;
            crate::agent_chats::publish_inbox_count(self).await;
            return Ok(item);
        }
        let Some(item) = self.store.permission_request(request_id).await? else {
            return Err(RuntimeError::UnknownPrompt(request_id.to_owned()));
        };
        if item.state != InboxState::Waiting {
            return Err(RuntimeError::PromptClosed {
                id: request_id.to_owned(),
                state: item.state.as_str(),
            });
        }
        match self.remote.get() {
            // Asked on another instance: that instance answers it (and records it).
            Some(remote) => {
                remote.answer(request_id, decision);
                Ok(item)
            }
            // One instance, and the prompt is not here: the turn that asked is gone.
            None => {
                self.store
                    .expire_chat_permission_requests(item.chat_id)
                    .await?;
                crate::agent_chats::publish_inbox_count(self).await;
                Err(RuntimeError::PromptClosed {
                    id: request_id.to_owned(),
                    state: "expired",
                })
            }
        }
    }
}
