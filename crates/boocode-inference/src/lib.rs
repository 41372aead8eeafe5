//! An OpenAI-compatible chat-completions client for BooCode: llama.cpp, llama-swap, vLLM,
//! Ollama and OpenAI itself, streaming first. (Recipes: the workspace's `examples/one_turn.rs`
//! and `examples/custom_client.rs`, which wraps this client in a rate limit.)
//!
//! [`OpenAiClient`] implements [`boocode_core::ModelClient`]. It streams SSE with a real event
//! parser, assembles tool-call fragments by index, reads `reasoning_content` or `reasoning`,
//! always asks for the final usage chunk, extracts tool calls that a server left in the content
//! as XML, discovers the model's context size, and retries connect errors, 429 and 5xx — but only
//! before anything was streamed.
//!
//! ```no_run
//! use boocode_core::{CancellationToken, Message, ModelClient, ModelRequest};
//! use boocode_inference::{OpenAiClient, OpenAiConfig};
//!
//! # async fn demo() -> Result<(), boocode_core::ModelError> {
//! let client = OpenAiClient::new(OpenAiConfig::new("http://127.0.0.1:8080"))?;
//! let request = ModelRequest::new(vec![Message::user("Say hi")]);
//! let completion = client.complete(request, CancellationToken::new()).await?;
//! assert!(!completion.text.is_empty());
//! let n_ctx = client.context_size(None).await; // llama.cpp: from GET /props
//! # let _ = n_ctx;
//! # Ok(())
//! # }
//! ```

mod client;
mod context;
mod decode;
mod mistral;
mod sse;
mod switch;
pub mod tls;
mod wire;
mod xml;

pub use client::{ModelInfo, OpenAiClient, OpenAiConfig, RetryPolicy};
pub use decode::{DecodeError, StreamDecoder};
pub use switch::SwitchableClient;
