//! Built without the `postgres` feature, a runtime has no other instances to reach: there is no
//! fanout, and [`PgFanout`] has no values.

use crate::state::Runtime;
use boocode_core::{CancellationToken, ChatId, PermissionDecision};
use std::sync::Arc;

/// Uninhabited: without Postgres no fanout is ever made.
#[derive(Debug)]
pub(crate) enum PgFanout {}

impl PgFanout {
    pub(crate) fn answer(&self, _request_id: &str, _decision: PermissionDecision) {
        match *self {}
    }

    pub(crate) fn stop(&self, _chat_id: ChatId) {
        match *self {}
    }
}

/// No other instances: never a fanout.
pub(crate) async fn start(
    _state: &Runtime,
    _stop: CancellationToken,
) -> Result<Option<Arc<PgFanout>>, boocode_store::StoreError> {
    Ok(None)
}
