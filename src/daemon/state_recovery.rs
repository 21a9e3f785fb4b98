//! Which process list a starting daemon takes back: `state.json`; when that is damaged,
//! the previous good state (`state.json.bak`); else the last save (`dump.json`).
//!
//! Whatever the source, the supervisor's `adopt` settles each instance: a process still
//! alive with the recorded identity, or carrying the instance's `RPM_ID` in this home, is
//! adopted with its pid; one that is gone goes through the restart policy; so recovering
//! starts nothing twice. A damaged file is set aside as `state.json.damaged` for people
//! to look at. Runs on the main thread before the supervisor loop starts.

use std::path::Path;
use std::time::SystemTime;

use super::persist::{self, Loaded, SavedApp, SavedInstance, SavedState};
use crate::dump::{DumpError, DumpedApp, DumpedState};
use crate::ipc::Status;
use crate::paths::Home;

/// What to adopt, and whether it came from a fallback (which may be a change behind
/// what runs, so live processes it does not name are left running, not stopped).
pub struct Recovered {
    pub state: Option<SavedState>,
    pub from_fallback: bool,
}

/// Reads `state.json`, recovering from its backup or the dump when it is damaged.
pub fn recover(home: &Home) -> Recovered {
    let path = home.state_file();
    match persist::load(&path) {
        Loaded::Missing => Recovered {
            state: None,
            from_fallback: false,
        },
        Loaded::Good(state) => Recovered {
            state: Some(state),
            from_fallback: false,
        },
        Loaded::Damaged(reason) => {
            let aside = path.with_extension("json.damaged");
            let kept = match std::fs::rename(&path, &aside) {
                Ok(()) => format!("kept as {}", aside.display()),
                Err(e) => format!("cannot set it aside: {e}"),
            };
            log::error!("{} is damaged ({reason}); {kept}", path.display());
            Recovered {
                state: from_backup(&path).or_else(|| from_dump(&home.dump_file())),
                from_fallback: true,
            }
        }
    }
}

fn from_backup(state: &Path) -> Option<SavedState> {
    let bak = persist::backup_path(state);
    match persist::load(&bak) {
        Loaded::Good(saved) => {
            log::warn!(
                "recovering the apps from the previous state, {}",
                bak.display()
            );
            Some(saved)
        }
        Loaded::Missing => None,
        Loaded::Damaged(reason) => {
            log::error!("{} is damaged too ({reason})", bak.display());
            None
        }
    }
}

fn from_dump(dump: &Path) -> Option<SavedState> {
    match crate::dump::read(dump) {
        Ok(apps) => {
            log::warn!("recovering the apps from the last save, {}", dump.display());
            Some(state_of_dump(apps, unix_now_ms()))
        }
        Err(DumpError::Missing { .. }) => {
            log::error!(
                "no good state and no {}: starting with no apps; processes still running are not supervised",
                dump.display()
            );
            None
        }
        Err(e) => {
            log::error!("{e}; starting with no apps");
            None
        }
    }
}

/// A dump as the state `adopt` takes back: instances saved online are `launching`
/// (adopt finds their process by `RPM_ID`, or starts them once), the others stopped.
/// A dump of release 0.1.0, without instances, gets one per `instances`, numbered after
/// every saved id.
pub(crate) fn state_of_dump(apps: Vec<DumpedApp>, now_ms: u64) -> SavedState {
    let mut next_id = apps
        .iter()
        .flat_map(|a| a.rpm_instances.iter().map(|i| i.id + 1))
        .max()
        .unwrap_or(0);
    let instance = |id: u32, index: u32, online: bool| SavedInstance {
        id,
        instance: index,
        status: if online {
            Status::Launching
        } else {
            Status::Stopped
        },
        pid: None,
        proc_start: None,
        started_at: None,
        created_at: now_ms,
        restarts: 0,
        unstable_restarts: 0,
        exit_code: None,
        exit_signal: None,
        intent: None,
        backoff_ms: None,
    };
    let apps = apps
        .into_iter()
        .map(|app| {
            let instances = if app.rpm_instances.is_empty() {
                (0..app.spec.instances.max(1))
                    .map(|index| {
                        next_id += 1;
                        instance(next_id - 1, index, true)
                    })
                    .collect()
            } else {
                app.rpm_instances
                    .iter()
                    .map(|i| instance(i.id, i.instance, i.state == DumpedState::Online))
                    .collect()
            };
            SavedApp {
                spec: app.spec,
                instances,
            }
        })
        .collect();
    SavedState {
        version: persist::STATE_VERSION,
        daemon_version: crate::ipc::protocol::VERSION.to_string(),
        next_id,
        apps,
    }
}

/// Wall-clock now, in Unix ms.
fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
#[path = "state_recovery_tests.rs"]
mod tests;
