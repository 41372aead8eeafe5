//! [`TranscriptStore`]: the Claude Agent SDK's SessionStore contract.
//!
//! Claude Code mirrors every line it writes to its session JSONL (`--session-mirror`); a store
//! keeps those entries so a session can be resumed on another host, or after a restart, on a
//! fresh config directory. Keys are `{project_key, session_id, subpath?}`; entries are opaque
//! JSON objects with a string `type`, deep-equal on load to what was appended, deduplicated by
//! `uuid` when they carry one.

mod memory;
mod sql;

pub use memory::MemoryTranscriptStore;

use crate::error::StoreError;
use std::path::Path;

/// Where a transcript lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    /// The project, as [`project_key_for`] derives it from a cwd.
    pub project_key: String,
    /// The Claude session id.
    pub session_id: String,
    /// A sub-transcript such as `subagents/agent-abc`; `None` for the main one.
    pub subpath: Option<String>,
}

impl SessionKey {
    /// The main transcript of a session.
    pub fn main(project_key: impl Into<String>, session_id: impl Into<String>) -> Self {
        Self {
            project_key: project_key.into(),
            session_id: session_id.into(),
            subpath: None,
        }
    }

    /// A sub-transcript of a session.
    pub fn sub(
        project_key: impl Into<String>,
        session_id: impl Into<String>,
        subpath: impl Into<String>,
    ) -> Self {
        Self {
            project_key: project_key.into(),
            session_id: session_id.into(),
            subpath: Some(subpath.into()),
        }
    }

    /// Checks the key: non-empty parts, and a subpath that is relative, free of `.`/`..`
    /// segments and NUL bytes (it is written back as a path on resume).
    pub fn validate(&self) -> Result<(), StoreError> {
        let bad = |field: &'static str, message: &str| {
            Err(StoreError::Invalid {
                field,
                message: message.to_owned(),
            })
        };
        if self.project_key.is_empty()
            || self.project_key.len() > 512
            || self.project_key.contains('\0')
        {
            return bad("project_key", "must be 1-512 bytes without NUL");
        }
        if self.session_id.is_empty()
            || self.session_id.len() > 200
            || self.session_id.contains(['\0', '/', '\\'])
        {
            return bad("session_id", "must be 1-200 bytes without NUL or slashes");
        }
        if let Some(sub) = &self.subpath {
            let unsafe_segment = sub
                .split(['/', '\\'])
                .any(|s| s.is_empty() || s == "." || s == "..");
            if sub.is_empty()
                || sub.len() > 1024
                || sub.contains('\0')
                || sub.starts_with('/')
                || unsafe_segment
                || sub.contains(':')
            {
                return bad(
                    "subpath",
                    "must be a relative path of non-empty segments without `.`, `..`, NUL or drive prefixes",
                );
            }
        }
        Ok(())
    }

    pub(crate) fn subpath_column(&self) -> &str {
        self.subpath.as_deref().unwrap_or("")
    }
}

/// A session listed by [`TranscriptStore::list_sessions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionListing {
    /// The session id.
    pub session_id: String,
    /// When its main transcript was last written, epoch milliseconds.
    pub mtime: i64,
}

/// The Claude Agent SDK's SessionStore contract.
#[async_trait::async_trait]
pub trait TranscriptStore: Send + Sync {
    /// Appends entries in order. Entries with a `uuid` already stored under the key are skipped;
    /// an empty batch is a no-op and does not create the key.
    async fn append(
        &self,
        key: &SessionKey,
        entries: &[serde_json::Value],
    ) -> Result<(), StoreError>;
    /// Everything appended under the key, in order; `None` if nothing ever was.
    async fn load(&self, key: &SessionKey) -> Result<Option<Vec<serde_json::Value>>, StoreError>;
    /// The sessions of a project that have a main transcript, with their last write time.
    async fn list_sessions(&self, project_key: &str) -> Result<Vec<SessionListing>, StoreError>;
    /// Deletes a key; a main key takes all its subkeys with it. Unknown keys are fine.
    async fn delete(&self, key: &SessionKey) -> Result<(), StoreError>;
    /// The subpaths stored under a session (never the main transcript).
    async fn list_subkeys(
        &self,
        project_key: &str,
        session_id: &str,
    ) -> Result<Vec<String>, StoreError>;
}

fn check_entries(entries: &[serde_json::Value]) -> Result<(), StoreError> {
    for (i, entry) in entries.iter().enumerate() {
        if !entry.get("type").is_some_and(serde_json::Value::is_string) {
            return Err(StoreError::Invalid {
                field: "entry",
                message: format!("entry {i} is not an object with a string `type`"),
            });
        }
    }
    Ok(())
}

fn entry_uuid(entry: &serde_json::Value) -> Option<&str> {
    entry.get("uuid").and_then(serde_json::Value::as_str)
}

/// The project key Claude Code uses for `cwd`: the real path with every character outside
/// `[A-Za-z0-9]` replaced by `-`; paths longer than 200 characters are cut and suffixed with a
/// base-36 hash of the full path.
pub fn project_key_for(cwd: &Path) -> String {
    let absolute = if cwd.is_absolute() {
        cwd.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(cwd))
            .unwrap_or_else(|_| cwd.to_path_buf())
    };
    let real = std::fs::canonicalize(&absolute).unwrap_or(absolute);
    project_key_for_path_str(&real.to_string_lossy())
}

/// [`project_key_for`] on a path string that is already absolute and resolved.
pub fn project_key_for_path_str(path: &str) -> String {
    let sanitized: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if sanitized.chars().count() <= 200 {
        return sanitized;
    }
    let mut hash: i32 = 0;
    for unit in path.encode_utf16() {
        hash = hash.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    let head: String = sanitized.chars().take(200).collect();
    format!("{head}-{}", base36(hash.unsigned_abs()))
}

fn base36(mut n: u32) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if n == 0 {
        return "0".to_owned();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_keys_match_claude_code() {
        assert_eq!(project_key_for_path_str("/home/me/work"), "-home-me-work");
        assert_eq!(
            project_key_for_path_str("/tmp/fake.work/a_b"),
            "-tmp-fake-work-a-b"
        );
        assert_eq!(project_key_for_path_str("/srv/café"), "-srv-caf-");
        let long = format!("/{}", "a".repeat(250));
        let key = project_key_for_path_str(&long);
        assert!(key.starts_with(&format!("-{}", "a".repeat(199))));
        // h = fold of (h*31 + unit) | 0 over the UTF-16 units, rendered as base 36 of |h|.
        let mut h: i32 = 0;
        for u in long.encode_utf16() {
            h = h.wrapping_mul(31).wrapping_add(i32::from(u));
        }
        assert_eq!(
            key,
            format!(
                "{}-{}",
                &project_key_for_path_str(&long)[..200],
                base36(h.unsigned_abs())
            )
        );
        assert_eq!(key.len(), 201 + base36(h.unsigned_abs()).len());
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
        assert_eq!(base36(i32::MIN.unsigned_abs()), "zik0zk");
    }

    #[test]
    fn keys_are_validated() {
        assert!(SessionKey::main("p", "s").validate().is_ok());
        assert!(
            SessionKey::sub("p", "s", "subagents/agent-1")
                .validate()
                .is_ok()
        );
        for bad in ["", "../x", "a/../b", "/abs", "a//b", "c:/x", "a/./b"] {
            assert!(
                SessionKey::sub("p", "s", bad).validate().is_err(),
                "{bad:?}"
            );
        }
        assert!(SessionKey::main("", "s").validate().is_err());
        assert!(SessionKey::main("p", "a/b").validate().is_err());
    }
}
