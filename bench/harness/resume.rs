//! A long chat resumed: each server is given a chat of `--turns` turns (through its own API,
//! one turn after another, as a user would build it), then stopped. Each measured run starts
//! it again on the same data and sends one more prompt to that chat. Measured: from starting
//! the server to the answer (load and answer), from the prompt to the answer, the bytes of the
//! model request that carried the whole history, and the server's peak memory and CPU time.

use crate::models::Models;
use crate::procs::watch;
use crate::server::{
    Chat, Started, add_project, label, open_chat, prompt, start_boocode, start_opencode, tree_ticks,
};
use crate::shared::ticks_ms;
use crate::{ANSWER, Args, stats, table};
use anyhow::{Result, bail};
use boocode_testkit::Reply;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;

/// One resumed run of one server.
#[derive(Debug, Clone)]
pub(crate) struct ResumeSample {
    /// From spawning the server to the resumed chat's answer.
    start_to_answer_ms: f64,
    /// From sending the prompt to the answer.
    prompt_to_answer_ms: f64,
    /// The size of the model request of the resumed turn.
    request_bytes: usize,
    /// Peak memory of the server's process tree.
    peak_rss_kib: u64,
    /// CPU time of the server's process tree, start to answer.
    cpu_ms: f64,
}

/// An answer of a seeded turn: about 500 bytes, like a short explanation.
fn seeded_answer(turn: usize) -> String {
    format!(
        "{ANSWER} Turn {turn}: the handler reads the request, checks the token against the \
         session store, and returns the page; errors map to 4xx with a JSON body naming the \
         field. {}",
        "The cache is keyed by path and invalidated on write. ".repeat(6)
    )
}

async fn start_server(args: &Args, server: &str, models: &Models, dir: &Path) -> Result<Started> {
    match server {
        "boocode" => start_boocode(args, models, dir).await,
        _ => start_opencode(args, models, dir).await,
    }
}

/// Builds the long chat on a fresh server in `dir`, then stops the server.
async fn seed(args: &Args, server: &str, models: &Models, dir: &Path) -> Result<Chat> {
    let http = reqwest::Client::new();
    let started = start_server(args, server, models, dir).await?;
    let project = match server {
        "boocode" => Some(add_project(&http, &started.base, dir).await?),
        _ => None,
    };
    let chat = open_chat(&http, &started.base, project.as_deref()).await?;
    for turn in 0..args.turns {
        models.openai.push(Reply::text(&seeded_answer(turn)));
        let question = format!(
            "Question {turn}: how does the handler in src/main.rs deal with an expired token?"
        );
        prompt(&http, &started.base, &chat, &question).await?;
    }
    started.stop().await?;
    Ok(chat)
}

/// Starts the server on the seeded data and sends one more prompt to the chat.
async fn resume_once(
    args: &Args,
    server: &str,
    models: &Models,
    dir: &Path,
    chat: &Chat,
) -> Result<ResumeSample> {
    let http = reqwest::Client::new();
    models.openai.push(Reply::text(ANSWER));
    let before = models.requests().len();
    let begun = Instant::now();
    let started = start_server(args, server, models, dir).await?;
    let ticks_before = tree_ticks(started.pid);
    let asked = Instant::now();
    let base = started.base.clone();
    let answer = prompt(&http, &base, chat, "One more question: and a revoked one?");
    let (answered, watched) = watch(started.pid, answer).await;
    answered?;
    let (start_to_answer, prompt_to_answer) = (begun.elapsed(), asked.elapsed());
    let ticks = watched.ticks.max(tree_ticks(started.pid));
    started.stop().await?;
    let requests = models.requests();
    let Some(request) = requests.get(before..).and_then(<[Value]>::last) else {
        bail!("the resumed turn made no model request");
    };
    if models.remaining() > 0 {
        bail!("the resumed turn left its answer unused");
    }
    Ok(ResumeSample {
        start_to_answer_ms: start_to_answer.as_secs_f64() * 1000.0,
        prompt_to_answer_ms: prompt_to_answer.as_secs_f64() * 1000.0,
        request_bytes: request.to_string().len(),
        peak_rss_kib: watched.peak_kib,
        cpu_ms: ticks_ms(ticks.saturating_sub(ticks_before)),
    })
}

/// Seeds each server's long chat, then `args.runs` resumed runs (after one warm-up).
pub(crate) async fn run(args: &Args) -> Vec<(String, Result<Vec<ResumeSample>, String>)> {
    let mut out = Vec::new();
    for server in crate::server::SERVERS {
        if !args.only.is_empty() && !args.only.iter().any(|o| o == server) {
            continue;
        }
        let result = async {
            let models = Models::start().await?;
            let dir = tempfile::tempdir()?;
            std::fs::create_dir_all(dir.path().join("home"))?;
            std::fs::create_dir_all(dir.path().join("work/src"))?;
            std::fs::write(dir.path().join("work/src/main.rs"), "fn main() {}\n")?;
            let seeding = Instant::now();
            let chat = seed(args, server, &models, dir.path()).await?;
            eprintln!(
                "resume / {server}: {} turns seeded in {:.1} s",
                args.turns,
                seeding.elapsed().as_secs_f64()
            );
            let mut samples = Vec::new();
            for run in 0..=args.runs {
                let sample = resume_once(args, server, &models, dir.path(), &chat).await?;
                if run > 0 {
                    samples.push(sample);
                }
            }
            anyhow::Ok(samples)
        }
        .await
        .map_err(|e| format!("failed: {e:#}"));
        out.push((server.to_owned(), result));
    }
    out
}

/// The Markdown table and the JSON figures of the resume scenario.
pub(crate) fn report(
    turns: usize,
    results: &[(String, Result<Vec<ResumeSample>, String>)],
) -> (String, Value) {
    table(
        &format!("**resume** (a {turns}-turn chat: the server started again, one more prompt)"),
        &[
            "server",
            "start → answer, ms (median, min–max)",
            "prompt → answer, ms",
            "server CPU ms",
            "peak RSS MiB",
            "bytes of the resumed request",
        ],
        results.iter().map(|(s, r)| (s.as_str(), r)),
        label,
        |samples: &[ResumeSample]| {
            let whole = stats(samples, |s| s.start_to_answer_ms);
            let answer = stats(samples, |s| s.prompt_to_answer_ms);
            let cpu = stats(samples, |s| s.cpu_ms);
            let rss = stats(samples, |s| s.peak_rss_kib as f64 / 1024.0);
            let bytes = stats(samples, |s| s.request_bytes as f64);
            let cells = vec![
                format!("{:.0} ({:.0}–{:.0})", whole.0, whole.1, whole.2),
                format!("{:.0} ({:.0}–{:.0})", answer.0, answer.1, answer.2),
                format!("{:.0}", cpu.0),
                format!("{:.1} ({:.1}–{:.1})", rss.0, rss.1, rss.2),
                format!("{:.0}", bytes.0),
            ];
            let figures = json!({"runs": samples.len(), "wall_ms": whole,
                "prompt_to_answer_ms": answer, "cpu_ms": cpu, "peak_rss_mib": rss,
                "request_bytes": bytes.0});
            (cells, figures)
        },
    )
}
