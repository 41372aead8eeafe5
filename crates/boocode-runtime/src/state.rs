//! [`Runtime`]: what every chat, turn and front-end request shares.

use crate::broker::Broker;
use crate::config::RuntimeConfig;
use crate::context::ContextState;
use crate::runner::Runner;
use boocode_core::{CancellationToken, ModelClient};
use boocode_store::Store;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

/// The runtime: chats, their turns and everything those share. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Runtime(Arc<Inner>);

/// The parts of the runtime.
pub struct Inner {
    /// Settings.
    pub config: RuntimeConfig,
    /// The store.
    pub store: Store,
    /// Frame fan-out to this instance's subscribers (and, with Postgres, the others').
    pub broker: Broker,
    /// Turns in flight here.
    pub runner: Runner,
    /// The native provider's model.
    pub model: Arc<dyn ModelClient>,
    /// MCP servers as tool sources (ready ones are offered per turn).
    pub mcp: boocode_tools::McpServers,
    /// The sessions' terminals.
    pub terminals: Arc<crate::terminals::Terminals>,
    pub(crate) context: ContextState,
    pub(crate) agents: crate::agent_chats::AgentChats,
    pub(crate) delegations: crate::delegate::Delegations,
    pub(crate) remote: std::sync::OnceLock<Arc<crate::fanout::PgFanout>>,
    /// Writes the running turns' flushes, many in one transaction.
    pub(crate) flusher: crate::flusher::Flusher,
    stop_background: CancellationToken,
    background: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.config)
            .field("store", &self.store)
            .field("runner", &self.runner)
            .finish_non_exhaustive()
    }
}

impl Deref for Runtime {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Runtime {
    /// A runtime for `config` over `store`, running BooCode's own loop on `model`. MCP servers
    /// start connecting in the background; nothing else runs until [`Runtime::start`].
    pub fn new(config: RuntimeConfig, store: Store, model: Arc<dyn ModelClient>) -> Self {
        let mcp = boocode_tools::McpServers::start(&config.mcp_servers);
        Self(Arc::new(Inner {
            mcp,
            terminals: Arc::default(),
            context: ContextState::new(config.config_dir.clone()),
            agents: crate::agent_chats::AgentChats::default(),
            delegations: crate::delegate::Delegations::default(),
            config,
            store,
            broker: Broker::new(),
            runner: Runner::default(),
            model,
            remote: std::sync::OnceLock::new(),
            flusher: crate::flusher::Flusher::default(),
            stop_background: CancellationToken::new(),
            background: std::sync::Mutex::new(Vec::new()),
        }))
    }

    /// The agent definitions a chat in the project at `project_root` may run with: the global
    /// ones and the project's (`.boocode/agents`), which win on a name clash. Reads files, so
    /// call it off the async workers.
    pub fn agents(&self, project_root: &std::path::Path) -> boocode_core::AgentRegistry {
        self.context.agents(project_root)
    }

    /// Gets ready to serve: registers the coder profile's project, fails what a crash left
    /// streaming and closes its prompts, runs the messages left queued, and starts the
    /// sweeper and (with Postgres) the fan-out to other instances.
    pub async fn start(&self) -> Result<(), crate::RuntimeError> {
        if let Some(root) = self.config.coder_root() {
            let project = crate::profile::ensure_project(&self.store, root)
                .await
                .map_err(crate::RuntimeError::Project)?;
            tracing::info!(project = %project.id, root = %project.root, "coder profile: serving one project");
        }
        crate::runner::sweep(self, true).await;
        // Worktrees a crash left half-made or someone deleted by hand: BooCode's own only.
        let pruner = tokio::spawn(crate::worktrees::prune_all(self.clone()));
        crate::runner::lock(&self.background).push(pruner);
        crate::queue::resume_all(self).await;
        let sweeper = tokio::spawn(crate::runner::sweeper(
            self.clone(),
            self.stop_background.clone(),
        ));
        crate::runner::lock(&self.background).push(sweeper);
        let waiting = tokio::spawn(crate::terminals::tell_waiting(
            self.clone(),
            self.stop_background.clone(),
        ));
        crate::runner::lock(&self.background).push(waiting);
        match crate::fanout::start(self, self.stop_background.clone()).await {
            Ok(Some(f)) => {
                let _ = self.remote.set(f);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "Postgres LISTEN failed: events will not reach other instances")
            }
        }
        Ok(())
    }

    /// Stops every running turn (recorded as cancelled, waiting up to `grace`), closes the
    /// external agents' sessions (their processes end with them) and the background tasks.
    pub async fn shutdown(&self, grace: Duration) {
        self.runner.shutdown(grace).await;
        self.terminals.close_all();
        self.agents.close_all().await;
        self.stop_background.cancel();
        let tasks: Vec<_> = crate::runner::lock(&self.background).drain(..).collect();
        for task in tasks {
            let _ = task.await;
        }
    }

    /// The directory a chat works in: its own worktree when it has one, else its project's
    /// root. Changes are applied and rewound there, never in the main tree of a chat in a
    /// worktree.
    pub async fn chat_root(
        &self,
        chat_id: boocode_core::ChatId,
    ) -> Result<std::path::PathBuf, crate::RuntimeError> {
        let chat = self.store.get_chat(chat_id).await?;
        if let Some(dir) = chat.workdir {
            return Ok(dir.into());
        }
        let session = self.store.get_session(chat.session_id).await?;
        let project = self.store.get_project(session.project_id).await?;
        Ok(project.root.into())
    }

    /// Stops a chat's turn: here, or (a turn still streaming in the store, with Postgres) on
    /// the instance that runs it. `false` when no turn runs.
    pub async fn stop(&self, chat_id: boocode_core::ChatId) -> Result<bool, crate::RuntimeError> {
        if self.runner.stop(chat_id) {
            return Ok(true);
        }
        if self.store.streaming_messages(chat_id).await?.is_empty() {
            return Ok(false);
        }
        Ok(match self.remote.get() {
            Some(remote) => {
                remote.stop(chat_id);
                true
            }
            None => false,
        })
    }

    /// Fails a chat's streaming rows that no turn here is writing (a turn lost with its
    /// instance); what waited behind it then runs. Returns how many rows were failed.
    pub async fn discard_stale(
        &self,
        chat_id: boocode_core::ChatId,
    ) -> Result<u64, crate::RuntimeError> {
        let chat = self.store.get_chat(chat_id).await?;
        let keep = self.broker.live(chat_id).map(|t| match t.lock() {
            Ok(t) => t.builder.message().id,
            Err(p) => p.into_inner().builder.message().id,
        });
        let failed = self.store.fail_streaming(chat_id, keep).await?;
        if failed > 0 {
            self.broker
                .publish_user(boocode_core::UserFrame::ChatStatus {
                    session_id: chat.session_id,
                    chat_id,
                    status: boocode_core::ChatStatus::Idle,
                });
            if !self.runner.is_running(chat_id) {
                crate::queue::run_next(self.clone(), chat_id).await;
            }
        }
        Ok(failed)
    }
}
