//! The directory walker shared by `list_dir`, `grep` and `find_files`: ripgrep's `ignore` crate,
//! honouring .gitignore, never following symlinks, never entering `.git`.

use crate::guard::path::GuardedPath;
use ignore::{WalkBuilder, overrides::OverrideBuilder};

/// Options for one walk.
pub(crate) struct WalkOptions<'a> {
    pub(crate) include_hidden: bool,
    pub(crate) max_depth: Option<usize>,
    /// Globs relative to the walk's start (`!` excludes), as ripgrep's `-g`.
    pub(crate) globs: &'a [String],
    pub(crate) threads: usize,
}

/// A walker rooted at `start`.
pub(crate) fn walker(
    start: &GuardedPath,
    options: &WalkOptions<'_>,
) -> Result<WalkBuilder, String> {
    let root = start.as_path();
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(!options.include_hidden)
        .follow_links(false)
        .require_git(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        .max_depth(options.max_depth)
        .threads(options.threads)
        // `.git` holds no source and, in its config, possibly credentials.
        .filter_entry(|entry| entry.file_name() != ".git");
    if !options.globs.is_empty() {
        let mut overrides = OverrideBuilder::new(root);
        for glob in options.globs {
            overrides
                .add(glob)
                .map_err(|e| format!("invalid glob `{glob}`: {e}"))?;
        }
        builder.overrides(overrides.build().map_err(|e| e.to_string())?);
    }
    Ok(builder)
}

/// How many walker threads to use: the machine's parallelism, at most 8.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(8)
}
