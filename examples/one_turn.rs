//! One turn of the step loop against any OpenAI-compatible server, printing events as they
//! stream. The model gets one small tool, `word_count`, so a tool-using model shows the whole
//! loop.
//!
//! ```text
//! cargo run -p boocode-examples --example one_turn -- http://127.0.0.1:8080 "How many words are in 'the quick brown fox'?"
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use boocode_core::{
    AgentEvent, CancellationToken, FnSink, Message, ToolContext, ToolError, ToolOutput, ToolSet,
    TurnConfig, TurnLimits, TypedTool, run_turn,
};
use boocode_inference::{OpenAiClient, OpenAiConfig};
use std::io::Write;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct WordCountArgs {
    /// The text to count words in.
    text: String,
}

struct WordCount;

#[async_trait::async_trait]
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let prompt = args
        .next()
        .unwrap_or_else(|| "Say hello in five words.".into());

    let client = OpenAiClient::new(OpenAiConfig::new(url))?;
    let tools = ToolSet::new().with(WordCount);
    let config = TurnConfig {
        limits: TurnLimits::for_agent(None, &tools),
        ..TurnConfig::default()
    };
    let cancel = CancellationToken::new();
    let stopper = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            stopper.cancel();
        }
    });
    let sink = FnSink(|event: AgentEvent| {
        match event {
            AgentEvent::TextDelta { text } => print!("{text}"),
            AgentEvent::ToolCallReady {
                name, arguments, ..
            } => println!("\n[{name} {arguments}]"),
            AgentEvent::ToolCallFinished { output, .. } => println!("[→ {output}]"),
            AgentEvent::TurnFinished { outcome, usage, .. } => println!(
                "\n-- {} ({} prompt + {} completion tokens)",
                outcome.as_str(),
                usage.prompt_tokens,
                usage.completion_tokens
            ),
            _ => {}
        }
        let _ = std::io::stdout().flush();
    });
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
        eprintln!("error: {error}");
    }
    Ok(())
}
