//! Scale-out over Postgres: every frame a server publishes is also sent with `NOTIFY`, and every
//! instance `LISTEN`s, so a client on instance B watches a turn running on instance A. Frames
//! larger than a notification can carry go through the `broker_outbox` table. Stop requests for
//! a turn running elsewhere travel the same way.

use crate::broker::Fanout;
use crate::state::Runtime;
use boocode_core::{CancellationToken, ChatId, SessionFrame, SessionId, UserFrame, now_ms};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgListener, PgPool};
use std::time::Duration;
use tokio::sync::mpsc;

const CHANNEL: &str = "boocode_events";
/// Postgres refuses NOTIFY payloads of 8000 bytes or more.
const MAX_INLINE: usize = 7900;

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

/// Starts the sender and the listener; returns the fanout (already installed in the broker).
pub(crate) async fn start(
    state: &Runtime,
    stop: CancellationToken,
) -> Result<std::sync::Arc<PgFanout>, sqlx::Error> {
    let Some(pool) = state.store.postgres_pool().cloned() else {
        return Err(sqlx::Error::Configuration(
            "the fan-out needs a Postgres store".into(),
        ));
    };
    let instance = uuid::Uuid::new_v4().simple().to_string();
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    let fanout = std::sync::Arc::new(PgFanout {
        instance: instance.clone(),
        tx,
    });
    state.broker.set_fanout(fanout.clone());
    tokio::spawn(send_loop(pool.clone(), instance.clone(), rx, stop.clone()));
    tokio::spawn(listen_loop(state.clone(), pool, instance, listener, stop));
    Ok(fanout)
}

async fn send_loop(
    pool: PgPool,
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
        if payload.len() > MAX_INLINE {
            let stored: Result<i64, sqlx::Error> = sqlx::query_scalar(
                "INSERT INTO broker_outbox (payload, created_at) VALUES ($1, $2) RETURNING id",
            )
            .bind(&payload)
            .bind(now_ms())
            .fetch_one(&pool)
            .await;
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
        if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(&payload)
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, "NOTIFY failed; other instances miss a frame");
        }
        sent += 1;
        if sent.is_multiple_of(500) {
            let _ = sqlx::query("DELETE FROM broker_outbox WHERE created_at < $1")
                .bind(now_ms() - 60_000)
                .execute(&pool)
                .await;
        }
    }
}

async fn listen_loop(
    state: Runtime,
    pool: PgPool,
    instance: String,
    mut listener: PgListener,
    stop: CancellationToken,
) {
    loop {
        let notification = tokio::select! {
            _ = stop.cancelled() => return,
            n = listener.recv() => n,
        };
        let notification = match notification {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN connection failed; reconnecting");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let Ok(mut envelope) = serde_json::from_str::<Envelope>(notification.payload()) else {
            tracing::warn!("unreadable frame from another instance");
            continue;
        };
        if let Envelope::Outbox { i, id } = &envelope {
            if *i == instance {
                continue;
            }
            let payload: Result<String, sqlx::Error> =
                sqlx::query_scalar("SELECT payload FROM broker_outbox WHERE id = $1")
                    .bind(id)
                    .fetch_one(&pool)
                    .await;
            match payload.ok().and_then(|p| serde_json::from_str(&p).ok()) {
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
            Envelope::Answer { i, r, d } if i != instance && state.agents.answer(&r, d).is_ok() => {
                if let Err(e) = state.store.answer_permission_request(&r, d).await {
                    tracing::warn!(error = %e, "could not record an answer from another instance");
                }
                crate::agent_chats::publish_inbox_count(&state).await;
            }
            _ => {}
        }
    }
}
