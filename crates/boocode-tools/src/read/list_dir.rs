//! `list_dir`: a directory tree, .gitignore-aware.

use crate::env::{ToolEnv, blocking};
use crate::read::walk::{WalkOptions, walker};
use boocode_core::{ToolContext, ToolError, ToolOutput, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

/// The most entries one listing shows.
pub(crate) const LIST_MAX_ENTRIES: usize = 1000;

/// Arguments of `list_dir`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListDirArgs {
    /// The directory, relative to the project root (default: the root).
    #[serde(default)]
    pub path: Option<String>,
    /// How many levels to descend, 1-5 (default: 2).
    #[serde(default)]
    pub depth: Option<usize>,
    /// Also list hidden entries (dotfiles). Ignored files are never listed.
    #[serde(default)]
    pub include_hidden: bool,
}

/// Lists a directory.
#[derive(Debug, Clone)]
pub struct ListDir {
    env: Arc<ToolEnv>,
}

impl ListDir {
    /// The tool over `env`.
    pub fn new(env: Arc<ToolEnv>) -> Self {
        Self { env }
    }
}

#[async_trait::async_trait]
impl TypedTool for ListDir {
    type Args = ListDirArgs;
    const NAME: &'static str = "list_dir";
    const READ_ONLY: bool = true;

    fn description(&self) -> &str {
        "List a directory as a tree (directories end with /). Honours .gitignore; hidden entries \
         only with include_hidden."
    }

    async fn call(&self, args: ListDirArgs, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let env = self.env.clone();
        let limit = ctx.limits.max_output_bytes;
        let cancel = ctx.cancel.clone();
        blocking(move || {
            let text = list(&env, &args, &cancel)?;
            Ok(ToolOutput::new(env.bound(text, limit)))
        })
        .await
    }
}

fn list(
    env: &ToolEnv,
    args: &ListDirArgs,
    cancel: &boocode_core::CancellationToken,
) -> Result<String, ToolError> {
    let input = args.path.as_deref().unwrap_or(".");
    let dir = env.resolve_read(input)?;
    if !dir.as_path().is_dir() {
        return Err(ToolError::to_model(format!(
            "`{}` is a file, not a directory; use view_file",
            input.escape_debug()
        )));
    }
    let depth = args.depth.unwrap_or(2).clamp(1, 5);
    let options = WalkOptions {
        include_hidden: args.include_hidden,
        max_depth: Some(depth),
        globs: &[],
        threads: 1,
    };
    let mut builder = walker(&dir, &options).map_err(ToolError::to_model)?;
    builder.sort_by_file_name(|a, b| a.cmp(b));
    let mut lines = Vec::new();
    let mut more = false;
    for entry in builder.build() {
        if cancel.is_cancelled() {
            return Err(ToolError::to_model("cancelled"));
        }
        let Ok(entry) = entry else { continue };
        if entry.depth() == 0 || env.is_secret_abs(entry.path(), dir.base()) {
            continue;
        }
        if lines.len() >= LIST_MAX_ENTRIES {
            more = true;
            break;
        }
        let name = entry.file_name().to_string_lossy();
        let indent = "  ".repeat(entry.depth() - 1);
        let kind = entry.file_type();
        let suffix = match kind {
            Some(t) if t.is_dir() => "/",
            Some(t) if t.is_symlink() => "@",
            _ => "",
        };
        lines.push(format!("{indent}{name}{suffix}"));
    }
    let mut out = format!("{}/\n", dir.display());
    if lines.is_empty() {
        out.push_str("(empty)\n");
    }
    for line in &lines {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    if more {
        out.push_str(&format!(
            "[listing stopped at {LIST_MAX_ENTRIES} entries; list a subdirectory or lower the depth]\n"
        ));
    }
    Ok(out)
}
