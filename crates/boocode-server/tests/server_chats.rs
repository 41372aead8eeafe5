//! A chat's settings (provider, mode, model, thinking) through the real server: a native chat in
//! review mode proposes edits into its own pending-changes queue, which REST applies and
//! rewinds; settings changed between turns reach the next request. On SQLite and Postgres.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_testkit::{Reply, ScriptedOpenAi};
use common::*;
use serde_json::{Value, json};

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_chat_queues_two_edits_that_rest_applies_and_rewinds() {
    let sandbox = Sandbox::new();
    for (url, _keep) in databases(&sandbox).await {
        let model = ScriptedOpenAi::start().await.unwrap();
        let repo = sandbox.repo(&format!("review-{}", url.split(':').next().unwrap()));
        let (main_before, server_before) = (
            read(&repo.join("src/main.rs")),
            read(&repo.join("src/server.rs")),
        );
        model.push(
            Reply::stream()
                .tool_call(
                    "c1",
                    "edit_file",
                    &[r#"{"path": "src/main.rs", "old_string": "serve();", "new_string": "serve(9090);"}"#],
                )
                .tool_call(
                    "c2",
                    "edit_file",
                    &[r#"{"path": "src/server.rs", "old_string": "port 8080", "new_string": "port 9090"}"#],
                ),
        );
        model.push(Reply::text("Both edits are proposed."));
        let server = Server::start(&sandbox, Options::new(url.clone(), model.url())).await;
        let (_, project) = server.post("/api/projects", json!({ "path": repo })).await;
        let (status, created) = server
            .post(
                &format!("/api/projects/{}/sessions", project["id"].as_str().unwrap()),
                json!({ "title": "t", "mode": "review", "model": "coder-7b", "thinking": "low" }),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let chat = created["chat"]["id"].as_str().unwrap().to_owned();
        let session = created["session"]["id"].as_str().unwrap().to_owned();
        let (_, got) = server.get(&format!("/api/chats/{chat}")).await;
        assert_eq!(
            (
                &got["provider"],
                &got["mode"],
                &got["model"],
                &got["thinking"]
            ),
            (
                &json!("boocode"),
                &json!("review"),
                &json!("coder-7b"),
                &json!("low")
            ),
            "{got}"
        );
        let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
        let (status, _) = server
            .post(
                &format!("/api/chats/{chat}/messages"),
                json!({ "text": "use port 9090" }),
            )
            .await;
        assert_eq!(status, 202);
        let frames = ws.until(is_finished).await;
        let finished = &frames.last().unwrap()["message"];
        assert_eq!(finished["status"], "complete", "{finished}");
        // The proposals reached the session's clients as they came, the last list before the
        // turn's end.
        let lists: Vec<&serde_json::Value> = frames
            .iter()
            .filter(|f| f["type"] == "changes_changed" && f["chat_id"] == chat.as_str())
            .map(|f| &f["changes"])
            .collect();
        let last = lists.last().unwrap_or_else(|| panic!("{frames:?}"));
        assert_eq!(last.as_array().unwrap().len(), 2, "{last}");
        assert!(
            last.as_array()
                .unwrap()
                .iter()
                .all(|c| c["state"] == "pending"),
            "{last}"
        );
        // The chat's model and thinking level reached the model server.
        let first = model.completion_requests()[0].body.clone();
        assert_eq!(first["model"], "coder-7b");
        assert_eq!(first["reasoning_effort"], "low");

        // Both pending with diffs; the disk untouched.
        let (status, pending) = server
            .get(&format!("/api/chats/{chat}/changes?state=pending"))
            .await;
        assert_eq!(status, 200, "{pending}");
        let pending = pending.as_array().unwrap().clone();
        assert_eq!(pending.len(), 2, "{url}: {pending:?}");
        assert!(
            pending[0]["diff"]
                .as_str()
                .unwrap()
                .contains("+    serve(9090);")
        );
        assert!(
            pending[1]["diff"]
                .as_str()
                .unwrap()
                .contains("+    // port 9090")
        );
        assert!(
            pending[0].get("base_content").is_none(),
            "no contents in the view"
        );
        assert_eq!(read(&repo.join("src/main.rs")), main_before);
        assert_eq!(read(&repo.join("src/server.rs")), server_before);

        // Apply one, then the rest; rewind restores both.
        let first_id = pending[0]["id"].as_str().unwrap();
        let (status, report) = server
            .post(
                &format!("/api/chats/{chat}/changes/apply"),
                json!({ "ids": [first_id] }),
            )
            .await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["done"], json!([first_id]));
        let applied = ws
            .until(|f| f["type"] == "changes_changed" && f["changes"][0]["state"] == "applied")
            .await;
        assert_eq!(
            applied.last().unwrap()["changes"][1]["state"],
            "pending",
            "{applied:?}"
        );
        assert!(read(&repo.join("src/main.rs")).contains("serve(9090);"));
        assert_eq!(read(&repo.join("src/server.rs")), server_before);
        let (status, again) = server
            .post(
                &format!("/api/chats/{chat}/changes/apply"),
                json!({ "ids": [first_id] }),
            )
            .await;
        assert_eq!(status, 409, "a repeated apply: {again}");
        assert!(
            again["error"]["message"]
                .as_str()
                .unwrap()
                .contains("is applied")
        );
        let (status, _) = server
            .post(&format!("/api/chats/{chat}/changes/apply"), json!({}))
            .await;
        assert_eq!(status, 200);
        assert!(read(&repo.join("src/server.rs")).contains("port 9090"));
        let (status, report) = server
            .post(&format!("/api/chats/{chat}/changes/rewind"), json!({}))
            .await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["done"].as_array().unwrap().len(), 2, "{report}");
        assert_eq!(read(&repo.join("src/main.rs")), main_before);
        assert_eq!(read(&repo.join("src/server.rs")), server_before);
        let (_, all) = server.get(&format!("/api/chats/{chat}/changes")).await;
        assert!(
            all.as_array()
                .unwrap()
                .iter()
                .all(|c| c["state"] == "reverted"),
            "{all}"
        );

        // Settings changed between turns take effect on the next one: back to `ask` (no write
        // tools offered), another model, thinking off.
        let (status, patched) = server
            .send(
                "PATCH",
                &format!("/api/chats/{chat}"),
                json!({ "mode": "ask", "model": "coder-32b", "thinking": "off" }),
            )
            .await;
        assert_eq!(status, 200, "{patched}");
        assert_eq!(
            (&patched["mode"], &patched["model"]),
            (&json!("ask"), &json!("coder-32b"))
        );
        assert_eq!(patched["thinking"], Value::Null);
        model.push(Reply::text("Read-only now."));
        turn(&server, &mut ws, &chat, "and now?").await;
        let last = model.completion_requests().last().unwrap().body.clone();
        assert_eq!(last["model"], "coder-32b");
        assert!(last.get("reasoning_effort").is_none(), "{last}");
        let offered: Vec<&str> = last["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["function"]["name"].as_str().unwrap())
            .collect();
        assert!(!offered.contains(&"edit_file"), "{offered:?}");
        assert!(offered.contains(&"view_file"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_and_change_requests_get_typed_errors() {
    let sandbox = Sandbox::new();
    let server = Server::start(
        &sandbox,
        Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into()),
    )
    .await;
    let (session, chat) = server.session(&sandbox.repo("bad")).await;
    let (_, default) = server.get(&format!("/api/chats/{chat}")).await;
    assert_eq!(
        (&default["provider"], &default["mode"]),
        (&json!("boocode"), &json!("ask"))
    );
    for (body, code) in [
        (json!({ "mode": "yolo" }), "invalid_field"),
        (json!({ "thinking": "max" }), "invalid_field"),
        (
            json!({ "provider": "no-such-agent" }),
            "provider_unavailable",
        ),
        (json!({ "model": "x".repeat(500) }), "invalid_field"),
    ] {
        let (status, err) = server
            .send("PATCH", &format!("/api/chats/{chat}"), body.clone())
            .await;
        assert_eq!(status, 400, "{body}: {err}");
        assert_eq!(err["error"]["code"], code, "{body}: {err}");
        let (status, _) = server
            .post(&format!("/api/sessions/{session}/chats"), body.clone())
            .await;
        assert_eq!(status, 400, "{body}");
    }
    let (_, unchanged) = server.get(&format!("/api/chats/{chat}")).await;
    assert_eq!(unchanged, default, "a refused patch changes nothing");
    // A refused new session leaves no half-made session behind.
    let (_, projects) = server.get("/api/projects").await;
    let sessions_path = format!(
        "/api/projects/{}/sessions",
        projects[0]["id"].as_str().unwrap()
    );
    let (status, _) = server
        .post(&sessions_path, json!({ "model": "x".repeat(500) }))
        .await;
    assert_eq!(status, 400);
    let (_, sessions) = server.get(&sessions_path).await;
    assert_eq!(sessions.as_array().unwrap().len(), 1, "{sessions}");
    let (_, listed) = server.get(&format!("/api/sessions/{session}")).await;
    assert_eq!(
        listed["chats"].as_array().unwrap().len(),
        1,
        "no chat was half-made: {listed}"
    );
    for (path, status) in [
        (format!("/api/chats/{chat}/changes/explode"), 404),
        ("/api/chats/chat_nope/changes/apply".to_owned(), 400),
    ] {
        let (got, body) = server.post(&path, json!({})).await;
        assert_eq!(got, status, "{path}: {body}");
    }
    let (got, body) = server
        .post(
            &format!("/api/chats/{chat}/changes/apply"),
            json!({ "ids": ["no-such-change"] }),
        )
        .await;
    assert_eq!(got, 404, "{body}");
    let (got, _) = server
        .get(&format!("/api/chats/{chat}/changes?state=sideways"))
        .await;
    assert_eq!(got, 400);
    // The project-wide listing: a malformed id, an unknown project, a bad state, a traversal.
    for (path, status) in [
        ("/api/projects/not-an-id/changes".to_owned(), 400),
        (
            "/api/projects/00000000-0000-4000-8000-000000000000/changes".to_owned(),
            404,
        ),
        ("/api/projects/..%2F..%2Fetc/changes".to_owned(), 400),
    ] {
        let (got, body) = server.get(&path).await;
        assert_eq!(got, status, "{path}: {body}");
    }
    let (_, projects) = server.get("/api/projects").await;
    let project = projects[0]["id"].as_str().unwrap();
    let (got, body) = server
        .get(&format!("/api/projects/{project}/changes?state=sideways"))
        .await;
    assert_eq!(got, 400, "{body}");
    let (got, listed) = server
        .get(&format!("/api/projects/{project}/changes?state=all"))
        .await;
    assert_eq!((got, listed), (200, json!([])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_during_a_turn_run_next_in_order() {
    let sandbox = Sandbox::new();
    for (url, _keep) in databases(&sandbox).await {
        let model = ScriptedOpenAi::start().await.unwrap();
        model.push(
            Reply::stream()
                .text("first ")
                .delay(std::time::Duration::from_millis(300))
                .text("answer"),
        );
        model.push(Reply::text("second answer"));
        model.push(Reply::text("third answer"));
        let server = Server::start(&sandbox, Options::new(url.clone(), model.url())).await;
        let (session, chat) = server
            .session(&sandbox.repo(&format!("queue-{}", url.split(':').next().unwrap())))
            .await;
        let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
        let (status, started) = server
            .post(
                &format!("/api/chats/{chat}/messages"),
                json!({ "text": "one" }),
            )
            .await;
        assert_eq!(status, 202);
        assert!(started.get("assistant_message").is_some(), "{started}");
        for text in ["two", "three"] {
            let (status, posted) = server
                .post(
                    &format!("/api/chats/{chat}/messages"),
                    json!({ "text": text }),
                )
                .await;
            assert_eq!(status, 202, "{posted}");
            assert_eq!(posted["queued"]["text"], text, "{url}: {posted}");
        }
        let (_, queue) = server.get(&format!("/api/chats/{chat}/queue")).await;
        let waiting: Vec<&str> = queue
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["text"].as_str().unwrap())
            .collect();
        assert_eq!(waiting, ["two", "three"]);
        for _ in 0..3 {
            ws.until(is_finished).await;
        }
        let texts: Vec<String> = server
            .messages(&chat)
            .await
            .iter()
            .map(|m| m["parts"][0]["text"].as_str().unwrap_or("").to_owned())
            .collect();
        assert_eq!(
            texts,
            [
                "one",
                "first answer",
                "two",
                "second answer",
                "three",
                "third answer"
            ],
            "{url}"
        );
        // The model saw each turn after the one before.
        let third = model.completion_requests()[2].body.to_string();
        assert!(third.contains("second answer"), "{third}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steer_message_reaches_the_model_in_the_next_step_of_the_running_turn() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    // Step 1 calls a tool slowly enough to steer during it; step 2 answers.
    model.push(
        Reply::stream()
            .text("Looking. ")
            .delay(std::time::Duration::from_millis(400))
            .tool_call("c1", "grep", &[r#"{"pattern": "serve"}"#]),
    );
    model.push(Reply::text("Using tabs, as you asked."));
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let (session, chat) = server.session(&sandbox.repo("steer")).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    let (status, _) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "fix the server" }),
        )
        .await;
    assert_eq!(status, 202);
    ws.until(|f| event_type(f) == Some("text_delta")).await;
    let (status, posted) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "STEER: use tabs", "steer": true }),
        )
        .await;
    assert_eq!(status, 202, "{posted}");
    assert_eq!(posted["steering"]["text"], "STEER: use tabs", "{posted}");
    let frames = ws.until(is_finished).await;
    assert!(
        frames.iter().any(|f| f["event"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Steered"))),
        "the steer shows as a notice"
    );
    // The second request of the same turn carries it, after the assistant's first step.
    let requests = model.completion_requests();
    let second = requests[1].messages();
    let steer_at = second
        .iter()
        .position(|m| m["role"] == "user" && m["content"].as_str() == Some("STEER: use tabs"))
        .unwrap_or_else(|| panic!("{second:?}"));
    assert!(
        second[..steer_at].iter().any(|m| m["role"] == "assistant"),
        "after what the assistant said: {second:?}"
    );
    assert!(
        !requests[0].body.to_string().contains("STEER"),
        "not before it was sent"
    );
    // Stored in the history after the turn's reply.
    ws.until(|f| {
        f["type"] == "message_created" && f["message"]["parts"][0]["text"] == "STEER: use tabs"
    })
    .await;
    let texts: Vec<String> = server
        .messages(&chat)
        .await
        .iter()
        .map(|m| {
            format!(
                "{}:{}",
                m["role"].as_str().unwrap(),
                m["parts"][0]["text"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(texts[2], "user:STEER: use tabs", "{texts:?}");

    // A steer sent during the turn's last step is never seen by that turn: it runs next.
    model.push(
        Reply::stream()
            .text("Slow ")
            .delay(std::time::Duration::from_millis(400))
            .text("single step."),
    );
    model.push(Reply::text("Late steer answered."));
    let (status, _) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "one more" }),
        )
        .await;
    assert_eq!(status, 202);
    ws.until(|f| event_type(f) == Some("text_delta")).await;
    let (_, posted) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "LATE", "steer": true }),
        )
        .await;
    assert_eq!(posted["steering"]["text"], "LATE", "{posted}");
    ws.until(is_finished).await;
    ws.until(is_finished).await;
    let texts: Vec<String> = server
        .messages(&chat)
        .await
        .iter()
        .map(|m| m["parts"][0]["text"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        texts[texts.len() - 4..],
        [
            "one more",
            "Slow single step.",
            "LATE",
            "Late steer answered."
        ],
        "{texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_turn_lands_in_the_usage_ledger_grouped_by_provider_model_or_day() {
    let sandbox = Sandbox::new();
    for (url, _keep) in databases(&sandbox).await {
        let model = ScriptedOpenAi::start().await.unwrap();
        model.push(Reply::stream().text("a").usage(100, 10));
        model.push(Reply::stream().text("b").usage(200, 20));
        model.push(Reply::stream().text("c").usage(50, 5));
        let server = Server::start(&sandbox, Options::new(url.clone(), model.url())).await;
        let tag = url.split(':').next().unwrap().to_owned();
        let (session, chat) = server.session(&sandbox.repo(&format!("usage-{tag}"))).await;
        let (other_session, other_chat) = server
            .session(&sandbox.repo(&format!("usage2-{tag}")))
            .await;
        let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
        turn(&server, &mut ws, &chat, "one").await;
        server
            .send(
                "PATCH",
                &format!("/api/chats/{chat}"),
                json!({ "model": "big-model" }),
            )
            .await;
        turn(&server, &mut ws, &chat, "two").await;
        let mut other_ws = server
            .ws(&format!("/api/sessions/{other_session}/ws"))
            .await;
        turn(&server, &mut other_ws, &other_chat, "three").await;

        let (status, by_provider) = server.get("/api/usage").await;
        assert_eq!(status, 200, "{by_provider}");
        assert_eq!(by_provider["group_by"], "provider");
        let row = &by_provider["rows"][0];
        assert_eq!(
            (
                &row["key"],
                &row["turns"],
                &row["prompt_tokens"],
                &row["completion_tokens"]
            ),
            (&json!("boocode"), &json!(3), &json!(350), &json!(35)),
            "{url}: {by_provider}"
        );
        // One project, by model.
        let (_, projects) = server.get("/api/projects").await;
        let project = projects
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == format!("usage-{tag}"))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, by_model) = server
            .get(&format!("/api/usage?project={project}&group_by=model"))
            .await;
        let keys: Vec<(String, i64)> = by_model["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["key"].as_str().unwrap().to_owned(),
                    r["prompt_tokens"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [("".to_owned(), 100), ("big-model".to_owned(), 200)],
            "{url}: {by_model}"
        );
        let (_, by_day) = server.get("/api/usage?group_by=day").await;
        let day = by_day["rows"][0]["key"].as_str().unwrap().to_owned();
        assert_eq!(day.len(), 10, "{day}");
        assert!(day.starts_with("20"), "{day}");
        let (_, later) = server
            .get(&format!("/api/usage?since={}", i64::MAX / 2))
            .await;
        assert_eq!(later["rows"], json!([]));
        let (status, err) = server.get("/api/usage?group_by=colour").await;
        assert_eq!(status, 400, "{err}");
        assert_eq!(err["error"]["code"], "invalid_field");
        // One session: its chats' turns only.
        let (_, of_session) = server
            .get(&format!("/api/usage?session={other_session}"))
            .await;
        assert_eq!(of_session["rows"][0]["turns"], 1, "{url}: {of_session}");
        assert_eq!(of_session["rows"][0]["prompt_tokens"], 50);
        let (status, _) = server.get("/api/usage?session=nope").await;
        assert_eq!(status, 400);
        let (status, _) = server
            .get("/api/usage?session=00000000-0000-0000-0000-000000000000")
            .await;
        assert_eq!(status, 404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_a_stored_change_to_a_hostile_path_is_refused_per_file() {
    let sandbox = Sandbox::new();
    let server = Server::start(
        &sandbox,
        Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into()),
    )
    .await;
    let repo = sandbox.repo("hostile-apply");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(repo.join(".git/config"), "[core]\n").unwrap();
    let (_, chat) = server.session(&repo).await;
    // Changes planted straight in the store (as a compromised writer could): the apply route
    // must still send each through the guards.
    let store = boocode_store::Store::connect(&sandbox.sqlite_url())
        .await
        .unwrap();
    let outside = sandbox.home.path().join("outside.txt");
    let outside_abs = outside.display().to_string();
    for path in [".git/config", "../outside.txt", outside_abs.as_str()] {
        let mut change = boocode_store::PendingChange::proposal(
            &boocode_store::ChangeScope(chat.parse().unwrap()),
            path,
        );
        change.proposed_content = Some(b"planted\n".to_vec());
        boocode_store::ChangeQueue::add(&store, change)
            .await
            .unwrap();
    }
    let (status, report) = server
        .post(&format!("/api/chats/{chat}/changes/apply"), json!({}))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["done"], json!([]), "{report}");
    let refused = report["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 3, "{report}");
    assert!(report.to_string().contains("can run code"), "{report}");
    assert_eq!(
        std::fs::read_to_string(repo.join(".git/config")).unwrap(),
        "[core]\n"
    );
    assert!(!repo.join("../outside.txt").exists());
    assert!(!outside.exists());
    let (_, pending) = server
        .get(&format!("/api/chats/{chat}/changes?state=pending"))
        .await;
    assert_eq!(
        pending.as_array().unwrap().len(),
        3,
        "nothing recorded as applied"
    );
}
