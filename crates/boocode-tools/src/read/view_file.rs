//! `view_file`: a file's lines, numbered, optionally a range.

use crate::env::{ToolEnv, blocking};
use boocode_core::{ToolContext, ToolError, ToolOutput, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

/// Files larger than this are shown only by line range.
pub(crate) const VIEW_MAX_BYTES: u64 = 5 * 1024 * 1024;
const BINARY_SNIFF: usize = 8 * 1024;

/// Arguments of `view_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewFileArgs {
    /// The file, relative to the project root.
    pub path: String,
    /// First line to show, 1-based (default: 1).
    #[serde(default)]
    pub start_line: Option<usize>,
    /// Last line to show, inclusive (default: the end of the file).
    #[serde(default)]
    pub end_line: Option<usize>,
}

/// Shows a file with line numbers.
#[derive(Debug, Clone)]
pub struct ViewFile {
    env: Arc<ToolEnv>,
}

impl ViewFile {
    /// The tool over `env`.
    pub fn new(env: Arc<ToolEnv>) -> Self {
        Self { env }
    }
}

#[async_trait::async_trait]
impl TypedTool for ViewFile {
    type Args = ViewFileArgs;
    const NAME: &'static str = "view_file";
    const READ_ONLY: bool = true;

    fn description(&self) -> &str {
        "Show a text file with line numbers. Use start_line/end_line for a range of a long file. \
         Paths are relative to the project root."
    }

    async fn call(&self, args: ViewFileArgs, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let env = self.env.clone();
        let limit = ctx.limits.max_output_bytes;
        blocking(move || {
            let text = view(&env, &args)?;
            Ok(ToolOutput::new(env.bound(text, limit)))
        })
        .await
    }
}

fn view(env: &ToolEnv, args: &ViewFileArgs) -> Result<String, ToolError> {
    let start = args.start_line.unwrap_or(1).max(1);
    if let Some(end) = args.end_line
        && end < start
    {
        return Err(ToolError::to_model(format!(
            "end_line {end} is before start_line {start}"
        )));
    }
    let guarded = env.resolve_read(&args.path)?;
    if guarded.as_path().is_dir() {
        return Err(ToolError::to_model(format!(
            "`{}` is a directory; use list_dir",
            args.path.escape_debug()
        )));
    }
    let file = env
        .paths()
        .open_read(&guarded)
        .map_err(|e| ToolError::to_model(e.to_string()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let ranged = args.start_line.is_some() || args.end_line.is_some();
    if size > VIEW_MAX_BYTES && !ranged {
        return Err(ToolError::to_model(format!(
            "`{}` is {:.1} MB, over the 5 MB limit for a whole file; give start_line/end_line or use grep",
            guarded.display(),
            size as f64 / 1e6
        )));
    }
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let head = reader
        .fill_buf()
        .map_err(|e| ToolError::to_model(format!("cannot read `{}`: {e}", guarded.display())))?;
    if head[..head.len().min(BINARY_SNIFF)].contains(&0) {
        return Err(ToolError::to_model(format!(
            "`{}` is a binary file ({size} bytes); not shown",
            guarded.display()
        )));
    }
    if size == 0 {
        return Ok(format!("({} is empty)", guarded.display()));
    }
    let end = args.end_line.unwrap_or(usize::MAX);
    let mut out = String::new();
    let mut line = Vec::new();
    let mut number = 0usize;
    let mut shown = 0usize;
    let mut read_bytes = 0u64;
    loop {
        line.clear();
        let n = reader
            .by_ref()
            .take(VIEW_MAX_BYTES + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| {
                ToolError::to_model(format!("cannot read `{}`: {e}", guarded.display()))
            })?;
        if n == 0 {
            break;
        }
        read_bytes += n as u64;
        number += 1;
        if number > end {
            break;
        }
        if number < start {
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        out.push_str(&format!("{number:>6}\t{text}\n"));
        shown += 1;
        if out.len() as u64 > VIEW_MAX_BYTES {
            break;
        }
    }
    if shown == 0 {
        return Err(ToolError::to_model(format!(
            "`{}` has {number} lines; start_line {start} is past the end",
            guarded.display()
        )));
    }
    let whole = start == 1 && read_bytes >= size && number <= end;
    if !whole {
        out.push_str(&format!(
            "({}: lines {start}-{} shown)\n",
            guarded.display(),
            start + shown - 1
        ));
    }
    Ok(env.redact(&guarded, out))
}
