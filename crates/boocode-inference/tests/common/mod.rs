//! Helpers shared by the inference tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub,
    dead_code
)]
use boocode_core::{
    CancellationToken, Completion, Message, ModelClient, ModelError, ModelEvent, ModelRequest,
    ToolSpec,
};
use boocode_inference::{OpenAiClient, OpenAiConfig, RetryPolicy};
use futures::StreamExt;
use std::time::Duration;

pub fn config(url: &str) -> OpenAiConfig {
    let mut config = OpenAiConfig::new(url);
    config.model = Some("scripted".into());
    config.retry = RetryPolicy::default()
        .max_retries(3)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20));
    config
}

pub fn client(url: &str) -> OpenAiClient {
    OpenAiClient::new(config(url)).unwrap()
}

pub fn request(tools: Vec<ToolSpec>) -> ModelRequest {
    ModelRequest::new(vec![Message::user("hi")]).tools(tools)
}

/// Streams a request to the end: the events before `Done`, then the completion or the error.
pub async fn collect(
    client: &OpenAiClient,
    request: ModelRequest,
) -> (Vec<ModelEvent>, Result<Completion, ModelError>) {
    let mut stream = match client.stream(request, CancellationToken::new()).await {
        Ok(s) => s,
        Err(e) => return (Vec::new(), Err(e)),
    };
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(ModelEvent::Done(c)) => return (events, Ok(c)),
            Ok(e) => events.push(e),
            Err(e) => return (events, Err(e)),
        }
    }
    (events, Err(ModelError::Cancelled))
}

pub fn text_of(events: &[ModelEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            ModelEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}
