//! The real `boocode` binary against a coder daemon (the server library in its coder profile,
//! served in-process on a real socket over a SQLite file) and the scripted model: dispatch,
//! pending, apply, rewind, reject, inbox, and a daemon that is not there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_server::{AppState, ServerConfig, serve};
use boocode_store::Store;
use boocode_testkit::{Reply, ScriptedOpenAi};
use std::path::Path;
use std::process::Output;

struct Daemon {
    url: String,
    _db: tempfile::TempDir,
}

async fn daemon(root: &Path, model_url: &str) -> Daemon {
    daemon_with(root, model_url, None).await
}

/// A daemon over `root`; with `worktrees`, one that keeps worktrees there.
async fn daemon_with(root: &Path, model_url: &str, worktrees: Option<&Path>) -> Daemon {
    let db = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}", db.path().join("c.db").display()))
        .await
        .unwrap();
    let mut config = ServerConfig::coder(root, model_url);
    config.runtime.worktree_dir = worktrees.map(Path::to_path_buf);
    let state = AppState::new(config, store).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(state, listener, std::future::pending()));
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The project is registered as the server starts.
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if let Ok(r) = http.get(format!("{url}/api/projects")).send().await
            && r.text().await.unwrap_or_default().contains("\"root\"")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Daemon { url, _db: db }
}

async fn boocode(daemon: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_boocode"))
        .args(args)
        .env("BOOCODE_CODER_URL", daemon)
        .env("NO_COLOR", "1")
        .output()
        .await
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "alpha\n").unwrap();
    std::fs::write(dir.path().join("b.txt"), "beta\n").unwrap();
    dir
}

fn two_edits(model: &ScriptedOpenAi) {
    model.push(
        Reply::stream()
            .tool_call(
                "c1",
                "edit_file",
                &[r#"{"path": "a.txt", "old_string": "alpha", "new_string": "ALPHA"}"#],
            )
            .tool_call(
                "c2",
                "edit_file",
                &[r#"{"path": "b.txt", "old_string": "beta", "new_string": "BETA"}"#],
            ),
    );
    model.push(Reply::stream().text("Both proposed."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_pending_apply_and_rewind_from_the_command_line() {
    let repo = repo();
    let model = ScriptedOpenAi::start().await.unwrap();
    two_edits(&model);
    let d = daemon(repo.path(), &model.url()).await;

    let out = boocode(
        &d.url,
        &["dispatch", "--thinking", "high", "shout both files"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Both proposed."), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("edit_file"), "{err}");
    assert!(err.contains("2 change(s) pending review"), "{err}");
    let run = err
        .lines()
        .find_map(|l| l.strip_prefix("chat "))
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(
        std::fs::read_to_string(repo.path().join("a.txt")).unwrap(),
        "alpha\n"
    );

    let out = boocode(&d.url, &["pending", "--chat", &run, "--diff"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listing = stdout(&out);
    assert!(
        listing.contains("a.txt") && listing.contains("b.txt"),
        "{listing}"
    );
    assert!(listing.contains("-alpha\n+ALPHA"), "{listing}");

    let out = boocode(&d.url, &["apply", "--chat", &run]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("applied 2 change(s)"));
    assert_eq!(
        std::fs::read_to_string(repo.path().join("a.txt")).unwrap(),
        "ALPHA\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("b.txt")).unwrap(),
        "BETA\n"
    );

    // An external edit after apply: rewind refuses that file (exit 1) and restores the other.
    std::fs::write(repo.path().join("b.txt"), "someone else\n").unwrap();
    let out = boocode(&d.url, &["rewind", "--chat", &run]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("refused b.txt"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(repo.path().join("a.txt")).unwrap(),
        "alpha\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("b.txt")).unwrap(),
        "someone else\n"
    );

    let out = boocode(&d.url, &["inbox"]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("nothing is waiting"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_detach_and_bad_input() {
    let repo = repo();
    let model = ScriptedOpenAi::start().await.unwrap();
    two_edits(&model);
    let d = daemon(repo.path(), &model.url()).await;
    let out = boocode(&d.url, &["dispatch", "--detach", "shout"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run = stdout(&out).trim().to_owned();
    // Wait for the run to propose both changes.
    let mut listing = String::new();
    for _ in 0..200 {
        listing = stdout(&boocode(&d.url, &["pending", "--chat", &run, "--json"]).await);
        if listing.matches("\"pending\"").count() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let changes: serde_json::Value = serde_json::from_str(&listing).unwrap();
    let first = changes[0]["id"].as_str().unwrap();
    let out = boocode(&d.url, &["reject", "--chat", &run, first]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = boocode(&d.url, &["apply", "--chat", &run]).await;
    assert!(
        stderr(&out).contains("applied 1 change(s)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("a.txt")).unwrap(),
        "alpha\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("b.txt")).unwrap(),
        "BETA\n"
    );

    // Typed errors from the daemon reach the user as one line.
    let out = boocode(&d.url, &["dispatch", "--provider", "nope", "x"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("provider: \"nope\" is not configured"),
        "{}",
        stderr(&out)
    );
    let out = boocode(&d.url, &["apply", "--chat", &run, "no-such-change"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no change no-such-change"),
        "{}",
        stderr(&out)
    );
    let out = boocode(
        &d.url,
        &["inbox", "--answer", "perm_x", "--decision", "deny"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no permission prompt perm_x is waiting"),
        "{}",
        stderr(&out)
    );

    // No daemon there.
    let out = boocode("http://127.0.0.1:9", &["pending"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("cannot reach the server at http://127.0.0.1:9"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
        .status;
    assert!(status.success(), "git {args:?}");
}

/// Two scripted contenders: `model-a` makes a.txt say omega, `model-b` gamma.
fn two_contenders(model: &ScriptedOpenAi) {
    for (name, call, word) in [("model-a", "ca", "omega"), ("model-b", "cb", "gamma")] {
        model.answer_matching(
            &format!(r#""tool_call_id":"{call}""#),
            Reply::text(&format!("{name} wrote {word}.")),
        );
        let args = format!(r#"{{"path": "a.txt", "old_string": "alpha", "new_string": "{word}"}}"#);
        model.answer_matching(
            &format!(r#""model":"{name}""#),
            Reply::stream().tool_call(call, "edit_file", &[args.as_str()]),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arena_from_the_command_line_summarises_picks_and_discards() {
    let dir = repo();
    git(dir.path(), &["init", "--quiet"]);
    git(dir.path(), &["add", "--all"]);
    git(dir.path(), &["commit", "--quiet", "-m", "start"]);
    let worktrees = tempfile::tempdir().unwrap();
    let model = ScriptedOpenAi::start().await.unwrap();
    two_contenders(&model);
    let d = daemon_with(dir.path(), &model.url(), Some(worktrees.path())).await;

    let out = boocode(
        &d.url,
        &[
            "arena",
            "--provider",
            "boocode:model-a",
            "--provider",
            "boocode:model-b",
            "--verify",
            "grep -q omega a.txt",
            "--json",
            "make a.txt say omega",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let c = &summary["contenders"];
    assert_eq!(c[0]["verify_exit"], 0, "{summary}");
    assert_eq!(c[1]["verify_exit"], 1, "{summary}");
    assert_eq!(c[0]["files_changed"], serde_json::json!(["a.txt"]));
    assert_eq!(c[0]["model"], "model-a");
    assert!(
        stderr(&out).contains("contender 1 (boocode:model-a) done"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "alpha\n"
    );
    let id = summary["id"].as_str().unwrap().to_owned();

    let shown = boocode(&d.url, &["arena", "show", &id]).await;
    assert!(shown.status.success(), "{}", stderr(&shown));
    let table = stdout(&shown);
    assert!(
        table.contains("boocode:model-a") && table.contains("pass"),
        "{table}"
    );
    assert!(table.contains("fail 1"), "{table}");

    let picked = boocode(&d.url, &["arena", "pick", &id, "1"]).await;
    assert!(picked.status.success(), "{}", stderr(&picked));
    let text = stdout(&picked);
    let chat = text.rsplit("--chat ").next().unwrap().trim().to_owned();
    let pending = boocode(&d.url, &["pending", "--chat", &chat, "--diff"]).await;
    assert!(stdout(&pending).contains("+omega"), "{}", stdout(&pending));
    let again = boocode(&d.url, &["arena", "pick", &id, "2"]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("picked already"),
        "{}",
        stderr(&again)
    );

    let discarded = boocode(&d.url, &["arena", "discard", &id]).await;
    assert!(discarded.status.success(), "{}", stderr(&discarded));
    assert_eq!(std::fs::read_dir(worktrees.path()).unwrap().count(), 0);

    let one = boocode(&d.url, &["arena", "--provider", "boocode", "alone"]).await;
    assert_eq!(one.status.code(), Some(1));
    assert!(stderr(&one).contains("2 to 8"), "{}", stderr(&one));
}

/// `boocode` with `--local` arena commands: run in `cwd` with a home of its own (the local
/// server's database and worktrees live in it) and the scripted model.
async fn boocode_local(
    cwd: &std::path::Path,
    home: &std::path::Path,
    model: &str,
    args: &[&str],
) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_boocode"))
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("BOOCODE_MODEL_URL", model)
        // Nothing listens here: the local server is the only one.
        .env("BOOCODE_CODER_URL", "http://127.0.0.1:9")
        .env("NO_COLOR", "1")
        .output()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_arena_runs_without_a_server_and_is_found_again() {
    let dir = repo();
    git(dir.path(), &["init", "--quiet"]);
    git(dir.path(), &["add", "--all"]);
    git(dir.path(), &["commit", "--quiet", "-m", "start"]);
    let home = tempfile::tempdir().unwrap();
    let model = ScriptedOpenAi::start().await.unwrap();
    two_contenders(&model);
    let url = model.url();
    let run = |args: &'static [&'static str]| boocode_local(dir.path(), home.path(), &url, args);

    let out = run(&[
        "arena",
        "--local",
        "--provider",
        "boocode:model-a",
        "--provider",
        "boocode:model-b",
        "--verify",
        "grep -q omega a.txt",
        "--json",
        "make a.txt say omega",
    ])
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let c = &summary["contenders"];
    assert_eq!(
        (c[0]["verify_exit"].as_i64(), c[1]["verify_exit"].as_i64()),
        (Some(0), Some(1)),
        "{summary}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "alpha\n"
    );
    let id = summary["id"].as_str().unwrap().to_owned();
    let worktrees = home.path().join("data/boocode/worktrees");
    assert_eq!(
        std::fs::read_dir(&worktrees).unwrap().count(),
        2,
        "one per contender"
    );

    // The next --local command finds it in the same database.
    let shown = boocode_local(
        dir.path(),
        home.path(),
        &url,
        &["arena", "show", "--local", &id],
    )
    .await;
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(
        stdout(&shown).contains("boocode:model-a"),
        "{}",
        stdout(&shown)
    );
    // Run again: a new arena, the same contenders and verify, both kept.
    let again = boocode_local(
        dir.path(),
        home.path(),
        &url,
        &["arena", "rerun", "--local", "--json", &id],
    )
    .await;
    assert!(again.status.success(), "{}", stderr(&again));
    let rerun: serde_json::Value = serde_json::from_str(&stdout(&again)).unwrap();
    let second = rerun["id"].as_str().unwrap().to_owned();
    assert_ne!(second, id);
    let c = &rerun["contenders"];
    assert_eq!(
        (
            c[1]["model"].as_str(),
            c[0]["verify_exit"].as_i64(),
            c[1]["verify_exit"].as_i64()
        ),
        (Some("model-b"), Some(0), Some(1)),
        "{rerun}"
    );
    assert_eq!(std::fs::read_dir(&worktrees).unwrap().count(), 4);
    for arena in [&id, &second] {
        let discarded = boocode_local(
            dir.path(),
            home.path(),
            &url,
            &["arena", "discard", "--local", arena],
        )
        .await;
        assert!(discarded.status.success(), "{}", stderr(&discarded));
    }
    assert_eq!(std::fs::read_dir(&worktrees).unwrap().count(), 0);

    // --detach cannot outlive the command; a running server is not run beside.
    let detached = run(&[
        "arena",
        "--local",
        "--detach",
        "--provider",
        "boocode",
        "--provider",
        "boocode",
        "x",
    ])
    .await;
    assert_eq!(detached.status.code(), Some(2), "{}", stderr(&detached));
    let d = daemon_with(dir.path(), &url, None).await;
    let beside = tokio::process::Command::new(env!("CARGO_BIN_EXE_boocode"))
        .args(["arena", "show", "--local", &id])
        .current_dir(dir.path())
        .env("BOOCODE_CODER_URL", &d.url)
        .output()
        .await
        .unwrap();
    assert_eq!(beside.status.code(), Some(1));
    assert!(
        stderr(&beside).contains("drop --local"),
        "{}",
        stderr(&beside)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orchestrator_dispatched_from_the_command_line_delegates_and_its_child_is_merged() {
    let dir = repo();
    git(dir.path(), &["init", "--quiet"]);
    git(dir.path(), &["add", "--all"]);
    git(dir.path(), &["commit", "--quiet", "-m", "start"]);
    let worktrees = tempfile::tempdir().unwrap();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.answer_matching(
        r#""tool_call_id":"d1""#,
        Reply::text("Delegated; merge it."),
    );
    let delegate = r#"{"prompt": "make a.txt say omega", "model": "child", "writes": true}"#;
    model.answer_matching(
        r#""model":"orch""#,
        Reply::stream().tool_call("d1", "delegate", &[delegate]),
    );
    model.answer_matching(r#""tool_call_id":"c1""#, Reply::text("Done."));
    let edit = r#"{"path": "a.txt", "old_string": "alpha", "new_string": "omega"}"#;
    model.answer_matching(
        r#""model":"child""#,
        Reply::stream().tool_call("c1", "edit_file", &[edit]),
    );
    let d = daemon_with(dir.path(), &model.url(), Some(worktrees.path())).await;

    let out = boocode(
        &d.url,
        &[
            "dispatch",
            "--agent",
            "orchestrator",
            "--model",
            "orch",
            "--json",
            "omega please",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let result = stdout(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| {
            let event = if v["event"].is_object() {
                &v["event"]
            } else {
                &v
            };
            (event["type"] == "tool_call_finished" && event["name"] == "delegate")
                .then(|| event["output"].as_str().unwrap().to_owned())
        })
        .unwrap_or_else(|| panic!("no delegate result in {}", stdout(&out)));
    let result: serde_json::Value = serde_json::from_str(&result).unwrap();
    assert_eq!(result["files_changed"][0]["path"], "a.txt", "{result}");
    let child = result["chat_id"].as_str().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
        "alpha\n"
    );

    let merged = boocode(&d.url, &["merge", child]).await;
    assert!(merged.status.success(), "{}", stderr(&merged));
    let text = stdout(&merged);
    assert!(text.starts_with("1 change(s) wait for review"), "{text}");
    let parent = text.rsplit("--chat ").next().unwrap().trim().to_owned();
    let pending = boocode(&d.url, &["pending", "--chat", &parent, "--diff"]).await;
    assert!(stdout(&pending).contains("+omega"), "{}", stdout(&pending));
    let again = boocode(&d.url, &["merge", child]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("gone"), "{}", stderr(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boocode_skills_lists_the_project_skills_and_names_a_skipped_one() {
    let dir = repo();
    let home = tempfile::tempdir().unwrap();
    for (folder, front) in [
        (
            "csv-report",
            "name: csv-report\ndescription: Summarise a CSV file.\n",
        ),
        ("broken", "name: other\ndescription: x\n"),
    ] {
        let at = dir.path().join(".agents/skills").join(folder);
        std::fs::create_dir_all(&at).unwrap();
        std::fs::write(at.join("SKILL.md"), format!("---\n{front}---\nBody.\n")).unwrap();
    }
    let out = boocode_at(dir.path(), home.path(), &["skills", "--json"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(list["skills"][0]["name"], "csv-report", "{list}");
    assert_eq!(list["skills"].as_array().unwrap().len(), 1);
    assert!(
        stderr(&out).contains("broken/SKILL.md: field `name`"),
        "{}",
        stderr(&out)
    );
    let plain = boocode_at(dir.path(), home.path(), &["skills"]).await;
    assert!(
        stdout(&plain).contains("$csv-report") && stdout(&plain).contains("Summarise a CSV file."),
        "{}",
        stdout(&plain)
    );
}

/// `boocode ARGS` run in `dir` with `home` as its home (and config) folder.
async fn boocode_at(
    dir: &std::path::Path,
    home: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_boocode"))
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .output()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boocode_agents_lists_built_in_agents_a_projects_own_and_leaves_out_a_disabled_one() {
    let dir = repo();
    let home = tempfile::tempdir().unwrap();
    let agents = dir.path().join(".boocode/agents");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::write(
        agents.join("mine.md"),
        "---\nname: mine\ndescription: Ours.\n---\nHi.\n",
    )
    .unwrap();
    std::fs::write(
        agents.join("no-architect.md"),
        "---\nname: architect\ndisabled: true\n---\n",
    )
    .unwrap();
    let out = boocode_at(dir.path(), home.path(), &["agents", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let found: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["scope"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expect: Vec<(String, String)> = [
        ("mine", "project"),
        ("orchestrator", "builtin"),
        ("refactorer", "builtin"),
        ("reviewer", "builtin"),
    ]
    .iter()
    .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
    .collect();
    assert_eq!(found, expect);
}
