//! Retries happen before the first token and never after content streamed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_core::{CancellationToken, ModelClient, ModelError};
use boocode_testkit::{Reply, ScriptedOpenAi};
use common::*;
use std::time::Duration;

#[tokio::test]
async fn server_errors_and_rate_limits_before_the_first_token_are_retried() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::error(503, "loading model"));
    server.push(Reply::error(429, "slow down"));
    server.push(Reply::stream().disconnect());
    server.push(Reply::text("recovered"));
    let (events, completion) = collect(&client(&server.url()), request(vec![])).await;
    assert_eq!(completion.unwrap().text, "recovered");
    assert_eq!(text_of(&events), "recovered");
    assert_eq!(server.completion_requests().len(), 4);
}

#[tokio::test]
async fn a_disconnect_after_content_is_not_retried() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::stream().text("half").disconnect());
    server.push(Reply::text("should not be requested"));
    let (events, completion) = collect(&client(&server.url()), request(vec![])).await;
    assert_eq!(text_of(&events), "half");
    assert!(
        matches!(completion, Err(ModelError::Interrupted { .. })),
        "{completion:?}"
    );
    assert_eq!(server.completion_requests().len(), 1);
    assert_eq!(server.remaining(), 1);
}

#[tokio::test]
async fn retries_give_up_after_the_policy_with_the_last_status_and_body() {
    let server = ScriptedOpenAi::start().await.unwrap();
    for _ in 0..4 {
        server.push(Reply::error(500, "boom"));
    }
    let (_, completion) = collect(&client(&server.url()), request(vec![])).await;
    match completion {
        Err(ModelError::Status { status, body, url }) => {
            assert_eq!(status, 500);
            assert_eq!(body, "boom");
            assert!(url.ends_with("/v1/chat/completions"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.completion_requests().len(), 4, "1 try + 3 retries");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::error(401, "bad key"));
    server.push(Reply::text("unused"));
    let (_, completion) = collect(&client(&server.url()), request(vec![])).await;
    assert!(matches!(
        completion,
        Err(ModelError::Status { status: 401, .. })
    ));
    assert_eq!(server.completion_requests().len(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported_with_the_url() {
    let server = ScriptedOpenAi::start().await.unwrap();
    let url = server.url();
    drop(server);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (_, completion) = collect(&client(&url), request(vec![])).await;
    match completion {
        Err(e @ ModelError::Connect { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains(&url) && text.contains("cannot reach"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_slow_first_response_times_out_and_is_retried() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::Hang(
        Duration::from_secs(30),
        Box::new(Reply::text("late")),
    ));
    server.push(Reply::text("on time"));
    let mut config = config(&server.url());
    config.first_token_timeout = Duration::from_millis(300);
    let client = boocode_inference::OpenAiClient::new(config).unwrap();
    let (_, completion) = collect(&client, request(vec![])).await;
    assert_eq!(completion.unwrap().text, "on time");
}

#[tokio::test]
async fn cancelling_stops_a_pending_retry() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::error(503, "busy"));
    let mut config = config(&server.url());
    config.retry.initial_backoff = Duration::from_secs(30);
    config.retry.max_backoff = Duration::from_secs(30);
    let client = boocode_inference::OpenAiClient::new(config).unwrap();
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stopper.cancel();
    });
    let started = std::time::Instant::now();
    let result = client.complete(request(vec![]), cancel).await;
    assert_eq!(result.unwrap_err(), ModelError::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(10));
}
