//! The Responses API and Gemini API scripted servers answer as those APIs do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_testkit::{ApiReply, ScriptedApi};
use serde_json::json;

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

#[tokio::test]
async fn responses_stream_a_function_call_then_text_and_record_requests() {
    let started = std::time::Instant::now();
    let server = ScriptedApi::responses().await.unwrap();
    server.push(ApiReply::tool_call(
        "c1",
        "shell",
        json!({"command": ["ls"]}),
    ));
    server.push(ApiReply::text("Done."));
    let client = client();
    let url = format!("{}/v1/responses", server.url());
    let first = client
        .post(&url)
        .body(json!({"model": "m", "stream": true}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let text = first.text().await.unwrap();
    assert!(text.contains("event: response.output_item.done"), "{text}");
    assert!(text.contains(r#""call_id":"c1""#), "{text}");
    assert!(text.contains(r#"\"command\":[\"ls\"]"#), "{text}");
    let second = client
        .post(&url)
        .body(json!({}).to_string())
        .send()
        .await
        .unwrap();
    assert!(second.text().await.unwrap().contains("Done."));
    let third = client
        .post(&url)
        .body(json!({}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), 500, "an empty script is an error");
    assert_eq!(server.model_requests().len(), 3);
    let ends = server.response_ends();
    assert_eq!(ends.len(), 3, "one end stamped per response");
    assert!(ends.windows(2).all(|w| w[0] <= w[1]));
    assert!(ends[0] >= started && ends[2] <= std::time::Instant::now());
    assert_eq!(server.remaining(), 0);
}

#[tokio::test]
async fn gemini_streams_chunks_and_answers_side_calls_outside_the_script() {
    let server = ScriptedApi::gemini().await.unwrap();
    server.push(ApiReply::tool_call("", "read_file", json!({"path": "a"})));
    let client = client();
    let base = format!("{}/v1beta/models/gemini-2.5-flash", server.url());
    let side = client
        .post(format!("{base}:generateContent"))
        .body(json!({}).to_string())
        .send()
        .await
        .unwrap();
    assert!(side.text().await.unwrap().contains("next_speaker"));
    let count = client
        .post(format!("{base}:countTokens"))
        .body(json!({"contents": []}).to_string())
        .send()
        .await
        .unwrap();
    assert!(count.text().await.unwrap().contains("totalTokens"));
    assert_eq!(server.remaining(), 1, "side calls take no scripted reply");
    let turn = client
        .post(format!("{base}:streamGenerateContent?alt=sse"))
        .body(json!({}).to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(turn.starts_with("data: "), "{turn}");
    let chunk: serde_json::Value =
        serde_json::from_str(turn.trim_start_matches("data: ").trim()).unwrap();
    let call = &chunk["candidates"][0]["content"]["parts"][0]["functionCall"];
    assert_eq!(call["name"], "read_file", "{turn}");
    assert_eq!(call["args"], json!({"path": "a"}), "{turn}");
    assert_eq!(server.model_requests().len(), 1);
}
