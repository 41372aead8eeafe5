//! The pending-changes path: proposing an edit (guards, queue view, diff) and applying and
//! rewinding changes (hash check, atomic replace with fsync).
//!
//! `cargo bench -p boocode-tools --bench changes`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use boocode_core::{ChangeScope, MemoryChangeQueue, ToolContext, ToolSet};
use boocode_tools::{PathGuard, ToolEnv, WriteMode, apply_pending, rewind, write_tools};
use criterion::{Criterion, criterion_group, criterion_main};
use std::sync::Arc;

fn ctx(_root: &std::path::Path) -> ToolContext {
    ToolContext::new("b")
}

/// A 10,000-line source file.
fn source() -> String {
    (0..10_000)
        .map(|i| format!("    let value_{i} = compute({i}); // line {i}\n"))
        .collect()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.rs"), source()).unwrap();
    let env = Arc::new(ToolEnv::new(PathGuard::new(dir.path()).unwrap()));
    let ctx = ctx(dir.path());

    // Propose one edit in the middle of a 10,000-line file (fresh queue each time).
    c.bench_function("propose edit_file on a 10k-line file", |b| {
        b.iter(|| {
            let tools: ToolSet = write_tools(
                env.clone(),
                Arc::new(MemoryChangeQueue::new()),
                ChangeScope(boocode_core::ChatId::new()),
                WriteMode::Review,
            );
            let args = serde_json::json!({
                "path": "big.rs", "old_string": "compute(5000);", "new_string": "compute(5001);"
            });
            rt.block_on(tools.get("edit_file").unwrap().execute(args, &ctx))
                .unwrap();
        })
    });

    // Ten small files: propose, apply (atomic, synced), rewind.
    for i in 0..10 {
        std::fs::write(dir.path().join(format!("f{i}.txt")), "old\n").unwrap();
    }
    c.bench_function("apply + rewind 10 files", |b| {
        b.iter(|| {
            let queue = Arc::new(MemoryChangeQueue::new());
            let scope = ChangeScope(boocode_core::ChatId::new());
            let tools = write_tools(env.clone(), queue.clone(), scope, WriteMode::Review);
            rt.block_on(async {
                for i in 0..10 {
                    let args = serde_json::json!({
                        "path": format!("f{i}.txt"), "old_string": "old", "new_string": "new"
                    });
                    tools
                        .get("edit_file")
                        .unwrap()
                        .execute(args, &ctx)
                        .await
                        .unwrap();
                }
                let applied = apply_pending(&env, queue.as_ref(), &scope, None)
                    .await
                    .unwrap();
                assert_eq!(applied.done.len(), 10);
                let undone = rewind(&env, queue.as_ref(), &scope, None).await.unwrap();
                assert_eq!(undone.done.len(), 10);
            });
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
