//! One MCP tool call through BooCode's client: `McpTool::execute` → rmcp → a stdio server (the
//! odd test server in Python, tests/peers/odd_mcp_server.py) → back.
//!
//! `cargo bench -p boocode-tools --bench mcp_call` (needs python3)
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use boocode_core::ToolContext;
use boocode_tools::{McpServerConfig, McpServers, McpStatus};
use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers/odd_mcp_server.py");
    let mut configs = BTreeMap::new();
    configs.insert(
        "odd".to_owned(),
        McpServerConfig::stdio("python3", vec![script.display().to_string()]),
    );
    let servers = rt.block_on(async {
        let servers = McpServers::start(&configs);
        servers.settle(Duration::from_secs(20)).await;
        servers
    });
    assert!(matches!(servers.status()[0].1, McpStatus::Ready { .. }));
    let tool = servers
        .tools()
        .into_iter()
        .find(|t| t.name() == "odd__ok_tool")
        .unwrap();
    let ctx = ToolContext::new("b");
    c.bench_function("mcp tool call (stdio, python server)", |b| {
        b.iter(|| {
            let out = rt
                .block_on(tool.execute(serde_json::json!({"text": "x"}), &ctx))
                .unwrap();
            assert_eq!(out.content, "ok: x");
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50);
    targets = bench
}
criterion_main!(benches);
