//! SSE parse + delta assembly throughput, and allocations per turn.
//!
//! `cargo bench -p boocode-inference --bench stream_decode`
//!
//! Throughput is reported by criterion in elements (tokens) per second. Allocation counts come
//! from a counting global allocator and are printed before the timings: one 1,000-token reply
//! decoded, and one whole two-step turn (a tool call, then a 1,000-token answer) run through the
//! step loop with the decoder replaying recorded SSE bytes (no network).
#![allow(clippy::print_stderr, clippy::unwrap_used, missing_docs, unsafe_code)]

use boocode_core::{
    CancellationToken, Completion, Message, ModelClient, ModelError, ModelEvent, ModelRequest,
    ModelStream, NullSink, ToolContext, ToolError, ToolOutput, ToolSet, TurnConfig, TypedTool,
    run_turn,
};
use boocode_inference::StreamDecoder;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const TOKENS: usize = 1000;

fn chunk(delta: &str) -> String {
    format!(
        "data: {{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1763712345,\"model\":\"qwen3-coder\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":null}}]}}\n\n"
    )
}

fn tail() -> String {
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":900,\"completion_tokens\":1000,\"total_tokens\":1900}}\n\ndata: [DONE]\n\n".to_owned()
}

/// A 1,000-token text reply as llama.cpp streams it (one token per chunk).
fn text_reply() -> Vec<u8> {
    let mut s = chunk("{\"role\":\"assistant\",\"content\":null}");
    let words = [
        "The", " loop", " streams", " tokens", " fast", ",", " naïve", " café", "\\n",
    ];
    for i in 0..TOKENS {
        s.push_str(&chunk(&format!(
            "{{\"content\":\"{}\"}}",
            words[i % words.len()]
        )));
    }
    s.push_str(&tail());
    s.into_bytes()
}

/// A tool call whose arguments arrive in 1,000 fragments.
fn tool_reply() -> Vec<u8> {
    let mut s = chunk(
        "{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"grep\",\"arguments\":\"{\\\"pattern\\\": \\\"\"}}]}",
    );
    for _ in 0..TOKENS {
        s.push_str(&chunk(
            "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"ab\"}}]}",
        ));
    }
    s.push_str(&chunk(
        "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"}\"}}]}",
    ));
    s.push_str(&tail().replace("\"stop\"", "\"tool_calls\""));
    s.into_bytes()
}

/// Content with an inline Qwen3-Coder call at the end (exercises the XML filter).
fn inline_reply() -> Vec<u8> {
    let mut s = chunk("{\"role\":\"assistant\",\"content\":null}");
    for i in 0..TOKENS {
        s.push_str(&chunk(&format!("{{\"content\":\"word{} \"}}", i % 10)));
    }
    for piece in [
        "<tool_",
        "call>\\n<function=grep>\\n<parameter=pattern>\\nmain\\n</",
        "parameter>\\n</function>\\n</tool_call>",
    ] {
        s.push_str(&chunk(&format!("{{\"content\":\"{piece}\"}}")));
    }
    s.push_str(&tail());
    s.into_bytes()
}

/// Feeds `bytes` in network-sized pieces and returns the completion.
fn decode(bytes: &[u8], inline: bool) -> Completion {
    let mut decoder = StreamDecoder::new(&[], inline);
    let mut events = Vec::with_capacity(64);
    for piece in bytes.chunks(1460) {
        decoder.feed(piece, &mut events).unwrap();
        black_box(&events);
        events.clear();
    }
    decoder.finish(&mut events).unwrap()
}

/// Replays recorded SSE bodies through the real decoder, one per request.
struct Replay(Mutex<Vec<Vec<u8>>>);

#[async_trait::async_trait]
impl ModelClient for Replay {
    async fn stream(
        &self,
        _request: ModelRequest,
        _cancel: CancellationToken,
    ) -> Result<ModelStream, ModelError> {
        let bytes = self.0.lock().unwrap().remove(0);
        let mut decoder = StreamDecoder::new(&[], true);
        let mut events = Vec::new();
        for piece in bytes.chunks(1460) {
            decoder.feed(piece, &mut events).unwrap();
        }
        let completion = decoder.finish(&mut events).unwrap();
        events.push(ModelEvent::Done(completion));
        Ok(Box::pin(futures::stream::iter(events.into_iter().map(Ok))))
    }
    async fn complete(
        &self,
        _request: ModelRequest,
        _cancel: CancellationToken,
    ) -> Result<Completion, ModelError> {
        Err(ModelError::Config("not used".into()))
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Args {
    pattern: String,
}

struct Grep;

#[async_trait::async_trait]
impl TypedTool for Grep {
    type Args = Args;
    const NAME: &'static str = "grep";
    const READ_ONLY: bool = true;
    fn description(&self) -> &str {
        "Search."
    }
    async fn call(&self, args: Args, _ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        Ok(ToolOutput::new(format!("{} matches", args.pattern.len())))
    }
}

fn turn_once(rt: &tokio::runtime::Runtime, tool: &[u8], text: &[u8]) {
    let client = Replay(Mutex::new(vec![tool.to_vec(), text.to_vec()]));
    let tools = ToolSet::new().with(Grep);
    let history = [Message::user("find the pattern")];
    let result = rt.block_on(run_turn(
        &client,
        &tools,
        &history,
        &TurnConfig::default(),
        &NullSink,
        &CancellationToken::new(),
    ));
    assert_eq!(result.outcome, boocode_core::TurnOutcome::Completed);
    black_box(result);
}

fn count<T>(f: impl FnOnce() -> T) -> (u64, u64) {
    let (a0, b0) = (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    black_box(f());
    (
        ALLOCS.load(Ordering::Relaxed) - a0,
        BYTES.load(Ordering::Relaxed) - b0,
    )
}

fn benches(c: &mut Criterion) {
    let text = text_reply();
    let tool = tool_reply();
    let inline = inline_reply();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // Warm up once, then count.
    decode(&text, true);
    turn_once(&rt, &tool, &text);
    let (n, b) = count(|| decode(&text, true));
    eprintln!(
        "allocations, one {TOKENS}-token reply decoded: {n} ({b} bytes, {:.1} per token)",
        n as f64 / TOKENS as f64
    );
    let (n, b) = count(|| turn_once(&rt, &tool, &text));
    eprintln!(
        "allocations, one two-step turn through run_turn (tool call + {TOKENS}-token answer): {n} ({b} bytes)"
    );

    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(TOKENS as u64));
    group.bench_function("text_1000_tokens", |b| {
        b.iter(|| decode(black_box(&text), true))
    });
    group.bench_function("text_1000_tokens_no_inline_filter", |b| {
        b.iter(|| decode(black_box(&text), false))
    });
    group.bench_function("tool_call_1000_fragments", |b| {
        b.iter(|| decode(black_box(&tool), true))
    });
    group.bench_function("inline_xml_call_after_1000_tokens", |b| {
        b.iter(|| decode(black_box(&inline), true))
    });
    group.finish();

    let mut group = c.benchmark_group("turn");
    group.throughput(Throughput::Elements(2 * TOKENS as u64));
    group.bench_function("tool_call_then_1000_token_answer", |b| {
        b.iter(|| turn_once(&rt, &tool, &text))
    });
    group.finish();
}

criterion_group!(stream_decode, benches);
criterion_main!(stream_decode);
