//! What hooks cost a tool call: an event with no settings file (every chat pays this), one
//! with a settings file whose matcher does not apply, and one that runs a trivial command
//! (`true`: a shell start, the envelope written, the exit read).
//!
//! `cargo bench -p boocode-tools --bench hooks`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use boocode_core::{CancellationToken, HookEvent, HookInput, Hooks};
use boocode_tools::{CommandHooks, HookFiles, HookPolicy, HookScope};
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::Path;

fn hooks(root: &Path) -> CommandHooks {
    CommandHooks::new(
        HookFiles::new(root, None),
        HookScope::new("bench", root),
        HookPolicy::default(),
    )
}

fn settings(root: &Path, matcher: &str) {
    std::fs::create_dir_all(root.join(".boocode")).unwrap();
    let value = serde_json::json!({"hooks": {"PreToolUse": [{"matcher": matcher,
        "hooks": [{"type": "command", "command": "true"}]}]}});
    std::fs::write(root.join(".boocode/settings.json"), value.to_string()).unwrap();
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let input = || {
        HookInput::tool(
            HookEvent::PreToolUse,
            "grep",
            serde_json::json!({"pattern": "fn main"}),
            Some("c1"),
        )
    };
    let cancel = CancellationToken::new();
    let mut group = c.benchmark_group("hooks");
    let none = tempfile::tempdir().unwrap();
    let h = hooks(none.path());
    group.bench_function("no_settings_file", |b| {
        b.iter(|| rt.block_on(h.run(input(), &cancel)))
    });
    let other = tempfile::tempdir().unwrap();
    settings(other.path(), "Bash");
    let h = hooks(other.path());
    group.bench_function("no_matching_hook", |b| {
        b.iter(|| rt.block_on(h.run(input(), &cancel)))
    });
    let one = tempfile::tempdir().unwrap();
    settings(one.path(), "grep");
    let h = hooks(one.path());
    group.bench_function("one_true_command", |b| {
        b.iter(|| {
            let outcome = rt.block_on(h.run(input(), &cancel));
            assert_eq!(outcome.runs.len(), 1);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
