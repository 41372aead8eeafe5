//! Isolated worktrees for agents that write: each contender of an arena, or each writing
//! delegate, gets its own copy of the project — a git worktree on the project's current `HEAD`
//! (optionally with its uncommitted changes), or, for a directory that is not a git repository,
//! a plain copy honouring `.gitignore` — so agents running side by side never collide and the
//! main tree stays untouched until a person picks a result. [`Worktree::changes`] says what an
//! agent changed, file by file, against where it started.
//!
//! BooCode only ever lists, measures or removes worktrees it created: each has an ownership
//! record beside it and a marker in its git administrative directory, worktrees are checked out
//! detached (no branch lands on the user's checkout), the base is resolved to a commit before
//! anything is created, and git runs with hooks off. Copies never carry a secret (the secret
//! guard's deny list), and files the user asks to copy in (`.env.example` → `.env`) are read
//! through the same guards.
//!
//! ```no_run
//! # async fn demo() -> Result<(), boocode_worktree::WorktreeError> {
//! use boocode_worktree::{WorktreeOptions, Worktrees};
//!
//! let worktrees = Worktrees::open("/path/to/project", "/path/to/data/worktrees").await?;
//! let tree = worktrees.create(WorktreeOptions::new("arena contender 1")).await?;
//! // … an agent writes in tree.workdir() …
//! for change in tree.changes().await? {
//!     println!("{:?} {} (+{} -{})", change.kind, change.path, change.added, change.removed);
//! }
//! worktrees.remove(tree.id()).await?;
//! # Ok(())
//! # }
//! ```

mod changes;
mod copy;
mod git;

pub use changes::{ChangeKind, FileChange, MAX_CONTENT_BYTES};

use git::Git;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Why a worktree operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorktreeError {
    /// The project directory cannot be used.
    #[error("the project {path} cannot be used: {message}")]
    Project {
        /// The directory.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A git command failed.
    #[error("`{command}` failed: {message}")]
    Git {
        /// The command.
        command: String,
        /// Its error output.
        message: String,
    },
    /// Reading or writing files failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A file to copy in was refused.
    #[error("cannot copy {path}: {reason}")]
    Refused {
        /// The path asked for.
        path: String,
        /// Why.
        reason: String,
    },
    /// No worktree of BooCode's has that id (for this project).
    #[error("no worktree {0} of this project was made by BooCode")]
    NotFound(String),
}

pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> WorktreeError {
    let what = what.into();
    move |source| WorktreeError::Io { what, source }
}

/// A file copied into a new worktree from the project (a template to a worktree-local file,
/// say `.env.example` → `.env`). Both paths are relative to their roots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CopyFile {
    /// In the project; never a secret.
    pub from: String,
    /// In the worktree.
    pub to: String,
}

impl CopyFile {
    /// Copies `from` (in the project) to `to` (in the worktree).
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> Self {
        Self {
            from: from.into(),
            to: to.into(),
        }
    }
}

/// How to make a worktree.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WorktreeOptions {
    /// What it is for, for people (an arena and contender, a delegated task).
    pub label: String,
    /// Start from the project as it is on disk, uncommitted changes and untracked files
    /// included (git projects; a copy always is).
    pub include_uncommitted: bool,
    /// Files to copy in.
    pub copies: Vec<CopyFile>,
}

impl WorktreeOptions {
    /// A worktree labelled `label`, on the committed `HEAD`, with nothing copied in.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            ..Self::default()
        }
    }

    /// Includes the uncommitted changes and untracked files.
    pub fn include_uncommitted(mut self) -> Self {
        self.include_uncommitted = true;
        self
    }

    /// Copies `from` in the project to `to` in the worktree.
    pub fn copy(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.copies.push(CopyFile::new(from, to));
        self
    }
}

/// How a worktree was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WorktreeKind {
    /// A git worktree of the project's repository, detached at a commit.
    Git,
    /// A plain copy of a directory that is not a git repository.
    Copy,
}

/// The ownership record kept beside each worktree BooCode makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Owner {
    /// Always `boocode`.
    pub made_by: String,
    /// The worktree's id.
    pub id: String,
    /// What it is for.
    pub label: String,
    /// The project it copies (canonical).
    pub project: PathBuf,
    /// Git worktree or copy.
    pub kind: WorktreeKind,
    /// The commit it was checked out at (git).
    pub base_commit: Option<String>,
    /// The git tree of its content when it was ready: what [`Worktree::changes`] compares with.
    pub start_tree: String,
    /// The project's directory inside the repository (`""` at its top level): where agents
    /// work, and what [`Worktree::changes`] reports on.
    #[serde(default)]
    pub subdir: String,
    /// Its git administrative directory (git), where the marker is.
    pub admin_dir: Option<PathBuf>,
    /// When it was made (ms since the epoch).
    pub created_at: u128,
}

const MADE_BY: &str = "boocode";
/// The ownership record, beside the tree.
const RECORD: &str = "owner.json";
/// The marker in a git worktree's administrative directory.
const MARKER: &str = "boocode-owner";

/// One worktree BooCode made.
#[derive(Debug, Clone)]
pub struct Worktree {
    owner: Owner,
    /// `<home>/<id>`: the record, the tree and (for a copy) its snapshot repository.
    dir: PathBuf,
}

impl Worktree {
    /// Its id.
    pub fn id(&self) -> &str {
        &self.owner.id
    }

    /// The worktree's top directory (for a git worktree, the repository's top level).
    pub fn path(&self) -> PathBuf {
        self.dir.join("tree")
    }

    /// The directory an agent works in: the project's directory inside the worktree.
    pub fn workdir(&self) -> PathBuf {
        match self.owner.subdir.as_str() {
            "" => self.path(),
            sub => self.path().join(sub),
        }
    }

    /// Its ownership record.
    pub fn owner(&self) -> &Owner {
        &self.owner
    }

    fn git(&self) -> Git {
        match self.owner.kind {
            WorktreeKind::Git => Git::at(self.path()),
            WorktreeKind::Copy => Git::detached(self.path(), self.dir.join("snapshot.git")),
        }
    }
}

/// The worktrees BooCode makes for one project, kept under one directory of BooCode's.
#[derive(Debug)]
pub struct Worktrees {
    project: PathBuf,
    home: PathBuf,
    /// The repository's top level, for a git project.
    repo: Option<PathBuf>,
    /// Worktree creation and removal touch the repository's shared administrative files: one
    /// at a time.
    admin: tokio::sync::Mutex<()>,
}

impl Worktrees {
    /// The worktrees of the project at `project`, kept under `home` (a directory of BooCode's,
    /// such as its data directory's `worktrees`, created if missing).
    pub async fn open(
        project: impl AsRef<Path>,
        home: impl AsRef<Path>,
    ) -> Result<Self, WorktreeError> {
        let project =
            std::fs::canonicalize(project.as_ref()).map_err(|e| WorktreeError::Project {
                path: project.as_ref().to_path_buf(),
                message: e.to_string(),
            })?;
        if !project.is_dir() {
            return Err(WorktreeError::Project {
                path: project,
                message: "not a directory".into(),
            });
        }
        tokio::fs::create_dir_all(home.as_ref())
            .await
            .map_err(io(format!("cannot create {}", home.as_ref().display())))?;
        let home = std::fs::canonicalize(home.as_ref())
            .map_err(io(format!("cannot resolve {}", home.as_ref().display())))?;
        if home.starts_with(&project) {
            return Err(WorktreeError::Project {
                path: project,
                message: format!(
                    "worktrees cannot be kept inside the project ({})",
                    home.display()
                ),
            });
        }
        let repo = git::top_level(&project).await;
        Ok(Self {
            project,
            home,
            repo,
            admin: tokio::sync::Mutex::new(()),
        })
    }

    /// Whether new worktrees are git worktrees (else copies).
    pub fn kind(&self) -> WorktreeKind {
        if self.repo.is_some() {
            WorktreeKind::Git
        } else {
            WorktreeKind::Copy
        }
    }

    /// The project (canonical).
    pub fn project(&self) -> &Path {
        &self.project
    }

    /// Makes a worktree. On failure nothing of it is left behind.
    pub async fn create(&self, options: WorktreeOptions) -> Result<Worktree, WorktreeError> {
        let id = format!("wt_{}", uuid::Uuid::new_v4().simple());
        let dir = self.home.join(&id);
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(io(format!("cannot create {}", dir.display())))?;
        let made = match &self.repo {
            Some(repo) => self.create_git(repo, &id, &dir, &options).await,
            None => self.create_copy(&id, &dir, &options).await,
        };
        match made {
            Ok(tree) => {
                tracing::info!(id = %tree.id(), project = %self.project.display(), kind = ?tree.owner.kind, "worktree made");
                Ok(tree)
            }
            Err(e) => {
                self.discard(&id, &dir).await;
                Err(e)
            }
        }
    }

    async fn create_git(
        &self,
        repo: &Path,
        id: &str,
        dir: &Path,
        options: &WorktreeOptions,
    ) -> Result<Worktree, WorktreeError> {
        let main = Git::at(repo);
        // The base is fixed before anything is made: a commit, never a moving name.
        let base = main
            .line(&["rev-parse", "--verify", "--end-of-options", "HEAD^{commit}"])
            .await
            .map_err(|e| WorktreeError::Project {
                path: self.project.clone(),
                message: format!("the repository has no commit to start from ({e})"),
            })?;
        let tree = dir.join("tree");
        let tree_arg = tree.to_string_lossy().into_owned();
        {
            let _admin = self.admin.lock().await;
            main.run(&["worktree", "add", "--detach", "--quiet", &tree_arg, &base])
                .await?;
        }
        let work = Git::at(&tree);
        let admin_dir = PathBuf::from(work.line(&["rev-parse", "--absolute-git-dir"]).await?);
        tokio::fs::write(admin_dir.join(MARKER), id)
            .await
            .map_err(io("cannot mark the worktree as BooCode's"))?;
        // The project inside a bigger repository: agents work in the same subdirectory.
        let sub = self.project.strip_prefix(repo).unwrap_or(Path::new(""));
        if options.include_uncommitted {
            let diff = main.run(&["diff", "--binary", "HEAD", "--"]).await?;
            if !diff.is_empty() {
                work.run_with_input(
                    &["apply", "--binary", "--whitespace=nowarn", "-"],
                    Some(&diff),
                )
                .await?;
            }
            let untracked = git::nul_paths(
                &main
                    .run(&["ls-files", "--others", "--exclude-standard", "-z"])
                    .await?,
            );
            copy::untracked(repo, &tree, &untracked).await?;
        }
        copy::listed(&self.project, &tree.join(sub), &options.copies).await?;
        let start_tree = changes::snapshot(&work).await?;
        self.record(
            dir,
            Owner {
                made_by: MADE_BY.into(),
                id: id.into(),
                label: options.label.clone(),
                project: self.project.clone(),
                kind: WorktreeKind::Git,
                base_commit: Some(base),
                start_tree,
                subdir: sub.to_string_lossy().into_owned(),
                admin_dir: Some(admin_dir),
                created_at: now_ms(),
            },
        )
        .await
    }

    async fn create_copy(
        &self,
        id: &str,
        dir: &Path,
        options: &WorktreeOptions,
    ) -> Result<Worktree, WorktreeError> {
        let tree = dir.join("tree");
        copy::project(&self.project, &tree).await?;
        copy::listed(&self.project, &tree, &options.copies).await?;
        // A snapshot repository beside the copy (not in it), for measuring changes.
        let snapshot = Git::detached(&tree, dir.join("snapshot.git"));
        snapshot.run(&["init", "--quiet"]).await?;
        let start_tree = changes::snapshot(&snapshot).await?;
        self.record(
            dir,
            Owner {
                made_by: MADE_BY.into(),
                id: id.into(),
                label: options.label.clone(),
                project: self.project.clone(),
                kind: WorktreeKind::Copy,
                base_commit: None,
                start_tree,
                subdir: String::new(),
                admin_dir: None,
                created_at: now_ms(),
            },
        )
        .await
    }

    async fn record(&self, dir: &Path, owner: Owner) -> Result<Worktree, WorktreeError> {
        let json = serde_json::to_vec_pretty(&owner).map_err(|e| WorktreeError::Io {
            what: "cannot write the ownership record".into(),
            source: std::io::Error::other(e),
        })?;
        tokio::fs::write(dir.join(RECORD), json)
            .await
            .map_err(io("cannot write the ownership record"))?;
        Ok(Worktree {
            owner,
            dir: dir.to_path_buf(),
        })
    }

    /// The worktrees BooCode made for this project, oldest first. Only directories with an
    /// ownership record naming this project are listed; nothing else is looked at.
    pub async fn list(&self) -> Result<Vec<Worktree>, WorktreeError> {
        let mut found = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.home)
            .await
            .map_err(io(format!("cannot list {}", self.home.display())))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(io(format!("cannot list {}", self.home.display())))?
        {
            if let Some(tree) = self.read_record(&entry.path()).await {
                found.push(tree);
            }
        }
        found.sort_by(|a, b| {
            (a.owner.created_at, &a.owner.id).cmp(&(b.owner.created_at, &b.owner.id))
        });
        Ok(found)
    }

    async fn read_record(&self, dir: &Path) -> Option<Worktree> {
        let bytes = tokio::fs::read(dir.join(RECORD)).await.ok()?;
        let owner: Owner = serde_json::from_slice(&bytes).ok()?;
        let named = dir.file_name().and_then(|n| n.to_str()) == Some(owner.id.as_str());
        (owner.made_by == MADE_BY && named && owner.project == self.project).then(|| Worktree {
            owner,
            dir: dir.to_path_buf(),
        })
    }

    /// One worktree BooCode made for this project.
    pub async fn get(&self, id: &str) -> Result<Worktree, WorktreeError> {
        if !valid_id(id) {
            return Err(WorktreeError::NotFound(id.to_owned()));
        }
        self.read_record(&self.home.join(id))
            .await
            .ok_or_else(|| WorktreeError::NotFound(id.to_owned()))
    }

    /// Removes one worktree BooCode made (its files, its git registration, its record).
    pub async fn remove(&self, id: &str) -> Result<(), WorktreeError> {
        let tree = self.get(id).await?;
        self.discard(&tree.owner.id, &tree.dir).await;
        if tokio::fs::try_exists(&tree.dir).await.unwrap_or(false) {
            return Err(WorktreeError::Io {
                what: format!("cannot remove {}", tree.dir.display()),
                source: std::io::Error::other("files are left"),
            });
        }
        tracing::info!(id, "worktree removed");
        Ok(())
    }

    /// Removes BooCode's worktrees of this project whose files are gone or whose git
    /// registration is broken (a crash mid-creation, a directory deleted by hand); returns how
    /// many. Worktrees BooCode did not make are never touched.
    pub async fn prune(&self) -> Result<usize, WorktreeError> {
        let registered = match &self.repo {
            Some(repo) => Some(registered_worktrees(repo).await?),
            None => None,
        };
        let mut pruned = 0;
        for tree in self.list().await? {
            let path = tree.path();
            let broken = !tokio::fs::try_exists(&path).await.unwrap_or(false)
                || registered
                    .as_ref()
                    .is_some_and(|r| tree.owner.kind == WorktreeKind::Git && !r.contains(&path));
            if broken {
                self.discard(&tree.owner.id, &tree.dir).await;
                pruned += 1;
            }
        }
        Ok(pruned)
    }

    /// Removes whatever exists of worktree `id` in `dir`: its git registration (only when the
    /// administrative directory carries our marker for this id), then its files.
    async fn discard(&self, id: &str, dir: &Path) {
        if let Some(repo) = &self.repo {
            let tree = dir.join("tree");
            let _admin = self.admin.lock().await;
            let admin_dir = match tokio::fs::read(dir.join(RECORD)).await {
                Ok(bytes) => serde_json::from_slice::<Owner>(&bytes)
                    .ok()
                    .and_then(|o| o.admin_dir),
                // Failed before the record was written: the marker in the tree's git file.
                Err(_) => Git::at(&tree)
                    .line(&["rev-parse", "--absolute-git-dir"])
                    .await
                    .ok()
                    .map(PathBuf::from),
            };
            let ours = match &admin_dir {
                Some(admin) => tokio::fs::read_to_string(admin.join(MARKER))
                    .await
                    .is_ok_and(|m| m == id),
                None => false,
            };
            if ours {
                let tree_arg = tree.to_string_lossy().into_owned();
                if let Err(e) = Git::at(repo)
                    .run(&["worktree", "remove", "--force", "--force", &tree_arg])
                    .await
                {
                    tracing::debug!(error = %e, "git worktree remove failed; removing by hand");
                    if let Some(admin) = &admin_dir {
                        let _ = tokio::fs::remove_dir_all(admin).await;
                    }
                }
            }
        }
        if let Err(e) = tokio::fs::remove_dir_all(dir).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, dir = %dir.display(), "cannot remove a worktree's files");
        }
    }
}

/// The paths git has registered as worktrees of `repo`.
async fn registered_worktrees(repo: &Path) -> Result<Vec<PathBuf>, WorktreeError> {
    let out = Git::at(repo)
        .run(&["worktree", "list", "--porcelain", "-z"])
        .await?;
    Ok(git::nul_paths(&out)
        .into_iter()
        .filter_map(|l| l.strip_prefix("worktree ").map(PathBuf::from))
        .collect())
}

fn valid_id(id: &str) -> bool {
    id.strip_prefix("wt_")
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit()))
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}
