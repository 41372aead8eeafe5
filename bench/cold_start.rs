//! How long `boocode-server` takes from being started to answering `GET /api/health` with 200,
//! on a fresh SQLite database (migrations included): the median and spread of `--runs` starts.
//!
//! ```text
//! cargo build --release -p boocode-server -p boocode-bench
//! target/release/cold_start --server target/release/boocode-server --runs 20
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

mod shared;

use anyhow::{Result, bail};
use clap::Parser;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// The `boocode-server` binary.
    #[arg(long, default_value = "target/release/boocode-server")]
    server: PathBuf,
    /// Starts to time.
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    // The binary picks the process-wide TLS provider, as every BooCode binary does.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let mut times = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let dir = tempfile::tempdir()?;
        let started = Instant::now();
        // The model is never asked: an address nothing listens on will do.
        let (child, _, addr) =
            shared::start_server(&args.server, dir.path(), "http://127.0.0.1:9", &[]).await?;
        loop {
            let healthy = http
                .get(format!("http://{addr}/api/health"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy {
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the server was not healthy after 30 s");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        times.push(started.elapsed().as_micros() as u64);
        drop(child);
    }
    times.sort_unstable();
    let ms = |us: u64| us as f64 / 1000.0;
    println!(
        "cold start to healthy over {} runs: median {:.1} ms, min {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        times.len(),
        ms(shared::percentile(&times, 0.5)),
        ms(times[0]),
        ms(shared::percentile(&times, 0.9)),
        ms(times[times.len() - 1])
    );
    Ok(())
}
