//! `secret_guard`: a deny list of credential files, applied to reads, listings and search
//! results alike.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::Path;
use std::sync::OnceLock;

/// Patterns denied by default, matched case-insensitively against the path relative to the
/// project root (or read grant), against the absolute path and against the path relative to the
/// home folder. A bare name matches at any depth.
pub const DEFAULT_DENY: &[&str] = &[
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.kdbx",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".ssh",
    ".ssh/**",
    ".gnupg",
    ".gnupg/**",
    ".aws/credentials",
    ".aws/config",
    ".docker/config.json",
    ".kube/config",
    ".netrc",
    "_netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    ".htpasswd",
    "credentials.json",
    "gh/hosts.yml",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".pgpass",
    ".envrc",
    "*.tfstate",
    "*.tfstate.*",
    ".vault-token",
    ".config/gcloud/**",
    ".azure/**",
];

/// Exceptions to the deny list: templates that hold no secrets.
pub const DEFAULT_ALLOW: &[&str] = &[".env.example", ".env.sample", ".env.template", ".env.dist"];

/// Why a secret guard could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid secret pattern `{pattern}`: {message}")]
pub struct SecretPatternError {
    /// The pattern.
    pub pattern: String,
    /// What is wrong with it.
    pub message: String,
}

/// The deny list.
#[derive(Debug, Clone)]
pub struct SecretGuard {
    deny: GlobSet,
    /// For each glob in `deny`, the index of its pattern in `deny_patterns`.
    deny_owner: Vec<usize>,
    deny_patterns: Vec<String>,
    allow: GlobSet,
}

impl Default for SecretGuard {
    fn default() -> Self {
        static DEFAULT: OnceLock<SecretGuard> = OnceLock::new();
        DEFAULT
            .get_or_init(|| match SecretGuard::new(DEFAULT_DENY, DEFAULT_ALLOW) {
                Ok(guard) => guard,
                // The defaults are constants covered by a test; should they ever fail to build,
                // deny everything rather than nothing.
                Err(_) => SecretGuard {
                    deny: GlobSet::empty(),
                    deny_owner: Vec::new(),
                    deny_patterns: Vec::new(),
                    allow: GlobSet::empty(),
                }
                .denying_everything(),
            })
            .clone()
    }
}

/// Builds one set from gitignore-like patterns; returns it with, for each glob in the set, the
/// index of the pattern it came from.
fn glob_set<S: AsRef<str>>(patterns: &[S]) -> Result<(GlobSet, Vec<usize>), SecretPatternError> {
    let mut builder = GlobSetBuilder::new();
    let mut owners = Vec::new();
    for (index, pattern) in patterns.iter().enumerate() {
        let pattern = pattern.as_ref().trim();
        let bare = pattern.trim_start_matches('/');
        // Every pattern matches at any depth, like a .gitignore entry without a leading slash;
        // one with a slash also matches from the root.
        let mut globs = vec![format!("**/{bare}")];
        if pattern.contains('/') {
            globs.push(bare.to_owned());
        }
        for glob in globs {
            let glob = GlobBuilder::new(&glob)
                .case_insensitive(true)
                .literal_separator(true)
                .build()
                .map_err(|e| SecretPatternError {
                    pattern: pattern.to_owned(),
                    message: e.kind().to_string(),
                })?;
            builder.add(glob);
            owners.push(index);
        }
    }
    let set = builder.build().map_err(|e| SecretPatternError {
        pattern: String::new(),
        message: e.to_string(),
    })?;
    Ok((set, owners))
}

impl SecretGuard {
    /// A guard from deny and allow patterns (gitignore-like globs, matched case-insensitively).
    pub fn new<S: AsRef<str>, T: AsRef<str>>(
        deny: &[S],
        allow: &[T],
    ) -> Result<Self, SecretPatternError> {
        let (deny_set, deny_owner) = glob_set(deny)?;
        Ok(Self {
            deny: deny_set,
            deny_owner,
            deny_patterns: deny.iter().map(|p| p.as_ref().trim().to_owned()).collect(),
            allow: glob_set(allow)?.0,
        })
    }

    /// The defaults plus `extra_deny`, with `extra_allow` as further exceptions.
    pub fn with_defaults<S: AsRef<str>>(
        extra_deny: &[S],
        extra_allow: &[S],
    ) -> Result<Self, SecretPatternError> {
        let deny: Vec<&str> = DEFAULT_DENY
            .iter()
            .copied()
            .chain(extra_deny.iter().map(AsRef::as_ref))
            .collect();
        let allow: Vec<&str> = DEFAULT_ALLOW
            .iter()
            .copied()
            .chain(extra_allow.iter().map(AsRef::as_ref))
            .collect();
        Self::new(&deny, &allow)
    }

    /// The deny pattern that matches `relative`, unless an exception applies.
    pub fn matching_pattern(&self, relative: &Path) -> Option<&str> {
        if relative.as_os_str().is_empty() || self.allow.is_match(relative) {
            return None;
        }
        let glob = *self.deny.matches(relative).first()?;
        let pattern = *self.deny_owner.get(glob)?;
        self.deny_patterns.get(pattern).map(String::as_str)
    }

    /// The deny pattern matching any of three views of one file: relative to its base (the
    /// project root or a grant), absolute, and relative to `home`. A grant of `~/.aws` names
    /// `credentials` relatively, yet `~/.aws/credentials` is what it is.
    pub fn matching_pattern_anywhere(
        &self,
        relative: &Path,
        absolute: &Path,
        home: Option<&Path>,
    ) -> Option<&str> {
        if relative.as_os_str().is_empty() {
            return None;
        }
        self.matching_pattern(relative)
            .or_else(|| self.matching_pattern(absolute))
            .or_else(|| {
                home.and_then(|h| absolute.strip_prefix(h).ok())
                    .and_then(|inside| self.matching_pattern(inside))
            })
    }

    /// Whether `relative` is a secret.
    pub fn is_secret(&self, relative: &Path) -> bool {
        !relative.as_os_str().is_empty()
            && self.deny.is_match(relative)
            && !self.allow.is_match(relative)
    }
}

impl SecretGuard {
    fn denying_everything(mut self) -> Self {
        if let Ok((set, owner)) = glob_set(&["**"]) {
            self.deny = set;
            self.deny_owner = owner;
            self.deny_patterns = vec!["**".into()];
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_deny_credentials_and_allow_templates() {
        let guard = SecretGuard::default();
        for secret in [
            ".env",
            "app/.env.local",
            ".ENV.production",
            "certs/server.pem",
            "tls/private.key",
            "home/.ssh/config",
            ".ssh",
            "id_rsa",
            "keys/id_ed25519.pub",
            "deploy/.aws/credentials",
            ".netrc",
            ".npmrc",
            "x/.pypirc",
            "vault.kdbx",
            ".git-credentials",
            ".config/gh/hosts.yml",
            ".cargo/credentials.toml",
            ".cargo/credentials",
            ".pgpass",
            "infra/.envrc",
            "infra/terraform.tfstate",
            "infra/terraform.tfstate.backup",
            ".vault-token",
            ".config/gcloud/application_default_credentials.json",
        ] {
            assert!(
                guard.is_secret(Path::new(secret)),
                "{secret} should be denied"
            );
        }
        for fine in [
            ".env.example",
            "app/.env.sample",
            "src/env.rs",
            "README.md",
            "keyboard.rs",
            "docs/ssh.md",
        ] {
            assert!(
                !guard.is_secret(Path::new(fine)),
                "{fine} should be allowed"
            );
        }
        assert_eq!(
            guard.matching_pattern(Path::new("a/b/server.pem")),
            Some("*.pem")
        );
        assert_eq!(guard.matching_pattern(Path::new("ok.rs")), None);
    }

    #[test]
    fn absolute_and_home_relative_views_are_matched_too() {
        let guard = SecretGuard::default();
        let home = Path::new("/home/u");
        // A grant of ~/.aws names the file `credentials`.
        assert_eq!(
            guard.matching_pattern_anywhere(
                Path::new("credentials"),
                Path::new("/home/u/.aws/credentials"),
                Some(home)
            ),
            Some(".aws/credentials")
        );
        assert_eq!(
            guard.matching_pattern_anywhere(
                Path::new("application_default_credentials.json"),
                Path::new("/home/u/.config/gcloud/application_default_credentials.json"),
                Some(home)
            ),
            Some(".config/gcloud/**")
        );
        assert_eq!(
            guard.matching_pattern_anywhere(
                Path::new("src/main.rs"),
                Path::new("/home/u/src/app/src/main.rs"),
                Some(home)
            ),
            None
        );
    }

    #[test]
    fn extra_patterns_extend_and_bad_ones_are_reported() {
        let guard = SecretGuard::with_defaults(&["*.sqlite"], &["*.pem"]).unwrap();
        assert!(guard.is_secret(Path::new("data/app.sqlite")));
        assert!(!guard.is_secret(Path::new("ca.pem")));
        let err = SecretGuard::new(&["a[b"], &[] as &[&str]).unwrap_err();
        assert_eq!(err.pattern, "a[b");
    }
}
