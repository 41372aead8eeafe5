//! Steering: messages a user sends while a native turn runs, taken into the turn's history at
//! the next step boundary (before the next model request) instead of waiting for the turn to
//! end.

use std::sync::{Arc, Mutex};

/// A turn's steering inbox: cheap to clone, shared by whoever sends and the running loop.
#[derive(Debug, Clone, Default)]
pub struct Steering(Arc<Mutex<Vec<String>>>);

impl Steering {
    /// An empty inbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a message; the loop takes it at its next step boundary.
    pub fn push(&self, text: impl Into<String>) {
        self.lock().push(text.into());
    }

    /// Takes every message not yet taken, oldest first.
    pub fn drain(&self) -> Vec<String> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
