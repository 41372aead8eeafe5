//! [`EventSink`]: where a turn sends its [`AgentEvent`]s.

use crate::event::AgentEvent;
use std::sync::Mutex;

/// Receives the events of a turn as they happen.
///
/// `emit` must not block: sinks hand events on to channels or buffers. Persistence, WebSocket
/// fan-out and terminal printing all subscribe through this trait.
pub trait EventSink: Send + Sync {
    /// Takes one event.
    fn emit(&self, event: AgentEvent);
}

impl EventSink for tokio::sync::mpsc::UnboundedSender<AgentEvent> {
    fn emit(&self, event: AgentEvent) {
        // A closed receiver means nobody listens any more; the turn goes on regardless.
        let _ = self.send(event);
    }
}

impl EventSink for tokio::sync::broadcast::Sender<AgentEvent> {
    fn emit(&self, event: AgentEvent) {
        let _ = self.send(event);
    }
}

/// A sink that calls a closure.
pub struct FnSink<F>(pub F);

impl<F: Fn(AgentEvent) + Send + Sync> EventSink for FnSink<F> {
    fn emit(&self, event: AgentEvent) {
        (self.0)(event)
    }
}

/// A sink that drops every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&self, _event: AgentEvent) {}
}

/// A sink that keeps every event in memory, for tests and one-shot callers.
#[derive(Debug, Default)]
pub struct CollectSink {
    events: Mutex<Vec<AgentEvent>>,
}

impl CollectSink {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the events so far.
    pub fn events(&self) -> Vec<AgentEvent> {
        match self.events.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl EventSink for CollectSink {
    fn emit(&self, event: AgentEvent) {
        match self.events.lock() {
            Ok(mut guard) => guard.push(event),
            Err(poisoned) => poisoned.into_inner().push(event),
        }
    }
}

impl<S: EventSink + ?Sized> EventSink for std::sync::Arc<S> {
    fn emit(&self, event: AgentEvent) {
        (**self).emit(event)
    }
}

impl<S: EventSink + ?Sized> EventSink for &S {
    fn emit(&self, event: AgentEvent) {
        (**self).emit(event)
    }
}
