//! The cost of isolating an agent: making and removing a worktree of a repository with 10,000
//! files (a git worktree), the same for a plain directory (a copy), and measuring what changed
//! after ten files were edited.
//!
//! ```text
//! cargo build --release -p boocode-bench --bin worktree_figures
//! target/release/worktree_figures --files 10000 --rounds 10
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

#[path = "shared.rs"]
mod shared;

use anyhow::{Context, Result, ensure};
use boocode_worktree::{WorktreeOptions, Worktrees};
use clap::Parser;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
struct Args {
    /// Files in the project.
    #[arg(long, default_value_t = 10_000)]
    files: usize,
    /// Make-and-remove rounds for each kind.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
}

/// `files` small source files in 100 directories.
fn fill(dir: &Path, files: usize) -> Result<()> {
    for i in 0..files {
        let path = dir.join(format!("src/m{:03}/f{i:05}.rs", i % 100));
        std::fs::create_dir_all(path.parent().context("a parent")?)?;
        std::fs::write(&path, format!("pub fn f{i}() -> usize {{\n    {i}\n}}\n"))?;
    }
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<()> {
    let status = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.invalid",
        ])
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .status()?;
    ensure!(status.success(), "git {args:?} failed");
    Ok(())
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

async fn measure(label: &str, project: &Path, home: &Path, rounds: usize) -> Result<()> {
    let worktrees = Worktrees::open(project, home).await?;
    let (mut make, mut remove, mut changes) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        let tree = worktrees.create(WorktreeOptions::new("bench")).await?;
        make.push(micros(start.elapsed()));
        for i in 0..10 {
            let path = tree
                .workdir()
                .join(format!("src/m{:03}/f{i:05}.rs", i % 100));
            std::fs::write(&path, "pub fn changed() {}\n")?;
        }
        let start = Instant::now();
        let found = tree.changes().await?;
        changes.push(micros(start.elapsed()));
        ensure!(found.len() == 10, "{} changes, not 10", found.len());
        let start = Instant::now();
        worktrees.remove(tree.id()).await?;
        remove.push(micros(start.elapsed()));
    }
    for (what, mut values) in [
        ("make", make),
        ("changes of 10 files", changes),
        ("remove", remove),
    ] {
        values.sort_unstable();
        let as_ms = |us: u64| us as f64 / 1000.0;
        println!(
            "{label:>5} {what:<20} p50 {:>8.1} ms   max {:>8.1} ms",
            as_ms(shared::percentile(&values, 0.5)),
            as_ms(values.last().copied().unwrap_or_default())
        );
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let tmp = tempfile::tempdir()?;
    let repo = tmp.path().join("repo");
    fill(&repo, args.files)?;
    git(&repo, &["init", "--quiet"])?;
    git(&repo, &["add", "--all"])?;
    git(&repo, &["commit", "--quiet", "-m", "files"])?;
    let plain = tmp.path().join("plain");
    fill(&plain, args.files)?;
    println!("{} files, {} rounds each", args.files, args.rounds);
    measure("git", &repo, &tmp.path().join("home-git"), args.rounds).await?;
    measure("copy", &plain, &tmp.path().join("home-copy"), args.rounds).await?;
    Ok(())
}
