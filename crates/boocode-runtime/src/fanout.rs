//! Scale-out over Postgres: every frame a server publishes is also sent with `NOTIFY`, and every
//! instance `LISTEN`s, so a client on instance B watches a turn running on instance A. Frames
//! larger than a notification can carry go through the `broker_outbox` table. Stop requests for
//! a turn running elsewhere travel the same way.

use crate::broker::Fanout;
use crate::state::Runtime;
use boocode_core::{CancellationToken, ChatId, SessionFrame, SessionId, UserFrame, now_ms};
use boocode_store::{MAX_NOTIFY_BYTES, Notifications, Store};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::mpsc;

const CHANNEL: &str = "boocode_events";

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
enum Envelope {
    Session {
        i: String,
        s: SessionId,
        f: SessionFrame,
    },
    User {
        i: String,
        f: UserFrame,
    },
    Stop {
        i: String,
        c: ChatId,
    },
    /// An answer to a permission prompt asked on some instance.
    Answer {
        i: String,
        r: String,
        d: boocode_core::PermissionDecision,
    },
    /// A large envelope, stored in `broker_outbox`.
    Outbox {
        i: String,
        id: i64,
    },
}

/// Sends this instance's frames to the others.
#[derive(Debug)]
pub(crate) struct PgFanout {
    instance: String,
    tx: mpsc::UnboundedSender<Envelope>,
}

impl PgFanout {
    /// Asks the other instances to answer a prompt; the one whose turn asked it does.
    pub(crate) fn answer(&self, request_id: &str, decision: boocode_core::PermissionDecision) {
        let _ = self.tx.send(Envelope::Answer {
            i: self.instance.clone(),
            r: request_id.to_owned(),
            d: decision,
        });
    }

    pub(crate) fn stop(&self, chat_id: ChatId) {
        let _ = self.tx.send(Envelope::Stop {
            i: self.instance.clone(),
            c: chat_id,
        });
    }
}

impl Fanout for PgFanout {
    fn session(&self, session_id: SessionId, frame: &SessionFrame) {
        let _ = self.tx.send(Envelope::Session {
            i: self.instance.clone(),
            s: session_id,
            f: frame.clone(),
        });
    }

    fn user(&self, frame: &UserFrame) {
        let _ = self.tx.send(Envelope::User {
            i: self.instance.clone(),
            f: frame.clone(),
        });
    }
}

/// Starts the sender and the listener; returns the fanout (already installed in the broker),
/// or `None` when the store has no other instances to reach (SQLite).
pub(crate) async fn start(
    state: &Runtime,
    stop: CancellationToken,
) -> Result<Option<std::sync::Arc<PgFanout>>, boocode_store::StoreError> {
    let Some(listener) = state.store.listen(CHANNEL).await? else {
        return Ok(None);
    };
    let instance = uuid::Uuid::new_v4().simple().to_string();
    let (tx, rx) = mpsc::unbounded_channel();
    let fanout = std::sync::Arc::new(PgFanout {
        instance: instance.clone(),
        tx,
    });
    state.broker.set_fanout(fanout.clone());
    tokio::spawn(send_loop(
        state.store.clone(),
        instance.clone(),
        rx,
        stop.clone(),
    ));
    tokio::spawn(listen_loop(state.clone(), instance, listener, stop));
    Ok(Some(fanout))
}

async fn send_loop(
    store: Store,
    instance: String,
    mut rx: mpsc::UnboundedReceiver<Envelope>,
    stop: CancellationToken,
) {
    let mut sent: u64 = 0;
    loop {
        let envelope = tokio::select! {
            _ = stop.cancelled() => return,
            e = rx.recv() => match e { Some(e) => e, None => return },
        };
        let Ok(mut payload) = serde_json::to_string(&envelope) else {
            continue;
        };
        if payload.len() > MAX_NOTIFY_BYTES {
            let stored = store.put_outbox(&payload).await;
            match stored.ok().and_then(|id| {
                serde_json::to_string(&Envelope::Outbox {
                    i: instance.clone(),
                    id,
                })
                .ok()
            }) {
                Some(p) => payload = p,
                None => {
                    tracing::warn!("could not store a large frame for other instances");
                    continue;
                }
            }
        }
        // Sent in order from one task, so every instance sees this instance's frames in order.
        if let Err(e) = store.notify(CHANNEL, &payload).await {
            tracing::warn!(error = %e, "NOTIFY failed; other instances miss a frame");
        }
        sent += 1;
        if sent.is_multiple_of(500) {
            let _ = store.prune_outbox(now_ms() - 60_000).await;
        }
    }
}

async fn listen_loop(
    state: Runtime,
    instance: String,
    mut listener: Notifications,
    stop: CancellationToken,
) {
    loop {
        let payload = tokio::select! {
            _ = stop.cancelled() => return,
            n = listener.recv() => n,
        };
        let payload = match payload {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN connection failed; reconnecting");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let Ok(mut envelope) = serde_json::from_str::<Envelope>(&payload) else {
            tracing::warn!("unreadable frame from another instance");
            continue;
        };
        if let Envelope::Outbox { i, id } = &envelope {
            if *i == instance {
                continue;
            }
            let stored = state.store.outbox(*id).await;
            match stored
                .ok()
                .flatten()
                .and_then(|p| serde_json::from_str(&p).ok())
            {
                Some(e) => envelope = e,
                None => continue,
            }
        }
        match envelope {
            Envelope::Session { i, s, f } if i != instance => state.broker.deliver_session(s, f),
            Envelope::User { i, f } if i != instance => state.broker.deliver_user(f),
            Envelope::Stop { i, c } if i != instance => {
                state.runner.stop(c);
            }
            // Only the instance whose turn asked holds the prompt; the others ignore it.
            Envelope::Answer { i, r, d } if i != instance => {
                let Ok(item) = state.agents.answer(&r, d) else {
                    continue;
                };
                if let Err(e) = state.store.add_permission_request(&item).await {
                    tracing::warn!(error = %e, "could not record an answer from another instance");
                }
                if let Err(e) = state.store.answer_permission_request(&r, d).await {
                    tracing::warn!(error = %e, "could not record an answer from another instance");
                }
                crate::agent_chats::publish_inbox_count(&state).await;
            }
            _ => {}
        }
    }
}
