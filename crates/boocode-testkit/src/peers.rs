//! Real peer programs the tests drive, installed from `tests/peers/package.json` by
//! `scripts/test` (pinned versions, into `tests/peers/node_modules`).

use std::path::PathBuf;

/// The installed peer binary `name`. Missing: `None` after a loud message — or a panic under
/// `CI`, which must never skip the real-peer tests.
#[allow(clippy::print_stderr)]
pub fn peer_bin(name: &str) -> Option<PathBuf> {
    let root =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers/node_modules/.bin");
    let path = root.join(name);
    if path.exists() {
        return path.canonicalize().ok().or(Some(path));
    }
    let message = format!(
        "peer `{name}` is not installed (run `npm ci --prefix tests/peers`, as scripts/test does)"
    );
    if std::env::var_os("CI").is_some() {
        panic!("{message}; CI requires the real-peer tests to run");
    }
    eprintln!("SKIPPED (peer): {message}");
    None
}

/// An `opencode.json` that points opencode at an OpenAI-compatible server at `base_url` (a
/// scripted one) as model `scripted/scripted-model`, asking before edits and shell commands.
pub fn opencode_config(base_url: &str) -> serde_json::Value {
    serde_json::json!({
        "$schema": "https://opencode.ai/config.json",
        "provider": {
            "scripted": {
                "npm": "@ai-sdk/openai-compatible",
                "name": "Scripted",
                "options": {"baseURL": format!("{base_url}/v1"), "apiKey": "sk-test"},
                "models": {"scripted-model": {"name": "Scripted model"}}
            }
        },
        "model": "scripted/scripted-model",
        "small_model": "scripted/scripted-model",
        "permission": {"edit": "ask", "bash": "ask"},
        "autoupdate": false,
        "share": "disabled"
    })
}
