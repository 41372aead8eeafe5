//! MCP servers from the settings file as tool sources of the chat server: started in the
//! background at boot, reported in /api/health, and called by a chat's turn as `server__tool`;
//! a server that never answers does not hold the server or a turn up.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_testkit::{Reply, ScriptedOpenAi};
use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_turn_calls_a_tool_of_a_configured_mcp_server() {
    let sandbox = Sandbox::new();
    let odd = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/peers/odd_mcp_server.py")
        .canonicalize()
        .unwrap();
    let settings = sandbox.home.path().join("settings.toml");
    std::fs::write(
        &settings,
        format!(
            "[mcp_servers.odd]\ncommand = \"python3\"\nargs = [{:?}]\n\n[mcp_servers.stuck]\ncommand = \"sleep\"\nargs = [\"602\"]\nstartup_timeout_secs = 3\n",
            odd.display().to_string()
        ),
    )
    .unwrap();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(Reply::stream().tool_call("c1", "odd__ok_tool", &[r#"{"text": "from the chat"}"#]));
    model.push(Reply::stream().text("Called it."));
    let mut opts = Options::new(sandbox.sqlite_url(), model.url());
    opts.env
        .push(("BOOCODE_CONFIG", settings.display().to_string()));
    let server = Server::start(&sandbox, opts).await;

    // The server answers at once; the MCP servers settle in the background.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, health) = server.get("/api/health").await;
        assert_eq!(status, 200);
        let odd = &health["mcp_servers"]["odd"];
        if odd["status"] == "ready" {
            assert_eq!(odd["tools"], json!(["odd__ok_tool"]));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{health}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (session, chat) = server.session(&sandbox.repo("mcp")).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    let (status, _) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "call the tool" }),
        )
        .await;
    assert_eq!(status, 202);
    let frames = ws.until(is_finished).await;
    let finished = frames
        .iter()
        .find(|f| event_type(f) == Some("tool_call_finished"))
        .unwrap();
    assert_eq!(finished["event"]["name"], "odd__ok_tool");
    assert_eq!(finished["event"]["is_error"], false);
    assert!(
        finished["event"]["output"]
            .as_str()
            .unwrap()
            .contains("ok: from the chat")
    );

    // The stuck server ends up reported, never offered.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, health) = server.get("/api/health").await;
        if health["mcp_servers"]["stuck"]["status"] == "failed" {
            assert!(
                health["mcp_servers"]["stuck"]["reason"]
                    .as_str()
                    .unwrap()
                    .contains("within 3 s")
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{health}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let offered = model.completion_requests()[0].body["tools"].to_string();
    assert!(!offered.contains("stuck__"));
    // Given up on, its process is gone while the server runs on.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let left = std::process::Command::new("pgrep")
        .args(["-f", "sleep 602"])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "left running: {left:?}");
}
