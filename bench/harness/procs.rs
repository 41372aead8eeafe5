//! Measuring a process tree from `/proc`: CPU time, peak memory, and when the answer showed.

use crate::ANSWER;
use crate::shared::{own_ticks, stat_fields, ticks_ms};
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// `(ppid, utime + stime ticks, peak RSS KiB)` of a process, from `/proc`.
fn proc_stat(pid: u32) -> Option<(u32, u64, u64)> {
    let fields = stat_fields(&pid.to_string())?;
    let ppid = u32::try_from(*fields.get(1)?).ok()?;
    let ticks = own_ticks(&fields)?;
    // The peak so far (VmHWM), not the current size: a 5 ms poll may miss a short peak, but
    // never one that already happened.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let peak_kib = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some((ppid, ticks, peak_kib))
}

/// CPU ticks of this process's waited-for descendants (`cutime + cstime`): what a child that
/// exited spent, however short its life.
fn children_ticks() -> u64 {
    stat_fields("self")
        .and_then(|f| Some(f.get(13)? + f.get(14)?))
        .unwrap_or(0)
}

/// The pids of `root` and all its descendants, with their CPU ticks and RSS.
pub(crate) fn tree(root: u32) -> BTreeMap<u32, (u64, u64)> {
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

/// What watching a process tree saw.
pub(crate) struct Watched {
    /// The peak of the members' summed memory high-water marks, KiB.
    pub(crate) peak_kib: u64,
    /// CPU ticks: each member's latest seen, summed (a member that exited keeps its last).
    pub(crate) ticks: u64,
}

/// Runs `work` to its end while polling the process tree of `root` every 5 ms. Nothing is
/// polled after `work` ends, so a caller's clock read right after is not delayed by it.
pub(crate) async fn watch<T>(root: u32, work: impl Future<Output = T>) -> (T, Watched) {
    tokio::pin!(work);
    let (mut peak_kib, mut cpu) = (0u64, BTreeMap::<u32, u64>::new());
    loop {
        let members = tree(root);
        peak_kib = peak_kib.max(members.values().map(|(_, rss)| rss).sum());
        for (pid, (ticks, _)) in members {
            let seen = cpu.entry(pid).or_default();
            *seen = (*seen).max(ticks);
        }
        tokio::select! {
            out = &mut work => {
                let ticks = cpu.values().sum();
                return (out, Watched { peak_kib, ticks });
            }
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
    }
}

/// What one run of a peer measured.
pub(crate) struct Measured {
    pub(crate) wall_ms: f64,
    pub(crate) cpu_ms: f64,
    pub(crate) peak_rss_kib: u64,
    /// When [`ANSWER`] first appeared on its standard output.
    pub(crate) shown: Instant,
}

/// Reads a pipe to its end, noting when `needle` first appears in what was read so far.
async fn read_watching(
    mut pipe: impl tokio::io::AsyncRead + Unpin,
    needle: &'static str,
) -> std::io::Result<(Vec<u8>, Option<Instant>)> {
    use tokio::io::AsyncReadExt;
    let (mut all, mut seen, mut chunk) = (Vec::new(), None, [0u8; 8192]);
    loop {
        let n = pipe.read(&mut chunk).await?;
        if n == 0 {
            return Ok((all, seen));
        }
        all.extend_from_slice(&chunk[..n]);
        if seen.is_none() && String::from_utf8_lossy(&all).contains(needle) {
            seen = Some(Instant::now());
        }
    }
}

/// Runs `command` to its end, polling its process tree; the answer must contain [`ANSWER`].
pub(crate) async fn measure(mut command: tokio::process::Command) -> Result<Measured> {
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let ticks_before = children_ticks();
    let started = Instant::now();
    let mut child = command.spawn().context("cannot start the peer")?;
    let pid = child.id().context("no pid")?;
    let stdout = tokio::spawn(read_watching(
        child.stdout.take().context("no stdout")?,
        ANSWER,
    ));
    let stderr = tokio::spawn(read_watching(
        child.stderr.take().context("no stderr")?,
        ANSWER,
    ));
    let (status, watched) = watch(pid, child.wait()).await;
    let status = status?;
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    let (stdout, shown) = stdout.await??;
    let (stderr, _) = stderr.await??;
    let stdout = String::from_utf8_lossy(&stdout);
    let Some(shown) = shown.filter(|_| status.success()) else {
        bail!(
            "exit {:?}; stdout {:?}; stderr {:?}",
            status.code(),
            stdout.chars().take(400).collect::<String>(),
            String::from_utf8_lossy(&stderr)
                .chars()
                .take(400)
                .collect::<String>()
        );
    };
    // Descendants reaped by their parents count in `cutime`; ones that outlived them (a daemon
    // re-parented elsewhere) only in what the polling saw. The larger is the better estimate.
    let reaped = children_ticks().saturating_sub(ticks_before);
    let polled = watched.ticks;
    let cpu_ms = ticks_ms(reaped.max(polled));
    Ok(Measured {
        wall_ms: wall,
        cpu_ms,
        peak_rss_kib: watched.peak_kib,
        shown,
    })
}
