//! [`SwitchableClient`]: a model endpoint that can be replaced while the server runs, so a
//! URL, key or default model saved in the settings is used by the next request, no restart.

use crate::client::{OpenAiClient, OpenAiConfig};
use boocode_core::{
    CancellationToken, Completion, ModelClient, ModelError, ModelRequest, ModelStream,
};
use std::sync::{Arc, RwLock};

/// An [`OpenAiClient`] behind a lock; requests use the client current when they start.
#[derive(Debug)]
pub struct SwitchableClient {
    current: RwLock<Arc<OpenAiClient>>,
}

impl SwitchableClient {
    /// Starts on `client`.
    pub fn new(client: OpenAiClient) -> Self {
        Self {
            current: RwLock::new(Arc::new(client)),
        }
    }

    /// The client requests use now.
    pub fn current(&self) -> Arc<OpenAiClient> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the endpoint with one built from `config`; on an unusable URL nothing
    /// changes and the error says why. Requests in flight finish on the old client.
    pub fn replace(&self, config: OpenAiConfig) -> Result<Arc<OpenAiClient>, ModelError> {
        let client = Arc::new(OpenAiClient::new(config)?);
        match self.current.write() {
            Ok(mut guard) => *guard = client.clone(),
            Err(poisoned) => *poisoned.into_inner() = client.clone(),
        }
        Ok(client)
    }
}

#[async_trait::async_trait]
impl ModelClient for SwitchableClient {
    async fn stream(
        &self,
        request: ModelRequest,
        cancel: CancellationToken,
    ) -> Result<ModelStream, ModelError> {
        self.current().stream(request, cancel).await
    }

    async fn complete(
        &self,
        request: ModelRequest,
        cancel: CancellationToken,
    ) -> Result<Completion, ModelError> {
        self.current().complete(request, cancel).await
    }

    async fn context_size(&self, model: Option<&str>) -> Option<u64> {
        self.current().context_size(model).await
    }

    fn default_model(&self) -> Option<String> {
        self.current().default_model()
    }
}
