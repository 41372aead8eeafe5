//! [`ServerConfig`]: how the server listens and authenticates, and the runtime's settings;
//! passed in, never read from globals.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// How the server runs. Its `Debug` output hides the token and the API key.
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
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
    /// How chats run (models, providers, MCP servers, timings, the profile).
    pub runtime: boocode_runtime::RuntimeConfig,
    /// Existing directories may be added as projects only under these roots.
    pub allowed_roots: Vec<PathBuf>,
    /// New projects are created here.
    pub bootstrap_root: Option<PathBuf>,
    /// The OpenAI-compatible model server.
    pub model_url: String,
    /// The model server's API key (never logged).
    pub api_key: Option<String>,
    /// The built web UI (`web/dist`); `None` serves a page saying how to build it.
    pub web_dir: Option<PathBuf>,
    /// How long to wait for the model's first token, and between tokens.
    pub model_timeout: Duration,
    /// Largest request body accepted.
    pub body_limit: usize,
    /// Longest a user message may be, in bytes.
    pub max_message_bytes: usize,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |s: &Option<String>| s.as_ref().map(|_| "<set>");
        f.debug_struct("ServerConfig")
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
            .field("api_key", &hidden(&self.api_key))
            .field("runtime", &self.runtime)
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// Defaults for a server on loopback talking to a model at `model_url`.
    pub fn new(model_url: impl Into<String>) -> Self {
        Self {
            runtime: boocode_runtime::RuntimeConfig::default(),
            bind: SocketAddr::from(([127, 0, 0, 1], 7410)),
            auth_token: None,
            trusted_proxies: Vec::new(),
            proxy_user_header: "Remote-User".into(),
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            allowed_roots: Vec::new(),
            bootstrap_root: None,
            model_url: model_url.into(),
            api_key: None,
            web_dir: None,
            model_timeout: Duration::from_secs(300),
            body_limit: 2 * 1024 * 1024,
            max_message_bytes: 1024 * 1024,
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
        config.runtime.profile = boocode_runtime::Profile::Coder { root };
        config
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

/// `[delegation]`: bounds on Boomerang delegation (the `delegate` tool); unset keys keep
/// their defaults.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DelegationSettings {
    /// Children one delegation tree may start.
    pub max_children: Option<u32>,
    /// How deep delegation may nest.
    pub max_depth: Option<u32>,
    /// Children running at once.
    pub max_parallel: Option<usize>,
    /// Tokens the children may spend.
    pub max_tokens: Option<u64>,
    /// Cost in USD the children may spend.
    pub max_cost_usd: Option<f64>,
    /// Seconds one child may run.
    pub timeout_secs: Option<u64>,
    /// Verify commands a model may ask a delegation to run, exactly as written.
    #[serde(default)]
    pub verify_allowed: Vec<String>,
}

impl DelegationSettings {
    /// Sets what this names in `limits`.
    pub fn apply(&self, limits: &mut boocode_runtime::DelegationLimits) {
        if let Some(v) = self.max_children {
            limits.max_children = v;
        }
        if let Some(v) = self.max_depth {
            limits.max_depth = v;
        }
        if let Some(v) = self.max_parallel {
            limits.max_parallel = v.max(1);
        }
        if self.max_tokens.is_some() {
            limits.max_tokens = self.max_tokens;
        }
        if self.max_cost_usd.is_some() {
            limits.max_cost_usd = self.max_cost_usd;
        }
        if let Some(v) = self.timeout_secs {
            limits.timeout = std::time::Duration::from_secs(v.max(1));
        }
        limits.verify_allowed.clone_from(&self.verify_allowed);
    }
}

/// `[hooks]`: how Claude-Code-format hooks (`settings.json`) run; unset keys keep their
/// defaults.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct HookSettings {
    /// `false` turns every hook off.
    pub enabled: Option<bool>,
    /// `false`: only your own `~/.config/boocode/settings.json` hooks run, never a project's
    /// `.boocode/settings.json` (on by default: adding a project trusts its hooks).
    pub project_settings: Option<bool>,
    /// Also run the hooks of the project's `.claude/settings.json` (off by default: another
    /// tool's file).
    pub claude_settings: Option<bool>,
    /// Seconds a hook may take unless it sets its own `timeout` (60).
    pub timeout_secs: Option<u64>,
    /// What a failed or timed-out `PreToolUse`/`PermissionRequest` hook does: `"deny"` (the
    /// default) or `"allow"`.
    pub on_error: Option<HookErrorPolicy>,
}

/// What a failing guard hook does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HookErrorPolicy {
    /// Refuse the call.
    Deny,
    /// Let the call through.
    Allow,
}

impl HookSettings {
    /// Sets what this names in `hooks`.
    pub fn apply(&self, hooks: &mut boocode_runtime::HookConfig) {
        if let Some(v) = self.enabled {
            hooks.enabled = v;
        }
        if let Some(v) = self.project_settings {
            hooks.project_settings = v;
        }
        if let Some(v) = self.claude_settings {
            hooks.claude_settings = v;
        }
        if let Some(v) = self.timeout_secs {
            hooks.policy.timeout = std::time::Duration::from_secs(v.clamp(1, 3600));
        }
        if let Some(v) = self.on_error {
            hooks.policy.error_denies = v == HookErrorPolicy::Deny;
        }
    }
}
