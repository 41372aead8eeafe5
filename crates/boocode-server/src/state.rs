//! [`AppState`]: what every handler shares — the runtime, and the server's own parts.

use crate::config::ServerConfig;
use boocode_inference::{OpenAiClient, OpenAiConfig, SwitchableClient};
use boocode_runtime::Runtime;
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
    /// The chats, their turns and everything they share.
    pub runtime: Runtime,
    /// The model endpoint of BooCode's own loop (the runtime's model), switchable at run time
    /// from the settings.
    pub models: Arc<SwitchableClient>,
    pub(crate) logins: crate::auth::Logins,
    /// The last provider probe (`GET /api/providers`).
    pub(crate) probes: crate::routes::providers::ProbeCache,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// State for `config` over `store`, with BooCode's own loop on the configured model
    /// server. Fails when the model URL is unusable.
    pub fn new(config: ServerConfig, store: Store) -> Result<Self, String> {
        let mut model = OpenAiConfig::new(config.model_url.clone());
        model.model = config.runtime.model.clone();
        model.api_key = config.api_key.clone();
        model.first_token_timeout = config.model_timeout;
        model.idle_timeout = config.model_timeout.min(model.idle_timeout);
        let model = Arc::new(SwitchableClient::new(
            OpenAiClient::new(model).map_err(|e| e.to_string())?,
        ));
        let runtime = Runtime::new(config.runtime.clone(), store, model.clone());
        Ok(Self::with_runtime(config, runtime, model))
    }

    /// State over a runtime built elsewhere; `models` answers `GET /api/models` and is what
    /// `PUT /api/setup/endpoint` switches (give the runtime the same client).
    pub fn with_runtime(
        config: ServerConfig,
        runtime: Runtime,
        models: Arc<SwitchableClient>,
    ) -> Self {
        Self(Arc::new(Inner {
            config,
            runtime,
            models,
            logins: crate::auth::Logins::default(),
            probes: Default::default(),
        }))
    }
}
