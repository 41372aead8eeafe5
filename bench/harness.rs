//! The harness's own cost, side by side with its peers: the same scripted model answers a
//! one-line prompt given to `boocode run` and to the peers' one-shot CLIs installed in
//! `tests/peers` (`opencode run`, `claude -p`, `qwen`). Measured per run: wall time, CPU time
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

use anyhow::{Context, Result, bail};
use boocode_testkit::{AnthropicReply, Reply, ScriptedAnthropic, ScriptedOpenAi, opencode_config};
use clap::Parser;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
    /// Only these peers (comma-separated: boocode, opencode, claude, qwen).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
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
}

/// The scripted model servers: OpenAI-compatible and Anthropic.
struct Models {
    openai: ScriptedOpenAi,
    anthropic: ScriptedAnthropic,
}

const PROMPT: &str = "Say hello in one short sentence.";
const ANSWER: &str = "Hello from the scripted model.";

/// Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// `(ppid, utime + stime ticks, rss KiB)` of a process, from `/proc`.
fn proc_stat(pid: u32) -> Option<(u32, u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields start after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ppid = fields.get(1)?.parse().ok()?;
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let rss_pages: u64 = fields.get(21)?.parse().ok()?;
    Some((ppid, ticks, rss_pages * 4))
}

/// CPU ticks of this process's waited-for descendants (`cutime + cstime`): what a child that
/// exited spent, however short its life.
fn children_ticks() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            let rest = stat[stat.rfind(')')? + 2..].to_owned();
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

/// The pids of `root` and all its descendants, with their CPU ticks and RSS.
fn tree(root: u32) -> BTreeMap<u32, (u64, u64)> {
    let mut all = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            if let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
                && let Some(stat) = proc_stat(pid)
            {
                all.insert(pid, stat);
            }
        }
    }
    let mut members = BTreeMap::new();
    let mut frontier = vec![root];
    while let Some(pid) = frontier.pop() {
        if let Some(&(_, ticks, rss)) = all.get(&pid) {
            members.insert(pid, (ticks, rss));
        }
        frontier.extend(
            all.iter()
                .filter(|(_, (ppid, _, _))| *ppid == pid)
                .map(|(child, _)| *child),
        );
    }
    members
}

/// Runs `command` to its end, polling its process tree; the answer must contain [`ANSWER`].
async fn measure(mut command: tokio::process::Command) -> Result<(f64, f64, u64)> {
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let ticks_before = children_ticks();
    let started = Instant::now();
    let child = command.spawn().context("cannot start the peer")?;
    let pid = child.id().context("no pid")?;
    let output = tokio::spawn(child.wait_with_output());
    let (mut peak, mut cpu) = (0u64, BTreeMap::<u32, u64>::new());
    while !output.is_finished() {
        let members = tree(pid);
        peak = peak.max(members.values().map(|(_, rss)| rss).sum());
        for (pid, (ticks, _)) in members {
            let seen = cpu.entry(pid).or_default();
            *seen = (*seen).max(ticks);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let output = output.await??;
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !stdout.contains(ANSWER) {
        bail!(
            "exit {:?}; stdout {:?}; stderr {:?}",
            output.status.code(),
            stdout.chars().take(400).collect::<String>(),
            String::from_utf8_lossy(&output.stderr)
                .chars()
                .take(400)
                .collect::<String>()
        );
    }
    // Descendants reaped by their parents count in `cutime`; ones that outlived them (a daemon
    // re-parented elsewhere) only in what the polling saw. The larger is the better estimate.
    let reaped = children_ticks().saturating_sub(ticks_before);
    let polled = cpu.values().sum::<u64>();
    let cpu_ms = reaped.max(polled) as f64 * 1000.0 / TICKS_PER_SECOND;
    Ok((wall, cpu_ms, peak))
}

/// The command that runs `peer` once in `dir` (a fresh home and project), with its model
/// scripted; `None` when the peer is not installed.
fn command_for(
    peer: &str,
    args: &Args,
    models: &Models,
    dir: &Path,
) -> Result<Option<tokio::process::Command>> {
    let (home, work) = (dir.join("home"), dir.join("work"));
    std::fs::create_dir_all(&home)?;
    std::fs::create_dir_all(&work)?;
    let program = match peer {
        "boocode" => args.boocode.clone(),
        other => args.peers.join(other),
    };
    if !program.exists() {
        return Ok(None);
    }
    // The command runs in the project directory: a relative path would not resolve there.
    let program = program.canonicalize()?;
    let mut command = tokio::process::Command::new(&program);
    command.current_dir(&work).env("HOME", &home);
    match peer {
        "boocode" => {
            models.openai.push(Reply::text(ANSWER));
            command.args(["run", "--model-url", &models.openai.url(), PROMPT]);
        }
        "opencode" => {
            std::fs::write(
                work.join("opencode.json"),
                opencode_config(&models.openai.url()).to_string(),
            )?;
            models.openai.push(Reply::text(ANSWER));
            let h = |p: &str| home.join(p);
            command
                .env("XDG_CONFIG_HOME", h(".config"))
                .env("XDG_DATA_HOME", h(".local/share"))
                .env("XDG_CACHE_HOME", h(".cache"))
                .env("OPENCODE_DISABLE_AUTOUPDATE", "1")
                .env("OPENCODE_CONFIG", work.join("opencode.json"))
                .args(["run", "--model", "scripted/scripted-model", PROMPT]);
        }
        "qwen" => {
            let settings = json!({
                "general": {"enableAutoUpdate": false},
                "privacy": {"usageStatisticsEnabled": false},
                "telemetry": {"enabled": false},
                "ui": {"enableFollowupSuggestions": false},
                "memory": {"enableManagedAutoMemory": false, "enableManagedAutoDream": false,
                           "enableAutoSkill": false}
            });
            std::fs::create_dir_all(home.join(".qwen"))?;
            std::fs::write(home.join(".qwen/settings.json"), settings.to_string())?;
            models.openai.push(Reply::text(ANSWER));
            command
                .env("OPENAI_BASE_URL", format!("{}/v1", models.openai.url()))
                .env("OPENAI_API_KEY", "sk-test")
                .env("OPENAI_MODEL", "scripted-model")
                .arg(PROMPT);
        }
        "claude" => {
            models
                .anthropic
                .push(AnthropicReply::new().text(&[ANSWER]).usage(100, 10));
            command
                .env("ANTHROPIC_BASE_URL", models.anthropic.url())
                .env("ANTHROPIC_API_KEY", "sk-test")
                .env("CLAUDE_CONFIG_DIR", home.join(".claude"))
                .env("DISABLE_TELEMETRY", "1")
                .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
                .args(["-p", PROMPT, "--model", "claude-sonnet-4-5"]);
        }
        other => bail!("unknown peer {other}"),
    }
    Ok(Some(command))
}

/// The model requests made since `before` (OpenAI then Anthropic counts) and their bytes.
fn requests_since(models: &Models, before: (usize, usize)) -> (usize, usize) {
    let openai = models.openai.completion_requests();
    let anthropic = models.anthropic.message_requests();
    let new: Vec<&Value> = openai[before.0..]
        .iter()
        .chain(&anthropic[before.1..])
        .map(|r| &r.body)
        .collect();
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
fn stats(samples: &[Sample], figure: fn(&Sample) -> f64) -> (f64, f64, f64) {
    let mut values: Vec<f64> = samples.iter().map(figure).collect();
    let m = median(&mut values);
    (m, values[0], values[values.len() - 1])
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let peers: Vec<&str> = ["boocode", "opencode", "claude", "qwen"]
        .into_iter()
        .filter(|p| args.only.is_empty() || args.only.iter().any(|o| o == p))
        .collect();
    let mut results: BTreeMap<&str, Result<Vec<Sample>, String>> = BTreeMap::new();
    for peer in &peers {
        // Fresh servers per peer: a reply one peer left unused cannot answer another.
        let models = Models {
            openai: ScriptedOpenAi::start().await?,
            anthropic: ScriptedAnthropic::start().await?,
        };
        // Side requests a peer makes on its own (opencode's title) are answered outside the
        // script.
        models
            .openai
            .answer_matching("You are a title generator", Reply::text("Scripted title"));
        let mut samples = Vec::new();
        let mut failure = None;
        // One warm-up run (disk caches, a peer's first-run set-up), not counted.
        for run in 0..=args.runs {
            let dir = tempfile::tempdir()?;
            let Some(command) = command_for(peer, &args, &models, dir.path())? else {
                failure = Some("not installed (npm install in tests/peers)".to_owned());
                break;
            };
            let before = (
                models.openai.completion_requests().len(),
                models.anthropic.message_requests().len(),
            );
            match measure(command).await {
                Ok((wall_ms, cpu_ms, peak_rss_kib)) => {
                    let (requests, request_bytes) = requests_since(&models, before);
                    if run > 0 {
                        samples.push(Sample {
                            wall_ms,
                            cpu_ms,
                            peak_rss_kib,
                            requests,
                            request_bytes,
                        });
                    }
                }
                Err(e) => {
                    failure = Some(format!("failed: {e:#}"));
                    break;
                }
            }
            // A reply the peer did not ask for would answer its next run.
            if models.openai.remaining() > 0 || models.anthropic.remaining() > 0 {
                failure = Some("left a scripted reply unused".into());
                break;
            }
        }
        match &failure {
            Some(why) => eprintln!("{peer}: {} runs, then {why}", samples.len()),
            None => eprintln!("{peer}: {} runs", samples.len()),
        }
        results.insert(peer, failure.map_or(Ok(samples), Err));
    }
    report(&args, &results)?;
    check(&args, &results)
}

fn report(args: &Args, results: &BTreeMap<&str, Result<Vec<Sample>, String>>) -> Result<()> {
    let mut table = String::from(
        "| harness | wall ms (median, min–max) | CPU ms | peak RSS MiB | model requests | bytes sent |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    let mut json_out = serde_json::Map::new();
    for (peer, result) in results {
        match result {
            Ok(samples) if !samples.is_empty() => {
                let wall = stats(samples, |s| s.wall_ms);
                let cpu = stats(samples, |s| s.cpu_ms);
                let rss = stats(samples, |s| s.peak_rss_kib as f64 / 1024.0);
                let req = stats(samples, |s| s.requests as f64);
                let bytes = stats(samples, |s| s.request_bytes as f64);
                table.push_str(&format!(
                    "| `{peer}` | {:.0} ({:.0}–{:.0}) | {:.0} | {:.1} ({:.1}–{:.1}) | {:.0} | {:.0} |\n",
                    wall.0, wall.1, wall.2, cpu.0, rss.0, rss.1, rss.2, req.0, bytes.0
                ));
                json_out.insert(
                    (*peer).to_owned(),
                    json!({"runs": samples.len(), "wall_ms": wall, "cpu_ms": cpu,
                           "peak_rss_mib": rss, "requests": req.0, "request_bytes": bytes.0}),
                );
            }
            Ok(_) => {}
            Err(why) => {
                table.push_str(&format!("| `{peer}` | — | — | — | — | {why} |\n"));
                json_out.insert((*peer).to_owned(), json!({"error": why}));
            }
        }
    }
    println!("{table}");
    if let Some(path) = &args.json {
        std::fs::write(
            path,
            serde_json::to_string_pretty(&Value::Object(json_out))?,
        )?;
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, table)?;
    }
    Ok(())
}

/// The regression guard: boocode must stay this far ahead of opencode.
fn check(args: &Args, results: &BTreeMap<&str, Result<Vec<Sample>, String>>) -> Result<()> {
    if args.min_speedup.is_none() && args.min_leaner.is_none() {
        return Ok(());
    }
    let figures = |peer: &str| -> Result<(f64, f64)> {
        match results.get(peer) {
            Some(Ok(samples)) if !samples.is_empty() => Ok((
                stats(samples, |s| s.wall_ms).0,
                stats(samples, |s| s.peak_rss_kib as f64).0,
            )),
            Some(Err(why)) => bail!("{peer} could not be measured: {why}"),
            _ => bail!("{peer} was not measured"),
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
