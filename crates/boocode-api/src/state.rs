//! [`AppState`]: what every handler shares.

use crate::broker::Broker;
use crate::config::ServerConfig;
use crate::context::ContextState;
use crate::runner::Runner;
use boocode_inference::{OpenAiClient, OpenAiConfig};
use boocode_store::Store;
use std::ops::Deref;
use std::sync::Arc;

/// The server's shared state. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

/// The parts of the state.
#[derive(Debug)]
pub struct Inner {
    /// Settings.
    pub config: ServerConfig,
    /// The session store.
    pub store: Store,
    /// Frame fan-out.
    pub broker: Broker,
    /// Turns in flight.
    pub runner: Runner,
    /// The model endpoint.
    pub model: Arc<OpenAiClient>,
    /// MCP servers as tool sources (ready ones are offered per turn).
    pub mcp: boocode_tools::McpServers,
    pub(crate) context: ContextState,
    pub(crate) logins: crate::auth::Logins,
    pub(crate) agents: crate::agent_chats::AgentChats,
    pub(crate) remote: std::sync::OnceLock<Arc<crate::fanout::PgFanout>>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// State for `config` over `store`. Fails when the model URL is unusable.
    pub fn new(config: ServerConfig, store: Store) -> Result<Self, String> {
        let mut model = OpenAiConfig::new(config.model_url.clone());
        model.model = config.model.clone();
        model.api_key = config.api_key.clone();
        model.first_token_timeout = config.model_timeout;
        model.idle_timeout = config.model_timeout.min(model.idle_timeout);
        let model = OpenAiClient::new(model).map_err(|e| e.to_string())?;
        let mcp = boocode_tools::McpServers::start(&config.mcp_servers);
        Ok(Self(Arc::new(Inner {
            mcp,
            context: ContextState::new(config.config_dir.clone()),
            logins: crate::auth::Logins::default(),
            agents: crate::agent_chats::AgentChats::default(),
            config,
            store,
            broker: Broker::new(),
            runner: Runner::default(),
            model: Arc::new(model),
            remote: std::sync::OnceLock::new(),
        })))
    }

    pub(crate) fn set_remote_stop(&self, fanout: Arc<crate::fanout::PgFanout>) {
        let _ = self.remote.set(fanout);
    }

    /// Stops a chat's turn here, or asks the other instances to.
    pub(crate) fn stop_anywhere(&self, chat_id: boocode_core::ChatId) -> bool {
        if self.runner.stop(chat_id) {
            return true;
        }
        match self.remote.get() {
            Some(remote) => {
                remote.stop(chat_id);
                true
            }
            None => false,
        }
    }
}
