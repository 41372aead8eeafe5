//! The server's side of what a turn starts from: the agent registry per project (re-read when
//! its files change), the last system prompt of each chat (for drift warnings) and session
//! auto-naming. The prompt itself and the compaction policy are `boocode_core::context`'s.

use boocode_core::{AgentRegistry, CancellationToken, ChatId, Message, ModelClient, ModelRequest};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use boocode_core::context::clip;
pub(crate) use boocode_core::{SystemPrompt, needs_compaction, summarize, summary_message};

type Signature = Vec<(PathBuf, Option<SystemTime>, u64)>;

/// Per-server context state.
#[derive(Debug, Default)]
pub(crate) struct ContextState {
    config_dir: Option<PathBuf>,
    agents: Mutex<HashMap<PathBuf, (Signature, AgentRegistry)>>,
    fingerprints: Mutex<HashMap<ChatId, SystemPrompt>>,
}

fn agent_dirs(config_dir: Option<&Path>, project_root: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = config_dir {
        dirs.push(dir.join("agents"));
    }
    dirs.push(project_root.join(".boocode/agents"));
    dirs
}

fn signature(dirs: &[PathBuf]) -> Signature {
    let mut sig = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "md") {
                let meta = entry.metadata().ok();
                sig.push((
                    path,
                    meta.as_ref().and_then(|m| m.modified().ok()),
                    meta.map_or(0, |m| m.len()),
                ));
            }
        }
    }
    sig.sort();
    sig
}

impl ContextState {
    pub(crate) fn new(config_dir: Option<PathBuf>) -> Self {
        Self {
            config_dir,
            ..Self::default()
        }
    }

    /// The agents for a project: global ones, overridden by the project's; re-read when any
    /// definition file is added, removed or modified.
    pub(crate) fn agents(&self, project_root: &Path) -> AgentRegistry {
        let dirs = agent_dirs(self.config_dir.as_deref(), project_root);
        let sig = signature(&dirs);
        let mut cache = match self.agents.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some((cached, registry)) = cache.get(project_root)
            && *cached == sig
        {
            return registry.clone();
        }
        let (registry, errors) =
            boocode_tools::load_agents(&dirs, &boocode_tools::SecretGuard::default());
        for e in errors {
            tracing::warn!(error = %e, "skipping a bad agent definition");
        }
        cache.insert(project_root.to_owned(), (sig, registry.clone()));
        registry
    }

    /// Assembles the system prompt for a turn (the same function every runner uses).
    pub(crate) fn system_prompt(
        &self,
        project_name: &str,
        project_root: &Path,
        agent: Option<&boocode_core::AgentDef>,
    ) -> SystemPrompt {
        boocode_tools::system_prompt(
            project_name,
            project_root,
            self.config_dir.as_deref(),
            agent,
        )
    }

    /// Logs the prompt's fingerprint, and a warning naming the changed inputs when it differs
    /// from the chat's previous turn (a cache-busting prompt change is worth knowing about).
    pub(crate) fn note_prompt(&self, chat_id: ChatId, prompt: &SystemPrompt) {
        let mut seen = match self.fingerprints.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        match seen
            .get(&chat_id)
            .map(|previous| (previous, prompt.drift_from(previous)))
        {
            Some((previous, changed)) if !changed.is_empty() => {
                tracing::warn!(%chat_id, fingerprint = %prompt.fingerprint, previous = %previous.fingerprint,
                    changed = %changed.join(", "), "system prompt drifted between turns");
            }
            _ => tracing::info!(%chat_id, fingerprint = %prompt.fingerprint, "system prompt"),
        }
        seen.insert(chat_id, prompt.clone());
    }
}

/// Asks the model for a title of about four words.
pub(crate) async fn title_for(
    model: &dyn ModelClient,
    model_id: Option<String>,
    question: &str,
    answer: &str,
) -> Option<String> {
    let mut request = ModelRequest::new(vec![Message::user(format!(
        "Question: {}\n\nAnswer: {}",
        clip(question, 1000),
        clip(answer, 1000)
    ))])
    .system("Reply with only a title of about four words for this conversation. No quotes, no punctuation at the end.")
    .max_tokens(24);
    request.model = model_id;
    let completion = model
        .complete(request, CancellationToken::new())
        .await
        .ok()?;
    clean_title(&completion.text)
}

pub(crate) fn clean_title(raw: &str) -> Option<String> {
    let line = raw.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = line
        .trim_start_matches(['#', '*', ' '])
        .trim_start_matches("Title:")
        .trim();
    let line = line.trim_matches(|c: char| c == '"' || c == '\'' || c == '`' || c == '*');
    let words: Vec<&str> = line.split_whitespace().take(8).collect();
    let mut title = words.join(" ");
    while title.ends_with(['.', '!', '?', ':', ';', ',']) {
        title.pop();
    }
    let title: String = title.chars().filter(|c| !c.is_control()).take(60).collect();
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_cleaned() {
        assert_eq!(
            clean_title("\"Fixing the HTTP server.\"\n"),
            Some("Fixing the HTTP server".into())
        );
        assert_eq!(
            clean_title("Title: **Rust build errors**"),
            Some("Rust build errors".into())
        );
        assert_eq!(clean_title("   \n  "), None);
    }

    #[test]
    fn agents_are_reread_when_their_files_change() {
        let root = std::env::temp_dir().join(format!("boocode-ctx-{}", uuid::Uuid::new_v4()));
        let agents = root.join(".boocode/agents");
        std::fs::create_dir_all(&agents).unwrap();
        std::fs::write(agents.join("a.md"), "---\nname: a\nsteps: 1\n---\none").unwrap();
        let state = ContextState::new(None);
        assert_eq!(state.agents(&root).get("a").unwrap().steps, Some(1));
        // Same files: served from the cache (with the built-in agents).
        let builtin = boocode_tools::builtin_agents().len();
        assert_eq!(state.agents(&root).len(), 1 + builtin);
        std::fs::write(
            agents.join("a.md"),
            "---\nname: a\nsteps: 22\n---\nlonger body now",
        )
        .unwrap();
        std::fs::write(agents.join("b.md"), "---\nname: b\n---\ntwo").unwrap();
        let reloaded = state.agents(&root);
        assert_eq!(reloaded.get("a").unwrap().steps, Some(22));
        assert!(reloaded.get("b").is_some());
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn prompts_are_fingerprinted_per_input() {
        let root = std::env::temp_dir().join(format!("boocode-ctx-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&root).unwrap();
        let state = ContextState::new(None);
        let a = state.system_prompt("p", &root, None);
        std::fs::write(root.join("BOOCHAT.md"), "Use tabs.").unwrap();
        let b = state.system_prompt("p", &root, None);
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_eq!(b.fingerprint.len(), 64);
        assert!(b.text.ends_with("Use tabs."));
        assert_eq!(
            b.inputs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["base", "project BOOCHAT.md"]
        );
        std::fs::remove_dir_all(root).unwrap();
    }
}
