//! BooCode's HTTP and WebSocket API: the axum router, the frame protocol, the turn runner and
//! the event broker shared by the server binaries; the coder daemon's API ([`coder`]: runs,
//! inbox, pending changes) and the MCP server of the tools ([`mcp`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use boocode_api::{AppState, ServerConfig, serve};
//! use boocode_store::Store;
//!
//! let config = ServerConfig::new("http://127.0.0.1:8080");
//! config.check_exposure()?;
//! let store = Store::connect("sqlite::memory:").await?;
//! let state = AppState::new(config, store)?;
//! let listener = tokio::net::TcpListener::bind(state.config.bind).await?;
//! serve(state, listener, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(())
//! # }
//! ```

mod agent_chats;
mod auth;
mod broker;
mod config;
mod context;
mod error;
mod fanout;
pub mod http_guard;
mod profile;
mod queue;
mod routes;
mod runner;
mod state;
mod turn;

pub use boocode_core::InboxItem;
pub use boocode_core::protocol::{Posted, StartedTurn, SteeringMessage};
pub use boocode_tools::read_settings_file;
pub use broker::{Broker, Fanout, Snapshot};
pub use config::{Profile, ServerConfig};
pub use error::{ApiError, ApiJson};
pub use queue::post_message;
pub use routes::{route_list, router};
pub use runner::{Runner, start_turn, sweep, sweeper};
pub use state::{AppState, Inner};

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

/// Serves the API on `listener` until `shutdown` resolves, then stops every running turn
/// (recording it as cancelled) before returning.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Some(root) = state.config.coder_root() {
        let project = profile::ensure_project(&state.store, root)
            .await
            .map_err(std::io::Error::other)?;
        tracing::info!(project = %project.id, root = %project.root, "coder profile: serving one project");
    }
    sweep(&state, true).await;
    queue::resume_all(&state).await;
    let stop_sweeper = boocode_core::CancellationToken::new();
    let sweeper_task = tokio::spawn(sweeper(state.clone(), stop_sweeper.clone()));
    if let Some(pool) = state.store.postgres_pool().cloned() {
        match fanout::start(&state, pool, stop_sweeper.clone()).await {
            Ok(f) => state.set_remote_stop(f),
            Err(e) => {
                tracing::error!(error = %e, "Postgres LISTEN failed: events will not reach other instances")
            }
        }
    }
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = tx.send(());
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(signal);
    let runner_state = state.clone();
    // Turns must stop when the shutdown begins, not after the last WebSocket closes.
    let stopper = tokio::spawn(async move {
        if rx.await.is_ok() {
            tracing::info!("shutting down: cancelling running turns");
            runner_state.runner.shutdown(Duration::from_secs(15)).await;
        }
    });
    let result = server.await;
    let _ = stopper.await;
    // External agents' processes end with the server.
    state.agents.close_all().await;
    stop_sweeper.cancel();
    let _ = sweeper_task.await;
    result
}
