//! `grep` and `find_files` against ripgrep (`rg`) on a large tree.
//!
//! `cargo bench -p boocode-tools --bench search_vs_rg`
//!
//! The tree is `$BOOCODE_BENCH_TREE`, or the crates under `~/.cargo/registry/src`. Both sides
//! scan the whole tree with .gitignore honoured (`rg --no-require-git`, as the tools do), hidden
//! files skipped and binaries detected; the patterns are rare enough that neither stops early.
//! `rg` runs as a process, as a user runs it; the tools run in-process through the `Tool` trait
//! (guards, walking, searching and formatting included). Needs `rg` on PATH (Debian: ripgrep).
#![allow(
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]

use boocode_core::{Tool, ToolContext, ToolLimits, ToolSet};
use boocode_tools::{PathGuard, Tier, ToolEnv, read_tools};
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

fn tree() -> PathBuf {
    if let Some(dir) = std::env::var_os("BOOCODE_BENCH_TREE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    home.join("registry/src")
}

fn rg(args: &[&str], tree: &PathBuf) -> usize {
    let out = Command::new("rg")
        .args(args)
        .arg(tree)
        .output()
        .expect("rg on PATH");
    out.stdout.iter().filter(|b| **b == b'\n').count()
}

fn benches(c: &mut Criterion) {
    let tree = tree();
    if Command::new("rg").arg("--version").output().is_err() {
        eprintln!("rg is not installed; skipping the comparison (apt-get install ripgrep)");
        return;
    }
    let env = Arc::new(ToolEnv::new(PathGuard::new(&tree).unwrap()));
    let (tools, _): (ToolSet, _) = read_tools(env, Tier::Core, None);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let ctx = ToolContext::new("bench").limits(
        ToolLimits::default()
            .max_output_bytes(64 * 1024 * 1024)
            .timeout(Duration::from_secs(600)),
    );
    let call = |name: &str, args: serde_json::Value| -> String {
        let tool: &Arc<dyn Tool> = tools.get(name).unwrap();
        rt.block_on(tool.execute(args, &ctx)).unwrap().content
    };

    // Sanity: both sides agree on what they find.
    let ours = call(
        "grep",
        serde_json::json!({"pattern": "unsafe impl Send", "literal": true, "case": "sensitive", "max_results": 2000}),
    );
    let theirs = rg(&["--no-require-git", "-F", "-n", "unsafe impl Send"], &tree);
    eprintln!(
        "grep matches: boocode {} / rg {theirs}",
        ours.lines().count() - 1
    );
    let ours = call(
        "find_files",
        serde_json::json!({"pattern": "Cargo.toml", "max_results": 5000}),
    );
    let theirs = rg(&["--no-require-git", "--files", "-g", "Cargo.toml"], &tree);
    eprintln!(
        "find_files: boocode {} / rg {theirs}",
        ours.lines().count() - 1
    );

    let mut group = c.benchmark_group("search");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("grep_literal/boocode", |b| {
        b.iter(|| call("grep", serde_json::json!({"pattern": "unsafe impl Send", "literal": true, "case": "sensitive", "max_results": 2000})))
    });
    group.bench_function("grep_literal/rg", |b| {
        b.iter(|| rg(&["--no-require-git", "-F", "-n", "unsafe impl Send"], &tree))
    });
    group.bench_function("grep_regex/boocode", |b| {
        b.iter(|| {
            call(
                "grep",
                serde_json::json!({"pattern": r"fn\s+deserialize_\w+_option", "max_results": 2000}),
            )
        })
    });
    group.bench_function("grep_regex/rg", |b| {
        b.iter(|| {
            rg(
                &[
                    "--no-require-git",
                    "-S",
                    "-n",
                    r"fn\s+deserialize_\w+_option",
                ],
                &tree,
            )
        })
    });
    group.bench_function("find_files/boocode", |b| {
        b.iter(|| {
            call(
                "find_files",
                serde_json::json!({"pattern": "Cargo.toml", "max_results": 5000}),
            )
        })
    });
    group.bench_function("find_files/rg", |b| {
        b.iter(|| rg(&["--no-require-git", "--files", "-g", "Cargo.toml"], &tree))
    });
    group.finish();
}

criterion_group!(search_vs_rg, benches);
criterion_main!(search_vs_rg);
