//! Agent definitions: markdown files with YAML frontmatter, AGENTS.md style.
//!
//! ```markdown
//! ---
//! name: reviewer
//! description: Reads a change and reports problems.
//! tools: [view_file, grep]
//! steps: 20
//! max_tool_calls: 15
//! model: qwen3-coder
//! ---
//! You review code. Be specific.
//! ```
//!
//! The body is the agent's system prompt. `tools` may also be a map of names to booleans
//! (`{grep: true, edit_file: false}`), as some other tools write it.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A parsed agent definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentDef {
    /// Unique name (letters, digits, `-`, `_`).
    pub name: String,
    /// What the agent is for.
    pub description: Option<String>,
    /// Tool whitelist; `None` means the default tool set.
    pub tools: Option<Vec<String>>,
    /// Step cap for one turn; `Some(0)` makes every turn text-only.
    pub steps: Option<u32>,
    /// Tool-call budget for one turn, overriding the default.
    pub max_tool_calls: Option<u32>,
    /// Model id to use instead of the chat's default.
    pub model: Option<String>,
    /// The system prompt (the markdown body).
    pub prompt: String,
    /// The file it came from, when it came from one (`None`: built in).
    pub source: Option<PathBuf>,
    /// `disabled: true`: a file that turns off the definition of its name (a built-in one).
    pub disabled: bool,
}

/// Why an agent definition could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentDefError {
    /// The file could not be read.
    #[error("{file}: cannot read: {message}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        message: String,
    },
    /// The text has no `---` frontmatter block.
    #[error(
        "{file}: no YAML frontmatter (the file must start with a line `---`, then the fields, then `---`)"
    )]
    NoFrontmatter {
        /// The file.
        file: String,
    },
    /// The frontmatter is not valid YAML (or not a mapping).
    #[error("{file}: invalid YAML frontmatter: {message}")]
    Yaml {
        /// The file.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// A field is missing, has the wrong type or an invalid value, or is unknown.
    #[error("{file}: field `{field}`: {message}")]
    Field {
        /// The file.
        file: String,
        /// The field's name.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

const KNOWN_FIELDS: &[&str] = &[
    "name",
    "description",
    "tools",
    "steps",
    "max_tool_calls",
    "model",
    "disabled",
];

impl AgentDef {
    /// Parses one definition. `file` names the source in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, AgentDefError> {
        let (front, body) =
            split_frontmatter(text).ok_or_else(|| AgentDefError::NoFrontmatter {
                file: file.to_owned(),
            })?;
        let map: BTreeMap<String, Value> = if front.trim().is_empty() {
            BTreeMap::new()
        } else {
            serde_saphyr::from_str(front).map_err(|e| AgentDefError::Yaml {
                file: file.to_owned(),
                message: e.to_string(),
            })?
        };
        let field_err = |field: &str, message: String| AgentDefError::Field {
            file: file.to_owned(),
            field: field.to_owned(),
            message,
        };
        if let Some(unknown) = map.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
            return Err(field_err(
                unknown,
                format!("unknown field (known: {})", KNOWN_FIELDS.join(", ")),
            ));
        }

        let name = match map.get("name") {
            None | Some(Value::Null) => return Err(field_err("name", "is required".into())),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(other) => {
                return Err(field_err(
                    "name",
                    format!("expected a string, got {}", kind(other)),
                ));
            }
        };
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(field_err(
                "name",
                format!("{name:?} must be 1-64 letters, digits, '-' or '_'"),
            ));
        }

        Ok(AgentDef {
            name,
            description: opt_string(&map, "description")
                .map_err(|m| field_err("description", m))?,
            tools: tool_list(map.get("tools")).map_err(|m| field_err("tools", m))?,
            steps: opt_u32(&map, "steps").map_err(|m| field_err("steps", m))?,
            max_tool_calls: opt_u32(&map, "max_tool_calls")
                .map_err(|m| field_err("max_tool_calls", m))?,
            model: opt_string(&map, "model").map_err(|m| field_err("model", m))?,
            prompt: body.trim().to_owned(),
            source: None,
            disabled: match map.get("disabled") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(field_err(
                        "disabled",
                        format!("expected true or false, got {}", kind(other)),
                    ));
                }
            },
        })
    }
}

/// Splits `---\n<yaml>\n---\n<body>`; tolerates a BOM and CRLF line ends.
pub(crate) fn split_frontmatter(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\r\n")
        .or_else(|| text.strip_prefix("---\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let trimmed = line.trim_end_matches(['\n', '\r']);
        if trimmed == "---" || trimmed == "..." {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn opt_string(map: &BTreeMap<String, Value>, field: &str) -> Result<Option<String>, String> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("expected a string, got {}", kind(other))),
    }
}

fn opt_u32(map: &BTreeMap<String, Value>, field: &str) -> Result<Option<u32>, String> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("expected a whole number from 0 to {}, got {n}", u32::MAX)),
        Some(other) => Err(format!("expected a whole number, got {}", kind(other))),
    }
}

fn tool_list(value: Option<&Value>) -> Result<Option<Vec<String>>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                other => Err(format!(
                    "list items must be tool names, got {}",
                    kind(other)
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(name, on)| match on {
                Value::Bool(true) => Some(Ok(name.clone())),
                Value::Bool(false) => None,
                other => Some(Err(format!(
                    "`{name}` must be true or false, got {}",
                    kind(other)
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(format!(
            "expected a list of tool names, got {}",
            kind(other)
        )),
    }
}

/// Agent definitions by name.
#[derive(Debug, Clone, Default)]
pub struct AgentRegistry {
    agents: BTreeMap<String, AgentDef>,
}

impl AgentRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a definition.
    pub fn insert(&mut self, def: AgentDef) {
        self.agents.insert(def.name.clone(), def);
    }

    /// Removes the definition called `name`.
    pub fn remove(&mut self, name: &str) -> Option<AgentDef> {
        self.agents.remove(name)
    }

    /// The definition called `name`.
    pub fn get(&self, name: &str) -> Option<&AgentDef> {
        self.agents.get(name)
    }

    /// All definitions, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &AgentDef> {
        self.agents.values()
    }

    /// Number of definitions.
    pub fn len(&self) -> usize {
        self.agents.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\nname: reviewer\ndescription: Reviews code.\ntools: [view_file, grep]\nsteps: 20\nmax_tool_calls: 15\nmodel: qwen3\n---\n\nYou review code.\n";

    #[test]
    fn parses_every_field_and_the_body() {
        let def = AgentDef::parse("reviewer.md", GOOD).unwrap();
        assert_eq!(def.name, "reviewer");
        assert_eq!(def.description.as_deref(), Some("Reviews code."));
        assert_eq!(def.tools, Some(vec!["view_file".into(), "grep".into()]));
        assert_eq!(def.steps, Some(20));
        assert_eq!(def.max_tool_calls, Some(15));
        assert_eq!(def.model.as_deref(), Some("qwen3"));
        assert_eq!(def.prompt, "You review code.");
    }

    #[test]
    fn accepts_crlf_a_bom_and_a_tool_map() {
        let text = "\u{feff}---\r\nname: a\r\ntools:\r\n  grep: true\r\n  edit_file: false\r\n---\r\nBody\r\n";
        let def = AgentDef::parse("a.md", text).unwrap();
        assert_eq!(def.tools, Some(vec!["grep".into()]));
        assert_eq!(def.prompt, "Body");
        assert_eq!(def.steps, None);
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let cases = [
            ("---\ndescription: x\n---\n", "name", "is required"),
            (
                "---\nname: a\nsteps: many\n---\n",
                "steps",
                "expected a whole number",
            ),
            (
                "---\nname: a\nsteps: -1\n---\n",
                "steps",
                "expected a whole number",
            ),
            (
                "---\nname: a\nmax_tool_calls: 1.5\n---\n",
                "max_tool_calls",
                "whole number",
            ),
            (
                "---\nname: a\ntools: grep\n---\n",
                "tools",
                "expected a list",
            ),
            ("---\nname: a\ntools: [1]\n---\n", "tools", "tool names"),
            ("---\nname: a b\n---\n", "name", "letters, digits"),
            ("---\nname: a\nstep: 3\n---\n", "step", "unknown field"),
            (
                "---\nname: a\nmodel: [x]\n---\n",
                "model",
                "expected a string",
            ),
        ];
        for (text, field, needle) in cases {
            let err = AgentDef::parse("agents/x.md", text).unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with("agents/x.md: field `"), "{msg}");
            assert!(msg.contains(&format!("`{field}`")), "{text:?} -> {msg}");
            assert!(msg.contains(needle), "{text:?} -> {msg}");
        }
    }

    #[test]
    fn missing_or_broken_frontmatter_is_reported() {
        let err = AgentDef::parse("x.md", "just text").unwrap_err();
        assert!(matches!(err, AgentDefError::NoFrontmatter { .. }));
        let err = AgentDef::parse("x.md", "---\nname: a\n").unwrap_err();
        assert!(matches!(err, AgentDefError::NoFrontmatter { .. }));
        let err = AgentDef::parse("x.md", "---\nname: [unclosed\n---\n").unwrap_err();
        assert!(matches!(err, AgentDefError::Yaml { .. }), "{err}");
        assert!(err.to_string().starts_with("x.md: invalid YAML"));
    }
}
