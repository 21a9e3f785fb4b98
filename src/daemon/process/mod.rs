//! Processes: starting them, reaping them, watching adopted ones, killing trees.
//!
//! Everything here acts on the operating system and knows nothing of apps' states: the
//! supervisor decides (through `policy::step`), and calls these to carry it out. The
//! `Processes` trait is the seam between the two: the daemon uses `System`, the
//! supervisor's unit tests a recording fake, so its glue is tested without spawning.

pub(crate) mod fd_limit;
pub(crate) mod kill;
pub(crate) mod pidfd;
pub(crate) mod reaper;
pub mod spawn;

use nix::sys::signal::Signal;

use crate::config::AppSpec;
use crate::paths::Home;
use spawn::{Extras, InstanceRef, SpawnError};

/// A process that was started, with what identifies it beyond pid reuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    pub pid: i32,
    /// Start time (ticks since boot), `None` if it could not be read.
    pub start_ticks: Option<u64>,
    /// The uid it runs as.
    pub uid: Option<u32>,
}

/// What the supervisor does to processes. Runs on the supervisor thread.
pub trait Processes {
    /// Starts one process of `spec` for instance `who`, with `extras` (socket, channel).
    fn spawn(
        &mut self,
        home: &Home,
        spec: &AppSpec,
        who: InstanceRef,
        extras: Extras<'_>,
    ) -> Result<Started, SpawnError>;
    /// Sends `signal` to `pid`, or to its process group when `group`.
    fn signal(&mut self, pid: i32, signal: Signal, group: bool);
    /// SIGKILLs `pid`, its group when `group`, and every descendant.
    fn kill_tree(&mut self, pid: i32, group: bool);
    /// Kills what the ended main process `pid` of instance `id` left behind: its group,
    /// and orphans reparented to the daemon that carry `RPM_ID=<id>`, except `live`.
    fn kill_leftovers(&mut self, pid: i32, id: u32, live: &[i32]);
}

/// The real processes of this machine.
pub struct System {
    /// The daemon's pid: orphans of apps are reparented to it (child subreaper).
    pub daemon: i32,
}

impl Processes for System {
    fn spawn(
        &mut self,
        home: &Home,
        spec: &AppSpec,
        who: InstanceRef,
        extras: Extras<'_>,
    ) -> Result<Started, SpawnError> {
        let pid = spawn::spawn_instance(home, spec, who, extras)?;
        Ok(Started {
            pid,
            start_ticks: crate::proctree::stat(pid).map(|s| s.start_ticks),
            uid: crate::proctree::uid(pid),
        })
    }

    fn signal(&mut self, pid: i32, signal: Signal, group: bool) {
        kill::signal(pid, signal, group);
    }

    fn kill_tree(&mut self, pid: i32, group: bool) {
        kill::kill_tree(pid, group);
    }

    fn kill_leftovers(&mut self, pid: i32, id: u32, live: &[i32]) {
        kill::kill_leftovers(pid, id, self.daemon, live);
    }
}
