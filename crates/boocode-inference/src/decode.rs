//! Turning a chat-completions SSE byte stream into [`ModelEvent`]s and a final [`Completion`].
//!
//! [`StreamDecoder`] is synchronous and does no I/O: the client pumps network bytes through it,
//! and the benchmark pumps recorded bytes through it.

use crate::sse::{SseEvent, SseParser};
use crate::xml::{Filtered, InlineFilter};
use boocode_core::{Completion, FinishReason, ModelEvent, TokenUsage, ToolCallRequest, ToolSpec};
use serde::Deserialize;
use std::collections::HashMap;

/// The largest single SSE line or event accepted (tool results echoed back can be large).
pub(crate) const MAX_EVENT_BYTES: usize = 32 * 1024 * 1024;

/// Why a stream could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// An event was not valid chunk JSON.
    BadChunk(String),
    /// The server sent an error object inside the stream.
    Upstream(String),
    /// An event exceeded the size limit.
    TooLarge(usize),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::BadChunk(m) => write!(f, "bad chunk: {m}"),
            DecodeError::Upstream(m) => write!(f, "{m}"),
            DecodeError::TooLarge(n) => write!(f, "an event exceeded {n} bytes"),
        }
    }
}

impl std::error::Error for DecodeError {}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    delta: Delta,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<ArgumentsDelta>,
}

/// Arguments are a string everywhere except in some non-streaming replies, which send an object.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum ArgumentsDelta {
    Text(String),
    Object(serde_json::Value),
}

impl ArgumentsDelta {
    pub(crate) fn into_text(self) -> String {
        match self {
            ArgumentsDelta::Text(s) => s,
            ArgumentsDelta::Object(v) => v.to_string(),
        }
    }
}

#[derive(Deserialize, Clone, Copy)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub(crate) prompt_tokens: u64,
    #[serde(default)]
    pub(crate) completion_tokens: u64,
}

#[derive(Debug, Default)]
struct CallSlot {
    id: Option<String>,
    name: String,
    arguments: String,
    /// Whether `ToolCallStarted` was emitted (it waits for the name).
    started: bool,
}

pub(crate) fn finish_reason(raw: &str) -> FinishReason {
    match raw {
        "stop" | "end_turn" | "eos" => FinishReason::Stop,
        "length" | "max_tokens" => FinishReason::Length,
        "tool_calls" | "function_call" | "tool_use" => FinishReason::ToolCalls,
        "content_filter" => FinishReason::ContentFilter,
        _ => FinishReason::Unknown,
    }
}

/// Decodes one streamed chat completion.
#[derive(Debug)]
pub struct StreamDecoder {
    sse: SseParser,
    inline: Option<InlineFilter>,
    slots: Vec<CallSlot>,
    /// Server tool-call index → slot position.
    slot_by_index: HashMap<u32, usize>,
    text: String,
    reasoning: String,
    finish: Option<FinishReason>,
    usage: Option<TokenUsage>,
    done: bool,
    scratch: Vec<SseEvent>,
    filtered: Vec<Filtered>,
}

impl StreamDecoder {
    /// A decoder for a request that offered `tools`. With `inline_tool_calls`, tool calls left
    /// in the content as XML (and a leading `<think>` block) are extracted.
    pub fn new(tools: &[ToolSpec], inline_tool_calls: bool) -> Self {
        let inline = inline_tool_calls.then(|| {
            InlineFilter::new(
                tools
                    .iter()
                    .map(|t| (t.name.clone(), t.parameters.clone()))
                    .collect(),
            )
        });
        Self {
            sse: SseParser::new(MAX_EVENT_BYTES),
            inline,
            slots: Vec::new(),
            slot_by_index: HashMap::new(),
            text: String::new(),
            reasoning: String::new(),
            finish: None,
            usage: None,
            done: false,
            scratch: Vec::new(),
            filtered: Vec::new(),
        }
    }

    /// Whether `data: [DONE]` arrived.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Whether a finish reason arrived.
    pub fn has_finish_reason(&self) -> bool {
        self.finish.is_some()
    }

    /// Whether anything visible (text, reasoning or a tool call) was produced yet.
    pub fn produced_output(&self) -> bool {
        !self.text.is_empty() || !self.reasoning.is_empty() || !self.slots.is_empty()
    }

    /// Feeds bytes from the network, appending the events they complete to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<ModelEvent>) -> Result<(), DecodeError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let fed = self
            .sse
            .feed(bytes, &mut |e| scratch.push(e))
            .map_err(|e| DecodeError::TooLarge(e.limit));
        let result = fed.and_then(|()| self.events(&mut scratch, out));
        scratch.clear();
        self.scratch = scratch;
        result
    }

    /// Ends the input and returns the completion. Call once the body has ended (or after
    /// `[DONE]`).
    pub fn finish(mut self, out: &mut Vec<ModelEvent>) -> Result<Completion, DecodeError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        self.sse
            .finish(&mut |e| scratch.push(e))
            .map_err(|e| DecodeError::TooLarge(e.limit))?;
        self.events(&mut scratch, out)?;
        if let Some(mut inline) = self.inline.take() {
            let mut filtered = std::mem::take(&mut self.filtered);
            inline.finish(&mut filtered);
            self.release(&mut filtered, out);
        }
        let mut tool_calls = Vec::with_capacity(self.slots.len());
        for (index, slot) in self.slots.into_iter().enumerate() {
            let id = slot.id.unwrap_or_else(synthetic_id);
            if !slot.started {
                // A call whose name never came cannot be run, but it must not vanish silently.
                out.push(ModelEvent::ToolCallStarted {
                    index,
                    id: id.clone(),
                    name: slot.name.clone(),
                });
            }
            tool_calls.push(ToolCallRequest {
                id,
                name: slot.name,
                arguments: slot.arguments,
            });
        }
        let mut finish = self.finish;
        if !tool_calls.is_empty() && matches!(finish, Some(FinishReason::Stop) | None) {
            // Inline calls come with `stop`; Ollama and others may omit the reason.
            finish = Some(FinishReason::ToolCalls);
        }
        Ok(Completion {
            text: self.text,
            reasoning: self.reasoning,
            tool_calls,
            finish_reason: finish,
            usage: self.usage,
        })
    }

    fn events(
        &mut self,
        events: &mut Vec<SseEvent>,
        out: &mut Vec<ModelEvent>,
    ) -> Result<(), DecodeError> {
        for event in events.drain(..) {
            if self.done {
                break;
            }
            let data = event.data.trim();
            if data == "[DONE]" {
                self.done = true;
                break;
            }
            if data.is_empty() {
                continue;
            }
            if event.event.as_deref() == Some("error") {
                return Err(DecodeError::Upstream(upstream_message(data)));
            }
            let chunk: Chunk = serde_json::from_str(data)
                .map_err(|e| DecodeError::BadChunk(format!("{e}: {}", preview(data))))?;
            self.chunk(chunk, out)?;
        }
        Ok(())
    }

    fn chunk(&mut self, chunk: Chunk, out: &mut Vec<ModelEvent>) -> Result<(), DecodeError> {
        if let Some(error) = chunk.error {
            return Err(DecodeError::Upstream(upstream_message(&error.to_string())));
        }
        if let Some(u) = chunk.usage {
            self.usage = Some(TokenUsage {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
            });
        }
        for choice in chunk.choices {
            // Only the first choice is used; `n > 1` is never requested.
            if choice.index != 0 {
                continue;
            }
            let delta = choice.delta;
            let reasoning = match (delta.reasoning_content, delta.reasoning) {
                (Some(a), _) if !a.is_empty() => Some(a),
                (_, b) => b,
            };
            if let Some(r) = reasoning.filter(|r| !r.is_empty()) {
                self.reasoning.push_str(&r);
                out.push(ModelEvent::ReasoningDelta(r));
            }
            if let Some(c) = delta.content.filter(|c| !c.is_empty()) {
                self.content(c, out);
            }
            for call in delta.tool_calls.into_iter().flatten() {
                self.tool_call_delta(call, out);
            }
            if let Some(reason) = choice.finish_reason {
                self.finish = Some(finish_reason(&reason));
            }
        }
        Ok(())
    }

    fn content(&mut self, content: String, out: &mut Vec<ModelEvent>) {
        let Some(inline) = self.inline.as_mut() else {
            self.text.push_str(&content);
            out.push(ModelEvent::TextDelta(content));
            return;
        };
        let mut filtered = std::mem::take(&mut self.filtered);
        inline.feed(&content, &mut filtered);
        self.release(&mut filtered, out);
        self.filtered = filtered;
    }

    fn release(&mut self, filtered: &mut Vec<Filtered>, out: &mut Vec<ModelEvent>) {
        for item in filtered.drain(..) {
            match item {
                Filtered::Text(t) => {
                    self.text.push_str(&t);
                    out.push(ModelEvent::TextDelta(t));
                }
                Filtered::Reasoning(t) => {
                    self.reasoning.push_str(&t);
                    out.push(ModelEvent::ReasoningDelta(t));
                }
                Filtered::Call { name, arguments } => {
                    let index = self.slots.len();
                    let id = synthetic_id();
                    out.push(ModelEvent::ToolCallStarted {
                        index,
                        id: id.clone(),
                        name: name.clone(),
                    });
                    out.push(ModelEvent::ToolCallArgsDelta {
                        index,
                        delta: arguments.clone(),
                    });
                    self.slots.push(CallSlot {
                        id: Some(id),
                        name,
                        arguments,
                        started: true,
                    });
                }
            }
        }
    }

    fn tool_call_delta(&mut self, call: ToolCallDelta, out: &mut Vec<ModelEvent>) {
        // Servers that omit the index send one call per fragment run; a fresh id starts a new one.
        let server_index = call.index.unwrap_or_else(|| {
            let last = self.slots.len().saturating_sub(1) as u32;
            match (&call.id, self.slots.last()) {
                (Some(id), Some(slot)) if slot.id.as_ref() != Some(id) => self.slots.len() as u32,
                (_, None) => 0,
                _ => last,
            }
        });
        // Ollama sends every call of a step with `index: 0`: a fragment with a new id and a
        // name of its own is the next call, not more of the last one.
        let starts_another = |slot: &CallSlot| {
            let named = call
                .function
                .as_ref()
                .and_then(|f| f.name.as_deref())
                .is_some_and(|n| !n.is_empty());
            match (&call.id, &slot.id) {
                (Some(new), Some(old)) => named && !new.is_empty() && new != old,
                _ => false,
            }
        };
        let position = match self.slot_by_index.get(&server_index) {
            Some(&p) if !starts_another(&self.slots[p]) => p,
            _ => {
                self.slots.push(CallSlot::default());
                let p = self.slots.len() - 1;
                self.slot_by_index.insert(server_index, p);
                p
            }
        };
        let slot = &mut self.slots[position];
        if slot.id.is_none()
            && let Some(id) = call.id.filter(|id| !id.is_empty())
        {
            slot.id = Some(id);
        }
        let (name, arguments) = match call.function {
            Some(f) => (f.name, f.arguments.map(ArgumentsDelta::into_text)),
            None => (None, None),
        };
        if slot.name.is_empty()
            && let Some(name) = name.filter(|n| !n.is_empty())
        {
            slot.name = name;
        }
        let fragment = arguments.unwrap_or_default();
        if !slot.started && !slot.name.is_empty() {
            slot.started = true;
            let id = slot.id.get_or_insert_with(synthetic_id).clone();
            out.push(ModelEvent::ToolCallStarted {
                index: position,
                id,
                name: slot.name.clone(),
            });
            // Fragments that arrived before the name are released now.
            if !slot.arguments.is_empty() {
                out.push(ModelEvent::ToolCallArgsDelta {
                    index: position,
                    delta: slot.arguments.clone(),
                });
            }
        }
        if !fragment.is_empty() {
            slot.arguments.push_str(&fragment);
            if slot.started {
                out.push(ModelEvent::ToolCallArgsDelta {
                    index: position,
                    delta: fragment,
                });
            }
        }
    }
}

pub(crate) fn synthetic_id() -> String {
    format!("call_{}", uuid::Uuid::new_v4().simple())
}

/// The `message` of an OpenAI-style error object, or the text itself.
pub(crate) fn upstream_message(text: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(text).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("message"))
            .and_then(|m| m.as_str())
            .map(str::to_owned)
    });
    message.unwrap_or_else(|| preview(text))
}

pub(crate) fn preview(text: &str) -> String {
    const MAX: usize = 300;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(body: &str, piece: usize) -> (Vec<ModelEvent>, Completion) {
        let mut d = StreamDecoder::new(&[], true);
        let mut out = Vec::new();
        for chunk in body.as_bytes().chunks(piece) {
            d.feed(chunk, &mut out).unwrap();
        }
        let c = d.finish(&mut out).unwrap();
        (out, c)
    }

    #[test]
    fn ollama_whole_calls_without_ids_get_synthetic_ids() {
        let body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"grep\",\"arguments\":\"{\\\"pattern\\\":\\\"x\\\"}\"}}]},\"finish_reason\":null}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
        let (events, c) = decode(body, 7);
        assert_eq!(c.tool_calls.len(), 1);
        assert!(c.tool_calls[0].id.starts_with("call_"));
        assert_eq!(c.tool_calls[0].arguments, "{\"pattern\":\"x\"}");
        assert_eq!(c.finish_reason, Some(FinishReason::ToolCalls));
        assert!(
            matches!(&events[0], ModelEvent::ToolCallStarted { index: 0, name, .. } if name == "grep")
        );
    }

    #[test]
    fn vllm_reasoning_field_and_a_mid_stream_error() {
        let (events, c) = decode(
            "data: {\"choices\":[{\"delta\":{\"reasoning\":\"hm\"}}]}\n\ndata: [DONE]\n\n",
            3,
        );
        assert_eq!(events, vec![ModelEvent::ReasoningDelta("hm".into())]);
        assert_eq!(c.reasoning, "hm");
        let mut d = StreamDecoder::new(&[], false);
        let err = d
            .feed(
                b"data: {\"error\":{\"message\":\"out of memory\"}}\n\n",
                &mut Vec::new(),
            )
            .unwrap_err();
        assert_eq!(err, DecodeError::Upstream("out of memory".into()));
        let mut d = StreamDecoder::new(&[], false);
        let err = d.feed(b"data: {not json\n\n", &mut Vec::new()).unwrap_err();
        assert!(matches!(err, DecodeError::BadChunk(_)));
    }

    #[test]
    fn events_after_done_are_ignored() {
        let (events, c) = decode(
            "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n",
            64,
        );
        assert_eq!(events, vec![ModelEvent::TextDelta("a".into())]);
        assert_eq!(c.text, "a");
    }
}
