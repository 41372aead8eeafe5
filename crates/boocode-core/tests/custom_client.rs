//! A home-made `ModelClient` — here a wrapper over the real client talking to the scripted
//! server — needs only `stream`: `complete` collects it, deltas are kept when its final `Done`
//! carries no text, and a stream that closes without `Done` says so.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_core::{
    CancellationToken, Completion, Message, ModelClient, ModelError, ModelEvent, ModelRequest,
    ModelStream, TurnOutcome,
};
use boocode_inference::OpenAiClient;
use boocode_testkit::{Reply, ScriptedOpenAi};
use common::*;
use futures::StreamExt;

/// How the wrapper changes the real stream.
#[derive(Clone, Copy)]
enum Quirk {
    /// `Done` with its text and reasoning emptied.
    EmptyDone,
    /// No `Done` at all.
    NoDone,
}

struct Quirky(OpenAiClient, Quirk);

#[async_trait::async_trait]
impl ModelClient for Quirky {
    async fn stream(
        &self,
        request: ModelRequest,
        cancel: CancellationToken,
    ) -> Result<ModelStream, ModelError> {
        let quirk = self.1;
        let inner = self.0.stream(request, cancel).await?;
        Ok(inner
            .filter_map(move |event| async move {
                match (quirk, event) {
                    (Quirk::NoDone, Ok(ModelEvent::Done(_))) => None,
                    (Quirk::EmptyDone, Ok(ModelEvent::Done(c))) => {
                        Some(Ok(ModelEvent::Done(Completion {
                            text: String::new(),
                            reasoning: String::new(),
                            ..c
                        })))
                    }
                    (_, other) => Some(other),
                }
            })
            .boxed())
    }
}

/// One turn of "hi" on `model`, no sink.
async fn say_hi(model: &Quirky) -> boocode_core::TurnResult {
    let tools = tools();
    boocode_core::run_turn(
        model,
        &tools,
        &[Message::user("hi")],
        &config(&tools),
        &boocode_core::NullSink,
        &CancellationToken::new(),
    )
    .await
}

#[tokio::test]
async fn deltas_are_kept_when_done_carries_no_text_and_complete_needs_no_code() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .reasoning("Think.")
            .text("Hello ")
            .text("there."),
    );
    server.push(Reply::stream().text("Collected."));
    let model = Quirky(client(&server), Quirk::EmptyDone);
    let result = say_hi(&model).await;
    assert_eq!(result.outcome, TurnOutcome::Completed);
    assert_eq!(result.messages[0].text(), "Hello there.");
    let whole = model
        .complete(ModelRequest::default(), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(whole.text, "Collected.");
}

#[tokio::test]
async fn a_stream_without_done_is_an_error_that_says_so() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::stream().text("Half"));
    server.push(Reply::stream().text("Half again"));
    let model = Quirky(client(&server), Quirk::NoDone);
    let result = say_hi(&model).await;
    assert_eq!(result.outcome, TurnOutcome::Error);
    let error = result.error.unwrap();
    assert!(error.contains("without its final `Done` event"), "{error}");
    assert!(!error.starts_with(':'), "{error}");
    assert_eq!(
        result.messages[0].text(),
        "Half",
        "the partial text is kept"
    );
    let failed = model
        .complete(ModelRequest::default(), CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        failed
            .to_string()
            .contains("without its final `Done` event")
    );
}
