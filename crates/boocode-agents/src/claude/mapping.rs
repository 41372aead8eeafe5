//! Mapping Claude Code's SDK messages (stream partials, assistant and user messages, results) to
//! [`AgentEvent`]s.

use boocode_core::{AgentEvent, EventSink, Usage};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Maps `stream_event` partials and whole SDK messages to events.
#[derive(Default)]
pub(super) struct Mapper {
    /// Stream block index → tool call id.
    tool_blocks: HashMap<u64, String>,
}

impl Mapper {
    pub(super) fn map(&mut self, message: &Value, sink: &dyn EventSink) {
        match message["type"].as_str() {
            Some("stream_event") => {
                let event = &message["event"];
                let index = event["index"].as_u64().unwrap_or(0);
                match event["type"].as_str() {
                    Some("content_block_start")
                        if event.pointer("/content_block/type") == Some(&json!("tool_use")) =>
                    {
                        let id = event
                            .pointer("/content_block/id")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned();
                        let name = event
                            .pointer("/content_block/name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned();
                        self.tool_blocks.insert(index, id.clone());
                        sink.emit(AgentEvent::ToolCallStarted { call_id: id, name });
                    }
                    Some("message_start") => self.tool_blocks.clear(),
                    Some("content_block_delta") => {
                        let delta = &event["delta"];
                        match delta["type"].as_str() {
                            Some("text_delta") => sink.emit(AgentEvent::TextDelta {
                                text: delta["text"].as_str().unwrap_or("").to_owned(),
                            }),
                            Some("thinking_delta") => sink.emit(AgentEvent::ReasoningDelta {
                                text: delta["thinking"].as_str().unwrap_or("").to_owned(),
                            }),
                            Some("input_json_delta") => {
                                if let Some(id) = self.tool_blocks.get(&index) {
                                    sink.emit(AgentEvent::ToolCallArgsDelta {
                                        call_id: id.clone(),
                                        delta: delta["partial_json"]
                                            .as_str()
                                            .unwrap_or("")
                                            .to_owned(),
                                    });
                                }
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            Some("assistant") => {
                for block in message
                    .pointer("/message/content")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if block["type"] == "tool_use" {
                        sink.emit(AgentEvent::ToolCallReady {
                            call_id: block["id"].as_str().unwrap_or("").to_owned(),
                            name: block["name"].as_str().unwrap_or("").to_owned(),
                            arguments: block["input"].to_string(),
                        });
                    }
                }
            }
            Some("user") => {
                for block in message
                    .pointer("/message/content")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if block["type"] == "tool_result" {
                        let output = match &block["content"] {
                            Value::String(s) => s.clone(),
                            Value::Array(parts) => parts
                                .iter()
                                .filter_map(|p| p["text"].as_str())
                                .collect::<Vec<_>>()
                                .join("\n"),
                            other => other.to_string(),
                        };
                        sink.emit(AgentEvent::ToolCallFinished {
                            call_id: block["tool_use_id"].as_str().unwrap_or("").to_owned(),
                            name: String::new(),
                            output_bytes: output.len() as u64,
                            output,
                            is_error: block["is_error"].as_bool().unwrap_or(false),
                            duration_ms: 0,
                        });
                    }
                }
            }
            _ => {}
        }
    }
}

pub(super) fn usage_of(result: &Value) -> Usage {
    let u = &result["usage"];
    let prompt = u["input_tokens"].as_u64().unwrap_or(0)
        + u["cache_read_input_tokens"].as_u64().unwrap_or(0)
        + u["cache_creation_input_tokens"].as_u64().unwrap_or(0);
    let completion = u["output_tokens"].as_u64().unwrap_or(0);
    let ctx_max = result["modelUsage"]
        .as_object()
        .and_then(|m| m.values().find_map(|v| v["contextWindow"].as_u64()));
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        ctx_used: prompt + completion,
        ctx_max,
        // The process's running total; made per turn by the caller.
        cost_usd: result["total_cost_usd"].as_f64(),
    }
}

pub(super) fn error_text(result: &Value) -> String {
    if let Some(errors) = result["errors"].as_array().filter(|e| !e.is_empty()) {
        return errors
            .iter()
            .map(|e| {
                e.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| e.to_string())
            })
            .collect::<Vec<_>>()
            .join("; ");
    }
    if let Some(text) = result["result"].as_str().filter(|t| !t.is_empty()) {
        return text.to_owned();
    }
    result["subtype"]
        .as_str()
        .unwrap_or("claude reported an error")
        .to_owned()
}
