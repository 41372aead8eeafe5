//! [`ServerConfig`]: everything the API needs to know, passed in (never read from globals).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Which product the server is: the same routes, different defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// The workspace: many projects, the web UI, chats read-only (`ask`) unless asked.
    #[default]
    Workspace,
    /// The coder daemon: one project (registered at boot, no others may be added), no web UI,
    /// and chats that write (`review`) unless asked otherwise.
    Coder {
        /// The project every chat works on.
        root: PathBuf,
    },
}

/// How the server runs. Its `Debug` output hides the token and the API key.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Workspace or coder daemon.
    pub profile: Profile,
    /// Where to listen. Loopback unless authentication is configured.
    pub bind: SocketAddr,
    /// A shared secret: `Authorization: Bearer <token>` or the cookie the login page sets.
    pub auth_token: Option<String>,
    /// Reverse proxies whose authentication header is trusted.
    pub trusted_proxies: Vec<IpAddr>,
    /// The header a trusted proxy sets to the authenticated user (e.g. `Remote-User`).
    pub proxy_user_header: String,
    /// Extra origins allowed to open WebSockets and send state-changing requests (the
    /// server's own origin always is).
    pub allowed_origins: Vec<String>,
    /// Host names answered besides `localhost`, `127.0.0.1` and `[::1]` when no token or
    /// trusted proxy authenticates requests (DNS rebinding defence).
    pub allowed_hosts: Vec<String>,
    /// Existing directories may be added as projects only under these roots.
    pub allowed_roots: Vec<PathBuf>,
    /// New projects are created here.
    pub bootstrap_root: Option<PathBuf>,
    /// The OpenAI-compatible model server.
    pub model_url: String,
    /// The default model id.
    pub model: Option<String>,
    /// The model server's API key (never logged).
    pub api_key: Option<String>,
    /// Where the global BOOCHAT.md and `agents/` live (`~/.config/boocode`).
    pub config_dir: Option<PathBuf>,
    /// The built web UI (`web/dist`); `None` serves a page saying how to build it.
    pub web_dir: Option<PathBuf>,
    /// Where truncated tool outputs are kept.
    pub truncation_dir: Option<PathBuf>,
    /// How long to wait for the model's first token, and between tokens.
    pub model_timeout: Duration,
    /// How often a streaming message is written to the store.
    pub flush_interval: Duration,
    /// Streaming rows idle this long are failed by the sweep.
    pub stale_after: Duration,
    /// How often the sweeper runs.
    pub sweep_interval: Duration,
    /// Largest request body accepted.
    pub body_limit: usize,
    /// Longest a user message may be, in bytes.
    pub max_message_bytes: usize,
    /// MCP servers whose tools every chat's turns may call (`server__tool`); started in the
    /// background at boot, each offered once it is ready.
    pub mcp_servers: std::collections::BTreeMap<String, boocode_tools::McpServerConfig>,
    /// The providers chats may run on: BooCode's own loop and the external agents (Claude
    /// Code, claude-agent-acp, opencode, …), as `[providers.NAME]` settings adjust them.
    pub providers: Vec<boocode_agents::Provider>,
    /// How long an external agent's session stays warm after its chat's last turn.
    pub agent_idle: Duration,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |s: &Option<String>| s.as_ref().map(|_| "<set>");
        f.debug_struct("ServerConfig")
            .field("profile", &self.profile)
            .field("bind", &self.bind)
            .field("auth_token", &hidden(&self.auth_token))
            .field("trusted_proxies", &self.trusted_proxies)
            .field("proxy_user_header", &self.proxy_user_header)
            .field("allowed_origins", &self.allowed_origins)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_roots", &self.allowed_roots)
            .field("bootstrap_root", &self.bootstrap_root)
            .field(
                "model_url",
                &boocode_tools::redact_url_credentials(&self.model_url),
            )
            .field("model", &self.model)
            .field("api_key", &hidden(&self.api_key))
            .field("flush_interval", &self.flush_interval)
            .field("stale_after", &self.stale_after)
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// Defaults for a server on loopback talking to a model at `model_url`.
    pub fn new(model_url: impl Into<String>) -> Self {
        Self {
            profile: Profile::Workspace,
            bind: SocketAddr::from(([127, 0, 0, 1], 7410)),
            auth_token: None,
            trusted_proxies: Vec::new(),
            proxy_user_header: "Remote-User".into(),
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            allowed_roots: Vec::new(),
            bootstrap_root: None,
            model_url: model_url.into(),
            model: None,
            api_key: None,
            config_dir: None,
            truncation_dir: None,
            web_dir: None,
            model_timeout: Duration::from_secs(300),
            flush_interval: Duration::from_millis(250),
            stale_after: boocode_store::STALE_STREAMING_AFTER,
            sweep_interval: Duration::from_secs(60),
            body_limit: 2 * 1024 * 1024,
            max_message_bytes: 1024 * 1024,
            mcp_servers: std::collections::BTreeMap::new(),
            providers: boocode_agents::default_providers(),
            agent_idle: Duration::from_secs(600),
        }
    }

    /// The coder daemon's defaults for the project at `root`: loopback port 7411, that one
    /// project only (existing directories are added under it alone), no web UI, and new
    /// chats in `review` mode.
    pub fn coder(root: impl Into<PathBuf>, model_url: impl Into<String>) -> Self {
        let root = root.into();
        let mut config = Self::new(model_url);
        config.bind = SocketAddr::from(([127, 0, 0, 1], 7411));
        config.allowed_roots = vec![root.clone()];
        config.profile = Profile::Coder { root };
        config
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

    /// Whether every request is authenticated (a token or trusted proxies).
    pub fn authenticates(&self) -> bool {
        self.auth_token
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty())
            || !self.trusted_proxies.is_empty()
    }

    /// Refuses configurations that would expose the server: a non-loopback bind needs an auth
    /// token or trusted proxies; a token must have 16+ characters.
    pub fn check_exposure(&self) -> Result<(), String> {
        if let Some(token) = &self.auth_token
            && !token.trim().is_empty()
            && token.trim().len() < 16
        {
            return Err("BOOCODE_AUTH_TOKEN must be at least 16 characters".into());
        }
        if self.bind.ip().is_loopback() {
            return Ok(());
        }
        if self
            .auth_token
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty())
            || !self.trusted_proxies.is_empty()
        {
            return Ok(());
        }
        Err(format!(
            "refusing to listen on {} without authentication: set BOOCODE_AUTH_TOKEN (or trusted proxies), or bind 127.0.0.1",
            self.bind
        ))
    }
}
