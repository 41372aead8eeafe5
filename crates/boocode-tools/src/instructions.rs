//! Instruction files — `BOOCHAT.md` (project and global), agent definitions, and any later
//! instruction or skill file — read through the same guards as a model's reads.
//!
//! A repository is untrusted input: its `BOOCHAT.md` may be a symlink to `~/.aws/credentials`,
//! a FIFO that never delivers, or `/dev/zero`. So each file is resolved by a [`PathGuard`]
//! rooted at its folder (no link leaving it), checked against the [`SecretGuard`], opened
//! without blocking, accepted only as a regular file, and read up to
//! [`INSTRUCTION_MAX_BYTES`] (the rest dropped with a warning in the log). These are blocking
//! calls: async callers run them on a blocking thread.

use crate::guard::path::{Access, PathError, PathGuard};
use crate::guard::secret::SecretGuard;
use boocode_core::{AgentDef, AgentDefError, AgentRegistry, SystemPrompt};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most of one instruction file that is read; the rest is dropped with a logged notice.
pub const INSTRUCTION_MAX_BYTES: usize = 64 * 1024;

/// Why an instruction file was not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstructionError {
    /// The path guard refused it (a link out of its folder, a device or FIFO, …).
    #[error("instruction file {file}: {source}")]
    Refused {
        /// The file.
        file: String,
        /// The guard's reason.
        #[source]
        source: PathError,
    },
    /// It matches the secret deny list.
    #[error("instruction file {file}: refused, it matches the secret deny list ({pattern})")]
    Secret {
        /// The file.
        file: String,
        /// The matching pattern.
        pattern: String,
    },
    /// Reading failed.
    #[error("instruction file {file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// An instruction file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Where it was read from (canonical).
    pub path: PathBuf,
    /// Its text (lossily decoded), at most [`INSTRUCTION_MAX_BYTES`] bytes.
    pub text: String,
    /// Whether the file was longer and its tail was dropped.
    pub truncated: bool,
}

/// Reads `name` in `dir` through the guards; `Ok(None)` when the folder or file does not exist.
pub fn read_instruction(
    dir: &Path,
    name: &str,
    secrets: &SecretGuard,
) -> Result<Option<Instruction>, InstructionError> {
    let file = dir.join(name).display().to_string();
    let refused = |source: PathError| InstructionError::Refused {
        file: file.clone(),
        source,
    };
    if !dir.is_dir() {
        return Ok(None);
    }
    let guard = PathGuard::for_own_folder(dir).map_err(refused)?;
    let guarded = match guard.resolve_existing(name, Access::Read) {
        Ok(g) => g,
        Err(PathError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(refused(e)),
    };
    let home = dirs::home_dir().map(|h| h.canonicalize().unwrap_or(h));
    if let Some(pattern) =
        secrets.matching_pattern_anywhere(guarded.relative(), guarded.as_path(), home.as_deref())
    {
        return Err(InstructionError::Secret {
            file,
            pattern: pattern.to_owned(),
        });
    }
    let opened = guard.open_read(&guarded).map_err(refused)?;
    let mut bytes = Vec::with_capacity(4096);
    opened
        .take(INSTRUCTION_MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InstructionError::Io {
            file: file.clone(),
            source,
        })?;
    let truncated = bytes.len() > INSTRUCTION_MAX_BYTES;
    if truncated {
        bytes.truncate(INSTRUCTION_MAX_BYTES);
        tracing::warn!(
            file = %file,
            limit = INSTRUCTION_MAX_BYTES,
            "instruction file is longer than the limit; only its beginning is used"
        );
    }
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if truncated {
        // The cut may have split a character: drop the replacement it became.
        while text.ends_with('\u{fffd}') {
            text.pop();
        }
    }
    Ok(Some(Instruction {
        path: guarded.as_path().to_path_buf(),
        text,
        truncated,
    }))
}

/// The system prompt of a native turn in `project_root`: `BOOCHAT.md` from `config_dir` (the
/// global one, `~/.config/boocode`) and from the project, read through [`read_instruction`]
/// (a refused file is left out with a warning), assembled with the agent's body by
/// [`SystemPrompt::assemble`]. Every runner — `boocode run`, server chats, coder runs, MCP
/// `dispatch_agent` — calls this one function, so one project gets one prompt.
pub fn system_prompt(
    project_name: &str,
    project_root: &Path,
    config_dir: Option<&Path>,
    agent: Option<&AgentDef>,
) -> SystemPrompt {
    let secrets = SecretGuard::default();
    let read = |dir: &Path| match read_instruction(dir, "BOOCHAT.md", &secrets) {
        Ok(found) => found.map(|f| f.text),
        Err(e) => {
            tracing::warn!(error = %e, "skipping an instruction file");
            None
        }
    };
    let global = config_dir.and_then(read);
    let project = read(project_root);
    SystemPrompt::assemble(
        project_name,
        project_root,
        global.as_deref(),
        project.as_deref(),
        agent,
    )
}

/// [`system_prompt`] for a run with no agent in `project_root` (named after its folder), read
/// on a blocking thread; `None` only if that thread failed.
pub async fn native_system_prompt(
    project_root: PathBuf,
    config_dir: Option<PathBuf>,
) -> Option<String> {
    tokio::task::spawn_blocking(move || {
        system_prompt(
            &project_name_of(&project_root),
            &project_root,
            config_dir.as_deref(),
            None,
        )
        .text
    })
    .await
    .ok()
}

/// The name a project is shown by when nobody named it: its folder's name.
pub fn project_name_of(root: &Path) -> String {
    root.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project".into())
}

/// The agents BooCode ships: `architect` (a read-only planner), `refactorer` (one small edit,
/// five steps), `reviewer` (problems cited as path:line) and `orchestrator` (delegates
/// subtasks to child chats).
pub fn builtin_agents() -> AgentRegistry {
    let mut registry = AgentRegistry::new();
    for (file, text) in BUILTIN_AGENTS {
        match AgentDef::parse(file, text) {
            Ok(def) => registry.insert(def),
            Err(e) => tracing::error!(error = %e, "a built-in agent does not parse"),
        }
    }
    registry
}

const BUILTIN_AGENTS: &[(&str, &str)] = &[
    ("architect.md", include_str!("../agents/architect.md")),
    ("orchestrator.md", include_str!("../agents/orchestrator.md")),
    ("refactorer.md", include_str!("../agents/refactorer.md")),
    ("reviewer.md", include_str!("../agents/reviewer.md")),
];

/// `registry` as clients list it, by name: each agent's scope is `builtin`, `project` (from
/// `project_root`'s `.boocode/agents`) or `global`.
pub fn agent_infos(
    registry: &AgentRegistry,
    project_root: &Path,
) -> Vec<boocode_core::protocol::AgentInfo> {
    let local = project_root.join(".boocode");
    registry
        .iter()
        .map(|a| boocode_core::protocol::AgentInfo {
            name: a.name.clone(),
            description: a.description.clone(),
            tools: a.tools.clone(),
            model: a.model.clone(),
            scope: match a.source.as_deref() {
                None => "builtin".into(),
                Some(s) if s.starts_with(&local) => "project".into(),
                Some(_) => "global".into(),
            },
        })
        .collect()
}

/// The built-in agents ([`builtin_agents`]), then every `*.md` agent definition in each folder,
/// in order, through [`read_instruction`]; a later definition of the same name replaces an
/// earlier one (project agents override global ones, both override built-in ones) and one with
/// `disabled: true` removes its name. Missing folders are skipped; bad or refused files are returned
/// as errors and do not stop the others.
pub fn load_agents<P: AsRef<Path>>(
    dirs: &[P],
    secrets: &SecretGuard,
) -> (AgentRegistry, Vec<AgentDefError>) {
    let mut registry = builtin_agents();
    let mut errors = Vec::new();
    for dir in dirs {
        let dir = dir.as_ref();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                errors.push(AgentDefError::Io {
                    file: dir.display().to_string(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".md"))
            .collect();
        names.sort();
        for name in names {
            let file = dir.join(&name);
            match read_instruction(dir, &name, secrets) {
                Ok(Some(found)) => {
                    match AgentDef::parse(&file.display().to_string(), &found.text) {
                        Ok(mut def) if def.disabled => {
                            def.source = Some(file);
                            registry.remove(&def.name);
                        }
                        Ok(mut def) => {
                            def.source = Some(file);
                            registry.insert(def);
                        }
                        Err(e) => errors.push(e),
                    }
                }
                Ok(None) => {}
                Err(e) => errors.push(AgentDefError::Io {
                    file: file.display().to_string(),
                    message: e.to_string(),
                }),
            }
        }
    }
    (registry, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_agents_load_and_a_file_overrides_or_disables_one() {
        let builtin = builtin_agents();
        let names: Vec<&str> = builtin.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            ["architect", "orchestrator", "refactorer", "reviewer"]
        );
        assert!(
            builtin
                .iter()
                .all(|a| a.source.is_none() && !a.prompt.is_empty())
        );
        assert_eq!(builtin.get("refactorer").unwrap().steps, Some(5));
        assert!(
            builtin
                .get("orchestrator")
                .unwrap()
                .tools
                .as_ref()
                .unwrap()
                .iter()
                .any(|t| t == "delegate")
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("reviewer.md"),
            "---\nname: reviewer\nsteps: 3\n---\nMine.\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("off.md"),
            "---\nname: architect\ndisabled: true\n---\n",
        )
        .unwrap();
        let (agents, errors) = load_agents(&[dir.path()], &SecretGuard::default());
        assert!(errors.is_empty(), "{errors:?}");
        assert!(agents.get("architect").is_none(), "disabled by a file");
        assert_eq!(agents.get("reviewer").unwrap().prompt, "Mine.");
        assert!(agents.get("reviewer").unwrap().source.is_some());
        assert!(agents.get("orchestrator").unwrap().source.is_none());
    }
    use std::os::unix::fs::symlink;

    #[test]
    fn links_out_devices_fifos_and_secrets_are_refused_and_long_files_cut() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("credentials"), "AKIA_SECRET").unwrap();
        symlink(
            outside.path().join("credentials"),
            dir.path().join("LEAK.md"),
        )
        .unwrap();
        symlink("/dev/zero", dir.path().join("ZERO.md")).unwrap();
        nix::unistd::mkfifo(
            &dir.path().join("FIFO.md"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        std::fs::write(dir.path().join(".env"), "TOKEN=x").unwrap();
        std::fs::write(dir.path().join("BIG.md"), "é".repeat(40_000)).unwrap();
        std::fs::write(dir.path().join("OK.md"), "Use tabs.").unwrap();
        let secrets = SecretGuard::default();
        for (name, rule) in [
            ("LEAK.md", "symlink_escape"),
            ("ZERO.md", "symlink_escape"),
            ("FIFO.md", "special_file"),
        ] {
            match read_instruction(dir.path(), name, &secrets) {
                Err(InstructionError::Refused { source, .. }) => {
                    assert_eq!(source.rule(), rule, "{name}")
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        assert!(matches!(
            read_instruction(dir.path(), ".env", &secrets),
            Err(InstructionError::Secret { .. })
        ));
        let big = read_instruction(dir.path(), "BIG.md", &secrets)
            .unwrap()
            .unwrap();
        assert!(big.truncated);
        assert!(big.text.len() <= INSTRUCTION_MAX_BYTES);
        assert!(big.text.ends_with('é'));
        assert_eq!(
            read_instruction(dir.path(), "OK.md", &secrets)
                .unwrap()
                .unwrap()
                .text,
            "Use tabs."
        );
        assert_eq!(
            read_instruction(dir.path(), "MISSING.md", &secrets).unwrap(),
            None
        );
        assert_eq!(
            read_instruction(&dir.path().join("nope"), "OK.md", &secrets).unwrap(),
            None
        );
    }

    #[test]
    fn agents_load_through_the_guards_and_later_folders_override() {
        let base = tempfile::tempdir().unwrap();
        let (global, project) = (base.path().join("global"), base.path().join("project"));
        std::fs::create_dir_all(&global).unwrap();
        std::fs::create_dir_all(&project).unwrap();
        std::fs::write(global.join("a.md"), "---\nname: a\nsteps: 1\n---\nglobal").unwrap();
        std::fs::write(global.join("b.md"), "---\nname: b\n---\nb").unwrap();
        std::fs::write(global.join("notes.txt"), "ignored").unwrap();
        std::fs::write(project.join("a.md"), "---\nname: a\nsteps: 2\n---\nproject").unwrap();
        std::fs::write(project.join("bad.md"), "---\nname: 3\n---\n").unwrap();
        symlink("/dev/zero", project.join("zero.md")).unwrap();
        let (registry, errors) = load_agents(
            &[global.clone(), project.clone(), base.path().join("missing")],
            &SecretGuard::default(),
        );
        assert_eq!(registry.len(), 2 + builtin_agents().len());
        let a = registry.get("a").unwrap();
        assert_eq!((a.steps, a.prompt.as_str()), (Some(2), "project"));
        assert_eq!(a.source.as_deref(), Some(project.join("a.md").as_path()));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().any(|e| e.to_string().contains("bad.md")));
        assert!(errors.iter().any(|e| e.to_string().contains("zero.md")));
    }
}
