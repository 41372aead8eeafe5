//! Writes a session with one long chat into a BooCode database, for measuring how the web UI
//! opens and scrolls a big history (`bench/web_lcp.mjs`). Prints the session id.
//!
//! ```text
//! cargo build --release -p boocode-bench --bin seed_chat
//! target/release/seed_chat --database sqlite:///tmp/big.db --project /tmp/big-repo --messages 10000
//! ```
#![allow(clippy::print_stdout)]

use anyhow::{Context, Result};
use boocode_core::{Message, MessageStatus, Part, Role};
use boocode_store::Store;
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// The database URL (`sqlite://…` or `postgres://…`).
    #[arg(long)]
    database: String,
    /// The project folder (must exist).
    #[arg(long)]
    project: String,
    /// How many messages (half questions, half answers).
    #[arg(long, default_value_t = 10_000)]
    messages: usize,
}

fn answer(n: usize) -> Message {
    let text = format!(
        "Answer {n}: the handler for **route {n}** lives in `src/routes/r{n}.rs`.\n\n```rust\nfn route_{n}() -> u32 {{\n    {n}\n}}\n```\n\n| step | time |\n|---|---|\n| parse | {n} µs |\n"
    );
    let mut message = Message::new(
        Role::Assistant,
        MessageStatus::Complete,
        vec![
            Part::Reasoning {
                text: format!("Looking for route {n}."),
            },
            Part::ToolCall {
                id: format!("c{n}"),
                name: "grep".into(),
                arguments: format!("{{\"pattern\":\"route_{n}\"}}"),
            },
            Part::ToolResult {
                call_id: format!("c{n}"),
                name: "grep".into(),
                content: format!("src/routes/r{n}.rs:1:fn route_{n}() -> u32 {{"),
                is_error: false,
                duration_ms: Some(3),
            },
            Part::text(text),
        ],
    );
    message.usage = None;
    message
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let store = Store::connect(&args.database)
        .await
        .context("opening the database")?;
    let project = store.project_at(&args.project).await?;
    let session = store.create_session(project.id, "A long chat").await?;
    let chat = store.create_chat(session.id, "Chat 1", None).await?;
    for n in 0..args.messages / 2 {
        store
            .append_message(
                chat.id,
                &Message::user(format!("Where is route {n} handled?")),
            )
            .await?;
        store.append_message(chat.id, &answer(n)).await?;
    }
    println!("{}", session.id);
    Ok(())
}
