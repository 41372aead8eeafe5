//! The memory of an arena: a real `boocode-server` runs one prompt through N native contenders
//! (scripted models streaming a write and a long answer), each in its own git worktree of a
//! repository of `--files` files, then a verify command in each. Reports the server's resident
//! memory before, its peak while the arena ran (sampled every 10 ms, and the kernel's high-water
//! mark) and the arena's wall time.
//!
//! ```text
//! cargo build --release -p boocode-server -p boocode-bench
//! target/release/arena_rss --server target/release/boocode-server --contenders 4 --files 10000
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use anyhow::{Result, bail};
use boocode_testkit::{Reply, ScriptedOpenAi};
use clap::Parser;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[path = "shared.rs"]
mod shared;
use shared::{post, rss_kib, start_server};

#[derive(Debug, Parser)]
struct Args {
    /// The server binary.
    #[arg(long, default_value = "target/release/boocode-server")]
    server: PathBuf,
    /// Contenders (2–8).
    #[arg(long, default_value_t = 4)]
    contenders: usize,
    /// Files in the repository each worktree holds.
    #[arg(long, default_value_t = 10_000)]
    files: usize,
    /// Text deltas each contender streams after its write.
    #[arg(long, default_value_t = 400)]
    deltas: usize,
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn git(dir: &std::path::Path, args: &[&str]) -> Result<()> {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .output()?;
    if !out.status.success() {
        bail!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    // A binary, not a library: the process-wide TLS provider is ours to pick.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = std::env::temp_dir().join(format!("boocode-arena-{}", std::process::id()));
    let repo = dir.join("repo");
    for i in 0..args.files {
        let sub = repo.join(format!("src/m{}", i / 100));
        std::fs::create_dir_all(&sub)?;
        std::fs::write(
            sub.join(format!("f{i}.rs")),
            format!("pub fn f{i}() -> u32 {{ {i} }}\n"),
        )?;
    }
    git(&repo, &["init", "--quiet"])?;
    git(&repo, &["add", "--all"])?;
    git(&repo, &["commit", "--quiet", "-m", "start"])?;

    let model = ScriptedOpenAi::start().await?;
    for i in 0..args.contenders {
        let mut answer = Reply::stream();
        for d in 0..args.deltas {
            answer = answer.text(&format!("word{d} "));
        }
        model.answer_matching(
            &format!(r#""tool_call_id":"c{i}""#),
            answer.usage(1000, args.deltas as u64),
        );
        let write =
            json!({ "path": format!("ARENA{i}.md"), "content": format!("contender {i}\n") })
                .to_string();
        model.answer_matching(
            &format!(r#""model":"m{i}""#),
            Reply::stream()
                .tool_call(&format!("c{i}"), "create_file", &[write.as_str()])
                .usage(800, 20),
        );
    }

    let (data, config) = (dir.join("data"), dir.join("config"));
    let (child, pid, addr) = start_server(
        &args.server,
        &dir,
        &model.url(),
        &[
            ("XDG_DATA_HOME", data.as_os_str()),
            ("XDG_CONFIG_HOME", config.as_os_str()),
        ],
    )
    .await?;
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let project = post(
        &http,
        &format!("{base}/api/projects"),
        json!({ "path": repo }),
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
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid).unwrap_or(0);

    let contenders: Vec<Value> = (0..args.contenders)
        .map(|i| json!({ "provider": "boocode", "model": format!("m{i}") }))
        .collect();
    let started = Instant::now();
    let arena = post(
        &http,
        &format!("{base}/api/sessions/{session}/arenas"),
        json!({ "prompt": "write your file", "contenders": contenders, "verify": "test -f ARENA0.md" }),
    )
    .await?;
    let id = arena["id"].as_str().unwrap().to_owned();
    let mut peak = before;
    let mut last_poll = Instant::now() - Duration::from_secs(1);
    let summary = loop {
        peak = peak.max(rss_kib(pid).unwrap_or(0));
        if last_poll.elapsed() >= Duration::from_millis(200) {
            last_poll = Instant::now();
            let arena: Value = http
                .get(format!("{base}/api/arenas/{id}"))
                .send()
                .await?
                .json()
                .await?;
            if arena["contenders"]
                .as_array()
                .is_some_and(|c| c.iter().all(|c| c["state"] == "done"))
            {
                break arena;
            }
            if started.elapsed() > Duration::from_secs(600) {
                bail!("the arena did not finish: {arena}");
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let wall = started.elapsed();
    let hwm = status_kib(pid, "VmHWM:");
    let passed = summary["contenders"]
        .as_array()
        .map(|c| c.iter().filter(|c| c["verify_exit"] == 0).count())
        .unwrap_or(0);
    println!(
        "arena of {} native contenders on {} files: {:.2} s wall; server RSS {:.1} MiB before, \
         {:.1} MiB peak (sampled), high-water mark {:.1} MiB; verify passed for {passed}",
        args.contenders,
        args.files,
        wall.as_secs_f64(),
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        hwm as f64 / 1024.0,
    );
    let _ = http.delete(format!("{base}/api/arenas/{id}")).send().await;
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
