//! `fs/*` requests from the agent, served through the path and secret guards.

use agent_client_protocol::ErrorCode;
use agent_client_protocol::v1::schema::{ReadTextFileRequest, WriteTextFileRequest};
use boocode_tools::{Access, ToolEnv};

/// The largest file `fs/read_text_file` returns.
const MAX_FS_READ: usize = 8 * 1024 * 1024;

/// Serves `fs/read_text_file`: guarded, secrets refused, `line` (1-based) and `limit` applied.
pub(super) fn read_text(
    env: &ToolEnv,
    request: &ReadTextFileRequest,
) -> Result<String, agent_client_protocol::Error> {
    let path = request.path.to_string_lossy();
    let file = boocode_tools::read_file(env, &path, MAX_FS_READ).map_err(|e| {
        agent_client_protocol::Error::new(ErrorCode::RESOURCE_NOT_FOUND, e.to_string())
    })?;
    let Some(text) = file.text else {
        return Err(agent_client_protocol::Error::new(
            ErrorCode::INVALID_PARAMS,
            format!("{} is binary, not text", file.path),
        ));
    };
    if file.truncated {
        return Err(agent_client_protocol::Error::new(
            ErrorCode::INVALID_PARAMS,
            format!(
                "{} is {} bytes, over the {MAX_FS_READ}-byte limit for fs/read_text_file",
                file.path, file.size
            ),
        ));
    }
    if request.line.is_none() && request.limit.is_none() {
        return Ok(text);
    }
    let skip = request.line.map_or(0, |l| l.saturating_sub(1)) as usize;
    let take = request.limit.map_or(usize::MAX, |l| l as usize);
    Ok(text.split_inclusive('\n').skip(skip).take(take).collect())
}

/// An `invalid params` error carrying `message` (a refused path, a refused write).
pub(super) fn refused(message: &str) -> agent_client_protocol::Error {
    agent_client_protocol::Error::new(ErrorCode::INVALID_PARAMS, message.to_owned())
}

/// Serves `fs/write_text_file`: inside the project only, never a secret, parents created, the
/// file replaced atomically with its permission bits kept.
pub(super) fn write_text(
    env: &ToolEnv,
    request: &WriteTextFileRequest,
) -> Result<(), agent_client_protocol::Error> {
    use std::os::unix::fs::PermissionsExt;
    let path = request.path.to_string_lossy();
    if request.content.len() > boocode_tools::WRITE_MAX_BYTES {
        return Err(refused(&format!(
            "refused {path}: the content is {} bytes, over the {}-byte write limit",
            request.content.len(),
            boocode_tools::WRITE_MAX_BYTES
        )));
    }
    let guarded = env
        .paths()
        .resolve(&path, Access::Write)
        .map_err(|e| refused(&e.to_string()))?;
    if let Some(pattern) = env.secret_rule(&guarded) {
        return Err(refused(&format!(
            "refused {path}: it matches the secret deny list ({pattern})"
        )));
    }
    let mode = std::fs::metadata(guarded.as_path())
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(boocode_tools::DEFAULT_FILE_MODE);
    env.paths()
        .replace_file(&guarded, request.content.as_bytes(), mode)
        .map_err(|e| refused(&e.to_string()))
}
