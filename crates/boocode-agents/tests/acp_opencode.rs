//! The ACP backend driving the real `opencode acp` (pinned in tests/peers) against the scripted
//! OpenAI-compatible server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;
use common::text;

use boocode_agents::{AcpBackend, AgentBackend, AgentSession, QueueReview, SessionConfig};
use boocode_core::{AgentEvent, CancellationToken, CollectSink, PermissionDecision, TurnOutcome};
use boocode_core::{ChangeQueue, ChangeScope, ChangeState, MemoryChangeQueue};
use boocode_testkit::{Reply, ScriptedOpenAi, peer_bin};
use boocode_tools::{PathGuard, ToolEnv, WriteMode};
use std::sync::Arc;
use std::time::Duration;

struct Setup {
    server: ScriptedOpenAi,
    _dir: tempfile::TempDir,
    work: std::path::PathBuf,
    session: Box<dyn AgentSession>,
}

/// The chat review mode files opencode's writes under.
fn review_scope() -> ChangeScope {
    ChangeScope("00000000-0000-4000-8000-000000000001".parse().unwrap())
}

async fn setup() -> Option<Setup> {
    setup_with(None).await
}

/// With a queue, the session runs in review mode: writes are proposed into it (scope
/// `review_scope()`) instead of being asked about.
async fn setup_with(queue: Option<Arc<MemoryChangeQueue>>) -> Option<Setup> {
    let opencode = peer_bin("opencode")?;
    let server = ScriptedOpenAi::start().await.unwrap();
    // opencode names each new session with a side request of its own; answer those apart.
    server.answer_matching("You are a title generator", Reply::text("Scripted title"));
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let config = boocode_testkit::opencode_config(&server.url());
    std::fs::write(work.join("opencode.json"), config.to_string()).unwrap();
    let reviewer = queue.map(|queue| {
        let env = Arc::new(ToolEnv::new(PathGuard::new(&work).unwrap()));
        QueueReview::new(env, queue, review_scope(), WriteMode::Review).into_reviewer()
    });
    let backend = AcpBackend::new(opencode, vec!["acp".into()])
        .env("HOME", home.display().to_string())
        .env(
            "XDG_CONFIG_HOME",
            home.join(".config").display().to_string(),
        )
        .env(
            "XDG_DATA_HOME",
            home.join(".local/share").display().to_string(),
        )
        .env("XDG_CACHE_HOME", home.join(".cache").display().to_string())
        .env("OPENCODE_DISABLE_AUTOUPDATE", "1")
        .handshake_timeout(Duration::from_secs(60));
    let mut config = SessionConfig::new(work.clone());
    config.reviewer = reviewer;
    let session = backend.start(config).await.unwrap();
    Some(Setup {
        server,
        _dir: dir,
        work,
        session,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opencode_answers_a_text_turn_from_our_model_endpoint() {
    let Some(mut s) = setup().await else { return };
    for _ in 0..4 {
        s.server.push(Reply::text("Hello from opencode over ACP."));
    }
    let sink = CollectSink::new();
    let outcome = tokio::time::timeout(
        Duration::from_secs(90),
        s.session
            .prompt("say hello", &sink, &CancellationToken::new()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(outcome, TurnOutcome::Completed);
    assert!(text(&sink).contains("Hello from opencode over ACP."));
    s.session.close().await;
}

async fn write_turn(decision: PermissionDecision) -> (bool, TurnOutcome, Vec<AgentEvent>) {
    let mut s = setup().await.expect("the opencode peer");
    let target = s.work.join("hello.txt");
    let args = serde_json::json!({
        "filePath": target.display().to_string(),
        "content": "from opencode\n",
    })
    .to_string();
    s.server.push(
        Reply::stream()
            .whole_tool_call("call_1", "write", &args)
            .finish("tool_calls"),
    );
    s.server.push(Reply::text("Done."));
    let (outcome, events) = common::prompt_answering(
        s.session.as_mut(),
        "write it",
        None,
        decision,
        Duration::from_secs(90),
    )
    .await;
    let exists = target.exists();
    s.session.close().await;
    (exists, outcome, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opencode_edit_permission_allowed_writes_and_denied_writes_nothing() {
    if peer_bin("opencode").is_none() {
        return;
    }
    let (written, outcome, events) = write_turn(PermissionDecision::AllowOnce).await;
    assert!(written, "allowed: written");
    assert_eq!(outcome, TurnOutcome::Completed);
    assert!(events.iter().any(|e| matches!(
        e,
        AgentEvent::PermissionRequested { tool, call_id: Some(id), .. } if tool == "write" && id == "call_1"
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        AgentEvent::ToolCallReady { arguments, .. } if arguments.contains("hello.txt")
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        AgentEvent::ToolCallFinished {
            is_error: false,
            ..
        }
    )));
    let (written, _outcome, events) = write_turn(PermissionDecision::Deny).await;
    assert!(!written, "denied: nothing written");
    assert!(events.iter().any(|e| matches!(
        e,
        AgentEvent::PermissionResolved {
            decision: PermissionDecision::Deny,
            ..
        }
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opencode_cancel_mid_stream_ends_the_turn_as_cancelled() {
    let Some(mut s) = setup().await else { return };
    let mut slow = Reply::stream();
    for i in 0..40 {
        slow = slow
            .text(&format!("w{i} "))
            .delay(Duration::from_millis(100));
    }
    s.server.push(slow.finish("stop"));
    s.server.push(Reply::text("After the stop."));
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
    assert!(!text(&sink).contains("w39"), "the stream stopped early");
    let sink = CollectSink::new();
    let outcome = tokio::time::timeout(
        Duration::from_secs(60),
        s.session.prompt("go on", &sink, &CancellationToken::new()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(outcome, TurnOutcome::Completed);
    assert!(
        text(&sink).contains("After the stop."),
        "{:?}",
        sink.events()
    );
    s.session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opencode_in_review_mode_queues_its_write_instead_of_writing() {
    if peer_bin("opencode").is_none() {
        return;
    }
    let queue = Arc::new(MemoryChangeQueue::new());
    let mut s = setup_with(Some(queue.clone())).await.unwrap();
    // Nobody answers: in review mode a write never asks.
    let target = s.work.join("hello.txt");
    let args = serde_json::json!({
        "filePath": target.display().to_string(),
        "content": "from opencode\n",
    })
    .to_string();
    s.server.push(
        Reply::stream()
            .whole_tool_call("call_1", "write", &args)
            .finish("tool_calls"),
    );
    s.server.push(Reply::text("Done."));
    let sink = CollectSink::new();
    let outcome = tokio::time::timeout(
        Duration::from_secs(90),
        s.session
            .prompt("write it", &sink, &CancellationToken::new()),
    )
    .await
    .unwrap()
    .unwrap();
    let (written, events) = (target.exists(), sink.events());
    s.session.close().await;
    assert!(!written, "review mode: nothing written");
    assert_eq!(outcome, TurnOutcome::Completed);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, AgentEvent::PermissionRequested { .. })),
        "{events:?}"
    );
    let changes = queue.list(&review_scope()).await.unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].path, "hello.txt");
    assert_eq!(changes[0].state, ChangeState::Pending);
    assert_eq!(
        changes[0].proposed_content.as_deref(),
        Some(&b"from opencode\n"[..])
    );
}
