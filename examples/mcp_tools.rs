//! Recipe: MCP servers as tool sources. `McpServers` starts each server (a stdio command or a
//! streamable HTTP URL) in the background, lists its tools and offers them as `server__tool`;
//! a server that is slow, dead or misbehaving is reported and skipped, never waited on forever.
//! Here the tools of the servers you name join a turn of the step loop.
//!
//! ```text
//! cargo run -p boocode-examples --example mcp_tools -- http://127.0.0.1:8080 "Echo hello" npx -y @modelcontextprotocol/server-everything
//! ```
//!
//! In your own crate:
//!
//! ```toml
//! [dependencies]
//! boocode-core = "0.1"
//! boocode-inference = "0.1"
//! boocode-tools = "0.1"   # the `mcp` feature, on by default
//! tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
//!
//! [dev-dependencies]
//! boocode-testkit = "0.1"
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use boocode_core::{
    AgentEvent, CancellationToken, CollectSink, Message, ToolSet, TurnConfig, TurnOutcome, run_turn,
};
use boocode_inference::{OpenAiClient, OpenAiConfig};
use boocode_tools::{McpServerConfig, McpServers, McpStatus};
use std::collections::BTreeMap;
use std::time::Duration;

/// Runs `prompt` at `url` with the tools of `servers` (name → config); returns the outcome,
/// each tool call's name and output, and where each server stands.
async fn turn_with_mcp(
    url: &str,
    prompt: &str,
    servers: &BTreeMap<String, McpServerConfig>,
) -> Result<
    (TurnOutcome, Vec<(String, String)>, Vec<(String, McpStatus)>),
    Box<dyn std::error::Error>,
> {
    let mcp = McpServers::start(servers);
    // Servers connect in the background; wait (bounded) so the first turn has their tools.
    mcp.settle(Duration::from_secs(20)).await;
    let mut tools = ToolSet::new();
    for tool in mcp.tools() {
        tools.insert(tool);
    }
    let client = OpenAiClient::new(OpenAiConfig::new(url))?;
    let sink = CollectSink::new();
    let result = run_turn(
        &client,
        &tools,
        &[Message::user(prompt)],
        &TurnConfig::default(),
        &sink,
        &CancellationToken::new(),
    )
    .await;
    let calls = sink
        .events()
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::ToolCallFinished { name, output, .. } => Some((name, output)),
            _ => None,
        })
        .collect();
    Ok((result.outcome, calls, mcp.status()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let prompt = args.next().unwrap_or_else(|| "Echo hello".into());
    let command = args.next().unwrap_or_else(|| "npx".into());
    let mut rest: Vec<String> = args.collect();
    if rest.is_empty() && command == "npx" {
        rest = vec![
            "-y".into(),
            "@modelcontextprotocol/server-everything".into(),
        ];
    }
    let servers = BTreeMap::from([(
        "everything".to_owned(),
        McpServerConfig::stdio(command, rest),
    )]);
    let (outcome, calls, status) = turn_with_mcp(&url, &prompt, &servers).await?;
    for (name, state) in status {
        println!("server {name}: {state:?}");
    }
    for (tool, output) in calls {
        println!("[{tool}] {output}");
    }
    println!("-- {}", outcome.as_str());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use boocode_testkit::{Reply, ScriptedOpenAi, peer_bin};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_real_mcp_servers_tool_is_called_and_a_dead_one_is_skipped() {
        let Some(everything) = peer_bin("mcp-server-everything") else {
            return;
        };
        let model = ScriptedOpenAi::start().await.unwrap();
        model.push(Reply::stream().tool_call(
            "c1",
            "everything__echo",
            &[r#"{"message": "from a recipe"}"#],
        ));
        model.push(Reply::text("Echoed."));
        let servers = BTreeMap::from([
            (
                "everything".to_owned(),
                McpServerConfig::stdio(everything.display().to_string(), Vec::new()),
            ),
            (
                "gone".to_owned(),
                McpServerConfig::stdio("sh", vec!["-c".into(), "exit 3".into()]),
            ),
        ]);
        let (outcome, calls, status) = turn_with_mcp(&model.url(), "echo it", &servers)
            .await
            .unwrap();
        assert_eq!(outcome, TurnOutcome::Completed);
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert_eq!(calls[0].0, "everything__echo");
        assert!(calls[0].1.contains("from a recipe"), "{calls:?}");
        let gone = status.iter().find(|(n, _)| n == "gone").unwrap();
        assert!(matches!(gone.1, McpStatus::Failed { .. }), "{status:?}");
        // The model was offered the server's tools by their namespaced names.
        let offered = model.requests()[0].body.to_string();
        assert!(offered.contains("everything__echo"), "{offered}");
    }
}
