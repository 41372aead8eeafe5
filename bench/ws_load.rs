//! WebSocket load on a real `boocode-server`: many clients watching many chats stream scripted
//! replies. Reports frames per second, the latency the server adds between a model delta and the
//! WebSocket frame (p50/p99/max), and the server's memory.
//!
//! ```text
//! cargo build --release -p boocode-server -p boocode-bench
//! target/release/ws_load --server target/release/boocode-server --clients 200 --chats 50 --seconds 60 \
//!     --server-cpu 0 --client-cpu 1
//! ```
//!
//! Everything runs on loopback: the scripted model in this process, the server as a child
//! process on an ephemeral port, a fresh SQLite database in a temporary directory.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use anyhow::{Context, Result};
use boocode_testkit::{Reply, ScriptedOpenAi};
use clap::Parser;
use futures::StreamExt;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::Mutex;

#[derive(Debug, Parser)]
struct Args {
    /// The server binary.
    #[arg(long, default_value = "target/release/boocode-server")]
    server: PathBuf,
    /// WebSocket clients in all.
    #[arg(long, default_value_t = 200)]
    clients: usize,
    /// Chats streaming at once (clients are spread over them).
    #[arg(long, default_value_t = 50)]
    chats: usize,
    /// How long to run.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Deltas per scripted reply.
    #[arg(long, default_value_t = 100)]
    deltas: usize,
    /// Milliseconds between deltas (20 ms = 50 tokens/s per chat).
    #[arg(long, default_value_t = 20)]
    delta_ms: u64,
    /// Pin the server (all its threads) to this CPU, so the load generator does not share it.
    #[arg(long)]
    server_cpu: Option<u32>,
    /// Pin this load generator (and the scripted model in it) to this CPU.
    #[arg(long)]
    client_cpu: Option<u32>,
    /// Spread the chats' first turns over one delta interval instead of starting them at
    /// once. Started together, the chats' deltas arrive in bursts (every chat's delta within
    /// the same millisecond), as they rarely would in real use.
    #[arg(long)]
    stagger: bool,
    /// How often each chat's driver asks the API whether its turn has finished.
    #[arg(long, default_value_t = 200)]
    poll_ms: u64,
}

/// CPU time (user + system) a process has used so far, in milliseconds.
fn cpu_ms(pid: u32) -> f64 {
    shared::stat_fields(&pid.to_string())
        .and_then(|f| shared::own_ticks(&f))
        .map_or(0.0, shared::ticks_ms)
}

/// Pins every thread of process `pid` to `cpu` (`taskset -a -p -c`).
fn pin(pid: u32, cpu: u32) -> Result<()> {
    let status = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .context("taskset (util-linux) is needed to pin a process")?;
    anyhow::ensure!(status.success(), "taskset failed for pid {pid}");
    Ok(())
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

#[path = "shared.rs"]
mod shared;
use shared::{percentile, post, rss_kib};

/// The send time stamped into a `text_delta` event frame (`"t12@<micros> "`), if `frame` is
/// one. Only deltas count: the frame that carries a whole finished message holds every stamp
/// of its turn, and reading one from it would add a sample as long as the turn.
fn delta_stamp(frame: &str) -> Option<u64> {
    let value: Value = serde_json::from_str(frame).ok()?;
    if value["type"] != "event" || value["event"]["type"] != "text_delta" {
        return None;
    }
    let text = value["event"]["text"].as_str()?;
    let (_, after) = text.split_once('@')?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("boocode-load-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("repo/src"))?;
    std::fs::write(dir.join("repo/src/main.rs"), "fn main() {}\n")?;

    let model = ScriptedOpenAi::start().await?;
    let turns_needed = args.chats
        * (args.seconds as usize * 1000 / (args.deltas * args.delta_ms as usize).max(1) + 2);
    for _ in 0..turns_needed {
        let mut reply = Reply::stream();
        for i in 0..args.deltas {
            reply = reply
                .stamped_text(&format!("t{i}"))
                .delay(Duration::from_millis(args.delta_ms));
        }
        model.push(reply.usage(100, args.deltas as u64));
    }

    let mut child = Command::new(&args.server)
        .args([
            "--bind",
            "127.0.0.1:0",
            "--model-url",
            &model.url(),
            "--log",
            "warn",
        ])
        .arg("--database")
        .arg(format!("sqlite://{}", dir.join("load.db").display()))
        .env("BOOCODE_ALLOWED_ROOTS", &dir)
        .env("HOME", &dir)
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", args.server.display()))?;
    let pid = child.id().context("no pid")?;
    if let Some(cpu) = args.server_cpu {
        pin(pid, cpu)?;
    }
    if let Some(cpu) = args.client_cpu {
        pin(std::process::id(), cpu)?;
    }
    let mut lines = BufReader::new(child.stderr.take().context("no stderr")?).lines();
    let addr = loop {
        let line = lines.next_line().await?.context("the server exited")?;
        if let Some(a) = line.strip_prefix("listening on http://") {
            break a.trim().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let project = post(
        &http,
        &format!("{base}/api/projects"),
        json!({ "path": dir.join("repo") }),
    )
    .await?;
    let pid_project = project["id"].as_str().context("project id")?.to_owned();
    let mut chats = Vec::new();
    for i in 0..args.chats {
        let created = post(
            &http,
            &format!("{base}/api/projects/{pid_project}/sessions"),
            json!({ "title": format!("load {i}") }),
        )
        .await?;
        chats.push((
            created["session"]["id"].as_str().unwrap().to_owned(),
            created["chat"]["id"].as_str().unwrap().to_owned(),
        ));
    }
    let idle_rss = rss_kib(pid);

    let frames = Arc::new(AtomicU64::new(0));
    let latencies: Arc<Mutex<Vec<u64>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..args.clients {
        let (session, _) = chats[c % chats.len()].clone();
        let url = format!("ws://{addr}/api/sessions/{session}/ws");
        let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
        let (frames, latencies, stop) = (frames.clone(), latencies.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let Ok(Some(Ok(msg))) =
                    tokio::time::timeout(Duration::from_millis(500), ws.next()).await
                else {
                    continue;
                };
                let received = now_micros();
                let tokio_tungstenite::tungstenite::Message::Text(text) = msg else {
                    continue;
                };
                frames.fetch_add(1, Ordering::Relaxed);
                if let Some(sent) = delta_stamp(&text) {
                    mine.push(received.saturating_sub(sent));
                }
            }
            latencies.lock().await.extend(mine);
        }));
    }

    // Keep every chat busy: post, wait for the turn to finish (polling the API), post again.
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let turns = Arc::new(AtomicU64::new(0));
    let cpu_before = cpu_ms(pid);
    let own_cpu_before = cpu_ms(std::process::id());
    let mut drivers = Vec::new();
    for (i, (_, chat)) in chats.clone().into_iter().enumerate() {
        let (http, base, turns) = (http.clone(), base.clone(), turns.clone());
        let poll = Duration::from_millis(args.poll_ms);
        let offset = if args.stagger {
            Duration::from_micros(args.delta_ms * 1000 * i as u64 / args.chats.max(1) as u64)
        } else {
            Duration::ZERO
        };
        drivers.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            while Instant::now() < deadline {
                if post(
                    &http,
                    &format!("{base}/api/chats/{chat}/messages"),
                    json!({ "text": "go" }),
                )
                .await
                .is_err()
                {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
                loop {
                    tokio::time::sleep(poll).await;
                    let Ok(resp) = http
                        .get(format!("{base}/api/chats/{chat}/messages?limit=1"))
                        .send()
                        .await
                    else {
                        continue;
                    };
                    let page: Value = serde_json::from_str(&resp.text().await.unwrap_or_default())
                        .unwrap_or_default();
                    if page["running"] == false {
                        break;
                    }
                }
                turns.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut peak_rss = 0;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        peak_rss = peak_rss.max(rss_kib(pid).unwrap_or(0));
    }
    let counted = frames.load(Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    let server_cpu = cpu_ms(pid) - cpu_before;
    let own_cpu = cpu_ms(std::process::id()) - own_cpu_before;
    for d in drivers {
        let _ = d.await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.await;
    }
    let mut lat = latencies.lock().await.clone();
    lat.sort_unstable();
    let end_rss = rss_kib(pid);
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "clients {} over {} chats, {:.0} s, {} turns completed",
        args.clients,
        args.chats,
        elapsed,
        turns.load(Ordering::Relaxed)
    );
    println!(
        "frames delivered: {counted} ({:.0} frames/s)",
        counted as f64 / elapsed
    );
    println!(
        "model delta -> WS frame latency over {} stamped deltas: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.len(),
        percentile(&lat, 0.50) as f64 / 1000.0,
        percentile(&lat, 0.99) as f64 / 1000.0,
        lat.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    println!(
        "server CPU: {:.0}% of one core, {:.1} µs per frame delivered",
        server_cpu / (elapsed * 1000.0) * 100.0,
        server_cpu * 1000.0 / counted.max(1) as f64
    );
    println!(
        "load generator CPU (scripted model and clients): {:.0}% of one core",
        own_cpu / (elapsed * 1000.0) * 100.0
    );
    println!(
        "server RSS: idle {} MiB, peak {} MiB, end {} MiB",
        idle_rss.unwrap_or(0) / 1024,
        peak_rss / 1024,
        end_rss.unwrap_or(0) / 1024
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::delta_stamp;

    #[test]
    fn only_text_delta_frames_give_a_stamp() {
        let delta = r#"{"type":"event","chat_id":"c","message_id":"m","seq":3,"event":{"type":"text_delta","text":"t7@1700000000123456 "}}"#;
        assert_eq!(delta_stamp(delta), Some(1_700_000_000_123_456));
        // A finished message carries every stamp of its turn: it must not count.
        let finished = r#"{"type":"message_finished","chat_id":"c","message":{"parts":[{"type":"text","text":"t0@1 t1@2 "}]}}"#;
        assert_eq!(delta_stamp(finished), None);
        let reasoning = r#"{"type":"event","event":{"type":"reasoning_delta","text":"t1@5 "}}"#;
        assert_eq!(delta_stamp(reasoning), None);
        assert_eq!(delta_stamp("not json"), None);
    }
}
