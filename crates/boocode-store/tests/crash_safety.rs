//! Crash safety: a child process writing chats is killed with SIGKILL mid-write; the SQLite file
//! reopens intact with every committed message, and the sweep leaves no row streaming.
//!
//! This test has its own `main` (harness = false): run with `child <db>` it is the writer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use boocode_core::{Message, MessageStatus, Part, Role};
use boocode_store::Store;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The writer: chats forever, reporting each commit on stdout once it returned.
async fn child(db: &str) {
    let store = Store::connect(&format!("sqlite://{db}")).await.unwrap();
    let project = store.create_project("crash", "/crash").await.unwrap();
    let session = store.create_session(project.id, "s").await.unwrap();
    let chat = store.create_chat(session.id, "c", None).await.unwrap();
    let mut out = std::io::stdout().lock();
    writeln!(out, "chat {}", chat.id).unwrap();
    for turn in 0u64.. {
        let user = Message::user(format!("question {turn}"));
        store.append_message(chat.id, &user).await.unwrap();
        writeln!(out, "user {} {turn}", user.id).unwrap();
        let assistant = Message::new(Role::Assistant, MessageStatus::Streaming, vec![]);
        store.append_message(chat.id, &assistant).await.unwrap();
        let mut text = String::new();
        for flush in 0..8 {
            text.push_str(&format!("token{flush} "));
            store
                .update_parts(assistant.id, 0, &[Part::text(text.clone())])
                .await
                .unwrap();
            writeln!(out, "part {} {}", assistant.id, text.len()).unwrap();
        }
        store
            .finalize_message(assistant.id, MessageStatus::Complete, None)
            .await
            .unwrap();
        writeln!(out, "final {}", assistant.id).unwrap();
        out.flush().unwrap();
    }
}

async fn parent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child", db.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut chat = String::new();
    let mut users: Vec<(String, u64)> = Vec::new();
    let mut parts: HashMap<String, usize> = HashMap::new();
    let mut finals: Vec<String> = Vec::new();
    let started = Instant::now();
    let mut record = |line: &str| -> bool {
        let fields: Vec<&str> = line.split(' ').collect();
        match fields.as_slice() {
            ["chat", id] => chat = (*id).to_owned(),
            ["user", id, n] => users.push(((*id).to_owned(), n.parse().unwrap())),
            ["part", id, len] => {
                parts.insert((*id).to_owned(), len.parse().unwrap());
            }
            ["final", id] => finals.push((*id).to_owned()),
            _ => panic!("unexpected line from the writer: {line}"),
        }
        users.len() >= 60 && fields[0] == "part" && parts[fields[1]] > 20
    };
    // Kill it in the middle of a streaming message, after plenty of commits.
    while let Some(Ok(line)) = lines.next() {
        if record(&line) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the writer is too slow"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // What it reported committing before the kill landed (it runs on while we read).
    for line in lines.map_while(Result::ok) {
        record(&line);
    }
    assert!(!chat.is_empty() && users.len() >= 60);

    let store = Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    store.check_integrity().await.unwrap();
    let chat_id = chat.parse().unwrap();
    let mut all: Vec<Message> = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.list_messages(chat_id, cursor, 500).await.unwrap();
        let mut batch = page.messages;
        batch.extend(all);
        all = batch;
        if !page.has_more {
            break;
        }
        cursor = page.cursor;
    }
    let by_id: HashMap<String, &Message> = all.iter().map(|m| (m.id.to_string(), m)).collect();
    for (id, n) in &users {
        let m = by_id
            .get(id)
            .unwrap_or_else(|| panic!("committed user message {id} is missing"));
        assert_eq!(m.text(), format!("question {n}"));
    }
    for (id, len) in &parts {
        let m = by_id
            .get(id)
            .unwrap_or_else(|| panic!("committed assistant message {id} is missing"));
        assert!(
            m.text().len() >= *len,
            "message {id} lost committed text: {} < {len}",
            m.text().len()
        );
    }
    for id in &finals {
        assert_eq!(by_id[id].status, MessageStatus::Complete);
    }
    // The kill lands while a turn streams (its row is left streaming) or, now and then, between
    // a finished turn and the next one's row: never more than one.
    let streaming_before = all
        .iter()
        .filter(|m| m.status == MessageStatus::Streaming)
        .count();
    assert!(
        streaming_before <= 1,
        "{streaming_before} rows left streaming"
    );
    let swept = store.sweep_stale_streaming(Duration::ZERO).await.unwrap();
    if let Some(last) = all.iter().find(|m| m.status == MessageStatus::Streaming) {
        assert_eq!(swept, vec![chat_id]);
        assert_eq!(
            store.get_message(last.id).await.unwrap().status,
            MessageStatus::Failed
        );
    } else {
        assert!(swept.is_empty(), "{swept:?}");
    }
    assert!(
        store
            .sweep_stale_streaming(Duration::ZERO)
            .await
            .unwrap()
            .is_empty()
    );
    println!(
        "crash safety: killed after {} committed user messages and {} committed part flushes; all intact, {} streaming row swept",
        users.len(),
        parts.len(),
        streaming_before
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if args.get(1).map(String::as_str) == Some("child") {
        runtime.block_on(child(&args[2]));
        return;
    }
    runtime.block_on(parent());
    println!("1 passed, 0 failed");
}
