//! What every scripted server shares: a loopback listener and a shutdown on drop.

use axum::Router;
use axum::serve::ListenerExt;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::oneshot;

/// Serves `app` on `127.0.0.1` with an ephemeral port until the returned sender is dropped.
pub(crate) async fn serve_loopback(
    app: Router,
) -> std::io::Result<(SocketAddr, oneshot::Sender<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // Each SSE frame is a small write: without TCP_NODELAY, Nagle holds one back until the
    // client's delayed ACK (~40 ms) for every request, as no real model server does.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
    });
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        if let Err(e) = server.await {
            tracing::warn!(error = %e, "scripted server stopped");
        }
    });
    Ok((addr, tx))
}

/// Locks a server's shared state; a test that panicked while holding it does not poison the
/// rest of the run.
pub(crate) fn lock<T>(state: &Mutex<T>) -> MutexGuard<'_, T> {
    match state.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
