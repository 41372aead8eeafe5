//! Guarded, crash-safe replacement and removal of files.
//!
//! The parent directory is opened once and checked through its descriptor; everything after that
//! (the temporary file, the rename, the unlink) happens relative to that descriptor, by a single
//! name with no `/` in it. A directory swapped for a symlink after the check therefore cannot
//! redirect the write, and `renameat` replaces a symlink planted at the target instead of
//! following it. A crash leaves the old file or the new one, never a mix: the new content is
//! written and synced under a temporary name, then renamed over the target in one step.

use super::path::{Access, GuardedPath, PathError, PathGuard, io_error};
use nix::fcntl::{AtFlags, OFlag, openat, renameat};
use nix::sys::stat::{Mode, fchmod, fstatat, mkdirat};
use nix::unistd::{UnlinkatFlags, fsync, unlinkat};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

/// File-type bits of `st_mode` (POSIX values, the same on every Unix).
mod libc_mode {
    pub(super) const S_IFMT: u32 = 0o170000;
    pub(super) const S_IFLNK: u32 = 0o120000;
}

/// Marks the temporary files of an unfinished replacement: `.NAME.boocode-RANDOM.tmp`.
const TEMP_INFIX: &str = ".boocode-";
const TEMP_SUFFIX: &str = ".tmp";

impl PathGuard {
    /// Replaces the file at `path` with `content` (permission bits `mode`), atomically: a reader
    /// or a crash sees the old file or the new one, never a mix. Parent directories are created
    /// inside the root when missing. Leftovers of an earlier interrupted replacement of the same
    /// file are removed.
    pub fn replace_file(
        &self,
        path: &GuardedPath,
        content: &[u8],
        mode: u32,
    ) -> Result<(), PathError> {
        let name = quoted_path(path);
        let (dir, file_name) = self.open_parent(path, true)?;
        remove_stale_temps(&dir, &file_name);
        let temp = temp_name(&file_name);
        let fd = openat(
            dir.as_fd(),
            temp.as_os_str(),
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o600),
        )
        .map_err(|e| errno(&name, e))?;
        let mut file = File::from(fd);
        let written = file
            .write_all(content)
            .map_err(|e| io_error(&name, &e))
            .and_then(|()| {
                fchmod(file.as_fd(), Mode::from_bits_truncate(mode & 0o7777))
                    .map_err(|e| errno(&name, e))
            })
            .and_then(|()| file.sync_all().map_err(|e| io_error(&name, &e)))
            .and_then(|()| {
                renameat(
                    dir.as_fd(),
                    temp.as_os_str(),
                    dir.as_fd(),
                    file_name.as_os_str(),
                )
                .map_err(|e| errno(&name, e))
            });
        if let Err(e) = written {
            let _ = unlinkat(dir.as_fd(), temp.as_os_str(), UnlinkatFlags::NoRemoveDir);
            return Err(e);
        }
        // The rename is durable once the directory entry is.
        fsync(dir.as_fd()).map_err(|e| errno(&name, e))
    }

    /// Removes the file at `path` (a missing file is not an error).
    pub fn remove_file(&self, path: &GuardedPath) -> Result<(), PathError> {
        let name = quoted_path(path);
        let (dir, file_name) = match self.open_parent(path, false) {
            Ok(found) => found,
            Err(PathError::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        match unlinkat(
            dir.as_fd(),
            file_name.as_os_str(),
            UnlinkatFlags::NoRemoveDir,
        ) {
            Ok(()) | Err(nix::errno::Errno::ENOENT) => {}
            Err(e) => return Err(errno(&name, e)),
        }
        fsync(dir.as_fd()).map_err(|e| errno(&name, e))
    }

    /// Opens the parent directory of `path` one component at a time from the base, never
    /// following a symlink: the guarded path is canonical, so a link met on the way was planted
    /// after the check and is refused. Missing directories are made when `create` is set.
    fn open_parent(&self, path: &GuardedPath, create: bool) -> Result<(File, OsString), PathError> {
        let name = quoted_path(path);
        let (Some(parent), Some(file_name)) =
            (path.relative().parent(), path.relative().file_name())
        else {
            return Err(PathError::SpecialFile { path: name });
        };
        let mut dir = File::open(path.base()).map_err(|e| io_error(&name, &e))?;
        self.verify_open(&dir, &name, Access::Write)?;
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        for component in parent.components() {
            let std::path::Component::Normal(part) = component else {
                return Err(PathError::SymlinkEscape { path: name });
            };
            let opened = match openat(dir.as_fd(), part, flags, Mode::empty()) {
                Err(nix::errno::Errno::ENOENT) if create => {
                    match mkdirat(dir.as_fd(), part, Mode::from_bits_truncate(0o755)) {
                        Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
                        Err(e) => return Err(errno(&name, e)),
                    }
                    openat(dir.as_fd(), part, flags, Mode::empty())
                }
                other => other,
            };
            let opened = opened.map_err(|e| {
                // O_NOFOLLOW on a link fails with ELOOP, or ENOTDIR with O_DIRECTORY.
                let is_link = fstatat(dir.as_fd(), part, AtFlags::AT_SYMLINK_NOFOLLOW)
                    .is_ok_and(|st| st.st_mode & libc_mode::S_IFMT == libc_mode::S_IFLNK);
                if is_link {
                    PathError::SymlinkEscape { path: name.clone() }
                } else {
                    errno(&name, e)
                }
            })?;
            dir = File::from(opened);
        }
        Ok((dir, file_name.to_os_string()))
    }
}

fn quoted_path(path: &GuardedPath) -> String {
    format!("`{}`", path.display().escape_debug())
}

fn errno(name: &str, e: nix::errno::Errno) -> PathError {
    io_error(name, &std::io::Error::from(e))
}

fn temp_name(file_name: &OsStr) -> OsString {
    let mut temp = OsString::from(".");
    temp.push(file_name);
    temp.push(TEMP_INFIX);
    temp.push(uuid::Uuid::new_v4().simple().to_string());
    temp.push(TEMP_SUFFIX);
    temp
}

/// Whether `entry` is a temporary file of a replacement of `file_name`.
fn is_temp_of(entry: &OsStr, file_name: &OsStr) -> bool {
    let entry = entry.as_bytes();
    let mut prefix = b".".to_vec();
    prefix.extend_from_slice(file_name.as_bytes());
    prefix.extend_from_slice(TEMP_INFIX.as_bytes());
    entry.starts_with(&prefix)
        && entry.ends_with(TEMP_SUFFIX.as_bytes())
        && entry.len() == prefix.len() + 32 + TEMP_SUFFIX.len()
}

/// Removes what an interrupted replacement of `file_name` left behind (best effort).
fn remove_stale_temps(dir: &File, file_name: &OsStr) {
    let Ok(entries) = std::fs::read_dir(format!("/proc/self/fd/{}", raw(dir))) else {
        return;
    };
    for entry in entries.flatten() {
        let entry_name = entry.file_name();
        if is_temp_of(&entry_name, file_name) {
            let _ = unlinkat(
                dir.as_fd(),
                entry_name.as_os_str(),
                UnlinkatFlags::NoRemoveDir,
            );
        }
    }
}

fn raw(file: &File) -> i32 {
    use std::os::fd::AsRawFd;
    file.as_raw_fd()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replace_keeps_the_mode_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let guard = PathGuard::new(dir.path()).unwrap();
        let target = guard.resolve("sub/a.sh", Access::Write).unwrap();
        guard.replace_file(&target, b"echo hi\n", 0o755).unwrap();
        let meta = std::fs::metadata(dir.path().join("sub/a.sh")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o755);
        let target = guard.resolve("sub/a.sh", Access::Write).unwrap();
        guard.replace_file(&target, b"echo bye\n", 0o700).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("sub/a.sh")).unwrap(),
            b"echo bye\n"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [OsString::from("a.sh")]);
    }

    #[test]
    fn stale_temps_of_the_same_file_only_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let guard = PathGuard::new(dir.path()).unwrap();
        let stale = temp_name(OsStr::new("a.txt"));
        let other = temp_name(OsStr::new("b.txt"));
        std::fs::write(dir.path().join(&stale), "half").unwrap();
        std::fs::write(dir.path().join(&other), "half").unwrap();
        std::fs::write(dir.path().join(".a.txt.boocode-notmine.tmp"), "x").unwrap();
        let target = guard.resolve("a.txt", Access::Write).unwrap();
        guard.replace_file(&target, b"new", 0o644).unwrap();
        assert!(!dir.path().join(&stale).exists());
        assert!(dir.path().join(&other).exists());
        assert!(dir.path().join(".a.txt.boocode-notmine.tmp").exists());
    }

    #[test]
    fn a_symlink_planted_at_the_target_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("victim"), "keep").unwrap();
        let guard = PathGuard::new(dir.path()).unwrap();
        let target = guard.resolve("a.txt", Access::Write).unwrap();
        // Planted after the check.
        std::os::unix::fs::symlink(outside.path().join("victim"), dir.path().join("a.txt"))
            .unwrap();
        guard.replace_file(&target, b"new", 0o644).unwrap();
        assert_eq!(
            std::fs::read_to_string(outside.path().join("victim")).unwrap(),
            "keep"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
            "new"
        );
    }

    #[test]
    fn a_parent_swapped_for_an_outside_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let guard = PathGuard::new(dir.path()).unwrap();
        let target = guard.resolve("sub/a.txt", Access::Write).unwrap();
        std::fs::remove_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("sub")).unwrap();
        let err = guard.replace_file(&target, b"new", 0o644).unwrap_err();
        assert_eq!(err.rule(), "symlink_escape");
        let err = guard.remove_file(&target).unwrap_err();
        assert_eq!(err.rule(), "symlink_escape");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
