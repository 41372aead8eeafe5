//! What a server sends its clients: [`SessionFrame`]s on a session's stream and [`UserFrame`]s on
//! the per-user channel. Plain data, generated into TypeScript with the rest of the types.

use crate::domain::{Chat, ChatId, Message, MessageId, Session, SessionId};
use crate::event::{AgentEvent, ChatStatus};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A frame on one session's WebSocket stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SessionFrame {
    /// The state of a turn that is running, sent on (re)connect. Events with `seq` up to and
    /// including this one are already folded into `message`; live events follow.
    Snapshot {
        /// The chat.
        chat_id: ChatId,
        /// The partial assistant message.
        message: Message,
        /// The last event folded in.
        seq: u64,
    },
    /// One event of a running turn. `seq` counts up from 1 within the turn.
    Event {
        /// The chat.
        chat_id: ChatId,
        /// The assistant message the turn writes.
        message_id: MessageId,
        /// Position in the turn's event sequence.
        seq: u64,
        /// The event.
        event: AgentEvent,
    },
    /// A message was stored (the user's message, the turn's empty assistant row, a summary).
    MessageCreated {
        /// The chat.
        chat_id: ChatId,
        /// The message as stored.
        message: Message,
    },
    /// A turn's message reached its final state.
    MessageFinished {
        /// The chat.
        chat_id: ChatId,
        /// The final message.
        message: Message,
    },
    /// Sent once after connecting: the subscription is live.
    Ready {
        /// The session.
        session_id: SessionId,
    },
    /// The messages waiting for a chat's running turn to end changed (one was queued, taken
    /// to run, or cancelled); `queue` is the whole queue now, oldest first.
    QueueChanged {
        /// The chat.
        chat_id: ChatId,
        /// What waits, in the order it will run.
        queue: Vec<QueuedMessage>,
    },
    /// A chat's pending changes changed (one was proposed, applied, rejected or rewound);
    /// `changes` is the whole list now, in proposal order.
    ChangesChanged {
        /// The chat.
        chat_id: ChatId,
        /// Every change of the chat, in whatever state.
        changes: Vec<crate::protocol::ChangeView>,
    },
}

/// A message sent while a turn ran: it waits and runs as the chat's next turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuedMessage {
    /// Stable id (for cancelling it).
    pub id: String,
    /// The chat it waits in.
    pub chat_id: ChatId,
    /// What the user wrote.
    pub text: String,
    /// When it was queued.
    pub created_at: crate::domain::Timestamp,
}

/// A frame on the per-user channel: what a sidebar needs to stay current across tabs and devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum UserFrame {
    /// Sent once after connecting: the subscription is live.
    Ready {
        /// How many permission prompts wait for an answer now.
        inbox_waiting: u64,
        /// How many chats' agent terminals wait for input now.
        #[serde(default)]
        terminals_waiting: u64,
    },
    /// This client fell behind and missed frames: it refetches what it shows.
    Resync,
    /// A session was created.
    SessionCreated {
        /// The session.
        session: Session,
    },
    /// A session was renamed, archived or unarchived.
    SessionUpdated {
        /// The session as it is now.
        session: Session,
    },
    /// A chat was created.
    ChatCreated {
        /// The chat.
        chat: Chat,
    },
    /// A chat's status changed.
    ChatStatus {
        /// The session holding the chat.
        session_id: SessionId,
        /// The chat.
        chat_id: ChatId,
        /// Its status.
        status: ChatStatus,
    },
    /// The permission prompts waiting for an answer changed (one was asked, answered or
    /// expired, on any instance): `waiting` is how many wait now.
    InboxChanged {
        /// How many prompts wait.
        waiting: u64,
    },
    /// The chats' agent terminals waiting for input on this instance changed: `waiting` is
    /// how many wait now (list them with `GET /api/inbox/terminals`).
    TerminalsWaiting {
        /// How many agent terminals wait for input.
        waiting: u64,
    },
    /// An arena started, one of its contenders moved on, or it was picked or discarded.
    ArenaUpdated {
        /// The arena as it is now.
        arena: crate::arena::Arena,
    },
    /// A session's workspace layout was saved.
    WorkspaceUpdated {
        /// The session.
        session_id: SessionId,
        /// The layout document.
        #[cfg_attr(feature = "typescript", ts(type = "unknown"))]
        panes: serde_json::Value,
        /// An id of the client that saved it, so it can ignore its own echo.
        origin: Option<String>,
    },
}
