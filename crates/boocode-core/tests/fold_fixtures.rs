//! Shared fixtures for the two folds of a turn's events into its message: Rust's
//! [`MessageBuilder`] (the server's snapshots and flushes) and the web client's reducer
//! (`web/src/state/reducer.ts`). This test folds each event sequence with the builder and writes
//! the sequences and the messages they make to `web/src/generated/fold-fixtures.json`; Vitest
//! folds the same events and must reach the same messages. It fails when the checked-in file is
//! stale: regenerate with `UPDATE_TYPES=1 cargo test -p boocode-core --test fold_fixtures`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_core::{
    AgentEvent, ChatStatus, FinishReason, Message, MessageBuilder, MessageStatus, NoticeLevel,
    PermissionDecision, PlanEntry, Role, TurnOutcome, Usage,
};
use serde_json::json;
use std::path::PathBuf;

fn start() -> Message {
    let mut message = Message::new(Role::Assistant, MessageStatus::Streaming, Vec::new());
    message.id = "00000000-0000-4000-8000-000000000001".parse().unwrap();
    message.created_at = 1_700_000_000_000;
    message
}

fn usage(prompt: u64, completion: u64) -> Usage {
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        ctx_used: prompt + completion,
        ctx_max: Some(32_768),
        cost_usd: None,
    }
}

fn text(t: &str) -> AgentEvent {
    AgentEvent::TextDelta { text: t.into() }
}

fn reasoning(t: &str) -> AgentEvent {
    AgentEvent::ReasoningDelta { text: t.into() }
}

fn finished(call_id: &str, name: &str, output: &str, is_error: bool) -> AgentEvent {
    AgentEvent::ToolCallFinished {
        call_id: call_id.into(),
        name: name.into(),
        output: output.into(),
        is_error,
        duration_ms: 12,
        output_bytes: output.len() as u64,
    }
}

fn notice(level: NoticeLevel, message: &str) -> AgentEvent {
    AgentEvent::Notice {
        level,
        message: message.into(),
    }
}

fn plan(entries: &[(&str, &str)]) -> AgentEvent {
    AgentEvent::Plan {
        entries: entries
            .iter()
            .map(|(content, status)| PlanEntry {
                content: (*content).into(),
                status: (*status).into(),
            })
            .collect(),
    }
}

fn terminal(id: &str, data: &str) -> AgentEvent {
    AgentEvent::TerminalOutput {
        terminal_id: id.into(),
        data: data.into(),
    }
}

/// Every rule of the fold, each in a case of its own, and whole turns as backends send them.
fn cases() -> Vec<(&'static str, Vec<AgentEvent>)> {
    let started = AgentEvent::TurnStarted {
        message_id: Some("00000000-0000-4000-8000-000000000001".into()),
    };
    // Over 16 KiB of output, with two- and four-byte characters where the cut falls.
    let long: String = "é".repeat(5_000) + &"🦀".repeat(1_000) + &"x".repeat(3_001);
    vec![
        (
            "a native answer: reasoning, then text in deltas",
            vec![
                started.clone(),
                AgentEvent::StepStarted { step: 1 },
                AgentEvent::Status {
                    status: ChatStatus::Streaming,
                },
                reasoning("Let me "),
                reasoning("think."),
                text("The server "),
                text("starts in "),
                text("`main.rs`."),
                AgentEvent::Usage {
                    usage: usage(120, 9),
                },
                AgentEvent::StepFinished {
                    step: 1,
                    finish_reason: FinishReason::Stop,
                },
                AgentEvent::Status {
                    status: ChatStatus::Idle,
                },
                AgentEvent::TurnFinished {
                    outcome: TurnOutcome::Completed,
                    summary: None,
                    usage: usage(120, 9),
                },
            ],
        ),
        (
            "text and reasoning that alternate make a part each",
            vec![
                text("a"),
                reasoning("b"),
                text("c"),
                text("d"),
                reasoning("e"),
            ],
        ),
        (
            "tool calls: streamed arguments, a ready call that corrects them, one known only when ready, results out of order",
            vec![
                text("Searching. "),
                AgentEvent::ToolCallStarted {
                    call_id: "c1".into(),
                    name: "grep".into(),
                },
                AgentEvent::ToolCallArgsDelta {
                    call_id: "c1".into(),
                    delta: "{\"pattern\":".into(),
                },
                AgentEvent::ToolCallArgsDelta {
                    call_id: "c1".into(),
                    delta: " \"fn serve\"}".into(),
                },
                AgentEvent::ToolCallReady {
                    call_id: "c1".into(),
                    name: "grep".into(),
                    arguments: "{\"pattern\":\"fn serve\"}".into(),
                },
                AgentEvent::ToolCallReady {
                    call_id: "c2".into(),
                    name: "view_file".into(),
                    arguments: "{\"path\":\"src/main.rs\"}".into(),
                },
                AgentEvent::ToolCallArgsDelta {
                    call_id: "unknown".into(),
                    delta: "ignored".into(),
                },
                finished("c2", "view_file", "fn main() {}", false),
                finished("c1", "grep", "no such pattern", true),
                text("Found it."),
            ],
        ),
        (
            "an external agent's call: started and ready with the same arguments",
            vec![
                AgentEvent::ToolCallStarted {
                    call_id: "toolu_1".into(),
                    name: "Bash".into(),
                },
                AgentEvent::ToolCallReady {
                    call_id: "toolu_1".into(),
                    name: "Bash".into(),
                    arguments: String::new(),
                },
                finished("toolu_1", "Bash", "ok", false),
            ],
        ),
        (
            "permission prompts: asked, answered; an answer to an unknown prompt changes nothing",
            vec![
                AgentEvent::PermissionRequested {
                    request_id: "p1".into(),
                    call_id: Some("toolu_1".into()),
                    tool: "Bash".into(),
                    summary: "rm -rf build".into(),
                    options: vec![PermissionDecision::AllowOnce, PermissionDecision::Deny],
                },
                AgentEvent::PermissionRequested {
                    request_id: "p2".into(),
                    call_id: None,
                    tool: "Write".into(),
                    summary: "src/lib.rs".into(),
                    options: vec![PermissionDecision::AllowOnce],
                },
                AgentEvent::PermissionResolved {
                    request_id: "p1".into(),
                    decision: PermissionDecision::Deny,
                },
                AgentEvent::PermissionResolved {
                    request_id: "nobody".into(),
                    decision: PermissionDecision::AllowOnce,
                },
            ],
        ),
        (
            "notices are kept; a plan is replaced where it first appeared",
            vec![
                notice(NoticeLevel::Info, "Steered: also check tests"),
                plan(&[("read", "in_progress"), ("fix", "pending")]),
                text("Working."),
                plan(&[("read", "completed"), ("fix", "in_progress")]),
                notice(NoticeLevel::Warning, "Retrying (1/3)"),
            ],
        ),
        (
            "terminal output is kept to its last 16 KiB of UTF-8, per terminal, with the exit code",
            vec![
                terminal("t1", "$ cargo test\n"),
                terminal("t2", "other"),
                terminal("t1", &long),
                AgentEvent::TerminalExited {
                    terminal_id: "t1".into(),
                    exit_code: Some(101),
                },
                AgentEvent::TerminalExited {
                    terminal_id: "t3".into(),
                    exit_code: None,
                },
            ],
        ),
        (
            "a terminal's screen replaces what its part held, keeping the end of a huge one",
            vec![
                terminal("t1", "raw \u{1b}[2J bytes"),
                AgentEvent::TerminalScreen {
                    terminal_id: "t1".into(),
                    screen: "  Status: busy\n> ".into(),
                },
                AgentEvent::TerminalScreen {
                    terminal_id: "t1".into(),
                    screen: "  Status: idle\n> ".into(),
                },
                AgentEvent::TerminalScreen {
                    terminal_id: "t2".into(),
                    screen: format!("top\n{}", "é".repeat(9000)),
                },
            ],
        ),
        (
            "events that do not change the message",
            vec![
                AgentEvent::StepStarted { step: 1 },
                AgentEvent::Status {
                    status: ChatStatus::ToolRunning,
                },
                AgentEvent::Usage { usage: usage(1, 1) },
                AgentEvent::BackendSession {
                    backend: "acp".into(),
                    session_id: "s-1".into(),
                },
                AgentEvent::StepFinished {
                    step: 1,
                    finish_reason: FinishReason::ToolCalls,
                },
            ],
        ),
        (
            "a failed turn keeps its usage",
            vec![
                text("Partial"),
                AgentEvent::TurnFinished {
                    outcome: TurnOutcome::Error,
                    summary: Some("the model server went away".into()),
                    usage: usage(50, 2),
                },
            ],
        ),
    ]
}

fn fixtures() -> String {
    let cases: Vec<_> = cases()
        .into_iter()
        .map(|(name, events)| {
            let mut builder = MessageBuilder::new(start());
            for event in &events {
                builder.apply(event);
            }
            json!({
                "name": name,
                "start": start(),
                "events": events,
                "expected": builder.into_message(),
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&json!({
        "about": "Generated by crates/boocode-core/tests/fold_fixtures.rs: event sequences and the messages MessageBuilder folds them into. The web reducer must fold them the same.",
        "cases": cases,
    }))
    .unwrap();
    out.push('\n');
    out
}

#[test]
fn checked_in_fold_fixtures_match_the_builder() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../web/src/generated/fold-fixtures.json");
    boocode_testkit::assert_checked_in(
        &path,
        &fixtures(),
        "UPDATE_TYPES=1 cargo test -p boocode-core --test fold_fixtures",
    );
}

#[test]
fn the_fixtures_cover_every_part_the_builder_makes() {
    let all = fixtures();
    for kind in [
        "\"text\"",
        "\"reasoning\"",
        "\"tool_call\"",
        "\"tool_result\"",
        "\"permission\"",
        "\"notice\"",
        "\"plan\"",
        "\"terminal\"",
    ] {
        assert!(
            all.contains(&format!("\"type\": {kind}")),
            "no fixture makes a {kind} part"
        );
    }
    assert!(all.contains("\"truncated\": true"));
}
