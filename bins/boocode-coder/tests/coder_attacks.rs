//! Attacks on the real coder daemon: a rebinding web page, cross-site requests on every route,
//! a model or an agent writing files that run code, a memory bomb of an edit, and racing
//! apply/rewind requests. Each is refused with nothing leaked and the disk as it should be.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub,
    clippy::print_stderr
)]

mod common;

use boocode_testkit::{AnthropicReply, Reply, ScriptedAnthropic, ScriptedOpenAi};
use common::*;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

async fn raw(addr: &str, request: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out)
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Every file under `dir` with its content, for "nothing changed" checks.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

const GIT_CONFIG: &str = "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = https://bob:ghp_CODERTOKEN@github.com/o/r.git\n";

fn repo_with_git() -> tempfile::TempDir {
    let dir = repo();
    std::fs::create_dir_all(dir.path().join(".git/hooks")).unwrap();
    std::fs::write(dir.path().join(".git/config"), GIT_CONFIG).unwrap();
    std::fs::write(dir.path().join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebinding_host_and_cross_site_requests_are_refused_on_every_route() {
    let repo = repo();
    let model = ScriptedOpenAi::start().await.unwrap();
    let daemon = Daemon::start(repo.path(), &model.url(), &[], None).await;
    let addr = daemon.url.trim_start_matches("http://").to_owned();
    let port = addr.rsplit(':').next().unwrap().to_owned();
    // The coder profile serves the server's routes, behind the same guard.
    let routes = boocode_server::route_list();
    assert!(routes.len() >= 30, "{routes:?}");
    for route in &routes {
        let path = concrete(&route.path, "x_1");
        // DNS rebinding: the attacker's name resolving to 127.0.0.1.
        let code = raw(
            &addr,
            &format!(
                "{} {path} HTTP/1.1\r\nHost: evil.example:{port}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}",
                route.method
            ),
        )
        .await;
        assert_eq!(code, 421, "{} {path}", route.method);
        if route.changes_state() {
            for headers in [
                "Content-Type: text/plain\r\nOrigin: http://evil.example\r\nSec-Fetch-Site: cross-site\r\n",
                "Content-Type: application/x-www-form-urlencoded\r\nOrigin: http://evil.example\r\n",
                "Content-Type: application/json\r\nOrigin: null\r\n",
            ] {
                let code = raw(
                    &addr,
                    &format!(
                        "{} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}",
                        route.method
                    ),
                )
                .await;
                assert_eq!(code, 403, "{} {path} with {headers:?}", route.method);
            }
            let code = raw(
                &addr,
                &format!(
                    "{} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}",
                    route.method
                ),
            )
            .await;
            assert_eq!(code, 415, "{} {path}", route.method);
        }
    }
    // A session's WebSocket, from a rebinding page.
    let code = raw(
        &addr,
        &format!("GET /api/sessions/x_1/ws HTTP/1.1\r\nHost: evil.example:{port}\r\nOrigin: http://evil.example:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
    )
    .await;
    assert_eq!(code, 421);
    // Nothing started.
    let project = daemon.project().await;
    let (_, sessions) = daemon
        .get(&format!("/api/projects/{project}/sessions"))
        .await;
    assert_eq!(sessions, json!([]));
    assert!(model.completion_requests().is_empty());
}

/// `path` with every `{param}` replaced by `id`.
fn concrete(path: &str, id: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(id);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_coder_token_is_refused() {
    let repo = repo();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_boocode-coder"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", repo.path())
        .env("BOOCODE_CODER_TOKEN", "short-token")
        .args(["--bind", "127.0.0.1:0", "--root"])
        .arg(repo.path().join("src"))
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("at least 16 characters"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_in_auto_apply_cannot_plant_git_hooks_config_or_envrc() {
    let repo = repo_with_git();
    let before = snapshot(repo.path());
    let model = ScriptedOpenAi::start().await.unwrap();
    let attempts = [
        (
            "edit_file",
            json!({"path": ".git/config", "old_string": "bare = false", "new_string": "bare = false\n\tfsmonitor = \"touch pwned\""}),
        ),
        (
            "create_file",
            json!({"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\ntouch pwned\n"}),
        ),
        (
            "create_file",
            json!({"path": ".envrc", "content": "touch pwned\n"}),
        ),
        (
            "create_file",
            json!({"path": ".GIT/hooks/post-checkout", "content": "x"}),
        ),
        (
            "create_file",
            json!({"path": "src/../.git/hooks/pre-push", "content": "x"}),
        ),
        (
            "create_file",
            json!({"path": ".vscode/tasks.json", "content": "{\"tasks\": []}"}),
        ),
        ("delete_file", json!({"path": ".git/HEAD"})),
        (
            "edit_file",
            json!({"path": ".git/config", "old_string": "ghp_CODERTOKEN", "new_string": "x"}),
        ),
    ];
    let mut reply = Reply::stream();
    for (i, (tool, args)) in attempts.iter().enumerate() {
        reply = reply.tool_call(&format!("call_{i}"), tool, &[&args.to_string()]);
    }
    model.push(reply);
    model.push(Reply::stream().text("Done."));
    let daemon = Daemon::start(repo.path(), &model.url(), &[], None).await;
    let (session, chat) = daemon
        .chat(json!({"provider": "boocode", "mode": "auto_apply"}))
        .await;
    let (events, finished) = daemon.prompt(&session, &chat, "set up hooks", None).await;
    assert_eq!(finished["status"], "complete", "{finished}");
    let results: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "tool_call_finished")
        .collect();
    assert_eq!(results.len(), attempts.len(), "{events:?}");
    for result in &results {
        assert_eq!(result["is_error"], true, "{result}");
        let text = result.to_string();
        assert!(
            text.contains("refused") && text.contains("can run code"),
            "{text}"
        );
    }
    // The model saw why, naming the rule.
    let sent = model.completion_requests()[1].body.to_string();
    assert!(
        sent.contains(".git/**") && sent.contains(".envrc"),
        "{sent}"
    );
    // Nothing queued, nothing written, the token nowhere.
    let (_, changes) = daemon.get(&format!("/api/chats/{chat}/changes")).await;
    assert_eq!(changes, json!([]));
    assert_eq!(snapshot(repo.path()), before);
    // (The model's own last call names the token; no result may show it back.)
    for result in &results {
        assert!(!result.to_string().contains("ghp_CODERTOKEN"), "{result}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_agent_acp_cannot_write_git_hooks_in_either_mode() {
    let server = ScriptedAnthropic::start().await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let Some((env, config)) = acp_env(&server, scratch.path()) else {
        return;
    };
    for mode in ["review", "auto_apply"] {
        let repo = repo_with_git();
        let before = snapshot(repo.path());
        let root = repo.path().canonicalize().unwrap();
        for (i, target) in [".git/hooks/pre-commit", ".envrc", ".git/config"]
            .iter()
            .enumerate()
        {
            let input =
                json!({"file_path": root.join(target), "content": "#!/bin/sh\ntouch pwned\n"});
            server.push(AnthropicReply::new().tool_use(
                &format!("toolu_{mode}_{i}"),
                "Write",
                &[&input.to_string()],
            ));
        }
        server.push(AnthropicReply::new().text(&["Could not write them."]));
        let model = ScriptedOpenAi::start().await.unwrap();
        let daemon = Daemon::start(repo.path(), &model.url(), &env, Some(&config)).await;
        let (session, chat) = daemon
            .chat(json!({"provider": "claude-acp", "mode": mode}))
            .await;
        // Whoever asks is denied: a refused write never becomes a question to the user.
        let (events, finished) = daemon
            .prompt(&session, &chat, "install hooks", Some("deny"))
            .await;
        assert_eq!(
            finished["status"], "complete",
            "{mode}: {finished} {events:?}"
        );
        let (_, changes) = daemon.get(&format!("/api/chats/{chat}/changes")).await;
        assert_eq!(changes, json!([]), "{mode}");
        assert_eq!(
            snapshot(repo.path()),
            before,
            "{mode}: nothing on disk changed"
        );
        let notices = serde_json::to_string(&events).unwrap();
        assert!(
            notices.contains("can run code"),
            "{mode}: the refusal is reported: {notices}"
        );
    }
}

/// Peak resident memory of a process, from `/proc/PID/status` (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replace_all_memory_bomb_is_refused_before_it_is_built() {
    let repo = repo();
    std::fs::write(repo.path().join("src/a.txt"), "a".repeat(200_000)).unwrap();
    let model = ScriptedOpenAi::start().await.unwrap();
    let huge = "b".repeat(70 * 1024);
    let args =
        json!({"path": "src/a.txt", "old_string": "a", "new_string": huge, "replace_all": true});
    model.push(Reply::stream().tool_call("call_1", "edit_file", &[&args.to_string()]));
    model.push(Reply::stream().text("ok"));
    let daemon = Daemon::start(repo.path(), &model.url(), &[], None).await;
    let (session, chat) = daemon
        .chat(json!({"provider": "boocode", "mode": "review"}))
        .await;
    let (events, _) = daemon.prompt(&session, &chat, "x", None).await;
    let result = events
        .iter()
        .find(|e| e["type"] == "tool_call_finished")
        .unwrap();
    assert_eq!(result["is_error"], true);
    assert!(result.to_string().contains("write limit"), "{result}");
    let peak = peak_rss_kib(daemon.child.id().unwrap());
    eprintln!("daemon peak RSS: {} MiB", peak / 1024);
    assert!(peak < 100 * 1024, "peak RSS {peak} KiB");
    assert_eq!(
        std::fs::read_to_string(repo.path().join("src/a.txt"))
            .unwrap()
            .len(),
        200_000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_apply_apply_rewind_leave_state_equal_to_disk_and_never_500() {
    let repo = repo();
    let file = repo.path().join("src/lib.rs");
    let model = ScriptedOpenAi::start().await.unwrap();
    let daemon = Daemon::start(repo.path(), &model.url(), &[], None).await;
    let (session, chat) = daemon
        .chat(json!({"provider": "boocode", "mode": "review"}))
        .await;
    for round in 0..25 {
        let current = std::fs::read_to_string(&file).unwrap();
        let next = format!("pub const PORT: u16 = {};\n", 10_000 + round);
        let args = json!({"path": "src/lib.rs", "old_string": current, "new_string": next});
        model.push(Reply::stream().tool_call(
            &format!("c{round}"),
            "edit_file",
            &[&args.to_string()],
        ));
        model.push(Reply::stream().text("proposed"));
        daemon.prompt(&session, &chat, "edit", None).await;
        let (_, pending) = daemon
            .get(&format!("/api/chats/{chat}/changes?state=pending"))
            .await;
        let change = pending.as_array().unwrap().last().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let body = json!({"ids": [change]});
        let (apply_path, rewind_path) = (
            format!("/api/chats/{chat}/changes/apply"),
            format!("/api/chats/{chat}/changes/rewind"),
        );
        let (a, b, c) = tokio::join!(
            daemon.post(&apply_path, body.clone()),
            daemon.post(&apply_path, body.clone()),
            daemon.post(&rewind_path, body.clone()),
        );
        for (status, reply) in [&a, &b, &c] {
            assert!(
                *status == 200 || *status == 409,
                "round {round}: {status} {reply}"
            );
            if *status == 409 {
                let message = reply["error"]["message"].as_str().unwrap();
                assert!(
                    message.contains("is pending")
                        || message.contains("is applied")
                        || message.contains("is reverted"),
                    "the conflict names the change's state: {message}"
                );
            }
        }
        let applies_ok = [&a, &b].iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(
            applies_ok, 1,
            "round {round}: exactly one apply wins: {a:?} {b:?}"
        );
        // The stored state equals the disk.
        let (_, all) = daemon.get(&format!("/api/chats/{chat}/changes")).await;
        let state = all
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == change)
            .unwrap()["state"]
            .as_str()
            .unwrap()
            .to_owned();
        let disk = std::fs::read_to_string(&file).unwrap();
        match state.as_str() {
            "applied" => assert_eq!(disk, next, "round {round}"),
            "reverted" | "pending" => assert_eq!(disk, current, "round {round}"),
            other => panic!("round {round}: unexpected state {other}"),
        }
    }
}
