//! Stopping processes: the stop signal, the tree kill after `kill_timeout`, and what an
//! exited main process left behind. Runs on the supervisor thread.

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::proctree;

/// Sends `signal` to `pid`, or to its process group when `group`.
pub(crate) fn signal(pid: i32, signal: Signal, group: bool) {
    let target = if group { -pid } else { pid };
    if let Err(e) = kill(Pid::from_raw(target), signal) {
        log::debug!("{signal} to {target}: {e}");
    }
}

/// Stops what an exited main process left behind (its group, and orphans of it that
/// were reparented to the daemon), as systemd does before a restart. `live` are the
/// current main processes, never touched.
pub(crate) fn kill_leftovers(pid: i32, id: u32, daemon: i32, live: &[i32]) {
    // The group id is the old pid: the kernel does not reuse a pid while a group of
    // that id still has members, so this reaches only the app's own processes.
    let _ = kill(Pid::from_raw(-pid), Signal::SIGKILL);
    let marker = id.to_string();
    for orphan in proctree::children(daemon) {
        if live.contains(&orphan) {
            continue;
        }
        if proctree::environ_var(orphan, "RPM_ID").as_deref() == Some(marker.as_str()) {
            kill_tree(orphan, false);
        }
    }
}

/// SIGKILLs `pid`, its process group (when `group`) and every descendant.
pub(crate) fn kill_tree(pid: i32, group: bool) {
    let descendants = proctree::descendants(pid);
    if group {
        let _ = kill(Pid::from_raw(-pid), Signal::SIGKILL);
    }
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    for p in descendants {
        let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
    }
}
