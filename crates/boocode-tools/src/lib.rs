//! BooCode's guarded tools: the safety boundary between a model and a developer's machine.
//! (Recipe: the workspace's `examples/review_queue.rs` — guarded search and read, then an edit
//! proposed, applied and rewound, in a program of your own.) Features, both on by default:
//! `web` (the web tools and [`UrlGuard::fetch`]; reqwest, rustls, htmd) and `mcp`
//! ([`McpServers`]; rmcp — recipe: `examples/mcp_tools.rs`). Without them the crate is the
//! guards and the read and write tools.
//!
//! Every filesystem path goes through [`PathGuard`] (inside the project root or an explicit read
//! grant, after canonicalization, symlinks included) and [`SecretGuard`] (a deny list of
//! credential files, applied to reads, listings and search results alike). The network is
//! reached only through [`UrlGuard`]. Output past a tool's limit is cut with a notice and kept
//! in a [`TruncationStore`] under an opaque id. Write tools ([`write_tools`]) only propose: each
//! edit becomes a pending change that [`apply_pending`] writes atomically and [`rewind`] undoes.
//!
//! ```
//! use boocode_tools::{PathGuard, ToolEnv, Tier, read_tools};
//! use std::sync::Arc;
//!
//! let project = std::env::temp_dir();
//! let env = Arc::new(ToolEnv::new(PathGuard::new(&project)?));
//! let (tools, unknown) = read_tools(env, Tier::Core, None);
//! assert_eq!(tools.names().collect::<Vec<_>>(), ["find_files", "grep", "list_dir", "view_file"]);
//! assert!(unknown.is_empty());
//! # Ok::<(), boocode_tools::PathError>(())
//! ```

mod browse;
mod changes;
mod env;
mod guard;
mod hooks;
mod instructions;
#[cfg(feature = "mcp")]
mod mcp;
mod read;
mod registry;
mod settings;
mod skill_gate;
mod skills;
mod truncate;
#[cfg(feature = "web")]
mod web;
mod write;

pub use boocode_core::redact_url_credentials;
pub use browse::{
    DirEntry, FIND_PATHS_SCAN_LIMIT, FileContent, find_paths, list_entries, read_file,
};
pub use changes::{
    ChangeError, ChangeReport, DEFAULT_FILE_MODE, Refusal, apply_pending, content_hash,
    reject_pending, rewind, unified_diff,
};
pub use env::{ToolEnv, WebConfig};
pub use guard::path::{
    Access, CREDENTIAL_FOLDERS, GuardedPath, PathError, PathGuard, check_project_root,
};
pub use guard::protected::{DEFAULT_PROTECTED, ProtectedPaths, ProtectedPatternError};
pub use guard::secret::{DEFAULT_ALLOW, DEFAULT_DENY, SecretGuard, SecretPatternError};
pub use guard::url::{CheckedUrl, Fetched, UrlError, UrlGuard, blocked_reason};
pub use hooks::{
    CommandHooks, HOOK_OUTPUT_MAX_BYTES, HOOK_SETTINGS_MAX_BYTES, HOOK_TIMEOUT, HookCommand,
    HookFiles, HookPolicy, HookScope, HookSettings, MatcherGroup, claude_tool_name,
};
pub use instructions::{
    INSTRUCTION_MAX_BYTES, Instruction, InstructionError, agent_infos, builtin_agents, load_agents,
    native_system_prompt, project_name_of, read_instruction, system_prompt,
};
#[cfg(feature = "mcp")]
pub use mcp::{McpServerConfig, McpServers, McpStatus};
pub use read::{
    CaseMode, FindFiles, FindFilesArgs, Grep, GrepArgs, ListDir, ListDirArgs, ViewFile,
    ViewFileArgs, ViewTruncatedArgs, ViewTruncatedOutput,
};
pub use registry::{Tier, read_tools};
pub use settings::read_settings_file;
pub use skill_gate::{ActiveSkills, SkillGate};
pub use skills::{
    FoundSkill, MAX_BUNDLED_FILES, SKILL_MAX_BYTES, SkillArgs, SkillTool, Skills, load_skills,
    mentioned_skills, project_skills, skill_dirs, skill_text,
};
pub use truncate::{
    TRUNCATION_MAX_BYTES, TRUNCATION_TTL, TruncationError, TruncationStore, is_valid_id,
};
#[cfg(feature = "web")]
pub use web::{WebFetch, WebFetchArgs, WebSearch, WebSearchArgs, html_to_markdown};
pub use write::{
    CreateFile, CreateFileArgs, DeleteFile, DeleteFileArgs, EditFile, EditFileArgs, Proposer,
    WRITE_MAX_BYTES, WriteMode, write_tools,
};
