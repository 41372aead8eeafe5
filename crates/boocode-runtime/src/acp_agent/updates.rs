//! How BooCode's [`AgentEvent`]s and stored messages read as ACP `session/update`s.

use agent_client_protocol::v1::schema::{
    ContentBlock, ContentChunk, Diff, Plan, PlanEntry, PlanEntryPriority, PlanEntryStatus,
    SessionUpdate, TextContent, ToolCall, ToolCallContent, ToolCallStatus, ToolCallUpdate,
    ToolCallUpdateFields, ToolKind, UsageUpdate,
};
use boocode_core::{AgentEvent, Message, Part, PendingChange, Role};
use serde_json::Value;

/// Tool output sent to the client is cut to this many bytes (the model saw it whole).
const MAX_TOOL_OUTPUT: usize = 16 * 1024;

fn text(s: impl Into<String>) -> ContentChunk {
    ContentChunk::new(ContentBlock::Text(TextContent::new(s)))
}

/// What kind of thing a BooCode tool does, for the client's icon.
fn kind_of(tool: &str) -> ToolKind {
    match tool {
        "view_file" | "list_dir" | "view_truncated_output" | "skill" => ToolKind::Read,
        "grep" | "find_files" | "web_search" => ToolKind::Search,
        "create_file" | "edit_file" => ToolKind::Edit,
        "delete_file" => ToolKind::Delete,
        "web_fetch" => ToolKind::Fetch,
        "delegate" => ToolKind::Think,
        _ => ToolKind::Other,
    }
}

/// A short title: the tool and what it works on (`view_file src/main.rs`).
fn title_of(tool: &str, arguments: &str) -> String {
    let args: Value = serde_json::from_str(arguments).unwrap_or(Value::Null);
    let subject = ["path", "pattern", "query", "url", "name", "prompt"]
        .iter()
        .find_map(|k| args.get(k).and_then(Value::as_str));
    match subject {
        Some(s) => {
            let s: String = s.chars().take(120).collect();
            format!("{tool} {s}")
        }
        None => tool.to_owned(),
    }
}

fn clip(output: &str) -> String {
    if output.len() <= MAX_TOOL_OUTPUT {
        return output.to_owned();
    }
    let mut end = MAX_TOOL_OUTPUT;
    while !output.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n… ({} more bytes)", &output[..end], output.len() - end)
}

/// The `tool_call` that announces a call about to run.
pub(super) fn tool_call(call_id: &str, name: &str, arguments: &str) -> SessionUpdate {
    let raw = serde_json::from_str::<Value>(arguments).ok();
    SessionUpdate::ToolCall(
        ToolCall::new(call_id.to_owned(), title_of(name, arguments))
            .kind(kind_of(name))
            .status(ToolCallStatus::InProgress)
            .raw_input(raw),
    )
}

/// The `tool_call_update` that reports a call's result.
pub(super) fn tool_result(call_id: &str, output: &str, is_error: bool) -> SessionUpdate {
    let status = if is_error {
        ToolCallStatus::Failed
    } else {
        ToolCallStatus::Completed
    };
    tool_result_with(call_id, Vec::new(), output, Some(status))
}

/// The same, after `shown` (the diffs of the edits the call proposed), which the update's
/// content would otherwise replace; with no status while the edits wait for the client.
pub(super) fn tool_result_with(
    call_id: &str,
    mut shown: Vec<ToolCallContent>,
    output: &str,
    status: Option<ToolCallStatus>,
) -> SessionUpdate {
    shown.push(ToolCallContent::from(ContentBlock::Text(TextContent::new(
        clip(output),
    ))));
    SessionUpdate::ToolCallUpdate(ToolCallUpdate::new(
        call_id.to_owned(),
        ToolCallUpdateFields::new().status(status).content(shown),
    ))
}

/// The diff of a proposed change, as ACP tool-call content (with the absolute path ACP uses).
pub(super) fn diff_of(change: &PendingChange, root: &std::path::Path) -> ToolCallContent {
    let new_text = change
        .proposed_content
        .as_deref()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let old_text = change
        .base_content
        .as_deref()
        .map(|b| String::from_utf8_lossy(b).into_owned());
    ToolCallContent::Diff(Diff::new(root.join(&change.path), new_text).old_text(old_text))
}

/// The update for one live event, if the client has a use for it.
pub(super) fn of_event(event: &AgentEvent) -> Option<SessionUpdate> {
    Some(match event {
        AgentEvent::TextDelta { text: t } => SessionUpdate::AgentMessageChunk(text(t.clone())),
        AgentEvent::ReasoningDelta { text: t } => SessionUpdate::AgentThoughtChunk(text(t.clone())),
        AgentEvent::ToolCallReady {
            call_id,
            name,
            arguments,
        } => tool_call(call_id, name, arguments),
        AgentEvent::ToolCallFinished {
            call_id,
            output,
            is_error,
            ..
        } => tool_result(call_id, output, *is_error),
        AgentEvent::Plan { entries } => SessionUpdate::Plan(Plan::new(
            entries
                .iter()
                .map(|e| {
                    let status = match e.status.as_str() {
                        "completed" => PlanEntryStatus::Completed,
                        "in_progress" => PlanEntryStatus::InProgress,
                        _ => PlanEntryStatus::Pending,
                    };
                    PlanEntry::new(e.content.clone(), PlanEntryPriority::Medium, status)
                })
                .collect(),
        )),
        AgentEvent::Usage { usage } => {
            SessionUpdate::UsageUpdate(UsageUpdate::new(usage.ctx_used, usage.ctx_max?))
        }
        _ => return None,
    })
}

/// A stored message replayed as the updates that would have shown it (for `session/load`).
pub(super) fn of_message(message: &Message) -> Vec<SessionUpdate> {
    let mut out = Vec::new();
    let mut calls: Vec<(String, String, String)> = Vec::new();
    for part in &message.parts {
        match (message.role, part) {
            (Role::User, Part::Text { text: t }) => {
                out.push(SessionUpdate::UserMessageChunk(text(t.clone())));
            }
            (Role::Assistant, Part::Text { text: t }) => {
                out.push(SessionUpdate::AgentMessageChunk(text(t.clone())));
            }
            (Role::Assistant, Part::Reasoning { text: t }) => {
                out.push(SessionUpdate::AgentThoughtChunk(text(t.clone())));
            }
            (
                Role::Assistant,
                Part::ToolCall {
                    id,
                    name,
                    arguments,
                },
            ) => calls.push((id.clone(), name.clone(), arguments.clone())),
            (
                Role::Assistant | Role::Tool,
                Part::ToolResult {
                    call_id,
                    content,
                    is_error,
                    ..
                },
            ) => {
                if let Some(at) = calls.iter().position(|(id, _, _)| id == call_id) {
                    let (id, name, arguments) = calls.remove(at);
                    out.push(tool_call(&id, &name, &arguments));
                }
                out.push(tool_result(call_id, content, *is_error));
            }
            _ => {}
        }
    }
    // Calls that never got a result (a turn cut short).
    for (id, name, arguments) in calls {
        out.push(tool_call(&id, &name, &arguments));
        out.push(SessionUpdate::ToolCallUpdate(ToolCallUpdate::new(
            id,
            ToolCallUpdateFields::new().status(ToolCallStatus::Failed),
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_name_the_subject_and_long_output_is_clipped() {
        assert_eq!(
            title_of("view_file", r#"{"path":"src/main.rs"}"#),
            "view_file src/main.rs"
        );
        assert_eq!(title_of("list_dir", "not json"), "list_dir");
        let long = "é".repeat(MAX_TOOL_OUTPUT);
        let clipped = clip(&long);
        assert!(clipped.len() < long.len());
        assert!(clipped.ends_with("more bytes)"));
    }

    #[test]
    fn a_call_cut_short_is_replayed_as_failed() {
        let message = Message::new(
            Role::Assistant,
            boocode_core::MessageStatus::Failed,
            vec![Part::ToolCall {
                id: "c1".into(),
                name: "grep".into(),
                arguments: r#"{"pattern":"x"}"#.into(),
            }],
        );
        let updates = of_message(&message);
        let json = serde_json::to_value(&updates).unwrap();
        assert_eq!(json[0]["sessionUpdate"], "tool_call");
        assert_eq!(json[0]["kind"], "search");
        assert_eq!(json[1]["status"], "failed");
    }
}
