//! Applying, rejecting and rewinding pending changes: where proposals reach the disk.
//!
//! Changes to one file are handled together and atomically: the file on disk must still be what
//! the oldest change was proposed against (by SHA-256), the stacked changes must chain (each
//! made against the one before), and then the newest content is written once through
//! [`PathGuard::replace_file`](crate::PathGuard::replace_file). A file changed since the proposal
//! is refused and nothing of it is applied; other files go ahead. [`rewind`] undoes applied
//! changes newest first with the same check against what was applied.

use crate::env::ToolEnv;
use crate::guard::path::Access;
use boocode_core::{ChangeQueue, ChangeQueueError, ChangeScope, ChangeState, PendingChange};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, Weak};

/// How long a diff may search for the smallest edit before settling for a coarser one (two
/// large, wholly different files would otherwise take minutes).
const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(300);

/// Permission bits of a file created by a change.
pub const DEFAULT_FILE_MODE: u32 = 0o644;

/// Why a queue operation could not run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// The queue failed or refused.
    #[error(transparent)]
    Queue(#[from] ChangeQueueError),
    /// A selected id is not a change of this chat or run.
    #[error("no change {0} in this chat or run")]
    Unknown(String),
    /// A selected change is not in the state the operation needs.
    #[error("change {id} is {state}, not {wanted}")]
    WrongState {
        /// The change.
        id: String,
        /// Where it stands.
        state: &'static str,
        /// What the operation needs.
        wanted: &'static str,
    },
    /// Another request (here or in another process) moved the change first.
    #[error("change {id} was changed by another request: {message}")]
    Conflict {
        /// The change.
        id: String,
        /// What the queue said.
        message: String,
    },
    /// The disk work could not be scheduled.
    #[error("the file worker failed: {0}")]
    Worker(String),
}

pub use boocode_core::{ChangeReport, Refusal};

/// SHA-256 of `content`, in lowercase hex: the `base_hash` of a change.
pub fn content_hash(content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// A unified diff from `old` to `new` for `path` (`None`: no file), with 3 lines of context.
pub fn unified_diff(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> String {
    let old_text = old.map(String::from_utf8_lossy).unwrap_or_default();
    let new_text = new.map(String::from_utf8_lossy).unwrap_or_default();
    let from = if old.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".to_owned()
    };
    let to = if new.is_some() {
        format!("b/{path}")
    } else {
        "/dev/null".to_owned()
    };
    similar::TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(old_text.as_ref(), new_text.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&from, &to)
        .to_string()
}

/// A file's content and permission bits.
pub(crate) type OnDisk = Option<(Vec<u8>, u32)>;

/// A file as it is on disk now: content and permission bits, `None` when absent.
pub(crate) fn read_disk(env: &ToolEnv, path: &str) -> Result<(crate::GuardedPath, OnDisk), String> {
    let guarded = env
        .paths()
        .resolve(path, Access::Write)
        .map_err(|e| e.to_string())?;
    if guarded.as_path() == guarded.base() {
        return Err("the project root is not a file".to_owned());
    }
    if !guarded.exists() {
        return Ok((guarded, None));
    }
    if guarded.as_path().is_dir() {
        return Err(format!(
            "`{}` is a directory, not a file",
            path.escape_debug()
        ));
    }
    let mut file = env.paths().open_read(&guarded).map_err(|e| e.to_string())?;
    let mode = file
        .metadata()
        .map_err(|e| format!("cannot read `{path}`: {e}"))?
        .permissions()
        .mode()
        & 0o7777;
    let content = read_capped(&mut file, crate::WRITE_MAX_BYTES)
        .map_err(|e| format!("cannot read `{}`: {e}", path.escape_debug()))?
        .ok_or_else(|| {
            format!(
                "`{}` is larger than the {} MiB a change may cover",
                path.escape_debug(),
                crate::WRITE_MAX_BYTES / (1024 * 1024)
            )
        })?;
    Ok((guarded, Some((content, mode))))
}

/// Reads at most `limit` bytes (asking for one more to tell); `None` when the file is larger,
/// so nothing past the limit is ever held in memory.
pub(crate) fn read_capped(
    file: &mut std::fs::File,
    limit: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let hint = file
        .metadata()
        .map(|m| usize::try_from(m.len()).unwrap_or(usize::MAX))
        .unwrap_or(0);
    let mut content = Vec::with_capacity(hint.min(limit.saturating_add(1)));
    file.take(limit as u64 + 1).read_to_end(&mut content)?;
    Ok((content.len() <= limit).then_some(content))
}

/// The lock of the file at `path`, one per file for the whole process: apply, reject and
/// rewind of changes to one file run one at a time, from the read and hash check to the
/// recorded state, whichever chat, run or tool environment asks.
fn file_lock(path: &Path) -> Arc<tokio::sync::Mutex<()>> {
    type Table = std::sync::Mutex<HashMap<PathBuf, Weak<tokio::sync::Mutex<()>>>>;
    static TABLE: OnceLock<Table> = OnceLock::new();
    let mut table = TABLE
        .get_or_init(Table::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(lock) = table.get(path).and_then(Weak::upgrade) {
        return lock;
    }
    table.retain(|_, weak| weak.strong_count() > 0);
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    table.insert(path.to_path_buf(), Arc::downgrade(&lock));
    lock
}

/// The current state of each of `group`'s changes, re-read under the file's lock: `Err` names
/// the first that is no longer in `wanted` (another request got there first).
async fn revalidate(
    queue: &dyn ChangeQueue,
    scope: &ChangeScope,
    group: &[PendingChange],
    wanted: ChangeState,
) -> Result<(), ChangeError> {
    let now = queue.list(scope).await?;
    for change in group {
        let state = now
            .iter()
            .find(|c| c.id == change.id)
            .map(|c| c.state)
            .ok_or_else(|| ChangeError::Unknown(change.id.clone()))?;
        if state != wanted {
            return Err(ChangeError::WrongState {
                id: change.id.clone(),
                state: state.as_str(),
                wanted: wanted.as_str(),
            });
        }
    }
    Ok(())
}

/// Records a state change; a conflict (another process moved it first) is a wrong state.
async fn record(
    queue: &dyn ChangeQueue,
    id: &str,
    from: ChangeState,
    to: ChangeState,
) -> Result<(), ChangeError> {
    match queue.set_state(id, from, to).await {
        Ok(()) => Ok(()),
        Err(ChangeQueueError::Conflict(message)) => Err(ChangeError::Conflict {
            id: id.to_owned(),
            message,
        }),
        Err(e) => Err(e.into()),
    }
}

/// Applies the pending changes of `scope` (all of them, or those in `ids`), one file at a time.
pub async fn apply_pending(
    env: &ToolEnv,
    queue: &dyn ChangeQueue,
    scope: &ChangeScope,
    ids: Option<&[String]>,
) -> Result<ChangeReport, ChangeError> {
    let all = queue.list(scope).await?;
    let selected = select(&all, ids, ChangeState::Pending)?;
    let mut report = ChangeReport::default();
    for (path, group) in by_path(selected) {
        // An earlier pending change of the same file that is not selected is the base of the
        // selected ones: applying them without it would write against the wrong content.
        if let Some(first) = group.first()
            && let Some(earlier) = all.iter().find(|c| {
                c.path == path
                    && c.state == ChangeState::Pending
                    && c.seq < first.seq
                    && !group.iter().any(|g| g.id == c.id)
            })
        {
            report.refused.push(refusal(
                &path,
                &group,
                format!(
                    "it is stacked on change {} of the same file, which is still pending",
                    earlier.id
                ),
            ));
            continue;
        }
        let lock = file_lock(&env.paths().root().join(&path));
        let _held = lock.lock().await;
        match revalidate(queue, scope, &group, ChangeState::Pending).await {
            Ok(()) => {}
            // Applying everything: what another request applied meanwhile is simply done.
            Err(ChangeError::WrongState { .. }) if ids.is_none() => continue,
            Err(e) => return Err(e),
        }
        let env = env.clone();
        let work = group.clone();
        let outcome = tokio::task::spawn_blocking(move || write_group(&env, &work))
            .await
            .map_err(|e| ChangeError::Worker(e.to_string()))?;
        match outcome {
            Ok(()) => {
                for change in &group {
                    record(
                        queue,
                        &change.id,
                        ChangeState::Pending,
                        ChangeState::Applied,
                    )
                    .await?;
                    report.done.push(change.id.clone());
                }
            }
            Err(reason) => report.refused.push(refusal(&path, &group, reason)),
        }
    }
    Ok(report)
}

/// Marks the pending changes of `scope` (all, or those in `ids`) rejected; the disk is untouched.
/// `root` is the project root the changes' paths are relative to (for the per-file locks).
pub async fn reject_pending(
    root: &Path,
    queue: &dyn ChangeQueue,
    scope: &ChangeScope,
    ids: Option<&[String]>,
) -> Result<Vec<String>, ChangeError> {
    let all = queue.list(scope).await?;
    let mut done = Vec::new();
    for (path, group) in by_path(select(&all, ids, ChangeState::Pending)?) {
        let lock = file_lock(&root.join(&path));
        let _held = lock.lock().await;
        match revalidate(queue, scope, &group, ChangeState::Pending).await {
            Ok(()) => {}
            Err(ChangeError::WrongState { .. }) if ids.is_none() => continue,
            Err(e) => return Err(e),
        }
        for change in &group {
            record(
                queue,
                &change.id,
                ChangeState::Pending,
                ChangeState::Rejected,
            )
            .await?;
            done.push(change.id.clone());
        }
    }
    Ok(done)
}

/// Undoes applied changes of `scope`, newest first: all of them, or those in `ids` together
/// with every later applied change of the same files (they were made on top). A file changed
/// since it was applied is refused and left as it is.
pub async fn rewind(
    env: &ToolEnv,
    queue: &dyn ChangeQueue,
    scope: &ChangeScope,
    ids: Option<&[String]>,
) -> Result<ChangeReport, ChangeError> {
    let all = queue.list(scope).await?;
    let selected = select(&all, ids, ChangeState::Applied)?;
    let mut report = ChangeReport::default();
    let mut groups: Vec<(String, Vec<PendingChange>)> = by_path(selected)
        .into_iter()
        .map(|(path, group)| {
            let oldest = group.first().map_or(i64::MAX, |c| c.seq);
            let stacked: Vec<PendingChange> = all
                .iter()
                .filter(|c| c.path == path && c.state == ChangeState::Applied && c.seq >= oldest)
                .cloned()
                .collect();
            (path, stacked)
        })
        .collect();
    // Newest first across files too, so the report reads as an undo history.
    groups.sort_by_key(|(_, g)| std::cmp::Reverse(g.last().map_or(0, |c| c.seq)));
    for (path, group) in groups {
        let lock = file_lock(&env.paths().root().join(&path));
        let _held = lock.lock().await;
        match revalidate(queue, scope, &group, ChangeState::Applied).await {
            Ok(()) => {}
            Err(ChangeError::WrongState { .. }) if ids.is_none() => continue,
            Err(e) => return Err(e),
        }
        let env = env.clone();
        let work = group.clone();
        let outcome = tokio::task::spawn_blocking(move || undo_group(&env, &work))
            .await
            .map_err(|e| ChangeError::Worker(e.to_string()))?;
        match outcome {
            Ok(()) => {
                for change in group.iter().rev() {
                    record(
                        queue,
                        &change.id,
                        ChangeState::Applied,
                        ChangeState::Reverted,
                    )
                    .await?;
                    report.done.push(change.id.clone());
                }
            }
            Err(reason) => report.refused.push(refusal(&path, &group, reason)),
        }
    }
    Ok(report)
}

fn select<'a>(
    all: &'a [PendingChange],
    ids: Option<&[String]>,
    wanted: ChangeState,
) -> Result<Vec<&'a PendingChange>, ChangeError> {
    match ids {
        None => Ok(all.iter().filter(|c| c.state == wanted).collect()),
        Some(ids) => ids
            .iter()
            .map(|id| {
                let change = all
                    .iter()
                    .find(|c| &c.id == id)
                    .ok_or_else(|| ChangeError::Unknown(id.clone()))?;
                if change.state != wanted {
                    return Err(ChangeError::WrongState {
                        id: id.clone(),
                        state: change.state.as_str(),
                        wanted: wanted.as_str(),
                    });
                }
                Ok(change)
            })
            .collect(),
    }
}

/// Groups changes by file, each group in proposal order.
fn by_path(changes: Vec<&PendingChange>) -> BTreeMap<String, Vec<PendingChange>> {
    let mut groups: BTreeMap<String, Vec<PendingChange>> = BTreeMap::new();
    for change in changes {
        groups
            .entry(change.path.clone())
            .or_default()
            .push(change.clone());
    }
    for group in groups.values_mut() {
        group.sort_by_key(|c| c.seq);
        group.dedup_by(|a, b| a.id == b.id);
    }
    groups
}

fn refusal(path: &str, group: &[PendingChange], refused: impl Into<Refused>) -> Refusal {
    let refused = refused.into();
    Refusal {
        path: path.to_owned(),
        change_ids: group.iter().map(|c| c.id.clone()).collect(),
        reason: refused.reason,
        conflict: refused.conflict,
    }
}

/// Why a file was left alone, and, when it changed on disk since, how it differs now from the
/// version the operation would have written.
struct Refused {
    reason: String,
    conflict: Option<String>,
}

impl From<String> for Refused {
    fn from(reason: String) -> Self {
        Self {
            reason,
            conflict: None,
        }
    }
}

/// Largest file a conflict diff is shown for, in bytes.
const MAX_CONFLICT_BYTES: usize = 256 * 1024;

/// The diff from `on_disk` to `wanted`, unless the file is a secret, binary or too large.
fn conflict_diff(
    env: &ToolEnv,
    guarded: &crate::GuardedPath,
    path: &str,
    on_disk: Option<&[u8]>,
    wanted: Option<&[u8]>,
) -> Option<String> {
    let small_text = |c: Option<&[u8]>| {
        c.is_none_or(|c| c.len() <= MAX_CONFLICT_BYTES && std::str::from_utf8(c).is_ok())
    };
    if env.refuse_secret(guarded, path).is_err() || !small_text(on_disk) || !small_text(wanted) {
        return None;
    }
    Some(unified_diff(path, on_disk, wanted))
}

fn hash_of(content: Option<&[u8]>) -> Option<String> {
    content.map(content_hash)
}

/// Writes the newest content of a group of stacked changes to one file, after checking the disk.
fn write_group(env: &ToolEnv, group: &[PendingChange]) -> Result<(), Refused> {
    let (Some(first), Some(last)) = (group.first(), group.last()) else {
        return Ok(());
    };
    for pair in group.windows(2) {
        if pair[1].base_hash != hash_of(pair[0].proposed_content.as_deref()) {
            return Err(format!(
                "change {} was not made on top of change {}; apply or reject them separately",
                pair[1].id, pair[0].id
            )
            .into());
        }
    }
    let (guarded, disk) = read_disk(env, &first.path)?;
    let disk_hash = disk.as_ref().map(|(content, _)| content_hash(content));
    if disk_hash != first.base_hash {
        // Already written by an apply that stopped before recording it: only the record is late.
        if disk_hash == hash_of(last.proposed_content.as_deref()) {
            return Ok(());
        }
        return Err(Refused {
            reason: changed_since(&first.path, disk.is_some(), "proposed"),
            conflict: conflict_diff(
                env,
                &guarded,
                &first.path,
                disk.as_ref().map(|(c, _)| c.as_slice()),
                last.proposed_content.as_deref(),
            ),
        });
    }
    refuse_secret(env, &guarded, &first.path)?;
    match &last.proposed_content {
        Some(content) => {
            let mode = disk
                .map(|(_, mode)| mode)
                .or(first.mode)
                .unwrap_or(DEFAULT_FILE_MODE);
            env.paths()
                .replace_file(&guarded, content, mode)
                .map_err(|e| e.to_string().into())
        }
        None => env
            .paths()
            .remove_file(&guarded)
            .map_err(|e| e.to_string().into()),
    }
}

/// Restores the content a group of applied changes (oldest first) was made against.
fn undo_group(env: &ToolEnv, group: &[PendingChange]) -> Result<(), Refused> {
    let (Some(first), Some(last)) = (group.first(), group.last()) else {
        return Ok(());
    };
    let (guarded, disk) = read_disk(env, &first.path)?;
    let disk_hash = disk.as_ref().map(|(content, _)| content_hash(content));
    if disk_hash != hash_of(last.proposed_content.as_deref()) {
        if disk_hash == first.base_hash {
            return Ok(());
        }
        return Err(Refused {
            reason: changed_since(&first.path, disk.is_some(), "applied"),
            conflict: conflict_diff(
                env,
                &guarded,
                &first.path,
                disk.as_ref().map(|(c, _)| c.as_slice()),
                first.base_content.as_deref(),
            ),
        });
    }
    match &first.base_content {
        Some(content) => {
            let mode = first
                .mode
                .or(disk.map(|(_, mode)| mode))
                .unwrap_or(DEFAULT_FILE_MODE);
            env.paths()
                .replace_file(&guarded, content, mode)
                .map_err(|e| e.to_string().into())
        }
        None => env
            .paths()
            .remove_file(&guarded)
            .map_err(|e| e.to_string().into()),
    }
}

fn refuse_secret(env: &ToolEnv, guarded: &crate::GuardedPath, path: &str) -> Result<(), String> {
    env.refuse_secret(guarded, path).map_err(|e| e.to_string())
}

fn changed_since(path: &str, exists: bool, when: &str) -> String {
    if exists {
        format!("`{path}` changed on disk since the change was {when}; nothing of it was written")
    } else {
        format!("`{path}` was deleted since the change was {when}; nothing of it was written")
    }
}
