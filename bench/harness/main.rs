//! The harness's own cost, side by side with its peers: the same scripted model drives
//! `boocode run` and the peers' one-shot CLIs installed in `tests/peers` (`opencode run`,
//! `claude -p`, `qwen`) and `bench/peers` (`pi -p`, `codex exec`, `gemini -p`; Codex and
//! gemini-cli against the testkit's scripted Responses and Gemini APIs) through each scenario — `one-line` (a one-sentence answer) and
//! `tool-loop` (ten steps alternating each harness's own grep and read tools over a small
//! project, then the answer; the last request must carry what the files hold) and `big-read`
//! (one read of a 200 KB file, then the answer). Measured per run: wall time, CPU time
//! and peak resident memory of the whole process tree, and the requests and bytes sent to the
//! model. Medians and spreads over `--runs` runs, all in one run of this program (the ratios
//! are the claim, not the absolute times).
//!
//! ```text
//! scripts/bench-harness                     # release build, 5 runs, writes docs/BENCHMARKS.md
//! target/release/harness --runs 3 --min-speedup 20 --min-leaner 10   # the regression guard
//! ```
//!
//! Each run gets a fresh home and project directory; nothing of the machine's settings is read.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

mod models;
mod peers;
mod procs;
mod resume;
mod server;
#[path = "../shared.rs"]
mod shared;

use anyhow::{Result, bail};
use clap::Parser;
use models::Models;
use peers::command_for;
use procs::measure;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Parser)]
struct Args {
    /// Runs per peer.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The `boocode` binary.
    #[arg(long, default_value = "target/release/boocode")]
    boocode: PathBuf,
    /// Where the peers' programs are (`npm install` in tests/peers).
    #[arg(long, default_value = "tests/peers/node_modules/.bin")]
    peers: PathBuf,
    /// Where the harnesses only the benchmark runs are (`npm install` in bench/peers).
    #[arg(long, default_value = "bench/peers/node_modules/.bin")]
    bench_peers: PathBuf,
    /// Only these peers (comma-separated: boocode, opencode, claude, qwen, pi, codex, gemini).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The scenarios to run (comma-separated: one-line, tool-loop, big-read, sessions, resume).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "one-line,tool-loop,big-read,sessions,resume"
    )]
    scenarios: Vec<String>,
    /// The `boocode-server` binary (the sessions scenario).
    #[arg(long, default_value = "target/release/boocode-server")]
    server: PathBuf,
    /// Sessions served at once in the sessions scenario.
    #[arg(long, default_value_t = 20)]
    sessions: usize,
    /// Turns of the long chat in the resume scenario.
    #[arg(long, default_value_t = 200)]
    turns: usize,
    /// Write the figures as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the Markdown report here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Fail unless boocode's median wall time is this many times below opencode's.
    #[arg(long)]
    min_speedup: Option<f64>,
    /// Fail unless boocode's median peak memory is this many times below opencode's.
    #[arg(long)]
    min_leaner: Option<f64>,
}

/// One run of one peer.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall_ms: f64,
    cpu_ms: f64,
    peak_rss_kib: u64,
    requests: usize,
    request_bytes: usize,
    /// From the model's last byte to the answer on the harness's standard output.
    answer_ms: f64,
}

/// The peers, in the order of the report.
const PEERS: [&str; 7] = [
    "boocode", "opencode", "claude", "qwen", "pi", "codex", "gemini",
];

const PROMPT: &str = "Say hello in one short sentence.";
const ANSWER: &str = "Hello from the scripted model.";
/// Written into every file of the tool-loop project: the read results must carry it back.
const NEEDLE: &str = "needle-7f3a";
/// Tool steps in the tool-loop scenario.
const STEPS: usize = 10;

/// The model requests made since the first `before` ones and their bytes.
fn requests_since(models: &Models, before: usize) -> (usize, usize) {
    let all = models.requests();
    let new = all.get(before..).unwrap_or_default();
    (new.len(), new.iter().map(|b| b.to_string().len()).sum())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Median and (min, max) of one figure over the samples.
fn stats<T>(samples: &[T], figure: impl Fn(&T) -> f64) -> (f64, f64, f64) {
    let mut values: Vec<f64> = samples.iter().map(figure).collect();
    let m = median(&mut values);
    (m, values[0], values[values.len() - 1])
}

type Results = BTreeMap<(String, String), Result<Vec<Sample>, String>>;

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let peers: Vec<&str> = PEERS
        .into_iter()
        .filter(|p| args.only.is_empty() || args.only.iter().any(|o| o == p))
        .collect();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut results = Results::new();
    let mut served = Vec::new();
    let mut resumed = Vec::new();
    for scenario in &args.scenarios {
        if scenario == "sessions" {
            served = server::run(&args).await;
            continue;
        }
        if scenario == "resume" {
            resumed = resume::run(&args).await;
            continue;
        }
        if !["one-line", "tool-loop", "big-read"].contains(&scenario.as_str()) {
            bail!("unknown scenario {scenario} (one-line, tool-loop, big-read, sessions, resume)");
        }
        for peer in &peers {
            let result = run_peer(&args, peer, scenario).await?;
            match &result {
                Err(why) => eprintln!("{scenario} / {peer}: {why}"),
                Ok(samples) => eprintln!("{scenario} / {peer}: {} runs", samples.len()),
            }
            results.insert((scenario.clone(), (*peer).to_owned()), result);
        }
    }
    report(&args, &results, &served, &resumed)?;
    check(&args, &results)
}

/// One warm-up run, then `--runs` measured ones of `peer` in `scenario`; `Err` says why the
/// peer could not be measured.
async fn run_peer(args: &Args, peer: &str, scenario: &str) -> Result<Result<Vec<Sample>, String>> {
    // Fresh servers per peer: a reply one peer left unused cannot answer another.
    let models = Models::start().await?;
    let mut samples = Vec::new();
    for run in 0..=args.runs {
        let dir = tempfile::tempdir()?;
        let Some(command) = command_for(peer, scenario, args, &models, dir.path())? else {
            return Ok(Err(
                "not installed (npm install in tests/peers and bench/peers)".to_owned(),
            ));
        };
        let before = models.requests().len();
        let measured = match measure(command).await {
            Ok(m) => m,
            Err(e) => return Ok(Err(format!("failed: {e:#}"))),
        };
        // A reply the peer did not ask for would answer its next run.
        if models.remaining() > 0 {
            return Ok(Err("left a scripted reply unused".into()));
        }
        if scenario != "one-line" && !last_request_has(&models, NEEDLE) {
            return Ok(Err("the files' contents never reached the model".into()));
        }
        let Some(last_byte) = models.last_byte_before(measured.shown) else {
            return Ok(Err("the answer was shown before the model sent it".into()));
        };
        let (requests, request_bytes) = requests_since(&models, before);
        if run > 0 {
            samples.push(Sample {
                wall_ms: measured.wall_ms,
                cpu_ms: measured.cpu_ms,
                peak_rss_kib: measured.peak_rss_kib,
                requests,
                request_bytes,
                answer_ms: measured.shown.duration_since(last_byte).as_secs_f64() * 1000.0,
            });
        }
    }
    Ok(Ok(samples))
}

/// Whether the last model request contains `needle`.
fn last_request_has(models: &Models, needle: &str) -> bool {
    models
        .requests()
        .last()
        .is_some_and(|body| body.to_string().contains(needle))
}

/// One scenario's Markdown table and JSON figures: `heading`, a header of `columns`, then a
/// row per peer — its `label` and the cells `row` makes of its samples, or dashes and the
/// reason it could not be measured. A peer with no samples (`--runs 0`) gets no row.
fn table<'a, T: 'a>(
    heading: &str,
    columns: &[&str],
    results: impl IntoIterator<Item = (&'a str, &'a Result<Vec<T>, String>)>,
    label: impl Fn(&str) -> String,
    row: impl Fn(&[T]) -> (Vec<String>, Value),
) -> (String, Value) {
    let mut markdown = format!(
        "{heading}\n\n| {} |\n|{}\n",
        columns.join(" | "),
        " --- |".repeat(columns.len())
    );
    let mut figures = serde_json::Map::new();
    for (peer, result) in results {
        match result {
            Ok(samples) if !samples.is_empty() => {
                let (cells, json) = row(samples);
                markdown.push_str(&format!("| {} | {} |\n", label(peer), cells.join(" | ")));
                figures.insert(peer.to_owned(), json);
            }
            Ok(_) => {}
            Err(why) => {
                let dashes = " — |".repeat(columns.len().saturating_sub(2));
                markdown.push_str(&format!("| {} |{dashes} {why} |\n", label(peer)));
                figures.insert(peer.to_owned(), json!({"error": why}));
            }
        }
    }
    markdown.push('\n');
    (markdown, Value::Object(figures))
}

/// The Markdown image of a scenario's plot, which bench/plot.py draws from the JSON figures
/// (docs/BENCHMARKS.md links into docs/img).
fn plot_link(scenario: &str) -> String {
    format!("![{scenario}: wall time, memory and more per harness](img/harness-{scenario}.svg)\n\n")
}

fn report(
    args: &Args,
    results: &Results,
    served: &[(String, Result<Vec<server::ServerSample>, String>)],
    resumed: &[(String, Result<Vec<resume::ResumeSample>, String>)],
) -> Result<()> {
    let mut markdown = String::new();
    let mut json_out = serde_json::Map::new();
    for scenario in &args.scenarios {
        if scenario == "sessions" {
            let (table, figures) = server::report(args.sessions, served);
            markdown.push_str(&table);
            markdown.push_str(&plot_link(scenario));
            json_out.insert(scenario.clone(), figures);
            continue;
        }
        if scenario == "resume" {
            let (table, figures) = resume::report(args.turns, resumed);
            markdown.push_str(&table);
            markdown.push_str(&plot_link(scenario));
            json_out.insert(scenario.clone(), figures);
            continue;
        }
        let (table, figures) = table(
            &format!("**{scenario}**"),
            &[
                "harness",
                "wall ms (median, min–max)",
                "CPU ms",
                "peak RSS MiB",
                "model requests",
                "bytes sent (per request)",
                "last byte → answer shown, ms",
            ],
            results
                .iter()
                .filter(|((s, _), _)| s == scenario)
                .map(|((_, peer), result)| (peer.as_str(), result)),
            |peer| format!("`{peer}`"),
            |samples: &[Sample]| {
                let wall = stats(samples, |s| s.wall_ms);
                let cpu = stats(samples, |s| s.cpu_ms);
                let rss = stats(samples, |s| s.peak_rss_kib as f64 / 1024.0);
                let req = stats(samples, |s| s.requests as f64);
                let bytes = stats(samples, |s| s.request_bytes as f64);
                let answer = stats(samples, |s| s.answer_ms);
                let cells = vec![
                    format!("{:.0} ({:.0}–{:.0})", wall.0, wall.1, wall.2),
                    format!("{:.0}", cpu.0),
                    format!("{:.1} ({:.1}–{:.1})", rss.0, rss.1, rss.2),
                    format!("{:.0}", req.0),
                    format!("{:.0} ({:.0})", bytes.0, bytes.0 / req.0.max(1.0)),
                    format!("{:.1} ({:.1}–{:.1})", answer.0, answer.1, answer.2),
                ];
                let figures = json!({"runs": samples.len(), "wall_ms": wall, "cpu_ms": cpu,
                       "peak_rss_mib": rss, "requests": req.0, "request_bytes": bytes.0,
                       "answer_shown_ms": answer});
                (cells, figures)
            },
        );
        markdown.push_str(&table);
        markdown.push_str(&plot_link(scenario));
        json_out.insert(scenario.clone(), figures);
    }
    println!("{markdown}");
    if let Some(path) = &args.json {
        std::fs::write(
            path,
            serde_json::to_string_pretty(&Value::Object(json_out))?,
        )?;
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, markdown)?;
    }
    Ok(())
}

/// The regression guard: boocode must stay this far ahead of opencode.
fn check(args: &Args, results: &Results) -> Result<()> {
    if args.min_speedup.is_none() && args.min_leaner.is_none() {
        return Ok(());
    }
    let figures = |peer: &str| -> Result<(f64, f64)> {
        match results.get(&("one-line".to_owned(), peer.to_owned())) {
            Some(Ok(samples)) if !samples.is_empty() => Ok((
                stats(samples, |s| s.wall_ms).0,
                stats(samples, |s| s.peak_rss_kib as f64).0,
            )),
            Some(Err(why)) => bail!("{peer} could not be measured: {why}"),
            _ => bail!("{peer} was not measured in the one-line scenario"),
        }
    };
    let (ours, theirs) = (figures("boocode")?, figures("opencode")?);
    let (speedup, leaner) = (theirs.0 / ours.0, theirs.1 / ours.1);
    println!("boocode vs opencode one-shot: {speedup:.1}x faster, {leaner:.1}x leaner");
    if let Some(min) = args.min_speedup
        && speedup < min
    {
        bail!("boocode is only {speedup:.1}x faster than opencode (floor {min}x)");
    }
    if let Some(min) = args.min_leaner
        && leaner < min
    {
        bail!("boocode is only {leaner:.1}x leaner than opencode (floor {min}x)");
    }
    Ok(())
}
