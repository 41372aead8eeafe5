//! The read tools: `view_file`, `list_dir`, `grep`, `find_files`, `view_truncated_output`.

mod find_files;
mod grep;
mod list_dir;
mod truncated;
mod view_file;
pub(crate) mod walk;

pub use find_files::{FindFiles, FindFilesArgs};
pub use grep::{CaseMode, Grep, GrepArgs};
pub use list_dir::{ListDir, ListDirArgs};
pub use truncated::{ViewTruncatedArgs, ViewTruncatedOutput};
pub use view_file::{ViewFile, ViewFileArgs};
