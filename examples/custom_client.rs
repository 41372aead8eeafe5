//! Recipe: your own `ModelClient`. Two of them:
//!
//! - `FixedReply` answers every request with the same text, streamed word by word — the whole
//!   contract in a few lines: deltas as they come, then one `ModelEvent::Done` whose
//!   `Completion` holds the tool calls, finish reason and usage (its text may repeat the deltas;
//!   left empty, the loop keeps the deltas). Only `stream` is required: `complete` collects it.
//! - `Throttled` wraps any client so that one request runs at a time, at least `gap` apart — a
//!   rate limit for a shared endpoint, without touching the loop.
//!
//! ```text
//! cargo run -p boocode-examples --example custom_client -- http://127.0.0.1:8080
//! ```
//!
//! In your own crate:
//!
//! ```toml
//! [dependencies]
//! boocode-core = "0.1"
//! boocode-inference = "0.1"
//! async-trait = "0.1"
//! futures = "0.3"
//! tokio = { version = "1", features = ["rt-multi-thread", "macros", "sync", "time"] }
//!
//! [dev-dependencies]
//! boocode-testkit = "0.1"
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use boocode_core::prelude::*;
use boocode_core::{FinishReason, NullSink};
use boocode_inference::{OpenAiClient, OpenAiConfig};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

/// Answers every request with its text, streamed a word at a time.
struct FixedReply(String);

#[async_trait]
impl ModelClient for FixedReply {
    async fn stream(
        &self,
        _request: ModelRequest,
        _cancel: CancellationToken,
    ) -> Result<ModelStream, ModelError> {
        let mut events: Vec<Result<ModelEvent, ModelError>> = self
            .0
            .split_inclusive(' ')
            .map(|word| Ok(ModelEvent::TextDelta(word.to_owned())))
            .collect();
        let done = Completion {
            finish_reason: Some(FinishReason::Stop),
            ..Completion::default()
        };
        events.push(Ok(ModelEvent::Done(done)));
        Ok(futures::stream::iter(events).boxed())
    }
}

/// Lets one request of `inner` run at a time, each starting at least `gap` after the last.
struct Throttled<C> {
    inner: C,
    running: Arc<Semaphore>,
    next_start: Mutex<Instant>,
    gap: Duration,
}

impl<C> Throttled<C> {
    fn new(inner: C, gap: Duration) -> Self {
        Self {
            inner,
            running: Arc::new(Semaphore::new(1)),
            next_start: Mutex::new(Instant::now()),
            gap,
        }
    }
}

#[async_trait]
impl<C: ModelClient> ModelClient for Throttled<C> {
    async fn stream(
        &self,
        request: ModelRequest,
        cancel: CancellationToken,
    ) -> Result<ModelStream, ModelError> {
        let permit = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ModelError::Config("the throttle was closed".into()))?;
        {
            let mut next = self.next_start.lock().await;
            tokio::time::sleep_until(*next).await;
            *next = Instant::now() + self.gap;
        }
        let stream = self.inner.stream(request, cancel).await?;
        // The permit lives as long as the stream: the next request waits for this one's end.
        Ok(stream
            .map(move |event| {
                let _held = &permit;
                event
            })
            .boxed())
    }

    async fn context_size(&self, model: Option<&str>) -> Option<u64> {
        self.inner.context_size(model).await
    }
}

/// Two turns through a throttled client at `url`, started together: their answers in order of
/// finishing, and when the last one finished (never before `gap`: the second request waits).
async fn two_throttled_turns(
    url: &str,
    gap: Duration,
) -> Result<(Vec<String>, Duration), Box<dyn std::error::Error>> {
    let client = Arc::new(Throttled::new(
        OpenAiClient::new(OpenAiConfig::new(url))?,
        gap,
    ));
    let started = Instant::now();
    let turn = |prompt: &'static str| {
        let client = client.clone();
        async move {
            let tools = ToolSet::new();
            let result = run_turn(
                client.as_ref(),
                &tools,
                &[Message::user(prompt)],
                &TurnConfig::default(),
                &NullSink,
                &CancellationToken::new(),
            )
            .await;
            (result.messages[0].text(), started.elapsed())
        }
    };
    let ((a, a_at), (b, b_at)) = tokio::join!(turn("first"), turn("second"));
    let mut answers = vec![(a_at, a), (b_at, b)];
    answers.sort();
    Ok((
        answers.into_iter().map(|(_, text)| text).collect(),
        a_at.max(b_at),
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // No server needed for this one.
    let fixed = FixedReply("All systems nominal.".into());
    let whole = fixed
        .complete(ModelRequest::default(), CancellationToken::new())
        .await?;
    println!("fixed reply: {}", whole.text);
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let (answers, last) = two_throttled_turns(&url, Duration::from_millis(500)).await?;
    println!(
        "throttled: {answers:?}, both done after {} ms",
        last.as_millis()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use boocode_testkit::{Reply, ScriptedOpenAi};

    #[tokio::test]
    async fn a_fixed_reply_streams_word_by_word_and_completes_whole() {
        let fixed = FixedReply("one two three".into());
        let tools = ToolSet::new();
        let sink = boocode_core::CollectSink::new();
        let result = run_turn(
            &fixed,
            &tools,
            &[Message::user("hi")],
            &TurnConfig::default(),
            &sink,
            &CancellationToken::new(),
        )
        .await;
        // The Done event carried no text: the loop kept the deltas.
        assert_eq!(result.messages[0].text(), "one two three");
        let deltas = sink
            .events()
            .into_iter()
            .filter(|e| matches!(e, AgentEvent::TextDelta { .. }))
            .count();
        assert_eq!(deltas, 3);
        let whole = fixed
            .complete(ModelRequest::default(), CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(whole.text, "one two three");
    }

    #[tokio::test]
    async fn throttled_requests_run_one_at_a_time_a_gap_apart() {
        let model = ScriptedOpenAi::start().await.unwrap();
        model.push(Reply::text("A"));
        model.push(Reply::text("B"));
        let (answers, last) = two_throttled_turns(&model.url(), Duration::from_millis(300))
            .await
            .unwrap();
        assert_eq!(answers, ["A", "B"]);
        assert!(last >= Duration::from_millis(300), "{last:?}");
    }
}
