//! The ACP backend's client features no pinned real agent exercises offline — `terminal/*`
//! served through boocode-pty, `fs/*` (guarded; writes queued in review mode), and
//! `authenticate` when an agent answers `auth_required` —
//! driven by a scripted agent built on the official ACP SDK (tests/peers/scripted-acp-agent.mjs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub,
    clippy::print_stderr
)]

mod common;
use common::text;

use boocode_agents::{AcpBackend, AgentBackend, AgentSession, SessionConfig};
use boocode_core::{AgentEvent, CancellationToken, CollectSink, TurnOutcome};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

/// `node tests/peers/scripted-acp-agent.mjs`, when the SDK it needs is installed.
fn agent() -> Option<AcpBackend> {
    let peers = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers");
    if !peers.join("node_modules/@agentclientprotocol/sdk").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI requires the ACP SDK in tests/peers/node_modules"
        );
        eprintln!("SKIPPED (peer): run `npm install` in tests/peers");
        return None;
    }
    let script = peers.join("scripted-acp-agent.mjs").canonicalize().unwrap();
    Some(
        AcpBackend::new("node", vec![script.display().to_string()])
            .handshake_timeout(Duration::from_secs(30)),
    )
}

async fn session(backend: &AcpBackend, cwd: &std::path::Path) -> Box<dyn AgentSession> {
    backend
        .start(SessionConfig::new(cwd.to_owned()))
        .await
        .unwrap()
}

/// Runs one scripted prompt; returns the agent's report and the events.
async fn run(session: &mut dyn AgentSession, script: Value) -> (Value, Vec<AgentEvent>) {
    let sink = CollectSink::new();
    let outcome = tokio::time::timeout(
        Duration::from_secs(30),
        session.prompt(&script.to_string(), &sink, &CancellationToken::new()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(outcome, TurnOutcome::Completed);
    // Terminals included, the turn keeps the turn grammar.
    let events = sink.events();
    if let Err(e) = boocode_core::check_turn(&events) {
        panic!("{e}\n{events:#?}");
    }
    let report: Value = serde_json::from_str(&text(&sink)).unwrap();
    (report, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminals_run_in_the_project_stream_output_and_report_exit() {
    let Some(backend) = agent() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let mut s = session(&backend, dir.path()).await;

    // Output, exit code, and the default cwd is the project.
    let (report, events) = run(
        s.as_mut(),
        json!({"command": "sh", "args": ["-c", "echo from-terminal; pwd; exit 3"]}),
    )
    .await;
    assert_eq!(report["exit"]["exitCode"], 3, "{report}");
    let output = report["output"].as_str().unwrap();
    assert!(output.contains("from-terminal"), "{report}");
    let root = dir.path().canonicalize().unwrap();
    assert!(output.contains(&root.display().to_string()), "{report}");
    assert_eq!(report["status"]["exitCode"], 3);
    let streamed: String = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::TerminalOutput { data, .. } => Some(data.as_str()),
            _ => None,
        })
        .collect();
    assert!(streamed.contains("from-terminal"), "{events:?}");

    // A cwd inside the project is used; one outside is refused before anything runs.
    let (report, _) = run(
        s.as_mut(),
        json!({"command": "pwd", "cwd": root.join("sub")}),
    )
    .await;
    assert!(
        report["output"].as_str().unwrap().contains("/sub"),
        "{report}"
    );
    let (report, _) = run(s.as_mut(), json!({"command": "pwd", "cwd": "/etc"})).await;
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("outside the project root"),
        "{report}"
    );

    // The byte limit keeps the end of the output.
    let (report, _) = run(
        s.as_mut(),
        json!({"command": "sh", "args": ["-c", "seq 1 2000"], "output_byte_limit": 100}),
    )
    .await;
    assert_eq!(report["truncated"], true, "{report}");
    let output = report["output"].as_str().unwrap();
    assert!(output.len() <= 100 && output.contains("2000"), "{report}");

    // A command that is not there is a clear error.
    let (report, _) = run(s.as_mut(), json!({"command": "no-such-program-xyz"})).await;
    assert!(
        report["error"].is_string() || report["exit"]["exitCode"] != 0,
        "{report}"
    );
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_terminal_reports_its_signal_and_leaves_no_process() {
    let Some(backend) = agent() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(&backend, dir.path()).await;
    let marker = format!("boocode-term-{}", std::process::id());
    let (report, _) = run(
        s.as_mut(),
        json!({
            "command": "sh",
            "args": ["-c", format!("echo started; sleep 300 # {marker}")],
            "kill_after_ms": 300
        }),
    )
    .await;
    assert_eq!(report["exit"]["signal"], "SIGKILL", "{report}");
    assert!(
        report["output"].as_str().unwrap().contains("started"),
        "{report}"
    );
    s.close().await;
    let left = std::process::Command::new("pgrep")
        .args(["-f", &marker])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "left running: {:?}", left);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminals_can_be_switched_off() {
    let Some(backend) = agent() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(&backend.serve_terminals(false), dir.path()).await;
    let (report, _) = run(s.as_mut(), json!({"command": "true"})).await;
    assert_eq!(report["error"], "the client does not offer terminals");
    s.close().await;
}

async fn who(session: &mut dyn AgentSession) -> Value {
    let sink = CollectSink::new();
    session
        .prompt("who am i", &sink, &CancellationToken::new())
        .await
        .unwrap();
    serde_json::from_str(&text(&sink)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_that_requires_authentication_is_authenticated_or_explained() {
    let Some(backend) = agent() else { return };
    let dir = tempfile::tempdir().unwrap();
    let one = r#"[{"id": "scripted-login", "name": "Scripted login"}]"#;
    let two = r#"[{"id": "a", "name": "Method A"}, {"id": "b", "name": "Method B"}]"#;

    // The only method offered is used without being configured.
    let mut s = session(
        &backend.clone().env("SCRIPTED_AUTH_METHODS", one),
        dir.path(),
    )
    .await;
    assert_eq!(
        who(s.as_mut()).await["authenticated_with"],
        "scripted-login"
    );
    s.close().await;

    // The configured one, among several.
    let mut s = session(
        &backend
            .clone()
            .env("SCRIPTED_AUTH_METHODS", two)
            .auth_method("b"),
        dir.path(),
    )
    .await;
    assert_eq!(who(s.as_mut()).await["authenticated_with"], "b");
    s.close().await;

    // Several and none chosen, or a method it does not offer: a clear error, quickly.
    for (methods, chosen, needle) in [
        (two, None, "choose one of its methods with `auth_method`"),
        (one, Some("nope"), "does not offer method \"nope\""),
    ] {
        let mut b = backend.clone().env("SCRIPTED_AUTH_METHODS", methods);
        if let Some(id) = chosen {
            b = b.auth_method(id);
        }
        let started = std::time::Instant::now();
        let err = b
            .start(SessionConfig::new(dir.path().to_owned()))
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains(needle), "{err}");
        assert!(
            err.contains("Method A") || err.contains("Scripted login"),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fs_requests_are_guarded_and_review_mode_queues_writes() {
    use boocode_agents::QueueReview;
    use boocode_core::{ChangeQueue, ChangeScope, MemoryChangeQueue};
    use boocode_tools::{PathGuard, ToolEnv, WriteMode};
    use std::sync::Arc;
    let Some(backend) = agent() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("notes.txt"), "one\ntwo\nthree\n").unwrap();
    std::fs::write(root.join(".env"), "SECRET=1\n").unwrap();

    // Served directly: reads with line/limit, atomic writes, refusals as errors.
    let mut s = session(&backend, &root).await;
    let (report, _) = run(
        s.as_mut(),
        json!({"read_file": {"path": root.join("notes.txt"), "line": 2, "limit": 1}}),
    )
    .await;
    assert_eq!(report["content"], "two\n", "{report}");
    let (report, _) = run(
        s.as_mut(),
        json!({"write_file": {"path": root.join("out/new.txt"), "content": "hello\n"}}),
    )
    .await;
    assert_eq!(report["written"], true, "{report}");
    assert_eq!(
        std::fs::read_to_string(root.join("out/new.txt")).unwrap(),
        "hello\n"
    );
    for (script, needle) in [
        (json!({"read_file": {"path": root.join(".env")}}), "secret"),
        (
            json!({"read_file": {"path": "/etc/hostname"}}),
            "outside the project root",
        ),
        (
            json!({"write_file": {"path": "/tmp/boocode-escape.txt", "content": "x"}}),
            "outside the project root",
        ),
        (
            json!({"write_file": {"path": root.join(".env"), "content": "x"}}),
            "secret",
        ),
    ] {
        let (report, _) = run(s.as_mut(), script.clone()).await;
        let err = report["error"].as_str().unwrap_or_default();
        assert!(err.contains(needle), "{script}: {report}");
    }
    assert!(!std::path::Path::new("/tmp/boocode-escape.txt").exists());
    assert_eq!(
        std::fs::read_to_string(root.join(".env")).unwrap(),
        "SECRET=1\n"
    );
    s.close().await;

    // Review mode: the write is proposed, the disk untouched.
    let queue = Arc::new(MemoryChangeQueue::new());
    let scope = ChangeScope(boocode_core::ChatId::new());
    let env = Arc::new(ToolEnv::new(PathGuard::new(&root).unwrap()));
    let reviewer = QueueReview::new(env, queue.clone(), scope, WriteMode::Review).into_reviewer();
    let mut s = backend
        .start(SessionConfig::new(root.clone()).reviewer(reviewer))
        .await
        .unwrap();
    let (report, _) = run(
        s.as_mut(),
        json!({"write_file": {"path": root.join("notes.txt"), "content": "ONE\n"}}),
    )
    .await;
    assert_eq!(report["written"], true, "{report}");
    assert_eq!(
        std::fs::read_to_string(root.join("notes.txt")).unwrap(),
        "one\ntwo\nthree\n"
    );
    let changes = queue.list(&scope).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].path, "notes.txt");
    assert!(changes[0].diff.contains("+ONE"), "{}", changes[0].diff);
    s.close().await;
}
