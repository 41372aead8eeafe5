//! Store throughput on SQLite and Postgres: messages appended per second, part updates per
//! second, and the time to load a 10,000-message chat.
//!
//! `cargo bench -p boocode-store --bench store` (Postgres from `DATABASE_URL`; skipped with a
//! message when it is not reachable).
#![allow(
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]

use boocode_core::{ChatId, Message, MessageStatus, Part, Role};
use boocode_store::Store;
use boocode_testkit::PgTestDb;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::{Duration, Instant};

const CHAT_SIZE: usize = 10_000;

async fn new_chat(store: &Store) -> ChatId {
    let p = store
        .create_project("bench", &format!("/bench/{}", uuid::Uuid::new_v4()))
        .await
        .unwrap();
    let s = store.create_session(p.id, "bench").await.unwrap();
    store.create_chat(s.id, "bench", None).await.unwrap().id
}

/// A realistic message: a user question, or an assistant turn with a tool call and result.
fn message(i: usize) -> Message {
    if i.is_multiple_of(2) {
        return Message::user(format!(
            "Question {i}: where is the HTTP server started and which port does it use?"
        ));
    }
    Message::new(
        Role::Assistant,
        MessageStatus::Complete,
        vec![
            Part::Reasoning {
                text: "I should grep for the listener.".into(),
            },
            Part::ToolCall {
                id: format!("c{i}"),
                name: "grep".into(),
                arguments: "{\"pattern\":\"bind\\\\(\"}".into(),
            },
            Part::ToolResult {
                call_id: format!("c{i}"),
                name: "grep".into(),
                content: "src/server.rs:42:    let listener = TcpListener::bind(addr).await?;\n"
                    .repeat(4),
                is_error: false,
                duration_ms: Some(12),
            },
            Part::text(
                "The server binds in src/server.rs:42 on the configured address (default 8080).",
            ),
        ],
    )
}

fn bench_backend(c: &mut Criterion, rt: &tokio::runtime::Runtime, name: &str, store: &Store) {
    let chat = rt.block_on(new_chat(store));
    let mut group = c.benchmark_group(format!("store/{name}"));
    group.throughput(Throughput::Elements(1));
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(8));
    let mut i = 0;
    group.bench_function("append_message", |b| {
        b.iter(|| {
            i += 1;
            rt.block_on(store.append_message(chat, &message(i)))
                .unwrap();
        })
    });
    let streaming = Message::new(
        Role::Assistant,
        MessageStatus::Streaming,
        vec![Part::Reasoning { text: "r".into() }],
    );
    rt.block_on(store.append_message(chat, &streaming)).unwrap();
    let mut text = String::new();
    group.bench_function("update_parts_flush", |b| {
        b.iter(|| {
            // A streaming text part between 0 and 8 KB, as a flush every 250 ms sees it.
            text.push_str("more tokens ");
            if text.len() > 8 * 1024 {
                text.clear();
            }
            rt.block_on(store.update_parts(streaming.id, 1, &[Part::text(text.clone())]))
                .unwrap();
        })
    });
    group.finish();

    // Fifty chats streaming at once, flushed together in one transaction (as the runtime's
    // flusher batches them): throughput in flushes.
    const CHATS: usize = 50;
    let mut streams = Vec::with_capacity(CHATS);
    for _ in 0..CHATS {
        let chat = rt.block_on(new_chat(store));
        let m = Message::new(
            Role::Assistant,
            MessageStatus::Streaming,
            vec![Part::Reasoning { text: "r".into() }],
        );
        rt.block_on(store.append_message(chat, &m)).unwrap();
        streams.push(m.id);
    }
    let mut group = c.benchmark_group(format!("store/{name}"));
    group.throughput(Throughput::Elements(CHATS as u64));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("update_parts_flush_50_chats_in_one_transaction", |b| {
        b.iter(|| {
            text.push_str("more tokens ");
            if text.len() > 8 * 1024 {
                text.clear();
            }
            let parts = [Part::text(text.clone())];
            let updates: Vec<_> = streams.iter().map(|id| (*id, 1, &parts[..])).collect();
            let results = rt.block_on(store.update_parts_many(&updates)).unwrap();
            assert!(results.iter().all(Result::is_ok));
        })
    });
    group.finish();

    // A 10,000-message chat.
    let big = rt.block_on(new_chat(store));
    let started = Instant::now();
    rt.block_on(async {
        for i in 0..CHAT_SIZE {
            store.append_message(big, &message(i)).await.unwrap();
        }
    });
    eprintln!(
        "{name}: wrote the {CHAT_SIZE}-message chat in {:.1} s ({:.0} messages/s, sequential)",
        started.elapsed().as_secs_f64(),
        CHAT_SIZE as f64 / started.elapsed().as_secs_f64()
    );
    let mut group = c.benchmark_group(format!("store/{name}"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("load_latest_page_of_100", |b| {
        b.iter(|| rt.block_on(store.list_messages(big, None, 100)).unwrap())
    });
    group.bench_function("load_whole_10k_chat_in_pages_of_500", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut cursor = None;
                let mut n = 0;
                loop {
                    let page = store.list_messages(big, cursor, 500).await.unwrap();
                    n += page.messages.len();
                    if !page.has_more {
                        break;
                    }
                    cursor = page.cursor;
                }
                assert_eq!(n, CHAT_SIZE);
            })
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = rt
        .block_on(Store::connect(&format!(
            "sqlite://{}",
            dir.path().join("bench.db").display()
        )))
        .unwrap();
    bench_backend(c, &rt, "sqlite", &sqlite);
    match rt.block_on(PgTestDb::create()) {
        Some(db) => {
            let pg = rt.block_on(Store::connect(db.url())).unwrap();
            bench_backend(c, &rt, "postgres", &pg);
            rt.block_on(pg.close());
        }
        None => eprintln!("Postgres not reachable: skipping its benchmarks"),
    }
}

criterion_group!(store, benches);
criterion_main!(store);
