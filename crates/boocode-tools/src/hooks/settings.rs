//! Hook settings in Claude Code's format, and the files they are read from.
//!
//! ```json
//! { "hooks": { "PreToolUse": [ { "matcher": "Bash|grep",
//!     "hooks": [ { "type": "command", "command": "./guard.sh", "timeout": 30 } ] } ] } }
//! ```
//!
//! Other keys of a settings file (`permissions`, `env`, …) are Claude Code's and left alone;
//! events BooCode does not fire and hook types other than `command` are reported and skipped.

use crate::guard::path::{Access, PathGuard};
use boocode_core::HookEvent;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest settings file read.
pub const HOOK_SETTINGS_MAX_BYTES: u64 = 256 * 1024;

/// One configured command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookCommand {
    /// The shell command line (`sh -c`).
    pub command: String,
    /// Its own time limit, over the default.
    pub timeout: Option<Duration>,
    /// The file it came from.
    pub file: String,
}

/// Commands run for the events whose match key the matcher accepts.
#[derive(Debug, Clone)]
pub struct MatcherGroup {
    /// The matcher as written (`None`, `""` and `"*"` accept everything).
    pub matcher: Option<String>,
    pattern: Option<regex::Regex>,
    /// The commands.
    pub hooks: Vec<HookCommand>,
}

impl MatcherGroup {
    /// Whether the group applies to `key` (a tool name, a session source, …) or any of its
    /// `aliases` (a native tool's Claude Code name, so `Edit|Write` matchers work unchanged).
    pub fn matches(&self, key: Option<&str>, aliases: &[&str]) -> bool {
        let Some(pattern) = &self.pattern else {
            return true;
        };
        let Some(key) = key else {
            // Events without a match key run every group.
            return true;
        };
        std::iter::once(key)
            .chain(aliases.iter().copied())
            .any(|k| pattern.is_match(k))
    }
}

/// Hook settings read from one or more files, in order.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct HookSettings {
    /// Groups by event, from every file, in file order.
    pub events: BTreeMap<HookEvent, Vec<MatcherGroup>>,
    /// What was skipped, naming the file and field.
    pub warnings: Vec<String>,
}

impl HookSettings {
    /// Parses the `hooks` of settings file `file` (its name is used in warnings). Invalid JSON
    /// or a `hooks` that is not an object is an error; a bad entry is skipped with a warning.
    pub fn parse(file: &str, text: &str) -> Result<Self, String> {
        let mut settings = Self::default();
        settings.add(file, text)?;
        Ok(settings)
    }

    /// Adds the hooks of another settings file after these.
    pub fn add(&mut self, file: &str, text: &str) -> Result<(), String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("{file}: not valid JSON ({e})"))?;
        let Some(hooks) = value.get("hooks") else {
            return Ok(());
        };
        let hooks = hooks
            .as_object()
            .ok_or_else(|| format!("{file}: `hooks` must be an object of events"))?;
        for (event_name, groups) in hooks {
            let Some(event) = HookEvent::parse(event_name) else {
                self.warnings.push(format!(
                    "{file}: hooks.{event_name}: BooCode does not fire this event; skipped"
                ));
                continue;
            };
            let Some(groups) = groups.as_array() else {
                self.warnings.push(format!(
                    "{file}: hooks.{event_name} must be a list of matcher groups; skipped"
                ));
                continue;
            };
            for (i, group) in groups.iter().enumerate() {
                let at = format!("{file}: hooks.{event_name}[{i}]");
                match parse_group(&at, file, group, &mut self.warnings) {
                    Ok(Some(group)) => self.events.entry(event).or_default().push(group),
                    Ok(None) => {}
                    Err(e) => self.warnings.push(e),
                }
            }
        }
        Ok(())
    }

    /// Whether any hook is configured for `event`.
    pub fn has(&self, event: HookEvent) -> bool {
        self.events.get(&event).is_some_and(|g| !g.is_empty())
    }
}

fn parse_group(
    at: &str,
    file: &str,
    group: &serde_json::Value,
    warnings: &mut Vec<String>,
) -> Result<Option<MatcherGroup>, String> {
    let matcher = match group.get("matcher") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(m)) => Some(m.clone()),
        Some(_) => return Err(format!("{at}.matcher must be a string; group skipped")),
    };
    let pattern = match matcher.as_deref().map(str::trim) {
        None | Some("") | Some("*") => None,
        Some(m) => Some(regex::Regex::new(&format!("^(?:{m})$")).map_err(|e| {
            format!("{at}.matcher {m:?} is not a valid pattern ({e}); group skipped")
        })?),
    };
    let Some(entries) = group.get("hooks").and_then(|h| h.as_array()) else {
        return Err(format!("{at}.hooks must be a list; group skipped"));
    };
    let mut hooks = Vec::new();
    for (j, entry) in entries.iter().enumerate() {
        let kind = entry.get("type").and_then(|t| t.as_str()).unwrap_or("");
        if kind != "command" {
            warnings.push(format!(
                "{at}.hooks[{j}]: type {kind:?} is not supported (only \"command\"); skipped"
            ));
            continue;
        }
        let Some(command) = entry
            .get("command")
            .and_then(|c| c.as_str())
            .filter(|c| !c.trim().is_empty())
        else {
            warnings.push(format!("{at}.hooks[{j}].command is missing; skipped"));
            continue;
        };
        let timeout = match entry.get("timeout") {
            None | Some(serde_json::Value::Null) => None,
            Some(t) => match t.as_f64().filter(|s| *s > 0.0 && *s <= 3600.0) {
                Some(secs) => Some(Duration::from_secs_f64(secs)),
                None => {
                    warnings.push(format!(
                        "{at}.hooks[{j}].timeout must be seconds between 0 and 3600; the default is used"
                    ));
                    None
                }
            },
        };
        hooks.push(HookCommand {
            command: command.to_owned(),
            timeout,
            file: file.to_owned(),
        });
    }
    if hooks.is_empty() {
        return Ok(None);
    }
    Ok(Some(MatcherGroup {
        matcher,
        pattern,
        hooks,
    }))
}

/// Where a project's hook settings come from, lowest first: the user's
/// `<config>/settings.json`, the project's `.boocode/settings.json`, and — only when
/// `claude` is set — the project's `.claude/settings.json` and `.claude/settings.local.json`.
/// Hooks of every file run (none overrides another).
#[derive(Debug, Clone)]
pub struct HookFiles {
    /// The user's config folder (`~/.config/boocode`), if any.
    pub config_dir: Option<PathBuf>,
    /// The project root.
    pub project: PathBuf,
    /// Whether Claude Code's project settings are read too.
    pub claude: bool,
    /// Whether the project's own files are read at all (the user's always are).
    pub project_files: bool,
}

impl HookFiles {
    /// The files of `project`, with the user's config folder.
    pub fn new(project: impl Into<PathBuf>, config_dir: Option<PathBuf>) -> Self {
        Self {
            config_dir,
            project: project.into(),
            claude: false,
            project_files: true,
        }
    }

    /// Reads the project's files (`.boocode/settings.json`, and Claude Code's when asked) or,
    /// with `false`, only the user's own: a repository's hooks are commands it chose.
    pub fn with_project_settings(mut self, read: bool) -> Self {
        self.project_files = read;
        self
    }

    /// Also reads the project's `.claude/settings.json` (opt-in: another tool's file).
    pub fn with_claude_settings(mut self, claude: bool) -> Self {
        self.claude = claude;
        self
    }

    /// The candidate files as (guard root, name relative to it).
    fn candidates(&self) -> Vec<(PathBuf, &'static str, bool)> {
        let mut out = Vec::new();
        if let Some(dir) = &self.config_dir {
            out.push((dir.clone(), "settings.json", true));
        }
        if !self.project_files {
            return out;
        }
        out.push((self.project.clone(), ".boocode/settings.json", false));
        if self.claude {
            out.push((self.project.clone(), ".claude/settings.json", false));
            out.push((self.project.clone(), ".claude/settings.local.json", false));
        }
        out
    }

    /// Reads every file that exists (through the path guard, size checked before reading) and
    /// parses its hooks. A file that cannot be read or parsed is a warning; the others load.
    pub fn load(&self) -> HookSettings {
        let mut settings = HookSettings::default();
        for (root, name, own) in self.candidates() {
            let label = root.join(name).display().to_string();
            match read_guarded(&root, name, own) {
                Ok(None) => {}
                Ok(Some(text)) => {
                    if let Err(e) = settings.add(&label, &text) {
                        settings.warnings.push(e);
                    }
                }
                Err(e) => settings.warnings.push(format!("{label}: {e}")),
            }
        }
        for warning in &settings.warnings {
            tracing::warn!("hook settings: {warning}");
        }
        settings
    }
}

/// `name` under `root` through a path guard: `None` when it does not exist.
fn read_guarded(root: &Path, name: &str, own: bool) -> Result<Option<String>, String> {
    if !root.join(name).exists() && std::fs::symlink_metadata(root.join(name)).is_err() {
        return Ok(None);
    }
    let guard = if own {
        PathGuard::for_own_folder(root)
    } else {
        PathGuard::new(root)
    }
    .map_err(|e| e.to_string())?;
    let path = guard
        .resolve_existing(name, Access::Read)
        .map_err(|e| e.to_string())?;
    let file = guard.open_read(&path).map_err(|e| e.to_string())?;
    let size = file.metadata().map_err(|e| e.to_string())?.len();
    if size > HOOK_SETTINGS_MAX_BYTES {
        return Err(format!(
            "{size} bytes; a settings file may have at most {HOOK_SETTINGS_MAX_BYTES}"
        ));
    }
    let mut bytes = Vec::new();
    file.take(HOOK_SETTINGS_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > HOOK_SETTINGS_MAX_BYTES {
        return Err("grew past the size limit while read".into());
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| "is not UTF-8 text".into())
}
