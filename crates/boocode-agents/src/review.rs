//! Review mode for external agents: their file writes become pending changes.
//!
//! Claude Code, claude-agent-acp and opencode write files with their own tools, after asking
//! permission. With a [`Reviewer`] on the session, a permission request whose arguments are a
//! file write (`file_path`/`filePath`/`path` with `content`, `old_string`/`new_string` or
//! `oldString`/`newString`, or an `edits` list) is never put to the user: the write is proposed
//! into the pending-changes queue through BooCode's own write tools (same guards, same diffs,
//! stacking on earlier proposals), and the agent is told no, with the reason, so the file on
//! disk is untouched until a human applies the change.

use boocode_core::{ChangeQueue, ChangeScope, ToolContext, ToolSet};
use boocode_tools::{ToolEnv, WriteMode, write_tools};
use serde_json::{Value, json};
use std::sync::Arc;

/// Decides, before the user is asked, whether a tool call is a file write to be queued.
#[async_trait::async_trait]
pub trait WriteReview: Send + Sync {
    /// `None`: not a write, ask as usual. `Some(Ok(text))`: queued; `text` tells the agent
    /// what happened. `Some(Err(text))`: a write that could not be proposed (a refused path,
    /// an edit that does not match); `text` says why. Either way the agent's own write is
    /// refused.
    async fn review(&self, tool: &str, arguments: &Value) -> Option<Result<String, String>>;
}

/// A session's write reviewer (a cheap handle).
#[derive(Clone)]
pub struct Reviewer(pub Arc<dyn WriteReview>);

impl std::fmt::Debug for Reviewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reviewer")
    }
}

/// Queues an agent's writes through BooCode's write tools.
pub struct QueueReview {
    tools: ToolSet,
    /// When set, every other permission prompt is refused with this reason instead of being
    /// put to a user (for callers that have nobody to ask).
    refuse_others: Option<String>,
}

impl QueueReview {
    /// Writes proposed in `scope` of `queue`, under `env`'s guards. In
    /// [`WriteMode::AutoApply`] they are applied at once (and can still be rewound).
    pub fn new(
        env: Arc<ToolEnv>,
        queue: Arc<dyn ChangeQueue>,
        scope: ChangeScope,
        mode: WriteMode,
    ) -> Self {
        Self {
            tools: write_tools(env, queue, scope, mode),
            refuse_others: None,
        }
    }

    /// Refuses every prompt that is not a file write, with `reason`, instead of asking: for
    /// callers with nobody to answer (an MCP tool call).
    pub fn refusing_others(mut self, reason: impl Into<String>) -> Self {
        self.refuse_others = Some(reason.into());
        self
    }

    /// As a session's [`Reviewer`].
    pub fn into_reviewer(self) -> Reviewer {
        Reviewer(Arc::new(self))
    }

    async fn call(&self, tool: &str, args: Value) -> Result<String, String> {
        let Some(t) = self.tools.get(tool) else {
            return Err(format!("no {tool} tool"));
        };
        let ctx = ToolContext::new("review");
        t.execute(args, &ctx)
            .await
            .map(|o| o.content)
            .map_err(|e| e.to_string())
    }
}

/// A read-only session's reviewer (`ask` mode): every file write is refused before the user is
/// asked, with the reason for the agent; other prompts (a shell command) are asked as usual.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefuseWrites;

impl RefuseWrites {
    /// As a session's reviewer.
    pub fn into_reviewer(self) -> Reviewer {
        Reviewer(Arc::new(self))
    }
}

#[async_trait::async_trait]
impl WriteReview for RefuseWrites {
    async fn review(&self, _tool: &str, arguments: &Value) -> Option<Result<String, String>> {
        is_file_write(arguments).then(|| {
            Err(
                "this chat is read-only (ask mode): BooCode refuses file writes; \
                 describe the change instead, or ask the user to switch the chat to review"
                    .to_owned(),
            )
        })
    }
}

const PATH_KEYS: &[&str] = &["file_path", "filePath", "path"];

/// Whether `arguments` look like a file write [`QueueReview`] understands: a path with new
/// content, old and new text, or a list of edits.
pub fn is_file_write(arguments: &Value) -> bool {
    text(arguments, PATH_KEYS).is_some()
        && (arguments.get("edits").is_some_and(Value::is_array)
            || text(arguments, &["content"]).is_some()
            || (text(arguments, &["old_string", "oldString"]).is_some()
                && text(arguments, &["new_string", "newString"]).is_some()))
}

fn text<'a>(args: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| args.get(*k).and_then(Value::as_str))
}

/// One edit in the agent's own argument names, as `edit_file` arguments.
fn edit_args(path: &str, edit: &Value) -> Option<Value> {
    let old = text(edit, &["old_string", "oldString"])?;
    let new = text(edit, &["new_string", "newString"])?;
    let all = ["replace_all", "replaceAll"]
        .iter()
        .find_map(|k| edit.get(*k).and_then(Value::as_bool))
        .unwrap_or(false);
    Some(json!({"path": path, "old_string": old, "new_string": new, "replace_all": all}))
}

#[async_trait::async_trait]
impl WriteReview for QueueReview {
    async fn review(&self, _tool: &str, arguments: &Value) -> Option<Result<String, String>> {
        if !is_file_write(arguments) {
            return self.refuse_others.clone().map(Err);
        }
        let path = text(arguments, PATH_KEYS)?;
        let outcome = if let Some(edits) = arguments.get("edits").and_then(Value::as_array) {
            let mut outputs = Vec::new();
            for edit in edits {
                let Some(args) = edit_args(path, edit) else {
                    return Some(Err("an edit in `edits` has no old and new text".into()));
                };
                match self.call("edit_file", args).await {
                    Ok(out) => outputs.push(out),
                    Err(e) => return Some(Err(e)),
                }
            }
            Ok(outputs.join("\n"))
        } else if let Some(args) = edit_args(path, arguments) {
            self.call("edit_file", args).await
        } else if let Some(content) = text(arguments, &["content"]) {
            self.call(
                "create_file",
                json!({"path": path, "content": content, "overwrite": true}),
            )
            .await
        } else {
            return None;
        };
        Some(match outcome {
            Ok(out) => Ok(format!(
                "BooCode took this write into its change queue instead of letting the tool \
                 write the file; do not retry it. {out}"
            )),
            Err(e) => Err(format!("BooCode could not queue this write: {e}")),
        })
    }
}
