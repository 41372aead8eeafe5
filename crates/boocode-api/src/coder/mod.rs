//! The coder daemon's API: runs of BooCode's own loop (with write tools) or of an external agent
//! on one project, their event streams, the permission inbox across runs, and the
//! pending-changes queue (list, apply, reject, rewind).
//!
//! Every write a run makes — the native loop's `edit_file`, or an external agent's own Write or
//! Edit tool, caught at its permission prompt — lands in the queue as a pending change scoped
//! to the run (`ChangeScope::Run`). In review mode it waits for a human; in auto-apply mode it
//! is applied at once, still atomically and still rewindable.

mod routes;
mod run;

pub use run::{InboxItem, Run, RunFrame, RunStatus, RunView, Thinking};

use boocode_agents::Provider;
use boocode_core::ModelClient;
use boocode_store::Store;
use boocode_tools::{PathGuard, ToolEnv};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How the daemon is set up.
#[derive(Debug, Clone)]
pub struct CoderConfig {
    /// The project every run works on.
    pub root: PathBuf,
    /// Where to listen.
    pub bind: SocketAddr,
    /// Bearer token every request must carry (16+ characters); required to listen beyond
    /// loopback.
    pub auth_token: Option<String>,
    /// Host names answered besides `localhost`, `127.0.0.1` and `[::1]` when no token is set
    /// (DNS rebinding defence).
    pub allowed_hosts: Vec<String>,
    /// OpenAI-compatible model server for the native provider.
    pub model_url: String,
    /// Its default model.
    pub model: Option<String>,
    /// Its API key.
    pub api_key: Option<String>,
    /// The providers runs may use.
    pub providers: Vec<Provider>,
    /// Largest request body.
    pub body_limit: usize,
    /// Limit on a model's first token and on silence between tokens.
    pub model_timeout: Duration,
    /// Where the global BOOCHAT.md lives (`~/.config/boocode`), for native runs' system prompt.
    pub config_dir: Option<PathBuf>,
}

impl CoderConfig {
    /// Defaults for a project at `root` and a model server at `model_url`: loopback port 7411,
    /// the default providers, 2 MiB bodies.
    pub fn new(root: impl Into<PathBuf>, model_url: impl Into<String>) -> Self {
        Self {
            root: root.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 7411)),
            auth_token: None,
            allowed_hosts: Vec::new(),
            model_url: model_url.into(),
            model: None,
            api_key: None,
            providers: boocode_agents::default_providers(),
            body_limit: 2 * 1024 * 1024,
            model_timeout: Duration::from_secs(300),
            config_dir: None,
        }
    }

    /// Refuses to listen beyond loopback without a token (the daemon writes files), and a
    /// token shorter than 16 characters.
    pub fn check_exposure(&self) -> Result<(), String> {
        if let Some(token) = &self.auth_token
            && token.trim().len() < 16
        {
            return Err("BOOCODE_CODER_TOKEN must be at least 16 characters".into());
        }
        if !self.bind.ip().is_loopback() && self.auth_token.is_none() {
            return Err(format!(
                "refusing to listen on {} without an auth token (set BOOCODE_CODER_TOKEN), \
                 since runs can write to {}",
                self.bind,
                self.root.display()
            ));
        }
        Ok(())
    }
}

/// Shared by every request of the daemon.
#[derive(Clone)]
pub struct CoderState(Arc<CoderInner>);

/// What [`CoderState`] holds.
pub struct CoderInner {
    /// The configuration.
    pub config: CoderConfig,
    /// Pending changes (and anything else durable).
    pub store: Store,
    /// The project's guards.
    pub env: Arc<ToolEnv>,
    /// The native provider's model.
    pub model: Arc<dyn ModelClient>,
    runs: Mutex<BTreeMap<String, Arc<Run>>>,
    /// Where runs' usage goes.
    ledger: tokio::sync::mpsc::UnboundedSender<boocode_store::UsageEntry>,
}

impl std::ops::Deref for CoderState {
    type Target = CoderInner;
    fn deref(&self) -> &CoderInner {
        &self.0
    }
}

impl CoderState {
    /// The daemon's state over `store`, checking the project root and the model URL.
    pub fn new(config: CoderConfig, store: Store) -> Result<Self, String> {
        let guard = PathGuard::new(&config.root)
            .map_err(|e| format!("project root {}: {e}", config.root.display()))?;
        let mut model_config = boocode_inference::OpenAiConfig::new(config.model_url.clone());
        model_config.api_key = config.api_key.clone();
        model_config.model = config.model.clone();
        model_config.first_token_timeout = config.model_timeout;
        model_config.idle_timeout = config.model_timeout;
        let model = boocode_inference::OpenAiClient::new(model_config)
            .map_err(|e| format!("model server {}: {e}", config.model_url))?;
        Ok(Self(Arc::new(CoderInner {
            config,
            ledger: run::ledger_writer(store.clone()),
            store,
            env: Arc::new(ToolEnv::new(guard)),
            model: Arc::new(model),
            runs: Mutex::new(BTreeMap::new()),
        })))
    }

    fn runs(&self) -> MutexGuard<'_, BTreeMap<String, Arc<Run>>> {
        self.0
            .runs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The run with `id`.
    pub fn run(&self, id: &str) -> Option<Arc<Run>> {
        self.runs().get(id).cloned()
    }

    /// Every run, oldest first.
    pub fn all_runs(&self) -> Vec<Arc<Run>> {
        let mut runs: Vec<_> = self.runs().values().cloned().collect();
        runs.sort_by_key(|r| r.view().created_at);
        runs
    }

    pub(crate) fn add_run(&self, run: Arc<Run>) {
        let id = run.view().id;
        self.runs().insert(id, run);
    }
}

/// The daemon's routes.
pub fn coder_router(state: CoderState) -> axum::Router {
    routes::router(state)
}

/// Every route the daemon answers (method and path), for tests that walk them all.
pub fn coder_route_list() -> Vec<crate::http_guard::RouteInfo> {
    routes::route_list()
}

/// Serves the daemon on `listener` until `shutdown` resolves, then closes every run.
pub async fn serve_coder(
    state: CoderState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = coder_router(state.clone());
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    for run in state.all_runs() {
        run.close();
    }
    // Give the workers a moment to close their agents (each kills its process group).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline
        && state.all_runs().iter().any(|r| !r.is_finished())
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
