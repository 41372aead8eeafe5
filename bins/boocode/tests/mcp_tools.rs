//! MCP servers as tool sources for `boocode run`: the real `@modelcontextprotocol/server-everything`
//! (npm, pinned in tests/peers) called by the native loop with the scripted model, beside a
//! server that never answers, one that exits at once, and one with bad tool definitions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_core::AgentEvent;
use boocode_testkit::{Reply, ScriptedOpenAi, peer_bin};
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::process::Command;

fn peers() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers")
}

/// `boocode run --json` with the settings file `config`, in a bare environment.
fn boocode_run(
    home: &std::path::Path,
    config: &std::path::Path,
    model_url: &str,
    repo: &std::path::Path,
    prompt: &str,
) -> impl std::future::Future<Output = std::io::Result<std::process::Output>> {
    Command::new(env!("CARGO_BIN_EXE_boocode"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .args(["run", "--json", "--model-url", model_url, "--config"])
        .arg(config)
        .arg("--cwd")
        .arg(repo)
        .arg(prompt)
        .kill_on_drop(true)
        .output()
}

fn events(stdout: &[u8]) -> Vec<AgentEvent> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_calls_a_real_mcp_server_and_skips_broken_ones_in_bounded_time() {
    let Some(everything) = peer_bin("mcp-server-everything") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let odd = peers().join("odd_mcp_server.py").canonicalize().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
mcp_wait_secs = 20

[mcp_servers.everything]
command = {everything:?}

[mcp_servers.stuck]
command = "sleep"
args = ["601"]
startup_timeout_secs = 2

[mcp_servers.gone]
command = "sh"
args = ["-c", "echo bye >&2; exit 3"]

[mcp_servers.missing]
command = "/nonexistent/mcp-server"

[mcp_servers.odd]
command = "python3"
args = [{odd:?}]

[mcp_servers.slow]
command = "python3"
args = [{odd:?}, "slow-call"]
call_timeout_secs = 1

[mcp_servers.off]
command = "sleep"
args = ["600"]
enabled = false
"#,
            everything = everything.display().to_string(),
            odd = odd.display().to_string(),
        ),
    )
    .unwrap();

    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(
        Reply::stream()
            .tool_call("c1", "everything__echo", &[r#"{"message": "hi from mcp"}"#])
            .tool_call("c2", "odd__ok_tool", &[r#"{"text": "fine"}"#])
            .tool_call("c3", "slow__ok_tool", &[r#"{"text": "never"}"#]),
    );
    model.push(Reply::stream().text("All three called."));

    let started = Instant::now();
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        boocode_run(
            home.path(),
            &config,
            &model.url(),
            repo.path(),
            "use the tools",
        ),
    )
    .await
    .expect("a broken MCP server must never hang the run")
    .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // The stuck server is given up after its 2 s, not waited on for the 20 s allowed.
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");

    // Broken servers and bad definitions are reported, each on its own.
    for needle in [
        "MCP server stuck skipped: did not connect and list its tools within 2 s",
        "MCP server gone skipped",
        "MCP server missing skipped: cannot start `/nonexistent/mcp-server`",
        "MCP server odd: tool \"bad tool!\" dropped",
        "MCP server odd: tool \"string_schema\" dropped",
        "MCP server odd: tool \"no_schema\" dropped: its definition is invalid",
    ] {
        assert!(stderr.contains(needle), "{needle:?} not in:\n{stderr}");
    }
    assert!(!stderr.contains("MCP server off"), "{stderr}");

    // The model was offered the namespaced tools of the working servers only.
    let offered: Vec<String> = model.completion_requests()[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
        .collect();
    for wanted in ["everything__echo", "odd__ok_tool", "slow__ok_tool", "grep"] {
        assert!(
            offered.iter().any(|n| n == wanted),
            "{wanted} in {offered:?}"
        );
    }
    assert!(
        !offered
            .iter()
            .any(|n| n.starts_with("stuck__") || n.contains("bad"))
    );
    assert!(!offered.iter().any(|n| n == "odd__string_schema"));

    // The calls: a real server's answer, the odd server's good tool, a call that times out.
    let finished: Vec<(String, String, bool)> = events(&out.stdout)
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::ToolCallFinished {
                name,
                output,
                is_error,
                ..
            } => Some((name, output, is_error)),
            _ => None,
        })
        .collect();
    let get = |name: &str| finished.iter().find(|(n, _, _)| n == name).unwrap().clone();
    let (_, echo, failed) = get("everything__echo");
    assert!(!failed && echo.contains("hi from mcp"), "{echo}");
    let (_, ok, failed) = get("odd__ok_tool");
    assert!(!failed && ok.contains("ok: fine"), "{ok}");
    let (_, slow, failed) = get("slow__ok_tool");
    assert!(
        failed && slow.contains("did not answer ok_tool within 1 s"),
        "{slow}"
    );
    // The model saw the echo in its next request.
    let second: &Value = &model.completion_requests()[1].body;
    assert!(second["messages"].to_string().contains("hi from mcp"));
    // No server outlives the run: not one stuck in a call, not one that never answered.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for pattern in [
        format!("{} slow-call", odd.display()),
        "sleep 601".to_owned(),
    ] {
        let left = std::process::Command::new("pgrep")
            .args(["-f", &pattern])
            .output()
            .unwrap();
        assert!(left.stdout.is_empty(), "{pattern} left running: {left:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamable_http_mcp_server_is_called_by_url() {
    use tokio::io::AsyncBufReadExt;
    let Some(everything) = peer_bin("mcp-server-everything") else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(&everything)
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(server.stderr.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("listening") {
                return;
            }
        }
        panic!("server-everything ended before listening");
    })
    .await
    .unwrap();

    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[mcp_servers.web]\nurl = \"http://127.0.0.1:{port}/mcp\"\n"),
    )
    .unwrap();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(Reply::stream().tool_call("c1", "web__echo", &[r#"{"message": "over http"}"#]));
    model.push(Reply::stream().text("Done."));
    let out = boocode_run(home.path(), &config, &model.url(), repo.path(), "echo it")
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let echoed = events(&out.stdout).into_iter().any(|e| {
        matches!(e, AgentEvent::ToolCallFinished { name, output, is_error: false, .. }
            if name == "web__echo" && output.contains("over http"))
    });
    assert!(
        echoed,
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_servers_get_their_bearer_token_and_headers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A server that records the first request and refuses it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 16 * 1024];
        let n = socket.read(&mut buf).await.unwrap();
        let _ = socket
            .write_all(
                b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )
            .await;
        String::from_utf8_lossy(&buf[..n]).to_lowercase()
    });
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
mcp_wait_secs = 10

[mcp_servers.guarded]
url = "http://127.0.0.1:{port}/mcp"
bearer_token_env = "MCP_TEST_TOKEN"
headers = {{ "X-Team" = "boo" }}

[mcp_servers.tokenless]
url = "http://127.0.0.1:{port}/mcp"
bearer_token_env = "MCP_TOKEN_NOT_SET"
"#
        ),
    )
    .unwrap();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(Reply::stream().text("No tools needed."));
    let out = Command::new(env!("CARGO_BIN_EXE_boocode"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("MCP_TEST_TOKEN", "tok-123")
        .args(["run", "--model-url", &model.url(), "--config"])
        .arg(&config)
        .arg("--cwd")
        .arg(repo.path())
        .arg("hi")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let request = tokio::time::timeout(Duration::from_secs(10), seen)
        .await
        .unwrap()
        .unwrap();
    assert!(
        request.contains("authorization: bearer tok-123"),
        "{request}"
    );
    assert!(request.contains("x-team: boo"), "{request}");
    assert!(stderr.contains("MCP server guarded skipped"), "{stderr}");
    assert!(
        stderr.contains(
            "MCP server tokenless skipped: the bearer token variable MCP_TOKEN_NOT_SET is not set"
        ),
        "{stderr}"
    );
}
