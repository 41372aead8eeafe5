//! The native backend against the scripted model, and the PTY backend with a real shell.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_agents::{AgentBackend, NativeBackend, PtyBackend, SessionConfig};
use boocode_core::{
    AgentEvent, CancellationToken, CollectSink, FnSink, Message, MessageId, Steering, ToolSet,
    TurnConfig, TurnOutcome,
};
use boocode_inference::{OpenAiClient, OpenAiConfig};
use boocode_testkit::{Reply, ScriptedOpenAi};
use std::sync::Arc;
use std::time::Duration;

/// The last screen the turn reported (a PTY agent reports screens, never raw output).
fn terminal_text(sink: &CollectSink) -> String {
    assert!(
        !sink
            .events()
            .iter()
            .any(|e| matches!(e, AgentEvent::TerminalOutput { .. })),
        "raw terminal output reached the events"
    );
    sink.events()
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::TerminalScreen { screen, .. } => Some(screen),
            _ => None,
        })
        .next_back()
        .unwrap_or_default()
}

#[tokio::test]
async fn the_native_backend_keeps_the_conversation_across_prompts() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::text("First answer."));
    server.push(Reply::text("Second answer."));
    let client = OpenAiClient::new(OpenAiConfig::new(server.url())).unwrap();
    let backend = NativeBackend::new(Arc::new(client), ToolSet::new(), TurnConfig::default());
    let mut session = backend
        .start(SessionConfig::new(std::env::temp_dir()))
        .await
        .unwrap();
    let sink = CollectSink::new();
    let cancel = CancellationToken::new();
    assert_eq!(
        session.prompt("one", &sink, &cancel).await.unwrap(),
        TurnOutcome::Completed
    );
    assert_eq!(
        session.prompt("two", &sink, &cancel).await.unwrap(),
        TurnOutcome::Completed
    );
    let second = &server.completion_requests()[1];
    let contents: Vec<&str> = second
        .messages()
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(contents, ["one", "First answer.", "two"]);
    assert!(session.backend_session_id().is_some());
    session.close().await;
}

/// A caller that keeps the history itself (a server's store) starts the session from it, names
/// the turn's message, steers it, and takes back what the turn produced to store.
#[tokio::test]
async fn a_native_session_starts_from_the_callers_history_and_hands_back_the_turn() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::stream().whole_tool_call("c1", "no_such_tool", "{}"));
    server.push(Reply::text("Done, with the steer."));
    server.push(Reply::text("Third."));
    let client = OpenAiClient::new(OpenAiConfig::new(server.url())).unwrap();
    let steering = Steering::new();
    let message_id = MessageId::new();
    let config = TurnConfig::default()
        .message_id(message_id)
        .steering(steering.clone());
    let backend = NativeBackend::new(Arc::new(client), ToolSet::new(), config);
    let mut session = backend
        .start(SessionConfig::new(std::env::temp_dir()).history(vec![
            Message::user("earlier"),
            Message::assistant("Earlier answer."),
        ]))
        .await
        .unwrap();
    assert!(session.take_turn().is_none(), "no turn ran yet");
    // Sent while the turn runs: the loop takes it at its next step boundary.
    let sink = FnSink({
        let steering = steering.clone();
        move |event: AgentEvent| {
            if matches!(event, AgentEvent::ToolCallFinished { .. }) {
                steering.push("also say steer");
            }
        }
    });
    let cancel = CancellationToken::new();
    assert_eq!(
        session.prompt("now", &sink, &cancel).await.unwrap(),
        TurnOutcome::Completed
    );
    let turn = session
        .take_turn()
        .expect("the native loop hands back its turn");
    assert!(session.take_turn().is_none(), "taken once");
    assert_eq!(turn.messages[0].id, message_id, "the caller's id");
    assert_eq!(turn.messages[0].text(), "Done, with the steer.");
    assert_eq!(
        turn.steered
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>(),
        ["also say steer"]
    );
    let first = &server.completion_requests()[0];
    let contents: Vec<&str> = first
        .messages()
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(contents, ["earlier", "Earlier answer.", "now"]);

    assert_eq!(
        session.prompt("again", &sink, &cancel).await.unwrap(),
        TurnOutcome::Completed
    );
    let again = session.take_turn().unwrap();
    assert_ne!(
        again.messages[0].id, message_id,
        "a later turn gets its own id"
    );
    // The steer follows the turn it joined, as a server stores it (two user messages in a row
    // reach the model as one).
    let third = &server.completion_requests()[2];
    let users: Vec<&str> = third
        .messages()
        .iter()
        .filter(|m| m["role"] == "user")
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(users, ["earlier", "now", "also say steer\n\nagain"]);
    session.close().await;
}

#[tokio::test]
async fn the_pty_backend_sends_the_prompt_streams_output_and_reports_the_exit() {
    let backend = PtyBackend::new(
        "bash",
        vec!["-c".into(), "read q; echo \"you said $q\"; exit 4".into()],
    );
    let mut session = backend
        .start(SessionConfig::new(std::env::temp_dir()))
        .await
        .unwrap();
    let sink = CollectSink::new();
    let outcome = session
        .prompt("hello there", &sink, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(outcome, TurnOutcome::Error, "a non-zero exit is an error");
    assert!(
        terminal_text(&sink).contains("you said hello there"),
        "{}",
        terminal_text(&sink)
    );
    let exited = sink.events().into_iter().find_map(|e| match e {
        AgentEvent::TerminalExited { exit_code, .. } => Some(exit_code),
        _ => None,
    });
    assert_eq!(exited, Some(Some(4)));
}

#[tokio::test]
async fn an_interactive_cli_answers_turn_after_turn_and_can_be_cancelled() {
    let backend = PtyBackend::new("cat", vec![]).idle_after(Duration::from_millis(300));
    let mut session = backend
        .start(SessionConfig::new(std::env::temp_dir()))
        .await
        .unwrap();
    let cancel = CancellationToken::new();
    for word in ["ping", "pong"] {
        let sink = CollectSink::new();
        assert_eq!(
            session.prompt(word, &sink, &cancel).await.unwrap(),
            TurnOutcome::Completed
        );
        assert!(
            terminal_text(&sink).contains(word),
            "{}",
            terminal_text(&sink)
        );
    }
    let slow = PtyBackend::new(
        "bash",
        vec!["-c".into(), "read q; echo started; sleep 100".into()],
    );
    let mut session = slow
        .start(SessionConfig::new(std::env::temp_dir()))
        .await
        .unwrap();
    let stop = CancellationToken::new();
    let trigger = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        trigger.cancel();
    });
    let sink = CollectSink::new();
    let started = std::time::Instant::now();
    assert_eq!(
        session.prompt("go", &sink, &stop).await.unwrap(),
        TurnOutcome::Cancelled
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    session.close().await;
}

#[tokio::test]
async fn a_full_screen_cli_is_reported_as_its_screen_and_starts_again_after_it_exits() {
    // A TUI: the alternate screen, a status line redrawn in place, a prompt; "quit" exits.
    let script = r#"printf '\033[?1049h\033[2J\033[1;1HTiny TUI'
while read -r q; do
  [ "$q" = quit ] && exit 0
  printf '\033[3;1H\033[2KThinking'; sleep 0.2
  printf '\033[3;1H\033[2KAnswer: %s' "$q"
done"#;
    let backend = PtyBackend::new("bash", vec!["-c".into(), script.into()])
        .idle_after(Duration::from_millis(1500));
    let mut session = backend
        .start(SessionConfig::new(std::env::temp_dir()))
        .await
        .unwrap();
    let cancel = CancellationToken::new();
    let sink = CollectSink::new();
    assert_eq!(
        session.prompt("ping", &sink, &cancel).await.unwrap(),
        TurnOutcome::Completed,
        "silence ends the turn"
    );
    let screen = terminal_text(&sink);
    assert!(screen.starts_with("Tiny TUI"), "{screen:?}");
    assert!(screen.contains("Answer: ping"), "{screen:?}");
    assert!(!screen.contains("Thinking"), "redrawn in place: {screen:?}");
    assert!(!screen.contains('\u{1b}'), "{screen:?}");
    assert!(
        boocode_core::check_turn(&sink.events()).is_ok(),
        "{:?}",
        sink.events()
    );
    // The exit ends the turn; the next prompt starts the program again.
    let sink = CollectSink::new();
    assert_eq!(
        session.prompt("quit", &sink, &cancel).await.unwrap(),
        TurnOutcome::Completed
    );
    assert!(sink.events().iter().any(|e| matches!(
        e,
        AgentEvent::TerminalExited {
            exit_code: Some(0),
            ..
        }
    )));
    let sink = CollectSink::new();
    session.prompt("again", &sink, &cancel).await.unwrap();
    assert!(terminal_text(&sink).contains("Answer: again"));
    session.close().await;
}

#[tokio::test]
async fn a_missing_cli_is_a_clear_error() {
    let err = PtyBackend::new("no-such-agent-cli", vec![])
        .start(SessionConfig::default())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("no-such-agent-cli"), "{err}");
}
