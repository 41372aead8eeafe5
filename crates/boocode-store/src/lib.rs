//! BooCode's session store: one API over sqlx with SQLite (the default) and Postgres backends,
//! embedded migrations, and the Claude Agent SDK transcript store.
//!
//! Not built yet: this crate holds its place in the workspace until the storage milestone.
//!
//! ```
//! // The crate has no public items yet.
//! ```
