//! Generated files kept in the repository (TypeScript types, fixtures, the OpenAPI document):
//! a test regenerates each and fails when the checked-in copy differs.

use std::path::Path;

/// Fails when `path` does not hold `fresh`, naming `regenerate` (the command that rewrites it);
/// with `UPDATE_TYPES` set in the environment, writes `fresh` to `path` instead.
///
/// # Panics
///
/// When the file is stale, or cannot be written while updating.
pub fn assert_checked_in(path: &Path, fresh: &str, regenerate: &str) {
    if std::env::var_os("UPDATE_TYPES").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        }
        std::fs::write(path, fresh)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let current = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        current == fresh,
        "{} is stale: run `{regenerate}` and commit it",
        path.display()
    );
}
