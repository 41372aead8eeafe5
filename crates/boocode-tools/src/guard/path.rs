//! `path_guard`: every filesystem path a tool touches is resolved here first.
//!
//! A path is accepted only if, after canonicalization (every symlink in it followed), it lies
//! inside the project root, or, for reads, inside an explicit read grant. The checked result is a
//! [`GuardedPath`], which only this module can build.

use std::fmt;
use std::fs::File;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::protected::ProtectedPaths;

/// What the caller means to do with the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// Reading: the root and the read grants are allowed.
    Read,
    /// Writing: only the root is allowed.
    Write,
}

/// Which rule refused a path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path contains a NUL byte.
    #[error("refused {path}: the path contains a NUL byte")]
    NulByte {
        /// The path as given (escaped).
        path: String,
    },
    /// `..` components lead outside the root.
    #[error("refused {path}: `..` leads outside the project root")]
    ParentEscape {
        /// The path as given (escaped).
        path: String,
    },
    /// An absolute path outside the root and grants.
    #[error("refused {path}: it is outside the project root{grants}")]
    OutsideRoot {
        /// The path as given (escaped).
        path: String,
        /// " and the read grants" when grants exist.
        grants: &'static str,
    },
    /// A symlink (the file itself or a parent directory) leads outside.
    #[error("refused {path}: a symlink in it leads outside the project root")]
    SymlinkEscape {
        /// The path as given (escaped).
        path: String,
    },
    /// A device, FIFO or socket.
    #[error("refused {path}: it is a device, pipe or socket, not a regular file or directory")]
    SpecialFile {
        /// The path as given (escaped).
        path: String,
    },
    /// Nothing exists there.
    #[error("{path} does not exist")]
    NotFound {
        /// The path as given (escaped).
        path: String,
    },
    /// A write to a file that runs code (git config and hooks, `.envrc`, editor tasks).
    #[error(
        "refused {path}: writes to files matching `{pattern}` are refused, since they can run code (git hooks and config, direnv, editor tasks)"
    )]
    Protected {
        /// The path as given (escaped).
        path: String,
        /// The protected-path pattern it matches.
        pattern: String,
    },
    /// A project root that is, or lies inside, a home or credentials folder.
    #[error("refused {path} as a project root: {reason}")]
    UnsafeRoot {
        /// The root as given (escaped).
        path: String,
        /// Which folder it is or lies in.
        reason: String,
    },
    /// Any other I/O failure.
    #[error("cannot access {path}: {message}")]
    Io {
        /// The path as given (escaped).
        path: String,
        /// The OS error.
        message: String,
    },
}

impl PathError {
    /// A stable name for the rule, for logs and tests.
    pub fn rule(&self) -> &'static str {
        match self {
            PathError::NulByte { .. } => "nul_byte",
            PathError::ParentEscape { .. } => "parent_escape",
            PathError::OutsideRoot { .. } => "outside_root",
            PathError::SymlinkEscape { .. } => "symlink_escape",
            PathError::SpecialFile { .. } => "special_file",
            PathError::NotFound { .. } => "not_found",
            PathError::Protected { .. } => "protected_file",
            PathError::UnsafeRoot { .. } => "unsafe_root",
            PathError::Io { .. } => "io",
        }
    }
}

/// A path that passed the guard: canonical, absolute and inside an allowed base.
#[derive(Clone, PartialEq, Eq)]
pub struct GuardedPath {
    path: PathBuf,
    base: PathBuf,
    relative: PathBuf,
    exists: bool,
}

impl GuardedPath {
    /// The canonical absolute path.
    pub fn as_path(&self) -> &Path {
        &self.path
    }

    /// The allowed base it lies in: the project root or a read grant.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// The path relative to the base it is in (the root or a grant); empty for the base itself.
    pub fn relative(&self) -> &Path {
        &self.relative
    }

    /// A display form: relative to its base, or `.` for the base.
    pub fn display(&self) -> String {
        if self.relative.as_os_str().is_empty() {
            ".".to_owned()
        } else {
            self.relative.display().to_string()
        }
    }

    /// Whether the path existed when it was checked.
    pub fn exists(&self) -> bool {
        self.exists
    }
}

impl fmt::Debug for GuardedPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("GuardedPath").field(&self.path).finish()
    }
}

/// The project root plus read grants, and the paths no write may touch.
#[derive(Debug, Clone)]
pub struct PathGuard {
    root: PathBuf,
    grants: Vec<PathBuf>,
    protected: ProtectedPaths,
}

/// Quotes a user-given path for an error message, escaping control characters.
fn quoted(input: &str) -> String {
    format!("`{}`", input.escape_debug())
}

impl PathGuard {
    /// A guard for `root`, which must be an existing directory and must not be, or lie inside,
    /// the user's home folder itself or a credentials folder (see [`check_project_root`]).
    /// Writes to [`DEFAULT_PROTECTED`](super::protected::DEFAULT_PROTECTED) paths are refused.
    pub fn new(root: impl AsRef<Path>) -> Result<Self, PathError> {
        let guard = Self::unchecked(root)?;
        check_project_root(&guard.root, dirs::home_dir().as_deref())?;
        Ok(guard)
    }

    /// A guard for a folder BooCode itself keeps (its config folder, a temporary copy): no
    /// check of where it lies.
    pub fn for_own_folder(root: impl AsRef<Path>) -> Result<Self, PathError> {
        Self::unchecked(root)
    }

    fn unchecked(root: impl AsRef<Path>) -> Result<Self, PathError> {
        let root = root.as_ref();
        let name = quoted(&root.display().to_string());
        let canonical = root.canonicalize().map_err(|e| io_error(&name, &e))?;
        if !canonical.is_dir() {
            return Err(PathError::Io {
                path: name,
                message: "the project root is not a directory".into(),
            });
        }
        Ok(Self {
            root: canonical,
            grants: Vec::new(),
            protected: ProtectedPaths::default(),
        })
    }

    /// Replaces the list of paths no write may touch.
    pub fn with_protected(mut self, protected: ProtectedPaths) -> Self {
        self.protected = protected;
        self
    }

    /// The paths no write may touch.
    pub fn protected(&self) -> &ProtectedPaths {
        &self.protected
    }

    /// Also allows reads under `dir` (an existing directory).
    pub fn with_read_grant(mut self, dir: impl AsRef<Path>) -> Result<Self, PathError> {
        let dir = dir.as_ref();
        let name = quoted(&dir.display().to_string());
        let canonical = dir.canonicalize().map_err(|e| io_error(&name, &e))?;
        self.grants.push(canonical);
        Ok(self)
    }

    /// The canonical project root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn bases(&self, access: Access) -> impl Iterator<Item = &PathBuf> {
        let grants = match access {
            Access::Read => self.grants.as_slice(),
            Access::Write => &[],
        };
        std::iter::once(&self.root).chain(grants.iter())
    }

    fn base_of(&self, path: &Path, access: Access) -> Option<&PathBuf> {
        self.bases(access).find(|base| path.starts_with(base))
    }

    /// Checks `input` (relative to the root, or absolute) for `access`.
    ///
    /// A path that does not exist yet is allowed when its nearest existing ancestor is inside
    /// (so a file can be created), unless a dangling symlink stands in the way.
    pub fn resolve(&self, input: &str, access: Access) -> Result<GuardedPath, PathError> {
        let name = quoted(input);
        if input.contains('\0') {
            return Err(PathError::NulByte { path: name });
        }
        let given = Path::new(input.trim());
        let candidate = if given.is_absolute() {
            given.to_path_buf()
        } else {
            self.root.join(given)
        };
        let lexical = normalize(&candidate);
        if self.base_of(&lexical, access).is_none() {
            let has_parent = given.components().any(|c| c == Component::ParentDir);
            return Err(if has_parent && !given.is_absolute() {
                PathError::ParentEscape { path: name }
            } else {
                PathError::OutsideRoot {
                    path: name,
                    grants: if access == Access::Read && !self.grants.is_empty() {
                        " and the read grants"
                    } else {
                        ""
                    },
                }
            });
        }
        let (canonical, exists) = canonicalize_allowing_missing(&lexical, &name)?;
        let Some(base) = self.base_of(&canonical, access) else {
            return Err(PathError::SymlinkEscape { path: name });
        };
        if exists {
            let meta = std::fs::metadata(&canonical).map_err(|e| io_error(&name, &e))?;
            if !(meta.is_file() || meta.is_dir()) {
                return Err(PathError::SpecialFile { path: name });
            }
        }
        let relative = canonical
            .strip_prefix(base)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        if access == Access::Write {
            // Both the path as named and where it really leads: a link named `hooks` that
            // points into `.git`, or `.git/../x` spelled to look harmless.
            let named = lexical.strip_prefix(base).unwrap_or(&lexical);
            if let Some(pattern) = self
                .protected
                .matching_pattern(&relative)
                .or_else(|| self.protected.matching_pattern(named))
            {
                return Err(PathError::Protected {
                    path: name,
                    pattern: pattern.to_owned(),
                });
            }
        }
        Ok(GuardedPath {
            base: base.clone(),
            path: canonical,
            relative,
            exists,
        })
    }

    /// Like [`resolve`](Self::resolve), but the path must exist.
    pub fn resolve_existing(&self, input: &str, access: Access) -> Result<GuardedPath, PathError> {
        let guarded = self.resolve(input, access)?;
        if !guarded.exists {
            return Err(PathError::NotFound {
                path: quoted(input),
            });
        }
        Ok(guarded)
    }

    /// Opens a checked file for reading, and checks again through the open descriptor that the
    /// file really opened is inside (a symlink swapped in after the check is caught here).
    ///
    /// The open never blocks: a FIFO or device swapped in after the check opens without
    /// waiting for a writer (`O_NONBLOCK`) and is then refused as a special file.
    pub fn open_read(&self, path: &GuardedPath) -> Result<File, PathError> {
        use std::os::unix::fs::OpenOptionsExt;
        let name = quoted(&path.display());
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(&path.path)
            .map_err(|e| io_error(&name, &e))?;
        self.verify_open(&file, &name, Access::Read)?;
        let meta = file.metadata().map_err(|e| io_error(&name, &e))?;
        if !meta.is_file() {
            return Err(PathError::SpecialFile { path: name });
        }
        Ok(file)
    }

    /// Opens a checked path for writing (created if missing, parent directories included) and
    /// empties it only after checking through the open descriptor that the file really opened
    /// is inside the root, so a symlink swapped in after the check cannot truncate a file outside.
    pub fn open_write(&self, path: &GuardedPath) -> Result<File, PathError> {
        let name = quoted(&path.display());
        if let Some(parent) = path.path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error(&name, &e))?;
        }
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path.path)
            .map_err(|e| io_error(&name, &e))?;
        self.verify_open(&file, &name, Access::Write)?;
        let meta = file.metadata().map_err(|e| io_error(&name, &e))?;
        if !meta.is_file() {
            return Err(PathError::SpecialFile { path: name });
        }
        file.set_len(0).map_err(|e| io_error(&name, &e))?;
        Ok(file)
    }

    #[cfg(target_os = "linux")]
    pub(super) fn verify_open(
        &self,
        file: &File,
        name: &str,
        access: Access,
    ) -> Result<(), PathError> {
        use std::os::fd::AsRawFd;
        let real = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
            .map_err(|e| io_error(name, &e))?;
        match self.base_of(&real, access) {
            Some(_) => Ok(()),
            None => Err(PathError::SymlinkEscape {
                path: name.to_owned(),
            }),
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub(super) fn verify_open(
        &self,
        _file: &File,
        _name: &str,
        _access: Access,
    ) -> Result<(), PathError> {
        Ok(())
    }
}

/// Folders under the home folder that hold credentials: no project root may be one of them or
/// lie inside one.
pub const CREDENTIAL_FOLDERS: &[&str] = &[
    ".ssh",
    ".aws",
    ".gnupg",
    ".config/gh",
    ".config/gcloud",
    ".azure",
    ".kube",
    ".docker",
    ".password-store",
    ".pki",
    ".local/share/keyrings",
    ".terraform.d",
];

/// Refuses a project root (canonical) that is the home folder itself or contains it, or is or
/// lies inside one of the [`CREDENTIAL_FOLDERS`] (or any folder named like them, wherever it
/// is). `home` is the user's home folder, when known.
pub fn check_project_root(root: &Path, home: Option<&Path>) -> Result<(), PathError> {
    let name = quoted(&root.display().to_string());
    let unsafe_root = |reason: String| PathError::UnsafeRoot {
        path: name.clone(),
        reason,
    };
    if let Some(home) = home {
        let home = home.canonicalize().unwrap_or_else(|_| home.to_path_buf());
        if home.starts_with(root) {
            return Err(unsafe_root(if home == root {
                "it is your home folder; choose the repository's own folder".into()
            } else {
                format!(
                    "it contains your home folder {}; choose the repository's own folder",
                    home.display()
                )
            }));
        }
        if let Ok(inside) = root.strip_prefix(&home) {
            for folder in CREDENTIAL_FOLDERS {
                if inside.starts_with(folder) {
                    return Err(unsafe_root(format!(
                        "it is or lies inside ~/{folder}, a credentials folder"
                    )));
                }
            }
        }
    }
    // A credentials folder anywhere (another user's home, a mounted backup).
    for component in root.components() {
        if let Component::Normal(part) = component {
            let part = part.to_string_lossy().to_lowercase();
            if let Some(folder) = CREDENTIAL_FOLDERS
                .iter()
                .find(|f| !f.contains('/') && **f == part)
            {
                return Err(unsafe_root(format!(
                    "it is or lies inside a `{folder}` folder, which holds credentials"
                )));
            }
        }
    }
    Ok(())
}

pub(super) fn io_error(name: &str, e: &io::Error) -> PathError {
    match e.kind() {
        io::ErrorKind::NotFound => PathError::NotFound {
            path: name.to_owned(),
        },
        _ => PathError::Io {
            path: name.to_owned(),
            message: e.kind().to_string(),
        },
    }
}

/// Removes `.` and resolves `..` textually (never above the filesystem root).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(p) => out.push(p.as_os_str()),
            Component::RootDir => out.push(Component::RootDir.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(part) => out.push(part),
        }
    }
    out
}

/// Canonicalizes the longest existing prefix of `path` and appends the rest. Refuses a dangling
/// symlink anywhere in the path: writing through it would land wherever it points.
fn canonicalize_allowing_missing(path: &Path, name: &str) -> Result<(PathBuf, bool), PathError> {
    match path.canonicalize() {
        Ok(p) => return Ok((p, true)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(name, &e)),
    }
    let mut missing: Vec<&std::ffi::OsStr> = Vec::new();
    let mut current = path;
    loop {
        match std::fs::symlink_metadata(current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                // It exists as a link but canonicalize failed: the link dangles.
                return Err(PathError::SymlinkEscape {
                    path: name.to_owned(),
                });
            }
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(name, &e)),
        }
        let Some(file_name) = current.file_name() else {
            return Err(PathError::NotFound {
                path: name.to_owned(),
            });
        };
        missing.push(file_name);
        current = match current.parent() {
            Some(parent) => parent,
            None => {
                return Err(PathError::NotFound {
                    path: name.to_owned(),
                });
            }
        };
    }
    let mut canonical = current.canonicalize().map_err(|e| io_error(name, &e))?;
    for part in missing.iter().rev() {
        canonical.push(part);
    }
    Ok((canonical, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn open_write_creates_inside_and_never_truncates_outside() {
        use std::io::Write;
        let (root, outside, guard) = layout();
        let target = guard.resolve("new/dir/file.txt", Access::Write).unwrap();
        guard
            .open_write(&target)
            .unwrap()
            .write_all(b"hello")
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(root.path().join("new/dir/file.txt")).unwrap(),
            "hello"
        );
        // A checked path whose file is swapped for a symlink to the outside after the check.
        let swapped = guard.resolve("swapped.txt", Access::Write).unwrap();
        symlink(
            outside.path().join("secret.txt"),
            root.path().join("swapped.txt"),
        )
        .unwrap();
        let err = guard.open_write(&swapped).unwrap_err();
        assert!(matches!(err, PathError::SymlinkEscape { .. }), "{err}");
        assert_eq!(
            std::fs::read_to_string(outside.path().join("secret.txt")).unwrap(),
            "TOP SECRET"
        );
    }

    fn layout() -> (tempfile::TempDir, tempfile::TempDir, PathGuard) {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("src/inner")).unwrap();
        std::fs::write(root.path().join("src/main.rs"), "fn main() {}").unwrap();
        std::fs::write(outside.path().join("secret.txt"), "TOP SECRET").unwrap();
        symlink(outside.path(), root.path().join("src/escape_dir")).unwrap();
        symlink(
            outside.path().join("secret.txt"),
            root.path().join("leak.txt"),
        )
        .unwrap();
        symlink(
            root.path().join("src/main.rs"),
            root.path().join("alias.rs"),
        )
        .unwrap();
        symlink(
            outside.path().join("nope/new.txt"),
            root.path().join("dangling"),
        )
        .unwrap();
        let guard = PathGuard::new(root.path()).unwrap();
        (root, outside, guard)
    }

    #[test]
    fn accepts_paths_inside_and_reports_them_relative() {
        let (_root, _out, guard) = layout();
        let p = guard
            .resolve("src/./inner/../main.rs", Access::Read)
            .unwrap();
        assert_eq!(p.display(), "src/main.rs");
        assert!(p.exists());
        assert_eq!(guard.resolve("", Access::Read).unwrap().display(), ".");
        // A symlink that stays inside is fine.
        assert_eq!(
            guard.resolve("alias.rs", Access::Read).unwrap().display(),
            "src/main.rs"
        );
        // A file that does not exist yet can be named for writing.
        let new = guard.resolve("src/new/file.rs", Access::Write).unwrap();
        assert!(!new.exists());
        assert!(new.as_path().starts_with(guard.root()));
    }

    #[test]
    fn each_rule_refuses_and_says_which() {
        let (_root, outside, guard) = layout();
        let outside_file = outside.path().join("secret.txt");
        let cases: Vec<(String, &str)> = vec![
            ("src/\0main.rs".into(), "nul_byte"),
            ("../x".into(), "parent_escape"),
            ("src/../../x".into(), "parent_escape"),
            (outside_file.display().to_string(), "outside_root"),
            ("/etc/passwd".into(), "outside_root"),
            ("leak.txt".into(), "symlink_escape"),
            ("src/escape_dir/secret.txt".into(), "symlink_escape"),
            ("src/escape_dir/new.txt".into(), "symlink_escape"),
            ("dangling".into(), "symlink_escape"),
            ("/dev/null".into(), "outside_root"),
        ];
        for (input, rule) in cases {
            let err = guard.resolve(&input, Access::Read).unwrap_err();
            assert_eq!(err.rule(), rule, "{input:?}: {err}");
            assert!(!err.to_string().contains("TOP SECRET"));
        }
    }

    #[test]
    fn grants_allow_reads_but_not_writes() {
        let (_root, outside, guard) = layout();
        let guard = guard.with_read_grant(outside.path()).unwrap();
        let path = outside.path().join("secret.txt").display().to_string();
        assert!(guard.resolve(&path, Access::Read).is_ok());
        let err = guard.resolve(&path, Access::Write).unwrap_err();
        assert_eq!(err.rule(), "outside_root");
        // Through a symlink the grant applies to reads too.
        assert!(guard.resolve("leak.txt", Access::Read).is_ok());
        assert_eq!(
            guard.resolve("leak.txt", Access::Write).unwrap_err().rule(),
            "symlink_escape"
        );
    }

    #[test]
    fn writes_to_execution_bearing_files_are_refused_by_name_and_through_links() {
        let (root, _outside, guard) = layout();
        std::fs::create_dir_all(root.path().join(".git/hooks")).unwrap();
        std::fs::write(root.path().join(".git/config"), "[core]\n").unwrap();
        std::fs::write(root.path().join(".git/hooks/pre-commit"), "#!/bin/sh\n").unwrap();
        symlink(root.path().join(".git/hooks"), root.path().join("hooks")).unwrap();
        symlink(root.path().join(".git"), root.path().join("src/g")).unwrap();
        for input in [
            ".git/config",
            ".GIT/config",
            "./.git/hooks/pre-commit",
            "src/../.git/config",
            "hooks/pre-commit",
            "src/g/config",
            ".envrc",
            ".vscode/tasks.json",
            ".husky/pre-push",
            ".boocode/settings.json",
            ".boocode/hooks/guard.sh",
            ".claude/settings.json",
            ".claude/settings.local.json",
        ] {
            let err = guard.resolve(input, Access::Write).unwrap_err();
            assert_eq!(err.rule(), "protected_file", "{input}: {err}");
            assert!(err.to_string().contains("refuse"), "{err}");
        }
        // Reading them stays possible (the secret guard and redaction rule reads).
        assert!(guard.resolve(".git/config", Access::Read).is_ok());
        assert!(guard.resolve("src/main.rs", Access::Write).is_ok());
        let open = PathGuard::new(root.path())
            .unwrap()
            .with_protected(ProtectedPaths::none());
        assert!(open.resolve(".envrc", Access::Write).is_ok());
    }

    #[test]
    fn home_and_credential_folders_are_not_project_roots() {
        let home = tempfile::tempdir().unwrap();
        let home_path = home.path().canonicalize().unwrap();
        for folder in [".aws", ".ssh/keys", ".config/gh", ".kube"] {
            std::fs::create_dir_all(home_path.join(folder)).unwrap();
        }
        std::fs::create_dir_all(home_path.join("src/app")).unwrap();
        let check = |p: &Path| check_project_root(p, Some(&home_path));
        assert_eq!(check(&home_path).unwrap_err().rule(), "unsafe_root");
        assert!(
            check(&home_path)
                .unwrap_err()
                .to_string()
                .contains("home folder")
        );
        assert_eq!(
            check(home_path.parent().unwrap()).unwrap_err().rule(),
            "unsafe_root"
        );
        for folder in [".aws", ".ssh/keys", ".config/gh", ".kube"] {
            let err = check(&home_path.join(folder)).unwrap_err();
            assert_eq!(err.rule(), "unsafe_root", "{folder}");
        }
        assert!(check(&home_path.join("src/app")).is_ok());
        assert!(check(Path::new("/srv/other/.aws/x")).is_err());
        assert!(check(Path::new("/srv/projects/app")).is_ok());
    }

    #[test]
    fn special_files_are_refused_even_inside() {
        let root = tempfile::tempdir().unwrap();
        symlink("/dev/null", root.path().join("null")).unwrap();
        let guard = PathGuard::new(root.path())
            .unwrap()
            .with_read_grant("/dev")
            .unwrap();
        assert_eq!(
            guard.resolve("null", Access::Read).unwrap_err().rule(),
            "special_file"
        );
    }

    #[test]
    fn open_read_rechecks_the_real_file() {
        let (root, _out, guard) = layout();
        let checked = guard.resolve("src/main.rs", Access::Read).unwrap();
        assert!(guard.open_read(&checked).is_ok());
        // Swap the checked file for a symlink to the outside after the check.
        std::fs::remove_file(root.path().join("src/main.rs")).unwrap();
        symlink(
            _out.path().join("secret.txt"),
            root.path().join("src/main.rs"),
        )
        .unwrap();
        let err = guard.open_read(&checked).unwrap_err();
        assert_eq!(err.rule(), "symlink_escape");
    }
}
