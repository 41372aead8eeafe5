//! What every native turn starts from, whatever runs it — `boocode run`, a server chat, a coder
//! run or MCP `dispatch_agent`: the system prompt (a base, the global and project instruction
//! files, the agent's body), its fingerprint and drift between turns, and the compaction policy
//! (when a history is summarized, and how).
//!
//! Reading the instruction files is the caller's job (through the path and secret guards, see
//! `boocode_tools::system_prompt`); this module only assembles and judges text.
//!
//! ```
//! use boocode_core::SystemPrompt;
//! use std::path::Path;
//!
//! let a = SystemPrompt::assemble("demo", Path::new("/src/demo"), None, Some("Use tabs."), None);
//! let b = SystemPrompt::assemble("demo", Path::new("/src/demo"), None, Some("Use spaces."), None);
//! assert!(a.text.contains("Use tabs."));
//! assert_eq!(b.drift_from(&a), ["project BOOCHAT.md changed"]);
//! ```

use crate::{
    AgentDef, CancellationToken, Message, MessageKind, MessageStatus, ModelClient, ModelError,
    ModelRequest, Part, Role, repair_history,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// The base of every native system prompt.
pub const BASE_PROMPT: &str = "You are BooCode, a coding assistant working in a developer's project. \
Read the code with the tools before you answer: find_files and list_dir to look around, grep to \
search, view_file to read. Paths are relative to the project root. Be concise and cite files as \
path:line.";

/// The share of the context window past which a history is compacted.
pub const COMPACT_AT: f64 = 0.85;
/// Tool outputs this close to the end of the history are kept whole for the summarizer.
const KEEP_RECENT_TOOL_OUTPUTS: usize = 3;
/// The most of one kept tool output shown to the summarizer.
const SUMMARY_TOOL_OUTPUT_CHARS: usize = 2000;

/// An assembled system prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SystemPrompt {
    /// The text sent to the model.
    pub text: String,
    /// SHA-256 of `text`, hex.
    pub fingerprint: String,
    /// Per input (`base`, `global BOOCHAT.md`, `project BOOCHAT.md`, `agent <name>`), its hash.
    pub inputs: Vec<(String, String)>,
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl SystemPrompt {
    /// The prompt for a project: [`BASE_PROMPT`] with the project's name and root, then the
    /// global and project instruction files' text (already read, trimmed or not), then the
    /// agent's body. Empty inputs are left out.
    pub fn assemble(
        project_name: &str,
        project_root: &Path,
        global: Option<&str>,
        project: Option<&str>,
        agent: Option<&AgentDef>,
    ) -> Self {
        let mut sections: Vec<(String, String)> = vec![(
            "base".into(),
            format!(
                "{BASE_PROMPT}\n\nProject: {project_name} ({})",
                project_root.display()
            ),
        )];
        for (name, text) in [
            ("global BOOCHAT.md", global),
            ("project BOOCHAT.md", project),
        ] {
            if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
                sections.push((name.into(), text.to_owned()));
            }
        }
        if let Some(agent) = agent
            && !agent.prompt.trim().is_empty()
        {
            sections.push((
                format!("agent {}", agent.name),
                agent.prompt.trim().to_owned(),
            ));
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

    /// This prompt with a section listing `skills` (name and description each, in the order
    /// given) that the model may load with the `skill` tool; part of the fingerprint (input
    /// `skills`). No skills: the prompt unchanged.
    pub fn with_skills<'a>(mut self, skills: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let lines: Vec<String> = skills
            .into_iter()
            .map(|(name, description)| format!("- {name}: {}", description.trim()))
            .collect();
        if lines.is_empty() {
            return self;
        }
        let section = format!(
            "Skills: load one with the `skill` tool when the task matches its description (a user \
             may also name one as $name):\n{}",
            lines.join("\n")
        );
        self.text = format!("{}\n\n{section}", self.text);
        self.fingerprint = sha256_hex(&self.text);
        self.inputs.push(("skills".into(), sha256_hex(&section)));
        self
    }

    /// What changed since `previous` (`"<input> changed"`, `"<input> removed"`, sorted); empty
    /// when the fingerprints agree. A drifting prompt defeats the model server's prompt cache,
    /// so callers log it.
    pub fn drift_from(&self, previous: &SystemPrompt) -> Vec<String> {
        if self.fingerprint == previous.fingerprint {
            return Vec::new();
        }
        let before: HashMap<&str, &str> = previous
            .inputs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let after: HashMap<&str, &str> = self
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
        changed
    }
}

/// Whether the last request of the previous turn passed `floor(0.85 × ctx_max)`.
pub fn needs_compaction(history: &[Message], ctx_max: Option<u64>) -> bool {
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

/// `text` cut to `max` characters, with a `…[cut]` mark when it was longer.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push_str(" …[cut]");
    out
}

/// The transcript the summarizer reads: reasoning as a prefix of each reply, tool outputs pruned
/// except the most recent few.
pub fn summary_transcript(history: &[Message]) -> String {
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
                Part::Permission { tool, decision, .. } => out.push_str(&format!(
                    "[asked to run {tool}: {}]\n",
                    decision.map_or("unanswered", |d| d.as_str())
                )),
                Part::Notice { .. } | Part::Plan { .. } | Part::Terminal { .. } => {}
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
pub const SUMMARY_PREFIX: &str = "Summary of the conversation so far:\n\n";

/// Summarizes `history` into the text of a new summary message.
pub async fn summarize(
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
pub fn summary_message(text: String) -> Message {
    let mut m = Message::new(Role::User, MessageStatus::Complete, vec![Part::text(text)]);
    m.kind = MessageKind::Summary;
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Usage;

    #[test]
    fn the_prompt_joins_its_inputs_and_names_what_drifted() {
        let agent = AgentDef::parse("a.md", "---\nname: reviewer\n---\nReview strictly.").unwrap();
        let root = Path::new("/src/demo");
        let a = SystemPrompt::assemble("demo", root, Some("G"), Some(" P \n"), Some(&agent));
        assert!(a.text.starts_with(BASE_PROMPT));
        assert!(a.text.ends_with("G\n\nP\n\nReview strictly."), "{}", a.text);
        let names: Vec<&str> = a.inputs.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "base",
                "global BOOCHAT.md",
                "project BOOCHAT.md",
                "agent reviewer"
            ]
        );
        let b = SystemPrompt::assemble("demo", root, None, Some("P2"), Some(&agent));
        assert_eq!(
            b.drift_from(&a),
            ["global BOOCHAT.md removed", "project BOOCHAT.md changed"]
        );
        assert!(a.drift_from(&a.clone()).is_empty());
        assert_eq!(
            SystemPrompt::assemble("demo", root, Some(" "), None, None)
                .inputs
                .len(),
            1
        );
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
}
