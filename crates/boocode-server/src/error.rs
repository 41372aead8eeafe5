//! [`ApiError`]: one stable JSON shape for every failure, `{"error": {"code", "message"}}`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use boocode_store::StoreError;
use serde_json::json;

/// The error body every failure shares (for the OpenAPI document).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

/// The inside of [`ErrorBody`].
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// A stable machine-readable code.
    code: String,
    /// What went wrong.
    message: String,
}

/// A failed request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// A stable machine-readable code (`not_found`, `invalid_field`, `turn_running`, …).
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 naming the bad field.
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_field",
            format!("{field}: {message}"),
        )
    }

    /// 404.
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} {id} does not exist"),
        )
    }

    /// 409.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 500 (details go to the log, not the client).
    pub fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(%message, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }

    /// 401.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "authentication required",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({ "error": { "code": self.code, "message": self.message } })),
        )
            .into_response();
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body was never read, so the connection cannot carry another
            // request; say so, or a client reusing it gets a torn reply.
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => ApiError::not_found(what, id),
            StoreError::Invalid { field, message } => ApiError::invalid(field, message),
            StoreError::Conflict(m) => ApiError::conflict("conflict", m),
            StoreError::Closed | StoreError::Unavailable(_) => {
                tracing::error!(error = %e, "store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the database is unavailable",
                )
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<boocode_runtime::RuntimeError> for ApiError {
    fn from(e: boocode_runtime::RuntimeError) -> Self {
        use boocode_runtime::RuntimeError;
        match e {
            RuntimeError::ShuttingDown => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                e.to_string(),
            ),
            RuntimeError::TurnRunning(m) => ApiError::conflict("turn_running", m),
            RuntimeError::UnknownPrompt(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            RuntimeError::PromptClosed { state, .. } => ApiError::conflict(state, e.to_string()),
            RuntimeError::Store(store) => store.into(),
            RuntimeError::Invalid(m) => ApiError::new(StatusCode::BAD_REQUEST, "invalid", m),
            RuntimeError::Conflict(m) => ApiError::conflict("conflict", m),
            RuntimeError::WorktreeGone(_) => ApiError::conflict("worktree_gone", e.to_string()),
            RuntimeError::Worktree(boocode_worktree::WorktreeError::NotFound(id)) => {
                ApiError::not_found("worktree", id)
            }
            RuntimeError::Worktree(
                w @ (boocode_worktree::WorktreeError::Refused { .. }
                | boocode_worktree::WorktreeError::Project { .. }),
            ) => ApiError::invalid("worktree", w),
            other => ApiError::internal(other),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                // serde's message names the field ("missing field `text`", "unknown field …").
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_field", e.body_text())
            }
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_type",
                "send the body as JSON with Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(e) => unreadable_body(e.status(), e.body_text()),
            other => ApiError::new(other.status(), "bad_request", other.body_text()),
        }
    }
}

/// A body that could not be read: too large (413, the connection then closes) or broken.
fn unreadable_body(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the request body is too large",
        )
    } else {
        ApiError::new(status, "bad_body", text)
    }
}

impl From<boocode_tools::ChangeError> for ApiError {
    fn from(e: boocode_tools::ChangeError) -> Self {
        use boocode_tools::ChangeError;
        match e {
            ChangeError::Unknown(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            ChangeError::WrongState { .. } => ApiError::conflict("wrong_state", e.to_string()),
            ChangeError::Conflict { .. } => ApiError::conflict("conflict", e.to_string()),
            other => ApiError::internal(other),
        }
    }
}

/// JSON body extractor whose rejections use the API's error shape. The body must be sent as
/// `application/json`; an empty body reads as `{}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        if !crate::http_guard::is_json(request.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| unreadable_body(e.status(), e.body_text()))?;
        let body: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        let axum::Json(value) = axum::Json::<T>::from_bytes(body)?;
        Ok(ApiJson(value))
    }
}

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}
