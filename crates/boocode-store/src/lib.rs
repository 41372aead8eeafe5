//! BooCode's session store: everything a user says and every token a model streams.
//! (Recipe: the workspace's `examples/store_resume.rs` — a chat kept and resumed on SQLite or
//! Postgres.)
//!
//! One [`Store`] API over sqlx with two backends chosen by URL: SQLite (the default, a file in
//! the user's data directory, in WAL mode with foreign keys on) and Postgres (for deployments
//! and several server instances). Migrations are embedded and run at connect. Message parts are
//! the source of truth for tool calls, results and reasoning; a chat page loads with its parts in
//! one query.
//!
//! [`TranscriptStore`] implements the Claude Agent SDK's SessionStore contract over the same
//! database (and in memory), so Claude Code sessions can be resumed from the store alone.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use boocode_core::{Message, MessageStatus};
//! use boocode_store::Store;
//!
//! let store = Store::connect("sqlite::memory:").await?;
//! let project = store.create_project("demo", "/src/demo").await?;
//! let session = store.create_session(project.id, "First look").await?;
//! let chat = store.create_chat(session.id, "", None).await?;
//! store.append_message(chat.id, &Message::user("Where is main?")).await?;
//! let page = store.list_messages(chat.id, None, 50).await?;
//! assert_eq!(page.messages[0].text(), "Where is main?");
//! # Ok::<(), boocode_store::StoreError>(())
//! # }).unwrap();
//! ```

mod arenas;
mod changes;
#[cfg(feature = "conformance")]
pub mod conformance;
mod db;
mod error;
mod inbox;
mod messages;
#[cfg(feature = "postgres")]
mod notify;
mod queue;
mod records;
mod transcript;
mod usage;
mod workspace;

pub use boocode_core::{ChangeQueue, ChangeQueueError, ChangeScope, ChangeState, PendingChange};
pub use db::{BackendKind, Store, default_sqlite_path};
pub use error::StoreError;
pub use messages::{MAX_PAGE, MessagePage, STALE_STREAMING_AFTER};
#[cfg(feature = "postgres")]
pub use notify::{MAX_NOTIFY_BYTES, Notifications};
pub use records::{AgentSessionRow, BackendName, TOOL_STATS_WINDOW, ToolCallRecord, ToolStats};
pub use transcript::{
    MemoryTranscriptStore, SessionKey, SessionListing, TranscriptStore, project_key_for,
    project_key_for_path_str,
};
pub use usage::{UsageEntry, UsageGroup, UsageRow};
pub use workspace::{
    ChatSettings, MAX_NAME_CHARS, MAX_PANES_BYTES, MAX_READ_GRANTS, MAX_ROOT_BYTES,
};
