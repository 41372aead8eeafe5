//! Recipe: keep a chat in a database and pick it up later — in another process, after a crash —
//! on SQLite (a file) or Postgres (the same code; only the URL differs). Each turn starts from
//! the stored history and its messages are appended; nothing else needs to survive.
//!
//! ```text
//! cargo run -p boocode-examples --example store_resume -- http://127.0.0.1:8080 sqlite:///tmp/chats.db
//! cargo run -p boocode-examples --example store_resume -- http://127.0.0.1:8080 postgres://postgres@127.0.0.1/chats
//! ```
//!
//! In your own crate:
//!
//! ```toml
//! [dependencies]
//! boocode-core = "0.1"
//! boocode-inference = "0.1"
//! boocode-store = "0.1"      # Postgres is its default feature; default-features = false for SQLite only
//! tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use boocode_core::prelude::*;
use boocode_core::{ChatId, MessageKind, NullSink};
use boocode_inference::{OpenAiClient, OpenAiConfig};
use boocode_store::Store;

/// One turn of chat `chat` in `store`: the user's `text` and the answer are appended to what
/// was stored before, which is what the model is sent. The answer.
async fn turn(
    store: &Store,
    model: &dyn ModelClient,
    chat: ChatId,
    text: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    // From the newest summary on (a compacted chat), else the whole chat.
    let mut history = store
        .messages_since_kind(chat, MessageKind::Summary)
        .await?;
    let user = Message::user(text);
    store.append_message(chat, &user).await?;
    history.push(user);
    let tools = ToolSet::new();
    let result = run_turn(
        model,
        &tools,
        &history,
        &TurnConfig::default(),
        &NullSink,
        &CancellationToken::new(),
    )
    .await;
    for message in &result.messages {
        store.append_message(chat, message).await?;
    }
    Ok(result.messages[0].text())
}

/// The chat kept in `store`: the first one found, or (the first time) a new one in a new
/// project at `project_root` and session.
async fn open_chat(
    store: &Store,
    project_root: &str,
) -> Result<ChatId, Box<dyn std::error::Error>> {
    for project in store.list_projects(false).await? {
        for session in store.list_sessions(project.id, false).await? {
            if let Some(chat) = store
                .list_chats(session.id, false)
                .await?
                .into_iter()
                .next()
            {
                return Ok(chat.id);
            }
        }
    }
    let project = store.create_project("recipe", project_root).await?;
    let session = store.create_session(project.id, "kept").await?;
    Ok(store.create_chat(session.id, "chat", None).await?.id)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let database = args.next().unwrap_or_else(|| {
        format!(
            "sqlite://{}",
            std::env::temp_dir().join("boocode-recipe.db").display()
        )
    });
    let store = Store::connect(&database).await?;
    let chat = open_chat(&store, &std::env::current_dir()?.display().to_string()).await?;
    let model = OpenAiClient::new(OpenAiConfig::new(url))?;
    let before = store.list_messages(chat, None, 1000).await?.messages.len();
    let answer = turn(
        &store,
        &model,
        chat,
        "Remember this: the password is PEAR. What is it?",
    )
    .await?;
    println!(
        "chat {chat} had {before} messages; the answer: {answer}\n(run me again: the chat goes on)"
    );
    store.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use boocode_testkit::{PgTestDb, Reply, ScriptedOpenAi};

    /// Two "processes" (two connections, one after the other) share the chat through the
    /// database: the second turn's request carries the first turn.
    async fn resumes_on(database: &str) {
        let model = ScriptedOpenAi::start().await.unwrap();
        model.push(Reply::text("Noted: PEAR."));
        model.push(Reply::text("It was PEAR."));
        let client = OpenAiClient::new(OpenAiConfig::new(model.url())).unwrap();
        let first = Store::connect(database).await.unwrap();
        let chat = open_chat(&first, "/tmp").await.unwrap();
        turn(&first, &client, chat, "The word is PEAR.")
            .await
            .unwrap();
        first.close().await;

        let second = Store::connect(database).await.unwrap();
        assert_eq!(
            open_chat(&second, "/tmp").await.unwrap(),
            chat,
            "the same chat"
        );
        let answer = turn(&second, &client, chat, "Which word?").await.unwrap();
        assert_eq!(answer, "It was PEAR.");
        let sent = model.completion_requests()[1].body.to_string();
        assert!(
            sent.contains("The word is PEAR.") && sent.contains("Noted: PEAR."),
            "{sent}"
        );
        assert_eq!(
            second
                .list_messages(chat, None, 10)
                .await
                .unwrap()
                .messages
                .len(),
            4
        );
        second.close().await;
    }

    #[tokio::test]
    async fn a_chat_resumes_from_sqlite() {
        let file = std::env::temp_dir().join(format!("boocode-resume-{}.db", ChatId::new()));
        resumes_on(&format!("sqlite://{}", file.display())).await;
        let _ = std::fs::remove_file(file);
    }

    #[tokio::test]
    async fn a_chat_resumes_from_postgres() {
        // A fresh database per test; under CI a Postgres that is down fails the test.
        let Some(db) = PgTestDb::create().await else {
            return;
        };
        resumes_on(db.url()).await;
    }
}
