//! Output truncation: tool output past the limit is cut with a notice, and the full text is kept
//! under an opaque `tr_` id that `view_truncated_output` reads back.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How long kept outputs live.
pub const TRUNCATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// The most of one output that is kept.
pub const TRUNCATION_MAX_BYTES: usize = 5 * 1024 * 1024;

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Why a kept output could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TruncationError {
    /// The id is not of the form `tr_` + 12 base32 characters.
    #[error("invalid output id {0:?}: expected `tr_` followed by 12 characters a-z or 2-7")]
    InvalidId(String),
    /// No kept output has that id (it may have expired).
    #[error("no kept output {0} (outputs are kept for 7 days)")]
    NotFound(String),
    /// The store's directory failed.
    #[error("truncation store: {0}")]
    Io(String),
}

/// Where full outputs are kept.
#[derive(Debug, Clone)]
pub struct TruncationStore {
    dir: PathBuf,
    ttl: Duration,
}

/// Whether `id` has the form `tr_` + 12 base32 characters (and so cannot name another path).
pub fn is_valid_id(id: &str) -> bool {
    id.strip_prefix("tr_")
        .is_some_and(|rest| rest.len() == 12 && rest.bytes().all(|b| ALPHABET.contains(&b)))
}

fn new_id() -> String {
    let bits = u128::from_le_bytes(*uuid::Uuid::new_v4().as_bytes());
    let mut id = String::from("tr_");
    for i in 0..12 {
        let index = ((bits >> (i * 5)) & 0x1f) as usize;
        id.push(char::from(ALPHABET[index]));
    }
    id
}

/// The largest prefix of `text` no longer than `max` bytes that ends on a char boundary,
/// preferring to end at a line break.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    match head.rfind('\n') {
        Some(nl) if nl >= end / 2 => &head[..=nl],
        _ => head,
    }
}

impl TruncationStore {
    /// A store in `dir`, created with mode 0700 (and set to it if it already exists).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, TruncationError> {
        let dir = dir.into();
        let io = |e: std::io::Error| TruncationError::Io(format!("{}: {e}", dir.display()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(io)?;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        #[cfg(not(unix))]
        std::fs::create_dir_all(&dir).map_err(io)?;
        Ok(Self {
            dir,
            ttl: TRUNCATION_TTL,
        })
    }

    /// Overrides the time to live (for tests and tight disks).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Returns `text` unchanged if it fits in `limit` bytes; otherwise the head of it and a
    /// notice, with the full text (up to 5 MB) kept under a new id.
    pub fn bound(&self, text: String, limit: usize) -> String {
        if text.len() <= limit {
            return text;
        }
        let total = text.len();
        let head = cut(&text, limit.saturating_sub(300).max(limit / 2));
        let kept = match self.keep(&text) {
            Ok(id) => format!(
                "the full output is kept as {id}: call view_truncated_output with id \"{id}\" and an offset of {} to read on",
                head.len()
            ),
            Err(e) => {
                tracing::warn!(error = %e, "could not keep a truncated output");
                "the full output could not be kept; narrow the request instead".to_owned()
            }
        };
        format!(
            "{head}\n\n[output truncated: showing the first {} of {total} bytes; {kept}]",
            head.len()
        )
    }

    fn keep(&self, text: &str) -> Result<String, TruncationError> {
        let id = new_id();
        let path = self.dir.join(&id);
        let body = cut(text, TRUNCATION_MAX_BYTES);
        let io = |e: std::io::Error| TruncationError::Io(e.to_string());
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path).map_err(io)?;
        file.write_all(body.as_bytes()).map_err(io)?;
        Ok(id)
    }

    /// Reads up to `limit` bytes of a kept output from byte `offset`.
    pub fn read(
        &self,
        id: &str,
        offset: usize,
        limit: usize,
    ) -> Result<ReadSlice, TruncationError> {
        if !is_valid_id(id) {
            return Err(TruncationError::InvalidId(id.to_owned()));
        }
        let text = match std::fs::read(self.dir.join(id)) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(TruncationError::NotFound(id.to_owned()));
            }
            Err(e) => return Err(TruncationError::Io(e.to_string())),
        };
        let total = text.len();
        let mut start = offset.min(total);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let slice = cut(&text[start..], limit);
        Ok(ReadSlice {
            text: slice.to_owned(),
            offset: start,
            total,
        })
    }

    /// Deletes kept outputs older than the time to live; returns how many went.
    pub fn sweep(&self) -> Result<usize, TruncationError> {
        let entries =
            std::fs::read_dir(&self.dir).map_err(|e| TruncationError::Io(e.to_string()))?;
        let now = SystemTime::now();
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !name.to_str().is_some_and(is_valid_id) {
                continue;
            }
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > self.ttl);
            if old && std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// A slice of a kept output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadSlice {
    /// The text.
    pub text: String,
    /// Where it starts.
    pub offset: usize,
    /// The kept output's length.
    pub total: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_opaque_and_validated() {
        let id = new_id();
        assert!(is_valid_id(&id), "{id}");
        assert_ne!(new_id(), id);
        for bad in [
            "tr_",
            "tr_ABCDEFGHIJKL",
            "tr_abcdefghijk1",
            "tr_../../etc/x",
            "xx_abcdefghijkl",
            "tr_abcdefghijkla",
        ] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }

    #[test]
    fn long_output_is_cut_kept_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = TruncationStore::open(dir.path().join("tr")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.dir()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
        }
        let text: String = (0..2000).map(|i| format!("line {i} é\n")).collect();
        assert_eq!(store.bound("short".into(), 100), "short");
        let bounded = store.bound(text.clone(), 1000);
        assert!(bounded.len() < 1300, "{}", bounded.len());
        assert!(bounded.starts_with("line 0 é\n"));
        let id_start = bounded.find("tr_").unwrap();
        let id = &bounded[id_start..id_start + 15];
        assert!(bounded.contains(&format!("of {} bytes", text.len())));
        let all = store.read(id, 0, usize::MAX).unwrap();
        assert_eq!(all.text, text);
        let part = store.read(id, 1_000_000, 10).unwrap();
        assert_eq!(part.text, "");
        assert_eq!(
            store.read("tr_../../../x", 0, 1).unwrap_err(),
            TruncationError::InvalidId("tr_../../../x".into())
        );
        assert!(matches!(
            store.read("tr_aaaaaaaaaaaa", 0, 1),
            Err(TruncationError::NotFound(_))
        ));
    }

    #[test]
    fn the_sweeper_removes_expired_outputs_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = TruncationStore::open(dir.path()).unwrap();
        let long = "x".repeat(5000);
        store.bound(long.clone(), 100);
        std::fs::write(dir.path().join("not-ours.txt"), "keep").unwrap();
        assert_eq!(store.sweep().unwrap(), 0);
        let expired = store.clone().with_ttl(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(expired.sweep().unwrap(), 1);
        assert!(dir.path().join("not-ours.txt").exists());
    }
}
