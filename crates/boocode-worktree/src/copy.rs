//! Putting files into a worktree: a whole project (a directory that is not a git repository,
//! honouring its ignore files), the untracked files of a git project, and the files a user lists
//! (`.env.example` → `.env`). Secrets never travel: the secret guard's deny list is applied to
//! every source, and listed files are read and written through the path guard.

use crate::{CopyFile, WorktreeError, io};
use boocode_tools::{Access, PathGuard, SecretGuard};
use std::io::Read;
use std::path::Path;

/// Largest file a user may list to copy in.
const MAX_LISTED_BYTES: u64 = 16 * 1024 * 1024;

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, WorktreeError> + Send + 'static,
) -> Result<T, WorktreeError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| WorktreeError::Io {
            what: "a copy was interrupted".into(),
            source: std::io::Error::other(e),
        })?
}

/// Copies one entry (a regular file with its permissions, or a symlink as a symlink);
/// anything else (a FIFO, a device) is skipped.
fn copy_entry(from: &Path, to: &Path) -> Result<(), WorktreeError> {
    let meta =
        std::fs::symlink_metadata(from).map_err(io(format!("cannot read {}", from.display())))?;
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .map_err(io(format!("cannot create {}", parent.display())))?;
    }
    if meta.file_type().is_symlink() {
        let target =
            std::fs::read_link(from).map_err(io(format!("cannot read {}", from.display())))?;
        std::os::unix::fs::symlink(&target, to)
            .map_err(io(format!("cannot link {}", to.display())))?;
    } else if meta.is_file() {
        std::fs::copy(from, to).map_err(io(format!("cannot copy {}", from.display())))?;
    }
    Ok(())
}

/// Copies the project at `project` to `tree` (which must not exist): every file its ignore
/// files (`.gitignore`, `.ignore`) keep, hidden ones included, secrets and `.git` left out.
pub(crate) async fn project(project: &Path, tree: &Path) -> Result<(), WorktreeError> {
    let (project, tree) = (project.to_path_buf(), tree.to_path_buf());
    blocking(move || {
        std::fs::create_dir_all(&tree).map_err(io(format!("cannot create {}", tree.display())))?;
        let secrets = SecretGuard::default();
        let walk = ignore::WalkBuilder::new(&project)
            .hidden(false)
            .require_git(false)
            .parents(false)
            .follow_links(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walk {
            let entry = entry.map_err(|e| WorktreeError::Io {
                what: format!("cannot walk {}", project.display()),
                source: std::io::Error::other(e),
            })?;
            let Ok(relative) = entry.path().strip_prefix(&project) else {
                continue;
            };
            if relative.as_os_str().is_empty() || secrets.is_secret(relative) {
                continue;
            }
            let to = tree.join(relative);
            if entry.file_type().is_some_and(|t| t.is_dir()) {
                std::fs::create_dir_all(&to)
                    .map_err(io(format!("cannot create {}", to.display())))?;
            } else {
                copy_entry(entry.path(), &to)?;
            }
        }
        Ok(())
    })
    .await
}

/// Copies a git project's untracked (not ignored) files, `relative` to `repo`, into `tree`.
pub(crate) async fn untracked(
    repo: &Path,
    tree: &Path,
    relative: &[String],
) -> Result<(), WorktreeError> {
    let (repo, tree, relative) = (repo.to_path_buf(), tree.to_path_buf(), relative.to_vec());
    blocking(move || {
        let secrets = SecretGuard::default();
        for path in &relative {
            let rel = Path::new(path);
            if secrets.is_secret(rel) || !is_plain_relative(rel) {
                continue;
            }
            copy_entry(&repo.join(rel), &tree.join(rel))?;
        }
        Ok(())
    })
    .await
}

/// Copies the files a user listed: each source read through the project's path guard and
/// refused when it is a secret, each destination written through the worktree's.
pub(crate) async fn listed(
    project: &Path,
    tree: &Path,
    copies: &[CopyFile],
) -> Result<(), WorktreeError> {
    if copies.is_empty() {
        return Ok(());
    }
    let (project, tree, copies) = (project.to_path_buf(), tree.to_path_buf(), copies.to_vec());
    blocking(move || {
        let refuse = |path: &str, reason: String| WorktreeError::Refused {
            path: path.to_owned(),
            reason,
        };
        let from_guard = PathGuard::new(&project).map_err(|e| refuse("", e.to_string()))?;
        std::fs::create_dir_all(&tree).map_err(io(format!("cannot create {}", tree.display())))?;
        let to_guard = PathGuard::new(&tree).map_err(|e| refuse("", e.to_string()))?;
        let secrets = SecretGuard::default();
        for copy in &copies {
            for path in [&copy.from, &copy.to] {
                if !is_plain_relative(Path::new(path)) {
                    return Err(refuse(
                        path,
                        "give a path relative to the project, without `..`".into(),
                    ));
                }
            }
            let from = from_guard
                .resolve_existing(&copy.from, Access::Read)
                .map_err(|e| refuse(&copy.from, e.to_string()))?;
            if secrets.is_secret(from.relative()) || secrets.is_secret(Path::new(&copy.from)) {
                return Err(refuse(
                    &copy.from,
                    "it is a secret (copy a template such as .env.example instead)".into(),
                ));
            }
            let mut file = from_guard
                .open_read(&from)
                .map_err(|e| refuse(&copy.from, e.to_string()))?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            if size > MAX_LISTED_BYTES {
                return Err(refuse(
                    &copy.from,
                    format!("it is {size} bytes, over the {MAX_LISTED_BYTES}-byte limit"),
                ));
            }
            let mut bytes = Vec::new();
            file.by_ref()
                .take(MAX_LISTED_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(io(format!("cannot read {}", copy.from)))?;
            let to = to_guard
                .resolve(&copy.to, Access::Write)
                .map_err(|e| refuse(&copy.to, e.to_string()))?;
            let mut out = to_guard
                .open_write(&to)
                .map_err(|e| refuse(&copy.to, e.to_string()))?;
            std::io::Write::write_all(&mut out, &bytes)
                .map_err(io(format!("cannot write {}", copy.to)))?;
        }
        Ok(())
    })
    .await
}

/// A relative path with no `..`, root or prefix in it.
fn is_plain_relative(path: &Path) -> bool {
    !path.as_os_str().is_empty()
        && path.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
}
