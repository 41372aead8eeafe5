//! First run and the model endpoint: `GET /api/setup` probes the endpoint in use and the usual
//! local model servers; `POST /api/setup/test` tries a URL and key; `PUT /api/setup/endpoint`
//! saves them in the settings and switches BooCode's own loop to them at once. The key is
//! stored server-side and never sent back.

use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use boocode_core::protocol::{EndpointProbe, EndpointSettings, EndpointView, SetupState};
use boocode_core::redact_url_credentials;
use boocode_inference::{OpenAiClient, OpenAiConfig};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The setting that holds the saved endpoint.
pub(crate) const ENDPOINT_SETTING: &str = "model_endpoint";

/// Where local model servers usually listen.
const LOCAL_ENDPOINTS: [(&str, &str); 4] = [
    ("http://127.0.0.1:8080", "llama.cpp / llama-swap"),
    ("http://127.0.0.1:11434", "Ollama"),
    ("http://127.0.0.1:1234", "LM Studio"),
    ("http://127.0.0.1:8000", "vLLM"),
];

/// Longest URL, key or model name accepted, in bytes.
const MAX_FIELD_BYTES: usize = 2048;

/// The endpoint as stored in the settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct SavedEndpoint {
    pub(crate) url: String,
    #[serde(default)]
    pub(crate) api_key: Option<String>,
    #[serde(default)]
    pub(crate) model: Option<String>,
}

impl SavedEndpoint {
    /// The client settings for this endpoint over the server's timeouts.
    pub(crate) fn client_config(&self, state_timeout: Duration) -> OpenAiConfig {
        let mut config = OpenAiConfig::new(self.url.clone());
        config.api_key = self.api_key.clone().filter(|k| !k.is_empty());
        config.model = self.model.clone().filter(|m| !m.is_empty());
        config.first_token_timeout = state_timeout;
        config.idle_timeout = state_timeout.min(config.idle_timeout);
        config
    }
}

/// A client for a quick look at `url` (short timeouts).
fn probe_client(url: &str, api_key: Option<&str>) -> Result<OpenAiClient, String> {
    let mut config = OpenAiConfig::new(url);
    config.api_key = api_key.filter(|k| !k.is_empty()).map(str::to_owned);
    config.connect_timeout = Duration::from_millis(1500);
    config.discovery_timeout = Duration::from_secs(3);
    OpenAiClient::new(config).map_err(|e| e.to_string())
}

async fn probe(url: String, label: String, api_key: Option<String>) -> EndpointProbe {
    let shown = redact_url_credentials(&url);
    let result = match probe_client(&url, api_key.as_deref()) {
        Ok(client) => client.list_models().await.map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    match result {
        Ok(models) => EndpointProbe {
            url: shown,
            label,
            reachable: true,
            models: models.into_iter().map(|m| m.id).collect(),
            error: None,
        },
        Err(error) => EndpointProbe {
            url: shown,
            label,
            reachable: false,
            models: Vec::new(),
            error: Some(error),
        },
    }
}

fn same_endpoint(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        let s = s.trim().trim_end_matches('/');
        s.strip_suffix("/v1")
            .unwrap_or(s)
            .replace("localhost", "127.0.0.1")
    };
    norm(a) == norm(b)
}

/// The endpoint in use, as shown to clients.
async fn endpoint_view(state: &AppState) -> EndpointView {
    let current = state.models.current();
    let config = current.config();
    let saved = matches!(
        state.runtime.store.get_setting(ENDPOINT_SETTING).await,
        Ok(Some(_))
    );
    EndpointView {
        url: redact_url_credentials(&config.base_url),
        has_key: config.api_key.as_deref().is_some_and(|k| !k.is_empty()),
        model: config.model.clone(),
        saved,
    }
}

/// `GET /api/setup`: the endpoint in use and the usual local ports, probed at once.
#[utoipa::path(get, path = "/api/setup", tag = "server", responses((status = 200, body = SetupState)))]
pub(crate) async fn setup(State(state): State<AppState>) -> Result<ApiJson<SetupState>, ApiError> {
    let current = state.models.current();
    let config = current.config().clone();
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn({
        let (url, key) = (config.base_url.clone(), config.api_key.clone());
        async move { (0, probe(url, "in use".into(), key).await) }
    });
    for (i, (url, label)) in LOCAL_ENDPOINTS.iter().enumerate() {
        if same_endpoint(url, &config.base_url) {
            continue;
        }
        let (url, label) = ((*url).to_owned(), (*label).to_owned());
        tasks.spawn(async move { (i + 1, probe(url, label, None).await) });
    }
    let mut probes = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(p) => probes.push(p),
            Err(e) => return Err(ApiError::internal(format!("probing failed: {e}"))),
        }
    }
    probes.sort_by_key(|(i, _)| *i);
    let probes: Vec<EndpointProbe> = probes.into_iter().map(|(_, p)| p).collect();
    let ready = probes.first().is_some_and(|p| p.reachable);
    Ok(ApiJson(SetupState {
        endpoint: endpoint_view(&state).await,
        ready,
        probes,
    }))
}

/// `body` checked: an http(s) URL and fields of sane size.
fn check(body: &EndpointSettings) -> Result<(), ApiError> {
    for (field, value) in [
        ("url", Some(&body.url)),
        ("api_key", body.api_key.as_ref()),
        ("model", body.model.as_ref()),
    ] {
        if let Some(value) = value
            && (value.len() > MAX_FIELD_BYTES || value.chars().any(char::is_control))
        {
            return Err(ApiError::invalid(
                field,
                format!("must be at most {MAX_FIELD_BYTES} bytes without control characters"),
            ));
        }
    }
    OpenAiClient::new(OpenAiConfig::new(body.url.trim()))
        .map(|_| ())
        .map_err(|e| ApiError::invalid("url", e))
}

/// The key a body means: its own, or (absent) the one in use when the URL is unchanged.
fn key_for(state: &AppState, body: &EndpointSettings) -> Option<String> {
    match &body.api_key {
        Some(key) => Some(key.clone()).filter(|k| !k.is_empty()),
        None => {
            let current = state.models.current();
            let config = current.config();
            same_endpoint(&config.base_url, &body.url)
                .then(|| config.api_key.clone())
                .flatten()
        }
    }
}

/// `POST /api/setup/test`: whether `url` (with the key) answers, and its models.
#[utoipa::path(post, path = "/api/setup/test", tag = "server", request_body = EndpointSettings, responses((status = 200, body = EndpointProbe), (status = 400, body = ErrorBody)))]
pub(crate) async fn test(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<EndpointSettings>,
) -> Result<ApiJson<EndpointProbe>, ApiError> {
    check(&body)?;
    let key = key_for(&state, &body);
    Ok(ApiJson(
        probe(body.url.trim().to_owned(), "tested".into(), key).await,
    ))
}

/// `PUT /api/setup/endpoint`: saves the endpoint and uses it from the next request on.
#[utoipa::path(put, path = "/api/setup/endpoint", tag = "server", request_body = EndpointSettings, responses((status = 200, body = EndpointView), (status = 400, body = ErrorBody)))]
pub(crate) async fn save(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<EndpointSettings>,
) -> Result<ApiJson<EndpointView>, ApiError> {
    check(&body)?;
    let saved = SavedEndpoint {
        url: body.url.trim().to_owned(),
        api_key: key_for(&state, &body),
        model: body
            .model
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
    };
    let value = serde_json::to_value(&saved)
        .map_err(|e| ApiError::internal(format!("encoding the endpoint failed: {e}")))?;
    // Switch first: a URL the client refuses is never saved.
    state
        .models
        .replace(saved.client_config(state.config.model_timeout))
        .map_err(|e| ApiError::invalid("url", e))?;
    state
        .runtime
        .store
        .set_setting(ENDPOINT_SETTING, &value)
        .await?;
    tracing::info!(url = %redact_url_credentials(&saved.url), "model endpoint saved");
    Ok(ApiJson(endpoint_view(&state).await))
}

/// Switches to the endpoint saved in the settings, if any (at start-up).
pub(crate) async fn load_saved(state: &AppState) {
    let saved = match state.runtime.store.get_setting(ENDPOINT_SETTING).await {
        Ok(Some(value)) => serde_json::from_value::<SavedEndpoint>(value),
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the saved model endpoint");
            return;
        }
    };
    match saved {
        Ok(saved) => {
            if let Err(e) = state
                .models
                .replace(saved.client_config(state.config.model_timeout))
            {
                tracing::warn!(error = %e, "the saved model endpoint is not usable; keeping the configured one");
            }
        }
        Err(e) => tracing::warn!(error = %e, "the saved model endpoint is unreadable"),
    }
}

/// Settings keys the generic settings routes may not write or show whole.
pub(crate) fn reserved(key: &str) -> Option<ApiError> {
    (key == ENDPOINT_SETTING).then(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "reserved_setting",
            "the model endpoint is set through PUT /api/setup/endpoint",
        )
    })
}
