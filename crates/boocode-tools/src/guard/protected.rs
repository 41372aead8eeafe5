//! `protected_paths`: files that run code when the user's tools next touch the project — git's
//! config and hooks, direnv's `.envrc`, editor task and settings files, husky hooks. No write
//! (a model's, an agent's, a queued change being applied or rewound) may land on them.
//!
//! Each component of the path is normalized before matching, the way git itself compares
//! `.git` on case-folding and trailing-dot-stripping filesystems: lowercased, trailing dots and
//! spaces removed, and the 8.3 short name `git~1` read as `.git`. So `.GIT/config`,
//! `.git./hooks/x` and `sub/.Git/config` are all refused by `.git/**`.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

/// Execution-bearing files refused to writes by default (gitignore-like globs, any depth).
pub const DEFAULT_PROTECTED: &[&str] = &[
    ".git/**",
    ".git",
    ".envrc",
    ".vscode/tasks.json",
    ".vscode/settings.json",
    ".idea/workspace.xml",
    ".husky/**",
    // Hook settings and the scripts beside them: what BooCode and Claude Code run as commands.
    ".boocode/settings.json",
    ".boocode/settings.local.json",
    ".boocode/hooks/**",
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude/hooks/**",
];

/// Why a protected-paths list could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid protected-path pattern `{pattern}`: {message}")]
pub struct ProtectedPatternError {
    /// The pattern.
    pub pattern: String,
    /// What is wrong with it.
    pub message: String,
}

/// The list of paths no write may touch.
#[derive(Debug, Clone)]
pub struct ProtectedPaths {
    set: GlobSet,
    owner: Vec<usize>,
    patterns: Vec<String>,
}

impl Default for ProtectedPaths {
    fn default() -> Self {
        static DEFAULT: OnceLock<Option<ProtectedPaths>> = OnceLock::new();
        DEFAULT
            .get_or_init(|| ProtectedPaths::new(DEFAULT_PROTECTED).ok())
            .clone()
            // The defaults are constants covered by a test; should they ever fail to build,
            // protect everything rather than nothing.
            .unwrap_or_else(ProtectedPaths::everything)
    }
}

impl ProtectedPaths {
    /// A list from gitignore-like patterns, matched at any depth against normalized paths.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, ProtectedPatternError> {
        let mut builder = GlobSetBuilder::new();
        let mut owner = Vec::new();
        for (index, pattern) in patterns.iter().enumerate() {
            let pattern = pattern.as_ref().trim();
            let bare = pattern.trim_start_matches('/');
            let error = |message: String| ProtectedPatternError {
                pattern: pattern.to_owned(),
                message,
            };
            if bare.is_empty() {
                return Err(error("the pattern is empty".into()));
            }
            let mut globs = vec![format!("**/{bare}")];
            if bare.contains('/') {
                globs.push(bare.to_owned());
            }
            for glob in globs {
                let glob = GlobBuilder::new(&glob.to_lowercase())
                    .literal_separator(true)
                    .build()
                    .map_err(|e| error(e.kind().to_string()))?;
                builder.add(glob);
                owner.push(index);
            }
        }
        let set = builder.build().map_err(|e| ProtectedPatternError {
            pattern: String::new(),
            message: e.to_string(),
        })?;
        Ok(Self {
            set,
            owner,
            patterns: patterns
                .iter()
                .map(|p| p.as_ref().trim().to_owned())
                .collect(),
        })
    }

    /// The defaults plus `extra`.
    pub fn with_defaults<S: AsRef<str>>(extra: &[S]) -> Result<Self, ProtectedPatternError> {
        let all: Vec<&str> = DEFAULT_PROTECTED
            .iter()
            .copied()
            .chain(extra.iter().map(AsRef::as_ref))
            .collect();
        Self::new(&all)
    }

    /// Nothing protected (for a sandbox copy the caller owns entirely).
    pub fn none() -> Self {
        Self {
            set: GlobSet::empty(),
            owner: Vec::new(),
            patterns: Vec::new(),
        }
    }

    fn everything() -> Self {
        match Self::new(&["**"]) {
            Ok(all) => all,
            Err(_) => Self::none(),
        }
    }

    /// The patterns, as given.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// The pattern that protects `relative` (a path relative to the project root), if any.
    pub fn matching_pattern(&self, relative: &Path) -> Option<&str> {
        let normalized = normalize(relative)?;
        let glob = *self.set.matches(&normalized).first()?;
        let index = *self.owner.get(glob)?;
        self.patterns.get(index).map(String::as_str)
    }
}

/// One path component as a case-folding, dot-stripping filesystem (or git) would see it.
fn normalize_component(part: &str) -> String {
    let folded = part.trim_end_matches(['.', ' ']).to_lowercase();
    if folded == "git~1" {
        ".git".to_owned()
    } else {
        folded
    }
}

/// `relative` with each component normalized; `None` for the root itself.
fn normalize(relative: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in relative.components() {
        if let Component::Normal(part) = component {
            out.push(normalize_component(&part.to_string_lossy()));
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_in_every_spelling_and_the_execution_bearing_files_are_protected() {
        let guard = ProtectedPaths::default();
        for path in [
            ".git/config",
            ".git/hooks/pre-commit",
            ".git",
            ".GIT/config",
            ".Git/HOOKS/post-checkout",
            ".git./config",
            ".git /config",
            "git~1/config",
            "GIT~1/hooks/x",
            "vendor/lib/.git/config",
            "sub/.git",
            ".envrc",
            "app/.ENVRC",
            ".vscode/tasks.json",
            ".vscode/settings.json",
            "pkg/.vscode/Settings.json",
            ".idea/workspace.xml",
            ".husky/pre-commit",
            ".husky/_/husky.sh",
        ] {
            assert!(
                guard.matching_pattern(Path::new(path)).is_some(),
                "{path} should be protected"
            );
        }
        for path in [
            "src/git.rs",
            ".gitignore",
            ".github/workflows/ci.yml",
            "docs/.git-notes.md",
            ".vscode/extensions.json",
            "envrc.md",
            "",
        ] {
            assert_eq!(
                guard.matching_pattern(Path::new(path)),
                None,
                "{path} should be writable"
            );
        }
        assert_eq!(
            guard.matching_pattern(Path::new(".GIT/config")),
            Some(".git/**")
        );
    }

    #[test]
    fn the_list_is_configurable_and_bad_patterns_are_named() {
        let guard = ProtectedPaths::with_defaults(&["Makefile"]).unwrap();
        assert_eq!(
            guard.matching_pattern(Path::new("a/makefile")),
            Some("Makefile")
        );
        assert_eq!(
            ProtectedPaths::none().matching_pattern(Path::new(".git/config")),
            None
        );
        let err = ProtectedPaths::new(&["a[b"]).unwrap_err();
        assert_eq!(err.pattern, "a[b");
        assert!(ProtectedPaths::new(&[" "]).is_err());
    }
}
