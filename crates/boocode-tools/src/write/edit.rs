//! `edit_file`: replace an exact piece of a file, proposed as a pending change.

use super::Proposer;
use boocode_core::{ToolContext, ToolError, ToolOutput, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

/// Arguments of `edit_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditFileArgs {
    /// The file, relative to the project root.
    pub path: String,
    /// The exact text to replace, including whitespace and indentation. It must occur exactly
    /// once unless `replace_all` is set.
    pub old_string: String,
    /// The text to put in its place.
    pub new_string: String,
    /// Replace every occurrence instead of requiring exactly one (default: false).
    #[serde(default)]
    pub replace_all: bool,
}

/// Proposes replacing exact text in a file.
#[derive(Debug, Clone)]
pub struct EditFile {
    proposer: Arc<Proposer>,
}

impl EditFile {
    pub(super) fn new(proposer: Arc<Proposer>) -> Self {
        Self { proposer }
    }
}

#[async_trait::async_trait]
impl TypedTool for EditFile {
    type Args = EditFileArgs;
    const NAME: &'static str = "edit_file";
    const READ_ONLY: bool = false;

    fn description(&self) -> &str {
        "Replace exact text in a file. old_string must match the file exactly (whitespace \
         included) and occur once, or set replace_all. The edit is proposed for review and the \
         diff returned; later edits to the same file build on earlier proposals."
    }

    async fn call(&self, args: EditFileArgs, _ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        if args.old_string.is_empty() {
            return Err(ToolError::to_model(
                "old_string is empty; use create_file to write a new file",
            ));
        }
        if args.old_string == args.new_string {
            return Err(ToolError::to_model(
                "old_string and new_string are the same; nothing to change",
            ));
        }
        let current = self.proposer.current(&args.path).await?;
        let Some(bytes) = &current.content else {
            return Err(ToolError::to_model(format!(
                "`{}` does not exist; use create_file",
                current.path
            )));
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Err(ToolError::to_model(format!(
                "`{}` is not UTF-8 text; edit_file only edits text",
                current.path
            )));
        };
        let updated = replace(text, &args, &current.path)
            .map_err(|message| ToolError::to_model(self.proposer.redact(&current.path, message)))?;
        self.proposer
            .propose(current, Some(updated.into_bytes()), "Proposed an edit to")
            .await
    }
}

/// The edited text, or a message for the model. The size of the result is computed from the
/// number of matches before anything is allocated, so a `replace_all` that would blow past the
/// write limit is refused without building it.
fn replace(text: &str, args: &EditFileArgs, path: &str) -> Result<String, String> {
    let starts: Vec<usize> = text
        .match_indices(args.old_string.as_str())
        .map(|(i, _)| i)
        .collect();
    let replaced = if args.replace_all { starts.len() } else { 1 };
    let size = (text.len()
        - args
            .old_string
            .len()
            .saturating_mul(replaced.min(starts.len())))
    .saturating_add(args.new_string.len().saturating_mul(replaced));
    if !starts.is_empty() && size > crate::WRITE_MAX_BYTES {
        return Err(format!(
            "refused: the edit would make `{path}` {size} bytes, over the {} MiB write limit",
            crate::WRITE_MAX_BYTES / (1024 * 1024)
        ));
    }
    match starts.len() {
        0 => Err(not_found(text, &args.old_string, path)),
        1 => Ok(text.replacen(&args.old_string, &args.new_string, 1)),
        _ if args.replace_all => Ok(text.replace(&args.old_string, &args.new_string)),
        n => {
            let lines: Vec<String> = starts
                .iter()
                .take(10)
                .map(|&i| (line_of(text, i) + 1).to_string())
                .collect();
            Err(format!(
                "old_string occurs {n} times in `{path}` (lines {}); include more surrounding \
                 lines to make it unique, or set replace_all",
                lines.join(", ")
            ))
        }
    }
}

fn line_of(text: &str, byte: usize) -> usize {
    text.as_bytes()[..byte]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// How many windows (ranked by their first line) get a full comparison.
const CLOSEST_CANDIDATES: usize = 16;
/// Files with more lines than this are not searched for a closest match.
const CLOSEST_MAX_LINES: usize = 50_000;

/// The error for text that is not in the file, pointing at the closest match.
fn not_found(text: &str, wanted: &str, path: &str) -> String {
    let mut message = format!("old_string was not found in `{path}`.");
    if let Some((start, end, excerpt)) = closest_match(text, wanted) {
        let hint = if normalize_ws(&excerpt) == normalize_ws(wanted) {
            " It differs only in whitespace or indentation."
        } else {
            ""
        };
        message.push_str(&format!(
            " The closest match is at lines {}-{}:{hint}\n{excerpt}",
            start + 1,
            end
        ));
    }
    message
}

fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn line_ratio(a: &str, b: &str) -> f32 {
    similar::TextDiff::from_chars(a.trim(), b.trim()).ratio()
}

/// The window of the file's lines most similar to `wanted`, as (first line, end line, text).
/// Windows are ranked by their first line, and the best few compared line by line, so the cost
/// stays linear in the file's length.
fn closest_match(text: &str, wanted: &str) -> Option<(usize, usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let want: Vec<&str> = wanted.lines().collect();
    let (Some(first), false) = (
        want.first(),
        lines.is_empty() || lines.len() > CLOSEST_MAX_LINES,
    ) else {
        return None;
    };
    let width = want.len();
    let windows = lines.len().saturating_sub(width) + 1;
    let mut ranked: Vec<(f32, usize)> = (0..windows)
        .map(|start| (line_ratio(lines[start], first), start))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let (score, start) = ranked
        .into_iter()
        .take(CLOSEST_CANDIDATES)
        .map(|(_, start)| {
            let end = (start + width).min(lines.len());
            let total: f32 = lines[start..end]
                .iter()
                .zip(&want)
                .map(|(l, w)| line_ratio(l, w))
                .sum();
            (total / width as f32, start)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)))?;
    if score < 0.5 {
        return None;
    }
    let end = (start + width).min(lines.len());
    Some((start, end, lines[start..end].join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(old: &str, new: &str, all: bool) -> EditFileArgs {
        EditFileArgs {
            path: "f".into(),
            old_string: old.into(),
            new_string: new.into(),
            replace_all: all,
        }
    }

    #[test]
    fn a_replace_all_past_the_write_limit_is_refused_before_it_is_built() {
        let text = "a".repeat(200_000);
        let huge = "b".repeat(70 * 1024);
        let err = replace(&text, &args("a", &huge, true), "f").unwrap_err();
        assert!(err.contains("over the 8 MiB write limit"), "{err}");
        // One replacement of the same size is fine.
        assert!(replace("xay", &args("a", &huge, false), "f").is_ok());
    }

    #[test]
    fn unique_text_is_replaced_once() {
        assert_eq!(
            replace("a b c", &args("b", "x", false), "f").unwrap(),
            "a x c"
        );
    }

    #[test]
    fn repeated_text_needs_replace_all_and_names_the_lines() {
        let err = replace("x\ny\nx\n", &args("x", "z", false), "f").unwrap_err();
        assert!(err.to_string().contains("occurs 2 times"), "{err}");
        assert!(err.to_string().contains("lines 1, 3"), "{err}");
        assert_eq!(
            replace("x\ny\nx\n", &args("x", "z", true), "f").unwrap(),
            "z\ny\nz\n"
        );
    }

    #[test]
    fn absent_text_points_at_the_closest_match() {
        let text = "fn main() {\n    let total = 1;\n    println!(\"{total}\");\n}\n";
        let err = replace(
            text,
            &args("let  total = 1;", "let total = 2;", false),
            "src/main.rs",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not found in `src/main.rs`"), "{err}");
        assert!(err.contains("lines 2-2"), "{err}");
        assert!(err.contains("only in whitespace"), "{err}");
        let err = replace(text, &args("zzzz qqqq", "y", false), "f")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("closest"), "{err}");
    }
}
