//! The scripted model servers as a process, for harnesses outside Rust (the web UI's end-to-end
//! tests): the OpenAI-compatible one (prints `listening on http://ADDR`) and the Anthropic
//! Messages one that Claude Code talks to (prints `anthropic at http://ADDR`). Script each with
//! `POST /__push`; `GET /__requests` lists what they received.
//!
//! `scripted-model`
#![allow(clippy::print_stdout)]

use boocode_testkit::{ScriptedAnthropic, ScriptedOpenAi};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let server = ScriptedOpenAi::start().await?;
    let anthropic = ScriptedAnthropic::start().await?;
    println!("anthropic at {}", anthropic.url());
    println!("listening on {}", server.url());
    use std::io::Write;
    std::io::stdout().flush()?;
    // Serve until killed.
    std::future::pending::<()>().await;
    Ok(())
}
