//! BooCode's agent backends: the `AgentBackend` trait with native, Claude SDK, ACP and PTY
//! implementations, and the provider registry.
//!
//! Not built yet: this crate holds its place in the workspace until the agent-backends milestone.
//!
//! ```
//! // The crate has no public items yet.
//! ```
