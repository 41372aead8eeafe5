//! The store API on SQLite and Postgres: what the server needs, and every kind of bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_core::{ChatId, Message, MessageId, MessageKind, MessageStatus, Part, Role, Usage};
use boocode_store::{BackendName, ChangeState, PendingChange, Store, StoreError, ToolCallRecord};
use std::time::Duration;

async fn chat(store: &Store) -> ChatId {
    let project = store
        .create_project("demo", &format!("/src/{}", uuid::Uuid::new_v4()))
        .await
        .unwrap();
    let session = store.create_session(project.id, "s").await.unwrap();
    store.create_chat(session.id, "c", None).await.unwrap().id
}

fn tool_call(id: &str) -> Part {
    Part::ToolCall {
        id: id.into(),
        name: "grep".into(),
        arguments: "{\"pattern\":\"x\"}".into(),
    }
}

fn tool_result(id: &str, content: &str) -> Part {
    Part::ToolResult {
        call_id: id.into(),
        name: "grep".into(),
        content: content.into(),
        is_error: false,
        duration_ms: Some(3),
    }
}

#[tokio::test]
async fn projects_sessions_and_chats_can_be_created_renamed_archived_and_listed() {
    for b in common::backends().await {
        let s = &b.store;
        let p = s.create_project("alpha", "/src/alpha").await.unwrap();
        let q = s.create_project("beta", "/src/beta").await.unwrap();
        assert_eq!(s.get_project(p.id).await.unwrap(), p, "{}", b.name);
        s.rename_project(p.id, "Alpha 2").await.unwrap();
        s.set_project_archived(q.id, true).await.unwrap();
        let names: Vec<String> = s
            .list_projects(false)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["Alpha 2"], "{}", b.name);
        assert_eq!(s.list_projects(true).await.unwrap().len(), 2);
        s.set_project_archived(q.id, false).await.unwrap();
        assert_eq!(s.list_projects(false).await.unwrap().len(), 2);
        assert!(
            matches!(
                s.create_project("dup", "/src/alpha").await,
                Err(StoreError::Conflict(_))
            ),
            "{}",
            b.name
        );

        let s1 = s.create_session(p.id, "first").await.unwrap();
        tokio::time::sleep(Duration::from_millis(3)).await;
        let s2 = s.create_session(p.id, "second").await.unwrap();
        s.rename_session(s1.id, "renamed").await.unwrap();
        let c1 = s
            .create_chat(s1.id, "chat", Some("reviewer"))
            .await
            .unwrap();
        // Activity in s1 moves it to the top.
        tokio::time::sleep(Duration::from_millis(3)).await;
        s.append_message(c1.id, &Message::user("hi")).await.unwrap();
        let titles: Vec<String> = s
            .list_sessions(p.id, false)
            .await
            .unwrap()
            .into_iter()
            .map(|x| x.title)
            .collect();
        assert_eq!(titles, ["renamed", "second"], "{}", b.name);
        s.set_session_archived(s2.id, true).await.unwrap();
        assert_eq!(s.list_sessions(p.id, false).await.unwrap().len(), 1);
        assert_eq!(s.list_sessions(p.id, true).await.unwrap().len(), 2);

        assert_eq!(
            s.get_chat(c1.id).await.unwrap().agent.as_deref(),
            Some("reviewer")
        );
        s.rename_chat(c1.id, "better").await.unwrap();
        s.set_chat_archived(c1.id, true).await.unwrap();
        assert!(s.list_chats(s1.id, false).await.unwrap().is_empty());
        let chats = s.list_chats(s1.id, true).await.unwrap();
        assert_eq!(
            (chats[0].title.as_str(), chats[0].archived),
            ("better", true)
        );

        // A delegated child names its parent; an unknown chat is a typed error.
        let child = s.create_chat(s1.id, "child", None).await.unwrap();
        assert_eq!(child.parent, None);
        s.set_chat_parent(child.id, c1.id).await.unwrap();
        assert_eq!(
            s.get_chat(child.id).await.unwrap().parent,
            Some(c1.id),
            "{}",
            b.name
        );
        assert!(matches!(
            s.set_chat_parent(ChatId::new(), c1.id).await,
            Err(StoreError::NotFound { .. })
        ));

        let panes = serde_json::json!({"split": "h", "tabs": [{"chat": c1.id.to_string()}]});
        assert_eq!(s.load_panes(s1.id).await.unwrap(), None);
        s.save_panes(s1.id, &panes).await.unwrap();
        assert_eq!(s.load_panes(s1.id).await.unwrap(), Some(panes));
    }
}

#[tokio::test]
async fn many_chats_flush_in_one_transaction_and_a_vanished_message_spoils_only_its_own() {
    for b in common::backends().await {
        let s = &b.store;
        let (c1, c2) = (chat(s).await, chat(s).await);
        let m1 = Message::new(Role::Assistant, MessageStatus::Streaming, vec![]);
        let m2 = Message::new(Role::Assistant, MessageStatus::Streaming, vec![]);
        s.append_message(c1, &m1).await.unwrap();
        s.append_message(c2, &m2).await.unwrap();
        let gone = MessageId::new();
        let (p1, p2) = ([Part::text("one")], [Part::text("two"), tool_call("c9")]);
        let results = s
            .update_parts_many(&[(m1.id, 0, &p1[..]), (gone, 0, &p1[..]), (m2.id, 0, &p2[..])])
            .await
            .unwrap();
        assert!(results[0].is_ok(), "{}", b.name);
        assert!(
            matches!(
                &results[1],
                Err(StoreError::NotFound {
                    what: "message",
                    ..
                })
            ),
            "{}: {:?}",
            b.name,
            results[1]
        );
        assert!(results[2].is_ok(), "{}", b.name);
        assert_eq!(s.get_message(m1.id).await.unwrap().parts, p1, "{}", b.name);
        assert_eq!(s.get_message(m2.id).await.unwrap().parts, p2, "{}", b.name);
        // A later flush from an index replaces only the tail.
        let tail = [Part::text("two, more")];
        let results = s.update_parts_many(&[(m2.id, 0, &tail[..])]).await.unwrap();
        assert!(results[0].is_ok());
        assert_eq!(
            s.get_message(m2.id).await.unwrap().parts,
            tail,
            "{}",
            b.name
        );
        assert!(s.update_parts_many(&[]).await.unwrap().is_empty());
    }
}

/// Every stored field of a message comes back as it went in, on each backend: unknown costs
/// stay unknown (not 0), odd floats keep their last bit, and a message without parts has none.
#[tokio::test]
async fn messages_come_back_field_for_field() {
    for b in common::backends().await {
        let s = &b.store;
        let chat = chat(s).await;
        let empty = Message::new(Role::Assistant, MessageStatus::Streaming, vec![]);
        s.append_message(chat, &empty).await.unwrap();
        let mut costs = Vec::new();
        for cost in [None, Some(1e-20), Some(12_345.678_901_234_567), Some(0.0)] {
            let mut m = Message::assistant("quote \" and \\ and \n and \u{0} and ü");
            m.usage = Some(Usage {
                prompt_tokens: 7,
                completion_tokens: 0,
                ctx_used: 7,
                ctx_max: None,
                cost_usd: cost,
            });
            s.append_message(chat, &m).await.unwrap();
            s.finalize_message(m.id, MessageStatus::Complete, m.usage)
                .await
                .unwrap();
            m.status = MessageStatus::Complete;
            costs.push(m);
        }
        let page = s.list_messages(chat, None, 10).await.unwrap();
        assert_eq!(page.messages[0], empty, "{}", b.name);
        assert!(page.messages[0].parts.is_empty());
        assert_eq!(&page.messages[1..], &costs[..], "{}", b.name);
        for m in &costs {
            assert_eq!(&s.get_message(m.id).await.unwrap(), m, "{}", b.name);
        }
    }
}

#[tokio::test]
async fn a_streaming_message_is_updated_in_place_then_finalized() {
    for b in common::backends().await {
        let s = &b.store;
        let chat = chat(s).await;
        s.append_message(chat, &Message::user("find main"))
            .await
            .unwrap();
        let mut assistant = Message::new(Role::Assistant, MessageStatus::Streaming, vec![]);
        s.append_message(chat, &assistant).await.unwrap();

        // Flushes: the growing last part, then new parts.
        s.update_parts(assistant.id, 0, &[Part::Reasoning { text: "hm".into() }])
            .await
            .unwrap();
        s.update_parts(
            assistant.id,
            0,
            &[
                Part::Reasoning {
                    text: "hmm, grep".into(),
                },
                tool_call("c1"),
            ],
        )
        .await
        .unwrap();
        s.update_parts(
            assistant.id,
            2,
            &[
                tool_result("c1", "src/main.rs:1:fn main"),
                Part::text("It is in"),
            ],
        )
        .await
        .unwrap();
        s.update_parts(assistant.id, 3, &[Part::text("It is in src/main.rs.")])
            .await
            .unwrap();
        let usage = Usage {
            prompt_tokens: 100,
            completion_tokens: 20,
            ctx_used: 120,
            ctx_max: Some(8192),
            cost_usd: Some(0.1 + 0.2), // 0.30000000000000004: kept to the last bit
        };
        s.finalize_message(assistant.id, MessageStatus::Complete, Some(usage))
            .await
            .unwrap();

        assistant.parts = vec![
            Part::Reasoning {
                text: "hmm, grep".into(),
            },
            tool_call("c1"),
            tool_result("c1", "src/main.rs:1:fn main"),
            Part::text("It is in src/main.rs."),
        ];
        assistant.status = MessageStatus::Complete;
        assistant.usage = Some(usage);
        assert_eq!(
            s.get_message(assistant.id).await.unwrap(),
            assistant,
            "{}",
            b.name
        );
        let page = s.list_messages(chat, None, 10).await.unwrap();
        assert_eq!(page.messages.len(), 2);
        assert_eq!(page.messages[1], assistant, "{}", b.name);
        assert!(!page.has_more);
    }
}

#[tokio::test]
async fn pages_walk_back_through_a_long_chat_in_order() {
    for b in common::backends().await {
        let s = &b.store;
        let chat = chat(s).await;
        for i in 0..25 {
            let mut m = Message::user(format!("m{i}"));
            m.parts.push(Part::text(format!(" part2 of {i}")));
            s.append_message(chat, &m).await.unwrap();
        }
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = s.list_messages(chat, cursor, 10).await.unwrap();
            let mut texts: Vec<String> = page.messages.iter().map(|m| m.text()).collect();
            texts.extend(seen);
            seen = texts;
            if !page.has_more {
                break;
            }
            cursor = page.cursor;
        }
        let expected: Vec<String> = (0..25).map(|i| format!("m{i} part2 of {i}")).collect();
        assert_eq!(seen, expected, "{}", b.name);
        let empty_chat = {
            let p = s
                .create_project("e", &format!("/e/{}", uuid::Uuid::new_v4()))
                .await
                .unwrap();
            let sess = s.create_session(p.id, "").await.unwrap();
            s.create_chat(sess.id, "", None).await.unwrap().id
        };
        let page = s.list_messages(empty_chat, None, 10).await.unwrap();
        assert!(page.messages.is_empty() && !page.has_more && page.cursor.is_none());
    }
}

/// Ages are far apart (1.2 s old vs 0.8 s threshold) so a loaded machine cannot push the
/// fresh row over the threshold between its write and the sweep.
#[tokio::test]
async fn the_sweep_fails_stale_streaming_rows_and_names_their_chats() {
    for b in common::backends().await {
        let s = &b.store;
        let stale_chat = chat(s).await;
        let live_chat = chat(s).await;
        let stale = Message::new(
            Role::Assistant,
            MessageStatus::Streaming,
            vec![Part::text("half")],
        );
        s.append_message(stale_chat, &stale).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let live = Message::new(Role::Assistant, MessageStatus::Streaming, vec![]);
        s.append_message(live_chat, &live).await.unwrap();
        let swept = s
            .sweep_stale_streaming(Duration::from_millis(800))
            .await
            .unwrap();
        assert_eq!(swept, vec![stale_chat], "{}", b.name);
        let m = s.get_message(stale.id).await.unwrap();
        assert_eq!(m.status, MessageStatus::Failed);
        assert_eq!(m.text(), "half", "the partial text is kept");
        assert_eq!(
            s.get_message(live.id).await.unwrap().status,
            MessageStatus::Streaming
        );
        // A heartbeat keeps a long-running turn from being swept.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        s.touch_message(live.id).await.unwrap();
        assert!(
            s.sweep_stale_streaming(Duration::from_millis(800))
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn settings_tool_stats_agent_sessions_and_pending_changes() {
    for b in common::backends().await {
        let s = &b.store;
        s.set_setting("model", &serde_json::json!({"url": "http://x", "n": 1}))
            .await
            .unwrap();
        s.set_setting("model", &serde_json::json!({"url": "http://y"}))
            .await
            .unwrap();
        assert_eq!(
            s.get_setting("model").await.unwrap(),
            Some(serde_json::json!({"url": "http://y"}))
        );
        assert_eq!(s.get_setting("nope").await.unwrap(), None);
        assert_eq!(s.list_settings().await.unwrap().len(), 1);
        assert!(s.delete_setting("model").await.unwrap());

        let chat = chat(s).await;
        for i in 0..130u64 {
            s.record_tool_call(&ToolCallRecord {
                chat_id: Some(chat),
                tool: "grep".into(),
                // The first 30 calls are slow: the stats must look at the last 100 only.
                duration_ms: if i < 30 { 10_000 } else { i },
                output_bytes: 100,
                is_error: i.is_multiple_of(10),
            })
            .await
            .unwrap();
        }
        s.record_tool_call(&ToolCallRecord {
            chat_id: None,
            tool: "view_file".into(),
            duration_ms: 7,
            output_bytes: 50,
            is_error: false,
        })
        .await
        .unwrap();
        let stats = s.tool_stats().await.unwrap();
        assert_eq!(stats.len(), 2, "{}", b.name);
        let grep = &stats[0];
        assert_eq!((grep.tool.as_str(), grep.count), ("grep", 100));
        assert_eq!(grep.p50_ms, 79, "{}: median of 30..=129", b.name);
        assert_eq!(grep.p95_ms, 124);
        assert_eq!(grep.mean_output_bytes, 100);
        assert!((grep.error_rate - 0.10).abs() < 1e-9, "{}", grep.error_rate);
        assert_eq!((stats[1].count, stats[1].p95_ms), (1, 7));

        let agent = s
            .create_agent_session(chat, BackendName::ClaudeSdk, "claude")
            .await
            .unwrap();
        s.set_backend_session_id(&agent.id, "8cfbab10-aaaa")
            .await
            .unwrap();
        s.add_agent_usage(&agent.id, 100, 20, 0.01).await.unwrap();
        s.add_agent_usage(&agent.id, 50, 5, 0.005).await.unwrap();
        let rows = s.list_agent_sessions(chat).await.unwrap();
        assert_eq!(rows[0].backend_session_id.as_deref(), Some("8cfbab10-aaaa"));
        assert_eq!(
            (rows[0].prompt_tokens, rows[0].completion_tokens),
            (150, 25)
        );
        assert!((rows[0].cost_usd - 0.015).abs() < 1e-9);
        assert!(matches!(
            s.add_agent_usage(&agent.id, 1, 1, f64::NAN).await,
            Err(StoreError::Invalid {
                field: "cost_usd",
                ..
            })
        ));

        let change = PendingChange {
            id: String::new(),
            chat_id: chat,
            seq: 0,
            path: "src/a.rs".into(),
            state: ChangeState::Pending,
            base_hash: Some("abc".into()),
            base_content: Some(b"old\0bytes".to_vec()),
            proposed_content: Some(b"new".to_vec()),
            mode: Some(0o644),
            diff: "--- a/src/a.rs\n+++ b/src/a.rs\n".into(),
        };
        let first = s.add_pending_change(&change).await.unwrap();
        let second = s
            .add_pending_change(&PendingChange {
                path: "src/b.rs".into(),
                proposed_content: None,
                ..change.clone()
            })
            .await
            .unwrap();
        assert_eq!((first.seq, second.seq), (1, 2));
        let listed = s.list_pending_changes(chat).await.unwrap();
        assert_eq!(listed, vec![first.clone(), second.clone()], "{}", b.name);
        // Project-wide: this project's chats only, another project's change left out.
        let other = self::chat(s).await;
        s.add_pending_change(&PendingChange {
            chat_id: other,
            ..change.clone()
        })
        .await
        .unwrap();
        let project = s
            .get_session(s.get_chat(chat).await.unwrap().session_id)
            .await
            .unwrap()
            .project_id;
        let second_chat = s
            .create_chat(s.get_chat(chat).await.unwrap().session_id, "c2", None)
            .await
            .unwrap()
            .id;
        let third = s
            .add_pending_change(&PendingChange {
                chat_id: second_chat,
                ..change.clone()
            })
            .await
            .unwrap();
        let across = s.list_project_changes(project).await.unwrap();
        let mut ids: Vec<&str> = across.iter().map(|c| c.id.as_str()).collect();
        // Each chat's changes in proposal order; the chats' order is by creation.
        let first_at = ids.iter().position(|i| *i == first.id).unwrap();
        let second_at = ids.iter().position(|i| *i == second.id).unwrap();
        assert!(first_at < second_at, "{}", b.name);
        ids.sort_unstable();
        let mut want = [first.id.as_str(), second.id.as_str(), third.id.as_str()];
        want.sort_unstable();
        assert_eq!(ids, want, "{}", b.name);
        s.set_change_state(&first.id, ChangeState::Pending, ChangeState::Applied)
            .await
            .unwrap();
        assert!(matches!(
            s.set_change_state(&first.id, ChangeState::Pending, ChangeState::Rejected)
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.set_change_state("nope", ChangeState::Pending, ChangeState::Applied)
                .await,
            Err(StoreError::NotFound { .. })
        ));
    }
}

#[tokio::test]
async fn bad_input_gets_typed_errors_and_loses_nothing() {
    for b in common::backends().await {
        let s = &b.store;
        let long = "x".repeat(201);
        assert!(
            matches!(
                s.create_project(&long, "/r").await,
                Err(StoreError::Invalid { field: "name", .. })
            ),
            "{}",
            b.name
        );
        assert!(matches!(
            s.create_project("", "/r").await,
            Err(StoreError::Invalid { field: "name", .. })
        ));
        assert!(matches!(
            s.create_project("a\0b", "/r").await,
            Err(StoreError::Invalid { field: "name", .. })
        ));
        assert!(matches!(
            s.create_project("ok", "/r\0x").await,
            Err(StoreError::Invalid { field: "root", .. })
        ));
        let chat = chat(s).await;
        let session = s.get_chat(chat).await.unwrap().session_id;
        assert!(matches!(
            s.rename_session(session, &long).await,
            Err(StoreError::Invalid { field: "title", .. })
        ));
        assert!(matches!(
            s.rename_chat(chat, "tab\there").await,
            Err(StoreError::Invalid { .. })
        ));

        // Unknown ids.
        let ghost_chat = ChatId::new();
        assert!(
            matches!(
                s.get_chat(ghost_chat).await,
                Err(StoreError::NotFound { what: "chat", .. })
            ),
            "{}",
            b.name
        );
        assert!(matches!(
            s.append_message(ghost_chat, &Message::user("x")).await,
            Err(StoreError::NotFound { what: "chat", .. })
        ));
        assert!(matches!(
            s.list_messages(ghost_chat, None, 10).await,
            Err(StoreError::NotFound { what: "chat", .. })
        ));
        assert!(matches!(
            s.update_parts(MessageId::new(), 0, &[]).await,
            Err(StoreError::NotFound {
                what: "message",
                ..
            })
        ));
        assert!(matches!(
            s.finalize_message(MessageId::new(), MessageStatus::Complete, None)
                .await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(
            matches!(
                s.create_session(boocode_core::ProjectId::new(), "x").await,
                Err(StoreError::NotFound {
                    what: "project",
                    ..
                })
            ),
            "{}",
            b.name
        );
        assert!(matches!(
            s.create_chat(boocode_core::SessionId::new(), "x", None)
                .await,
            Err(StoreError::NotFound {
                what: "session",
                ..
            })
        ));
        assert!(matches!(
            s.load_panes(boocode_core::SessionId::new()).await,
            Err(StoreError::NotFound { .. })
        ));
        let big = serde_json::json!({"x": "y".repeat(300_000)});
        assert!(matches!(
            s.save_panes(session, &big).await,
            Err(StoreError::Invalid { field: "panes", .. })
        ));

        // Tool output with NUL bytes and replacement characters (a lossily decoded binary) is
        // kept exactly: Postgres would refuse NUL in TEXT or JSONB, so parts are escaped JSON.
        let raw = String::from_utf8_lossy(&[b'o', b'k', 0, 0xff, 0xfe, b'!']).into_owned();
        let mut m = Message::new(
            Role::Assistant,
            MessageStatus::Complete,
            vec![tool_call("n1"), tool_result("n1", &raw)],
        );
        m.kind = MessageKind::Regular;
        s.append_message(chat, &m).await.unwrap();
        assert_eq!(
            s.get_message(m.id).await.unwrap().parts[1],
            tool_result("n1", &raw),
            "{}",
            b.name
        );

        // A closed pool.
        s.close().await;
        assert_eq!(
            s.get_chat(chat).await.unwrap_err(),
            StoreError::Closed,
            "{}",
            b.name
        );
        assert_eq!(
            s.append_message(chat, &Message::user("late"))
                .await
                .unwrap_err(),
            StoreError::Closed
        );
    }
}

#[tokio::test]
async fn migrations_are_idempotent_and_data_survives_reconnecting() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("nested/dir/b.db").display());
    let first = Store::connect(&url).await.unwrap();
    let kept = chat(&first).await;
    first
        .append_message(kept, &Message::user("kept"))
        .await
        .unwrap();
    first.close().await;
    let second = Store::connect(&url).await.unwrap();
    second.migrate().await.unwrap();
    assert_eq!(
        second.list_messages(kept, None, 10).await.unwrap().messages[0].text(),
        "kept"
    );

    if let Some(pg) = boocode_testkit::PgTestDb::create().await {
        let a = Store::connect(pg.url()).await.unwrap();
        let b = Store::connect(pg.url()).await.unwrap();
        b.migrate().await.unwrap();
        let shared = chat(&a).await;
        b.append_message(shared, &Message::user("shared"))
            .await
            .unwrap();
        assert_eq!(
            a.list_messages(shared, None, 10).await.unwrap().messages[0].text(),
            "shared"
        );
    }
}

/// What a database written before changes and usage were per chat holds: two changes of a chat,
/// one of a coder run (no chat), their counters and a usage row of a run.
fn rows_before_the_run_scope_went(chat: ChatId) -> String {
    format!(
        "INSERT INTO projects (id, name, root, created_at) VALUES ('p1', 'old', '/src/old', 1);
         INSERT INTO sessions (id, project_id, title, created_at, updated_at) VALUES ('s1', 'p1', 's', 1, 1);
         INSERT INTO chats (id, session_id, title, created_at, updated_at) VALUES ('{chat}', 's1', 'c', 1, 1);
         INSERT INTO pending_changes (id, chat_id, run_id, seq, path, state, diff, created_at, updated_at) VALUES
             ('k1', '{chat}', NULL, 1, 'a.rs', 'pending', '-a', 1, 1),
             ('k2', '{chat}', NULL, 2, 'b.rs', 'applied', '-b', 2, 2),
             ('r1', NULL, 'run-1', 1, 'c.rs', 'pending', '-c', 3, 3);
         INSERT INTO change_counters (scope, last_seq) VALUES ('chat:{chat}', 2), ('run:run-1', 1);
         INSERT INTO usage_ledger (project_root, chat_id, run_id, provider, prompt_tokens, completion_tokens, created_at)
             VALUES ('/src/old', NULL, 'run-1', 'boocode', 10, 5, 1);"
    )
}

/// After the upgrade the chat's changes and numbering go on, the run's change is gone, and the
/// run's usage still counts.
async fn check_upgraded(store: &Store, chat: ChatId) {
    let changes = store.list_pending_changes(chat).await.unwrap();
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.seq, c.path.as_str()))
            .collect::<Vec<_>>(),
        [(1, "a.rs"), (2, "b.rs")]
    );
    let next = store
        .add_pending_change(&PendingChange {
            id: String::new(),
            chat_id: chat,
            seq: 0,
            path: "d.rs".into(),
            state: ChangeState::Pending,
            base_hash: None,
            base_content: None,
            proposed_content: Some(b"d".to_vec()),
            mode: None,
            diff: "+d".into(),
        })
        .await
        .unwrap();
    assert_eq!(next.seq, 3);
    let report = store
        .usage_report(Some("/src/old"), 0, boocode_store::UsageGroup::Provider)
        .await
        .unwrap();
    assert_eq!(
        report
            .iter()
            .map(|r| (r.key.as_str(), r.prompt_tokens))
            .collect::<Vec<_>>(),
        [("boocode", 10)]
    );
}

/// The store's migrations for `database` up to `version`: a database as an older BooCode left it.
async fn migrations_up_to(database: &str, version: i64) -> sqlx::migrate::Migrator {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(database);
    let mut migrator = sqlx::migrate::Migrator::new(dir).await.unwrap();
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    migrator
}

#[tokio::test]
async fn upgrading_a_database_with_coder_runs_keeps_every_chats_changes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let chat = ChatId::new();
    {
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
        let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
            .await
            .unwrap();
        migrations_up_to("sqlite", 8)
            .await
            .run(&pool)
            .await
            .unwrap();
        sqlx::raw_sql(&rows_before_the_run_scope_went(chat))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let store = Store::connect(&url).await.unwrap();
    check_upgraded(&store, chat).await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let (rows, column) = tokio::join!(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM pending_changes").fetch_one(&pool),
        sqlx::query("SELECT run_id FROM pending_changes").fetch_all(&pool),
    );
    assert_eq!(
        rows.unwrap(),
        3,
        "the run's change is gone, the chat's three stay"
    );
    assert!(column.is_err(), "the run scope's column is gone");

    if let Some(pg) = boocode_testkit::PgTestDb::create().await {
        let chat = ChatId::new();
        let pool = sqlx::PgPool::connect(pg.url()).await.unwrap();
        migrations_up_to("postgres", 9)
            .await
            .run(&pool)
            .await
            .unwrap();
        sqlx::raw_sql(&rows_before_the_run_scope_went(chat))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let store = Store::connect(pg.url()).await.unwrap();
        check_upgraded(&store, chat).await;
        let pool = sqlx::PgPool::connect(pg.url()).await.unwrap();
        let (rows, column) = tokio::join!(
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM pending_changes").fetch_one(&pool),
            sqlx::query("SELECT run_id FROM usage_ledger").fetch_all(&pool),
        );
        assert_eq!(
            rows.unwrap(),
            3,
            "the run's change is gone, the chat's three stay"
        );
        assert!(column.is_err(), "the run scope's column is gone");
    }
}

#[tokio::test]
async fn unsupported_and_unreachable_urls_are_typed_errors() {
    assert!(matches!(
        Store::connect("mysql://x/y").await,
        Err(StoreError::UnsupportedUrl(_))
    ));
    let err = Store::connect("postgres://bob:secret@127.0.0.1:1/none")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains("secret"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_proposals_are_numbered_one_to_fifty() {
    for b in common::backends().await {
        let s = &b.store;
        let chat = chat(s).await;
        let proposals = (0..50).map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.add_pending_change(&PendingChange {
                    id: String::new(),
                    chat_id: chat,
                    seq: 0,
                    path: format!("src/f{i}.rs"),
                    state: ChangeState::Pending,
                    base_hash: None,
                    base_content: None,
                    proposed_content: Some(b"x".to_vec()),
                    mode: None,
                    diff: String::new(),
                })
                .await
            })
        });
        let mut numbers = Vec::new();
        for proposal in proposals.collect::<Vec<_>>() {
            numbers.push(proposal.await.unwrap().unwrap().seq);
        }
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=50).collect::<Vec<i64>>(), "{}", b.name);
        // Another chat's numbers are its own.
        let other = self::chat(s).await;
        let run = s
            .add_pending_change(&PendingChange {
                id: String::new(),
                chat_id: other,
                seq: 0,
                path: "a".into(),
                state: ChangeState::Pending,
                base_hash: None,
                base_content: None,
                proposed_content: None,
                mode: None,
                diff: String::new(),
            })
            .await
            .unwrap();
        assert_eq!(run.seq, 1, "{}", b.name);
    }
}

#[tokio::test]
async fn permission_notice_plan_and_terminal_parts_round_trip() {
    for b in common::backends().await {
        let s = &b.store;
        let chat = chat(s).await;
        let message = Message::new(
            Role::Assistant,
            MessageStatus::Complete,
            vec![
                Part::Permission {
                    request_id: "perm_1".into(),
                    tool: "Bash".into(),
                    summary: "touch x".into(),
                    decision: Some(boocode_core::PermissionDecision::Deny),
                },
                Part::Notice {
                    level: boocode_core::NoticeLevel::Info,
                    message: "Steered: tabs".into(),
                },
                Part::Plan {
                    entries: vec![boocode_core::PlanEntry {
                        content: "write the test".into(),
                        status: "in_progress".into(),
                    }],
                },
                Part::Terminal {
                    terminal_id: "term_1".into(),
                    output: "ok\u{0}done\n".into(),
                    truncated: true,
                    exit_code: Some(2),
                },
                Part::text("done"),
            ],
        );
        s.append_message(chat, &message).await.unwrap();
        let page = s.list_messages(chat, None, 10).await.unwrap();
        assert_eq!(page.messages[0].parts, message.parts, "{}", b.name);
    }
}

#[tokio::test]
async fn the_permission_inbox_is_shared_answered_once_and_expires_orphans() {
    use boocode_core::PermissionDecision;
    use boocode_core::protocol::{InboxItem, InboxState};
    for b in common::backends().await {
        let s = &b.store;
        let busy = chat(s).await;
        let idle = chat(s).await;
        // A turn streams in `busy`; nothing runs in `idle`.
        let mut running = Message::assistant("");
        running.status = MessageStatus::Streaming;
        s.append_message(busy, &running).await.unwrap();
        let item = |id: &str, chat_id: ChatId, at: i64| InboxItem {
            request_id: id.into(),
            chat_id,
            session_id: boocode_core::SessionId::new(),
            provider: "claude-acp".into(),
            tool: "Bash".into(),
            summary: "touch x".into(),
            asked_at: at,
            state: InboxState::Waiting,
            decision: None,
        };
        for (id, c, at) in [("p1", busy, 1), ("p2", busy, 2), ("p3", idle, 3)] {
            s.add_permission_request(&item(id, c, at)).await.unwrap();
        }
        // Recording it twice changes nothing.
        s.add_permission_request(&item("p1", busy, 9))
            .await
            .unwrap();
        assert_eq!(s.waiting_permission_count().await.unwrap(), 3, "{}", b.name);
        let waiting = s
            .permission_requests(Some(InboxState::Waiting), 100)
            .await
            .unwrap();
        assert_eq!(
            waiting
                .iter()
                .map(|i| i.request_id.as_str())
                .collect::<Vec<_>>(),
            ["p1", "p2", "p3"]
        );
        assert_eq!(waiting[0].asked_at, 1);

        assert!(
            s.answer_permission_request("p1", PermissionDecision::Deny)
                .await
                .unwrap()
        );
        assert!(
            !s.answer_permission_request("p1", PermissionDecision::AllowOnce)
                .await
                .unwrap(),
            "answered once"
        );
        let p1 = s.permission_request("p1").await.unwrap().unwrap();
        assert_eq!(
            (p1.state, p1.decision),
            (InboxState::Answered, Some(PermissionDecision::Deny))
        );
        assert!(s.permission_request("nope").await.unwrap().is_none());

        // Only the prompt whose chat runs no turn expires.
        let expired = s.expire_orphan_permission_requests().await.unwrap();
        assert_eq!(
            expired
                .iter()
                .map(|i| i.request_id.as_str())
                .collect::<Vec<_>>(),
            ["p3"],
            "{}",
            b.name
        );
        assert_eq!(expired[0].state, InboxState::Expired);
        assert_eq!(s.expire_chat_permission_requests(busy).await.unwrap(), 1);
        assert_eq!(s.waiting_permission_count().await.unwrap(), 0);
        assert_eq!(s.permission_requests(None, 100).await.unwrap().len(), 3);
        assert_eq!(s.permission_requests(None, 2).await.unwrap().len(), 2);

        // An answer recorded before its prompt's row: the later "waiting" record keeps it.
        let early = InboxItem {
            state: InboxState::Answered,
            decision: Some(PermissionDecision::AllowOnce),
            ..item("p6", busy, 6)
        };
        s.add_permission_request(&early).await.unwrap();
        s.add_permission_request(&item("p6", busy, 6))
            .await
            .unwrap();
        let p6 = s.permission_request("p6").await.unwrap().unwrap();
        assert_eq!(
            (p6.state, p6.decision),
            (InboxState::Answered, Some(PermissionDecision::AllowOnce))
        );

        // Bad input: a prompt of no chat, a NUL in the summary.
        assert!(matches!(
            s.add_permission_request(&item("p4", ChatId::new(), 4))
                .await,
            Err(StoreError::NotFound { .. })
        ));
        let mut bad = item("p5", busy, 5);
        bad.summary = "a\0b".into();
        assert!(matches!(
            s.add_permission_request(&bad).await,
            Err(StoreError::Invalid {
                field: "summary",
                ..
            })
        ));
    }
}

#[tokio::test]
async fn notifications_reach_every_listener_and_large_payloads_go_through_the_outbox() {
    use boocode_store::{BackendKind, MAX_NOTIFY_BYTES};
    for b in common::backends().await {
        let s = &b.store;
        if s.kind() == BackendKind::Sqlite {
            // One instance: nobody to hear from, nothing to send.
            assert!(s.listen("ch").await.unwrap().is_none());
            s.notify("ch", "x").await.unwrap();
            assert_eq!(s.outbox(1).await.unwrap(), None);
            continue;
        }
        let mut first = s.listen("boocode_test").await.unwrap().unwrap();
        let mut second = s.listen("boocode_test").await.unwrap().unwrap();
        s.notify("boocode_test", "hello").await.unwrap();
        for listener in [&mut first, &mut second] {
            let got = tokio::time::timeout(Duration::from_secs(10), listener.recv())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(got, "hello");
        }
        let big = "x".repeat(MAX_NOTIFY_BYTES + 1);
        assert!(matches!(
            s.notify("boocode_test", &big).await,
            Err(StoreError::Invalid {
                field: "payload",
                ..
            })
        ));
        let id = s.put_outbox(&big).await.unwrap();
        assert_eq!(s.outbox(id).await.unwrap().as_deref(), Some(big.as_str()));
        assert_eq!(s.prune_outbox(boocode_core::now_ms() + 1).await.unwrap(), 1);
        assert_eq!(s.outbox(id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_project_is_found_by_its_root_unarchived_or_registered_once() {
    for b in common::backends().await {
        let s = &b.store;
        let root = format!("/src/{}/demo", uuid::Uuid::new_v4());
        let first = s.project_at(&root).await.unwrap();
        assert_eq!(first.name, "demo", "{}", b.name);
        s.set_project_archived(first.id, true).await.unwrap();
        let again = s.project_at(&root).await.unwrap();
        assert_eq!(again.id, first.id, "{}", b.name);
        assert!(!s.get_project(first.id).await.unwrap().archived);
        assert_eq!(
            s.list_projects(true)
                .await
                .unwrap()
                .iter()
                .filter(|p| p.root == root)
                .count(),
            1
        );
    }
}
