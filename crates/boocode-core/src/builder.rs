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
            // A plan comes whole each time: the turn keeps its latest.
            AgentEvent::Plan { entries } => {
                let found = self
                    .message
                    .parts
                    .iter()
                    .rposition(|p| matches!(p, Part::Plan { .. }));
                match found {
                    Some(index) => {
                        self.message.parts[index] = Part::Plan {
                            entries: entries.clone(),
                        };
                        self.mark(index);
                    }
                    None => {
                        self.message.parts.push(Part::Plan {
                            entries: entries.clone(),
                        });
                        self.mark(self.message.parts.len() - 1);
                    }
                }
            }
            AgentEvent::TerminalOutput { terminal_id, data } => {
                let index = self.terminal(terminal_id);
                if let Some(Part::Terminal {
                    output, truncated, ..
                }) = self.message.parts.get_mut(index)
                {
                    output.push_str(data);
                    if output.len() > crate::domain::TERMINAL_EXCERPT_BYTES {
                        let mut cut = output.len() - crate::domain::TERMINAL_EXCERPT_BYTES;
                        while !output.is_char_boundary(cut) {
                            cut += 1;
                        }
                        output.drain(..cut);
                        *truncated = true;
                    }
                }
                self.mark(index);
            }
            AgentEvent::TerminalScreen {
                terminal_id,
                screen,
            } => {
                let index = self.terminal(terminal_id);
                if let Some(Part::Terminal {
                    output, truncated, ..
                }) = self.message.parts.get_mut(index)
                {
                    output.clear();
                    let mut cut = screen
                        .len()
                        .saturating_sub(crate::domain::TERMINAL_EXCERPT_BYTES);
                    while !screen.is_char_boundary(cut) {
                        cut += 1;
                    }
                    output.push_str(&screen[cut..]);
                    *truncated = cut > 0;
                }
                self.mark(index);
            }
            AgentEvent::TerminalExited {
                terminal_id,
                exit_code,
            } => {
                let index = self.terminal(terminal_id);
                if let Some(Part::Terminal {
                    exit_code: code, ..
                }) = self.message.parts.get_mut(index)
                {
                    *code = *exit_code;
                }
                self.mark(index);
            }
            _ => {}
        }
    }

    /// The index of the terminal's part, added when it is the terminal's first output.
    fn terminal(&mut self, terminal_id: &str) -> usize {
        let found =
            self.message.parts.iter().rposition(
                |p| matches!(p, Part::Terminal { terminal_id: t, .. } if t == terminal_id),
            );
        found.unwrap_or_else(|| {
            self.message.parts.push(Part::Terminal {
                terminal_id: terminal_id.to_owned(),
                output: String::new(),
                truncated: false,
                exit_code: None,
            });
            self.message.parts.len() - 1
        })
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
    #[test]
    fn plans_are_replaced_and_terminals_keep_the_end_of_their_output() {
        use crate::event::PlanEntry;
        let mut b = MessageBuilder::new(crate::Message::assistant(""));
        let step = |s: &str| PlanEntry {
            content: "step".into(),
            status: s.into(),
        };
        b.apply(&AgentEvent::Plan {
            entries: vec![step("pending")],
        });
        b.apply(&AgentEvent::TextDelta { text: "x".into() });
        b.apply(&AgentEvent::Plan {
            entries: vec![step("completed")],
        });
        let plans: Vec<&Part> = b
            .message()
            .parts
            .iter()
            .filter(|p| matches!(p, Part::Plan { .. }))
            .collect();
        assert_eq!(
            plans,
            [&Part::Plan {
                entries: vec![step("completed")]
            }]
        );
        let big = "é".repeat(crate::domain::TERMINAL_EXCERPT_BYTES);
        for data in ["start\n", big.as_str(), "end\n"] {
            b.apply(&AgentEvent::TerminalOutput {
                terminal_id: "t".into(),
                data: data.into(),
            });
        }
        b.apply(&AgentEvent::TerminalExited {
            terminal_id: "t".into(),
            exit_code: Some(3),
        });
        let Some(Part::Terminal {
            output,
            truncated,
            exit_code,
            ..
        }) = b.message().parts.last()
        else {
            panic!("{:?}", b.message().parts);
        };
        assert!(output.len() <= crate::domain::TERMINAL_EXCERPT_BYTES);
        assert!(output.ends_with("éend\n"), "{output:?}");
        assert!(!output.contains("start"));
        assert!(*truncated);
        assert_eq!(*exit_code, Some(3));
    }

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
