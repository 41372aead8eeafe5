//! `GET /api/providers`: the provider registry and whether each can run here, for the composer's
//! picker. Probing starts programs (an ACP agent's handshake), so the answer is kept for a
//! while; `?refresh=true` probes again.

use crate::error::{ApiError, ApiJson};
use crate::state::AppState;
use axum::extract::{Query, State};
use boocode_agents::{ProbeLimits, ProbeStatus, probe_all};
use boocode_core::protocol::{ProviderInfo, ProviderState};
use serde::Deserialize;
use std::time::{Duration, Instant};

/// How long a probe's answer is used before probing again.
const PROBE_TTL: Duration = Duration::from_secs(300);

/// The last probe's answer and when it was made.
#[derive(Debug, Default)]
pub(crate) struct ProbeCache(tokio::sync::Mutex<Option<(Instant, Vec<ProviderInfo>)>>);

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProvidersQuery {
    /// Probe again instead of using the last answer (at most five minutes old).
    #[serde(default)]
    refresh: bool,
}

fn info(provider: &boocode_agents::Provider, status: ProbeStatus) -> ProviderInfo {
    let kind = serde_json::to_value(provider.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let (state, version, reason) = match status {
        ProbeStatus::Ready { version, .. } => (ProviderState::Ready, version, None),
        ProbeStatus::Missing { command } => (
            ProviderState::Missing,
            None,
            Some(format!("`{command}` is not on the server's PATH")),
        ),
        ProbeStatus::Broken { version, reason } => (ProviderState::Broken, version, Some(reason)),
        _ => (
            ProviderState::Disabled,
            None,
            Some("turned off in the settings".to_owned()),
        ),
    };
    let install = (state == ProviderState::Missing)
        .then(|| provider.install_hint().map(str::to_owned))
        .flatten();
    ProviderInfo {
        name: provider.name.clone(),
        kind,
        state,
        version,
        reason,
        install,
    }
}

/// `GET /api/providers?refresh=`: every configured provider with its state.
#[utoipa::path(get, path = "/api/providers", tag = "server", params(ProvidersQuery), responses((status = 200, body = Vec<ProviderInfo>)))]
pub(crate) async fn providers(
    State(state): State<AppState>,
    Query(q): Query<ProvidersQuery>,
) -> Result<ApiJson<Vec<ProviderInfo>>, ApiError> {
    // One probe at a time: callers that arrive during one get its answer.
    let mut cached = state.probes.0.lock().await;
    if let Some((at, list)) = cached.as_ref()
        && !q.refresh
        && at.elapsed() < PROBE_TTL
    {
        return Ok(ApiJson(list.clone()));
    }
    let probed = probe_all(&state.config.runtime.providers, ProbeLimits::default()).await;
    let list: Vec<ProviderInfo> = probed.into_iter().map(|(p, s)| info(&p, s)).collect();
    *cached = Some((Instant::now(), list.clone()));
    Ok(ApiJson(list))
}
