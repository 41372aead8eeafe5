//! Recipe: one turn of the step loop with a tool of your own, against any OpenAI-compatible
//! server, printing the stream as it comes — each tool result with its tool's name and call id
//! (the read-only calls of a step finish in any order, so match them by id).
//!
//! ```text
//! cargo run -p boocode-examples --example one_turn -- http://127.0.0.1:8080 "How many words are in 'the quick brown fox'?"
//! ```
//!
//! In your own crate:
//!
//! ```toml
//! [dependencies]
//! boocode-core = "0.1"
//! boocode-inference = "0.1"
//! async-trait = "0.1"
//! schemars = "1.2"
//! serde = { version = "1", features = ["derive"] }
//! tokio = { version = "1", features = ["rt-multi-thread", "macros", "signal"] }
//!
//! [dev-dependencies]
//! boocode-testkit = "0.1"   # the scripted model server the test below uses
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use boocode_core::prelude::*;
use boocode_inference::{OpenAiClient, OpenAiConfig};
use std::io::Write;
use std::sync::Mutex;

/// The tool's arguments: the schema the model sees comes from this type and its doc comments.
#[derive(Deserialize, JsonSchema)]
struct WordCountArgs {
    /// The text to count words in.
    text: String,
}

struct WordCount;

#[async_trait]
impl TypedTool for WordCount {
    type Args = WordCountArgs;
    const NAME: &'static str = "word_count";
    const READ_ONLY: bool = true;
    fn description(&self) -> &str {
        "Counts the whitespace-separated words in a text."
    }
    async fn call(&self, args: WordCountArgs, _ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        Ok(ToolOutput::new(
            args.text.split_whitespace().count().to_string(),
        ))
    }
}

/// Prints the turn as it streams (when `echo`) and keeps the same transcript.
struct Transcript {
    echo: bool,
    text: Mutex<String>,
}

impl EventSink for Transcript {
    fn emit(&self, event: AgentEvent) {
        let piece = match event {
            AgentEvent::TextDelta { text } => text,
            AgentEvent::ToolCallReady {
                call_id,
                name,
                arguments,
            } => format!("\n[{name}#{call_id} {arguments}]\n"),
            AgentEvent::ToolCallFinished {
                call_id,
                name,
                output,
                ..
            } => format!("[{name}#{call_id} → {output}]\n"),
            AgentEvent::TurnFinished { outcome, usage, .. } => format!(
                "\n-- {} ({} prompt + {} completion tokens)\n",
                outcome.as_str(),
                usage.prompt_tokens,
                usage.completion_tokens
            ),
            _ => return,
        };
        if self.echo {
            print!("{piece}");
            let _ = std::io::stdout().flush();
        }
        self.text
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_str(&piece);
    }
}

/// Runs `prompt` on the model server at `url` with the `word_count` tool; the transcript.
async fn one_turn(
    url: &str,
    prompt: &str,
    echo: bool,
    cancel: CancellationToken,
) -> Result<String, Box<dyn std::error::Error>> {
    let client = OpenAiClient::new(OpenAiConfig::new(url))?;
    let tools = ToolSet::new().with(WordCount);
    let config = TurnConfig::default().limits(TurnLimits::for_agent(None, &tools));
    let sink = Transcript {
        echo,
        text: Mutex::new(String::new()),
    };
    let result = run_turn(
        &client,
        &tools,
        &[Message::user(prompt)],
        &config,
        &sink,
        &cancel,
    )
    .await;
    if let Some(error) = result.error {
        return Err(error.into());
    }
    Ok(sink.text.into_inner().unwrap_or_else(|p| p.into_inner()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let prompt = args
        .next()
        .unwrap_or_else(|| "Say hello in five words.".into());
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stopper.cancel();
        }
    });
    one_turn(&url, &prompt, true, cancel).await?;
    Ok(())
}

/// How to test such a program: script the model with `boocode-testkit`'s server.
#[cfg(test)]
mod tests {
    use super::*;
    use boocode_testkit::{Reply, ScriptedOpenAi};

    #[tokio::test]
    async fn the_tool_runs_and_its_result_is_named() {
        let model = ScriptedOpenAi::start().await.unwrap();
        model.push(
            Reply::stream()
                .tool_call("c1", "word_count", &[r#"{"text": "the quick brown fox"}"#])
                .tool_call("c2", "word_count", &[r#"{"text": "jumps"}"#]),
        );
        model.push(Reply::stream().text("Four, then one.").usage(40, 5));
        let transcript = one_turn(&model.url(), "Count them", false, CancellationToken::new())
            .await
            .unwrap();
        assert!(transcript.contains("[word_count#c1 → 4]"), "{transcript}");
        assert!(transcript.contains("[word_count#c2 → 1]"), "{transcript}");
        assert!(
            transcript
                .ends_with("Four, then one.\n-- completed (40 prompt + 5 completion tokens)\n"),
            "{transcript}"
        );
        // The model got both results, each under its call's id.
        let second = model.completion_requests()[1].body.to_string();
        assert!(second.contains(r#""tool_call_id":"c1""#), "{second}");
    }
}
