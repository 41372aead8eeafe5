//! BooCode's runtime: every chat is a run with a provider. A chat's turns run BooCode's own
//! loop (read tools in `ask`, write tools into the chat's pending changes in `review` and
//! `auto_apply`) or an external agent (Claude Code, claude-agent-acp, opencode, qwen-code, a
//! PTY CLI) through one warm [`boocode_agents::AgentSession`] per chat. Their events are folded
//! into stored messages, fanned out to subscribers (and, with Postgres, to other instances);
//! a message sent during a turn waits in the chat's queue; permission prompts wait in a durable
//! inbox; what a crash leaves behind is failed, expired or resumed at start. Front-ends — the
//! HTTP server, the coder daemon, an embedding program — drive it through [`Runtime`];
//! [`acp_agent::serve`] serves it to editors over the Agent Client Protocol.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use boocode_runtime::{Runtime, RuntimeConfig, post_message};
//! use std::sync::Arc;
//!
//! let store = boocode_store::Store::connect("sqlite::memory:").await?;
//! let model = boocode_inference::OpenAiClient::new(boocode_inference::OpenAiConfig::new(
//!     "http://127.0.0.1:8080",
//! ))?;
//! let runtime = Runtime::new(RuntimeConfig::default(), store, Arc::new(model));
//! runtime.start().await?;
//! let project = runtime.store.create_project("demo", "/src/demo").await?;
//! let session = runtime.store.create_session(project.id, "first").await?;
//! let chat = runtime.store.create_chat(session.id, "", None).await?;
//! let mut frames = runtime.broker.subscribe_session(session.id).0;
//! post_message(&runtime, chat.id, "Where is main?".into(), false).await?;
//! while let Ok(frame) = frames.recv().await {
//!     println!("{frame:?}");
//! }
//! runtime.shutdown(std::time::Duration::from_secs(5)).await;
//! # Ok(())
//! # }
//! ```

pub mod acp_agent;
mod agent_chats;
mod agent_hooks;
pub mod arena;
mod broker;
mod config;
mod context;
pub mod delegate;
mod error;
#[cfg(feature = "postgres")]
mod fanout;
#[cfg(not(feature = "postgres"))]
#[path = "fanout_off.rs"]
mod fanout;
mod flusher;
mod inbox;
mod native_chats;
mod profile;
mod queue;
mod runner;
mod state;
pub mod terminals;
mod turn;
mod worktrees;

pub use boocode_core::protocol::{Posted, StartedTurn, SteeringMessage};
pub use broker::{Broker, Fanout, Snapshot};
pub use config::{DelegationLimits, HookConfig, Profile, RuntimeConfig};
pub use error::RuntimeError;
pub use native_chats::SEARXNG_SETTING;
pub use queue::{post_message, publish_changes, publish_queue, run_next};
pub use runner::{Runner, start_turn};
pub use state::{Inner, Runtime};
