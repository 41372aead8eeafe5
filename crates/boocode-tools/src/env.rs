//! [`ToolEnv`]: what every tool of one project shares — its guards and its truncation store.

use crate::guard::path::{Access, GuardedPath, PathGuard};
use crate::guard::secret::SecretGuard;
use crate::guard::url::UrlGuard;
use crate::truncate::TruncationStore;
use boocode_core::ToolError;
use boocode_core::redact_url_credentials;
use std::path::Path;
use url::Url;

/// Web access for one chat: the URL guard and, optionally, a SearXNG instance for search.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WebConfig {
    /// The network policy.
    pub guard: UrlGuard,
    /// The SearXNG base URL (its host is trusted by `guard` automatically).
    pub searxng: Option<Url>,
}

impl WebConfig {
    /// Web access through `guard`, with search at `searxng` when given. The SearXNG host is
    /// added to the guard's allow-list, since it usually runs on the LAN.
    pub fn new(guard: UrlGuard, searxng: Option<Url>) -> Self {
        let guard = match searxng.as_ref().and_then(|u| {
            let host = u.host_str()?;
            Some(match u.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            })
        }) {
            Some(host) => guard.allow_host(host),
            None => guard,
        };
        Self { guard, searxng }
    }
}

/// Guards and stores shared by the tools of one project.
#[derive(Debug, Clone)]
pub struct ToolEnv {
    paths: PathGuard,
    secrets: SecretGuard,
    home: Option<std::path::PathBuf>,
    truncation: Option<TruncationStore>,
    web: Option<WebConfig>,
}

impl ToolEnv {
    /// Tools confined to `paths`, with the default secret deny list, no truncation store and no
    /// web access.
    pub fn new(paths: PathGuard) -> Self {
        Self {
            paths,
            secrets: SecretGuard::default(),
            home: dirs::home_dir().map(|h| h.canonicalize().unwrap_or(h)),
            truncation: None,
            web: None,
        }
    }

    /// Judges paths relative to `home` as well (default: the user's home folder), for the
    /// secret guard's home-relative patterns such as `.aws/credentials`.
    pub fn with_home(mut self, home: Option<std::path::PathBuf>) -> Self {
        self.home = home;
        self
    }

    /// The secret deny pattern a checked path matches — relative to its base, absolute, or
    /// relative to the home folder — if any.
    pub fn secret_rule(&self, guarded: &GuardedPath) -> Option<&str> {
        self.secrets.matching_pattern_anywhere(
            guarded.relative(),
            guarded.as_path(),
            self.home.as_deref(),
        )
    }

    /// Replaces the secret deny list.
    pub fn with_secrets(mut self, secrets: SecretGuard) -> Self {
        self.secrets = secrets;
        self
    }

    /// Keeps full outputs of truncated results in `store`.
    pub fn with_truncation(mut self, store: TruncationStore) -> Self {
        self.truncation = Some(store);
        self
    }

    /// Enables the web tools.
    pub fn with_web(mut self, web: WebConfig) -> Self {
        self.web = Some(web);
        self
    }

    /// The path guard.
    pub fn paths(&self) -> &PathGuard {
        &self.paths
    }

    /// The secret guard.
    pub fn secrets(&self) -> &SecretGuard {
        &self.secrets
    }

    /// The truncation store, if any.
    pub fn truncation(&self) -> Option<&TruncationStore> {
        self.truncation.as_ref()
    }

    /// The web configuration, if the web tools are enabled.
    pub fn web(&self) -> Option<&WebConfig> {
        self.web.as_ref()
    }

    /// Resolves a path for reading and refuses secrets, with errors the model can act on.
    pub(crate) fn resolve_read(&self, input: &str) -> Result<GuardedPath, ToolError> {
        let guarded = self
            .paths
            .resolve_existing(input, Access::Read)
            .map_err(|e| ToolError::to_model(e.to_string()))?;
        self.refuse_secret(&guarded, input)?;
        Ok(guarded)
    }

    pub(crate) fn refuse_secret(
        &self,
        guarded: &GuardedPath,
        input: &str,
    ) -> Result<(), ToolError> {
        // Any component of the path may be the secret (`.ssh/known_hosts`).
        if let Some(pattern) = self.secret_rule(guarded) {
            return Err(ToolError::to_model(format!(
                "refused `{}`: it matches the secret deny list ({pattern})",
                input.escape_debug()
            )));
        }
        Ok(())
    }

    /// Whether a path found by a walk (absolute) is a secret, judged relative to its base.
    pub(crate) fn is_secret_abs(&self, path: &Path, base: &Path) -> bool {
        path.strip_prefix(base).is_ok_and(|relative| {
            self.secrets
                .matching_pattern_anywhere(relative, path, self.home.as_deref())
                .is_some()
        })
    }

    /// Redaction for files that may hold credentials in URLs.
    pub(crate) fn redact(&self, guarded: &GuardedPath, text: String) -> String {
        self.redact_relative(guarded.relative(), text)
    }

    /// Redaction by path relative to the root: every view of a file that reads redact — diffs,
    /// closest-match excerpts, queued changes, MCP results — goes through here too.
    pub fn redact_relative(&self, relative: &Path, text: String) -> String {
        let is_git_config = relative
            .to_string_lossy()
            .to_lowercase()
            .ends_with(".git/config");
        if is_git_config {
            redact_url_credentials(&text)
        } else {
            text
        }
    }

    /// Bounds `text` to `limit` bytes: cut with a notice, the full text kept when a store exists.
    pub(crate) fn bound(&self, text: String, limit: usize) -> String {
        match &self.truncation {
            Some(store) => store.bound(text, limit),
            None if text.len() <= limit => text,
            None => {
                let total = text.len();
                let mut end = limit;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                format!(
                    "{}\n\n[output truncated: showing the first {end} of {total} bytes; narrow the request to see the rest]",
                    &text[..end]
                )
            }
        }
    }
}

/// Runs blocking filesystem work off the async threads; a panic in it is a fatal tool error.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ToolError> + Send + 'static,
) -> Result<T, ToolError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ToolError::Fatal(format!("the tool's worker failed: {e}")))?
}
