//! Scripted servers for two more model APIs the peers speak, so that peers that only talk to
//! them run offline too: the OpenAI **Responses** API (`POST /v1/responses`, what Codex CLI
//! sends) and the **Gemini** API (`POST /v1beta/models/M:streamGenerateContent?alt=sse`, what
//! gemini-cli sends). Each reply is one answer text or one tool call, streamed as that API's
//! SSE events; every request is recorded.
//!
//! ```no_run
//! use boocode_testkit::{ApiReply, ScriptedApi};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let codex_model = ScriptedApi::responses().await?;
//! codex_model.push(ApiReply::tool_call("call_1", "shell", serde_json::json!({"command": ["ls"]})));
//! codex_model.push(ApiReply::text("Done."));
//! // Point `base_url` at codex_model.url() + "/v1".
//! # Ok(())
//! # }
//! ```

use crate::openai::RecordedRequest;
use crate::serve::{Served, lock};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Which API a [`ScriptedApi`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Responses,
    Gemini,
}

/// One scripted model turn: an answer, or a tool call the client should run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ApiReply {
    /// An answer text (ends the client's turn).
    Text(String),
    /// A tool call with its arguments object.
    ToolCall {
        /// The call id (the Responses API's `call_id`; Gemini has none and ignores it).
        id: String,
        /// The tool's name.
        name: String,
        /// The arguments object.
        arguments: Value,
    },
}

impl ApiReply {
    /// An answer text.
    pub fn text(text: &str) -> Self {
        Self::Text(text.to_owned())
    }

    /// A tool call.
    pub fn tool_call(id: &str, name: &str, arguments: Value) -> Self {
        Self::ToolCall {
            id: id.to_owned(),
            name: name.to_owned(),
            arguments,
        }
    }
}

#[derive(Default)]
struct Shared {
    script: VecDeque<ApiReply>,
    requests: Vec<RecordedRequest>,
    served: u64,
}

/// A running scripted server of one API; dropping it shuts it down.
pub struct ScriptedApi {
    served: Served,
    state: Arc<Mutex<Shared>>,
}

impl ScriptedApi {
    /// A Responses API server (`POST /v1/responses`) on `127.0.0.1`, ephemeral port.
    pub async fn responses() -> std::io::Result<Self> {
        Self::start(Dialect::Responses).await
    }

    /// A Gemini API server (`…:streamGenerateContent`, `…:generateContent`, `…:countTokens`)
    /// on `127.0.0.1`, ephemeral port.
    pub async fn gemini() -> std::io::Result<Self> {
        Self::start(Dialect::Gemini).await
    }

    async fn start(dialect: Dialect) -> std::io::Result<Self> {
        let state: Arc<Mutex<Shared>> = Arc::default();
        let app = Router::new()
            .fallback(handle)
            .with_state((dialect, state.clone()));
        let served = crate::serve::serve_loopback(app).await?;
        Ok(Self { served, state })
    }

    /// The base URL (`http://127.0.0.1:PORT`, no path).
    pub fn url(&self) -> String {
        format!("http://{}", self.served.addr)
    }

    /// When the last byte of each recent response (up to 256, oldest first) went to the
    /// client: the model's "last byte", to time what the client does after it.
    pub fn response_ends(&self) -> Vec<std::time::Instant> {
        self.served.response_ends()
    }

    /// Appends a reply to the script.
    pub fn push(&self, reply: ApiReply) -> &Self {
        lock(&self.state).script.push_back(reply);
        self
    }

    /// Replies not yet used.
    pub fn remaining(&self) -> usize {
        lock(&self.state).script.len()
    }

    /// The requests that took a scripted reply (streamed model turns), oldest first.
    pub fn model_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| r.path == "/v1/responses" || r.path.ends_with(":streamGenerateContent"))
            .cloned()
            .collect()
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(
            json!({"error": {"code": status.as_u16(), "message": message, "status": "SCRIPTED"}}),
        ),
    )
        .into_response()
}

async fn handle(
    State((dialect, state)): State<(Dialect, Arc<Mutex<Shared>>)>,
    request: Request,
) -> Response {
    let (recorded, method) = RecordedRequest::read(request).await;
    let (path, body) = (recorded.path.clone(), recorded.body.clone());
    lock(&state).requests.push(recorded);
    let model_turn = match (dialect, &method) {
        (Dialect::Responses, &Method::POST) => path == "/v1/responses",
        (Dialect::Gemini, &Method::POST) if path.ends_with(":countTokens") => {
            let tokens = body.to_string().len() / 4;
            return axum::Json(json!({"totalTokens": tokens})).into_response();
        }
        // gemini-cli's side questions (is the turn over? is it looping?) are answered outside
        // the script, as a user who says "your turn is done" would.
        (Dialect::Gemini, &Method::POST) if path.ends_with(":generateContent") => {
            let answer = json!({"reasoning": "The answer is complete.", "next_speaker": "user"});
            return axum::Json(gemini_chunk(&[json!({"text": answer.to_string()})], true))
                .into_response();
        }
        (Dialect::Gemini, &Method::POST) => path.ends_with(":streamGenerateContent"),
        _ => false,
    };
    if !model_turn {
        return error(StatusCode::NOT_FOUND, "not found");
    }
    let (reply, n) = {
        let mut shared = lock(&state);
        shared.served += 1;
        (shared.script.pop_front(), shared.served)
    };
    let Some(reply) = reply else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "scripted server: no reply left in the script",
        );
    };
    let frames = match dialect {
        Dialect::Responses => responses_events(&reply, n, body["model"].as_str().unwrap_or("m")),
        Dialect::Gemini => gemini_events(&reply),
    };
    let body: String = frames.concat();
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from(body))
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "cannot build response"))
}

/// The Responses API's SSE events for one reply: `response.created`, the output item's
/// `added` / text deltas / `done`, then `response.completed` with usage.
fn responses_events(reply: &ApiReply, n: u64, model: &str) -> Vec<String> {
    let id = format!("resp_scripted_{n:04}");
    let frame = |value: Value| {
        let kind = value["type"].as_str().unwrap_or_default().to_owned();
        format!("event: {kind}\ndata: {value}\n\n")
    };
    let response = |status: &str, output: Value| {
        json!({"id": id, "object": "response", "created_at": 1_767_225_600, "status": status,
               "model": model, "output": output,
               "usage": {"input_tokens": 50, "input_tokens_details": {"cached_tokens": 0},
                         "output_tokens": 10, "output_tokens_details": {"reasoning_tokens": 0},
                         "total_tokens": 60}})
    };
    let item_id = format!("item_scripted_{n:04}");
    let item = match reply {
        ApiReply::Text(text) => json!({"type": "message", "id": item_id, "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}),
        ApiReply::ToolCall {
            id: call_id,
            name,
            arguments,
        } => json!({"type": "function_call", "id": item_id, "status": "completed",
            "call_id": call_id, "name": name, "arguments": arguments.to_string()}),
    };
    let mut out = vec![frame(
        json!({"type": "response.created", "response": response("in_progress", json!([]))}),
    )];
    out.push(frame(
        json!({"type": "response.output_item.added", "output_index": 0, "item": item}),
    ));
    if let ApiReply::Text(text) = reply {
        out.push(frame(
            json!({"type": "response.output_text.delta", "item_id": item_id,
            "output_index": 0, "content_index": 0, "delta": text}),
        ));
    }
    out.push(frame(
        json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
    ));
    out.push(frame(
        json!({"type": "response.completed", "response": response("completed", json!([item]))}),
    ));
    out
}

/// One `GenerateContentResponse` chunk holding these parts.
fn gemini_chunk(parts: &[Value], last: bool) -> Value {
    let mut candidate = json!({"content": {"role": "model", "parts": parts}, "index": 0});
    if last {
        candidate["finishReason"] = json!("STOP");
    }
    json!({"candidates": [candidate],
           "usageMetadata": {"promptTokenCount": 50, "candidatesTokenCount": 10, "totalTokenCount": 60},
           "modelVersion": "gemini-2.5-flash"})
}

/// The Gemini API's SSE chunks for one reply (`data:` lines only, as `alt=sse` sends them).
fn gemini_events(reply: &ApiReply) -> Vec<String> {
    let part = match reply {
        ApiReply::Text(text) => json!({"text": text}),
        ApiReply::ToolCall {
            name, arguments, ..
        } => json!({"functionCall": {"name": name, "args": arguments}}),
    };
    vec![format!("data: {}\r\n\r\n", gemini_chunk(&[part], true))]
}
