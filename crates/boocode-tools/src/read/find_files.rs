//! `find_files`: file names by glob, over ripgrep's walker.

use crate::env::{ToolEnv, blocking};
use crate::read::walk::{WalkOptions, threads, walker};
use boocode_core::{CancellationToken, ToolContext, ToolError, ToolOutput, TypedTool};
use globset::{GlobBuilder, GlobMatcher};
use ignore::WalkState;
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Default cap on results.
pub(crate) const FIND_DEFAULT_RESULTS: usize = 500;
/// Hard cap on results.
pub(crate) const FIND_MAX_RESULTS: usize = 5000;

/// Arguments of `find_files`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindFilesArgs {
    /// A glob. Without a `/` it matches file names at any depth (`*.rs`, `Cargo.toml`); with one
    /// it matches paths relative to `path` (`src/**/mod.rs`).
    pub pattern: String,
    /// The directory to search, relative to the project root (default: the whole project).
    #[serde(default)]
    pub path: Option<String>,
    /// Stop after this many files (default: 500, at most 5000).
    #[serde(default)]
    pub max_results: Option<usize>,
    /// Also find hidden files. Ignored files are never found.
    #[serde(default)]
    pub include_hidden: bool,
}

/// Finds files by name or path glob.
#[derive(Debug, Clone)]
pub struct FindFiles {
    env: Arc<ToolEnv>,
}

impl FindFiles {
    /// The tool over `env`.
    pub fn new(env: Arc<ToolEnv>) -> Self {
        Self { env }
    }
}

#[async_trait::async_trait]
impl TypedTool for FindFiles {
    type Args = FindFilesArgs;
    const NAME: &'static str = "find_files";
    const READ_ONLY: bool = true;

    fn description(&self) -> &str {
        "Find files by glob: `*.rs` matches names at any depth, `src/**/mod.rs` matches paths. \
         Honours .gitignore. Paths are listed relative to the project root, sorted."
    }

    async fn call(&self, args: FindFilesArgs, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let env = self.env.clone();
        let limit = ctx.limits.max_output_bytes;
        let cancel = ctx.cancel.clone();
        blocking(move || {
            let text = find(&env, &args, &cancel)?;
            Ok(ToolOutput::new(env.bound(text, limit)))
        })
        .await
    }
}

fn glob(pattern: &str) -> Result<(GlobMatcher, bool), ToolError> {
    let pattern = pattern.trim();
    if pattern.is_empty() {
        return Err(ToolError::to_model("the pattern is empty"));
    }
    let by_path = pattern.contains('/');
    let glob = GlobBuilder::new(pattern.trim_start_matches("./"))
        .literal_separator(by_path)
        .build()
        .map_err(|e| ToolError::to_model(format!("invalid glob `{pattern}`: {}", e.kind())))?;
    Ok((glob.compile_matcher(), by_path))
}

fn find(
    env: &ToolEnv,
    args: &FindFilesArgs,
    cancel: &CancellationToken,
) -> Result<String, ToolError> {
    let (matcher, by_path) = glob(&args.pattern)?;
    let start = env.resolve_read(args.path.as_deref().unwrap_or("."))?;
    let max = args
        .max_results
        .unwrap_or(FIND_DEFAULT_RESULTS)
        .clamp(1, FIND_MAX_RESULTS);
    let options = WalkOptions {
        include_hidden: args.include_hidden,
        max_depth: None,
        globs: &[],
        threads: threads(),
    };
    let root = start.as_path().to_path_buf();
    let base = start.base().to_path_buf();
    let found: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let count = AtomicUsize::new(0);
    let walk = walker(&start, &options).map_err(ToolError::to_model)?;
    walk.build_parallel().run(|| {
        let (matcher, found, count, root, base) = (&matcher, &found, &count, &root, &base);
        Box::new(move |entry| {
            if cancel.is_cancelled() || count.load(Ordering::Relaxed) >= max {
                return WalkState::Quit;
            }
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let path = entry.path();
            let hit = if by_path {
                path.strip_prefix(root)
                    .is_ok_and(|rel| matcher.is_match(rel))
            } else {
                matcher.is_match(entry.file_name())
            };
            if !hit || env.is_secret_abs(path, base) {
                return WalkState::Continue;
            }
            if count.fetch_add(1, Ordering::Relaxed) < max
                && let Ok(mut all) = found.lock()
            {
                all.push(match path.strip_prefix(base) {
                    Ok(rel) => rel.display().to_string(),
                    Err(_) => path.display().to_string(),
                });
            }
            WalkState::Continue
        })
    });
    if cancel.is_cancelled() {
        return Err(ToolError::to_model("cancelled"));
    }
    let mut found = found.into_inner().unwrap_or_else(|p| p.into_inner());
    found.sort();
    if found.is_empty() {
        return Ok(format!(
            "no files match `{}` in {}",
            args.pattern.escape_debug(),
            start.display()
        ));
    }
    let mut out = found.join("\n");
    out.push('\n');
    if count.load(Ordering::Relaxed) >= max {
        out.push_str(&format!(
            "[stopped at {max} files: narrow the pattern or path, or raise max_results]\n"
        ));
    } else {
        out.push_str(&format!("({} files)\n", found.len()));
    }
    Ok(out)
}
