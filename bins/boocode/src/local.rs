//! `--local`: a coder server for the working directory inside this command, for when none is
//! running. It listens on a loopback port of its own behind a one-time token, keeps its data
//! where the coder daemon does (so a daemon started later, or the next `--local` command,
//! finds what it stored), and stops — stopping whatever it still runs — when the command ends.

use crate::coder::Client;
use anyhow::{Context, Result, bail};
use std::time::Duration;

/// The server running inside this command.
pub(crate) struct LocalServer {
    base: String,
    token: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl LocalServer {
    /// Starts one for the working directory, with the model and providers `boocode run` uses.
    /// Refused while a daemon answers at `daemon_url`: two runtimes on one database would fail
    /// each other's turns.
    pub(crate) async fn start(daemon_url: &str) -> Result<Self> {
        let health = format!("{}/api/health", daemon_url.trim_end_matches('/'));
        let probe = reqwest::Client::new()
            .get(&health)
            .timeout(Duration::from_millis(800))
            .send()
            .await;
        if probe.is_ok() {
            bail!("a server answers at {daemon_url}: drop --local to use it");
        }
        let root = std::env::current_dir().context("no working directory")?;
        let settings = crate::settings::load(&crate::settings::FlagSettings::default(), None)?;
        let file = crate::settings::load_file(None)?;
        let mut config = boocode_server::ServerConfig::coder(root, settings.model_url.clone());
        config.runtime.model = settings.model.clone();
        config.api_key = settings.api_key.clone();
        config.runtime.config_dir = crate::settings::config_dir();
        let data = crate::settings::data_dir();
        config.runtime.truncation_dir = data.as_ref().map(|d| d.join("truncated"));
        config.runtime.worktree_dir = data.as_ref().map(|d| d.join("worktrees"));
        config.runtime.providers = boocode_agents::providers_with(&file.providers);
        file.delegation.apply(&mut config.runtime.delegation);
        file.hooks.apply(&mut config.runtime.hooks);
        config.runtime.mcp_servers = settings.mcp_servers.clone();
        let token = format!("local-{}", uuid::Uuid::new_v4().simple());
        config.auth_token = Some(token.clone());
        let store = boocode_store::Store::connect_or_default(None)
            .await
            .context("cannot open the database")?;
        let state = boocode_server::AppState::new(config, store).map_err(anyhow::Error::msg)?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("cannot listen on a loopback port")?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(boocode_server::serve(state, listener, async move {
            let _ = stopped.await;
        }));
        tracing::info!(%base, "a local coder server runs for this command");
        Ok(Self {
            base,
            token,
            stop: Some(stop),
            task,
        })
    }

    /// A client of it, for `project` (its one project when `None`).
    pub(crate) fn client(&self, project: Option<String>) -> Client {
        Client::at(&self.base, Some(self.token.clone()), project)
    }

    /// Stops it: running turns are recorded as cancelled, agents' processes end.
    pub(crate) async fn stop(mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task)
            .await
            .context("the local server failed")?
            .context("the local server failed")
    }
}
