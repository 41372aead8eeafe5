//! The built `boocode` binary against the scripted model server, on a temporary repository.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_core::AgentEvent;
use boocode_testkit::{Reply, ScriptedOpenAi};
use std::path::Path;
use std::process::Output;
use std::time::Duration;
use tokio::process::Command;

struct Sandbox {
    home: tempfile::TempDir,
    repo: tempfile::TempDir,
}

fn sandbox() -> Sandbox {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join("src")).unwrap();
    std::fs::write(
        repo.path().join("src/main.rs"),
        "fn main() {\n    serve();\n}\n",
    )
    .unwrap();
    std::fs::write(
        repo.path().join("src/server.rs"),
        "pub fn serve() {\n    // listens on 8080\n}\n",
    )
    .unwrap();
    Sandbox { home, repo }
}

fn command(sandbox: &Sandbox) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_boocode"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", sandbox.home.path())
        .env("XDG_CONFIG_HOME", sandbox.home.path().join("config"))
        .env("XDG_DATA_HOME", sandbox.home.path().join("data"))
        .env("NO_COLOR", "1")
        .kill_on_drop(true);
    cmd
}

async fn run(sandbox: &Sandbox, url: &str, extra: &[&str], prompt: &str) -> Output {
    let mut cmd = command(sandbox);
    cmd.arg("run")
        .arg("--model-url")
        .arg(url)
        .arg("--cwd")
        .arg(sandbox.repo.path());
    cmd.args(extra).arg(prompt);
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap()
        .unwrap()
}

fn script_tool_turn(server: &ScriptedOpenAi, xml: bool) {
    if xml {
        server.push(Reply::stream().reasoning("Search first.").text(
            "<tool_call>\n<function=grep>\n<parameter=pattern>\nfn serve\n</parameter>\n</function>\n</tool_call>",
        ));
        server.push(Reply::stream().text(
            "<tool_call>\n{\"name\": \"view_file\", \"arguments\": {\"path\": \"src/server.rs\"}}\n</tool_call>",
        ));
    } else {
        server.push(Reply::stream().reasoning("Search first.").tool_call(
            "call_g",
            "grep",
            &["{\"pattern\":", " \"fn serve\"}"],
        ));
        server.push(Reply::stream().tool_call(
            "call_v",
            "view_file",
            &["{\"path\": \"src/server.rs\"}"],
        ));
    }
    server.push(
        Reply::stream()
            .text("The server is defined in src/server.rs:1 ")
            .text("and listens on 8080.")
            .usage(420, 17),
    );
}

/// Every tool result the model received, in order.
fn tool_results(server: &ScriptedOpenAi) -> Vec<String> {
    let last = server.completion_requests().pop().unwrap();
    last.messages()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_json_tool_call_turn_prints_the_answer_and_feeds_results_to_the_model() {
    for xml in [false, true] {
        let server = ScriptedOpenAi::start().await.unwrap();
        script_tool_turn(&server, xml);
        let sandbox = sandbox();
        let out = run(&sandbox, &server.url(), &[], "Where is the server?").await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "xml={xml} stderr: {stderr}");
        assert_eq!(
            stdout, "The server is defined in src/server.rs:1 and listens on 8080.\n",
            "xml={xml}"
        );
        assert!(
            stderr.contains("Search first."),
            "reasoning is shown: {stderr}"
        );
        assert!(stderr.contains("⚙ grep pattern=\"fn serve\""), "{stderr}");
        assert!(stderr.contains("✓ grep ("), "{stderr}");
        assert!(
            stderr.contains("⚙ view_file path=\"src/server.rs\""),
            "{stderr}"
        );
        assert!(
            stderr.contains("— completed · 3 steps · 420 prompt + 17 completion tokens"),
            "{stderr}"
        );
        assert!(
            !stdout.contains("tool_call"),
            "XML must never reach the user: {stdout}"
        );

        let results = tool_results(&server);
        assert_eq!(
            results[0], "src/server.rs:1:pub fn serve() {\n(1 match in 1 files)\n",
            "xml={xml}"
        );
        assert_eq!(
            results[1],
            "     1\tpub fn serve() {\n     2\t    // listens on 8080\n     3\t}\n"
        );
        // The tools were offered with their schemas.
        let first = &server.completion_requests()[0];
        let names: Vec<&str> = first.body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["function"]["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"grep") && names.contains(&"view_file"),
            "{names:?}"
        );
    }
}

#[tokio::test]
async fn json_mode_prints_the_event_stream() {
    let server = ScriptedOpenAi::start().await.unwrap();
    script_tool_turn(&server, false);
    let sandbox = sandbox();
    let out = run(&sandbox, &server.url(), &["--json"], "Where is the server?").await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<AgentEvent> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert!(matches!(
        events.first(),
        Some(AgentEvent::TurnStarted { .. })
    ));
    let finished: Vec<(&str, bool)> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::ToolCallFinished { name, is_error, .. } => Some((name.as_str(), *is_error)),
            _ => None,
        })
        .collect();
    assert_eq!(finished, vec![("grep", false), ("view_file", false)]);
    match events.last() {
        Some(AgentEvent::TurnFinished { outcome, usage, .. }) => {
            assert_eq!(*outcome, boocode_core::TurnOutcome::Completed);
            assert_eq!(usage.completion_tokens, 17);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_is_one_clear_line_and_a_failure_status() {
    let server = ScriptedOpenAi::start().await.unwrap();
    let url = server.url();
    drop(server);
    let sandbox = sandbox();
    let out = run(&sandbox, &url, &[], "hi").await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("error: cannot reach"), "{stderr}");
    assert!(
        lines[0].contains(&format!("{url}/v1/chat/completions")),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_failing_endpoint_names_the_status() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::error(401, "invalid api key"));
    let sandbox = sandbox();
    let out = run(&sandbox, &server.url(), &[], "hi").await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .trim()
            .ends_with("answered HTTP 401: invalid api key"),
        "{stderr}"
    );
}

fn write_config(dir: &Path, text: &str) {
    std::fs::create_dir_all(dir.join("config/boocode")).unwrap();
    std::fs::write(dir.join("config/boocode/config.toml"), text).unwrap();
}

#[tokio::test]
async fn settings_come_from_flags_then_env_then_file() {
    let good = ScriptedOpenAi::start().await.unwrap();
    let other = ScriptedOpenAi::start().await.unwrap();
    let sandbox = sandbox();
    write_config(
        sandbox.home.path(),
        &format!(
            "model_url = \"{}\"\nmodel = \"from-file\"\napi_key = \"file-key\"\n",
            other.url()
        ),
    );
    // File only.
    other.push(Reply::text("from the file's server"));
    let mut cmd = command(&sandbox);
    cmd.args(["run", "--cwd"])
        .arg(sandbox.repo.path())
        .arg("hi");
    let out = cmd.output().await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "from the file's server\n"
    );
    let sent = &other.completion_requests()[0];
    assert_eq!(sent.body["model"], "from-file");
    assert_eq!(sent.headers["authorization"], "Bearer file-key");

    // Env beats the file.
    good.push(Reply::text("from env"));
    let mut cmd = command(&sandbox);
    cmd.env("BOOCODE_MODEL_URL", good.url())
        .env("BOOCODE_MODEL", "from-env");
    cmd.args(["run", "--cwd"])
        .arg(sandbox.repo.path())
        .arg("hi");
    let out = cmd.output().await.unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from env\n");
    assert_eq!(good.completion_requests()[0].body["model"], "from-env");

    // Flags beat env.
    other.push(Reply::text("from flags"));
    let mut cmd = command(&sandbox);
    cmd.env("BOOCODE_MODEL_URL", good.url())
        .env("BOOCODE_MODEL", "from-env");
    cmd.args([
        "run",
        "--model-url",
        &other.url(),
        "--model",
        "from-flag",
        "--cwd",
    ])
    .arg(sandbox.repo.path())
    .arg("hi");
    let out = cmd.output().await.unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from flags\n");
    assert_eq!(other.completion_requests()[1].body["model"], "from-flag");

    // A broken settings file is an error naming the file.
    write_config(sandbox.home.path(), "model_url = [\n");
    let mut cmd = command(&sandbox);
    cmd.args(["run", "--cwd"])
        .arg(sandbox.repo.path())
        .arg("hi");
    let out = cmd.output().await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid settings file"));
}

#[tokio::test]
async fn an_agent_limits_tools_and_adds_its_prompt() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::text("ok"));
    let sandbox = sandbox();
    let agents = sandbox.repo.path().join(".boocode/agents");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::write(
        agents.join("finder.md"),
        "---\nname: finder\ntools: [find_files]\nmodel: tiny\n---\nOnly find files.",
    )
    .unwrap();
    let out = run(&sandbox, &server.url(), &["--agent", "finder"], "go").await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = &server.completion_requests()[0].body;
    assert_eq!(sent["model"], "tiny");
    assert_eq!(sent["tools"].as_array().unwrap().len(), 1);
    assert!(
        sent["messages"][0]["content"]
            .as_str()
            .unwrap()
            .ends_with("Only find files.")
    );

    let out = run(&sandbox, &server.url(), &["--agent", "nobody"], "go").await;
    assert_eq!(out.status.code(), Some(1));
    // The project's agent and the built-in ones.
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("known agents: architect, finder, orchestrator, refactorer, reviewer"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn ctrl_c_cancels_cleanly() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::stream().text("thinking about it").stall());
    let sandbox = sandbox();
    let mut cmd = command(&sandbox);
    cmd.args(["run", "--json", "--model-url", &server.url(), "--cwd"])
        .arg(sandbox.repo.path())
        .arg("hi")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let pid = child.id().unwrap();
    // Wait until the text has streamed, then interrupt.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while server.completion_requests().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(130));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: AgentEvent = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert!(
        matches!(
            last,
            AgentEvent::TurnFinished {
                outcome: boocode_core::TurnOutcome::Cancelled,
                ..
            }
        ),
        "{stdout}"
    );
    assert!(stdout.contains("thinking about it"));
}

#[tokio::test]
async fn providers_lists_every_agent_with_its_probe_and_honours_overrides() {
    let sandbox = sandbox();
    write_config(
        sandbox.home.path(),
        "[providers.goose]\nenabled = false\n\n[providers.mytool]\ncommand = \"bash\"\n",
    );
    let out = command(&sandbox)
        .args(["providers", "--json"])
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let by_name = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap().clone();
    assert_eq!(rows.len(), 9);
    assert_eq!(by_name("boocode")["probe"]["status"], "ready");
    assert_eq!(by_name("goose")["probe"]["status"], "disabled");
    let mine = by_name("mytool");
    assert_eq!(
        (mine["kind"].as_str(), mine["probe"]["status"].as_str()),
        (Some("pty"), Some("ready"))
    );
    for name in [
        "claude",
        "claude-acp",
        "opencode",
        "qwen",
        "cursor",
        "copilot",
    ] {
        let status = by_name(name)["probe"]["status"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            ["missing", "ready", "broken"].contains(&status.as_str()),
            "{name}: {status}"
        );
    }
    let table = command(&sandbox).arg("providers").output().await.unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("claude_sdk") && text.contains("goose") && text.contains("disabled"),
        "{text}"
    );
}
