//! The coder profile's one project: registered (or found, or unarchived) when the server starts.

use boocode_core::Project;
use boocode_store::Store;
use std::path::Path;

/// The project at `root`, registered if it is not yet. Refuses a root the guards refuse (the
/// home folder itself, a credentials folder, a missing directory).
pub(crate) async fn ensure_project(store: &Store, root: &Path) -> Result<Project, String> {
    let dir = root
        .canonicalize()
        .map_err(|e| format!("project root {}: {e}", root.display()))?;
    if !dir.is_dir() {
        return Err(format!("project root {} is not a directory", dir.display()));
    }
    boocode_tools::PathGuard::new(&dir)
        .map_err(|e| format!("project root {}: {e}", dir.display()))?;
    store
        .project_at(&dir.to_string_lossy())
        .await
        .map_err(|e| format!("registering the project: {e}"))
}
