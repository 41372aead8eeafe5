//! `grep`: ripgrep's searcher over ripgrep's walker.

use crate::env::{ToolEnv, blocking};
use crate::read::walk::{WalkOptions, threads, walker};
use boocode_core::{CancellationToken, ToolContext, ToolError, ToolOutput, TypedTool};
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{
    BinaryDetection, Searcher, SearcherBuilder, Sink, SinkContext, SinkContextKind, SinkMatch,
};
use ignore::WalkState;
use schemars::JsonSchema;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Default cap on matching lines.
pub(crate) const GREP_DEFAULT_RESULTS: usize = 200;
/// Hard cap on matching lines.
pub(crate) const GREP_MAX_RESULTS: usize = 2000;
const MAX_LINE_CHARS: usize = 300;

/// How letter case is matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CaseMode {
    /// Case-insensitive unless the pattern has an uppercase letter.
    #[default]
    Smart,
    /// Exact case.
    Sensitive,
    /// Ignore case.
    Insensitive,
}

/// Arguments of `grep`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrepArgs {
    /// A regular expression (Rust regex syntax), or plain text when `literal` is true.
    pub pattern: String,
    /// A directory or file to search, relative to the project root (default: the whole project).
    #[serde(default)]
    pub path: Option<String>,
    /// Treat the pattern as plain text, not a regular expression.
    #[serde(default)]
    pub literal: bool,
    /// How letter case is matched (default: smart).
    #[serde(default)]
    pub case: CaseMode,
    /// Only files matching these globs, e.g. `*.rs` or `src/**/*.ts`; a leading `!` excludes.
    #[serde(default)]
    pub globs: Vec<String>,
    /// Lines of context before and after each match, 0-10 (default: 0).
    #[serde(default)]
    pub context: usize,
    /// Stop after this many matching lines (default: 200, at most 2000).
    #[serde(default)]
    pub max_results: Option<usize>,
    /// Also search hidden files. Ignored files are never searched.
    #[serde(default)]
    pub include_hidden: bool,
}

/// Searches file contents.
#[derive(Debug, Clone)]
pub struct Grep {
    env: Arc<ToolEnv>,
}

impl Grep {
    /// The tool over `env`.
    pub fn new(env: Arc<ToolEnv>) -> Self {
        Self { env }
    }
}

#[async_trait::async_trait]
impl TypedTool for Grep {
    type Args = GrepArgs;
    const NAME: &'static str = "grep";
    const READ_ONLY: bool = true;

    fn description(&self) -> &str {
        "Search file contents with a regular expression (or literal text). Output lines are \
         `path:line:text` (context lines use `-`). Honours .gitignore; skips binary files."
    }

    async fn call(&self, args: GrepArgs, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let env = self.env.clone();
        let limit = ctx.limits.max_output_bytes;
        let cancel = ctx.cancel.clone();
        blocking(move || {
            let text = search(&env, &args, &cancel)?;
            Ok(ToolOutput::new(env.bound(text, limit)))
        })
        .await
    }
}

/// One file's results.
struct FileHits {
    path: PathBuf,
    lines: Vec<String>,
    matches: usize,
}

/// Collects one file's matching and context lines.
struct Collect<'a> {
    display: &'a str,
    lines: Vec<String>,
    matches: usize,
    budget: &'a AtomicUsize,
    stop: bool,
}

fn clip(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end_matches(['\n', '\r']);
    if text.chars().count() <= MAX_LINE_CHARS {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(MAX_LINE_CHARS).collect();
    clipped.push('…');
    clipped
}

impl Sink for Collect<'_> {
    type Error = std::io::Error;

    fn matched(&mut self, _searcher: &Searcher, mat: &SinkMatch<'_>) -> Result<bool, Self::Error> {
        // Take one unit of the shared budget per matching line.
        let took = self
            .budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        if took.is_err() {
            self.stop = true;
            return Ok(false);
        }
        let number = mat.line_number().unwrap_or(0);
        self.lines
            .push(format!("{}:{number}:{}", self.display, clip(mat.bytes())));
        self.matches += 1;
        Ok(true)
    }

    fn context(
        &mut self,
        _searcher: &Searcher,
        ctx: &SinkContext<'_>,
    ) -> Result<bool, Self::Error> {
        if matches!(ctx.kind(), SinkContextKind::Other) {
            return Ok(true);
        }
        let number = ctx.line_number().unwrap_or(0);
        self.lines
            .push(format!("{}-{number}-{}", self.display, clip(ctx.bytes())));
        Ok(true)
    }

    fn context_break(&mut self, _searcher: &Searcher) -> Result<bool, Self::Error> {
        self.lines.push("--".to_owned());
        Ok(true)
    }
}

fn matcher(args: &GrepArgs) -> Result<RegexMatcher, ToolError> {
    if args.pattern.is_empty() {
        return Err(ToolError::to_model("the pattern is empty"));
    }
    RegexMatcherBuilder::new()
        .fixed_strings(args.literal)
        .case_smart(args.case == CaseMode::Smart)
        .case_insensitive(args.case == CaseMode::Insensitive)
        .line_terminator(Some(b'\n'))
        .build(&args.pattern)
        .map_err(|e| {
            ToolError::to_model(format!(
                "invalid regular expression: {e}; set literal: true to search for plain text"
            ))
        })
}

fn searcher(context: usize) -> Searcher {
    SearcherBuilder::new()
        .line_number(true)
        .before_context(context)
        .after_context(context)
        .binary_detection(BinaryDetection::quit(b'\x00'))
        .build()
}

fn display_path(path: &Path, base: &Path) -> String {
    match path.strip_prefix(base) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

fn search(env: &ToolEnv, args: &GrepArgs, cancel: &CancellationToken) -> Result<String, ToolError> {
    let matcher = matcher(args)?;
    let start = env.resolve_read(args.path.as_deref().unwrap_or("."))?;
    let context = args.context.min(10);
    let max = args
        .max_results
        .unwrap_or(GREP_DEFAULT_RESULTS)
        .clamp(1, GREP_MAX_RESULTS);
    let options = WalkOptions {
        include_hidden: args.include_hidden,
        max_depth: None,
        globs: &args.globs,
        threads: threads(),
    };
    let base = start.base().to_path_buf();
    let budget = AtomicUsize::new(max);
    let results: Mutex<Vec<FileHits>> = Mutex::new(Vec::new());
    let files_searched = AtomicUsize::new(0);
    let walk = walker(&start, &options).map_err(ToolError::to_model)?;
    walk.build_parallel().run(|| {
        let matcher = matcher.clone();
        let mut searcher = searcher(context);
        let (budget, results, base, files_searched) = (&budget, &results, &base, &files_searched);
        Box::new(move |entry| {
            if cancel.is_cancelled() || budget.load(Ordering::Relaxed) == 0 {
                return WalkState::Quit;
            }
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file())
                || env.is_secret_abs(entry.path(), base)
            {
                return WalkState::Continue;
            }
            files_searched.fetch_add(1, Ordering::Relaxed);
            let display = display_path(entry.path(), base);
            let mut sink = Collect {
                display: &display,
                lines: Vec::new(),
                matches: 0,
                budget,
                stop: false,
            };
            // Unreadable files are skipped, as ripgrep does.
            let _ = searcher.search_path(&matcher, entry.path(), &mut sink);
            let stop = sink.stop;
            if sink.matches > 0
                && let Ok(mut all) = results.lock()
            {
                all.push(FileHits {
                    path: entry.path().to_path_buf(),
                    lines: sink.lines,
                    matches: sink.matches,
                });
            }
            if stop {
                WalkState::Quit
            } else {
                WalkState::Continue
            }
        })
    });
    if cancel.is_cancelled() {
        return Err(ToolError::to_model("cancelled"));
    }
    let mut hits = results.into_inner().unwrap_or_else(|p| p.into_inner());
    hits.sort_by(|a, b| a.path.cmp(&b.path));
    let total: usize = hits.iter().map(|h| h.matches).sum();
    if total == 0 {
        return Ok(format!(
            "no matches for `{}` in {} ({} files searched)",
            args.pattern.escape_debug(),
            start.display(),
            files_searched.load(Ordering::Relaxed)
        ));
    }
    let mut out = String::new();
    for (i, hit) in hits.iter().enumerate() {
        if i > 0 && context > 0 {
            out.push_str("--\n");
        }
        for line in &hit.lines {
            out.push_str(line);
            out.push('\n');
        }
    }
    let noun = if total == 1 { "match" } else { "matches" };
    out.push_str(&format!("({total} {noun} in {} files", hits.len()));
    if budget.load(Ordering::Relaxed) == 0 && total >= max {
        out.push_str(&format!(
            "; stopped at the limit of {max}: narrow the pattern or path, or raise max_results"
        ));
    }
    out.push_str(")\n");
    Ok(out)
}
