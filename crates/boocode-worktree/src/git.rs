//! Running `git`: always with hooks and the file-system monitor off (a repository's
//! configuration must not run code because BooCode made a worktree), with none of the caller's
//! `GIT_*` redirections, and with its error output kept for the error.

use crate::WorktreeError;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

/// Variables that would point git somewhere else than we ask.
const REDIRECTS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
];

/// Where a git command runs: a directory, and optionally a separate git dir for it (a copy's
/// snapshot repository, kept out of the copy).
#[derive(Debug, Clone)]
pub(crate) struct Git {
    dir: PathBuf,
    git_dir: Option<PathBuf>,
}

impl Git {
    /// Git in `dir` (a repository or a worktree).
    pub(crate) fn at(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            git_dir: None,
        }
    }

    /// Git on the work tree `dir` with its repository in `git_dir`.
    pub(crate) fn detached(dir: impl Into<PathBuf>, git_dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            git_dir: Some(git_dir.into()),
        }
    }

    /// Runs `git args…`, returning its standard output.
    pub(crate) async fn run(&self, args: &[&str]) -> Result<Vec<u8>, WorktreeError> {
        self.run_with_input(args, None).await
    }

    /// Runs `git args…` and trims its output to one line of text.
    pub(crate) async fn line(&self, args: &[&str]) -> Result<String, WorktreeError> {
        let out = self.run(args).await?;
        Ok(String::from_utf8_lossy(&out).trim().to_owned())
    }

    /// Runs `git args…` with `input` on its standard input.
    pub(crate) async fn run_with_input(
        &self,
        args: &[&str],
        input: Option<&[u8]>,
    ) -> Result<Vec<u8>, WorktreeError> {
        let mut cmd = tokio::process::Command::new("git");
        cmd.arg("-c")
            .arg("core.hooksPath=/dev/null")
            .arg("-c")
            .arg("core.fsmonitor=false")
            .arg("-c")
            .arg("core.quotePath=false")
            .args(args)
            .current_dir(&self.dir)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for key in REDIRECTS {
            cmd.env_remove(key);
        }
        if let Some(git_dir) = &self.git_dir {
            cmd.env("GIT_DIR", git_dir).env("GIT_WORK_TREE", &self.dir);
        }
        let described = || {
            std::iter::once(OsString::from("git"))
                .chain(args.iter().map(OsString::from))
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut child = cmd.spawn().map_err(|e| WorktreeError::Git {
            command: described(),
            message: format!("cannot run git: {e}"),
        })?;
        if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin
                .write_all(bytes)
                .await
                .map_err(|e| WorktreeError::Git {
                    command: described(),
                    message: format!("cannot write to git: {e}"),
                })?;
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| WorktreeError::Git {
                command: described(),
                message: e.to_string(),
            })?;
        if !out.status.success() {
            return Err(WorktreeError::Git {
                command: described(),
                message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(out.stdout)
    }
}

/// The repository's top level when `dir` is inside a git work tree with at least one commit.
pub(crate) async fn top_level(dir: &Path) -> Option<PathBuf> {
    let git = Git::at(dir);
    let inside = git
        .line(&["rev-parse", "--is-inside-work-tree"])
        .await
        .ok()?;
    if inside != "true" {
        return None;
    }
    git.line(&["rev-parse", "--show-toplevel"])
        .await
        .ok()
        .map(PathBuf::from)
}

/// Paths git prints NUL-separated.
pub(crate) fn nul_paths(out: &[u8]) -> Vec<String> {
    out.split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}
