//! PTY sessions for BooCode: spawn a program in a pseudo-terminal, resize it, keep a bounded
//! scrollback for late viewers, and never leak a process.
//!
//! Not built yet: this crate holds its place in the workspace until the agent-backends milestone.
//!
//! ```
//! // The crate has no public items yet.
//! ```
