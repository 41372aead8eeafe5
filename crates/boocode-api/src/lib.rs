//! BooCode's HTTP and WebSocket API: the axum routers, the frame protocol and the event broker
//! shared by the server binaries.
//!
//! Not built yet: this crate holds its place in the workspace until the server milestone.
//!
//! ```
//! // The crate has no public items yet.
//! ```
