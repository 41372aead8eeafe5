//! Child processes of the backends: each agent leads its own process group, so it is killed
//! with everything it started.

use std::sync::{Arc, Mutex};
use tokio::io::AsyncReadExt;
use tokio::process::Child;

/// How much of an agent's stderr is kept to explain a failure.
const STDERR_TAIL: usize = 4096;

/// Kills the agent and everything it started (it leads its own process group). A reaped child
/// has no id any more, so a group id that could have been reused is never signalled.
pub(crate) fn kill_group(child: &mut Child) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let _ = child.start_kill();
}

/// Makes an agent die with BooCode: on Linux the kernel sends it SIGKILL when the thread that
/// spawned it exits (the runtime's worker threads live as long as the runtime), so a BooCode
/// killed with `kill -9` leaves no agent behind in its own process group. Agents do not all
/// exit when their stdin closes (claude-agent-acp 0.23.1 does not).
pub(crate) fn die_with_parent(cmd: &mut tokio::process::Command) {
    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)]
    // SAFETY: the closure runs in the child between fork and exec. It makes one prctl(2)
    // system call, which is async-signal-safe, and neither allocates nor takes locks.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                .map_err(std::io::Error::from)
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

pub(crate) async fn keep_tail(mut stderr: tokio::process::ChildStderr, tail: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 2048];
    while let Ok(n) = stderr.read(&mut buf).await {
        if n == 0 {
            break;
        }
        if let Ok(mut t) = tail.lock() {
            t.extend_from_slice(&buf[..n]);
            let excess = t.len().saturating_sub(STDERR_TAIL);
            t.drain(..excess);
        }
    }
}

/// `message`, followed by what the agent last wrote to stderr, if anything.
pub(crate) fn with_stderr(message: String, tail: &Mutex<Vec<u8>>) -> String {
    let tail = tail
        .lock()
        .map(|t| String::from_utf8_lossy(&t).trim().to_owned())
        .unwrap_or_default();
    if tail.is_empty() {
        message
    } else {
        format!("{message}; stderr: {tail}")
    }
}
