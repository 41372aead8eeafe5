//! BooCode's guarded tools: the path, secret and URL guards, the read, web and write tools built
//! on them, and output truncation.
//!
//! Not built yet: this crate holds its place in the workspace until the guarded-tools milestone.
//!
//! ```
//! // The crate has no public items yet.
//! ```
