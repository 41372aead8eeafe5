//! What a turn starts from: the system prompt (global and project BOOCHAT.md plus the agent's
//! body, fingerprinted), the agent registry (re-read when its files change), compaction of long
//! histories into an anchored rolling summary, and session auto-naming.

use boocode_core::{
    AgentRegistry, CancellationToken, ChatId, Message, MessageKind, MessageStatus, ModelClient,
    ModelError, ModelRequest, Part, Role, repair_history,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

const BASE_PROMPT: &str = "You are BooCode, a coding assistant working in a developer's project. \
Read the code with the tools before you answer: find_files and list_dir to look around, grep to \
search, view_file to read. Paths are relative to the project root. Be concise and cite files as \
path:line.";

/// The share of the context window past which a history is compacted.
pub(crate) const COMPACT_AT: f64 = 0.85;
/// Tool outputs this close to the end of the history are kept whole for the summarizer.
const KEEP_RECENT_TOOL_OUTPUTS: usize = 3;
/// The most of one kept tool output shown to the summarizer.
const SUMMARY_TOOL_OUTPUT_CHARS: usize = 2000;

/// The assembled system prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SystemPrompt {
    pub(crate) text: String,
    /// SHA-256 of `text`, hex.
    pub(crate) fingerprint: String,
    /// Per input (`base`, `global BOOCHAT.md`, `project BOOCHAT.md`, `agent <name>`), its hash.
    pub(crate) inputs: Vec<(String, String)>,
}

fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

type Signature = Vec<(PathBuf, Option<SystemTime>, u64)>;

/// Per-server context state.
#[derive(Debug, Default)]
pub(crate) struct ContextState {
    config_dir: Option<PathBuf>,
    agents: Mutex<HashMap<PathBuf, (Signature, AgentRegistry)>>,
    fingerprints: Mutex<HashMap<ChatId, SystemPrompt>>,
}

/// An instruction file's text through the guards (see `boocode_tools::read_instruction`);
/// a refused file is skipped with a warning naming the rule.
fn read_optional(dir: &Path, name: &str) -> Option<String> {
    match boocode_tools::read_instruction(dir, name, &boocode_tools::SecretGuard::default()) {
        Ok(found) => found
            .map(|f| f.text.trim().to_owned())
            .filter(|t| !t.is_empty()),
        Err(e) => {
            tracing::warn!(error = %e, "skipping an instruction file");
            None
        }
    }
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

    /// Assembles the system prompt for a turn.
    pub(crate) fn system_prompt(
        &self,
        project_name: &str,
        project_root: &Path,
        agent: Option<&boocode_core::AgentDef>,
    ) -> SystemPrompt {
        let mut sections: Vec<(String, String)> = vec![(
            "base".into(),
            format!(
                "{BASE_PROMPT}\n\nProject: {project_name} ({})",
                project_root.display()
            ),
        )];
        if let Some(global) = self
            .config_dir
            .as_deref()
            .and_then(|d| read_optional(d, "BOOCHAT.md"))
        {
            sections.push(("global BOOCHAT.md".into(), global));
        }
        if let Some(project) = read_optional(project_root, "BOOCHAT.md") {
            sections.push(("project BOOCHAT.md".into(), project));
        }
        if let Some(agent) = agent
            && !agent.prompt.is_empty()
        {
            sections.push((format!("agent {}", agent.name), agent.prompt.clone()));
        }
        let text = sections
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        SystemPrompt {
            fingerprint: sha256_hex(&text),
            inputs: sections
                .iter()
                .map(|(name, t)| (name.clone(), sha256_hex(t)))
                .collect(),
            text,
        }
    }

    /// Logs the prompt's fingerprint, and a warning naming the changed inputs when it differs
    /// from the chat's previous turn (a cache-busting prompt change is worth knowing about).
    pub(crate) fn note_prompt(&self, chat_id: ChatId, prompt: &SystemPrompt) {
        let mut seen = match self.fingerprints.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        match seen.get(&chat_id) {
            Some(previous) if previous.fingerprint != prompt.fingerprint => {
                let before: HashMap<&str, &str> = previous
                    .inputs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let after: HashMap<&str, &str> = prompt
                    .inputs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let mut changed: Vec<String> = after
                    .iter()
                    .filter(|(k, v)| before.get(*k) != Some(*v))
                    .map(|(k, _)| format!("{k} changed"))
                    .collect();
                changed.extend(
                    before
                        .keys()
                        .filter(|k| !after.contains_key(*k))
                        .map(|k| format!("{k} removed")),
                );
                changed.sort();
                tracing::warn!(%chat_id, fingerprint = %prompt.fingerprint, previous = %previous.fingerprint,
                    changed = %changed.join(", "), "system prompt drifted between turns");
            }
            _ => tracing::info!(%chat_id, fingerprint = %prompt.fingerprint, "system prompt"),
        }
        seen.insert(chat_id, prompt.clone());
    }
}

/// Whether the last request of the previous turn passed `floor(0.85 × ctx_max)`.
pub(crate) fn needs_compaction(history: &[Message], ctx_max: Option<u64>) -> bool {
    let Some(max) = ctx_max.filter(|m| *m > 0) else {
        return false;
    };
    let threshold = (max as f64 * COMPACT_AT).floor() as u64;
    let used = history
        .iter()
        .rev()
        .find(|m| m.role == Role::Assistant && m.kind == MessageKind::Regular)
        .and_then(|m| m.usage)
        .map_or(0, |u| u.ctx_used);
    used > threshold
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push_str(" …[cut]");
    out
}

/// The transcript the summarizer reads: reasoning as a prefix of each reply, tool outputs pruned
/// except the most recent few.
pub(crate) fn summary_transcript(history: &[Message]) -> String {
    let history = repair_history(history);
    let total_results = history
        .iter()
        .flat_map(|m| &m.parts)
        .filter(|p| matches!(p, Part::ToolResult { .. }))
        .count();
    let mut seen_results = 0;
    let mut out = String::new();
    for m in &history {
        let who = match (m.role, m.kind) {
            (_, MessageKind::Summary) => "Earlier summary",
            (Role::User, _) => "User",
            (Role::Assistant, _) => "Assistant",
            (Role::System, _) => "System",
            (Role::Tool, _) => "Tool",
        };
        out.push_str(&format!("## {who}\n"));
        for part in &m.parts {
            match part {
                Part::Reasoning { text } => out.push_str(&format!("(thinking) {}\n", text.trim())),
                Part::Text { text } => out.push_str(&format!("{}\n", text.trim())),
                Part::ToolCall {
                    name, arguments, ..
                } => out.push_str(&format!("[called {name} {}]\n", clip(arguments, 300))),
                Part::ToolResult { name, content, .. } => {
                    seen_results += 1;
                    if total_results - seen_results < KEEP_RECENT_TOOL_OUTPUTS {
                        out.push_str(&format!(
                            "[{name} returned]\n{}\n",
                            clip(content, SUMMARY_TOOL_OUTPUT_CHARS)
                        ));
                    } else {
                        out.push_str(&format!(
                            "[{name} returned {} bytes; output pruned]\n",
                            content.len()
                        ));
                    }
                }
            }
        }
        out.push('\n');
    }
    out
}

const SUMMARY_SYSTEM: &str = "You compress a coding conversation so it can continue in a fresh, \
smaller context. Write a summary that keeps: the user's goals and constraints, decisions made, \
files and symbols involved (with paths), what was learned from tool calls, and open questions or \
next steps. If an earlier summary is given, fold it in. Write plain Markdown, at most 400 words.";

/// The text of a summary message.
pub(crate) const SUMMARY_PREFIX: &str = "Summary of the conversation so far:\n\n";

/// Summarizes `history` into the text of a new summary message.
pub(crate) async fn summarize(
    model: &dyn ModelClient,
    model_id: Option<String>,
    history: &[Message],
    cancel: &CancellationToken,
) -> Result<String, ModelError> {
    let request = ModelRequest {
        model: model_id,
        system: Some(SUMMARY_SYSTEM.to_owned()),
        messages: vec![Message::user(summary_transcript(history))],
        max_tokens: Some(1200),
        ..ModelRequest::default()
    };
    let completion = model.complete(request, cancel.clone()).await?;
    let text = completion.text.trim();
    if text.is_empty() {
        return Err(ModelError::Protocol {
            url: String::new(),
            message: "the summary came back empty".into(),
        });
    }
    Ok(format!("{SUMMARY_PREFIX}{text}"))
}

/// A new summary message.
pub(crate) fn summary_message(text: String) -> Message {
    let mut m = Message::new(Role::User, MessageStatus::Complete, vec![Part::text(text)]);
    m.kind = MessageKind::Summary;
    m
}

/// Asks the model for a title of about four words.
pub(crate) async fn title_for(
    model: &dyn ModelClient,
    model_id: Option<String>,
    question: &str,
    answer: &str,
) -> Option<String> {
    let request = ModelRequest {
        model: model_id,
        system: Some("Reply with only a title of about four words for this conversation. No quotes, no punctuation at the end.".into()),
        messages: vec![Message::user(format!("Question: {}\n\nAnswer: {}", clip(question, 1000), clip(answer, 1000)))],
        max_tokens: Some(24),
        ..ModelRequest::default()
    };
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
    use boocode_core::Usage;

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
    fn compaction_triggers_past_85_percent_of_the_last_request() {
        let mut a = Message::assistant("x");
        a.usage = Some(Usage {
            ctx_used: 851,
            ..Usage::default()
        });
        assert!(needs_compaction(
            &[Message::user("q"), a.clone()],
            Some(1000)
        ));
        a.usage = Some(Usage {
            ctx_used: 850,
            ..Usage::default()
        });
        assert!(!needs_compaction(&[a.clone()], Some(1000)));
        assert!(!needs_compaction(&[a], None));
    }

    #[test]
    fn the_transcript_prunes_old_tool_outputs_and_prefixes_reasoning() {
        let mut parts = Vec::new();
        for i in 0..5 {
            parts.push(Part::ToolCall {
                id: format!("c{i}"),
                name: "grep".into(),
                arguments: "{}".into(),
            });
            parts.push(Part::ToolResult {
                call_id: format!("c{i}"),
                name: "grep".into(),
                content: format!("OUTPUT-{i}"),
                is_error: false,
                duration_ms: None,
            });
        }
        parts.insert(
            0,
            Part::Reasoning {
                text: "plan".into(),
            },
        );
        let a = Message::new(Role::Assistant, MessageStatus::Complete, parts);
        let t = summary_transcript(&[Message::user("q"), a]);
        assert!(t.contains("(thinking) plan"));
        assert!(!t.contains("OUTPUT-0") && !t.contains("OUTPUT-1"), "{t}");
        assert!(t.contains("OUTPUT-2") && t.contains("OUTPUT-4"), "{t}");
        assert!(t.contains("output pruned"));
    }

    #[test]
    fn agents_are_reread_when_their_files_change() {
        let root = std::env::temp_dir().join(format!("boocode-ctx-{}", uuid::Uuid::new_v4()));
        let agents = root.join(".boocode/agents");
        std::fs::create_dir_all(&agents).unwrap();
        std::fs::write(agents.join("a.md"), "---\nname: a\nsteps: 1\n---\none").unwrap();
        let state = ContextState::new(None);
        assert_eq!(state.agents(&root).get("a").unwrap().steps, Some(1));
        // Same files: served from the cache.
        assert_eq!(state.agents(&root).len(), 1);
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
