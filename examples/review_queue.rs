//! Recipe: BooCode's guarded tools in a program of your own, no model involved — search and
//! read a directory through the path and secret guards, then propose an edit, look at its
//! diff, apply it and rewind it, the way a chat's review queue does.
//!
//! ```text
//! cargo run -p boocode-examples --example review_queue   # in a scratch directory it makes
//! ```
//!
//! In your own crate:
//!
//! ```toml
//! [dependencies]
//! boocode-core = "0.1"
//! boocode-tools = "0.1"
//! serde_json = "1"
//! tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use boocode_core::prelude::*;
use boocode_core::{ChangeQueue, ChangeScope, ChatId, MemoryChangeQueue};
use boocode_tools::{
    PathGuard, Tier, ToolEnv, WriteMode, apply_pending, read_tools, rewind, write_tools,
};
use std::path::Path;
use std::sync::Arc;

/// Calls `tool` of `tools` with `args` as the loop would; its text (an error's too).
async fn call(tools: &ToolSet, tool: &str, args: serde_json::Value) -> String {
    let Some(found) = tools.get(tool) else {
        return format!("no tool {tool}");
    };
    let ctx = ToolContext::new(format!("{tool}-1"));
    match found.execute(args, &ctx).await {
        Ok(output) => output.content,
        Err(e) => format!("refused: {e}"),
    }
}

/// Greps `root` for `needle`, reads the secret `.env` (refused), proposes replacing `needle`
/// with `replacement` in `file`, applies it, then rewinds it. What happened, step by step.
async fn walk_through(
    root: &Path,
    file: &str,
    needle: &str,
    replacement: &str,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let env = Arc::new(ToolEnv::new(PathGuard::new(root)?));
    let (reads, _) = read_tools(env.clone(), Tier::Core, None);
    let mut log = vec![
        call(&reads, "grep", serde_json::json!({ "pattern": needle })).await,
        call(&reads, "view_file", serde_json::json!({ "path": ".env" })).await,
    ];
    // Writes only propose: each edit waits in the queue until applied.
    let queue = Arc::new(MemoryChangeQueue::new());
    let scope = ChangeScope(ChatId::new());
    let writes = write_tools(env.clone(), queue.clone(), scope, WriteMode::Review);
    let edit = serde_json::json!({ "path": file, "old_string": needle, "new_string": replacement });
    log.push(call(&writes, "edit_file", edit).await);
    for change in queue.list(&scope).await? {
        log.push(format!("pending {}:\n{}", change.path, change.diff));
    }
    let applied = apply_pending(&env, queue.as_ref(), &scope, None).await?;
    log.push(format!(
        "applied {} change(s); {} now reads {:?}",
        applied.done.len(),
        file,
        std::fs::read_to_string(root.join(file))?
    ));
    let undone = rewind(&env, queue.as_ref(), &scope, None).await?;
    log.push(format!(
        "rewound {} change(s); {} reads {:?} again",
        undone.done.len(),
        file,
        std::fs::read_to_string(root.join(file))?
    ));
    Ok(log)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A scratch directory, so the walk-through never touches your files.
    let scratch = std::env::temp_dir().join(format!("boocode-recipe-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    std::fs::write(scratch.join("greeting.txt"), "hello from a scratch copy\n")?;
    std::fs::write(scratch.join(".env"), "API_TOKEN=not-for-models\n")?;
    for step in walk_through(&scratch, "greeting.txt", "hello", "goodbye").await? {
        println!("{step}\n");
    }
    std::fs::remove_dir_all(&scratch)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn search_read_propose_apply_and_rewind_stay_inside_the_guards() {
        let dir = std::env::temp_dir().join(format!("boocode-review-recipe-{}", ChatId::new()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/main.rs"), "fn main() { serve(8080); }\n").unwrap();
        std::fs::write(dir.join(".env"), "API_TOKEN=hunter2\n").unwrap();
        let log = walk_through(&dir, "src/main.rs", "8080", "9090")
            .await
            .unwrap();
        assert!(log[0].contains("src/main.rs"), "grep found it: {}", log[0]);
        assert!(
            log[1].starts_with("refused:") && !log[1].contains("hunter2"),
            "{}",
            log[1]
        );
        assert!(
            log[3].contains("-fn main() { serve(8080); }")
                && log[3].contains("+fn main() { serve(9090); }"),
            "{}",
            log[3]
        );
        assert!(log[4].contains("serve(9090)"), "{}", log[4]);
        assert!(log[5].contains("serve(8080)"), "{}", log[5]);
        assert_eq!(
            std::fs::read_to_string(dir.join("src/main.rs")).unwrap(),
            "fn main() { serve(8080); }\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
