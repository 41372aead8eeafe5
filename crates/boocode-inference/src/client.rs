//! [`OpenAiClient`]: the transport, retry and streaming layers over the decoder.

use crate::context::{ContextCache, n_ctx_from_models, n_ctx_from_props};
use crate::decode::{StreamDecoder, preview, upstream_message};
use crate::wire::{parse_full, request_body};
use crate::xml::InlineFilter;
use boocode_core::CancellationToken;
use boocode_core::{Completion, ModelClient, ModelError, ModelEvent, ModelRequest, ModelStream};
use futures::Stream;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

/// When and how often to retry a request that failed before any output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each later one.
    pub initial_backoff: Duration,
    /// The longest wait between attempts (a server's `Retry-After` is capped by 4× this).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// Retries at most `value` times after the first attempt.
    pub fn max_retries(mut self, value: u32) -> Self {
        self.max_retries = value;
        self
    }

    /// Waits `value` before the first retry.
    pub fn initial_backoff(mut self, value: Duration) -> Self {
        self.initial_backoff = value;
        self
    }

    /// Waits at most `value` between attempts.
    pub fn max_backoff(mut self, value: Duration) -> Self {
        self.max_backoff = value;
        self
    }
}

/// Settings for an [`OpenAiClient`]: [`OpenAiConfig::new`], then a setter per field.
///
/// ```
/// use boocode_inference::OpenAiConfig;
/// use std::time::Duration;
/// let config = OpenAiConfig::new("http://127.0.0.1:8080")
///     .model("qwen3-coder")
///     .idle_timeout(Duration::from_secs(30));
/// assert_eq!(config.model.as_deref(), Some("qwen3-coder"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OpenAiConfig {
    /// The server's base URL, with or without a trailing `/v1` (`http://127.0.0.1:8080`).
    pub base_url: String,
    /// Sent as a bearer token when set.
    pub api_key: Option<String>,
    /// The model used when a request names none. llama.cpp ignores it; OpenAI requires it.
    pub model: Option<String>,
    /// Limit on establishing a connection.
    pub connect_timeout: Duration,
    /// Limit on waiting for the response to start (prompt processing on a local model can be
    /// slow on long contexts).
    pub first_token_timeout: Duration,
    /// Limit on silence between two chunks once streaming.
    pub idle_timeout: Duration,
    /// Retry behaviour before the first token.
    pub retry: RetryPolicy,
    /// Extract tool calls (and a leading `<think>` block) that a server left in the content.
    pub inline_tool_calls: bool,
    /// Limit on each context-discovery request.
    pub discovery_timeout: Duration,
}

impl OpenAiConfig {
    /// Defaults for a server at `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            model: None,
            connect_timeout: Duration::from_secs(10),
            first_token_timeout: Duration::from_secs(300),
            idle_timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            inline_tool_calls: true,
            discovery_timeout: Duration::from_secs(5),
        }
    }
}

impl OpenAiConfig {
    /// Sends `value` as a bearer token.
    pub fn api_key(mut self, value: impl Into<String>) -> Self {
        self.api_key = Some(value.into());
        self
    }

    /// Uses model `value` when a request names none.
    pub fn model(mut self, value: impl Into<String>) -> Self {
        self.model = Some(value.into());
        self
    }

    /// Gives up connecting after `value`.
    pub fn connect_timeout(mut self, value: Duration) -> Self {
        self.connect_timeout = value;
        self
    }

    /// Gives up waiting for the response to start after `value`.
    pub fn first_token_timeout(mut self, value: Duration) -> Self {
        self.first_token_timeout = value;
        self
    }

    /// Gives up after `value` of silence between two chunks.
    pub fn idle_timeout(mut self, value: Duration) -> Self {
        self.idle_timeout = value;
        self
    }

    /// Retries failed requests by `value`.
    pub fn retry(mut self, value: RetryPolicy) -> Self {
        self.retry = value;
        self
    }

    /// Whether to extract tool calls a server left in the content.
    pub fn inline_tool_calls(mut self, value: bool) -> Self {
        self.inline_tool_calls = value;
        self
    }

    /// Bounds each context-discovery request by `value`.
    pub fn discovery_timeout(mut self, value: Duration) -> Self {
        self.discovery_timeout = value;
        self
    }
}

/// A model as listed by `GET /v1/models`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// The model id.
    pub id: String,
    /// Its context size, when the listing says.
    pub context: Option<u64>,
}

/// A [`ModelClient`] for OpenAI-compatible `/v1/chat/completions` endpoints.
#[derive(Clone)]
pub struct OpenAiClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: OpenAiConfig,
    /// The base URL without a trailing `/` or `/v1`.
    root: String,
    chat_url: String,
    context: ContextCache,
}

impl std::fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("url", &self.inner.chat_url)
            .field("model", &self.inner.config.model)
            .finish_non_exhaustive()
    }
}

/// Why one attempt failed, with what the retry logic needs to know.
struct Failure {
    error: ModelError,
    retry_after: Option<Duration>,
    produced_output: bool,
}

impl From<ModelError> for Failure {
    fn from(error: ModelError) -> Self {
        Self {
            error,
            retry_after: None,
            produced_output: false,
        }
    }
}

impl OpenAiClient {
    /// A client for the server in `config`. Fails on a URL that is not http(s).
    pub fn new(config: OpenAiConfig) -> Result<Self, ModelError> {
        let trimmed = config.base_url.trim().trim_end_matches('/');
        let root = trimmed.strip_suffix("/v1").unwrap_or(trimmed).to_owned();
        let url = reqwest::Url::parse(&root).map_err(|e| {
            ModelError::Config(format!(
                "invalid model URL {:?}: {e}",
                boocode_core::redact_url_credentials(&config.base_url)
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ModelError::Config(format!(
                "model URL {:?} must start with http:// or https://",
                boocode_core::redact_url_credentials(&config.base_url)
            )));
        }
        // TLS is set on this client (ring, the platform's verifier); nothing process-wide.
        let http = crate::tls::client_builder()
            .map_err(|e| ModelError::Config(e.to_string()))?
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("boocode/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ModelError::Config(format!("cannot build the HTTP client: {}", chain(&e)))
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                chat_url: format!("{root}/v1/chat/completions"),
                root,
                config,
                context: ContextCache::default(),
            }),
        })
    }

    /// The settings this client was built from.
    pub fn config(&self) -> &OpenAiConfig {
        &self.inner.config
    }

    /// The chat-completions URL requests go to.
    pub fn chat_url(&self) -> &str {
        &self.inner.chat_url
    }

    /// The models the server lists at `GET /v1/models`.
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, ModelError> {
        let url = format!("{}/v1/models", self.inner.root);
        let body = self.inner.get_json(&url).await?;
        let data =
            body.get("data")
                .and_then(Value::as_array)
                .ok_or_else(|| ModelError::Protocol {
                    url: boocode_core::redact_url_credentials(&url),
                    message: "no `data` list in the model listing".into(),
                })?;
        Ok(data
            .iter()
            .filter_map(|e| e.get("id").and_then(Value::as_str))
            .map(|id| ModelInfo {
                id: id.to_owned(),
                context: n_ctx_from_models(&body, Some(id)),
            })
            .collect())
    }
}

impl Inner {
    fn inline_filter(&self, request: &ModelRequest) -> Option<InlineFilter> {
        self.config.inline_tool_calls.then(|| {
            InlineFilter::new(
                request
                    .tools
                    .iter()
                    .map(|t| (t.name.clone(), t.parameters.clone()))
                    .collect(),
            )
        })
    }

    /// Sends the request and returns a response with a success status.
    async fn send(&self, body: &Value) -> Result<reqwest::Response, Failure> {
        let url = &self.chat_url;
        let bytes = serde_json::to_vec(body).map_err(|e| ModelError::Config(e.to_string()))?;
        let mut builder = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .body(bytes);
        if let Some(key) = self.config.api_key.as_deref().filter(|k| !k.is_empty()) {
            builder = builder.bearer_auth(key);
        }
        let response = tokio::time::timeout(self.config.first_token_timeout, builder.send())
            .await
            .map_err(|_| timeout(url, "waiting for the response"))?
            .map_err(|e| transport_error(url, &e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = tokio::time::timeout(Duration::from_secs(10), response.bytes())
            .await
            .ok()
            .and_then(Result::ok)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        Err(Failure {
            error: ModelError::Status {
                url: boocode_core::redact_url_credentials(url),
                status: status.as_u16(),
                body: upstream_message(&text),
            },
            retry_after,
            produced_output: false,
        })
    }

    /// One streaming attempt: forwards events to `tx` and ends with `Done`.
    async fn stream_once(
        &self,
        body: &Value,
        request: &ModelRequest,
        tx: &mpsc::Sender<Result<ModelEvent, ModelError>>,
        cancel: &CancellationToken,
    ) -> Result<(), Failure> {
        let url = &self.chat_url;
        let mut response = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(ModelError::Cancelled.into()),
            r = self.send(body) => r?,
        };
        let mut decoder = StreamDecoder::new(&request.tools, self.config.inline_tool_calls);
        let mut events = Vec::new();
        let mut first = true;
        while !decoder.is_done() {
            let wait = if first {
                self.config.first_token_timeout
            } else {
                self.config.idle_timeout
            };
            let chunk = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(ModelError::Cancelled.into()),
                c = tokio::time::timeout(wait, response.chunk()) => c,
            };
            let produced_output = decoder.produced_output();
            let fail = |error: ModelError| Failure {
                error,
                retry_after: None,
                produced_output,
            };
            let chunk = match chunk {
                Err(_) => {
                    return Err(fail(timeout(
                        url,
                        if first {
                            "waiting for the first token"
                        } else {
                            "waiting for the next token"
                        },
                    )));
                }
                Ok(Err(e)) => {
                    return Err(fail(ModelError::Interrupted {
                        url: boocode_core::redact_url_credentials(url),
                        message: chain(&e),
                    }));
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(bytes))) => bytes,
            };
            first = false;
            decoder
                .feed(&chunk, &mut events)
                .map_err(|e| fail(decode_error(url, e)))?;
            for event in events.drain(..) {
                if tx.send(Ok(event)).await.is_err() {
                    // Nobody is listening any more.
                    return Ok(());
                }
            }
        }
        if !decoder.is_done() && !decoder.has_finish_reason() {
            return Err(Failure {
                error: ModelError::Interrupted {
                    url: boocode_core::redact_url_credentials(url),
                    message: "the connection closed before the response finished".into(),
                },
                retry_after: None,
                produced_output: decoder.produced_output(),
            });
        }
        let completion = decoder
            .finish(&mut events)
            .map_err(|e| Failure::from(decode_error(url, e)))?;
        for event in events.drain(..) {
            let _ = tx.send(Ok(event)).await;
        }
        let _ = tx.send(Ok(ModelEvent::Done(completion))).await;
        Ok(())
    }

    async fn complete_once(
        &self,
        body: &Value,
        request: &ModelRequest,
    ) -> Result<Completion, Failure> {
        let url = &self.chat_url;
        let response = self.send(body).await?;
        let bytes = tokio::time::timeout(self.config.first_token_timeout, response.bytes())
            .await
            .map_err(|_| timeout(url, "waiting for the completion"))?
            .map_err(|e| ModelError::Interrupted {
                url: boocode_core::redact_url_credentials(url),
                message: chain(&e),
            })?;
        parse_full(&bytes, self.inline_filter(request)).map_err(|e| {
            Failure::from(ModelError::Protocol {
                url: boocode_core::redact_url_credentials(url),
                message: format!("{e}: {}", preview(&String::from_utf8_lossy(&bytes))),
            })
        })
    }

    /// Waits before retry number `attempt` (1-based); false when cancelled meanwhile.
    async fn backoff(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        error: &ModelError,
        cancel: &CancellationToken,
    ) -> bool {
        let policy = self.config.retry;
        let exponential = policy
            .initial_backoff
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(policy.max_backoff);
        let wait = match retry_after {
            Some(server) => server.min(policy.max_backoff.saturating_mul(4)),
            None => exponential + jitter(exponential / 4),
        };
        tracing::info!(%error, attempt, wait_ms = wait.as_millis() as u64, "model request failed; retrying");
        tokio::select! {
            biased;
            _ = cancel.cancelled() => false,
            _ = tokio::time::sleep(wait) => true,
        }
    }

    async fn get_json(&self, url: &str) -> Result<Value, ModelError> {
        let mut builder = self.http.get(url);
        if let Some(key) = self.config.api_key.as_deref().filter(|k| !k.is_empty()) {
            builder = builder.bearer_auth(key);
        }
        let response = tokio::time::timeout(self.config.discovery_timeout, builder.send())
            .await
            .map_err(|_| timeout(url, "waiting for the response"))?
            .map_err(|e| transport_error(url, &e))?;
        let status = response.status();
        let bytes = tokio::time::timeout(
            self.config.discovery_timeout,
            read_capped(response, MAX_DISCOVERY_BYTES),
        )
        .await
        .map_err(|_| timeout(url, "reading the response"))?
        .map_err(|e| match e {
            Capped::Transport(e) => transport_error(url, &e),
            Capped::TooLarge => ModelError::Protocol {
                url: boocode_core::redact_url_credentials(url),
                message: format!("the answer is larger than {MAX_DISCOVERY_BYTES} bytes"),
            },
        })?;
        if !status.is_success() {
            return Err(ModelError::Status {
                url: boocode_core::redact_url_credentials(url),
                status: status.as_u16(),
                body: upstream_message(&String::from_utf8_lossy(&bytes)),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ModelError::Protocol {
            url: boocode_core::redact_url_credentials(url),
            message: e.to_string(),
        })
    }

    async fn discover_context(&self, model: Option<&str>) -> Option<u64> {
        let root = &self.root;
        if let Ok(body) = self.get_json(&format!("{root}/props")).await
            && let Some(n) = n_ctx_from_props(&body)
        {
            return Some(n);
        }
        if let Some(model) = model
            && let Ok(body) = self
                .get_json(&format!("{root}/upstream/{model}/props"))
                .await
            && let Some(n) = n_ctx_from_props(&body)
        {
            return Some(n);
        }
        let body = self.get_json(&format!("{root}/v1/models")).await.ok()?;
        n_ctx_from_models(&body, model)
    }
}

#[async_trait::async_trait]
impl ModelClient for OpenAiClient {
    async fn stream(
        &self,
        request: ModelRequest,
        cancel: CancellationToken,
    ) -> Result<ModelStream, ModelError> {
        let (tx, rx) = mpsc::channel(64);
        let inner = self.inner.clone();
        let task = tokio::spawn(async move {
            let body = request_body(&request, inner.config.model.as_deref(), true);
            let mut attempt = 0;
            loop {
                let failure = match inner.stream_once(&body, &request, &tx, &cancel).await {
                    Ok(()) => return,
                    Err(f) => f,
                };
                let retry = !failure.produced_output
                    && failure.error.is_retryable()
                    && attempt < inner.config.retry.max_retries;
                if retry {
                    attempt += 1;
                    if inner
                        .backoff(attempt, failure.retry_after, &failure.error, &cancel)
                        .await
                    {
                        continue;
                    }
                    let _ = tx.send(Err(ModelError::Cancelled)).await;
                    return;
                }
                let _ = tx.send(Err(failure.error)).await;
                return;
            }
        });
        Ok(Box::pin(TaskStream { rx, task }))
    }

    async fn complete(
        &self,
        request: ModelRequest,
        cancel: CancellationToken,
    ) -> Result<Completion, ModelError> {
        let body = request_body(&request, self.inner.config.model.as_deref(), false);
        let mut attempt = 0;
        loop {
            let result = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(ModelError::Cancelled),
                r = self.inner.complete_once(&body, &request) => r,
            };
            let failure = match result {
                Ok(c) => return Ok(c),
                Err(f) => f,
            };
            if failure.error.is_retryable() && attempt < self.inner.config.retry.max_retries {
                attempt += 1;
                if self
                    .inner
                    .backoff(attempt, failure.retry_after, &failure.error, &cancel)
                    .await
                {
                    continue;
                }
                return Err(ModelError::Cancelled);
            }
            return Err(failure.error);
        }
    }

    async fn context_size(&self, model: Option<&str>) -> Option<u64> {
        let model = model.or(self.inner.config.model.as_deref());
        let key = model.unwrap_or("");
        if let Some(cached) = self.inner.context.get(key) {
            return cached;
        }
        let found = self.inner.discover_context(model).await;
        self.inner.context.put(key, found);
        found
    }

    fn default_model(&self) -> Option<String> {
        self.inner.config.model.clone()
    }
}

/// Largest model listing or properties answer read, in bytes.
const MAX_DISCOVERY_BYTES: usize = 4 * 1024 * 1024;

/// Why a capped read stopped.
enum Capped {
    Transport(reqwest::Error),
    TooLarge,
}

/// The body of `response`, refused once it passes `cap` bytes (checked per chunk, before the
/// buffer grows).
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>, Capped> {
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(Capped::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Capped::Transport)? {
        if body.len() + chunk.len() > cap {
            return Err(Capped::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The receiving end of a streaming task; dropping it aborts the task and its connection.
struct TaskStream {
    rx: mpsc::Receiver<Result<ModelEvent, ModelError>>,
    task: tokio::task::JoinHandle<()>,
}

impl Stream for TaskStream {
    type Item = Result<ModelEvent, ModelError>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for TaskStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn timeout(url: &str, phase: &str) -> ModelError {
    ModelError::Timeout {
        url: boocode_core::redact_url_credentials(url),
        phase: phase.to_owned(),
    }
}

fn transport_error(url: &str, e: &reqwest::Error) -> ModelError {
    if e.is_timeout() {
        return timeout(url, "connecting");
    }
    // reqwest's own layers ("error sending request for url (…)", "client error (Connect)")
    // repeat what the caller already says; the root cause is the useful part.
    let message = if e.is_connect() || e.is_request() {
        root_cause(e)
    } else {
        chain(e)
    };
    ModelError::Connect {
        url: boocode_core::redact_url_credentials(url),
        message,
    }
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    let mut chars = last.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => last,
    }
}

fn decode_error(url: &str, e: crate::decode::DecodeError) -> ModelError {
    match e {
        crate::decode::DecodeError::Upstream(message) => ModelError::Upstream { message },
        other => ModelError::Protocol {
            url: boocode_core::redact_url_credentials(url),
            message: other.to_string(),
        },
    }
}

/// An error and its sources on one line ("error sending request: connection refused").
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// A small pseudo-random spread so clients retrying together do not stay in step.
fn jitter(max: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let max_ms = max.as_millis().max(1) as u64;
    Duration::from_millis(u64::from(nanos) % max_ms)
}
