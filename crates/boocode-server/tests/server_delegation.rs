//! Boomerang delegation through the real server on a real git repository: a scripted
//! orchestrator (the built-in `orchestrator` agent) delegates two writing subtasks
//! to native children — which run side by side, each in its own worktree — and a read-only
//! question to the real claude-agent-acp; the results come back as tool results, a merge puts
//! a child's changes in the parent's queue, stopping the parent stops every child and leaves no
//! agent process behind, and the depth, child-count and token budgets end with a sentinel.
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

/// A committed repository (the orchestrator is built in: nothing to add).
fn orchestrated_repo(sandbox: &Sandbox, name: &str) -> std::path::PathBuf {
    let repo = sandbox.repo(name);
    git(&repo, &["init", "--quiet"]);
    git(&repo, &["add", "--all"]);
    git(&repo, &["commit", "--quiet", "-m", "start"]);
    repo
}

/// A session on `repo` whose first chat runs the orchestrator on model `model`, in review
/// mode: (session, chat).
async fn orchestrator_chat(server: &Server, repo: &Path, model: &str) -> (String, String) {
    let (status, project) = server.post("/api/projects", json!({ "path": repo })).await;
    assert_eq!(status, 201, "{project}");
    let (status, created) = server
        .post(
            &format!("/api/projects/{}/sessions", project["id"].as_str().unwrap()),
            json!({ "title": "boomerang", "agent": "orchestrator", "model": model, "mode": "review" }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    (
        created["session"]["id"].as_str().unwrap().to_owned(),
        created["chat"]["id"].as_str().unwrap().to_owned(),
    )
}

fn delegate(id: &str, args: Value) -> (String, String) {
    (id.to_owned(), args.to_string())
}

/// A reply holding the `delegate` calls `calls` (run side by side: one step).
fn delegations(calls: &[(String, String)]) -> Reply {
    let mut reply = Reply::stream();
    for (id, args) in calls {
        reply = reply.tool_call(id, "delegate", &[args.as_str()]);
    }
    reply.usage(50, 30).into()
}

/// A native child's model `name`: writes `file` (call `call`), then says so.
fn writing_child(model: &ScriptedOpenAi, name: &str, call: &str, file: &str) {
    model.answer_matching(
        &format!(r#""tool_call_id":"{call}""#),
        Reply::stream()
            .text(&format!("{name} wrote {file}."))
            .usage(20, 10),
    );
    let args = json!({ "path": file, "content": format!("made by {name}\n") }).to_string();
    model.answer_matching(
        &format!(r#""model":"{name}""#),
        Reply::stream()
            // Slow enough that a child run after the other, not beside it, would show.
            .delay(Duration::from_millis(800))
            .tool_call(call, "create_file", &[args.as_str()])
            .usage(100, 20),
    );
}

/// The tool results of every message of `chat`, by call id.
async fn tool_results(server: &Server, chat: &str) -> std::collections::BTreeMap<String, Value> {
    let mut found = std::collections::BTreeMap::new();
    for message in server.messages(chat).await {
        for part in message["parts"].as_array().unwrap() {
            if part["type"] == "tool_result" {
                found.insert(part["call_id"].as_str().unwrap().to_owned(), part.clone());
            }
        }
    }
    found
}

async fn wait_idle(server: &Server, chat: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let messages = server.messages(chat).await;
        if messages
            .last()
            .is_some_and(|m| m["role"] == "assistant" && m["status"] != "streaming")
            && server
                .get(&format!("/api/chats/{chat}/queue"))
                .await
                .1
                .as_array()
                .is_none_or(|q| q.is_empty())
        {
            return messages;
        }
        assert!(
            Instant::now() < deadline,
            "the chat did not finish: {messages:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every chat of `chat`'s session.
async fn session_chats(server: &Server, chat: &str) -> Value {
    let (_, chat) = server.get(&format!("/api/chats/{chat}")).await;
    let (status, view) = server
        .get(&format!(
            "/api/sessions/{}",
            chat["session_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200, "{view}");
    view["chats"].clone()
}

fn result_json(part: &Value) -> Value {
    assert_eq!(part["is_error"], false, "{part}");
    serde_json::from_str(part["content"].as_str().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orchestrator_delegates_in_parallel_to_native_children_and_claude_then_merges() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    let anthropic = ScriptedAnthropic::start().await.unwrap();
    let Some(env) = acp_setup(&sandbox, &anthropic) else {
        return;
    };
    // The verify command the orchestrator names is one the user allows.
    let settings = sandbox.home.path().join("server.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap();
    text.push_str("\n[delegation]\nverify_allowed = [\"test -f a.txt\"]\n");
    std::fs::write(&settings, text).unwrap();
    anthropic.push(AnthropicReply::new().text(&["The entry point is ", "serve() in src/lib.rs."]));
    // The orchestrator: three delegations in one step, then a summary.
    model.answer_matching(
        r#""tool_call_id":"d1""#,
        Reply::stream().text("All three are done.").usage(300, 10),
    );
    model.answer_matching(
        r#""model":"orch""#,
        delegations(&[
            delegate(
                "d1",
                json!({ "prompt": "Write a.txt", "model": "child-a", "writes": true, "verify": "test -f a.txt", "acceptance_criteria": "a.txt exists" }),
            ),
            delegate(
                "d2",
                json!({ "prompt": "Write b.txt", "model": "child-b", "writes": true, "verify": "test -f a.txt" }),
            ),
            delegate(
                "d3",
                json!({ "prompt": "Where is the entry point?", "provider": "claude-acp" }),
            ),
        ]),
    );
    writing_child(&model, "child-a", "a1", "a.txt");
    writing_child(&model, "child-b", "b1", "b.txt");
    let repo = orchestrated_repo(&sandbox, "boomerang");
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let mut opts = Options::new(sandbox.sqlite_url(), model.url());
    opts.env.extend(env);
    let server = Server::start(&sandbox, opts).await;
    let (session, parent) = orchestrator_chat(&server, &repo, "orch").await;
    let mut user = server.ws("/api/user/ws").await;
    let (status, _) = server
        .post(
            &format!("/api/chats/{parent}/messages"),
            json!({ "text": "Add a.txt and b.txt, and tell me where the entry point is." }),
        )
        .await;
    assert_eq!(status, 202);

    // Both writing children stream at once: each starts before the other finishes.
    let mut children: Vec<String> = Vec::new();
    let mut streaming = std::collections::BTreeSet::new();
    let mut overlapped = false;
    let frames = user
        .until(|f| {
            f["type"] == "chat_status" && f["chat_id"] == parent.as_str() && f["status"] == "idle"
        })
        .await;
    for f in &frames {
        if f["type"] == "chat_created" && f["chat"]["parent"] == parent.as_str() {
            let id = f["chat"]["id"].as_str().unwrap().to_owned();
            if !children.contains(&id) {
                children.push(id);
            }
        }
        if f["type"] == "chat_status" && f["chat_id"] != parent.as_str() {
            let id = f["chat_id"].as_str().unwrap().to_owned();
            if f["status"] == "streaming" {
                streaming.insert(id);
                overlapped |= streaming.len() >= 2;
            } else {
                streaming.remove(&id);
            }
        }
    }
    assert_eq!(children.len(), 3, "{frames:?}");
    assert!(overlapped, "the children ran one after another: {frames:?}");

    // The results came back as the delegate calls' results.
    wait_idle(&server, &parent).await;
    let results = tool_results(&server, &parent).await;
    let a = result_json(&results["d1"]);
    let b = result_json(&results["d2"]);
    let c = result_json(&results["d3"]);
    assert_eq!(a["outcome"], "complete", "{a}");
    assert_eq!(a["answer"], "child-a wrote a.txt.");
    assert_eq!(
        a["files_changed"],
        json!([{ "path": "a.txt", "added": 1, "removed": 0 }])
    );
    assert_eq!(a["verify"]["exit_code"], 0, "{a}");
    assert_eq!(a["tokens"], 150);
    assert_eq!(b["files_changed"][0]["path"], "b.txt");
    // b's worktree has no a.txt: the children never saw each other's files.
    assert_eq!(b["verify"]["exit_code"], 1, "{b}");
    assert_eq!(c["provider"], "claude-acp");
    assert_eq!(c["outcome"], "complete", "{c}");
    assert_eq!(c["answer"], "The entry point is serve() in src/lib.rs.");
    assert_eq!(c["files_changed"], json!([]));
    let messages = server.messages(&parent).await;
    assert_eq!(
        messages.last().unwrap()["parts"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["text"],
        "All three are done."
    );
    // The acceptance criteria reached the child with its prompt.
    let child_a = a["chat_id"].as_str().unwrap();
    let first = &server.messages(child_a).await[0];
    assert!(
        first["parts"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Acceptance criteria:\na.txt exists"),
        "{first}"
    );

    // Each child is linked to its parent; writers worked only in their own worktrees.
    for child in &children {
        let (_, chat) = server.get(&format!("/api/chats/{child}")).await;
        assert_eq!(chat["parent"], parent.as_str(), "{chat}");
        assert_eq!(chat["session_id"], session.as_str());
    }
    assert!(!repo.join("a.txt").exists() && !repo.join("b.txt").exists());
    assert_eq!(git(&repo, &["rev-parse", "HEAD"]), head);
    let (_, chat_a) = server.get(&format!("/api/chats/{child_a}")).await;
    let workdir_a = std::path::PathBuf::from(chat_a["workdir"].as_str().unwrap());
    assert!(workdir_a.join("a.txt").exists() && !workdir_a.join("b.txt").exists());
    // No agent process stays warm for a child that answered.
    let (_, c_chat) = server
        .get(&format!("/api/chats/{}", c["chat_id"].as_str().unwrap()))
        .await;
    assert_eq!(c_chat["mode"], "ask", "{c_chat}");
    wait_no_descendants(&server).await;

    // Merging: only a writing child, once, into its parent's queue.
    let (status, nothing) = server
        .post(
            &format!("/api/chats/{}/merge", c["chat_id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, 400, "{nothing}");
    let (status, orphan) = server
        .post(&format!("/api/chats/{parent}/merge"), json!({}))
        .await;
    assert_eq!(status, 400, "{orphan}");
    for bad in ["nope", "..%2F..%2Fetc"] {
        let (status, _) = server
            .post(&format!("/api/chats/{bad}/merge"), json!({}))
            .await;
        assert!(status == 400 || status == 404, "{bad}: {status}");
    }
    let (_, before) = server
        .get(&format!("/api/chats/{parent}/changes?state=pending"))
        .await;
    assert_eq!(
        before,
        json!([]),
        "nothing reaches the parent before a merge"
    );
    let (status, merged) = server
        .post(&format!("/api/chats/{child_a}/merge"), json!({}))
        .await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["parent"], parent.as_str());
    assert_eq!(merged["files"], json!(["a.txt"]));
    assert!(
        !workdir_a.exists(),
        "the merged child's worktree is removed"
    );
    let (status, again) = server
        .post(&format!("/api/chats/{child_a}/merge"), json!({}))
        .await;
    assert_eq!(status, 409, "{again}");
    let (_, pending) = server
        .get(&format!("/api/chats/{parent}/changes?state=pending"))
        .await;
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["path"], "a.txt");
    let (status, report) = server
        .post(&format!("/api/chats/{parent}/changes/apply"), json!({}))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        std::fs::read_to_string(repo.join("a.txt")).unwrap(),
        "made by child-a\n"
    );
    assert!(!repo.join("b.txt").exists());
}

/// The server's descendant processes (pid, command line).
fn descendants(server: &Server) -> Vec<(u32, String)> {
    let root = server.child.id().unwrap();
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let ppid: u32 = after
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        parent_of.push((pid, ppid));
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let at = found[i];
        found.extend(
            parent_of
                .iter()
                .filter(|(_, pp)| *pp == at)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found
        .into_iter()
        .skip(1)
        .map(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                .unwrap_or_default();
            (pid, cmd)
        })
        // Zombies reaped a moment later and git helpers of a worktree change are not agents.
        .filter(|(_, cmd)| !cmd.is_empty() && !cmd.starts_with("git "))
        .collect()
}

async fn wait_no_descendants(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = descendants(server);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "processes left: {left:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_parent_stops_every_child_and_leaves_no_process() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    let anthropic = ScriptedAnthropic::start().await.unwrap();
    let Some(env) = acp_setup(&sandbox, &anthropic) else {
        return;
    };
    // The claude child's model answers only after a long time; the native child's never.
    anthropic.push(
        AnthropicReply::new()
            .delay(Duration::from_secs(120))
            .text(&["too late"]),
    );
    model.answer_matching(r#""model":"stuck""#, Reply::stream().stall());
    model.answer_matching(
        r#""model":"orch""#,
        delegations(&[
            delegate(
                "s1",
                json!({ "prompt": "Write c.txt", "model": "stuck", "writes": true }),
            ),
            delegate(
                "s2",
                json!({ "prompt": "Review everything", "provider": "claude-acp" }),
            ),
        ]),
    );
    let repo = orchestrated_repo(&sandbox, "stopped");
    let mut opts = Options::new(sandbox.sqlite_url(), model.url());
    opts.env.extend(env);
    let server = Server::start(&sandbox, opts).await;
    let (_, parent) = orchestrator_chat(&server, &repo, "orch").await;
    let mut user = server.ws("/api/user/ws").await;
    server
        .post(
            &format!("/api/chats/{parent}/messages"),
            json!({ "text": "Do both." }),
        )
        .await;
    let children = std::cell::RefCell::new(std::collections::BTreeSet::new());
    user.until(|f| {
        if f["type"] == "chat_status"
            && f["chat_id"] != parent.as_str()
            && f["status"] == "streaming"
        {
            children
                .borrow_mut()
                .insert(f["chat_id"].as_str().unwrap().to_owned());
        }
        children.borrow().len() == 2
    })
    .await;
    let children = children.into_inner();
    // claude-agent-acp (and the claude it drives) runs for the child.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !descendants(&server)
        .iter()
        .any(|(_, cmd)| cmd.contains("claude"))
    {
        assert!(
            Instant::now() < deadline,
            "no agent process: {:?}",
            descendants(&server)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    while anthropic.message_requests().is_empty() {
        assert!(Instant::now() < deadline, "claude never asked its model");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (status, _) = server
        .post(&format!("/api/chats/{parent}/stop"), json!({}))
        .await;
    assert!(status == 200 || status == 202, "{status}");
    let parent_messages = wait_idle(&server, &parent).await;
    assert_eq!(parent_messages.last().unwrap()["status"], "cancelled");
    for child in &children {
        let messages = wait_idle(&server, child).await;
        assert_eq!(
            messages.last().unwrap()["status"],
            "cancelled",
            "{child}: {messages:?}"
        );
    }
    wait_no_descendants(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_child_count_and_token_budgets_end_with_a_sentinel() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    // The parent: three delegations in one step (one too many), then one more after the
    // children spent the token budget, then a summary.
    model.answer_matching(r#""tool_call_id":"p4""#, Reply::stream().text("Stopped."));
    model.answer_matching(
        r#""tool_call_id":"p3""#,
        delegations(&[delegate(
            "p4",
            json!({ "prompt": "One more", "model": "leaf" }),
        )]),
    );
    model.answer_matching(
        r#""model":"boss""#,
        delegations(&[
            delegate(
                "p1",
                json!({ "prompt": "Plan deeper", "model": "sub", "agent": "orchestrator" }),
            ),
            delegate("p2", json!({ "prompt": "Leaf work", "model": "leaf" })),
            delegate("p3", json!({ "prompt": "Extra work", "model": "leaf" })),
        ]),
    );
    // The first child is an orchestrator too: its own delegation is one level too deep.
    model.answer_matching(
        r#""tool_call_id":"s1""#,
        Reply::stream().text("sub done").usage(40, 20),
    );
    model.answer_matching(
        r#""model":"sub""#,
        delegations(&[delegate(
            "s1",
            json!({ "prompt": "Deeper still", "model": "leaf" }),
        )]),
    );
    model.answer_matching(
        r#""model":"leaf""#,
        Reply::stream().text("leaf done").usage(10, 5),
    );
    let repo = orchestrated_repo(&sandbox, "budgets");
    let settings = sandbox.home.path().join("server.toml");
    std::fs::write(
        &settings,
        "[delegation]\nmax_children = 2\nmax_depth = 1\nmax_tokens = 50\n",
    )
    .unwrap();
    let opts = Options::new(sandbox.sqlite_url(), model.url())
        .with_env("BOOCODE_CONFIG", settings.display().to_string());
    let server = Server::start(&sandbox, opts).await;
    let (_, parent) = orchestrator_chat(&server, &repo, "boss").await;
    server
        .post(
            &format!("/api/chats/{parent}/messages"),
            json!({ "text": "Go." }),
        )
        .await;
    let messages = wait_idle(&server, &parent).await;
    assert_eq!(
        messages.last().unwrap()["status"],
        "complete",
        "{messages:?}"
    );
    let results = tool_results(&server, &parent).await;
    let sub = result_json(&results["p1"]);
    assert_eq!(sub["answer"], "sub done");
    assert_eq!(result_json(&results["p2"])["answer"], "leaf done");
    for (call, says) in [
        ("p3", "delegation stopped: max children reached (2 started"),
        ("p4", "delegation stopped: token budget spent"),
    ] {
        let part = &results[call];
        assert_eq!(part["is_error"], true, "{part}");
        assert!(
            part["content"].as_str().unwrap().starts_with(says),
            "{part}"
        );
    }
    // The child's own delegation hit the depth limit.
    let deep = tool_results(&server, sub["chat_id"].as_str().unwrap()).await;
    let part = &deep["s1"];
    assert_eq!(part["is_error"], true, "{part}");
    assert!(
        part["content"]
            .as_str()
            .unwrap()
            .starts_with("delegation stopped: max depth reached"),
        "{part}"
    );
    // Two children, no grandchild.
    let chats = session_chats(&server, &parent).await;
    let with_parent = chats
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["parent"].is_null())
        .count();
    assert_eq!(with_parent, 2, "{chats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_delegation_is_a_clear_tool_error() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.answer_matching(r#""tool_call_id":"x1""#, Reply::stream().text("ok"));
    model.answer_matching(
        r#""model":"orch""#,
        delegations(&[
            delegate("x1", json!({ "prompt": "  " })),
            delegate("x2", json!({ "prompt": "hi", "provider": "nope" })),
            delegate("x3", json!({ "prompt": "hi", "root": "/" })),
            delegate("x4", json!({ "prompt": "x".repeat(70 * 1024) })),
            // A shell command the model chose, not one the user allowed: nothing runs.
            delegate("x5", json!({ "prompt": "hi", "verify": "touch pwned" })),
        ]),
    );
    let repo = orchestrated_repo(&sandbox, "bad");
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let (_, parent) = orchestrator_chat(&server, &repo, "orch").await;
    server
        .post(
            &format!("/api/chats/{parent}/messages"),
            json!({ "text": "Go." }),
        )
        .await;
    wait_idle(&server, &parent).await;
    let results = tool_results(&server, &parent).await;
    for (call, says) in [
        ("x1", "give the child a prompt"),
        ("x2", "provider \"nope\" is not configured"),
        ("x3", "unknown field"),
        ("x4", "keep it under"),
        (
            "x5",
            "the verify command \"touch pwned\" is not allowed; the user allows none",
        ),
    ] {
        let part = &results[call];
        assert_eq!(part["is_error"], true, "{part}");
        assert!(
            part["content"].as_str().unwrap().contains(says),
            "{call}: {part}"
        );
    }
    let chats = session_chats(&server, &parent).await;
    assert_eq!(
        chats.as_array().unwrap().len(),
        1,
        "no child started: {chats}"
    );
}
