//! What the load scripts share: the server's memory, percentiles, a JSON POST.
#![allow(dead_code)] // each script uses part of this

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::Path;
use tokio::io::{AsyncBufReadExt, BufReader};

/// A process's resident memory in KiB (Linux `/proc`).
pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: u64 = 100;

/// The fields of `/proc/<who>/stat` (`who`: a pid or `self`) after the command name, which
/// may hold spaces: index 1 is the parent pid, 11 and 12 the user and system ticks, 13 and 14
/// those of waited-for children.
pub(crate) fn stat_fields(who: &str) -> Option<Vec<u64>> {
    let stat = std::fs::read_to_string(format!("/proc/{who}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    // Field 0 is the state letter; the numbers after it are what callers read.
    Some(
        rest.split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect(),
    )
}

/// CPU ticks (user + system) a process has used, from its stat fields.
pub(crate) fn own_ticks(fields: &[u64]) -> Option<u64> {
    Some(fields.get(11)? + fields.get(12)?)
}

/// CPU ticks as milliseconds.
pub(crate) fn ticks_ms(ticks: u64) -> f64 {
    (ticks * 1000 / TICKS_PER_SECOND) as f64
}

/// The `p` quantile (0–1) of sorted values, nearest rank.
pub(crate) fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// POSTs `body` as JSON and returns the JSON answer, failing on a non-2xx status.
pub(crate) async fn post(http: &reqwest::Client, url: &str, body: Value) -> Result<Value> {
    let resp = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    let status = resp.status();
    let text = resp.text().await?;
    if !status.is_success() {
        bail!("POST {url}: {status} {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

/// Starts `boocode-server` (`server`) on an ephemeral loopback port with a fresh SQLite file in
/// `dir` (which it may serve projects from), the model at `model_url` and `env` on top; returns
/// the child (killed on drop), its pid and its address. Its log is drained.
pub(crate) async fn start_server(
    server: &Path,
    dir: &Path,
    model_url: &str,
    env: &[(&str, &std::ffi::OsStr)],
) -> Result<(tokio::process::Child, u32, String)> {
    let mut command = tokio::process::Command::new(server);
    command
        .args([
            "--bind",
            "127.0.0.1:0",
            "--database",
            &format!("sqlite://{}", dir.join("db.sqlite").display()),
            "--model-url",
            model_url,
        ])
        .env("BOOCODE_ALLOWED_ROOTS", dir)
        .env("HOME", dir)
        .env("BOOCODE_LOG", "warn")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().context("cannot start the server")?;
    let pid = child.id().context("server pid")?;
    let mut lines = BufReader::new(child.stderr.take().context("stderr")?).lines();
    let mut addr = String::new();
    while let Some(line) = lines.next_line().await? {
        if let Some(a) = line.strip_prefix("listening on http://") {
            addr = a.trim().to_owned();
            break;
        }
    }
    if addr.is_empty() {
        bail!("the server stopped before listening");
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, pid, addr))
}

/// Sets `command` (an `opencode` program) up to run isolated: `home` as its home and XDG
/// directories, `work` as its project, and `config` — written to `work/opencode.json` — as its
/// only settings; no auto-update.
pub(crate) fn isolate_opencode(
    command: &mut tokio::process::Command,
    home: &Path,
    work: &Path,
    config: &Value,
) -> Result<()> {
    let config_path = work.join("opencode.json");
    std::fs::write(&config_path, config.to_string())
        .with_context(|| format!("cannot write {}", config_path.display()))?;
    command
        .current_dir(work)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("OPENCODE_DISABLE_AUTOUPDATE", "1")
        .env("OPENCODE_CONFIG", config_path);
    Ok(())
}
