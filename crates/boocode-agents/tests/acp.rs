//! The ACP backend driving real ACP agents: Zed's `claude-agent-acp` (over the real `claude` CLI)
//! against the scripted Anthropic server, both pinned in tests/peers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;
use common::text;

use boocode_agents::{AcpBackend, AgentBackend, AgentSession, SessionConfig};
use boocode_core::{AgentEvent, CancellationToken, CollectSink, PermissionDecision, TurnOutcome};
use boocode_testkit::{AnthropicReply, ScriptedAnthropic, peer_bin};
use std::time::Duration;

struct Setup {
    server: ScriptedAnthropic,
    dir: tempfile::TempDir,
    session: Box<dyn AgentSession>,
}

async fn setup() -> Option<Setup> {
    let server = ScriptedAnthropic::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let session = start(&server, &dir, None).await?;
    Some(Setup {
        server,
        dir,
        session,
    })
}

async fn start(
    server: &ScriptedAnthropic,
    dir: &tempfile::TempDir,
    resume: Option<String>,
) -> Option<Box<dyn AgentSession>> {
    start_with(server, dir, resume, None).await
}

async fn start_with(
    server: &ScriptedAnthropic,
    dir: &tempfile::TempDir,
    resume: Option<String>,
    reviewer: Option<boocode_agents::Reviewer>,
) -> Option<Box<dyn AgentSession>> {
    let claude = peer_bin("claude")?;
    let adapter = peer_bin("claude-agent-acp")?;
    let config = dir.path().join("claude-config");
    std::fs::create_dir_all(&config).unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let backend = AcpBackend::new(adapter, vec![])
        .env("CLAUDE_CODE_EXECUTABLE", claude.display().to_string())
        .env("IS_SANDBOX", "1")
        .env("ANTHROPIC_BASE_URL", server.url())
        .env("ANTHROPIC_API_KEY", "sk-test")
        .env("CLAUDE_CONFIG_DIR", config.display().to_string())
        .env("HOME", dir.path().display().to_string())
        .env("DISABLE_TELEMETRY", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .handshake_timeout(Duration::from_secs(60));
    let mut config = SessionConfig::new(work);
    config.resume = resume;
    config.reviewer = reviewer;
    let session = backend.start(config).await.unwrap();
    Some(session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_turn_streams_message_chunks_and_usage() {
    let Some(mut s) = setup().await else { return };
    s.server.push(
        AnthropicReply::new()
            .thinking("hm")
            .text(&["Hello ", "over ACP."])
            .usage(120, 7),
    );
    let sink = CollectSink::new();
    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        s.session
            .prompt("say hello", &sink, &CancellationToken::new()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(outcome, TurnOutcome::Completed);
    assert_eq!(text(&sink), "Hello over ACP.");
    assert!(s.session.backend_session_id().is_some());
    s.session.close().await;
}

async fn write_file_turn(decision: PermissionDecision) -> (bool, TurnOutcome, Vec<AgentEvent>) {
    let mut s = setup().await.expect("the ACP peers");
    let target = s.dir.path().join("work/created.txt");
    let input = format!(
        "{{\"file_path\": \"{}\", \"content\": \"written over ACP\\n\"}}",
        target.display()
    );
    s.server
        .push(AnthropicReply::new().text(&["Writing the file."]).tool_use(
            "toolu_w1",
            "Write",
            &["", &input],
        ));
    s.server.push(AnthropicReply::new().text(&["Done."]));
    let (outcome, events) = common::prompt_answering(
        s.session.as_mut(),
        "create the file",
        None,
        decision,
        Duration::from_secs(60),
    )
    .await;
    let exists = target.exists();
    s.session.close().await;
    (exists, outcome, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permission_request_allowed_writes_and_denied_writes_nothing() {
    if peer_bin("claude-agent-acp").is_none() || peer_bin("claude").is_none() {
        return;
    }
    let (written, outcome, events) = write_file_turn(PermissionDecision::AllowOnce).await;
    assert!(written, "allowed: the file is written");
    assert!(events.iter().any(
        |e| matches!(e, AgentEvent::PermissionRequested { tool, call_id: Some(id), .. } if tool == "Write" && id == "toolu_w1")
    ));
    assert!(events.iter().any(
        |e| matches!(e, AgentEvent::ToolCallReady { name, arguments, .. } if name == "Write" && arguments.contains("created.txt"))
    ));
    assert_eq!(outcome, TurnOutcome::Completed);
    assert!(events.iter().any(|e| matches!(
        e,
        AgentEvent::ToolCallFinished {
            is_error: false,
            ..
        }
    )));
    let (written, outcome, events) = write_file_turn(PermissionDecision::Deny).await;
    assert!(!written, "denied: nothing is written");
    assert_eq!(
        outcome,
        TurnOutcome::Completed,
        "a plain deny lets the turn go on"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::ToolCallFinished { is_error: true, .. })),
        "the model sees the refusal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_mid_stream_ends_the_turn_as_cancelled_and_the_session_goes_on() {
    let Some(mut s) = setup().await else { return };
    let pieces: Vec<String> = (0..30).map(|i| format!("w{i} ")).collect();
    let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
    s.server.push(
        AnthropicReply::new()
            .text(&refs)
            .delay(Duration::from_millis(100)),
    );
    for _ in 0..3 {
        s.server
            .push(AnthropicReply::new().text(&["After the stop."]));
    }
    let sink = CollectSink::new();
    let cancel = CancellationToken::new();
    let prompt = s.session.prompt("talk for a while", &sink, &cancel);
    let stopper = common::cancel_on_first_text(&sink, &cancel);
    let (outcome, ()) = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::join!(prompt, stopper)
    })
    .await
    .unwrap();
    assert_eq!(outcome.unwrap(), TurnOutcome::Cancelled);
    assert!(!text(&sink).contains("w29"), "the stream stopped early");
    // The session goes on. claude-agent-acp 0.23.1 answers the first prompt after a cancel with
    // the interrupted query's leftover end (upstream issue agentclientprotocol/claude-agent-acp
    // #551), so that turn can come back empty and its reply stream in the next one; across two
    // more prompts the model's answer must arrive and both turns must complete.
    let mut after = String::new();
    for prompt in ["go on", "and again"] {
        let sink = CollectSink::new();
        let outcome = tokio::time::timeout(
            Duration::from_secs(60),
            s.session.prompt(prompt, &sink, &CancellationToken::new()),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(outcome, TurnOutcome::Completed);
        after.push_str(&text(&sink));
    }
    assert!(after.contains("After the stop."), "{after:?}");
    s.session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_mode_accept_edits_writes_without_asking_and_unknown_modes_are_refused() {
    let Some(mut s) = setup().await else { return };
    let err = s.session.set_mode("no-such-mode").await.unwrap_err();
    assert!(err.to_string().contains("unknown mode"), "{err}");
    s.session.set_mode("acceptEdits").await.unwrap();
    let target = s.dir.path().join("work/auto.txt");
    let input = format!(
        "{{\"file_path\": \"{}\", \"content\": \"no prompt\\n\"}}",
        target.display()
    );
    s.server
        .push(AnthropicReply::new().tool_use("toolu_a1", "Write", &[&input]));
    s.server.push(AnthropicReply::new().text(&["Done."]));
    let sink = CollectSink::new();
    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        s.session
            .prompt("write it", &sink, &CancellationToken::new()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(outcome, TurnOutcome::Completed);
    assert!(target.exists(), "acceptEdits: written");
    assert!(
        !sink
            .events()
            .iter()
            .any(|e| matches!(e, AgentEvent::PermissionRequested { .. })),
        "acceptEdits: no prompt"
    );
    s.session.close().await;
}

async fn start_bad(script: &str, limit: Duration) -> (String, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let backend =
        AcpBackend::new("bash", vec!["-c".into(), script.into()]).handshake_timeout(limit);
    let started = std::time::Instant::now();
    let err = match tokio::time::timeout(
        Duration::from_secs(20),
        backend.start(SessionConfig::new(dir.path().to_path_buf())),
    )
    .await
    .expect("start must give up on its own")
    {
        Ok(_) => panic!("a broken agent must not start"),
        Err(e) => e.to_string(),
    };
    (err, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_prints_garbage_fails_clearly() {
    let (err, took) = start_bad(
        "echo 'this is not json-rpc' ; echo oops >&2 ; sleep 30",
        Duration::from_secs(3),
    )
    .await;
    assert!(took < Duration::from_secs(10), "{took:?}");
    // Lines that are not JSON-RPC are skipped; the handshake limit then ends the wait, and
    // the agent's stderr is part of the message.
    assert!(err.contains("no answer to initialize"), "{err}");
    assert!(err.contains("oops"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_exits_at_once_reports_its_exit_and_stderr() {
    let (err, took) = start_bad("echo 'no api key' >&2; exit 3", Duration::from_secs(10)).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(err.contains("exit status: 3"), "{err}");
    assert!(err.contains("no api key"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_never_answers_initialize_times_out() {
    let (err, took) = start_bad("cat > /dev/null", Duration::from_millis(800)).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(err.contains("no answer to initialize"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_agent_program_is_a_spawn_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = AcpBackend::new("/nonexistent/acp-agent", vec![])
        .start(SessionConfig::new(dir.path().to_path_buf()))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, boocode_agents::AgentError::Spawn { .. }),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_session_is_loaded_again_and_the_model_gets_the_earlier_turns() {
    let Some(mut s) = setup().await else { return };
    s.server
        .push(AnthropicReply::new().text(&["The code word is heron."]));
    let sink = CollectSink::new();
    s.session
        .prompt("remember a code word", &sink, &CancellationToken::new())
        .await
        .unwrap();
    let id = s.session.backend_session_id().unwrap();
    s.session.close().await;

    // A new agent process loads the session by id.
    let mut again = start(&s.server, &s.dir, Some(id.clone())).await.unwrap();
    assert_eq!(again.backend_session_id(), Some(id));
    s.server
        .push(AnthropicReply::new().text(&["It was heron."]));
    let sink = CollectSink::new();
    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        again.prompt("what was the code word?", &sink, &CancellationToken::new()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(outcome, TurnOutcome::Completed);
    assert_eq!(
        text(&sink),
        "It was heron.",
        "the replay is not this turn's output"
    );
    let last = s.server.message_requests().pop().unwrap().body.to_string();
    assert!(last.contains("remember a code word"), "{last}");
    assert!(last.contains("The code word is heron."), "{last}");
    again.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nobody_to_ask_other_prompts_are_refused_at_once() {
    use boocode_core::{ChangeScope, MemoryChangeQueue};
    use boocode_tools::{PathGuard, ToolEnv, WriteMode};
    let server = ScriptedAnthropic::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let env = std::sync::Arc::new(ToolEnv::new(PathGuard::new(&work).unwrap()));
    let reviewer = boocode_agents::QueueReview::new(
        env,
        std::sync::Arc::new(MemoryChangeQueue::new()),
        ChangeScope(boocode_core::ChatId::new()),
        WriteMode::Review,
    )
    .refusing_others("nobody can approve this here")
    .into_reviewer();
    let Some(mut session) = start_with(&server, &dir, None, Some(reviewer)).await else {
        return;
    };
    let marker = work.join("ran.txt");
    let input = format!(
        "{{\"command\": \"touch {}\", \"description\": \"touch\"}}",
        marker.display()
    );
    server.push(AnthropicReply::new().tool_use("toolu_b9", "Bash", &[&input]));
    server.push(AnthropicReply::new().text(&["Refused, fine."]));
    let sink = CollectSink::new();
    // Nobody answers: without the refusal this would wait forever.
    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        session.prompt("touch it", &sink, &CancellationToken::new()),
    )
    .await
    .expect("a prompt nobody can answer must not hang")
    .unwrap();
    assert_eq!(outcome, TurnOutcome::Completed);
    assert!(!marker.exists(), "the command never ran");
    let events = sink.events();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, AgentEvent::PermissionRequested { .. }))
    );
    assert!(events.iter().any(|e| matches!(
        e,
        AgentEvent::Notice { message, .. } if message.contains("nobody can approve this here")
    )));
    session.close().await;
}
