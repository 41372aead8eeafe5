//! Permission prompts: each is an outbound request parked on its own oneshot, keyed by request
//! id, so a reply can only ever reach the prompt it answers. "Allow for this session" is
//! remembered per tool and argument pattern; cancelling clears every prompt still waiting.

use crate::review::Reviewer;
use boocode_core::{AgentEvent, EventSink, NoticeLevel, PermissionDecision};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::oneshot;

/// Why a permission answer was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermissionError {
    /// No prompt with that id is waiting (answered already, cancelled, or never asked).
    #[error("no permission prompt {0} is waiting")]
    Unknown(String),
}

/// What a tool call looks like to the permission rules: the tool and a pattern of its
/// arguments (for a shell tool, the command's first word; for a file tool, the path's
/// directory), so an equivalent call does not ask again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallPattern {
    /// The tool.
    pub tool: String,
    /// The pattern of its arguments.
    pub pattern: String,
}

impl CallPattern {
    /// The pattern of a call: a `command` argument's first word, else a path's parent
    /// directory, else the tool alone.
    pub fn of(tool: &str, arguments: &serde_json::Value) -> Self {
        let pattern = if let Some(cmd) = arguments.get("command").and_then(|c| c.as_str()) {
            cmd.split_whitespace().next().unwrap_or("").to_owned()
        } else if let Some(path) = ["path", "file_path", "filePath"]
            .iter()
            .find_map(|k| arguments.get(*k).and_then(|p| p.as_str()))
        {
            std::path::Path::new(path)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Self {
            tool: tool.to_owned(),
            pattern,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// The prompts of one agent session.
#[derive(Debug, Default)]
pub struct Permissions {
    waiting: Mutex<HashMap<String, oneshot::Sender<PermissionDecision>>>,
    allowed: Mutex<HashSet<CallPattern>>,
    reviewer: Option<Reviewer>,
}

/// The answer a backend acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Do not run the call: a [`Reviewer`] took the write into the change queue (or explained
    /// why it could not). The text is for the agent.
    Queued(String),
    /// Run the call.
    Allow,
    /// Refuse the call; the turn goes on.
    Deny,
    /// Refuse the call and stop the turn.
    DenyAndStop,
}

impl Permissions {
    /// An empty set of prompts and rules.
    pub fn new() -> Self {
        Self::default()
    }

    /// Prompts whose calls are file writes go to `reviewer` instead of the user.
    pub fn with_reviewer(reviewer: Option<Reviewer>) -> Self {
        Self {
            reviewer,
            ..Self::default()
        }
    }

    /// Asks the user about a call, unless an earlier "allow for this session" covers it. Emits
    /// `permission_requested` and waits for [`answer`](Self::answer); a cancelled prompt denies.
    pub async fn ask(
        &self,
        sink: &dyn EventSink,
        call_id: Option<String>,
        tool: &str,
        arguments: &serde_json::Value,
        summary: String,
    ) -> Verdict {
        if let Some(reviewer) = &self.reviewer
            && let Some(outcome) = reviewer.0.review(tool, arguments).await
        {
            let (level, message) = match &outcome {
                Ok(_) => (
                    NoticeLevel::Info,
                    format!("{tool}: the write was queued for review"),
                ),
                Err(e) => (NoticeLevel::Warning, format!("{tool}: {e}")),
            };
            sink.emit(AgentEvent::Notice { level, message });
            return Verdict::Queued(outcome.unwrap_or_else(|e| e));
        }
        let pattern = CallPattern::of(tool, arguments);
        if lock(&self.allowed).contains(&pattern) {
            return Verdict::Allow;
        }
        let request_id = format!("perm_{}", uuid::Uuid::new_v4().simple());
        let (tx, rx) = oneshot::channel();
        lock(&self.waiting).insert(request_id.clone(), tx);
        sink.emit(AgentEvent::PermissionRequested {
            request_id: request_id.clone(),
            call_id,
            tool: tool.to_owned(),
            summary,
            options: vec![
                PermissionDecision::AllowOnce,
                PermissionDecision::AllowSession,
                PermissionDecision::Deny,
                PermissionDecision::DenyAndStop,
            ],
        });
        let decision = rx.await.unwrap_or(PermissionDecision::Deny);
        sink.emit(AgentEvent::PermissionResolved {
            request_id,
            decision,
        });
        match decision {
            PermissionDecision::AllowOnce => Verdict::Allow,
            PermissionDecision::AllowSession => {
                lock(&self.allowed).insert(pattern);
                Verdict::Allow
            }
            PermissionDecision::Deny => Verdict::Deny,
            PermissionDecision::DenyAndStop => Verdict::DenyAndStop,
        }
    }

    /// Answers one waiting prompt.
    pub fn answer(
        &self,
        request_id: &str,
        decision: PermissionDecision,
    ) -> Result<(), PermissionError> {
        let tx = lock(&self.waiting)
            .remove(request_id)
            .ok_or_else(|| PermissionError::Unknown(request_id.to_owned()))?;
        tx.send(decision)
            .map_err(|_| PermissionError::Unknown(request_id.to_owned()))
    }

    /// The ids of the prompts still waiting.
    pub fn waiting(&self) -> Vec<String> {
        lock(&self.waiting).keys().cloned().collect()
    }

    /// Denies every prompt still waiting (a cancel must not leave any behind).
    pub fn cancel_all(&self) {
        let waiting: Vec<_> = lock(&self.waiting).drain().collect();
        for (_, tx) in waiting {
            let _ = tx.send(PermissionDecision::Deny);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use boocode_core::CollectSink;
    use serde_json::json;
    use std::sync::Arc;

    fn request_ids(sink: &CollectSink) -> Vec<String> {
        sink.events()
            .into_iter()
            .filter_map(|e| match e {
                AgentEvent::PermissionRequested { request_id, .. } => Some(request_id),
                _ => None,
            })
            .collect()
    }

    fn id_for(sink: &CollectSink, wanted: &str) -> String {
        sink.events()
            .into_iter()
            .find_map(|e| match e {
                AgentEvent::PermissionRequested {
                    request_id, tool, ..
                } if tool == wanted => Some(request_id),
                _ => None,
            })
            .unwrap()
    }

    #[tokio::test]
    async fn each_answer_reaches_only_its_own_prompt() {
        let perms = Arc::new(Permissions::new());
        let sink = Arc::new(CollectSink::new());
        let (p1, s1) = (perms.clone(), sink.clone());
        let bash = tokio::spawn(async move {
            p1.ask(
                s1.as_ref(),
                None,
                "Bash",
                &json!({"command": "rm -rf x"}),
                "rm".into(),
            )
            .await
        });
        let (p2, s2) = (perms.clone(), sink.clone());
        let write = tokio::spawn(async move {
            p2.ask(
                s2.as_ref(),
                None,
                "Write",
                &json!({"path": "src/a.rs"}),
                "write".into(),
            )
            .await
        });
        while perms.waiting().len() < 2 {
            tokio::task::yield_now().await;
        }
        // Answer the later prompt first: each reply reaches its own prompt only.
        let (write_id, bash_id) = (id_for(&sink, "Write"), id_for(&sink, "Bash"));
        perms.answer(&write_id, PermissionDecision::Deny).unwrap();
        perms
            .answer(&bash_id, PermissionDecision::AllowOnce)
            .unwrap();
        assert_eq!(
            (bash.await.unwrap(), write.await.unwrap()),
            (Verdict::Allow, Verdict::Deny)
        );
        assert_eq!(
            perms.answer(&bash_id, PermissionDecision::Deny),
            Err(PermissionError::Unknown(bash_id.clone()))
        );
        assert_eq!(request_ids(&sink).len(), 2);
    }

    #[tokio::test]
    async fn allow_for_the_session_covers_equivalent_calls_only() {
        let perms = Arc::new(Permissions::new());
        let sink = Arc::new(CollectSink::new());
        let (p, s) = (perms.clone(), sink.clone());
        let first = tokio::spawn(async move {
            p.ask(
                s.as_ref(),
                None,
                "Bash",
                &json!({"command": "cargo test -p x"}),
                "".into(),
            )
            .await
        });
        while perms.waiting().is_empty() {
            tokio::task::yield_now().await;
        }
        perms
            .answer(&request_ids(&sink)[0], PermissionDecision::AllowSession)
            .unwrap();
        assert_eq!(first.await.unwrap(), Verdict::Allow);
        // Same tool, same first word: no prompt.
        assert_eq!(
            perms
                .ask(
                    sink.as_ref(),
                    None,
                    "Bash",
                    &json!({"command": "cargo build"}),
                    "".into()
                )
                .await,
            Verdict::Allow
        );
        assert_eq!(request_ids(&sink).len(), 1);
        // Another command asks again.
        let (p, s) = (perms.clone(), sink.clone());
        let other = tokio::spawn(async move {
            p.ask(
                s.as_ref(),
                None,
                "Bash",
                &json!({"command": "rm -rf /"}),
                "".into(),
            )
            .await
        });
        while perms.waiting().is_empty() {
            tokio::task::yield_now().await;
        }
        perms.cancel_all();
        assert_eq!(
            other.await.unwrap(),
            Verdict::Deny,
            "a cancel denies what was waiting"
        );
        assert!(perms.waiting().is_empty());
    }
}
