//! The model side of the loop: [`ModelClient`] and the request, stream and error types it uses.

use crate::domain::Message;
use crate::event::FinishReason;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

/// A tool as offered to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolSpec {
    /// The tool's name.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// JSON Schema of its arguments object.
    pub parameters: serde_json::Value,
}

impl ToolSpec {
    /// The tool `name`, described to the model by `description`, taking arguments that match
    /// the JSON Schema `parameters`.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: serde_json::Value,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            parameters,
        }
    }
}

/// One request to a model.
///
/// ```
/// use boocode_core::{Message, ModelRequest};
/// let request = ModelRequest::new(vec![Message::user("hi")]).system("Be brief.");
/// assert_eq!(request.messages.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ModelRequest {
    /// The model id; `None` lets the client use its configured default.
    pub model: Option<String>,
    /// The system prompt.
    pub system: Option<String>,
    /// The conversation, already repaired (see [`crate::repair_history`]).
    pub messages: Vec<Message>,
    /// Tools the model may call. Empty means none are offered.
    pub tools: Vec<ToolSpec>,
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Upper bound on generated tokens.
    pub max_tokens: Option<u32>,
    /// Reasoning effort (`low`, `medium`, `high`) for models that take one; sent as
    /// `reasoning_effort`.
    pub reasoning_effort: Option<String>,
}

impl ModelRequest {
    /// A request carrying `messages`, on the client's default model, with no tools.
    pub fn new(messages: Vec<Message>) -> Self {
        Self {
            messages,
            ..Self::default()
        }
    }

    /// Asks for model `id`.
    pub fn model(mut self, id: impl Into<String>) -> Self {
        self.model = Some(id.into());
        self
    }

    /// Sends `prompt` as the system prompt.
    pub fn system(mut self, prompt: impl Into<String>) -> Self {
        self.system = Some(prompt.into());
        self
    }

    /// Offers `tools` to the model.
    pub fn tools(mut self, tools: Vec<ToolSpec>) -> Self {
        self.tools = tools;
        self
    }

    /// Samples at `temperature`.
    pub fn temperature(mut self, temperature: f32) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Caps the answer at `tokens` generated tokens.
    pub fn max_tokens(mut self, tokens: u32) -> Self {
        self.max_tokens = Some(tokens);
        self
    }

    /// Sends `effort` as `reasoning_effort`.
    pub fn reasoning_effort(mut self, effort: impl Into<String>) -> Self {
        self.reasoning_effort = Some(effort.into());
        self
    }
}

/// Token counts a model endpoint reports for one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
}

/// A complete tool call assembled from a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallRequest {
    /// Call id (synthesized when the server sent none).
    pub id: String,
    /// Tool name.
    pub name: String,
    /// Arguments as JSON text, exactly as received (it may be malformed).
    pub arguments: String,
}

/// The whole of one model response.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Completion {
    /// Visible text (with any inline tool-call markup removed).
    pub text: String,
    /// Reasoning text.
    pub reasoning: String,
    /// Tool calls, in the order the model produced them.
    pub tool_calls: Vec<ToolCallRequest>,
    /// Why the model stopped; `None` when the stream ended without saying.
    pub finish_reason: Option<FinishReason>,
    /// Usage, when the server reported it.
    pub usage: Option<TokenUsage>,
}

/// An incremental event from a streaming model response.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ModelEvent {
    /// Visible text.
    TextDelta(String),
    /// Reasoning text.
    ReasoningDelta(String),
    /// A tool call began.
    ToolCallStarted {
        /// Position of the call in the response.
        index: usize,
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
    },
    /// A fragment of a tool call's arguments.
    ToolCallArgsDelta {
        /// Position of the call in the response.
        index: usize,
        /// The fragment.
        delta: String,
    },
    /// The response is complete. Always the last event of a successful stream.
    ///
    /// Its [`Completion`] is what the loop keeps: the tool calls to run, the finish reason and
    /// usage. Its `text` and `reasoning` should repeat what the deltas carried; a client that
    /// leaves them empty after streaming deltas still has the deltas kept (the loop falls back
    /// to what it received). A stream that ends without `Done` is an interrupted response.
    Done(Completion),
}

/// A stream of [`ModelEvent`]s. Dropping it aborts the request.
pub type ModelStream = BoxStream<'static, Result<ModelEvent, ModelError>>;

/// Why a model request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The endpoint could not be reached.
    #[error("cannot reach {url}: {message}")]
    Connect {
        /// The URL tried.
        url: String,
        /// What failed.
        message: String,
    },
    /// The endpoint answered with an error status.
    #[error("{url} answered HTTP {status}: {body}")]
    Status {
        /// The URL.
        url: String,
        /// HTTP status code.
        status: u16,
        /// The response body (truncated), usually the server's error message.
        body: String,
    },
    /// The endpoint took too long.
    #[error("{url}: timed out {phase}")]
    Timeout {
        /// The URL.
        url: String,
        /// Which wait ran out (connecting, waiting for the first token, between tokens).
        phase: String,
    },
    /// The stream broke off before the response finished.
    #[error("{url}: the stream ended early: {message}")]
    Interrupted {
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
    /// The response could not be understood.
    #[error("{url}: malformed response: {message}")]
    Protocol {
        /// The URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The server reported an error inside the stream.
    #[error("the model server reported an error: {message}")]
    Upstream {
        /// The server's message.
        message: String,
    },
    /// The request was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The client was set up wrongly.
    #[error("model client misconfigured: {0}")]
    Config(String),
}

impl Completion {
    /// This completion, with `text` and `reasoning` (what the deltas carried) filling in where
    /// it has none of its own.
    pub fn or_streamed(mut self, text: String, reasoning: String) -> Self {
        if self.text.is_empty() {
            self.text = text;
        }
        if self.reasoning.is_empty() {
            self.reasoning = reasoning;
        }
        self
    }
}

impl ModelError {
    /// A stream that closed without [`ModelEvent::Done`].
    pub fn ended_without_done() -> Self {
        ModelError::Interrupted {
            url: "the model".into(),
            message: "the response stream closed without its final `Done` event".into(),
        }
    }

    /// Whether retrying the same request could succeed (connect failures, timeouts before any
    /// output, 408/429 and 5xx statuses).
    pub fn is_retryable(&self) -> bool {
        match self {
            ModelError::Connect { .. } | ModelError::Timeout { .. } => true,
            ModelError::Interrupted { .. } => true,
            ModelError::Status { status, .. } => {
                matches!(status, 408 | 409 | 425 | 429) || (500..=599).contains(status)
            }
            ModelError::Protocol { .. }
            | ModelError::Upstream { .. }
            | ModelError::Cancelled
            | ModelError::Config(_) => false,
        }
    }
}

/// A chat model: anything that turns a [`ModelRequest`] into a completion.
///
/// `boocode-inference` implements it for OpenAI-compatible endpoints. Only
/// [`stream`](Self::stream) is required; [`complete`](Self::complete) collects it.
///
/// This is an `#[async_trait]` trait: put `#[async_trait::async_trait]` on your `impl` block
/// too (without it the compiler reports E0195, "lifetime parameters do not match", on a
/// signature that looks identical).
#[async_trait::async_trait]
pub trait ModelClient: Send + Sync {
    /// Starts a streaming completion. The stream ends with [`ModelEvent::Done`] on success.
    /// Cancelling `cancel` (or dropping the stream) aborts the request.
    async fn stream(
        &self,
        request: ModelRequest,
        cancel: CancellationToken,
    ) -> Result<ModelStream, ModelError>;

    /// Runs a completion to the end and returns it whole. The default collects
    /// [`stream`](Self::stream): the `Done` completion, with the deltas' text and reasoning
    /// where it left them empty.
    async fn complete(
        &self,
        request: ModelRequest,
        cancel: CancellationToken,
    ) -> Result<Completion, ModelError> {
        use futures::StreamExt;
        let mut stream = self.stream(request, cancel).await?;
        let (mut text, mut reasoning) = (String::new(), String::new());
        while let Some(event) = stream.next().await {
            match event? {
                ModelEvent::TextDelta(delta) => text.push_str(&delta),
                ModelEvent::ReasoningDelta(delta) => reasoning.push_str(&delta),
                ModelEvent::Done(completion) => {
                    return Ok(completion.or_streamed(text, reasoning));
                }
                ModelEvent::ToolCallStarted { .. } | ModelEvent::ToolCallArgsDelta { .. } => {}
            }
        }
        Err(ModelError::ended_without_done())
    }

    /// The context size of `model` (or the default model), when it can be discovered.
    async fn context_size(&self, _model: Option<&str>) -> Option<u64> {
        None
    }

    /// The model requests that name none go to, when the client is configured with one.
    fn default_model(&self) -> Option<String> {
        None
    }
}
