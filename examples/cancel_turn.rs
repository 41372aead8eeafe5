//! Recipe: stop a running turn from another task. The turn takes a `CancellationToken`; anyone
//! holding a clone may cancel it — a Ctrl-C handler, a timeout, a UI's Stop button. The turn
//! ends as `cancelled` at once (the model request is dropped, a running tool is told to stop),
//! and what the model said so far is kept in the message.
//!
//! ```text
//! cargo run -p boocode-examples --example cancel_turn -- http://127.0.0.1:8080 "Write a long story"
//! ```
//!
//! In your own crate:
//!
//! ```toml
//! [dependencies]
//! boocode-core = "0.1"
//! boocode-inference = "0.1"
//! tokio = { version = "1", features = ["rt-multi-thread", "macros", "sync", "time"] }
//!
//! [dev-dependencies]
//! boocode-testkit = "0.1"
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use boocode_core::prelude::*;
use boocode_core::{FnSink, MessageStatus};
use boocode_inference::{OpenAiClient, OpenAiConfig};
use std::time::Duration;

/// Runs `prompt` at `url` and cancels it from another task once `stop_after` characters have
/// streamed (or after `deadline`, whichever comes first). The outcome and the text kept.
async fn stop_early(
    url: &str,
    prompt: &str,
    stop_after: usize,
    deadline: Duration,
) -> Result<(TurnOutcome, MessageStatus, String), Box<dyn std::error::Error>> {
    let client = OpenAiClient::new(OpenAiConfig::new(url))?;
    let cancel = CancellationToken::new();
    // The sink tells the watcher how much has streamed; it must not block.
    let (seen_tx, mut seen_rx) = tokio::sync::watch::channel(0usize);
    let sink = FnSink(move |event: AgentEvent| {
        if let AgentEvent::TextDelta { text } = event {
            seen_tx.send_modify(|n| *n += text.len());
        }
    });
    // The other task: it holds a clone of the token, nothing else.
    let stopper = cancel.clone();
    let watcher = tokio::spawn(async move {
        let enough = async {
            while seen_rx.changed().await.is_ok() {
                if *seen_rx.borrow() >= stop_after {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(deadline, enough).await;
        stopper.cancel();
    });
    let tools = ToolSet::new();
    let result = run_turn(
        &client,
        &tools,
        &[Message::user(prompt)],
        &TurnConfig::default(),
        &sink,
        &cancel,
    )
    .await;
    watcher.abort();
    let message = &result.messages[0];
    Ok((result.outcome, message.status, message.text()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let prompt = args
        .next()
        .unwrap_or_else(|| "Write a long story about a lighthouse.".into());
    let (outcome, status, text) = stop_early(&url, &prompt, 200, Duration::from_secs(30)).await?;
    println!("{text}\n-- {} (message {status:?})", outcome.as_str());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use boocode_testkit::{Reply, ScriptedOpenAi};

    #[tokio::test]
    async fn a_turn_cancelled_from_another_task_keeps_what_streamed() {
        let model = ScriptedOpenAi::start().await.unwrap();
        let mut slow = Reply::stream();
        for i in 0..50 {
            slow = slow
                .text(&format!("word{i} "))
                .delay(Duration::from_millis(50));
        }
        model.push(slow);
        let (outcome, status, text) = stop_early(&model.url(), "talk", 12, Duration::from_secs(20))
            .await
            .unwrap();
        assert_eq!(outcome, TurnOutcome::Cancelled);
        assert_eq!(status, MessageStatus::Cancelled);
        assert!(text.starts_with("word0 word1 "), "{text}");
        assert!(!text.contains("word49"), "the stream was cut: {text}");
    }
}
