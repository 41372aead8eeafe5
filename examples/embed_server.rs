//! Recipe: the BooCode server inside your own axum app — your routes beside BooCode's API and
//! web UI, your own authentication in front of all of it, and your own `ModelClient` running
//! the chats (here a canned one; any implementation of the trait works).
//!
//! ```text
//! cargo run -p boocode-examples --example embed_server -- /path/to/project
//! curl -H 'x-api-key: let-me-in' http://127.0.0.1:4000/api/projects
//! ```
//!
//! In your own crate:
//!
//! ```toml
//! [dependencies]
//! boocode-core = "0.1"
//! boocode-inference = "0.1"
//! boocode-runtime = "0.1"
//! boocode-server = "0.1"
//! boocode-store = "0.1"
//! axum = "0.8"
//! tokio = { version = "1", features = ["rt-multi-thread", "macros", "net", "signal"] }
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use boocode_core::prelude::*;
use boocode_core::{Completion, FinishReason, ModelRequest, ModelStream};
use boocode_inference::{OpenAiClient, OpenAiConfig, SwitchableClient};
use boocode_server::{AppState, ServerConfig, router};
use boocode_store::Store;
use futures::StreamExt;
use std::net::SocketAddr;
use std::sync::Arc;

/// Your model: every answer is the same sentence, streamed word by word.
struct Canned;

#[async_trait]
impl ModelClient for Canned {
    async fn stream(
        &self,
        _request: ModelRequest,
        _cancel: CancellationToken,
    ) -> Result<ModelStream, ModelError> {
        let mut events: Vec<Result<ModelEvent, ModelError>> = "Answered by your own model."
            .split_inclusive(' ')
            .map(|w| Ok(ModelEvent::TextDelta(w.to_owned())))
            .collect();
        events.push(Ok(ModelEvent::Done(Completion {
            finish_reason: Some(FinishReason::Stop),
            ..Completion::default()
        })));
        Ok(futures::stream::iter(events).boxed())
    }
}

/// Your authentication: a header, checked before anything of BooCode's runs.
async fn api_key(request: Request, next: Next) -> Result<Response, StatusCode> {
    match request.headers().get("x-api-key") {
        Some(key) if key == "let-me-in" => Ok(next.run(request).await),
        _ => Err(StatusCode::UNAUTHORIZED),
    }
}

/// Builds the app over `store`: BooCode's router (its Host/Origin guard included) merged with
/// your routes, all behind [`api_key`]. The runtime is returned for the caller to start and
/// stop.
async fn app(store: Store) -> Result<(axum::Router, AppState), Box<dyn std::error::Error>> {
    // BooCode's own token login is off: your layer decides who gets in.
    let config = ServerConfig::new("http://127.0.0.1:8080");
    let runtime = boocode_runtime::Runtime::new(config.runtime.clone(), store, Arc::new(Canned));
    // `models` answers GET /api/models and the settings page; it is not what runs the chats.
    let models = Arc::new(SwitchableClient::new(OpenAiClient::new(
        OpenAiConfig::new(config.model_url.clone()),
    )?));
    let state = AppState::with_runtime(config, runtime, models);
    state.runtime.start().await?;
    let app = axum::Router::new()
        .route(
            "/mine/hello",
            axum::routing::get(|| async { "hello from your app" }),
        )
        .merge(router(state.clone()))
        .layer(middleware::from_fn(api_key));
    Ok((app, state))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let root = std::path::Path::new(&root).canonicalize()?;
    let store = Store::connect("sqlite::memory:").await?;
    store
        .create_project("mine", &root.display().to_string())
        .await?;
    let (app, state) = app(store).await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 4000)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    state
        .runtime
        .shutdown(std::time::Duration::from_secs(5))
        .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn your_auth_guards_boocodes_api_and_your_model_answers_its_chats() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let store = Store::connect("sqlite::memory:").await.unwrap();
        let project = store
            .create_project("mine", &root.display().to_string())
            .await
            .unwrap();
        let session = store.create_session(project.id, "s").await.unwrap();
        let chat = store.create_chat(session.id, "", None).await.unwrap();
        let (app, state) = app(store).await.unwrap();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        });
        let http = boocode_inference::tls::client_builder()
            .unwrap()
            .build()
            .unwrap();
        let get = |path: &str, key: Option<&str>| {
            let mut request = http.get(format!("{base}{path}"));
            if let Some(key) = key {
                request = request.header("x-api-key", key);
            }
            request.send()
        };
        // Your layer stands in front of BooCode's routes and yours.
        for path in ["/api/projects", "/mine/hello"] {
            assert_eq!(get(path, None).await.unwrap().status(), 401, "{path}");
            assert_eq!(
                get(path, Some("wrong")).await.unwrap().status(),
                401,
                "{path}"
            );
        }
        let hello = get("/mine/hello", Some("let-me-in")).await.unwrap();
        assert_eq!(hello.text().await.unwrap(), "hello from your app");
        let projects: serde_json::Value = get("/api/projects", Some("let-me-in"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(projects[0]["name"], "mine");

        // A turn runs on your model; BooCode's API serves the stored answer.
        boocode_runtime::post_message(&state.runtime, chat.id, "hi".into(), false)
            .await
            .unwrap();
        let path = format!("/api/chats/{}/messages", chat.id);
        let mut answer = String::new();
        for _ in 0..100 {
            let page: serde_json::Value = get(&path, Some("let-me-in"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let done = page["messages"]
                .as_array()
                .and_then(|m| m.last())
                .filter(|m| m["status"] == "complete");
            if let Some(message) = done {
                answer = message["parts"][0]["text"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(answer, "Answered by your own model.");
        state.runtime.shutdown(Duration::from_secs(5)).await;
    }
}
