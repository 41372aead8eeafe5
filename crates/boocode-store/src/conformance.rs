//! The [`TranscriptStore`] conformance suite: the SDK's SessionStore contract as reusable checks.
//!
//! Run it against any implementation with a factory that returns a fresh, isolated store per
//! case (plus anything that must live as long as the store, such as a test database):
//!
//! ```no_run
//! # async fn demo() {
//! use boocode_store::{MemoryTranscriptStore, TranscriptStore};
//! use std::sync::Arc;
//!
//! boocode_store::conformance::run(|| async {
//!     let store: Arc<dyn TranscriptStore> = Arc::new(MemoryTranscriptStore::new());
//!     (store, Box::new(()) as Box<dyn std::any::Any + Send>)
//! })
//! .await;
//! # }
//! ```
//!
//! Each case panics with a message naming the contract it checks.
#![allow(clippy::panic)]

use crate::transcript::{SessionKey, TranscriptStore};
use serde_json::{Value, json};
use std::any::Any;
use std::future::Future;
use std::sync::Arc;

/// A store for one case, and whatever must outlive it.
pub type Fresh = (Arc<dyn TranscriptStore>, Box<dyn Any + Send>);

fn entry(n: usize) -> Value {
    json!({"type": "user", "uuid": format!("u-{n}"), "n": n, "message": {"content": [{"type": "text", "text": format!("entry {n}")}]}})
}

async fn load(store: &dyn TranscriptStore, key: &SessionKey) -> Option<Vec<Value>> {
    match store.load(key).await {
        Ok(v) => v,
        Err(e) => panic!("load({key:?}) failed: {e}"),
    }
}

async fn append(store: &dyn TranscriptStore, key: &SessionKey, entries: &[Value]) {
    if let Err(e) = store.append(key, entries).await {
        panic!("append({key:?}) failed: {e}");
    }
}

async fn sessions(store: &dyn TranscriptStore, project: &str) -> Vec<(String, i64)> {
    let mut listed: Vec<(String, i64)> = match store.list_sessions(project).await {
        Ok(l) => l.into_iter().map(|s| (s.session_id, s.mtime)).collect(),
        Err(e) => panic!("list_sessions({project}) failed: {e}"),
    };
    listed.sort();
    listed
}

async fn subkeys(store: &dyn TranscriptStore, project: &str, session: &str) -> Vec<String> {
    let mut keys = match store.list_subkeys(project, session).await {
        Ok(k) => k,
        Err(e) => panic!("list_subkeys failed: {e}"),
    };
    keys.sort();
    keys
}

/// Runs every case; each gets a fresh store from `make`.
pub async fn run<F, Fut>(mut make: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Fresh>,
{
    append_then_load_round_trips(make().await).await;
    unknown_keys_load_as_none(make().await).await;
    appends_concatenate_in_call_order(make().await).await;
    an_empty_append_creates_nothing(make().await).await;
    subpaths_and_projects_are_isolated(make().await).await;
    list_sessions_lists_main_transcripts_with_mtimes(make().await).await;
    delete_main_cascades_and_delete_sub_is_narrow(make().await).await;
    list_subkeys_lists_only_that_sessions_subpaths(make().await).await;
    uuids_make_appends_idempotent(make().await).await;
    bad_keys_and_entries_are_typed_errors(make().await).await;
    concurrent_appenders_keep_per_key_order(make().await).await;
}

/// 1. Append then load gives the same entries, deep-equal, in order.
pub async fn append_then_load_round_trips((store, _guard): Fresh) {
    let key = SessionKey::main("-home-me-work", "s1");
    let entries = vec![
        entry(1),
        json!({"type": "assistant", "uuid": "a-1", "nested": {"z": [1, 2.5, null, true], "a": {"deep": "é 日本 😀"}}, "nul": "a\u{0}b"}),
        json!({"type": "custom-title", "title": "no uuid here"}),
    ];
    append(store.as_ref(), &key, &entries).await;
    assert_eq!(
        load(store.as_ref(), &key).await,
        Some(entries),
        "append/load must round-trip deep-equal, in order"
    );
}

/// 2. A never-written key, and a never-written subpath of a written session, load as None.
pub async fn unknown_keys_load_as_none((store, _guard): Fresh) {
    assert_eq!(
        load(store.as_ref(), &SessionKey::main("p", "never")).await,
        None
    );
    append(store.as_ref(), &SessionKey::main("p", "s"), &[entry(1)]).await;
    assert_eq!(
        load(
            store.as_ref(),
            &SessionKey::sub("p", "s", "subagents/agent-x")
        )
        .await,
        None
    );
    assert_eq!(
        load(
            store.as_ref(),
            &SessionKey::sub("p", "never", "subagents/agent-x")
        )
        .await,
        None
    );
}

/// 3. Several appends concatenate in call order.
pub async fn appends_concatenate_in_call_order((store, _guard): Fresh) {
    let key = SessionKey::main("p", "s");
    for chunk in [
        vec![entry(1), entry(2)],
        vec![entry(3)],
        vec![entry(4), entry(5), entry(6)],
    ] {
        append(store.as_ref(), &key, &chunk).await;
    }
    let loaded = load(store.as_ref(), &key).await.unwrap_or_default();
    let order: Vec<u64> = loaded.iter().filter_map(|e| e["n"].as_u64()).collect();
    assert_eq!(
        order,
        vec![1, 2, 3, 4, 5, 6],
        "appends must concatenate in call order"
    );
}

/// 4. `append([])` is a no-op and does not create the key.
pub async fn an_empty_append_creates_nothing((store, _guard): Fresh) {
    let key = SessionKey::main("p", "empty");
    append(store.as_ref(), &key, &[]).await;
    assert_eq!(
        load(store.as_ref(), &key).await,
        None,
        "an empty append must not create the key"
    );
    assert!(sessions(store.as_ref(), "p").await.is_empty());
}

/// 5-6. A subpath is independent of its main key; the same session id under two projects is two
/// sessions.
pub async fn subpaths_and_projects_are_isolated((store, _guard): Fresh) {
    let main = SessionKey::main("p1", "s");
    let sub = SessionKey::sub("p1", "s", "subagents/agent-1");
    let other = SessionKey::main("p2", "s");
    append(store.as_ref(), &main, &[entry(1)]).await;
    append(store.as_ref(), &sub, &[entry(2)]).await;
    append(store.as_ref(), &other, &[entry(3)]).await;
    assert_eq!(load(store.as_ref(), &main).await, Some(vec![entry(1)]));
    assert_eq!(load(store.as_ref(), &sub).await, Some(vec![entry(2)]));
    assert_eq!(load(store.as_ref(), &other).await, Some(vec![entry(3)]));
    assert_eq!(sessions(store.as_ref(), "p1").await.len(), 1);
    assert_eq!(sessions(store.as_ref(), "p2").await.len(), 1);
}

/// 7-8. `list_sessions` lists exactly a project's sessions that have a main transcript, with
/// epoch-millisecond mtimes that move forward; unknown projects list nothing.
pub async fn list_sessions_lists_main_transcripts_with_mtimes((store, _guard): Fresh) {
    append(store.as_ref(), &SessionKey::main("p", "a"), &[entry(1)]).await;
    append(store.as_ref(), &SessionKey::main("p", "b"), &[entry(2)]).await;
    append(
        store.as_ref(),
        &SessionKey::sub("p", "b", "subagents/agent-1"),
        &[entry(3)],
    )
    .await;
    append(
        store.as_ref(),
        &SessionKey::sub("p", "only-sub", "subagents/agent-2"),
        &[entry(4)],
    )
    .await;
    append(store.as_ref(), &SessionKey::main("q", "c"), &[entry(5)]).await;
    let listed = sessions(store.as_ref(), "p").await;
    let ids: Vec<&str> = listed.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["a", "b"],
        "only p's sessions with a main transcript, each once"
    );
    for (_, mtime) in &listed {
        assert!(
            *mtime > 1_000_000_000_000,
            "mtime must be epoch milliseconds, got {mtime}"
        );
    }
    assert!(sessions(store.as_ref(), "unknown").await.is_empty());
    let before = listed[0].1;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    append(store.as_ref(), &SessionKey::main("p", "a"), &[entry(6)]).await;
    let after = sessions(store.as_ref(), "p").await[0].1;
    assert!(
        after >= before,
        "mtime must not go backwards ({before} -> {after})"
    );
}

/// 9-11. Deleting a main key removes it and all its subkeys (and nothing else); deleting a
/// subkey removes only it; deleting an unknown key is fine.
pub async fn delete_main_cascades_and_delete_sub_is_narrow((store, _guard): Fresh) {
    let main = SessionKey::main("p", "s");
    let sub1 = SessionKey::sub("p", "s", "subagents/agent-1");
    let sub2 = SessionKey::sub("p", "s", "subagents/agent-2");
    let sibling = SessionKey::main("p", "t");
    let elsewhere = SessionKey::main("q", "s");
    for (k, n) in [
        (&main, 1),
        (&sub1, 2),
        (&sub2, 3),
        (&sibling, 4),
        (&elsewhere, 5),
    ] {
        append(store.as_ref(), k, &[entry(n)]).await;
    }
    if let Err(e) = store.delete(&sub1).await {
        panic!("delete(sub) failed: {e}");
    }
    assert_eq!(load(store.as_ref(), &sub1).await, None);
    assert_eq!(
        load(store.as_ref(), &main).await,
        Some(vec![entry(1)]),
        "deleting a subkey leaves the main key"
    );
    assert_eq!(
        subkeys(store.as_ref(), "p", "s").await,
        vec!["subagents/agent-2".to_owned()]
    );

    if let Err(e) = store.delete(&main).await {
        panic!("delete(main) failed: {e}");
    }
    assert_eq!(load(store.as_ref(), &main).await, None);
    assert_eq!(
        load(store.as_ref(), &sub2).await,
        None,
        "deleting a main key cascades to its subkeys"
    );
    assert!(subkeys(store.as_ref(), "p", "s").await.is_empty());
    assert_eq!(load(store.as_ref(), &sibling).await, Some(vec![entry(4)]));
    assert_eq!(load(store.as_ref(), &elsewhere).await, Some(vec![entry(5)]));
    let ids: Vec<String> = sessions(store.as_ref(), "p")
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids, vec!["t".to_owned()]);
    if let Err(e) = store.delete(&SessionKey::main("p", "never")).await {
        panic!("deleting an unknown key must not fail: {e}");
    }
}

/// 12-13. `list_subkeys` gives exactly one session's subpaths, never the main transcript.
pub async fn list_subkeys_lists_only_that_sessions_subpaths((store, _guard): Fresh) {
    append(store.as_ref(), &SessionKey::main("p", "s"), &[entry(1)]).await;
    append(
        store.as_ref(),
        &SessionKey::sub("p", "s", "subagents/agent-b"),
        &[entry(2)],
    )
    .await;
    append(
        store.as_ref(),
        &SessionKey::sub("p", "s", "subagents/agent-a"),
        &[entry(3)],
    )
    .await;
    append(
        store.as_ref(),
        &SessionKey::sub("p", "s", "subagents/nested/agent-c"),
        &[entry(4)],
    )
    .await;
    append(
        store.as_ref(),
        &SessionKey::sub("p", "other", "subagents/agent-z"),
        &[entry(5)],
    )
    .await;
    assert_eq!(
        subkeys(store.as_ref(), "p", "s").await,
        vec![
            "subagents/agent-a",
            "subagents/agent-b",
            "subagents/nested/agent-c"
        ]
    );
    assert!(subkeys(store.as_ref(), "p", "unknown").await.is_empty());
    assert!(subkeys(store.as_ref(), "nope", "s").await.is_empty());
}

/// Entries with a `uuid` are stored once per key; entries without one are always appended.
pub async fn uuids_make_appends_idempotent((store, _guard): Fresh) {
    let key = SessionKey::main("p", "s");
    let titled = json!({"type": "custom-title", "title": "x"});
    append(store.as_ref(), &key, &[entry(1), titled.clone()]).await;
    append(store.as_ref(), &key, &[entry(1), entry(2), titled.clone()]).await;
    assert_eq!(
        load(store.as_ref(), &key).await,
        Some(vec![entry(1), titled.clone(), entry(2), titled])
    );
    // The same uuid under another key is a different entry.
    append(
        store.as_ref(),
        &SessionKey::sub("p", "s", "subagents/a"),
        &[entry(1)],
    )
    .await;
    assert_eq!(
        load(store.as_ref(), &SessionKey::sub("p", "s", "subagents/a")).await,
        Some(vec![entry(1)])
    );
}

/// Bad keys and entries without a string `type` are refused with a typed error.
pub async fn bad_keys_and_entries_are_typed_errors((store, _guard): Fresh) {
    let bad_key = SessionKey::sub("p", "s", "../escape");
    assert!(matches!(
        store.append(&bad_key, &[entry(1)]).await,
        Err(crate::StoreError::Invalid {
            field: "subpath",
            ..
        })
    ));
    let key = SessionKey::main("p", "s");
    assert!(matches!(
        store.append(&key, &[json!({"no": "type"})]).await,
        Err(crate::StoreError::Invalid { field: "entry", .. })
    ));
    assert!(matches!(
        store.append(&key, &[json!("text")]).await,
        Err(crate::StoreError::Invalid { .. })
    ));
    assert_eq!(
        load(store.as_ref(), &key).await,
        None,
        "a refused batch stores nothing"
    );
}

/// Many appenders at once, each on its own key, plus several on one shared key: every appender's
/// entries stay in its own order.
pub async fn concurrent_appenders_keep_per_key_order((store, _guard): Fresh) {
    const APPENDERS: usize = 12;
    const BATCHES: usize = 15;
    let mut tasks = Vec::new();
    for a in 0..APPENDERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let own = SessionKey::main("p", format!("s{a}"));
            let shared = SessionKey::main("p", "shared");
            for b in 0..BATCHES {
                let mine = json!({"type": "user", "uuid": format!("{a}-{b}"), "a": a, "b": b});
                append(store.as_ref(), &own, std::slice::from_ref(&mine)).await;
                append(store.as_ref(), &shared, &[mine]).await;
            }
        }));
    }
    for t in tasks {
        if let Err(e) = t.await {
            panic!("an appender panicked: {e}");
        }
    }
    for a in 0..APPENDERS {
        let loaded = load(store.as_ref(), &SessionKey::main("p", format!("s{a}")))
            .await
            .unwrap_or_default();
        let order: Vec<u64> = loaded.iter().filter_map(|e| e["b"].as_u64()).collect();
        assert_eq!(
            order,
            (0..BATCHES as u64).collect::<Vec<_>>(),
            "appender {a} lost its order"
        );
    }
    let shared = load(store.as_ref(), &SessionKey::main("p", "shared"))
        .await
        .unwrap_or_default();
    assert_eq!(shared.len(), APPENDERS * BATCHES);
    for a in 0..APPENDERS as u64 {
        let order: Vec<u64> = shared
            .iter()
            .filter(|e| e["a"] == a)
            .filter_map(|e| e["b"].as_u64())
            .collect();
        assert_eq!(
            order,
            (0..BATCHES as u64).collect::<Vec<_>>(),
            "appender {a} lost its order on the shared key"
        );
    }
}
