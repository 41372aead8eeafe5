//! `GET /api/usage`: the usage ledger, grouped by provider, model or day.

use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::state::AppState;
use axum::extract::{Query, State};
use boocode_core::{ProjectId, SessionId};
use boocode_store::{UsageGroup, UsageRow};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UsageQuery {
    /// Only this project's turns.
    #[serde(default)]
    project: Option<String>,
    /// Only the turns of this session's chats.
    #[serde(default)]
    session: Option<String>,
    /// Only turns since this time (milliseconds since the epoch).
    #[serde(default)]
    since: Option<i64>,
    /// `provider` (default), `model` or `day` (UTC).
    #[serde(default)]
    group_by: Option<String>,
}

/// The report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct UsageReport {
    #[schema(value_type = String)]
    group_by: UsageGroup,
    #[schema(value_type = Vec<Object>)]
    rows: Vec<UsageRow>,
}

/// `GET /api/usage?project=&session=&since=&group_by=provider|model|day`.
#[utoipa::path(get, path = "/api/usage", tag = "server", params(UsageQuery), responses((status = 200, body = UsageReport), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn usage(
    State(state): State<AppState>,
    Query(query): Query<UsageQuery>,
) -> Result<ApiJson<UsageReport>, ApiError> {
    let root = match query.project.as_deref().filter(|p| !p.is_empty()) {
        Some(raw) => {
            let id: ProjectId = raw
                .parse()
                .map_err(|_| ApiError::invalid("project", format!("{raw:?} is not a valid id")))?;
            Some(state.runtime.store.get_project(id).await?.root)
        }
        None => None,
    };
    let group_by = match query.group_by.as_deref() {
        None | Some("") | Some("provider") => UsageGroup::Provider,
        Some("model") => UsageGroup::Model,
        Some("day") => UsageGroup::Day,
        Some(other) => {
            return Err(ApiError::invalid(
                "group_by",
                format!("{other:?} is not provider, model or day"),
            ));
        }
    };
    let session = match query.session.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => {
            let id: SessionId = raw
                .parse()
                .map_err(|_| ApiError::invalid("session", format!("{raw:?} is not a valid id")))?;
            state.runtime.store.get_session(id).await?;
            Some(id)
        }
        None => None,
    };
    let rows = state
        .runtime
        .store
        .usage_report_of(root.as_deref(), session, query.since.unwrap_or(0), group_by)
        .await?;
    Ok(ApiJson(UsageReport { group_by, rows }))
}
