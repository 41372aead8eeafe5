//! The provider probe: truthful on this machine, bounded on broken or silent agents.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_agents::{
    BackendKind, ProbeLimits, ProbeStatus, Provider, default_providers, find_program, probe,
    probe_all,
};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

fn script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/bash\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

fn acp(name: &str, command: String) -> Provider {
    Provider {
        name: name.into(),
        kind: BackendKind::Acp,
        command: Some(command),
        args: vec![],
        enabled: true,
        auth_method: None,
        idle_ms: None,
    }
}

const QUICK: ProbeLimits = ProbeLimits::new(Duration::from_secs(2), Duration::from_secs(2));

#[tokio::test]
async fn every_builtin_provider_is_reported_truthfully_and_quickly() {
    let providers = default_providers();
    assert_eq!(providers.len(), 8, "boocode plus seven external agents");
    let started = Instant::now();
    let results = probe_all(&providers, QUICK).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the probe must not hang"
    );
    for (provider, status) in results {
        match (&provider.command, &status) {
            (None, ProbeStatus::Ready { .. }) => {}
            (Some(cmd), ProbeStatus::Missing { command }) => {
                assert_eq!(cmd, command);
                assert!(
                    find_program(cmd).is_none(),
                    "{} reported missing but is on PATH",
                    provider.name
                );
            }
            (Some(cmd), _) => assert!(
                find_program(cmd).is_some(),
                "{} reported present but is not on PATH: {status:?}",
                provider.name
            ),
            (None, other) => panic!("the native provider should be ready: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_real_acp_answer_is_ready_and_bad_agents_are_clear_errors_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    let version = "if [ \"$1\" = --version ]; then echo 'fake 1.0'; exit 0; fi";
    let good = script(
        dir.path(),
        "good-acp",
        &format!(
            "{version}\nread line\necho '{{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{{\"protocolVersion\":1,\"agentCapabilities\":{{}}}}}}'\nsleep 5"
        ),
    );
    let garbage = script(
        dir.path(),
        "garbage-acp",
        &format!("{version}\nread line\necho 'Welcome to FakeAgent v2!'\nsleep 5"),
    );
    let exits = script(dir.path(), "exits-acp", &format!("{version}\nexit 0"));
    let silent = script(dir.path(), "silent-acp", &format!("{version}\nsleep 100"));
    let no_version = script(dir.path(), "hangs-on-version", "sleep 100");

    assert_eq!(
        probe(&acp("good", good), QUICK).await,
        ProbeStatus::Ready {
            version: Some("fake 1.0".into()),
            handshake: true
        }
    );
    for (name, cmd, needle) in [
        ("garbage", garbage, "not JSON-RPC"),
        ("exits", exits, "exited without answering"),
        ("silent", silent, "no answer to initialize within 2 s"),
        ("no-version", no_version, "did not answer within 2 s"),
    ] {
        let started = Instant::now();
        let status = probe(&acp(name, cmd), QUICK).await;
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{name} took {:?}",
            started.elapsed()
        );
        match status {
            ProbeStatus::Broken { reason, .. } => {
                assert!(reason.contains(needle), "{name}: {reason}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    let disabled = Provider {
        enabled: false,
        ..acp("off", "x".into())
    };
    assert_eq!(probe(&disabled, QUICK).await, ProbeStatus::Disabled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_builds_its_backend_or_says_why_not() {
    use boocode_agents::{BackendKind, SessionConfig, default_providers};
    use boocode_core::{AgentEvent, CancellationToken, CollectSink, TurnOutcome};
    let find = |name: &str| {
        default_providers()
            .into_iter()
            .find(|p| p.name == name)
            .unwrap()
    };
    // The native loop needs a model and tools: without them, a clear error...
    let err = find("boocode").backend().err().unwrap();
    assert!(err.to_string().contains("BackendOptions::native"), "{err}");
    // ...with them, the same call builds it, and it answers from the model.
    let model = boocode_testkit::ScriptedOpenAi::start().await.unwrap();
    model.push(boocode_testkit::Reply::text("Native here."));
    let client =
        boocode_inference::OpenAiClient::new(boocode_inference::OpenAiConfig::new(model.url()))
            .unwrap();
    let native = find("boocode")
        .backend_with(boocode_agents::BackendOptions::new().native(
            boocode_agents::NativeParts::new(
                std::sync::Arc::new(client),
                boocode_core::ToolSet::new(),
                boocode_core::TurnConfig::default(),
            ),
        ))
        .unwrap();
    assert_eq!(native.kind(), BackendKind::Native);
    let mut session = native
        .start(SessionConfig::new(std::env::temp_dir()))
        .await
        .unwrap();
    let sink = CollectSink::new();
    let outcome = session
        .prompt("hello", &sink, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(outcome, TurnOutcome::Completed);
    assert!(
        sink.events()
            .iter()
            .any(|e| matches!(e, AgentEvent::TextDelta { text } if text == "Native here.")),
        "{:?}",
        sink.events()
    );
    session.close().await;
    // Not installed: the message names the provider and the program.
    let mut missing = find("goose");
    missing.command = Some("/nonexistent/goose".into());
    let err = missing.backend().err().unwrap();
    assert!(err.to_string().contains("not installed"), "{err}");
    // Disabled in the settings.
    let mut disabled = find("opencode");
    disabled.enabled = false;
    assert!(
        disabled
            .backend()
            .err()
            .unwrap()
            .to_string()
            .contains("disabled")
    );
    // A PTY provider runs its program.
    let mut pty = find("cursor");
    pty.kind = BackendKind::Pty;
    pty.command = Some("bash".into());
    pty.args = vec!["-c".into(), "read q; echo got $q".into()];
    let backend = pty.backend().unwrap();
    assert_eq!(backend.kind(), BackendKind::Pty);
    let dir = tempfile::tempdir().unwrap();
    let mut session = backend
        .start(SessionConfig::new(dir.path().to_path_buf()))
        .await
        .unwrap();
    let sink = CollectSink::new();
    let outcome = session
        .prompt("ping", &sink, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(outcome, TurnOutcome::Completed);
    // What the terminal showed when the program exited.
    let output = sink
        .events()
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::TerminalScreen { screen, .. } => Some(screen),
            _ => None,
        })
        .next_back()
        .unwrap_or_default();
    assert!(output.contains("got ping"), "{output:?}");
    session.close().await;
    // The ACP and Claude providers build their backends when the program exists.
    let mut opencode = find("opencode");
    opencode.command = Some("bash".into());
    assert_eq!(opencode.backend().unwrap().kind(), BackendKind::Acp);
    let mut claude = find("claude");
    claude.command = Some("bash".into());
    assert_eq!(claude.backend().unwrap().kind(), BackendKind::ClaudeSdk);
}

/// The built-in `qwen` provider, pointed at the pinned qwen-code, answers the ACP handshake
/// with the arguments the registry gives it.
#[tokio::test]
async fn the_builtin_qwen_provider_speaks_acp_with_the_pinned_qwen_code() {
    let Some(qwen) = boocode_testkit::peer_bin("qwen") else {
        return;
    };
    let mut provider = default_providers()
        .into_iter()
        .find(|p| p.name == "qwen")
        .unwrap();
    assert_eq!(provider.kind, BackendKind::Acp);
    provider.command = Some(qwen.display().to_string());
    let limits = ProbeLimits::default()
        .version(Duration::from_secs(30))
        .handshake(Duration::from_secs(30));
    match probe(&provider, limits).await {
        ProbeStatus::Ready {
            version: Some(version),
            handshake: true,
        } => assert!(version.contains("0.24"), "{version}"),
        other => panic!("{other:?}"),
    }
}
