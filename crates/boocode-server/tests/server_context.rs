//! What a turn starts from: BOOCHAT.md and agents in the system prompt, compaction into one
//! rolling summary, auto-naming, and a graceful shutdown that records running turns.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub,
    clippy::print_stderr
)]

mod common;

use boocode_testkit::{Reply, ScriptedOpenAi};
use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_fires_past_85_percent_and_the_next_request_starts_from_the_summary() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.set_props_n_ctx(Some(1000));
    // Turn 1 fills 920 of 1000 tokens (> floor(0.85 × 1000) = 850).
    model.push(
        Reply::stream()
            .reasoning("Look at main first.")
            .text("Main calls serve.")
            .usage(900, 20),
    );
    // Before turn 2: the summarizer's call, then turn 2 itself.
    model.push(
        Reply::stream()
            .text("The user is tracing serve(); main.rs calls it.")
            .usage(300, 30),
    );
    model.push(Reply::stream().text("Answer two.").usage(950, 10));
    // Before turn 3: compaction again (the new summary replaces the old), then turn 3.
    model.push(
        Reply::stream()
            .text("Still tracing serve(); two answers given.")
            .usage(300, 30),
    );
    model.push(Reply::stream().text("Answer three.").usage(200, 10));
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let repo = sandbox.repo("compact");
    // A PreCompact hook notes each compaction's trigger.
    std::fs::create_dir_all(repo.join(".boocode")).unwrap();
    std::fs::write(
        repo.join(".boocode/settings.json"),
        json!({"hooks": {"PreCompact": [{"matcher": "auto", "hooks": [{"type": "command",
            "command": "python3 -c 'import json, sys; print(json.load(sys.stdin)[\"trigger\"])' >> compactions.log"}]}]}})
        .to_string(),
    )
    .unwrap();
    let (session, chat) = server.session(&repo).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;

    turn(&server, &mut ws, &chat, "What does main do?").await;
    assert!(!repo.join("compactions.log").exists());
    turn(&server, &mut ws, &chat, "And serve?").await;
    assert_eq!(
        std::fs::read_to_string(repo.join("compactions.log")).unwrap(),
        "auto\n"
    );
    let requests = model.completion_requests();
    assert_eq!(requests.len(), 3);
    let summarizer = &requests[1];
    assert_eq!(summarizer.body["stream"], false);
    let transcript = summarizer.messages()[1]["content"].as_str().unwrap();
    assert!(
        transcript.contains("(thinking) Look at main first."),
        "the summarizer sees reasoning as a prefix: {transcript}"
    );
    assert!(transcript.contains("What does main do?"));
    let turn2 = requests[2].messages();
    assert_eq!(turn2[0]["role"], "system");
    let first = turn2[1]["content"].as_str().unwrap();
    assert!(
        first.starts_with("Summary of the conversation so far:\n\nThe user is tracing serve()"),
        "{first}"
    );
    assert!(first.ends_with("And serve?"), "{first}");
    assert!(
        !first.contains("hook PreCompact"),
        "notices never reach the model: {first}"
    );
    assert_eq!(
        turn2.len(),
        2,
        "nothing before the summary is sent: {turn2:?}"
    );

    turn(&server, &mut ws, &chat, "Third?").await;
    let messages = server.messages(&chat).await;
    let summaries: Vec<&serde_json::Value> =
        messages.iter().filter(|m| m["kind"] == "summary").collect();
    assert_eq!(summaries.len(), 1, "one summary row per chat");
    assert!(
        summaries[0]["parts"]
            .to_string()
            .contains("hook PreCompact `python3 -c"),
        "the hook's run shows on the summary: {}",
        summaries[0]
    );
    assert!(
        summaries[0]["parts"][0]["text"]
            .as_str()
            .unwrap()
            .contains("two answers given")
    );
    let turn3 = model.completion_requests()[4].messages().to_vec();
    assert!(
        turn3[1]["content"]
            .as_str()
            .unwrap()
            .contains("Still tracing serve()")
    );
    // The full history stays visible to the user.
    let texts: Vec<String> = messages
        .iter()
        .filter(|m| m["role"] == "assistant")
        .map(|m| {
            m["parts"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["type"] == "text")
                .map(|p| p["text"].as_str().unwrap())
                .collect::<String>()
        })
        .collect();
    assert!(
        texts.iter().any(|t| t == "Main calls serve.")
            && texts.iter().any(|t| t == "Answer three."),
        "{texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_session_is_named_after_the_first_reply() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(Reply::text("The HTTP server starts in src/server.rs."));
    model.push(Reply::text("\"Finding The HTTP Server.\""));
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let (_, project) = server
        .post("/api/projects", json!({ "path": sandbox.repo("naming") }))
        .await;
    let (_, created) = server
        .post(
            &format!("/api/projects/{}/sessions", project["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    let session = created["session"]["id"].as_str().unwrap().to_owned();
    let chat = created["chat"]["id"].as_str().unwrap().to_owned();
    let mut user = server.ws("/api/user/ws").await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    turn(&server, &mut ws, &chat, "Where does the server start?").await;
    let updated = user
        .until(|f| f["type"] == "session_updated")
        .await
        .pop()
        .unwrap();
    assert_eq!(updated["session"]["title"], "Finding The HTTP Server");
    let (_, got) = server.get(&format!("/api/sessions/{session}")).await;
    assert_eq!(got["session"]["title"], "Finding The HTTP Server");
    let naming = &model.completion_requests()[1];
    assert!(
        naming.body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("about four words")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_system_prompt_joins_boochat_files_and_the_agent_and_drift_is_logged() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(Reply::text("one"));
    model.push(Reply::text("two"));
    let config = sandbox.home.path().join("config/boocode");
    std::fs::create_dir_all(config.join("agents")).unwrap();
    std::fs::write(config.join("BOOCHAT.md"), "GLOBAL RULE: answer in English.").unwrap();
    let repo = sandbox.repo("prompt");
    std::fs::write(
        repo.join("BOOCHAT.md"),
        "PROJECT RULE: this is a Rust service.",
    )
    .unwrap();
    std::fs::create_dir_all(repo.join(".boocode/agents")).unwrap();
    std::fs::write(
        repo.join(".boocode/agents/reviewer.md"),
        "---\nname: reviewer\ntools: [grep]\n---\nAGENT RULE: review strictly.",
    )
    .unwrap();
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let (_, project) = server.post("/api/projects", json!({ "path": repo })).await;
    let (_, created) = server
        .post(
            &format!("/api/projects/{}/sessions", project["id"].as_str().unwrap()),
            json!({ "title": "t", "agent": "reviewer" }),
        )
        .await;
    let session = created["session"]["id"].as_str().unwrap().to_owned();
    let chat = created["chat"]["id"].as_str().unwrap().to_owned();
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    turn(&server, &mut ws, &chat, "hi").await;
    let sent = &model.completion_requests()[0].body;
    let system = sent["messages"][0]["content"].as_str().unwrap();
    for rule in ["GLOBAL RULE", "PROJECT RULE", "AGENT RULE"] {
        assert!(system.contains(rule), "{rule} missing from {system}");
    }
    assert_eq!(
        sent["tools"].as_array().unwrap().len(),
        1,
        "the agent's whitelist applies"
    );

    std::fs::write(repo.join("BOOCHAT.md"), "PROJECT RULE: changed.").unwrap();
    turn(&server, &mut ws, &chat, "again").await;
    let log = server.log_text();
    assert!(log.contains("system prompt drifted between turns"), "{log}");
    assert!(log.contains("project BOOCHAT.md changed"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_records_running_turns_as_cancelled() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(Reply::stream().text("working on it").stall());
    let db = sandbox.sqlite_url();
    let mut server = Server::start(&sandbox, Options::new(db.clone(), model.url())).await;
    let (session, chat) = server.session(&sandbox.repo("shutdown")).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "long job" }),
        )
        .await;
    ws.until(|f| event_type(f) == Some("text_delta")).await;
    let status = server.terminate().await;
    assert!(status.success(), "{status:?}");
    let server = Server::start(&sandbox, Options::new(db, model.url())).await;
    let messages = server.messages(&chat).await;
    assert_eq!(messages[1]["status"], "cancelled", "{}", messages[1]);
    assert_eq!(messages[1]["parts"][0]["text"], "working on it");
    let _ = Duration::ZERO;
}

/// A binary of another package of the workspace (`cargo test --workspace` builds them all).
fn sibling_bin(name: &str) -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join(name);
    if bin.exists() {
        return Some(bin);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI runs the whole workspace, which builds {name}"
    );
    eprintln!("SKIPPED: {name} is not built (run `cargo test --workspace`)");
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boocode_run_a_server_chat_and_mcp_dispatch_send_the_same_system_prompt() {
    let (Some(cli), Some(mcp)) = (sibling_bin("boocode"), sibling_bin("boocode-mcp")) else {
        return;
    };
    let python = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/peers/.venv/bin/python");
    if !python.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI makes tests/peers/.venv"
        );
        eprintln!("SKIPPED: tests/peers/.venv is missing");
        return;
    }
    let sandbox = Sandbox::new();
    // One global BOOCHAT.md where all three look: $HOME/.config/boocode.
    let config = sandbox.home.path().join(".config/boocode");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("BOOCHAT.md"), "GLOBAL RULE: be brief.").unwrap();
    let repo = sandbox.repo("same");
    std::fs::write(repo.join("BOOCHAT.md"), "PROJECT RULE: tabs.").unwrap();
    let model = ScriptedOpenAi::start().await.unwrap();
    for _ in 0..3 {
        model.push(Reply::text("ok"));
    }

    // 1. A server chat.
    let mut opts = Options::new(sandbox.sqlite_url(), model.url());
    opts.env.push((
        "XDG_CONFIG_HOME",
        sandbox.home.path().join(".config").display().to_string(),
    ));
    let server = Server::start(&sandbox, opts).await;
    let (session, chat) = server.session(&repo).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    turn(&server, &mut ws, &chat, "hi").await;

    // 2. `boocode run` in the same project.
    let out = tokio::process::Command::new(&cli)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", sandbox.home.path())
        .args(["run", "--model-url", &model.url(), "--cwd"])
        .arg(&repo)
        .arg("hi")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // 3. MCP `dispatch_agent` to the native provider, driven by the Python MCP SDK.
    let db = tempfile::tempdir().unwrap();
    let plan = json!([["dispatch_agent", {"provider": "boocode", "prompt": "hi"}]]);
    let out = tokio::process::Command::new(&python)
        .env("HOME", sandbox.home.path())
        .arg(
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/peers/mcp_client.py"),
        )
        .arg(plan.to_string())
        .arg("--")
        .arg(&mcp)
        .arg("--root")
        .arg(&repo)
        .arg("--database")
        .arg(format!("sqlite://{}", db.path().join("m.db").display()))
        .args(["--model-url", &model.url()])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["calls"][0]["is_error"], false, "{report}");

    let systems: Vec<String> = model
        .completion_requests()
        .iter()
        .map(|r| r.messages()[0]["content"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(systems.len(), 3, "{systems:?}");
    assert!(
        systems[0].contains("GLOBAL RULE") && systems[0].contains("PROJECT RULE"),
        "{}",
        systems[0]
    );
    assert_eq!(systems[1], systems[0], "boocode run");
    assert_eq!(systems[2], systems[0], "MCP dispatch_agent");
}
