//! The OpenAPI document, generated from the handlers' annotations (utoipa).

use super::{arenas, chats, files, providers, rest, setup, terminals, usage};
use crate::error::ApiJson;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "BooCode", description = "The BooCode server's REST API (the workspace and the coder daemon serve the same routes). Live updates arrive over WebSockets at /api/sessions/{id}/ws (SessionFrame) and /api/user/ws (UserFrame); their TypeScript types are in web/src/generated/types.ts."),
    paths(
        rest::health, rest::list_projects, rest::create_project, rest::patch_project,
        rest::list_sessions, rest::create_session, rest::get_session, rest::patch_session,
        rest::create_chat, rest::patch_chat, rest::list_messages, rest::post_message, rest::stop,
        rest::discard_stale, rest::get_workspace, rest::put_workspace, rest::list_settings,
        rest::put_setting, rest::delete_setting, rest::tool_stats, rest::models,
        files::list_files, files::read_project_file, files::find_paths, files::list_global_agents, files::list_agents, files::list_skills, chats::get_chat, chats::discard_worktree, chats::merge_child, chats::list_changes, chats::list_project_changes,
        chats::change_operation, chats::list_queue, chats::cancel_queued, usage::usage, chats::inbox, chats::answer, providers::providers,
        setup::setup, setup::test, setup::save,
        arenas::start_arena, arenas::list_arenas, arenas::leaderboard, arenas::get_arena, arenas::pick_arena, arenas::rerun_arena, arenas::discard_arena,
        terminals::create, terminals::list, terminals::waiting, terminals::rename, terminals::close, terminals::input,
    ),
    tags(
        (name = "projects"), (name = "sessions"), (name = "chats"), (name = "settings"), (name = "server"), (name = "terminals"), (name = "arenas"),
    )
)]
struct ApiDoc;

/// `GET /api/openapi.json`.
pub(crate) async fn openapi() -> ApiJson<utoipa::openapi::OpenApi> {
    ApiJson(ApiDoc::openapi())
}

/// The OpenAPI document the server serves at `/api/openapi.json` (the web client's typed API
/// is generated from it).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
