//! The chat-completions request body, built from BooCode's domain messages, and the
//! non-streaming response.

use crate::decode::{ArgumentsDelta, WireUsage, finish_reason, synthetic_id};
use crate::xml::{Filtered, InlineFilter};
use boocode_core::{Completion, Message, ModelRequest, Part, Role, TokenUsage, ToolCallRequest};
use serde::Deserialize;
use serde_json::{Value, json};

/// Builds the JSON body for `POST /v1/chat/completions`.
pub(crate) fn request_body(
    request: &ModelRequest,
    default_model: Option<&str>,
    stream: bool,
) -> Value {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = request.system.as_deref().filter(|s| !s.is_empty()) {
        messages.push(json!({ "role": "system", "content": system }));
    }
    for message in &request.messages {
        push_message(&mut messages, message);
    }
    let mut body = json!({ "messages": messages, "stream": stream });
    if let Some(model) = request
        .model
        .as_deref()
        .or(default_model)
        .filter(|m| !m.is_empty())
    {
        body["model"] = json!(model);
    }
    if stream {
        body["stream_options"] = json!({ "include_usage": true });
    }
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "function": { "name": t.name, "description": t.description, "parameters": t.parameters }
                })
            })
            .collect();
    }
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(n) = request.max_tokens {
        body["max_tokens"] = json!(n);
    }
    if let Some(effort) = &request.reasoning_effort {
        body["reasoning_effort"] = json!(effort);
    }
    body
}

fn push_message(out: &mut Vec<Value>, message: &Message) {
    match message.role {
        Role::System | Role::User => {
            let text = message.text();
            if text.is_empty() {
                return;
            }
            // Chat templates expect roles to alternate: a summary followed by the user's next
            // message goes as one user message.
            if let Some(last) = out.last_mut()
                && last["role"] == message.role.as_str()
                && let Some(prev) = last["content"].as_str()
            {
                last["content"] = json!(format!("{prev}\n\n{text}"));
                return;
            }
            out.push(json!({ "role": message.role.as_str(), "content": text }));
        }
        Role::Assistant | Role::Tool => push_assistant(out, message),
    }
}

/// An assistant message holds its steps in order: text and calls, then results, then the next
/// step. On the wire each step is an assistant message followed by one `tool` message per
/// result. Reasoning is not sent back.
fn push_assistant(out: &mut Vec<Value>, message: &Message) {
    let mut content = String::new();
    let mut calls: Vec<Value> = Vec::new();
    let flush = |out: &mut Vec<Value>, content: &mut String, calls: &mut Vec<Value>| {
        if content.is_empty() && calls.is_empty() {
            return;
        }
        let mut m = json!({ "role": "assistant" });
        m["content"] = if content.is_empty() {
            Value::Null
        } else {
            json!(std::mem::take(content))
        };
        if !calls.is_empty() {
            m["tool_calls"] = json!(std::mem::take(calls));
        }
        out.push(m);
    };
    for part in &message.parts {
        match part {
            Part::Text { text } => {
                if !calls.is_empty() {
                    flush(out, &mut content, &mut calls);
                }
                content.push_str(text);
            }
            // Reasoning is not sent back; permissions and notices are for people.
            Part::Reasoning { .. }
            | Part::Permission { .. }
            | Part::Notice { .. }
            | Part::Plan { .. }
            | Part::Terminal { .. } => {}
            Part::ToolCall {
                id,
                name,
                arguments,
            } => calls.push(json!({
                "id": id, "type": "function",
                "function": { "name": name, "arguments": arguments }
            })),
            Part::ToolResult {
                call_id,
                content: result,
                ..
            } => {
                flush(out, &mut content, &mut calls);
                out.push(json!({ "role": "tool", "tool_call_id": call_id, "content": result }));
            }
        }
    }
    flush(out, &mut content, &mut calls);
}

#[derive(Deserialize)]
struct FullResponse {
    #[serde(default)]
    choices: Vec<FullChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct FullChoice {
    #[serde(default)]
    message: FullMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct FullMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    tool_calls: Vec<FullToolCall>,
}

#[derive(Deserialize)]
struct FullToolCall {
    #[serde(default)]
    id: Option<String>,
    function: FullFunction,
}

#[derive(Deserialize)]
struct FullFunction {
    #[serde(default)]
    name: String,
    #[serde(default)]
    arguments: Option<ArgumentsDelta>,
}

/// Parses a non-streaming completion body.
pub(crate) fn parse_full(
    body: &[u8],
    inline: Option<InlineFilter>,
) -> Result<Completion, serde_json::Error> {
    let response: FullResponse = serde_json::from_slice(body)?;
    let usage = response.usage.map(|u| TokenUsage {
        prompt_tokens: u.prompt_tokens,
        completion_tokens: u.completion_tokens,
    });
    let Some(choice) = response.choices.into_iter().next() else {
        return Ok(Completion {
            usage,
            ..Completion::default()
        });
    };
    let message = choice.message;
    let mut completion = Completion {
        text: String::new(),
        reasoning: message
            .reasoning_content
            .filter(|r| !r.is_empty())
            .or(message.reasoning)
            .unwrap_or_default(),
        tool_calls: message
            .tool_calls
            .into_iter()
            .map(|c| ToolCallRequest {
                id: c
                    .id
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(synthetic_id),
                name: c.function.name,
                arguments: c
                    .function
                    .arguments
                    .map(ArgumentsDelta::into_text)
                    .unwrap_or_default(),
            })
            .collect(),
        finish_reason: choice.finish_reason.as_deref().map(finish_reason),
        usage,
    };
    let content = message.content.unwrap_or_default();
    match inline {
        None => completion.text = content,
        Some(mut filter) => {
            let mut items = Vec::new();
            filter.feed(&content, &mut items);
            filter.finish(&mut items);
            for item in items {
                match item {
                    Filtered::Text(t) => completion.text.push_str(&t),
                    Filtered::Reasoning(t) => completion.reasoning.push_str(&t),
                    Filtered::Call { name, arguments } => {
                        completion.tool_calls.push(ToolCallRequest {
                            id: synthetic_id(),
                            name,
                            arguments,
                        })
                    }
                }
            }
        }
    }
    if !completion.tool_calls.is_empty()
        && matches!(
            completion.finish_reason,
            None | Some(boocode_core::FinishReason::Stop)
        )
    {
        completion.finish_reason = Some(boocode_core::FinishReason::ToolCalls);
    }
    Ok(completion)
}

#[cfg(test)]
mod tests {
    use super::*;
    use boocode_core::{MessageStatus, ToolSpec};

    #[test]
    fn steps_become_assistant_and_tool_messages_and_reasoning_stays_home() {
        let assistant = Message::new(
            Role::Assistant,
            MessageStatus::Complete,
            vec![
                Part::Reasoning {
                    text: "think".into(),
                },
                Part::text("Looking."),
                Part::ToolCall {
                    id: "a".into(),
                    name: "grep".into(),
                    arguments: "{}".into(),
                },
                Part::ToolCall {
                    id: "b".into(),
                    name: "ls".into(),
                    arguments: "{}".into(),
                },
                Part::ToolResult {
                    call_id: "a".into(),
                    name: "grep".into(),
                    content: "ra".into(),
                    is_error: false,
                    duration_ms: None,
                },
                Part::ToolResult {
                    call_id: "b".into(),
                    name: "ls".into(),
                    content: "rb".into(),
                    is_error: true,
                    duration_ms: None,
                },
                Part::ToolCall {
                    id: "c".into(),
                    name: "grep".into(),
                    arguments: "{\"x\":1}".into(),
                },
                Part::ToolResult {
                    call_id: "c".into(),
                    name: "grep".into(),
                    content: "rc".into(),
                    is_error: false,
                    duration_ms: None,
                },
                Part::text("Done."),
            ],
        );
        let request = ModelRequest::new(vec![Message::user("hi"), assistant])
            .system("sys")
            .tools(vec![ToolSpec::new("grep", "d", json!({"type": "object"}))]);
        let body = request_body(&request, Some("m"), true);
        insta::assert_json_snapshot!(body);
    }

    #[test]
    fn non_streaming_bodies_parse_including_inline_calls() {
        let body = br#"{"choices":[{"message":{"role":"assistant","content":"ok <tool_call>{\"name\":\"grep\",\"arguments\":{\"p\":1}}</tool_call>","reasoning":"r"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#;
        let c = parse_full(body, Some(InlineFilter::new(Default::default()))).unwrap();
        assert_eq!(c.text, "ok ");
        assert_eq!(c.reasoning, "r");
        assert_eq!(c.tool_calls[0].name, "grep");
        assert_eq!(c.tool_calls[0].arguments, "{\"p\":1}");
        assert_eq!(c.finish_reason, Some(boocode_core::FinishReason::ToolCalls));
        assert_eq!(
            c.usage,
            Some(TokenUsage {
                prompt_tokens: 3,
                completion_tokens: 4
            })
        );
        // Arguments sent as an object are accepted too.
        let body = br#"{"choices":[{"message":{"tool_calls":[{"function":{"name":"x","arguments":{"a":true}}}]}}]}"#;
        let c = parse_full(body, None).unwrap();
        assert_eq!(c.tool_calls[0].arguments, "{\"a\":true}");
        assert!(c.tool_calls[0].id.starts_with("call_"));
    }
}
