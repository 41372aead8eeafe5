//! Skill discovery: every `<dir>/<name>/SKILL.md` in the skill folders (the user's, then the
//! project's — a project skill replaces a user skill of the same name, and any replacement is
//! reported), parsed strictly by [`Skill::parse`], with the files bundled beside it listed.
//!
//! A repository is untrusted input, so each folder is read through a [`PathGuard`] rooted at
//! it (a skill folder or `SKILL.md` linking out of it is refused), `SKILL.md` is checked
//! against the [`SecretGuard`], must be a regular file and is refused whole above
//! [`SKILL_MAX_BYTES`] — its size is checked before anything is read. A bad skill is reported
//! and skipped; the others load. These are blocking calls: async callers use a blocking thread.

use crate::guard::path::{Access, PathGuard};
use crate::guard::secret::SecretGuard;
use boocode_core::skill::{Skill, SkillError};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest `SKILL.md` read; a larger one is skipped.
pub const SKILL_MAX_BYTES: u64 = 256 * 1024;
/// The most bundled files listed for one skill.
pub const MAX_BUNDLED_FILES: usize = 200;
/// How deep bundled files are looked for under a skill's folder.
const MAX_BUNDLED_DEPTH: usize = 4;

/// A skill found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FoundSkill {
    /// The parsed skill.
    pub skill: Skill,
    /// Its folder (canonical).
    pub dir: PathBuf,
    /// The files bundled with it, relative to its folder (`SKILL.md` left out), sorted.
    pub files: Vec<String>,
}

/// What the skill folders hold: the skills by name, and what was wrong.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Skills {
    /// The skills, by name.
    pub found: BTreeMap<String, FoundSkill>,
    /// Each skill skipped (and why) and each name defined twice, in words naming the file.
    pub problems: Vec<String>,
}

/// The skill folders for a project at `project_root`, lowest precedence first: the user's
/// (`~/.agents/skills`, then `<config_dir>/skills`), then the project's (`.claude/skills`,
/// `.boocode/skills`, `.agents/skills`). Later folders replace earlier ones' skills of the
/// same name, so a project decides what its skills mean.
pub fn skill_dirs(
    project_root: &Path,
    config_dir: Option<&Path>,
    home: Option<&Path>,
) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(home) = home {
        dirs.push(home.join(".agents/skills"));
    }
    if let Some(config) = config_dir {
        dirs.push(config.join("skills"));
    }
    for sub in [".claude/skills", ".boocode/skills", ".agents/skills"] {
        dirs.push(project_root.join(sub));
    }
    dirs
}

/// The skills a chat in the project at `project_root` may load: [`skill_dirs`] with the
/// user's home and `config_dir` (`~/.config/boocode`), loaded with the default secret guard.
pub fn project_skills(project_root: &Path, config_dir: Option<&Path>) -> Skills {
    let home = dirs::home_dir();
    load_skills(
        &skill_dirs(project_root, config_dir, home.as_deref()),
        &SecretGuard::default(),
    )
}

impl Skills {
    /// As clients see them, for a project at `root`.
    pub fn list(&self, root: &Path) -> boocode_core::skill::SkillList {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        boocode_core::skill::SkillList {
            skills: self
                .found
                .values()
                .map(|f| {
                    let inside = f.dir.strip_prefix(&root).ok();
                    boocode_core::skill::SkillInfo {
                        name: f.skill.name.clone(),
                        description: f.skill.description.clone(),
                        license: f.skill.license.clone(),
                        allowed_tools: f.skill.allowed_tools.clone(),
                        dir: inside.unwrap_or(&f.dir).display().to_string(),
                        project: inside.is_some(),
                        files: f.files.clone(),
                    }
                })
                .collect(),
            problems: self.problems.clone(),
        }
    }
}

/// Loads the skills of every folder in `dirs` (missing ones are skipped), in order.
pub fn load_skills<P: AsRef<Path>>(dirs: &[P], secrets: &SecretGuard) -> Skills {
    let mut skills = Skills::default();
    for dir in dirs {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            continue;
        }
        let guard = match PathGuard::for_own_folder(dir) {
            Ok(g) => g,
            Err(e) => {
                skills
                    .problems
                    .push(format!("skill folder {}: {e}", dir.display()));
                continue;
            }
        };
        let mut names: Vec<String> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| !n.starts_with('.'))
                .collect(),
            Err(e) => {
                skills
                    .problems
                    .push(format!("skill folder {}: {e}", dir.display()));
                continue;
            }
        };
        names.sort();
        for name in names {
            if !dir.join(&name).is_dir() {
                continue;
            }
            match load_one(&guard, dir, &name, secrets) {
                Ok(found) => {
                    if let Some(earlier) = skills.found.get(&found.skill.name) {
                        skills.problems.push(format!(
                            "skill {:?} in {} replaces the one in {}",
                            found.skill.name,
                            found.dir.display(),
                            earlier.dir.display()
                        ));
                    }
                    skills.found.insert(found.skill.name.clone(), found);
                }
                Err(e) => skills.problems.push(format!("skipped: {e}")),
            }
        }
    }
    for problem in &skills.problems {
        tracing::warn!(%problem, "skills");
    }
    skills
}

fn load_one(
    guard: &PathGuard,
    dir: &Path,
    name: &str,
    secrets: &SecretGuard,
) -> Result<FoundSkill, SkillError> {
    let file = dir.join(name).join("SKILL.md").display().to_string();
    let io = |message: String| SkillError::Io {
        file: file.clone(),
        message,
    };
    // Both the folder and its SKILL.md must stay inside the skill folder.
    let folder = guard
        .resolve_existing(name, Access::Read)
        .map_err(|e| io(e.to_string()))?;
    let guarded = guard
        .resolve_existing(&format!("{name}/SKILL.md"), Access::Read)
        .map_err(|e| io(e.to_string()))?;
    let home = dirs::home_dir().map(|h| h.canonicalize().unwrap_or(h));
    if let Some(pattern) =
        secrets.matching_pattern_anywhere(guarded.relative(), guarded.as_path(), home.as_deref())
    {
        return Err(io(format!(
            "refused, it matches the secret deny list ({pattern})"
        )));
    }
    let opened = guard.open_read(&guarded).map_err(|e| io(e.to_string()))?;
    let size = opened.metadata().map_err(|e| io(e.to_string()))?.len();
    if size > SKILL_MAX_BYTES {
        return Err(io(format!(
            "{size} bytes; a SKILL.md may have at most {SKILL_MAX_BYTES}"
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    opened
        .take(SKILL_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io(e.to_string()))?;
    if bytes.len() as u64 > SKILL_MAX_BYTES {
        return Err(io(format!("grew past {SKILL_MAX_BYTES} bytes while read")));
    }
    let text = String::from_utf8(bytes).map_err(|_| io("is not UTF-8 text".into()))?;
    let skill = Skill::parse(&file, name, &text)?;
    let dir = folder.as_path().to_path_buf();
    let files = bundled(&dir);
    Ok(FoundSkill { skill, dir, files })
}

/// The regular files under `dir` (links not followed), relative, sorted, bounded.
fn bundled(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((at, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() && depth + 1 < MAX_BUNDLED_DEPTH {
                stack.push((path, depth + 1));
            } else if kind.is_file()
                && let Ok(rel) = path.strip_prefix(dir)
                && rel != Path::new("SKILL.md")
            {
                files.push(rel.to_string_lossy().into_owned());
                if files.len() >= MAX_BUNDLED_FILES {
                    files.sort();
                    return files;
                }
            }
        }
    }
    files.sort();
    files
}

/// The `skill` tool's arguments.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillArgs {
    /// The skill's name, as the system prompt lists it.
    pub name: String,
}

/// `skill`: a skill's instructions and the files bundled with it, loaded when the model needs
/// them (the system prompt lists only names and descriptions).
#[derive(Debug, Clone)]
pub struct SkillTool {
    skills: std::sync::Arc<BTreeMap<String, FoundSkill>>,
    root: PathBuf,
    active: crate::skill_gate::ActiveSkills,
}

impl SkillTool {
    /// The tool over `skills` for a project at `root` (bundled files inside it are named
    /// relative to it, others by their absolute path).
    pub fn new(
        skills: std::sync::Arc<BTreeMap<String, FoundSkill>>,
        root: impl Into<PathBuf>,
    ) -> Self {
        Self {
            skills,
            root: root.into(),
            active: crate::skill_gate::ActiveSkills::new(),
        }
    }

    /// The same tool, noting each skill it loads in `active` (whose `allowed-tools` then
    /// narrow the turn's tools through a [`SkillGate`](crate::SkillGate)).
    pub fn with_active(mut self, active: crate::skill_gate::ActiveSkills) -> Self {
        self.active = active;
        self
    }
}

/// What loading `found` gives the model: its instructions, then its bundled files as paths
/// `view_file` takes (relative to `root` when inside it).
pub fn skill_text(found: &FoundSkill, root: &Path) -> String {
    let mut text = format!("# Skill: {}\n\n{}\n", found.skill.name, found.skill.body);
    if !found.files.is_empty() {
        text.push_str("\nFiles bundled with it (read them with view_file):\n");
        for file in &found.files {
            let path = found.dir.join(file);
            let shown = path.strip_prefix(root).unwrap_or(&path);
            text.push_str(&format!("- {}\n", shown.display()));
        }
    }
    if let Some(tools) = &found.skill.allowed_tools {
        text.push_str(&format!(
            "\nUse only these tools for it: {}\n",
            tools.join(", ")
        ));
    }
    text
}

#[async_trait::async_trait]
impl boocode_core::TypedTool for SkillTool {
    type Args = SkillArgs;
    const NAME: &'static str = "skill";
    const READ_ONLY: bool = true;

    fn description(&self) -> &str {
        "Load a skill listed in the system prompt: its instructions and the files bundled with \
         it. Load one when the task matches its description, before you start the task."
    }

    async fn call(
        &self,
        args: SkillArgs,
        _ctx: &boocode_core::ToolContext,
    ) -> Result<boocode_core::ToolOutput, boocode_core::ToolError> {
        match self.skills.get(args.name.trim().trim_start_matches('$')) {
            Some(found) => {
                self.active
                    .activate(&found.skill.name, found.skill.allowed_tools.as_deref());
                Ok(boocode_core::ToolOutput::new(skill_text(found, &self.root)))
            }
            None => Err(boocode_core::ToolError::ToModel(format!(
                "no skill {:?}; the skills are: {}",
                args.name,
                if self.skills.is_empty() {
                    "none".to_owned()
                } else {
                    self.skills.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            ))),
        }
    }
}

/// The skills a user message names as `$name` (a `$` at the start or after whitespace, then a
/// known skill's name), each once, in order of mention.
pub fn mentioned_skills<'a>(
    text: &str,
    skills: &'a BTreeMap<String, FoundSkill>,
) -> Vec<&'a FoundSkill> {
    let mut found: Vec<&FoundSkill> = Vec::new();
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices('$') {
        if i > 0 && !bytes[i - 1].is_ascii_whitespace() {
            continue;
        }
        let name: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        let name = name.trim_end_matches('-');
        if let Some(skill) = skills.get(name)
            && !found.iter().any(|f| f.skill.name == skill.skill.name)
        {
            found.push(skill);
        }
    }
    found
}
