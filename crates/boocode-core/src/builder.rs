//! [`MessageBuilder`]: folds a turn's events into the assistant message they describe.
//!
//! The server keeps one per running turn (for snapshots and 250 ms flushes); a front-end's
//! reducer does the same in TypeScript. It is the inverse of what the loop emits: text and
//! reasoning deltas grow the last part of their kind, tool calls append parts, results follow.

use crate::domain::{Message, Part};
use crate::event::AgentEvent;

/// Builds a message from events, remembering which parts changed since the last flush.
#[derive(Debug, Clone)]
pub struct MessageBuilder {
    message: Message,
    /// The lowest part index changed since [`take_dirty`](Self::take_dirty).
    dirty_from: Option<usize>,
}

impl MessageBuilder {
    /// Starts from `message` (usually an empty streaming assistant row).
    pub fn new(message: Message) -> Self {
        Self {
            message,
            dirty_from: None,
        }
    }

    /// The message so far.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// Consumes the builder.
    pub fn into_message(self) -> Message {
        self.message
    }

    fn mark(&mut self, index: usize) {
        self.dirty_from = Some(self.dirty_from.map_or(index, |d| d.min(index)));
    }

    /// Folds one event in. Events that do not change the message are ignored.
    pub fn apply(&mut self, event: &AgentEvent) {
        match event {
            AgentEvent::TextDelta { text } => self.grow(text, false),
            AgentEvent::ReasoningDelta { text } => self.grow(text, true),
            AgentEvent::ToolCallStarted { call_id, name } => {
                self.message.parts.push(Part::ToolCall {
                    id: call_id.clone(),
                    name: name.clone(),
                    arguments: String::new(),
                });
                self.mark(self.message.parts.len() - 1);
            }
            AgentEvent::ToolCallArgsDelta { call_id, delta } => {
                if let Some((index, Part::ToolCall { arguments, .. })) = self.find_call(call_id) {
                    arguments.push_str(delta);
                    self.mark(index);
                }
            }
            AgentEvent::ToolCallReady {
                call_id,
                name,
                arguments,
            } => match self.find_call(call_id) {
                Some((index, Part::ToolCall { arguments: a, .. })) => {
                    if a != arguments {
                        a.clone_from(arguments);
                        self.mark(index);
                    }
                }
                _ => {
                    self.message.parts.push(Part::ToolCall {
                        id: call_id.clone(),
                        name: name.clone(),
                        arguments: arguments.clone(),
                    });
                    self.mark(self.message.parts.len() - 1);
                }
            },
            AgentEvent::ToolCallFinished {
                call_id,
                name,
                output,
                is_error,
                duration_ms,
                ..
            } => {
                self.message.parts.push(Part::ToolResult {
                    call_id: call_id.clone(),
                    name: name.clone(),
                    content: output.clone(),
                    is_error: *is_error,
                    duration_ms: Some(*duration_ms),
                });
                self.mark(self.message.parts.len() - 1);
            }
            AgentEvent::TurnFinished { usage, .. } => self.message.usage = Some(*usage),
            AgentEvent::PermissionRequested {
                request_id,
                tool,
                summary,
                ..
            } => {
                self.message.parts.push(Part::Permission {
                    request_id: request_id.clone(),
                    tool: tool.clone(),
                    summary: summary.clone(),
                    decision: None,
                });
                self.mark(self.message.parts.len() - 1);
            }
            AgentEvent::PermissionResolved {
                request_id,
                decision,
            } => {
                let found = self.message.parts.iter().rposition(
                    |p| matches!(p, Part::Permission { request_id: r, .. } if r == request_id),
                );
                if let Some(index) = found {
                    if let Some(Part::Permission { decision: d, .. }) =
                        self.message.parts.get_mut(index)
                    {
                        *d = Some(*decision);
                    }
                    self.mark(index);
                }
            }
            AgentEvent::Notice { level, message } => {
                self.message.parts.push(Part::Notice {
                    level: *level,
                    message: message.clone(),
                });
                self.mark(self.message.parts.len() - 1);
            }
            _ => {}
        }
    }

    fn find_call(&mut self, call_id: &str) -> Option<(usize, &mut Part)> {
        self.message
            .parts
            .iter_mut()
            .enumerate()
            .rev()
            .find(|(_, p)| matches!(p, Part::ToolCall { id, .. } if id == call_id))
    }

    fn grow(&mut self, delta: &str, reasoning: bool) {
        let last = self.message.parts.len().checked_sub(1);
        match (last, self.message.parts.last_mut()) {
            (Some(i), Some(Part::Text { text })) if !reasoning => {
                text.push_str(delta);
                self.mark(i);
            }
            (Some(i), Some(Part::Reasoning { text })) if reasoning => {
                text.push_str(delta);
                self.mark(i);
            }
            _ => {
                let text = delta.to_owned();
                self.message.parts.push(if reasoning {
                    Part::Reasoning { text }
                } else {
                    Part::Text { text }
                });
                self.mark(self.message.parts.len() - 1);
            }
        }
    }

    /// The parts changed since the last call, as `(first index, parts from there)`; `None` when
    /// nothing changed. What a periodic flush writes.
    pub fn take_dirty(&mut self) -> Option<(usize, Vec<Part>)> {
        let from = self.dirty_from.take()?;
        Some((
            from,
            self.message.parts[from.min(self.message.parts.len())..].to_vec(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{MessageStatus, Role};

    #[test]
    fn events_fold_into_parts_and_dirty_tails_are_reported() {
        let mut b = MessageBuilder::new(Message::new(
            Role::Assistant,
            MessageStatus::Streaming,
            vec![],
        ));
        b.apply(&AgentEvent::ReasoningDelta {
            text: "think".into(),
        });
        b.apply(&AgentEvent::ReasoningDelta { text: "ing".into() });
        b.apply(&AgentEvent::TextDelta {
            text: "Look".into(),
        });
        assert_eq!(b.take_dirty().map(|(i, p)| (i, p.len())), Some((0, 2)));
        assert_eq!(b.take_dirty(), None);
        b.apply(&AgentEvent::TextDelta {
            text: "ing.".into(),
        });
        b.apply(&AgentEvent::ToolCallStarted {
            call_id: "c".into(),
            name: "grep".into(),
        });
        b.apply(&AgentEvent::ToolCallArgsDelta {
            call_id: "c".into(),
            delta: "{\"a\"".into(),
        });
        b.apply(&AgentEvent::ToolCallArgsDelta {
            call_id: "c".into(),
            delta: ":1}".into(),
        });
        b.apply(&AgentEvent::ToolCallReady {
            call_id: "c".into(),
            name: "grep".into(),
            arguments: "{\"a\":1}".into(),
        });
        b.apply(&AgentEvent::ToolCallFinished {
            call_id: "c".into(),
            name: "grep".into(),
            output: "hit".into(),
            is_error: false,
            duration_ms: 4,
            output_bytes: 3,
        });
        let (from, tail) = b.take_dirty().unwrap();
        assert_eq!(from, 1);
        assert_eq!(tail.len(), 3);
        assert_eq!(
            b.message().parts,
            vec![
                Part::Reasoning {
                    text: "thinking".into()
                },
                Part::text("Looking."),
                Part::ToolCall {
                    id: "c".into(),
                    name: "grep".into(),
                    arguments: "{\"a\":1}".into()
                },
                Part::ToolResult {
                    call_id: "c".into(),
                    name: "grep".into(),
                    content: "hit".into(),
                    is_error: false,
                    duration_ms: Some(4)
                },
            ]
        );
    }
}
