//! The BooCode server: the REST API, the WebSockets, authentication, the request guard and the
//! web UI over a [`boocode_runtime::Runtime`]. The same router serves the workspace and the
//! coder daemon (`ServerConfig::coder`: one project, chats in `review`, no pages). To mount it
//! in an app of your own, with your own auth and model, see the workspace's
//! `examples/embed_server.rs` ([`router`] and [`AppState::with_runtime`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use boocode_server::{AppState, ServerConfig, serve};
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

mod auth;
mod config;
mod error;
pub mod http_guard;
mod routes;
mod state;

pub use boocode_runtime::{HookConfig, Profile, Runtime, RuntimeConfig};
pub use boocode_tools::read_settings_file;
pub use config::{DelegationSettings, HookErrorPolicy, HookSettings, ServerConfig};
pub use error::{ApiError, ApiJson};
pub use routes::{openapi_document, route_list, router};
pub use state::{AppState, Inner};

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

/// Serves the API on `listener` until `shutdown` resolves, then stops every running turn
/// (recording it as cancelled) and closes the external agents before returning.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    routes::setup::load_saved(&state).await;
    state.runtime.start().await.map_err(std::io::Error::other)?;
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = tx.send(());
    };
    // Streamed frames are small writes: without TCP_NODELAY, Nagle holds one back until the
    // client's delayed ACK (~40 ms) whenever an earlier one is unacknowledged.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
    });
    let server = axum::serve(listener, app).with_graceful_shutdown(signal);
    let runtime = state.runtime.clone();
    // Turns must stop when the shutdown begins, not after the last WebSocket closes.
    let stopper = tokio::spawn(async move {
        if rx.await.is_ok() {
            tracing::info!("shutting down: cancelling running turns");
            runtime.runner.shutdown(Duration::from_secs(15)).await;
        }
    });
    let result = server.await;
    let _ = stopper.await;
    state.runtime.shutdown(Duration::from_secs(15)).await;
    result
}
