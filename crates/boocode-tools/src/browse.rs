//! Structured browsing for people (a file-browser pane): one directory level, or one file's
//! text, through the same path and secret guards the model's tools use.

use crate::env::ToolEnv;
use crate::read::walk::{WalkOptions, walker};
use boocode_core::ToolError;
use std::io::Read;

pub use boocode_core::protocol::{DirEntry, FileContent};

/// The entries of one directory, directories first, then by name. Ignored files (.gitignore),
/// `.git` and secrets are left out; hidden entries only with `include_hidden`.
pub fn list_entries(
    env: &ToolEnv,
    path: &str,
    include_hidden: bool,
) -> Result<Vec<DirEntry>, ToolError> {
    let dir = env.resolve_read(if path.is_empty() { "." } else { path })?;
    if !dir.as_path().is_dir() {
        return Err(ToolError::to_model(format!(
            "`{}` is not a directory",
            path.escape_debug()
        )));
    }
    let options = WalkOptions {
        include_hidden,
        max_depth: Some(1),
        globs: &[],
        threads: 1,
    };
    let builder = walker(&dir, &options).map_err(ToolError::to_model)?;
    let mut entries = Vec::new();
    for entry in builder.build().flatten() {
        if entry.depth() == 0 || env.is_secret_abs(entry.path(), dir.base()) {
            continue;
        }
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        let rel = entry
            .path()
            .strip_prefix(dir.base())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        entries.push(DirEntry {
            name: entry.file_name().to_string_lossy().into_owned(),
            path: rel,
            is_dir,
            size: if is_dir {
                0
            } else {
                entry.metadata().map(|m| m.len()).unwrap_or(0)
            },
        });
    }
    entries.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.name.cmp(&b.name)));
    Ok(entries)
}

/// Most entries [`find_paths`] looks at before it stops (a huge tree is cut, not walked whole).
pub const FIND_PATHS_SCAN_LIMIT: usize = 50_000;

/// Up to `limit` project files whose relative path contains every whitespace-separated term of
/// `query` (case-insensitive), best first: a term in the file name beats one in a directory,
/// then shorter paths. For `@file` completion: ignored files, `.git`, hidden entries and
/// secrets are left out.
pub fn find_paths(env: &ToolEnv, query: &str, limit: usize) -> Result<Vec<String>, ToolError> {
    let terms: Vec<String> = query
        .split_whitespace()
        .map(str::to_lowercase)
        .take(8)
        .collect();
    let root = env.resolve_read(".")?;
    let options = WalkOptions {
        include_hidden: false,
        max_depth: None,
        globs: &[],
        threads: 1,
    };
    let builder = walker(&root, &options).map_err(ToolError::to_model)?;
    let mut hits: Vec<(u8, usize, String)> = Vec::new();
    for (seen, entry) in builder.build().flatten().enumerate() {
        if seen >= FIND_PATHS_SCAN_LIMIT {
            break;
        }
        if !entry.file_type().is_some_and(|t| t.is_file())
            || env.is_secret_abs(entry.path(), root.base())
        {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root.base()) else {
            continue;
        };
        let rel = rel.display().to_string();
        let lower = rel.to_lowercase();
        if !terms.iter().all(|t| lower.contains(t.as_str())) {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_lowercase();
        let in_name = u8::from(!terms.iter().any(|t| name.contains(t.as_str())));
        hits.push((in_name, rel.len(), rel));
    }
    hits.sort();
    Ok(hits.into_iter().take(limit).map(|(_, _, p)| p).collect())
}

/// Up to `max_bytes` of a file's text; binary files are reported, not shown. The path goes
/// through the environment's path guard and the secret guard: a credential file (`.env`,
/// `id_rsa`, …) is refused like a path outside the project.
pub fn read_file(env: &ToolEnv, path: &str, max_bytes: usize) -> Result<FileContent, ToolError> {
    let guarded = env.resolve_read(path)?;
    let file = env
        .paths()
        .open_read(&guarded)
        .map_err(|e| ToolError::to_model(e.to_string()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bytes = Vec::new();
    file.take(max_bytes as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| ToolError::to_model(format!("cannot read `{}`: {e}", guarded.display())))?;
    let binary = bytes[..bytes.len().min(8192)].contains(&0);
    let text =
        (!binary).then(|| env.redact(&guarded, String::from_utf8_lossy(&bytes).into_owned()));
    Ok(FileContent {
        path: guarded.display(),
        text,
        binary,
        size,
        truncated: (bytes.len() as u64) < size,
    })
}
