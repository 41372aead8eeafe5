//! The scripted server plays its script over real HTTP and records what it received.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_testkit::{Reply, ScriptedOpenAi};

fn http() -> reqwest::Client {
    // reqwest is built without a default TLS provider in this workspace.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

#[tokio::test]
async fn plays_a_stream_then_an_error_then_reports_an_empty_script() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::stream().text("hi").usage(3, 1));
    server.push(Reply::error(429, "slow down"));
    let client = http();
    let url = format!("{}/v1/chat/completions", server.url());

    let body = client
        .post(&url)
        .body(r#"{"stream":true,"messages":[{"role":"user","content":"x"}]}"#)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains(r#""content":"hi""#), "{body}");
    assert!(body.contains(r#""finish_reason":"stop""#), "{body}");
    assert!(
        body.contains(r#""choices":[]"#),
        "usage chunk missing: {body}"
    );
    assert!(body.trim_end().ends_with("data: [DONE]"), "{body}");

    let resp = client.post(&url).body("{}").send().await.unwrap();
    assert_eq!(resp.status(), 429);
    let resp = client.post(&url).body("{}").send().await.unwrap();
    assert_eq!(resp.status(), 500);
    assert!(resp.text().await.unwrap().contains("no reply left"));

    let requests = server.completion_requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].messages()[0]["content"], "x");
}

#[tokio::test]
async fn collapses_a_script_into_one_completion_for_non_streaming_requests() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .reasoning("think")
            .text("a")
            .text("b")
            .tool_call("c1", "grep", &["{\"pat", "tern\":\"x\"}"])
            .usage(5, 2),
    );
    let text = http()
        .post(format!("{}/v1/chat/completions", server.url()))
        .body(r#"{"stream":false}"#)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    let message = &body["choices"][0]["message"];
    assert_eq!(message["content"], "ab");
    assert_eq!(message["reasoning_content"], "think");
    assert_eq!(
        message["tool_calls"][0]["function"]["arguments"],
        "{\"pattern\":\"x\"}"
    );
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
}
