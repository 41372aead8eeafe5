//! The turn grammar: the order every backend's [`AgentEvent`]s follow within one turn, and
//! [`check_turn`], which says where a sequence breaks it.
//!
//! A turn is
//!
//! ```text
//! turn      = turn_started body* turn_finished
//! body      = step | tool | permission | terminal | text | reasoning | usage | plan
//!           | backend_session | status | notice
//! step      = step_started(n) … step_finished(n)      n = 1, 2, 3 … ; steps never nest
//! tool      = tool_call_started(id) args_delta(id)* [tool_call_ready(id)] [tool_call_finished(id)]
//! permission= permission_requested(r) … [permission_resolved(r)]
//! terminal  = terminal_output(t)* [terminal_exited(t)]
//! ```
//!
//! with these rules, each checked by [`check_turn`]:
//!
//! - `turn_started` comes first and only once; `turn_finished` comes last and only once.
//! - Steps are numbered from 1 without gaps; a step finishes (with its own number) before the
//!   next one starts.
//! - A tool call's id starts once; its argument fragments, `ready` and `finished` come after
//!   its start and before its `finished`; `ready` and `finished` come at most once each.
//! - A permission request's id is asked once and resolved at most once, after it was asked.
//! - A terminal says nothing after it exited, and exits once.
//!
//! Backends differ in what they report — BooCode's own loop reports steps and argument
//! fragments, agents over ACP report tool calls whole, a PTY reports only terminal output —
//! but never in this order. `docs/ARCHITECTURE.md` lists each backend's events.

use crate::event::AgentEvent;
use std::collections::{HashMap, HashSet};

/// Where and how a sequence breaks the turn grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {index} ({kind}): {rule}")]
pub struct GrammarError {
    /// Position of the offending event (the length of the sequence when something is
    /// missing at the end).
    pub index: usize,
    /// Its kind (`turn_finished`, …), or `end` when the sequence ended too early.
    pub kind: &'static str,
    /// The rule it breaks.
    pub rule: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    Started,
    Ready,
    Finished,
}

/// Checks one turn's events against the turn grammar.
pub fn check_turn(events: &[AgentEvent]) -> Result<(), GrammarError> {
    let fail = |index: usize, event: &AgentEvent, rule: String| GrammarError {
        index,
        kind: event.kind(),
        rule,
    };
    let Some(first) = events.first() else {
        return Err(GrammarError {
            index: 0,
            kind: "end",
            rule: "a turn has at least turn_started and turn_finished".into(),
        });
    };
    if !matches!(first, AgentEvent::TurnStarted { .. }) {
        return Err(fail(0, first, "a turn begins with turn_started".into()));
    }
    let mut open_step: Option<u32> = None;
    let mut last_step = 0u32;
    let mut calls: HashMap<&str, Call> = HashMap::new();
    let mut asked: HashSet<&str> = HashSet::new();
    let mut resolved: HashSet<&str> = HashSet::new();
    let mut exited: HashSet<&str> = HashSet::new();
    let mut finished = false;
    for (index, event) in events.iter().enumerate().skip(1) {
        if finished {
            return Err(fail(index, event, "nothing follows turn_finished".into()));
        }
        match event {
            AgentEvent::TurnStarted { .. } => {
                return Err(fail(index, event, "turn_started comes only once".into()));
            }
            AgentEvent::TurnFinished { .. } => finished = true,
            AgentEvent::StepStarted { step } => {
                if let Some(open) = open_step {
                    return Err(fail(
                        index,
                        event,
                        format!("step {step} starts before step {open} finished"),
                    ));
                }
                if *step != last_step + 1 {
                    return Err(fail(
                        index,
                        event,
                        format!("step {step} follows step {last_step}"),
                    ));
                }
                open_step = Some(*step);
                last_step = *step;
            }
            AgentEvent::StepFinished { step, .. } => {
                if open_step != Some(*step) {
                    return Err(fail(
                        index,
                        event,
                        format!("step {step} finishes but was not the running step"),
                    ));
                }
                open_step = None;
            }
            AgentEvent::ToolCallStarted { call_id, .. } => {
                if calls.insert(call_id, Call::Started).is_some() {
                    return Err(fail(
                        index,
                        event,
                        format!("tool call {call_id} starts twice"),
                    ));
                }
            }
            AgentEvent::ToolCallArgsDelta { call_id, .. } => match calls.get(call_id.as_str()) {
                Some(Call::Started) => {}
                Some(_) => {
                    return Err(fail(
                        index,
                        event,
                        format!("arguments of tool call {call_id} after it was ready"),
                    ));
                }
                None => {
                    return Err(fail(
                        index,
                        event,
                        format!("arguments of tool call {call_id} before it started"),
                    ));
                }
            },
            AgentEvent::ToolCallReady { call_id, .. } => match calls.get(call_id.as_str()) {
                Some(Call::Started) => {
                    calls.insert(call_id, Call::Ready);
                }
                Some(_) => {
                    return Err(fail(
                        index,
                        event,
                        format!("tool call {call_id} is ready twice, or after it finished"),
                    ));
                }
                None => {
                    return Err(fail(
                        index,
                        event,
                        format!("tool call {call_id} is ready before it started"),
                    ));
                }
            },
            AgentEvent::ToolCallFinished { call_id, .. } => match calls.get(call_id.as_str()) {
                Some(Call::Started | Call::Ready) => {
                    calls.insert(call_id, Call::Finished);
                }
                Some(Call::Finished) => {
                    return Err(fail(
                        index,
                        event,
                        format!("tool call {call_id} finishes twice"),
                    ));
                }
                None => {
                    return Err(fail(
                        index,
                        event,
                        format!("tool call {call_id} finishes before it started"),
                    ));
                }
            },
            AgentEvent::PermissionRequested { request_id, .. } => {
                if !asked.insert(request_id) {
                    return Err(fail(
                        index,
                        event,
                        format!("permission {request_id} is asked twice"),
                    ));
                }
            }
            AgentEvent::PermissionResolved { request_id, .. } => {
                if !asked.contains(request_id.as_str()) {
                    return Err(fail(
                        index,
                        event,
                        format!("permission {request_id} is resolved before it was asked"),
                    ));
                }
                if !resolved.insert(request_id) {
                    return Err(fail(
                        index,
                        event,
                        format!("permission {request_id} is resolved twice"),
                    ));
                }
            }
            AgentEvent::TerminalOutput { terminal_id, .. }
            | AgentEvent::TerminalScreen { terminal_id, .. } => {
                if exited.contains(terminal_id.as_str()) {
                    return Err(fail(
                        index,
                        event,
                        format!("terminal {terminal_id} prints after it exited"),
                    ));
                }
            }
            AgentEvent::TerminalExited { terminal_id, .. } => {
                if !exited.insert(terminal_id) {
                    return Err(fail(
                        index,
                        event,
                        format!("terminal {terminal_id} exits twice"),
                    ));
                }
            }
            AgentEvent::TextDelta { .. }
            | AgentEvent::ReasoningDelta { .. }
            | AgentEvent::Usage { .. }
            | AgentEvent::BackendSession { .. }
            | AgentEvent::Plan { .. }
            | AgentEvent::Status { .. }
            | AgentEvent::Notice { .. } => {}
        }
    }
    if !finished {
        return Err(GrammarError {
            index: events.len(),
            kind: "end",
            rule: "a turn ends with turn_finished".into(),
        });
    }
    if let Some(open) = open_step {
        return Err(GrammarError {
            index: events.len(),
            kind: "end",
            rule: format!("step {open} never finished"),
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::{FinishReason, TurnOutcome};

    fn started() -> AgentEvent {
        AgentEvent::TurnStarted {
            message_id: Some("m".into()),
        }
    }

    fn finished() -> AgentEvent {
        AgentEvent::TurnFinished {
            outcome: TurnOutcome::Completed,
            summary: None,
            usage: Default::default(),
        }
    }

    fn call(kind: &str, id: &str) -> AgentEvent {
        match kind {
            "start" => AgentEvent::ToolCallStarted {
                call_id: id.into(),
                name: "grep".into(),
            },
            "args" => AgentEvent::ToolCallArgsDelta {
                call_id: id.into(),
                delta: "{".into(),
            },
            "ready" => AgentEvent::ToolCallReady {
                call_id: id.into(),
                name: "grep".into(),
                arguments: "{}".into(),
            },
            _ => AgentEvent::ToolCallFinished {
                call_id: id.into(),
                name: "grep".into(),
                output: String::new(),
                is_error: false,
                duration_ms: 1,
                output_bytes: 0,
            },
        }
    }

    fn step(n: u32, start: bool) -> AgentEvent {
        if start {
            AgentEvent::StepStarted { step: n }
        } else {
            AgentEvent::StepFinished {
                step: n,
                finish_reason: FinishReason::Stop,
            }
        }
    }

    #[test]
    fn a_well_formed_turn_passes() {
        let turn = [
            started(),
            step(1, true),
            call("start", "a"),
            call("args", "a"),
            call("ready", "a"),
            step(1, false),
            call("finished", "a"),
            step(2, true),
            AgentEvent::TextDelta { text: "ok".into() },
            step(2, false),
            finished(),
        ];
        assert_eq!(check_turn(&turn), Ok(()));
        // The shortest turn.
        assert_eq!(check_turn(&[started(), finished()]), Ok(()));
    }

    #[test]
    fn each_rule_names_the_offending_event() {
        let cases: Vec<(Vec<AgentEvent>, usize, &str)> = vec![
            (vec![], 0, "at least"),
            (vec![finished()], 0, "begins with turn_started"),
            (vec![started()], 1, "ends with turn_finished"),
            (
                vec![started(), finished(), finished()],
                2,
                "nothing follows",
            ),
            (vec![started(), started(), finished()], 1, "only once"),
            (
                vec![started(), step(2, true), step(2, false), finished()],
                1,
                "step 2 follows step 0",
            ),
            (
                vec![started(), step(1, true), step(2, true), finished()],
                2,
                "before step 1 finished",
            ),
            (
                vec![started(), step(1, true), finished()],
                3,
                "never finished",
            ),
            (
                vec![started(), call("finished", "a"), finished()],
                1,
                "before it started",
            ),
            (
                vec![
                    started(),
                    call("start", "a"),
                    call("start", "a"),
                    finished(),
                ],
                2,
                "starts twice",
            ),
            (
                vec![
                    started(),
                    call("start", "a"),
                    call("ready", "a"),
                    call("args", "a"),
                    finished(),
                ],
                3,
                "after it was ready",
            ),
            (
                vec![
                    started(),
                    call("start", "a"),
                    call("finished", "a"),
                    call("finished", "a"),
                    finished(),
                ],
                3,
                "finishes twice",
            ),
            (
                vec![
                    started(),
                    AgentEvent::PermissionResolved {
                        request_id: "r".into(),
                        decision: crate::event::PermissionDecision::Deny,
                    },
                    finished(),
                ],
                1,
                "before it was asked",
            ),
            (
                vec![
                    started(),
                    AgentEvent::TerminalExited {
                        terminal_id: "t".into(),
                        exit_code: Some(0),
                    },
                    AgentEvent::TerminalOutput {
                        terminal_id: "t".into(),
                        data: "late".into(),
                    },
                    finished(),
                ],
                2,
                "after it exited",
            ),
        ];
        for (events, index, rule) in cases {
            let err = check_turn(&events).unwrap_err();
            assert_eq!(err.index, index, "{err}");
            assert!(err.rule.contains(rule), "{err} should say {rule:?}");
        }
    }
}
