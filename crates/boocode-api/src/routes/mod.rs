//! The router.

mod openapi;
mod rest;
mod web;
mod ws;

use crate::auth;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

/// Every route, with authentication and body limits applied.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(rest::health))
        .route("/openapi.json", get(openapi::openapi))
        .route(
            "/projects",
            get(rest::list_projects).post(rest::create_project),
        )
        .route("/projects/{id}", axum::routing::patch(rest::patch_project))
        .route("/projects/{id}/files", get(rest::list_files))
        .route("/projects/{id}/file", get(rest::read_project_file))
        .route(
            "/projects/{id}/sessions",
            get(rest::list_sessions).post(rest::create_session),
        )
        .route(
            "/sessions/{id}",
            get(rest::get_session).patch(rest::patch_session),
        )
        .route("/sessions/{id}/chats", post(rest::create_chat))
        .route(
            "/sessions/{id}/workspace",
            get(rest::get_workspace).put(rest::put_workspace),
        )
        .route("/sessions/{id}/ws", get(ws::session_ws))
        .route("/chats/{id}", axum::routing::patch(rest::patch_chat))
        .route(
            "/chats/{id}/messages",
            get(rest::list_messages).post(rest::post_message),
        )
        .route("/chats/{id}/stop", post(rest::stop))
        .route("/chats/{id}/discard-stale", post(rest::discard_stale))
        .route("/settings", get(rest::list_settings))
        .route(
            "/settings/{key}",
            axum::routing::put(rest::put_setting).delete(rest::delete_setting),
        )
        .route("/stats/tools", get(rest::tool_stats))
        .route("/models", get(rest::models))
        .route("/user/ws", get(ws::user_ws))
        .fallback(rest::not_found);
    let body_limit = state.config.body_limit;
    Router::new()
        .nest("/api", api)
        .route("/login", get(auth::login_page).post(auth::login))
        .fallback(web::serve)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_auth,
        ))
        .with_state(state)
}
