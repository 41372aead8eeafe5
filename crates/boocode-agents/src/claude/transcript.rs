//! Transcripts: which store key a mirrored transcript file belongs to, and writing a stored
//! session back to disk so a fresh process can resume it.

use crate::backend::AgentError;
use boocode_store::{SessionKey, TranscriptStore};
use serde_json::Value;

/// The store key of a transcript file the CLI wrote under `<config>/projects`:
/// `<pk>/<sid>.jsonl` is the main transcript, `<pk>/<sid>/<a>/…/<name>.jsonl` a subpath.
pub(super) fn key_for_transcript(config_dir: &std::path::Path, file: &str) -> Option<SessionKey> {
    let relative = std::path::Path::new(file)
        .strip_prefix(config_dir.join("projects"))
        .ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [pk, name] => Some(SessionKey::main(
            pk.clone(),
            name.strip_suffix(".jsonl")?.to_owned(),
        )),
        [pk, sid, rest @ ..] if rest.len() >= 2 => {
            let mut sub: Vec<String> = rest.to_vec();
            let last = sub.pop()?;
            sub.push(last.strip_suffix(".jsonl")?.to_owned());
            Some(SessionKey::sub(pk.clone(), sid.clone(), sub.join("/")))
        }
        _ => None,
    }
}

/// Writes a stored session into `<dir>/projects/<pk>/<sid>.jsonl` (and its subpaths) so a fresh
/// process can `--resume` it. Returns false when the store has nothing for it.
pub(super) async fn materialize(
    store: &dyn TranscriptStore,
    dir: &std::path::Path,
    project_key: &str,
    session_id: &str,
) -> Result<bool, AgentError> {
    let io =
        |e: std::io::Error| AgentError::Agent(format!("cannot write the resumed transcript: {e}"));
    let store_err = |e: boocode_store::StoreError| {
        AgentError::Agent(format!("cannot load the transcript: {e}"))
    };
    let Some(entries) = store
        .load(&SessionKey::main(project_key, session_id))
        .await
        .map_err(store_err)?
    else {
        return Ok(false);
    };
    let base = dir.join("projects").join(project_key);
    std::fs::create_dir_all(&base).map_err(io)?;
    let write = |path: &std::path::Path, entries: &[Value]| -> Result<(), AgentError> {
        let text: String = entries.iter().map(|e| format!("{e}\n")).collect();
        std::fs::write(path, text).map_err(io)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)
    };
    write(&base.join(format!("{session_id}.jsonl")), &entries)?;
    for sub in store
        .list_subkeys(project_key, session_id)
        .await
        .map_err(store_err)?
    {
        let key = SessionKey::sub(project_key, session_id, sub.clone());
        if key.validate().is_err() {
            continue;
        }
        if let Some(entries) = store.load(&key).await.map_err(store_err)? {
            let path = base.join(session_id).join(format!("{sub}.jsonl"));
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            write(&path, &entries)?;
        }
    }
    Ok(true)
}
