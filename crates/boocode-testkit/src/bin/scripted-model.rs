//! The scripted OpenAI-compatible server as a process, for harnesses outside Rust (the web UI's
//! end-to-end tests). Prints `listening on http://ADDR`; script it with `POST /__push`.
//!
//! `scripted-model`
#![allow(clippy::print_stdout)]

use boocode_testkit::ScriptedOpenAi;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let server = ScriptedOpenAi::start().await?;
    println!("listening on {}", server.url());
    use std::io::Write;
    std::io::stdout().flush()?;
    // Serve until killed.
    std::future::pending::<()>().await;
    Ok(())
}
