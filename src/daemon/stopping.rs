//! Stopping processes: the stop signal, the tree kill after `kill_timeout`, and what an
//! exited main process left behind. Runs on the supervisor thread.

use std::collections::BTreeMap;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::proctree;
use super::supervisor::{App, Slot, Supervisor};

impl Supervisor {
    pub(crate) fn signal_stop(&mut self, id: u32) {
        let Some(slot) = self.slots.get(&id) else {
            return;
        };
        let Some(app) = self.apps.get(&slot.app) else {
            return;
        };
        let Some(pid) = slot.inst.pid else { return };
        let signal = app.spec.kill_signal.signal();
        let target = if app.spec.treekill { -pid } else { pid };
        if let Err(e) = kill(Pid::from_raw(target), signal) {
            log::debug!("{} (id {id}): {signal} to {target}: {e}", slot.app);
        }
    }

    /// Stops what an exited main process left behind (its group, and orphans of it that
    /// were reparented to us), as systemd does before a restart.
    pub(crate) fn cleanup_leftovers(&mut self, id: u32, pid: i32) {
        if !app_treekill(&self.apps, &self.slots, id) {
            return;
        }
        // The group id is the old pid: the kernel does not reuse a pid while a group of
        // that id still has members, so this reaches only the app's own processes.
        let _ = kill(Pid::from_raw(-pid), Signal::SIGKILL);
        let current: Vec<i32> = self.slots.values().filter_map(|s| s.inst.pid).collect();
        let marker = id.to_string();
        for orphan in proctree::children(self.me) {
            if current.contains(&orphan) {
                continue;
            }
            if proctree::environ_var(orphan, "RPM_ID").as_deref() == Some(marker.as_str()) {
                kill_tree(orphan, false);
            }
        }
    }
}

pub(crate) fn app_treekill(
    apps: &BTreeMap<String, App>,
    slots: &BTreeMap<u32, Slot>,
    id: u32,
) -> bool {
    slots
        .get(&id)
        .and_then(|s| apps.get(&s.app))
        .is_some_and(|a| a.spec.treekill)
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
