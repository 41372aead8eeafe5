//! A scripted OpenAI-compatible chat-completions server on a real loopback socket.
//!
//! Each `POST /v1/chat/completions` takes the next [`Reply`] from the script and plays it as a
//! real SSE stream (or, for `"stream": false`, as one JSON completion). Every request is
//! recorded for assertions. Context discovery endpoints (`/props`, `/v1/models`,
//! `/upstream/<model>/props`) answer from settings the test chooses.

use crate::serve::{Served, lock};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// One recorded HTTP request.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path, without the query string.
    pub path: String,
    /// Query string, if any.
    pub query: Option<String>,
    /// Headers, lower-cased names.
    pub headers: HashMap<String, String>,
    /// The body parsed as JSON (`Value::Null` when empty or not JSON).
    pub body: Value,
}

impl RecordedRequest {
    /// Reads a request whole (a body of up to 64 MiB, parsed as JSON when it is) into a
    /// record, and returns its method for routing.
    pub(crate) async fn read(request: axum::extract::Request) -> (Self, Method) {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
            .await
            .unwrap_or_default();
        let recorded = Self {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: header_map(&parts.headers),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        };
        (recorded, parts.method)
    }

    /// The `messages` array of a chat-completions request.
    pub fn messages(&self) -> &[Value] {
        self.body["messages"].as_array().map_or(&[], Vec::as_slice)
    }
}

#[derive(Debug, Clone)]
enum Frame {
    /// One `data: <json>` event.
    Data(Value),
    /// Bytes written as they are.
    Raw(Vec<u8>),
    /// A content delta `"{prefix}@{unix micros at send time} "`, for latency measurements.
    Stamped(String),
    /// A pause before the next frame.
    Delay(Duration),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Finish chunk, usage chunk, `data: [DONE]`.
    Done,
    /// Close the connection abruptly after the frames (no finish, no `[DONE]`).
    Disconnect,
    /// Stop sending but keep the connection open.
    Stall,
    /// Send the frames only; no synthesized finish, usage or `[DONE]`.
    Bare,
}

/// A scripted streaming reply, built step by step.
#[derive(Debug, Clone)]
pub struct StreamReply {
    frames: Vec<Frame>,
    finish: Option<String>,
    usage: Option<(u64, u64)>,
    ending: Ending,
    has_tool_calls: bool,
    next_tool_index: usize,
    reasoning_field: &'static str,
}

impl StreamReply {
    fn delta(&mut self, delta: Value) {
        self.frames.push(Frame::Data(chunk(delta, None)));
    }

    /// A content delta.
    pub fn text(mut self, text: &str) -> Self {
        self.delta(json!({ "content": text }));
        self
    }

    /// A reasoning delta (`reasoning_content`, as llama.cpp sends it).
    pub fn reasoning(mut self, text: &str) -> Self {
        let field = self.reasoning_field;
        self.delta(json!({ field: text }));
        self
    }

    /// Send reasoning as `reasoning` (vLLM, Ollama) instead of `reasoning_content`.
    pub fn reasoning_as_reasoning_field(mut self) -> Self {
        self.reasoning_field = "reasoning";
        self
    }

    /// A tool call streamed the llama.cpp way: the first fragment carries id and name, the rest
    /// only argument text.
    pub fn tool_call(mut self, id: &str, name: &str, fragments: &[&str]) -> Self {
        let index = self.next_tool_index;
        self.next_tool_index += 1;
        self.has_tool_calls = true;
        let first = fragments.first().copied().unwrap_or("");
        self.delta(json!({ "tool_calls": [{
            "index": index, "id": id, "type": "function",
            "function": { "name": name, "arguments": first }
        }]}));
        for fragment in fragments.iter().skip(1) {
            self.delta(json!({ "tool_calls": [{
                "index": index, "function": { "arguments": fragment }
            }]}));
        }
        self
    }

    /// A whole tool call in one chunk, the Ollama way (no id when `id` is empty).
    pub fn whole_tool_call(mut self, id: &str, name: &str, arguments: &str) -> Self {
        let index = self.next_tool_index;
        self.next_tool_index += 1;
        self.has_tool_calls = true;
        let mut call = json!({
            "index": index, "type": "function",
            "function": { "name": name, "arguments": arguments }
        });
        if !id.is_empty() {
            call["id"] = json!(id);
        }
        self.delta(json!({ "role": "assistant", "tool_calls": [call] }));
        self
    }

    /// A content delta stamped with the send time: `"{prefix}@{unix microseconds} "`. Lets a
    /// load test measure the time from the model's delta to a client's frame.
    pub fn stamped_text(mut self, prefix: &str) -> Self {
        self.frames.push(Frame::Stamped(prefix.to_owned()));
        self
    }

    /// A raw `data:` event with this JSON chunk.
    pub fn chunk(mut self, value: Value) -> Self {
        self.frames.push(Frame::Data(value));
        self
    }

    /// Bytes written to the socket as they are (for framing and UTF-8 splitting tests).
    pub fn raw(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.frames.push(Frame::Raw(bytes.into()));
        self
    }

    /// A pause before the next frame.
    pub fn delay(mut self, pause: Duration) -> Self {
        self.frames.push(Frame::Delay(pause));
        self
    }

    /// The finish reason of the final chunk (default: `tool_calls` if any call was sent, else
    /// `stop`).
    pub fn finish(mut self, reason: &str) -> Self {
        self.finish = Some(reason.to_owned());
        self
    }

    /// Send the usage chunk (`choices: []`) with these counts.
    pub fn usage(mut self, prompt_tokens: u64, completion_tokens: u64) -> Self {
        self.usage = Some((prompt_tokens, completion_tokens));
        self
    }

    /// Close the connection abruptly after the frames.
    pub fn disconnect(mut self) -> Self {
        self.ending = Ending::Disconnect;
        self
    }

    /// Keep the connection open and send nothing more.
    pub fn stall(mut self) -> Self {
        self.ending = Ending::Stall;
        self
    }

    /// Send only the frames given: no synthesized finish chunk, usage or `[DONE]`.
    pub fn bare(mut self) -> Self {
        self.ending = Ending::Bare;
        self
    }
}

/// What the server does with one chat-completions request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Reply {
    /// A streamed reply (collapsed into one JSON completion for non-streaming requests).
    Stream(StreamReply),
    /// An HTTP error with an OpenAI-style JSON error body.
    Error {
        /// HTTP status.
        status: u16,
        /// The error message.
        message: String,
    },
    /// Hold the request without answering for this long, then answer with the next reply.
    Hang(Duration, Box<Reply>),
}

impl Reply {
    /// Starts a streamed reply; the first chunk carries `role: assistant`.
    pub fn stream() -> StreamReply {
        StreamReply {
            frames: vec![Frame::Data(chunk(
                json!({"role": "assistant", "content": null}),
                None,
            ))],
            finish: None,
            usage: None,
            ending: Ending::Done,
            has_tool_calls: false,
            next_tool_index: 0,
            reasoning_field: "reasoning_content",
        }
    }

    /// A plain text reply with usage.
    pub fn text(text: &str) -> Reply {
        Reply::Stream(Reply::stream().text(text).usage(10, 5))
    }

    /// An HTTP error.
    pub fn error(status: u16, message: &str) -> Reply {
        Reply::Error {
            status,
            message: message.to_owned(),
        }
    }
}

impl From<StreamReply> for Reply {
    fn from(s: StreamReply) -> Self {
        Reply::Stream(s)
    }
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": "chatcmpl-scripted",
        "object": "chat.completion.chunk",
        "created": 1_763_712_345,
        "model": "scripted",
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }]
    })
}

/// Context-size answers for the discovery endpoints.
#[derive(Debug, Clone, Default)]
struct Discovery {
    props_n_ctx: Option<u64>,
    upstream_n_ctx: HashMap<String, u64>,
    models: Option<Value>,
}

#[derive(Default)]
struct Shared {
    script: VecDeque<Reply>,
    /// Standing answers for requests whose body contains a marker; they do not use the script.
    standing: Vec<(String, Reply)>,
    requests: Vec<RecordedRequest>,
    discovery: Discovery,
    /// How long a completion request waits for a reply when none is scripted for it.
    hold: Duration,
}

type SharedState = Arc<Mutex<Shared>>;

/// The running server. Dropping it shuts the server down.
pub struct ScriptedOpenAi {
    served: Served,
    state: SharedState,
}

impl ScriptedOpenAi {
    /// Starts a server on `127.0.0.1` with an ephemeral port, on the current tokio runtime.
    pub async fn start() -> std::io::Result<Self> {
        let state: SharedState = Arc::default();
        let app = Router::new().fallback(handle).with_state(state.clone());
        let served = crate::serve::serve_loopback(app).await?;
        Ok(Self { served, state })
    }

    /// The base URL, `http://127.0.0.1:PORT` (clients add `/v1/...`).
    pub fn url(&self) -> String {
        format!("http://{}", self.served.addr)
    }

    /// When the last byte of each recent response (up to 256, oldest first) went to the
    /// client: the model's "last byte", to time what the client does after it.
    pub fn response_ends(&self) -> Vec<std::time::Instant> {
        self.served.response_ends()
    }

    /// Answers every completion request whose JSON body contains `marker` with `reply`, outside
    /// the script — for side requests a client makes on its own schedule (a title generator).
    pub fn answer_matching(&self, marker: &str, reply: impl Into<Reply>) -> &Self {
        lock(&self.state)
            .standing
            .push((marker.to_owned(), reply.into()));
        self
    }

    /// The socket address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.served.addr
    }

    /// Makes a completion request with no reply for it wait up to `hold` for one to be pushed
    /// or a standing one to match (instead of failing at once): for replies that name
    /// something made after the agent started, such as a worktree's directory.
    pub fn hold(&self, hold: Duration) -> &Self {
        lock(&self.state).hold = hold;
        self
    }

    /// Appends a reply to the script.
    pub fn push(&self, reply: impl Into<Reply>) -> &Self {
        lock(&self.state).script.push_back(reply.into());
        self
    }

    /// Replies not yet used.
    pub fn remaining(&self) -> usize {
        lock(&self.state).script.len()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    /// The chat-completions requests received so far, in order.
    pub fn completion_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/chat/completions"))
            .collect()
    }

    /// Makes `GET /props` answer like llama.cpp with this `n_ctx` (404 when `None`).
    pub fn set_props_n_ctx(&self, n_ctx: Option<u64>) {
        lock(&self.state).discovery.props_n_ctx = n_ctx;
    }

    /// Makes `GET /upstream/<model>/props` answer like llama-swap with this `n_ctx`.
    pub fn set_upstream_n_ctx(&self, model: &str, n_ctx: u64) {
        lock(&self.state)
            .discovery
            .upstream_n_ctx
            .insert(model.to_owned(), n_ctx);
    }

    /// Makes `GET /v1/models` answer with this body (a default one-model list otherwise).
    pub fn set_models(&self, body: Value) {
        lock(&self.state).discovery.models = Some(body);
    }
}

async fn handle(State(state): State<SharedState>, request: Request) -> Response {
    let (recorded, method) = RecordedRequest::read(request).await;
    let path = recorded.path.clone();
    if let Some(control) = path.strip_prefix("/__") {
        return control_response(&state, method, control, &recorded.body);
    }
    let stream = recorded.body["stream"].as_bool().unwrap_or(false);
    let completion = method == Method::POST && path.ends_with("/chat/completions");
    let body = recorded.body.to_string();
    let (mut reply, discovery, hold) = {
        let mut shared = lock(&state);
        shared.requests.push(recorded);
        let reply = completion.then(|| next_reply(&mut shared, &body));
        (reply, shared.discovery.clone(), shared.hold)
    };
    let deadline = tokio::time::Instant::now() + hold;
    while matches!(reply, Some(None)) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        reply = Some(next_reply(&mut lock(&state), &body));
    }
    match reply {
        Some(Some(reply)) => play(reply, stream).await,
        Some(None) => error_response(500, "scripted server: no reply left in the script"),
        None => discovery_response(&method, &path, &discovery),
    }
}

/// Scripting over HTTP, for harnesses in other languages (the web UI's end-to-end tests):
/// `POST /__push` with a [`reply_from_json`] document, `POST /__answer` with `{"marker",
/// "reply"}` (a standing reply, as [`ScriptedOpenAi::answer_matching`]), `GET /__requests`,
/// `GET /__remaining`.
fn control_response(state: &SharedState, method: Method, control: &str, body: &Value) -> Response {
    match (method, control) {
        (Method::POST, "push") => match reply_from_json(body) {
            Ok(reply) => {
                lock(state).script.push_back(reply);
                axum::Json(json!({ "remaining": lock(state).script.len() })).into_response()
            }
            Err(message) => error_response(400, &message),
        },
        (Method::POST, "answer") => {
            let Some(marker) = body.get("marker").and_then(Value::as_str) else {
                return error_response(400, "give a marker");
            };
            match reply_from_json(body.get("reply").unwrap_or(&Value::Null)) {
                Ok(reply) => {
                    lock(state).standing.push((marker.to_owned(), reply));
                    axum::Json(json!({ "standing": lock(state).standing.len() })).into_response()
                }
                Err(message) => error_response(400, &message),
            }
        }
        (Method::GET, "requests") => {
            let requests: Vec<Value> = lock(state)
                .requests
                .iter()
                .filter(|r| !r.path.starts_with("/__"))
                .map(|r| json!({ "method": r.method, "path": r.path, "body": r.body }))
                .collect();
            axum::Json(Value::Array(requests)).into_response()
        }
        (Method::GET, "remaining") => {
            axum::Json(json!({ "remaining": lock(state).script.len() })).into_response()
        }
        _ => error_response(404, "unknown control endpoint"),
    }
}

/// A reply from JSON: `{"reasoning": [..], "text": [..], "tool_calls": [{"id", "name", "args":
/// [fragments]}], "delay_ms": n, "usage": [prompt, completion], "stall": bool, "error": [status,
/// message]}`. Text and reasoning chunks are sent in that order, `delay_ms` apart.
pub fn reply_from_json(body: &Value) -> Result<Reply, String> {
    if let Some(err) = body.get("error") {
        let status = err[0].as_u64().ok_or("error: [status, message]")? as u16;
        return Ok(Reply::error(
            status,
            err[1].as_str().unwrap_or("scripted error"),
        ));
    }
    let delay = Duration::from_millis(body["delay_ms"].as_u64().unwrap_or(0));
    let strings = |key: &str| -> Vec<String> {
        body[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut reply = Reply::stream();
    for chunk in strings("reasoning") {
        reply = reply.reasoning(&chunk).delay(delay);
    }
    for chunk in strings("text") {
        reply = reply.text(&chunk).delay(delay);
    }
    for call in body["tool_calls"].as_array().into_iter().flatten() {
        let id = call["id"].as_str().ok_or("tool_calls[].id is required")?;
        let name = call["name"]
            .as_str()
            .ok_or("tool_calls[].name is required")?;
        let args: Vec<&str> = call["args"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        reply = reply.tool_call(id, name, &args);
    }
    if let Some([p, c]) = body["usage"].as_array().map(Vec::as_slice) {
        reply = reply.usage(p.as_u64().unwrap_or(0), c.as_u64().unwrap_or(0));
    }
    if body["stall"].as_bool().unwrap_or(false) {
        reply = reply.stall();
    }
    Ok(Reply::Stream(reply))
}

fn header_map(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect()
}

fn discovery_response(method: &Method, path: &str, d: &Discovery) -> Response {
    if method != Method::GET {
        return error_response(404, "not found");
    }
    if path == "/props" {
        return match d.props_n_ctx {
            Some(n) => axum::Json(json!({
                "default_generation_settings": { "n_ctx": n },
                "total_slots": 1,
                "model_path": "/models/scripted.gguf"
            }))
            .into_response(),
            None => error_response(404, "File Not Found"),
        };
    }
    if let Some(rest) = path.strip_prefix("/upstream/")
        && let Some(model) = rest.strip_suffix("/props")
    {
        return match d.upstream_n_ctx.get(model) {
            Some(n) => {
                axum::Json(json!({ "default_generation_settings": { "n_ctx": n } })).into_response()
            }
            None => error_response(404, "model not found"),
        };
    }
    if path == "/v1/models" {
        let body = d.models.clone().unwrap_or_else(
            || json!({ "object": "list", "data": [{ "id": "scripted", "object": "model" }] }),
        );
        return axum::Json(body).into_response();
    }
    error_response(404, "not found")
}

fn error_response(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        axum::Json(json!({ "error": { "message": message, "type": "scripted_error", "code": status.as_u16() } })),
    )
        .into_response()
}

async fn play(reply: Reply, stream: bool) -> Response {
    let mut reply = reply;
    while let Reply::Hang(pause, next) = reply {
        tokio::time::sleep(pause).await;
        reply = *next;
    }
    match reply {
        Reply::Error { status, message } => error_response(status, &message),
        Reply::Stream(s) if stream => sse_response(s),
        Reply::Stream(s) => axum::Json(whole_completion(&s)).into_response(),
        Reply::Hang(..) => error_response(500, "unreachable"),
    }
}

fn sse_response(s: StreamReply) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    tokio::spawn(async move {
        for frame in &s.frames {
            let bytes = match frame {
                Frame::Data(v) => Bytes::from(format!("data: {v}\n\n")),
                Frame::Raw(b) => Bytes::from(b.clone()),
                Frame::Stamped(prefix) => {
                    let micros = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_micros())
                        .unwrap_or(0);
                    let delta = json!({ "content": format!("{prefix}@{micros} ") });
                    Bytes::from(format!("data: {}\n\n", chunk(delta, None)))
                }
                Frame::Delay(d) => {
                    tokio::time::sleep(*d).await;
                    continue;
                }
            };
            if tx.send(Ok(bytes)).await.is_err() {
                return;
            }
        }
        match s.ending {
            Ending::Done => {
                let finish = s.finish.clone().unwrap_or_else(|| {
                    if s.has_tool_calls {
                        "tool_calls"
                    } else {
                        "stop"
                    }
                    .to_owned()
                });
                let mut tail = format!("data: {}\n\n", chunk(json!({}), Some(&finish)));
                if let Some((p, c)) = s.usage {
                    let usage = json!({
                        "id": "chatcmpl-scripted", "object": "chat.completion.chunk",
                        "created": 1_763_712_345, "model": "scripted", "choices": [],
                        "usage": { "prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c }
                    });
                    tail.push_str(&format!("data: {usage}\n\n"));
                }
                tail.push_str("data: [DONE]\n\n");
                let _ = tx.send(Ok(Bytes::from(tail))).await;
            }
            Ending::Bare => {}
            Ending::Disconnect => {
                // Let the frames already queued reach the socket before the abort.
                tokio::time::sleep(Duration::from_millis(30)).await;
                let _ = tx
                    .send(Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "scripted disconnect",
                    )))
                    .await;
            }
            Ending::Stall => {
                // Hold the sender so the response stays open until the client gives up.
                tx.closed().await;
            }
        }
    });
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
        .unwrap_or_else(|_| error_response(500, "cannot build response"))
}

/// Collapses a stream script into one non-streaming completion body.
fn whole_completion(s: &StreamReply) -> Value {
    let mut content = String::new();
    let mut reasoning = String::new();
    let mut calls: Vec<Value> = Vec::new();
    for frame in &s.frames {
        let Frame::Data(v) = frame else { continue };
        let delta = &v["choices"][0]["delta"];
        if let Some(t) = delta["content"].as_str() {
            content.push_str(t);
        }
        for field in ["reasoning_content", "reasoning"] {
            if let Some(t) = delta[field].as_str() {
                reasoning.push_str(t);
            }
        }
        for call in delta["tool_calls"].as_array().into_iter().flatten() {
            let index = call["index"].as_u64().unwrap_or(0) as usize;
            if calls.len() <= index {
                calls.resize(
                    index + 1,
                    json!({"type": "function", "function": {"name": "", "arguments": ""}}),
                );
            }
            let slot = &mut calls[index];
            if let Some(id) = call["id"].as_str() {
                slot["id"] = json!(id);
            }
            if let Some(name) = call["function"]["name"].as_str() {
                slot["function"]["name"] = json!(name);
            }
            if let Some(args) = call["function"]["arguments"].as_str() {
                let joined = format!(
                    "{}{args}",
                    slot["function"]["arguments"].as_str().unwrap_or("")
                );
                slot["function"]["arguments"] = json!(joined);
            }
        }
    }
    let finish = s.finish.clone().unwrap_or_else(|| {
        if calls.is_empty() {
            "stop"
        } else {
            "tool_calls"
        }
        .to_owned()
    });
    let mut message = json!({ "role": "assistant", "content": content });
    if !reasoning.is_empty() {
        message["reasoning_content"] = json!(reasoning);
    }
    if !calls.is_empty() {
        message["tool_calls"] = json!(calls);
    }
    let (p, c) = s.usage.unwrap_or((0, 0));
    json!({
        "id": "chatcmpl-scripted", "object": "chat.completion", "created": 1_763_712_345,
        "model": "scripted",
        "choices": [{ "index": 0, "message": message, "finish_reason": finish }],
        "usage": { "prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c }
    })
}

/// The reply for a completion request with `body`: a standing one whose marker it holds, else
/// the script's next.
fn next_reply(shared: &mut Shared, body: &str) -> Option<Reply> {
    shared
        .standing
        .iter()
        .find(|(marker, _)| body.contains(marker.as_str()))
        .map(|(_, reply)| reply.clone())
        .or_else(|| shared.script.pop_front())
}
