//! A scripted Anthropic Messages server the real `claude` CLI accepts (PROTOCOLS.md §5).
//!
//! `POST /v1/messages` (query string ignored) takes the next [`AnthropicReply`] and streams the
//! Messages SSE sequence — `message_start`, per block `content_block_start` / `_delta` /
//! `_stop`, `message_delta` with the stop reason and usage, `message_stop` — or returns the whole
//! message for `"stream": false`. `count_tokens`, `GET /v1/models` and a 404 JSON error for
//! anything else complete what the CLI may call. Every request is recorded.

use crate::openai::RecordedRequest;
use crate::serve::{Served, lock};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Debug, Clone)]
enum Block {
    Thinking(String),
    Text(Vec<String>),
    ToolUse {
        id: String,
        name: String,
        fragments: Vec<String>,
    },
}

/// A scripted assistant message.
#[derive(Debug, Clone)]
pub struct AnthropicReply {
    blocks: Vec<Block>,
    usage: (u64, u64),
    delay: Duration,
    error: Option<(u16, String, String)>,
    cut_off: bool,
}

impl Default for AnthropicReply {
    fn default() -> Self {
        Self::new()
    }
}

impl AnthropicReply {
    /// An empty reply (usage 50 in, 10 out).
    pub fn new() -> Self {
        Self {
            blocks: Vec::new(),
            usage: (50, 10),
            delay: Duration::ZERO,
            error: None,
            cut_off: false,
        }
    }

    /// A thinking block (with a stable fake signature).
    pub fn thinking(mut self, text: &str) -> Self {
        self.blocks.push(Block::Thinking(text.to_owned()));
        self
    }

    /// A text block streamed in these pieces.
    pub fn text(mut self, pieces: &[&str]) -> Self {
        self.blocks.push(Block::Text(
            pieces.iter().map(|p| (*p).to_owned()).collect(),
        ));
        self
    }

    /// A tool_use block whose input JSON arrives in these fragments.
    pub fn tool_use(mut self, id: &str, name: &str, fragments: &[&str]) -> Self {
        self.blocks.push(Block::ToolUse {
            id: id.to_owned(),
            name: name.to_owned(),
            fragments: fragments.iter().map(|f| (*f).to_owned()).collect(),
        });
        self
    }

    /// Usage reported in `message_start` / `message_delta`.
    pub fn usage(mut self, input: u64, output: u64) -> Self {
        self.usage = (input, output);
        self
    }

    /// A pause between deltas.
    pub fn delay(mut self, pause: Duration) -> Self {
        self.delay = pause;
        self
    }

    /// An HTTP error (`error_type` such as `overloaded_error`).
    pub fn error(status: u16, error_type: &str, message: &str) -> Self {
        Self {
            error: Some((status, error_type.to_owned(), message.to_owned())),
            ..Self::new()
        }
    }

    /// Close the stream before `message_delta` / `message_stop`.
    pub fn cut_off(mut self) -> Self {
        self.cut_off = true;
        self
    }

    fn stop_reason(&self) -> &'static str {
        if matches!(self.blocks.last(), Some(Block::ToolUse { .. })) {
            "tool_use"
        } else {
            "end_turn"
        }
    }

    /// The events of the stream, in order, with the model id echoed.
    fn events(&self, model: &str, message_id: &str) -> Vec<(String, Value)> {
        let mut out = vec![(
            "message_start".to_owned(),
            json!({"type": "message_start", "message": {"id": message_id, "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": self.usage.0, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}}),
        )];
        for (index, block) in self.blocks.iter().enumerate() {
            let (start, deltas): (Value, Vec<Value>) = match block {
                Block::Thinking(text) => (
                    json!({"type": "thinking", "thinking": "", "signature": ""}),
                    vec![
                        json!({"type": "thinking_delta", "thinking": text}),
                        json!({"type": "signature_delta", "signature": "c2NyaXB0ZWQtc2lnbmF0dXJl"}),
                    ],
                ),
                Block::Text(pieces) => (
                    json!({"type": "text", "text": ""}),
                    pieces
                        .iter()
                        .map(|p| json!({"type": "text_delta", "text": p}))
                        .collect(),
                ),
                Block::ToolUse {
                    id,
                    name,
                    fragments,
                } => (
                    json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                    fragments
                        .iter()
                        .map(|f| json!({"type": "input_json_delta", "partial_json": f}))
                        .collect(),
                ),
            };
            out.push((
                "content_block_start".into(),
                json!({"type": "content_block_start", "index": index, "content_block": start}),
            ));
            for delta in deltas {
                out.push((
                    "content_block_delta".into(),
                    json!({"type": "content_block_delta", "index": index, "delta": delta}),
                ));
            }
            out.push((
                "content_block_stop".into(),
                json!({"type": "content_block_stop", "index": index}),
            ));
        }
        if !self.cut_off {
            out.push(("message_delta".into(), json!({"type": "message_delta", "delta": {"stop_reason": self.stop_reason(), "stop_sequence": null}, "usage": {"input_tokens": self.usage.0, "output_tokens": self.usage.1}})));
            out.push(("message_stop".into(), json!({"type": "message_stop"})));
        }
        out
    }

    /// The whole message, for non-streaming requests.
    fn whole(&self, model: &str, message_id: &str) -> Value {
        let content: Vec<Value> = self
            .blocks
            .iter()
            .map(|b| match b {
                Block::Thinking(t) => json!({"type": "thinking", "thinking": t, "signature": "c2NyaXB0ZWQtc2lnbmF0dXJl"}),
                Block::Text(p) => json!({"type": "text", "text": p.concat()}),
                Block::ToolUse { id, name, fragments } => {
                    json!({"type": "tool_use", "id": id, "name": name, "input": serde_json::from_str::<Value>(&fragments.concat()).unwrap_or(json!({}))})
                }
            })
            .collect();
        json!({"id": message_id, "type": "message", "role": "assistant", "model": model, "content": content, "stop_reason": self.stop_reason(), "stop_sequence": null,
            "usage": {"input_tokens": self.usage.0, "output_tokens": self.usage.1}})
    }
}

#[derive(Default)]
struct Shared {
    script: VecDeque<AnthropicReply>,
    requests: Vec<RecordedRequest>,
    served: u64,
    /// How long a request waits for a reply to be pushed when the script is empty.
    hold: Duration,
}

type SharedState = Arc<Mutex<Shared>>;

/// The running server; dropping it shuts it down.
pub struct ScriptedAnthropic {
    served: Served,
    state: SharedState,
}

impl ScriptedAnthropic {
    /// Starts on `127.0.0.1` with an ephemeral port.
    pub async fn start() -> std::io::Result<Self> {
        let state: SharedState = Arc::default();
        let app = Router::new().fallback(handle).with_state(state.clone());
        let served = crate::serve::serve_loopback(app).await?;
        Ok(Self { served, state })
    }

    /// The base URL for `ANTHROPIC_BASE_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.served.addr)
    }

    /// When the last byte of each recent response (up to 256, oldest first) went to the
    /// client: the model's "last byte", to time what the client does after it.
    pub fn response_ends(&self) -> Vec<std::time::Instant> {
        self.served.response_ends()
    }

    /// Appends a reply.
    pub fn push(&self, reply: AnthropicReply) -> &Self {
        lock(&self.state).script.push_back(reply);
        self
    }

    /// Replies not yet used.
    pub fn remaining(&self) -> usize {
        lock(&self.state).script.len()
    }

    /// Makes a request that finds the script empty wait up to `hold` for a reply to be pushed
    /// (instead of failing at once): for replies that name something made after the agent
    /// started, such as a worktree's directory.
    pub fn hold(&self, hold: Duration) -> &Self {
        lock(&self.state).hold = hold;
        self
    }

    /// Every `POST /v1/messages` so far.
    pub fn message_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| r.path == "/v1/messages")
            .cloned()
            .collect()
    }
}

/// A reply from JSON, for `POST /__push`: `{"thinking": "...", "text": [pieces], "tool_use":
/// [{"id", "name", "args": [fragments]}], "usage": [input, output], "delay_ms": n, "error":
/// [status, type, message]}`; blocks come in that order.
pub fn anthropic_reply_from_json(body: &Value) -> Result<AnthropicReply, String> {
    if let Some(err) = body.get("error") {
        let status = err[0].as_u64().ok_or("error: [status, type, message]")?;
        return Ok(AnthropicReply::error(
            u16::try_from(status).map_err(|_| "error: a bad status")?,
            err[1].as_str().unwrap_or("api_error"),
            err[2].as_str().unwrap_or("scripted error"),
        ));
    }
    let mut reply = AnthropicReply::new();
    if let Some(thinking) = body["thinking"].as_str() {
        reply = reply.thinking(thinking);
    }
    let pieces: Vec<&str> = body["text"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !pieces.is_empty() {
        reply = reply.text(&pieces);
    }
    for call in body["tool_use"].as_array().into_iter().flatten() {
        let id = call["id"].as_str().ok_or("tool_use[].id is required")?;
        let name = call["name"].as_str().ok_or("tool_use[].name is required")?;
        let args: Vec<&str> = call["args"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        reply = reply.tool_use(id, name, &args);
    }
    if let Some(usage) = body["usage"].as_array() {
        reply = reply.usage(
            usage.first().and_then(Value::as_u64).unwrap_or(0),
            usage.get(1).and_then(Value::as_u64).unwrap_or(0),
        );
    }
    if let Some(ms) = body["delay_ms"].as_u64() {
        reply = reply.delay(Duration::from_millis(ms));
    }
    Ok(reply)
}

fn error(status: u16, kind: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        axum::Json(json!({"type": "error", "error": {"type": kind, "message": message}})),
    )
        .into_response()
}

async fn handle(State(state): State<SharedState>, request: Request) -> Response {
    let (recorded, method) = RecordedRequest::read(request).await;
    let (path, body) = (recorded.path.clone(), recorded.body.clone());
    lock(&state).requests.push(recorded);
    match (&method, path.as_str()) {
        (&Method::POST, "/v1/messages") => {}
        // Scripting over HTTP, for harnesses in other languages (the web UI's end-to-end tests).
        (&Method::POST, "/__push") => {
            return match anthropic_reply_from_json(&body) {
                Ok(reply) => {
                    let mut shared = lock(&state);
                    shared.script.push_back(reply);
                    axum::Json(json!({"remaining": shared.script.len()})).into_response()
                }
                Err(message) => error(400, "invalid_request_error", &message),
            };
        }
        (&Method::GET, "/__requests") => {
            let requests: Vec<Value> = lock(&state)
                .requests
                .iter()
                .filter(|r| !r.path.starts_with("/__"))
                .map(|r| json!({"method": r.method, "path": r.path, "body": r.body}))
                .collect();
            return axum::Json(Value::Array(requests)).into_response();
        }
        (&Method::POST, "/v1/messages/count_tokens") => {
            let n = body.to_string().len() / 4;
            return axum::Json(json!({"input_tokens": n})).into_response();
        }
        (&Method::GET, "/v1/models") => {
            return axum::Json(json!({"data": [{"type": "model", "id": "claude-sonnet-4-5", "display_name": "Scripted", "created_at": "2026-01-01T00:00:00Z"}], "has_more": false, "first_id": "claude-sonnet-4-5", "last_id": "claude-sonnet-4-5"})).into_response();
        }
        _ => return error(404, "not_found_error", "not found"),
    }
    let model = body["model"]
        .as_str()
        .unwrap_or("claude-sonnet-4-5")
        .to_owned();
    let (mut reply, n, hold) = {
        let mut shared = lock(&state);
        shared.served += 1;
        (shared.script.pop_front(), shared.served, shared.hold)
    };
    let deadline = tokio::time::Instant::now() + hold;
    while reply.is_none() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        reply = lock(&state).script.pop_front();
    }
    let Some(reply) = reply else {
        return error(
            500,
            "api_error",
            "scripted server: no reply left in the script",
        );
    };
    if let Some((status, kind, message)) = &reply.error {
        return error(*status, kind, message);
    }
    let message_id = format!("msg_scripted_{n:04}");
    if !body["stream"].as_bool().unwrap_or(false) {
        return axum::Json(reply.whole(&model, &message_id)).into_response();
    }
    let events = reply.events(&model, &message_id);
    let delay = reply.delay;
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::spawn(async move {
        for (name, data) in events {
            if tx
                .send(Ok(Bytes::from(format!("event: {name}\ndata: {data}\n\n"))))
                .await
                .is_err()
            {
                return;
            }
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
    });
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(body)
        .unwrap_or_else(|_| error(500, "api_error", "cannot build response"))
}
