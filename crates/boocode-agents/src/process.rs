//! Child processes of the backends: each agent leads its own process group, so it is killed
//! with everything it started.

use tokio::process::Child;

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
