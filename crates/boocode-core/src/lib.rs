//! BooCode's engine core: the domain types, the one [`AgentEvent`] stream, the traits every
//! backend plugs into ([`ModelClient`], [`Tool`], [`EventSink`]) and the outer step loop
//! ([`run_turn`]).
//!
//! The core does no I/O of its own beyond reading agent files: a [`ModelClient`] (such as
//! `boocode-inference`'s OpenAI-compatible client) talks to the model, tools touch the disk, and
//! whoever calls [`run_turn`] decides where events and messages go.
//!
//! Recipes (the workspace's `examples/`, each tested against a scripted model):
//! `one_turn.rs` (a turn with your own tool), `custom_client.rs` (your own [`ModelClient`]),
//! `cancel_turn.rs` (stopping a turn from another task). Hooks: `docs/HOOKS.md`.
//!
//! ```
//! use boocode_core::{AgentDef, Message, MessageStatus, Part, Role, ToolSet, TurnLimits, repair_history};
//!
//! // Agent definitions are markdown with YAML frontmatter.
//! let agent = AgentDef::parse("reviewer.md", "---\nname: reviewer\nsteps: 12\n---\nYou review code.")?;
//! let limits = TurnLimits::for_agent(Some(&agent), &ToolSet::new());
//! assert_eq!((limits.max_steps, limits.tool_budget), (12, 30));
//!
//! // An interrupted turn never poisons the next request: its dangling call gets a result.
//! let interrupted = Message::new(
//!     Role::Assistant,
//!     MessageStatus::Cancelled,
//!     vec![Part::ToolCall { id: "c1".into(), name: "grep".into(), arguments: "{}".into() }],
//! );
//! let repaired = repair_history(&[Message::user("find main"), interrupted]);
//! assert!(matches!(repaired[1].parts[1], Part::ToolResult { is_error: true, .. }));
//! # Ok::<(), boocode_core::AgentDefError>(())
//! ```

mod agent;
pub mod arena;
mod builder;
mod changes;
pub mod context;
pub mod delegation;
mod domain;
mod event;
mod frame;
pub mod grammar;
pub mod hook;
mod model;
pub mod protocol;
mod redact;
mod repair;
mod sink;
pub mod skill;
mod tool;
mod turn;
#[cfg(feature = "typescript")]
mod typescript;

pub use agent::{AgentDef, AgentDefError, AgentRegistry};
pub use builder::MessageBuilder;
pub use changes::{
    ChangeQueue, ChangeQueueError, ChangeScope, ChangeState, MemoryChangeQueue, PendingChange,
};
pub use context::{
    BASE_PROMPT, COMPACT_AT, SUMMARY_PREFIX, SystemPrompt, needs_compaction, summarize,
    summary_message, summary_transcript,
};
pub use domain::{
    Chat, ChatId, ChatMode, Message, MessageId, MessageKind, MessageStatus, NATIVE_PROVIDER, Part,
    Project, ProjectId, ProjectSettings, Role, Session, SessionId, TERMINAL_EXCERPT_BYTES,
    Thinking, Timestamp, ToolTier, Usage, now_ms,
};
pub use event::{
    AgentEvent, ChatStatus, FinishReason, NoticeLevel, PermissionDecision, PlanEntry, TurnOutcome,
};
pub use frame::{QueuedMessage, SessionFrame, UserFrame};
pub use grammar::{GrammarError, check_turn};
pub use hook::{Approver, HookDecision, HookEvent, HookInput, HookOutcome, HookRun, Hooks};
pub use model::{
    Completion, ModelClient, ModelError, ModelEvent, ModelRequest, ModelStream, TokenUsage,
    ToolCallRequest, ToolSpec,
};
pub use protocol::{ChangeReport, ChangeView, InboxItem, Refusal};
pub use redact::redact_url_credentials;
pub use repair::{ABORTED_RESULT, repair_history};
pub use sink::{CollectSink, EventSink, FnSink, NullSink};
pub use tool::{
    Tool, ToolContext, ToolError, ToolLimits, ToolOutput, ToolSet, TypedTool, schema_for,
};
pub use turn::{
    DOOM_LOOP_REPEATS, MAX_STEPS, READ_ONLY_TOOL_BUDGET, Steering, TurnConfig, TurnLimits,
    TurnResult, WRITE_TOOL_BUDGET, run_turn,
};
#[cfg(feature = "typescript")]
pub use typescript::typescript_bindings;

/// Re-exported so callers name the same cancellation type the loop uses.
pub use tokio_util::sync::CancellationToken;

/// What an embedder writing a tool, a model client or hooks needs, with the exact versions of
/// the crates the traits are built on: `use boocode_core::prelude::*;`.
///
/// The derives a [`TypedTool`]'s arguments need (`#[derive(Deserialize, JsonSchema)]`) expand
/// to paths through `serde` and `schemars`, so those two must also be dependencies of your
/// crate: `serde = { version = "1", features = ["derive"] }` and `schemars = "1"`.
pub mod prelude {
    pub use crate::{
        AgentEvent, Approver, CancellationToken, Completion, EventSink, HookDecision, HookEvent,
        HookInput, HookOutcome, HookRun, Hooks, Message, ModelClient, ModelError, ModelEvent,
        ModelRequest, ModelStream, Tool, ToolContext, ToolError, ToolOutput, ToolSet, TurnConfig,
        TurnLimits, TurnOutcome, TypedTool, run_turn,
    };
    pub use async_trait::async_trait;
    pub use futures::{StreamExt, stream::BoxStream};
    pub use schemars::{self, JsonSchema};
    pub use serde::{self, Deserialize};
}
