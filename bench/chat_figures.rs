//! What a chat costs on a real `boocode-server`: turn start latency (POST of a message → the
//! first frame of its turn on the session's WebSocket) for BooCode's own loop and for an
//! external agent (claude-agent-acp over the real `claude`, cold and warm), and the memory a
//! warm chat holds (the server's RSS for native chats; the agent's process tree for an idle
//! claude-acp chat).
//!
//! ```text
//! cargo build --release -p boocode-server -p boocode-bench
//! scripts/test   # once, for the pinned peers in tests/peers
//! target/release/chat_figures --chats 20 --agents 4
//! ```
//!
//! Everything runs on loopback: the scripted models in this process, the server as a child
//! process on an ephemeral port, a fresh SQLite database in a temporary directory.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use anyhow::{Context, Result, bail};
use boocode_testkit::{AnthropicReply, Reply, ScriptedAnthropic, ScriptedOpenAi, peer_bin};
use clap::Parser;
use futures::StreamExt;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[derive(Debug, Parser)]
struct Args {
    /// The server binary.
    #[arg(long, default_value = "target/release/boocode-server")]
    server: PathBuf,
    /// Native chats (each runs two turns).
    #[arg(long, default_value_t = 20)]
    chats: usize,
    /// claude-acp chats (each runs a cold and a warm turn, then stays warm).
    #[arg(long, default_value_t = 4)]
    agents: usize,
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Every process below `pid` (children, their children, …).
fn descendants(pid: u32) -> Vec<u32> {
    let mut parents = std::collections::HashMap::<u32, Vec<u32>>::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // The parent pid is the second field after the command's closing parenthesis.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parents.entry(ppid).or_default().push(child);
        }
    }
    let mut out = Vec::new();
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        for &c in parents.get(&p).into_iter().flatten() {
            out.push(c);
            stack.push(c);
        }
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn summary(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "{name:<28} n={:<3} p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(0.0)
    );
}

#[path = "shared.rs"]
mod shared;

struct Server {
    child: tokio::process::Child,
    pid: u32,
    base: String,
    addr: String,
    http: reqwest::Client,
}

impl Server {
    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        shared::post(&self.http, &format!("{}{path}", self.base), body).await
    }

    /// A new session whose chat has `settings`: (session, chat).
    async fn chat(&self, project: &str, settings: Value) -> Result<(String, String)> {
        let mut body = json!({"title": "figures"});
        if let (Some(b), Some(s)) = (body.as_object_mut(), settings.as_object()) {
            b.extend(s.clone());
        }
        let created = self
            .post(&format!("/api/projects/{project}/sessions"), body)
            .await?;
        Ok((
            created["session"]["id"]
                .as_str()
                .context("session")?
                .to_owned(),
            created["chat"]["id"].as_str().context("chat")?.to_owned(),
        ))
    }

    /// Posts `text` and measures the time to the turn's first event frame; waits for its end.
    async fn timed_turn(&self, session: &str, chat: &str, text: &str) -> Result<f64> {
        let url = format!("ws://{}/api/sessions/{session}/ws", self.addr);
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
        loop {
            let frame = next(&mut ws).await?;
            if frame["type"] == "ready" {
                break;
            }
        }
        let started = Instant::now();
        self.post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": text }),
        )
        .await?;
        let mut first = None;
        loop {
            let frame = next(&mut ws).await?;
            if frame["chat_id"] != chat {
                continue;
            }
            if frame["type"] == "event" && first.is_none() {
                first = Some(started.elapsed().as_secs_f64() * 1000.0);
            }
            if frame["type"] == "message_finished" && frame["message"]["role"] == "assistant" {
                if frame["message"]["status"] != "complete" {
                    bail!("the turn ended {}", frame["message"]);
                }
                return first.context("the turn sent no event");
            }
        }
    }
}

async fn next(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Result<Value> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(120), ws.next())
            .await
            .context("no frame within 120 s")?
            .context("the stream ended")??;
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            return Ok(serde_json::from_str(&t)?);
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("boocode-figures-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("repo/src"))?;
    std::fs::write(dir.join("repo/src/main.rs"), "fn main() {}\n")?;

    let model = ScriptedOpenAi::start().await?;
    for _ in 0..args.chats * 2 {
        model.push(Reply::stream().text("An answer.").usage(100, 3));
    }
    let anthropic = ScriptedAnthropic::start().await?;
    for _ in 0..args.agents * 2 {
        anthropic.push(AnthropicReply::new().text(&["An answer."]));
    }
    let peers = match (peer_bin("claude"), peer_bin("claude-agent-acp")) {
        (Some(claude), Some(adapter)) => Some((claude, adapter)),
        _ => None,
    };
    let settings = dir.join("settings.toml");
    if let Some((_, adapter)) = &peers {
        std::fs::write(
            &settings,
            format!(
                "[providers.claude-acp]\ncommand = {:?}\n",
                adapter.display().to_string()
            ),
        )?;
    } else {
        std::fs::write(&settings, "")?;
    }
    let config_dir = dir.join("claude-config");
    std::fs::create_dir_all(&config_dir)?;
    let mut command = Command::new(&args.server);
    command
        .args([
            "--bind",
            "127.0.0.1:0",
            "--model-url",
            &model.url(),
            "--log",
            "warn",
        ])
        .arg("--database")
        .arg(format!("sqlite://{}", dir.join("figures.db").display()))
        .arg("--config")
        .arg(&settings)
        .env("BOOCODE_ALLOWED_ROOTS", &dir)
        .env("HOME", &dir)
        .env("ANTHROPIC_BASE_URL", anthropic.url())
        .env("ANTHROPIC_API_KEY", "sk-test")
        .env("CLAUDE_CONFIG_DIR", &config_dir)
        .env("IS_SANDBOX", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    if let Some((claude, _)) = &peers {
        command.env("CLAUDE_CODE_EXECUTABLE", claude);
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", args.server.display()))?;
    let pid = child.id().context("no pid")?;
    let mut lines = BufReader::new(child.stderr.take().context("no stderr")?).lines();
    let addr = loop {
        let line = lines.next_line().await?.context("the server exited")?;
        if let Some(a) = line.strip_prefix("listening on http://") {
            break a.trim().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let server = Server {
        child,
        pid,
        base: format!("http://{addr}"),
        addr,
        http: reqwest::Client::new(),
    };
    let project = server
        .post("/api/projects", json!({ "path": dir.join("repo") }))
        .await?;
    let project = project["id"].as_str().context("project id")?.to_owned();

    let idle = status_kib(pid, "VmRSS:");
    let mut first_turns = Vec::new();
    let mut next_turns = Vec::new();
    let mut native = Vec::new();
    for _ in 0..args.chats {
        native.push(server.chat(&project, json!({})).await?);
    }
    for (session, chat) in &native {
        first_turns.push(server.timed_turn(session, chat, "hello").await?);
    }
    for (session, chat) in &native {
        next_turns.push(server.timed_turn(session, chat, "again").await?);
    }
    let after_native = status_kib(pid, "VmRSS:");
    println!("server RSS idle: {} MiB", idle / 1024);
    summary("native: POST → first frame", first_turns);
    summary("native: second turn", next_turns);
    println!(
        "native chats: {} KiB server RSS per chat after two turns each ({} chats)",
        after_native.saturating_sub(idle) / args.chats.max(1) as u64,
        args.chats
    );

    if peers.is_none() {
        println!("claude-acp: skipped (install the pinned peers with scripts/test)");
    } else {
        let mut cold = Vec::new();
        let mut warm = Vec::new();
        let mut agents = Vec::new();
        for _ in 0..args.agents {
            agents.push(
                server
                    .chat(&project, json!({"provider": "claude-acp"}))
                    .await?,
            );
        }
        for (session, chat) in &agents {
            cold.push(server.timed_turn(session, chat, "hello").await?);
            warm.push(server.timed_turn(session, chat, "again").await?);
        }
        // Let the agents settle, then weigh their process trees.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let tree: Vec<u32> = descendants(server.pid);
        let agent_rss: u64 = tree.iter().map(|p| status_kib(*p, "VmRSS:")).sum();
        summary("claude-acp: cold (spawns)", cold);
        summary("claude-acp: warm", warm);
        println!(
            "claude-acp idle warm chat: {} MiB of agent processes per chat ({} processes for {} chats)",
            agent_rss / 1024 / args.agents.max(1) as u64,
            tree.len(),
            args.agents
        );
    }
    println!(
        "server RSS at the end: {} MiB (peak {} MiB)",
        status_kib(server.pid, "VmRSS:") / 1024,
        status_kib(server.pid, "VmHWM:") / 1024
    );
    drop(server.child);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
