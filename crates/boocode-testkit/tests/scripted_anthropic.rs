//! The scripted Anthropic server streams the Messages event sequence the CLI expects.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_testkit::{AnthropicReply, ScriptedAnthropic};
use serde_json::Value;

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

#[tokio::test]
async fn streams_thinking_text_and_tool_use_in_the_messages_sequence() {
    let server = ScriptedAnthropic::start().await.unwrap();
    server.push(
        AnthropicReply::new()
            .thinking("plan")
            .text(&["Hel", "lo"])
            .tool_use("toolu_1", "Bash", &["", "{\"command\":", "\"touch x\"}"])
            .usage(100, 20),
    );
    let body = http()
        .post(format!("{}/v1/messages?beta=true", server.url()))
        .body(r#"{"model":"claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events: Vec<(String, Value)> = body
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let mut lines = e.lines();
            let name = lines
                .next()
                .unwrap()
                .strip_prefix("event: ")
                .unwrap()
                .to_owned();
            let data: Value =
                serde_json::from_str(lines.next().unwrap().strip_prefix("data: ").unwrap())
                    .unwrap();
            assert_eq!(data["type"], name.as_str(), "each data names its own event");
            (name, data)
        })
        .collect();
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(&names[names.len() - 2..], ["message_delta", "message_stop"]);
    assert_eq!(
        events[0].1["message"]["model"], "claude-sonnet-4-5",
        "the model is echoed"
    );
    let stop = &events[events.len() - 2].1;
    assert_eq!(stop["delta"]["stop_reason"], "tool_use");
    assert_eq!(stop["usage"]["output_tokens"], 20);
    let kinds: Vec<String> = events
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, d)| d["delta"]["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "thinking_delta",
            "signature_delta",
            "text_delta",
            "text_delta",
            "input_json_delta",
            "input_json_delta",
            "input_json_delta"
        ]
    );
    let json: String = events
        .iter()
        .filter_map(|(_, d)| d["delta"]["partial_json"].as_str())
        .collect();
    assert_eq!(json, "{\"command\":\"touch x\"}");
    assert_eq!(
        server.message_requests()[0].query.as_deref(),
        Some("beta=true")
    );
}

#[tokio::test]
async fn whole_messages_errors_and_other_endpoints() {
    let server = ScriptedAnthropic::start().await.unwrap();
    server.push(AnthropicReply::new().text(&["a", "b"]));
    server.push(AnthropicReply::error(529, "overloaded_error", "Overloaded"));
    let client = http();
    let url = format!("{}/v1/messages", server.url());
    let whole: Value = serde_json::from_str(
        &client
            .post(&url)
            .body(r#"{"model":"m"}"#)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(whole["content"][0]["text"], "ab");
    assert_eq!(whole["stop_reason"], "end_turn");
    let resp = client.post(&url).body("{}").send().await.unwrap();
    assert_eq!(resp.status(), 529);
    let err: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(err["error"]["type"], "overloaded_error");
    let count: Value = serde_json::from_str(
        &client
            .post(format!("{url}/count_tokens"))
            .body("{\"messages\":[]}")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(count["input_tokens"].is_u64());
    assert_eq!(
        client
            .get(format!("{}/nope", server.url()))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
