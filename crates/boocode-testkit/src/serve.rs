//! What every scripted server shares: a loopback listener and a shutdown on drop.

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use axum::serve::ListenerExt;
use futures::StreamExt;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::oneshot;

/// How many response ends a server remembers.
const ENDS_KEPT: usize = 256;

/// A running loopback server: its address, the instants its recent responses ended, and its
/// shutdown (on drop).
pub(crate) struct Served {
    pub(crate) addr: SocketAddr,
    ends: Arc<Mutex<VecDeque<Instant>>>,
    _shutdown: oneshot::Sender<()>,
}

impl Served {
    /// When the last byte of each recent response (up to 256, oldest first) was handed to the
    /// connection: the model's "last byte", for measuring what a client does after it.
    pub(crate) fn response_ends(&self) -> Vec<Instant> {
        lock(&self.ends).iter().copied().collect()
    }
}

/// Wraps a response's body so that its end is stamped into `ends`.
fn stamp_end(ends: Arc<Mutex<VecDeque<Instant>>>, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let tail = futures::stream::once(async move {
        let mut ends = lock(&ends);
        if ends.len() == ENDS_KEPT {
            ends.pop_front();
        }
        ends.push_back(Instant::now());
        None
    })
    .filter_map(|item: Option<Result<axum::body::Bytes, axum::Error>>| async move { item });
    Response::from_parts(
        parts,
        Body::from_stream(body.into_data_stream().chain(tail)),
    )
}

/// Serves `app` on `127.0.0.1` with an ephemeral port until the returned [`Served`] is dropped.
pub(crate) async fn serve_loopback(app: Router) -> std::io::Result<Served> {
    let ends: Arc<Mutex<VecDeque<Instant>>> = Arc::default();
    let stamps = ends.clone();
    let app = app.layer(axum::middleware::map_response(move |response: Response| {
        let stamps = stamps.clone();
        async move { stamp_end(stamps, response) }
    }));
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
    Ok(Served {
        addr,
        ends,
        _shutdown: tx,
    })
}

/// Locks a server's shared state; a test that panicked while holding it does not poison the
/// rest of the run.
pub(crate) fn lock<T>(state: &Mutex<T>) -> MutexGuard<'_, T> {
    match state.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
