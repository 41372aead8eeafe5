//! BooCode's agent backends: one [`AgentBackend`] trait for every way of running an agent —
//! BooCode's own loop ([`NativeBackend`]), any CLI in a terminal ([`PtyBackend`]), Claude Code
//! over stream-json ([`ClaudeSdkBackend`]) and any Agent Client Protocol agent ([`AcpBackend`]) —
//! all reporting through the one
//! [`boocode_core::AgentEvent`] stream. Permission prompts are parked one per request
//! ([`Permissions`]); in review mode an agent's file writes become pending changes instead
//! ([`QueueReview`]). (Recipes in the workspace's `examples/`: `acp_agent.rs` — an ACP agent
//! driven from Rust, its permission prompts answered by your own policy; `own_backend.rs` —
//! an `AgentBackend` of your own for an in-house agent program, checked against the turn
//! grammar with [`boocode_core::check_turn`].)
//!
//! ```no_run
//! # async fn demo() -> Result<(), boocode_agents::AgentError> {
//! use boocode_agents::{AgentBackend, PtyBackend, SessionConfig};
//! use boocode_core::{CancellationToken, CollectSink};
//!
//! let backend = PtyBackend::new("bash", vec!["-c".into(), "read q; echo you said $q".into()]);
//! let mut session = backend.start(SessionConfig::new(".")).await?;
//! let sink = CollectSink::new();
//! session.prompt("hello", &sink, &CancellationToken::new()).await?;
//! # Ok(())
//! # }
//! ```

mod acp;
mod backend;
mod claude;
mod permission;
mod process;
mod providers;
mod pty;
mod record;
mod review;

pub use acp::AcpBackend;
pub use backend::{
    AgentBackend, AgentError, AgentSession, BackendKind, NativeBackend, SessionConfig,
};
pub use claude::ClaudeSdkBackend;
pub use permission::{CallPattern, PermissionError, Permissions, Verdict, is_compound_command};
pub use providers::{
    BackendOptions, NativeParts, PTY_IDLE_MS, ProbeLimits, ProbeStatus, Provider, ProviderOverride,
    acp_handshake, default_providers, find_program, probe, probe_all, providers_with,
};
pub use pty::{HostedTerminal, PtyBackend, TerminalHost};
pub use record::{RecorderTask, UsageRecorder};
pub use review::{QueueReview, RefuseWrites, Reviewer, WriteReview, is_file_write};
