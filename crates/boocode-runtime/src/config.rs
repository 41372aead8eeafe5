//! [`RuntimeConfig`]: how chats run — passed in, never read from globals.

use std::path::PathBuf;
use std::time::Duration;

/// Which product the runtime serves: the same chats, different defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// The workspace: many projects, chats read-only (`ask`) unless asked.
    #[default]
    Workspace,
    /// The coder daemon: one project (registered at start, no others may be added), and chats
    /// that write (`review`) unless asked otherwise.
    Coder {
        /// The project every chat works on.
        root: PathBuf,
    },
}

/// How chats run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RuntimeConfig {
    /// Workspace or coder daemon.
    pub profile: Profile,
    /// The native provider's default model id.
    pub model: Option<String>,
    /// Where the global BOOCHAT.md and `agents/` live (`~/.config/boocode`).
    pub config_dir: Option<PathBuf>,
    /// Where truncated tool outputs are kept.
    pub truncation_dir: Option<PathBuf>,
    /// Where isolated worktrees are kept (the data directory's `worktrees`); without it chats
    /// cannot be given one.
    pub worktree_dir: Option<PathBuf>,
    /// How often a streaming message is written to the store.
    pub flush_interval: Duration,
    /// Streaming rows idle this long are failed by the sweep.
    pub stale_after: Duration,
    /// How often the sweeper runs.
    pub sweep_interval: Duration,
    /// MCP servers whose tools every chat's turns may call (`server__tool`); started in the
    /// background, each offered once it is ready.
    pub mcp_servers: std::collections::BTreeMap<String, boocode_tools::McpServerConfig>,
    /// The providers chats may run on: BooCode's own loop and the external agents (Claude
    /// Code, claude-agent-acp, opencode, qwen-code, …), as `[providers.NAME]` settings adjust
    /// them.
    pub providers: Vec<boocode_agents::Provider>,
    /// How long an external agent's session stays warm after its chat's last turn.
    pub agent_idle: Duration,
    /// The SearXNG instance `web_search` queries, unless the `searxng_url` setting names
    /// another; without either, chats with web access get `web_fetch` only.
    pub searxng_url: Option<String>,
    /// How far Boomerang delegation (the `delegate` tool) may go.
    pub delegation: DelegationLimits,
    /// Hooks in Claude Code's format, for every chat whatever runs it.
    pub hooks: HookConfig,
}

/// Where hooks come from and how they run: `<config>/settings.json` and the project's
/// `.boocode/settings.json` (and `.claude/settings.json` when opted in), re-read at each event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HookConfig {
    /// Whether hooks run at all.
    pub enabled: bool,
    /// Whether the project's `.boocode/settings.json` hooks run (adding a project trusts its
    /// hooks, as opening a folder does in Claude Code; `false` runs only the user's own).
    pub project_settings: bool,
    /// Whether the project's `.claude/settings.json` (and `.local.json`) hooks run too.
    pub claude_settings: bool,
    /// Time limit and failure policy.
    pub policy: boocode_tools::HookPolicy,
}

impl Default for HookConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            project_settings: true,
            claude_settings: false,
            policy: boocode_tools::HookPolicy::default(),
        }
    }
}

/// Bounds on Boomerang delegation: a chat whose agent definition lists the `delegate` tool
/// hands subtasks to child chats. The budget is shared by the turn that first delegates and
/// every child, grandchild… it starts; when one runs out, `delegate` answers with a
/// `delegation stopped` sentinel instead of starting a child.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DelegationLimits {
    /// Children one delegation tree may start in all.
    pub max_children: u32,
    /// How deep delegation may nest: 1 lets a chat delegate but not its children.
    pub max_depth: u32,
    /// Children of one tree running at once; more wait for a slot.
    pub max_parallel: usize,
    /// Tokens (prompt + completion) the tree's children may spend before no more start.
    pub max_tokens: Option<u64>,
    /// Cost in USD the tree's children may spend before no more start.
    pub max_cost_usd: Option<f64>,
    /// How long one child may run (the `delegate` call's time limit).
    pub timeout: Duration,
    /// The verify commands a model may ask `delegate` to run, exactly as written. A command
    /// the model chose is a shell command: only ones the user listed here run (none by
    /// default).
    pub verify_allowed: Vec<String>,
}

impl Default for DelegationLimits {
    fn default() -> Self {
        Self {
            max_children: 8,
            max_depth: 2,
            max_parallel: 3,
            max_tokens: None,
            max_cost_usd: None,
            timeout: Duration::from_secs(30 * 60),
            verify_allowed: Vec::new(),
        }
    }
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            profile: Profile::Workspace,
            model: None,
            config_dir: None,
            truncation_dir: None,
            worktree_dir: None,
            flush_interval: Duration::from_millis(250),
            stale_after: boocode_store::STALE_STREAMING_AFTER,
            sweep_interval: Duration::from_secs(60),
            mcp_servers: std::collections::BTreeMap::new(),
            providers: boocode_agents::default_providers(),
            agent_idle: Duration::from_secs(600),
            searxng_url: None,
            delegation: DelegationLimits::default(),
            hooks: HookConfig::default(),
        }
    }
}

impl RuntimeConfig {
    /// The hooks of a chat working in `root`: `None` when hooks are off.
    pub fn chat_hooks(
        &self,
        chat_id: boocode_core::ChatId,
        root: &std::path::Path,
        mode: boocode_core::ChatMode,
        provider: &str,
    ) -> Option<std::sync::Arc<dyn boocode_core::Hooks>> {
        if !self.hooks.enabled {
            return None;
        }
        let files = boocode_tools::HookFiles::new(root, self.config_dir.clone())
            .with_project_settings(self.hooks.project_settings)
            .with_claude_settings(self.hooks.claude_settings);
        let mode = match mode {
            boocode_core::ChatMode::AutoApply => "acceptEdits",
            boocode_core::ChatMode::Ask => "plan",
            _ => "default",
        };
        let scope = boocode_tools::HookScope::new(chat_id.to_string(), root)
            .permission_mode(mode)
            .provider(provider);
        Some(std::sync::Arc::new(boocode_tools::CommandHooks::new(
            files,
            scope,
            self.hooks.policy,
        )))
    }

    /// The project root of the coder profile.
    pub fn coder_root(&self) -> Option<&std::path::Path> {
        match &self.profile {
            Profile::Coder { root } => Some(root),
            Profile::Workspace => None,
        }
    }

    /// The settings a new chat gets when its request names none: BooCode's own loop, in
    /// `ask` mode in the workspace and in `review` mode in the coder profile.
    pub fn default_chat_settings(&self) -> boocode_store::ChatSettings {
        let mut settings = boocode_store::ChatSettings::default();
        if matches!(self.profile, Profile::Coder { .. }) {
            settings.mode = boocode_core::ChatMode::Review;
        }
        settings
    }
}
