//! Arenas through the real server on a real git repository: two native contenders (two scripted
//! "models" writing different fixes) each write only in their own worktree, the verify command
//! passes for one and fails for the other, the summary says so, picking the passing one queues
//! exactly its diff on the main tree (applied like any change), and discarding leaves `git
//! worktree list` as it was. Bad requests are refused.
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
use std::path::Path;
use std::time::{Duration, Instant};

const LIB: &str = "pub fn answer() -> u32 {\n    41\n}\n";

/// Each contender's model: a first request edits `src/lib.rs` to return `value`; the request
/// carrying that edit's result gets a closing text.
fn script(model: &ScriptedOpenAi, name: &str, call: &str, value: u32) {
    model.answer_matching(
        &format!(r#""tool_call_id":"{call}""#),
        Reply::stream()
            .text(&format!("{name} made it {value}."))
            .usage(10, 5),
    );
    let args = format!(r#"{{"path": "src/lib.rs", "old_string": "41", "new_string": "{value}"}}"#);
    model.answer_matching(
        &format!(r#""model":"{name}""#),
        Reply::stream()
            .tool_call(call, "edit_file", &[args.as_str()])
            .usage(100, 20),
    );
}

async fn settled(server: &Server, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, arena) = server.get(&format!("/api/arenas/{id}")).await;
        assert_eq!(status, 200, "{arena}");
        if arena["contenders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["state"] == "done")
        {
            return arena;
        }
        assert!(
            Instant::now() < deadline,
            "the arena did not finish: {arena}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_native_contenders_verify_pick_and_discard() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    script(&model, "model-a", "ca", 42);
    script(&model, "model-b", "cb", 43);
    let repo = sandbox.repo("arena");
    std::fs::write(repo.join("src/lib.rs"), LIB).unwrap();
    git(&repo, &["init", "--quiet"]);
    git(&repo, &["add", "--all"]);
    git(&repo, &["commit", "--quiet", "-m", "start"]);
    let worktrees_before = git(&repo, &["worktree", "list", "--porcelain"]);
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let (session, _) = server.session(&repo).await;
    let mut user = server.ws("/api/user/ws").await;
    let arenas = format!("/api/sessions/{session}/arenas");
    let two = json!([{ "provider": "boocode", "model": "model-a" }, { "provider": "boocode", "model": "model-b" }]);

    for (body, says) in [
        (
            json!({ "prompt": "fix", "contenders": [{ "provider": "boocode" }] }),
            "2 to 8",
        ),
        (
            json!({ "prompt": "fix", "contenders": [{ "provider": "boocode" }, { "provider": "nope" }] }),
            "not configured",
        ),
        (json!({ "prompt": "  ", "contenders": two }), "empty"),
        (
            json!({ "prompt": "fix", "contenders": two, "root": "/" }),
            "unknown field",
        ),
        (
            json!({ "prompt": "x".repeat(300 * 1024), "contenders": two }),
            "prompt",
        ),
        (
            json!({ "prompt": "fix", "contenders": two, "verify": "x".repeat(5000) }),
            "verify",
        ),
    ] {
        let (status, err) = server.post(&arenas, body.clone()).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(says),
            "{body}: {err}"
        );
    }
    for bad in ["nope", "arena_../../x", "arena_0123"] {
        assert_eq!(server.get(&format!("/api/arenas/{bad}")).await.0, 404);
    }

    let (status, arena) = server
        .post(
            &arenas,
            json!({ "prompt": "make answer() return 42", "contenders": two, "verify": "grep -q 42 src/lib.rs" }),
        )
        .await;
    assert_eq!(status, 201, "{arena}");
    let id = arena["id"].as_str().unwrap().to_owned();
    assert_eq!(arena["contenders"].as_array().unwrap().len(), 2);
    user.until(|f| f["type"] == "arena_updated" && f["arena"]["id"] == id.as_str())
        .await;

    let arena = settled(&server, &id).await;
    let c = &arena["contenders"];
    assert_eq!(c[0]["outcome"], "complete", "{arena}");
    assert_eq!(c[0]["verify_exit"], 0, "{arena}");
    assert_eq!(c[1]["verify_exit"], 1, "{arena}");
    for i in 0..2 {
        assert_eq!(c[i]["files_changed"], json!(["src/lib.rs"]), "{arena}");
        assert_eq!(
            (c[i]["lines_added"].as_i64(), c[i]["lines_removed"].as_i64()),
            (Some(1), Some(1))
        );
        // 100 + 20 for the edit, 10 + 5 for the closing text.
        assert_eq!(c[i]["tokens"], 135, "{arena}");
        assert!(c[i]["wall_ms"].as_i64().unwrap() > 0);
    }
    assert_eq!(arena["files_in_common"], json!(["src/lib.rs"]));
    // Each wrote only in its own worktree.
    assert_eq!(
        std::fs::read_to_string(repo.join("src/lib.rs")).unwrap(),
        LIB
    );
    let mut workdirs = Vec::new();
    for (i, value) in [(0, "42"), (1, "43")] {
        let (_, chat) = server
            .get(&format!("/api/chats/{}", c[i]["chat_id"].as_str().unwrap()))
            .await;
        let dir = Path::new(chat["workdir"].as_str().unwrap()).to_path_buf();
        let text = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(text.contains(value) && !text.contains("41"), "{i}: {text}");
        workdirs.push(dir);
    }

    // Picking the passing one queues exactly its diff on the main tree.
    let (status, picked) = server
        .post(&format!("/api/arenas/{id}/pick"), json!({ "index": 1 }))
        .await;
    assert_eq!(status, 200, "{picked}");
    assert_eq!(picked["picked"], 1);
    let review = picked["picked_chat"].as_str().unwrap().to_owned();
    let (_, pending) = server
        .get(&format!("/api/chats/{review}/changes?state=pending"))
        .await;
    let pending = pending.as_array().unwrap().clone();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["path"], "src/lib.rs");
    assert!(
        pending[0]["diff"].as_str().unwrap().contains("+    42"),
        "{pending:?}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("src/lib.rs")).unwrap(),
        LIB
    );
    let (status, report) = server
        .post(&format!("/api/chats/{review}/changes/apply"), json!({}))
        .await;
    assert_eq!(status, 200, "{report}");
    assert!(
        std::fs::read_to_string(repo.join("src/lib.rs"))
            .unwrap()
            .contains("42")
    );
    let (status, again) = server
        .post(&format!("/api/arenas/{id}/pick"), json!({ "index": 2 }))
        .await;
    assert_eq!(status, 409, "{again}");

    // Kept per project.
    let (_, project_arenas) = server
        .get(&format!(
            "/api/projects/{}/arenas",
            arena["project_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(project_arenas.as_array().unwrap().len(), 1);
    // The leaderboard: the picked, passing model first.
    let (status, board) = server
        .get(&format!(
            "/api/projects/{}/leaderboard",
            arena["project_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200, "{board}");
    assert_eq!(board[0]["model"], "model-a", "{board}");
    assert_eq!(
        (
            board[0]["contests"].as_u64(),
            board[0]["wins"].as_u64(),
            board[0]["passed"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(
        (
            board[1]["model"].as_str(),
            board[1]["wins"].as_u64(),
            board[1]["passed"].as_u64(),
            board[1]["verified"].as_u64()
        ),
        (Some("model-b"), Some(0), Some(0), Some(1))
    );
    assert_eq!(board[0]["median_tokens"], 135);

    // Discarding removes the worktrees: git is as it was.
    let (status, gone) = server
        .send("DELETE", &format!("/api/arenas/{id}"), json!({}))
        .await;
    assert_eq!(status, 200, "{gone}");
    assert_eq!(gone["discarded"], true);
    assert!(workdirs.iter().all(|d| !d.exists()));
    assert_eq!(
        git(&repo, &["worktree", "list", "--porcelain"]),
        worktrees_before
    );
}
