//! Recipe: write your own `AgentBackend`, here for an in-house agent program that answers one
//! prompt per line on stdin with lines on stdout and an empty line when it is done. The
//! backend starts the program once per session, streams each answer line as text, reports the
//! turn in the same event grammar every BooCode backend follows (checked by
//! `boocode_core::check_turn`), and stops the program when the turn is cancelled. Folding the
//! events with `MessageBuilder` gives the message a store would keep.
//!
//! ```text
//! cargo run -p boocode-examples --example own_backend -- "sh -c 'while read l; do echo heard: \$l; echo; done'" hello
//! ```
//!
//! In your own crate:
//!
//! ```toml
//! [dependencies]
//! boocode-agents = "0.1"
//! boocode-core = "0.1"
//! async-trait = "0.1"
//! tokio = { version = "1", features = ["rt-multi-thread", "macros", "process", "io-util", "sync", "time"] }
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use boocode_agents::{
    AgentBackend, AgentError, AgentSession, BackendKind, Permissions, SessionConfig,
};
use boocode_core::prelude::*;
use boocode_core::{ChatStatus, CollectSink, FinishReason, MessageBuilder, Usage};
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Runs `program` (a shell command line) as a line-protocol agent.
pub struct LineAgent {
    program: String,
}

impl LineAgent {
    /// An agent started with `sh -c program`.
    pub fn new(program: impl Into<String>) -> Self {
        Self {
            program: program.into(),
        }
    }
}

#[async_trait::async_trait]
impl AgentBackend for LineAgent {
    fn kind(&self) -> BackendKind {
        // The closest protocol family; a runtime uses it only for labels.
        BackendKind::Pty
    }

    async fn start(&self, config: SessionConfig) -> Result<Box<dyn AgentSession>, AgentError> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&self.program)
            .current_dir(&config.cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| AgentError::Agent(format!("cannot start {}: {e}", self.program)))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(AgentError::Agent("the program's pipes are missing".into()));
        };
        Ok(Box::new(LineSession {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
            permissions: Arc::new(Permissions::new()),
        }))
    }
}

struct LineSession {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    permissions: Arc<Permissions>,
}

impl LineSession {
    /// Sends `text` and streams the answer until the empty line. `Ok(false)` when the program
    /// closed its output first.
    async fn exchange(&mut self, text: &str, sink: &dyn EventSink) -> std::io::Result<bool> {
        // One prompt is one line: newlines inside it would end it early.
        let line = text.replace('\n', " ");
        self.stdin.write_all(line.as_bytes()).await?;
        self.stdin.write_all(b"\n").await?;
        self.stdin.flush().await?;
        let mut first = true;
        while let Some(line) = self.stdout.next_line().await? {
            if line.is_empty() {
                return Ok(true);
            }
            let text = if first { line } else { format!("\n{line}") };
            first = false;
            sink.emit(AgentEvent::TextDelta { text });
        }
        Ok(false)
    }
}

#[async_trait::async_trait]
impl AgentSession for LineSession {
    async fn prompt(
        &mut self,
        text: &str,
        sink: &dyn EventSink,
        cancel: &CancellationToken,
    ) -> Result<TurnOutcome, AgentError> {
        sink.emit(AgentEvent::TurnStarted { message_id: None });
        sink.emit(AgentEvent::Status {
            status: ChatStatus::Streaming,
        });
        sink.emit(AgentEvent::StepStarted { step: 1 });
        let (outcome, summary) = tokio::select! {
            // A program in the middle of an answer cannot be told to stop: end it. The
            // session is over after that (a new one starts the program again).
            _ = cancel.cancelled() => {
                let _ = self.child.kill().await;
                (TurnOutcome::Cancelled, None)
            }
            done = self.exchange(text, sink) => match done {
                Ok(true) => (TurnOutcome::Completed, None),
                Ok(false) => (TurnOutcome::Error, Some("the agent program exited mid-answer".to_owned())),
                Err(e) => (TurnOutcome::Error, Some(format!("talking to the agent program failed: {e}"))),
            },
        };
        sink.emit(AgentEvent::StepFinished {
            step: 1,
            finish_reason: FinishReason::Stop,
        });
        sink.emit(AgentEvent::Status {
            status: ChatStatus::Idle,
        });
        sink.emit(AgentEvent::TurnFinished {
            outcome,
            summary,
            usage: Usage::default(),
        });
        Ok(outcome)
    }

    fn permissions(&self) -> Arc<Permissions> {
        // This program never asks; an agent that does puts its questions here and waits.
        self.permissions.clone()
    }

    fn backend_session_id(&self) -> Option<String> {
        None
    }

    async fn close(&mut self) {
        // Closing stdin asks the program to finish; one that lingers is ended.
        let _ = self.stdin.shutdown().await;
        if tokio::time::timeout(std::time::Duration::from_secs(2), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Sends `prompt` to a new session of `backend` in `cwd`; the outcome, the events and the
/// message they fold into.
async fn ask(
    backend: &dyn AgentBackend,
    cwd: &std::path::Path,
    prompt: &str,
    cancel: &CancellationToken,
) -> Result<(TurnOutcome, Vec<AgentEvent>, Message), AgentError> {
    let mut session = backend.start(SessionConfig::new(cwd)).await?;
    let sink = CollectSink::new();
    let outcome = session.prompt(prompt, &sink, cancel).await?;
    let events = sink.events();
    let mut builder = MessageBuilder::new(Message::assistant(""));
    for event in &events {
        builder.apply(event);
    }
    Ok((outcome, events, builder.into_message()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let program = args.next().ok_or(
        "usage: own_backend PROGRAM PROMPT (PROGRAM answers each line, then an empty line)",
    )?;
    let prompt = args.next().unwrap_or_else(|| "hello".into());
    let backend = LineAgent::new(program);
    let (outcome, events, message) = ask(
        &backend,
        &std::env::current_dir()?,
        &prompt,
        &CancellationToken::new(),
    )
    .await?;
    boocode_core::check_turn(&events)?;
    println!("{outcome:?}: {}", message.text());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const ECHO: &str =
        "while IFS= read -r line; do echo \"heard: $line\"; echo 'over.'; echo; done";

    #[tokio::test]
    async fn answers_stream_as_text_in_the_turn_grammar_and_fold_into_a_message() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LineAgent::new(ECHO);
        let (outcome, events, message) =
            ask(&backend, dir.path(), "ping", &CancellationToken::new())
                .await
                .unwrap();
        assert_eq!(outcome, TurnOutcome::Completed);
        boocode_core::check_turn(&events).unwrap();
        assert_eq!(message.text(), "heard: ping\nover.");
    }

    #[tokio::test]
    async fn one_session_keeps_its_program_across_prompts() {
        // The program counts the prompts it has seen: a second prompt reaches the same process.
        let dir = tempfile::tempdir().unwrap();
        let backend =
            LineAgent::new("n=0; while read l; do n=$((n+1)); echo \"prompt $n: $l\"; echo; done");
        let mut session = backend.start(SessionConfig::new(dir.path())).await.unwrap();
        let cancel = CancellationToken::new();
        for (i, word) in ["a", "b"].into_iter().enumerate() {
            let sink = CollectSink::new();
            session.prompt(word, &sink, &cancel).await.unwrap();
            let text: String = sink
                .events()
                .iter()
                .filter_map(|e| match e {
                    AgentEvent::TextDelta { text } => Some(text.clone()),
                    _ => None,
                })
                .collect();
            assert_eq!(text, format!("prompt {}: {word}", i + 1));
        }
    }

    #[tokio::test]
    async fn a_cancel_from_another_task_ends_the_turn_and_keeps_what_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LineAgent::new("while read l; do echo 'thinking…'; sleep 30; echo; done");
        let cancel = CancellationToken::new();
        let stopper = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            stopper.cancel();
        });
        let started = std::time::Instant::now();
        let (outcome, events, message) = ask(&backend, dir.path(), "go", &cancel).await.unwrap();
        assert_eq!(outcome, TurnOutcome::Cancelled);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the 30 s answer was not cut short"
        );
        boocode_core::check_turn(&events).unwrap();
        assert_eq!(message.text(), "thinking…");
    }

    #[tokio::test]
    async fn a_program_that_dies_mid_answer_ends_the_turn_as_an_error_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LineAgent::new("read l; echo partial; exit 3");
        let (outcome, events, _) = ask(&backend, dir.path(), "x", &CancellationToken::new())
            .await
            .unwrap();
        assert_eq!(outcome, TurnOutcome::Error);
        boocode_core::check_turn(&events).unwrap();
        let Some(AgentEvent::TurnFinished { summary, .. }) = events.last() else {
            panic!("no turn_finished: {events:?}");
        };
        assert_eq!(
            summary.as_deref(),
            Some("the agent program exited mid-answer")
        );
    }

    #[tokio::test]
    async fn a_program_that_cannot_start_is_a_clear_error() {
        let backend = LineAgent::new("true");
        let missing = std::path::Path::new("/nonexistent/boocode-recipe");
        let Err(e) = backend.start(SessionConfig::new(missing)).await else {
            panic!("started in a missing directory");
        };
        assert!(e.to_string().contains("cannot start"), "{e}");
    }
}
