//! The tool-call robustness corpus (`tests/corpus/*.json`): streams shaped like what real
//! servers send, each from a public bug report it cites, each stating the calls a client should
//! see. Every case runs twice: over a real socket through `OpenAiClient` (the scripted server
//! writes the case's bytes as they are), and through `StreamDecoder` one byte at a time, so a
//! split inside a UTF-8 character, a tag or a JSON string is always exercised.
//!
//! A case marked `"known_failure"` says why BooCode does not (or should not) recover it; the
//! test fails if such a case starts passing, so the marker cannot go stale. The pass rate is
//! printed (`cargo test -p boocode-inference --test tool_call_corpus -- --nocapture`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use boocode_core::{CancellationToken, Message, ModelClient, ModelEvent, ModelRequest, ToolSpec};
use boocode_inference::{OpenAiClient, OpenAiConfig, StreamDecoder};
use boocode_testkit::{Reply, ScriptedOpenAi};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Case {
    id: String,
    family: String,
    source: String,
    #[allow(dead_code)]
    what: String,
    /// Tool names offered, with their parameter schemas (`{}` for an object of anything).
    #[serde(default)]
    tools: BTreeMap<String, Value>,
    /// `choices[0].delta` objects, one chunk each; a final chunk carries `finish`.
    #[serde(default)]
    deltas: Vec<Value>,
    /// Or the whole SSE body as the server sent it.
    #[serde(default)]
    raw: Option<String>,
    #[serde(default)]
    finish: Option<String>,
    expect: Expect,
    /// Why this case is not recovered; the case must then fail.
    #[serde(default)]
    known_failure: Option<String>,
}

#[derive(Deserialize, Debug)]
struct Expect {
    /// The calls, in order: name and arguments (compared as JSON; empty text counts as `{}`).
    #[serde(default)]
    calls: Vec<ExpectedCall>,
    /// The visible text, when the case says.
    #[serde(default)]
    text: Option<String>,
    /// The reasoning, when the case says.
    #[serde(default)]
    reasoning: Option<String>,
}

#[derive(Deserialize, Debug)]
struct ExpectedCall {
    name: String,
    /// The arguments as JSON (empty text counts as `{}`)…
    #[serde(default)]
    arguments: Option<Value>,
    /// …or, for arguments that are not JSON (a cut-off stream), the exact text the model's
    /// tool then refuses with a clear error.
    #[serde(default)]
    arguments_text: Option<String>,
}

/// What a client saw: calls (name, arguments text), text, reasoning.
#[derive(Debug, Default)]
struct Seen {
    calls: Vec<(String, String)>,
    text: String,
    reasoning: String,
}

impl From<boocode_core::Completion> for Seen {
    fn from(completion: boocode_core::Completion) -> Self {
        Seen {
            calls: completion
                .tool_calls
                .into_iter()
                .map(|c| (c.name, c.arguments))
                .collect(),
            text: completion.text,
            reasoning: completion.reasoning,
        }
    }
}

fn body(case: &Case) -> String {
    if let Some(raw) = &case.raw {
        return raw.clone();
    }
    let mut out = String::new();
    for delta in &case.deltas {
        let chunk = json!({"choices": [{"index": 0, "delta": delta, "finish_reason": null}]});
        out.push_str(&format!("data: {chunk}\n\n"));
    }
    let last = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": case.finish}]});
    out.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
    out
}

fn specs(case: &Case) -> Vec<ToolSpec> {
    case.tools
        .iter()
        .map(|(name, schema)| {
            let schema = if schema.as_object().is_some_and(|o| !o.is_empty()) {
                schema.clone()
            } else {
                json!({"type": "object"})
            };
            ToolSpec::new(name, "a tool", schema)
        })
        .collect()
}

fn arguments_match(seen: &str, expected: &ExpectedCall) -> bool {
    if let Some(text) = &expected.arguments_text {
        return seen == text;
    }
    let want = expected.arguments.clone().unwrap_or_else(|| json!({}));
    if seen.trim().is_empty() {
        return want == json!({});
    }
    serde_json::from_str::<Value>(seen).is_ok_and(|v| v == want)
}

/// Where `seen` differs from what the case expects; `None` when it matches.
fn mismatch(case: &Case, seen: &Seen) -> Option<String> {
    let want = &case.expect;
    if seen.calls.len() != want.calls.len() {
        return Some(format!(
            "{} call(s) instead of {}: {:?}",
            seen.calls.len(),
            want.calls.len(),
            seen.calls
        ));
    }
    for (i, ((name, args), expected)) in seen.calls.iter().zip(&want.calls).enumerate() {
        if name != &expected.name || !arguments_match(args, expected) {
            return Some(format!(
                "call {i}: {name}({args}) instead of {}({:?}{:?})",
                expected.name, expected.arguments, expected.arguments_text
            ));
        }
    }
    if let Some(text) = &want.text
        && seen.text.trim() != text.trim()
    {
        return Some(format!("text {:?} instead of {text:?}", seen.text));
    }
    if let Some(reasoning) = &want.reasoning
        && seen.reasoning.trim() != reasoning.trim()
    {
        return Some(format!(
            "reasoning {:?} instead of {reasoning:?}",
            seen.reasoning
        ));
    }
    None
}

/// Feeds the case's bytes to a decoder one byte at a time.
fn decode_bytewise(case: &Case) -> Result<Seen, String> {
    let mut decoder = StreamDecoder::new(&specs(case), true);
    let mut events = Vec::new();
    for byte in body(case).as_bytes() {
        decoder
            .feed(std::slice::from_ref(byte), &mut events)
            .map_err(|e| e.to_string())?;
    }
    let completion = decoder.finish(&mut events).map_err(|e| e.to_string())?;
    Ok(Seen::from(completion))
}

/// Runs the case through `OpenAiClient` against the scripted server, over a socket.
async fn over_socket(server: &ScriptedOpenAi, case: &Case) -> Result<Seen, String> {
    server.push(Reply::stream().raw(body(case)).bare());
    let client = OpenAiClient::new(OpenAiConfig::new(server.url())).map_err(|e| e.to_string())?;
    let request = ModelRequest::new(vec![Message::user("go")]).tools(specs(case));
    let mut stream = client
        .stream(request, CancellationToken::new())
        .await
        .map_err(|e| e.to_string())?;
    while let Some(event) = stream.next().await {
        if let ModelEvent::Done(completion) = event.map_err(|e| e.to_string())? {
            return Ok(Seen::from(completion));
        }
    }
    Err("the stream ended without Done".into())
}

fn load() -> Vec<Case> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut these: Vec<Case> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        cases.append(&mut these);
    }
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_is_recovered_or_its_failure_is_explained() {
    let cases = load();
    let server = ScriptedOpenAi::start().await.unwrap();
    let mut ids = std::collections::HashSet::new();
    let (mut passed, mut problems) = (0usize, Vec::new());
    let mut by_family: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for case in &cases {
        assert!(ids.insert(case.id.clone()), "duplicate case id {}", case.id);
        assert!(
            case.source.starts_with("https://"),
            "{}: every case cites its source",
            case.id
        );
        let socket = over_socket(&server, case).await;
        let bytewise = decode_bytewise(case);
        let failure = match (&socket, &bytewise) {
            (Ok(a), Ok(b)) => mismatch(case, a)
                .map(|m| format!("over the socket: {m}"))
                .or_else(|| mismatch(case, b).map(|m| format!("byte by byte: {m}"))),
            (Err(e), _) => Some(format!("over the socket: error {e}")),
            (_, Err(e)) => Some(format!("byte by byte: error {e}")),
        };
        let family = by_family.entry(case.family.clone()).or_default();
        family.1 += 1;
        match (&failure, &case.known_failure) {
            (None, None) => {
                passed += 1;
                family.0 += 1;
            }
            (Some(f), None) => problems.push(format!("{}: {f}", case.id)),
            (None, Some(_)) => problems.push(format!(
                "{}: marked known_failure but now passes: drop the marker",
                case.id
            )),
            (Some(_), Some(_)) => {}
        }
    }
    println!(
        "tool-call corpus: {passed}/{} cases recovered ({:.0}%)",
        cases.len(),
        100.0 * passed as f64 / cases.len() as f64
    );
    for (family, (ok, all)) in &by_family {
        println!("  {family}: {ok}/{all}");
    }
    for case in cases.iter().filter(|c| c.known_failure.is_some()) {
        println!(
            "  not recovered: {} — {}",
            case.id,
            case.known_failure.as_deref().unwrap_or("")
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    assert!(by_family.len() >= 4, "families: {:?}", by_family.keys());
}
