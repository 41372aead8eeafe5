//! Two server instances on one Postgres: a client on B watches, and stops, a turn running on A.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_testkit::{PgTestDb, Reply, ScriptedOpenAi};
use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_on_instance_b_watches_and_stops_a_turn_running_on_a() {
    let Some(db) = PgTestDb::create().await else {
        return;
    };
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    // A long tool result makes one frame larger than a NOTIFY payload.
    model.push(Reply::stream().text("Reading. ").tool_call(
        "c1",
        "view_file",
        &["{\"path\": \"big.txt\"}"],
    ));
    model.push(Reply::stream().text("Done reading.").usage(100, 5));
    model.push(Reply::stream().text("this one stalls").stall());
    let a = Server::start(&sandbox, Options::new(db.url().to_owned(), model.url())).await;
    let b = Server::start(&sandbox, Options::new(db.url().to_owned(), model.url())).await;
    let repo = sandbox.repo("scale");
    std::fs::write(repo.join("big.txt"), "line of a big file\n".repeat(2000)).unwrap();
    let (session, chat) = a.session(&repo).await;

    let mut on_b = b.ws(&format!("/api/sessions/{session}/ws")).await;
    assert_eq!(
        on_b.next(Duration::from_secs(10)).await.unwrap()["type"],
        "ready"
    );
    let mut user_b = b.ws("/api/user/ws").await;
    let (status, _) = a
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "read big.txt" }),
        )
        .await;
    assert_eq!(status, 202);

    let frames = on_b.until(is_finished).await;
    let finished = &frames.last().unwrap()["message"];
    assert_eq!(finished["status"], "complete");
    let big = frames
        .iter()
        .find(|f| event_type(f) == Some("tool_call_finished"))
        .expect("the large frame crossed over");
    assert!(big["event"]["output"].as_str().unwrap().len() > 8000);
    let seqs: Vec<u64> = frames
        .iter()
        .filter(|f| f["type"] == "event")
        .map(|f| f["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "in order, no gap"
    );
    let status = user_b.until(|f| f["type"] == "chat_status").await;
    assert_eq!(status.last().unwrap()["chat_id"], chat.as_str());
    // B reads the same history from the shared store.
    assert_eq!(b.messages(&chat).await[1], *finished);

    // A second turn, stopped from B; a message sent to B meanwhile waits and then runs on A.
    a.post(
        &format!("/api/chats/{chat}/messages"),
        json!({ "text": "again" }),
    )
    .await;
    on_b.until(|f| event_type(f) == Some("text_delta")).await;
    model.push(Reply::stream().text("answer to b"));
    let (status, posted) = b
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "from b" }),
        )
        .await;
    assert_eq!(status, 202, "{posted}");
    assert_eq!(posted["queued"]["text"], "from b", "{posted}");
    let (status, stopped) = b.post(&format!("/api/chats/{chat}/stop"), json!({})).await;
    assert_eq!((status, stopped["stopped"].as_bool()), (200, Some(true)));
    let frames = on_b.until(is_finished).await;
    assert_eq!(frames.last().unwrap()["message"]["status"], "cancelled");
    // A, whose turn ended, runs what waited; B watches it.
    let frames = on_b.until(is_finished).await;
    let answered = &frames.last().unwrap()["message"];
    assert_eq!(answered["status"], "complete", "{answered}");
    assert_eq!(answered["parts"][0]["text"], "answer to b");
    let (_, queue) = b.get(&format!("/api/chats/{chat}/queue")).await;
    assert_eq!(queue, json!([]));
}
