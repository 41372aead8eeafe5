//! Arenas through the real server on a real git repository: two native contenders (two scripted
//! "models" writing different fixes) each write only in their own worktree, the verify command
//! passes for one and fails for the other, the summary says so, picking the passing one queues
//! exactly its diff on the main tree (applied like any change), and discarding leaves `git
//! worktree list` as it was. Bad requests are refused. The same with the real claude-agent-acp
//! and opencode as contenders beside the native ones, a worktree of the user's own left alone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_testkit::{AnthropicReply, Reply, ScriptedAnthropic, ScriptedOpenAi};
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
    settled_within(server, id, Duration::from_secs(60)).await
}

async fn settled_within(server: &Server, id: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
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

    // Run again: a new arena of the same contenders and verify command; the first is kept.
    let (status, rerun) = server
        .post(&format!("/api/arenas/{id}/rerun"), json!({}))
        .await;
    assert_eq!(status, 201, "{rerun}");
    let second = rerun["id"].as_str().unwrap().to_owned();
    assert_ne!(second, id);
    assert_eq!(rerun["rerun_of"], id.as_str());
    assert_eq!(rerun["verify"], "grep -q 42 src/lib.rs");
    let rerun = settled(&server, &second).await;
    assert_eq!(
        (
            rerun["contenders"][0]["model"].as_str(),
            rerun["contenders"][0]["verify_exit"].as_i64(),
            rerun["contenders"][1]["verify_exit"].as_i64()
        ),
        (Some("model-a"), Some(0), Some(1)),
        "{rerun}"
    );
    assert_eq!(
        rerun["rerun_of"],
        id.as_str(),
        "kept through the contenders' updates"
    );
    assert_eq!(
        server
            .post("/api/arenas/arena_0123/rerun", json!({}))
            .await
            .0,
        404
    );
    let (status, _) = server
        .send("DELETE", &format!("/api/arenas/{second}"), json!({}))
        .await;
    assert_eq!(status, 200);

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

/// Every file under `dir` but `.git`, by relative path: what a check "by hash" compares, whole.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut found = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap().flatten() {
            let path = entry.path();
            if entry.file_name() == ".git" {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                found.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arena_of_native_claude_acp_and_opencode_contenders_each_in_its_own_worktree() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    let anthropic = ScriptedAnthropic::start().await.unwrap();
    let Some(env) = acp_setup(&sandbox, &anthropic) else {
        return;
    };
    // The peers' replies name their worktree, made when the arena starts: until they are
    // scripted, the peers' requests wait.
    model.hold(Duration::from_secs(60));
    anthropic.hold(Duration::from_secs(60));
    model.answer_matching("You are a title generator", Reply::text("Scripted title"));
    script(&model, "model-a", "ca", 42);
    script(&model, "model-b", "cb", 43);
    let repo = sandbox.repo("peers");
    std::fs::write(repo.join("src/lib.rs"), LIB).unwrap();
    opencode_config(&repo, &model);
    git(&repo, &["init", "--quiet"]);
    git(&repo, &["add", "--all"]);
    git(&repo, &["commit", "--quiet", "-m", "start"]);
    // A worktree the user made: never listed, pruned or removed by BooCode.
    let mine = sandbox.repos.path().join("mine");
    git(
        &repo,
        &[
            "worktree",
            "add",
            "--quiet",
            "--detach",
            mine.to_str().unwrap(),
        ],
    );
    let worktrees_before = git(&repo, &["worktree", "list", "--porcelain"]);
    let main_before = files(&repo);
    let mine_before = files(&mine);
    let mut opts = Options::new(sandbox.sqlite_url(), model.url());
    opts.env.extend(env);
    let server = Server::start(&sandbox, opts).await;
    let (session, _) = server.session(&repo).await;
    let (status, arena) = server
        .post(
            &format!("/api/sessions/{session}/arenas"),
            json!({
                "prompt": "make answer() return 42",
                "contenders": [
                    { "provider": "boocode", "model": "model-a" },
                    { "provider": "boocode", "model": "model-b" },
                    { "provider": "claude-acp" },
                    { "provider": "opencode" }
                ],
                "verify": "grep -q 42 src/lib.rs"
            }),
        )
        .await;
    assert_eq!(status, 201, "{arena}");
    let id = arena["id"].as_str().unwrap().to_owned();
    let mut workdirs = Vec::new();
    for c in arena["contenders"].as_array().unwrap() {
        let (_, chat) = server
            .get(&format!("/api/chats/{}", c["chat_id"].as_str().unwrap()))
            .await;
        workdirs.push(std::path::PathBuf::from(chat["workdir"].as_str().unwrap()));
    }
    // claude-agent-acp writes 42, opencode 44, each in its own worktree.
    let claude_file = workdirs[2].join("src/lib.rs");
    let write = json!({ "file_path": claude_file, "content": LIB.replace("41", "42") });
    // Claude Code writes over a file only once it has read it.
    let read = json!({ "file_path": claude_file });
    anthropic.push(AnthropicReply::new().tool_use("toolu_c0", "Read", &[&read.to_string()]));
    anthropic.push(AnthropicReply::new().tool_use("toolu_c1", "Write", &[&write.to_string()]));
    anthropic.push(AnthropicReply::new().text(&["Claude made it 42."]));
    model.answer_matching(
        r#""tool_call_id":"oc1""#,
        Reply::stream().text("opencode made it 44."),
    );
    let args =
        json!({ "filePath": workdirs[3].join("src/lib.rs"), "content": LIB.replace("41", "44") })
            .to_string();
    model.answer_matching(
        r#""model":"scripted-model""#,
        Reply::stream()
            .whole_tool_call("oc1", "write", &args)
            .finish("tool_calls"),
    );

    let arena = settled_within(&server, &id, Duration::from_secs(180)).await;
    let c = arena["contenders"].as_array().unwrap();
    for (i, (value, verify)) in [(42, 0), (43, 1), (42, 0), (44, 1)].into_iter().enumerate() {
        assert_eq!(
            c[i]["outcome"],
            "complete",
            "{i}: {arena}\n{}",
            server.log_text()
        );
        assert_eq!(c[i]["verify_exit"], verify, "{i}: {arena}");
        assert_eq!(c[i]["files_changed"], json!(["src/lib.rs"]), "{i}: {arena}");
        // Only its own file changed in its worktree, to its own value.
        let mut expected = main_before.clone();
        expected.insert(
            "src/lib.rs".into(),
            LIB.replace("41", &value.to_string()).into_bytes(),
        );
        assert_eq!(files(&workdirs[i]), expected, "contender {}", i + 1);
    }
    assert_eq!(arena["files_in_common"], json!(["src/lib.rs"]));
    assert_eq!(files(&repo), main_before, "the main tree is untouched");
    assert_eq!(
        files(&mine),
        mine_before,
        "the user's worktree is untouched"
    );

    // Picking claude's (passing) result queues exactly its diff on main; apply writes it.
    let (status, picked) = server
        .post(&format!("/api/arenas/{id}/pick"), json!({ "index": 3 }))
        .await;
    assert_eq!(status, 200, "{picked}");
    let review = picked["picked_chat"].as_str().unwrap().to_owned();
    let (_, pending) = server
        .get(&format!("/api/chats/{review}/changes?state=pending"))
        .await;
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    let (status, _) = server
        .post(&format!("/api/chats/{review}/changes/apply"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        std::fs::read_to_string(repo.join("src/lib.rs")).unwrap(),
        LIB.replace("41", "42")
    );

    // Discarding leaves git's worktrees as they were, the user's included.
    let (status, _) = server
        .send("DELETE", &format!("/api/arenas/{id}"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert!(workdirs.iter().all(|d| !d.exists()));
    assert_eq!(
        git(&repo, &["worktree", "list", "--porcelain"]),
        worktrees_before
    );
    assert_eq!(files(&mine), mine_before);
}
