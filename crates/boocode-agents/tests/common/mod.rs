//! Helpers the backend tests share: reading a sink, and a user who answers or cancels.
#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

use boocode_agents::{AgentSession, Permissions};
use boocode_core::{AgentEvent, CancellationToken, CollectSink, PermissionDecision, TurnOutcome};
use std::time::Duration;

/// All text deltas, joined.
pub fn text(sink: &CollectSink) -> String {
    sink.events()
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::TextDelta { text } => Some(text),
            _ => None,
        })
        .collect()
}

/// Waits for the first permission prompt (for `tool`, when given) and answers it.
pub async fn answer_when_asked(
    sink: &CollectSink,
    permissions: &Permissions,
    tool: Option<&str>,
    decision: PermissionDecision,
) {
    loop {
        let asked = sink.events().into_iter().find_map(|e| match e {
            AgentEvent::PermissionRequested {
                request_id,
                tool: asked_for,
                ..
            } if tool.is_none_or(|t| t == asked_for) => Some(request_id),
            _ => None,
        });
        if let Some(id) = asked {
            permissions.answer(&id, decision).unwrap();
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Cancels the turn as soon as its first text arrives.
pub async fn cancel_on_first_text(sink: &CollectSink, cancel: &CancellationToken) {
    while !sink
        .events()
        .iter()
        .any(|e| matches!(e, AgentEvent::TextDelta { .. }))
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cancel.cancel();
}

/// Runs one prompt to its end (within `limit`) while the user answers its first permission
/// prompt (for `tool`, when given) with `decision`. Returns the outcome and the events.
pub async fn prompt_answering(
    session: &mut dyn AgentSession,
    text: &str,
    tool: Option<&str>,
    decision: PermissionDecision,
    limit: Duration,
) -> (TurnOutcome, Vec<AgentEvent>) {
    let sink = CollectSink::new();
    let permissions = session.permissions();
    let never = CancellationToken::new();
    let prompt = session.prompt(text, &sink, &never);
    let answer = answer_when_asked(&sink, &permissions, tool, decision);
    let (outcome, ()) = tokio::time::timeout(limit, async { tokio::join!(prompt, answer) })
        .await
        .unwrap();
    (outcome.unwrap(), sink.events())
}
