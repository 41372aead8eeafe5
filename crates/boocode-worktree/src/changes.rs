//! What an agent changed in a worktree: the tree as it is now against the tree it started from,
//! file by file, with both contents and the lines added and removed.

use crate::git::{Git, nul_paths};
use crate::{Worktree, WorktreeError};
use std::collections::HashMap;

/// Largest content [`FileChange`] carries (a bigger file is reported without it).
pub const MAX_CONTENT_BYTES: u64 = 16 * 1024 * 1024;

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// New.
    Added,
    /// Changed.
    Modified,
    /// Removed.
    Deleted,
}

/// One file an agent changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileChange {
    /// Relative to the project (as in the main tree).
    pub path: String,
    /// Added, modified or deleted.
    pub kind: ChangeKind,
    /// Its content when the worktree was made (`None` when added, or too large).
    pub before: Option<Vec<u8>>,
    /// Its content now (`None` when deleted, or too large).
    pub after: Option<Vec<u8>>,
    /// Its Unix permission bits now (or before, when deleted).
    pub mode: Option<u32>,
    /// Lines added (0 for a binary file).
    pub added: u64,
    /// Lines removed (0 for a binary file).
    pub removed: u64,
    /// Whether git sees it as binary.
    pub binary: bool,
    /// Whether a content was left out for being over [`MAX_CONTENT_BYTES`].
    pub too_large: bool,
}

/// Records the work tree's content as a git tree (in its own index) and returns the tree's id.
pub(crate) async fn snapshot(git: &Git) -> Result<String, WorktreeError> {
    git.run(&["add", "--all"]).await?;
    git.line(&["write-tree"]).await
}

impl Worktree {
    /// What changed in the project's directory since the worktree was made, by path.
    pub async fn changes(&self) -> Result<Vec<FileChange>, WorktreeError> {
        let prefix = match self.owner.subdir.as_str() {
            "" => String::new(),
            sub => format!("{sub}/"),
        };
        let git = self.git();
        let start = &self.owner.start_tree;
        let now = snapshot(&git).await?;
        if &now == start {
            return Ok(Vec::new());
        }
        // `:old-mode new-mode old-blob new-blob status\0path\0`, one file per pair.
        let raw = git
            .run(&["diff-tree", "-r", "-z", "--no-renames", start, &now])
            .await?;
        let numstat = git
            .run(&[
                "diff-tree",
                "-r",
                "-z",
                "--no-renames",
                "--numstat",
                start,
                &now,
            ])
            .await?;
        let counts = parse_numstat(&numstat, &prefix);
        let fields = nul_paths(&raw);
        let mut entries = Vec::new();
        for pair in fields.chunks(2) {
            let [meta, path] = pair else { continue };
            let Some(path) = path.strip_prefix(&prefix) else {
                continue;
            };
            let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
            let [_, new_mode, old_blob, new_blob, status] = parts.as_slice() else {
                continue;
            };
            let kind = match status.chars().next() {
                Some('A') => ChangeKind::Added,
                Some('D') => ChangeKind::Deleted,
                _ => ChangeKind::Modified,
            };
            let mode = u32::from_str_radix(new_mode, 8)
                .ok()
                .filter(|m| *m != 0)
                .or_else(|| u32::from_str_radix(parts[0], 8).ok())
                .map(|m| m & 0o7777);
            entries.push((
                path.to_owned(),
                kind,
                mode,
                old_blob.to_string(),
                new_blob.to_string(),
            ));
        }
        let zero = |b: &str| b.chars().all(|c| c == '0');
        let wanted: Vec<String> = entries
            .iter()
            .flat_map(|(_, _, _, old, new)| [old.clone(), new.clone()])
            .filter(|b| !zero(b))
            .collect();
        let blobs = read_blobs(&git, &wanted).await?;
        let mut changes = Vec::new();
        for (path, kind, mode, old, new) in entries {
            let (added, removed, binary) = counts.get(&path).copied().unwrap_or((0, 0, false));
            let before = (!zero(&old)).then(|| blobs.get(&old).cloned()).flatten();
            let after = (!zero(&new)).then(|| blobs.get(&new).cloned()).flatten();
            let too_large = (!zero(&old) && before.is_none()) || (!zero(&new) && after.is_none());
            changes.push(FileChange {
                path,
                kind,
                before,
                after,
                mode,
                added,
                removed,
                binary,
                too_large,
            });
        }
        Ok(changes)
    }
}

/// `added\tremoved\tpath\0` per file; `-\t-` for a binary one.
fn parse_numstat(out: &[u8], prefix: &str) -> HashMap<String, (u64, u64, bool)> {
    let mut counts = HashMap::new();
    for line in nul_paths(out) {
        let mut fields = line.splitn(3, '\t');
        let (Some(a), Some(r), Some(path)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let Some(path) = path.strip_prefix(prefix) else {
            continue;
        };
        let binary = a == "-" && r == "-";
        counts.insert(
            path.to_owned(),
            (a.parse().unwrap_or(0), r.parse().unwrap_or(0), binary),
        );
    }
    counts
}

/// The contents of `blobs` (those not over [`MAX_CONTENT_BYTES`]), in one `cat-file` run.
async fn read_blobs(
    git: &Git,
    blobs: &[String],
) -> Result<HashMap<String, Vec<u8>>, WorktreeError> {
    let mut found = HashMap::new();
    if blobs.is_empty() {
        return Ok(found);
    }
    // Sizes first, so nothing over the limit is read into memory.
    let mut input = blobs.join("\n");
    input.push('\n');
    let sizes = git
        .run_with_input(
            &["cat-file", "--batch-check=%(objectname) %(objectsize)"],
            Some(input.as_bytes()),
        )
        .await?;
    let small: Vec<String> = String::from_utf8_lossy(&sizes)
        .lines()
        .filter_map(|l| {
            let (id, size) = l.split_once(' ')?;
            (size.parse::<u64>().ok()? <= MAX_CONTENT_BYTES).then(|| id.to_owned())
        })
        .collect();
    if small.is_empty() {
        return Ok(found);
    }
    let mut input = small.join("\n");
    input.push('\n');
    let out = git
        .run_with_input(&["cat-file", "--batch"], Some(input.as_bytes()))
        .await?;
    // `<id> blob <size>\n<content>\n` per object.
    let mut rest = out.as_slice();
    while let Some(end) = rest.iter().position(|b| *b == b'\n') {
        let header = String::from_utf8_lossy(&rest[..end]).into_owned();
        rest = &rest[end + 1..];
        let mut parts = header.split(' ');
        let (Some(id), Some(_), Some(size)) = (parts.next(), parts.next(), parts.next()) else {
            break;
        };
        let Ok(size) = size.parse::<usize>() else {
            break;
        };
        if rest.len() < size {
            break;
        }
        found.insert(id.to_owned(), rest[..size].to_vec());
        rest = rest.get(size + 1..).unwrap_or_default();
    }
    Ok(found)
}
