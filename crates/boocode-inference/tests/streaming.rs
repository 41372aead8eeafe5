//! Each SSE feature, over a real socket from the scripted server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_core::{FinishReason, ModelError, ModelEvent, TokenUsage, ToolSpec};
use boocode_testkit::{Reply, ScriptedOpenAi};
use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn content_and_reasoning_deltas_arrive_in_order_with_usage() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .reasoning("think ")
            .reasoning("more")
            .text("Hello")
            .text(", world")
            .usage(42, 7),
    );
    let (events, completion) = collect(&client(&server.url()), request(vec![])).await;
    let completion = completion.unwrap();
    assert_eq!(
        events,
        vec![
            ModelEvent::ReasoningDelta("think ".into()),
            ModelEvent::ReasoningDelta("more".into()),
            ModelEvent::TextDelta("Hello".into()),
            ModelEvent::TextDelta(", world".into()),
        ]
    );
    assert_eq!(completion.text, "Hello, world");
    assert_eq!(completion.reasoning, "think more");
    assert_eq!(completion.finish_reason, Some(FinishReason::Stop));
    assert_eq!(
        completion.usage,
        Some(TokenUsage {
            prompt_tokens: 42,
            completion_tokens: 7
        })
    );

    // include_usage is always asked for.
    let sent = &server.completion_requests()[0].body;
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"]["include_usage"], true);
    assert_eq!(sent["model"], "scripted");
}

#[tokio::test]
async fn the_reasoning_field_as_vllm_and_ollama_name_it() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .reasoning_as_reasoning_field()
            .reasoning("hmm")
            .text("ok"),
    );
    let (_, completion) = collect(&client(&server.url()), request(vec![])).await;
    assert_eq!(completion.unwrap().reasoning, "hmm");
}

#[tokio::test]
async fn interleaved_tool_call_fragments_are_assembled_by_index() {
    let server = ScriptedOpenAi::start().await.unwrap();
    // Two calls whose fragments interleave, as a parallel-calling server may send them.
    let frag = |index: u64, id: Option<&str>, name: Option<&str>, args: &str| {
        let mut call = json!({"index": index, "function": {"arguments": args}});
        if let Some(id) = id {
            call["id"] = json!(id);
            call["type"] = json!("function");
        }
        if let Some(name) = name {
            call["function"]["name"] = json!(name);
        }
        json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": null}]})
    };
    server.push(
        Reply::stream()
            .chunk(frag(0, Some("call_a"), Some("grep"), ""))
            .chunk(frag(1, Some("call_b"), Some("view_file"), "{\"path\""))
            .chunk(frag(0, None, None, "{\"pattern\":"))
            .chunk(frag(1, None, None, ":\"src/lib.rs\"}"))
            .chunk(frag(0, None, None, "\"todo\"}"))
            .finish("tool_calls"),
    );
    let (events, completion) = collect(&client(&server.url()), request(vec![])).await;
    let completion = completion.unwrap();
    assert_eq!(completion.finish_reason, Some(FinishReason::ToolCalls));
    let calls: Vec<(&str, &str, &str)> = completion
        .tool_calls
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str()))
        .collect();
    assert_eq!(
        calls,
        vec![
            ("call_a", "grep", "{\"pattern\":\"todo\"}"),
            ("call_b", "view_file", "{\"path\":\"src/lib.rs\"}"),
        ]
    );
    assert_eq!(
        events[0],
        ModelEvent::ToolCallStarted {
            index: 0,
            id: "call_a".into(),
            name: "grep".into()
        }
    );
    assert!(events.contains(&ModelEvent::ToolCallArgsDelta {
        index: 1,
        delta: ":\"src/lib.rs\"}".into()
    }));
}

#[tokio::test]
async fn whole_tool_calls_in_one_chunk_as_ollama_sends_them() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .whole_tool_call("", "grep", "{\"pattern\":\"x\"}")
            .finish("stop"),
    );
    let (_, completion) = collect(&client(&server.url()), request(vec![])).await;
    let completion = completion.unwrap();
    assert_eq!(completion.tool_calls[0].arguments, "{\"pattern\":\"x\"}");
    assert!(
        completion.tool_calls[0].id.starts_with("call_"),
        "an id is synthesized"
    );
    assert_eq!(completion.finish_reason, Some(FinishReason::ToolCalls));
}

#[tokio::test]
async fn finish_reasons_are_mapped() {
    for (raw, expected) in [
        ("length", FinishReason::Length),
        ("content_filter", FinishReason::ContentFilter),
        ("abort", FinishReason::Unknown),
    ] {
        let server = ScriptedOpenAi::start().await.unwrap();
        server.push(Reply::stream().text("cut").finish(raw));
        let (_, completion) = collect(&client(&server.url()), request(vec![])).await;
        assert_eq!(completion.unwrap().finish_reason, Some(expected), "{raw}");
    }
}

#[tokio::test]
async fn inline_json_tool_calls_never_reach_the_text() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .text("I'll search.\n<tool")
            .text("_call>\n{\"name\": \"grep\", \"argu")
            .text("ments\": {\"pattern\": \"main\"}}\n</tool_call>"),
    );
    let (events, completion) = collect(&client(&server.url()), request(vec![])).await;
    let completion = completion.unwrap();
    assert_eq!(text_of(&events), "I'll search.\n");
    assert_eq!(completion.text, "I'll search.\n");
    assert_eq!(completion.tool_calls.len(), 1);
    assert_eq!(completion.tool_calls[0].name, "grep");
    assert_eq!(completion.tool_calls[0].arguments, "{\"pattern\":\"main\"}");
    assert_eq!(completion.finish_reason, Some(FinishReason::ToolCalls));
}

#[tokio::test]
async fn inline_qwen3_coder_calls_are_typed_by_the_offered_schema() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::stream().text(
        "<tool_call>\n<function=view_file>\n<parameter=path>\nsrc/main.rs\n</parameter>\n<parameter=start>\n5\n</parameter>\n</function>\n</tool_call>",
    ));
    let tools = vec![ToolSpec::new(
        "view_file",
        "View a file.",
        json!({"type": "object", "properties": {"path": {"type": "string"}, "start": {"type": "integer"}}}),
    )];
    let (events, completion) = collect(&client(&server.url()), request(tools)).await;
    let completion = completion.unwrap();
    assert_eq!(text_of(&events), "");
    let args: serde_json::Value =
        serde_json::from_str(&completion.tool_calls[0].arguments).unwrap();
    assert_eq!(args, json!({"path": "src/main.rs", "start": 5}));
}

#[tokio::test]
async fn a_utf8_character_split_across_network_chunks_arrives_whole() {
    let server = ScriptedOpenAi::start().await.unwrap();
    let event =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"caf\u{e9} \u{1F600}\"}}]}\n\n";
    let bytes = event.as_bytes();
    let e_acute = event.find('\u{e9}').unwrap();
    let emoji = event.find('\u{1F600}').unwrap();
    let pause = Duration::from_millis(30);
    server.push(
        Reply::stream()
            .raw(bytes[..e_acute + 1].to_vec())
            .delay(pause)
            .raw(bytes[e_acute + 1..emoji + 2].to_vec())
            .delay(pause)
            .raw(bytes[emoji + 2..].to_vec()),
    );
    let (events, completion) = collect(&client(&server.url()), request(vec![])).await;
    assert_eq!(completion.unwrap().text, "café 😀");
    assert_eq!(text_of(&events), "café 😀");
}

#[tokio::test]
async fn crlf_framing_comments_and_multi_line_data_are_parsed() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .raw(": keep-alive\r\n\r\n")
            .raw("data: {\"choices\":[{\"index\":0,\r\ndata: \"delta\":{\"content\":\"a\"}}]}\r\n\r\n")
            .bare()
            .raw("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\ndata: [DONE]\r\n\r\n"),
    );
    let (_, completion) = collect(&client(&server.url()), request(vec![])).await;
    assert_eq!(completion.unwrap().text, "a");
}

#[tokio::test]
async fn an_error_object_inside_the_stream_is_reported() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .text("par")
            .chunk(json!({"error": {"message": "the model crashed", "type": "server_error"}}))
            .bare(),
    );
    let (events, completion) = collect(&client(&server.url()), request(vec![])).await;
    assert_eq!(text_of(&events), "par");
    assert_eq!(
        completion.unwrap_err(),
        ModelError::Upstream {
            message: "the model crashed".into()
        }
    );
}

#[tokio::test]
async fn a_stream_closed_without_finishing_is_an_error_not_a_short_answer() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::stream().text("half an ans").bare());
    let (_, completion) = collect(&client(&server.url()), request(vec![])).await;
    assert!(
        matches!(completion, Err(ModelError::Interrupted { .. })),
        "{completion:?}"
    );
    assert_eq!(
        server.completion_requests().len(),
        1,
        "content was shown: no retry"
    );
}

#[tokio::test]
async fn an_idle_stream_times_out() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::stream().text("a").stall());
    let mut config = config(&server.url());
    config.idle_timeout = Duration::from_millis(200);
    let client = boocode_inference::OpenAiClient::new(config).unwrap();
    let (_, completion) = collect(&client, request(vec![])).await;
    match completion {
        Err(ModelError::Timeout { phase, .. }) => assert_eq!(phase, "waiting for the next token"),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn the_api_key_is_sent_as_a_bearer_token_and_tools_are_offered() {
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(Reply::text("ok"));
    let mut config = config(&format!("{}/v1/", server.url()));
    config.api_key = Some("sk-test".into());
    let client = boocode_inference::OpenAiClient::new(config).unwrap();
    let tools = vec![ToolSpec::new("grep", "Search.", json!({"type": "object"}))];
    let (_, completion) = collect(&client, request(tools)).await;
    assert_eq!(completion.unwrap().text, "ok");
    let sent = &server.completion_requests()[0];
    assert_eq!(
        sent.path, "/v1/chat/completions",
        "a trailing /v1/ in the base URL is not doubled"
    );
    assert_eq!(sent.headers["authorization"], "Bearer sk-test");
    assert_eq!(sent.body["tools"][0]["type"], "function");
    assert_eq!(sent.body["tools"][0]["function"]["name"], "grep");
}

#[tokio::test]
async fn non_streaming_completion() {
    use boocode_core::{CancellationToken, ModelClient};
    let server = ScriptedOpenAi::start().await.unwrap();
    server.push(
        Reply::stream()
            .reasoning("r")
            .text("whole")
            .tool_call("c", "grep", &["{}"])
            .usage(3, 2),
    );
    let completion = client(&server.url())
        .complete(request(vec![]), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(completion.text, "whole");
    assert_eq!(completion.reasoning, "r");
    assert_eq!(completion.tool_calls[0].id, "c");
    assert_eq!(
        completion.usage,
        Some(TokenUsage {
            prompt_tokens: 3,
            completion_tokens: 2
        })
    );
    assert_eq!(server.completion_requests()[0].body["stream"], false);
}

#[test]
fn a_url_that_is_not_http_is_refused_up_front() {
    for bad in ["ftp://host/v1", "not a url", "file:///etc/passwd"] {
        let err = boocode_inference::OpenAiClient::new(boocode_inference::OpenAiConfig::new(bad))
            .unwrap_err();
        assert!(matches!(err, ModelError::Config(_)), "{bad}: {err:?}");
    }
}
