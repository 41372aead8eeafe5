//! The router.

mod arenas;
mod chats;
mod files;
mod openapi;
pub use openapi::openapi_document;
pub(crate) mod providers;
mod rest;
pub(crate) mod setup;
mod terminals;
mod usage;
mod web;
mod ws;

use crate::auth;
use crate::http_guard::{RouteInfo, Routes};
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;

/// The API's routes (under `/api`) and the pages', each recorded.
fn routes() -> (Router<AppState>, Vec<RouteInfo>) {
    let (api, mut list) = Routes::new("/api")
        .get("/health", rest::health)
        .get("/openapi.json", openapi::openapi)
        .get("/projects", rest::list_projects)
        .post("/projects", rest::create_project)
        .patch("/projects/{id}", rest::patch_project)
        .get("/projects/{id}/files", files::list_files)
        .get("/projects/{id}/file", files::read_project_file)
        .get("/projects/{id}/paths", files::find_paths)
        .get("/agents", files::list_global_agents)
        .get("/projects/{id}/agents", files::list_agents)
        .get("/projects/{id}/skills", files::list_skills)
        .get("/projects/{id}/changes", chats::list_project_changes)
        .get("/projects/{id}/sessions", rest::list_sessions)
        .post("/projects/{id}/sessions", rest::create_session)
        .get("/sessions/{id}", rest::get_session)
        .patch("/sessions/{id}", rest::patch_session)
        .post("/sessions/{id}/chats", rest::create_chat)
        .get("/sessions/{id}/workspace", rest::get_workspace)
        .put("/sessions/{id}/workspace", rest::put_workspace)
        .get("/sessions/{id}/ws", ws::session_ws)
        .get("/sessions/{id}/terminals", terminals::list)
        .get("/inbox/terminals", terminals::waiting)
        .post("/sessions/{id}/terminals", terminals::create)
        .patch("/terminals/{id}", terminals::rename)
        .delete("/terminals/{id}", terminals::close)
        .post("/terminals/{id}/input", terminals::input)
        .get("/terminals/{id}/ws", terminals::socket)
        .get("/chats/{id}", chats::get_chat)
        .patch("/chats/{id}", rest::patch_chat)
        .delete("/chats/{id}/worktree", chats::discard_worktree)
        .post("/chats/{id}/merge", chats::merge_child)
        .post("/sessions/{id}/arenas", arenas::start_arena)
        .get("/projects/{id}/arenas", arenas::list_arenas)
        .get("/projects/{id}/leaderboard", arenas::leaderboard)
        .get("/arenas/{id}", arenas::get_arena)
        .delete("/arenas/{id}", arenas::discard_arena)
        .post("/arenas/{id}/pick", arenas::pick_arena)
        .post("/arenas/{id}/rerun", arenas::rerun_arena)
        .get("/chats/{id}/changes", chats::list_changes)
        .post("/chats/{id}/changes/{op}", chats::change_operation)
        .get("/chats/{id}/queue", chats::list_queue)
        .delete("/chats/{id}/queue/{queued_id}", chats::cancel_queued)
        .get("/chats/{id}/messages", rest::list_messages)
        .post("/chats/{id}/messages", rest::post_message)
        .post("/chats/{id}/stop", rest::stop)
        .post("/chats/{id}/discard-stale", rest::discard_stale)
        .get("/settings", rest::list_settings)
        .put("/settings/{key}", rest::put_setting)
        .delete("/settings/{key}", rest::delete_setting)
        .get("/stats/tools", rest::tool_stats)
        .get("/usage", usage::usage)
        .get("/inbox", chats::inbox)
        .post("/inbox/{request_id}", chats::answer)
        .get("/models", rest::models)
        .get("/providers", providers::providers)
        .get("/setup", setup::setup)
        .post("/setup/test", setup::test)
        .put("/setup/endpoint", setup::save)
        .get("/user/ws", ws::user_ws)
        .finish();
    let (pages, pages_list) = Routes::new("")
        .get("/login", auth::login_page)
        .post("/login", auth::login)
        .get("/artifact-frame", web::artifact_frame)
        .finish();
    list.extend(pages_list);
    let router = Router::new()
        .nest("/api", api.fallback(rest::not_found))
        .merge(pages);
    (router, list)
}

/// Every route the server answers (method and path), for tests that walk them all.
pub fn route_list() -> Vec<RouteInfo> {
    routes().1
}

/// Every route, with the request guard (Host, Origin, JSON), authentication and body limits
/// applied.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.body_limit;
    let mut policy = crate::http_guard::RequestPolicy::new(
        state.config.authenticates(),
        &state.config.allowed_hosts,
        &state.config.allowed_origins,
    );
    policy.form_paths = vec!["/login"];
    let router = routes()
        .0
        .fallback(web::serve)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_auth,
        ));
    // Outermost: Host, Origin and content type are checked before anything else runs.
    crate::http_guard::layer(router, policy).with_state(state)
}
