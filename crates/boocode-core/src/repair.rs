//! History repair: the one pure step every history passes through before a model request.
//!
//! An interrupted turn (a cancel, a crash, a dead backend) can leave a history no model endpoint
//! accepts: tool calls without results, empty assistant messages, failed rows. [`repair_history`]
//! turns any stored history into one that is valid to send, without touching what is stored.

use crate::domain::{Message, MessageKind, MessageStatus, Part, Role};
use std::collections::HashSet;

/// Content of the synthetic result given to a tool call that never got one.
pub const ABORTED_RESULT: &str =
    "aborted: this tool call did not complete (the turn was interrupted before it returned)";

/// Returns a copy of `history` that is safe to send to a model:
///
/// - failed messages and sentinel messages are dropped;
/// - empty text and reasoning parts are dropped, then messages left empty are dropped;
/// - standalone tool-role results are folded into the assistant message that made the calls;
/// - every tool call gets a result: a synthetic, error-flagged [`ABORTED_RESULT`] is inserted
///   right after its step when none exists; results with no matching call, and second results
///   for one call, are dropped;
/// - consecutive messages of the same role are merged into one.
pub fn repair_history(history: &[Message]) -> Vec<Message> {
    let mut folded: Vec<Message> = Vec::with_capacity(history.len());
    for message in history {
        if message.status == MessageStatus::Failed || message.kind == MessageKind::Sentinel {
            continue;
        }
        if message.role == Role::Tool {
            // Fold tool results into the preceding assistant message, if there is one.
            if let Some(prev) = folded.last_mut().filter(|m| m.role == Role::Assistant) {
                prev.parts.extend(message.parts.iter().cloned());
            }
            continue;
        }
        match folded.last_mut() {
            Some(prev) if prev.role == message.role && prev.kind == message.kind => {
                merge_into(prev, message);
            }
            _ => folded.push(message.clone()),
        }
    }

    let mut out = Vec::with_capacity(folded.len());
    for mut message in folded {
        message.parts = repair_parts(std::mem::take(&mut message.parts), message.role);
        if message.parts.is_empty() {
            continue;
        }
        match out.last_mut() {
            // Dropping an empty message can leave two of one role side by side.
            Some(prev) if same_run(prev, &message) => merge_into(prev, &message),
            _ => out.push(message),
        }
    }
    out
}

fn same_run(a: &Message, b: &Message) -> bool {
    a.role == b.role && a.kind == b.kind
}

fn merge_into(prev: &mut Message, next: &Message) {
    if prev.role == Role::User
        && let ([Part::Text { text: b }], Some(Part::Text { text: a })) =
            (next.parts.as_slice(), prev.parts.last_mut())
    {
        // Two user texts read best as one, separated by a blank line.
        a.push_str("\n\n");
        a.push_str(b);
        return;
    }
    prev.parts.extend(next.parts.iter().cloned());
}

fn repair_parts(parts: Vec<Part>, role: Role) -> Vec<Part> {
    // Permissions and notices are for people: a model never sees them.
    let parts: Vec<Part> = parts.into_iter().filter(|p| !p.is_annotation()).collect();
    if role != Role::Assistant {
        // Only assistant messages may carry tool calls and their results.
        return parts
            .into_iter()
            .filter(|p| matches!(p, Part::Text { .. } | Part::Reasoning { .. }) && !p.is_empty())
            .collect();
    }
    let mut out = Vec::with_capacity(parts.len());
    // Calls of the current step still waiting for a result, in call order.
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut answered: HashSet<String> = HashSet::new();
    // Whether a result has been seen since the last call (the step's tool phase has begun).
    let mut in_results = false;
    for part in parts {
        match part {
            Part::ToolCall {
                ref id, ref name, ..
            } => {
                if in_results {
                    close_step(&mut out, &mut pending);
                    in_results = false;
                }
                if answered.contains(id) || pending.iter().any(|(p, _)| p == id) {
                    // A duplicate call id cannot be answered unambiguously; drop the repeat.
                    continue;
                }
                pending.push((id.clone(), name.clone()));
                out.push(part);
            }
            Part::ToolResult { ref call_id, .. } => {
                if let Some(pos) = pending.iter().position(|(id, _)| id == call_id) {
                    pending.remove(pos);
                    answered.insert(call_id.clone());
                    out.push(part);
                    in_results = true;
                }
                // Otherwise an orphan or a second answer: dropped.
            }
            Part::Permission { .. }
            | Part::Notice { .. }
            | Part::Plan { .. }
            | Part::Terminal { .. } => {}
            Part::Text { .. } | Part::Reasoning { .. } => {
                if part.is_empty() {
                    continue;
                }
                close_step(&mut out, &mut pending);
                in_results = false;
                out.push(part);
            }
        }
    }
    close_step(&mut out, &mut pending);
    out
}

/// Gives every call still pending a synthetic aborted result.
fn close_step(out: &mut Vec<Part>, pending: &mut Vec<(String, String)>) {
    for (call_id, name) in pending.drain(..) {
        out.push(Part::ToolResult {
            call_id,
            name,
            content: ABORTED_RESULT.to_owned(),
            is_error: true,
            duration_ms: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str) -> Part {
        Part::ToolCall {
            id: id.into(),
            name: "grep".into(),
            arguments: "{}".into(),
        }
    }

    fn result(id: &str) -> Part {
        Part::ToolResult {
            call_id: id.into(),
            name: "grep".into(),
            content: format!("out {id}"),
            is_error: false,
            duration_ms: Some(1),
        }
    }

    fn assistant(status: MessageStatus, parts: Vec<Part>) -> Message {
        Message::new(Role::Assistant, status, parts)
    }

    fn shape(history: &[Message]) -> Vec<String> {
        history
            .iter()
            .map(|m| {
                let parts: Vec<String> = m
                    .parts
                    .iter()
                    .map(|p| match p {
                        Part::Text { text } => format!("text:{text}"),
                        Part::Reasoning { text } => format!("think:{text}"),
                        Part::ToolCall { id, .. } => format!("call:{id}"),
                        Part::Permission { .. }
                        | Part::Notice { .. }
                        | Part::Plan { .. }
                        | Part::Terminal { .. } => "note".into(),
                        Part::ToolResult {
                            call_id, content, ..
                        } => {
                            if content == ABORTED_RESULT {
                                format!("aborted:{call_id}")
                            } else {
                                format!("result:{call_id}")
                            }
                        }
                    })
                    .collect();
                format!("{}[{}]", m.role.as_str(), parts.join(" "))
            })
            .collect()
    }

    #[test]
    fn a_valid_history_passes_through_unchanged() {
        let history = vec![
            Message::user("hi"),
            assistant(
                MessageStatus::Complete,
                vec![
                    Part::text("looking"),
                    call("a"),
                    result("a"),
                    Part::text("done"),
                ],
            ),
            Message::user("thanks"),
        ];
        assert_eq!(repair_history(&history), history);
    }

    #[test]
    fn a_cancelled_turn_gets_aborted_results_after_its_step() {
        let history = vec![
            Message::user("hi"),
            assistant(
                MessageStatus::Cancelled,
                vec![
                    call("a"),
                    call("b"),
                    result("a"),
                    Part::text("next step"),
                    call("c"),
                ],
            ),
            Message::user("again"),
        ];
        assert_eq!(
            shape(&repair_history(&history)),
            vec![
                "user[text:hi]",
                "assistant[call:a call:b result:a aborted:b text:next step call:c aborted:c]",
                "user[text:again]",
            ]
        );
    }

    #[test]
    fn failed_sentinel_and_empty_rows_are_dropped_and_runs_merged() {
        let mut sentinel = Message::assistant("stopped: step cap");
        sentinel.kind = MessageKind::Sentinel;
        let history = vec![
            Message::user("one"),
            assistant(MessageStatus::Failed, vec![Part::text("half an answ")]),
            Message::user("two"),
            assistant(
                MessageStatus::Complete,
                vec![
                    Part::text(" "),
                    Part::Reasoning {
                        text: String::new(),
                    },
                ],
            ),
            Message::user("three"),
            assistant(MessageStatus::Complete, vec![Part::text("ok")]),
            sentinel,
        ];
        assert_eq!(
            shape(&repair_history(&history)),
            vec!["user[text:one\n\ntwo\n\nthree]", "assistant[text:ok]"]
        );
    }

    #[test]
    fn orphan_and_duplicate_results_are_dropped() {
        let history = vec![
            Message::user("hi"),
            assistant(
                MessageStatus::Complete,
                vec![result("ghost"), call("a"), result("a"), result("a")],
            ),
        ];
        assert_eq!(
            shape(&repair_history(&history)),
            vec!["user[text:hi]", "assistant[call:a result:a]"]
        );
    }

    #[test]
    fn standalone_tool_messages_fold_into_the_calling_assistant_message() {
        let history = vec![
            Message::user("hi"),
            assistant(MessageStatus::Complete, vec![call("a"), call("b")]),
            Message::new(Role::Tool, MessageStatus::Complete, vec![result("b")]),
            Message::new(Role::Tool, MessageStatus::Complete, vec![result("zzz")]),
        ];
        assert_eq!(
            shape(&repair_history(&history)),
            vec![
                "user[text:hi]",
                "assistant[call:a call:b result:b aborted:a]"
            ]
        );
        // A tool message with no assistant before it is dropped.
        let lone = vec![Message::new(
            Role::Tool,
            MessageStatus::Complete,
            vec![result("a")],
        )];
        assert!(repair_history(&lone).is_empty());
    }

    #[test]
    fn a_crashed_streaming_row_keeps_its_text_and_gets_results() {
        let history = vec![
            Message::user("hi"),
            assistant(
                MessageStatus::Streaming,
                vec![Part::text("partial"), call("x")],
            ),
        ];
        assert_eq!(
            shape(&repair_history(&history)),
            vec!["user[text:hi]", "assistant[text:partial call:x aborted:x]"]
        );
    }

    #[test]
    fn repair_is_idempotent() {
        let history = vec![
            Message::user("a"),
            Message::user("b"),
            assistant(
                MessageStatus::Cancelled,
                vec![call("1"), Part::text("t"), call("2")],
            ),
            Message::new(Role::Tool, MessageStatus::Complete, vec![result("2")]),
        ];
        let once = repair_history(&history);
        assert_eq!(repair_history(&once), once);
    }
}
