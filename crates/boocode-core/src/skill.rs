//! Skills in the agentskills.io format: a folder holding `SKILL.md` — YAML frontmatter with
//! `name` (equal to the folder's name) and `description`, optionally `license`,
//! `compatibility`, `metadata` and `allowed-tools` — whose body the model reads only when it
//! needs the skill, plus any files bundled beside it.
//!
//! ```
//! use boocode_core::skill::Skill;
//!
//! let text = "---\nname: pdf-forms\ndescription: Fill PDF forms. Use when asked to fill one.\n---\nRun scripts/fill.py.\n";
//! let skill = Skill::parse("pdf-forms/SKILL.md", "pdf-forms", text)?;
//! assert_eq!(skill.name, "pdf-forms");
//! assert_eq!(skill.body, "Run scripts/fill.py.");
//! # Ok::<(), boocode_core::skill::SkillError>(())
//! ```
//!
//! Parsing is strict: an unknown field, a name that breaks the format's rules or does not match
//! its folder, an over-long description or a malformed field is an error naming the file and the
//! field, so a caller can skip that skill and load the others.

use serde_json::Value;
use std::collections::BTreeMap;

/// The longest `name`.
pub const MAX_NAME_CHARS: usize = 64;
/// The longest `description`.
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
/// The longest `compatibility`.
pub const MAX_COMPATIBILITY_CHARS: usize = 500;

const KNOWN_FIELDS: &[&str] = &[
    "name",
    "description",
    "license",
    "compatibility",
    "metadata",
    "allowed-tools",
];

/// A parsed skill.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skill {
    /// Its name: 1–64 lowercase letters, digits and single hyphens, the folder's name.
    pub name: String,
    /// What it does and when to use it (what the model sees before loading it).
    pub description: String,
    /// Its licence, when it names one.
    pub license: Option<String>,
    /// What it needs from its environment, when it says.
    pub compatibility: Option<String>,
    /// Free-form string pairs.
    pub metadata: BTreeMap<String, String>,
    /// The tools it may use while active; `None` leaves the chat's tools as they are.
    pub allowed_tools: Option<Vec<String>>,
    /// The instructions: `SKILL.md` after its frontmatter.
    pub body: String,
}

/// Why a skill could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SkillError {
    /// The file could not be read (or was refused by a guard, or is too large).
    #[error("{file}: cannot read: {message}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
    /// The text has no `---` frontmatter block.
    #[error(
        "{file}: no YAML frontmatter (SKILL.md must start with a line `---`, then the fields, then `---`)"
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
    /// A field is missing or wrong.
    #[error("{file}: field `{field}`: {message}")]
    Field {
        /// The file.
        file: String,
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl Skill {
    /// Parses `text`, the `SKILL.md` of folder `folder`; `file` names it in errors.
    pub fn parse(file: &str, folder: &str, text: &str) -> Result<Self, SkillError> {
        let (front, body) =
            crate::agent::split_frontmatter(text).ok_or_else(|| SkillError::NoFrontmatter {
                file: file.to_owned(),
            })?;
        let map: BTreeMap<String, Value> = if front.trim().is_empty() {
            BTreeMap::new()
        } else {
            serde_saphyr::from_str(front).map_err(|e| SkillError::Yaml {
                file: file.to_owned(),
                message: e.to_string(),
            })?
        };
        let field = |field: &str, message: String| SkillError::Field {
            file: file.to_owned(),
            field: field.to_owned(),
            message,
        };
        if let Some(unknown) = map.keys().find(|k| !KNOWN_FIELDS.contains(&k.as_str())) {
            return Err(field(
                unknown,
                format!("unknown field (known: {})", KNOWN_FIELDS.join(", ")),
            ));
        }
        let name = required(&map, "name").map_err(|m| field("name", m))?;
        check_name(&name).map_err(|m| field("name", m))?;
        if name != folder {
            return Err(field(
                "name",
                format!("{name:?} must equal its folder's name {folder:?}"),
            ));
        }
        let description = required(&map, "description").map_err(|m| field("description", m))?;
        let chars = description.chars().count();
        if chars > MAX_DESCRIPTION_CHARS {
            return Err(field(
                "description",
                format!("{chars} characters; at most {MAX_DESCRIPTION_CHARS}"),
            ));
        }
        let compatibility =
            optional(&map, "compatibility").map_err(|m| field("compatibility", m))?;
        if let Some(c) = &compatibility
            && c.chars().count() > MAX_COMPATIBILITY_CHARS
        {
            return Err(field(
                "compatibility",
                format!("longer than {MAX_COMPATIBILITY_CHARS} characters"),
            ));
        }
        Ok(Self {
            name,
            description,
            license: optional(&map, "license").map_err(|m| field("license", m))?,
            compatibility,
            metadata: metadata(map.get("metadata")).map_err(|m| field("metadata", m))?,
            allowed_tools: allowed_tools(map.get("allowed-tools"))
                .map_err(|m| field("allowed-tools", m))?,
            body: body.trim().to_owned(),
        })
    }
}

/// A skill as clients see it (`GET /api/projects/{id}/skills`).
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkillInfo {
    /// Its name (`$name` loads it).
    pub name: String,
    /// What it does and when to use it.
    pub description: String,
    /// Its licence, when it names one.
    pub license: Option<String>,
    /// The tools it may use, when it narrows them.
    pub allowed_tools: Option<Vec<String>>,
    /// Its folder: relative to the project for a project skill, absolute for a user's.
    pub dir: String,
    /// Whether it comes from the project (else from the user's folders).
    pub project: bool,
    /// The files bundled with it, relative to its folder.
    pub files: Vec<String>,
}

/// The skills a project's chats may load, and what was wrong with the others.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkillList {
    /// The skills, by name.
    pub skills: Vec<SkillInfo>,
    /// Each skill skipped and each name defined twice, in words naming the file.
    pub problems: Vec<String>,
}

/// The format's name rule: 1–64 of `a-z`, `0-9` and `-`, no leading, trailing or double hyphen.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} must be 1-{MAX_NAME_CHARS} lowercase letters, digits and single hyphens, not starting or ending with one"
        ))
    }
}

fn required(map: &BTreeMap<String, Value>, key: &str) -> Result<String, String> {
    match optional(map, key)? {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err("is required".into()),
    }
}

fn optional(map: &BTreeMap<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(other) => Err(format!(
            "expected a string, got {}",
            crate::agent::kind(other)
        )),
    }
}

fn metadata(value: Option<&Value>) -> Result<BTreeMap<String, String>, String> {
    match value {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(n) => Ok((k.clone(), n.to_string())),
                Value::Bool(b) => Ok((k.clone(), b.to_string())),
                other => Err(format!(
                    "{k:?}: expected a string, got {}",
                    crate::agent::kind(other)
                )),
            })
            .collect(),
        Some(other) => Err(format!(
            "expected a mapping of strings, got {}",
            crate::agent::kind(other)
        )),
    }
}

/// `allowed-tools`: a space-separated string, as the format writes it, or a list.
fn allowed_tools(value: Option<&Value>) -> Result<Option<Vec<String>>, String> {
    let names: Vec<String> = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.trim().to_owned()),
                other => Err(format!(
                    "expected tool names, got {}",
                    crate::agent::kind(other)
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(format!(
                "expected a space-separated string or a list, got {}",
                crate::agent::kind(other)
            ));
        }
    };
    Ok(Some(names.into_iter().filter(|n| !n.is_empty()).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(folder: &str, front: &str) -> Result<Skill, SkillError> {
        Skill::parse(
            &format!("{folder}/SKILL.md"),
            folder,
            &format!("---\n{front}---\nBody.\n"),
        )
    }

    #[test]
    fn every_field_is_read() {
        let s = parse(
            "csv-report",
            "name: csv-report\ndescription: Summarise a CSV.\nlicense: MIT\ncompatibility: needs python3\nmetadata:\n  author: me\n  version: 2\nallowed-tools: view_file grep\n",
        )
        .unwrap();
        assert_eq!(s.description, "Summarise a CSV.");
        assert_eq!(s.license.as_deref(), Some("MIT"));
        assert_eq!(s.metadata["version"], "2");
        assert_eq!(
            s.allowed_tools,
            Some(vec!["view_file".to_owned(), "grep".to_owned()])
        );
        assert_eq!(s.body, "Body.");
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let long = "d".repeat(2048);
        for (folder, front, field, says) in [
            ("a", "description: x\n", "name", "is required"),
            (
                "other",
                "name: a-b\ndescription: x\n",
                "name",
                "must equal its folder",
            ),
            ("Bad", "name: Bad\ndescription: x\n", "name", "lowercase"),
            (
                "a--b",
                "name: a--b\ndescription: x\n",
                "name",
                "single hyphens",
            ),
            ("-a", "name: -a\ndescription: x\n", "name", "not starting"),
            ("a", "name: a\n", "description", "is required"),
            (
                "a",
                &format!("name: a\ndescription: {long}\n"),
                "description",
                "2048 characters",
            ),
            (
                "a",
                "name: a\ndescription: x\ncolor: red\n",
                "color",
                "unknown field",
            ),
            (
                "a",
                "name: a\ndescription: x\nmetadata: [1]\n",
                "metadata",
                "mapping",
            ),
            (
                "a",
                "name: a\ndescription: x\nallowed-tools: 3\n",
                "allowed-tools",
                "space-separated",
            ),
        ] {
            match parse(folder, front) {
                Err(SkillError::Field {
                    field: f,
                    message,
                    file,
                }) => {
                    assert_eq!(f, field, "{front}");
                    assert!(message.contains(says), "{front}: {message}");
                    assert!(file.ends_with("SKILL.md"));
                }
                other => panic!("{front}: {other:?}"),
            }
        }
        assert!(matches!(
            Skill::parse("a/SKILL.md", "a", "no frontmatter"),
            Err(SkillError::NoFrontmatter { .. })
        ));
        assert!(matches!(
            Skill::parse("a/SKILL.md", "a", "---\nname: [\n---\n"),
            Err(SkillError::Yaml { .. })
        ));
    }
}
