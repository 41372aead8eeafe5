//! The Claude SDK backend driving the real `claude` CLI (pinned in tests/peers) against the
//! scripted Anthropic server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;
use common::text;

use boocode_agents::{AgentBackend, AgentSession, ClaudeSdkBackend, SessionConfig};
use boocode_core::{AgentEvent, CancellationToken, CollectSink, PermissionDecision, TurnOutcome};
use boocode_testkit::{AnthropicReply, ScriptedAnthropic, peer_bin};
use std::time::Duration;

struct Setup {
    server: ScriptedAnthropic,
    dir: tempfile::TempDir,
    session: Box<dyn AgentSession>,
}

async fn setup() -> Option<Setup> {
    let claude = peer_bin("claude")?;
    let server = ScriptedAnthropic::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("claude-config");
    std::fs::create_dir_all(&config).unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let backend = ClaudeSdkBackend::new(claude)
        .env("ANTHROPIC_BASE_URL", server.url())
        .env("ANTHROPIC_API_KEY", "sk-test")
        .env("CLAUDE_CONFIG_DIR", config.display().to_string())
        .env("HOME", dir.path().display().to_string())
        .env("DISABLE_TELEMETRY", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    let session = backend
        .start(SessionConfig::new(work).model("claude-sonnet-4-5"))
        .await
        .unwrap();
    Some(Setup {
        server,
        dir,
        session,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_turn_streams_and_reports_usage_and_the_session_id() {
    let Some(mut s) = setup().await else { return };
    s.server.push(
        AnthropicReply::new()
            .thinking("hm")
            .text(&["Hello ", "there."])
            .usage(120, 7),
    );
    let sink = CollectSink::new();
    let outcome = s
        .session
        .prompt("say hello", &sink, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(outcome, TurnOutcome::Completed);
    assert_eq!(text(&sink), "Hello there.");
    assert!(
        sink.events()
            .iter()
            .any(|e| matches!(e, AgentEvent::ReasoningDelta { text } if text == "hm"))
    );
    let session_id = s.session.backend_session_id().unwrap();
    assert!(sink.events().iter().any(
        |e| matches!(e, AgentEvent::BackendSession { session_id: id, .. } if *id == session_id)
    ));
    let finished = sink
        .events()
        .into_iter()
        .find_map(|e| match e {
            AgentEvent::TurnFinished { usage, .. } => Some(usage),
            _ => None,
        })
        .unwrap();
    assert!(
        finished.completion_tokens > 0 && finished.cost_usd.is_some(),
        "{finished:?}"
    );
    s.session.close().await;
}

async fn write_file_turn(decision: PermissionDecision) -> (bool, TurnOutcome, Vec<AgentEvent>) {
    let mut s = setup().await.expect("the claude peer");
    let target = s.dir.path().join("work/created.txt");
    let input = format!(
        "{{\"file_path\": \"{}\", \"content\": \"written by claude\\n\"}}",
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
        Some("Write"),
        decision,
        Duration::from_secs(60),
    )
    .await;
    let exists = target.exists();
    (exists, outcome, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_write_is_written_and_a_denied_one_is_not() {
    if peer_bin("claude").is_none() {
        return;
    }
    let (written, outcome, events) = write_file_turn(PermissionDecision::AllowOnce).await;
    assert!(written, "allowed: the file is written");
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
async fn cancelling_while_a_permission_prompt_waits_denies_it_and_stops() {
    let Some(mut s) = setup().await else { return };
    let target = s.dir.path().join("work/created.txt");
    let input = format!(
        "{{\"file_path\": \"{}\", \"content\": \"written by claude\\n\"}}",
        target.display()
    );
    s.server
        .push(AnthropicReply::new().text(&["Writing the file."]).tool_use(
            "toolu_w1",
            "Write",
            &["", &input],
        ));
    s.server.push(AnthropicReply::new().text(&["Done."]));
    s.server.push(AnthropicReply::new().text(&["Understood."]));
    let sink = CollectSink::new();
    let cancel = CancellationToken::new();
    let prompt = s.session.prompt("create the file", &sink, &cancel);
    // Cancel once asked: the waiting prompt is denied and the turn stops, nothing written.
    let watcher = async {
        loop {
            if sink.events().iter().any(
                |e| matches!(e, AgentEvent::PermissionRequested { tool, .. } if tool == "Write"),
            ) {
                cancel.cancel();
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let (outcome, ()) = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::join!(prompt, watcher)
    })
    .await
    .unwrap();
    assert_eq!(outcome.unwrap(), TurnOutcome::Cancelled);
    assert!(!target.exists(), "a denied write writes nothing");
    let events = sink.events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::ToolCallStarted { name, .. } if name == "Write"))
    );
    assert!(events.iter().any(|e| matches!(
        e,
        AgentEvent::PermissionResolved {
            decision: PermissionDecision::Deny,
            ..
        }
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_mid_stream_ends_the_turn_as_cancelled_and_the_session_goes_on() {
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
    assert!(
        text(&sink).len() < pieces.concat().len(),
        "the stream was cut short"
    );
    // The same warm process takes the next prompt.
    let next = CollectSink::new();
    let outcome = s
        .session
        .prompt("and now?", &next, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(outcome, TurnOutcome::Completed);
    assert_eq!(text(&next), "After the stop.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_resumes_from_a_postgres_transcript_store_on_a_fresh_process_and_config_dir() {
    let Some(claude) = peer_bin("claude") else {
        return;
    };
    let Some(db) = boocode_testkit::PgTestDb::create().await else {
        return;
    };
    let store: std::sync::Arc<dyn boocode_store::TranscriptStore> =
        std::sync::Arc::new(boocode_store::Store::connect(db.url()).await.unwrap());
    let server = ScriptedAnthropic::start().await.unwrap();
    server.push(AnthropicReply::new().text(&["Noted: PINEAPPLE."]));
    server.push(AnthropicReply::new().text(&["You told me PINEAPPLE."]));
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let backend = |config: &std::path::Path| {
        std::fs::create_dir_all(config).unwrap();
        ClaudeSdkBackend::new(claude.clone())
            .env("ANTHROPIC_BASE_URL", server.url())
            .env("ANTHROPIC_API_KEY", "sk-test")
            .env("CLAUDE_CONFIG_DIR", config.display().to_string())
            .env("HOME", dir.path().display().to_string())
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .with_transcripts(store.clone())
    };

    // Host A.
    let config_a = dir.path().join("config-a");
    let mut first = backend(&config_a)
        .start(SessionConfig::new(work.clone()).model("claude-sonnet-4-5"))
        .await
        .unwrap();
    let sink = CollectSink::new();
    assert_eq!(
        first
            .prompt(
                "Remember the word PINEAPPLE.",
                &sink,
                &CancellationToken::new()
            )
            .await
            .unwrap(),
        TurnOutcome::Completed
    );
    let session_id = first.backend_session_id().unwrap();
    first.close().await;
    let key =
        boocode_store::SessionKey::main(boocode_store::project_key_for(&work), session_id.clone());
    let mirrored = store
        .load(&key)
        .await
        .unwrap()
        .expect("the transcript was mirrored into the store");
    assert!(
        mirrored
            .iter()
            .any(|e| e.to_string().contains("Remember the word PINEAPPLE."))
    );
    // Nothing of host A's disk survives.
    std::fs::remove_dir_all(&config_a).unwrap();

    // Host B: a fresh process and an empty config dir, resuming from the store alone.
    let mut second = backend(&dir.path().join("config-b"))
        .start(
            SessionConfig::new(work.clone())
                .model("claude-sonnet-4-5")
                .resume(session_id.clone()),
        )
        .await
        .unwrap();
    let sink = CollectSink::new();
    assert_eq!(
        second
            .prompt("Which word was it?", &sink, &CancellationToken::new())
            .await
            .unwrap(),
        TurnOutcome::Completed
    );
    assert_eq!(text(&sink), "You told me PINEAPPLE.");
    assert_eq!(
        second.backend_session_id().as_deref(),
        Some(session_id.as_str()),
        "the same session continues"
    );
    let resumed = &server.message_requests()[1];
    let sent = resumed.body["messages"].to_string();
    assert!(
        sent.contains("Remember the word PINEAPPLE.") && sent.contains("Noted: PINEAPPLE."),
        "the model received the earlier turn: {sent}"
    );
    second.close().await;
}

/// The pid of the process whose working directory is `dir` (the session's claude).
/// Whether a file called `name` is anywhere under `dir`.
fn has_file(dir: &std::path::Path, name: &str) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let path = e.path();
            path.file_name().is_some_and(|n| n == name) || (path.is_dir() && has_file(&path, name))
        })
    })
}

fn process_in(dir: &std::path::Path) -> Option<i32> {
    let want = dir.canonicalize().ok()?;
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        (std::fs::read_link(e.path().join("cwd")).ok()? == want).then_some(pid)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modes_and_models_switch_and_a_crashed_process_is_replaced() {
    let Some(mut s) = setup().await else { return };
    // acceptEdits: a Write goes through without asking.
    s.session.set_mode("acceptEdits").await.unwrap();
    s.session.set_model("claude-opus-4-1").await.unwrap();
    let target = s.dir.path().join("work/auto.txt");
    let input = format!(
        "{{\"file_path\": \"{}\", \"content\": \"auto\\n\"}}",
        target.display()
    );
    s.server
        .push(AnthropicReply::new().tool_use("toolu_a1", "Write", &["", &input]));
    s.server.push(AnthropicReply::new().text(&["Written."]));
    let sink = CollectSink::new();
    assert_eq!(
        s.session
            .prompt("write it", &sink, &CancellationToken::new())
            .await
            .unwrap(),
        TurnOutcome::Completed
    );
    assert!(target.exists(), "acceptEdits writes without a prompt");
    assert!(
        !sink
            .events()
            .iter()
            .any(|e| matches!(e, AgentEvent::PermissionRequested { .. }))
    );
    // The CLI resolves the alias to its current opus id; what matters is the switch.
    let model = s.server.message_requests().last().unwrap().body["model"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(model.starts_with("claude-opus"), "{model}");
    let session_id = s.session.backend_session_id().unwrap();

    // The process dies between turns (after it saved the turn: resuming needs a transcript,
    // and claude writes it a moment after the result): the next prompt reports it, the one
    // after starts a fresh process that resumes the same session.
    let saved = format!("{session_id}.jsonl");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !has_file(&s.dir.path().join("claude-config/projects"), &saved) {
        assert!(
            std::time::Instant::now() < deadline,
            "claude never saved {saved}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = process_in(&s.dir.path().join("work")).expect("the claude process");
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.server.push(AnthropicReply::new().text(&["Back again."]));
    s.server.push(AnthropicReply::new().text(&["Back again."]));
    let sink = CollectSink::new();
    let first_try = s
        .session
        .prompt("still there?", &sink, &CancellationToken::new())
        .await;
    let outcome = match first_try {
        Err(e) => {
            assert!(
                e.to_string().contains("claude exited")
                    || e.to_string().contains("stopped reading"),
                "{e}"
            );
            s.session
                .prompt("still there?", &sink, &CancellationToken::new())
                .await
                .unwrap()
        }
        Ok(outcome) => outcome,
    };
    assert_eq!(outcome, TurnOutcome::Completed);
    assert!(text(&sink).contains("Back again."));
    assert_eq!(
        s.session.backend_session_id().as_deref(),
        Some(session_id.as_str())
    );
    assert!(
        process_in(&s.dir.path().join("work")).is_some_and(|p| p != pid),
        "a new process, not a zombie"
    );
    s.session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_and_cost_are_recorded_per_turn_on_the_agent_session_row() {
    use boocode_agents::UsageRecorder;
    use boocode_store::{BackendName, Store};
    let Some(mut s) = setup().await else { return };
    let sqlite = tempfile::tempdir().unwrap();
    let mut stores = vec![(
        Store::connect(&format!(
            "sqlite://{}",
            sqlite.path().join("r.db").display()
        ))
        .await
        .unwrap(),
        None,
    )];
    if let Some(db) = boocode_testkit::PgTestDb::create().await {
        stores.push((Store::connect(db.url()).await.unwrap(), Some(db)));
    }
    let mut rows = Vec::new();
    for (store, _) in &stores {
        let project = store.create_project("p", "/tmp").await.unwrap();
        let session = store.create_session(project.id, "s").await.unwrap();
        let chat = store.create_chat(session.id, "c", None).await.unwrap();
        let row = store
            .create_agent_session(chat.id, BackendName::ClaudeSdk, "claude")
            .await
            .unwrap();
        rows.push((store.clone(), chat.id, row.id));
    }
    // Two turns; claude reports a running cost total, the row must get the sum of the turns.
    let mut per_turn = Vec::new();
    for _ in 0..2 {
        s.server
            .push(AnthropicReply::new().text(&["hi"]).usage(1000, 500));
        let collect = std::sync::Arc::new(CollectSink::new());
        let mut tasks = Vec::new();
        let mut sink: std::sync::Arc<dyn boocode_core::EventSink> = collect.clone();
        for (store, _, id) in &rows {
            let (recorder, task) = UsageRecorder::new(store.clone(), id.clone(), sink);
            sink = std::sync::Arc::new(recorder);
            tasks.push(task);
        }
        s.session
            .prompt("x", sink.as_ref(), &CancellationToken::new())
            .await
            .unwrap();
        drop(sink);
        for task in tasks {
            task.finish().await;
        }
        let usage = collect
            .events()
            .into_iter()
            .find_map(|e| match e {
                AgentEvent::TurnFinished { usage, .. } => Some(usage),
                _ => None,
            })
            .unwrap();
        per_turn.push(usage);
    }
    assert_eq!(per_turn[0].cost_usd, per_turn[1].cost_usd, "{per_turn:?}");
    assert!(per_turn[0].cost_usd.unwrap() > 0.0);
    let session_id = s.session.backend_session_id().unwrap();
    for (store, chat, _) in &rows {
        let row = &store.list_agent_sessions(*chat).await.unwrap()[0];
        assert_eq!(row.backend_session_id.as_deref(), Some(session_id.as_str()));
        assert_eq!((row.prompt_tokens, row.completion_tokens), (2000, 1000));
        let expected = per_turn[0].cost_usd.unwrap() * 2.0;
        assert!(
            (row.cost_usd - expected).abs() < 1e-9,
            "{} vs {expected}",
            row.cost_usd
        );
    }
    s.session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_claude_cannot_resume_becomes_a_new_one_and_says_so() {
    let Some(claude) = peer_bin("claude") else {
        return;
    };
    let server = ScriptedAnthropic::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("claude-config");
    std::fs::create_dir_all(&config).unwrap();
    let backend = ClaudeSdkBackend::new(claude)
        .env("ANTHROPIC_BASE_URL", server.url())
        .env("ANTHROPIC_API_KEY", "sk-test")
        .env("CLAUDE_CONFIG_DIR", config.display().to_string())
        .env("HOME", dir.path().display().to_string())
        .env("DISABLE_TELEMETRY", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    let unknown = "5f0c6a3e-0000-4000-8000-000000000000";
    let started = std::time::Instant::now();
    let mut session = backend
        .start(SessionConfig::new(dir.path().to_owned()).resume(unknown))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "no 60 s wait on a dead process"
    );
    server.push(AnthropicReply::new().text(&["Fresh start."]));
    let sink = CollectSink::new();
    let outcome = session
        .prompt("hello", &sink, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(outcome, TurnOutcome::Completed);
    assert!(text(&sink).contains("Fresh start."));
    assert!(sink.events().iter().any(|e| matches!(
        e,
        AgentEvent::Notice { message, .. } if message.contains(unknown) && message.contains("new session")
    )));
    assert_ne!(session.backend_session_id().as_deref(), Some(unknown));
    session.close().await;
}
