//! The event broker: per-session frame streams, the per-user channel, and the live state of
//! running turns that makes reconnects gap-free.
//!
//! Every event of a running turn goes through [`Broker::publish_event`], which, under the turn's
//! lock, folds it into the turn's [`MessageBuilder`], numbers it and broadcasts it. A subscriber
//! subscribes to the broadcast *first*, then takes a snapshot under the same lock: every event up
//! to the snapshot's `seq` is in the snapshot, every later one arrives on the subscription, and
//! the subscriber drops the few it receives twice (`seq <= snapshot`).

use boocode_core::{
    AgentEvent, ChatId, Message, MessageBuilder, MessageId, SessionFrame, SessionId, UserFrame,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

/// A running turn's snapshot: the chat, its partial message, and the last event folded in.
pub type Snapshot = (ChatId, Message, u64);

/// Frames a slow subscriber may fall behind before it is resynchronized.
const SESSION_CAPACITY: usize = 4096;
const USER_CAPACITY: usize = 1024;

/// A running turn's state, as subscribers see it.
#[derive(Debug)]
pub(crate) struct LiveTurn {
    pub(crate) session_id: SessionId,
    pub(crate) builder: MessageBuilder,
    pub(crate) seq: u64,
}

/// Something that carries frames to other server instances (Postgres NOTIFY).
pub trait Fanout: Send + Sync + std::fmt::Debug {
    /// Sends a session frame to the other instances.
    fn session(&self, session_id: SessionId, frame: &SessionFrame);
    /// Sends a user frame to the other instances.
    fn user(&self, frame: &UserFrame);
}

/// Fans frames out to subscribers.
#[derive(Debug)]
pub struct Broker {
    sessions: Mutex<HashMap<SessionId, broadcast::Sender<Arc<SessionFrame>>>>,
    user: broadcast::Sender<Arc<UserFrame>>,
    live: Mutex<HashMap<ChatId, Arc<Mutex<LiveTurn>>>>,
    fanout: Mutex<Option<Arc<dyn Fanout>>>,
}

impl Default for Broker {
    fn default() -> Self {
        Self::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Broker {
    /// An empty broker.
    pub fn new() -> Self {
        Self {
            sessions: Mutex::new(HashMap::new()),
            user: broadcast::channel(USER_CAPACITY).0,
            live: Mutex::new(HashMap::new()),
            fanout: Mutex::new(None),
        }
    }

    /// Also sends every frame to other instances through `fanout`.
    pub fn set_fanout(&self, fanout: Arc<dyn Fanout>) {
        *lock(&self.fanout) = Some(fanout);
    }

    fn fanout(&self) -> Option<Arc<dyn Fanout>> {
        lock(&self.fanout).clone()
    }

    fn sender(&self, session_id: SessionId) -> broadcast::Sender<Arc<SessionFrame>> {
        lock(&self.sessions)
            .entry(session_id)
            .or_insert_with(|| broadcast::channel(SESSION_CAPACITY).0)
            .clone()
    }

    /// Delivers a frame to this instance's subscribers only (frames from other instances).
    pub fn deliver_session(&self, session_id: SessionId, frame: SessionFrame) {
        if let SessionFrame::Event {
            chat_id,
            message_id,
            seq,
            event,
        } = &frame
        {
            self.remote_event(session_id, *chat_id, *message_id, *seq, event);
        }
        let _ = self.sender(session_id).send(Arc::new(frame));
    }

    /// Delivers a user frame to this instance's subscribers only.
    pub fn deliver_user(&self, frame: UserFrame) {
        let _ = self.user.send(Arc::new(frame));
    }

    /// Keeps a mirror of a turn running elsewhere, so local subscribers get snapshots too.
    fn remote_event(
        &self,
        session_id: SessionId,
        chat_id: ChatId,
        message_id: MessageId,
        seq: u64,
        event: &AgentEvent,
    ) {
        let turn = {
            let mut live = lock(&self.live);
            live.entry(chat_id)
                .or_insert_with(|| {
                    let mut message = Message::new(
                        boocode_core::Role::Assistant,
                        boocode_core::MessageStatus::Streaming,
                        Vec::new(),
                    );
                    message.id = message_id;
                    Arc::new(Mutex::new(LiveTurn {
                        session_id,
                        builder: MessageBuilder::new(message),
                        seq: 0,
                    }))
                })
                .clone()
        };
        let mut turn = lock(&turn);
        if turn.builder.message().id == message_id && seq > turn.seq {
            turn.builder.apply(event);
            turn.seq = seq;
        }
        if matches!(event, AgentEvent::TurnFinished { .. }) {
            drop(turn);
            lock(&self.live).remove(&chat_id);
        }
    }

    /// Publishes a frame on a session's stream (here and on other instances).
    pub fn publish_session(&self, session_id: SessionId, frame: SessionFrame) {
        if let Some(f) = self.fanout() {
            f.session(session_id, &frame);
        }
        let _ = self.sender(session_id).send(Arc::new(frame));
    }

    /// Sends `frame` to this instance's user channel only (what it reports lives here).
    pub fn publish_user_here(&self, frame: UserFrame) {
        let _ = self.user.send(Arc::new(frame));
    }

    /// Publishes a frame on the per-user channel (here and on other instances).
    pub fn publish_user(&self, frame: UserFrame) {
        if let Some(f) = self.fanout() {
            f.user(&frame);
        }
        let _ = self.user.send(Arc::new(frame));
    }

    /// Registers a turn that starts writing `message`.
    pub(crate) fn begin_turn(&self, session_id: SessionId, chat_id: ChatId, message: Message) {
        let live = LiveTurn {
            session_id,
            builder: MessageBuilder::new(message),
            seq: 0,
        };
        lock(&self.live).insert(chat_id, Arc::new(Mutex::new(live)));
    }

    /// The live turn of a chat, if one runs.
    pub(crate) fn live(&self, chat_id: ChatId) -> Option<Arc<Mutex<LiveTurn>>> {
        lock(&self.live).get(&chat_id).cloned()
    }

    /// Forgets a finished turn.
    pub(crate) fn end_turn(&self, chat_id: ChatId) {
        lock(&self.live).remove(&chat_id);
    }

    /// Folds an event into its turn, numbers it and publishes it, atomically with respect to
    /// snapshots.
    pub(crate) fn publish_event(&self, chat_id: ChatId, event: AgentEvent) {
        let Some(turn) = self.live(chat_id) else {
            return;
        };
        let mut turn = lock(&turn);
        turn.builder.apply(&event);
        turn.seq += 1;
        let frame = SessionFrame::Event {
            chat_id,
            message_id: turn.builder.message().id,
            seq: turn.seq,
            event,
        };
        let session_id = turn.session_id;
        // Sent under the lock so no snapshot can fall between the fold and the send.
        self.publish_session(session_id, frame);
    }

    /// Subscribes to a session: the receiver, then snapshots of its running turns (taken after
    /// subscribing), as `(chat, message, seq)`.
    pub fn subscribe_session(
        &self,
        session_id: SessionId,
    ) -> (broadcast::Receiver<Arc<SessionFrame>>, Vec<Snapshot>) {
        let rx = self.sender(session_id).subscribe();
        let snapshots = self.snapshots(session_id);
        (rx, snapshots)
    }

    /// Snapshots of a session's running turns.
    pub fn snapshots(&self, session_id: SessionId) -> Vec<Snapshot> {
        let turns: Vec<(ChatId, Arc<Mutex<LiveTurn>>)> = lock(&self.live)
            .iter()
            .map(|(c, t)| (*c, t.clone()))
            .collect();
        turns
            .into_iter()
            .filter_map(|(chat, turn)| {
                let turn = lock(&turn);
                (turn.session_id == session_id)
                    .then(|| (chat, turn.builder.message().clone(), turn.seq))
            })
            .collect()
    }

    /// Subscribes to the per-user channel.
    pub fn subscribe_user(&self) -> broadcast::Receiver<Arc<UserFrame>> {
        self.user.subscribe()
    }
}
