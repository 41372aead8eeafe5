//! The real `boocode-coder` binary (the server in its coder profile) on an ephemeral port: chats
//! of the native loop against the scripted model, and of the real claude-agent-acp against the
//! scripted Anthropic server, in review mode — their edits land in the chat's pending queue,
//! apply writes them, rewind restores them; prompts wait in the inbox.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub,
    clippy::print_stderr
)]

mod common;

use boocode_testkit::{AnthropicReply, Reply, ScriptedAnthropic, ScriptedOpenAi};
use common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_native_chat_in_review_mode_queues_two_edits_then_apply_and_rewind() {
    let repo = repo();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(
        Reply::stream()
            .text("Changing the port in both files. ")
            .tool_call(
                "call_1",
                "edit_file",
                &[
                    r#"{"path": "src/main.rs", "old_string": "serve(8080)","#,
                    r#" "new_string": "serve(9090)"}"#,
                ],
            )
            .tool_call(
                "call_2",
                "edit_file",
                &[r#"{"path": "src/lib.rs", "old_string": "8080", "new_string": "9090"}"#],
            ),
    );
    model.push(Reply::stream().text("Both edits are proposed."));
    let daemon = Daemon::start(repo.path(), &model.url(), &[], None).await;

    // No mode given: the coder profile's chats write (review).
    let (session, chat) = daemon
        .chat(json!({"provider": "boocode", "thinking": "low"}))
        .await;
    let (_, view) = daemon.get(&format!("/api/chats/{chat}")).await;
    assert_eq!(view["mode"], "review", "{view}");
    let (events, finished) = daemon.prompt(&session, &chat, "use port 9090", None).await;
    assert_eq!(finished["status"], "complete", "{finished}");
    let results: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "tool_call_finished")
        .collect();
    assert_eq!(results.len(), 2, "{events:?}");
    assert!(
        results.iter().all(|e| e["is_error"] == false),
        "{results:?}"
    );
    // The thinking level reached the model as reasoning_effort.
    assert_eq!(
        model.completion_requests()[0].body["reasoning_effort"],
        "low"
    );

    // Both pending, with diffs; nothing written yet.
    let (_, changes) = daemon
        .get(&format!("/api/chats/{chat}/changes?state=pending"))
        .await;
    let changes = changes.as_array().unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    let paths: Vec<&str> = changes
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["src/main.rs", "src/lib.rs"]);
    assert!(
        changes[0]["diff"]
            .as_str()
            .unwrap()
            .contains("-    serve(8080);\n+    serve(9090);")
    );
    assert!(
        changes[1]["diff"]
            .as_str()
            .unwrap()
            .contains("+pub const PORT: u16 = 9090;")
    );
    assert_eq!(
        read(repo.path(), "src/main.rs"),
        "fn main() {\n    serve(8080);\n}\n"
    );
    // The project-wide listing shows them too, with their chat.
    let project = daemon.project().await;
    let (_, across) = daemon
        .get(&format!("/api/projects/{project}/changes?state=pending"))
        .await;
    assert_eq!(across.as_array().unwrap().len(), 2, "{across}");
    assert_eq!(across[0]["chat_id"], chat.as_str());

    // Apply writes both.
    let (status, report) = daemon
        .post(&format!("/api/chats/{chat}/changes/apply"), json!({}))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["done"].as_array().unwrap().len(), 2, "{report}");
    assert_port(repo.path(), 9090);

    // Rewind restores both.
    let (status, report) = daemon
        .post(&format!("/api/chats/{chat}/changes/rewind"), json!({}))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["done"].as_array().unwrap().len(), 2, "{report}");
    assert_port(repo.path(), 8080);
    let (_, all) = daemon.get(&format!("/api/chats/{chat}/changes")).await;
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|c| c["state"] == "reverted"),
        "{all}"
    );

    // A follow-up prompt in the same chat keeps the history.
    model.push(Reply::stream().text("Anything else?"));
    let (events, finished) = daemon.prompt(&session, &chat, "thanks", None).await;
    assert_eq!(finished["status"], "complete");
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "text_delta" && e["text"] == "Anything else?"),
        "{events:?}"
    );
    let last = model.completion_requests().last().unwrap().body.clone();
    assert!(
        last["messages"].to_string().contains("use port 9090"),
        "history kept"
    );
    // The history survives in the store, not in memory: a restarted daemon still shows it.
    let (_, page) = daemon.get(&format!("/api/chats/{chat}/messages")).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 4, "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_typed_errors() {
    let repo = repo();
    let model = ScriptedOpenAi::start().await.unwrap();
    let daemon = Daemon::start(repo.path(), &model.url(), &[], None).await;
    let cases = [
        (json!({"provider": "nope"}), 400, "is not configured"),
        (json!({"mode": "yolo"}), 400, "unknown variant"),
        (json!({"extra": 1}), 400, "unknown field"),
    ];
    for (body, code, text) in cases {
        let (status, err) = daemon.new_chat(body.clone()).await;
        assert_eq!(status, code, "{body}: {err}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(text),
            "{body}: {err}"
        );
    }
    let project = daemon.project().await;
    let resp = daemon
        .http
        .post(format!("{}/api/projects/{project}/sessions", daemon.url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    // One project only: adding another is refused, with the reason.
    let other = tempfile::tempdir().unwrap();
    let (status, err) = daemon
        .post("/api/projects", json!({"path": other.path()}))
        .await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(err["error"]["code"], "single_project", "{err}");
    // No web UI: pages are JSON 404s.
    let (status, _) = daemon.get("/").await;
    assert_eq!(status, 404);
    let (status, _) = daemon.get("/api/chats/nope").await;
    assert_eq!(status, 400);
    let ghost = "00000000-0000-4000-8000-000000000000";
    let (status, _) = daemon.get(&format!("/api/chats/{ghost}")).await;
    assert_eq!(status, 404);
    let (status, err) = daemon
        .post(
            &format!("/api/chats/{ghost}/changes/apply"),
            json!({"ids": ["x"]}),
        )
        .await;
    assert_eq!(status, 404, "{err}");
    let (status, err) = daemon
        .get(&format!("/api/projects/{project}/changes?state=bogus"))
        .await;
    assert_eq!(status, 400, "{err}");
    let (session, chat) = daemon.chat(json!({"provider": "boocode"})).await;
    let (status, _) = daemon
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({"text": "  "}),
        )
        .await;
    assert_eq!(status, 400);
    // A missing agent program is a clear error on the turn, not a hang.
    let (_, goose) = daemon.chat(json!({"provider": "goose"})).await;
    let (status, posted) = daemon
        .post(
            &format!("/api/chats/{goose}/messages"),
            json!({"text": "x"}),
        )
        .await;
    assert_eq!(status, 202, "{posted}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, page) = daemon.get(&format!("/api/chats/{goose}/messages")).await;
        let last = page["messages"]
            .as_array()
            .unwrap()
            .last()
            .cloned()
            .unwrap();
        if last["status"] == "failed" {
            assert!(last.to_string().contains("not installed"), "{last}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Cross-origin WebSockets are refused.
    let resp = daemon
        .http
        .get(format!("{}/api/sessions/{session}/ws", daemon.url))
        .header("origin", "http://evil.example")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
}

/// The claude-agent-acp provider pointed at the pinned peers and the scripted Anthropic server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acp_chat_in_review_mode_lands_its_write_in_the_same_queue() {
    let repo = repo();
    let server = ScriptedAnthropic::start().await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let Some((env, config)) = acp_env(&server, scratch.path()) else {
        return;
    };
    let target = repo.path().canonicalize().unwrap().join("src/new.rs");
    let input = format!(
        "{{\"file_path\": \"{}\", \"content\": \"pub fn added() {{}}\\n\"}}",
        target.display()
    );
    server.push(AnthropicReply::new().tool_use("toolu_w1", "Write", &[&input]));
    server.push(AnthropicReply::new().text(&["Queued it."]));
    let model = ScriptedOpenAi::start().await.unwrap();
    let daemon = Daemon::start(repo.path(), &model.url(), &env, Some(&config)).await;

    let (session, chat) = daemon
        .chat(json!({"provider": "claude-acp", "mode": "review"}))
        .await;
    // Nobody answers prompts: a write in review mode must never ask.
    let (events, finished) = daemon.prompt(&session, &chat, "add src/new.rs", None).await;
    assert_eq!(finished["status"], "complete", "{finished} {events:?}");
    assert!(
        !events.iter().any(|e| e["type"] == "permission_requested"),
        "the write went to the queue, not to the user: {events:?}"
    );
    assert!(!target.exists(), "nothing written before apply");
    let (_, changes) = daemon
        .get(&format!("/api/chats/{chat}/changes?state=pending"))
        .await;
    let changes = changes.as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0]["path"], "src/new.rs");
    assert!(
        changes[0]["diff"]
            .as_str()
            .unwrap()
            .contains("+pub fn added() {}")
    );
    // The agent's own write was refused (ACP carries no reason), and the model was told so.
    let last = server.message_requests().last().unwrap().body.to_string();
    assert!(
        last.contains("toolu_w1") && last.contains("is_error"),
        "{last}"
    );

    let (status, report) = daemon
        .post(&format!("/api/chats/{chat}/changes/apply"), json!({}))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(read(repo.path(), "src/new.rs"), "pub fn added() {}\n");
    let (status, _) = daemon
        .post(&format!("/api/chats/{chat}/changes/rewind"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert!(!target.exists(), "rewind removes the created file");
    // The agent's tool call is stored with the chat's history.
    let (_, page) = daemon.get(&format!("/api/chats/{chat}/messages")).await;
    assert!(page.to_string().contains("toolu_w1"), "{page}");
}

/// The `boocode` CLI built beside this binary (`cargo test --workspace` builds it), if any.
fn cli_bin() -> Option<PathBuf> {
    let deps = std::env::current_exe().ok()?;
    let bin = deps.parent()?.parent()?.join("boocode");
    if bin.exists() {
        return Some(bin);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI builds the whole workspace: the boocode CLI must be at {}",
        bin.display()
    );
    eprintln!("SKIPPED (cli): {} is not built", bin.display());
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_prompt_shows_in_the_inbox_and_is_answered_from_the_cli() {
    let repo = repo();
    let server = ScriptedAnthropic::start().await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let Some((env, config)) = acp_env(&server, scratch.path()) else {
        return;
    };
    let marker = repo.path().join("ran.txt");
    let input = format!(
        "{{\"command\": \"touch {}\", \"description\": \"touch a file\"}}",
        marker.display()
    );
    server.push(AnthropicReply::new().tool_use("toolu_b1", "Bash", &[&input]));
    server.push(AnthropicReply::new().text(&["Not run, then."]));
    let model = ScriptedOpenAi::start().await.unwrap();
    let daemon = Daemon::start(repo.path(), &model.url(), &env, Some(&config)).await;
    let (session, chat) = daemon
        .chat(json!({"provider": "claude-acp", "mode": "review"}))
        .await;
    let mut stream = daemon.stream(&session).await;
    let message = daemon.send_prompt(&chat, "touch it").await;

    // Bash is no file write: it asks, and the prompt waits in the inbox.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let item = loop {
        let (_, inbox) = daemon.get("/api/inbox").await;
        if let Some(item) = inbox.as_array().unwrap().first() {
            break item.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no prompt arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(item["chat_id"], chat.as_str());
    // claude-agent-acp names its Bash tool by kind: "Terminal".
    let tool = item["tool"].as_str().unwrap().to_owned();
    assert!(["Bash", "Terminal"].contains(&tool.as_str()), "{item}");
    let request = item["request_id"].as_str().unwrap();

    match cli_bin() {
        Some(cli) => {
            let listed = tokio::process::Command::new(&cli)
                .args(["inbox", "--daemon", &daemon.url])
                .output()
                .await
                .unwrap();
            let text = String::from_utf8_lossy(&listed.stdout).into_owned();
            assert!(text.contains(request) && text.contains(&tool), "{text}");
            let answered = tokio::process::Command::new(&cli)
                .args([
                    "inbox",
                    "--daemon",
                    &daemon.url,
                    "--answer",
                    request,
                    "--decision",
                    "deny",
                ])
                .output()
                .await
                .unwrap();
            assert_eq!(
                answered.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&answered.stderr)
            );
        }
        None => {
            let (status, body) = daemon
                .post(
                    &format!("/api/inbox/{request}"),
                    json!({"decision": "deny"}),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
    }
    let (events, finished) = stream.turn(&daemon, &message, None).await;
    assert_eq!(finished["status"], "complete", "{finished}");
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "permission_resolved" && e["decision"] == "deny"),
        "{events:?}"
    );
    assert!(!marker.exists(), "a denied command never runs");
    let (_, inbox) = daemon.get("/api/inbox").await;
    assert!(inbox.as_array().unwrap().is_empty(), "{inbox}");
    // An answer to a prompt no longer waiting is a typed conflict naming its state.
    let (status, body) = daemon
        .post(
            &format!("/api/inbox/{request}"),
            json!({"decision": "allow_once"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "answered", "{body}");
    // The permission and its decision are stored with the chat.
    let (_, page) = daemon.get(&format!("/api/chats/{chat}/messages")).await;
    assert!(page.to_string().contains("\"permission\""), "{page}");

    // The daemon killed with SIGKILL (the chat's agent still warm) takes its agent processes with it.
    let root = repo.path().canonicalize().unwrap();
    assert!(
        !processes_in(&root).is_empty(),
        "the agent runs in the project"
    );
    drop(daemon);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !processes_in(&root).is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "left running: {:?}",
            processes_in(&root)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Processes whose working directory is `dir`.
fn processes_in(dir: &Path) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == dir))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_guards_the_daemon_and_is_required_beyond_loopback() {
    let repo = repo();
    let model = ScriptedOpenAi::start().await.unwrap();
    let daemon = Daemon::start(
        repo.path(),
        &model.url(),
        &[("BOOCODE_CODER_TOKEN", "a-long-enough-token".to_owned())],
        None,
    )
    .await;
    let status =
        |rb: reqwest::RequestBuilder| async move { rb.send().await.unwrap().status().as_u16() };
    let url = format!("{}/api/projects", daemon.url);
    assert_eq!(status(daemon.http.get(&url)).await, 401);
    assert_eq!(
        status(
            daemon
                .http
                .get(&url)
                .bearer_auth("wrong-token-of-same-size")
        )
        .await,
        401
    );
    assert_eq!(
        status(daemon.http.get(&url).bearer_auth("a-long-enough-token")).await,
        200
    );

    // Beyond loopback without a token: refused before listening, with the reason.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_boocode-coder"))
        .args([
            "--bind",
            "0.0.0.0:0",
            "--database",
            "sqlite::memory:",
            "--root",
        ])
        .arg(repo.path())
        .env_remove("BOOCODE_CODER_TOKEN")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("without authentication"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_finished_turn_of_a_chat_lands_in_the_usage_ledger() {
    let repo = repo();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(Reply::stream().text("one").usage(120, 7));
    model.push(Reply::stream().text("two").usage(300, 11));
    let daemon = Daemon::start(repo.path(), &model.url(), &[], None).await;
    let (session, chat) = daemon
        .chat(json!({"provider": "boocode", "model": "coder-7b"}))
        .await;
    daemon.prompt(&session, &chat, "hi", None).await;
    daemon.prompt(&session, &chat, "again", None).await;
    let (status, report) = daemon.get("/api/usage?group_by=model").await;
    assert_eq!(status, 200, "{report}");
    let store = boocode_store::Store::connect(&format!(
        "sqlite://{}",
        daemon.home.path().join("coder.db").display()
    ))
    .await
    .unwrap();
    let root = repo.path().canonicalize().unwrap().display().to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let rows = loop {
        let rows = store
            .usage_report(Some(&root), 0, boocode_store::UsageGroup::Model)
            .await
            .unwrap();
        if rows.first().is_some_and(|r| r.turns == 2) || std::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (
            rows[0].key.as_str(),
            rows[0].turns,
            rows[0].prompt_tokens,
            rows[0].completion_tokens
        ),
        ("coder-7b", 2, 420, 18)
    );
}
