//! The tool-call corpus (`crates/boocode-inference/tests/corpus`) fed to a peer: each case's
//! exact bytes are what the scripted model sends `opencode run`; what opencode made of them is
//! read back from its next request to the model, where its history carries the calls it
//! parsed (name and arguments). A case passes when those are the calls the case expects.
//!
//! opencode routes a call to a tool it does not have (most corpus cases name their own tools,
//! `get_current_weather`, `file_write`…) to its `invalid` tool, keeping the name but not the
//! arguments; such a case counts as "name only" — the call was parsed, its arguments cannot be
//! seen.
//!
//! ```text
//! cargo build --release -p boocode-bench --bin corpus_peers
//! target/release/corpus_peers            # prints a table per case and the pass rate
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use anyhow::{Context, Result};
use boocode_testkit::{Reply, ScriptedOpenAi, opencode_config};
use clap::Parser;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

#[path = "shared.rs"]
mod shared;
use shared::isolate_opencode;

#[derive(Parser)]
struct Args {
    /// The corpus directory.
    #[arg(long, default_value = "crates/boocode-inference/tests/corpus")]
    corpus: PathBuf,
    /// The `opencode` program.
    #[arg(long, default_value = "tests/peers/node_modules/.bin/opencode")]
    opencode: PathBuf,
    /// Only cases whose id contains this.
    #[arg(long)]
    only: Option<String>,
}

/// The SSE body a case's server sends (as the corpus test builds it).
fn body(case: &Value) -> String {
    if let Some(raw) = case["raw"].as_str() {
        return raw.to_owned();
    }
    let mut out = String::new();
    for delta in case["deltas"].as_array().into_iter().flatten() {
        let chunk = json!({"choices": [{"index": 0, "delta": delta, "finish_reason": null}]});
        out.push_str(&format!("data: {chunk}\n\n"));
    }
    let last = json!({"choices": [{"index": 0, "delta": {}, "finish_reason": case["finish"]}]});
    out.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
    out
}

/// A call as the peer recorded it: name, and arguments unless it hid them.
#[derive(Debug)]
struct Parsed {
    name: String,
    arguments: Option<String>,
}

/// The calls in the assistant turns of a follow-up request (after the user's prompt).
fn parsed_calls(request: &Value) -> Vec<Parsed> {
    let mut out = Vec::new();
    for message in request["messages"].as_array().into_iter().flatten() {
        for call in message["tool_calls"].as_array().into_iter().flatten() {
            let name = call["function"]["name"].as_str().unwrap_or_default();
            let arguments = call["function"]["arguments"].as_str().unwrap_or_default();
            if name == "invalid" {
                // {"tool": the name the model used, "error": why it is not a tool here}
                let inner: Value = serde_json::from_str(arguments).unwrap_or_default();
                out.push(Parsed {
                    name: inner["tool"].as_str().unwrap_or("invalid").to_owned(),
                    arguments: None,
                });
            } else {
                out.push(Parsed {
                    name: name.to_owned(),
                    arguments: Some(arguments.to_owned()),
                });
            }
        }
    }
    out
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Verdict {
    Pass,
    NameOnly,
    Fail,
}

/// Compares what the peer parsed with the calls the case expects.
fn judge(case: &Value, parsed: &[Parsed]) -> (Verdict, String) {
    let expected = case["expect"]["calls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if parsed.len() != expected.len() {
        let names: Vec<&str> = parsed.iter().map(|p| p.name.as_str()).collect();
        return (
            Verdict::Fail,
            format!(
                "{} call(s) instead of {}: {names:?}",
                parsed.len(),
                expected.len()
            ),
        );
    }
    let mut verdict = Verdict::Pass;
    for (seen, want) in parsed.iter().zip(&expected) {
        if seen.name != want["name"].as_str().unwrap_or_default() {
            return (
                Verdict::Fail,
                format!("{} instead of {}", seen.name, want["name"]),
            );
        }
        let Some(arguments) = &seen.arguments else {
            verdict = Verdict::NameOnly;
            continue;
        };
        let matches = match want["arguments_text"].as_str() {
            Some(text) => arguments == text,
            None => {
                let want = want.get("arguments").cloned().unwrap_or(json!({}));
                let seen: Value = if arguments.trim().is_empty() {
                    json!({})
                } else {
                    serde_json::from_str(arguments).unwrap_or(Value::Null)
                };
                seen == want
            }
        };
        if !matches {
            return (
                Verdict::Fail,
                format!(
                    "{}({arguments}) instead of {}",
                    seen.name, want["arguments"]
                ),
            );
        }
    }
    (verdict, String::new())
}

/// Runs one case through `opencode run`.
async fn run_case(args: &Args, case: &Value) -> Result<(Verdict, String)> {
    let model = ScriptedOpenAi::start().await?;
    model.answer_matching("You are a title generator", Reply::text("Scripted title"));
    // Whatever opencode does with the calls, its next request ends the run.
    model.answer_matching("\"role\":\"tool\"", Reply::text("Done."));
    model.push(Reply::stream().raw(body(case)).bare());
    let dir = tempfile::tempdir()?;
    let (home, work) = (dir.path().join("home"), dir.path().join("work"));
    std::fs::create_dir_all(&home)?;
    std::fs::create_dir_all(&work)?;
    let mut config = opencode_config(&model.url());
    config["permission"] =
        json!({"edit": "deny", "bash": "deny", "webfetch": "deny", "external_directory": "allow"});
    let program = args
        .opencode
        .canonicalize()
        .context("opencode not installed")?;
    let mut command = tokio::process::Command::new(program);
    isolate_opencode(&mut command, &home, &work, &config)?;
    let run = command
        .args(["run", "--model", "scripted/scripted-model", "go"])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .context("opencode did not finish in 90 s")??;
    let requests: Vec<Value> = model
        .completion_requests()
        .into_iter()
        .map(|r| r.body)
        .filter(|b| !b.to_string().contains("You are a title generator"))
        .collect();
    let parsed = requests.get(1).map(parsed_calls).unwrap_or_default();
    let (verdict, why) = judge(case, &parsed);
    let why = if verdict == Verdict::Fail && !output.status.success() && parsed.is_empty() {
        let stderr = plain(&String::from_utf8_lossy(&output.stderr));
        let error = stderr
            .lines()
            .find(|l| l.contains("Error"))
            .unwrap_or(stderr.trim());
        format!(
            "{why}; opencode: {}",
            error.chars().take(160).collect::<String>()
        )
    } else {
        why
    };
    Ok((verdict, why))
}

/// Text without terminal colour codes (`ESC [ … m`).
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&args.corpus)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut rows = Vec::new();
    for file in files {
        let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
        for case in cases {
            let id = case["id"].as_str().unwrap_or_default().to_owned();
            if args.only.as_ref().is_some_and(|o| !id.contains(o.as_str())) {
                continue;
            }
            let (verdict, why) = match run_case(&args, &case).await {
                Ok(v) => v,
                Err(e) => (Verdict::Fail, format!("{e:#}")),
            };
            eprintln!("{id}: {verdict:?} {why}");
            rows.push((
                case["family"].as_str().unwrap_or_default().to_owned(),
                id,
                verdict,
                why,
            ));
        }
    }
    println!("| case | family | opencode | what it made of it |\n| --- | --- | --- | --- |");
    for (family, id, verdict, why) in &rows {
        let verdict = match verdict {
            Verdict::Pass => "pass",
            Verdict::NameOnly => "name only",
            Verdict::Fail => "**fail**",
        };
        let why = why.replace('|', "\\|").replace('\n', " ");
        println!("| `{id}` | {family} | {verdict} | {why} |");
    }
    let count = |v: Verdict| rows.iter().filter(|r| r.2 == v).count();
    println!(
        "\nopencode: {} of {} pass, {} more with the right call names (arguments hidden by its `invalid` tool), {} fail",
        count(Verdict::Pass),
        rows.len(),
        count(Verdict::NameOnly),
        count(Verdict::Fail)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(calls: Value) -> Value {
        json!({"id": "c", "expect": {"calls": calls}})
    }

    fn follow_up(calls: Value) -> Value {
        json!({"messages": [{"role": "user", "content": "go"},
                            {"role": "assistant", "tool_calls": calls}]})
    }

    #[test]
    fn calls_read_back_from_the_follow_up_are_judged_against_the_case() {
        let want = case(json!([{"name": "grep", "arguments": {"pattern": "TODO"}}]));
        let right = follow_up(json!([{"function": {"name": "grep",
            "arguments": "{\"pattern\":\"TODO\"}"}}]));
        assert_eq!(judge(&want, &parsed_calls(&right)).0, Verdict::Pass);
        let wrong_args = follow_up(json!([{"function": {"name": "grep",
            "arguments": "{\"pattern\":\"FIXME\"}"}}]));
        assert_eq!(judge(&want, &parsed_calls(&wrong_args)).0, Verdict::Fail);
        // No follow-up request: the peer saw no call.
        assert_eq!(judge(&want, &[]).0, Verdict::Fail);
        // A case that expects no call passes when none was made.
        assert_eq!(judge(&case(json!([])), &[]).0, Verdict::Pass);
    }

    #[test]
    fn a_call_routed_to_the_invalid_tool_keeps_its_name_but_not_its_arguments() {
        let want = case(json!([{"name": "get_weather", "arguments": {"city": "Paris"}}]));
        let invalid = follow_up(json!([{"function": {"name": "invalid",
            "arguments": "{\"tool\":\"get_weather\",\"error\":\"no such tool\"}"}}]));
        let parsed = parsed_calls(&invalid);
        assert_eq!(parsed[0].name, "get_weather");
        assert!(parsed[0].arguments.is_none());
        assert_eq!(judge(&want, &parsed).0, Verdict::NameOnly);
        let other = follow_up(json!([{"function": {"name": "invalid",
            "arguments": "{\"tool\":\"get_time\",\"error\":\"no such tool\"}"}}]));
        assert_eq!(judge(&want, &parsed_calls(&other)).0, Verdict::Fail);
    }

    #[test]
    fn colour_codes_are_stripped_from_what_the_peer_printed() {
        assert_eq!(
            plain("\u{1b}[91m\u{1b}[1mError: \u{1b}[0mbad"),
            "Error: bad"
        );
    }
}
