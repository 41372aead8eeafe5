//! Chats whose provider is an external agent, through the real server: the real
//! claude-agent-acp (npm, pinned in tests/peers) against the scripted Anthropic server. Its
//! tool calls stream as frames and are stored; its permission prompt waits in the inbox with the
//! chat `waiting_for_input`, is answered by REST and the agent goes on; its session stays warm
//! between turns; in review mode its writes land in the chat's pending changes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_testkit::{AnthropicReply, Reply, ScriptedAnthropic, ScriptedOpenAi, peer_bin};
use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claude_acp_chat_streams_asks_through_the_inbox_stays_warm_and_queues_its_writes() {
    let sandbox = Sandbox::new();
    let anthropic = ScriptedAnthropic::start().await.unwrap();
    let Some(env) = acp_setup(&sandbox, &anthropic) else {
        return;
    };
    let repo = sandbox.repo("agent");
    let root = repo.canonicalize().unwrap();
    let marker = root.join("ran.txt");
    let bash =
        json!({"command": format!("touch {}", marker.display()), "description": "touch a file"});
    anthropic.push(AnthropicReply::new().tool_use("toolu_b1", "Bash", &[&bash.to_string()]));
    anthropic.push(AnthropicReply::new().text(&["Touched it."]));
    let server = agent_server(&sandbox, sandbox.sqlite_url(), env).await;
    let (session, chat) = agent_chat(
        &server,
        &repo,
        json!({ "provider": "claude-acp", "mode": "review" }),
    )
    .await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    let mut user = server.ws("/api/user/ws").await;
    let (status, _) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "touch it" }),
        )
        .await;
    assert_eq!(status, 202);

    // The Bash prompt arrives as a frame, waits in the inbox, the chat waits for input.
    let mut frames = ws
        .until(|f| f["event"]["type"] == "permission_requested")
        .await;
    // The agent's turn starts on the chat's own assistant row, not an id of the agent's.
    let started = frames
        .iter()
        .find(|f| event_type(f) == Some("turn_started"))
        .unwrap()
        .clone();
    assert_eq!(started["event"]["message_id"], started["message_id"]);
    let asked = frames.pop().unwrap();
    let request = asked["event"]["request_id"].as_str().unwrap().to_owned();
    let (_, inbox) = server.get("/api/inbox").await;
    let item = &inbox[0];
    assert_eq!(
        (
            item["request_id"].as_str(),
            item["chat_id"].as_str(),
            item["provider"].as_str()
        ),
        (
            Some(request.as_str()),
            Some(chat.as_str()),
            Some("claude-acp")
        ),
        "{inbox}"
    );
    user.until(|f| f["type"] == "chat_status" && f["status"] == "waiting_for_input")
        .await;
    let (status, answered) = server
        .post(
            &format!("/api/inbox/{request}"),
            json!({ "decision": "allow_once" }),
        )
        .await;
    assert_eq!(status, 200, "{answered}");
    let (status, _) = server
        .post(
            &format!("/api/inbox/{request}"),
            json!({ "decision": "deny" }),
        )
        .await;
    assert_eq!(status, 409, "answered once");
    let (status, missing) = server
        .post("/api/inbox/perm_nope", json!({ "decision": "deny" }))
        .await;
    assert_eq!(status, 404, "{missing}");
    let frames = ws.until(is_finished).await;
    let finished = &frames.last().unwrap()["message"];
    assert_eq!(finished["status"], "complete", "{finished}");
    assert!(marker.exists(), "the allowed command ran");
    // The agent reports no status of its own: the chat is idle again when its turn ends.
    user.until(|f| f["type"] == "chat_status" && f["status"] == "idle")
        .await;
    // Stored: the agent's tool call and its answer.
    let messages = server.messages(&chat).await;
    let stored = serde_json::to_string(&messages[1]).unwrap();
    assert!(
        stored.contains("tool_call") && stored.contains("Touched it."),
        "{stored}"
    );
    // The permission and its answer are part of the stored history.
    let permission = messages[1]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "permission")
        .unwrap_or_else(|| panic!("{stored}"))
        .clone();
    assert_eq!(permission["request_id"], request.as_str());
    assert_eq!(permission["decision"], "allow_once");
    let (_, inbox) = server.get("/api/inbox").await;
    assert_eq!(inbox, json!([]));
    let (_, answered) = server.get("/api/inbox?state=answered").await;
    assert_eq!(answered[0]["request_id"], request.as_str(), "{answered}");
    assert_eq!(answered[0]["decision"], "allow_once", "{answered}");
    let (status, _) = server.get("/api/inbox?state=bogus").await;
    assert_eq!(status, 400);

    // The session stays warm: the next turn goes to the same agent, which still has turn one.
    let target = root.join("src/new.rs");
    let write = json!({"file_path": target, "content": "pub fn added() {}\n"});
    anthropic.push(AnthropicReply::new().tool_use("toolu_w1", "Write", &[&write.to_string()]));
    anthropic.push(AnthropicReply::new().text(&["Queued the file."]));
    let (status, _) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "add src/new.rs" }),
        )
        .await;
    assert_eq!(status, 202);
    let frames = ws.until(is_finished).await;
    assert_eq!(frames.last().unwrap()["message"]["status"], "complete");
    let last = anthropic
        .message_requests()
        .last()
        .unwrap()
        .body
        .to_string();
    assert!(
        last.contains("touch it"),
        "the agent kept the first turn: {last}"
    );
    // Review mode: the write is a pending change of the chat, the disk untouched.
    assert!(!target.exists());
    let (_, pending) = server
        .get(&format!("/api/chats/{chat}/changes?state=pending"))
        .await;
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["path"], "src/new.rs");
    let (status, _) = server
        .post(&format!("/api/chats/{chat}/changes/apply"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "pub fn added() {}\n"
    );

    // An opencode chat in the same session answers too, from the OpenAI-compatible model.
    let model = ScriptedOpenAi::start().await.unwrap();
    model.answer_matching("You are a title generator", Reply::text("Scripted title"));
    for _ in 0..4 {
        model.push(Reply::text("Hello from opencode."));
    }
    opencode_config(&repo, &model);
    let (status, other) = server
        .post(
            &format!("/api/sessions/{session}/chats"),
            json!({ "provider": "opencode" }),
        )
        .await;
    assert_eq!(status, 201, "{other}");
    let other = other["id"].as_str().unwrap().to_owned();
    let (status, _) = server
        .post(
            &format!("/api/chats/{other}/messages"),
            json!({ "text": "say hello" }),
        )
        .await;
    assert_eq!(status, 202);
    let frames = tokio::time::timeout(Duration::from_secs(120), ws.until(is_finished))
        .await
        .expect("opencode answered within 120 s");
    let answer = &frames.last().unwrap()["message"];
    assert_eq!(
        answer["status"],
        "complete",
        "{answer}\n{}",
        server.log_text()
    );
    assert!(
        serde_json::to_string(answer)
            .unwrap()
            .contains("Hello from opencode."),
        "{answer}"
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_a_claude_acp_chat_resumes_its_agent_session() {
    let sandbox = Sandbox::new();
    let anthropic = ScriptedAnthropic::start().await.unwrap();
    let Some(env) = acp_setup(&sandbox, &anthropic) else {
        return;
    };
    anthropic.push(AnthropicReply::new().text(&["Noted."]));
    anthropic.push(AnthropicReply::new().text(&["It was PLUM."]));
    let repo = sandbox.repo("resume");
    let mut opts = Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into());
    opts.env.extend(env.clone());
    let mut server = Server::start(&sandbox, opts).await;
    let (session, chat) = agent_chat(&server, &repo, json!({ "provider": "claude-acp" })).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "remember the word PLUM" }),
        )
        .await;
    let frames = ws.until(is_finished).await;
    assert_eq!(frames.last().unwrap()["message"]["status"], "complete");
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close()).await;
    assert!(server.terminate().await.success());

    // A new server on the same database: the chat's next prompt goes to the same agent session.
    let server = agent_server(&sandbox, sandbox.sqlite_url(), env).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    let answer = &turn(&server, &mut ws, &chat, "which word?").await;
    assert_eq!(
        answer["status"],
        "complete",
        "{answer}\n{}",
        server.log_text()
    );
    model_saw(&anthropic, &["remember the word PLUM", "which word?"]);
    let messages = server.messages(&chat).await;
    assert_eq!(messages.len(), 4, "the history is intact");
}

/// The server on `database` with the agents' `env`; its own model server is a dead end (the
/// agents talk to the scripted Anthropic server).
async fn agent_server(
    sandbox: &Sandbox,
    database: String,
    env: impl IntoIterator<Item = (&'static str, String)>,
) -> Server {
    let mut opts = Options::new(database, "http://127.0.0.1:9".into());
    opts.env.extend(env);
    Server::start(sandbox, opts).await
}

/// Asserts the model's last request carried every one of `texts` (a resumed session sends the
/// earlier turns).
fn model_saw(anthropic: &ScriptedAnthropic, texts: &[&str]) {
    let last = anthropic
        .message_requests()
        .last()
        .unwrap()
        .body
        .to_string();
    for text in texts {
        assert!(
            last.contains(text),
            "the model did not get {text:?}: {}",
            &last[..last.len().min(800)]
        );
    }
}

/// A project on `repo` and a session whose first chat has `settings`: (session, chat).
async fn agent_chat(
    server: &Server,
    repo: &std::path::Path,
    settings: serde_json::Value,
) -> (String, String) {
    let (_, project) = server.post("/api/projects", json!({ "path": repo })).await;
    let mut body = json!({ "title": "t" });
    body.as_object_mut()
        .unwrap()
        .extend(settings.as_object().unwrap().clone());
    let (status, created) = server
        .post(
            &format!("/api/projects/{}/sessions", project["id"].as_str().unwrap()),
            body,
        )
        .await;
    assert_eq!(status, 201, "{created}");
    (
        created["session"]["id"].as_str().unwrap().to_owned(),
        created["chat"]["id"].as_str().unwrap().to_owned(),
    )
}

/// A claude-acp chat whose Bash prompt waits in the inbox, on `server`: (session, chat,
/// request id).
async fn waiting_prompt(
    server: &Server,
    repo: &std::path::Path,
    anthropic: &ScriptedAnthropic,
) -> (String, String, String) {
    let marker = repo.canonicalize().unwrap().join("ran.txt");
    let bash =
        json!({"command": format!("touch {}", marker.display()), "description": "touch a file"});
    anthropic.push(AnthropicReply::new().tool_use("toolu_b1", "Bash", &[&bash.to_string()]));
    anthropic.push(AnthropicReply::new().text(&["Touched it."]));
    let (session, chat) = agent_chat(
        server,
        repo,
        json!({ "provider": "claude-acp", "mode": "review" }),
    )
    .await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    let (status, _) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "touch it" }),
        )
        .await;
    assert_eq!(status, 202);
    let asked = ws
        .until(|f| f["event"]["type"] == "permission_requested")
        .await
        .pop()
        .unwrap();
    let request = asked["event"]["request_id"].as_str().unwrap().to_owned();
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close()).await;
    (session, chat, request)
}

/// Polls `GET /api/inbox` on `server` until `request` is listed.
async fn listed(server: &Server, request: &str) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, inbox) = server.get("/api/inbox").await;
        if let Some(item) = inbox
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["request_id"] == request)
        {
            return item.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "{inbox}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_left_waiting_by_a_killed_server_expires_visibly_and_the_chat_goes_on() {
    let sandbox = Sandbox::new();
    let anthropic = ScriptedAnthropic::start().await.unwrap();
    let Some(env) = acp_setup(&sandbox, &anthropic) else {
        return;
    };
    for (database, _keep) in databases(&sandbox).await {
        let repo = sandbox.repo(&format!("killed{}", database.len()));
        let mut opts = Options::new(database.clone(), "http://127.0.0.1:9".into());
        opts.env.extend(env.clone());
        let mut server = Server::start(&sandbox, opts).await;
        let mut user = server.ws("/api/user/ws").await;
        let (session, chat, request) = waiting_prompt(&server, &repo, &anthropic).await;
        let item = listed(&server, &request).await;
        assert_eq!(item["state"], "waiting", "{item}");
        // Once clients hear of the prompt, it and the turn up to it are stored.
        user.until(|f| f["type"] == "inbox_changed" && f["waiting"] == 1)
            .await;
        server.kill9();
        let _ = server.child.wait().await;

        // Restarted (a dead instance's rows count as stale after a second): the prompt is
        // closed as expired, nothing streams, the history is there.
        let mut opts = Options::new(database.clone(), "http://127.0.0.1:9".into());
        opts.env.extend(env.clone());
        opts.env.push(("BOOCODE_STALE_AFTER_SECS", "1".to_owned()));
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let server = Server::start(&sandbox, opts).await;
        let (_, inbox) = server.get("/api/inbox").await;
        assert_eq!(inbox, json!([]), "{database}");
        let (_, expired) = server.get("/api/inbox?state=expired").await;
        assert_eq!(expired[0]["request_id"], request.as_str(), "{expired}");
        let (status, body) = server
            .post(
                &format!("/api/inbox/{request}"),
                json!({ "decision": "allow_once" }),
            )
            .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["code"], "expired", "{body}");
        let messages = server.messages(&chat).await;
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages.iter().all(|m| m["status"] != "streaming"),
            "{messages:?}"
        );
        assert_eq!(messages[0]["parts"][0]["text"], "touch it");
        // The killed turn kept what it had streamed: the agent's tool call and its prompt,
        // unanswered.
        let parts = messages[1]["parts"].as_array().unwrap();
        assert!(parts.iter().any(|p| p["type"] == "tool_call"), "{parts:?}");
        let permission = parts
            .iter()
            .find(|p| p["type"] == "permission")
            .unwrap_or_else(|| panic!("{parts:?}"));
        assert_eq!(permission["request_id"], request.as_str());
        assert!(permission["decision"].is_null(), "{permission}");

        // The chat takes the next prompt.
        anthropic.push(AnthropicReply::new().text(&["Back again."]));
        let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
        let (status, _) = server
            .post(
                &format!("/api/chats/{chat}/messages"),
                json!({ "text": "are you there?" }),
            )
            .await;
        assert_eq!(status, 202);
        let frames = ws.until(is_finished).await;
        let answer = &frames.last().unwrap()["message"];
        assert_eq!(
            answer["status"],
            "complete",
            "{answer}\n{}",
            server.log_text()
        );
        // The same agent session, loaded again: the model gets the killed turn's prompt.
        model_saw(&anthropic, &["touch it", "are you there?"]);
        let _ = tokio::time::timeout(Duration::from_secs(1), ws.close()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_asked_on_instance_a_is_answered_through_instance_b() {
    let Some(db) = boocode_testkit::PgTestDb::create().await else {
        return;
    };
    let sandbox = Sandbox::new();
    let anthropic = ScriptedAnthropic::start().await.unwrap();
    let Some(env) = acp_setup(&sandbox, &anthropic) else {
        return;
    };
    let options = || {
        let mut opts = Options::new(db.url().to_owned(), "http://127.0.0.1:9".into());
        opts.env.extend(env.clone());
        opts
    };
    let a = Server::start(&sandbox, options()).await;
    let b = Server::start(&sandbox, options()).await;
    let repo = sandbox.repo("two");
    let mut user_b = b.ws("/api/user/ws").await;
    let (session, chat, request) = waiting_prompt(&a, &repo, &anthropic).await;
    // B lists A's prompt, and its clients hear the count.
    let item = listed(&b, &request).await;
    assert_eq!(item["chat_id"], chat.as_str(), "{item}");
    user_b
        .until(|f| f["type"] == "inbox_changed" && f["waiting"] == 1)
        .await;
    // A client connecting now learns the count from its first frame.
    let mut late = b.ws("/api/user/ws").await;
    let ready = late.next(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        ready,
        json!({"type": "ready", "inbox_waiting": 1, "terminals_waiting": 0})
    );
    late.close().await;
    let mut on_b = b.ws(&format!("/api/sessions/{session}/ws")).await;
    let (status, answered) = b
        .post(
            &format!("/api/inbox/{request}"),
            json!({ "decision": "allow_once" }),
        )
        .await;
    assert_eq!(status, 200, "{answered}");
    // The agent on A goes on; B watches the turn end.
    let frames = on_b.until(is_finished).await;
    assert_eq!(frames.last().unwrap()["message"]["status"], "complete");
    assert!(
        repo.join("ran.txt").exists(),
        "the allowed command ran on A"
    );
    user_b
        .until(|f| f["type"] == "inbox_changed" && f["waiting"] == 0)
        .await;
    let (_, record) = b.get("/api/inbox?state=answered").await;
    assert_eq!(record[0]["decision"], "allow_once", "{record}");

    // A stop sent to B stops the agent's turn running on A.
    let pieces: Vec<String> = (0..60).map(|i| format!("w{i} ")).collect();
    let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
    anthropic.push(
        AnthropicReply::new()
            .text(&refs)
            .delay(Duration::from_millis(100)),
    );
    let (status, _) = a
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "talk for a while" }),
        )
        .await;
    assert_eq!(status, 202);
    on_b.until(|f| event_type(f) == Some("text_delta")).await;
    let (status, stopped) = b.post(&format!("/api/chats/{chat}/stop"), json!({})).await;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(stopped["stopped"], true, "{stopped}");
    let frames = on_b.until(is_finished).await;
    let finished = &frames.last().unwrap()["message"];
    assert_eq!(finished["status"], "cancelled", "{finished}");
    assert!(!finished.to_string().contains("w59"), "stopped early");

    // A dies; the chat goes on from B, in the same agent session (the model gets turn one).
    let mut a = a;
    a.kill9();
    let _ = a.child.wait().await;
    anthropic.push(AnthropicReply::new().text(&["Still here."]));
    let (status, _) = b
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "still there?" }),
        )
        .await;
    assert_eq!(status, 202);
    let frames = on_b.until(is_finished).await;
    let answer = &frames.last().unwrap()["message"];
    assert_eq!(answer["status"], "complete", "{answer}\n{}", b.log_text());
    model_saw(&anthropic, &["touch it", "still there?"]);
}

/// Settings and environment that make the server run the real `claude` (stream-json) against
/// `anthropic`, with its config in `config_dir`.
fn claude_setup(
    sandbox: &Sandbox,
    anthropic: &ScriptedAnthropic,
    config_dir: &std::path::Path,
) -> Option<Vec<(&'static str, String)>> {
    let claude = peer_bin("claude")?;
    std::fs::create_dir_all(config_dir).unwrap();
    let settings = sandbox.home.path().join("claude.toml");
    std::fs::write(
        &settings,
        format!(
            "[providers.claude]\ncommand = {:?}\n",
            claude.display().to_string()
        ),
    )
    .unwrap();
    Some(vec![
        ("BOOCODE_CONFIG", settings.display().to_string()),
        ("ANTHROPIC_BASE_URL", anthropic.url()),
        ("ANTHROPIC_API_KEY", "sk-test".to_owned()),
        ("CLAUDE_CONFIG_DIR", config_dir.display().to_string()),
        ("DISABLE_TELEMETRY", "1".to_owned()),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".to_owned()),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claude_chat_killed_mid_life_resumes_from_the_stored_transcript() {
    let sandbox = Sandbox::new();
    let anthropic = ScriptedAnthropic::start().await.unwrap();
    for (database, _keep) in databases(&sandbox).await {
        let first_dir = tempfile::tempdir().unwrap();
        let Some(env) = claude_setup(&sandbox, &anthropic, first_dir.path()) else {
            return;
        };
        anthropic.push(AnthropicReply::new().text(&["Noted."]));
        anthropic.push(AnthropicReply::new().text(&["It was PEAR."]));
        let repo = sandbox.repo(&format!("claude{}", database.len()));
        let mut server = agent_server(&sandbox, database.clone(), env).await;
        let (session, chat) = agent_chat(&server, &repo, json!({ "provider": "claude" })).await;
        let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
        server
            .post(
                &format!("/api/chats/{chat}/messages"),
                json!({ "text": "remember the word PEAR" }),
            )
            .await;
        let frames = ws.until(is_finished).await;
        assert_eq!(
            frames.last().unwrap()["message"]["status"],
            "complete",
            "{}",
            server.log_text()
        );
        let _ = tokio::time::timeout(Duration::from_secs(1), ws.close()).await;
        server.kill9();
        let _ = server.child.wait().await;

        // Another server with a fresh Claude config directory: the transcript can only come
        // from the store.
        let second_dir = tempfile::tempdir().unwrap();
        let env = claude_setup(&sandbox, &anthropic, second_dir.path()).unwrap();
        let server = agent_server(&sandbox, database.clone(), env).await;
        let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
        let answer = &turn(&server, &mut ws, &chat, "which word?").await;
        assert_eq!(
            answer["status"],
            "complete",
            "{answer}\n{}",
            server.log_text()
        );
        model_saw(&anthropic, &["remember the word PEAR", "which word?"]);
        let messages = server.messages(&chat).await;
        assert_eq!(messages.len(), 4, "{messages:?}");
        let _ = tokio::time::timeout(Duration::from_secs(1), ws.close()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_and_mode_changed_between_turns_reach_the_agent() {
    let sandbox = Sandbox::new();
    let anthropic = ScriptedAnthropic::start().await.unwrap();
    let Some(env) = acp_setup(&sandbox, &anthropic) else {
        return;
    };
    let repo = sandbox.repo("switch");
    let root = repo.canonicalize().unwrap();
    let server = agent_server(&sandbox, sandbox.sqlite_url(), env).await;
    let (session, chat) = agent_chat(
        &server,
        &repo,
        json!({ "provider": "claude-acp", "mode": "review" }),
    )
    .await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    anthropic.push(AnthropicReply::new().text(&["One."]));
    turn(&server, &mut ws, &chat, "first").await;

    // A model the agent does not offer: the turn runs on, and says why the model stayed.
    let (status, _) = server
        .send(
            "PATCH",
            &format!("/api/chats/{chat}"),
            json!({ "model": "gpt-9" }),
        )
        .await;
    assert_eq!(status, 200);
    anthropic.push(AnthropicReply::new().text(&["Still one."]));
    let message = turn(&server, &mut ws, &chat, "try gpt-9").await;
    assert_eq!(message["status"], "complete", "{message}");
    assert!(
        message["parts"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown model \"gpt-9\""),
        "{message}"
    );

    // One it offers (claude-agent-acp names them haiku, sonnet, …): the warm agent switches,
    // and its next request names it.
    let (status, patched) = server
        .send(
            "PATCH",
            &format!("/api/chats/{chat}"),
            json!({ "model": "haiku" }),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    anthropic.push(AnthropicReply::new().text(&["Two."]));
    let message = turn(&server, &mut ws, &chat, "second").await;
    assert_eq!(message["status"], "complete", "{message}");
    let last = anthropic.message_requests().last().unwrap().body.clone();
    assert!(
        last["model"].as_str().unwrap().contains("haiku"),
        "{} {message}",
        last["model"]
    );

    // Another mode: from review to auto_apply, the next write lands on disk at once.
    let (status, _) = server
        .send(
            "PATCH",
            &format!("/api/chats/{chat}"),
            json!({ "mode": "auto_apply" }),
        )
        .await;
    assert_eq!(status, 200);
    let target = root.join("auto.txt");
    let write = json!({"file_path": target, "content": "applied\n"});
    anthropic.push(AnthropicReply::new().tool_use("toolu_a1", "Write", &[&write.to_string()]));
    anthropic.push(AnthropicReply::new().text(&["Written."]));
    let message = turn(&server, &mut ws, &chat, "write auto.txt").await;
    assert_eq!(message["status"], "complete", "{message}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "applied\n");
    let (_, changes) = server.get(&format!("/api/chats/{chat}/changes")).await;
    assert_eq!(changes[0]["state"], "applied", "{changes}");
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_in_ask_mode_cannot_write_and_nobody_is_asked() {
    let sandbox = Sandbox::new();
    let anthropic = ScriptedAnthropic::start().await.unwrap();
    let Some(env) = acp_setup(&sandbox, &anthropic) else {
        return;
    };
    let repo = sandbox.repo("ask");
    let target = repo.canonicalize().unwrap().join("sneaky.txt");
    let write = json!({"file_path": target, "content": "written\n"});
    anthropic.push(AnthropicReply::new().tool_use("toolu_s1", "Write", &[&write.to_string()]));
    anthropic.push(AnthropicReply::new().text(&["I may not write."]));
    let server = agent_server(&sandbox, sandbox.sqlite_url(), env).await;
    // No mode given: the workspace's chats are read-only.
    let (session, chat) = agent_chat(&server, &repo, json!({ "provider": "claude-acp" })).await;
    let (_, view) = server.get(&format!("/api/chats/{chat}")).await;
    assert_eq!(view["mode"], "ask");
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    let (status, _) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "write sneaky.txt" }),
        )
        .await;
    assert_eq!(status, 202);
    let frames = ws.until(is_finished).await;
    assert_eq!(frames.last().unwrap()["message"]["status"], "complete");
    assert!(
        !frames
            .iter()
            .any(|f| event_type(f) == Some("permission_requested")),
        "a write in ask mode is refused, never put to the user"
    );
    assert!(!target.exists(), "nothing written");
    let (_, changes) = server.get(&format!("/api/chats/{chat}/changes")).await;
    assert_eq!(changes, json!([]), "nothing queued either");
    // The agent was told why.
    model_saw(&anthropic, &["toolu_s1", "is_error"]);
    let (_, inbox) = server.get("/api/inbox").await;
    assert_eq!(inbox, json!([]));
}

/// Claude Code finds `.claude/skills` itself; the skills in the other folders BooCode reads
/// (`.agents/skills` here) reach it as a plugin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claude_chat_is_offered_the_skills_claude_would_not_find_itself() {
    let sandbox = Sandbox::new();
    let anthropic = ScriptedAnthropic::start().await.unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let Some(env) = claude_setup(&sandbox, &anthropic, config_dir.path()) else {
        return;
    };
    let repo = sandbox.repo("claude-skills");
    let skill = repo.join(".agents/skills/deploy-notes");
    std::fs::create_dir_all(&skill).unwrap();
    std::fs::write(
        skill.join("SKILL.md"),
        "---\nname: deploy-notes\ndescription: Write deploy notes from the release log.\n---\nRead RELEASES.md.\n",
    )
    .unwrap();
    anthropic.push(AnthropicReply::new().text(&["Noted."]));
    let server = agent_server(&sandbox, sandbox.sqlite_url(), env).await;
    let (session, chat) = agent_chat(&server, &repo, json!({ "provider": "claude" })).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    let done = turn(&server, &mut ws, &chat, "hello").await;
    assert_eq!(done["status"], "complete", "{done}\n{}", server.log_text());
    let offered = anthropic.message_requests().iter().any(|r| {
        r.body
            .to_string()
            .contains("Write deploy notes from the release log.")
    });
    assert!(offered, "claude was not offered the skill");
}
