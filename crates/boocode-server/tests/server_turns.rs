//! The real server binary, on SQLite and on Postgres, driven over HTTP and WebSocket against the
//! scripted model.
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
use std::time::Duration;

fn tool_turn(model: &ScriptedOpenAi) {
    model.push(
        Reply::stream()
            .reasoning("Let me search.")
            .text("Searching. ")
            .tool_call("call_g", "grep", &["{\"pattern\":", " \"fn serve\"}"])
            .usage(200, 20),
    );
    model.push(
        Reply::stream()
            .text("It is in ")
            .text("src/server.rs:1.")
            .usage(260, 9),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_with_tool_calls_streams_persists_and_reloads() {
    let sandbox = Sandbox::new();
    for (db, _guard) in databases(&sandbox).await {
        let model = ScriptedOpenAi::start().await.unwrap();
        tool_turn(&model);
        let server = Server::start(&sandbox, Options::new(db.clone(), model.url())).await;
        let (session, chat) = server
            .session(&sandbox.repo(&format!("repo-{}", uuid_like(&db))))
            .await;
        let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
        assert_eq!(
            ws.next(Duration::from_secs(10)).await.unwrap()["type"],
            "ready"
        );

        let (status, started) = server
            .post(
                &format!("/api/chats/{chat}/messages"),
                json!({ "text": "Where is serve?" }),
            )
            .await;
        assert_eq!(status, 202, "{started}");
        assert_eq!(started["assistant_message"]["status"], "streaming");
        let frames = ws.until(is_finished).await;

        let kinds: Vec<&str> = frames.iter().filter_map(event_type).collect();
        for expected in [
            "turn_started",
            "reasoning_delta",
            "text_delta",
            "tool_call_started",
            "tool_call_args_delta",
            "tool_call_finished",
            "usage",
            "turn_finished",
        ] {
            assert!(
                kinds.contains(&expected),
                "{db}: missing {expected} in {kinds:?}"
            );
        }
        let seqs: Vec<u64> = frames
            .iter()
            .filter(|f| f["type"] == "event")
            .map(|f| f["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(
            seqs,
            (1..=seqs.len() as u64).collect::<Vec<_>>(),
            "events are numbered without gaps"
        );
        let finished = frames.last().unwrap()["message"].clone();
        assert_eq!(finished["status"], "complete");

        // The store has the same message, and a reload shows the whole history.
        let messages = server.messages(&chat).await;
        assert_eq!(messages.len(), 2, "{db}");
        assert_eq!(messages[0]["parts"][0]["text"], "Where is serve?");
        assert_eq!(
            messages[1], finished,
            "{db}: the reloaded message equals the streamed one"
        );
        let parts: Vec<&str> = messages[1]["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            parts,
            ["reasoning", "text", "tool_call", "tool_result", "text"]
        );
        assert_eq!(
            messages[1]["parts"][3]["content"],
            "src/server.rs:1:pub fn serve() {\n(1 match in 1 files)\n"
        );
        assert_eq!(messages[1]["usage"]["ctx_used"], 269);
        // The tool result reached the model, and tool stats were recorded.
        let second = &model.completion_requests()[1];
        assert!(
            second.messages().iter().any(|m| m["role"] == "tool"),
            "{db}"
        );
        let (_, stats) = server.get("/api/stats/tools").await;
        assert_eq!(stats["tools"][0]["tool"], "grep", "{db}: {stats}");
        ws.close().await;
    }
}

fn uuid_like(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .rev()
        .take(8)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_mid_stream_ends_cancelled_and_the_chat_stays_usable() {
    let sandbox = Sandbox::new();
    for (db, _guard) in databases(&sandbox).await {
        let model = ScriptedOpenAi::start().await.unwrap();
        model.push(Reply::stream().text("partial answer").stall());
        model.push(Reply::text("second answer"));
        let server = Server::start(&sandbox, Options::new(db.clone(), model.url())).await;
        let (session, chat) = server
            .session(&sandbox.repo(&format!("stop-{}", uuid_like(&db))))
            .await;
        let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
        server
            .post(
                &format!("/api/chats/{chat}/messages"),
                json!({ "text": "go" }),
            )
            .await;
        ws.until(|f| event_type(f) == Some("text_delta")).await;

        // A second message while the turn runs waits in the queue, visible and cancellable.
        let (status, posted) = server
            .post(
                &format!("/api/chats/{chat}/messages"),
                json!({ "text": "again" }),
            )
            .await;
        assert_eq!(status, 202, "{posted}");
        let queued = posted["queued"]["id"].as_str().unwrap().to_owned();
        let frame = ws
            .until(|f| f["type"] == "queue_changed")
            .await
            .pop()
            .unwrap();
        assert_eq!(frame["queue"][0]["text"], "again", "{frame}");
        let (status, _) = server
            .send(
                "DELETE",
                &format!("/api/chats/{chat}/queue/{queued}"),
                json!({}),
            )
            .await;
        assert_eq!(status, 200);
        let frame = ws
            .until(|f| f["type"] == "queue_changed")
            .await
            .pop()
            .unwrap();
        assert_eq!(frame["queue"], json!([]), "{frame}");
        let (status, _) = server
            .send(
                "DELETE",
                &format!("/api/chats/{chat}/queue/{queued}"),
                json!({}),
            )
            .await;
        assert_eq!(status, 404, "cancelled already");

        let (status, stopped) = server
            .post(&format!("/api/chats/{chat}/stop"), json!({}))
            .await;
        assert_eq!((status, &stopped["stopped"]), (200, &Value::Bool(true)));
        let frames = ws.until(is_finished).await;
        let finished = &frames.last().unwrap()["message"];
        assert_eq!(finished["status"], "cancelled", "{db}");
        let messages = server.messages(&chat).await;
        assert_eq!(messages[1]["status"], "cancelled");
        assert_eq!(
            messages[1]["parts"][0]["text"], "partial answer",
            "{db}: the partial text is kept"
        );

        let (status, _) = server
            .post(
                &format!("/api/chats/{chat}/messages"),
                json!({ "text": "next" }),
            )
            .await;
        assert_eq!(status, 202, "{db}: the chat is usable after a stop");
        ws.until(is_finished).await;
        assert_eq!(
            server.messages(&chat).await[3]["parts"][0]["text"],
            "second answer"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_stream_then_restart_keeps_the_user_message_and_fails_the_reply() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(
        Reply::stream()
            .text("streaming when the server dies")
            .stall(),
    );
    let db = sandbox.sqlite_url();
    let mut server = Server::start(&sandbox, Options::new(db.clone(), model.url())).await;
    let (session, chat) = server.session(&sandbox.repo("kill")).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "survive this" }),
        )
        .await;
    ws.until(|f| event_type(f) == Some("text_delta")).await;
    tokio::time::sleep(Duration::from_millis(600)).await; // past a 250 ms flush
    server.kill9();
    let _ = server.child.wait().await;

    let server = Server::start(&sandbox, Options::new(db, model.url())).await;
    let messages = server.messages(&chat).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["parts"][0]["text"], "survive this");
    assert_eq!(
        messages[1]["status"], "failed",
        "not stuck streaming: {}",
        messages[1]
    );
    assert_eq!(
        messages[1]["parts"][0]["text"], "streaming when the server dies",
        "the flushed text survives"
    );
    let (_, page) = server.get(&format!("/api/chats/{chat}/messages")).await;
    assert_eq!(page["running"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_reconnecting_mid_turn_gets_the_partial_message_then_live_frames() {
    let sandbox = Sandbox::new();
    for (db, _guard) in databases(&sandbox).await {
        let model = ScriptedOpenAi::start().await.unwrap();
        let mut reply = Reply::stream();
        for i in 0..60 {
            reply = reply
                .text(&format!("w{i} "))
                .delay(Duration::from_millis(15));
        }
        model.push(reply.usage(10, 60));
        let server = Server::start(&sandbox, Options::new(db.clone(), model.url())).await;
        let (session, chat) = server
            .session(&sandbox.repo(&format!("re-{}", uuid_like(&db))))
            .await;
        let mut first = server.ws(&format!("/api/sessions/{session}/ws")).await;
        server
            .post(
                &format!("/api/chats/{chat}/messages"),
                json!({ "text": "count" }),
            )
            .await;
        // Watch a while, then drop the connection mid-turn.
        let mut seen = 0;
        while seen < 10 {
            if event_type(&first.next(Duration::from_secs(10)).await.unwrap()) == Some("text_delta")
            {
                seen += 1;
            }
        }
        drop(first);
        tokio::time::sleep(Duration::from_millis(100)).await;

        let mut second = server.ws(&format!("/api/sessions/{session}/ws")).await;
        let snapshot = second.next(Duration::from_secs(10)).await.unwrap();
        assert_eq!(snapshot["type"], "snapshot", "{db}: {snapshot}");
        let mut text = snapshot["message"]["parts"][0]["text"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let mut last_seq = snapshot["seq"].as_u64().unwrap();
        assert!(last_seq > 0);
        let frames = second.until(is_finished).await;
        for frame in &frames {
            if frame["type"] == "event" {
                let seq = frame["seq"].as_u64().unwrap();
                assert_eq!(
                    seq,
                    last_seq + 1,
                    "{db}: no gap and no duplicate after the snapshot"
                );
                last_seq = seq;
                if let Some(t) = frame["event"]["text"]
                    .as_str()
                    .filter(|_| event_type(frame) == Some("text_delta"))
                {
                    text.push_str(t);
                }
            }
        }
        let expected: String = (0..60).map(|i| format!("w{i} ")).collect();
        assert_eq!(
            text, expected,
            "{db}: snapshot + live frames rebuild the whole message"
        );
        assert_eq!(
            frames.last().unwrap()["message"]["parts"][0]["text"],
            expected
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_errors() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let (_session, chat) = server.session(&sandbox.repo("bad")).await;

    let raw = server
        .http
        .post(format!("{}/api/chats/{chat}/messages", server.url))
        .header("content-type", "application/json")
        .body("{\"text\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let body: Value = raw.json_or_text().await;
    assert_eq!(body["error"]["code"], "malformed_json", "{body}");

    let (status, body) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "txt": "x" }),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("text"),
        "the field is named: {body}"
    );
    let (status, body) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "   " }),
        )
        .await;
    assert_eq!(
        (status, body["error"]["message"].as_str().unwrap()),
        (400, "text: must not be empty")
    );

    let (status, body) = server
        .get("/api/chats/00000000-0000-0000-0000-000000000000/messages")
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, body) = server.get("/api/chats/not-an-id/messages").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("id:"),
        "{body}"
    );
    let (status, body) = server.get("/api/nope").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );

    let huge = "x".repeat(3 * 1024 * 1024);
    let (status, body) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": huge }),
        )
        .await;
    assert_eq!(status, 413, "{body}");

    let (status, body) = server
        .post("/api/projects", json!({ "path": "/etc" }))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("outside_allowed_roots")),
        "{body}"
    );
    let (status, body) = server
        .post("/api/projects", json!({ "path": "/definitely/missing" }))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = server
        .post(
            "/api/projects",
            json!({ "name": "../evil", "create": true }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = server
        .post("/api/projects", json!({ "name": "fresh", "create": true }))
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(sandbox.repos.path().join("new/fresh").is_dir());

    // Nothing was lost: the chat is still empty and usable.
    assert!(server.messages(&chat).await.is_empty());
    let (status, health) = server.get("/api/health").await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
}

trait JsonOrText {
    async fn json_or_text(self) -> Value;
}

impl JsonOrText for reqwest::Response {
    async fn json_or_text(self) -> Value {
        let text = self.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_or_stalled_model_is_a_clear_error_and_the_chat_stays_usable() {
    let sandbox = Sandbox::new();
    // Dead endpoint.
    let dead = ScriptedOpenAi::start().await.unwrap();
    let dead_url = dead.url();
    drop(dead);
    let server = Server::start(
        &sandbox,
        Options::new(sandbox.sqlite_url(), dead_url.clone()),
    )
    .await;
    let (session, chat) = server.session(&sandbox.repo("dead")).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "hello?" }),
        )
        .await;
    let frames = ws.until(is_finished).await;
    let finished = frames
        .iter()
        .find(|f| event_type(f) == Some("turn_finished"))
        .unwrap();
    let summary = finished["event"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("cannot reach") && summary.contains(&dead_url),
        "{summary}"
    );
    assert_eq!(frames.last().unwrap()["message"]["status"], "failed");
    let (status, _) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "again" }),
        )
        .await;
    assert_eq!(status, 202, "a failed turn does not block the chat");
    ws.until(is_finished).await;
    drop(server);

    // Stalled model.
    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(Reply::stream().text("begin").stall());
    model.push(Reply::text("recovered"));
    let mut opts = Options::new(
        format!(
            "sqlite://{}",
            sandbox.home.path().join("stall.db").display()
        ),
        model.url(),
    );
    opts.env.push(("BOOCODE_MODEL_TIMEOUT_SECS", "2".into()));
    let server = Server::start(&sandbox, opts).await;
    let (session, chat) = server.session(&sandbox.repo("stall")).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "hi" }),
        )
        .await;
    let frames = ws.until(is_finished).await;
    let finished = frames
        .iter()
        .find(|f| event_type(f) == Some("turn_finished"))
        .unwrap();
    assert!(
        finished["event"]["summary"]
            .as_str()
            .unwrap()
            .contains("timed out waiting for the next token"),
        "{finished}"
    );
    assert_eq!(
        frames.last().unwrap()["message"]["parts"][0]["text"],
        "begin"
    );
    server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "again" }),
        )
        .await;
    let frames = ws.until(is_finished).await;
    assert_eq!(
        frames.last().unwrap()["message"]["parts"][0]["text"],
        "recovered"
    );
}
