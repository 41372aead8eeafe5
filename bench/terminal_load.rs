//! Terminals on a real `boocode-server`: PTY → WebSocket throughput of `cat`-like output,
//! keystroke-echo latency (a byte sent, its echo received) p50/p99/max, and the server's memory
//! per idle terminal.
//!
//! ```text
//! cargo build --release -p boocode-server -p boocode-bench
//! target/release/terminal_load --server target/release/boocode-server --megabytes 200 --keys 2000 --idle 20
//! ```
//!
//! Everything runs on loopback; the server is a child process on an ephemeral port with a fresh
//! SQLite database in a temporary directory.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use anyhow::{Context, Result};
use clap::Parser;
use futures::{SinkExt, StreamExt};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Parser)]
struct Args {
    /// The server binary.
    #[arg(long, default_value = "target/release/boocode-server")]
    server: PathBuf,
    /// Output to stream for the throughput figure, in MB.
    #[arg(long, default_value_t = 200)]
    megabytes: u64,
    /// Keystrokes for the echo latency.
    #[arg(long, default_value_t = 2000)]
    keys: usize,
    /// Idle terminals for the memory figure (a session holds at most 8, one is the bench's).
    #[arg(long, default_value_t = 7)]
    idle: usize,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Reads binary frames until `done` holds for the bytes seen so far (or 120 s pass).
async fn read_until(ws: &mut Socket, mut done: impl FnMut(&[u8]) -> bool) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, ws.next())
            .await
            .context("timed out")?
            .context("closed")??;
        if let Message::Binary(b) = msg {
            tail.extend_from_slice(&b);
            if done(&tail) {
                return Ok(());
            }
            // Keep only what a marker could straddle.
            if tail.len() > 4096 {
                tail.drain(..tail.len() - 64);
            }
        }
    }
}

#[path = "shared.rs"]
mod shared;
use shared::{percentile, post, rss_kib, start_server};

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    // A binary, not a library: the process-wide TLS provider is ours to pick.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("boocode-term-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("repo"))?;
    let (mut child, pid, addr) = start_server(
        &args.server,
        &dir,
        "http://127.0.0.1:9",
        &[("SHELL", std::ffi::OsStr::new("/bin/bash"))],
    )
    .await?;
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let project = post(
        &http,
        &format!("{base}/api/projects"),
        json!({ "path": dir.join("repo") }),
    )
    .await?;
    let created = post(
        &http,
        &format!(
            "{base}/api/projects/{}/sessions",
            project["id"].as_str().unwrap()
        ),
        json!({ "title": "bench" }),
    )
    .await?;
    let session = created["session"]["id"].as_str().unwrap().to_owned();
    let terminals = format!("{base}/api/sessions/{session}/terminals");
    let before_rss = rss_kib(pid).unwrap_or(0);

    // Throughput: a program writing N MB as fast as the PTY takes it, read over the socket.
    let term = post(&http, &terminals, json!({ "cols": 200, "rows": 50 })).await?;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{addr}/api/terminals/{}/ws",
        term["id"].as_str().unwrap()
    ))
    .await?;
    ws.send(Message::Binary(b"stty -echo; PS1=''\n".to_vec().into()))
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let bytes = args.megabytes * 1_000_000;
    let command = format!("head -c {bytes} /dev/zero | tr '\\0' 'y'; echo; echo THROUGHPUT-DONE\n");
    let start = Instant::now();
    ws.send(Message::Binary(command.into_bytes().into()))
        .await?;
    let mut received: u64 = 0;
    read_until(&mut ws, |tail| {
        received += 1;
        tail.windows(15).any(|w| w == b"THROUGHPUT-DONE")
    })
    .await?;
    let seconds = start.elapsed().as_secs_f64();
    let mbps = bytes as f64 / 1e6 / seconds;
    let peak_rss = rss_kib(pid).unwrap_or(0);

    // Echo latency: one printable byte at a time into a raw terminal running `cat`.
    ws.send(Message::Binary(b"stty raw -echo; cat\n".to_vec().into()))
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut latencies = Vec::with_capacity(args.keys);
    for i in 0..args.keys {
        let key = b'a' + (i % 26) as u8;
        let sent = Instant::now();
        ws.send(Message::Binary(vec![key].into())).await?;
        read_until(&mut ws, |tail| tail.contains(&key)).await?;
        latencies.push(sent.elapsed().as_micros() as u64);
    }
    latencies.sort_unstable();
    drop(ws);

    // Memory per idle terminal (shells waiting at a prompt, nobody watching).
    let before_idle = rss_kib(pid).unwrap_or(0);
    for _ in 0..args.idle {
        post(&http, &terminals, json!({})).await?;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after_idle = rss_kib(pid).unwrap_or(0);

    println!(
        "throughput: {:.0} MB/s ({} MB in {:.2} s, {received} frames); server RSS {} → {} MiB at peak",
        mbps,
        args.megabytes,
        seconds,
        before_rss / 1024,
        peak_rss / 1024
    );
    println!(
        "keystroke echo over {} keys: p50 {} µs, p99 {} µs, max {} µs",
        args.keys,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0)
    );
    println!(
        "idle terminals: {} KiB of server RSS each ({} → {} MiB for {})",
        after_idle.saturating_sub(before_idle) / args.idle.max(1) as u64,
        before_idle / 1024,
        after_idle / 1024,
        args.idle
    );
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
